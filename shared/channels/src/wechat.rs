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
use crate::{
    Acknowledgement, Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type,
    numbered_line, transport_failure, truncate_chars,
};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::{CachedToken, TokenCache};
use chatdrop_domain::reply::{Choice, Reply};
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
        if (now - at).abs() > MAX_CLOCK_SKEW {
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

/// The customer's message in one push, or `None` for a push that is not a customer talking.
fn parse_message(xml: &str) -> Result<Option<InboundMessage>, WebhookError> {
    let m: WxMessage =
        quick_xml::de::from_str(xml).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    if m.from_user_name.is_empty() {
        tracing::warn!(kind = %m.msg_type, "skipping a WeChat push without a sender");
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
                tracing::info!(kind = %other, "unknown WeChat message type");
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

/// Source: the customer-service message docs (platform-facts §5.3) state 2048 bytes for text;
/// the figure is older than the current page and treated as the limit, not a target.
pub const LIMITS: Limits = Limits { text_bytes: 2048 };

/// What goes between two replies merged into one message.
const MERGE_SEPARATOR: &str = "\n\n";

/// The texts one reply shows, each within [`LIMITS`]; none when there is nothing to say.
pub fn render(lang: Lang, reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Text { body } => split_bytes(body, LIMITS.text_bytes),
        Reply::Choices { body, choices, .. } => {
            split_bytes(&numbered_text(body, choices, lang), LIMITS.text_bytes)
        }
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

/// The body, one numbered line per choice, and how to answer: WeChat has no buttons in a chat.
fn numbered_text(body: &str, choices: &[Choice], lang: Lang) -> String {
    if choices.is_empty() {
        return body.to_string();
    }
    let lines: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| numbered_line(i + 1, &c.title, c.description.as_deref()))
        .collect();
    let mut text = String::new();
    if !body.trim().is_empty() {
        text.push_str(body);
        text.push_str("\n\n");
    }
    text.push_str(&lines.join("\n"));
    text.push_str("\n\n");
    text.push_str(&Msg::ReplyWithNumber.text(lang));
    text
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
                tracing::info!(code = ?failure_code(&f), "WeChat refused the access token; refreshing");
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
                code = ?failure_code(f),
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
            tracing::warn!(status, code = ?failure_code(f), "WeChat token fetch failed");
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

fn failure_code(f: &SendFailure) -> Option<i64> {
    match f {
        SendFailure::Permanent { code, .. }
        | SendFailure::RateLimited { code, .. }
        | SendFailure::Transient { code, .. } => *code,
    }
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
    if !(200..300).contains(&status) {
        let detail = format!(
            "HTTP {status}: {}",
            truncate_chars(&String::from_utf8_lossy(body), 200)
        );
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
            detail: format!(
                "unreadable answer: {}",
                truncate_chars(&String::from_utf8_lossy(body), 200)
            ),
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
