//! Checkout Sessions in the API: the session's JSON as the pinned API version shows it, and
//! create (with Stripe's validation of what chatdrop sends), retrieve and expire.

use super::protocol::{authorized, idempotent, invalid, no_such, parse_form};
use super::state::{Fake, FakeLineItem, FakeSession};
use super::transitions::not_open;
use super::webhooks::{deliver, record_event};
use crate::fake_stripe_methods::{self as methods, MethodOptions};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The session as Stripe's API shows it.
pub(super) fn session_json(s: &FakeSession) -> Value {
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

pub(super) async fn api_create(
    State(fake): State<Fake>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn api_retrieve(
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

pub(super) async fn api_expire(
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
