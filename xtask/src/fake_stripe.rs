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

use crate::Error;
use crate::fake_stripe_methods::{self as methods, MethodOptions};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chatdrop_domain::clock::{Clock, SystemClock};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The API version the fake's objects follow (async-stripe 1.0.0-rc.10's pinned version).
pub const API_VERSION: &str = "2026-09-30.endive";

/// How long a webhook delivery may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A Checkout Session the fake holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FakeSession {
    pub id: String,
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// `unpaid` or `paid`.
    pub payment_status: String,
    /// The payment page; Stripe's JSON shows it only while the session is open.
    pub url: String,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Lowercase ISO code, as Stripe writes it.
    pub currency: String,
    pub amount_total: i64,
    pub line_items: Vec<FakeLineItem>,
    pub created: i64,
    pub expires_at: i64,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub allowed_payment_method_types: Vec<String>,
    /// `payment_method_options`, per method, as sent.
    #[serde(default)]
    pub payment_method_options: MethodOptions,
    /// The method the customer paid (or chose to pay later) with.
    #[serde(default)]
    pub paid_with: Option<String>,
    /// `None` when no shipping address is collected.
    pub shipping_countries: Option<Vec<String>>,
    pub payment_intent: Option<String>,
    pub refund: Option<String>,
    /// The create request's form fields, as sent.
    pub request: BTreeMap<String, String>,
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FakeLineItem {
    pub name: String,
    pub description: Option<String>,
    pub unit_amount: i64,
    pub quantity: i64,
}

/// An event the fake sent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FakeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub session_id: String,
    pub created: i64,
    pub deliveries: Vec<Delivery>,
}

/// One attempt to deliver an event to the webhook URL.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    /// The webhook's HTTP status; `None` when no answer came (connection refused, timeout).
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Delivery {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What a control route answers: the event it sent and how its delivery went.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Emitted {
    pub event_id: String,
    pub delivery: Delivery,
}

struct StoredEvent {
    meta: FakeEvent,
    body: String,
}

struct Replay {
    fingerprint: String,
    status: StatusCode,
    body: Value,
}

#[derive(Default)]
struct Records {
    sessions: Vec<FakeSession>,
    events: Vec<StoredEvent>,
    replays: HashMap<String, Replay>,
    counter: u64,
}

impl Records {
    fn new_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        let noise = std::collections::hash_map::RandomState::new().hash_one(self.counter);
        format!("{prefix}_test_{noise:016x}{:04}", self.counter)
    }

    fn session_mut(&mut self, id: &str) -> Option<&mut FakeSession> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }
}

#[derive(Clone)]
struct Fake {
    records: Arc<Mutex<Records>>,
    base: String,
    webhook_url: String,
    webhook_secret: String,
    http: reqwest::Client,
}

/// A handle on a running fake Stripe, with helpers that call its control routes.
#[derive(Clone, Debug)]
pub struct FakeStripe {
    base: String,
    http: reqwest::Client,
    server: tokio::task::AbortHandle,
}

/// Serves a fake Stripe on `addr` that sends its events to `webhook_url`, signed with
/// `webhook_secret`. Returns the base URL for `StripeGateway::new` and a handle; the server
/// runs until the runtime ends or [`FakeStripe::abort`].
pub async fn spawn(
    addr: &str,
    webhook_url: String,
    webhook_secret: String,
) -> Result<(String, FakeStripe), Error> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let http = crate::local_http::builder()
        .timeout(DELIVERY_TIMEOUT)
        .build()?;
    let fake = Fake {
        records: Arc::default(),
        base: base.clone(),
        webhook_url,
        webhook_secret,
        http: http.clone(),
    };
    let app = router(fake.clone());
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = expire_lapsed_sessions(fake) => {}
        }
    });
    let handle = FakeStripe {
        base: base.clone(),
        http,
        server: task.abort_handle(),
    };
    Ok((base, handle))
}

fn router(fake: Fake) -> Router {
    Router::new()
        .route("/v1/checkout/sessions", post(api_create))
        .route("/v1/checkout/sessions/{id}", get(api_retrieve))
        .route("/v1/checkout/sessions/{id}/expire", post(api_expire))
        .route("/v1/refunds", post(api_refund))
        .route("/pay/{id}", get(page).post(page_pay))
        .route("/pay/{id}/settle", post(page_settle))
        .route("/_local/stripe/sessions", get(list_sessions))
        .route("/_local/stripe/sessions/{id}/pay", post(control_pay))
        .route("/_local/stripe/sessions/{id}/expire", post(control_expire))
        .route(
            "/_local/stripe/sessions/{id}/async_payment_succeeded",
            post(control_async_succeeded),
        )
        .route(
            "/_local/stripe/sessions/{id}/async_payment_failed",
            post(control_async_failed),
        )
        .route("/_local/stripe/sessions/{id}/forget", post(control_forget))
        .route("/_local/stripe/events", get(list_events))
        .route("/_local/stripe/events/{id}/resend", post(control_resend))
        .with_state(fake)
}

impl FakeStripe {
    /// The base URL, as `StripeGateway::new` takes it.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Stops the server.
    pub fn abort(&self) {
        self.server.abort();
    }

