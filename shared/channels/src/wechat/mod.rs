//! WeChat Official Account adapter (plaintext mode).
//!
//! **Inbound.** WeChat calls one URL two ways, and both carry `signature`, `timestamp` and
//! `nonce` in the query: the signature is the SHA-1 of the token we set in the console,
//! the timestamp and the nonce, sorted and concatenated. A GET is the console's server check and
//! is answered by echoing `echostr`; a POST carries one XML message or event.
//!
//! Plaintext mode's signature covers the query only, **not the body**: whoever captures one
//! signed URL can POST any XML with it. Two things bound that. The timestamp must be within
//! [`MAX_CLOCK_SKEW`] of our clock (WeChat's docs do not ask for it, but its retries all come
//! within a few seconds, so an honest request is never refused), which turns a captured URL
//! into a five-minute risk instead of a permanent one; and the queue's deduplication drops a
//! replayed message id. Safe mode (`msg_signature` plus AES over the body) would close the gap
//! and is the thing to switch to if that risk matters; it is out of scope here.
//!
//! The body is XML, the format with the worst history of parser attacks: external entities
//! read local files (XXE) and nested entities expand a kilobyte into gigabytes ("billion
//! laughs"). WeChat never sends a document type declaration, so any body with `<!DOCTYPE` or
//! `<!ENTITY` is refused before a parser sees it; `quick-xml` would not expand custom entities
//! anyway, but refusing costs nothing and does not depend on a parser's defaults staying safe.
//!
//! Each POST is one event. Messages carry a `MsgId`; events do not, and WeChat's documented
//! deduplication key for them is the sender plus `CreateTime`, so that (plus the event name) is
//! the `event_id`. Following the account is an opt-in, unfollowing an opt-out, a custom-menu
//! `CLICK` is the tap of a button whose payload is the menu key; anything else an account
//! receives (scans, location reports, template-send reports) is not the customer talking.
//!
//! **Acknowledgement.** WeChat waits five seconds for an answer and then retries, three times in
//! all. We answer `success` at once and send every reply through the customer-service API,
//! never as a passive reply in the HTTP response.
//!
//! **Outbound.** The customer-service API sends text to anyone who wrote within 48 hours, but
//! counts: the current rules allow five messages per customer message (older rules said 20).
//! So replies are *merged*: [`WechatSender::batches`] groups consecutive replies whose text fits
//! one message ([`LIMITS`]), and each group goes out as one message. WeChat has no buttons in a
//! chat, so choices are numbered lines (the domain resolves a typed number), links are the
//! `<a href>` that WeChat text messages render, and an image is its URL: an image message needs
//! a `media_id` from a prior upload, which is a second API and a second quota for little gain.
//! Outside the window only template messages may be sent, and those need a template approved
//! for the account, so order updates outside the window are held (`updates_after_window`).
//!
//! **The access token** is the awkward part. Each fetch invalidates the previous token (after a
//! short grace period) and the daily fetch quota is small, so one token is shared through the
//! [`TokenCache`] by every function and warm instance: read it; when it is missing or about to
//! expire, one caller takes the lease and fetches while the others wait briefly and re-read.
//! A token the API calls invalid (another deployment fetched a new one, ops rotated the secret)
//! is dropped and fetched again, once per send.
//!
//! **Failures** come back as `{"errcode":…,"errmsg":…}` in an HTTP **200**, so the status alone
//! says nothing; [`classify`] reads the code.

use crate::signature;
use crate::text::{Hint, numbered_text};
use crate::{
    Acknowledgement, Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type,
    transport_failure, truncate_chars,
};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::{CachedToken, TokenCache};
use chatdrop_domain::reply::Reply;
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone)]
pub struct WechatConfig {
    /// The token set in the Official Account console (Basic configuration → Server).
    pub token: String,
}

pub struct WechatWebhook {
    pub config: WechatConfig,
}

#[derive(Clone)]
pub struct WechatSendConfig {
    /// `https://api.weixin.qq.com` in production.
    pub api_base: String,
    pub app_id: String,
    pub app_secret: String,
}

pub struct WechatSender {
    pub client: reqwest::Client,
    pub config: WechatSendConfig,
    pub tokens: Arc<dyn TokenCache>,
    /// This instance's copy of the shared token, so a warm function does not read the cache on
    /// every send.
    memo: Mutex<Option<CachedToken>>,
    /// Who this instance is when it takes the refresh lease.
    holder: String,
}

// Secrets stay out of debug output: a config printed in a log line must not leak them.
impl std::fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for WechatSendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatSendConfig")
            .field("api_base", &self.api_base)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// How far a request's `timestamp` may be from our clock, in seconds, either way.
pub const MAX_CLOCK_SKEW: i64 = 300;

/// The customer-service window: free-form messages only within 48 hours of the customer's last
/// message.
pub const WINDOW: Duration = Duration::from_secs(48 * 3600);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

/// WeChat's signature: lowercase hex SHA-1 of the token, timestamp and nonce, sorted
/// lexicographically and concatenated.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The query parameters WeChat signs with; the first occurrence of each wins, so a repeated
/// parameter cannot override a checked one.
#[derive(Default)]
struct SignedQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
}

impl SignedQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut q = SignedQuery::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match key.as_ref() {
                "signature" => &mut q.signature,
                "timestamp" => &mut q.timestamp,
                "nonce" => &mut q.nonce,
                "echostr" => &mut q.echostr,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        q
    }
}

impl WechatWebhook {
    pub fn new(config: WechatConfig) -> Self {
        WechatWebhook { config }
    }

    fn verify(&self, q: &SignedQuery, now: i64) -> Result<(), WebhookError> {
        // A signature over an empty token is one anybody can compute.
        if self.config.token.is_empty() {
            return Err(WebhookError::Unauthorized("token not configured"));
        }
        let (Some(presented), Some(timestamp), Some(nonce)) =
            (&q.signature, &q.timestamp, &q.nonce)
        else {
            return Err(WebhookError::Unauthorized(
                "missing signature, timestamp or nonce",
            ));
        };
        let presented = hex::decode(presented)
            .ok()
            .filter(|p| p.len() == 20)
            .ok_or(WebhookError::Unauthorized("signature is not a hex SHA-1"))?;
        let expected = hex::decode(signature(&self.config.token, timestamp, nonce))
            .map_err(|_| WebhookError::Unauthorized("signature mismatch"))?;
        if !signature::constant_time_eq(&expected, &presented) {
            return Err(WebhookError::Unauthorized("signature mismatch"));
        }
        // Checked after the signature, so an unsigned request learns nothing about our clock.
        let at: i64 = timestamp
            .parse()
            .map_err(|_| WebhookError::Unauthorized("timestamp is not a number"))?;
        // `abs_diff`, not `(now - at).abs()`: a signed timestamp near `i64::MIN` overflows the
        // subtraction, and in a release build the wrapped difference of `i64::MIN + now` has no
        // positive absolute value and would pass the check.
        if now.abs_diff(at) > MAX_CLOCK_SKEW.unsigned_abs() {
            return Err(WebhookError::Unauthorized(
                "timestamp outside the accepted window",
            ));
        }
        Ok(())
    }

    /// [`Webhook::receive`] with the clock as a parameter, for tests.
    fn receive_at(
        &self,
        request: &WebhookRequest<'_>,
        now: i64,
    ) -> Result<WebhookOutcome, WebhookError> {
        let query = SignedQuery::parse(request.query);
        match *request.method {
            http::Method::GET => {
                self.verify(&query, now)?;
                match query.echostr {
                    Some(echo) if !echo.is_empty() => Ok(WebhookOutcome::Challenge(echo)),
                    _ => Err(WebhookError::BadRequest("missing echostr".into())),
                }
            }
            http::Method::POST => {
                self.verify(&query, now)?;
                // WeChat sends `text/xml`, and sometimes no content type at all.
                if let Some(kind) = media_type(request.headers)
                    && kind != "text/xml"
                    && kind != "application/xml"
                {
                    return Err(WebhookError::UnsupportedMediaType(kind));
                }
                let xml = checked_xml(request.body)?;
                parse_message(xml).map(|m| WebhookOutcome::Messages(m.into_iter().collect()))
            }
            _ => Err(WebhookError::MethodNotAllowed),
        }
    }
}

impl Webhook for WechatWebhook {
    fn channel(&self) -> Channel {
        Channel::Wechat
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        self.receive_at(request, unix_now())
    }

