//! Paying in the chat: the payment provider behind a port.
//!
//! The domain asks for a hosted checkout page for an order and gets back its id and URL; it can
//! expire that page early (our reservations are shorter than Stripe's 30-minute minimum) and
//! refund a payment. `chatdrop-payments` implements this on Stripe with async-stripe; the local
//! stack points it at a fake Stripe.

use crate::money::Currency;
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
