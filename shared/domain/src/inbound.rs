//! What a customer sent, in channel-neutral form.
//!
//! Channel adapters build these from webhook payloads; the domain never sees a platform type.
//! `event_id` is the platform's identity for the event (a WhatsApp `wamid`, a Telegram
//! `update_id`): the queue deduplicates on it and the processed-message markers key on it,
//! because every platform redelivers.

use crate::channel::ConversationId;
pub use crate::reply::ReplyToken;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub conversation: ConversationId,
    /// The platform's identity for this event; unique per channel.
    pub event_id: String,
    /// Unix seconds, as the platform stamped it.
    pub sent_at: i64,
    /// The customer's locale when the platform gives one (Telegram's `language_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// A token the platform wants acknowledged (Telegram's callback query id: until it is
    /// answered, the customer's client shows a spinner on the button).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
    /// A short-lived token that lets the answer go out as a direct reply (LINE's `replyToken`:
    /// single use, about a minute, and free where a push costs quota).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_token: Option<ReplyToken>,
    pub content: InboundContent,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundContent {
    /// Typed text.
    Text { body: String },
    /// A tap on a button or list row we sent: `payload` is the id we gave it.
    Action {
        payload: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// A picture, with its caption if any.
    Image {
        media_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// A phone number the platform vouches for as the sender's own (Telegram's request-contact
    /// button, checked against the sender by the adapter).
    Contact { phone: String },
    /// A delivery report about a message we sent.
    Status {
        message_id: String,
        status: DeliveryStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<i64>,
    },
    /// The customer asked to receive nothing more (SMS `STOP` and its synonyms, a WeChat
    /// unsubscribe): nothing is sent to them until they opt back in.
    OptOut,
    /// The customer asked to hear from us again (SMS `START`/`UNSTOP`, a WeChat subscribe).
    OptIn,
    /// A message kind we do not handle (voice note, sticker, location): answered politely.
    Unsupported { kind: String },
    /// The customer stopped (or resumed) the platform's marketing messages in the platform's
    /// own interface (Messenger's "Stop messages" on a marketing message): announcements only,
    /// order updates go on ([`crate::consent`]).
    Marketing { opted_in: bool },
    /// The platform's own inbox for people gave the conversation back to the bot (Messenger's
    /// handover protocol: the Page inbox passed the thread to our app). `note` is what the
    /// inbox wrote about the move, if anything (Messenger's `metadata`), for the log only.
    InboxGaveBack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A person took the conversation in the platform's own inbox for people (Messenger's
    /// handover protocol: the Page inbox took the thread from our app).
    InboxTook {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// What the customer said while the platform's own inbox for people had the conversation
    /// (Messenger's `standby`): the platform delivered it to that inbox and to us only to
    /// listen, so the bot never answers it; it goes to the conversation's thread, where the
    /// console shows it. `content` is what they sent, as any other message reads (never one
    /// of these inbox variants).
    Overheard { content: Box<InboundContent> },
    /// A person wrote to the customer from the platform's own inbox for people (Messenger's
    /// echo, in `standby`, of a message another app of the Page sent): someone is working on
    /// the conversation, which counts as agent activity for its handoff. `text` is what they
    /// wrote, when it was text.
    InboxReplied {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
}

impl InboundContent {
    /// A message of a kind we do not handle, named as the platform names it.
    pub fn unsupported(kind: impl Into<String>) -> Self {
        InboundContent::Unsupported { kind: kind.into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl InboundMessage {
    /// The identity the queue deduplicates on. A status report shares its message id with the
    /// other reports about the same message (sent, delivered, read), so the status is part of it.
    pub fn dedup_identity(&self) -> String {
        match &self.content {
            InboundContent::Status {
                message_id, status, ..
            } => format!(
                "{}#{}#{}",
                self.conversation.channel,
                message_id,
                status.as_str()
            ),
            _ => format!("{}#{}", self.conversation.channel, self.event_id),
        }
    }
}
