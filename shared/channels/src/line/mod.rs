//! LINE Messaging API adapter.
//!
//! **Inbound.** LINE signs every webhook: `x-line-signature` is the standard Base64 of
//! HMAC-SHA256 of the raw body under the channel secret. LINE publishes no source IP ranges, so
//! that signature is the only thing telling LINE apart from anyone who found the URL; it is
//! checked, in constant time, on the bytes as received and before anything is parsed.
//!
//! One request carries zero or more `events`. An empty list is the console's "Verify" button
//! checking that the URL answers 200, and is answered with nothing queued. Each event's
//! `webhookEventId` is its identity: LINE keeps it when it redelivers an event
//! (`deliveryContext.isRedelivery`), so the queue deduplicates redeliveries on it.
//!
//! chatdrop is a one-to-one shop, so only events from a `user` source are served: a bot invited
//! into a group or room would otherwise answer everyone in it. Events in `standby` mode are
//! ignored too: another module channel owns the chat then, and answering would talk over it.
//! `follow` (the customer added the shop as a friend, or unblocked it) and `unfollow` (blocked
//! it) are the customer opting in and out. A follow therefore becomes
//! [`InboundContent::OptIn`] rather than a made-up "hi": the domain both clears a previous
//! opt-out and greets with the menu, which is what a new or returning friend should see.
//!
//! Replyable events carry a `replyToken`. A reply with it is free, while a push counts toward
//! the LINE Official Account plan's monthly message quota; but the token is single-use and good
//! for about a minute
//! (<https://developers.line.biz/en/reference/messaging-api/#send-reply-message>). It travels
//! with the message as a [`ReplyToken`] valid for [`REPLY_TOKEN_SECONDS`] after the event, a
//! margin under LINE's minute for clock skew and the reply's own flight time.
//!
//! **Outbound.** [`render`] maps a [`Reply`] to LINE message objects within [`LIMITS`]. Choices
//! become quick-reply buttons whose postback `data` is the choice payload, so a tap comes back
//! as exactly that payload; when they do not fit (more than 13, or a payload over 300
//! characters) the reply degrades to numbered text, which always works because the domain
//! resolves a typed number against the choices offered last. Links become a Flex bubble with
//! one URI button. LINE counts text in UTF-16 code units (developers.line.biz, "Counting the
//! number of characters in text"), so an emoji counts twice and text is split by that measure.
//!
//! One API call carries at most five messages, so [`LineSender::batches`] groups replies by
//! their rendered message count, and [`LineSender::send`] still splits whatever it is given
//! into calls of five. The first call of a bundle uses the reply token while it is good; a
//! token LINE refuses (expired, or already used) falls back to a push in the same attempt.
//! Every push carries `X-Line-Retry-Key`, a UUID derived from the call's idempotency key, so a
//! push retried after a timeout is not delivered twice: LINE answers the repeat with 409, which
//! counts as sent. A reply has no such key, so a reply whose answer was lost and is then
//! retried after the token died goes out again as a push; that rare duplicate is the price of
//! not losing the answer.
//!
//! LINE has no customer-service window: a shop may push to any friend who has not blocked it
//! ([`SendingRules::NO_WINDOW`]). The constraint is money instead: pushes (never replies) count
//! toward the plan's monthly quota, and past it LINE answers 429 "You have reached your monthly
//! limit". That is not a slow-down but a plan ops must raise, so it is classified transient and
//! the message kept for a redrive.
//!
//! **Failures** carry no numeric code, only the HTTP status and a message; [`classify`] tells
//! "slow down" (429) from "never" (400, a bad request or recipient) from "ops must fix" (401 or
//! 403, a bad channel access token or a plan without the API, kept for a redrive).

use crate::signature;
use crate::text::{Hint, numbered_text};
use crate::{
    Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type, numbered_line, split_text,
    transport_failure, truncate_chars,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{InboundContent, InboundMessage, ReplyToken};
use chatdrop_domain::reply::{Choice, Reply};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct LineConfig {
    pub channel_secret: String,
}

pub struct LineWebhook {
    pub config: LineConfig,
}

#[derive(Clone, Debug)]
pub struct LineSendConfig {
    pub api_base: String,
    pub channel_access_token: String,
}

pub struct LineSender {
    pub client: reqwest::Client,
    pub config: LineSendConfig,
}

const SIGNATURE_HEADER: &str = "x-line-signature";
const RETRY_KEY_HEADER: &str = "x-line-retry-key";
const REPLY_PATH: &str = "/v2/bot/message/reply";
const PUSH_PATH: &str = "/v2/bot/message/push";

/// How long after its event a reply token is offered to the sender, in seconds.
pub const REPLY_TOKEN_SECONDS: i64 = 50;

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

impl LineWebhook {
    pub fn new(config: LineConfig) -> Self {
        LineWebhook { config }
    }

    fn verify_signature(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        // An HMAC under an empty key is one anybody can compute.
        if self.config.channel_secret.is_empty() {
            return Err(WebhookError::Unauthorized("channel secret not configured"));
        }
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or(WebhookError::Unauthorized("missing x-line-signature"))?;
        let presented = BASE64
            .decode(header.as_bytes())
            .map_err(|_| WebhookError::Unauthorized("x-line-signature is not Base64"))?;
        let expected = signature::hmac_sha256(self.config.channel_secret.as_bytes(), body);
        if signature::constant_time_eq(&expected, &presented) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("signature mismatch"))
        }
    }
}

impl Webhook for LineWebhook {
    fn channel(&self) -> Channel {
        Channel::Line
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        if *request.method != http::Method::POST {
            return Err(WebhookError::MethodNotAllowed);
        }
        self.verify_signature(request.headers, request.body)?;
        // LINE always sends JSON; anything else is not LINE, however it was signed.
        match media_type(request.headers) {
            Some(t) if t == "application/json" => {}
            other => {
                return Err(WebhookError::UnsupportedMediaType(
                    other.unwrap_or_else(|| "none".into()),
                ));
            }
        }
        let callback: Callback = serde_json::from_slice(request.body)
            .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
        Ok(WebhookOutcome::Messages(
            callback.events.into_iter().filter_map(inbound).collect(),
        ))
    }
}

