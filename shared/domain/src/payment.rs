//! Paying in the chat: the payment provider behind a port.
//!
//! The domain asks for a hosted checkout page for an order and gets back its id and URL; it can
//! expire that page early (our reservations are shorter than Stripe's 30-minute minimum) and
//! refund a payment. `chatdrop-payments` implements this on Stripe with async-stripe; the local
//! stack points it at a fake Stripe.
//!
//! A provider's "paid" names the order only by the reference we gave the page. Before it turns
//! a reservation into a sale, [`check_payment`] holds it against the order: the page must be
//! the order's own, and the amount and currency its total. Anything else is money we cannot
//! account for, kept for a person to look at (`paid_needs_attention`), never a silent sale.

use crate::money::Currency;
use crate::orders::Order;
use crate::payment_method::PaymentOffer;
use std::future::Future;

#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutLine {
    /// The product name the payment page shows.
    pub name: String,
    /// The customization ("Signal red, Leather strap, engraving “ANA”"), if any.
    pub description: Option<String>,
    /// Minor units, options included.
    pub unit_amount: i64,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub order_id: String,
    pub currency: Currency,
    pub lines: Vec<CheckoutLine>,
    /// Unix seconds; the provider may round it up to its minimum.
    pub expires_at: i64,
    pub success_url: String,
    pub cancel_url: String,
    /// Physical goods need a shipping address.
    pub collect_shipping: bool,
    /// The payment methods to offer (empty: cards), and the days a method that settles later
    /// gives the customer: the order's own [`Order::payment_offer`].
    pub payment_offer: PaymentOffer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireOutcome {
    /// The page can no longer be paid.
    Expired,
    /// Too late: the customer already paid (or is paying) on it.
    AlreadyComplete,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    /// The provider refused the request; retrying the same request will not help.
    #[error("payment provider refused: {0}")]
    Refused(String),
    /// Network trouble or a provider outage; retry later (requests are idempotent).
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// The payment provider.
pub trait PaymentGateway: Send + Sync {
    /// Creates a hosted checkout page; idempotent per order id.
    fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> impl Future<Output = Result<CheckoutSession, PaymentError>> + Send;

    /// Expires a checkout page so it can no longer be paid.
    fn expire_checkout(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<ExpireOutcome, PaymentError>> + Send;

    /// Refunds the payment made on a checkout session in full; idempotent per session id.
    /// Returns the refund's id.
    fn refund(&self, session_id: &str)
    -> impl Future<Output = Result<String, PaymentError>> + Send;
}

/// What the provider says was paid, as its event reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidSession {
    /// The checkout page that was paid.
    pub session_id: String,
    /// Minor units; `None` if the event did not say.
    pub amount_total: Option<i64>,
    /// ISO 4217 code in either case (Stripe writes `usd`); `None` if the event did not say.
    pub currency: Option<String>,
}

/// How a payment differs from its order; the first difference found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentMismatch {
    #[error("paid on checkout page {paid}, but the order's page is {}", expected.as_deref().unwrap_or("not recorded"))]
    Session {
        expected: Option<String>,
        paid: String,
    },
    #[error("paid {} minor units, but the order's total is {expected}", paid.map_or("an unstated amount of".to_string(), |p| p.to_string()))]
    Amount { expected: i64, paid: Option<i64> },
    #[error("paid in {}, but the order is in {expected}", paid.as_deref().unwrap_or("an unstated currency"))]
    Currency {
        expected: String,
        paid: Option<String>,
    },
}

