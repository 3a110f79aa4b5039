//! Inbound: the secret token Telegram echoes, then one `Update` read into at most one message.

use super::{TelegramConfig, TelegramWebhook};
use crate::signature;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

/// The header carrying the `secret_token` registered with `setWebhook`.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

impl TelegramWebhook {
    pub fn new(config: TelegramConfig) -> Self {
        TelegramWebhook { config }
    }

    fn verify_secret(&self, headers: &http::HeaderMap) -> Result<(), WebhookError> {
        // An unset secret must not match a missing header's empty value.
        if self.config.secret_token.is_empty() {
            return Err(WebhookError::Unauthorized("secret token not configured"));
        }
        let presented = headers
            .get(SECRET_HEADER)
            .ok_or(WebhookError::Unauthorized("missing secret token"))?;
        if signature::constant_time_eq(presented.as_bytes(), self.config.secret_token.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("wrong secret token"))
        }
    }
}

impl Webhook for TelegramWebhook {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        if *request.method != http::Method::POST {
            return Err(WebhookError::MethodNotAllowed);
        }
        self.verify_secret(request.headers)?;
        let update: Update = serde_json::from_slice(request.body)
            .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
        Ok(WebhookOutcome::Messages(
            inbound(update).into_iter().collect(),
        ))
    }
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    #[serde(default)]
    message: Option<TgMessage>,
    #[serde(default)]
    callback_query: Option<CallbackQuery>,
    /// The bot's own membership in a chat changed: in a private chat, the customer blocked
    /// (`kicked`) or unblocked (`member`) the bot.
    #[serde(default)]
    my_chat_member: Option<ChatMemberUpdated>,
    /// Every other key: the update kinds we ignore (edited_message, chat_member, …), kept
    /// by name only so the log can say what was skipped.
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TgMessage {
    from: Option<User>,
    chat: Option<Chat>,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    contact: Option<Contact>,
    photo: Option<Vec<PhotoSize>>,
    /// The remaining fields, by name: what kind of unsupported message this is.
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct User {
    id: i64,
    language_code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contact {
    phone_number: String,
    user_id: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PhotoSize {
    file_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackQuery {
    id: String,
    from: Option<User>,
    /// The message carrying the tapped button; absent for inline-mode messages.
    message: Option<CallbackMessage>,
    /// Absent for game buttons.
    data: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackMessage {
    chat: Option<Chat>,
    date: i64,
}

/// Message content fields we recognise but do not handle, most specific first: an animation
/// also carries `document`, a venue also carries `location`.
const UNSUPPORTED_KINDS: &[&str] = &[
    "sticker",
    "voice",
    "video_note",
    "video",
    "audio",
    "animation",
    "document",
    "venue",
    "location",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
    "successful_payment",
];

/// `ChatMemberUpdated` (<https://core.telegram.org/bots/api#chatmemberupdated>): only the
/// chat, the date and the bot's new status matter here.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ChatMemberUpdated {
    chat: Option<Chat>,
    date: i64,
    old_chat_member: MemberStatus,
    new_chat_member: MemberStatus,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MemberStatus {
    /// `member`, `kicked`, … (<https://core.telegram.org/bots/api#chatmember>).
    status: String,
}

fn inbound(update: Update) -> Option<InboundMessage> {
    let event_id = update.update_id.to_string();
    if let Some(message) = update.message {
        return inbound_message(event_id, message);
    }
    if let Some(query) = update.callback_query {
        return inbound_callback(event_id, query);
    }
    if let Some(change) = update.my_chat_member {
        return inbound_membership(event_id, change);
    }
    let kind = update.other.keys().find(|k| k.as_str() != "update_id");
    tracing::debug!(kind = ?kind, "ignoring a Telegram update kind we do not serve");
    None
}

fn inbound_message(event_id: String, m: TgMessage) -> Option<InboundMessage> {
    let chat = match m.chat {
        Some(chat) if chat.kind == "private" => chat,
        other => {
            let kind = other.map(|c| c.kind);
            tracing::debug!(chat_type = ?kind, "ignoring a message outside a private chat");
            return None;
        }
    };
    let conversation = ConversationId::new(Channel::Telegram, chat.id.to_string());
    let sender_id = m.from.as_ref().map(|u| u.id);
    let content = if let Some(text) = m.text {
        // Commands such as "/start" stay text: the flows decide what they mean.
        InboundContent::Text { body: text }
    } else if let Some(contact) = m.contact {
        match (contact.user_id, sender_id) {
            (Some(owner), Some(sender)) if owner == sender => match normalize_phone(&contact) {
                Some(phone) => InboundContent::Contact { phone },
                None => InboundContent::unsupported("contact"),
            },
            _ => InboundContent::unsupported("foreign_contact"),
        }
    } else if let Some(photo) = m.photo {
        // Sizes come smallest first; the last is the original resolution.
        match photo.into_iter().last().filter(|p| !p.file_id.is_empty()) {
            Some(largest) => InboundContent::Image {
                media_id: largest.file_id,
                caption: m.caption.filter(|c| !c.is_empty()),
            },
            None => InboundContent::unsupported("photo"),
        }
    } else {
        let kind = UNSUPPORTED_KINDS
            .iter()
            .find(|k| m.other.contains_key(**k))
            .copied()
            .unwrap_or("unknown");
        if kind == "unknown" {
            tracing::info!(conversation = %conversation.hashed(), "unknown Telegram message kind");
        }
        InboundContent::unsupported(kind)
    };
    Some(InboundMessage {
        conversation,
        event_id,
        sent_at: m.date,
        locale: locale(m.from.as_ref()),
        ack: None,
        reply_token: None,
        content,
    })
}

fn inbound_callback(event_id: String, q: CallbackQuery) -> Option<InboundMessage> {
    let chat_id = q
        .message
        .as_ref()
        .and_then(|m| m.chat.as_ref())
        .map(|c| c.id)
        .or_else(|| q.from.as_ref().map(|u| u.id));
    let Some(chat_id) = chat_id else {
        tracing::warn!("skipping a Telegram callback query with neither chat nor sender");
        return None;
    };
    let content = match q.data {
        Some(data) if !data.is_empty() => InboundContent::Action {
            payload: data,
            title: None,
        },
        // A game button: nothing to do, but the answer still has to stop the spinner.
        _ => InboundContent::unsupported("callback_without_data"),
    };
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Telegram, chat_id.to_string()),
        event_id,
        // Telegram stamps no time on a tap; the tapped message's date is the nearest it gives.
        sent_at: q.message.as_ref().map_or(0, |m| m.date),
        locale: locale(q.from.as_ref()),
        ack: (!q.id.is_empty()).then_some(q.id),
        reply_token: None,
        content,
    })
}

/// A customer blocking the bot is an opt-out of everything (Telegram refuses every send with
/// 403 "bot was blocked by the user" from then on); unblocking it is an opt-in. Group
/// membership changes are not ours.
fn inbound_membership(event_id: String, change: ChatMemberUpdated) -> Option<InboundMessage> {
    let chat = change.chat.filter(|c| c.kind == "private")?;
    let content = match (
        change.old_chat_member.status.as_str(),
        change.new_chat_member.status.as_str(),
    ) {
        (_, "kicked") => InboundContent::OptOut,
        ("kicked", "member") => InboundContent::OptIn,
        _ => return None,
    };
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Telegram, chat.id.to_string()),
        event_id,
        sent_at: change.date,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    })
}

fn locale(from: Option<&User>) -> Option<String> {
    from.and_then(|u| u.language_code.clone())
        .filter(|l| !l.is_empty())
}

/// Telegram sends the number as the user's account holds it, with or without `+`, sometimes
/// with spaces; the domain wants E.164-like `+<digits>`.
fn normalize_phone(contact: &Contact) -> Option<String> {
    let digits: String = contact
        .phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
