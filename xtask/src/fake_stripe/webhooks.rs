//! Events: recorded with a snapshot of their session, then posted to the webhook URL with a
//! `Stripe-Signature` made at each delivery, and each delivery's outcome recorded.

use super::API_VERSION;
use super::sessions::session_json;
use super::state::{Delivery, Fake, FakeEvent, FakeSession, Records, StoredEvent};
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::json;

pub(super) struct PendingEvent {
    pub(super) id: String,
    pub(super) body: String,
}

/// Records an event for `session` (the data snapshot is the session now).
pub(super) fn record_event(
    records: &mut Records,
    event_type: &str,
    session: &FakeSession,
) -> PendingEvent {
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

/// Posts an event to the webhook URL, signed now, and records how it went.
pub(super) async fn deliver(fake: &Fake, event: PendingEvent) -> Delivery {
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