/// Whether `paid` pays `order`: its own checkout page, its total, its currency. The page is
/// compared once the order records it: checkout creates the page before it records its id, so
/// a payment can overtake that write (the page is the one created for this order id, by its
/// idempotency key); the amount and currency must match in any case.
pub fn check_payment(order: &Order, paid: &PaidSession) -> Result<(), PaymentMismatch> {
    if let Some(own) = &order.checkout_session
        && *own != paid.session_id
    {
        return Err(PaymentMismatch::Session {
            expected: Some(own.clone()),
            paid: paid.session_id.clone(),
        });
    }
    if paid.amount_total != Some(order.total) {
        return Err(PaymentMismatch::Amount {
            expected: order.total,
            paid: paid.amount_total,
        });
    }
    let code = order.currency.code();
    if !paid
        .currency
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(code))
    {
        return Err(PaymentMismatch::Currency {
            expected: code.to_string(),
            paid: paid.currency.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Channel, ConversationId};
    use crate::i18n::Lang;
    use crate::orders::OrderStatus;

    fn order() -> Order {
        Order {
            id: "o1".into(),
            conversation: ConversationId::new(Channel::Whatsapp, "819012345678"),
            lang: Lang::EN,
            customer: "phone:x".into(),
            lines: Vec::new(),
            currency: Currency::USD,
            total: 12_000,
            status: OrderStatus::Reserved,
            created_at: 0,
            expires_at: 600,
            pay_token: "t".into(),
            stock: Vec::new(),
            limits: Vec::new(),
            checkout_session: Some("cs_test_own".into()),
            checkout_url: None,
            tracking: None,
            attention: Vec::new(),
            payment_offer: Default::default(),
            market_zone: None,
            opened_at: None,
        }
    }

    fn paid(session: &str, amount: Option<i64>, currency: Option<&str>) -> PaidSession {
        PaidSession {
            session_id: session.into(),
            amount_total: amount,
            currency: currency.map(str::to_string),
        }
    }

    #[test]
    fn the_orders_own_page_total_and_currency_match() {
        assert_eq!(
            check_payment(&order(), &paid("cs_test_own", Some(12_000), Some("usd"))),
            Ok(())
        );
        assert_eq!(
            check_payment(&order(), &paid("cs_test_own", Some(12_000), Some("USD"))),
            Ok(())
        );
    }

    #[test]
    fn another_page_amount_or_currency_is_a_mismatch() {
        let o = order();
        assert_eq!(
            check_payment(&o, &paid("cs_test_other", Some(1), Some("usd"))),
            Err(PaymentMismatch::Session {
                expected: Some("cs_test_own".into()),
                paid: "cs_test_other".into()
            })
        );
        assert_eq!(
            check_payment(&o, &paid("cs_test_own", Some(1), Some("usd"))),
            Err(PaymentMismatch::Amount {
                expected: 12_000,
                paid: Some(1)
            })
        );
        assert!(matches!(
            check_payment(&o, &paid("cs_test_own", None, Some("usd"))),
            Err(PaymentMismatch::Amount { paid: None, .. })
        ));
        // The right number of minor units in another currency is another amount of money.
        assert_eq!(
            check_payment(&o, &paid("cs_test_own", Some(12_000), Some("jpy"))),
            Err(PaymentMismatch::Currency {
                expected: "USD".into(),
                paid: Some("jpy".into())
            })
        );
        assert!(matches!(
            check_payment(&o, &paid("cs_test_own", Some(12_000), None)),
            Err(PaymentMismatch::Currency { paid: None, .. })
        ));
        assert_eq!(
            check_payment(&o, &paid("cs_test_other", Some(1), Some("usd")))
                .unwrap_err()
                .to_string(),
            "paid on checkout page cs_test_other, but the order's page is cs_test_own"
        );
    }

    #[test]
    fn before_the_page_is_recorded_the_amount_and_currency_still_decide() {
        let unrecorded = Order {
            checkout_session: None,
            ..order()
        };
        assert_eq!(
            check_payment(&unrecorded, &paid("cs_test_any", Some(12_000), Some("usd"))),
            Ok(())
        );
        assert!(matches!(
            check_payment(&unrecorded, &paid("cs_test_any", Some(1), Some("usd"))),
            Err(PaymentMismatch::Amount { .. })
        ));
    }
}
