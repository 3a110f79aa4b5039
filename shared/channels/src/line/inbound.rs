//! Inbound: the signature on the raw body, then each event read on its own.

use super::{LineConfig, LineWebhook};
use crate::signature;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::{InboundContent, InboundMessage, ReplyToken};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde_json::Value;

const SIGNATURE_HEADER: &str = "x-line-signature";

/// How long after its event a reply token is offered to the sender, in seconds.
pub const REPLY_TOKEN_SECONDS: i64 = 50;

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
            _ => InboundContent::unsupported("postback_without_data"),
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
        return InboundContent::unsupported("unknown");
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
        "" => InboundContent::unsupported("unknown"),
        // sticker, location, audio, video, file: named as LINE names them.
        other => InboundContent::unsupported(other),
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