    async fn control<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<T, Error> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("fake Stripe {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Pays an open session (a card payment): it becomes `complete`/`paid` and
    /// `checkout.session.completed` is delivered before this returns.
    pub async fn pay(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay");
        self.control(Method::POST, &path).await
    }

    /// Completes an open session with a delayed method: `complete`/`unpaid`, and a
    /// `checkout.session.completed` whose payment is still pending.
    pub async fn pay_delayed(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay?delayed=true");
        self.control(Method::POST, &path).await
    }

    /// Pays an open session with `method` (a Stripe name among its allowed types): `paid`, or
    /// `unpaid` with the payment pending for a method that settles later (Konbini, Pix).
    pub async fn pay_with(&self, session_id: &str, method: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay?method={method}");
        self.control(Method::POST, &path).await
    }

    /// Settles a delayed payment: `checkout.session.async_payment_succeeded`.
    pub async fn async_payment_succeeded(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/async_payment_succeeded");
        self.control(Method::POST, &path).await
    }

    /// Fails a delayed payment: `checkout.session.async_payment_failed`.
    pub async fn async_payment_failed(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/async_payment_failed");
        self.control(Method::POST, &path).await
    }

    /// Expires an open session; `checkout.session.expired` is delivered before this returns.
    pub async fn expire(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/expire");
        self.control(Method::POST, &path).await
    }

    /// Delivers a sent event again (same id and body, a fresh signature).
    pub async fn resend(&self, event_id: &str) -> Result<Delivery, Error> {
        let path = format!("/_local/stripe/events/{event_id}/resend");
        self.control(Method::POST, &path).await
    }

    /// Forgets a session: the API answers 404 about it from now on (a session created with
    /// another key, or deleted).
    pub async fn forget(&self, session_id: &str) -> Result<(), Error> {
        self.http
            .post(format!(
                "{}/_local/stripe/sessions/{session_id}/forget",
                self.base
            ))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    pub async fn sessions(&self) -> Result<Vec<FakeSession>, Error> {
        self.control(Method::GET, "/_local/stripe/sessions").await
    }

    pub async fn events(&self) -> Result<Vec<FakeEvent>, Error> {
        self.control(Method::GET, "/_local/stripe/events").await
    }
}

/// Parses an `application/x-www-form-urlencoded` body into its pairs, in order.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    fn decode(part: &[u8]) -> String {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < part.len() => {
                    match std::str::from_utf8(&part[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(byte) => {
                            out.push(byte);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let key = decode(parts.next().unwrap_or_default());
            let value = decode(parts.next().unwrap_or_default());
            (key, value)
        })
        .collect()
}

/// An error answer in Stripe's shape.
struct Failure {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

fn stripe_error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Failure {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = json!(code);
        error["doc_url"] = json!(format!("https://docs.stripe.com/error-codes/{code}"));
    }
    Failure {
        status,
        body: json!({ "error": error }),
    }
}

fn invalid(message: &str) -> Failure {
    stripe_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        message,
    )
}

fn no_such(kind: &str, id: &str) -> Failure {
    stripe_error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {kind}: '{id}'"),
    )
}

fn authorized(headers: &HeaderMap) -> Result<(), Failure> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let ok = auth
        .strip_prefix("Bearer ")
        .is_some_and(|key| key.starts_with("sk_") || key.starts_with("rk_"))
        || auth.starts_with("Basic ");
    if ok {
        Ok(())
    } else {
        Err(stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ))
    }
}

/// Runs a POST under Stripe's idempotency rules.
fn idempotent(
    fake: &Fake,
    headers: &HeaderMap,
    fingerprint: String,
    run: impl FnOnce(&mut Records, Option<&str>) -> Result<(StatusCode, Value), Failure>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut records = fake.records.lock().expect("records lock");
    if let Some(key) = &key
        && let Some(replay) = records.replays.get(key)
    {
        if replay.fingerprint != fingerprint {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                None,
                &format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                ),
            )
            .into_response();
        }
        let mut response = (replay.status, Json(replay.body.clone())).into_response();
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        return response;
    }
    match run(&mut records, key.as_deref()) {
        Ok((status, body)) => {
            if let Some(key) = key {
                records.replays.insert(
                    key,
                    Replay {
                        fingerprint,
                        status,
                        body: body.clone(),
                    },
                );
            }
            (status, Json(body)).into_response()
        }
        Err(failure) => failure.into_response(),
    }
}

