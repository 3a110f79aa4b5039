//! Property tests for every webhook: what holds for *all* inputs, not only for the examples in
//! each adapter's unit tests (issue 7, "Bad input, beyond unit cases").
//!
//! Three properties per platform, each checked on a few hundred generated requests:
//!
//! 1. **Garbage is refused, never a panic.** Arbitrary bytes as the body and arbitrary header,
//!    query and URL values: `receive` returns, and since nothing was signed the answer is an
//!    error, and never `Malformed` — that verdict comes from the parser, and the parser must not
//!    run on a request nobody authenticated.
//! 2. **A genuine signature always verifies.** The test signs the way the platform does, from
//!    the published scheme rather than the adapter's own helpers (a test that borrowed them
//!    would agree with any bug in them), over any body: the outcome may be messages or a
//!    complaint about the body, never `Unauthorized`. A well-formed text message signed so
//!    comes back as exactly that text, whatever the text.
//! 3. **Any single change is caught.** One byte of a signed body, of the signature, or of the
//!    signed URL and parameters (Twilio) or query (WeChat) changed: `Unauthorized`. Telegram
//!    signs nothing and echoes a secret instead, so any other header value is refused.
//!
//! WeChat's plaintext mode signs the query, not the body, so a body changed under a valid query
//! is accepted: property 2 shows it over arbitrary bodies, a reminder of the gap the `wechat`
//! module docs describe.
//!
//! Case counts stay at 256 so the file runs in seconds in a debug build; the coverage-guided
//! fuzzers in `fuzz/` (see its README) go much deeper into the parsers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_channels::line::{LineConfig, LineWebhook};
use chatdrop_channels::messenger::{MessengerConfig, MessengerWebhook};
use chatdrop_channels::sms::{SmsConfig, SmsWebhook};
use chatdrop_channels::telegram::{TelegramConfig, TelegramWebhook};
use chatdrop_channels::viber::{ViberConfig, ViberWebhook};
use chatdrop_channels::wechat::{WechatConfig, WechatWebhook};
use chatdrop_channels::whatsapp::{WhatsappConfig, WhatsappWebhook};
use chatdrop_channels::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::InboundContent;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

const CASES: u32 = 256;

// The secrets each webhook is configured with. Long enough that a generated value never hits
// one by chance, which property 1 relies on.
const APP_SECRET: &str = "meta-app-secret-for-properties";
const VERIFY_TOKEN: &str = "meta-verify-token-for-properties";
const TELEGRAM_SECRET: &str = "telegram-secret-token-for-properties";
const LINE_SECRET: &str = "line-channel-secret-for-properties";
const WECHAT_TOKEN: &str = "wechat-token-for-properties";
const TWILIO_TOKEN: &str = "twilio-auth-token-for-properties";
const VIBER_TOKEN: &str = "viber-auth-token-for-properties";

const URL: &str = "https://shop.example.com/webhooks/test";
const JSON: &[u8] = b"application/json";
const XML: &[u8] = b"text/xml";
const FORM: &[u8] = b"application/x-www-form-urlencoded";

fn whatsapp() -> WhatsappWebhook {
    WhatsappWebhook::new(WhatsappConfig {
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
    })
}

fn telegram() -> TelegramWebhook {
    TelegramWebhook::new(TelegramConfig {
        secret_token: TELEGRAM_SECRET.into(),
    })
}

fn messenger() -> MessengerWebhook {
    MessengerWebhook::new(MessengerConfig {
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: None,
    })
}

fn line() -> LineWebhook {
    LineWebhook::new(LineConfig {
        channel_secret: LINE_SECRET.into(),
    })
}

fn viber() -> ViberWebhook {
    ViberWebhook::new(ViberConfig {
        auth_token: VIBER_TOKEN.into(),
        sender_name: "shop".into(),
    })
}

fn viber_signature(body: &[u8]) -> String {
    hex::encode(hmac_sha256(VIBER_TOKEN, body))
}

