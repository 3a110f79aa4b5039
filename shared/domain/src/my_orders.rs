//! The customer's own orders in the chat: the list ("my orders"), cancelling a reservation
//! before paying, and "Remind me" on a drop not open yet. The payment function answers them
//! ([`crate::checkout::handle`]); they share its ports and never reserve anything.

use crate::channel::ConversationId;
use crate::checkout::{CheckoutSettings, PaymentPorts, money, order_state, phone_of, text};
use crate::dialogue::Session;
use crate::drops::DropWindow;
use crate::i18n::{Lang, Msg};
use crate::orders::{Order, OrderStatus};
use crate::payment::{ExpireOutcome, PaymentGateway};
use crate::ports::{CatalogSource, Dispatch, OrderStore, SessionStore};
use crate::process::ProcessError;
use crate::reminders::ReminderStore;
use crate::reply::Reply;

pub(crate) async fn cancel<S, C, O, G, D>(
    order_id: &str,
    conversation: &ConversationId,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let Some(order) = ports.orders.order(order_id).await? else {
        return Ok(vec![text(Msg::NotYourOrder.text(lang))]);
    };
    if &order.conversation != conversation {
        return Ok(vec![text(Msg::NotYourOrder.text(lang))]);
    }
    if order.status != OrderStatus::Reserved {
        return Ok(vec![order_line(&order)]);
    }
    // The page must be dead before the stock is given back: never a payment for released stock.
    if let Some(session_id) = &order.checkout_session
        && ports.gateway.expire_checkout(session_id).await? == ExpireOutcome::AlreadyComplete
    {
        return Ok(vec![text(Msg::AlreadyPaid(&order.number()).text(lang))]);
    }
    if !ports.orders.release(&order, OrderStatus::Cancelled).await? {
        // It left `reserved` between the read and the release (the sweep, a payment): tell the
        // customer where it is now, never "cancelled, nothing charged".
        let now = ports.orders.order(&order.id).await?.unwrap_or(order);
        return Ok(vec![order_line(&now)]);
    }
    // The cancellation answers the customer here; no separate notice.
    ports.orders.record_notice(&order.id, "released").await?;
    Ok(vec![text(
        Msg::ReservationCancelled(&order.number()).text(lang),
    )])
}

/// "Remind me" on a drop that has not opened: recorded once, answered with its opening time on
/// the customer's clock (see [`crate::reminders`]).
pub(crate) async fn remind<S, C, O, G, D>(
    drop: &str,
    conversation: &ConversationId,
    session: &Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + ReminderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let drops_now = ports.orders.drops().await?;
    // Typed "remind me" names no drop: the next one to open.
    let named = if drop.is_empty() {
        drops_now
            .iter()
            .filter(|d| matches!(d.window(now), DropWindow::NotYet { .. }))
            .min_by_key(|d| d.starts_at)
    } else {
        drops_now.iter().find(|d| d.id == drop)
    };
    let Some(drop) = named else {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    };
    if !matches!(drop.window(now), DropWindow::NotYet { .. }) {
        // Open already (or over): the menu is the answer, not a reminder.
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    }
    let market = catalog.market_for(conversation.channel);
    let phone = phone_of(conversation, session);
    let reply = crate::reminders::remind_me(
        ports.orders,
        drop,
        conversation,
        phone.as_deref(),
        market.time_zone.as_deref(),
        voice,
        now,
    )
    .await?;
    Ok(vec![reply])
}

pub(crate) fn order_line(order: &Order) -> Reply {
    text(
        Msg::OrderSummary {
            number: &order.number(),
            status: order_state(order.status),
            total: &money(order, order.total),
        }
        .text(order.lang),
    )
}

pub(crate) async fn list_orders<S, C, O, G, D>(
    conversation: &ConversationId,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let orders = ports.orders.orders_of(conversation).await?;
    if orders.is_empty() {
        return Ok(vec![text(Msg::NoOrders.text(lang))]);
    }
    let mut body = Msg::OrdersHeader.text(lang);
    for o in orders.iter().take(10) {
        body.push('\n');
        body.push_str(
            &Msg::OrderSummary {
                number: &o.number(),
                status: order_state(o.status),
                total: &money(o, o.total),
            }
            .text(lang),
        );
    }
    let mut replies = vec![text(body)];
    if let Some(open) = orders.iter().find(|o| o.status == OrderStatus::Reserved) {
        replies.push(Reply::Link {
            body: format!("#{}", open.number()),
            label: Msg::PayNow.text(lang),
            url: settings.pay_link(&open.pay_token),
        });
    }
    Ok(replies)
}