/// The session as Stripe's API shows it.
fn session_json(s: &FakeSession) -> Value {
    let mut v = json!({
        "id": s.id,
        "object": "checkout.session",
        "adaptive_pricing": null,
        "after_expiration": null,
        "allow_promotion_codes": null,
        "allowed_payment_method_types": s.allowed_payment_method_types,
        "amount_subtotal": s.amount_total,
        "amount_total": s.amount_total,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": s.cancel_url,
        "client_reference_id": s.client_reference_id,
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": s.created,
        "currency": s.currency,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": null,
        "customer_creation": "if_required",
        "customer_details": null,
        "customer_email": null,
        "discounts": [],
    });
    // Two literals: one would exceed `json!`'s macro recursion limit.
    let rest = json!({
        "expires_at": s.expires_at,
        "invoice": null,
        "livemode": false,
        "locale": null,
        "metadata": s.metadata,
        "mode": "payment",
        "payment_intent": s.payment_intent,
        "payment_link": null,
        "payment_method_collection": "if_required",
        "payment_method_options": methods::options_json(&s.payment_method_options),
        "payment_method_types": s.allowed_payment_method_types,
        "payment_status": s.payment_status,
        "recovered_from": null,
        "setup_intent": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": s.status,
        "submit_type": null,
        "subscription": null,
        "success_url": s.success_url,
        // The current API's name for a Stripe-hosted page; `hosted` was its name before
        // 2026-09-30.endive, and async-stripe logs it as an unknown value on every read.
        "ui_mode": "hosted_page",
        "url": null
    });
    if let (Some(map), Value::Object(rest)) = (v.as_object_mut(), rest) {
        map.extend(rest);
    }
    v["shipping_address_collection"] = match &s.shipping_countries {
        Some(countries) => json!({ "allowed_countries": countries }),
        None => Value::Null,
    };
    v["total_details"] = json!({ "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 });
    if s.status == "open" {
        v["url"] = json!(s.url);
    }
    v
}

fn validate_create(form: &[(String, String)]) -> Result<Parsed, String> {
    let get = |key: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    match get("mode").as_deref() {
        Some("payment") => {}
        Some(other) => {
            return Err(format!(
                "The fake Stripe implements mode=payment only, not `{other}`."
            ));
        }
        None => return Err("Missing required param: mode.".into()),
    }
    if form
        .iter()
        .any(|(k, _)| k.starts_with("payment_method_types"))
    {
        // Removed from Checkout Session create in API version 2026-09-30.endive.
        return Err(
            "Received unknown parameter: payment_method_types. Use allowed_payment_method_types."
                .into(),
        );
    }
    let mut line_items = Vec::new();
    let mut currency: Option<String> = None;
    for i in 0.. {
        let prefix = format!("line_items[{i}]");
        if !form.iter().any(|(k, _)| k.starts_with(&prefix)) {
            break;
        }
        let field = |name: &str| get(&format!("{prefix}{name}"));
        if field("[price]").is_some() {
            return Err(format!(
                "The fake Stripe does not implement Price objects: use {prefix}[price_data]."
            ));
        }
        let line_currency = field("[price_data][currency]")
            .ok_or_else(|| format!("Missing required param: {prefix}[price_data][currency]."))?;
        if line_currency.len() != 3 || line_currency != line_currency.to_ascii_lowercase() {
            return Err(format!("Invalid currency: {line_currency}."));
        }
        match &currency {
            Some(c) if *c != line_currency => {
                return Err("All line items must use the same currency.".into());
            }
            _ => currency = Some(line_currency),
        }
        let unit_amount = field("[price_data][unit_amount]")
            .ok_or_else(|| format!("Missing required param: {prefix}[price_data][unit_amount]."))?;
        let unit_amount: i64 = unit_amount
            .parse()
            .ok()
            .filter(|a| *a >= 0)
            .ok_or_else(|| format!("Invalid non-negative integer: {unit_amount}"))?;
        let name = field("[price_data][product_data][name]")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                format!("Missing required param: {prefix}[price_data][product_data][name].")
            })?;
        let quantity = field("[quantity]")
            .ok_or_else(|| format!("Missing required param: {prefix}[quantity]."))?;
        let quantity: i64 = quantity
            .parse()
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| format!("Invalid positive integer: {quantity}"))?;
        line_items.push(FakeLineItem {
            name,
            description: field("[price_data][product_data][description]"),
            unit_amount,
            quantity,
        });
    }
    if line_items.is_empty() {
        return Err("You must provide at least one line item.".into());
    }
    let created = SystemClock.now();
    let expires_at = match get("expires_at") {
        None => created + 24 * 3600,
        Some(raw) => {
            let at: i64 = raw.parse().map_err(|_| format!("Invalid integer: {raw}"))?;
            if at < created + 30 * 60 {
                return Err("The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.".into());
            }
            if at > created + 24 * 3600 {
                return Err("The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.".into());
            }
            at
        }
    };
    let client_reference_id = get("client_reference_id");
    if client_reference_id.as_ref().is_some_and(|c| c.len() > 200) {
        return Err("Invalid client_reference_id: must be at most 200 characters.".into());
    }
    let mut metadata = BTreeMap::new();
    for (k, v) in form {
        if let Some(key) = k
            .strip_prefix("metadata[")
            .and_then(|k| k.strip_suffix(']'))
        {
            if key.len() > 40 || v.len() > 500 {
                return Err(format!(
                    "Invalid metadata[{key}]: keys are at most 40 characters and values at most 500."
                ));
            }
            metadata.insert(key.to_owned(), v.clone());
        }
    }
    let list = |prefix: &str| {
        form.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let allowed = list("allowed_payment_method_types[");
    let allowed = if allowed.is_empty() {
        vec!["card".into()]
    } else {
        allowed
    };
    let payment_method_options = methods::parse_options(form);
    methods::check(
        &allowed,
        &payment_method_options,
        currency.as_deref().unwrap_or_default(),
    )?;
    let countries = list("shipping_address_collection[allowed_countries][");
    let amount_total = line_items.iter().map(|l| l.unit_amount * l.quantity).sum();
    Ok(Parsed {
        currency: currency.unwrap_or_default(),
        amount_total,
        line_items,
        created,
        expires_at,
        client_reference_id,
        metadata,
        success_url: get("success_url"),
        cancel_url: get("cancel_url"),
        allowed_payment_method_types: allowed,
        payment_method_options,
        shipping_countries: (!countries.is_empty()).then_some(countries),
    })
}

struct Parsed {
    currency: String,
    amount_total: i64,
    line_items: Vec<FakeLineItem>,
    created: i64,
    expires_at: i64,
    client_reference_id: Option<String>,
    metadata: BTreeMap<String, String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    allowed_payment_method_types: Vec<String>,
    payment_method_options: MethodOptions,
    shipping_countries: Option<Vec<String>>,
}

async fn api_create(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(failure) = authorized(&headers) {
        return failure.into_response();
    }
    let form = parse_form(&body);
    let fingerprint = format!(
        "POST /v1/checkout/sessions {}",
        String::from_utf8_lossy(&body)
    );
    idempotent(&fake, &headers, fingerprint, |records, key| {
        let parsed = validate_create(&form).map_err(|m| invalid(&m))?;
        let id = records.new_id("cs");
        let session = FakeSession {
            url: format!("{}/pay/{id}", fake.base),
            id,
            status: "open".into(),
            payment_status: "unpaid".into(),
            client_reference_id: parsed.client_reference_id,
            metadata: parsed.metadata,
            currency: parsed.currency,
            amount_total: parsed.amount_total,
            line_items: parsed.line_items,
            created: parsed.created,
            expires_at: parsed.expires_at,
            success_url: parsed.success_url,
            cancel_url: parsed.cancel_url,
            allowed_payment_method_types: parsed.allowed_payment_method_types,
            payment_method_options: parsed.payment_method_options,
            paid_with: None,
            shipping_countries: parsed.shipping_countries,
            payment_intent: None,
            refund: None,
            request: form.iter().cloned().collect(),
            idempotency_key: key.map(str::to_owned),
        };
        let json = session_json(&session);
        records.sessions.push(session);
        Ok((StatusCode::OK, json))
    })
}

