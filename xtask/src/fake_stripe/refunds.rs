//! `POST /v1/refunds`: a full refund of a paid session's PaymentIntent.

use super::protocol::{authorized, idempotent, invalid, no_such, parse_form, stripe_error};
use super::state::Fake;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::json;

pub(super) async fn api_refund(
    State(fake): State<Fake>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