    /// WeChat retries unless it reads `success` (or nothing) within five seconds.
    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            content_type: "text/plain",
            body: "success",
        }
    }
}

/// The body as text, refused if it is not UTF-8 or declares a document type or entity.
fn checked_xml(body: &[u8]) -> Result<&str, WebhookError> {
    let xml = std::str::from_utf8(body)
        .map_err(|_| WebhookError::BadRequest("body is not UTF-8".into()))?;
    // Case-insensitive, though XML is not: a parser that tolerates `<!doctype` must not be the
    // one thing between us and an entity.
    let lower = xml.to_ascii_lowercase();
    if lower.contains("<!doctype") || lower.contains("<!entity") {
        return Err(WebhookError::BadRequest(
            "XML with a document type or entity declaration".into(),
        ));
    }
    Ok(xml)
}

/// One WeChat push, every field optional: WeChat adds message types and fields without notice.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WxMessage {
    from_user_name: String,
    create_time: String,
    msg_type: String,
    content: String,
    msg_id: String,
    event: String,
    event_key: String,
    media_id: String,
}

/// Message types we know and cannot handle: answered politely, logged quietly.
const KNOWN_UNSUPPORTED: &[&str] = &["voice", "video", "shortvideo", "location", "link", "file"];

/// A quick-xml error as its kind alone: its message quotes what it could not read (a value
/// that did not fit a field, an entity, a tag name), which came from the customer's push.
fn xml_error(e: &quick_xml::DeError) -> String {
    use quick_xml::errors::{Error, IllFormedError};
    use quick_xml::escape::EscapeError;
    let kind = match e {
        quick_xml::DeError::Custom(_) => "a field is missing or has the wrong type",
        quick_xml::DeError::UnexpectedEof => "truncated",
        quick_xml::DeError::UnexpectedStart(_) => "unexpected element",
        quick_xml::DeError::InvalidXml(Error::Syntax(_)) => "syntax error",
        quick_xml::DeError::InvalidXml(Error::IllFormed(IllFormedError::DoubleHyphenInComment)) => {
            "ill-formed comment"
        }
        quick_xml::DeError::InvalidXml(Error::IllFormed(_)) => {
            "ill-formed: unbalanced tags or a bad declaration"
        }
        quick_xml::DeError::InvalidXml(Error::Escape(EscapeError::UnrecognizedEntity(..))) => {
            "unrecognized entity"
        }
        quick_xml::DeError::InvalidXml(Error::Escape(_)) => "bad escape",
        quick_xml::DeError::InvalidXml(Error::Encoding(_)) => "bad encoding",
        quick_xml::DeError::InvalidXml(_) => "unreadable XML",
        _ => "unreadable",
    };
    format!("XML {kind}")
}

/// The customer's message in one push, or `None` for a push that is not a customer talking.
fn parse_message(xml: &str) -> Result<Option<InboundMessage>, WebhookError> {
    let m: WxMessage =
        quick_xml::de::from_str(xml).map_err(|e| WebhookError::Malformed(xml_error(&e)))?;
    if m.from_user_name.is_empty() {
        tracing::warn!(kind = %redact::kind(&m.msg_type), "skipping a WeChat push without a sender");
        return Ok(None);
    }
    let sent_at = m.create_time.trim().parse().unwrap_or(0);
    let conversation = ConversationId::new(Channel::Wechat, m.from_user_name.clone());
    // WeChat's documented deduplication key for pushes without a MsgId.
    let event_key = |kind: &str| format!("{}#{}#{}", m.from_user_name, m.create_time.trim(), kind);
    let message_id = || {
        if m.msg_id.is_empty() {
            event_key(&m.msg_type)
        } else {
            m.msg_id.clone()
        }
    };
    let (event_id, content) = match m.msg_type.as_str() {
        "text" => (
            message_id(),
            InboundContent::Text {
                body: m.content.clone(),
            },
        ),
        "image" if !m.media_id.is_empty() => (
            message_id(),
            InboundContent::Image {
                media_id: m.media_id.clone(),
                caption: None,
            },
        ),
        "event" => {
            let content = match m.event.to_ascii_lowercase().as_str() {
                "subscribe" => InboundContent::OptIn,
                "unsubscribe" => InboundContent::OptOut,
                "click" if !m.event_key.is_empty() => InboundContent::Action {
                    payload: m.event_key.clone(),
                    title: None,
                },
                _ => {
                    tracing::debug!(
                        kind = %format!("event.{}", m.event),
                        conversation = %conversation.hashed(),
                        "ignored"
                    );
                    return Ok(None);
                }
            };
            (event_key(&m.event), content)
        }
        other => {
            if !KNOWN_UNSUPPORTED.contains(&other) {
                tracing::info!(kind = %redact::kind(other), "unknown WeChat message type");
            }
            (
                message_id(),
                InboundContent::Unsupported {
                    kind: other.to_string(),
                },
            )
        }
    };
    Ok(Some(InboundMessage {
        conversation,
        event_id,
        sent_at,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    }))
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// WeChat's customer-service text limit, in **bytes** of UTF-8 (a Chinese character is three):
/// longer content is refused (45002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub text_bytes: usize,
}

/// Source: the customer-service message docs state 2048 bytes for text; the figure is older
/// than the current page and treated as the limit, not a target.
/// <https://developers.weixin.qq.com/doc/service/en/api/customer/message/api_sendcustommessage>
pub const LIMITS: Limits = Limits { text_bytes: 2048 };

/// What goes between two replies merged into one message.
const MERGE_SEPARATOR: &str = "\n\n";

/// The texts one reply shows, each within [`LIMITS`]; none when there is nothing to say.
pub fn render(lang: Lang, reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Text { body } => split_bytes(body, LIMITS.text_bytes),
        Reply::Choices { body, choices, .. } => split_bytes(
            &numbered_text(body, choices, lang, Hint::ReplyWithNumber),
            LIMITS.text_bytes,
        ),
        Reply::Image { url, caption } => {
            let mut parts: Vec<String> = caption
                .as_deref()
                .map(|c| split_bytes(c, LIMITS.text_bytes))
                .unwrap_or_default();
            parts.extend(split_bytes(url, LIMITS.text_bytes));
            parts
        }
        Reply::Link { body, label, url } => {
            let mut parts = split_bytes(body, LIMITS.text_bytes);
            parts.extend(split_bytes(&anchor(label, url), LIMITS.text_bytes));
            parts
        }
    }
}

/// A link WeChat shows as tappable text. A label or URL that would break the tag is shown as
/// plain `label: url` instead (WeChat links bare URLs too, just less nicely).
fn anchor(label: &str, url: &str) -> String {
    let breaks_tag = |s: &str| s.contains(['"', '<', '>']);
    let label = label.trim();
    if label.is_empty() || breaks_tag(label) || breaks_tag(url) {
        return if label.is_empty() {
            url.to_string()
        } else {
            format!("{label}: {url}")
        };
    }
    format!("<a href=\"{url}\">{label}</a>")
}