async fn api_retrieve(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorized(&headers) {
        return failure.into_response();
    }
    let records = fake.records.lock().expect("records lock");
    match records.sessions.iter().find(|s| s.id == id) {
        Some(s) => Json(session_json(s)).into_response(),
        None => no_such("checkout.session", &id).into_response(),
    }
}

/// What a state change produced: the new session JSON and the event to deliver, or Stripe's
/// refusal.
type Transition = Result<(Value, PendingEvent), Failure>;

struct PendingEvent {
    id: String,
    body: String,
}

/// Records an event for `session` (the data snapshot is the session now).
fn record_event(records: &mut Records, event_type: &str, session: &FakeSession) -> PendingEvent {
    let id = records.new_id("evt");
    let created = SystemClock.now();
    let body = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": { "object": session_json(session) },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type
    })
    .to_string();
    records.events.push(StoredEvent {
        meta: FakeEvent {
            id: id.clone(),
            event_type: event_type.into(),
            session_id: session.id.clone(),
            created,
            deliveries: Vec::new(),
        },
        body: body.clone(),
    });
    PendingEvent { id, body }
}

fn not_open(status: &str) -> Failure {
    invalid(&format!(
        "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `{status}`."
    ))
}

fn expire_session(fake: &Fake, id: &str) -> Transition {
    let mut records = fake.records.lock().expect("records lock");
    let session = records
        .session_mut(id)
        .ok_or_else(|| no_such("checkout.session", id))?;
    if session.status != "open" {
        return Err(not_open(&session.status));
    }
    session.status = "expired".into();
    let session = session.clone();
    let event = record_event(&mut records, "checkout.session.expired", &session);
    Ok((session_json(&session), event))
}

/// `open` → `complete` with `method` (card when `None`); `delayed`, or a method that settles
/// later, leaves the payment pending.
fn complete_session(fake: &Fake, id: &str, method: Option<&str>, delayed: bool) -> Transition {
    let mut records = fake.records.lock().expect("records lock");
    let payment_intent = records.new_id("pi");
    let session = records
        .session_mut(id)
        .ok_or_else(|| no_such("checkout.session", id))?;
    if session.status == "open" && session.expires_at <= SystemClock.now() {
        // Stripe would have expired it already; do it now, and refuse the payment.
        session.status = "expired".into();
        let session = session.clone();
        let event = record_event(&mut records, "checkout.session.expired", &session);
        let fake = fake.clone();
        tokio::spawn(async move { deliver(&fake, event).await });
        return Err(invalid("This Checkout Session is expired."));
    }
    if session.status != "open" {
        return Err(invalid(&format!(
            "This Checkout Session is no longer open (status `{}`).",
            session.status
        )));
    }
    let method = method.unwrap_or("card");
    if !session
        .allowed_payment_method_types
        .iter()
        .any(|m| m == method)
    {
        return Err(invalid(&format!(
            "The payment method type `{method}` is not allowed on this Checkout Session."
        )));
    }
    let delayed = delayed || methods::settles_later(method);
    session.paid_with = Some(method.to_owned());
    session.status = "complete".into();
    session.payment_status = if delayed { "unpaid" } else { "paid" }.into();
    session.payment_intent = Some(payment_intent);
    let session = session.clone();
    let event = record_event(&mut records, "checkout.session.completed", &session);
    Ok((session_json(&session), event))
}

fn settle_session(fake: &Fake, id: &str, succeeded: bool) -> Transition {
    let mut records = fake.records.lock().expect("records lock");
    let session = records
        .session_mut(id)
        .ok_or_else(|| no_such("checkout.session", id))?;
    if session.status != "complete" || session.payment_status != "unpaid" {
        return Err(invalid(&format!(
            "No delayed payment is pending on this Checkout Session (status `{}`, payment_status `{}`).",
            session.status, session.payment_status
        )));
    }
    let event_type = if succeeded {
        session.payment_status = "paid".into();
        "checkout.session.async_payment_succeeded"
    } else {
        "checkout.session.async_payment_failed"
    };
    let session = session.clone();
    let event = record_event(&mut records, event_type, &session);
    Ok((session_json(&session), event))
}

/// Posts an event to the webhook URL, signed now, and records how it went.
async fn deliver(fake: &Fake, event: PendingEvent) -> Delivery {
    let signature = chatdrop_payments::webhook::sign(
        event.body.as_bytes(),
        &fake.webhook_secret,
        SystemClock.now(),
    );
    let result = fake
        .http
        .post(&fake.webhook_url)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "user-agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .header(chatdrop_payments::webhook::SIGNATURE_HEADER, signature)
        .body(event.body)
        .send()
        .await;
    let delivery = match result {
        Ok(response) => Delivery {
            status: Some(response.status().as_u16()),
            error: None,
        },
        Err(e) => Delivery {
            status: None,
            error: Some(e.to_string()),
        },
    };
    if !delivery.succeeded() {
        tracing::warn!(event = %event.id, ?delivery, "fake Stripe: webhook delivery failed");
    }
    let mut records = fake.records.lock().expect("records lock");
    if let Some(stored) = records.events.iter_mut().find(|e| e.meta.id == event.id) {
        stored.meta.deliveries.push(delivery.clone());
    }
    delivery
}

async fn api_expire(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(failure) = authorized(&headers) {
        return failure.into_response();
    }
    let fingerprint = format!(
        "POST /v1/checkout/sessions/{id}/expire {}",
        String::from_utf8_lossy(&body)
    );
    let mut pending = None;
    let response = idempotent(&fake, &headers, fingerprint, |records, _| {
        let session = records
            .session_mut(&id)
            .ok_or_else(|| no_such("checkout.session", &id))?;
        if session.status != "open" {
            return Err(not_open(&session.status));
        }
        session.status = "expired".into();
        let session = session.clone();
        pending = Some(record_event(records, "checkout.session.expired", &session));
        Ok((StatusCode::OK, session_json(&session)))
    });
    if let Some(event) = pending {
        // Stripe sends events after it answers.
        let fake = fake.clone();
        tokio::spawn(async move { deliver(&fake, event).await });
    }
    response
}

