//! The Viber side of the local stack: a customer who sends signed callbacks, and a fake REST
//! Bot API that records what chatdrop sends.
//!
//! The customer's callbacks are built the way Viber builds them
//! (<https://developers.viber.com/docs/api/rest-bot-api/#callbacks>): one event per request, a
//! millisecond `timestamp`, a 64-bit `message_token`, the `sender` of a message, and
//! `X-Viber-Content-Signature`, the lowercase hex HMAC-SHA256 of the body under the bot's auth
//! token. The signature is computed here independently of the adapter. A keyboard tap is what
//! Viber sends for a `reply` button: a text message holding the button's `ActionBody`.
//!
//! The fake API answers as Viber does, HTTP 200 with a `status` either way
//! (<https://developers.viber.com/docs/api/rest-bot-api/#error-codes>): a wrong
//! `X-Viber-Auth-Token` is status 2, what a test injected for `viber` comes next (a storm is
//! status 12, "Too many requests"), then a body Viber would refuse is status 3 (bad data: no
//! receiver, no or a too long `sender.name`, text over 7,000 characters, a picture caption over
//! 768, a message over 30 KB, a keyboard button without `ActionBody`) and a receiver who
//! unsubscribed is status 6. An accepted message is recorded and answered with its
//! `message_token`.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, now_millis};
use crate::platform::s;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chatdrop_domain::channel_spec::vars;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const CHANNEL: &str = "viber";
/// What starts the `ActionBody` of chatdrop's buttons; a tap sends the whole `ActionBody`.
const TAP_PREFIX: &str = "chatdrop:";

// ---------------------------------------------------------------------------------------------
// The customer's callbacks
// ---------------------------------------------------------------------------------------------

/// `X-Viber-Content-Signature`: lowercase hex HMAC-SHA256 of the body under the auth token.
pub fn signature(auth_token: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// `body` posted and signed as Viber posts it.
pub fn signed(body: Value) -> Webhook {
    let body = serde_json::to_vec(&body).expect("JSON values serialize");
    let token = &dev::secrets()[vars::VIBER_AUTH_TOKEN];
    Webhook {
        path: "/webhooks/viber".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-viber-content-signature", signature(token, &body)),
        ],
        body,
    }
}

/// A message token: 64-bit, unique per event (`id` is unique per call).
fn token(id: u64) -> u64 {
    5_000_000_000_000_000_000 + id
}

fn user(customer: &Customer) -> Value {
    json!({
        "id": customer.id,
        "name": customer.name,
        "avatar": "https://media-direct.cdn.viber.com/pg_download?id=0",
        "language": customer.language_code.as_deref().unwrap_or("en"),
        "country": "UA",
        "api_version": 10,
    })
}

fn message(customer: &Customer, id: u64, message: Value) -> Webhook {
    signed(json!({
        "event": "message",
        "timestamp": now_millis(),
        "chat_hostname": "SN-CHAT-01_",
        "message_token": token(id),
        "sender": user(customer),
        "message": message,
        "silent": false,
    }))
}

/// The customer typing `text`; `id` is unique per call.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    message(customer, id, json!({ "type": "text", "text": text }))
}

/// The customer tapping a `reply` button: Viber sends its `ActionBody` as their text. A bare
/// domain payload (a test tapping what it names) is written as chatdrop's buttons carry it.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    // The button's text is not in the callback; only its ActionBody is.
    let _ = title;
    let body = if payload.starts_with(TAP_PREFIX) {
        payload.to_string()
    } else {
        format!("{TAP_PREFIX}{payload}")
    };
    Some(message(
        customer,
        id,
        json!({ "type": "text", "text": body }),
    ))
}

/// The customer opening the chat (not yet a subscriber): answered with the welcome message.
pub fn conversation_started_webhook(customer: &Customer, id: u64) -> Webhook {
    signed(json!({
        "event": "conversation_started",
        "timestamp": now_millis(),
        "chat_hostname": "SN-CHAT-01_",
        "message_token": token(id),
        "type": "open",
        "context": "drop",
        "user": user(customer),
        "subscribed": false,
    }))
}

/// The customer subscribing (`true`) or unsubscribing (`false`).
pub fn subscription_webhook(customer: &Customer, id: u64, subscribed: bool) -> Webhook {
    if subscribed {
        signed(json!({
            "event": "subscribed",
            "timestamp": now_millis(),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": token(id),
            "user": user(customer),
        }))
    } else {
        signed(json!({
            "event": "unsubscribed",
            "timestamp": now_millis(),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": token(id),
            "user_id": customer.id,
        }))
    }
}

/// Viber's set-up check, sent when the webhook is set.
pub fn setup_webhook(id: u64) -> Webhook {
    signed(json!({
        "event": "webhook",
        "timestamp": now_millis(),
        "chat_hostname": "SN-CHAT-01_",
        "message_token": token(id),
    }))
}

// ---------------------------------------------------------------------------------------------
// The fake REST Bot API
// ---------------------------------------------------------------------------------------------

/// The Viber users the fake knows as having unsubscribed (status 6 to a send).
type Unsubscribed = Arc<Mutex<HashSet<String>>>;

