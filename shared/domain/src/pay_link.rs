//! Pay links: our own short URL in front of the provider's checkout page.
//!
//! A pay link (and its QR code) carries a token that starts with its order id and ends with a
//! keyed MAC ([`crate::ids`]). [`order_by_pay_token`] reads that one order and compares the
//! whole token in constant time, so every well-formed token costs the same single read, right
//! or wrong, and neither the read nor the comparison tells a guesser how close it came. A visit
//! after the reservation lapsed expires it on the spot ([`crate::order_events::expire_order`])
//! instead of sending the customer to a page that can no longer take money.
//!
//! The first visit that leads to the provider's page is noted on the order
//! ([`PayLinkOpens::note_opened`], one conditional write, never again for that order), so a
//! campaign's report can say how many recipients opened their pay link
//! ([`crate::campaign_outcome::attribute`]). Noting it is bookkeeping: if the write fails the
//! customer is still sent on to pay, and the failure is logged.

use crate::i18n::Lang;
use crate::order_events::expire_order;
use crate::orders::{Order, OrderStatus};
use crate::payment::PaymentGateway;
use crate::ports::{Dispatch, OrderStore, PortError};
use crate::process::ProcessError;
use subtle::ConstantTimeEq;

/// What a visit to a pay link leads to. A page about an order speaks the order's language.
#[derive(Debug, Clone, PartialEq)]
pub enum PayLinkVisit {
    /// The reservation holds: go to the provider's page.
    Redirect(String),
    /// The order is paid (or shipped): nothing to pay.
    AlreadyPaid {
        number: String,
        lang: Lang,
    },
    /// The reservation lapsed or was cancelled: the stock went back on sale.
    Lapsed {
        number: String,
        lang: Lang,
    },
    NotFound,
}

/// The order a pay link (or its QR code) names: one read of the order its token starts with,
/// then a constant-time comparison with the token the order holds. Right or wrong, every
/// well-formed token costs that same read; a malformed one costs none.
pub async fn order_by_pay_token<O: OrderStore>(
    token: &str,
    orders: &O,
) -> Result<Option<Order>, PortError> {
    let Some(order_id) = crate::ids::order_id_in_token(token) else {
        return Ok(None);
    };
    let order = orders.order(order_id).await?;
    Ok(order.filter(|o| bool::from(o.pay_token.as_bytes().ct_eq(token.as_bytes()))))
}

/// Where the first opening of a pay link is noted.
pub trait PayLinkOpens: Send + Sync {
    /// Notes that the customer opened the pay link of order `order` at `at`, unless it was
    /// noted before: `Ok(false)` then (or when there is no such order). A conditional write:
    /// the first visit's time stays, however many visits race.
    fn note_opened(
        &self,
        order: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// Resolves a pay link, expiring the reservation on access when it has lapsed.
pub async fn visit_pay_link<O: OrderStore + PayLinkOpens, G: PaymentGateway, D: Dispatch>(
    token: &str,
    now: i64,
    orders: &O,
    gateway: &G,
    dispatch: &D,
) -> Result<PayLinkVisit, ProcessError> {
    let Some(order) = order_by_pay_token(token, orders).await? else {
        return Ok(PayLinkVisit::NotFound);
    };
    let (number, lang) = (order.number(), order.lang);
    let status = if order.status == OrderStatus::Reserved && now >= order.expires_at {
        expire_order(&order, orders, gateway, dispatch).await?
    } else {
        order.status
    };
    Ok(match status {
        OrderStatus::Reserved => match order.checkout_url {
            Some(url) => {
                // The order as read says whether this is the first visit; the write is
                // conditional all the same, for visits that race.
                if order.opened_at.is_none()
                    && let Err(e) = orders.note_opened(&order.id, now).await
                {
                    tracing::warn!(error = %e, "could not note the pay link's first visit");
                }
                PayLinkVisit::Redirect(url)
            }
            None => PayLinkVisit::Lapsed { number, lang },
        },
        OrderStatus::Paid
        | OrderStatus::Shipped
        | OrderStatus::PaidNeedsAttention
        | OrderStatus::Refunded => PayLinkVisit::AlreadyPaid { number, lang },
        OrderStatus::Expired | OrderStatus::Cancelled => PayLinkVisit::Lapsed { number, lang },
    })
}
