//! The LINE side of the local stack: a customer who sends signed webhooks, and a fake
//! Messaging API that records what chatdrop sends.
//!
//! The customer's webhooks are built the way LINE builds them
//! (<https://github.com/line/line-openapi> `webhook.yml`): one `events[]` entry with a
//! ULID-shaped `webhookEventId`, a millisecond `timestamp`, a `user` source and a
//! `replyToken`, signed with `x-line-signature` (Base64 HMAC-SHA256 of the body
//! under the channel secret). The signature is computed here independently of the adapter, so
//! the tests below prove the scheme round-trips rather than that the adapter agrees with itself.
//!
//! The fake API behaves as LINE does where chatdrop depends on it: it checks the bearer token
//! (401 with LINE's message otherwise), then answers what a test injected for `line` (a delay,
//! a fault, a storm's 429: see [`crate::fakes`]), takes a reply token once and only for a minute (400
//! "Invalid reply token" otherwise, which drives the adapter's fallback to a push), refuses more
//! than five messages or over-limit quick replies, and deduplicates pushes on
//! `X-Line-Retry-Key` (409 for a key already accepted, nothing recorded twice). A multicast
//! (1 to 500 user ids in `to`, the same retry key rule) is recorded once per recipient, as each
//! of them sees it. The fakes may
//! run in a process of their own, so a reply token carries what the fake needs to know: the
//! customer it answers and when it was issued.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, ProfileAnswer, now_millis};
use crate::platform::s;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, body::Bytes};
use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::clock::{Clock, SystemClock};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

const CHANNEL: &str = "line";
/// The shop's bot user id, as LINE puts it in `destination`.
const BOT_USER_ID: &str = "U0123456789abcdef0123456789abcdef";
/// How long the fake honours a reply token (LINE: "within one minute").
const REPLY_TOKEN_SECONDS: i64 = 60;

// ---------------------------------------------------------------------------------------------
// The customer's webhooks
// ---------------------------------------------------------------------------------------------

/// Standard Base64 with padding (RFC 4648 §4), which LINE uses for its signature.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `x-line-signature`: Base64 of HMAC-SHA256 of the body under the channel secret.
pub fn signature(channel_secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(channel_secret.as_bytes()).expect("any key length");
    mac.update(body);
    base64(&mac.finalize().into_bytes())
}

/// A reply token the fake API can check on its own: `<id>.<issued, unix s>.<user id>`.
fn reply_token(customer: &Customer, id: u64, issued_at: u64) -> String {
    format!("{id:x}.{issued_at}.{}", customer.id)
}

/// One event from `customer`, wrapped, serialised and signed as LINE sends it.
fn signed_event(customer: &Customer, id: u64, kind: &str, detail: (&str, Value)) -> Webhook {
    let millis = now_millis();
    let mut event = json!({
        "type": kind,
        "mode": "active",
        "timestamp": millis,
        // A ULID is 26 Crockford base-32 characters; digits are all valid ones.
        "webhookEventId": format!("01JSM{id:021}"),
        "deliveryContext": { "isRedelivery": false },
        "source": { "type": "user", "userId": customer.id },
        "replyToken": reply_token(customer, id, millis / 1000),
    });
    event[detail.0] = detail.1;
    let body = serde_json::to_vec(&json!({ "destination": BOT_USER_ID, "events": [event] }))
        .expect("JSON values serialize");
    let secret = &dev::secrets()[vars::LINE_CHANNEL_SECRET];
    Webhook {
        path: "/webhooks/line".into(),
        headers: vec![
            ("content-type", "application/json; charset=utf-8".into()),
            ("x-line-signature", signature(secret, &body)),
        ],
        body,
    }
}

/// The customer typing `text`; `id` is unique per call.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    let message = json!({
        "id": id.to_string(),
        "type": "text",
        "quoteToken": format!("q{id}"),
        "text": text,
    });
    signed_event(customer, id, "message", ("message", message))
}

/// The customer tapping a quick-reply button: LINE sends its postback `data` back verbatim.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    // The button's `displayText` appears in the chat, but the webhook carries only the data.
    let _ = title;
    Some(signed_event(
        customer,
        id,
        "postback",
        ("postback", json!({ "data": payload })),
    ))
}

// ---------------------------------------------------------------------------------------------
// The fake Messaging API
// ---------------------------------------------------------------------------------------------

