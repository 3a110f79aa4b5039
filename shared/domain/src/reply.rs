//! What chatdrop says back, in channel-neutral form.
//!
//! The flows speak in a few shapes: text, a set of choices, an image, a link. Each channel
//! adapter renders a shape into its platform's richest form that fits the platform's limits
//! (WhatsApp reply buttons, then a list, then numbered text; Telegram inline keyboards), so
//! the flows never count buttons or characters. Every choice can also be picked by typing its
//! number, on every channel, because the session remembers what was offered.

use crate::channel::ConversationId;
use crate::dialogue::Offered;
use crate::handoff::HandoffNotice;
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
    /// The inbound event's reply token, if it came with one (see [`ReplyToken`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_token: Option<ReplyToken>,
    /// Set when the bundle tells the customer about their order rather than answering them:
    /// outside a platform's customer-service window, only such updates may still be sent, and
    /// only in the platform's sanctioned form (a WhatsApp template, a Messenger message tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<OrderUpdate>,
    /// Set when the bundle announces a drop ([`crate::campaign`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<Box<Announcement>>,
    /// Set on the bundle that tells the customer a person will answer: notify alerts the
    /// agents when it takes the bundle ([`crate::handoff`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffNotice>,
    /// Set on the bundle queued when a conversation goes back to the bot (the console's hand
    /// back, the sweep's): notify takes the platform's thread back from its inbox for people
    /// where the platform has one (Messenger's handover protocol), in order with the
    /// conversation's other bundles. Such a bundle usually has no replies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub take_back: bool,
    /// Who wrote the replies: the bot, or a person through the console. Platforms treat them
    /// differently after their windows (Messenger's `HUMAN_AGENT` tag is for people only).
    #[serde(default, skip_serializing_if = "Origin::is_bot")]
    pub origin: Origin,
    pub replies: Vec<Reply>,
}

/// Who wrote a bundle's replies; stored as `"bot"` or `"agent:<id>"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Origin {
    #[default]
    Bot,
    /// A person typed them: the console's agent id.
    Agent(String),
}

impl Origin {
    pub fn is_bot(&self) -> bool {
        matches!(self, Origin::Bot)
    }
}

impl From<Origin> for String {
    fn from(o: Origin) -> String {
        match o {
            Origin::Bot => "bot".into(),
            Origin::Agent(id) => format!("agent:{id}"),
        }
    }
}

impl TryFrom<String> for Origin {
    type Error = String;
    fn try_from(s: String) -> Result<Origin, String> {
        match s.split_once(':') {
            None if s == "bot" => Ok(Origin::Bot),
            Some(("agent", id)) if !id.is_empty() => Ok(Origin::Agent(id.to_string())),
            _ => Err(format!("`{s}` is not a sender: `bot` or `agent:<id>`")),
        }
    }
}

/// A token for answering one inbound event directly, and until when it may be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyToken {
    pub token: String,
    /// Unix seconds after which the platform may refuse it; the sender falls back to a push.
    pub use_before: i64,
}

/// What an order update is about, in the fields a pre-approved template carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The order number the customer sees (`#A1B2C3`).
    pub order_number: String,
    /// What happened: `paid`, `lapsed`, `shipped`, `refunded`.
    pub kind: String,
    /// The update in one line of the customer's language, for a template's text parameter.
    pub summary: String,
    /// More of the notice, for a template's variables (KakaoTalk's AlimTalk:
    /// [`crate::alimtalk`]): `amount`, the order's total as the customer reads it
    /// (`₩8,150,000`), and `tracking`, a shipped parcel's number. Empty in notices queued
    /// before it existed. (One map rather than a field each keeps the bundle, which the
    /// marker's effect holds inline, small.)
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<String, String>,
}

impl ReplyBundle {
    /// The last set of choices in the bundle: what a typed number refers to.
    pub fn offered(&self) -> Offered {
        self.replies
            .iter()
            .rev()
            .find_map(|r| match r {
                Reply::Choices { choices, .. } => {
                    Some(Offered::new(choices.iter().map(|c| c.id.clone()).collect()))
                }
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// Set when the bundle announces a drop (a campaign): notify lets it out only where the
/// platform allows a promotion, and WhatsApp sends the approved marketing template instead of
/// the replies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub campaign: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<MarketingTemplate>,
    /// Which attempt at this customer it is: 0, then one more after each platform back-off
    /// (WhatsApp 131049). notify reports the outcome against it, so a late report about an
    /// earlier attempt changes nothing.
    #[serde(default)]
    pub attempt: u32,
    /// A multicast (LINE): every conversation this one message goes to, the bundle's own
    /// first. Empty for an announcement to one conversation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<ConversationId>,
}

/// An approved WhatsApp MARKETING template and its body parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingTemplate {
    pub name: String,
    /// The language code it was approved in (`en_US`).
    pub language: String,
    #[serde(default)]
    pub params: Vec<String>,
}
