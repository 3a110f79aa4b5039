//! WhatsApp's webhook: the subscription check and signature (as every Meta webhook has them,
//! `crate::meta`), then the notification payload read into the domain's inbound messages.
//!
//! A notification nests `entry[].changes[].value`, and each value carries `messages` (what
//! customers wrote or tapped), `statuses` (what became of our messages) and `errors`. The
//! structs below read only the fields we use and default every one of them, so a payload of
//! a new shape degrades to "unsupported" instead of failing the whole batch.

use super::{WhatsappConfig, WhatsappWebhook};
use crate::meta;
use crate::text::non_empty;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_telemetry::redact;
use serde::Deserialize;

const BUSINESS_ACCOUNT_OBJECT: &str = "whatsapp_business_account";

impl WhatsappWebhook {
    pub fn new(config: WhatsappConfig) -> Self {
        WhatsappWebhook { config }
    }
}

impl Webhook for WhatsappWebhook {
    fn channel(&self) -> Channel {
        Channel::Whatsapp
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        let config = &self.config;
        meta::receive(request, &config.app_secret, &config.verify_token, |r| {
            parse_notification(r.body)
        })
    }
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
    #[serde(deserialize_with = "meta::timestamp")]
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
    #[serde(deserialize_with = "meta::timestamp")]
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
    let entries: Vec<Entry> = meta::entries(
        body,
        BUSINESS_ACCOUNT_OBJECT,
        "ignoring a non-WhatsApp notification",
    )?;
    let mut out = Vec::new();
    for change in entries.into_iter().flat_map(|e| e.changes) {
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
            None => InboundContent::unsupported("text"),
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
            None => InboundContent::unsupported("button"),
        },
        "image" => match m.image {
            Some(i) if !i.id.is_empty() => InboundContent::Image {
                media_id: i.id,
                caption: i.caption.filter(|c| !c.is_empty()),
            },
            _ => InboundContent::unsupported("image"),
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
            InboundContent::unsupported(other)
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

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
