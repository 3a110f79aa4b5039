//! The `/_local/stripe` routes a test or the demo drives: pay, settle, expire, forget, resend,
//! and the lists of sessions and events.

use super::protocol::no_such;
use super::state::{Emitted, Fake, FakeEvent, FakeSession};
use super::transitions::{Transition, complete_session, expire_session, settle_session};
use super::webhooks::{PendingEvent, deliver};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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
pub(super) struct PayQuery {
    #[serde(default)]
    delayed: bool,
    /// The method to pay with (card when absent).
    #[serde(default)]
    method: Option<String>,
}

pub(super) async fn control_pay(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    Query(query): Query<PayQuery>,
) -> Response {
    let transition = complete_session(&fake, &id, query.method.as_deref(), query.delayed);
    emit_now(&fake, transition).await
}

pub(super) async fn control_expire(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let transition = expire_session(&fake, &id);
    emit_now(&fake, transition).await
}

pub(super) async fn control_forget(State(fake): State<Fake>, Path(id): Path<String>) -> StatusCode {
    let mut records = fake.records.lock().expect("records lock");
    let before = records.sessions.len();
    records.sessions.retain(|s| s.id != id);
    if records.sessions.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

pub(super) async fn control_async_succeeded(
    State(fake): State<Fake>,
    Path(id): Path<String>,
) -> Response {
    let transition = settle_session(&fake, &id, true);
    emit_now(&fake, transition).await
}

pub(super) async fn control_async_failed(
    State(fake): State<Fake>,
    Path(id): Path<String>,
) -> Response {
    let transition = settle_session(&fake, &id, false);
    emit_now(&fake, transition).await
}

pub(super) async fn control_resend(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
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

pub(super) async fn list_sessions(State(fake): State<Fake>) -> Json<Vec<FakeSession>> {
    Json(fake.records.lock().expect("records lock").sessions.clone())
}

pub(super) async fn list_events(State(fake): State<Fake>) -> Json<Vec<FakeEvent>> {
    let records = fake.records.lock().expect("records lock");
    Json(records.events.iter().map(|e| e.meta.clone()).collect())
}
