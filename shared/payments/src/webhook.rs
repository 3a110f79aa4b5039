//! Stripe webhooks: signature verification on the raw body, and parsing of the Checkout events
//! chatdrop acts on.
//!
//! Stripe signs each delivery with the endpoint's secret (`whsec_…`):
//! `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`, where each `v1` is
//! `hex(HMAC-SHA256(secret, "{t}.{raw body}"))`. Several `v1` entries appear while a secret is
//! rolled; any one matching is enough. `v0` (a legacy test scheme) and unknown schemes are
//! ignored. A timestamp more than [`TOLERANCE_SECS`] away from now is refused, so a captured
//! delivery cannot be replayed later. Verification comes before any parsing: a request that
//! fails it must have no effect.

use crate::stripe_amounts::minor_from_stripe;
use chatdrop_domain::money::Currency;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// The largest accepted distance between the signature's timestamp and now: Stripe's SDKs'
/// default, five minutes.
pub const TOLERANCE_SECS: i64 = 300;

/// The header Stripe signs deliveries with.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or an empty one.
    #[error("missing Stripe-Signature header")]
    Missing,
    /// The header has no usable `t=` timestamp.
    #[error("malformed Stripe-Signature header")]
    Malformed,
    /// The signature is genuine but its timestamp is outside the tolerance.
    #[error("Stripe-Signature timestamp outside the tolerance")]
    Expired,
    /// No `v1` signature matches the body and the secret.
    #[error("no Stripe-Signature v1 signature matches")]
    Mismatch,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.trim().as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Verifies a delivery: `header` is the `Stripe-Signature` value, `body` the raw request body
