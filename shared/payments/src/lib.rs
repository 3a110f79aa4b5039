//! Payments for chatdrop: the domain's [`PaymentGateway`](chatdrop_domain::payment::PaymentGateway)
//! on Stripe Checkout, Stripe webhook verification and parsing, and the pay-link QR code.
//!
//! - [`stripe`]: [`StripeGateway`], on async-stripe (a pinned 1.0 release candidate, rustls on
//!   aws-lc-rs); pointed at the local fake Stripe with `StripeGateway::new(key, Some(base))`.
//! - [`webhook`]: `Stripe-Signature` verification (HMAC-SHA256, constant time, five-minute
//!   tolerance) and the Checkout events chatdrop acts on.
//! - [`qr`]: the pay link as a PNG QR code.

pub mod qr;
pub mod stripe;
pub mod stripe_amounts;
pub mod webhook;

pub use qr::{QrError, qr_png};
pub use stripe::StripeGateway;
pub use webhook::{EventKind, SignatureError, StripeEvent};
