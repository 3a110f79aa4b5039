//! A fake Stripe for the local stack and the tests: the Checkout Session calls chatdrop makes,
//! answered with Stripe-shaped JSON, and the webhook events Stripe would send, signed with the
//! real `Stripe-Signature` scheme.
//!
//! Point `chatdrop_payments::StripeGateway::new(key, Some(base))` at the base URL [`spawn`]
//! returns. It serves:
//!
//! | route | does |
//! |---|---|
//! | `POST /v1/checkout/sessions` | validates the form (below), stores a session `cs_test_…` (status `open`, `payment_status` `unpaid`, `amount_total` from the line items, `url` `{base}/pay/{id}`) |
//! | `GET /v1/checkout/sessions/{id}` | the session |
//! | `POST /v1/checkout/sessions/{id}/expire` | `open` → `expired` and a `checkout.session.expired` event; otherwise Stripe's 400 |
//! | `POST /v1/refunds` | a full refund of a paid session's `payment_intent` |
//! | `GET /pay/{id}`, `POST /pay/{id}` | a payment page the demo can open: a button per allowed method; one that pays at once redirects to `success_url`, one that settles later (Konbini, Pix) completes `unpaid` and shows a voucher page |
//! | `POST /pay/{id}/settle` (`outcome=succeeded` or `failed`) | the voucher page's buttons: the async event Stripe would send days later |
//! | `POST /_local/stripe/sessions/{id}/pay` | `open` → `complete`/`paid`, sends `checkout.session.completed` |
//! | `POST /_local/stripe/sessions/{id}/pay?delayed=true` | `open` → `complete`/`unpaid` (a delayed method), sends `checkout.session.completed` |
//! | `POST /_local/stripe/sessions/{id}/pay?method=konbini` | pays with that allowed method: `paid`, or `unpaid` for one that settles later |
//! | `POST /_local/stripe/sessions/{id}/async_payment_succeeded` / `…_failed` | settles a delayed payment, sends the matching event |
//! | `POST /_local/stripe/sessions/{id}/expire` | as the API's expire |
//! | `POST /_local/stripe/sessions/{id}/forget` | drops the session: every API call about it answers 404 from now on, as for a session made with another key or deleted |
//! | `POST /_local/stripe/events/{event_id}/resend` | delivers a sent event again, as Stripe does on a retry |
//! | `GET /_local/stripe/sessions` | every session with the create request's form fields and idempotency key |
//! | `GET /_local/stripe/events` | every event with its deliveries' HTTP statuses |
//!
//! The `/v1` routes want `Authorization: Bearer sk_…` (or `rk_…`, or HTTP basic) and answer
//! errors in Stripe's shape (`{"error":{"type","code","message","param"}}`, 400/401/404). A
//! POST with an `Idempotency-Key` is answered once: the same key with the same method, path and
//! body replays the first (successful) answer with `Idempotent-Replayed: true`, the same key
//! with other parameters gets Stripe's 400 `idempotency_error`.
//!
//! Create accepts what chatdrop sends: `mode=payment`, `line_items[i][price_data]` with
//! `currency`, `unit_amount` and `product_data[name|description]`, `line_items[i][quantity]`,
//! `client_reference_id`, `metadata[…]`, `expires_at` (30 minutes to 24 hours from now, as
//! Stripe requires; 24 hours when absent), `success_url`, `cancel_url`,
//! `allowed_payment_method_types[…]` with `payment_method_options[…][…]` (checked as Stripe
//! checks them: `crate::fake_stripe_methods`), `shipping_address_collection[allowed_countries][…]`;
//! other fields are stored and echoed in the recorded request but have no effect.
//!
//! Events are posted to the webhook URL with `Stripe-Signature: t=…,v1=…` over the exact body
//! (signed at each delivery, as Stripe does). The control routes and the payment page deliver
//! before they answer and return the delivery's status, so a test knows the webhook ran; an
//! expiry through the API, and Stripe's own expiry of a session whose `expires_at` passed
//! (checked every second), deliver in the background, as Stripe does.
//!
//! Not implemented, on purpose: modes other than `payment`, Price and Product objects (`price`
//! ids), customers, discounts, taxes and shipping rates (`amount_total` is Σ unit × quantity),
//! collected shipping or customer details (`null` in the session), partial refunds and refund
//! events (`charge.refunded`, `refund.*`), PaymentIntent and Charge objects (`pi_test_…`/
//! `ch_test_…` are bare ids), list and search endpoints, `expand[]`, automatic webhook retries
//! (a failed delivery is recorded; resend it by hand), API versioning (one shape, the
//! `api_version` below), live mode, rate limits, and concurrent-request 409s (requests are
//! serialized). Idempotent results are kept for the process's life, only for successes.
//!
//! # Where things are
//!
//! - `server`: [`spawn`], the routes above, and the [`FakeStripe`] handle.
//! - `state`: the sessions and events the fake holds (the records a test reads).
//! - `protocol`: Stripe's HTTP conventions: form bodies, errors, API keys, idempotency.
//! - `sessions`: the session's JSON; create (validated as Stripe does), retrieve, expire.
//! - `transitions`: state changes that send an event: expire, pay, settle, Stripe's own expiry.
//! - `webhooks`: recording an event and delivering it, signed at each delivery.
//! - `refunds`: `POST /v1/refunds`.
//! - `control`: the `/_local/stripe` routes.
//! - `page`: the payment page and the voucher page.
//!
//! Payment methods and their options live beside this module, in `crate::fake_stripe_methods`.

mod control;
mod page;
mod protocol;
mod refunds;
mod server;
mod sessions;
mod state;
mod transitions;
mod webhooks;

pub use server::{FakeStripe, spawn};
pub use state::{Delivery, Emitted, FakeEvent, FakeLineItem, FakeSession};

/// The API version the fake's objects follow (async-stripe 1.0.0-rc.10's pinned version).
pub const API_VERSION: &str = "2026-09-30.endive";

#[cfg(test)]
mod tests;
