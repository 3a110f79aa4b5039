//! The sale itself: a checkout (or a reorder, which refills the cart first) reserves the
//! stock, the limits and the order in one write with the conversation's commit, then opens the
//! provider's payment page once ([`open_payment`]); a refused page releases the reservation.

use super::planning::conversation_customer;
use super::{
    Checkout, CheckoutProblem, CheckoutSettings, PaymentPorts, Sale, customer_id, payment_bundle,
    phone_of, plan, problem_reply, refused_bundle, reserved_replies, return_url, sku_label, text,
};
use crate::catalog::Catalog;
use crate::dialogue::{DialogueState, Session};
use crate::i18n::{Lang, Msg};
use crate::inbound::InboundMessage;
use crate::my_orders::order_line;
use crate::orders::{Order, OrderStatus};
use crate::payment::{CheckoutLine, CheckoutRequest, PaymentError, PaymentGateway};
use crate::ports::{
    CatalogSource, Dispatch, Effect, OrderStore, PortError, ReserveError, SaleCommit, SessionStore,
};
use crate::process::ProcessError;
use crate::reply::Reply;

#[allow(clippy::too_many_arguments)]
pub(super) async fn checkout<S, C, O, G, D>(
    message: &InboundMessage,
    session: &mut Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
    sale: Sale<'_>,
) -> Result<Checkout, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let conversation = &message.conversation;
    let customer = customer_id(&settings.ids, conversation, session);
    // A chat that counted on its own until its phone was shared: its units join the phone's
    // record once, so a limit cannot be dodged by buying before linking.
    if !conversation.channel.spec().customer_id_is_phone
        && customer.starts_with("phone:")
        && !session.identity.is_linked()
    {
        let own = conversation_customer(&settings.ids, conversation);
        ports.orders.link_customer(&own, &customer).await?;
        session.link_to_phone();
    }
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let drops_now = match sale.drops {
        Some(drops) => drops.to_vec(),
        None => ports.orders.drops().await?,
    };
    // A drop sold by draw never sells from a cart: its units are the winners'.
    if let Some((drop, spec)) = session.cart.lines.iter().find_map(|line| {
        let drop = crate::drops::drop_for(&drops_now, line)?;
        Some((drop, drop.draw.as_ref()?))
    }) {
        let market = catalog.market_for(conversation.channel);
        let phone = phone_of(conversation, session);
        let zone = crate::time_zone::CustomerZone::resolve(
            phone.as_deref(),
            market.time_zone.as_deref(),
            spec.entries_close_at,
        );
        return Ok(Checkout::Answer(vec![crate::draw_flow::invite(
            drop, spec, &zone, voice,
        )]));
    }
    // A drop that takes one person per phone, from a chat with none: the phone first, then
    // this checkout again ([`crate::phone_dialogue`]).
    if let Some(drop) = session
        .cart
        .lines
        .iter()
        .filter_map(|line| crate::drops::drop_for(&drops_now, line))
        .find(|drop| crate::phone_dialogue::must_verify(drop, &customer))
    {
        let name = drop.name.clone();
        let resume = crate::dialogue::Resume::Checkout;
        return Ok(Checkout::Answer(crate::phone_dialogue::ask(
            session,
            resume,
            &name,
            conversation.channel,
            voice,
            now,
        )));
    }
    let identity = message.dedup_identity();
    let order_id = settings.ids.order_id(&identity);
    let pay_token = settings.ids.pay_token(&order_id, &identity);
    let planned = plan(
        &catalog,
        &drops_now,
        &session.cart,
        conversation,
        &customer,
        lang,
        now,
        settings.hold_minutes,
        &order_id,
        &pay_token,
    );
    let mut order = match planned {
        Ok(order) => order,
        Err(problem) => {
            if let CheckoutProblem::PaymentMethodCurrency(why) = &problem {
                tracing::error!(channel = ?conversation.channel, reason = %why, "the market's payment methods do not fit its currency; nothing reserved, nothing sent to Stripe");
            }
            let market = catalog.market_for(conversation.channel);
            let zone = market.time_zone.as_deref();
            let reply = problem_reply(&problem, voice, conversation, session, zone);
            if let CheckoutProblem::NotYet { drop, .. } = &problem {
                let drop = drops_now.iter().find(|d| &d.name == drop);
                return Ok(Checkout::Answer(vec![
                    crate::reminders::with_remind_button(reply, drop, voice),
                ]));
            }
            return Ok(Checkout::Answer(vec![reply]));
        }
    };
    // The answer to a sale is known before the provider is asked (the pay link and its QR are
    // ours), so the conversation's commit rides in the reservation's transaction where the
    // store can: one write for the stock, the limits, the order, the session and the marker.
    let sold = payment_bundle(
        message,
        sale.key,
        lang,
        reserved_replies(&order, settings, voice),
    );
    let mut after = session.clone();
    after.cart.clear();
    after.state = DialogueState::Browsing;
    after.offer(sold.offered());
    after.version = sale.version + 1;
    let effect = Effect::Reply { bundle: sold };
    let commit = SaleCommit {
        conversation,
        session: &after,
        key: sale.key,
        effect: &effect,
    };
    match ports.orders.reserve_and_commit(&order, commit).await {
        Ok(true) => {
            let Effect::Reply { bundle } = &effect else {
                unreachable!("built above as a reply")
            };
            let opened = open_payment(order, ports, settings, &catalog).await?;
            if opened.opened {
                ports.dispatch.reply(bundle).await?;
            } else {
                // Refused and released: say so under a bundle of its own, and close the
                // marker so a redelivery does not send the pay link it holds.
                let refused = refused_bundle(message, sale.key, lang, opened.replies);
                ports.dispatch.reply(&refused).await?;
                ports.sessions.mark_done(sale.key).await?;
            }
            // The marker stays pending: a redelivery sends the same bundle again, which
            // notify does not deliver twice; marking it done would cost a write per sale.
            return Ok(Checkout::Sold);
        }
        Ok(false) => {}
        Err(ReserveError::AlreadyExists) => {
            order = ports
                .orders
                .order(&order_id)
                .await?
                .ok_or_else(|| PortError::new("reserve", "order exists but cannot be read"))?;
        }
        Err(ReserveError::SoldOut { drop, sku }) => {
            let label = sku_label(&catalog, &sku, lang);
            let drop = drops_now.iter().find(|d| d.id == drop);
            return Ok(Checkout::Answer(vec![crate::waitlist::sold_out_reply(
                drop, &sku, &label, voice,
            )]));
        }
        Err(ReserveError::OverLimit { limit, .. }) => {
            return Ok(Checkout::Answer(vec![text(
                Msg::OverLimit(limit).text(voice),
            )]));
        }
        Err(ReserveError::Port(e)) => return Err(e.into()),
    }
    let replies = open_payment(order, ports, settings, &catalog).await?;
    if replies.opened {
        // The cart's lines now live in the order.
        session.cart.clear();
        session.state = DialogueState::Browsing;
    }
    Ok(Checkout::Answer(replies.replies))
}