/// (exactly as received), `secret` the endpoint's signing secret (surrounding whitespace is
/// ignored), `now` the current Unix time in seconds.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.map(str::trim).unwrap_or_default();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        let Some((scheme, value)) = item.split_once('=') else {
            continue;
        };
        match scheme.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(
                    value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            // An entry that is not hex cannot match; it is skipped like any other mismatch.
            "v1" => {
                if let Ok(bytes) = hex::decode(value.trim()) {
                    candidates.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    let expected = mac(secret, t, body).finalize().into_bytes();
    // Compare against every candidate so the time taken does not depend on which one matched.
    let matched = candidates
        .iter()
        .fold(subtle::Choice::from(0), |acc, candidate| {
            acc | expected.as_slice().ct_eq(candidate)
        });
    if !bool::from(matched) {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(t) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// The `Stripe-Signature` header value Stripe would send for `body` at time `t`
/// (`t={t},v1={hex}`). For tests and the local fake Stripe.
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    let signature = hex::encode(mac(secret, t, body).finalize().into_bytes());
    format!("t={t},v1={signature}")
}

/// A Stripe event, reduced to what chatdrop acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeEvent {
    /// `evt_…`: the key for processing each event once.
    pub id: String,
    /// When Stripe created the event (Unix seconds; 0 if the body did not say): a delayed
    /// payment's deadline counts from it, so every redelivery computes the same one.
    pub created: i64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `checkout.session.completed`: the customer finished the page. Only `paid` means the
    /// money is there; otherwise a delayed method is pending and an async event follows.
    SessionCompleted {
        session_id: String,
        /// `client_reference_id`, else `metadata.order_id`.
        order_id: Option<String>,
        /// `payment_status` is `paid` or `no_payment_required`.
        paid: bool,
        /// Minor units, to compare with the order's total before it counts as paid.
        amount_total: Option<i64>,
        /// Lowercase ISO code, as Stripe writes it.
        currency: Option<String>,
    },
    /// `checkout.session.async_payment_succeeded`: a delayed payment arrived.
    AsyncPaymentSucceeded {
        session_id: String,
        order_id: Option<String>,
        amount_total: Option<i64>,
        currency: Option<String>,
    },
    /// `checkout.session.async_payment_failed`: a delayed payment failed.
    AsyncPaymentFailed {
        session_id: String,
        order_id: Option<String>,
    },
    /// `checkout.session.expired`: the page can no longer be paid.
    SessionExpired {
        session_id: String,
        order_id: Option<String>,
    },
    /// Any other event type; acknowledged and ignored.
    Other { event_type: String },
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created: i64,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSession {
    id: String,
    #[serde(default)]
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: Option<HashMap<String, String>>,
    #[serde(default)]
    payment_status: Option<String>,
    #[serde(default)]
    amount_total: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

impl RawSession {
    fn order_id(&self) -> Option<String> {
        self.client_reference_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .or_else(|| {
                self.metadata
                    .as_ref()
                    .and_then(|m| m.get("order_id"))
                    .map(String::as_str)
                    .filter(|id| !id.is_empty())
            })
            .map(str::to_owned)
    }

    /// `amount_total` in the currency's ISO minor units, which the order counts in: Stripe sends
    /// ISK and UGX with two extra zeros and MGA without ISO's decimals
    /// ([`crate::stripe_amounts`]). An amount with no exact counterpart is kept as sent, so the
    /// payment check reports the mismatch.
    fn iso_amount_total(&self) -> Option<i64> {
        let amount = self.amount_total?;
        let currency = self
            .currency
            .as_deref()
            .and_then(|c| Currency::parse(c).ok());
        Some(
            currency
                .and_then(|c| minor_from_stripe(c, amount))
                .unwrap_or(amount),
        )
    }
}

/// Parses a verified event body. Checkout Session events must carry a session object;
/// other event types are returned as [`EventKind::Other`] whatever their object.
pub fn parse_event(body: &[u8]) -> Result<StripeEvent, serde_json::Error> {
    let raw: RawEvent = serde_json::from_slice(body)?;
    let session = |object: serde_json::Value| serde_json::from_value::<RawSession>(object);
    let kind = match raw.event_type.as_str() {
        "checkout.session.completed" => {
            let s = session(raw.data.object)?;
            let paid = matches!(
                s.payment_status.as_deref(),
                Some("paid" | "no_payment_required")
            );
            EventKind::SessionCompleted {
                order_id: s.order_id(),
                paid,
                amount_total: s.iso_amount_total(),
                currency: s.currency,
                session_id: s.id,
            }
        }
        "checkout.session.async_payment_succeeded" => {
            let s = session(raw.data.object)?;
            EventKind::AsyncPaymentSucceeded {
                order_id: s.order_id(),
                amount_total: s.iso_amount_total(),
                currency: s.currency,
                session_id: s.id,
            }
        }
        "checkout.session.async_payment_failed" => {
            let s = session(raw.data.object)?;
            EventKind::AsyncPaymentFailed {
                order_id: s.order_id(),
                session_id: s.id,
            }
        }
        "checkout.session.expired" => {
            let s = session(raw.data.object)?;
            EventKind::SessionExpired {
                order_id: s.order_id(),
                session_id: s.id,
            }
        }
        _ => EventKind::Other {
            event_type: raw.event_type,
        },
    };
    Ok(StripeEvent {
        id: raw.id,
        created: raw.created,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed vector from async-stripe's `test_webhook_construct_event`.
    const VECTOR_BODY: &str = r#"{"account":"acct_123","api_version":"2017-05-25","created":1533204620,"data":{"object":{"amount":1000,"currency":"usd","customer":"cus_123","date":1533204620,"description":"Test Invoice Item","discountable":false,"id":"ii_123","invoice":"in_123","livemode":false,"metadata":{},"object":"invoiceitem","period":{"end":1533204620,"start":1533204620},"proration":false,"quantity":3,"quantity_decimal":"0"}},"id":"evt_123","livemode":false,"object":"event","pending_webhooks":1,"request":{"id":"req_123","idempotency_key":"idempotency-key-123"},"type":"invoiceitem.created"}"#;
    const VECTOR_T: i64 = 1533204620;
    const VECTOR_V1: &str = "d7373bc68f4bd320b253cd7461f87af6e1cdf1b4d7db1614d8d1d746972d2d0a";

    fn vector_header() -> String {
        format!("t={VECTOR_T},v1={VECTOR_V1}")
    }

    #[test]
    fn published_vector_verifies() {
        assert_eq!(
            verify(
                Some(&vector_header()),
                VECTOR_BODY.as_bytes(),
                "secret",
                VECTOR_T
            ),
            Ok(())
        );
        assert_eq!(
            sign(VECTOR_BODY.as_bytes(), "secret", VECTOR_T),
            vector_header()
        );
        // The vector also parses as an event we do not act on.
        let event = parse_event(VECTOR_BODY.as_bytes()).unwrap();
        assert_eq!(event.id, "evt_123");
        assert_eq!(
            event.kind,
            EventKind::Other {
                event_type: "invoiceitem.created".into()
            }
        );
    }

    #[test]
    fn self_made_vector_verifies() {
        // Self-made: computed locally with Python's `hmac` (not published anywhere).
        let body = br#"{"id":"evt_test_webhook","object":"event"}"#;
        let header =
            "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
        assert_eq!(
            verify(Some(header), body, "whsec_test_secret", 1700000000),
            Ok(())
        );
    }

    #[test]
    fn secret_whitespace_is_trimmed() {
        assert_eq!(
            verify(
                Some(&vector_header()),
                VECTOR_BODY.as_bytes(),
                " secret\n",
                VECTOR_T
            ),
            Ok(())
        );
    }

    #[test]
    fn tampered_body_is_refused() {
        let tampered = VECTOR_BODY.replace("1000", "1");
        assert_eq!(
            verify(
                Some(&vector_header()),
                tampered.as_bytes(),
                "secret",
                VECTOR_T
            ),
            Err(SignatureError::Mismatch)
        );
        // A changed timestamp breaks the signature too.
        let moved = format!("t={},v1={VECTOR_V1}", VECTOR_T + 1);
        assert_eq!(
            verify(Some(&moved), VECTOR_BODY.as_bytes(), "secret", VECTOR_T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn wrong_secret_is_refused() {
        assert_eq!(
            verify(
                Some(&vector_header()),
                VECTOR_BODY.as_bytes(),
                "whsec_other",
                VECTOR_T
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn timestamp_tolerance_is_five_minutes_either_way() {
        let body = VECTOR_BODY.as_bytes();
        let header = Some(vector_header());
        let check = |now| verify(header.as_deref(), body, "secret", now);
        assert_eq!(check(VECTOR_T + 300), Ok(()));
        assert_eq!(check(VECTOR_T - 300), Ok(()));
        assert_eq!(check(VECTOR_T + 301), Err(SignatureError::Expired));
        assert_eq!(check(VECTOR_T - 301), Err(SignatureError::Expired));
    }

    #[test]
    fn any_v1_entry_may_match() {
        let t = 1_700_000_000;
        let body = br#"{"id":"evt_1","object":"event","type":"ping"}"#;
        let good = sign(body, "whsec_new", t);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        let old_v1 = sign(body, "whsec_old_rolled", t)
            .split_once(",v1=")
            .unwrap()
            .1
            .to_owned();
        let header = format!(
            "t={t},v1={old_v1},v1={good_v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
        );
        assert_eq!(verify(Some(&header), body, "whsec_new", t), Ok(()));
        assert_eq!(verify(Some(&header), body, "whsec_old_rolled", t), Ok(()));
        assert_eq!(
            verify(Some(&header), body, "whsec_third", t),
            Err(SignatureError::Mismatch)
        );
        // Unknown schemes, spaces and a non-hex v1 are tolerated.
        let noisy = format!("t={t}, v2=abc, v1=zz-not-hex, v1={good_v1}");
        assert_eq!(verify(Some(&noisy), body, "whsec_new", t), Ok(()));
    }

    #[test]
    fn v0_alone_is_not_enough() {
        let t = VECTOR_T;
        let header = format!("t={t},v0={VECTOR_V1}");
        assert_eq!(
            verify(Some(&header), VECTOR_BODY.as_bytes(), "secret", t),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers() {
        let body = VECTOR_BODY.as_bytes();
        assert_eq!(
            verify(None, body, "secret", VECTOR_T),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some("  "), body, "secret", VECTOR_T),
            Err(SignatureError::Missing)
        );
        for header in [
            format!("v1={VECTOR_V1}"),
            format!("t=yesterday,v1={VECTOR_V1}"),
            format!("t={VECTOR_T},t={VECTOR_T},v1={VECTOR_V1}"),
            "garbage".to_owned(),
        ] {
            assert_eq!(
                verify(Some(&header), body, "secret", VECTOR_T),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
        // A docs example header parses: it has a timestamp, and its v1 does not match our body.
        let docs = "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
        assert_eq!(
            verify(Some(docs), body, "secret", 1492774577),
            Err(SignatureError::Mismatch)
        );
    }

    fn event(event_type: &str, object: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": "evt_1QxYzAbCdEfGhIjK",
            "object": "event",
            "api_version": "2026-09-30.endive",
            "created": 1767225600,
            "data": { "object": object },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": event_type
        }))
        .unwrap()
    }

    fn session(status: &str, payment_status: &str) -> serde_json::Value {
        serde_json::json!({
            "id": "cs_test_a1B2c3D4",
            "object": "checkout.session",
            "amount_subtotal": 4200,
            "amount_total": 4200,
            "cancel_url": "https://shop.example/cancel",
            "client_reference_id": "ord_42",
            "created": 1767225000,
            "currency": "usd",
            "customer_details": { "email": "ana@example.com", "name": "Ana", "phone": null, "address": null, "tax_exempt": "none", "tax_ids": [] },
            "expires_at": 1767226860,
            "livemode": false,
            "metadata": { "order_id": "ord_42" },
            "mode": "payment",
            "payment_intent": "pi_3QxYzAbCdEfGhIjK",
            "payment_method_types": ["card"],
            "payment_status": payment_status,
            "status": status,
            "success_url": "https://shop.example/ok",
            "url": null
        })
    }

    #[test]
    fn parses_completed_paid() {
        let body = event("checkout.session.completed", session("complete", "paid"));
        let parsed = parse_event(&body).unwrap();
        assert_eq!(parsed.id, "evt_1QxYzAbCdEfGhIjK");
        assert_eq!(parsed.created, 1767225600);
        assert_eq!(
            parsed.kind,
            EventKind::SessionCompleted {
                session_id: "cs_test_a1B2c3D4".into(),
                order_id: Some("ord_42".into()),
                paid: true,
                amount_total: Some(4200),
                currency: Some("usd".into()),
            }
        );
    }

    /// Stripe reports ISK with two extra zeros (<https://docs.stripe.com/currencies#special-cases>):
    /// 5,000 ISK arrives as 500000 and is handed on as the order counts it, 5000.
    #[test]
    fn amount_total_is_read_back_into_iso_minor_units() {
        let mut object = session("complete", "paid");
        object["amount_total"] = 500_000.into();
        object["currency"] = "isk".into();
        let body = event("checkout.session.completed", object);
        assert!(matches!(
            parse_event(&body).unwrap().kind,
            EventKind::SessionCompleted {
                amount_total: Some(5_000),
                ..
            }
        ));
    }

    #[test]
    fn completed_unpaid_and_no_payment_required() {
        let body = event("checkout.session.completed", session("complete", "unpaid"));
        assert!(matches!(
            parse_event(&body).unwrap().kind,
            EventKind::SessionCompleted { paid: false, .. }
        ));
        let body = event(
            "checkout.session.completed",
            session("complete", "no_payment_required"),
        );
        assert!(matches!(
            parse_event(&body).unwrap().kind,
            EventKind::SessionCompleted { paid: true, .. }
        ));
    }

    #[test]
    fn order_id_falls_back_to_metadata() {
        let mut object = session("complete", "paid");
        object["client_reference_id"] = serde_json::Value::Null;
        object["metadata"] = serde_json::json!({ "order_id": "ord_from_metadata" });
        let body = event("checkout.session.expired", object.clone());
        assert_eq!(
            parse_event(&body).unwrap().kind,
            EventKind::SessionExpired {
                session_id: "cs_test_a1B2c3D4".into(),
                order_id: Some("ord_from_metadata".into())
            }
        );
        object["metadata"] = serde_json::json!({});
        let body = event("checkout.session.expired", object);
        assert_eq!(
            parse_event(&body).unwrap().kind,
            EventKind::SessionExpired {
                session_id: "cs_test_a1B2c3D4".into(),
                order_id: None
            }
        );
    }

    #[test]
    fn parses_async_events() {
        let body = event(
            "checkout.session.async_payment_succeeded",
            session("complete", "paid"),
        );
        assert_eq!(
            parse_event(&body).unwrap().kind,
            EventKind::AsyncPaymentSucceeded {
                session_id: "cs_test_a1B2c3D4".into(),
                order_id: Some("ord_42".into()),
                amount_total: Some(4200),
                currency: Some("usd".into()),
            }
        );
        let body = event(
            "checkout.session.async_payment_failed",
            session("complete", "unpaid"),
        );
        assert_eq!(
            parse_event(&body).unwrap().kind,
            EventKind::AsyncPaymentFailed {
                session_id: "cs_test_a1B2c3D4".into(),
                order_id: Some("ord_42".into())
            }
        );
    }

    #[test]
    fn other_events_and_bad_bodies() {
        let body = event(
            "payment_intent.succeeded",
            serde_json::json!({ "id": "pi_1", "object": "payment_intent" }),
        );
        assert_eq!(
            parse_event(&body).unwrap().kind,
            EventKind::Other {
                event_type: "payment_intent.succeeded".into()
            }
        );
        assert!(parse_event(b"not json").is_err());
        // A session event without a session id is an error, not a silent Other.
        let body = event(
            "checkout.session.completed",
            serde_json::json!({ "object": "checkout.session" }),
        );
        assert!(parse_event(&body).is_err());
    }
}
