//! WhatsApp Cloud API adapter.
//!
//! **Inbound.** Meta calls one webhook URL two ways. A GET is the subscription check made when
//! the webhook is configured: it proves we own the URL by echoing `hub.challenge`, but only if
//! the caller knows the verify token we chose, or anyone could point our endpoint at their app.
//! A POST carries notifications and is signed: `X-Hub-Signature-256` is HMAC-SHA256 of the raw
//! body under the app secret. The signature is checked on the bytes as received, before any
//! parsing, so an unauthenticated request never reaches the JSON parser.
//!
//! One POST can carry several entries, changes, messages and delivery statuses, and Meta
//! redelivers and reorders them freely; every one is returned in payload order with the
//! platform's id as `event_id`, and the queue deduplicates. The payload structs default every
//! field, because Meta adds fields and message types without notice and a new one must degrade
//! to "unsupported", not to a failed webhook that Meta keeps retrying.
//!
//! **Outbound.** [`render`] turns a channel-neutral [`Reply`] into the richest message that fits
//! WhatsApp's limits ([`LIMITS`]): up to three reply buttons, else a list of up to ten rows, else
//! numbered text, which always works because the domain accepts a typed number for any offered
//! choice. Rendering is pure so every limit is tested without a network.
//!
//! **Failures** are classified by the Graph error code, not the HTTP status: Meta answers 400
//! both for "this recipient can never get this message" (131047, outside the 24-hour window) and
//! for "slow down" (130429), and retrying the first is as wrong as dropping the second.

use crate::meta;
use crate::text::{Hint, numbered_text};
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest, split_text, truncate_chars};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_domain::reply::{Choice, OrderUpdate, Reply};
use chatdrop_telemetry::redact;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct WhatsappConfig {
    pub app_secret: String,
    pub verify_token: String,
}

pub struct WhatsappWebhook {
    pub config: WhatsappConfig,
}

#[derive(Clone, Debug)]
pub struct WhatsappSendConfig {
    pub graph_base: String,
    pub api_version: String,
    pub phone_number_id: String,
    pub access_token: String,
    /// The approved template order updates use outside the 24-hour window; without one, such
    /// updates are held.
    pub order_update_template: Option<OrderUpdateTemplate>,
}

/// A pre-approved message template for order updates. Its body must take two text
/// parameters, in this order: the order number and a one-line summary of what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderUpdateTemplate {
    pub name: String,
    /// The template's language code as approved (`en_US`, `ja`).
    pub language: String,
}

/// The customer-service window: free-form messages only within 24 hours of the customer's
/// last message.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

pub struct WhatsappSender {
    pub client: reqwest::Client,
    pub config: WhatsappSendConfig,
}

const BUSINESS_ACCOUNT_OBJECT: &str = "whatsapp_business_account";

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

impl WhatsappWebhook {
    pub fn new(config: WhatsappConfig) -> Self {
        WhatsappWebhook { config }
    }

    /// The GET subscription check (shared with every Meta webhook: [`crate::meta`]).
    fn verify_subscription(&self, query: Option<&str>) -> Result<WebhookOutcome, WebhookError> {
        meta::verify_subscription(query, &self.config.verify_token)
    }

    fn verify_signature(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        meta::verify_signature(headers, body, &self.config.app_secret)
    }
}

