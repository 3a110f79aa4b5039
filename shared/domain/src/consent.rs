//! Consent to announcements, in one ledger: who asked to hear about drops, who asked not to,
//! when, and from what.
//!
//! Two different permissions govern what chatdrop sends, and they must not be confused:
//!
//! - **Reachability** ([`crate::dialogue::Reachability`], on the session) says whether we may
//!   write to the customer *at all*. Only a carrier- or platform-level stop moves it: SMS
//!   `STOP` (the carrier blocks the sender anyway), a LINE unfollow, a WeChat unsubscribe, a
//!   Viber unsubscribe, a Telegram block. Order updates stop with it, because the platform
//!   would refuse them.
//! - **Announcement consent** (this module) says whether we may *promote* to them: a drop
//!   opening, a restock. Announcements are opt-in only, and a customer who types "stop" on
//!   WhatsApp, taps "Stop announcements" or stops marketing messages in WhatsApp's own menu
//!   (error 131050) still gets the updates about the order they paid for — WhatsApp lets a
//!   business send utility templates after a marketing opt-out
//!   (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>), and the
//!   customer asked for those by buying.
//!
//! Every change is a [`ConsentChange`]: what the customer wished ([`Wish`]), how far it reaches
//! ([`Scope`]), when, from what ([`ConsentSource`]) and the event that carried it. The ledger
//! keeps each change as an append-only history entry and the latest one as the standing, for
//! two [`Subject`]s: the conversation (one customer on one channel) and, when the customer's
//! phone is known, the [`PersonKey`] — so a "stop" on WhatsApp also stops announcements to the
//! same person's LINE chat. A check before an announcement reads both standings in one request
//! ([`ConsentLedger::standing`]) and the later change decides.
//!
//! Every write is idempotent: a history entry is keyed by its time and event, and the standing
//! never moves back in time, so a redelivered "stop" or a retried batch records nothing
//! twice and an old event arriving late never undoes a newer one.
//!
//! The words that carry a wish in a chat (`stop`, `parar`, `退订`, `配信停止`, …) live in
//! [`crate::keywords`]; the platforms' own signals arrive as [`InboundContent::OptOut`] /
//! [`InboundContent::OptIn`] or as delivery reports with the platform's error code
//! ([`signal`]).

use crate::action::Action;
use crate::channel::{Channel, ConversationId};
use crate::delivery::SendFailure;
use crate::dialogue::Session;
use crate::inbound::{InboundContent, InboundMessage};
use crate::intent;
use crate::keywords::{self, Meaning};
use crate::ports::PortError;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What the customer asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wish {
    OptIn,
    OptOut,
}

/// How far a change reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Announcements only: order updates go on where the platform allows them.
    Announcements,
    /// Everything: the carrier or platform stopped (or restored) the whole channel, and the
    /// session's reachability moves too.
    Channel,
}

/// Where a change came from: what a regulator or the customer asks to see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsentSource {
    /// A tap on "Remind me" for a drop.
    RemindMe { drop: String },
    /// A word typed in the chat, as folded ([`keywords::fold`]).
    Keyword { word: String },
    /// The "Stop announcements" (or "Get announcements") menu entry.
    MenuEntry,
    /// A list imported by the retailer, with where the list came from.
    Import { source: String },
    /// The platform's or carrier's own signal (`line_unfollow`, `whatsapp_131050`, …).
    Platform { signal: String },
    /// The customer asked to be forgotten (`crate::personal_data`): an opt-out kept on the
    /// person, whose standing the phone's other chats share.
    ForgetMe,
}

impl ConsentSource {
    /// The same source with whatever the customer typed removed, for a forgotten customer.
    pub fn without_personal_fields(&self) -> ConsentSource {
        match self {
            ConsentSource::Keyword { .. } => ConsentSource::Keyword {
                word: String::new(),
            },
            other => other.clone(),
        }
    }
}

/// One change of consent: a history entry in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    pub wish: Wish,
    pub scope: Scope,
    /// Unix seconds, as the platform stamped the event.
    pub at: i64,
    pub source: ConsentSource,
    /// The event that carried it ([`InboundMessage::dedup_identity`] for chat events, an import
    /// line's id for imports): what makes recording it twice a no-op.
    pub event: String,
}

