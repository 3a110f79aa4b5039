//! Messenger's webhook: the subscription check and signature (as every Meta webhook has them,
//! `crate::meta`), the content type, then the `page` notification read into the domain's
//! inbound messages.
//!
//! An entry carries two arrays of events. `messaging` is what a thread's owner gets: the
//! customer's messages, taps, receipts and the handover protocol's moves, answered by the
//! flows. `standby` is what the Page's other apps get while one of them owns the thread
//! (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/standby>):
//! here, while the Page inbox has a conversation chatdrop handed over (`handover.rs`). From it
//! only two things are read, both never answered: the customer's message, as
//! [`InboundContent::Overheard`] (for the thread the console shows), and the echo of a message
//! a person sent from another app (`is_echo` with an `app_id` that is not ours,
//! <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes>),
//! as [`InboundContent::InboxReplied`] (the handoff's agent activity). An echo is the Page's
//! own message: its `sender` is the Page and its `recipient` the customer. A postback in
//! standby comes without its payload (only the app that sent the button gets it), so only its
//! title is kept.

use super::{MessengerConfig, MessengerWebhook};
use crate::meta;
use crate::text::non_empty;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

const PAGE_OBJECT: &str = "page";

impl MessengerWebhook {
    pub fn new(config: MessengerConfig) -> Self {
        MessengerWebhook { config }
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
        let config = &self.config;
        meta::receive(request, &config.app_secret, &config.verify_token, |r| {
            check_media_type(r.headers)?;
            parse_notification(r.body, config.app_id.as_deref())
        })
    }
}

// Every field defaults: Meta adds fields and event kinds without notice, and a new one must
// degrade to "ignored" or "unsupported", not to a failed webhook Meta keeps redelivering.

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    messaging: Vec<Messaging>,
    /// Events of a thread another app owns (the module doc): heard, never answered.
    standby: Vec<Messaging>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Messaging {
    sender: Party,
    /// The Page, or for an echo (the Page's own message) the customer.
    recipient: Party,
    /// Unix milliseconds.
    #[serde(deserialize_with = "meta::timestamp")]
    timestamp: i64,
    message: Option<MsgEvent>,
    postback: Option<Postback>,
    delivery: Option<Watermark>,
    read: Option<Watermark>,
    /// `messaging_optins`: here, a customer stopping or resuming marketing messages.
    optin: Option<Optin>,
    /// `messaging_handovers`: the thread passed to an app, or taken from one (`handover.rs`).
    pass_thread_control: Option<ThreadControl>,
    take_thread_control: Option<ThreadControl>,
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
    /// On an echo: the app that sent the message (a number in Meta's examples; none for a
    /// message typed on the Page without an app, as far as the docs say).
    #[serde(deserialize_with = "app_id")]
    app_id: Option<String>,
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
    #[serde(deserialize_with = "meta::timestamp")]
    watermark: i64,
}

/// A `messaging_handovers` event's `pass_thread_control` or `take_thread_control`
/// (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_handovers/>):
/// which app had the thread, which has it now, and the caller's `metadata`. Meta documents the
/// ids as strings; `previous_owner_app_id` is null when the thread was idle, and an example
/// shows an id unquoted, so a number reads too.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ThreadControl {
    #[serde(deserialize_with = "app_id")]
    new_owner_app_id: Option<String>,
    #[serde(deserialize_with = "app_id")]
    previous_owner_app_id: Option<String>,
    metadata: Option<String>,
}

fn app_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn parse_notification(
    body: &[u8],
    ours: Option<&str>,
) -> Result<Vec<InboundMessage>, WebhookError> {
    // Another object is Instagram (`instagram`) or a Page feed subscription pointed at this
    // URL by mistake.
    let entries: Vec<Entry> = meta::entries(
        body,
        PAGE_OBJECT,
        "ignoring a non-page Messenger notification",
    )?;
    Ok(entries
        .into_iter()
        .flat_map(|e| {
            let owned = e
                .messaging
                .into_iter()
                .flat_map(|m| inbound_events(m, ours));
            let standby = e.standby.into_iter().flat_map(|m| standby_events(m, ours));
            owned.chain(standby).collect::<Vec<_>>()
        })
        .collect())
}

