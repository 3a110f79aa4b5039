//! Messenger Platform adapter (a Facebook Page talking to its customers).
//!
//! **Inbound.** Messenger is Meta's other chat API and authenticates exactly like WhatsApp's: a
//! GET subscription check proves we own the URL by echoing `hub.challenge`, but only to a
//! caller who knows the verify token we chose; every POST is signed with
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>`. The signature is
//! checked on the bytes as received, before the content type is looked at or anything parsed,
//! so an unauthenticated request learns nothing and never reaches the JSON parser.
//!
//! One POST can batch several `entry[]` items, each with several `messaging[]` events, and Meta
//! redelivers until it gets a 200; every event comes back in payload order, with the
//! platform's message id (`mid`) as `event_id` so the queue deduplicates. The customer is the
//! event's `sender.id`, a page-scoped id (PSID): the same person has a different PSID on
//! every Page, and it is never a phone number, but it is still a customer id and is logged
//! only hashed. The Page hears its own sends back as `is_echo` messages; answering them would
//! have the shop talk to itself forever, so they are dropped first.
//!
//! Delivery and read receipts are *watermarks*: "everything sent before this millisecond".
//! A delivery receipt usually also lists the `mids` it covers, and each becomes one
//! `Delivered` status about that message. A read receipt never does, so it becomes a single
//! `Read` status whose `message_id` is `watermark:<ms>`: it matches none of our message ids,
//! records that the customer read up to that moment, and stays unique per receipt.
//!
//! **Outbound.** [`render`] turns a channel-neutral [`Reply`] into Send API `message` objects
//! that fit Messenger's limits ([`LIMITS`]). Choices become *quick replies*, not the button
//! template, although both carry a payload back: quick replies take 13 choices to the
//! template's 3 and 2000 characters of text to its 640, so one form serves nearly every menu
//! instead of two forms with a seam between them; and they disappear once the customer
//! answers, so a week-old menu cannot be tapped out of context, while the tapped title shows in
//! the thread as the customer's own words. A title longer than a quick reply shows (20
//! characters), or a choice with a description (a price, say), lists every choice in full as
//! numbered lines above the buttons, so nothing the customer should read is cut off. Past 13
//! choices, or with a payload quick replies cannot carry, the menu is numbered text, which
//! always works because the domain accepts a typed number for any choice offered. Links use
//! the button template's `web_url` button, which does not vanish, since a payment link must
//! stay usable.
//!
//! Inside the 24-hour window every message goes out as `messaging_type: RESPONSE`. An order
//! update after the window goes out with the `POST_PURCHASE_UPDATE` message tag, the one
//! sanctioned way to tell a customer about their purchase later.
//!
//! **Failures** are classified by the Graph error code and subcode, not the HTTP status,
//! because Meta answers 400 both for "slow down" (613) and for "this person can never get this
//! message" (10/2018278, outside the window), and retrying the second is as wrong as dropping
//! the first.

use crate::meta;
use crate::text::{Hint, numbered_text};
use crate::{
    Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type, split_text,
    transport_failure, truncate_chars,
};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_domain::reply::{Choice, Reply};
use chatdrop_telemetry::redact;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct MessengerConfig {
    pub app_secret: String,
    pub verify_token: String,
}

pub struct MessengerWebhook {
    pub config: MessengerConfig,
}

#[derive(Clone, Debug)]
pub struct MessengerSendConfig {
    pub graph_base: String,
    pub api_version: String,
    pub page_access_token: String,
}

pub struct MessengerSender {
    pub client: reqwest::Client,
    pub config: MessengerSendConfig,
}

/// The standard messaging window: a Page may message a customer freely within 24 hours of the
/// customer's last message (<https://developers.facebook.com/docs/messenger-platform/policy/>).
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The message tag order updates carry outside the window. Meta deprecates tags from time to
/// time (several went in 2020): re-check the current list before relying on this one.
pub const ORDER_UPDATE_TAG: &str = "POST_PURCHASE_UPDATE";

const PAGE_OBJECT: &str = "page";

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

impl MessengerWebhook {
    pub fn new(config: MessengerConfig) -> Self {
        MessengerWebhook { config }
    }

    /// The GET subscription check (shared with every Meta webhook: [`crate::meta`]).
    fn verify_subscription(&self, query: Option<&str>) -> Result<WebhookOutcome, WebhookError> {
        meta::verify_subscription(query, &self.config.verify_token)
    }

    fn verify_signature(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        meta::verify_signature(headers, body, &self.config.app_secret)
    }
}

/// Meta posts `application/json`; a form or XML body did not come from Messenger, signature
/// or not. A missing header is let through to the parser, which decides.
fn check_media_type(headers: &http::HeaderMap) -> Result<(), WebhookError> {
    match media_type(headers) {
        Some(m) if m != "application/json" && !m.ends_with("+json") => {
            Err(WebhookError::UnsupportedMediaType(m))
        }
        _ => Ok(()),
    }
}

impl Webhook for MessengerWebhook {
    fn channel(&self) -> Channel {
        Channel::Messenger
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        match *request.method {
            http::Method::GET => self.verify_subscription(request.query),
            http::Method::POST => {
                self.verify_signature(request.headers, request.body)?;
                check_media_type(request.headers)?;
                parse_notification(request.body).map(WebhookOutcome::Messages)
            }
            _ => Err(WebhookError::MethodNotAllowed),
        }
    }
}

// Every field defaults: Meta adds fields and event kinds without notice, and a new one must
// degrade to "ignored" or "unsupported", not to a failed webhook Meta keeps redelivering.

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notification {
    object: String,
    entry: Vec<Entry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    /// Handover-protocol `standby` events (another app owns the thread) sit beside
    /// `messaging` and are deliberately not read: they are not ours to answer.
    messaging: Vec<Messaging>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Messaging {
    sender: Party,
    /// Unix milliseconds.
    #[serde(deserialize_with = "lenient_i64")]
    timestamp: i64,
    message: Option<MsgEvent>,
    postback: Option<Postback>,
    delivery: Option<Watermark>,
    read: Option<Watermark>,
    /// Every other key, by name only, so the log can say which event kind was skipped
    /// (reaction, referral, optin, account_linking, …).
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Party {
    id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MsgEvent {
    mid: String,
    text: Option<String>,
    is_echo: bool,
    quick_reply: Option<QuickReplyTap>,
    attachments: Option<Vec<Attachment>>,
    /// Set when the "attachment" is a sticker (the thumbs-up among them), which arrives as an
    /// image.
    sticker_id: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QuickReplyTap {
    payload: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    payload: Option<AttachmentPayload>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AttachmentPayload {
    url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Postback {
    mid: String,
    title: String,
    payload: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Watermark {
    mids: Vec<String>,
    /// Unix milliseconds: everything sent before it is delivered (or read).
    #[serde(deserialize_with = "lenient_i64")]
    watermark: i64,
}

/// Meta sends millisecond timestamps as numbers; a string or a missing one is not worth losing
/// the event over: it becomes 0, which nothing orders on.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

fn parse_notification(body: &[u8]) -> Result<Vec<InboundMessage>, WebhookError> {
    let notification: Notification = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
    if notification.object != PAGE_OBJECT {
        // Instagram (`instagram`) or a Page feed subscription pointed at this URL by mistake.
        tracing::info!(object = %redact::kind(&notification.object), "ignoring a non-page Messenger notification");
        return Ok(Vec::new());
    }
    Ok(notification
        .entry
        .into_iter()
        .flat_map(|e| e.messaging)
        .flat_map(inbound_events)
        .collect())
}

/// One `messaging[]` event as zero or more inbound messages (a delivery receipt covers several
/// of our messages).
fn inbound_events(m: Messaging) -> Vec<InboundMessage> {
    if m.sender.id.is_empty() {
        // Without a sender there is nobody to answer.
        tracing::warn!("skipping a Messenger event without a sender");
        return Vec::new();
    }
    let conversation = ConversationId::new(Channel::Messenger, m.sender.id);
    let ms = m.timestamp;
    let event = |event_id: String, content: InboundContent| InboundMessage {
        conversation: conversation.clone(),
        event_id,
        sent_at: ms.div_euclid(1000),
        locale: None,
        ack: None,
        reply_token: None,
        content,
    };
    // Meta gives every message and postback a `mid`; older Get Started postbacks lack one, and
    // then the sender and the millisecond identify the event well enough to deduplicate a
    // redelivery. The sender goes in hashed, since event ids may be logged.
    let id_or_fallback = |mid: String, kind: &str| {
        if mid.is_empty() {
            format!("{kind}:{}:{ms}", conversation.hashed())
        } else {
            mid
        }
    };

    if let Some(message) = m.message {
        if message.is_echo {
            tracing::debug!(kind = "echo", conversation = %conversation.hashed(), "ignored");
            return Vec::new();
        }
        let content = message_content(&message, &conversation);
        return vec![event(id_or_fallback(message.mid, "message"), content)];
    }
    if let Some(postback) = m.postback {
        let content = if postback.payload.is_empty() {
            unsupported("postback_without_payload")
        } else {
            InboundContent::Action {
                payload: postback.payload,
                title: non_empty(postback.title),
            }
        };
        return vec![event(id_or_fallback(postback.mid, "postback"), content)];
    }
    if let Some(delivery) = m.delivery {
        if delivery.mids.is_empty() {
            // A bare watermark: the same shape a read receipt gets.
            let id = format!("watermark:{}", delivery.watermark);
            return vec![event(id.clone(), status(id, DeliveryStatus::Delivered))];
        }
        return delivery
            .mids
            .into_iter()
            .filter(|mid| !mid.is_empty())
            .map(|mid| event(mid.clone(), status(mid, DeliveryStatus::Delivered)))
            .collect();
    }
    if let Some(read) = m.read {
        let id = format!("watermark:{}", read.watermark);
        return vec![event(id.clone(), status(id, DeliveryStatus::Read))];
    }
    let kind = m
        .other
        .keys()
        .find(|k| !matches!(k.as_str(), "recipient"))
        .map(String::as_str)
        .unwrap_or("unknown");
    tracing::debug!(kind = %kind, conversation = %conversation.hashed(), "ignoring a Messenger event kind we do not serve");
    Vec::new()
}

fn message_content(message: &MsgEvent, conversation: &ConversationId) -> InboundContent {
    // A quick-reply tap also carries the tapped title as `text`; the payload is what counts.
    if let Some(tap) = message
        .quick_reply
        .as_ref()
        .filter(|q| !q.payload.is_empty())
    {
        return InboundContent::Action {
            payload: tap.payload.clone(),
            title: message.text.clone().and_then(non_empty),
        };
    }
    // A shared link arrives as text plus a `fallback` attachment: the text is what was said.
    if let Some(text) = message.text.as_ref().filter(|t| !t.is_empty()) {
        return InboundContent::Text { body: text.clone() };
    }
    if message.sticker_id.is_some() {
        return unsupported("sticker");
    }
    // Several pictures sent at once share one `mid`; the first stands for them all.
    let Some(first) = message.attachments.as_ref().and_then(|a| a.first()) else {
        tracing::info!(conversation = %conversation.hashed(), "Messenger message without text or attachments");
        return unsupported("message");
    };
    let url = first.payload.as_ref().and_then(|p| p.url.clone());
    match (first.kind.as_str(), url) {
        // Messenger hands out no media id, only a signed CDN URL (valid for a while): that URL
        // is the handle to fetch the picture by.
        ("image", Some(url)) if !url.is_empty() => InboundContent::Image {
            media_id: url,
            caption: None,
        },
        ("", _) => unsupported("attachment"),
        (kind, _) => unsupported(kind),
    }
}

fn status(message_id: String, status: DeliveryStatus) -> InboundContent {
    InboundContent::Status {
        message_id,
        status,
        error_code: None,
    }
}

fn unsupported(kind: &str) -> InboundContent {
    InboundContent::Unsupported {
        kind: kind.to_string(),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Messenger's message limits, in characters. Past any of them the Send API rejects the whole
/// message (error 100), so the renderer picks a form that fits instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A text message, with or without quick replies.
    pub text: usize,
    pub quick_replies: usize,
    /// Longer titles are cut by Messenger itself; we cut them first, visibly.
    pub quick_reply_title: usize,
    pub quick_reply_payload: usize,
    /// The button template's text.
    pub button_template_text: usize,
    pub button_title: usize,
}

/// Sources: <https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies>
/// and .../send-messages/template/button (the quick-reply payload limit is assumed equal to the
/// postback button's, unconfirmed) and the Send API's 2000-character text limit
/// (<https://developers.facebook.com/docs/messenger-platform/reference/send-api>).
pub const LIMITS: Limits = Limits {
    text: 2000,
    quick_replies: 13,
    quick_reply_title: 20,
    quick_reply_payload: 1000,
    button_template_text: 640,
    button_title: 20,
};

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The Send API `message` objects for one reply, in sending order: usually one, several when
/// text must be split or an image has a caption, none when there is nothing to say (an empty
/// text cannot be sent).
pub fn render(lang: Lang, reply: &Reply) -> Vec<Value> {
    match reply {
        Reply::Text { body } => text_messages(body),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    }
}

fn text_messages(text: &str) -> Vec<Value> {
    split_text(text, LIMITS.text)
        .into_iter()
        .map(|text| json!({ "text": text }))
        .collect()
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Value> {
    if choices.is_empty() {
        return text_messages(body);
    }
    // A payload is never cut: a cut one would come back as an action we never offered.
    let mut seen = HashSet::new();
    let tappable = choices.len() <= LIMITS.quick_replies
        && choices.iter().all(|c| {
            (1..=LIMITS.quick_reply_payload).contains(&chars(&c.id))
                && !c.title.trim().is_empty()
                && seen.insert(c.id.as_str())
        });
    if !tappable {
        return text_messages(&numbered_text(body, choices, lang, Hint::ReplyWithNumber));
    }
    // When a title would be cut or a choice carries a description, the full list goes in the
    // text and each quick reply bears its number, so the customer can match the two.
    let detailed = choices.iter().any(|c| {
        chars(&c.title) > LIMITS.quick_reply_title
            || c.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
    });
    let text = if detailed {
        numbered_text(body, choices, lang, Hint::None)
    } else if body.trim().is_empty() {
        // Quick replies must hang off a non-empty text.
        if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        }
    } else {
        body.to_string()
    };
    let quick_replies: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let title = if detailed {
                format!("{}. {}", i + 1, c.title)
            } else {
                c.title.clone()
            };
            json!({
                "content_type": "text",
                "title": truncate_chars(&title, LIMITS.quick_reply_title),
                "payload": c.id,
            })
        })
        .collect();
    // A body too long for one message goes out in parts; the buttons ride on the last.
    let mut parts = text_messages(&text);
    match parts.last_mut() {
        Some(last) => last["quick_replies"] = Value::Array(quick_replies),
        None => parts
            .push(json!({ "text": Msg::ChooseLabel.text(lang), "quick_replies": quick_replies })),
    }
    parts
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Value> {
    // `is_reusable` lets Messenger cache the picture: a catalog image is sent again and again.
    let mut out = vec![json!({
        "attachment": { "type": "image", "payload": { "url": url, "is_reusable": true } }
    })];
    // Messenger attachments have no caption: the words follow as their own message.
    if let Some(c) = caption {
        out.extend(text_messages(c));
    }
    out
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Value> {
    let fits = !body.trim().is_empty()
        && chars(body) <= LIMITS.button_template_text
        && !label.trim().is_empty()
        && !url.trim().is_empty();
    if !fits {
        return text_messages(&format!("{body}\n\n{label}: {url}"));
    }
    vec![json!({
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": body,
                "buttons": [{
                    "type": "web_url",
                    "url": url,
                    "title": truncate_chars(label, LIMITS.button_title),
                }],
            },
        },
    })]
}

/// The Send API request body: who, under which messaging type, what.
fn envelope(psid: &str, mode: SendMode, message: Value) -> Value {
    match mode {
        SendMode::Session => json!({
            "recipient": { "id": psid },
            "messaging_type": "RESPONSE",
            "message": message,
        }),
        SendMode::OrderUpdate => json!({
            "recipient": { "id": psid },
            "messaging_type": "MESSAGE_TAG",
            "tag": ORDER_UPDATE_TAG,
            "message": message,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

impl MessengerSender {
    pub fn new(client: reqwest::Client, config: MessengerSendConfig) -> Self {
        MessengerSender { client, config }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/{}/me/messages",
            self.config.graph_base.trim_end_matches('/'),
            self.config.api_version
        )
    }

    /// Messenger has nothing to acknowledge: taps arrive as ordinary messages and postbacks.
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    pub fn rules(&self) -> SendingRules {
        SendingRules {
            window: Some(WINDOW),
            updates_after_window: true,
        }
    }

    /// One reply per call: the Send API takes one message per request.
    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        vec![1; replies.len()]
    }

    /// Sends every rendered part in order; the first failure stops the rest, so the customer
    /// never gets a later part without an earlier one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let url = self.messages_url();
        let c = out.conversation();
        let mut ids = Vec::new();
        for message in out.replies.iter().flat_map(|r| render(out.lang(), r)) {
            let body = envelope(&c.customer, out.mode, message);
            ids.extend(self.post(&url, c, &body).await?);
        }
        Ok(Sent::ids(ids))
    }

    async fn post(
        &self,
        url: &str,
        c: &ConversationId,
        body: &Value,
    ) -> Result<Option<String>, SendFailure> {
        // The token travels in the query string, so every reqwest error is stripped of its URL
        // before it can reach a log line or an error text.
        let token: String =
            url::form_urlencoded::byte_serialize(self.config.page_access_token.as_bytes())
                .collect();
        let response = self
            .client
            .post(format!("{url}?access_token={token}"))
            .json(body)
            .send()
            .await
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            return Ok(answer["message_id"].as_str().map(String::from));
        }
        let retry_after = crate::retry_after_header(response.headers());
        // An unreadable error body still has a status to classify by.
        let bytes = response.bytes().await.unwrap_or_default();
        let failure = classify(status.as_u16(), &bytes, retry_after);
        tracing::warn!(
            conversation = %c.hashed(),
            status = status.as_u16(),
            code = ?crate::failure_code(&failure),
            "Messenger send failed"
        );
        Err(failure)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GraphErrorBody {
    error: GraphError,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GraphError {
    message: String,
    code: Option<i64>,
    error_subcode: Option<i64>,
}

/// API-level throttling: application (4), user (17), page (32) and call-rate (613) limits.
const RATE_LIMIT_CODES: &[i64] = &[4, 17, 32, 613];
/// Meta publishes no retry delay for these; a minute lets an hourly budget recover a little
/// without holding a Lambda long.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// (code, subcode) pairs that can never succeed as sent; `None` matches any subcode.
const PERMANENT: &[(i64, Option<i64>)] = &[
    (10, Some(2018278)),  // outside the messaging window and not a tagged update
    (10, Some(2018065)),  // the same, under its older subcode
    (10, Some(2018108)),  // this person isn't receiving messages from the Page right now
    (551, None),          // this person isn't available right now (they turned messages off)
    (100, Some(2018001)), // no matching user: a PSID of another Page, or a deleted account
];
/// Worth retrying: Meta-side trouble (1, 2, 1200), or a token ops must rotate (190): the
/// message is kept for a redrive rather than dropped for a configuration mistake.
const TRANSIENT_CODES: &[i64] = &[1, 2, 190, 1200];

/// Classifies a failed Send API call by its Graph error code and subcode; the HTTP status
/// decides only when the code is missing or not one we know.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<GraphErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_default();
    let code = error.code;
    let rate_limited = SendFailure::RateLimited {
        code,
        retry_after: retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
    };
    let permanent = code.is_some_and(|c| {
        PERMANENT
            .iter()
            .any(|&(pc, sub)| pc == c && (sub.is_none() || sub == error.error_subcode))
    });
    let detail = describe(status, &error, body);
    match code {
        Some(c) if RATE_LIMIT_CODES.contains(&c) => rate_limited,
        Some(_) if permanent => SendFailure::Permanent { code, detail },
        Some(c) if TRANSIENT_CODES.contains(&c) => SendFailure::Transient { code, detail },
        // A 429 without a code we know (a proxy, a new limit) still means "later", not "never".
        _ if status == 429 => rate_limited,
        _ if (400..500).contains(&status) => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

fn describe(status: u16, error: &GraphError, body: &[u8]) -> String {
    let mut detail = format!("HTTP {status}");
    if error.message.is_empty() {
        if !body.is_empty() {
            detail.push_str(": ");
            detail.push_str(&truncate_chars(&String::from_utf8_lossy(body), 200));
        }
        return detail;
    }
    detail.push_str(": ");
    detail.push_str(&error.message);
    if let Some(sub) = error.error_subcode {
        detail.push_str(&format!(" (subcode {sub})"));
    }
    truncate_chars(&detail, 500)
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::MESSENGER`]).
pub fn webhook(values: &crate::registry::Values) -> MessengerWebhook {
    use chatdrop_domain::channel_spec::vars;
    MessengerWebhook {
        config: MessengerConfig {
            app_secret: values.get(vars::MESSENGER_APP_SECRET),
            verify_token: values.get(vars::MESSENGER_VERIFY_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(
    values: &crate::registry::Values,
    deps: &crate::registry::SenderDeps,
) -> MessengerSender {
    use chatdrop_domain::channel_spec::vars;
    MessengerSender {
        client: deps.client.clone(),
        config: MessengerSendConfig {
            graph_base: values.get(vars::MESSENGER_GRAPH_BASE),
            api_version: values.get(vars::MESSENGER_API_VERSION),
            page_access_token: values.get(vars::MESSENGER_PAGE_TOKEN),
        },
    }
}

impl crate::outbound::Outbound for MessengerSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::MESSENGER
    }

    fn rules(&self) -> SendingRules {
        MessengerSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        MessengerSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(MessengerSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(MessengerSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server;

    const SECRET: &str = "app-secret";
    const VERIFY: &str = "verify-me";
    const PAGE: &str = "102030405060708";
    const ANA: &str = "6543210987654321";
    const TOKEN: &str = "EAAGpage+token/secret";

    fn webhook() -> MessengerWebhook {
        MessengerWebhook::new(MessengerConfig {
            app_secret: SECRET.into(),
            verify_token: VERIFY.into(),
        })
    }

    fn signature_for(secret: &str, body: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(crate::signature::hmac_sha256(secret.as_bytes(), body))
        )
    }

    fn request_with(
        webhook: &MessengerWebhook,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(s) = signature {
            headers.insert(
                "x-hub-signature-256",
                http::HeaderValue::from_str(s).unwrap(),
            );
        }
        if let Some(t) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_str(t).unwrap(),
            );
        }
        webhook.receive(&WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/messenger",
            headers: &headers,
            query: None,
            body,
        })
    }

    fn post_with(signature: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
        request_with(
            &webhook(),
            signature,
            Some("application/json"),
            body.as_bytes(),
        )
    }

    fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
        post_with(Some(&signature_for(SECRET, body.as_bytes())), body)
    }

    fn messages(body: &str) -> Vec<InboundMessage> {
        match post(body) {
            Ok(WebhookOutcome::Messages(m)) => m,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    fn get(query: &str) -> Result<WebhookOutcome, WebhookError> {
        webhook().receive(&WebhookRequest {
            method: &http::Method::GET,
            url: "https://shop.example/webhooks/messenger",
            headers: &http::HeaderMap::new(),
            query: Some(query),
            body: b"",
        })
    }

    /// `items` as the `messaging` array of one entry, in the `object: "page"` webhook envelope.
    fn notification(items: &[String]) -> String {
        format!(
            r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1767225600123,"messaging":[{}]}}]}}"#,
            items.join(",")
        )
    }

    /// One messaging event from Ana to the Page at `ms`, with `fields` as its payload.
    fn event(ms: i64, fields: &str) -> String {
        format!(
            r#"{{"sender":{{"id":"{ANA}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ms},{fields}}}"#
        )
    }

    fn one(body: &str) -> InboundMessage {
        let mut m = messages(body);
        assert_eq!(m.len(), 1, "{m:?}");
        m.remove(0)
    }

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Messenger, ANA)
    }

    // Our own minimal examples in the documented shape (Messenger webhook events:
    // https://developers.facebook.com/docs/messenger-platform/webhooks).
    const QUICK_REPLY_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767225600123,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767225600000,
 "message":{"mid":"m_AbCdEf123","text":"Blue mug","quick_reply":{"payload":"SKU:blue_mug"}}}]}]}"#;

    const POSTBACK_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767225700456,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767225700000,
 "postback":{"mid":"m_GhIjKl456","title":"Buy now","payload":"BUY:blue_mug:1"}}]}]}"#;

    // --- verification ---------------------------------------------------------------------

    #[test]
    fn the_shared_meta_vector_verifies() {
        // Meta publishes no Messenger vector. Messenger signs exactly as WhatsApp does
        // (https://developers.facebook.com/docs/messenger-platform/webhooks, "Validating
        // Webhook Events"), so the third-party WhatsApp vector applies: hexdocs whatsapp_sdk
        // `compute_signature("test", "secret")` (https://hexdocs.pm/whatsapp_sdk), recomputed
        // with Python's `hmac`. The body "test" is authentic but not JSON: Malformed, which
        // proves the signature passed.
        let webhook = MessengerWebhook::new(MessengerConfig {
            app_secret: "secret".into(),
            verify_token: VERIFY.into(),
        });
        let sig = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";
        assert!(matches!(
            request_with(&webhook, Some(sig), Some("application/json"), b"test"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            request_with(&webhook, Some(sig), Some("application/json"), b"test "),
            Err(WebhookError::Unauthorized("signature mismatch"))
        ));
    }

    #[test]
    fn a_correct_signature_is_accepted() {
        assert!(matches!(
            post(QUICK_REPLY_EXAMPLE),
            Ok(WebhookOutcome::Messages(m)) if m.len() == 1
        ));
    }

    #[test]
    fn a_missing_signature_is_unauthorized() {
        assert_eq!(
            post_with(None, QUICK_REPLY_EXAMPLE),
            Err(WebhookError::Unauthorized("missing X-Hub-Signature-256"))
        );
    }

    #[test]
    fn a_tampered_body_is_unauthorized() {
        let sig = signature_for(SECRET, QUICK_REPLY_EXAMPLE.as_bytes());
        let tampered = QUICK_REPLY_EXAMPLE.replace("SKU:blue_mug", "SKU:gold_mug");
        assert_eq!(
            post_with(Some(&sig), &tampered),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn a_signature_under_another_secret_is_unauthorized() {
        let sig = signature_for("not-the-secret", QUICK_REPLY_EXAMPLE.as_bytes());
        assert_eq!(
            post_with(Some(&sig), QUICK_REPLY_EXAMPLE),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn the_legacy_sha1_header_and_bad_hex_are_unauthorized() {
        let hex_part = signature_for(SECRET, QUICK_REPLY_EXAMPLE.as_bytes())[7..].to_string();
        for sig in [
            format!("sha1={hex_part}"),
            hex_part.clone(),
            "sha256=not-hex".to_string(),
            "sha256=".to_string(),
        ] {
            assert!(
                matches!(
                    post_with(Some(&sig), QUICK_REPLY_EXAMPLE),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{sig}"
            );
        }
        // The SHA-1 header alone, even correctly computed, is not accepted.
        let mut headers = http::HeaderMap::new();
        headers.insert("x-hub-signature", http::HeaderValue::from_static("sha1=00"));
        let outcome = webhook().receive(&WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/messenger",
            headers: &headers,
            query: None,
            body: QUICK_REPLY_EXAMPLE.as_bytes(),
        });
        assert!(matches!(outcome, Err(WebhookError::Unauthorized(_))));
    }

    #[test]
    fn an_unset_app_secret_authenticates_nothing() {
        let webhook = MessengerWebhook::new(MessengerConfig {
            app_secret: String::new(),
            verify_token: VERIFY.into(),
        });
        let sig = signature_for("", QUICK_REPLY_EXAMPLE.as_bytes());
        assert_eq!(
            request_with(
                &webhook,
                Some(&sig),
                Some("application/json"),
                QUICK_REPLY_EXAMPLE.as_bytes()
            ),
            Err(WebhookError::Unauthorized("app secret not configured"))
        );
    }

    #[test]
    fn a_non_json_body_is_refused_after_the_signature() {
        let body = "Body=hello&From=%2B15550001111";
        let sig = signature_for(SECRET, body.as_bytes());
        assert_eq!(
            request_with(
                &webhook(),
                Some(&sig),
                Some("application/x-www-form-urlencoded"),
                body.as_bytes()
            ),
            Err(WebhookError::UnsupportedMediaType(
                "application/x-www-form-urlencoded".into()
            ))
        );
        // Unsigned, it is refused as unauthenticated: the content type is not even looked at.
        assert!(matches!(
            request_with(&webhook(), None, Some("text/xml"), body.as_bytes()),
            Err(WebhookError::Unauthorized(_))
        ));
        // Parameters and case do not matter.
        let sig = signature_for(SECRET, QUICK_REPLY_EXAMPLE.as_bytes());
        assert!(matches!(
            request_with(
                &webhook(),
                Some(&sig),
                Some("Application/JSON; charset=UTF-8"),
                QUICK_REPLY_EXAMPLE.as_bytes()
            ),
            Ok(WebhookOutcome::Messages(_))
        ));
    }

    #[test]
    fn subscription_check_echoes_the_challenge_for_the_right_token() {
        assert_eq!(
            get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"),
            Ok(WebhookOutcome::Challenge("1158201444".into()))
        );
        assert_eq!(
            get("hub.verify_token=verify%2Dme&hub.mode=subscribe&hub.challenge=abc"),
            Ok(WebhookOutcome::Challenge("abc".into()))
        );
    }

    #[test]
    fn subscription_check_rejects_a_wrong_token_or_mode() {
        for query in [
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
            "hub.mode=subscribe&hub.challenge=1",
            "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me",
            "hub.mode=subscribe&hub.verify_token=verify-me",
            // A repeated parameter cannot override the first, checked one.
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong&hub.verify_token=verify-me",
            "",
        ] {
            assert!(
                matches!(get(query), Err(WebhookError::Forbidden(_))),
                "{query}"
            );
        }
        let unset = MessengerWebhook::new(MessengerConfig {
            app_secret: SECRET.into(),
            verify_token: String::new(),
        });
        let outcome = unset.receive(&WebhookRequest {
            method: &http::Method::GET,
            url: "https://shop.example/webhooks/messenger",
            headers: &http::HeaderMap::new(),
            query: Some("hub.mode=subscribe&hub.challenge=1&hub.verify_token="),
            body: b"",
        });
        assert_eq!(
            outcome,
            Err(WebhookError::Forbidden("verify token not configured"))
        );
    }

    #[test]
    fn other_methods_are_not_allowed() {
        let outcome = webhook().receive(&WebhookRequest {
            method: &http::Method::PUT,
            url: "https://shop.example/webhooks/messenger",
            headers: &http::HeaderMap::new(),
            query: None,
            body: b"{}",
        });
        assert_eq!(outcome, Err(WebhookError::MethodNotAllowed));
    }

    // --- parsing --------------------------------------------------------------------------

    #[test]
    fn a_quick_reply_tap_is_an_action_with_the_tapped_title() {
        assert_eq!(
            one(QUICK_REPLY_EXAMPLE),
            InboundMessage {
                conversation: ana(),
                event_id: "m_AbCdEf123".into(),
                sent_at: 1767225600,
                locale: None,
                ack: None,
                reply_token: None,
                content: InboundContent::Action {
                    payload: "SKU:blue_mug".into(),
                    title: Some("Blue mug".into()),
                },
            }
        );
    }

    #[test]
    fn a_postback_is_an_action() {
        let m = one(POSTBACK_EXAMPLE);
        assert_eq!(m.event_id, "m_GhIjKl456");
        assert_eq!(m.sent_at, 1767225700);
        assert_eq!(
            m.content,
            InboundContent::Action {
                payload: "BUY:blue_mug:1".into(),
                title: Some("Buy now".into()),
            }
        );
    }

    #[test]
    fn a_postback_without_mid_gets_an_id_from_the_hashed_sender_and_time() {
        let body = notification(&[event(
            1767225800123,
            r#""postback":{"title":"Get Started","payload":"c:start"}"#,
        )]);
        let m = one(&body);
        assert_eq!(
            m.event_id,
            format!("postback:{}:1767225800123", ana().hashed())
        );
        assert!(!m.event_id.contains(ANA));
        assert_eq!(m.sent_at, 1767225800);
    }

    #[test]
    fn typed_text_is_text() {
        let body = notification(&[event(
            1767225900999,
            r#""message":{"mid":"m_text1","text":"2"}"#,
        )]);
        let m = one(&body);
        assert_eq!(m.event_id, "m_text1");
        assert_eq!(m.sent_at, 1767225900);
        assert_eq!(m.content, InboundContent::Text { body: "2".into() });
    }

    #[test]
    fn echoes_of_our_own_sends_are_ignored() {
        // An echo's sender is the Page and its recipient the customer.
        let body = format!(
            r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1767225600123,"messaging":[{{
 "sender":{{"id":"{PAGE}"}},"recipient":{{"id":"{ANA}"}},"timestamp":1767225600000,
 "message":{{"is_echo":true,"app_id":1517776481860111,"mid":"m_echo1","text":"Pick one"}}}}]}}]}}"#
        );
        assert!(messages(&body).is_empty());
    }

    #[test]
    fn a_delivery_receipt_is_one_status_per_message() {
        let body = notification(&[event(
            1767226000000,
            r#""delivery":{"mids":["m_out1","m_out2"],"watermark":1767225999000}"#,
        )]);
        let m = messages(&body);
        assert_eq!(m.len(), 2);
        for (m, id) in m.iter().zip(["m_out1", "m_out2"]) {
            assert_eq!(m.conversation, ana());
            assert_eq!(m.event_id, id);
            assert_eq!(
                m.content,
                InboundContent::Status {
                    message_id: id.into(),
                    status: DeliveryStatus::Delivered,
                    error_code: None,
                }
            );
        }
        // Without mids, only the watermark says what was delivered.
        let body = notification(&[event(
            1767226000000,
            r#""delivery":{"watermark":1767225999000}"#,
        )]);
        assert_eq!(
            one(&body).content,
            status("watermark:1767225999000".into(), DeliveryStatus::Delivered)
        );
    }

    #[test]
    fn a_read_receipt_is_one_read_status_at_the_watermark() {
        let body = notification(&[event(
            1767226100000,
            r#""read":{"watermark":1767226050000}"#,
        )]);
        let m = one(&body);
        assert_eq!(m.event_id, "watermark:1767226050000");
        assert_eq!(m.sent_at, 1767226100);
        assert_eq!(
            m.content,
            status("watermark:1767226050000".into(), DeliveryStatus::Read)
        );
    }

    #[test]
    fn batched_entries_come_back_in_order() {
        let body = format!(
            r#"{{"object":"page","entry":[
 {{"id":"{PAGE}","time":1,"messaging":[{},{}]}},
 {{"id":"{PAGE}","time":2,"messaging":[{}]}}]}}"#,
            event(1767225600000, r#""message":{"mid":"m_1","text":"hi"}"#),
            event(1767225601000, r#""message":{"mid":"m_2","text":"mugs"}"#),
            event(
                1767225602000,
                r#""postback":{"mid":"m_3","title":"Tee","payload":"c:p:tee"}"#
            ),
        );
        let ids: Vec<String> = messages(&body).into_iter().map(|m| m.event_id).collect();
        assert_eq!(ids, ["m_1", "m_2", "m_3"]);
    }

    #[test]
    fn a_non_page_object_is_ignored() {
        let body = QUICK_REPLY_EXAMPLE.replace(r#""object":"page""#, r#""object":"instagram""#);
        assert!(messages(&body).is_empty());
    }

    #[test]
    fn images_carry_their_url_and_other_attachments_are_unsupported() {
        let image = notification(&[event(
            1767225600000,
            r#""message":{"mid":"m_img","attachments":[{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/v/t1.15752-9/abc.jpg?_nc_cat=1"}}]}"#,
        )]);
        assert_eq!(
            one(&image).content,
            InboundContent::Image {
                media_id: "https://scontent.xx.fbcdn.net/v/t1.15752-9/abc.jpg?_nc_cat=1".into(),
                caption: None,
            }
        );
        let video = notification(&[event(
            1767225600000,
            r#""message":{"mid":"m_vid","attachments":[{"type":"video","payload":{"url":"https://video.xx.fbcdn.net/v.mp4"}}]}"#,
        )]);
        assert_eq!(one(&video).content, unsupported("video"));
        let sticker = notification(&[event(
            1767225600000,
            r#""message":{"mid":"m_st","sticker_id":369239263222822,"attachments":[{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/like.png","sticker_id":369239263222822}}]}"#,
        )]);
        assert_eq!(one(&sticker).content, unsupported("sticker"));
        let fallback = notification(&[event(
            1767225600000,
            r#""message":{"mid":"m_fb","attachments":[{"type":"fallback","payload":null}]}"#,
        )]);
        assert_eq!(one(&fallback).content, unsupported("fallback"));
    }

    #[test]
    fn event_kinds_we_do_not_serve_are_ignored() {
        let body = notification(&[
            event(
                1767225600000,
                r#""reaction":{"mid":"m_out1","action":"react","reaction":"love","emoji":"❤"}"#,
            ),
            event(
                1767225600001,
                r#""referral":{"ref":"summer","source":"SHORTLINK","type":"OPEN_THREAD"}"#,
            ),
            event(1767225600002, r#""message":{"mid":"m_ok","text":"hello"}"#),
        ]);
        let m = messages(&body);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].event_id, "m_ok");
    }

    #[test]
    fn an_authentic_but_unreadable_body_is_malformed() {
        assert!(matches!(
            post(r#"{"object":"page","entry":"#),
            Err(WebhookError::Malformed(_))
        ));
        // Unknown fields and odd timestamps degrade instead of failing the batch.
        let body = notification(&[format!(
            r#"{{"sender":{{"id":"{ANA}"}},"timestamp":"1767225600000","message":{{"mid":"m_x","text":"hi","nlp":{{"entities":{{}}}}}}}}"#
        )]);
        assert_eq!(one(&body).sent_at, 1767225600);
    }

    // --- rendering ------------------------------------------------------------------------

    fn choice(id: &str, title: &str) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn choices(n: usize) -> Vec<Choice> {
        (1..=n)
            .map(|i| choice(&format!("c:p:item{i}"), &format!("Item {i}")))
            .collect()
    }

    fn menu(body: &str, list: Vec<Choice>) -> Vec<Value> {
        render(
            Lang::En,
            &Reply::Choices {
                body: body.into(),
                menu_label: "Menu".into(),
                choices: list,
            },
        )
    }

    #[test]
    fn thirteen_choices_are_quick_replies() {
        let m = menu("Pick one", choices(13));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["text"], json!("Pick one"));
        let replies = m[0]["quick_replies"].as_array().unwrap();
        assert_eq!(replies.len(), 13);
        assert_eq!(
            replies[0],
            json!({ "content_type": "text", "title": "Item 1", "payload": "c:p:item1" })
        );
    }

    #[test]
    fn fourteen_choices_are_numbered_text() {
        let m = menu("Pick one", choices(14));
        assert_eq!(m.len(), 1);
        assert!(m[0].get("quick_replies").is_none());
        let text = m[0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("Pick one\n\n1. Item 1\n2. Item 2\n"),
            "{text}"
        );
        assert!(
            text.ends_with(&format!(
                "\n14. Item 14\n\n{}",
                Msg::ReplyWithNumber.text(Lang::En)
            )),
            "{text}"
        );
    }

    #[test]
    fn a_payload_quick_replies_cannot_carry_makes_numbered_text() {
        let mut list = choices(2);
        list[1].id = "x".repeat(1001);
        let m = menu("Pick one", list);
        assert!(m[0].get("quick_replies").is_none());
        let mut list = choices(2);
        list[1].id = list[0].id.clone();
        assert!(menu("Pick one", list)[0].get("quick_replies").is_none());
    }

    #[test]
    fn long_titles_are_cut_and_listed_in_full_above_numbered_buttons() {
        let long = "Extra large stoneware mug, glazed blue"; // 38 characters
        let mut list = choices(2);
        list[0].title = long.into();
        let m = menu("Pick one", list);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0]["text"],
            json!(format!("Pick one\n\n1. {long}\n2. Item 2"))
        );
        let replies = m[0]["quick_replies"].as_array().unwrap();
        let first = replies[0]["title"].as_str().unwrap();
        assert_eq!(first, "1. Extra large ston…");
        assert_eq!(first.chars().count(), LIMITS.quick_reply_title);
        assert_eq!(replies[0]["payload"], json!("c:p:item1"));
        assert_eq!(replies[1]["title"], json!("2. Item 2"));
        // Exactly 20 characters (counted as characters, not bytes) is not cut.
        let m = menu("Pick", vec![choice("a", &"日".repeat(20))]);
        assert_eq!(m[0]["text"], json!("Pick"));
        assert_eq!(m[0]["quick_replies"][0]["title"], json!("日".repeat(20)));
    }

    #[test]
    fn descriptions_are_listed_in_the_text() {
        let mut list = choices(2);
        list[0].description = Some("$12.00".into());
        let m = menu("Pick one", list);
        assert_eq!(
            m[0]["text"],
            json!("Pick one\n\n1. Item 1 — $12.00\n2. Item 2")
        );
        assert_eq!(m[0]["quick_replies"][0]["title"], json!("1. Item 1"));
    }

    #[test]
    fn quick_replies_need_text_so_an_empty_body_gets_the_menu_label() {
        let m = menu("  ", choices(2));
        assert_eq!(m[0]["text"], json!("Menu"));
        let m = render(
            Lang::En,
            &Reply::Choices {
                body: String::new(),
                menu_label: String::new(),
                choices: choices(2),
            },
        );
        assert_eq!(m[0]["text"], json!(Msg::ChooseLabel.text(Lang::En)));
    }

    #[test]
    fn a_long_menu_body_is_split_with_the_buttons_on_the_last_part() {
        let body = format!("{}\n{}", "a".repeat(1990), "b".repeat(100));
        let m = menu(&body, choices(3));
        assert_eq!(m.len(), 2);
        assert!(m[0].get("quick_replies").is_none());
        assert_eq!(m[1]["text"], json!("b".repeat(100)));
        assert_eq!(m[1]["quick_replies"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn text_is_split_at_two_thousand_characters() {
        let exact = render(
            Lang::En,
            &Reply::Text {
                body: "é".repeat(2000),
            },
        );
        assert_eq!(exact, vec![json!({ "text": "é".repeat(2000) })]);
        let over = render(
            Lang::En,
            &Reply::Text {
                body: "é".repeat(2001),
            },
        );
        assert_eq!(over.len(), 2);
        assert_eq!(over[1], json!({ "text": "é" }));
        assert!(render(Lang::En, &Reply::Text { body: " ".into() }).is_empty());
    }

    #[test]
    fn images_are_reusable_attachments_followed_by_their_caption() {
        let m = render(
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("Blue mug".into()),
            },
        );
        assert_eq!(
            m,
            vec![
                json!({ "attachment": { "type": "image", "payload": { "url": "https://cdn.example/mug.jpg", "is_reusable": true } } }),
                json!({ "text": "Blue mug" }),
            ]
        );
        let bare = render(
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: None,
            },
        );
        assert_eq!(bare.len(), 1);
    }

    #[test]
    fn links_are_a_button_template_with_one_web_url_button() {
        let link = |body: &str| Reply::Link {
            body: body.into(),
            label: "Pay securely with Stripe".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test".into(),
        };
        let m = render(Lang::En, &link("Your order is ready to pay."));
        assert_eq!(
            m,
            vec![json!({
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": "Your order is ready to pay.",
                        "buttons": [{
                            "type": "web_url",
                            "url": "https://checkout.stripe.com/c/pay/cs_test",
                            "title": "Pay securely with S…",
                        }],
                    },
                },
            })]
        );
        let exact = render(Lang::En, &link(&"b".repeat(640)));
        assert_eq!(
            exact[0]["attachment"]["payload"]["template_type"],
            json!("button")
        );
        let over = render(Lang::En, &link(&"b".repeat(641)));
        assert_eq!(
            over,
            vec![
                json!({ "text": format!("{}\n\nPay securely with Stripe: https://checkout.stripe.com/c/pay/cs_test", "b".repeat(641)) })
            ]
        );
    }

    // --- classification -------------------------------------------------------------------

    fn graph_error(code: i64, subcode: Option<i64>) -> Vec<u8> {
        let sub = subcode.map_or(String::new(), |s| format!(r#","error_subcode":{s}"#));
        format!(
            r#"{{"error":{{"message":"(#{code}) something","type":"OAuthException","code":{code}{sub},"fbtrace_id":"A1b2C3"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn rate_limit_codes_wait_the_advised_or_default_delay() {
        for code in [4, 17, 32, 613] {
            assert_eq!(
                classify(400, &graph_error(code, None), None),
                SendFailure::RateLimited {
                    code: Some(code),
                    retry_after: Duration::from_secs(60)
                }
            );
        }
        assert_eq!(
            classify(429, &graph_error(613, None), Some(Duration::from_secs(7))),
            SendFailure::RateLimited {
                code: Some(613),
                retry_after: Duration::from_secs(7)
            }
        );
        assert_eq!(
            classify(429, b"", None),
            SendFailure::RateLimited {
                code: None,
                retry_after: Duration::from_secs(60)
            }
        );
    }

    #[test]
    fn unreachable_recipients_are_permanent_whatever_the_status() {
        for (code, sub) in [
            (10, Some(2018278)),
            (10, Some(2018108)),
            (551, None),
            (551, Some(1545041)),
            (100, Some(2018001)),
        ] {
            for status in [400, 403, 500] {
                let f = classify(status, &graph_error(code, sub), None);
                assert!(
                    matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
                    "{code}/{sub:?}/{status}: {f:?}"
                );
            }
        }
        let SendFailure::Permanent { detail, .. } =
            classify(400, &graph_error(10, Some(2018278)), None)
        else {
            unreachable!()
        };
        assert_eq!(detail, "HTTP 400: (#10) something (subcode 2018278)");
    }

    #[test]
    fn a_bad_token_and_meta_trouble_are_transient() {
        for code in [190, 1, 2, 1200] {
            let f = classify(400, &graph_error(code, None), None);
            assert!(
                matches!(f, SendFailure::Transient { code: Some(c), .. } if c == code),
                "{f:?}"
            );
        }
        assert!(matches!(
            classify(500, b"", None),
            SendFailure::Transient { code: None, .. }
        ));
        assert!(matches!(
            classify(503, &graph_error(999_999, None), None),
            SendFailure::Transient { .. }
        ));
    }

    #[test]
    fn unknown_codes_fall_back_to_the_status_class() {
        // Code 100 with another subcode is an invalid parameter: our message, not the weather.
        assert!(matches!(
            classify(400, &graph_error(100, Some(2018109)), None),
            SendFailure::Permanent {
                code: Some(100),
                ..
            }
        ));
        assert!(matches!(
            classify(404, b"<html>not found</html>", None),
            SendFailure::Permanent { code: None, .. }
        ));
    }

    // --- sending --------------------------------------------------------------------------

    /// A request as the Graph API saw it, query string included (the shared test server keeps
    /// only the path, and the access token travels in the query).
    #[derive(Clone, Debug)]
    struct Seen {
        path: String,
        query: String,
        body: Value,
    }

    type Log = std::sync::Arc<std::sync::Mutex<Vec<Seen>>>;

    /// Answers every request with `status` and `body` and records what it saw.
    async fn graph(status: u16, body: &'static str) -> (String, Log) {
        let log: Log = Default::default();
        let seen = log.clone();
        let app = axum::Router::new().fallback(move |uri: http::Uri, bytes: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(Seen {
                    path: uri.path().to_string(),
                    query: uri.query().unwrap_or("").to_string(),
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                });
                (http::StatusCode::from_u16(status).unwrap(), body)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (base, log)
    }

    fn sender(base: &str) -> MessengerSender {
        MessengerSender::new(
            crate::http_client(Duration::from_secs(5)),
            MessengerSendConfig {
                graph_base: format!("{base}/"),
                api_version: "v21.0".into(),
                page_access_token: TOKEN.into(),
            },
        )
    }

    const SENT: &str =
        r#"{"recipient_id":"6543210987654321","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"}"#;

    #[tokio::test]
    async fn send_posts_each_part_with_the_token_in_the_query() {
        let (base, log) = graph(200, SENT).await;
        let reply = Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        };
        let sent = sender(&base)
            .send(&test_server::single(&ana(), Lang::En, &reply).out())
            .await
            .expect("sent");
        assert_eq!(sent.message_ids, vec!["m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"; 2]);
        let seen = log.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        for (request, message) in seen.iter().zip(render(Lang::En, &reply)) {
            assert_eq!(request.path, "/v21.0/me/messages");
            assert_eq!(request.query, "access_token=EAAGpage%2Btoken%2Fsecret");
            assert_eq!(
                request.body,
                json!({
                    "recipient": { "id": ANA },
                    "messaging_type": "RESPONSE",
                    "message": message,
                })
            );
        }
    }

    #[tokio::test]
    async fn an_order_update_outside_the_window_carries_the_tag() {
        let (base, log) = graph(200, SENT).await;
        let reply = Reply::Text {
            body: "Order 1042 has shipped.".into(),
        };
        let single = test_server::single(&ana(), Lang::En, &reply);
        let out = Outgoing {
            mode: SendMode::OrderUpdate,
            ..single.out()
        };
        sender(&base).send(&out).await.expect("sent");
        let seen = log.lock().unwrap().clone();
        assert_eq!(
            seen[0].body,
            json!({
                "recipient": { "id": ANA },
                "messaging_type": "MESSAGE_TAG",
                "tag": "POST_PURCHASE_UPDATE",
                "message": { "text": "Order 1042 has shipped." },
            })
        );
    }

    #[tokio::test]
    async fn send_classifies_graph_errors_and_stops_at_the_first() {
        let server = test_server::serve(
            400,
            vec![],
            r#"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"A1"}}"#,
        )
        .await;
        let reply = Reply::Text {
            body: format!("{}\n{}", "a".repeat(1990), "b".repeat(100)),
        };
        let f = sender(&server.base)
            .send(&test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert!(
            matches!(f, Err(SendFailure::Permanent { code: Some(10), .. })),
            "{f:?}"
        );
        assert_eq!(server.requests().len(), 1);

        let server = test_server::serve(
            400,
            vec![("retry-after", "2".into())],
            &String::from_utf8(graph_error(613, None)).unwrap(),
        )
        .await;
        let f = sender(&server.base)
            .send(&test_server::single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(613),
                retry_after: Duration::from_secs(2)
            })
        );
    }

    #[tokio::test]
    async fn an_unreachable_graph_is_transient_and_never_shows_the_token() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let f = sender(&base)
            .send(&test_server::single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await;
        let Err(failure @ SendFailure::Transient { code: None, .. }) = f else {
            panic!("{f:?}")
        };
        let text = format!("{failure} {failure:?}");
        assert!(
            !text.contains("EAAG") && !text.contains("token%2F"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn acknowledge_sends_nothing_and_the_rules_allow_tagged_updates() {
        let server = test_server::serve(200, vec![], "{}").await;
        let s = sender(&server.base);
        s.acknowledge(&ana(), "token").await.expect("no-op");
        assert!(server.requests().is_empty());
        assert_eq!(
            s.rules(),
            SendingRules {
                window: Some(Duration::from_secs(24 * 3600)),
                updates_after_window: true,
            }
        );
        let replies = vec![Reply::Text { body: "a".into() }; 3];
        assert_eq!(s.batches(&replies, SendMode::OrderUpdate), vec![1, 1, 1]);
    }
}