async fn api_refund(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(failure) = authorized(&headers) {
        return failure.into_response();
    }
    let form = parse_form(&body);
    let get = |key: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let fingerprint = format!("POST /v1/refunds {}", String::from_utf8_lossy(&body));
    idempotent(&fake, &headers, fingerprint, |records, _| {
        if get("charge").is_some() {
            return Err(invalid(
                "The fake Stripe refunds by payment_intent only, not by charge.",
            ));
        }
        let payment_intent = get("payment_intent")
            .ok_or_else(|| invalid("Missing required param: payment_intent."))?;
        let refund_id = records.new_id("re");
        let charge = records.new_id("ch");
        let session = records
            .sessions
            .iter_mut()
            .find(|s| s.payment_intent.as_deref() == Some(payment_intent.as_str()))
            .ok_or_else(|| no_such("payment_intent", &payment_intent))?;
        if session.payment_status != "paid" {
            return Err(invalid(&format!(
                "PaymentIntent {payment_intent} has no successful charge to refund."
            )));
        }
        if session.refund.is_some() {
            return Err(stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("charge_already_refunded"),
                &format!("Charge for PaymentIntent {payment_intent} has already been refunded."),
            ));
        }
        if let Some(amount) = get("amount")
            && amount.parse::<i64>().ok() != Some(session.amount_total)
        {
            return Err(invalid("The fake Stripe refunds in full only."));
        }
        session.refund = Some(refund_id.clone());
        Ok((
            StatusCode::OK,
            json!({
                "id": refund_id,
                "object": "refund",
                "amount": session.amount_total,
                "balance_transaction": null,
                "charge": charge,
                "created": SystemClock.now(),
                "currency": session.currency,
                "destination_details": null,
                "metadata": {},
                "payment_intent": payment_intent,
                "reason": get("reason"),
                "receipt_number": null,
                "source_transfer_reversal": null,
                "status": "succeeded",
                "transfer_reversal": null
            }),
        ))
    })
}

/// Delivers a transition's event before answering, with the delivery in the answer.
async fn emit_now(fake: &Fake, transition: Transition) -> Response {
    match transition {
        Ok((_, event)) => {
            let event_id = event.id.clone();
            let delivery = deliver(fake, event).await;
            Json(Emitted { event_id, delivery }).into_response()
        }
        Err(failure) => failure.into_response(),
    }
}

#[derive(Deserialize)]
struct PayQuery {
    #[serde(default)]
    delayed: bool,
    /// The method to pay with (card when absent).
    #[serde(default)]
    method: Option<String>,
}

async fn control_pay(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    Query(query): Query<PayQuery>,
) -> Response {
    let transition = complete_session(&fake, &id, query.method.as_deref(), query.delayed);
    emit_now(&fake, transition).await
}

async fn control_expire(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let transition = expire_session(&fake, &id);
    emit_now(&fake, transition).await
}

async fn control_forget(State(fake): State<Fake>, Path(id): Path<String>) -> StatusCode {
    let mut records = fake.records.lock().expect("records lock");
    let before = records.sessions.len();
    records.sessions.retain(|s| s.id != id);
    if records.sessions.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn control_async_succeeded(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let transition = settle_session(&fake, &id, true);
    emit_now(&fake, transition).await
}

async fn control_async_failed(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let transition = settle_session(&fake, &id, false);
    emit_now(&fake, transition).await
}

async fn control_resend(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let pending = {
        let records = fake.records.lock().expect("records lock");
        records
            .events
            .iter()
            .find(|e| e.meta.id == id)
            .map(|e| PendingEvent {
                id: e.meta.id.clone(),
                body: e.body.clone(),
            })
    };
    match pending {
        Some(event) => Json(deliver(&fake, event).await).into_response(),
        None => no_such("event", &id).into_response(),
    }
}

async fn list_sessions(State(fake): State<Fake>) -> Json<Vec<FakeSession>> {
    Json(fake.records.lock().expect("records lock").sessions.clone())
}

async fn list_events(State(fake): State<Fake>) -> Json<Vec<FakeEvent>> {
    let records = fake.records.lock().expect("records lock");
    Json(records.events.iter().map(|e| e.meta.clone()).collect())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn amount(minor: i64, currency: &str) -> String {
    // Zero-decimal currencies Stripe lists that chatdrop may meet.
    let zero_decimal = matches!(currency, "jpy" | "krw" | "vnd" | "clp" | "isk" | "ugx");
    if zero_decimal {
        format!("{minor} {}", currency.to_uppercase())
    } else {
        format!(
            "{}.{:02} {}",
            minor / 100,
            (minor % 100).abs(),
            currency.to_uppercase()
        )
    }
}

/// The hosted payment page, reduced to what a demo needs.
async fn page(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let session = {
        let records = fake.records.lock().expect("records lock");
        records.sessions.iter().find(|s| s.id == id).cloned()
    };
    let Some(s) = session else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>No such checkout session</h1>"),
        )
            .into_response();
    };
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Stripe Checkout</title></head><body>",
    );
    html.push_str("<h1>Fake Stripe Checkout</h1><p>Test mode: no money moves.</p><ul>");
    for line in &s.line_items {
        html.push_str(&format!(
            "<li>{} × {}{} — {}</li>",
            line.quantity,
            escape(&line.name),
            line.description
                .as_deref()
                .map(|d| format!(" ({})", escape(d)))
                .unwrap_or_default(),
            amount(line.unit_amount * line.quantity, &s.currency)
        ));
    }
    html.push_str(&format!(
        "</ul><p><strong>Total {}</strong></p>",
        amount(s.amount_total, &s.currency)
    ));
    if s.status == "open" && s.expires_at > SystemClock.now() {
        html.push_str(&methods::method_buttons(&s));
        if let Some(cancel) = &s.cancel_url {
            html.push_str(&format!("<p><a href=\"{}\">Cancel</a></p>", escape(cancel)));
        }
    } else {
        html.push_str(&format!(
            "<p>This checkout session is no longer available (status: {}).</p>",
            escape(&s.status)
        ));
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}