/// A person across channels: the keyed pseudonym of a phone number the platform vouched for
/// (or that is the chat id, on WhatsApp and SMS), the same key purchase limits count on
/// ([`crate::checkout::customer_id`]), so nobody without `CHATDROP_ID_KEY` can tell whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonKey(String);

impl PersonKey {
    /// The person behind a conversation, when a phone is known for it.
    pub fn of(conversation: &ConversationId, session: &Session) -> Option<PersonKey> {
        let raw = if conversation.channel.spec().customer_id_is_phone {
            conversation.customer.as_str()
        } else {
            session.identity.verified_phone()?
        };
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        (!digits.is_empty()).then(|| {
            PersonKey(format!(
                "phone:k1:{}",
                crate::ids::installed().phone(&format!("+{digits}"))
            ))
        })
    }

    /// A key as stored.
    pub fn from_stored(key: String) -> PersonKey {
        PersonKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a ledger entry is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Conversation(ConversationId),
    Person(PersonKey),
}

/// Whether announcements may go to a conversation now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No change recorded: announcements are opt-in, so none may go.
    NeverAsked,
    /// The latest change, on the conversation or on its person.
    Latest(ConsentChange),
}

impl Standing {
    /// The later of two standings (the conversation's and its person's); a tie goes to the
    /// opt-out, the safe side.
    pub fn later(self, other: Standing) -> Standing {
        match (self, other) {
            (Standing::NeverAsked, s) | (s, Standing::NeverAsked) => s,
            (Standing::Latest(a), Standing::Latest(b)) => {
                let b_wins = b.at > a.at || (b.at == a.at && b.wish == Wish::OptOut);
                Standing::Latest(if b_wins { b } else { a })
            }
        }
    }

    /// Whether an announcement may be sent.
    pub fn may_announce(&self) -> bool {
        matches!(self, Standing::Latest(c) if c.wish == Wish::OptIn)
    }

    pub fn is_opted_out(&self) -> bool {
        matches!(self, Standing::Latest(c) if c.wish == Wish::OptOut)
    }
}

