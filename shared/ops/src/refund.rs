//! A refund (`chatdrop orders refund`, the console's `POST /console/api/orders/{id}/refund`):
//! the order's state decides first, Stripe second.
//!
//! Only an order whose money is in is refundable: `paid`, `shipped`, or `paid_needs_attention`
//! (paid after its stock was resold). Everything else is refused before Stripe is asked. The
//! case that matters is `reserved`: the customer may be paying right now, and refunding that
//! payment would leave the order to be marked paid by the completion event a moment later,
//! refunded and shipped both. `expired` and `cancelled` orders took no money, and a `refunded`
//! one has nothing left to give back.
//!
//! After Stripe's refund (idempotent per session, so running the command again is safe), the
//! order moves to `refunded` conditionally on a refundable state.

use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::payment::{PaymentError, PaymentGateway};
use chatdrop_domain::ports::{OrderStore, PortError};
use chatdrop_store::DynamoStore;
use std::future::Future;

/// What the refund needs from the store.
pub trait RefundLedger {
    fn order(&self, id: &str) -> impl Future<Output = Result<Option<Order>, PortError>>;
    /// A refundable state → `refunded`; `Ok(false)` when the order was not in one.
    fn mark_refunded(&self, id: &str) -> impl Future<Output = Result<bool, PortError>>;
}

impl RefundLedger for DynamoStore {
    async fn order(&self, id: &str) -> Result<Option<Order>, PortError> {
        OrderStore::order(self, id).await
    }

    async fn mark_refunded(&self, id: &str) -> Result<bool, PortError> {
        DynamoStore::mark_refunded(self, id).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("no order {0}")]
    NotFound(String),
    #[error("order {number} is {}: {why}; nothing was sent to Stripe", status.as_str())]
    NotRefundable {
        number: String,
        status: OrderStatus,
        why: &'static str,
    },
    #[error("order {0} has no Stripe session")]
    NoSession(String),
    #[error("Stripe refused or failed: {0}")]
    Gateway(#[from] PaymentError),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error("Stripe refund {refund} done, but order {number} is {} and was not marked refunded", status.as_str())]
    NotMarked {
        refund: String,
        number: String,
        status: OrderStatus,
    },
}

/// Why an order in `status` cannot be refunded, or `None` if it can.
pub fn refusal(status: OrderStatus) -> Option<&'static str> {
    match status {
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::PaidNeedsAttention => None,
        OrderStatus::Reserved => Some(
            "its payment may still be in flight; wait until it is paid (then refund) or lapses",
        ),
        OrderStatus::Expired | OrderStatus::Cancelled => Some("it was never paid"),
        OrderStatus::Refunded => Some("it is already refunded"),
    }
}

