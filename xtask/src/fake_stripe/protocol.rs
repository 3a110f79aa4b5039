//! Stripe's HTTP conventions, as the `/v1` routes keep them: form-encoded bodies, errors in
//! Stripe's shape, the API key check, and idempotent POSTs.

use super::state::{Fake, Records, Replay};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Parses an `application/x-www-form-urlencoded` body into its pairs, in order.
pub(super) fn parse_form(body: &[u8]) -> Vec<(String, String)> {
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
pub(super) struct Failure {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

pub(super) fn stripe_error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
) -> Failure {
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

pub(super) fn invalid(message: &str) -> Failure {
    stripe_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        message,
    )
}

pub(super) fn no_such(kind: &str, id: &str) -> Failure {
    stripe_error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {kind}: '{id}'"),
    )
}

pub(super) fn authorized(headers: &HeaderMap) -> Result<(), Failure> {
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
pub(super) fn idempotent(
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
