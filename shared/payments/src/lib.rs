//! Payments for chatdrop: the domain's [`PaymentGateway`](chatdrop_domain::payment::PaymentGateway)
//! on Stripe Checkout, Stripe webhook verification and parsing, and the pay-link QR code.
//!
//! - [`stripe`]: [`StripeGateway`], Stripe's HTTP API over reqwest (rustls on ring), the create
//!   form in [`stripe_form`]; pointed at the local fake Stripe with
//!   `StripeGateway::new(key, Some(base))`.
//! - [`webhook`]: `Stripe-Signature` verification (HMAC-SHA256, constant time, five-minute
//!   tolerance) and the Checkout events chatdrop acts on.
//! - [`qr`]: the pay link as a PNG QR code.

pub mod qr;
pub mod stripe;
pub mod stripe_amounts;
pub mod stripe_form;
pub mod webhook;

pub use qr::{QrError, qr_png};
pub use stripe::StripeGateway;
pub use webhook::{EventKind, SignatureError, StripeEvent};
