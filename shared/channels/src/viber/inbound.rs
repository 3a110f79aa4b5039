//! Inbound: the signature on the raw body, then the one event it carries.

use super::render::{TAP_PREFIX, keyboard, tap_body};
use super::{ViberConfig, ViberWebhook};
use crate::signature::{self, SignatureError};
use crate::text::truncate_chars;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type};
use chatdrop_domain::action::Action;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde_json::{Value, json};

const SIGNATURE_HEADER: &str = "x-viber-content-signature";
/// The query parameter the official Node SDK falls back to (`lib/middleware.js`).
const SIGNATURE_QUERY: &str = "sig";

impl ViberWebhook {
    pub fn new(config: ViberConfig) -> Self {
        ViberWebhook { config }
    }

    fn verify_signature(&self, request: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        // An HMAC under an empty key is one anybody can compute.
        if self.config.auth_token.is_empty() {
            return Err(WebhookError::Unauthorized("auth token not configured"));
        }
        let presented = match request.headers.get(SIGNATURE_HEADER) {
            Some(value) => value
                .to_str()
                .map_err(|_| WebhookError::Unauthorized("signature is not text"))?
                .to_string(),
            None => query_signature(request.query).ok_or(WebhookError::Unauthorized(
                "missing x-viber-content-signature",
            ))?,
        };
        signature::verify_hmac_sha256_hex(
            self.config.auth_token.as_bytes(),
            request.body,
            presented.trim(),
        )
        .map_err(|e| match e {
            SignatureError::Encoding => WebhookError::Unauthorized("signature is not hex"),
            SignatureError::Mismatch => WebhookError::Unauthorized("signature mismatch"),
        })
    }
}

/// `sig=<hex>` from the query string, if present (hex needs no percent-decoding).
fn query_signature(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == SIGNATURE_QUERY)
        .map(|(_, v)| v.to_string())
}

impl Webhook for ViberWebhook {
    fn channel(&self) -> Channel {
        Channel::Viber
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        if *request.method != http::Method::POST {
            return Err(WebhookError::MethodNotAllowed);
        }
        self.verify_signature(request)?;
        // Viber sends JSON; a body declared as anything else is not Viber, however it was
        // signed. No content type at all is read as JSON.
        match media_type(request.headers) {
            None => {}
            Some(t) if t == "application/json" => {}
            Some(other) => return Err(WebhookError::UnsupportedMediaType(other)),
        }
        let callback: Callback = serde_json::from_slice(request.body)
            .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
        if callback.event == "conversation_started" {
            let lang = callback
                .user
                .as_ref()
                .and_then(|u| u.language.as_deref())
                .and_then(Lang::from_locale)
                .unwrap_or(Lang::EN);
            return Ok(WebhookOutcome::Respond {
                content_type: "application/json",
                body: welcome(lang, &self.config.sender_name).to_string(),
            });
        }
        Ok(WebhookOutcome::Messages(
            inbound(callback).into_iter().collect(),
        ))
    }
}

/// The welcome message answering a `conversation_started`: the shop's greeting in `lang` and
/// one button that opens the menu. A `send_message` body without `receiver`
/// (<https://developers.viber.com/docs/api/rest-bot-api/#welcome-message>).
pub fn welcome(lang: Lang, sender_name: &str) -> Value {
    let button = json!({
        "Columns": 6,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": tap_body(&Action::Menu.encode()),
        "Text": Msg::Menu.text(lang),
        "Silent": true,
    });
    json!({
        "sender": { "name": truncate_chars(sender_name, super::LIMITS.sender_name) },
        "type": "text",
        "text": Msg::Welcome.text(lang),
        "keyboard": keyboard(vec![button]),
    })
}

/// The callback body: one event, its fields by event type
/// (<https://developers.viber.com/docs/api/rest-bot-api/#callbacks>).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Callback {
    event: String,
    /// Milliseconds.
    timestamp: i64,
    /// A 64-bit number; kept as JSON so no precision or sign is lost on the way to a string.
    message_token: Value,
    /// `message`: who wrote.
    sender: Option<User>,
    /// `subscribed`, `conversation_started`: who.
    user: Option<User>,
    /// `unsubscribed`, `delivered`, `seen`, `failed`: who.
    user_id: Option<String>,
    message: Option<Message>,
    /// `failed`: why.
    desc: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct User {
    id: String,
    /// The device's language (`en`, `uk`, `pt-BR`).
    language: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    media: Option<String>,
}

/// A `message_token` as text: the number's digits, or a string as sent.
fn token_text(token: &Value) -> Option<String> {
    match token {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn inbound(callback: Callback) -> Option<InboundMessage> {
    let kind = callback.event.as_str();
    let (customer, locale, content) = match kind {
        // The set-up check: 200 and nothing else.
        "webhook" => return None,
        "message" => {
            let sender = callback.sender?;
            (
                sender.id,
                sender.language,
                message_content(callback.message),
            )
        }
        "subscribed" => {
            let user = callback.user?;
            (user.id, user.language, InboundContent::OptIn)
        }
        "unsubscribed" => (callback.user_id?, None, InboundContent::OptOut),
        "delivered" | "seen" | "failed" => {
            let status = match kind {
                "delivered" => DeliveryStatus::Delivered,
                "seen" => DeliveryStatus::Read,
                _ => {
                    tracing::warn!(
                        reason = %truncate_chars(callback.desc.as_deref().unwrap_or_default(), 200),
                        "Viber reports a message failed"
                    );
                    DeliveryStatus::Failed
                }
            };
            let message_id = token_text(&callback.message_token)?;
            (
                callback.user_id?,
                None,
                InboundContent::Status {
                    message_id,
                    status,
                    error_code: None,
                },
            )
        }
        other => {
            tracing::debug!(kind = other, "ignoring a Viber event we do not serve");
            return None;
        }
    };
    if customer.is_empty() {
        tracing::warn!(kind, "skipping a Viber event without a user");
        return None;
    }
    // `unsubscribed` may come without a token; the user and the time then name the event.
    let event_id = token_text(&callback.message_token)
        .unwrap_or_else(|| format!("{kind}:{}:{}", customer, callback.timestamp));
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Viber, customer),
        event_id,
        sent_at: callback.timestamp.div_euclid(1000),
        locale: locale.filter(|l| !l.is_empty()),
        ack: None,
        reply_token: None,
        content,
    })
}

fn message_content(message: Option<Message>) -> InboundContent {
    let Some(m) = message else {
        return InboundContent::unsupported("unknown");
    };
    match m.kind.as_str() {
        "text" => {
            let text = m.text.unwrap_or_default();
            match text.strip_prefix(TAP_PREFIX) {
                Some(payload) if !payload.is_empty() => InboundContent::Action {
                    payload: payload.to_string(),
                    title: None,
                },
                _ => InboundContent::Text { body: text },
            }
        }
        // The media URL is where the picture is; the text its caption.
        "picture" => match m.media.filter(|u| !u.is_empty()) {
            Some(media_id) => InboundContent::Image {
                media_id,
                caption: m.text.filter(|t| !t.trim().is_empty()),
            },
            None => InboundContent::unsupported("picture"),
        },
        "" => InboundContent::unsupported("unknown"),
        // video, file, sticker, contact, location, url: named as Viber names them.
        other => InboundContent::unsupported(other),
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
