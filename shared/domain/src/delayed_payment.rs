//! Payments that arrive after the customer leaves Stripe's page (Konbini, Pix).
//!
//! With such a method the Checkout Session completes with `payment_status = unpaid`: the
//! customer has a voucher or a code and pays later, and Stripe reports the outcome with
//! `checkout.session.async_payment_succeeded` or `…_failed`
//! (<https://docs.stripe.com/checkout/fulfillment#delayed-notification>). A reservation lasts
//! minutes; the customer may take days. So:
//!
//! - **at checkout** ([`pay_within_days`]): a method that settles later is offered only when
//!   every drop in the cart allows it (`Drop::delayed_payment_days`; products outside drops
//!   have no stock to hold and allow [`DEFAULT_PAY_WITHIN_DAYS`]), and the days go to Stripe
//!   as the voucher's deadline (`PaymentOffer`, kept on the order);
//! - **on `completed` + `unpaid`** ([`hold_for_payment`]): the reservation is held until that
//!   deadline plus [`HOLD_GRACE_SECS`] (so Stripe's failure event, not our sweep, ends it) and
//!   the customer is told in the chat by when to pay;
//! - **on `async_payment_succeeded`**: an ordinary payment, checked against the order and sold;
//! - **on `async_payment_failed`**: the reservation is released and the customer told that the
//!   payment did not arrive ([`failed_replies`]).

use crate::drops::Drop;
use crate::i18n::Msg;
use crate::order_events::{notify_once, released_replies};
use crate::orders::{Order, OrderStatus};
use crate::payment_method::PaymentMethod;
use crate::ports::{Dispatch, OrderStore, PortError};
use crate::reply::Reply;
use crate::time_zone::CustomerZone;

/// Days to pay for an order with no drop in it: Stripe's own default for a Konbini voucher
/// (`expires_after_days`, 3 when not sent).
pub const DEFAULT_PAY_WITHIN_DAYS: u32 = 3;

/// Held past the customer's deadline, so Stripe's `async_payment_failed` (sent once the
/// voucher or code expired) ends the reservation and tells the customer why, before the sweep
/// would. An hour is a guess at Stripe's delay, not a documented figure.
pub const HOLD_GRACE_SECS: i64 = 3600;

/// The notice sent once when the customer chose a method that settles later.
pub const AWAITING_NOTICE: &str = "awaiting_payment";

/// The days a customer buying from these drops may take to pay by a method that settles
/// later: the shortest any of them allows, `None` when one does not allow it.
pub fn pay_within_days<'d>(drops: impl IntoIterator<Item = &'d Drop>) -> Option<u32> {
    let mut shortest: Option<u32> = None;
    for d in drops {
        let own = d.delayed_payment_days?;
        shortest = Some(shortest.map_or(own, |days| days.min(own)));
    }
    Some(shortest.unwrap_or(DEFAULT_PAY_WITHIN_DAYS))
}

/// The customer chose a method that settles later at `chosen_at` on the order's page: hold
/// the reservation to the deadline and tell them by when to pay. Changes nothing for an order
/// that is no longer reserved, or for another page than the order's own (a stray event).
pub async fn hold_for_payment<O: OrderStore, D: Dispatch>(
    order: &Order,
    session_id: &str,
    chosen_at: i64,
    orders: &O,
    dispatch: &D,
) -> Result<(), PortError> {
    if order.status != OrderStatus::Reserved {
        return Ok(());
    }
    if order
        .checkout_session
        .as_deref()
        .is_some_and(|own| own != session_id)
    {
        tracing::warn!(order = %order.id, session = session_id, "a page that is not the order's completed unpaid; ignored");
        return Ok(());
    }
    let Some(deadline) = order.payment_offer.deadline(chosen_at) else {
        // Stripe let the customer choose a method we did not offer as one that settles later:
        // the reservation keeps its own expiry, and a payment after it is a late payment.
        tracing::error!(order = %order.id, "checkout completed unpaid, but no method that settles later was offered; reservation not extended");
        return Ok(());
    };
    orders.hold_until(order, deadline + HOLD_GRACE_SECS).await?;
    let lang = order.lang;
    let deadline = deadline_text(order, deadline);
    let replies = vec![Reply::Text {
        body: Msg::AwaitingDelayedPayment {
            number: &order.number(),
            deadline: &deadline,
        }
        .text(lang),
    }];
    notify_once(orders, dispatch, order, AWAITING_NOTICE, replies).await
}

/// A deadline as the customer reads it, in their language and zone: their phone's when it
/// tells one; Japan's for a Konbini voucher (paid at a Japanese store, its deadline counted in
/// JST); else the zone of the market the order sold in (São Paulo for a Brazilian number, whose
/// country spans four zones); else UTC.
pub fn deadline_text(order: &Order, at: i64) -> String {
    let conversation = &order.conversation;
    // WhatsApp and SMS ids are the phone's digits; the parser wants the international form.
    let phone = conversation
        .channel
        .spec()
        .customer_id_is_phone
        .then(|| format!("+{}", conversation.customer.trim_start_matches('+')));
    let fallback = if order.payment_offer.has(PaymentMethod::Konbini) {
        Some("Asia/Tokyo")
    } else {
        order.market_zone.as_deref()
    };
    CustomerZone::resolve(phone.as_deref(), fallback, at).format(at, order.lang)
}

/// What the customer hears when a delayed payment failed: nothing charged, and the way back.
pub fn failed_replies(order: &Order) -> Vec<Reply> {
    released_replies(
        order,
        Msg::DelayedPaymentFailed(&order.number()).text(order.lang),
    )
}

#[cfg(test)]
#[path = "delayed_payment_tests.rs"]
mod tests;