async fn page_pay(State(fake): State<Fake>, Path(id): Path<String>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let method = form
        .iter()
        .find(|(k, _)| k == "method")
        .map(|(_, v)| v.as_str());
    match complete_session(&fake, &id, method, false) {
        Ok((session, event)) => {
            deliver(&fake, event).await;
            if session["payment_status"] == "unpaid" {
                let records = fake.records.lock().expect("records lock");
                if let Some(s) = records.sessions.iter().find(|s| s.id == id) {
                    return Html(methods::voucher_page(s)).into_response();
                }
            }
            match session["success_url"].as_str() {
                Some(url) => {
                    Redirect::to(&url.replace("{CHECKOUT_SESSION_ID}", &id)).into_response()
                }
                None => Html("<h1>Paid</h1><p>You can close this page.</p>").into_response(),
            }
        }
        Err(failure) => failure.into_response(),
    }
}

/// The voucher page's buttons: the delayed payment's outcome, delivered before the answer.
async fn page_settle(State(fake): State<Fake>, Path(id): Path<String>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let succeeded = form.iter().any(|(k, v)| k == "outcome" && v == "succeeded");
    match settle_session(&fake, &id, succeeded) {
        Ok((_, event)) => {
            deliver(&fake, event).await;
            let said = if succeeded {
                "Paid at the store. The confirmation arrives in the chat."
            } else {
                "The voucher lapsed unpaid."
            };
            Html(format!("<h1>{said}</h1><p>You can close this page.</p>")).into_response()
        }
        Err(failure) => failure.into_response(),
    }
}