/// Routes of the fake API, merged into the fakes server (paths under `/viber/`).
pub fn routes() -> Router<Fakes> {
    let unsubscribed = Unsubscribed::default();
    let for_control = unsubscribed.clone();
    Router::new()
        .route(
            "/viber/pa/send_message",
            post(
                move |fakes: State<Fakes>, headers: HeaderMap, body: Bytes| {
                    send_message(fakes, unsubscribed.clone(), headers, body)
                },
            ),
        )
        .route(
            "/viber/_control/unsubscribed",
            post(move |Json(user): Json<String>| {
                let set = for_control.clone();
                async move {
                    set.lock().expect("Viber fake lock").insert(user);
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
}

/// Viber's answer to a failed call: HTTP 200, the status and its name.
fn status(code: i64, name: &str) -> Response {
    Json(json!({ "status": code, "status_message": name, "chat_hostname": "SN-CHAT-01_" }))
        .into_response()
}

/// Viber's answer to too many messages: status 12 (no advised delay).
fn rate_limited(_retry_after: u64) -> Response {
    status(12, "Too many requests")
}

/// The limits the adapter promises to keep, checked so a regression shows up as Viber would
/// show it (<https://developers.viber.com/docs/api/rest-bot-api/#message-types>).
fn bad_data(body: &Value, raw: &[u8]) -> Option<&'static str> {
    let chars = |v: &Value| s(v).chars().count();
    if raw.len() > 30 * 1024 {
        return Some("message over 30KB");
    }
    if s(&body["receiver"]).is_empty() {
        return Some("missing receiver");
    }
    if !(1..=28).contains(&chars(&body["sender"]["name"])) {
        return Some("sender.name must be 1 to 28 characters");
    }
    match s(&body["type"]) {
        "text" if !(1..=7000).contains(&chars(&body["text"])) => {
            return Some("text must be 1 to 7000 characters");
        }
        "picture" if chars(&body["text"]) > 768 || s(&body["media"]).is_empty() => {
            return Some("picture needs media and a text of at most 768 characters");
        }
        "url" if !(1..=2000).contains(&chars(&body["media"])) => {
            return Some("url media must be 1 to 2000 characters");
        }
        "text" | "picture" | "url" | "rich_media" => {}
        _ => return Some("unknown message type"),
    }
    let buttons = body["keyboard"]["Buttons"]
        .as_array()
        .into_iter()
        .chain(body["rich_media"]["Buttons"].as_array())
        .flatten();
    for b in buttons {
        if s(&b["ActionBody"]).is_empty() || chars(&b["Text"]) > 250 {
            return Some("a button needs an ActionBody and at most 250 characters of Text");
        }
    }
    None
}

async fn send_message(
    State(fakes): State<Fakes>,
    unsubscribed: Unsubscribed,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let expected = &dev::secrets()[vars::VIBER_AUTH_TOKEN];
    if headers
        .get("x-viber-auth-token")
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return status(2, "invalidAuthToken");
    }
    if let Some(answer) = fakes.injected(CHANNEL, rate_limited).await {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&raw) else {
        return status(3, "badData");
    };
    if let Some(why) = bad_data(&body, &raw) {
        return status(3, why);
    }
    let receiver = s(&body["receiver"]).to_string();
    if unsubscribed
        .lock()
        .expect("Viber fake lock")
        .contains(&receiver)
    {
        return status(6, "receiverNotSubscribed");
    }
    let seq = fakes.record(CHANNEL, receiver, "send_message", body);
    Json(json!({
        "status": 0,
        "status_message": "ok",
        "message_token": 5_741_311_803_571_721_000u64 + seq as u64,
        "chat_hostname": "SN-CHAT-01_",
        "billing_status": 1,
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

/// The buttons a message shows: its keyboard's or its carousel's.
fn buttons(entry: &OutboxEntry) -> Vec<&Value> {
    let b = &entry.body;
    b["keyboard"]["Buttons"]
        .as_array()
        .into_iter()
        .chain(b["rich_media"]["Buttons"].as_array())
        .flatten()
        .collect()
}

/// Button text without its HTML (`<b>`, `<br>`), entities decoded.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.replace("<br>", "\n").chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One recorded request as the chat lines the customer sees.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    if entry.channel != CHANNEL {
        return None;
    }
    let b = &entry.body;
    let mut out = match s(&b["type"]) {
        "text" => s(&b["text"]).to_string(),
        "picture" => format!("[picture {}] {}", s(&b["media"]), s(&b["text"])),
        "url" => format!("[link {}]", s(&b["media"])),
        "rich_media" => "[carousel]".to_string(),
        other => format!("({other} message)"),
    };
    let shown: Vec<String> = buttons(entry)
        .iter()
        .map(|b| format!("[{}]", plain(s(&b["Text"]))))
        .collect();
    if !shown.is_empty() {
        out.push_str(&format!("\n  {}", shown.join(" ")));
    }
    Some(out)
}

/// The text a recorded request shows: a text message's text, a picture's caption, a link's
/// address, a carousel's card texts.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let b = &entry.body;
    match s(&b["type"]) {
        "text" | "picture" => s(&b["text"]).to_string(),
        "url" => s(&b["media"]).to_string(),
        "rich_media" => buttons(entry)
            .iter()
            .filter(|b| b["ActionType"] != "reply")
            .map(|b| plain(s(&b["Text"])))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The choices a recorded request offers: (title, the `ActionBody` a tap sends) for each
/// `reply` button; without them, the numbered lines of the text, typed by number.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let tappable: Vec<(String, Option<String>)> = buttons(entry)
        .iter()
        .filter(|b| b["ActionType"] == "reply")
        .map(|b| (plain(s(&b["Text"])), Some(s(&b["ActionBody"]).to_string())))
        .collect();
    if !tappable.is_empty() {
        return tappable;
    }
    crate::platform::numbered_titles(&shown_text(entry), &[" — "])
        .into_iter()
        .map(|t| (t, None))
        .collect()
}

#[cfg(test)]
#[path = "viber_tests.rs"]
mod tests;
