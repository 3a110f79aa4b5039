//! A session's state changes that send an event: expiry (by hand, or Stripe's own once
//! `expires_at` passes), payment, and the later settlement of a delayed payment.

use super::protocol::{Failure, invalid, no_such};
use super::sessions::session_json;
use super::state::{Fake, FakeSession};
use super::webhooks::{PendingEvent, deliver, record_event};
use crate::fake_stripe_methods as methods;
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::Value;
use std::time::Duration;

/// What a state change produced: the new session JSON and the event to deliver, or Stripe's
/// refusal.
pub(super) type Transition = Result<(Value, PendingEvent), Failure>;

pub(super) fn not_open(status: &str) -> Failure {
    invalid(&format!(
        "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `{status}`."
    ))
}

pub(super) fn expire_session(fake: &Fake, id: &str) -> Transition {
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
pub(super) fn complete_session(
    fake: &Fake,
    id: &str,
    method: Option<&str>,
    delayed: bool,
) -> Transition {
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

pub(super) fn settle_session(fake: &Fake, id: &str, succeeded: bool) -> Transition {
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

/// Stripe expires a session whose `expires_at` passed and sends `checkout.session.expired`.
pub(super) async fn expire_lapsed_sessions(fake: Fake) {
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