/// Stripe expires a session whose `expires_at` passed and sends `checkout.session.expired`.
async fn expire_lapsed_sessions(fake: Fake) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let pending: Vec<PendingEvent> = {
            let mut records = fake.records.lock().expect("records lock");
            let t = SystemClock.now();
            let lapsed: Vec<FakeSession> = records
                .sessions
                .iter_mut()
                .filter(|s| s.status == "open" && s.expires_at <= t)
                .map(|s| {
                    s.status = "expired".into();
                    s.clone()
                })
                .collect();
            lapsed
                .iter()
                .map(|s| record_event(&mut records, "checkout.session.expired", s))
                .collect()
        };
        for event in pending {
            deliver(&fake, event).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::money::Currency;
    use chatdrop_domain::payment::{
        CheckoutLine, CheckoutRequest, ExpireOutcome, PaymentError, PaymentGateway,
    };
    use chatdrop_payments::StripeGateway;
    use chatdrop_payments::webhook::{self, EventKind, StripeEvent};

    const SECRET: &str = "whsec_test_fake_stripe";

    /// A webhook endpoint that verifies before it parses, as `payment-webhook` must.
    #[derive(Clone, Default)]
    struct Receiver {
        events: Arc<Mutex<Vec<StripeEvent>>>,
    }

    async fn receive(
        State(receiver): State<Receiver>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let header = headers
            .get(webhook::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        if webhook::verify(header, &body, SECRET, SystemClock.now()).is_err() {
            return StatusCode::BAD_REQUEST;
        }
        let event = webhook::parse_event(&body).expect("a verified event parses");
        receiver.events.lock().unwrap().push(event);
        StatusCode::OK
    }

    async fn receiver() -> (String, Receiver) {
        let receiver = Receiver::default();
        let app = Router::new()
            .route("/webhooks/stripe", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, receiver)
    }

    fn checkout(order_id: &str) -> CheckoutRequest {
        CheckoutRequest {
            order_id: order_id.into(),
            currency: Currency::USD,
            lines: vec![
                CheckoutLine {
                    name: "Drop 07 watch".into(),
                    description: Some("Signal red, Leather strap".into()),
                    unit_amount: 12900,
                    quantity: 1,
                },
                CheckoutLine {
                    name: "Strap".into(),
                    description: None,
                    unit_amount: 1500,
                    quantity: 2,
                },
            ],
            expires_at: SystemClock.now() + 600,
            success_url: "http://127.0.0.1:1/ok?session_id={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "http://127.0.0.1:1/cancel".into(),
            collect_shipping: true,
            payment_offer: Default::default(),
        }
    }

    async fn wait_for(receiver: &Receiver, count: usize) -> Vec<StripeEvent> {
        for _ in 0..100 {
            let events = receiver.events.lock().unwrap().clone();
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {count} webhook events arrived");
    }

    #[tokio::test]
    async fn gateway_create_pay_webhook_refund() {
        let (webhook_url, receiver) = receiver().await;
        let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
            .await
            .unwrap();
        let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

        let request = checkout("ord_100");
        let session = gateway.create_checkout(&request).await.unwrap();
        assert!(session.id.starts_with("cs_test_"), "{}", session.id);
        assert_eq!(session.url, format!("{base}/pay/{}", session.id));
        assert!(session.expires_at >= SystemClock.now() + 1800);
        // A retried checkout replays the first session.
        let again = gateway.create_checkout(&request).await.unwrap();
        assert_eq!(again, session);

        let sessions = fake.sessions().await.unwrap();
        assert_eq!(sessions.len(), 1);
        let s = &sessions[0];
        assert_eq!(s.status, "open");
        assert_eq!(s.payment_status, "unpaid");
        assert_eq!(s.amount_total, 12900 + 2 * 1500);
        assert_eq!(s.currency, "usd");
        assert_eq!(s.client_reference_id.as_deref(), Some("ord_100"));
        assert_eq!(s.metadata["order_id"], "ord_100");
        assert_eq!(s.idempotency_key.as_deref(), Some("checkout-ord_100"));
        assert_eq!(s.allowed_payment_method_types, ["card"]);
        assert!(
            s.shipping_countries
                .as_ref()
                .unwrap()
                .contains(&"US".into())
        );
        assert_eq!(s.request["line_items[0][price_data][unit_amount]"], "12900");

        // The payment page exists while the session is open.
        let page = reqwest::get(&session.url).await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Drop 07 watch"));

        let paid = fake.pay(&session.id).await.unwrap();
        assert!(paid.delivery.succeeded(), "{paid:?}");
        let events = wait_for(&receiver, 1).await;
        assert_eq!(
            events[0],
            StripeEvent {
                id: paid.event_id.clone(),
                created: events[0].created,
                kind: EventKind::SessionCompleted {
                    session_id: session.id.clone(),
                    order_id: Some("ord_100".into()),
                    paid: true,
                    amount_total: Some(15900),
                    currency: Some("usd".into()),
                },
            }
        );

        // Duplicate delivery: the same event again.
        let resent = fake.resend(&paid.event_id).await.unwrap();
        assert_eq!(resent.status, Some(200));
        let events = wait_for(&receiver, 2).await;
        assert_eq!(events[1], events[0]);
        let sent = fake.events().await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].deliveries.len(), 2);
        assert_eq!(sent[0].event_type, "checkout.session.completed");

        // Too late to expire; a refund is idempotent per session.
        assert_eq!(
            gateway.expire_checkout(&session.id).await,
            Ok(ExpireOutcome::AlreadyComplete)
        );
        let refund = gateway.refund(&session.id).await.unwrap();
        assert!(refund.starts_with("re_test_"), "{refund}");
        assert_eq!(gateway.refund(&session.id).await.unwrap(), refund);
        assert!(fake.pay(&session.id).await.is_err());
        fake.abort();
    }

    #[tokio::test]
    async fn expiry_through_the_api_and_by_hand() {
        let (webhook_url, receiver) = receiver().await;
        let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
            .await
            .unwrap();
        let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

        let first = gateway.create_checkout(&checkout("ord_1")).await.unwrap();
        assert_eq!(
            gateway.expire_checkout(&first.id).await,
            Ok(ExpireOutcome::Expired)
        );
        let events = wait_for(&receiver, 1).await;
        assert_eq!(
            events[0].kind,
            EventKind::SessionExpired {
                session_id: first.id.clone(),
                order_id: Some("ord_1".into())
            }
        );
        // Expiring again is not an error; paying an expired session is refused.
        assert_eq!(
            gateway.expire_checkout(&first.id).await,
            Ok(ExpireOutcome::Expired)
        );
        assert!(fake.pay(&first.id).await.is_err());
        let page = reqwest::get(&first.url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("no longer available"));

        let second = gateway.create_checkout(&checkout("ord_2")).await.unwrap();
        let expired = fake.expire(&second.id).await.unwrap();
        assert!(expired.delivery.succeeded());
        let events = wait_for(&receiver, 2).await;
        assert_eq!(events[1].id, expired.event_id);

        // Delayed payments: completed but unpaid, then settled either way.
        let third = gateway.create_checkout(&checkout("ord_3")).await.unwrap();
        fake.pay_delayed(&third.id).await.unwrap();
        let failed = fake.async_payment_failed(&third.id).await.unwrap();
        let fourth = gateway.create_checkout(&checkout("ord_4")).await.unwrap();
        fake.pay_delayed(&fourth.id).await.unwrap();
        fake.async_payment_succeeded(&fourth.id).await.unwrap();
        assert!(fake.async_payment_succeeded(&fourth.id).await.is_err());
        let events = wait_for(&receiver, 6).await;
        assert!(matches!(
            events[2].kind,
            EventKind::SessionCompleted { paid: false, .. }
        ));
        assert_eq!(events[3].id, failed.event_id);
        assert!(matches!(
            events[3].kind,
            EventKind::AsyncPaymentFailed { .. }
        ));
        assert!(matches!(
            events[5].kind,
            EventKind::AsyncPaymentSucceeded { ref order_id, .. } if order_id.as_deref() == Some("ord_4")
        ));
        // Nothing paid on the failed one: no refund.
        assert!(matches!(
            gateway.refund(&third.id).await,
            Err(PaymentError::Refused(_))
        ));
        fake.abort();
    }

    #[tokio::test]
    async fn wallets_are_recorded_and_a_voucher_settles_later() {
        use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer};
        let (webhook_url, receiver) = receiver().await;
        let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
            .await
            .unwrap();
        let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

        let mut wechat = checkout("ord_wechat");
        wechat.payment_offer =
            PaymentOffer::new(&[PaymentMethod::WechatPay, PaymentMethod::Card], None);
        let first = gateway.create_checkout(&wechat).await.unwrap();
        let mut konbini = checkout("ord_konbini");
        konbini.currency = Currency::JPY;
        konbini.payment_offer =
            PaymentOffer::new(&[PaymentMethod::Card, PaymentMethod::Konbini], Some(3));
        let second = gateway.create_checkout(&konbini).await.unwrap();

        let sessions = fake.sessions().await.unwrap();
        assert_eq!(
            sessions[0].allowed_payment_method_types,
            ["wechat_pay", "card"]
        );
        assert_eq!(
            sessions[0].payment_method_options["wechat_pay"]["client"],
            "web"
        );
        assert_eq!(
            sessions[1].allowed_payment_method_types,
            ["card", "konbini"]
        );
        assert_eq!(
            sessions[1].payment_method_options["konbini"]["expires_after_days"],
            "3"
        );
        // The page offers each allowed method.
        let page = reqwest::get(&second.url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("value=\"konbini\"") && page.contains("value=\"card\""));

        // WeChat Pay pays at once; Konbini completes unpaid, and the store payment follows.
        fake.pay_with(&first.id, "wechat_pay").await.unwrap();
        assert!(
            fake.pay_with(&second.id, "alipay").await.is_err(),
            "not allowed"
        );
        let voucher = crate::local_http::client()
            .post(&second.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("method=konbini")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(voucher.contains("within 3 days"), "{voucher}");
        let settled = crate::local_http::client()
            .post(format!("{}/settle", second.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("outcome=succeeded")
            .send()
            .await
            .unwrap();
        assert_eq!(settled.status(), 200);
        let events = wait_for(&receiver, 3).await;
        assert!(matches!(
            events[0].kind,
            EventKind::SessionCompleted { paid: true, .. }
        ));
        assert!(matches!(
            events[1].kind,
            EventKind::SessionCompleted { paid: false, ref order_id, .. } if order_id.as_deref() == Some("ord_konbini")
        ));
        assert!(matches!(
            events[2].kind,
            EventKind::AsyncPaymentSucceeded {
                amount_total: Some(15900),
                ..
            }
        ));
        let sessions = fake.sessions().await.unwrap();
        assert_eq!(sessions[1].paid_with.as_deref(), Some("konbini"));
        assert_eq!(sessions[1].payment_status, "paid");
        fake.abort();
    }

    #[tokio::test]
    async fn refusals_look_like_stripes() {
        let (webhook_url, _receiver) = receiver().await;
        let (base, fake) = spawn("127.0.0.1:0", webhook_url, "whsec_wrong".into())
            .await
            .unwrap();
        let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

        // The same order id with other parameters: Stripe's idempotency error.
        gateway.create_checkout(&checkout("ord_1")).await.unwrap();
        let mut changed = checkout("ord_1");
        changed.lines[0].unit_amount = 1;
        match gateway.create_checkout(&changed).await {
            Err(PaymentError::Refused(m)) => assert!(m.contains("idempotency_error"), "{m}"),
            other => panic!("{other:?}"),
        }
        // A reservation that already lapsed cannot get a page.
        let mut lapsed = checkout("ord_2");
        lapsed.expires_at = SystemClock.now() - 3600;
        assert!(matches!(
            gateway.create_checkout(&lapsed).await,
            Err(PaymentError::Refused(_))
        ));
        assert!(matches!(
            gateway.expire_checkout("cs_test_unknown").await,
            Err(PaymentError::Refused(_))
        ));
        // A webhook signed with another secret is refused, and the fake records it.
        let id = fake.sessions().await.unwrap()[0].id.clone();
        let paid = fake.pay(&id).await.unwrap();
        assert_eq!(paid.delivery.status, Some(400));
        // No key, no API.
        let response = crate::local_http::client()
            .get(format!("{base}/v1/checkout/sessions/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        fake.abort();
    }

    /// A session in `status`, as the fake stores one after a create.
    fn stored_session(status: &str, payment_status: &str) -> FakeSession {
        FakeSession {
            id: "cs_test_0000000000000001".into(),
            status: status.into(),
            payment_status: payment_status.into(),
            url: "http://127.0.0.1:1/pay/cs_test_0000000000000001".into(),
            client_reference_id: Some("ord_1".into()),
            metadata: BTreeMap::from([("order_id".into(), "ord_1".into())]),
            currency: "usd".into(),
            amount_total: 12_000,
            line_items: Vec::new(),
            created: 1_767_225_000,
            expires_at: 1_767_226_860,
            success_url: Some("http://127.0.0.1:1/paid".into()),
            cancel_url: Some("http://127.0.0.1:1/cancelled".into()),
            allowed_payment_method_types: vec!["card".into()],
            payment_method_options: MethodOptions::new(),
            paid_with: None,
            shipping_countries: Some(vec!["US".into()]),
            payment_intent: (status == "complete").then(|| "pi_test_1".into()),
            refund: None,
            request: BTreeMap::new(),
            idempotency_key: None,
        }
    }

    /// A writer the test's subscriber logs into, to see what async-stripe complains about.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn session_json_reads_as_the_pinned_api_without_unknown_values() {
        use stripe_shared::{CheckoutSession, CheckoutSessionStatus, CheckoutSessionUiMode};
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for (status, payment_status) in [("open", "unpaid"), ("complete", "paid")] {
                let mut stored = stored_session(status, payment_status);
                // With every option chatdrop sends, as the session echoes them.
                stored.allowed_payment_method_types =
                    vec!["card".into(), "wechat_pay".into(), "konbini".into()];
                stored.payment_method_options = methods::parse_options(&[
                    (
                        "payment_method_options[wechat_pay][client]".into(),
                        "web".into(),
                    ),
                    (
                        "payment_method_options[konbini][expires_after_days]".into(),
                        "3".into(),
                    ),
                    (
                        "payment_method_options[pix][expires_after_seconds]".into(),
                        "86400".into(),
                    ),
                ]);
                let text = session_json(&stored).to_string();
                let session: CheckoutSession = miniserde::json::from_str(&text)
                    .unwrap_or_else(|_| panic!("async-stripe reads the fake's {status} session"));
                assert_eq!(session.ui_mode, Some(CheckoutSessionUiMode::HostedPage));
                let expected = if status == "open" {
                    CheckoutSessionStatus::Open
                } else {
                    CheckoutSessionStatus::Complete
                };
                assert_eq!(session.status, Some(expected));
                let options = session.payment_method_options.expect("options read");
                assert_eq!(options.konbini.and_then(|k| k.expires_after_days), Some(3));
                assert_eq!(
                    options.pix.and_then(|p| p.expires_after_seconds),
                    Some(86_400)
                );
            }
        });
        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(
            !logged.contains("Unknown value"),
            "async-stripe met values the pinned API does not list: {logged}"
        );
    }

    #[test]
    fn form_decoding() {
        let pairs = parse_form(
            b"line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Blue+mug&metadata%5Border_id%5D=ord%2F1&x=%E2%80%9CANA%E2%80%9D&bad=%zz&empty=",
        );
        assert_eq!(
            pairs,
            [
                (
                    "line_items[0][price_data][product_data][name]".to_owned(),
                    "Blue mug".to_owned()
                ),
                ("metadata[order_id]".to_owned(), "ord/1".to_owned()),
                ("x".to_owned(), "“ANA”".to_owned()),
                ("bad".to_owned(), "%zz".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
    }
}