/// The webhook body. Events stay raw until each is read on its own, so one event of a shape we
/// do not expect costs that event, not the whole request (which LINE would then redeliver).
#[derive(Deserialize)]
struct Callback {
    events: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    /// `active`, or `standby` when another channel of a module owns the chat.
    mode: Option<String>,
    /// Milliseconds; for a redelivery, still the time of the original event.
    timestamp: i64,
    webhook_event_id: String,
    source: Option<Source>,
    reply_token: Option<String>,
    message: Option<EventMessage>,
    postback: Option<Postback>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Source {
    #[serde(rename = "type")]
    kind: String,
    user_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventMessage {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Postback {
    data: String,
}

fn inbound(raw: Value) -> Option<InboundMessage> {
    let event: Event = match serde_json::from_value(raw) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %redact::json_error(&e), "skipping an unreadable LINE event");
            return None;
        }
    };
    if event.mode.as_deref() == Some("standby") {
        tracing::debug!(kind = %event.kind, "ignoring a LINE event in standby mode");
        return None;
    }
    let user_id = match &event.source {
        Some(s) if s.kind == "user" => s.user_id.clone().filter(|u| !u.is_empty()),
        _ => None,
    };
    let Some(user_id) = user_id else {
        let source = event.source.as_ref().map(|s| s.kind.as_str());
        tracing::debug!(kind = %event.kind, source = ?source, "ignoring a LINE event outside a one-to-one chat");
        return None;
    };
    if event.webhook_event_id.is_empty() {
        tracing::warn!(kind = %event.kind, "skipping a LINE event without webhookEventId");
        return None;
    }
    let content = match event.kind.as_str() {
        "message" => message_content(event.message),
        "postback" => match event.postback {
            Some(p) if !p.data.is_empty() => InboundContent::Action {
                payload: p.data,
                title: None,
            },
            _ => unsupported("postback_without_data"),
        },
        "follow" => InboundContent::OptIn,
        "unfollow" => InboundContent::OptOut,
        other => {
            tracing::debug!(kind = other, "ignoring a LINE event kind we do not serve");
            return None;
        }
    };
    let sent_at = event.timestamp.div_euclid(1000);
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Line, user_id),
        event_id: event.webhook_event_id,
        sent_at,
        // LINE tells nothing of the user's language in a webhook.
        locale: None,
        ack: None,
        reply_token: event
            .reply_token
            .filter(|t| !t.is_empty())
            .map(|token| ReplyToken {
                token,
                use_before: sent_at + REPLY_TOKEN_SECONDS,
            }),
        content,
    })
}

fn message_content(message: Option<EventMessage>) -> InboundContent {
    let Some(m) = message else {
        return unsupported("unknown");
    };
    match m.kind.as_str() {
        "text" => InboundContent::Text {
            body: m.text.unwrap_or_default(),
        },
        // The id fetches the bytes from the content API; LINE images carry no caption.
        "image" if !m.id.is_empty() => InboundContent::Image {
            media_id: m.id,
            caption: None,
        },
        "" => unsupported("unknown"),
        // sticker, location, audio, video, file: named as LINE names them.
        other => unsupported(other),
    }
}

