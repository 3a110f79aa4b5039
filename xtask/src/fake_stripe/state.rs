//! What the fake holds: its sessions and the events it sent (the public records a test reads),
//! the idempotent answers it replays, and the shared state every route works on.

use crate::fake_stripe_methods::MethodOptions;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

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

pub(super) struct StoredEvent {
    pub(super) meta: FakeEvent,
    pub(super) body: String,
}

pub(super) struct Replay {
    pub(super) fingerprint: String,
    pub(super) status: StatusCode,
    pub(super) body: Value,
}

#[derive(Default)]
pub(super) struct Records {
    pub(super) sessions: Vec<FakeSession>,
    pub(super) events: Vec<StoredEvent>,
    pub(super) replays: HashMap<String, Replay>,
    pub(super) counter: u64,
}

impl Records {
    pub(super) fn new_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        let noise = std::collections::hash_map::RandomState::new().hash_one(self.counter);
        format!("{prefix}_test_{noise:016x}{:04}", self.counter)
    }

    pub(super) fn session_mut(&mut self, id: &str) -> Option<&mut FakeSession> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }
}

#[derive(Clone)]
pub(super) struct Fake {
    pub(super) records: Arc<Mutex<Records>>,
    pub(super) base: String,
    pub(super) webhook_url: String,
    pub(super) webhook_secret: String,
    pub(super) http: reqwest::Client,
}
