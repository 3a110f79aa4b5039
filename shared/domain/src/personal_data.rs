//! What chatdrop holds about a customer outside the chat's session: shown when they ask
//! ("my data") and erased when they ask us to forget them ("forget me").
//!
//! The session (step, cart, language, phone) belongs to the conversation flow, which reads it,
//! resets it ([`crate::dialogue::Session::forget`]) and commits it like any other turn. The rest
//! lives in other items of the table and is reached through the [`PersonalData`] port:
//!
//! - the consent ledger's entries for the conversation ([`crate::consent`]). With them goes
//!   any opt-in; announcements are opt-in only, so this chat is announced nothing. The
//!   person's history (the phone's, shared by linked chats) stays as the record of what was
//!   agreed, with the words the customer typed blanked, and gains an opt-out
//!   ([`forgotten`]): an opt-in given on another chat of the same phone would otherwise keep
//!   announcing to someone who asked to be forgotten;
//! - the retailer's tags on the customer ([`crate::customer_tags`]);
//! - the orders, which keep their amounts, currency and status for the books and lose the
//!   platform id and the engraving text;
//! - on KakaoTalk, the link between the chat and the customer's Kakao account.
//!
//! The chat says exactly this (the `forgotten` message), and ops' `chatdrop customer forget`
//! erases the same set plus the session. What stays on purpose is the channel's opt-out (an SMS
//! `STOP`): it is kept in the session's reachability, so a customer who said STOP and then
//! "forget me" is not written to again.
//!
//! # Order and retries
//!
//! [`crate::process`] erases before it commits the reset session and the event's marker. Every
//! erasing step is a delete or an overwrite with the same values, so a crash between the two
//! leaves the redelivery to erase again (finding nothing left) and then commit.

use crate::channel::ConversationId;
use crate::consent::{ConsentChange, ConsentSource, PersonKey, Scope, Standing, Wish};
use crate::ports::PortError;
use std::collections::BTreeSet;
use std::future::Future;

/// What a customer asking "what do you hold about me" is told beyond the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The later of the conversation's and its person's announcement standings.
    pub standing: Standing,
    /// The retailer's tags on the conversation.
    pub tags: BTreeSet<String>,
}

impl Held {
    /// The tags as the `what-we-hold` message takes them: comma-separated, or `none`.
    pub fn tags_text(&self) -> String {
        if self.tags.is_empty() {
            "none".to_string()
        } else {
            self.tags
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// The opt-out recorded on the person of a customer who asked to be forgotten, at `at` (Unix
/// seconds) by `event` (the chat event, or ops' command). Keyed by the event like every ledger
/// change, so a redelivery records nothing twice.
pub fn forgotten(at: i64, event: String) -> ConsentChange {
    ConsentChange {
        wish: Wish::OptOut,
        scope: Scope::Announcements,
        at,
        source: ConsentSource::ForgetMe,
        event,
    }
}

/// The store's side of "my data" and "forget me", beyond the session and the consent standing
/// ([`crate::consent::ConsentLedger`]).
pub trait PersonalData: Send + Sync {
    /// The retailer's tags on `conversation`.
    fn tags(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<BTreeSet<String>, PortError>> + Send;

    /// Erases what is held about `conversation` outside its session (see the module docs);
    /// `person` is the conversation's person as the session knew it before the reset. Repeating
    /// it changes nothing more.
    fn erase(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_as_a_list_or_none() {
        let mut held = Held {
            standing: Standing::NeverAsked,
            tags: BTreeSet::new(),
        };
        assert_eq!(held.tags_text(), "none");
        held.tags.insert("vip".into());
        held.tags.insert("tokyo-popup-2026".into());
        assert_eq!(held.tags_text(), "tokyo-popup-2026, vip");
    }
}
