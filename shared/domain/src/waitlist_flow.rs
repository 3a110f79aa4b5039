//! The waitlist's taps in the payment function: join (below a sold-out answer), take the held
//! unit in one tap, or pass it on. The rules are in [`crate::waitlist`]; this is the
//! conversation around them.
//!
//! A take is a checkout of one unit of the line the customer joined for, planned like any
//! checkout ([`crate::checkout::plan`]: the drop's window, its limits, today's price), then
//! reserved from the unit held for them ([`WaitlistStore::accept`]) and answered with the pay
//! link as a checkout is. It leaves the customer's cart alone. A take the reservation refuses
//! (their limit is reached, another SKU of the line ran out) passes the unit on, so the next
//! in line is not kept waiting for a hold nobody can use.

use crate::cart::Cart;
use crate::catalog::Catalog;
use crate::checkout::{
    CheckoutSettings, PaymentPorts, customer_id, open_payment, problem_reply, sku_label, text,
};
use crate::customization::Selection;
use crate::dialogue::Session;
use crate::drops::Drop;
use crate::i18n::{Lang, Msg};
use crate::inbound::InboundMessage;
use crate::payment::PaymentGateway;
use crate::ports::{CatalogSource, Dispatch, OrderStore, PortError, ReserveError, SessionStore};
use crate::process::ProcessError;
use crate::reply::Reply;
use crate::waitlist::{AcceptError, EntryStatus, JoinRequest, WaitlistStore, sku_at};

/// The drop and SKU a waitlist button names, if it still exists.
async fn line_of<O: OrderStore>(
    orders: &O,
    drop: &str,
    index: u16,
) -> Result<Option<(Drop, String)>, PortError> {
    let drops = orders.drops().await?;
    Ok(drops.into_iter().find(|d| d.id == drop).and_then(|d| {
        let sku = sku_at(&d, index)?.to_string();
        Some((d, sku))
    }))
}

/// The cart line the customer wanted: the one in their cart that draws on the SKU, else the
/// SKU itself (`product` or `product.group.option`).
pub(crate) fn wanted(drop: &Drop, sku: &str, session: &Session) -> (String, Vec<Selection>) {
    if let Some(line) = session.cart.lines.iter().find(|l| {
        drop.skus_of(&l.product, &l.selections)
            .iter()
            .any(|s| s == sku)
    }) {
        return (line.product.clone(), line.selections.clone());
    }
    let mut parts = sku.splitn(3, '.');
    let product = parts.next().unwrap_or(sku).to_string();
    let selections = match (parts.next(), parts.next()) {
        (Some(group), Some(option)) => vec![Selection::Option {
            group: group.into(),
            option: option.into(),
        }],
        _ => Vec::new(),
    };
    (product, selections)
}