/// What the fake remembers between calls: used reply tokens, and accepted retry keys with the
/// answer they got.
#[derive(Default)]
struct Memory {
    used_tokens: HashSet<String>,
    accepted: HashMap<String, Value>,
}

type Shared = Arc<Mutex<Memory>>;

/// Routes of the fake API, merged into the fakes server (paths under `/line/`).
pub fn routes() -> Router<Fakes> {
    let memory = Shared::default();
    let for_push = memory.clone();
    let for_multicast = memory.clone();
    Router::new()
        .route(
            "/line/v2/bot/message/reply",
            post(
                move |fakes: State<Fakes>, headers: HeaderMap, body: Bytes| {
                    reply(fakes, memory.clone(), headers, body)
                },
            ),
        )
        .route(
            "/line/v2/bot/message/push",
            post(
                move |fakes: State<Fakes>, headers: HeaderMap, body: Bytes| {
                    push(fakes, for_push.clone(), headers, body)
                },
            ),
        )
        .route(
            "/line/v2/bot/message/multicast",
            post(
                move |fakes: State<Fakes>, headers: HeaderMap, body: Bytes| {
                    multicast(fakes, for_multicast.clone(), headers, body)
                },
            ),
        )
        .route("/line/v2/bot/profile/{user}", get(profile))
}

/// `GET /v2/bot/profile/{userId}`
/// (<https://developers.line.biz/en/reference/messaging-api/#get-profile>): the profile LINE
/// documents, with `language` only when a test set one (LINE leaves it out without the user's
/// consent), or LINE's 404 for a lookup a test made fail.
async fn profile(
    State(fakes): State<Fakes>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    let expected = format!("Bearer {}", dev::secrets()[vars::LINE_ACCESS_TOKEN]);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
        );
    }
    match fakes.profile_locale(CHANNEL, &user) {
        ProfileAnswer::Failed => error(StatusCode::NOT_FOUND, "Not found"),
        ProfileAnswer::Found(language) => {
            let mut body = json!({
                "displayName": "Ana",
                "userId": user,
                "pictureUrl": "https://profile.line-scdn.net/0hFakeProfilePicture",
                "statusMessage": "",
            });
            if let Some(language) = language {
                body["language"] = json!(language);
            }
            Json(body).into_response()
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

fn invalid_property(property: &str, message: &str) -> Response {
    let body = json!({
        "message": "The request body has 1 error(s)",
        "details": [{ "message": message, "property": property }],
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// LINE's answer to too many calls: a 429 with no advised delay (the adapter waits a second).
fn rate_limited(_retry_after: u64) -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "The API rate limit has been exceeded. Try again later.",
    )
}

/// The checks every send call passes first: the token, what a test injected, a readable body
/// whose messages LINE would take. `Err` is the answer to give instead.
/// Boxed: a `Response` is large, and the happy path should not carry its size.
async fn admit(fakes: &Fakes, headers: &HeaderMap, body: &Bytes) -> Result<Value, Box<Response>> {
    let expected = format!("Bearer {}", dev::secrets()[vars::LINE_ACCESS_TOKEN]);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
        )));
    }
    if let Some(answer) = fakes.injected(CHANNEL, rate_limited).await {
        return Err(Box::new(answer));
    }
    let body: Value = serde_json::from_slice(body).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "The request body could not be parsed as JSON",
        ))
    })?;
    check_messages(&body["messages"])?;
    Ok(body)
}

/// The limits the adapter promises to keep (<https://github.com/line/line-openapi>
/// `messaging-api.yml` and <https://developers.line.biz/en/reference/messaging-api/>), checked
/// so a regression shows up as LINE would show it.
fn check_messages(messages: &Value) -> Result<(), Box<Response>> {
    let list = messages.as_array().map(Vec::as_slice).unwrap_or_default();
    if !(1..=5).contains(&list.len()) {
        return Err(Box::new(invalid_property(
            "messages",
            "Size must be between 1 and 5",
        )));
    }
    for (i, m) in list.iter().enumerate() {
        if m["type"] == "text" {
            let units = m["text"]
                .as_str()
                .unwrap_or_default()
                .encode_utf16()
                .count();
            if !(1..=5000).contains(&units) {
                return Err(Box::new(invalid_property(
                    &format!("messages[{i}].text"),
                    "Length must be between 1 and 5000",
                )));
            }
        }
        let items = m["quickReply"]["items"].as_array().map(Vec::as_slice);
        if items.is_some_and(|items| items.len() > 13) {
            return Err(Box::new(invalid_property(
                &format!("messages[{i}].quickReply.items"),
                "Size must be between 0 and 13",
            )));
        }
        for (j, item) in items.unwrap_or_default().iter().enumerate() {
            let action = &item["action"];
            let label = action["label"].as_str().unwrap_or_default().chars().count();
            if !(1..=20).contains(&label) {
                return Err(Box::new(invalid_property(
                    &format!("messages[{i}].quickReply.items[{j}].action.label"),
                    "Length must be between 1 and 20",
                )));
            }
            if action["data"].as_str().unwrap_or_default().chars().count() > 300 {
                return Err(Box::new(invalid_property(
                    &format!("messages[{i}].quickReply.items[{j}].action.data"),
                    "Length must be between 0 and 300",
                )));
            }
        }
    }
    Ok(())
}

