//! [`PaymentGateway`] on Stripe Checkout: four calls of Stripe's HTTP API over reqwest.
//!
//! - **Create**: a hosted page in `payment` mode with inline prices (`price_data`: lowercase
//!   currency, amounts in Stripe's units as [`crate::stripe_amounts`] converts and checks them
//!   before anything is sent, the product name and its customization as the description), the
//!   order id as `client_reference_id` and `metadata[order_id]`, the order's payment methods
//!   ([`PaymentOffer`]: the market's, those that settle later only where the reservation may
//!   wait for them; cards when none, and Apple Pay and Google Pay ride on `card`) as
//!   `allowed_payment_method_types[]`, since API version 2026-09-30.endive ([`API_VERSION`],
//!   the one async-stripe 1.0.0-rc.10 sent before this module replaced it) removed `payment_method_types` from create, with the
//!   options each method needs ([`payment_method_options`]: WeChat Pay's `client=web`,
//!   Konbini's `expires_after_days`, Pix's `expires_after_seconds`), shipping address
//!   collection for physical goods, and the idempotency key `checkout-{order id}`, so a
//!   retried checkout replays the first session instead of making a second one. A method
//!   Stripe does not take in the order's currency is refused here, before any request
//!   ([`check_currency`]; `docs/payment-methods.md`).
//! - **Expiry**: Stripe accepts `expires_at` only 30 minutes to 24 hours after creation, and our
//!   reservations are shorter, so the caller expires the session itself when the reservation
//!   lapses; Stripe's own expiry is the safety net. The value sent is a function of the request
//!   only, `request.expires_at` + 30 min + [`EXPIRY_MARGIN_SECS`]: Stripe refuses a key reused
//!   with different parameters, so a value computed from the clock would turn a retried create
//!   (the case idempotency keys exist for) into an error. It satisfies Stripe's minimum for any
//!   creation time up to the reservation's end; creating a page for a reservation that already
//!   lapsed is refused by Stripe, as it should be.
//! - **Expire**: `POST /v1/checkout/sessions/{id}/expire`. Stripe answers 400 for a session that
//!   is not open ("Only Checkout Sessions with a status in ["open"] can be expired. This
//!   Checkout Session has a status of `complete`.", with no error code), so on a 4xx the session
//!   is retrieved and its status decides: `expired` → [`ExpireOutcome::Expired`], `complete` →
//!   [`ExpireOutcome::AlreadyComplete`].
//! - **Refund**: the session's PaymentIntent, refunded in full with the key `refund-{session id}`.
//!
//! Why not async-stripe: it served these four calls, but with them came its generated request
//! and response types (every field of a Checkout Session, a Refund and what they expand to,
//! each with two deserializers) and its own hyper client, in each bootstrap that linked it,
//! against an 8 MB goal (README, "Performance"). The form is written in [`crate::stripe_form`]; an answer is read into the
//! few fields used (`id`, `url`, `expires_at`, `status`, `payment_intent`), and an error into
//! Stripe's `{"error": {"type", "code", "message"}}` (<https://docs.stripe.com/api/errors>).
//! Requests carry the same headers async-stripe sent: `Authorization: Bearer`,
//! `Stripe-Version`, `Idempotency-Key` where given, and the form's `Content-Type`.
//!
//! Errors: 409 (a concurrent request with the same key), 429 and 5xx, transport failures,
//! timeouts and unreadable responses are [`PaymentError::Unavailable`]; any other 4xx is
//! [`PaymentError::Refused`]. Requests are sent once (no hidden retries); the caller retries,
//! and the idempotency keys make that safe.

use crate::stripe_amounts::stripe_line_amounts;
use crate::stripe_form::{CreateSession, LineItem};
use chatdrop_domain::payment::{
    CheckoutRequest, CheckoutSession, ExpireOutcome, PaymentError, PaymentGateway,
};
use chatdrop_domain::payment_method::check_currency;
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

pub use crate::stripe_form::{
    PaymentMethodOptions, allowed_payment_method_types, payment_method_options,
};

/// The API version every request asks for (`Stripe-Version`): the one the request shapes here
/// were checked against (async-stripe 1.0.0-rc.10's pinned version).
pub const API_VERSION: &str = "2026-09-30.endive";
/// Where requests go unless [`StripeGateway::new`] is given another base.
pub const API_BASE: &str = "https://api.stripe.com/";
/// Stripe's minimum lifetime of a Checkout Session.
pub const STRIPE_MIN_EXPIRY_SECS: i64 = 30 * 60;
/// Added to the minimum so clock skew and request latency never push `expires_at` below it.
pub const EXPIRY_MARGIN_SECS: i64 = 60;
/// Per-attempt timeout of a Stripe request; a Lambda must not hang on a stalled connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Stripe's longest idempotency key (<https://docs.stripe.com/api/idempotent_requests>).
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Countries a shipping address may be in, unless [`StripeGateway::with_shipping_countries`]
/// says otherwise: the US and Canada, the UK, the EU and EFTA states where parcel carriers
/// serve everyone, Australia, New Zealand, Japan, Singapore and Hong Kong.
pub const DEFAULT_SHIPPING_COUNTRIES: &[&str] = &[
    "US", "CA", "GB", "IE", "FR", "DE", "ES", "IT", "PT", "NL", "BE", "LU", "AT", "DK", "SE", "FI",
    "PL", "CZ", "NO", "CH", "AU", "NZ", "JP", "SG", "HK",
];