pub(crate) async fn join<S, C, O, G, D>(
    drop: &str,
    index: u16,
    message: &InboundMessage,
    session: &Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + WaitlistStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let Some((drop, sku)) = line_of(ports.orders, drop, index).await? else {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    };
    let (product, selections) = wanted(&drop, &sku, session);
    let item = sku_label(&catalog, &sku, lang);
    ports
        .orders
        .join(&JoinRequest {
            drop: drop.id.clone(),
            sku,
            conversation: message.conversation.clone(),
            lang,
            product,
            selections,
            item: item.clone(),
            now,
        })
        .await?;
    Ok(vec![text(Msg::WaitlistJoined(&item).text(voice))])
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn take<S, C, O, G, D>(
    drop: &str,
    index: u16,
    message: &InboundMessage,
    session: &Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + WaitlistStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let conversation = &message.conversation;
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let gone = || Ok(vec![text(Msg::WaitlistOfferGone.text(voice))]);
    let Some((drop, sku)) = line_of(ports.orders, drop, index).await? else {
        return gone();
    };
    let Some(entry) = ports.orders.entry_of(&drop.id, &sku, conversation).await? else {
        return gone();
    };
    let identity = message.dedup_identity();
    let order_id = settings.ids.order_id(&identity);
    if entry.status == EntryStatus::Accepted {
        // A redelivered tap after its reservation: the order answers.
        if let Some(order) = ports.orders.order(&order_id).await? {
            return Ok(open_payment(order, ports, settings, &catalog)
                .await?
                .replies);
        }
    }
    if entry.status != EntryStatus::Offered || entry.hold_until.is_none_or(|end| end <= now) {
        return gone();
    }
    let mut cart = Cart::default();
    if cart
        .add(&entry.product, entry.selections.clone(), 0)
        .is_err()
    {
        return gone();
    }
    let customer = customer_id(&settings.ids, conversation, session);
    let pay_token = settings.ids.pay_token(&order_id, &identity);
    let drops_now = [drop.clone()];
    let planned = crate::checkout::plan(
        &catalog,
        &drops_now,
        &cart,
        conversation,
        &customer,
        entry.lang,
        now,
        settings.hold_minutes,
        &order_id,
        &pay_token,
    );
    let order = match planned {
        Ok(order) if order.stock.iter().any(|t| t.sku == entry.sku) => order,
        Ok(_) => return gone(),
        Err(problem) => {
            pass_on(ports.orders, &entry, now).await?;
            let zone = catalog.market_for(conversation.channel).time_zone.clone();
            return Ok(vec![problem_reply(
                &problem,
                voice,
                conversation,
                session,
                zone.as_deref(),
            )]);
        }
    };
    match ports.orders.accept(&entry, &order, now).await {
        Ok(()) => {}
        Err(AcceptError::OfferGone) => return gone(),
        Err(AcceptError::Refused(ReserveError::AlreadyExists)) => {
            let Some(order) = ports.orders.order(&order_id).await? else {
                return gone();
            };
            return Ok(open_payment(order, ports, settings, &catalog)
                .await?
                .replies);
        }
        Err(AcceptError::Refused(refused)) => {
            pass_on(ports.orders, &entry, now).await?;
            return Ok(vec![refused_reply(&refused, &catalog, lang)]);
        }
        Err(AcceptError::Port(e)) => return Err(e.into()),
    }
    // A page the provider refuses releases the reservation there, as a checkout's does.
    Ok(open_payment(order, ports, settings, &catalog)
        .await?
        .replies)
}

/// The unit goes to the next in line; the customer could not use it.
async fn pass_on<O: WaitlistStore>(
    orders: &O,
    entry: &crate::waitlist::WaitlistEntry,
    now: i64,
) -> Result<(), PortError> {
    orders
        .give_back(entry, EntryStatus::Passed, now)
        .await
        .map(|_| ())
}

fn refused_reply(refused: &ReserveError, catalog: &Catalog, lang: Lang) -> Reply {
    let voice = catalog.voice(lang);
    match refused {
        ReserveError::OverLimit { limit, .. } => text(Msg::OverLimit(*limit).text(voice)),
        ReserveError::SoldOut { sku, .. } => {
            text(Msg::SoldOut(&sku_label(catalog, sku, lang)).text(voice))
        }
        _ => text(Msg::WaitlistOfferGone.text(voice)),
    }
}

pub(crate) async fn pass<S, C, O, G, D>(
    drop: &str,
    index: u16,
    message: &InboundMessage,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + WaitlistStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let entry = match line_of(ports.orders, drop, index).await? {
        Some((drop, sku)) => {
            ports
                .orders
                .entry_of(&drop.id, &sku, &message.conversation)
                .await?
        }
        None => None,
    };
    let passed = match entry {
        Some(entry) => {
            ports
                .orders
                .give_back(&entry, EntryStatus::Passed, now)
                .await?
        }
        None => false,
    };
    let body = if passed {
        Msg::WaitlistPassed
    } else {
        Msg::WaitlistOfferGone
    };
    Ok(vec![text(body.text(voice))])
}

#[cfg(test)]
#[path = "waitlist_flow_tests.rs"]
mod tests;