impl Webhook for WhatsappWebhook {
    fn channel(&self) -> Channel {
        Channel::Whatsapp
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        match *request.method {
            http::Method::GET => self.verify_subscription(request.query),
            http::Method::POST => {
                self.verify_signature(request.headers, request.body)?;
                parse_notification(request.body).map(WebhookOutcome::Messages)
            }
            _ => Err(WebhookError::MethodNotAllowed),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notification {
    object: String,
    entry: Vec<Entry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    changes: Vec<Change>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Change {
    field: String,
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeValue {
    messages: Vec<WaMessage>,
    statuses: Vec<WaStatus>,
    errors: Vec<WaError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaMessage {
    from: String,
    id: String,
    #[serde(deserialize_with = "unix_seconds")]
    timestamp: i64,
    #[serde(rename = "type")]
    kind: String,
    text: Option<WaText>,
    interactive: Option<WaInteractive>,
    button: Option<WaButton>,
    image: Option<WaImage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaText {
    body: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaInteractive {
    #[serde(rename = "type")]
    kind: String,
    button_reply: Option<WaReplyRef>,
    list_reply: Option<WaReplyRef>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaReplyRef {
    id: String,
    title: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaButton {
    payload: String,
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaImage {
    id: String,
    caption: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaStatus {
    id: String,
    status: String,
    #[serde(deserialize_with = "unix_seconds")]
    timestamp: i64,
    recipient_id: String,
    errors: Vec<WaError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WaError {
    code: Option<i64>,
    title: String,
}

/// Meta sends timestamps as strings of unix seconds. A missing or odd one is not worth losing
/// the message over: it becomes 0, which nothing orders on.
fn unix_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    })
}

/// Message types we know and cannot handle: answered politely, logged quietly.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "audio",
    "video",
    "sticker",
    "location",
    "contacts",
    "document",
    "order",
    "unsupported",
];

fn parse_notification(body: &[u8]) -> Result<Vec<InboundMessage>, WebhookError> {
    let notification: Notification = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
    if notification.object != BUSINESS_ACCOUNT_OBJECT {
        tracing::info!(object = %redact::kind(&notification.object), "ignoring a non-WhatsApp notification");
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for change in notification.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            tracing::debug!(field = %change.field, "ignoring a non-messages change");
            continue;
        }
        let value = change.value;
        for error in &value.errors {
            tracing::warn!(code = ?error.code, title = %error.title, "WhatsApp reported an error");
        }
        out.extend(value.messages.into_iter().filter_map(inbound_message));
        out.extend(value.statuses.into_iter().filter_map(inbound_status));
    }
    Ok(out)
}

fn inbound_message(m: WaMessage) -> Option<InboundMessage> {
    if m.from.is_empty() || m.id.is_empty() {
        // Without a sender there is nobody to answer, without an id nothing to deduplicate on.
        tracing::warn!(kind = %redact::kind(&m.kind), "skipping a WhatsApp message without sender or id");
        return None;
    }
    let conversation = ConversationId::new(Channel::Whatsapp, m.from);
    let content = match m.kind.as_str() {
        "text" => match m.text {
            Some(t) => InboundContent::Text { body: t.body },
            None => unsupported("text"),
        },
        "interactive" => {
            let interactive = m.interactive.unwrap_or_default();
            let picked = match interactive.kind.as_str() {
                "button_reply" => interactive.button_reply,
                "list_reply" => interactive.list_reply,
                _ => None,
            };
            match picked {
                Some(r) => InboundContent::Action {
                    payload: r.id,
                    title: non_empty(r.title),
                },
                None => {
                    let kind = format!("interactive.{}", interactive.kind);
                    tracing::info!(kind = %redact::kind(&kind), "unknown WhatsApp interactive reply");
                    InboundContent::Unsupported { kind }
                }
            }
        }
        // A quick-reply button on a template message.
        "button" => match m.button {
            Some(b) => InboundContent::Action {
                payload: b.payload,
                title: non_empty(b.text),
            },
            None => unsupported("button"),
        },
        "image" => match m.image {
            Some(i) if !i.id.is_empty() => InboundContent::Image {
                media_id: i.id,
                caption: i.caption.filter(|c| !c.is_empty()),
            },
            _ => unsupported("image"),
        },
        // A 👍 on one of our messages, or "the customer changed number": nothing to answer.
        "reaction" | "system" => {
            tracing::debug!(kind = %m.kind, conversation = %conversation.hashed(), "ignored");
            return None;
        }
        other => {
            if !KNOWN_UNSUPPORTED.contains(&other) {
                tracing::info!(kind = %redact::kind(other), "unknown WhatsApp message type");
            }
            unsupported(other)
        }
    };
    Some(InboundMessage {
        conversation,
        event_id: m.id,
        sent_at: m.timestamp,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    })
}

fn inbound_status(s: WaStatus) -> Option<InboundMessage> {
    let status = match s.status.as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        other => {
            tracing::info!(status = %redact::kind(other), "skipping an unknown WhatsApp status");
            return None;
        }
    };
    if s.recipient_id.is_empty() || s.id.is_empty() {
        tracing::warn!(status = %redact::kind(&s.status), "skipping a WhatsApp status without recipient or id");
        return None;
    }
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Whatsapp, s.recipient_id),
        event_id: s.id.clone(),
        sent_at: s.timestamp,
        locale: None,
        ack: None,
        reply_token: None,
        content: InboundContent::Status {
            message_id: s.id,
            status,
            error_code: s.errors.first().and_then(|e| e.code),
        },
    })
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

/// WhatsApp's message limits, in characters. Past any of them the Graph API rejects the whole
/// message (error 100 or 131009), so the renderer picks a form that fits instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub text_body: usize,
    pub interactive_body: usize,
    pub reply_buttons: usize,
    pub button_title: usize,
    pub button_id: usize,
    pub list_rows: usize,
    pub row_title: usize,
    pub row_description: usize,
    pub row_id: usize,
    pub list_button: usize,
    pub cta_display_text: usize,
    pub image_caption: usize,
    /// A template's text parameter (Meta's limit for body parameters is 1024 less the
    /// template's own text; 200 keeps every approved template within it).
    pub template_parameter: usize,
}

/// Sources: Meta's interactive-message docs,
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages>
/// and .../interactive-list-messages (the list row limits are consistent across SDKs, e.g.
/// whatsapp-api-js, but not seen in a doc excerpt).
pub const LIMITS: Limits = Limits {
    text_body: 4096,
    interactive_body: 1024,
    reply_buttons: 3,
    button_title: 20,
    button_id: 256,
    list_rows: 10,
    row_title: 24,
    row_description: 72,
    row_id: 200,
    list_button: 20,
    cta_display_text: 20,
    image_caption: 1024,
    template_parameter: 200,
};

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The Graph API request bodies for one reply, in sending order: usually one, several when text
/// must be split, none when there is nothing to say (an empty text cannot be sent).
pub fn render(to: &str, lang: Lang, reply: &Reply) -> Vec<Value> {
    let contents = match reply {
        Reply::Text { body } => text_messages(body),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    };
    contents
        .into_iter()
        .map(|(kind, payload)| envelope(to, kind, payload))
        .collect()
}

fn envelope(to: &str, kind: &'static str, payload: Value) -> Value {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    body.insert("to".into(), json!(to));
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), payload);
    Value::Object(body)
}

type Content = (&'static str, Value);

fn text_messages(text: &str) -> Vec<Content> {
    split_text(text, LIMITS.text_body)
        .into_iter()
        .map(|body| ("text", json!({ "body": body, "preview_url": false })))
        .collect()
}

/// Interactive messages need a non-empty body that fits; otherwise only text can carry it.
fn fits_interactive_body(body: &str) -> bool {
    !body.trim().is_empty() && chars(body) <= LIMITS.interactive_body
}

fn all_unique<'a>(items: impl IntoIterator<Item = &'a str>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|i| seen.insert(i))
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Content> {
    if choices.is_empty() {
        return text_messages(body);
    }
    let body_fits = fits_interactive_body(body);
    let ids_unique = all_unique(choices.iter().map(|c| c.id.as_str()));
    let titles_present = choices.iter().all(|c| !c.title.trim().is_empty());

    // Reply buttons are one tap and always visible, so they are preferred; Meta also requires
    // their titles to be distinct.
    let buttons_fit = body_fits
        && ids_unique
        && titles_present
        && choices.len() <= LIMITS.reply_buttons
        && all_unique(choices.iter().map(|c| c.title.as_str()))
        && choices.iter().all(|c| {
            chars(&c.title) <= LIMITS.button_title && (1..=LIMITS.button_id).contains(&chars(&c.id))
        });
    if buttons_fit {
        let buttons: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "type": "reply", "reply": { "id": c.id, "title": c.title } }))
            .collect();
        return vec![(
            "interactive",
            json!({
                "type": "button",
                "body": { "text": body },
                "action": { "buttons": buttons },
            }),
        )];
    }

    // A list truncates what does not fit (titles, descriptions) but never an id: a cut id
    // would send back a payload we never issued.
    let list_fits = body_fits
        && ids_unique
        && titles_present
        && choices.len() <= LIMITS.list_rows
        && choices
            .iter()
            .all(|c| (1..=LIMITS.row_id).contains(&chars(&c.id)));
    if list_fits {
        let rows: Vec<Value> = choices.iter().map(list_row).collect();
        let label = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
        return vec![(
            "interactive",
            json!({
                "type": "list",
                "body": { "text": body },
                "action": {
                    "button": truncate_chars(&label, LIMITS.list_button),
                    "sections": [{ "rows": rows }],
                },
            }),
        )];
    }

    text_messages(&numbered_text(body, choices, lang, Hint::ReplyWithNumber))
}