/// The largest char boundary of `s` at or below `max` bytes.
fn floor_boundary(s: &str, max: usize) -> usize {
    let mut at = max.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Splits text into pieces of at most `max_bytes` bytes, cutting at a line break, then a space,
/// in the second half of the window, and hard (on a character boundary) otherwise. Blank text
/// yields nothing: WeChat refuses an empty message.
fn split_bytes(text: &str, max_bytes: usize) -> Vec<String> {
    let max_bytes = max_bytes.max(4);
    if text.trim().is_empty() {
        return Vec::new();
    }
    if text.len() <= max_bytes {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.len() <= max_bytes {
            parts.push(rest.to_string());
            break;
        }
        let cut = floor_boundary(rest, max_bytes);
        let window = &rest[..cut];
        let half = window.len() / 2;
        let at = window
            .rfind('\n')
            .filter(|&i| i >= half && i > 0)
            .or_else(|| {
                window
                    .rfind(char::is_whitespace)
                    .filter(|&i| i >= half && i > 0)
            })
            .unwrap_or(cut);
        let (head, tail) = rest.split_at(at);
        parts.push(head.trim_end().to_string());
        rest = tail.trim_start();
    }
    parts
}

/// Joins consecutive pieces into as few messages as fit the limit, in order.
fn pack(pieces: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    for piece in pieces {
        match messages.last_mut() {
            Some(last) if last.len() + MERGE_SEPARATOR.len() + piece.len() <= LIMITS.text_bytes => {
                last.push_str(MERGE_SEPARATOR);
                last.push_str(&piece);
            }
            _ => messages.push(piece),
        }
    }
    messages
}

/// The messages a group of replies goes out as.
pub fn messages(lang: Lang, replies: &[Reply]) -> Vec<String> {
    pack(replies.iter().flat_map(|r| render(lang, r)))
}

/// Groups consecutive replies so that each group costs as few messages as its replies would
/// alone: a reply joins the group when adding it does not add a message.
fn merge_groups(lang: Lang, replies: &[Reply]) -> Vec<usize> {
    let mut groups = Vec::new();
    let mut start = 0;
    for end in 1..replies.len() {
        let current = messages(lang, &replies[start..end]).len();
        let extended = messages(lang, &replies[start..=end]).len();
        if extended > current.max(1) {
            groups.push(end - start);
            start = end;
        }
    }
    if start < replies.len() {
        groups.push(replies.len() - start);
    }
    groups
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// Refresh a shared token this long before the expiry it was stored with.
const REFRESH_MARGIN: i64 = 300;
/// A fetched token is stored as expiring this much earlier than WeChat says.
const EXPIRY_MARGIN: i64 = 300;
/// How long the refresh lease is held at most (a fetch takes well under a second).
const LEASE_SECONDS: i64 = 30;
/// While another caller refreshes: how often and how long to wait before re-reading.
const LEASE_WAITS: u32 = 5;
const LEASE_WAIT: Duration = Duration::from_millis(200);

/// The token errors: invalid (40001, also "not the latest"), expired (42001), not-a-token
/// (40014). The token is dropped and fetched again.
const TOKEN_CODES: &[i64] = &[40001, 42001, 40014];

impl WechatSender {
    /// Builds a sender; `tokens` is the cache shared by every function and instance.
    pub fn new(
        client: reqwest::Client,
        config: WechatSendConfig,
        tokens: Arc<dyn TokenCache>,
    ) -> Self {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let holder = format!(
            "{}-{}-{nanos:x}",
            std::process::id(),
            INSTANCES.fetch_add(1, Ordering::Relaxed)
        );
        WechatSender {
            client,
            config,
            tokens,
            memo: Mutex::new(None),
            holder,
        }
    }

    fn cache_key(&self) -> String {
        format!("wechat#{}", self.config.app_id)
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_base.trim_end_matches('/'))
    }

    /// WeChat has nothing to acknowledge: menu clicks need no answer.
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    /// 48 hours after the customer's last message; order updates after that would need an
    /// approved template message, which this adapter does not send, so they are held.
    pub fn rules(&self) -> SendingRules {
        SendingRules {
            window: Some(WINDOW),
            updates_after_window: false,
        }
    }

    /// Consecutive replies merged into as few messages as fit: the customer-service quota
    /// counts messages, not replies.
    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        // The language is not known here, and it changes only the "reply with a number" line.
        // Grouping with the language whose line is longest in bytes keeps every group within
        // one message's worth in the customer's language too (packing in order is monotone:
        // shorter pieces never need more messages).
        let longest = [Lang::En, Lang::Ja]
            .into_iter()
            .max_by_key(|l| Msg::ReplyWithNumber.text(*l).len())
            .unwrap_or_default();
        merge_groups(longest, replies)
    }

    /// Sends the group's merged messages in order; the first failure stops the rest.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let c = out.conversation();
        let mut ids = Vec::new();
        for content in messages(out.lang(), out.replies) {
            let body = json!({
                "touser": c.customer,
                "msgtype": "text",
                "text": { "content": content },
            });
            ids.extend(self.post_with_token(c, &body).await?);
        }
        Ok(Sent::ids(ids))
    }

    /// Posts one message; a token WeChat calls invalid is dropped and the post retried once
    /// with a fresh one.
    async fn post_with_token(
        &self,
        c: &ConversationId,
        body: &Value,
    ) -> Result<Option<String>, SendFailure> {
        let token = self.access_token().await?;
        match self.post(c, &token, body).await {
            Err(f) if is_token_error(&f) => {
                tracing::info!(code = ?crate::failure_code(&f), "WeChat refused the access token; refreshing");
                self.drop_token(&token).await;
                let token = self.access_token().await?;
                self.post(c, &token, body).await
            }
            other => other,
        }
    }

    async fn post(
        &self,
        c: &ConversationId,
        token: &str,
        body: &Value,
    ) -> Result<Option<String>, SendFailure> {
        let response = self
            .client
            .post(self.api(&format!(
                "/cgi-bin/message/custom/send?{}",
                encode_query(&[("access_token", token)])
            )))
            .json(body)
            .send()
            .await
            // The URL holds the access token: never let it into an error or a log.
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        classify(status, &bytes).inspect_err(|f| {
            tracing::warn!(
                conversation = %c.hashed(),
                status,
                code = ?crate::failure_code(f),
                "WeChat send failed"
            );
        })
    }

    /// A token good for at least [`REFRESH_MARGIN`] more seconds: this instance's copy, the
    /// shared one, or a fresh one fetched under the lease.
    async fn access_token(&self) -> Result<String, SendFailure> {
        let now = unix_now();
        let fresh = |t: &CachedToken| !t.token.is_empty() && t.expires_at - now > REFRESH_MARGIN;
        if let Some(t) = self.memo().filter(|t| fresh(t)) {
            return Ok(t.token);
        }
        let key = self.cache_key();
        if let Some(t) = self.read_shared(&key).await?.filter(|t| fresh(t)) {
            return Ok(self.remember(t));
        }
        for _ in 0..LEASE_WAITS {
            let leased = self
                .tokens
                .lease(&key, &self.holder, now + LEASE_SECONDS)
                .await
                .map_err(cache_failure)?;
            if leased {
                return self.refresh(&key).await;
            }
            // Another caller is fetching: its token will be in the cache in a moment.
            pause(LEASE_WAIT).await;
            if let Some(t) = self.read_shared(&key).await?.filter(|t| fresh(t)) {
                return Ok(self.remember(t));
            }
        }
        Err(SendFailure::Transient {
            code: None,
            detail: "another caller is still refreshing the WeChat access token".into(),
        })
    }

    async fn read_shared(&self, key: &str) -> Result<Option<CachedToken>, SendFailure> {
        self.tokens.get(key).await.map_err(cache_failure)
    }

    fn memo(&self) -> Option<CachedToken> {
        self.memo.lock().ok().and_then(|m| m.clone())
    }

    fn remember(&self, token: CachedToken) -> String {
        let value = token.token.clone();
        if let Ok(mut memo) = self.memo.lock() {
            *memo = Some(token);
        }
        value
    }

    /// Fetches a token (we hold the lease) and shares it.
    async fn refresh(&self, key: &str) -> Result<String, SendFailure> {
        let response = self
            .client
            .get(self.api(&format!(
                "/cgi-bin/token?{}",
                encode_query(&[
                    ("grant_type", "client_credential"),
                    ("appid", &self.config.app_id),
                    ("secret", &self.config.app_secret),
                ])
            )))
            .send()
            .await
            // The URL holds the app secret.
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        classify(status, &bytes).inspect_err(|f| {
            tracing::warn!(status, code = ?crate::failure_code(f), "WeChat token fetch failed");
        })?;
        let answer: TokenAnswer = serde_json::from_slice(&bytes).unwrap_or_default();
        if answer.access_token.is_empty() {
            return Err(SendFailure::Transient {
                code: None,
                detail: "the token endpoint answered without an access_token".into(),
            });
        }
        let expires_in = answer.expires_in.unwrap_or(7200);
        let token = CachedToken {
            token: answer.access_token,
            expires_at: unix_now() + expires_in - EXPIRY_MARGIN,
        };
        tracing::info!(expires_in, "fetched a WeChat access token");
        if let Err(e) = self.tokens.put(key, &token).await {
            // We can still use it; others will fetch their own once the lease lapses.
            tracing::warn!(error = %e, "could not share the WeChat access token");
        }
        Ok(self.remember(token))
    }

    /// Forgets a token WeChat refused, here and in the shared cache, unless someone already
    /// replaced it there.
    async fn drop_token(&self, refused: &str) {
        if let Ok(mut memo) = self.memo.lock() {
            *memo = None;
        }
        let key = self.cache_key();
        match self.tokens.get(&key).await {
            Ok(Some(t)) if t.token != refused => {}
            _ => {
                let expired = CachedToken {
                    token: String::new(),
                    expires_at: 0,
                };
                if let Err(e) = self.tokens.put(&key, &expired).await {
                    tracing::warn!(error = %e, "could not drop the WeChat access token");
                }
            }
        }
    }
}