/// LINE's answer to an accepted call: one id (and quote token) per message sent.
fn sent(seq: usize, count: usize) -> Value {
    let messages: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": (600_000_000_000_000_000u64 + seq as u64 * 10 + i as u64).to_string(),
                "quoteToken": format!("fakeQuote{seq}x{i}"),
            })
        })
        .collect();
    json!({ "sentMessages": messages })
}

fn message_count(body: &Value) -> usize {
    body["messages"].as_array().map_or(0, Vec::len)
}

async fn reply(
    State(fakes): State<Fakes>,
    memory: Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match admit(&fakes, &headers, &body).await {
        Ok(body) => body,
        Err(answer) => return *answer,
    };
    let token = body["replyToken"].as_str().unwrap_or_default().to_string();
    // `<id>.<issued>.<user>`, as the customer's webhooks issue them.
    let mut parts = token.splitn(3, '.');
    let (issued, user) = match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(issued), Some(user)) if !user.is_empty() => {
            (issued.parse::<i64>().unwrap_or(0), user.to_string())
        }
        _ => return error(StatusCode::BAD_REQUEST, "Invalid reply token"),
    };
    let expired = SystemClock.now() - issued > REPLY_TOKEN_SECONDS;
    {
        let mut memory = memory.lock().expect("LINE fake lock");
        // Single use, whether or not it had expired.
        if !memory.used_tokens.insert(token) || expired {
            return error(StatusCode::BAD_REQUEST, "Invalid reply token");
        }
    }
    let count = message_count(&body);
    let seq = fakes.record(CHANNEL, user, "reply", body);
    Json(sent(seq, count)).into_response()
}

/// A retry key is a UUID in hexadecimal: 8-4-4-4-12.
fn is_uuid(key: &str) -> bool {
    let groups: Vec<&str> = key.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The request's `X-Line-Retry-Key`, if any, lower-cased; `Err` with LINE's answer to one
/// that is not a UUID.
fn retry_key(headers: &HeaderMap) -> Result<Option<String>, Box<Response>> {
    match headers.get("x-line-retry-key").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(k)) if is_uuid(k) => Ok(Some(k.to_ascii_lowercase())),
        Some(_) => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "The value for the 'X-Line-Retry-Key' header is invalid",
        ))),
    }
}

/// [`admit`] for a push or a multicast, which may carry a retry key: the body and the key.
async fn admit_with_key(
    fakes: &Fakes,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Value, Option<String>), Box<Response>> {
    let body = admit(fakes, headers, body).await?;
    Ok((body, retry_key(headers)?))
}

/// LINE's 409 to a retry key it accepted before: the earlier answer, with why.
fn already_accepted(earlier: &Value) -> Response {
    let mut answer = earlier.clone();
    answer["message"] = json!("The retry key is already accepted");
    (StatusCode::CONFLICT, Json(answer)).into_response()
}

/// A call under retry key `key`: LINE's 409 with the earlier answer when the key was accepted
/// before; otherwise `accept` records the call and gives the answer, kept under the key. The
/// lock is held throughout, so two attempts at once cannot both be recorded.
fn once_per_key(memory: &Shared, key: Option<String>, accept: impl FnOnce() -> Value) -> Response {
    let mut memory = memory.lock().expect("LINE fake lock");
    if let Some(earlier) = key.as_ref().and_then(|k| memory.accepted.get(k)) {
        return already_accepted(earlier);
    }
    let answer = accept();
    if let Some(k) = key {
        memory.accepted.insert(k, answer.clone());
    }
    Json(answer).into_response()
}