/// The ledger: history and standing per [`Subject`].
pub trait ConsentLedger: Send + Sync {
    /// Appends `change` to `subject`'s history (once per event) and makes it the standing
    /// unless a later change is recorded already (in the same second, the last recorded
    /// stands). Recording the same change again changes nothing.
    fn record(
        &self,
        subject: &Subject,
        change: &ConsentChange,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The later of the conversation's and the person's standings, read in one request.
    fn standing(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> impl Future<Output = Result<Standing, PortError>> + Send;

    /// Every change recorded for `subject`, oldest first.
    fn history(
        &self,
        subject: &Subject,
    ) -> impl Future<Output = Result<Vec<ConsentChange>, PortError>> + Send;
}

/// Records `change` for the conversation and, when known, its person: the person's standing is
/// what every linked chat's check reads.
pub async fn record<L: ConsentLedger + ?Sized>(
    ledger: &L,
    conversation: &ConversationId,
    person: Option<&PersonKey>,
    change: &ConsentChange,
) -> Result<(), PortError> {
    ledger
        .record(&Subject::Conversation(conversation.clone()), change)
        .await?;
    if let Some(person) = person {
        ledger
            .record(&Subject::Person(person.clone()), change)
            .await?;
    }
    Ok(())
}

/// Whether announcements may go to `conversation` now: "is this person opted in, and not
/// opted out anywhere since?".
pub async fn may_announce<L: ConsentLedger + ?Sized>(
    ledger: &L,
    conversation: &ConversationId,
    session: &Session,
) -> Result<bool, PortError> {
    let person = PersonKey::of(conversation, session);
    Ok(ledger
        .standing(conversation, person.as_ref())
        .await?
        .may_announce())
}

/// The consent change a message carries, if any: a keyword, a menu entry, the platform's
/// opt-out or opt-in, or a delivery report whose error code means the customer stopped us.
pub fn signal(message: &InboundMessage) -> Option<ConsentChange> {
    let channel = message.conversation.channel;
    let (wish, scope, source) = match &message.content {
        InboundContent::Text { body } => {
            // Whole keywords and sentences ("please stop sending me messages") alike, as
            // the catalog flow answers them (`crate::intent`).
            let heard = intent::understand(body)?;
            let wish = match heard.meaning {
                Meaning::StopAnnouncements => Wish::OptOut,
                Meaning::StartAnnouncements => Wish::OptIn,
                _ => return None,
            };
            let word = keywords::fold(body);
            (wish, Scope::Announcements, ConsentSource::Keyword { word })
        }
        InboundContent::Action { payload, .. } => {
            let wish = match Action::decode(payload)? {
                Action::StopAnnouncements => Wish::OptOut,
                Action::StartAnnouncements => Wish::OptIn,
                _ => return None,
            };
            (wish, Scope::Announcements, ConsentSource::MenuEntry)
        }
        InboundContent::OptOut => (Wish::OptOut, Scope::Channel, platform(channel, "opt_out")),
        InboundContent::OptIn => (Wish::OptIn, Scope::Channel, platform(channel, "opt_in")),
        InboundContent::Marketing { opted_in } => {
            let (wish, what) = if *opted_in {
                (Wish::OptIn, "marketing_resumed")
            } else {
                (Wish::OptOut, "marketing_stopped")
            };
            (wish, Scope::Announcements, platform(channel, what))
        }
        InboundContent::Status {
            error_code: Some(code),
            ..
        } => {
            let scope = refusal_scope(channel, *code)?;
            (
                Wish::OptOut,
                scope,
                platform(channel, &format!("error_{code}")),
            )
        }
        _ => return None,
    };
    Some(ConsentChange {
        wish,
        scope,
        at: message.sent_at,
        source,
        event: message.dedup_identity(),
    })
}

/// Whether answering `message` needs the customer's standing (they asked what we hold).
pub fn reads_standing(message: &InboundMessage) -> bool {
    matches!(&message.content, InboundContent::Text { body }
        if keywords::understand(body).is_some_and(|h| h.meaning == Meaning::WhatWeHold))
}

fn platform(channel: Channel, what: &str) -> ConsentSource {
    ConsentSource::Platform {
        signal: format!("{channel}_{what}"),
    }
}

/// The delivery errors that mean the customer stopped us, and how far:
///
/// - WhatsApp 131050: "user has stopped marketing messages" — announcements only
///   (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>);
/// - Twilio 21610: "attempt to send to unsubscribed recipient", the customer replied STOP to
///   the sender — the carrier blocks everything (<https://www.twilio.com/docs/api/errors/21610>).
pub fn refusal_scope(channel: Channel, code: i64) -> Option<Scope> {
    match (channel, code) {
        (Channel::Whatsapp, 131050) => Some(Scope::Announcements),
        (Channel::Sms, 21610) => Some(Scope::Channel),
        _ => None,
    }
}

/// Whether a send the platform refused means the customer stopped us on that channel, so the
/// chat is opted out as if the platform's own signal had come (it usually does, on its own
/// path; this catches a missed or never-sent one, and stops resending to a closed chat):
///
/// - Telegram 403 "Forbidden: bot was blocked by the user" or "user is deactivated": the
///   customer blocked the bot or deleted their account
///   (<https://core.telegram.org/api/errors#403-forbidden>); another 403, "bot can't initiate
///   conversation with a user", is a chat that never started, not a stop;
/// - Viber status 6, `receiverNotSubscribed`: the customer unsubscribed from the bot
///   (<https://developers.viber.com/docs/api/rest-bot-api/#error-codes>); 5 (not a Viber user)
///   and 11 (no suitable device) say nothing about their wish;
/// - Twilio 21610 on the send call: the number replied STOP to this sender
///   (<https://www.twilio.com/docs/api/errors/21610>).
pub fn refused_by_customer(channel: Channel, failure: &SendFailure) -> bool {
    let SendFailure::Permanent {
        code: Some(code),
        detail,
    } = failure
    else {
        return false;
    };
    match (channel, *code) {
        (Channel::Telegram, 403) => {
            let detail = detail.to_ascii_lowercase();
            detail.contains("blocked by the user") || detail.contains("user is deactivated")
        }
        (Channel::Viber, 6) | (Channel::Sms, 21610) => true,
        _ => false,
    }
}

pub mod memory;

#[cfg(test)]
#[path = "consent_tests.rs"]
mod tests;