fn unsupported(kind: &str) -> InboundContent {
    InboundContent::Unsupported {
        kind: kind.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Messaging API limits the renderer applies. Sources: <https://github.com/line/line-openapi>
/// `messaging-api.yml` (messages per call, quick-reply items, postback data, URI and image URL
/// lengths) and <https://developers.line.biz/en/reference/messaging-api/> (text, labels,
/// `displayText`, `altText`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages in one reply or push call.
    pub messages_per_call: usize,
    /// A text message, in UTF-16 code units.
    pub text_utf16: usize,
    pub quick_reply_items: usize,
    /// An action's `label`, in characters (LINE counts grapheme clusters, never more).
    pub action_label: usize,
    /// A postback action's `data`, in characters.
    pub postback_data: usize,
    /// A postback action's `displayText`, in characters.
    pub display_text: usize,
    /// A Flex message's `altText`, in UTF-16 code units.
    pub alt_text: usize,
    /// A URI action's `uri`, in characters.
    pub uri: usize,
    /// An image message's `originalContentUrl` and `previewImageUrl`, in characters.
    pub image_url: usize,
    /// Ours, not LINE's: the longest body put in a Flex bubble before the link goes as text
    /// instead (a bubble is for a short call to action, and Flex caps a message's size).
    pub flex_body: usize,
}

pub const LIMITS: Limits = Limits {
    messages_per_call: 5,
    text_utf16: 5000,
    quick_reply_items: 13,
    action_label: 20,
    postback_data: 300,
    display_text: 300,
    alt_text: 1500,
    uri: 1000,
    image_url: 2000,
    flex_body: 2000,
};

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// [`split_text`], measured in UTF-16 code units: the window shrinks until every part fits.
fn split_utf16(text: &str, max_units: usize) -> Vec<String> {
    let mut max_chars = max_units.max(1);
    loop {
        let parts = split_text(text, max_chars);
        let worst = parts.iter().map(|p| utf16_len(p)).max().unwrap_or(0);
        if worst <= max_units || max_chars <= 1 {
            return parts;
        }
        // Shrink in proportion to the overshoot, and always by at least one character.
        max_chars = (max_chars * max_units / worst).clamp(1, max_chars - 1);
    }
}

/// [`truncate_chars`], measured in UTF-16 code units.
fn truncate_utf16(text: &str, max_units: usize) -> String {
    if utf16_len(text) <= max_units {
        return text.to_string();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > max_units.saturating_sub(1) {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    if max_units > 0 {
        out.push('…');
    }
    out
}

/// The LINE message objects for one reply, in sending order: usually one, several when text
/// must be split or an image has a caption, none for an empty text.
pub fn render(lang: Lang, reply: &Reply) -> Vec<Value> {
    match reply {
        Reply::Text { body } => text_messages(body, None),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    }
}

/// Text messages; a quick reply rides on the last one, the only place LINE shows it.
fn text_messages(text: &str, quick_reply: Option<Value>) -> Vec<Value> {
    let mut messages: Vec<Value> = split_utf16(text, LIMITS.text_utf16)
        .into_iter()
        .map(|part| json!({ "type": "text", "text": part }))
        .collect();
    if let (Some(last), Some(q)) = (messages.last_mut(), quick_reply) {
        last["quickReply"] = q;
    }
    messages
}

fn fits_postback_data(id: &str) -> bool {
    (1..=LIMITS.postback_data).contains(&chars(id))
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Value> {
    if choices.is_empty() {
        return text_messages(body, None);
    }
    // A payload is never cut to fit: the tap would bring back one we never issued.
    let fits = choices.len() <= LIMITS.quick_reply_items
        && choices.iter().all(|c| fits_postback_data(&c.id));
    if !fits {
        return text_messages(
            &numbered_text(body, choices, lang, Hint::ReplyWithNumber),
            None,
        );
    }
    let items: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| quick_reply_item(i + 1, c))
        .collect();
    // Quick-reply buttons show 20 characters and no description, and they vanish once the
    // customer answers; when a button cannot show all of a choice, the message lists it too.
    let hidden = choices.iter().any(|c| {
        chars(&c.title) > LIMITS.action_label
            || c.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
    });
    let mut text = body.to_string();
    if hidden {
        let lines: Vec<String> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| numbered_line(i + 1, &c.title, c.description.as_deref()))
            .collect();
        if !text.trim().is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&lines.join("\n"));
    }
    // A quick reply must ride on a message, and a text message cannot be empty.
    if text.trim().is_empty() {
        text = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
    }
    text_messages(&text, Some(json!({ "items": items })))
}

fn quick_reply_item(n: usize, c: &Choice) -> Value {
    // LINE rejects an empty label; the number still identifies the choice.
    let title = if c.title.trim().is_empty() {
        n.to_string()
    } else {
        c.title.clone()
    };
    json!({
        "type": "action",
        "action": {
            "type": "postback",
            "label": truncate_chars(&title, LIMITS.action_label),
            "data": c.id,
            // Shown in the chat as the customer's own message, so the thread reads naturally.
            "displayText": truncate_chars(&title, LIMITS.display_text),
        },
    })
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Value> {
    let caption = caption.filter(|c| !c.trim().is_empty());
    if url.is_empty() || chars(url) > LIMITS.image_url {
        // LINE would refuse the image; the words and the address still reach the customer.
        let text = match caption {
            Some(c) => format!("{c}\n{url}"),
            None => url.to_string(),
        };
        return text_messages(&text, None);
    }
    // LINE images have no caption field: the picture first, then the words.
    let mut messages = vec![json!({
        "type": "image",
        "originalContentUrl": url,
        "previewImageUrl": url,
    })];
    if let Some(c) = caption {
        messages.extend(text_messages(c, None));
    }
    messages
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Value> {
    let label = if label.trim().is_empty() { url } else { label };
    if url.is_empty() || chars(url) > LIMITS.uri || chars(body) > LIMITS.flex_body {
        let text = if body.trim().is_empty() {
            format!("{label}: {url}")
        } else {
            format!("{body}\n\n{label}: {url}")
        };
        return text_messages(&text, None);
    }
    let button = json!({
        "type": "button",
        "style": "primary",
        "action": {
            "type": "uri",
            "label": truncate_chars(label, LIMITS.action_label),
            "uri": url,
        },
    });
    let mut bubble = json!({
        "type": "bubble",
        "footer": { "type": "box", "layout": "vertical", "contents": [button] },
    });
    if !body.trim().is_empty() {
        bubble["body"] = json!({
            "type": "box",
            "layout": "vertical",
            "contents": [{ "type": "text", "text": body, "wrap": true }],
        });
    }
    // What notifications and clients that cannot draw Flex show instead.
    let alt = if body.trim().is_empty() { label } else { body };
    vec![json!({
        "type": "flex",
        "altText": truncate_utf16(alt, LIMITS.alt_text),
        "contents": bubble,
    })]
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// The `X-Line-Retry-Key` for the `part`-th call of one outgoing group: the idempotency key's
/// first 32 hex digits written as a UUID (LINE takes a UUID "generated by any method"). Later
/// parts hash the key with their index first, so each call has a key of its own and every
/// attempt at the same call has the same one.
pub fn retry_key(idempotency_key: &str, part: usize) -> String {
    let is_hex = idempotency_key.len() >= 32
        && idempotency_key
            .bytes()
            .take(32)
            .all(|b| b.is_ascii_hexdigit());
    let hex = if part == 0 && is_hex {
        idempotency_key[..32].to_ascii_lowercase()
    } else {
        hex::encode(Sha256::digest(format!("{idempotency_key}#{part}")))
    };
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A LINE answer: its status, advised delay and raw body.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SentBody {
    sent_messages: Vec<SentMessage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SentMessage {
    id: String,
}

/// The ids in `sentMessages`, which both a success and a 409 for an accepted retry key carry.
fn sent_ids(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<SentBody>(body)
        .unwrap_or_default()
        .sent_messages
        .into_iter()
        .map(|m| m.id)
        .filter(|id| !id.is_empty())
        .collect()
}

impl LineSender {
    pub fn new(client: reqwest::Client, config: LineSendConfig) -> Self {
        LineSender { client, config }
    }

    /// LINE has nothing to acknowledge: a postback needs no answer to stop a spinner.
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    /// No window: a shop may push to any friend who has not blocked it (pushes count toward
    /// the plan's monthly quota; see the module doc).
    pub fn rules(&self) -> SendingRules {
        SendingRules::NO_WINDOW
    }

    /// Groups replies so each group renders to at most five LINE messages, the most one call
    /// carries. A reply that alone renders to more forms a group of its own, which
    /// [`LineSender::send`] splits over several calls. The count is taken in English; another
    /// language may shift a numbered text across a split point, which costs an extra call, not
    /// a lost message.
    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        let mut groups = Vec::new();
        let (mut replies_in_group, mut messages_in_group) = (0, 0);
        for reply in replies {
            let messages = render(Lang::En, reply).len();
            if replies_in_group > 0 && messages_in_group + messages > LIMITS.messages_per_call {
                groups.push(replies_in_group);
                (replies_in_group, messages_in_group) = (0, 0);
            }
            replies_in_group += 1;
            messages_in_group += messages;
        }
        if replies_in_group > 0 {
            groups.push(replies_in_group);
        }
        groups
    }

    /// Sends the group's messages, five to a call, in order; the first failure stops the rest,
    /// so the customer never gets a later part without an earlier one. The first call replies
    /// while the bundle's token is good, and pushes when there is none or LINE refuses it.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let c = out.conversation();
        let messages: Vec<Value> = out
            .replies
            .iter()
            .flat_map(|r| render(out.lang(), r))
            .collect();
        let key = out.idempotency_key();
        let mut token = out.reply_token();
        let mut ids = Vec::new();
        for (part, chunk) in messages.chunks(LIMITS.messages_per_call).enumerate() {
            if let Some(t) = token.take() {
                if let Some(sent) = self.reply(c, &t.token, chunk).await? {
                    ids.extend(sent);
                    continue;
                }
                tracing::info!(
                    conversation = %c.hashed(),
                    "LINE refused the reply token (expired or used); pushing instead"
                );
            }
            ids.extend(self.push(c, &retry_key(&key, part), chunk).await?);
        }
        Ok(Sent::ids(ids))
    }

    /// A reply with `token`: the sent ids, or `None` when LINE refuses the token itself.
    async fn reply(
        &self,
        c: &ConversationId,
        token: &str,
        messages: &[Value],
    ) -> Result<Option<Vec<String>>, SendFailure> {
        let body = json!({ "replyToken": token, "messages": messages });
        let answer = self.post(REPLY_PATH, &body, None).await?;
        if (200..300).contains(&answer.status) {
            return Ok(Some(sent_ids(&answer.body)));
        }
        if answer.status == 400 && is_invalid_reply_token(&answer.body) {
            return Ok(None);
        }
        Err(self.failed(c, "reply", &answer))
    }

    async fn push(
        &self,
        c: &ConversationId,
        retry_key: &str,
        messages: &[Value],
    ) -> Result<Vec<String>, SendFailure> {
        let body = json!({ "to": c.customer, "messages": messages });
        let answer = self.post(PUSH_PATH, &body, Some(retry_key)).await?;
        if (200..300).contains(&answer.status) {
            return Ok(sent_ids(&answer.body));
        }
        if answer.status == 409 {
            // An earlier attempt under this retry key was accepted: the customer has it.
            tracing::info!(conversation = %c.hashed(), "LINE had already accepted this push");
            return Ok(sent_ids(&answer.body));
        }
        Err(self.failed(c, "push", &answer))
    }

    async fn post(
        &self,
        path: &str,
        body: &Value,
        retry_key: Option<&str>,
    ) -> Result<Answer, SendFailure> {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let mut request = self
            .client
            .post(url)
            .bearer_auth(&self.config.channel_access_token)
            .json(body);
        if let Some(key) = retry_key {
            request = request.header(RETRY_KEY_HEADER, key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status().as_u16();
        let retry_after = crate::retry_after_header(response.headers());
        // An unreadable body still has a status to go by.
        let body = response.bytes().await.unwrap_or_default().to_vec();
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    fn failed(&self, c: &ConversationId, call: &'static str, answer: &Answer) -> SendFailure {
        tracing::warn!(
            conversation = %c.hashed(),
            call,
            status = answer.status,
            "LINE send failed"
        );
        classify(answer.status, &answer.body, answer.retry_after)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    message: String,
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorDetail {
    message: String,
    property: String,
}

/// LINE answers an expired or used token with 400 "Invalid reply token"; a request-validation
/// error may instead name the `replyToken` property in its details.
fn is_invalid_reply_token(body: &[u8]) -> bool {
    let error = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
    error.message.to_ascii_lowercase().contains("reply token")
        || error.details.iter().any(|d| {
            d.property == "replyToken" || d.message.to_ascii_lowercase().contains("reply token")
        })
}

/// Classifies a failed Messaging API call. LINE has no numeric error codes, so the HTTP status
/// is the code and the message only tells the monthly quota apart from a rate limit.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
    let code = Some(i64::from(status));
    let detail = describe(status, &error, body);
    match status {
        // Out of the plan's monthly messages: no wait helps until ops raise the plan, and then
        // the kept message can be redriven.
        429 if error.message.to_ascii_lowercase().contains("monthly limit") => {
            SendFailure::Transient { code, detail }
        }
        // LINE advises no delay; its limits are per second, so a second is the natural wait.
        429 => SendFailure::RateLimited {
            code,
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        // A bad or revoked channel access token, or a plan without this API: ops must fix it.
        401 | 403 => SendFailure::Transient { code, detail },
        // A bad request or recipient: the same call gets the same answer.
        400..=499 => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

fn describe(status: u16, error: &ErrorBody, body: &[u8]) -> String {
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
    for d in &error.details {
        detail.push_str(&format!("; {} {}", d.property, d.message));
    }
    truncate_chars(&detail, 500)
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::LINE`]).
pub fn webhook(values: &crate::registry::Values) -> LineWebhook {
    use chatdrop_domain::channel_spec::vars;
    LineWebhook {
        config: LineConfig {
            channel_secret: values.get(vars::LINE_CHANNEL_SECRET),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &crate::registry::Values, deps: &crate::registry::SenderDeps) -> LineSender {
    use chatdrop_domain::channel_spec::vars;
    LineSender {
        client: deps.client.clone(),
        config: LineSendConfig {
            api_base: values.get(vars::LINE_API_BASE),
            channel_access_token: values.get(vars::LINE_ACCESS_TOKEN),
        },
    }
}

impl crate::outbound::Outbound for LineSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::LINE
    }

    fn rules(&self) -> SendingRules {
        LineSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        LineSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(LineSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(LineSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server;
    use chatdrop_domain::reply::ReplyBundle;
    use std::sync::{Arc, Mutex};

    const SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";
    const USER: &str = "Uaaaabbbbccccddddeeeeffff00001111";
    const ACCESS_TOKEN: &str = "line-access-token-not-for-logs";

    // Published vector: https://github.com/line/line-bot-sdk-python `tests/test_signature.py`
    // (commit 873e5496): secret `channel_secret`, body `bodybodybodybody`.
    const VECTOR_SECRET: &str = "channel_secret";
    const VECTOR_BODY: &str = "bodybodybodybody";
    const VECTOR_SIGNATURE: &str = "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=";

    // Our own minimal examples in the shape of https://github.com/line/line-openapi `webhook.yml`.
    const TEXT: &str = r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"message","mode":"active","timestamp":1767225600000,
 "webhookEventId":"01JGXYZ8Q4N5P6R7S8T9V0W1X2","deliveryContext":{"isRedelivery":false},
 "source":{"type":"user","userId":"Uaaaabbbbccccddddeeeeffff00001111"},"replyToken":"b60d432864f44d079f6d8efe86cf404b",
 "message":{"id":"525111222333444","type":"text","quoteToken":"q3Plxr4AgKd...","text":"show menu"}}]}"#;

    const POSTBACK: &str = r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"postback","mode":"active","timestamp":1767225660000,
 "webhookEventId":"01JGXYZA1B2C3D4E5F6G7H8J9K","deliveryContext":{"isRedelivery":false},
 "source":{"type":"user","userId":"Uaaaabbbbccccddddeeeeffff00001111"},"replyToken":"8cf9239d56244f4197887e939187e19e",
 "postback":{"data":"action=buy&sku=blue_mug&qty=1"}}]}"#;

    fn webhook() -> LineWebhook {
        LineWebhook::new(LineConfig {
            channel_secret: SECRET.into(),
        })
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        BASE64.encode(signature::hmac_sha256(secret.as_bytes(), body))
    }

    fn request_with(
        webhook: &LineWebhook,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(s) = signature {
            headers.insert(SIGNATURE_HEADER, http::HeaderValue::from_str(s).unwrap());
        }
        if let Some(t) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_str(t).unwrap(),
            );
        }
        webhook.receive(&WebhookRequest {
            method: &http::Method::POST,
            headers: &headers,
            query: None,
            url: "https://shop.example/webhooks/line",
            body: body.as_bytes(),
        })
    }

    fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
        request_with(
            &webhook(),
            Some(&sign(SECRET, body.as_bytes())),
            Some("application/json; charset=utf-8"),
            body,
        )
    }

    fn messages(body: &str) -> Vec<InboundMessage> {
        match post(body) {
            Ok(WebhookOutcome::Messages(m)) => m,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    fn one(body: &str) -> InboundMessage {
        let mut m = messages(body);
        assert_eq!(m.len(), 1, "{m:?}");
        m.remove(0)
    }

    /// A callback with one event of `kind` from `source`, with `fields` added.
    fn event(kind: &str, source: &str, fields: &str) -> String {
        format!(
            r#"{{"destination":"U0123456789abcdef0123456789abcdef","events":[{{"type":"{kind}","mode":"active","timestamp":1767225700123,"webhookEventId":"01JGXYZC3D4E5F6G7H8J9K0M1N","deliveryContext":{{"isRedelivery":false}},"source":{source},"replyToken":"0f3779fba3b349968c5d07db31eab56f"{fields}}}]}}"#
        )
    }

    fn from_user(kind: &str, fields: &str) -> String {
        event(
            kind,
            &format!(r#"{{"type":"user","userId":"{USER}"}}"#),
            fields,
        )
    }

    fn message_of(kind: &str, extra: &str) -> String {
        from_user(
            "message",
            &format!(r#","message":{{"id":"525111222333999","type":"{kind}"{extra}}}"#),
        )
    }

    // --- verification ---------------------------------------------------------------------

    #[test]
    fn the_published_signature_vector_verifies() {
        assert_eq!(
            sign(VECTOR_SECRET, VECTOR_BODY.as_bytes()),
            VECTOR_SIGNATURE
        );
        let vector = LineWebhook::new(LineConfig {
            channel_secret: VECTOR_SECRET.into(),
        });
        let mut headers = http::HeaderMap::new();
        headers.insert(
            SIGNATURE_HEADER,
            http::HeaderValue::from_static(VECTOR_SIGNATURE),
        );
        assert_eq!(
            vector.verify_signature(&headers, VECTOR_BODY.as_bytes()),
            Ok(())
        );
        // Authentic, so it gets as far as the parser, which cannot read it.
        assert!(matches!(
            request_with(
                &vector,
                Some(VECTOR_SIGNATURE),
                Some("application/json"),
                VECTOR_BODY
            ),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn a_signed_callback_is_accepted() {
        assert!(matches!(post(TEXT), Ok(WebhookOutcome::Messages(_))));
    }

    #[test]
    fn a_tampered_body_is_unauthorized() {
        let signature = sign(SECRET, TEXT.as_bytes());
        let tampered = TEXT.replace("show menu", "free mugs");
        assert_eq!(
            request_with(
                &webhook(),
                Some(&signature),
                Some("application/json"),
                &tampered
            ),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn a_missing_wrong_or_unreadable_signature_is_unauthorized() {
        let other_secret = sign("another-channel-secret", TEXT.as_bytes());
        let good = sign(SECRET, TEXT.as_bytes());
        let truncated = &good[..good.len() - 4];
        let hex_instead = hex::encode(signature::hmac_sha256(SECRET.as_bytes(), TEXT.as_bytes()));
        for signature in [
            None,
            Some(""),
            Some(other_secret.as_str()),
            Some(truncated),
            Some("not base64!"),
            Some(hex_instead.as_str()),
        ] {
            assert!(
                matches!(
                    request_with(&webhook(), signature, Some("application/json"), TEXT),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{signature:?}"
            );
        }
    }

    #[test]
    fn the_signature_is_checked_before_the_body_is_read() {
        assert!(matches!(
            request_with(&webhook(), Some("AAAA"), Some("text/plain"), "not json"),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn an_unset_channel_secret_authenticates_nothing() {
        let unset = LineWebhook::new(LineConfig {
            channel_secret: String::new(),
        });
        assert!(matches!(
            request_with(
                &unset,
                Some(&sign("", TEXT.as_bytes())),
                Some("application/json"),
                TEXT
            ),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_body_that_is_not_json_is_unsupported() {
        let form = "events=1";
        for content_type in [
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
            None,
        ] {
            assert!(
                matches!(
                    request_with(
                        &webhook(),
                        Some(&sign(SECRET, form.as_bytes())),
                        content_type,
                        form
                    ),
                    Err(WebhookError::UnsupportedMediaType(_))
                ),
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn only_post_is_served() {
        for method in [http::Method::GET, http::Method::PUT] {
            let r = webhook().receive(&WebhookRequest {
                method: &method,
                headers: &http::HeaderMap::new(),
                query: None,
                url: "https://shop.example/webhooks/line",
                body: b"",
            });
            assert_eq!(r, Err(WebhookError::MethodNotAllowed));
        }
    }

    // --- parsing --------------------------------------------------------------------------

    #[test]
    fn the_verification_request_is_answered_with_nothing_queued() {
        assert_eq!(
            messages(r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[]}"#),
            vec![]
        );
    }

    #[test]
    fn parses_a_text_message_with_its_reply_token() {
        assert_eq!(
            one(TEXT),
            InboundMessage {
                conversation: ConversationId::new(Channel::Line, USER),
                event_id: "01JGXYZ8Q4N5P6R7S8T9V0W1X2".into(),
                sent_at: 1_767_225_600,
                locale: None,
                ack: None,
                reply_token: Some(ReplyToken {
                    token: "b60d432864f44d079f6d8efe86cf404b".into(),
                    use_before: 1_767_225_600 + REPLY_TOKEN_SECONDS,
                }),
                content: InboundContent::Text {
                    body: "show menu".into()
                },
            }
        );
    }

    #[test]
    fn parses_a_postback_as_its_exact_payload() {
        let m = one(POSTBACK);
        assert_eq!(m.event_id, "01JGXYZA1B2C3D4E5F6G7H8J9K");
        assert_eq!(m.sent_at, 1_767_225_660);
        assert_eq!(
            m.content,
            InboundContent::Action {
                payload: "action=buy&sku=blue_mug&qty=1".into(),
                title: None
            }
        );
        let empty = from_user("postback", r#","postback":{"data":""}"#);
        assert_eq!(
            one(&empty).content,
            InboundContent::Unsupported {
                kind: "postback_without_data".into()
            }
        );
    }

    #[test]
    fn milliseconds_become_seconds() {
        // 1767225700123 ms: the fraction is dropped, not rounded.
        assert_eq!(
            one(&message_of("text", r#","text":"hi""#)).sent_at,
            1_767_225_700
        );
    }

    #[test]
    fn an_image_is_its_message_id() {
        let image = message_of("image", r#","contentProvider":{"type":"line"}"#);
        assert_eq!(
            one(&image).content,
            InboundContent::Image {
                media_id: "525111222333999".into(),
                caption: None
            }
        );
    }

    #[test]
    fn other_message_types_are_unsupported_by_name() {
        for (kind, extra) in [
            (
                "sticker",
                r#","packageId":"446","stickerId":"1988","stickerResourceType":"STATIC""#,
            ),
            (
                "location",
                r#","latitude":35.6,"longitude":139.7,"address":"Tokyo""#,
            ),
            (
                "audio",
                r#","duration":3000,"contentProvider":{"type":"line"}"#,
            ),
            (
                "video",
                r#","duration":3000,"contentProvider":{"type":"line"}"#,
            ),
            ("file", r#","fileName":"a.pdf","fileSize":100"#),
        ] {
            assert_eq!(
                one(&message_of(kind, extra)).content,
                InboundContent::Unsupported { kind: kind.into() },
                "{kind}"
            );
        }
    }

    #[test]
    fn follow_opts_in_and_unfollow_opts_out() {
        let follow = one(&from_user("follow", r#","follow":{"isUnblocked":true}"#));
        assert_eq!(follow.content, InboundContent::OptIn);
        // The welcome can go out as a free reply.
        assert!(follow.reply_token.is_some());

        let unfollow = from_user("unfollow", "")
            .replace(r#","replyToken":"0f3779fba3b349968c5d07db31eab56f""#, "");
        let m = one(&unfollow);
        assert_eq!(m.content, InboundContent::OptOut);
        assert_eq!(m.reply_token, None);
    }

    #[test]
    fn groups_and_rooms_are_ignored() {
        let group = event(
            "message",
            &format!(
                r#"{{"type":"group","groupId":"Ca56f94637cc4347f90a25382909b24b9","userId":"{USER}"}}"#
            ),
            r#","message":{"id":"1","type":"text","text":"hi"}"#,
        );
        assert_eq!(messages(&group), vec![]);
        let room = event(
            "message",
            &format!(
                r#"{{"type":"room","roomId":"Ra8dbf4673c4c812cd491258042226c99","userId":"{USER}"}}"#
            ),
            r#","message":{"id":"1","type":"text","text":"hi"}"#,
        );
        assert_eq!(messages(&room), vec![]);
        let join = event(
            "join",
            r#"{"type":"group","groupId":"Ca56f94637cc4347f90a25382909b24b9"}"#,
            "",
        );
        assert_eq!(messages(&join), vec![]);
    }

    #[test]
    fn standby_events_are_ignored() {
        let standby = TEXT.replace(r#""mode":"active""#, r#""mode":"standby""#);
        assert_eq!(messages(&standby), vec![]);
    }

    #[test]
    fn a_redelivery_keeps_the_event_id() {
        let redelivered = TEXT.replace(r#""isRedelivery":false"#, r#""isRedelivery":true"#);
        let first = one(TEXT);
        let again = one(&redelivered);
        assert_eq!(again.event_id, first.event_id);
        assert_eq!(again.dedup_identity(), first.dedup_identity());
    }

    #[test]
    fn events_we_do_not_serve_are_skipped_and_the_rest_kept_in_order() {
        let unsend = from_user("unsend", r#","unsend":{"messageId":"325708"}"#);
        let events = |body: &str| -> String {
            let v: Value = serde_json::from_str(body).unwrap();
            v["events"][0].to_string()
        };
        let body = format!(
            r#"{{"destination":"U0","events":[{},{},{},{}]}}"#,
            events(TEXT),
            events(&unsend),
            r#"{"type":"message","timestamp":"yesterday"}"#,
            events(POSTBACK)
        );
        let m = messages(&body);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0].event_id, "01JGXYZ8Q4N5P6R7S8T9V0W1X2");
        assert_eq!(m[1].event_id, "01JGXYZA1B2C3D4E5F6G7H8J9K");
    }

    #[test]
    fn unreadable_callbacks_are_malformed_without_panicking() {
        for body in [
            "{",
            "[]",
            "null",
            "{}",
            r#"{"events":{}}"#,
            r#"{"events":"x"}"#,
        ] {
            assert!(
                matches!(post(body), Err(WebhookError::Malformed(_))),
                "{body}"
            );
        }
        // Authentic and readable, but nothing a customer said.
        assert_eq!(messages(r#"{"events":[{}]}"#), vec![]);
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
            .map(|i| choice(&format!("c:p:{i}"), &format!("Item {i}")))
            .collect()
    }

    fn choices_reply(body: &str, list: Vec<Choice>) -> Reply {
        Reply::Choices {
            body: body.into(),
            menu_label: "Menu".into(),
            choices: list,
        }
    }

    fn single(mut v: Vec<Value>) -> Value {
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    #[test]
    fn text_is_a_text_message() {
        assert_eq!(
            single(render(Lang::En, &Reply::Text { body: "hi".into() })),
            json!({ "type": "text", "text": "hi" })
        );
        assert!(render(Lang::En, &Reply::Text { body: " ".into() }).is_empty());
    }

    #[test]
    fn long_text_is_split_at_5000_utf16_units() {
        assert_eq!(
            render(
                Lang::En,
                &Reply::Text {
                    body: "a".repeat(5000)
                }
            )
            .len(),
            1
        );
        assert_eq!(
            render(
                Lang::En,
                &Reply::Text {
                    body: "a".repeat(5001)
                }
            )
            .len(),
            2
        );
        // 2,501 emoji are 2,501 characters but 5,002 UTF-16 units: over LINE's limit.
        let emoji = render(
            Lang::En,
            &Reply::Text {
                body: "🍎".repeat(2501),
            },
        );
        assert_eq!(emoji.len(), 2);
        for m in &emoji {
            assert!(utf16_len(m["text"].as_str().unwrap()) <= 5000);
        }
    }

    #[test]
    fn choices_are_quick_reply_postbacks_carrying_the_payload() {
        let m = single(render(
            Lang::En,
            &choices_reply(
                "Pick one",
                vec![choice("c:p:tee", "Tee"), choice("k:v", "View cart")],
            ),
        ));
        assert_eq!(
            m,
            json!({
                "type": "text",
                "text": "Pick one",
                "quickReply": { "items": [
                    { "type": "action", "action": { "type": "postback", "label": "Tee", "data": "c:p:tee", "displayText": "Tee" } },
                    { "type": "action", "action": { "type": "postback", "label": "View cart", "data": "k:v", "displayText": "View cart" } },
                ]},
            })
        );
    }

    #[test]
    fn thirteen_choices_fit_and_fourteen_are_numbered_text() {
        let m = single(render(Lang::En, &choices_reply("Pick", choices(13))));
        assert_eq!(m["quickReply"]["items"].as_array().unwrap().len(), 13);

        let m = single(render(Lang::En, &choices_reply("Pick", choices(14))));
        assert!(m.get("quickReply").is_none());
        let text = m["text"].as_str().unwrap();
        assert!(text.starts_with("Pick\n\n1. Item 1\n"), "{text}");
        assert!(
            text.contains("\n14. Item 14\n\nReply with a number."),
            "{text}"
        );
    }

    #[test]
    fn labels_are_cut_to_20_characters_and_the_full_title_listed() {
        let title = "Organic cotton tee, heather grey"; // 32 characters
        let m = single(render(
            Lang::En,
            &choices_reply(
                "Pick",
                vec![choice("c:p:tee", title), choice("c:m", "Menu")],
            ),
        ));
        let action = &m["quickReply"]["items"][0]["action"];
        let label = action["label"].as_str().unwrap();
        assert_eq!(label.chars().count(), 20);
        assert!(label.ends_with('…'));
        assert_eq!(action["displayText"], json!(title));
        assert_eq!(action["data"], json!("c:p:tee"));
        // The button cannot show it all, so the message does.
        assert_eq!(m["text"], json!(format!("Pick\n\n1. {title}\n2. Menu")));
    }

    #[test]
    fn descriptions_are_listed_in_the_text() {
        let mut list = vec![choice("c:p:mug", "Blue mug"), choice("k:v", "View cart")];
        list[0].description = Some("$12.00".into());
        let m = single(render(Lang::En, &choices_reply("Mugs", list)));
        assert_eq!(
            m["text"],
            json!("Mugs\n\n1. Blue mug — $12.00\n2. View cart")
        );
        assert_eq!(
            m["quickReply"]["items"][0]["action"]["label"],
            json!("Blue mug")
        );
    }

    #[test]
    fn a_payload_over_300_characters_makes_numbered_text() {
        let fits = "x".repeat(300);
        let m = single(render(
            Lang::En,
            &choices_reply("Pick", vec![choice(&fits, "One")]),
        ));
        assert_eq!(m["quickReply"]["items"][0]["action"]["data"], json!(fits));

        let long = "x".repeat(301);
        let m = single(render(
            Lang::Ja,
            &choices_reply("選んで", vec![choice("c:m", "Menu"), choice(&long, "Two")]),
        ));
        assert!(m.get("quickReply").is_none());
        assert_eq!(
            m["text"],
            json!(format!(
                "選んで\n\n1. Menu\n2. Two\n\n{}",
                Msg::ReplyWithNumber.text(Lang::Ja)
            ))
        );
        assert!(!m.to_string().contains(&long));
    }

    #[test]
    fn a_quick_reply_always_rides_on_text() {
        let m = single(render(
            Lang::En,
            &choices_reply("", vec![choice("c:m", "Menu")]),
        ));
        assert_eq!(m["text"], json!("Menu"));
        let unlabelled = Reply::Choices {
            body: String::new(),
            menu_label: String::new(),
            choices: vec![choice("c:m", "")],
        };
        let m = single(render(Lang::En, &unlabelled));
        assert_eq!(m["text"], json!(Msg::ChooseLabel.text(Lang::En)));
        assert_eq!(m["quickReply"]["items"][0]["action"]["label"], json!("1"));
    }

    #[test]
    fn a_long_body_carries_the_quick_reply_on_its_last_part() {
        let body = format!("{}\n{}", "a".repeat(4900), "b".repeat(200));
        let v = render(Lang::En, &choices_reply(&body, vec![choice("c:m", "Menu")]));
        assert_eq!(v.len(), 2);
        assert!(v[0].get("quickReply").is_none());
        assert!(v[1].get("quickReply").is_some());
    }

    #[test]
    fn an_image_is_an_image_message_then_its_caption() {
        let v = render(
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("Blue mug".into()),
            },
        );
        assert_eq!(
            v,
            vec![
                json!({ "type": "image", "originalContentUrl": "https://cdn.example/mug.jpg", "previewImageUrl": "https://cdn.example/mug.jpg" }),
                json!({ "type": "text", "text": "Blue mug" }),
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
    fn a_link_is_a_flex_bubble_with_a_uri_button() {
        let m = single(render(
            Lang::En,
            &Reply::Link {
                body: "Ready to pay.".into(),
                label: "Pay with card or wallet".into(),
                url: "https://checkout.stripe.com/c/pay/cs_test".into(),
            },
        ));
        assert_eq!(m["type"], json!("flex"));
        assert_eq!(m["altText"], json!("Ready to pay."));
        assert_eq!(m["contents"]["type"], json!("bubble"));
        assert_eq!(
            m["contents"]["body"]["contents"][0]["text"],
            json!("Ready to pay.")
        );
        let action = &m["contents"]["footer"]["contents"][0]["action"];
        assert_eq!(action["type"], json!("uri"));
        assert_eq!(
            action["uri"],
            json!("https://checkout.stripe.com/c/pay/cs_test")
        );
        assert_eq!(action["label"], json!("Pay with card or wa…"));
    }

    #[test]
    fn a_link_too_long_for_a_button_is_text() {
        let url = format!("https://shop.example/{}", "p".repeat(1000));
        let m = single(render(
            Lang::En,
            &Reply::Link {
                body: "Ready to pay.".into(),
                label: "Pay".into(),
                url: url.clone(),
            },
        ));
        assert_eq!(m["type"], json!("text"));
        assert_eq!(m["text"], json!(format!("Ready to pay.\n\nPay: {url}")));
    }

    #[test]
    fn alt_text_is_cut_in_utf16_units() {
        let cut = truncate_utf16(&"🍎".repeat(1000), LIMITS.alt_text);
        assert!(utf16_len(&cut) <= LIMITS.alt_text);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_utf16("short", LIMITS.alt_text), "short");
    }

    // --- batches --------------------------------------------------------------------------

    fn sender(base: &str) -> LineSender {
        LineSender::new(
            crate::http_client(Duration::from_secs(5)),
            LineSendConfig {
                api_base: base.into(),
                channel_access_token: ACCESS_TOKEN.into(),
            },
        )
    }

    fn text(body: &str) -> Reply {
        Reply::Text { body: body.into() }
    }

    fn captioned_image() -> Reply {
        Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        }
    }

    #[test]
    fn batches_hold_at_most_five_messages_per_call() {
        let s = sender("http://unused");
        assert_eq!(
            s.batches(&vec![text("a"); 6], SendMode::Session),
            vec![5, 1]
        );
        assert_eq!(s.batches(&vec![text("a"); 5], SendMode::Session), vec![5]);
        // Two messages each: two images make four, a third would make six.
        let replies = vec![
            captioned_image(),
            captioned_image(),
            captioned_image(),
            text("a"),
        ];
        assert_eq!(s.batches(&replies, SendMode::Session), vec![2, 2]);
        // A reply too big for one call goes alone; an empty one costs nothing.
        let replies = vec![text("a"), text(&"b".repeat(6 * 5000)), text(" "), text("c")];
        assert_eq!(s.batches(&replies, SendMode::Session), vec![1, 1, 2]);
        assert!(s.batches(&[], SendMode::OrderUpdate).is_empty());
    }

    // --- sending --------------------------------------------------------------------------

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Line, USER)
    }

    fn bundle(replies: Vec<Reply>, token: Option<ReplyToken>) -> ReplyBundle {
        ReplyBundle {
            id: "bundle-1".into(),
            conversation: ana(),
            lang: Lang::En,
            ack: None,
            reply_token: token,
            update: None,
            replies,
        }
    }

    fn outgoing(b: &ReplyBundle, now: i64) -> Outgoing<'_> {
        Outgoing {
            bundle: b,
            first: 0,
            replies: &b.replies,
            mode: SendMode::Session,
            now,
        }
    }

    fn token() -> Option<ReplyToken> {
        Some(ReplyToken {
            token: "b60d432864f44d079f6d8efe86cf404b".into(),
            use_before: 1_000,
        })
    }

    const SENT: &str =
        r#"{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b..."}]}"#;

    #[test]
    fn the_retry_key_is_the_idempotency_key_as_a_uuid() {
        let key = "0123456789abcdef0123456789abcdef00112233445566778899aabbccddeeff";
        assert_eq!(retry_key(key, 0), "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(retry_key(key, 0), retry_key(key, 0));
        let second = retry_key(key, 1);
        assert_ne!(second, retry_key(key, 0));
        assert_eq!(
            second.split('-').map(str::len).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
    }

    #[tokio::test]
    async fn a_good_reply_token_is_used_for_a_reply() {
        let server = test_server::serve(200, vec![], SENT).await;
        let b = bundle(vec![text("hi")], token());
        let sent = sender(&server.base)
            .send(&outgoing(&b, 999))
            .await
            .expect("sent");
        assert_eq!(sent, Sent::ids(["461230966842064897".to_string()]));
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, http::Method::POST);
        assert_eq!(requests[0].path, "/v2/bot/message/reply");
        assert_eq!(
            requests[0].body,
            json!({
                "replyToken": "b60d432864f44d079f6d8efe86cf404b",
                "messages": [{ "type": "text", "text": "hi" }],
            })
        );
        assert_eq!(
            requests[0].headers.get("authorization").unwrap(),
            &format!("Bearer {ACCESS_TOKEN}")
        );
        assert!(requests[0].headers.get(RETRY_KEY_HEADER).is_none());
    }

    #[tokio::test]
    async fn without_a_good_token_it_pushes_with_a_retry_key() {
        let server = test_server::serve(200, vec![], SENT).await;
        // The token expired by our clock: the domain no longer offers it.
        let b = bundle(vec![text("hi"), captioned_image()], token());
        let out = outgoing(&b, 1_000);
        let sent = sender(&server.base).send(&out).await.expect("sent");
        assert_eq!(sent.message_ids, vec!["461230966842064897".to_string()]);
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].path, "/v2/bot/message/push");
        assert_eq!(requests[0].body["to"], json!(USER));
        assert_eq!(requests[0].body["messages"].as_array().unwrap().len(), 3);
        let expected = retry_key(&out.idempotency_key(), 0);
        assert_eq!(
            requests[0].headers.get(RETRY_KEY_HEADER).unwrap(),
            expected.as_str()
        );
        assert_eq!(
            requests[0].headers.get("authorization").unwrap(),
            &format!("Bearer {ACCESS_TOKEN}")
        );
    }

    #[tokio::test]
    async fn a_retried_push_answered_409_counts_as_sent() {
        let server = test_server::serve(
            409,
            vec![],
            r#"{"message":"The retry key is already accepted","sentMessages":[{"id":"461230966842064897"}]}"#,
        )
        .await;
        let b = bundle(vec![text("hi")], None);
        let sent = sender(&server.base).send(&outgoing(&b, 0)).await;
        assert_eq!(sent, Ok(Sent::ids(["461230966842064897".to_string()])));
    }

    #[tokio::test]
    async fn a_409_to_a_reply_is_not_taken_for_success() {
        let server = test_server::serve(409, vec![], r#"{"message":"Conflict"}"#).await;
        let b = bundle(vec![text("hi")], token());
        let f = sender(&server.base).send(&outgoing(&b, 0)).await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(409),
                    ..
                })
            ),
            "{f:?}"
        );
    }

    /// A server answering the reply endpoint with `reply` and everything else with `SENT`,
    /// recording (path, body, retry key) of each request.
    async fn line_api(
        reply: (u16, &'static str),
    ) -> (String, Arc<Mutex<Vec<(String, Value, Option<String>)>>>) {
        use axum::extract::State;
        type Log = Arc<Mutex<Vec<(String, Value, Option<String>)>>>;
        async fn handle(
            State((log, reply)): State<(Log, (u16, &'static str))>,
            uri: http::Uri,
            headers: http::HeaderMap,
            body: axum::body::Bytes,
        ) -> (http::StatusCode, String) {
            let key = headers
                .get(RETRY_KEY_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            log.lock()
                .unwrap()
                .push((uri.path().to_string(), body, key));
            if uri.path() == REPLY_PATH {
                (
                    http::StatusCode::from_u16(reply.0).unwrap(),
                    reply.1.to_string(),
                )
            } else {
                (http::StatusCode::OK, SENT.to_string())
            }
        }
        let log: Log = Arc::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state((log.clone(), reply));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (base, log)
    }

    #[tokio::test]
    async fn a_refused_reply_token_falls_back_to_a_push_in_the_same_call() {
        let (base, log) = line_api((400, r#"{"message":"Invalid reply token"}"#)).await;
        let b = bundle(vec![text("hi")], token());
        let out = outgoing(&b, 0);
        let sent = sender(&base).send(&out).await.expect("sent");
        assert_eq!(sent.message_ids.len(), 1);
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].0, "/v2/bot/message/reply");
        assert_eq!(log[1].0, "/v2/bot/message/push");
        assert_eq!(log[1].1["messages"], log[0].1["messages"]);
        assert_eq!(log[1].2, Some(retry_key(&out.idempotency_key(), 0)));
    }

    #[tokio::test]
    async fn other_reply_failures_do_not_push() {
        let (base, log) = line_api((400, r#"{"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]}"#)).await;
        let b = bundle(vec![text("hi")], token());
        let f = sender(&base).send(&outgoing(&b, 0)).await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(400),
                    ..
                })
            ),
            "{f:?}"
        );
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn more_than_five_messages_take_a_reply_then_keyed_pushes() {
        let (base, log) = line_api((200, SENT)).await;
        let b = bundle(vec![text(&"a".repeat(6 * 5000))], token());
        let out = outgoing(&b, 0);
        let sent = sender(&base).send(&out).await.expect("sent");
        assert_eq!(sent.message_ids.len(), 2);
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].0, "/v2/bot/message/reply");
        assert_eq!(log[0].1["messages"].as_array().unwrap().len(), 5);
        assert_eq!(log[1].0, "/v2/bot/message/push");
        assert_eq!(log[1].1["messages"].as_array().unwrap().len(), 1);
        assert_eq!(log[1].2, Some(retry_key(&out.idempotency_key(), 1)));
    }

    #[tokio::test]
    async fn nothing_to_say_makes_no_call() {
        let server = test_server::serve(500, vec![], "").await;
        let b = bundle(vec![text("  ")], token());
        assert_eq!(
            sender(&server.base).send(&outgoing(&b, 0)).await,
            Ok(Sent::default())
        );
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn send_classifies_api_errors() {
        let server = test_server::serve(429, vec![], r#"{"message":"Too many requests"}"#).await;
        let b = bundle(vec![text("hi")], None);
        assert_eq!(
            sender(&server.base).send(&outgoing(&b, 0)).await,
            Err(SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(1)
            })
        );
        let server = test_server::serve(
            401,
            vec![],
            r#"{"message":"Authentication failed. Confirm that the access token in the authorization header is valid."}"#,
        )
        .await;
        let f = sender(&server.base).send(&outgoing(&b, 0)).await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Transient {
                    code: Some(401),
                    ..
                })
            ),
            "{f:?}"
        );
    }

    #[tokio::test]
    async fn transport_failures_are_transient_and_never_reveal_the_token() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let b = bundle(vec![text("hi")], None);
        let f = sender(&base).send(&outgoing(&b, 0)).await;
        let Err(SendFailure::Transient { code: None, detail }) = f else {
            panic!("{f:?}");
        };
        assert!(!detail.contains(ACCESS_TOKEN), "{detail}");
        assert!(!detail.contains(USER), "{detail}");
    }

    #[tokio::test]
    async fn acknowledge_does_nothing() {
        assert_eq!(
            sender("http://unused").acknowledge(&ana(), "x").await,
            Ok(())
        );
    }

    #[test]
    fn rules_have_no_window() {
        assert_eq!(sender("http://unused").rules(), SendingRules::NO_WINDOW);
    }

    // --- classification -------------------------------------------------------------------

    #[test]
    fn too_many_requests_waits_the_advised_delay_or_a_second() {
        assert_eq!(
            classify(429, br#"{"message":"Too many requests"}"#, None),
            SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(
            classify(429, b"", Some(Duration::from_secs(7))),
            SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(7)
            }
        );
    }

    #[test]
    fn the_monthly_quota_is_kept_for_a_redrive() {
        let f = classify(
            429,
            br#"{"message":"You have reached your monthly limit."}"#,
            None,
        );
        assert!(
            matches!(&f, SendFailure::Transient { code: Some(429), detail } if detail.contains("monthly limit")),
            "{f:?}"
        );
    }

    #[test]
    fn bad_requests_are_permanent_with_their_details() {
        let f = classify(
            400,
            br#"{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 300","property":"messages[0].quickReply.items[0].action.data"}]}"#,
            None,
        );
        let SendFailure::Permanent {
            code: Some(400),
            detail,
        } = f
        else {
            panic!("{f:?}");
        };
        assert!(
            detail.contains("messages[0].quickReply.items[0].action.data"),
            "{detail}"
        );
        assert!(matches!(
            classify(400, br#"{"message":"Failed to send messages"}"#, None),
            SendFailure::Permanent {
                code: Some(400),
                ..
            }
        ));
    }

    #[test]
    fn token_problems_and_server_errors_are_transient() {
        for status in [401, 403, 500, 502, 503] {
            let f = classify(status, br#"{"message":"x"}"#, None);
            assert!(
                matches!(f, SendFailure::Transient { .. }),
                "{status}: {f:?}"
            );
        }
        assert!(matches!(
            classify(502, b"<html>Bad Gateway</html>", None),
            SendFailure::Transient {
                code: Some(502),
                ..
            }
        ));
    }

    #[test]
    fn an_invalid_reply_token_is_recognised() {
        assert!(is_invalid_reply_token(
            br#"{"message":"Invalid reply token"}"#
        ));
        assert!(is_invalid_reply_token(
            br#"{"message":"The request body has 1 error(s)","details":[{"message":"invalid","property":"replyToken"}]}"#
        ));
        assert!(!is_invalid_reply_token(
            br#"{"message":"Failed to send messages"}"#
        ));
        assert!(!is_invalid_reply_token(b"not json"));
    }
}