/// One `standby[]` event (the module doc): the customer's message or a postback's title as
/// [`InboundContent::Overheard`], another app's echo as [`InboundContent::InboxReplied`];
/// everything else (our own echoes, receipts, unknown kinds) nothing.
fn standby_events(m: Messaging, ours: Option<&str>) -> Vec<InboundMessage> {
    let ms = m.timestamp;
    let echo = m.message.as_ref().is_some_and(|message| message.is_echo);
    // The customer: the sender of what they sent, the recipient of the Page's echo.
    let customer = if echo { m.recipient.id } else { m.sender.id };
    if customer.is_empty() {
        tracing::warn!(
            echo,
            "skipping a Messenger standby event without its customer"
        );
        return Vec::new();
    }
    let from = Sender::new(customer, ms);
    let conversation = &from.conversation;
    let event = |event_id: String, content: InboundContent| from.message(event_id, content);
    let id_or_fallback = |mid: String, kind: &str| from.id_or(mid, &format!("standby-{kind}"));
    if let Some(message) = m.message {
        if !echo {
            let said = message_content(&message, conversation);
            let content = InboundContent::Overheard {
                content: Box::new(said),
            };
            return vec![event(id_or_fallback(message.mid, "message"), content)];
        }
        // Without our app id our own echoes cannot be told from a person's, as with the
        // handover events: not followed.
        let Some(ours) = ours else {
            tracing::warn!(conversation = %conversation.hashed(), "a standby echo, but CHATDROP_MESSENGER_APP_ID is not set: not followed");
            return Vec::new();
        };
        if message.app_id.as_deref() == Some(ours) {
            tracing::debug!(conversation = %conversation.hashed(), "our own echo in standby; ignored");
            return Vec::new();
        }
        let content = InboundContent::InboxReplied {
            text: message.text.and_then(non_empty),
        };
        return vec![event(id_or_fallback(message.mid, "echo"), content)];
    }
    if let Some(postback) = m.postback {
        let Some(title) = non_empty(postback.title) else {
            tracing::debug!(conversation = %conversation.hashed(), "a standby postback without a title; ignored");
            return Vec::new();
        };
        let content = InboundContent::Overheard {
            content: Box::new(InboundContent::Action {
                payload: postback.payload,
                title: Some(title),
            }),
        };
        return vec![event(id_or_fallback(postback.mid, "postback"), content)];
    }
    let kind = m
        .other
        .keys()
        .next()
        .map(String::as_str)
        .unwrap_or("unknown");
    tracing::debug!(kind = %kind, conversation = %conversation.hashed(), "ignoring a Messenger standby event kind we do not follow");
    Vec::new()
}

/// One `messaging[]` event as zero or more inbound messages (a delivery receipt covers several
/// of our messages).
/// A `messaging_optins` event. For Marketing Messages, `type` is `notification_messages` and
/// `notification_messages_status` says whether the customer stopped or resumed them
/// (<https://developers.facebook.com/docs/messenger-platform/marketing-messages/>,
/// <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_optins/>).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Optin {
    #[serde(rename = "type")]
    kind: String,
    notification_messages_status: Option<String>,
}

/// Whose event it is and when (Meta's milliseconds): what every event of one `messaging[]` or
/// `standby[]` entry shares.
struct Sender {
    conversation: ConversationId,
    ms: i64,
}

impl Sender {
    fn new(customer: String, ms: i64) -> Self {
        Sender {
            conversation: ConversationId::new(Channel::Messenger, customer),
            ms,
        }
    }

    fn message(&self, event_id: String, content: InboundContent) -> InboundMessage {
        InboundMessage {
            conversation: self.conversation.clone(),
            event_id,
            sent_at: self.ms.div_euclid(1000),
            locale: None,
            ack: None,
            reply_token: None,
            content,
        }
    }

    /// The event's id: Meta gives every message and postback a `mid`; older Get Started
    /// postbacks lack one, and then the sender and the millisecond identify the event well
    /// enough to deduplicate a redelivery. The sender goes in hashed, since event ids may be
    /// logged.
    fn id_or(&self, mid: String, kind: &str) -> String {
        if mid.is_empty() {
            format!("{kind}:{}:{}", self.conversation.hashed(), self.ms)
        } else {
            mid
        }
    }
}

