//! The SMS (Twilio) side of the local stack: a customer who sends signed webhooks, and a fake
//! API that records what chatdrop sends. (Being written: this skeleton fixes the interface.)

use crate::customer::{Customer, Webhook};
use crate::fakes::{Fakes, OutboxEntry};
use axum::Router;

/// Routes of the fake API, merged into the fakes server (paths under `/sms/`).
pub fn routes() -> Router<Fakes> {
    Router::new()
}

/// The customer typing `text`; `id` is unique per call.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    let _ = (customer, id);
    Webhook {
        path: "/webhooks/sms".into(),
        headers: Vec::new(),
        body: text.as_bytes().to_vec(),
    }
}

/// The customer tapping a button whose payload is `payload`; `None` on text-only platforms.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    let _ = (customer, id, payload, title);
    None
}

/// One recorded request as the chat lines the customer sees.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    Some(shown_text(entry))
}

/// The text a recorded request shows.
pub fn shown_text(entry: &OutboxEntry) -> String {
    entry.body.to_string()
}

/// The choices a recorded request offers: (title, payload if tappable).
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let _ = entry;
    Vec::new()
}