fn list_row(choice: &Choice) -> Value {
    let title = truncate_chars(&choice.title, LIMITS.row_title);
    // A cut title moves in full to the description, so the customer still reads all of it.
    let description = if title != choice.title {
        Some(match choice.description.as_deref() {
            Some(d) if !d.trim().is_empty() => format!("{} — {d}", choice.title),
            _ => choice.title.clone(),
        })
    } else {
        choice.description.clone().filter(|d| !d.trim().is_empty())
    };
    let mut row = json!({ "id": choice.id, "title": title });
    if let Some(d) = description {
        row["description"] = json!(truncate_chars(&d, LIMITS.row_description));
    }
    row
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Content> {
    match caption.filter(|c| !c.trim().is_empty()) {
        None => vec![("image", json!({ "link": url }))],
        Some(c) if chars(c) <= LIMITS.image_caption => {
            vec![("image", json!({ "link": url, "caption": c }))]
        }
        // Too long to caption: the picture first, then the words, rather than losing them.
        Some(c) => {
            let mut out = vec![("image", json!({ "link": url }))];
            out.extend(text_messages(c));
            out
        }
    }
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Content> {
    if !fits_interactive_body(body) || label.trim().is_empty() {
        return text_messages(&format!("{body}\n\n{label}: {url}"));
    }
    vec![(
        "interactive",
        json!({
            "type": "cta_url",
            "body": { "text": body },
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": truncate_chars(label, LIMITS.cta_display_text),
                    "url": url,
                },
            },
        }),
    )]
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

impl WhatsappSender {
    pub fn new(client: reqwest::Client, config: WhatsappSendConfig) -> Self {
        WhatsappSender { client, config }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/{}/{}/messages",
            self.config.graph_base.trim_end_matches('/'),
            self.config.api_version,
            self.config.phone_number_id
        )
    }

    /// WhatsApp has nothing to acknowledge: taps arrive as ordinary messages.
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    pub fn rules(&self) -> SendingRules {
        SendingRules {
            window: Some(WINDOW),
            updates_after_window: self.config.order_update_template.is_some(),
        }
    }

    /// Outside the window an order update is one template message, whatever its replies.
    pub fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        match mode {
            SendMode::OrderUpdate => vec![replies.len()],
            SendMode::Session => vec![1; replies.len()],
        }
    }

    /// Sends every rendered part in order; the first failure stops the rest, so the customer
    /// never gets a later part without an earlier one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let url = self.messages_url();
        let c = out.conversation();
        let bodies = match (
            out.mode,
            &self.config.order_update_template,
            &out.bundle.update,
        ) {
            (SendMode::OrderUpdate, Some(template), Some(update)) => {
                vec![template_message(&c.customer, template, update)]
            }
            _ => out
                .replies
                .iter()
                .flat_map(|r| render(&c.customer, out.lang(), r))
                .collect(),
        };
        let mut ids = Vec::new();
        for body in bodies {
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
        let request = self
            .client
            .post(url)
            .bearer_auth(&self.config.access_token)
            .json(body);
        let answer = crate::http_send::call(request, c, "WhatsApp send", classify).await?;
        Ok(answer["messages"][0]["id"].as_str().map(String::from))
    }
}

/// A template message: WhatsApp refuses parameters with line breaks, tabs or more than four
/// spaces in a row, so the summary is flattened first.
fn template_message(to: &str, template: &OrderUpdateTemplate, update: &OrderUpdate) -> Value {
    let flat = |text: &str| {
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        truncate_chars(&one_line, LIMITS.template_parameter)
    };
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template.name,
            "language": { "code": template.language },
            "components": [{
                "type": "body",
                "parameters": [
                    { "type": "text", "text": flat(&update.order_number) },
                    { "type": "text", "text": flat(&update.summary) },
                ],
            }],
        },
    })
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
    error_data: GraphErrorData,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GraphErrorData {
    details: String,
}

/// Throughput (130429) and the API-level limits (4, 80007): a short pause is enough.
const RATE_LIMIT_CODES: &[i64] = &[4, 80007, 130429];
/// Too many messages to one customer: Meta's guidance is about one per six seconds.
const PAIR_RATE_LIMIT: i64 = 131056;
/// The recipient or the message can never succeed as sent.
const PERMANENT_CODES: &[i64] = &[
    131047, // more than 24 hours since the customer last wrote: only templates may be sent
    131026, // undeliverable (not on WhatsApp, old client, terms not accepted)
    131051, // unsupported message type
    131021, // recipient is the sender
    133010, // phone number not registered
    100,    // invalid parameter
    131008, // required parameter missing
    131009, // parameter value invalid
    368,    // temporarily blocked for policy violations
];
/// Worth retrying: Meta-side trouble, or a token ops must rotate (the message is kept for a
/// redrive rather than dropped for a configuration mistake).
const TRANSIENT_CODES: &[i64] = &[190, 131000, 131016, 1, 2];