/// `ours`: this deployment's app id, which the handover events are read against.
fn inbound_events(m: Messaging, ours: Option<&str>) -> Vec<InboundMessage> {
    if m.sender.id.is_empty() {
        // Without a sender there is nobody to answer.
        tracing::warn!("skipping a Messenger event without a sender");
        return Vec::new();
    }
    let from = Sender::new(m.sender.id, m.timestamp);
    let conversation = &from.conversation;
    let ms = m.timestamp;
    let event = |event_id: String, content: InboundContent| from.message(event_id, content);
    let id_or_fallback = |mid: String, kind: &str| from.id_or(mid, kind);

    if let Some(message) = m.message {
        if message.is_echo {
            tracing::debug!(kind = "echo", conversation = %conversation.hashed(), "ignored");
            return Vec::new();
        }
        let content = message_content(&message, conversation);
        return vec![event(id_or_fallback(message.mid, "message"), content)];
    }
    if let Some(postback) = m.postback {
        let content = if postback.payload.is_empty() {
            InboundContent::unsupported("postback_without_payload")
        } else {
            InboundContent::Action {
                payload: postback.payload,
                title: non_empty(postback.title),
            }
        };
        return vec![event(id_or_fallback(postback.mid, "postback"), content)];
    }
    if let Some(optin) = m.optin {
        let opted_in = match (
            optin.kind.as_str(),
            optin.notification_messages_status.as_deref(),
        ) {
            ("notification_messages", Some("STOP_NOTIFICATIONS")) => false,
            ("notification_messages", Some("RESUME_NOTIFICATIONS")) => true,
            _ => {
                tracing::debug!(kind = "optin", conversation = %conversation.hashed(), "ignored");
                return Vec::new();
            }
        };
        // No mid on an opt-in: the sender and the millisecond identify it.
        let id = format!("optin:{}:{ms}", conversation.hashed());
        return vec![event(id, InboundContent::Marketing { opted_in })];
    }
    // The handover protocol: the Page inbox passing the thread to our app is the conversation
    // going back to the bot; the inbox taking it from our app is a person taking it over.
    // Meta sends a pass to the new owner and a take to the previous one, and a move between
    // other apps of the Page is not ours to follow, so each is read against our app id.
    for (kind, control, gave_back) in [
        ("pass_thread_control", &m.pass_thread_control, true),
        ("take_thread_control", &m.take_thread_control, false),
    ] {
        let Some(control) = control else { continue };
        let Some(ours) = ours else {
            tracing::warn!(kind, conversation = %conversation.hashed(), "a handover event, but CHATDROP_MESSENGER_APP_ID is not set: not followed");
            return Vec::new();
        };
        let about_us = if gave_back {
            control.new_owner_app_id.as_deref() == Some(ours)
        } else {
            control.previous_owner_app_id.as_deref() == Some(ours)
        };
        if !about_us {
            tracing::debug!(kind, conversation = %conversation.hashed(), "a handover between other apps; ignored");
            return Vec::new();
        }
        let note = control.metadata.clone().and_then(non_empty);
        let content = if gave_back {
            InboundContent::InboxGaveBack { note }
        } else {
            InboundContent::InboxTook { note }
        };
        // No mid on a handover: the kind, the sender and the millisecond identify it.
        return vec![event(
            format!("{kind}:{}:{ms}", conversation.hashed()),
            content,
        )];
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
        return InboundContent::unsupported("sticker");
    }
    // Several pictures sent at once share one `mid`; the first stands for them all.
    let Some(first) = message.attachments.as_ref().and_then(|a| a.first()) else {
        tracing::info!(conversation = %conversation.hashed(), "Messenger message without text or attachments");
        return InboundContent::unsupported("message");
    };
    let url = first.payload.as_ref().and_then(|p| p.url.clone());
    match (first.kind.as_str(), url) {
        // Messenger hands out no media id, only a signed CDN URL (valid for a while): that URL
        // is the handle to fetch the picture by.
        ("image", Some(url)) if !url.is_empty() => InboundContent::Image {
            media_id: url,
            caption: None,
        },
        ("", _) => InboundContent::unsupported("attachment"),
        (kind, _) => InboundContent::unsupported(kind),
    }
}

fn status(message_id: String, status: DeliveryStatus) -> InboundContent {
    InboundContent::Status {
        message_id,
        status,
        error_code: None,
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "inbound_handover_tests.rs"]
mod handover_tests;

#[cfg(test)]
#[path = "inbound_standby_tests.rs"]
mod standby_tests;