/// Refunds order `id` in full; returns the order as it was and Stripe's refund id.
pub async fn refund<L: RefundLedger, G: PaymentGateway>(
    ledger: &L,
    gateway: &G,
    id: &str,
) -> Result<(Order, String), RefundError> {
    let order = ledger
        .order(id)
        .await?
        .ok_or_else(|| RefundError::NotFound(id.to_string()))?;
    if let Some(why) = refusal(order.status) {
        return Err(RefundError::NotRefundable {
            number: order.number(),
            status: order.status,
            why,
        });
    }
    let session = order
        .checkout_session
        .clone()
        .ok_or_else(|| RefundError::NoSession(order.number()))?;
    let refund = gateway.refund(&session).await?;
    if !ledger.mark_refunded(id).await? {
        let status = ledger.order(id).await?.map_or(order.status, |o| o.status);
        return Err(RefundError::NotMarked {
            refund,
            number: order.number(),
            status,
        });
    }
    Ok((order, refund))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::money::Currency;
    use chatdrop_domain::payment::{CheckoutRequest, CheckoutSession, ExpireOutcome};
    use std::sync::Mutex;

    struct Ledger(Mutex<Order>);

    impl RefundLedger for Ledger {
        async fn order(&self, id: &str) -> Result<Option<Order>, PortError> {
            let order = self.0.lock().unwrap().clone();
            Ok((order.id == id).then_some(order))
        }

        async fn mark_refunded(&self, id: &str) -> Result<bool, PortError> {
            let mut order = self.0.lock().unwrap();
            if order.id != id || refusal(order.status).is_some() {
                return Ok(false);
            }
            order.status = OrderStatus::Refunded;
            Ok(true)
        }
    }

    /// Stripe, counting refunds.
    #[derive(Default)]
    struct Stripe {
        refunds: Mutex<Vec<String>>,
    }

    impl PaymentGateway for Stripe {
        async fn create_checkout(
            &self,
            _: &CheckoutRequest,
        ) -> Result<CheckoutSession, PaymentError> {
            unreachable!("a refund creates no checkout")
        }

        async fn expire_checkout(&self, _: &str) -> Result<ExpireOutcome, PaymentError> {
            unreachable!("a refund expires no checkout")
        }

        async fn refund(&self, session_id: &str) -> Result<String, PaymentError> {
            self.refunds.lock().unwrap().push(session_id.to_string());
            Ok(format!("re_for_{session_id}"))
        }
    }

    fn order(status: OrderStatus) -> Order {
        Order {
            id: "ord7f3a9c".into(),
            conversation: ConversationId::new(Channel::Telegram, "7000000301"),
            lang: Lang::EN,
            customer: "conv:x".into(),
            lines: Vec::new(),
            currency: Currency::USD,
            total: 12_000,
            status,
            created_at: 1_767_225_600,
            expires_at: 1_767_226_200,
            pay_token: "t".into(),
            stock: Vec::new(),
            limits: Vec::new(),
            checkout_session: Some("cs_test_1".into()),
            checkout_url: Some("https://checkout.example/cs_test_1".into()),
            tracking: None,
            attention: Vec::new(),
            payment_offer: Default::default(),
            market_zone: None,
            opened_at: None,
        }
    }

    #[tokio::test]
    async fn a_reserved_order_is_refused_before_stripe_is_asked() {
        let ledger = Ledger(Mutex::new(order(OrderStatus::Reserved)));
        let stripe = Stripe::default();
        let err = refund(&ledger, &stripe, "ord7f3a9c").await.unwrap_err();
        assert!(
            matches!(
                err,
                RefundError::NotRefundable {
                    status: OrderStatus::Reserved,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "order ORD7F3A9 is reserved: its payment may still be in flight; wait until it is paid (then refund) or lapses; nothing was sent to Stripe"
        );
        assert!(
            stripe.refunds.lock().unwrap().is_empty(),
            "Stripe untouched"
        );
        assert_eq!(ledger.0.lock().unwrap().status, OrderStatus::Reserved);
    }

    #[tokio::test]
    async fn only_orders_with_money_in_reach_stripe() {
        for status in [
            OrderStatus::Expired,
            OrderStatus::Cancelled,
            OrderStatus::Refunded,
        ] {
            let ledger = Ledger(Mutex::new(order(status)));
            let stripe = Stripe::default();
            let err = refund(&ledger, &stripe, "ord7f3a9c").await.unwrap_err();
            assert!(
                matches!(err, RefundError::NotRefundable { .. }),
                "{status:?}: {err}"
            );
            assert!(stripe.refunds.lock().unwrap().is_empty(), "{status:?}");
        }
        for status in [
            OrderStatus::Paid,
            OrderStatus::Shipped,
            OrderStatus::PaidNeedsAttention,
        ] {
            let ledger = Ledger(Mutex::new(order(status)));
            let stripe = Stripe::default();
            let (before, refund_id) = refund(&ledger, &stripe, "ord7f3a9c").await.unwrap();
            assert_eq!(before.status, status);
            assert_eq!(refund_id, "re_for_cs_test_1");
            assert_eq!(*stripe.refunds.lock().unwrap(), ["cs_test_1"]);
            assert_eq!(ledger.0.lock().unwrap().status, OrderStatus::Refunded);
        }
        let ledger = Ledger(Mutex::new(order(OrderStatus::Paid)));
        assert!(matches!(
            refund(&ledger, &Stripe::default(), "nope").await,
            Err(RefundError::NotFound(_))
        ));
    }
}