/// The Stripe payment provider.
#[derive(Clone)]
pub struct StripeGateway {
    http: reqwest::Client,
    /// Ends with `/`; requests go to `{api_base}v1/…`.
    api_base: String,
    /// `Bearer sk_…`, marked sensitive so no debug output shows it.
    authorization: HeaderValue,
    shipping_countries: Vec<String>,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("api_base", &self.api_base)
            .field("shipping_countries", &self.shipping_countries)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// A gateway with the secret API key (`sk_…`; surrounding whitespace is ignored). `api_base`
    /// points it elsewhere than `https://api.stripe.com/` (the local fake Stripe, a test
    /// server); requests go to `{api_base}/v1/…`.
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, PaymentError> {
        let invalid =
            |what: String| PaymentError::Refused(format!("invalid Stripe configuration: {what}"));
        let secret_key = secret_key.trim();
        if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
            tracing::warn!("suspiciously formatted Stripe secret key");
        }
        let api_base = match api_base {
            Some(base) if base.ends_with('/') => base.to_owned(),
            Some(base) => format!("{base}/"),
            None => API_BASE.to_owned(),
        };
        reqwest::Url::parse(&api_base)
            .map_err(|e| invalid(format!("the Stripe URL {api_base:?} is invalid: {e}")))?;
        let mut authorization = HeaderValue::try_from(format!("Bearer {secret_key}"))
            .map_err(|_| invalid("the secret key is not a valid header value".into()))?;
        authorization.set_sensitive(true);
        let http = chatdrop_tls::http_client_builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(StripeGateway {
            http,
            api_base,
            authorization,
            shipping_countries: DEFAULT_SHIPPING_COUNTRIES
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        })
    }

    /// Replaces the countries a shipping address may be in (ISO 3166-1 alpha-2 codes).
    pub fn with_shipping_countries<I, S>(mut self, countries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shipping_countries = countries
            .into_iter()
            .map(|c| c.into().to_ascii_uppercase())
            .collect();
        self
    }

    /// The create call for `request`, or [`PaymentError::Refused`] before any call when Stripe
    /// could not take its amounts (see [`crate::stripe_amounts`]).
    fn create_request(&self, request: &CheckoutRequest) -> Result<CreateSession, PaymentError> {
        let unit_amounts = stripe_line_amounts(
            request.currency,
            request.lines.iter().map(|l| (l.unit_amount, l.quantity)),
        )
        .map_err(|e| PaymentError::Refused(e.to_string()))?;
        let line_items = request
            .lines
            .iter()
            .zip(unit_amounts)
            .map(|(line, unit_amount)| LineItem {
                name: line.name.clone(),
                description: line
                    .description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned),
                unit_amount,
                quantity: line.quantity,
            })
            .collect();
        Ok(CreateSession {
            allowed_payment_method_types: allowed_payment_method_types(&request.payment_offer),
            cancel_url: request.cancel_url.clone(),
            client_reference_id: request.order_id.clone(),
            currency: request.currency.code().to_ascii_lowercase(),
            expires_at: stripe_expires_at(request.expires_at),
            line_items,
            order_id: request.order_id.clone(),
            payment_method_options: payment_method_options(&request.payment_offer),
            shipping_countries: request
                .collect_shipping
                .then(|| self.shipping_countries.clone()),
            success_url: request.success_url.clone(),
        })
    }

    /// One request, sent once: `{api_base}v1{path}`, with the form as the body when given.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<T, Failure> {
        let mut request = self
            .http
            .request(method, format!("{}v1{path}", self.api_base))
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header("stripe-version", API_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        if let Some(form) = form {
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form);
        }
        let response = request.send().await.map_err(Failure::transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(Failure::transport)?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(ErrorBody { error }) => Failure::Api(error, status.as_u16()),
                Err(_) => Failure::Unreadable("error deserializing Stripe error".into()),
            });
        }
        serde_json::from_slice(&body).map_err(|e| Failure::Unreadable(e.to_string()))
    }

    async fn session_status(&self, session_id: &str) -> Result<Session, PaymentError> {
        self.call(
            Method::GET,
            &format!("/checkout/sessions/{session_id}"),
            None,
            None,
        )
        .await
        .map_err(map_error)
    }
}

/// The fields of a Checkout Session chatdrop reads
/// (<https://docs.stripe.com/api/checkout/sessions/object>).
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    #[serde(default)]
    url: Option<String>,
    expires_at: i64,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    payment_intent: Option<Expandable>,
}

/// An id, or the object it names when the request expanded it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expandable {
    Id(String),
    Object { id: String },
}

