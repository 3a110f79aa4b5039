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
//! `X-Line-Retry-Key` (409 for a key already accepted, nothing recorded twice). The fakes may
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

async fn push(
    State(fakes): State<Fakes>,
    memory: Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match admit(&fakes, &headers, &body).await {
        Ok(body) => body,
        Err(answer) => return *answer,
    };
    let key = match headers.get("x-line-retry-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) if is_uuid(k) => Some(k.to_ascii_lowercase()),
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The value for the 'X-Line-Retry-Key' header is invalid",
            );
        }
    };
    let to = body["to"].as_str().unwrap_or_default().to_string();
    if to.is_empty() {
        return invalid_property("to", "May not be empty");
    }
    let mut memory = memory.lock().expect("LINE fake lock");
    if let Some(earlier) = key.as_ref().and_then(|k| memory.accepted.get(k)) {
        let mut answer = earlier.clone();
        answer["message"] = json!("The retry key is already accepted");
        return (StatusCode::CONFLICT, Json(answer)).into_response();
    }
    let count = message_count(&body);
    let seq = fakes.record(CHANNEL, to, "push", body);
    let answer = sent(seq, count);
    if let Some(k) = key {
        memory.accepted.insert(k, answer.clone());
    }
    Json(answer).into_response()
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
    if entry.channel != CHANNEL || !matches!(entry.method.as_str(), "reply" | "push") {
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
mod tests {
    use super::*;
    use crate::customer::Platform;
    use crate::platform::harness::{self, failure, receive, refused, tampered};
    use chatdrop_channels::line::{LineConfig, LineWebhook};
    use chatdrop_domain::inbound::InboundContent;

    const USER: &str = "Uaaaabbbbccccddddeeeeffff00001111";

    fn customer() -> Customer {
        Customer::on(Platform::Line, "http://127.0.0.1:1", USER, "Ana")
    }

    /// The adapter as the ingress function configures it with the dev secrets.
    fn adapter() -> LineWebhook {
        LineWebhook {
            config: LineConfig {
                channel_secret: dev::secrets()[vars::LINE_CHANNEL_SECRET].clone(),
            },
        }
    }

    #[test]
    fn base64_matches_the_published_line_vector() {
        // https://github.com/line/line-bot-sdk-python `tests/test_signature.py`.
        assert_eq!(
            signature("channel_secret", b"bodybodybodybody"),
            "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
        );
        // RFC 4648 §10 vectors, for the padding.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn the_adapter_accepts_a_text_webhook() {
        let webhook = text_webhook(&customer(), 7, "show menu");
        assert_eq!(webhook.path, "/webhooks/line");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].conversation.customer, USER);
        assert_eq!(
            m[0].content,
            InboundContent::Text {
                body: "show menu".into()
            }
        );
        assert_eq!(m[0].event_id.len(), 26);
        let token = m[0].reply_token.as_ref().expect("a reply token");
        assert!(token.token.ends_with(USER));
        // Another id is another event.
        let other = receive(&adapter(), &text_webhook(&customer(), 8, "show menu"));
        assert_ne!(other[0].event_id, m[0].event_id);
    }

    #[test]
    fn the_adapter_reads_a_tap_as_its_payload() {
        let webhook = tap_webhook(&customer(), 9, "c:p:tee", "Tee").expect("LINE has buttons");
        let m = receive(&adapter(), &webhook);
        assert_eq!(
            m[0].content,
            InboundContent::Action {
                payload: "c:p:tee".into(),
                title: None
            }
        );
    }

    #[test]
    fn a_tampered_webhook_is_refused() {
        let webhook = text_webhook(&customer(), 10, "hi");
        assert!(refused(&adapter(), &tampered(&webhook, "hi", "ho")));
    }

    fn entry(method: &str, body: Value) -> OutboxEntry {
        OutboxEntry {
            seq: 1,
            at_ms: 0,
            channel: CHANNEL.into(),
            recipient: USER.into(),
            method: method.into(),
            body,
        }
    }

    #[test]
    fn a_quick_reply_renders_and_offers_tappable_choices() {
        let e = entry(
            "reply",
            json!({ "replyToken": "t", "messages": [
                { "type": "image", "originalContentUrl": "https://cdn.example/tee.jpg", "previewImageUrl": "https://cdn.example/tee.jpg" },
                { "type": "text", "text": "Pick one", "quickReply": { "items": [
                    { "type": "action", "action": { "type": "postback", "label": "Organic cotton tee,…", "data": "c:p:tee", "displayText": "Organic cotton tee, heather grey" } },
                    { "type": "action", "action": { "type": "postback", "label": "Menu", "data": "c:m", "displayText": "Menu" } },
                ]}},
            ]}),
        );
        assert_eq!(
            render(&e).unwrap(),
            "[image https://cdn.example/tee.jpg]\nPick one\n  [Organic cotton tee,…] [Menu]"
        );
        assert_eq!(shown_text(&e), "Pick one");
        assert_eq!(
            choices(&e),
            vec![
                (
                    "Organic cotton tee, heather grey".to_string(),
                    Some("c:p:tee".to_string())
                ),
                ("Menu".to_string(), Some("c:m".to_string())),
            ]
        );
    }

    #[test]
    fn numbered_text_offers_choices_to_type() {
        let e = entry(
            "push",
            json!({ "to": USER, "messages": [{ "type": "text", "text": "Pick\n\n1. Blue mug — $12.00\n2. View cart\n\nReply with a number." }] }),
        );
        assert_eq!(
            choices(&e),
            vec![
                ("Blue mug".to_string(), None),
                ("View cart".to_string(), None)
            ]
        );
    }

    #[test]
    fn a_flex_link_shows_its_text_and_button() {
        let e = entry(
            "push",
            json!({ "to": USER, "messages": [{ "type": "flex", "altText": "Ready to pay.", "contents": {
                "type": "bubble",
                "body": { "type": "box", "layout": "vertical", "contents": [{ "type": "text", "text": "Ready to pay.", "wrap": true }] },
                "footer": { "type": "box", "layout": "vertical", "contents": [{ "type": "button", "action": { "type": "uri", "label": "Pay", "uri": "https://pay.example/x" } }] },
            }}]}),
        );
        assert_eq!(
            render(&e).unwrap(),
            "Ready to pay.\n  [Pay → https://pay.example/x]"
        );
        assert_eq!(shown_text(&e), "Ready to pay.");
        assert!(choices(&e).is_empty());
    }

    #[test]
    fn retry_keys_must_be_uuids() {
        assert!(is_uuid("01234567-89ab-cdef-0123-456789abcdef"));
        assert!(!is_uuid("0123456789abcdef0123456789abcdef"));
        assert!(!is_uuid("01234567-89ab-cdef-0123-456789abcdeg"));
    }

    #[test]
    fn over_limit_messages_are_refused_as_line_would() {
        assert!(check_messages(&json!([{ "type": "text", "text": "hi" }])).is_ok());
        assert!(check_messages(&json!([])).is_err());
        assert!(check_messages(&json!(vec![json!({ "type": "text", "text": "hi" }); 6])).is_err());
        let long_label = json!([{ "type": "text", "text": "hi", "quickReply": { "items": [
            { "type": "action", "action": { "type": "postback", "label": "x".repeat(21), "data": "c:m" } }
        ]}}]);
        assert!(check_messages(&long_label).is_err());
    }

    // --- the fake API, driven by the real adapter ----------------------------------------

    use crate::platform::harness::session;
    use chatdrop_channels::Outbound as _;
    use chatdrop_channels::line::{LineSendConfig, LineSender};
    use chatdrop_domain::channel::Channel;
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::inbound::ReplyToken;
    use chatdrop_domain::reply::{Reply, ReplyBundle};

    fn sender(base: &str, token: &str) -> LineSender {
        LineSender::new(
            chatdrop_channels::http_client(std::time::Duration::from_secs(5)),
            LineSendConfig {
                api_base: format!("{base}/line"),
                channel_access_token: token.into(),
            },
        )
    }

    fn bundle(id: &str, token: Option<ReplyToken>) -> ReplyBundle {
        let replies = vec![Reply::Text { body: "hi".into() }];
        ReplyBundle {
            reply_token: token,
            ..harness::bundle(Channel::Line, USER, id, replies)
        }
    }

    #[tokio::test]
    async fn the_fake_api_answers_the_adapter_as_line_does() {
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
        let good = sender(&base, &dev::secrets()[vars::LINE_ACCESS_TOKEN]);
        let token = receive(&adapter(), &text_webhook(&customer(), 11, "hi"))[0]
            .reply_token
            .clone();

        // A fresh token: a reply, recorded under the customer, with LINE's message ids.
        let first = bundle("b-1", token.clone());
        let sent = good.send(&session(&first)).await.expect("replied");
        assert_eq!(sent.message_ids.len(), 1);
        // The same token again: LINE refuses it and the adapter pushes instead.
        let second = bundle("b-2", token);
        good.send(&session(&second)).await.expect("pushed");
        // A retried push under the same key: 409, counted as sent, not recorded twice.
        good.send(&session(&second))
            .await
            .expect("already accepted");
        let recorded = harness::outbox(&base).await;
        let methods: Vec<&str> = recorded.iter().map(|e| e.method.as_str()).collect();
        assert_eq!(methods, vec!["reply", "push"]);
        assert!(recorded.iter().all(|e| e.recipient == USER));
        assert_eq!(render(&recorded[0]).as_deref(), Some("hi"));

        // A wrong channel access token: LINE's 401, kept for a redrive.
        let f = sender(&base, "wrong")
            .send(&session(&bundle("b-3", None)))
            .await;
        assert_eq!(failure(&f), ("transient", Some(401)));

        // An injected fault is answered once, then the push goes through.
        harness::queue_faults(
            &base,
            json!([{ "channel": "line", "status": 429, "body": { "message": "Too many requests" } }]),
        )
        .await;
        let f = good.send(&session(&bundle("b-4", None))).await;
        assert!(matches!(f, Err(SendFailure::RateLimited { .. })), "{f:?}");
        good.send(&session(&bundle("b-4", None)))
            .await
            .expect("pushed");
        assert_eq!(harness::outbox(&base).await.len(), 3);

        // In a storm every call is LINE's 429, which advises no delay: the adapter waits a
        // second, and nothing is recorded.
        harness::storm(&base, CHANNEL, 7).await;
        let f = good.send(&session(&bundle("b-5", None))).await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(429),
                retry_after: std::time::Duration::from_secs(1)
            })
        );
        assert_eq!(harness::outbox(&base).await.len(), 3);
    }

    #[tokio::test]
    async fn the_fake_profile_api_answers_the_adapter_as_line_does() {
        use chatdrop_domain::channel::ConversationId;
        use chatdrop_domain::ports::CustomerProfiles as _;
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
        let lookup = |token: &str| chatdrop_channels::line::LineProfiles {
            client: chatdrop_channels::http_client(std::time::Duration::from_secs(5)),
            config: LineSendConfig {
                api_base: format!("{base}/line"),
                channel_access_token: token.into(),
            },
        };
        let good = lookup(&dev::secrets()[vars::LINE_ACCESS_TOKEN]);
        let ana = ConversationId::new(Channel::Line, USER);
        // Nobody set a language: LINE's profile without one.
        assert_eq!(good.locale(&ana).await, Ok(None));
        harness::set_profile(&base, CHANNEL, USER, Some("th"), false).await;
        assert_eq!(good.locale(&ana).await, Ok(Some("th".into())));
        harness::set_profile(&base, CHANNEL, USER, None, true).await;
        assert!(good.locale(&ana).await.is_err());
        assert!(lookup("wrong").locale(&ana).await.is_err());
        assert!(
            harness::outbox(&base).await.is_empty(),
            "lookups are not sends"
        );
    }
}