/// What [`open_payment`] answers, and whether the order is reserved with its page open.
pub(crate) struct Opened {
    pub replies: Vec<Reply>,
    pub opened: bool,
}

/// After a reservation: the payment page (once), then the pay link, QR and buttons. A refused
/// page releases the reservation.
pub(crate) async fn open_payment<S, C, O, G, D>(
    mut order: Order,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    catalog: &Catalog,
) -> Result<Opened, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let voice = catalog.voice(order.lang);
    if order.status != OrderStatus::Reserved {
        return Ok(Opened {
            replies: vec![order_line(&order)],
            opened: false,
        });
    }
    if order.checkout_session.is_none() {
        let request = CheckoutRequest {
            order_id: order.id.clone(),
            currency: order.currency,
            lines: order
                .lines
                .iter()
                .map(|l| CheckoutLine {
                    name: l.name.clone(),
                    description: (l.item != l.name).then(|| l.item.clone()),
                    unit_amount: l.unit_price,
                    quantity: l.quantity,
                })
                .collect(),
            expires_at: order.expires_at,
            success_url: return_url(&settings.success_url, order.lang),
            cancel_url: return_url(&settings.cancel_url, order.lang),
            collect_shipping: true,
            payment_offer: order.payment_offer.clone(),
        };
        match ports.gateway.create_checkout(&request).await {
            Ok(checkout) => {
                ports
                    .orders
                    .set_checkout(&order.id, &checkout.id, &checkout.url)
                    .await?;
                order.checkout_session = Some(checkout.id);
                order.checkout_url = Some(checkout.url);
            }
            Err(PaymentError::Refused(why)) => {
                tracing::error!(order = %order.id, reason = %why, "payment provider refused the checkout; reservation released");
                ports.orders.release(&order, OrderStatus::Cancelled).await?;
                return Ok(Opened {
                    replies: vec![text(Msg::PaymentUnavailable.text(voice))],
                    opened: false,
                });
            }
            // The reservation stands; the queue retries this message and finds it.
            Err(e @ PaymentError::Unavailable(_)) => return Err(e.into()),
        }
    }
    Ok(Opened {
        replies: reserved_replies(&order, settings, voice),
        opened: true,
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn reorder<S, C, O, G, D>(
    order_id: &str,
    message: &InboundMessage,
    session: &mut Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
    sale: Sale<'_>,
) -> Result<Checkout, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let answer = |replies| Ok(Checkout::Answer(replies));
    let Some(order) = ports.orders.order(order_id).await? else {
        return answer(vec![text(Msg::NotYourOrder.text(lang))]);
    };
    if order.conversation != message.conversation {
        return answer(vec![text(Msg::NotYourOrder.text(lang))]);
    }
    if !order.status.released() {
        return answer(vec![order_line(&order)]);
    }
    for line in &order.lines {
        for _ in 0..line.quantity {
            // A full cart keeps what fits; checkout then reports the limits as usual.
            let _ = session
                .cart
                .add(&line.product, line.selections.clone(), line.unit_price);
        }
    }
    checkout(message, session, lang, ports, settings, now, sale).await
}
