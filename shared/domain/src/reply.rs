//! What chatdrop says back, in channel-neutral form.
//!
//! The flows speak in a few shapes: text, a set of choices, an image, a link. Each channel
//! adapter renders a shape into its platform's richest form that fits the platform's limits
//! (WhatsApp reply buttons, then a list, then numbered text; Telegram inline keyboards), so
//! the flows never count buttons or characters. Every choice can also be picked by typing its
//! number, on every channel, because the session remembers what was offered.

use crate::channel::ConversationId;
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The action payload a tap sends back (see [`crate::action::Action`]); at most 64 bytes.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    Text {
        body: String,
    },
    /// Pick one: rendered as buttons, a list or numbered text, whichever fits.
    Choices {
        body: String,
        /// Label of the button that opens a list, where the platform has one.
        menu_label: String,
        choices: Vec<Choice>,
    },
    Image {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    Link {
        body: String,
        label: String,
        url: String,
    },
}

/// The ordered replies answering one inbound event: one queue message, sent in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyBundle {
    /// Unique per (inbound event, handler): the outbound queue deduplicates on it and delivery
    /// progress is recorded under it.
    pub id: String,
    pub conversation: ConversationId,
    pub lang: Lang,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
    pub replies: Vec<Reply>,
}

impl ReplyBundle {
    /// Payloads of the last set of choices in the bundle: what a typed number refers to.
    pub fn offered(&self) -> Vec<String> {
        self.replies
            .iter()
            .rev()
            .find_map(|r| match r {
                Reply::Choices { choices, .. } => {
                    Some(choices.iter().map(|c| c.id.clone()).collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    }
}
