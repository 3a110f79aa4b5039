//! Campaigns: announcing one drop to the customers who asked to hear about drops, and only to
//! them, in each platform's sanctioned form for promotions.
//!
//! A [`Campaign`] names a drop, a [`Segment`] (who) and a [`ChannelMessage`] per channel
//! (what, in the form that channel allows for a promotion). The audience is assembled by the
//! store as [`Recipient`]s: one conversation each, with what the segment and the rules need to
//! know about it (consent standing, language, zone, whether they bought before, wait for the
//! drop or asked to be reminded). Whether a recipient gets the announcement, now or later, is
//! [`crate::campaign_rules::decide`], a pure function; how fast each platform may be written to
//! is [`crate::campaign_pace`].
//!
//! The forms, per platform, and why (each platform's own rules):
//!
//! - **WhatsApp**: a business-initiated message must be an approved template; a promotion is a
//!   MARKETING template (name, language, body parameters). Meta stopped delivering marketing
//!   templates to US (+1) numbers on 2025-04-01
//!   (<https://docs.aws.amazon.com/end-user-messaging/latest/userguide/nx-features-whatsapp-templates.html>;
//!   opt-in first: <https://business.whatsapp.com/policy>).
//! - **Telegram**: "Bots can't initiate conversations with users. A user must either add them
//!   to a group or send them a message first" (<https://core.telegram.org/bots>): only
//!   customers who started the bot.
//! - **LINE**: a multicast to at most 500 user ids per request, with an `X-Line-Retry-Key` so
//!   a retried request is not delivered twice
//!   (<https://developers.line.biz/en/reference/messaging-api/#send-multicast-message>,
//!   <https://developers.line.biz/en/docs/messaging-api/retrying-api-request/>).
//! - **Messenger**: standard messaging only inside the 24-hour window after the customer's last
//!   message; message tags outside it are never for promotions
//!   (<https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/>).
//!   Outside the window the recipient is suppressed with "no window", never tagged.
//! - **WeChat**: a service account may mass-send (群发) four times a calendar month
//!   (<https://developers.weixin.qq.com/community/develop/doc/000c8c659b87a084cc799cccc51409>):
//!   each campaign that reaches WeChat spends one.
//! - **SMS**: from a sender registered for application-to-person traffic (in the US, an A2P
//!   10DLC brand and campaign, <https://www.twilio.com/docs/trust-hub/registrations/a2p-10dlc-campaign>),
//!   within quiet hours and at most three a day on one subject (Florida § 501.616(6),
//!   <https://flsenate.gov/Session/Bill/2021/1120/BillText/Filed/HTML>).
//! - **Viber**: subscribers only (<https://developers.viber.com/docs/api/rest-bot-api/>).
//! - **KakaoTalk**: the skill answers only inside the customer's own call; promotions need the
//!   paid Brand Message or Event API, which chatdrop does not have: suppressed, with a reason.

use crate::campaign_rules::CampaignLimits;
use crate::channel::{Channel, ConversationId};
use crate::consent::{PersonKey, Standing};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One announcement of one drop to one segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Short, plain id (`spring-bag`): it goes into keys and retry keys.
    pub id: String,
    /// The drop it announces.
    pub drop: String,
    pub segment: Segment,
    /// The message per channel; a channel without one is not reached.
    pub messages: BTreeMap<Channel, ChannelMessage>,
    pub limits: CampaignLimits,
    pub status: CampaignStatus,
    pub created_at: i64,
}