fn encode_query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<i64>,
}

fn cache_failure(e: chatdrop_domain::ports::PortError) -> SendFailure {
    SendFailure::Transient {
        code: None,
        detail: format!("token cache unavailable: {e}"),
    }
}

fn is_token_error(f: &SendFailure) -> bool {
    matches!(f, SendFailure::Transient { code: Some(c), .. } if TOKEN_CODES.contains(c))
}

/// A pause that needs no async runtime (this crate does not depend on one): a helper thread
/// sleeps and wakes the task. It runs only while another caller refreshes the token.
fn pause(duration: Duration) -> impl Future<Output = ()> {
    struct State {
        done: bool,
        started: bool,
        waker: Option<Waker>,
    }
    struct Pause {
        duration: Duration,
        state: Arc<Mutex<State>>,
    }
    impl Future for Pause {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.done {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
            if !state.started {
                state.started = true;
                let shared = self.state.clone();
                let duration = self.duration;
                let spawned = std::thread::Builder::new().spawn(move || {
                    std::thread::sleep(duration);
                    let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
                    state.done = true;
                    if let Some(waker) = state.waker.take() {
                        waker.wake();
                    }
                });
                if spawned.is_err() {
                    // No thread to wait with: go on without the pause.
                    return Poll::Ready(());
                }
            }
            Poll::Pending
        }
    }
    Pause {
        duration,
        state: Arc::new(Mutex::new(State {
            done: false,
            started: false,
            waker: None,
        })),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WxAnswer {
    errcode: i64,
    errmsg: String,
    msgid: Option<Value>,
}

/// The recipient or the message can never succeed as sent.
const PERMANENT_CODES: &[i64] = &[
    45015, // more than 48 hours since the customer last wrote, or they unfollowed
    43004, // the customer does not follow the account (any more)
    40003, // invalid OpenID (not a follower of this account)
    43019, // the customer is on the account's blacklist
    45002, // content too long
    44002, // empty body
    47001, // malformed JSON
    40008, // invalid message type
];
/// The customer-service quota for this customer message is used up (5 messages within 48 h
/// of a customer message, 3 within a minute of a menu click or follow).
const QUOTA_EXHAUSTED: i64 = 45047;
/// The API's daily call quota: nothing goes out until WeChat resets it (or ops clear it).
const DAILY_LIMIT: i64 = 45009;
/// Too many calls per unit of time: a short pause is enough.
const FREQUENCY_LIMIT: i64 = 45011;

/// Reads a WeChat API answer: `Ok` with the message id when it gives one, or the failure by
/// `errcode` (which comes in an HTTP 200). Token errors and account misconfiguration (bad app
/// id or secret, server IP not whitelisted, API not authorised) are transient, so the message
/// is kept for a redrive once ops fix it.
pub fn classify(status: u16, body: &[u8]) -> Result<Option<String>, SendFailure> {
    // Raw bodies stay out of the detail: our request URLs carry the access token or the app
    // secret, and a proxy's error page may echo the URL it was asked for.
    if !(200..300).contains(&status) {
        let detail = format!("HTTP {status} ({} bytes)", body.len());
        return Err(if status == 429 {
            SendFailure::RateLimited {
                code: None,
                retry_after: Duration::from_secs(1),
            }
        } else {
            SendFailure::Transient { code: None, detail }
        });
    }
    let Ok(answer) = serde_json::from_slice::<WxAnswer>(body) else {
        // Without a readable answer we cannot tell sent from not: the queue decides.
        return Err(SendFailure::Transient {
            code: None,
            detail: format!("unreadable answer ({} bytes)", body.len()),
        });
    };
    let code = answer.errcode;
    let detail = truncate_chars(&format!("errcode {code}: {}", answer.errmsg), 300);
    match code {
        0 => Ok(answer.msgid.and_then(|id| match id {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })),
        QUOTA_EXHAUSTED => Err(SendFailure::Permanent {
            code: Some(code),
            detail: format!(
                "customer-service message quota used up for this customer message ({detail})"
            ),
        }),
        c if PERMANENT_CODES.contains(&c) => Err(SendFailure::Permanent {
            code: Some(c),
            detail,
        }),
        DAILY_LIMIT => Err(SendFailure::RateLimited {
            code: Some(code),
            retry_after: Duration::from_secs(3600),
        }),
        FREQUENCY_LIMIT => Err(SendFailure::RateLimited {
            code: Some(code),
            retry_after: Duration::from_secs(1),
        }),
        // -1 (system busy), token errors, configuration errors and anything new.
        c => Err(SendFailure::Transient {
            code: Some(c),
            detail,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::WECHAT`]).
pub fn webhook(values: &crate::registry::Values) -> WechatWebhook {
    use chatdrop_domain::channel_spec::vars;
    WechatWebhook {
        config: WechatConfig {
            token: values.get(vars::WECHAT_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(
    values: &crate::registry::Values,
    deps: &crate::registry::SenderDeps,
) -> WechatSender {
    use chatdrop_domain::channel_spec::vars;
    WechatSender::new(
        deps.client.clone(),
        WechatSendConfig {
            api_base: values.get(vars::WECHAT_API_BASE),
            app_id: values.get(vars::WECHAT_APP_ID),
            app_secret: values.get(vars::WECHAT_APP_SECRET),
        },
        deps.tokens.clone(),
    )
}

impl crate::outbound::Outbound for WechatSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::WECHAT
    }

    fn rules(&self) -> SendingRules {
        WechatSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        WechatSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(WechatSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(WechatSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::ports::{PortError, PortFuture};
    use chatdrop_domain::reply::Choice;
    use std::collections::{HashMap, VecDeque};

    const TOKEN: &str = "chatdrop-token";
    const NOW: i64 = 1_767_225_600;
    const ANA: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

    // --- signature ------------------------------------------------------------------------

    #[test]
    fn signature_matches_the_wechatpy_vector() {
        // https://github.com/wechatpy/wechatpy tests/test_utils.py: sorted order is
        // ["1410685589", "test", "test"].
        assert_eq!(
            signature("test", "1410685589", "test"),
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
        );
    }

    #[test]
    fn signature_matches_the_silenceper_vector() {
        // https://github.com/silenceper/wechat util/signature_test.go: sha1("abc"), and the
        // order of the arguments does not matter because they are sorted first.
        assert_eq!(
            signature("a", "b", "c"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            signature("c", "a", "b"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    fn webhook() -> WechatWebhook {
        WechatWebhook::new(WechatConfig {
            token: TOKEN.into(),
        })
    }

    fn signed_query(timestamp: i64, nonce: &str) -> String {
        let ts = timestamp.to_string();
        format!(
            "signature={}&timestamp={ts}&nonce={nonce}&openid={ANA}",
            signature(TOKEN, &ts, nonce)
        )
    }

    fn call(
        method: http::Method,
        query: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
        }
        let url = format!("https://shop.example/webhooks/wechat?{query}");
        webhook().receive_at(
            &WebhookRequest {
                method: &method,
                headers: &headers,
                query: Some(query),
                url: &url,
                body,
            },
            NOW,
        )
    }

    fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
        call(
            http::Method::POST,
            &signed_query(NOW, "nonce1"),
            Some("text/xml"),
            body.as_bytes(),
        )
    }

    fn one(outcome: Result<WebhookOutcome, WebhookError>) -> InboundMessage {
        match outcome {
            Ok(WebhookOutcome::Messages(mut m)) if m.len() == 1 => m.remove(0),
            other => panic!("expected one message, got {other:?}"),
        }
    }

    fn nothing(outcome: Result<WebhookOutcome, WebhookError>) {
        assert_eq!(outcome, Ok(WebhookOutcome::Messages(vec![])));
    }

    #[test]
    fn get_with_a_good_signature_echoes_echostr() {
        let query = format!("{}&echostr=5837397520665436492", signed_query(NOW, "n1"));
        assert_eq!(
            call(http::Method::GET, &query, None, b""),
            Ok(WebhookOutcome::Challenge("5837397520665436492".into()))
        );
    }

    #[test]
    fn get_without_echostr_is_a_bad_request() {
        assert!(matches!(
            call(http::Method::GET, &signed_query(NOW, "n1"), None, b""),
            Err(WebhookError::BadRequest(_))
        ));
    }

    #[test]
    fn tampered_missing_or_foreign_signatures_are_unauthorized() {
        let ts = NOW.to_string();
        let good = signature(TOKEN, &ts, "n1");
        let mut tampered = good.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        let queries = [
            // one hex digit changed
            format!("signature={tampered}&timestamp={ts}&nonce=n1&echostr=x"),
            // signed for another nonce or timestamp
            format!("signature={good}&timestamp={ts}&nonce=n2&echostr=x"),
            format!("signature={good}&timestamp={}&nonce=n1&echostr=x", NOW + 1),
            // under another token
            format!(
                "signature={}&timestamp={ts}&nonce=n1&echostr=x",
                signature("other-token", &ts, "n1")
            ),
            // missing pieces
            format!("timestamp={ts}&nonce=n1&echostr=x"),
            format!("signature={good}&nonce=n1&echostr=x"),
            format!("signature={good}&timestamp={ts}&echostr=x"),
            String::new(),
            // not hex, or the wrong length
            format!(
                "signature=zz{}&timestamp={ts}&nonce=n1&echostr=x",
                &good[2..]
            ),
            format!(
                "signature={}&timestamp={ts}&nonce=n1&echostr=x",
                &good[..38]
            ),
        ];
        for query in &queries {
            for method in [http::Method::GET, http::Method::POST] {
                let outcome = call(method.clone(), query, Some("text/xml"), b"<xml></xml>");
                assert!(
                    matches!(outcome, Err(WebhookError::Unauthorized(_))),
                    "{method} {query}: {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn a_repeated_parameter_cannot_override_the_signed_one() {
        let query = format!(
            "{}&timestamp={}&echostr=x",
            signed_query(NOW, "n1"),
            NOW + 9
        );
        assert!(call(http::Method::GET, &query, None, b"").is_ok());
        let query = format!(
            "timestamp={}&{}&echostr=x",
            NOW + 9,
            signed_query(NOW, "n1")
        );
        assert!(matches!(
            call(http::Method::GET, &query, None, b""),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn an_unset_token_verifies_nothing() {
        let hook = WechatWebhook::new(WechatConfig {
            token: String::new(),
        });
        let ts = NOW.to_string();
        let query = format!(
            "signature={}&timestamp={ts}&nonce=n&echostr=x",
            signature("", &ts, "n")
        );
        let headers = http::HeaderMap::new();
        let outcome = hook.receive_at(
            &WebhookRequest {
                method: &http::Method::GET,
                headers: &headers,
                query: Some(&query),
                url: "https://shop.example/webhooks/wechat",
                body: b"",
            },
            NOW,
        );
        assert_eq!(
            outcome,
            Err(WebhookError::Unauthorized("token not configured"))
        );
    }

    #[test]
    fn timestamps_more_than_five_minutes_off_are_refused() {
        for (offset, ok) in [
            (0, true),
            (-300, true),
            (300, true),
            (-301, false),
            (301, false),
        ] {
            let query = format!("{}&echostr=x", signed_query(NOW + offset, "n1"));
            let outcome = call(http::Method::GET, &query, None, b"");
            assert_eq!(outcome.is_ok(), ok, "offset {offset}: {outcome:?}");
        }
        let query = format!(
            "signature={}&timestamp=soon&nonce=n1&echostr=x",
            signature(TOKEN, "soon", "n1")
        );
        assert!(matches!(
            call(http::Method::GET, &query, None, b""),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    /// Found by `cargo fuzz run wechat`: a signed timestamp of `i64::MIN` overflowed the skew
    /// check's subtraction (a panic in a debug build, and in release `i64::MIN + now` wrapped to
    /// a difference whose absolute value is negative, which passed).
    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        for timestamp in [i64::MIN, i64::MIN + NOW, i64::MAX, -NOW] {
            let query = format!("{}&echostr=x", signed_query(timestamp, "n1"));
            assert_eq!(
                call(http::Method::GET, &query, None, b""),
                Err(WebhookError::Unauthorized(
                    "timestamp outside the accepted window"
                )),
                "timestamp {timestamp}"
            );
        }
    }

    #[test]
    fn other_methods_are_not_allowed() {
        assert_eq!(
            call(http::Method::PUT, &signed_query(NOW, "n"), None, b""),
            Err(WebhookError::MethodNotAllowed)
        );
    }

    // --- payloads -------------------------------------------------------------------------

    fn push(fields: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName>\
             <FromUserName><![CDATA[{ANA}]]></FromUserName>\
             <CreateTime>1767225600</CreateTime>{fields}</xml>"
        )
    }

    #[test]
    fn text_is_text_keyed_by_msg_id() {
        let m = one(post(&push(
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[blue mug <3 & more]]></Content>\
             <MsgId>24700000000000001</MsgId>",
        )));
        assert_eq!(
            m,
            InboundMessage {
                conversation: ConversationId::new(Channel::Wechat, ANA),
                event_id: "24700000000000001".into(),
                sent_at: 1_767_225_600,
                locale: None,
                ack: None,
                reply_token: None,
                content: InboundContent::Text {
                    body: "blue mug <3 & more".into()
                },
            }
        );
    }

    #[test]
    fn escaped_text_without_cdata_is_unescaped() {
        let m = one(post(&push(
            "<MsgType>text</MsgType><Content>1 &lt; 2 &amp; 3</Content><MsgId>7</MsgId>",
        )));
        assert_eq!(
            m.content,
            InboundContent::Text {
                body: "1 < 2 & 3".into()
            }
        );
    }

    #[test]
    fn a_menu_click_is_the_tap_of_its_key() {
        let m = one(post(&push(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>\
             <EventKey><![CDATA[c:p:tee]]></EventKey>",
        )));
        assert_eq!(
            m.content,
            InboundContent::Action {
                payload: "c:p:tee".into(),
                title: None
            }
        );
        // WeChat's dedup rule for events: sender and CreateTime (and the event, here).
        assert_eq!(m.event_id, format!("{ANA}#1767225600#CLICK"));
        assert_eq!(m.sent_at, 1_767_225_600);
    }

    #[test]
    fn follow_and_unfollow_are_opt_in_and_opt_out() {
        let m = one(post(&push(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
             <EventKey><![CDATA[qrscene_123]]></EventKey>",
        )));
        assert_eq!(m.content, InboundContent::OptIn);
        assert_eq!(m.event_id, format!("{ANA}#1767225600#subscribe"));
        let m = one(post(&push(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>",
        )));
        assert_eq!(m.content, InboundContent::OptOut);
        assert_eq!(m.event_id, format!("{ANA}#1767225600#unsubscribe"));
    }

    #[test]
    fn other_events_are_not_the_customer_talking() {
        for event in [
            "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://shop.example]]></EventKey>",
            "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey>",
            "<Event><![CDATA[LOCATION]]></Event><Latitude>23.1</Latitude>",
            "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><Status>success</Status>",
            // A click without a key has nothing to act on.
            "<Event><![CDATA[CLICK]]></Event>",
        ] {
            nothing(post(&push(&format!(
                "<MsgType><![CDATA[event]]></MsgType>{event}"
            ))));
        }
    }

    #[test]
    fn an_image_carries_its_media_id() {
        let m = one(post(&push(
            "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>\
             <MediaId><![CDATA[media_id_1]]></MediaId><MsgId>24700000000000002</MsgId>",
        )));
        assert_eq!(
            m.content,
            InboundContent::Image {
                media_id: "media_id_1".into(),
                caption: None
            }
        );
        assert_eq!(m.event_id, "24700000000000002");
    }

    #[test]
    fn voice_video_location_and_link_are_unsupported() {
        for kind in ["voice", "video", "location", "link", "something_new"] {
            let m = one(post(&push(&format!(
                "<MsgType><![CDATA[{kind}]]></MsgType><MediaId>m</MediaId><MsgId>9</MsgId>"
            ))));
            assert_eq!(m.content, InboundContent::Unsupported { kind: kind.into() });
            assert_eq!(m.event_id, "9");
        }
    }

    #[test]
    fn a_push_without_a_sender_is_skipped() {
        nothing(post(
            "<xml><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
        ));
    }

    #[test]
    fn authentic_but_unreadable_xml_is_malformed() {
        for body in [
            "<xml><MsgType>text</MsgType>",
            "not xml at all <",
            "{\"json\":1}",
        ] {
            let outcome = post(body);
            assert!(
                matches!(outcome, Err(WebhookError::Malformed(_))),
                "{body}: {outcome:?}"
            );
        }
    }

    const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><FromUserName>oX</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"#;

    const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><FromUserName>oX</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol4;</Content><MsgId>1</MsgId></xml>"#;

    #[test]
    fn external_entities_and_billion_laughs_are_refused_before_parsing() {
        for body in [XXE, BILLION_LAUGHS] {
            assert!(
                matches!(post(body), Err(WebhookError::BadRequest(_))),
                "{body}"
            );
        }
        // Lower-case spellings and a bare entity declaration too.
        for body in [
            "<!doctype xml><xml/>",
            "<xml><!ENTITY a \"b\"></xml>",
            "<xml><!entity a \"b\"></xml>",
        ] {
            assert!(
                matches!(post(body), Err(WebhookError::BadRequest(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn the_parser_itself_expands_no_custom_entity() {
        // Belt and braces: even past the guard, quick-xml resolves only the predefined entities
        // and refuses the rest, so neither attack yields a file's contents or a billion "lol"s.
        for (body, entity) in [(XXE, "`xxe`"), (BILLION_LAUGHS, "`lol4`")] {
            match parse_message(body) {
                // The error says what kind of failure it was, not the entity it refused: its
                // name came from the push, and this text is logged.
                Err(WebhookError::Malformed(e)) => {
                    assert_eq!(e, "XML unrecognized entity");
                    assert!(!e.contains(entity), "{e}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn non_utf8_bodies_are_bad_requests() {
        let mut body = push("<MsgType>text</MsgType><Content>").into_bytes();
        body.extend_from_slice(&[0xC4, 0xE3, 0xBA, 0xC3]); // 你好 in GBK
        body.extend_from_slice(b"</Content><MsgId>1</MsgId></xml>");
        let outcome = call(
            http::Method::POST,
            &signed_query(NOW, "n"),
            Some("text/xml"),
            &body,
        );
        assert!(
            matches!(outcome, Err(WebhookError::BadRequest(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn xml_content_types_or_none_are_accepted_and_others_refused() {
        let body = push("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>");
        for ct in [
            None,
            Some("text/xml"),
            Some("text/xml; charset=utf-8"),
            Some("application/xml"),
        ] {
            let outcome = call(
                http::Method::POST,
                &signed_query(NOW, "n"),
                ct,
                body.as_bytes(),
            );
            assert!(one(outcome).event_id == "1", "{ct:?}");
        }
        let outcome = call(
            http::Method::POST,
            &signed_query(NOW, "n"),
            Some("application/json"),
            body.as_bytes(),
        );
        assert_eq!(
            outcome,
            Err(WebhookError::UnsupportedMediaType(
                "application/json".into()
            ))
        );
    }

    #[test]
    fn the_acknowledgement_is_success() {
        assert_eq!(
            webhook().acknowledgement(),
            Acknowledgement {
                content_type: "text/plain",
                body: "success"
            }
        );
    }

    #[test]
    fn debug_output_hides_the_secrets() {
        let hook = format!("{:?}", webhook().config);
        assert!(!hook.contains(TOKEN), "{hook}");
        let send = format!(
            "{:?}",
            WechatSendConfig {
                api_base: "https://api.weixin.qq.com".into(),
                app_id: "wx123".into(),
                app_secret: "very-secret".into(),
            }
        );
        assert!(
            !send.contains("very-secret") && send.contains("wx123"),
            "{send}"
        );
    }

    // --- rendering ------------------------------------------------------------------------

    fn choice(id: &str, title: &str) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn text(body: &str) -> Reply {
        Reply::Text { body: body.into() }
    }

    #[test]
    fn choices_are_numbered_lines() {
        let mut tee = choice("c:p:tee", "Tee");
        tee.description = Some("$25.00".into());
        let reply = Reply::Choices {
            body: "Pick one".into(),
            menu_label: "Menu".into(),
            choices: vec![tee, choice("c:p:mug", "Mug")],
        };
        assert_eq!(
            render(Lang::En, &reply),
            vec!["Pick one\n\n1. Tee — $25.00\n2. Mug\n\nReply with a number.".to_string()]
        );
        let ja = render(Lang::Ja, &reply);
        assert!(
            ja[0].ends_with(&Msg::ReplyWithNumber.text(Lang::Ja)),
            "{ja:?}"
        );
    }

    #[test]
    fn links_are_anchors_and_images_their_url() {
        let link = Reply::Link {
            body: "Your order is ready to pay.".into(),
            label: "Pay now".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test".into(),
        };
        assert_eq!(
            messages(Lang::En, &[link]),
            vec![
                "Your order is ready to pay.\n\n<a href=\"https://checkout.stripe.com/c/pay/cs_test\">Pay now</a>"
                    .to_string()
            ]
        );
        // A label that would break the tag is shown as plain text.
        let odd = Reply::Link {
            body: "Pay".into(),
            label: "<b>Pay</b>".into(),
            url: "https://pay.example/x".into(),
        };
        assert_eq!(
            messages(Lang::En, &[odd]),
            vec!["Pay\n\n<b>Pay</b>: https://pay.example/x".to_string()]
        );
        let image = Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        };
        assert_eq!(
            messages(Lang::En, &[image]),
            vec!["Blue mug\n\nhttps://cdn.example/mug.jpg".to_string()]
        );
    }

    #[test]
    fn long_text_is_split_by_bytes_not_characters() {
        // 1,000 three-byte characters: 3,000 bytes, so two messages, each within 2,048 bytes.
        let parts = render(Lang::En, &text(&"好".repeat(1000)));
        assert_eq!(parts.len(), 2);
        assert!(
            parts.iter().all(|p| p.len() <= LIMITS.text_bytes),
            "{parts:?}"
        );
        assert_eq!(parts.concat(), "好".repeat(1000));
        // Exactly at the limit is one message.
        assert_eq!(render(Lang::En, &text(&"a".repeat(2048))).len(), 1);
        assert_eq!(render(Lang::En, &text(&"a".repeat(2049))).len(), 2);
        // Line breaks are preferred cut points.
        let lines = format!("{}\n{}", "a".repeat(1500), "b".repeat(1000));
        assert_eq!(
            render(Lang::En, &text(&lines)),
            vec!["a".repeat(1500), "b".repeat(1000)]
        );
        assert!(render(Lang::En, &text("  \n ")).is_empty());
    }

    fn sender_for(base: &str, tokens: Arc<dyn TokenCache>) -> WechatSender {
        WechatSender::new(
            crate::http_client(Duration::from_secs(5)),
            WechatSendConfig {
                api_base: base.into(),
                app_id: "wx123".into(),
                app_secret: "app-secret".into(),
            },
            tokens,
        )
    }

    fn offline_sender() -> WechatSender {
        sender_for("http://127.0.0.1:9", Arc::new(MemoryTokens::default()))
    }

    #[test]
    fn batches_merge_consecutive_replies_that_fit_one_message() {
        let s = offline_sender();
        let short = text("Added to your cart.");
        let replies = vec![
            short.clone(),
            short.clone(),
            Reply::Choices {
                body: "Anything else?".into(),
                menu_label: "Menu".into(),
                choices: vec![choice("a", "Checkout"), choice("b", "Keep shopping")],
            },
        ];
        assert_eq!(s.batches(&replies, SendMode::Session), vec![3]);
        assert_eq!(messages(Lang::En, &replies).len(), 1);

        // Replies that do not fit together start a new message.
        let big = text(&"x".repeat(1500));
        let replies = vec![big.clone(), big.clone(), short.clone(), big.clone()];
        let groups = s.batches(&replies, SendMode::Session);
        assert_eq!(groups, vec![1, 2, 1]);
        let mut at = 0;
        for g in groups {
            let sent = messages(Lang::En, &replies[at..at + g]);
            assert_eq!(sent.len(), 1);
            assert!(sent[0].len() <= LIMITS.text_bytes);
            at += g;
        }

        // A reply too long for one message stands alone (with what fits in its last part).
        let huge = text(&"y".repeat(3000));
        assert_eq!(
            s.batches(
                &[short.clone(), huge.clone(), short.clone()],
                SendMode::Session
            ),
            vec![1, 2]
        );
        assert_eq!(s.batches(&[], SendMode::Session), Vec::<usize>::new());
        // Empty replies cost nothing and ride along.
        assert_eq!(
            s.batches(&[text(" "), short.clone(), text("")], SendMode::Session),
            vec![3]
        );
    }

    #[test]
    fn japanese_groups_fit_one_message_too() {
        // Grouping cannot see the language, so it reserves room for the longest hint.
        let s = offline_sender();
        let menu = |n: usize| Reply::Choices {
            body: "b".repeat(n),
            menu_label: "M".into(),
            choices: vec![choice("a", "A")],
        };
        for n in 1900..2100 {
            let replies = vec![menu(10), menu(n), menu(10)];
            let groups = s.batches(&replies, SendMode::Session);
            let mut at = 0;
            for &g in &groups {
                let group = &replies[at..at + g];
                let ja = messages(Lang::Ja, group).len();
                let en = messages(Lang::En, group).len();
                // Never more messages than planned, and a merged group is one message unless
                // its first reply alone needs more.
                assert!(en <= ja, "{n}: {groups:?}");
                if g > 1 {
                    assert_eq!(ja, messages(Lang::Ja, &group[..1]).len().max(1), "{n}");
                }
                at += g;
            }
        }
    }

    #[test]
    fn the_window_is_48_hours_and_updates_after_it_are_held() {
        assert_eq!(
            offline_sender().rules(),
            SendingRules {
                window: Some(Duration::from_secs(48 * 3600)),
                updates_after_window: false
            }
        );
    }

    // --- classification -------------------------------------------------------------------

    fn answer(code: i64) -> Result<Option<String>, SendFailure> {
        classify(
            200,
            format!(r#"{{"errcode":{code},"errmsg":"something rid: 1"}}"#).as_bytes(),
        )
    }

    #[test]
    fn errcode_zero_is_sent_with_the_msgid_if_any() {
        assert_eq!(classify(200, br#"{"errcode":0,"errmsg":"ok"}"#), Ok(None));
        assert_eq!(
            classify(200, br#"{"errcode":0,"errmsg":"ok","msgid":1234567890123}"#),
            Ok(Some("1234567890123".into()))
        );
    }

    #[test]
    fn out_of_window_unfollowed_and_bad_openids_are_permanent() {
        for code in [45015, 43004, 40003, 43019, 45002] {
            assert!(
                matches!(answer(code), Err(SendFailure::Permanent { code: Some(c), .. }) if c == code),
                "{code}"
            );
        }
        let Err(SendFailure::Permanent { detail, .. }) = answer(45047) else {
            panic!("45047 is permanent");
        };
        assert!(detail.contains("quota"), "{detail}");
    }

    #[test]
    fn limits_wait_and_busy_retries() {
        assert_eq!(
            answer(45011),
            Err(SendFailure::RateLimited {
                code: Some(45011),
                retry_after: Duration::from_secs(1)
            })
        );
        assert_eq!(
            answer(45009),
            Err(SendFailure::RateLimited {
                code: Some(45009),
                retry_after: Duration::from_secs(3600)
            })
        );
        // Busy, token and configuration errors and unknown codes keep the message.
        for code in [-1, 40001, 42001, 40014, 40125, 40164, 48001, 99999] {
            assert!(
                matches!(answer(code), Err(SendFailure::Transient { code: Some(c), .. }) if c == code),
                "{code}"
            );
        }
    }

    #[test]
    fn http_errors_and_unreadable_answers_are_transient_and_never_quote_the_body() {
        let echo = b"<html>GET /cgi-bin/token?secret=app-secret failed</html>";
        for status in [200, 502] {
            let Err(SendFailure::Transient { code: None, detail }) = classify(status, echo) else {
                panic!("{status}");
            };
            assert!(!detail.contains("app-secret"), "{detail}");
        }
        assert!(matches!(
            classify(502, b"bad gateway"),
            Err(SendFailure::Transient { code: None, .. })
        ));
        assert!(matches!(
            classify(200, b"<html>proxy</html>"),
            Err(SendFailure::Transient { code: None, .. })
        ));
        assert!(matches!(
            classify(429, b""),
            Err(SendFailure::RateLimited { code: None, .. })
        ));
    }

    // --- sending --------------------------------------------------------------------------

    /// The token cache in memory, with the lease semantics the port describes.
    #[derive(Default)]
    struct MemoryTokens {
        #[allow(clippy::type_complexity)]
        entries: Mutex<HashMap<String, (Option<CachedToken>, Option<(String, i64)>)>>,
    }

    impl MemoryTokens {
        fn token(&self, key: &str) -> Option<CachedToken> {
            self.entries
                .lock()
                .unwrap()
                .get(key)
                .and_then(|e| e.0.clone())
        }
    }

    impl TokenCache for MemoryTokens {
        fn get<'a>(&'a self, key: &'a str) -> PortFuture<'a, Option<CachedToken>> {
            let token = self.token(key);
            Box::pin(async move { Ok::<_, PortError>(token) })
        }

        fn lease<'a>(&'a self, key: &'a str, holder: &'a str, until: i64) -> PortFuture<'a, bool> {
            let mut entries = self.entries.lock().unwrap();
            let entry = entries.entry(key.to_string()).or_default();
            let taken = match &entry.1 {
                Some((h, u)) if *u > unix_now() && h != holder => false,
                _ => {
                    entry.1 = Some((holder.to_string(), until));
                    true
                }
            };
            Box::pin(async move { Ok::<_, PortError>(taken) })
        }

        fn put<'a>(&'a self, key: &'a str, token: &'a CachedToken) -> PortFuture<'a, ()> {
            let mut entries = self.entries.lock().unwrap();
            let entry = entries.entry(key.to_string()).or_default();
            entry.0 = Some(token.clone());
            entry.1 = None;
            Box::pin(async move { Ok::<_, PortError>(()) })
        }
    }

    /// A fake WeChat API: hands out numbered tokens (each fetch invalidates the previous one,
    /// as the real one does), refuses stale ones with 40001, and records every send.
    #[derive(Clone, Default)]
    struct FakeWechat(Arc<Mutex<FakeState>>);

    #[derive(Default)]
    struct FakeState {
        token_fetches: usize,
        valid: String,
        /// (access token used, body) of every send.
        sends: Vec<(String, Value)>,
        /// Answers for the next sends; `{"errcode":0}` when empty.
        scripted: VecDeque<Value>,
    }

    type Params = axum::extract::Query<HashMap<String, String>>;

    async fn fake_token(
        axum::extract::State(fake): axum::extract::State<FakeWechat>,
        axum::extract::Query(q): Params,
    ) -> axum::Json<Value> {
        let mut s = fake.0.lock().unwrap();
        if q.get("grant_type").map(String::as_str) != Some("client_credential")
            || q.get("appid").map(String::as_str) != Some("wx123")
            || q.get("secret").map(String::as_str) != Some("app-secret")
        {
            return axum::Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
        }
        s.token_fetches += 1;
        s.valid = format!("TOKEN{}", s.token_fetches);
        axum::Json(json!({"access_token": s.valid, "expires_in": 7200}))
    }

    async fn fake_send(
        axum::extract::State(fake): axum::extract::State<FakeWechat>,
        axum::extract::Query(q): Params,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::Json<Value> {
        let mut s = fake.0.lock().unwrap();
        let token = q.get("access_token").cloned().unwrap_or_default();
        s.sends.push((token.clone(), body));
        if token != s.valid {
            return axum::Json(json!({
                "errcode": 40001,
                "errmsg": "invalid credential, access_token is invalid or not latest"
            }));
        }
        axum::Json(
            s.scripted
                .pop_front()
                .unwrap_or(json!({"errcode": 0, "errmsg": "ok"})),
        )
    }

    impl FakeWechat {
        async fn serve() -> (FakeWechat, String) {
            let fake = FakeWechat::default();
            let app = axum::Router::new()
                .route("/cgi-bin/token", axum::routing::get(fake_token))
                .route(
                    "/cgi-bin/message/custom/send",
                    axum::routing::post(fake_send),
                )
                .with_state(fake.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            (fake, base)
        }

        fn fetches(&self) -> usize {
            self.0.lock().unwrap().token_fetches
        }

        fn sends(&self) -> Vec<(String, Value)> {
            self.0.lock().unwrap().sends.clone()
        }

        fn script(&self, answer: Value) {
            self.0.lock().unwrap().scripted.push_back(answer);
        }
    }

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Wechat, ANA)
    }

    async fn send_one(s: &WechatSender, reply: &Reply) -> Result<Sent, SendFailure> {
        s.send(&crate::test_server::single(&ana(), Lang::En, reply).out())
            .await
    }

    #[tokio::test]
    async fn sends_customer_service_text_with_one_token_fetch_across_sends() {
        let (fake, base) = FakeWechat::serve().await;
        let tokens = Arc::new(MemoryTokens::default());
        let s = sender_for(&base, tokens.clone());
        send_one(&s, &text("hello")).await.expect("sent");
        send_one(&s, &text("again")).await.expect("sent");
        assert_eq!(fake.fetches(), 1);
        assert_eq!(
            fake.sends(),
            vec![
                (
                    "TOKEN1".to_string(),
                    json!({"touser": ANA, "msgtype": "text", "text": {"content": "hello"}})
                ),
                (
                    "TOKEN1".to_string(),
                    json!({"touser": ANA, "msgtype": "text", "text": {"content": "again"}})
                ),
            ]
        );
        // Shared under the app's key, with five minutes' margin on WeChat's two hours.
        let shared = tokens.token("wechat#wx123").expect("shared");
        assert_eq!(shared.token, "TOKEN1");
        let left = shared.expires_at - unix_now();
        assert!((6890..=6900).contains(&left), "{left}");

        // Another instance reads the shared token instead of fetching (which would invalidate
        // this one's).
        let other = sender_for(&base, tokens.clone());
        send_one(&other, &text("third")).await.expect("sent");
        assert_eq!(fake.fetches(), 1);
    }

    #[tokio::test]
    async fn a_group_goes_out_as_one_merged_message() {
        let (fake, base) = FakeWechat::serve().await;
        let s = sender_for(&base, Arc::new(MemoryTokens::default()));
        let bundle = chatdrop_domain::reply::ReplyBundle {
            id: "b1".into(),
            conversation: ana(),
            lang: Lang::En,
            ack: None,
            reply_token: None,
            update: None,
            replies: vec![
                text("Added."),
                Reply::Choices {
                    body: "Next?".into(),
                    menu_label: "Menu".into(),
                    choices: vec![choice("c:checkout", "Checkout")],
                },
            ],
        };
        assert_eq!(s.batches(&bundle.replies, SendMode::Session), vec![2]);
        let sent = s
            .send(&Outgoing {
                bundle: &bundle,
                first: 0,
                replies: &bundle.replies,
                mode: SendMode::Session,
                now: 0,
            })
            .await
            .expect("sent");
        assert_eq!(sent, Sent::default());
        let sends = fake.sends();
        assert_eq!(sends.len(), 1);
        assert_eq!(
            sends[0].1["text"]["content"],
            json!("Added.\n\nNext?\n\n1. Checkout\n\nReply with a number.")
        );
    }

    #[tokio::test]
    async fn a_refused_token_is_dropped_refetched_and_the_send_retried_once() {
        let (fake, base) = FakeWechat::serve().await;
        let tokens = Arc::new(MemoryTokens::default());
        // Another deployment's token, or one rotated away: still "fresh" by its expiry.
        tokens
            .put(
                "wechat#wx123",
                &CachedToken {
                    token: "STALE".into(),
                    expires_at: unix_now() + 3600,
                },
            )
            .await
            .unwrap();
        let s = sender_for(&base, tokens.clone());
        send_one(&s, &text("hello"))
            .await
            .expect("sent after refresh");
        let used: Vec<String> = fake.sends().into_iter().map(|(t, _)| t).collect();
        assert_eq!(used, vec!["STALE", "TOKEN1"]);
        assert_eq!(fake.fetches(), 1);
        assert_eq!(tokens.token("wechat#wx123").unwrap().token, "TOKEN1");
    }

    #[tokio::test]
    async fn a_token_refused_twice_is_transient() {
        let (fake, base) = FakeWechat::serve().await;
        let s = sender_for(&base, Arc::new(MemoryTokens::default()));
        fake.script(json!({"errcode": 42001, "errmsg": "access_token expired"}));
        fake.script(json!({"errcode": 42001, "errmsg": "access_token expired"}));
        let f = send_one(&s, &text("hello")).await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Transient {
                    code: Some(42001),
                    ..
                })
            ),
            "{f:?}"
        );
        assert_eq!(fake.sends().len(), 2);
        assert_eq!(fake.fetches(), 2);
    }

    #[tokio::test]
    async fn a_nearly_expired_token_is_refreshed() {
        let (fake, base) = FakeWechat::serve().await;
        let tokens = Arc::new(MemoryTokens::default());
        tokens
            .put(
                "wechat#wx123",
                &CachedToken {
                    token: "OLD".into(),
                    expires_at: unix_now() + 200,
                },
            )
            .await
            .unwrap();
        send_one(&sender_for(&base, tokens.clone()), &text("hi"))
            .await
            .expect("sent");
        assert_eq!(fake.fetches(), 1);
        assert_eq!(fake.sends()[0].0, "TOKEN1");
    }

    #[tokio::test]
    async fn while_another_caller_refreshes_the_sender_waits_and_reads_its_token() {
        let (fake, base) = FakeWechat::serve().await;
        let tokens = Arc::new(MemoryTokens::default());
        assert!(
            tokens
                .lease("wechat#wx123", "someone-else", unix_now() + 30)
                .await
                .unwrap()
        );
        // The other caller's token lands after a moment; it is the valid one on the fake.
        fake.0.lock().unwrap().valid = "THEIRS".into();
        let writer = tokens.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            writer
                .put(
                    "wechat#wx123",
                    &CachedToken {
                        token: "THEIRS".into(),
                        expires_at: unix_now() + 6900,
                    },
                )
                .await
                .unwrap();
        });
        send_one(&sender_for(&base, tokens.clone()), &text("hi"))
            .await
            .expect("sent");
        assert_eq!(fake.fetches(), 0);
        assert_eq!(fake.sends()[0].0, "THEIRS");
    }

    #[tokio::test]
    async fn a_lease_held_too_long_is_transient_without_fetching() {
        let (fake, base) = FakeWechat::serve().await;
        let tokens = Arc::new(MemoryTokens::default());
        tokens
            .lease("wechat#wx123", "someone-else", unix_now() + 30)
            .await
            .unwrap();
        let f = send_one(&sender_for(&base, tokens), &text("hi")).await;
        assert!(
            matches!(f, Err(SendFailure::Transient { code: None, .. })),
            "{f:?}"
        );
        assert_eq!(fake.fetches(), 0);
        assert!(fake.sends().is_empty());
    }

    #[tokio::test]
    async fn a_wrong_app_secret_is_transient_and_sends_nothing() {
        let (fake, base) = FakeWechat::serve().await;
        let s = WechatSender::new(
            crate::http_client(Duration::from_secs(5)),
            WechatSendConfig {
                api_base: base,
                app_id: "wx123".into(),
                app_secret: "wrong-secret".into(),
            },
            Arc::new(MemoryTokens::default()),
        );
        let f = send_one(&s, &text("hi")).await;
        let Err(SendFailure::Transient {
            code: Some(40125),
            detail,
        }) = f
        else {
            panic!("{f:?}");
        };
        assert!(!detail.contains("wrong-secret"), "{detail}");
        assert!(fake.sends().is_empty());
    }

    #[tokio::test]
    async fn send_errors_are_classified_and_stop_the_rest() {
        let (fake, base) = FakeWechat::serve().await;
        let s = sender_for(&base, Arc::new(MemoryTokens::default()));
        fake.script(json!({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}));
        // Two messages' worth: the first failure stops the second.
        let long = text(&format!("{}\n{}", "a".repeat(2000), "b".repeat(100)));
        let f = send_one(&s, &long).await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(45015),
                    ..
                })
            ),
            "{f:?}"
        );
        assert_eq!(fake.sends().len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_api_is_transient_and_its_error_hides_the_url() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let f = send_one(
            &sender_for(&base, Arc::new(MemoryTokens::default())),
            &text("hi"),
        )
        .await;
        let Err(SendFailure::Transient { code: None, detail }) = f else {
            panic!("{f:?}");
        };
        assert!(!detail.contains("app-secret"), "{detail}");
    }

    #[tokio::test]
    async fn acknowledge_sends_nothing() {
        let (fake, base) = FakeWechat::serve().await;
        sender_for(&base, Arc::new(MemoryTokens::default()))
            .acknowledge(&ana(), "x")
            .await
            .expect("no-op");
        assert!(fake.sends().is_empty());
        assert_eq!(fake.fetches(), 0);
    }
}