fn wechat() -> WechatWebhook {
    WechatWebhook::new(WechatConfig {
        token: WECHAT_TOKEN.into(),
    })
}

fn sms() -> SmsWebhook {
    SmsWebhook::new(SmsConfig {
        auth_token: TWILIO_TOKEN.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// The platforms' published signing schemes, written out independently of the adapters.
// ---------------------------------------------------------------------------------------------

/// HMAC-SHA256: Meta's `X-Hub-Signature-256` (hex) and LINE's `x-line-signature` (Base64).
fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Meta's header value: `sha256=` and the lowercase hex MAC of the raw body.
fn meta_signature(body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(APP_SECRET, body)))
}

/// LINE's header value: the standard Base64 of the MAC of the raw body.
fn line_signature(body: &[u8]) -> String {
    BASE64.encode(hmac_sha256(LINE_SECRET, body))
}

/// What WeChat hashes: the token, timestamp and nonce sorted and concatenated.
fn wechat_signed_text(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    parts.concat()
}

/// WeChat's `signature` query parameter: the lowercase hex SHA-1 of the signed text.
fn wechat_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    hex::encode(Sha1::digest(
        wechat_signed_text(token, timestamp, nonce).as_bytes(),
    ))
}

/// The query WeChat calls with: signature, timestamp and nonce, percent-encoded.
fn wechat_query(signature: &str, timestamp: &str, nonce: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("signature", signature)
        .append_pair("timestamp", timestamp)
        .append_pair("nonce", nonce)
        .finish()
}

/// What Twilio signs: the URL, then every parameter as name+value, sorted by name and then by
/// value (byte order).
fn twilio_signed_text(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.as_bytes().to_vec();
    for (name, value) in sorted {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(value.as_bytes());
    }
    text
}

/// `X-Twilio-Signature`: Base64 of HMAC-SHA1 of the signed text under the auth token.
fn twilio_signature(url: &str, params: &[(String, String)]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(&twilio_signed_text(url, params));
    BASE64.encode(mac.finalize().into_bytes())
}

/// A form body as Twilio encodes one.
fn form(params: &[(String, String)]) -> Vec<u8> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    serializer.finish().into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// A header map from raw name/value pairs. A value HTTP cannot carry (a control byte) is left
/// out, as a server would never hand it on.
fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
    }
    map
}

fn receive(
    webhook: &dyn Webhook,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    url: &str,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    webhook.receive(&WebhookRequest {
        method,
        headers,
        query,
        url,
        body,
    })
}

fn post(
    webhook: &dyn Webhook,
    pairs: &[(&str, &[u8])],
    query: Option<&str>,
    url: &str,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    receive(webhook, &Method::POST, &headers(pairs), query, url, body)
}

fn is_unauthorized(result: &Result<WebhookOutcome, WebhookError>) -> bool {
    matches!(result, Err(WebhookError::Unauthorized(_)))
}

/// The single message a signed text event must come back as.
fn only_message(
    result: Result<WebhookOutcome, WebhookError>,
) -> chatdrop_domain::inbound::InboundMessage {
    match result {
        Ok(WebhookOutcome::Messages(mut messages)) if messages.len() == 1 => messages.remove(0),
        other => panic!("expected exactly one message, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Every header any webhook reads, so garbage lands where it is looked at.
const HEADER_NAMES: &[&str] = &[
    "x-hub-signature-256",
    "x-hub-signature",
    "x-line-signature",
    "x-line-retry-key",
    "x-telegram-bot-api-secret-token",
    "x-twilio-signature",
    "x-chatdrop-skill-secret",
    "content-type",
];

/// A header value: raw bytes, or something shaped like what a webhook expects (a hex or
/// Base64 MAC of the wrong key, a content type it accepts), which gets further in.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..100),
        "sha256=[0-9a-fA-F]{64}".prop_map(String::into_bytes),
        "[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{43}=".prop_map(String::into_bytes),
        prop::sample::select(vec![
            "application/json",
            "text/xml",
            "application/xml",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-8",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// A query: arbitrary text, or the parameters WeChat and Meta's subscription check read, with
/// arbitrary values.
fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<String>(),
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>()
        )
            .prop_map(|(s, t, n, e)| {
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("signature", &s)
                    .append_pair("timestamp", &t)
                    .append_pair("nonce", &n)
                    .append_pair("echostr", &e)
                    .finish()
            }),
        (any::<String>(), any::<String>()).prop_map(|(token, challenge)| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("hub.mode", "subscribe")
                .append_pair("hub.verify_token", &token)
                .append_pair("hub.challenge", &challenge)
                .finish()
        }),
    ])
}