/// Where a campaign is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Created, audience not sent to yet: `preview` and `start` work on it.
    Draft,
    /// Fanning out: every sweep run sends what is due.
    Running,
    /// Stopped by ops; `start` resumes where it stopped.
    Paused,
    /// Every recipient was sent to or suppressed.
    Done,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Running => "running",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignStatus> {
        [
            CampaignStatus::Draft,
            CampaignStatus::Running,
            CampaignStatus::Paused,
            CampaignStatus::Done,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Who a campaign reaches: every given criterion must hold (an empty list, or `None`, does not
/// narrow). Consent is not a criterion: only opted-in customers are ever reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The customer carries at least one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub languages: Vec<Lang>,
    /// ISO 3166 regions (`JP`), from the customer's phone.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Opted in at or after this instant (Unix seconds).
    #[serde(default)]
    pub opted_in_since: Option<i64>,
    /// Has (`true`) or has not (`false`) bought from this shop before.
    #[serde(default)]
    pub bought_before: Option<bool>,
    /// Is on this drop's waitlist.
    #[serde(default)]
    pub on_waitlist: bool,
    /// Tapped "Remind me" for this drop.
    #[serde(default)]
    pub reminded: bool,
}

/// A customer as a campaign sees them: one conversation, what the store knows about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    pub conversation: ConversationId,
    /// The person behind it, when a phone is known: caps count per person.
    pub person: Option<PersonKey>,
    /// The later of the conversation's and the person's consent standings.
    pub consent: Standing,
    pub lang: Lang,
    /// IANA zone for quiet hours (their phone's region, else the market's, else UTC).
    pub zone: String,
    pub country: Option<String>,
    pub tags: Vec<String>,
    pub bought_before: bool,
    pub on_waitlist: bool,
    pub reminded: bool,
    /// When the customer last wrote (windows; on Telegram, whether they started the bot).
    pub last_heard_at: Option<i64>,
    /// The channel itself is closed to us (SMS STOP, LINE unfollow, a Telegram block).
    pub unreachable: bool,
}

impl Recipient {
    /// The key caps count under: the person when known, else the conversation.
    pub fn cap_key(&self) -> String {
        match &self.person {
            Some(p) => p.as_str().to_string(),
            None => format!("conv:k1:{}", self.conversation.hashed()),
        }
    }
}

impl Segment {
    /// Whether `r` is in the segment (consent and the rules are checked apart, with reasons).
    pub fn matches(&self, r: &Recipient) -> bool {
        let opted_in_at = match &r.consent {
            Standing::Latest(c) => Some(c.at),
            Standing::NeverAsked => None,
        };
        (self.tags.is_empty() || self.tags.iter().any(|t| r.tags.contains(t)))
            && (self.channels.is_empty() || self.channels.contains(&r.conversation.channel))
            && (self.languages.is_empty() || self.languages.contains(&r.lang))
            && (self.countries.is_empty()
                || r.country
                    .as_ref()
                    .is_some_and(|c| self.countries.iter().any(|s| s.eq_ignore_ascii_case(c))))
            && self
                .opted_in_since
                .is_none_or(|since| opted_in_at.is_some_and(|at| at >= since))
            && self.bought_before.is_none_or(|b| b == r.bought_before)
            && (!self.on_waitlist || r.on_waitlist)
            && (!self.reminded || r.reminded)
    }
}

/// A message in the form its platform allows for a promotion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum ChannelMessage {
    /// WhatsApp: an approved MARKETING template and its body parameters.
    WhatsappTemplate {
        name: String,
        /// The template's language code as approved (`en_US`).
        language: String,
        #[serde(default)]
        params: Vec<String>,
    },
    /// Telegram, Messenger, Viber: text (the drop's menu button follows).
    Text { body: String },
    /// LINE: one multicast per ≤ 500 friends.
    LineMulticast { body: String },
    /// WeChat: a mass send (one of four a month).
    WechatMassSend { body: String },
    /// SMS from a registered sender.
    Sms {
        body: String,
        /// The sending number or Messaging Service the registration covers.
        sender: String,
        /// The registration it is sent under (Twilio's A2P campaign SID `CM…`, or a toll-free
        /// verification id).
        registration: String,
    },
}

impl ChannelMessage {
    /// The text the customer reads, for renderers that send words (every form but the
    /// template, whose words were approved with it).
    pub fn body(&self) -> Option<&str> {
        match self {
            ChannelMessage::WhatsappTemplate { .. } => None,
            ChannelMessage::Text { body }
            | ChannelMessage::LineMulticast { body }
            | ChannelMessage::WechatMassSend { body }
            | ChannelMessage::Sms { body, .. } => Some(body),
        }
    }
}

/// Why a campaign cannot be created as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("campaign id `{0}` must be 1-40 characters of a-z, 0-9 and -")]
    BadId(String),
    #[error("{channel} cannot announce with a {form} message: {why}")]
    WrongForm {
        channel: Channel,
        form: &'static str,
        why: &'static str,
    },
    #[error("the {channel} message is empty")]
    Empty { channel: Channel },
    #[error("no channel has a message: nobody would be reached")]
    NoMessage,
}

impl Campaign {
    /// Checks that every message is in its channel's sanctioned form.
    pub fn validate(&self) -> Result<(), CampaignError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(CampaignError::BadId(self.id.clone()));
        }
        if self.messages.is_empty() {
            return Err(CampaignError::NoMessage);
        }
        for (&channel, message) in &self.messages {
            check_form(channel, message)?;
        }
        Ok(())
    }
}

fn check_form(channel: Channel, message: &ChannelMessage) -> Result<(), CampaignError> {
    use ChannelMessage as M;
    let wrong = |form, why| Err(CampaignError::WrongForm { channel, form, why });
    match (channel, message) {
        (Channel::Whatsapp, M::WhatsappTemplate { name, language, .. }) => {
            if name.is_empty() || language.is_empty() {
                return Err(CampaignError::Empty { channel });
            }
        }
        (Channel::Whatsapp, _) => {
            return wrong("text", "a promotion must be an approved marketing template");
        }
        (_, M::WhatsappTemplate { .. }) => return wrong("template", "only WhatsApp has them"),
        (Channel::Line, M::LineMulticast { .. })
        | (Channel::Wechat, M::WechatMassSend { .. })
        | (Channel::Telegram | Channel::Messenger | Channel::Viber, M::Text { .. }) => {}
        (
            Channel::Sms,
            M::Sms {
                sender,
                registration,
                ..
            },
        ) => {
            if sender.is_empty() || registration.is_empty() {
                return wrong(
                    "sms",
                    "a promotion needs the sender and its registration (A2P 10DLC campaign)",
                );
            }
        }
        (Channel::Kakao, _) => {
            return wrong(
                "any",
                "a skill cannot push; promotions need Kakao's Brand Message, not built",
            );
        }
        (Channel::Line, _) => return wrong("other", "LINE announcements go by multicast"),
        (Channel::Wechat, _) => return wrong("other", "WeChat announcements are mass sends"),
        (Channel::Sms, _) => return wrong("other", "SMS needs its sender registration"),
        (_, _) => return wrong("other", "this channel takes plain text"),
    }
    if message.body().is_some_and(|b| b.trim().is_empty()) {
        return Err(CampaignError::Empty { channel });
    }
    Ok(())
}

#[cfg(test)]
#[path = "campaign_tests.rs"]
pub(crate) mod tests;