impl Expandable {
    fn into_id(self) -> String {
        match self {
            Expandable::Id(id) | Expandable::Object { id } => id,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ApiError,
}

/// Stripe's error object (<https://docs.stripe.com/api/errors>).
#[derive(Debug, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// Why a call failed, before it is mapped to the port's error.
#[derive(Debug)]
pub enum Failure {
    /// Stripe answered with an error object and this HTTP status.
    Api(ApiError, u16),
    /// An answer that is not what Stripe sends (a proxy's 502 page, a cut-off body).
    Unreadable(String),
    /// No answer: connection refused or reset, DNS, TLS.
    Transport(String),
    /// No answer within [`REQUEST_TIMEOUT`].
    Timeout,
}

impl Failure {
    fn transport(error: reqwest::Error) -> Failure {
        if error.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Transport(error.to_string())
        }
    }
}

/// The `expires_at` sent to Stripe for a reservation ending at `reservation_expires_at`: see the
/// module documentation.
pub fn stripe_expires_at(reservation_expires_at: i64) -> i64 {
    reservation_expires_at + STRIPE_MIN_EXPIRY_SECS + EXPIRY_MARGIN_SECS
}

/// The idempotency key of an order's checkout session.
pub fn checkout_idempotency_key(order_id: &str) -> String {
    format!("checkout-{order_id}")
}

/// The idempotency key of a session's refund.
pub fn refund_idempotency_key(session_id: &str) -> String {
    format!("refund-{session_id}")
}

/// A key Stripe takes: not empty, at most 255 characters.
fn idempotent(key: String) -> Result<String, PaymentError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(PaymentError::Refused(format!(
            "idempotency key: {} characters (1 to {MAX_IDEMPOTENCY_KEY})",
            key.len()
        )));
    }
    Ok(key)
}

/// Whether a Stripe error status is worth retrying.
fn transient(status: u16) -> bool {
    matches!(status, 409 | 429) || status >= 500
}

fn describe(error: &ApiError) -> String {
    let mut text = error.kind.clone();
    if let Some(code) = &error.code {
        text.push_str(&format!(" ({code})"));
    }
    if let Some(message) = &error.message {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}

/// Maps a failed call to the port's error.
pub fn map_error(error: Failure) -> PaymentError {
    match error {
        Failure::Api(api, status) => {
            let text = format!("{status} {}", describe(&api));
            if transient(status) {
                PaymentError::Unavailable(text)
            } else {
                PaymentError::Refused(text)
            }
        }
        // Also what a non-2xx answer without a Stripe error body (a proxy's 502 page) becomes.
        Failure::Unreadable(m) => {
            PaymentError::Unavailable(format!("unreadable Stripe response: {m}"))
        }
        Failure::Transport(m) => PaymentError::Unavailable(m),
        Failure::Timeout => PaymentError::Unavailable("timeout".into()),
    }
}

impl PaymentGateway for StripeGateway {
    async fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentError> {
        // Stripe would refuse it too, but only after a request: refused here, with the reason.
        if let Err(why) = check_currency(request.payment_offer.methods(), request.currency.code()) {
            tracing::error!(order = %request.order_id, reason = %why, "checkout refused before calling Stripe");
            return Err(PaymentError::Refused(why.to_string()));
        }
        let key = idempotent(checkout_idempotency_key(&request.order_id))?;
        let form = self.create_request(request)?.form();
        let session: Session = self
            .call(Method::POST, "/checkout/sessions", Some(form), Some(key))
            .await
            .map_err(map_error)?;
        let url = session.url.ok_or_else(|| {
            PaymentError::Refused(format!("checkout session {} has no URL", session.id))
        })?;
        tracing::info!(session = %session.id, expires_at = session.expires_at, "checkout session created");
        Ok(CheckoutSession {
            id: session.id,
            url,
            expires_at: session.expires_at,
        })
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<ExpireOutcome, PaymentError> {
        let expired = self
            .call::<Session>(
                Method::POST,
                &format!("/checkout/sessions/{session_id}/expire"),
                None,
                None,
            )
            .await;
        match expired {
            Ok(session) => Ok(match session.status.as_deref() {
                Some("complete") => ExpireOutcome::AlreadyComplete,
                _ => ExpireOutcome::Expired,
            }),
            Err(Failure::Api(api, status)) if !transient(status) => {
                // Not open any more, or refused for another reason: the session says which.
                match self.session_status(session_id).await?.status.as_deref() {
                    Some("expired") => Ok(ExpireOutcome::Expired),
                    Some("complete") => Ok(ExpireOutcome::AlreadyComplete),
                    _ => Err(PaymentError::Refused(format!(
                        "{status} {}",
                        describe(&api)
                    ))),
                }
            }
            Err(other) => Err(map_error(other)),
        }
    }

    async fn refund(&self, session_id: &str) -> Result<String, PaymentError> {
        let session = self.session_status(session_id).await?;
        let payment_intent = session
            .payment_intent
            .map(Expandable::into_id)
            .ok_or_else(|| {
                PaymentError::Refused(format!("checkout session {session_id} has no payment"))
            })?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("payment_intent", &payment_intent)
            .finish();
        let key = idempotent(refund_idempotency_key(session_id))?;
        let refund: Refund = self
            .call(Method::POST, "/refunds", Some(form), Some(key))
            .await
            .map_err(map_error)?;
        Ok(refund.id)
    }
}