/// Any JSON document, nested a few levels: closer to what the JSON parsers expect than raw
/// bytes, so more of them runs.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec![
            "whatsapp_business_account",
            "page",
            "messages",
            "text",
            "user",
            "message",
            "private",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    any::<String>(),
                    prop::sample::select(vec![
                        "object",
                        "entry",
                        "changes",
                        "field",
                        "value",
                        "messages",
                        "from",
                        "id",
                        "type",
                        "text",
                        "body",
                        "update_id",
                        "message",
                        "chat",
                        "events",
                        "source",
                        "messaging",
                        "sender",
                        "timestamp",
                    ])
                    .prop_map(String::from),
                ],
                inner,
                0..8,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: raw bytes, or a JSON document.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

/// A whole request nobody signed.
#[derive(Debug)]
struct Garbage {
    method: Method,
    headers: Vec<(&'static str, Vec<u8>)>,
    query: Option<String>,
    url: String,
    body: Vec<u8>,
}

fn garbage() -> impl Strategy<Value = Garbage> {
    (
        prop::sample::select(vec![Method::POST, Method::GET, Method::PUT, Method::DELETE]),
        prop::collection::vec((prop::sample::select(HEADER_NAMES), header_value()), 0..6),
        query(),
        prop_oneof![any::<String>(), Just(URL.to_string())],
        body(),
    )
        .prop_map(|(method, headers, query, url, body)| Garbage {
            method,
            headers,
            query,
            url,
            body,
        })
}

/// Checks property 1 on one webhook.
fn garbage_is_refused(webhook: &dyn Webhook, g: &Garbage) -> Result<(), TestCaseError> {
    let pairs: Vec<(&str, &[u8])> = g.headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let result = receive(
        webhook,
        &g.method,
        &headers(&pairs),
        g.query.as_deref(),
        &g.url,
        &g.body,
    );
    prop_assert!(
        matches!(&result, Err(e) if !matches!(e, WebhookError::Malformed(_))),
        "an unsigned request must be refused before the parser: {result:?}"
    );
    Ok(())
}

/// Whether a form body's `%XX` escapes decode to UTF-8, as Twilio's always do.
fn percent_decodes_to_utf8(body: &[u8]) -> bool {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match (body[i], hex(body.get(i + 1)), hex(body.get(i + 2))) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// A byte other than `b`: `b` with some bits flipped.
fn flip(b: u8, bits: u8) -> u8 {
    b ^ bits.max(1)
}

/// A printable ASCII character other than `c`, chosen by `pick`.
fn other_printable(c: u8, pick: u8) -> u8 {
    let candidate = 0x21 + pick % 94;
    if candidate == c {
        if c == 0x7e { 0x21 } else { c + 1 }
    } else {
        candidate
    }
}

/// `s` with its character at `at` replaced by a different one.
fn replace_char(s: &str, at: Index, with: char) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let i = at.index(chars.len());
    if chars[i] == with {
        return None;
    }
    let mut out = chars;
    out[i] = with;
    Some(out.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------
// Property 1: garbage is refused without a panic
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_refuses_garbage(g in garbage()) {
        garbage_is_refused(&whatsapp(), &g)?;
    }

    #[test]
    fn telegram_refuses_garbage(g in garbage()) {
        garbage_is_refused(&telegram(), &g)?;
    }

    #[test]
    fn messenger_refuses_garbage(g in garbage()) {
        garbage_is_refused(&messenger(), &g)?;
    }

    #[test]
    fn line_refuses_garbage(g in garbage()) {
        garbage_is_refused(&line(), &g)?;
    }

    #[test]
    fn viber_refuses_garbage(g in garbage()) {
        garbage_is_refused(&viber(), &g)?;
    }

    #[test]
    fn wechat_refuses_garbage(g in garbage()) {
        garbage_is_refused(&wechat(), &g)?;
    }

    #[test]
    fn sms_refuses_garbage(g in garbage()) {
        garbage_is_refused(&sms(), &g)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Property 2: a genuine signature verifies, over any body
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_genuine_signature_verifies(body in body()) {
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&whatsapp(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn whatsapp_signed_text_arrives_intact(
        from in "[0-9]{6,15}",
        id in "wamid\\.[A-Za-z0-9=_-]{1,40}",
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": [{
                "from": from, "id": id, "timestamp": "1700000000",
                "type": "text", "text": {"body": text},
            }]}}]}],
        })).unwrap();
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&whatsapp(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Whatsapp, from));
        prop_assert_eq!(m.event_id, id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn telegram_right_secret_is_let_through(body in body()) {
        let pairs = [("x-telegram-bot-api-secret-token", TELEGRAM_SECRET.as_bytes())];
        let result = post(&telegram(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn telegram_private_text_arrives_intact(
        update_id in any::<i64>(),
        chat in any::<i64>(),
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "update_id": update_id,
            "message": {
                "message_id": 1, "date": 1700000000, "text": text,
                "from": {"id": chat, "is_bot": false, "first_name": "A"},
                "chat": {"id": chat, "type": "private"},
            },
        })).unwrap();
        let pairs = [("x-telegram-bot-api-secret-token", TELEGRAM_SECRET.as_bytes())];
        let m = only_message(post(&telegram(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Telegram, chat.to_string()));
        prop_assert_eq!(m.event_id, update_id.to_string());
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn messenger_genuine_signature_verifies(body in body()) {
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&messenger(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn messenger_signed_text_arrives_intact(
        psid in "[0-9]{10,17}",
        mid in "m_[A-Za-z0-9_-]{1,40}",
        text in any::<String>().prop_filter("Messenger text is never empty", |t| !t.is_empty()),
    ) {
        let body = serde_json::to_vec(&json!({
            "object": "page",
            "entry": [{"id": "1", "time": 1, "messaging": [{
                "sender": {"id": psid}, "recipient": {"id": "1"},
                "timestamp": 1700000000000_i64,
                "message": {"mid": mid, "text": text},
            }]}],
        })).unwrap();
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&messenger(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Messenger, psid));
        prop_assert_eq!(m.event_id, mid);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn line_genuine_signature_verifies(body in body()) {
        let signature = line_signature(&body);
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&line(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn line_signed_text_arrives_intact(
        user in "U[0-9a-f]{32}",
        event_id in "[0-9A-Z]{26}",
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "destination": "Uffffffffffffffffffffffffffffffff",
            "events": [{
                "type": "message", "mode": "active", "timestamp": 1700000000000_i64,
                "webhookEventId": event_id,
                "deliveryContext": {"isRedelivery": false},
                "source": {"type": "user", "userId": user},
                "replyToken": "token",
                "message": {"id": "1", "type": "text", "text": text},
            }],
        })).unwrap();
        let signature = line_signature(&body);
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&line(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Line, user));
        prop_assert_eq!(m.event_id, event_id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn viber_genuine_signature_verifies(body in body()) {
        let signature = viber_signature(&body);
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&viber(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    /// Any text, any user id, any 64-bit token: what the customer typed arrives as typed (a
    /// text starting with the tap prefix is a tap, by design), under the token as its id.
    #[test]
    fn viber_signed_text_arrives_intact(
        user in "[A-Za-z0-9+/]{22}==",
        token in any::<u64>(),
        text in any::<String>(),
    ) {
        prop_assume!(!text.starts_with(chatdrop_channels::viber::TAP_PREFIX));
        let body = serde_json::to_vec(&json!({
            "event": "message", "timestamp": 1700000000000_i64, "chat_hostname": "SN-1_",
            "message_token": token,
            "sender": {"id": user, "name": "N", "language": "en", "api_version": 10},
            "message": {"type": "text", "text": text},
            "silent": false,
        })).unwrap();
        let signature = viber_signature(&body);
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&viber(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Viber, user));
        prop_assert_eq!(m.event_id, token.to_string());
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    /// WeChat signs the query, so any body under a genuine query passes the signature check.
    #[test]
    fn wechat_genuine_signature_verifies(nonce in any::<String>(), body in body()) {
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let query = wechat_query(&signature, &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    /// Any text WeChat can carry in XML arrives as sent. Not quite *any* text: the XML parser
    /// normalises line ends (including XML 1.1's NEL and LINE SEPARATOR, so U+0085 and U+2028
    /// arrive as `\n`), and control characters are not XML at all, so the text here has none
    /// of those; nor surrounding whitespace, which the deserializer trims.
    #[test]
    fn wechat_signed_text_arrives_intact(
        nonce in "[0-9]{1,12}",
        from in "o[A-Za-z0-9_-]{27}",
        msg_id in "[0-9]{1,20}",
        text in "[^\\s\\x00-\\x1f\\x7f-\\x9f\u{2028}]\
                 ([^\\x00-\\x1f\\x7f-\\x9f\u{2028}]{0,60}[^\\s\\x00-\\x1f\\x7f-\\x9f\u{2028}])?",
    ) {
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let body = format!(
            "<xml><ToUserName><![CDATA[gh_shop]]></ToUserName>\
             <FromUserName><![CDATA[{from}]]></FromUserName>\
             <CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content>{escaped}</Content><MsgId>{msg_id}</MsgId></xml>"
        );
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let query = wechat_query(&signature, &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, body.as_bytes());
        let m = only_message(result);
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Wechat, from));
        prop_assert_eq!(m.event_id, msg_id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    /// Twilio signs the decoded parameters, so a body of arbitrary bytes is signed as Twilio
    /// would sign the parameters those bytes decode to.
    #[test]
    fn sms_genuine_signature_verifies(body in body()) {
        let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let signature = twilio_signature(URL, &params);
        let pairs = [("x-twilio-signature", signature.as_bytes()), ("content-type", FORM)];
        let result = post(&sms(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn sms_signed_text_arrives_intact(
        url in "https://[a-z]{1,12}\\.example\\.com(:443)?/sms(\\?[a-z]{1,5}=[a-z0-9]{1,5})?",
        from in "\\+[1-9][0-9]{7,14}",
        sid in "SM[0-9a-f]{32}",
        text in any::<String>(),
        extra in prop::collection::vec(("[A-Z][A-Za-z0-9]{0,12}", any::<String>()), 0..4),
    ) {
        // "Text: " keeps any text from being read as a STOP or HELP keyword.
        let text = format!("Text: {text}");
        let mut params = vec![
            ("MessageSid".to_string(), sid.clone()),
            ("From".to_string(), from.clone()),
            ("Body".to_string(), text.clone()),
            ("NumMedia".to_string(), "0".to_string()),
        ];
        // Parameters Twilio might add tomorrow are signed over too.
        params.extend(extra.into_iter().filter(|(name, _)| {
            !matches!(name.as_str(), "MessageSid" | "From" | "Body" | "NumMedia" | "MessageStatus")
        }));
        let body = form(&params);
        let signature = twilio_signature(&url, &params);
        let pairs = [("x-twilio-signature", signature.as_bytes()), ("content-type", FORM)];
        let m = only_message(post(&sms(), &pairs, None, &url, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Sms, from));
        prop_assert_eq!(m.event_id, sid);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }
}

// ---------------------------------------------------------------------------------------------
// Property 3: any single change is caught
// ---------------------------------------------------------------------------------------------

/// Which part of a signed request a mutation changes.
#[derive(Debug, Clone, Copy)]
enum Part {
    Body,
    /// The MAC bytes the signature encodes.
    Mac,
    /// The signature header as text, prefix included.
    HeaderText,
}

fn part() -> impl Strategy<Value = Part> {
    prop::sample::select(vec![Part::Body, Part::Mac, Part::HeaderText])
}

/// Signs `body` with `sign`, changes one byte of `part`, and returns the header and body sent.
fn mutated_hmac_request(
    body: &[u8],
    part: Part,
    at: Index,
    bits: u8,
    mac: impl Fn(&[u8]) -> Vec<u8>,
    encode: impl Fn(&[u8]) -> String,
    case_insensitive_from: Option<usize>,
) -> Option<(String, Vec<u8>)> {
    let mut body = body.to_vec();
    let mut mac_bytes = mac(&body);
    match part {
        Part::Body => {
            let i = at.index(body.len());
            body[i] = flip(body[i], bits);
            Some((encode(&mac_bytes), body))
        }
        Part::Mac => {
            let i = at.index(mac_bytes.len());
            mac_bytes[i] = flip(mac_bytes[i], bits);
            Some((encode(&mac_bytes), body))
        }
        Part::HeaderText => {
            let mut header = encode(&mac_bytes).into_bytes();
            let i = at.index(header.len());
            let replacement = other_printable(header[i], bits);
            // Hex is case-insensitive: `A` for `a` is the same signature, not a changed one.
            if case_insensitive_from.is_some_and(|from| i >= from)
                && replacement.eq_ignore_ascii_case(&header[i])
            {
                return None;
            }
            header[i] = replacement;
            Some((String::from_utf8(header).unwrap(), body))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| format!("sha256={}", hex::encode(mac));
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(APP_SECRET, b), encode, Some(7),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&whatsapp(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn messenger_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| format!("sha256={}", hex::encode(mac));
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(APP_SECRET, b), encode, Some(7),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&messenger(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn line_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| BASE64.encode(mac);
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(LINE_SECRET, b), encode, None,
        );
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&line(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn viber_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| hex::encode(mac);
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(VIBER_TOKEN, b), encode, Some(0),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&viber(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn telegram_any_other_secret_is_unauthorized(
        presented in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            // The secret with one byte changed: a near miss is a miss.
            (any::<Index>(), any::<u8>()).prop_map(|(at, bits)| {
                let mut secret = TELEGRAM_SECRET.as_bytes().to_vec();
                let i = at.index(secret.len());
                secret[i] = other_printable(secret[i], bits);
                secret
            }),
        ],
        body in body(),
    ) {
        prop_assume!(presented != TELEGRAM_SECRET.as_bytes());
        let pairs = [("x-telegram-bot-api-secret-token", presented.as_slice())];
        // A value HTTP cannot carry is dropped by `headers`: then the header is missing, which
        // must be refused just the same.
        let result = post(&telegram(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn wechat_any_change_to_the_signed_query_is_unauthorized(
        nonce in "[A-Za-z0-9]{1,20}",
        which in 0..3_usize,
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let replacement = char::from(other_printable(0, bits));
        let (signature2, timestamp2, nonce2) = match which {
            0 => {
                let mutated = replace_char(&signature, at, replacement);
                // Hex is case-insensitive: `A` for `a` is the same signature.
                prop_assume!(mutated.as_ref().is_some_and(|m| !m.eq_ignore_ascii_case(&signature)));
                (mutated.unwrap(), timestamp.clone(), nonce.clone())
            }
            1 => {
                let mutated = replace_char(&timestamp, at, replacement);
                prop_assume!(mutated.is_some());
                (signature.clone(), mutated.unwrap(), nonce.clone())
            }
            _ => {
                let mutated = replace_char(&nonce, at, replacement);
                prop_assume!(mutated.is_some());
                (signature.clone(), timestamp.clone(), mutated.unwrap())
            }
        };
        // Only what WeChat hashes counts: a change that re-sorts into the same text is no
        // change (the adapter cannot tell, and neither could WeChat's own check).
        prop_assume!(
            which == 0
                || wechat_signed_text(WECHAT_TOKEN, &timestamp2, &nonce2)
                    != wechat_signed_text(WECHAT_TOKEN, &timestamp, &nonce)
        );
        let query = wechat_query(&signature2, &timestamp2, &nonce2);
        let body = b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType></xml>";
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, body);
        prop_assert!(is_unauthorized(&result), "{result:?}");
        // GET, the console's check, goes through the same verification.
        let result = receive(
            &wechat(), &Method::GET, &HeaderMap::new(), Some(&format!("{query}&echostr=e")), URL,
            b"",
        );
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn wechat_another_token_is_unauthorized(token in "[A-Za-z0-9]{1,32}", nonce in "[0-9]{1,10}") {
        prop_assume!(token != WECHAT_TOKEN);
        let timestamp = SystemClock.now().to_string();
        let query = wechat_query(&wechat_signature(&token, &timestamp, &nonce), &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, b"<xml/>");
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn sms_any_change_to_what_twilio_signed_is_unauthorized(
        url in "https://[a-z]{1,12}\\.example\\.com(:443)?/sms(\\?[a-z]{1,5}=[a-z0-9]{1,5})?",
        params in prop::collection::vec(("[A-Za-z][A-Za-z0-9]{0,12}", any::<String>()), 1..6),
        which in 0..4_usize,
        at in any::<Index>(),
        pick in any::<Index>(),
        replacement in any::<char>(),
        bits in any::<u8>(),
    ) {
        let signature = twilio_signature(&url, &params);
        let (url2, params2, signature2, body2) = match which {
            // The URL Twilio called.
            0 => {
                let mutated = replace_char(&url, at, char::from(other_printable(0, bits)));
                prop_assume!(mutated.is_some());
                (mutated.unwrap(), params.clone(), signature.clone(), form(&params))
            }
            // One character of one parameter's name or value.
            1 => {
                let mut params2 = params.clone();
                let p = &mut params2[pick.index(params.len())];
                let field = if bits % 2 == 0 { &mut p.0 } else { &mut p.1 };
                let mutated = replace_char(field, at, replacement);
                prop_assume!(mutated.is_some());
                *field = mutated.unwrap();
                let body = form(&params2);
                (url.clone(), params2, signature.clone(), body)
            }
            // One character of the signature.
            2 => {
                let mutated = replace_char(&signature, at, char::from(other_printable(0, bits)));
                prop_assume!(mutated.is_some());
                (url.clone(), params.clone(), mutated.unwrap(), form(&params))
            }
            // One byte of the raw form: what it decodes to is what counts.
            _ => {
                let mut body = form(&params);
                let i = at.index(body.len());
                body[i] = other_printable(body[i], bits);
                // A byte that breaks a multi-byte escape is refused as a bad request before
                // the signature is looked at; that path has property 1.
                prop_assume!(percent_decodes_to_utf8(&body));
                let decoded: Vec<(String, String)> =
                    form_urlencoded::parse(&body).into_owned().collect();
                (url.clone(), decoded, signature.clone(), body)
            }
        };
        prop_assume!(
            which == 2 || twilio_signed_text(&url2, &params2) != twilio_signed_text(&url, &params)
        );
        let pairs = [("x-twilio-signature", signature2.as_bytes()), ("content-type", FORM)];
        let result = post(&sms(), &pairs, None, &url2, &body2);
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// KakaoTalk: a static secret header and the bot id (Kakao signs nothing)
// ---------------------------------------------------------------------------------------------

const KAKAO_SECRET: &str = "kakao-skill-secret-for-properties";
const KAKAO_BOT: &str = "5f0c0de0a1b2c3d4e5f60718";

fn kakao() -> chatdrop_channels::kakao::KakaoWebhook {
    chatdrop_channels::kakao::KakaoWebhook::new(chatdrop_channels::kakao::KakaoConfig {
        skill_secret: KAKAO_SECRET.into(),
        bot_id: KAKAO_BOT.into(),
        admin_key: KAKAO_ADMIN_KEY.into(),
    })
}

const KAKAO_ADMIN_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// The channel add/block callback with `authorization` (any bytes) and `body`.
fn kakao_channel(
    authorization: &[u8],
    body: &[u8],
) -> Result<chatdrop_channels::kakao::ChannelCallback, WebhookError> {
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(authorization) {
        headers.insert(http::header::AUTHORIZATION, value);
    }
    chatdrop_channels::kakao::parse_channel_callback(
        &kakao().config,
        &WebhookRequest {
            method: &http::Method::POST,
            headers: &headers,
            query: None,
            url: URL,
            body,
        },
        1_790_000_000,
    )
}

fn kakao_request(user: &str, utterance: &str, bot: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "intent": {"id": "blk", "name": "fallback"},
        "userRequest": {
            "timezone": "Asia/Seoul", "lang": "ko", "utterance": utterance,
            "block": {"id": "blk", "name": "fallback"}, "params": {},
            "user": {"id": user, "type": "botUserKey", "properties": {}},
        },
        "bot": {"id": bot, "name": "shop"},
        "action": {"id": "s", "name": "chatdrop", "params": {}, "detailParams": {}, "clientExtra": null},
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kakao_refuses_garbage(g in garbage()) {
        garbage_is_refused(&kakao(), &g)?;
    }

    /// Only `KakaoAK <admin key>` opens the channel callback, whatever the body.
    #[test]
    fn kakao_channel_callback_wants_the_admin_key(
        presented in prop::collection::vec(any::<u8>(), 0..80),
        body in body(),
    ) {
        let right = format!("KakaoAK {KAKAO_ADMIN_KEY}");
        let key = KAKAO_ADMIN_KEY.as_bytes();
        if !presented.windows(key.len()).any(|w| w == key) {
            let result = kakao_channel(&presented, &body);
            prop_assert!(matches!(result, Err(WebhookError::Unauthorized(_))), "{result:?}");
        }
        // With the key, any body is a callback or a bad request: never a panic, never a 401.
        let result = kakao_channel(right.as_bytes(), &body);
        prop_assert!(
            matches!(result, Ok(_) | Err(WebhookError::BadRequest(_))),
            "{result:?}"
        );
    }

    #[test]
    fn kakao_right_secret_is_let_through(body in body()) {
        let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
        let result = post(&kakao(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn kakao_utterance_arrives_trimmed_from_its_user(
        user in "[A-Za-z0-9_-]{1,70}",
        utterance in any::<String>(),
    ) {
        let body = kakao_request(&user, &utterance, KAKAO_BOT);
        let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&kakao(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Kakao, user));
        let trimmed = utterance.trim();
        if trimmed.is_empty() {
            prop_assert_eq!(m.content, InboundContent::unsupported("empty"));
        } else {
            prop_assert_eq!(m.content, InboundContent::Text { body: trimmed.to_string() });
        }
    }

    #[test]
    fn kakao_any_other_secret_or_bot_is_refused(
        presented in prop::collection::vec(any::<u8>(), 0..80),
        bot in "[a-z0-9]{1,30}",
    ) {
        let body = kakao_request("u1", "hi", KAKAO_BOT);
        if presented != KAKAO_SECRET.as_bytes() {
            let pairs = [("x-chatdrop-skill-secret", presented.as_slice()), ("content-type", JSON)];
            let result = post(&kakao(), &pairs, None, URL, &body);
            prop_assert!(is_unauthorized(&result), "{result:?}");
        }
        if bot != KAKAO_BOT {
            let foreign = kakao_request("u1", "hi", &bot);
            let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
            let result = post(&kakao(), &pairs, None, URL, &foreign);
            prop_assert!(matches!(result, Err(WebhookError::Forbidden(_))), "{result:?}");
        }
    }
}