async fn push(
    State(fakes): State<Fakes>,
    memory: Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (body, key) = match admit_with_key(&fakes, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(answer) => return *answer,
    };
    let to = body["to"].as_str().unwrap_or_default().to_string();
    if to.is_empty() {
        return invalid_property("to", "May not be empty");
    }
    once_per_key(&memory, key, || {
        let count = message_count(&body);
        let seq = fakes.record(CHANNEL, to, "push", body);
        sent(seq, count)
    })
}

/// `POST /v2/bot/message/multicast`: the same messages to 1-500 user ids, answered `{}`
/// (<https://developers.line.biz/en/reference/messaging-api/#send-multicast-message>). Each
/// recipient's copy is recorded as theirs (method `multicast`), once per retry key.
async fn multicast(
    State(fakes): State<Fakes>,
    memory: Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (body, key) = match admit_with_key(&fakes, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(answer) => return *answer,
    };
    let to: Vec<String> = body["to"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if !(1..=500).contains(&to.len()) {
        return invalid_property("to", "Size must be between 1 and 500");
    }
    once_per_key(&memory, key, || {
        let copy = json!({ "messages": body["messages"] });
        for user in to {
            let mut theirs = copy.clone();
            theirs["to"] = json!(user);
            fakes.record(CHANNEL, user, "multicast", theirs);
        }
        json!({})
    })
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

fn messages(entry: &OutboxEntry) -> &[Value] {
    entry.body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The text components of a Flex bubble's body, in order.
fn flex_texts(message: &Value) -> Vec<&str> {
    message["contents"]["body"]["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "text")
        .map(|c| s(&c["text"]))
        .collect()
}

/// One recorded request as the chat lines the customer sees.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    if entry.channel != CHANNEL || !matches!(entry.method.as_str(), "reply" | "push" | "multicast")
    {
        return None;
    }
    let lines: Vec<String> = messages(entry)
        .iter()
        .map(|m| {
            let mut out = match s(&m["type"]) {
                "text" => s(&m["text"]).to_string(),
                "image" => format!("[image {}]", s(&m["originalContentUrl"])),
                "flex" => {
                    let mut out = flex_texts(m).join("\n");
                    for button in m["contents"]["footer"]["contents"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let action = &button["action"];
                        out.push_str(&format!(
                            "\n  [{} → {}]",
                            s(&action["label"]),
                            s(&action["uri"])
                        ));
                    }
                    out
                }
                other => format!("({other} message)"),
            };
            let buttons: Vec<String> = m["quickReply"]["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| format!("[{}]", s(&item["action"]["label"])))
                .collect();
            if !buttons.is_empty() {
                out.push_str(&format!("\n  {}", buttons.join(" ")));
            }
            out
        })
        .collect();
    Some(lines.join("\n"))
}

/// The text a recorded request shows: text messages and Flex body texts, joined by newlines.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let mut parts = Vec::new();
    for m in messages(entry) {
        match s(&m["type"]) {
            "text" => parts.push(s(&m["text"])),
            "flex" => parts.extend(flex_texts(m)),
            _ => {}
        }
    }
    parts.join("\n")
}

/// The choices a recorded request offers: (title, payload if tappable). Quick-reply postbacks
/// are tappable, titled by the `displayText` the tap shows (the label may be cut to 20
/// characters); without them, the numbered lines `1. Title — description` of the text are
/// choices the customer types the number of.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let quick: Vec<(String, Option<String>)> = messages(entry)
        .iter()
        .rev()
        .find_map(|m| m["quickReply"]["items"].as_array())
        .into_iter()
        .flatten()
        .map(|item| {
            let action = &item["action"];
            let title = action["displayText"]
                .as_str()
                .unwrap_or_else(|| s(&action["label"]));
            let payload = (action["type"] == "postback").then(|| s(&action["data"]).to_string());
            (title.to_string(), payload)
        })
        .collect();
    if !quick.is_empty() {
        return quick;
    }
    // Numbered lines count up from 1; anything else breaks the list.
    let mut numbered = Vec::new();
    for line in shown_text(entry).lines() {
        let prefix = format!("{}. ", numbered.len() + 1);
        if let Some(rest) = line.strip_prefix(&prefix) {
            let title = rest.split(" — ").next().unwrap_or(rest);
            numbered.push((title.to_string(), None));
        } else if !numbered.is_empty() && !line.trim().is_empty() {
            break;
        }
    }
    numbered
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
