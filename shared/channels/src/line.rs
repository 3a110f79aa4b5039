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
//! for about a minute (platform-facts §4.3). It travels with the message as a
//! [`ReplyToken`] valid for [`REPLY_TOKEN_SECONDS`] after the event, a margin under LINE's
//! minute for clock skew and the reply's own flight time.
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
            .map_err(|e| WebhookError::Malformed(e.to_string()))?;
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
            tracing::warn!(error = %e, "skipping an unreadable LINE event");
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

/// Messaging API limits the renderer applies. Sources: line/line-openapi `messaging-api.yml`
/// (messages per call, quick-reply items, postback data, URI and image URL lengths) and the
/// Messaging API reference on developers.line.biz (text, labels, `displayText`, `altText`),
/// platform-facts §4.3.
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
        return text_messages(&numbered_text(body, choices, lang), None);
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

/// The form that always fits: the body, one numbered line per choice, and how to answer.
fn numbered_text(body: &str, choices: &[Choice], lang: Lang) -> String {
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
        let retry_after = retry_after_header(response.headers());
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

fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
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