/// Classifies a failed Graph API call by its error code; the HTTP status decides only when the
/// code is missing or unknown.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<GraphErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_default();
    let code = error.code;
    let detail = describe(status, &error, body);
    match code {
        Some(c) if RATE_LIMIT_CODES.contains(&c) => SendFailure::RateLimited {
            code,
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        Some(PAIR_RATE_LIMIT) => SendFailure::RateLimited {
            code,
            retry_after: retry_after.unwrap_or(Duration::from_secs(6)),
        },
        Some(c) if PERMANENT_CODES.contains(&c) => SendFailure::Permanent { code, detail },
        Some(c) if TRANSIENT_CODES.contains(&c) => SendFailure::Transient { code, detail },
        // A 429 without a code we know (a proxy, a new limit) still means "later", not "never".
        _ if status == 429 => SendFailure::RateLimited {
            code,
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        _ if (400..500).contains(&status) => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

fn describe(status: u16, error: &GraphError, body: &[u8]) -> String {
    let mut detail = format!("HTTP {status}");
    if error.message.is_empty() && error.error_data.details.is_empty() {
        if !body.is_empty() {
            detail.push_str(": ");
            detail.push_str(&truncate_chars(&String::from_utf8_lossy(body), 200));
        }
        return detail;
    }
    if !error.message.is_empty() {
        detail.push_str(": ");
        detail.push_str(&error.message);
    }
    if let Some(sub) = error.error_subcode {
        detail.push_str(&format!(" (subcode {sub})"));
    }
    if !error.error_data.details.is_empty() {
        detail.push_str(": ");
        detail.push_str(&error.error_data.details);
    }
    truncate_chars(&detail, 500)
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::WHATSAPP`]).
pub fn webhook(values: &crate::registry::Values) -> WhatsappWebhook {
    use chatdrop_domain::channel_spec::vars;
    WhatsappWebhook {
        config: WhatsappConfig {
            app_secret: values.get(vars::WHATSAPP_APP_SECRET),
            verify_token: values.get(vars::WHATSAPP_VERIFY_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(
    values: &crate::registry::Values,
    deps: &crate::registry::SenderDeps,
) -> WhatsappSender {
    use chatdrop_domain::channel_spec::vars;
    WhatsappSender {
        client: deps.client.clone(),
        config: WhatsappSendConfig {
            graph_base: values.get(vars::WHATSAPP_GRAPH_BASE),
            api_version: values.get(vars::WHATSAPP_API_VERSION),
            phone_number_id: values.get(vars::WHATSAPP_PHONE_NUMBER_ID),
            access_token: values.get(vars::WHATSAPP_ACCESS_TOKEN),
            order_update_template: values.optional(vars::WHATSAPP_ORDER_TEMPLATE).map(|name| {
                OrderUpdateTemplate {
                    name,
                    language: values.get(vars::WHATSAPP_ORDER_TEMPLATE_LANG),
                }
            }),
        },
    }
}

impl crate::outbound::Outbound for WhatsappSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::WHATSAPP
    }

    fn rules(&self) -> SendingRules {
        WhatsappSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        WhatsappSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(WhatsappSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(WhatsappSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server;
    use chatdrop_domain::reply::Choice;

    const SECRET: &str = "app-secret";
    const VERIFY: &str = "verify-me";
    const ANA: &str = "5511987654321";

    fn webhook() -> WhatsappWebhook {
        WhatsappWebhook::new(WhatsappConfig {
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

    fn post_with(signature: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(s) = signature {
            headers.insert(
                "x-hub-signature-256",
                http::HeaderValue::from_str(s).unwrap(),
            );
        }
        webhook().receive(&WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/test",
            headers: &headers,
            query: None,
            body: body.as_bytes(),
        })
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
            url: "https://shop.example/webhooks/test",
            headers: &http::HeaderMap::new(),
            query: Some(query),
            body: b"",
        })
    }

    /// Wraps `messages` and `statuses` arrays in Meta's webhook envelope (shape: WhatsApp/
    /// WhatsApp-Nodejs-SDK `src/types/webhooks.ts`, with `metadata` an object as the docs show).
    fn notification(messages: &str, statuses: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"104000000000001","changes":[{{"field":"messages","value":{{
 "messaging_product":"whatsapp",
 "metadata":{{"display_phone_number":"15550001111","phone_number_id":"106000000000002"}},
 "contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"5511987654321"}}],
 "messages":[{messages}],"statuses":[{statuses}]}}}}]}}]}}"#
        )
    }

    fn message(id: &str, kind: &str, fields: &str) -> String {
        format!(
            r#"{{"from":"{ANA}","id":"{id}","timestamp":"1767225600","type":"{kind}",{fields}}}"#
        )
    }

    fn content_of(body: &str) -> InboundContent {
        let mut m = messages(body);
        assert_eq!(m.len(), 1, "{m:?}");
        m.remove(0).content
    }

    // Our own minimal examples in the documented shape:
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
    const TEXT_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],
 "messages":[{"from":"5511987654321","id":"wamid.HBgMNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEE0","timestamp":"1767225600","type":"text","text":{"body":"I want the blue mug"}}]}}]}]}"#;

    const BUTTON_REPLY_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],
 "messages":[{"context":{"from":"15550001111","id":"wamid.OUTBOUND123"},"from":"5511987654321","id":"wamid.INBOUND456","timestamp":"1767225660","type":"interactive",
   "interactive":{"type":"button_reply","button_reply":{"id":"buy:sku_blue_mug:1","title":"Buy now"}}}]}}]}]}"#;

    const FAILED_STATUS_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "statuses":[{"id":"wamid.OUTBOUND123","status":"failed","timestamp":"1767312100","recipient_id":"5511987654321",
   "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]}]}}]}]}"#;

    // --- verification ---------------------------------------------------------------------

    #[test]
    fn a_correct_signature_is_accepted() {
        assert!(matches!(
            post(TEXT_EXAMPLE),
            Ok(WebhookOutcome::Messages(_))
        ));
    }

    #[test]
    fn a_missing_signature_is_unauthorized() {
        assert!(matches!(
            post_with(None, TEXT_EXAMPLE),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_wrong_signature_is_unauthorized() {
        let mut sig = signature_for(SECRET, TEXT_EXAMPLE.as_bytes());
        sig.pop();
        sig.push('0');
        assert!(matches!(
            post_with(Some(&sig), TEXT_EXAMPLE),
            Err(WebhookError::Unauthorized(_))
        ));
        // Right secret, different body: a tampered payload.
        let other = signature_for(SECRET, b"{}");
        assert!(matches!(
            post_with(Some(&other), TEXT_EXAMPLE),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_signature_under_another_secret_is_unauthorized() {
        let sig = signature_for("not-the-secret", TEXT_EXAMPLE.as_bytes());
        assert_eq!(
            post_with(Some(&sig), TEXT_EXAMPLE),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn the_legacy_sha1_prefix_and_bad_hex_are_unauthorized() {
        let hex_part = signature_for(SECRET, TEXT_EXAMPLE.as_bytes())[7..].to_string();
        for sig in [
            format!("sha1={hex_part}"),
            hex_part.clone(),
            "sha256=not-hex".to_string(),
            "sha256=".to_string(),
        ] {
            assert!(
                matches!(
                    post_with(Some(&sig), TEXT_EXAMPLE),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{sig}"
            );
        }
    }

    #[test]
    fn an_unset_app_secret_authenticates_nothing() {
        let webhook = WhatsappWebhook::new(WhatsappConfig {
            app_secret: String::new(),
            verify_token: VERIFY.into(),
        });
        let mut headers = http::HeaderMap::new();
        let sig = signature_for("", TEXT_EXAMPLE.as_bytes());
        headers.insert(
            "x-hub-signature-256",
            http::HeaderValue::from_str(&sig).unwrap(),
        );
        let request = WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/test",
            headers: &headers,
            query: None,
            body: TEXT_EXAMPLE.as_bytes(),
        };
        assert!(matches!(
            webhook.receive(&request),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn subscription_check_echoes_the_challenge_for_the_right_token() {
        assert_eq!(
            get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"),
            Ok(WebhookOutcome::Challenge("1158201444".into()))
        );
        // Percent-encoding is decoded before comparing.
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
            "hub.challenge=1&hub.verify_token=verify-me",
            "hub.mode=subscribe&hub.verify_token=verify-me",
            "",
        ] {
            assert!(
                matches!(get(query), Err(WebhookError::Forbidden(_))),
                "{query}"
            );
        }
        let none = webhook().receive(&WebhookRequest {
            method: &http::Method::GET,
            url: "https://shop.example/webhooks/test",
            headers: &http::HeaderMap::new(),
            query: None,
            body: b"",
        });
        assert!(matches!(none, Err(WebhookError::Forbidden(_))));
    }

    #[test]
    fn other_methods_are_not_allowed() {
        let r = webhook().receive(&WebhookRequest {
            method: &http::Method::PUT,
            url: "https://shop.example/webhooks/test",
            headers: &http::HeaderMap::new(),
            query: None,
            body: b"",
        });
        assert_eq!(r, Err(WebhookError::MethodNotAllowed));
    }

    // --- parsing --------------------------------------------------------------------------

    #[test]
    fn parses_a_text_message() {
        let m = messages(TEXT_EXAMPLE);
        assert_eq!(
            m,
            vec![InboundMessage {
                conversation: ConversationId::new(Channel::Whatsapp, ANA),
                event_id: "wamid.HBgMNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEE0".into(),
                sent_at: 1_767_225_600,
                locale: None,
                ack: None,
                reply_token: None,
                content: InboundContent::Text {
                    body: "I want the blue mug".into()
                },
            }]
        );
    }

    #[test]
    fn parses_a_button_reply() {
        let m = messages(BUTTON_REPLY_EXAMPLE);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].event_id, "wamid.INBOUND456");
        assert_eq!(m[0].sent_at, 1_767_225_660);
        assert_eq!(
            m[0].content,
            InboundContent::Action {
                payload: "buy:sku_blue_mug:1".into(),
                title: Some("Buy now".into())
            }
        );
    }

    #[test]
    fn parses_a_list_reply() {
        let body = notification(
            &message(
                "wamid.L1",
                "interactive",
                r#""interactive":{"type":"list_reply","list_reply":{"id":"c:c:mugs","title":"Mugs","description":"Stoneware"}}"#,
            ),
            "",
        );
        assert_eq!(
            content_of(&body),
            InboundContent::Action {
                payload: "c:c:mugs".into(),
                title: Some("Mugs".into())
            }
        );
    }

    #[test]
    fn parses_a_template_quick_reply() {
        let body = notification(
            &message(
                "wamid.B1",
                "button",
                r#""button":{"payload":"c:m","text":"See menu"}"#,
            ),
            "",
        );
        assert_eq!(
            content_of(&body),
            InboundContent::Action {
                payload: "c:m".into(),
                title: Some("See menu".into())
            }
        );
    }

    #[test]
    fn parses_an_image_with_caption() {
        let body = notification(
            &message(
                "wamid.I1",
                "image",
                r#""image":{"caption":"this one","mime_type":"image/jpeg","sha256":"abc","id":"1480000000000001"}"#,
            ),
            "",
        );
        assert_eq!(
            content_of(&body),
            InboundContent::Image {
                media_id: "1480000000000001".into(),
                caption: Some("this one".into())
            }
        );
    }

    #[test]
    fn parses_status_updates_in_order() {
        let status = |id: &str, s: &str| {
            format!(
                r#"{{"id":"{id}","status":"{s}","timestamp":"1767312000","recipient_id":"{ANA}","conversation":{{"id":"c1","origin":{{"type":"service"}}}},"pricing":{{"billable":true,"pricing_model":"PMP","category":"service"}}}}"#
            )
        };
        let statuses = [
            status("wamid.O1", "sent"),
            status("wamid.O1", "delivered"),
            status("wamid.O1", "read"),
            status("wamid.O1", "deleted"),
            status("wamid.O1", "warning"),
        ]
        .join(",");
        let got: Vec<_> = messages(&notification("", &statuses))
            .into_iter()
            .map(|m| {
                assert_eq!(m.conversation, ConversationId::new(Channel::Whatsapp, ANA));
                assert_eq!(m.event_id, "wamid.O1");
                m.content
            })
            .collect();
        let expect = |status| InboundContent::Status {
            message_id: "wamid.O1".into(),
            status,
            error_code: None,
        };
        assert_eq!(
            got,
            vec![
                expect(DeliveryStatus::Sent),
                expect(DeliveryStatus::Delivered),
                expect(DeliveryStatus::Read),
            ]
        );
    }

    #[test]
    fn parses_a_failed_status_with_its_error_code() {
        let m = messages(FAILED_STATUS_EXAMPLE);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].sent_at, 1_767_312_100);
        assert_eq!(
            m[0].content,
            InboundContent::Status {
                message_id: "wamid.OUTBOUND123".into(),
                status: DeliveryStatus::Failed,
                error_code: Some(131047)
            }
        );
    }

    #[test]
    fn returns_every_message_of_a_batch_in_order() {
        let batch = [
            message("wamid.1", "text", r#""text":{"body":"one"}"#),
            message(
                "wamid.2",
                "reaction",
                r#""reaction":{"message_id":"wamid.X","emoji":"👍"}"#,
            ),
            message("wamid.3", "text", r#""text":{"body":"three"}"#),
            message(
                "wamid.4",
                "sticker",
                r#""sticker":{"id":"s1","animated":false}"#,
            ),
        ]
        .join(",");
        let status = format!(
            r#"{{"id":"wamid.O9","status":"delivered","timestamp":"1767312000","recipient_id":"{ANA}"}}"#
        );
        // A second entry in the same POST, for another customer.
        let body = notification(&batch, &status).replacen(
            r#"]}]}"#,
            r#"]},{"id":"104000000000001","changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.5","timestamp":"1767225601","type":"text","text":{"body":"five"}}]}}]}]}"#,
            1,
        );
        let ids: Vec<_> = messages(&body).into_iter().map(|m| m.event_id).collect();
        assert_eq!(
            ids,
            vec!["wamid.1", "wamid.3", "wamid.4", "wamid.O9", "wamid.5"]
        );
    }

    #[test]
    fn other_types_are_unsupported_with_their_kind() {
        for (kind, fields) in [
            (
                "audio",
                r#""audio":{"id":"a1","mime_type":"audio/ogg","voice":true}"#,
            ),
            ("location", r#""location":{"latitude":1.0,"longitude":2.0}"#),
            (
                "unsupported",
                r#""errors":[{"code":131051,"title":"Message type unknown"}]"#,
            ),
            ("hologram", r#""hologram":{"id":"h1"}"#),
        ] {
            let body = notification(&message("wamid.U", kind, fields), "");
            assert_eq!(
                content_of(&body),
                InboundContent::Unsupported { kind: kind.into() }
            );
        }
    }

    #[test]
    fn reactions_and_system_messages_are_ignored() {
        let body = notification(
            &[
                message(
                    "wamid.R",
                    "reaction",
                    r#""reaction":{"message_id":"wamid.O1","emoji":"👍"}"#,
                ),
                message(
                    "wamid.S",
                    "system",
                    r#""system":{"body":"changed number","type":"user_changed_number"}"#,
                ),
            ]
            .join(","),
            "",
        );
        assert_eq!(messages(&body), vec![]);
    }

    #[test]
    fn value_errors_and_other_fields_and_objects_are_skipped() {
        let errors = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"errors":[{"code":131000,"title":"Something went wrong"}]}}]}]}"#;
        assert_eq!(messages(errors), vec![]);
        let other_field = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]}"#;
        assert_eq!(messages(other_field), vec![]);
        let page = TEXT_EXAMPLE.replace("whatsapp_business_account", "page");
        assert_eq!(messages(&page), vec![]);
    }

    #[test]
    fn malformed_json_after_a_valid_signature_is_malformed() {
        assert!(matches!(
            post(r#"{"object":"whatsapp_business_account","entry":["#),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn valid_json_of_another_shape_does_not_panic() {
        for body in [
            "[]",
            "\"hello\"",
            "null",
            "42",
            "{}",
            r#"{"object":"whatsapp_business_account"}"#,
            r#"{"object":"whatsapp_business_account","entry":{"oops":1}}"#,
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"text"}]}}]}]}"#,
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"w","type":"interactive"}]}}]}]}"#,
        ] {
            match post(body) {
                Ok(WebhookOutcome::Messages(_)) | Err(WebhookError::Malformed(_)) => {}
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_odd_timestamp_becomes_zero() {
        let body = notification(
            r#"{"from":"1","id":"w","timestamp":"soon","type":"text","text":{"body":"x"}}"#,
            "",
        );
        assert_eq!(messages(&body)[0].sent_at, 0);
    }

    // --- rendering ------------------------------------------------------------------------

    fn choice(id: &str, title: &str) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn choices(n: usize, title_len: usize) -> Vec<Choice> {
        (1..=n)
            .map(|i| {
                let title = format!(
                    "{i}{}",
                    "x".repeat(title_len.saturating_sub(i.to_string().len()))
                );
                choice(&format!("c:p:item{i}"), &title)
            })
            .collect()
    }

    fn render_choices_with(body: &str, list: Vec<Choice>) -> Vec<Value> {
        render(
            ANA,
            Lang::En,
            &Reply::Choices {
                body: body.into(),
                menu_label: "Menu".into(),
                choices: list,
            },
        )
    }

    fn single(mut v: Vec<Value>) -> Value {
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    fn interactive_type(v: &Value) -> &str {
        v["interactive"]["type"].as_str().unwrap_or("")
    }

    #[test]
    fn every_message_carries_the_envelope() {
        let m = single(render(ANA, Lang::En, &Reply::Text { body: "hi".into() }));
        assert_eq!(
            m,
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": ANA,
                "type": "text",
                "text": { "body": "hi", "preview_url": false },
            })
        );
    }

    #[test]
    fn long_text_is_split_at_the_limit() {
        let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
        let parts = render(ANA, Lang::En, &Reply::Text { body });
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0]["text"]["body"], json!("a".repeat(4000)));
        assert_eq!(parts[1]["text"]["body"], json!("b".repeat(200)));
        let exact = render(
            ANA,
            Lang::En,
            &Reply::Text {
                body: "é".repeat(4096),
            },
        );
        assert_eq!(exact.len(), 1);
        let over = render(
            ANA,
            Lang::En,
            &Reply::Text {
                body: "é".repeat(4097),
            },
        );
        assert_eq!(over.len(), 2);
        assert!(render(ANA, Lang::En, &Reply::Text { body: " ".into() }).is_empty());
    }

    #[test]
    fn three_choices_with_twenty_character_titles_are_buttons() {
        let list = choices(3, 20);
        assert!(list.iter().all(|c| c.title.chars().count() == 20));
        let m = single(render_choices_with("Pick one", list));
        assert_eq!(interactive_type(&m), "button");
        assert_eq!(m["interactive"]["body"]["text"], json!("Pick one"));
        let buttons = m["interactive"]["action"]["buttons"].as_array().unwrap();
        assert_eq!(buttons.len(), 3);
        assert_eq!(
            buttons[0],
            json!({ "type": "reply", "reply": { "id": "c:p:item1", "title": format!("1{}", "x".repeat(19)) } })
        );
    }

    #[test]
    fn multibyte_titles_count_characters_not_bytes() {
        // 20 characters, 60 bytes.
        let list = vec![choice("a", &"日".repeat(20)), choice("b", "B")];
        assert_eq!(
            interactive_type(&single(render_choices_with("x", list))),
            "button"
        );
    }

    #[test]
    fn four_choices_are_a_list() {
        let m = single(render_choices_with("Pick one", choices(4, 5)));
        assert_eq!(interactive_type(&m), "list");
        assert_eq!(m["interactive"]["action"]["button"], json!("Menu"));
        let rows = m["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], json!({ "id": "c:p:item1", "title": "1xxxx" }));
    }

    #[test]
    fn a_twenty_one_character_title_makes_a_list() {
        let mut list = choices(3, 20);
        list[1].title.push('y');
        let m = single(render_choices_with("Pick one", list));
        assert_eq!(interactive_type(&m), "list");
    }

    #[test]
    fn duplicate_titles_cannot_be_buttons() {
        let list = vec![choice("a", "Same"), choice("b", "Same")];
        assert_eq!(
            interactive_type(&single(render_choices_with("x", list))),
            "list"
        );
    }

    #[test]
    fn ten_choices_are_a_list_and_eleven_are_numbered_text() {
        let m = single(render_choices_with("Pick one", choices(10, 5)));
        assert_eq!(interactive_type(&m), "list");
        let rows = &m["interactive"]["action"]["sections"][0]["rows"];
        assert_eq!(rows.as_array().unwrap().len(), 10);

        let m = single(render_choices_with("Pick one", choices(11, 5)));
        assert_eq!(m["type"], json!("text"));
        let text = m["text"]["body"].as_str().unwrap();
        assert!(
            text.starts_with("Pick one\n\n1. 1xxxx\n2. 2xxxx\n"),
            "{text}"
        );
        assert!(
            text.contains("\n11. 11xxx\n\nReply with a number."),
            "{text}"
        );
    }

    #[test]
    fn numbered_text_includes_descriptions_and_the_language_hint() {
        let mut list = choices(11, 5);
        list[0].description = Some("$12.00".into());
        let m = single(render(
            ANA,
            Lang::Ja,
            &Reply::Choices {
                body: "選んでください".into(),
                menu_label: "メニュー".into(),
                choices: list,
            },
        ));
        let text = m["text"]["body"].as_str().unwrap();
        assert!(text.contains("1. 1xxxx — $12.00\n"), "{text}");
        assert!(
            text.ends_with(&Msg::ReplyWithNumber.text(Lang::Ja)),
            "{text}"
        );
    }

    #[test]
    fn a_long_row_title_is_cut_and_kept_whole_in_the_description() {
        let long = "Extra large stoneware mug, glazed blue"; // 38 characters
        let mut list = choices(4, 5);
        list[0].title = long.into();
        list[1].description = Some("d".repeat(80));
        let m = single(render_choices_with("Pick one", list));
        let rows = &m["interactive"]["action"]["sections"][0]["rows"];
        let title = rows[0]["title"].as_str().unwrap();
        assert_eq!(title.chars().count(), 24);
        assert_eq!(title, "Extra large stoneware m…");
        assert_eq!(rows[0]["description"], json!(long));
        let description = rows[1]["description"].as_str().unwrap();
        assert_eq!(description.chars().count(), 72);
        assert!(description.ends_with('…'));
    }

    #[test]
    fn a_long_menu_label_is_cut_and_an_empty_one_replaced() {
        let reply = |label: &str| Reply::Choices {
            body: "Pick".into(),
            menu_label: label.into(),
            choices: choices(4, 3),
        };
        let m = single(render(ANA, Lang::En, &reply("Browse the whole catalog")));
        let label = m["interactive"]["action"]["button"].as_str().unwrap();
        assert_eq!(label.chars().count(), 20);
        let m = single(render(ANA, Lang::En, &reply("")));
        assert_eq!(
            m["interactive"]["action"]["button"],
            json!(Msg::ChooseLabel.text(Lang::En))
        );
    }

    #[test]
    fn a_body_over_1024_characters_is_numbered_text() {
        let exact = single(render_choices_with(&"b".repeat(1024), choices(2, 5)));
        assert_eq!(interactive_type(&exact), "button");
        let over = single(render_choices_with(&"b".repeat(1025), choices(2, 5)));
        assert_eq!(over["type"], json!("text"));
        let list_over = single(render_choices_with(&"b".repeat(1025), choices(5, 5)));
        assert_eq!(list_over["type"], json!("text"));
    }

    #[test]
    fn no_choices_is_just_the_body() {
        let m = single(render_choices_with("Nothing here", vec![]));
        assert_eq!(m["text"]["body"], json!("Nothing here"));
    }

    #[test]
    fn images_carry_their_caption_when_it_fits() {
        let m = single(render(
            ANA,
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("Blue mug".into()),
            },
        ));
        assert_eq!(m["type"], json!("image"));
        assert_eq!(
            m["image"],
            json!({ "link": "https://cdn.example/mug.jpg", "caption": "Blue mug" })
        );
        let parts = render(
            ANA,
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("c".repeat(1025)),
            },
        );
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0]["image"],
            json!({ "link": "https://cdn.example/mug.jpg" })
        );
        assert_eq!(parts[1]["type"], json!("text"));
    }

    #[test]
    fn links_are_cta_url_messages() {
        let m = single(render(
            ANA,
            Lang::En,
            &Reply::Link {
                body: "Your order is ready to pay.".into(),
                label: "Pay securely with Stripe".into(),
                url: "https://checkout.stripe.com/c/pay/cs_test".into(),
            },
        ));
        assert_eq!(
            m["interactive"],
            json!({
                "type": "cta_url",
                "body": { "text": "Your order is ready to pay." },
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": "Pay securely with S…",
                        "url": "https://checkout.stripe.com/c/pay/cs_test",
                    },
                },
            })
        );
    }

    // --- classification -------------------------------------------------------------------

    fn graph_error(code: i64) -> Vec<u8> {
        format!(
            r#"{{"error":{{"message":"(#{code}) something","type":"OAuthException","code":{code},"error_subcode":2494010,"error_data":{{"messaging_product":"whatsapp","details":"details here"}},"fbtrace_id":"A1"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn rate_limit_codes_wait_the_advised_or_default_delay() {
        for code in [4, 80007, 130429] {
            assert_eq!(
                classify(400, &graph_error(code), None),
                SendFailure::RateLimited {
                    code: Some(code),
                    retry_after: Duration::from_secs(1)
                }
            );
        }
        assert_eq!(
            classify(400, &graph_error(131056), None),
            SendFailure::RateLimited {
                code: Some(131056),
                retry_after: Duration::from_secs(6)
            }
        );
        assert_eq!(
            classify(429, &graph_error(130429), Some(Duration::from_secs(7))),
            SendFailure::RateLimited {
                code: Some(130429),
                retry_after: Duration::from_secs(7)
            }
        );
    }

    #[test]
    fn permanent_codes_are_permanent_whatever_the_status() {
        for code in [
            131047, 131026, 131051, 131021, 133010, 100, 131008, 131009, 368,
        ] {
            for status in [400, 403, 500] {
                let f = classify(status, &graph_error(code), None);
                assert!(
                    matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
                    "{code}/{status}: {f:?}"
                );
            }
        }
        let SendFailure::Permanent { detail, .. } = classify(400, &graph_error(131047), None)
        else {
            unreachable!()
        };
        assert!(
            detail.contains("something") && detail.contains("details here"),
            "{detail}"
        );
    }

    #[test]
    fn transient_codes_and_server_errors_are_transient() {
        for code in [190, 131000, 131016, 1, 2] {
            let f = classify(400, &graph_error(code), None);
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
            classify(503, &graph_error(999_999), None),
            SendFailure::Transient { .. }
        ));
    }

    #[test]
    fn unknown_codes_fall_back_to_the_status_class() {
        assert!(matches!(
            classify(400, &graph_error(999_999), None),
            SendFailure::Permanent {
                code: Some(999_999),
                ..
            }
        ));
        assert!(matches!(
            classify(404, b"<html>not found</html>", None),
            SendFailure::Permanent { code: None, .. }
        ));
        assert!(matches!(
            classify(429, b"", None),
            SendFailure::RateLimited { code: None, .. }
        ));
    }

    // --- sending --------------------------------------------------------------------------

    fn sender(base: &str) -> WhatsappSender {
        WhatsappSender::new(
            crate::http_client(Duration::from_secs(5)),
            WhatsappSendConfig {
                graph_base: format!("{base}/"),
                api_version: "v21.0".into(),
                phone_number_id: "106000000000002".into(),
                access_token: "EAAtoken".into(),
                order_update_template: Some(OrderUpdateTemplate {
                    name: "order_update".into(),
                    language: "en_US".into(),
                }),
            },
        )
    }

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Whatsapp, ANA)
    }

    #[tokio::test]
    async fn send_posts_each_part_with_the_bearer_token() {
        let server = test_server::serve(
            200,
            vec![],
            r#"{"messaging_product":"whatsapp","contacts":[{"input":"5511987654321","wa_id":"5511987654321"}],"messages":[{"id":"wamid.OK"}]}"#,
        )
        .await;
        let reply = Reply::Text {
            body: format!("{}\n{}", "a".repeat(4000), "b".repeat(200)),
        };
        sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await
            .expect("sent");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        for (request, expected) in requests.iter().zip(render(ANA, Lang::En, &reply)) {
            assert_eq!(request.method, http::Method::POST);
            assert_eq!(request.path, "/v21.0/106000000000002/messages");
            assert_eq!(
                request.headers.get("authorization").unwrap(),
                "Bearer EAAtoken"
            );
            assert_eq!(request.body, expected);
        }
        assert_eq!(requests[1].body["text"]["body"], json!("b".repeat(200)));
    }

    #[tokio::test]
    async fn acknowledge_sends_nothing() {
        let server = test_server::serve(200, vec![], "{}").await;
        sender(&server.base)
            .acknowledge(&ana(), "token")
            .await
            .expect("no-op");
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn send_classifies_graph_errors() {
        let reply = Reply::Text { body: "hi".into() };

        let server = test_server::serve(
            400,
            vec![],
            &String::from_utf8(graph_error(131047)).unwrap(),
        )
        .await;
        let f = sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(131047),
                    ..
                })
            ),
            "{f:?}"
        );

        let server = test_server::serve(
            400,
            vec![("retry-after", "2".into())],
            &String::from_utf8(graph_error(130429)).unwrap(),
        )
        .await;
        let f = sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(130429),
                retry_after: Duration::from_secs(2)
            })
        );

        let server = test_server::serve(500, vec![], "upstream exploded").await;
        let f = sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert!(
            matches!(f, Err(SendFailure::Transient { code: None, .. })),
            "{f:?}"
        );
    }

    #[tokio::test]
    async fn the_first_failure_stops_the_remaining_parts() {
        let server = test_server::serve(
            400,
            vec![],
            &String::from_utf8(graph_error(131047)).unwrap(),
        )
        .await;
        let reply = Reply::Text {
            body: format!("{}\n{}", "a".repeat(4000), "b".repeat(200)),
        };
        let _ = sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_graph_is_transient() {
        // Bind then drop a listener: nothing answers on that port any more.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let f = sender(&base)
            .send(
                &crate::test_server::single(&ana(), Lang::En, &Reply::Text { body: "hi".into() })
                    .out(),
            )
            .await;
        assert!(
            matches!(f, Err(SendFailure::Transient { code: None, .. })),
            "{f:?}"
        );
    }
}
