//! A conversation's session: where the customer is in the dialogue, and their cart.
//!
//! The dialogue is a small state machine (as in teloxide's dialogues): `Browsing` or
//! `Customizing` a product, each variant carrying what its step needs. State and cart live in
//! one session item because they change together (finishing a customization adds a cart line)
//! and must never be half-written; the `version` makes every save conditional, so two messages
//! of one customer handled at once cannot overwrite each other's session.

use crate::cart::Cart;
use crate::customization::Selection;
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DialogueState {
    #[default]
    Browsing,
    Customizing {
        product: String,
        #[serde(default)]
        selections: Vec<Selection>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    #[serde(default)]
    pub state: DialogueState,
    #[serde(default)]
    pub cart: Cart,
    /// The customer's language once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// Payloads of the choices offered last: a typed number picks one of them.
    #[serde(default)]
    pub offered: Vec<String>,
    /// A phone number the platform vouched for as the customer's own (see the payment issue's
    /// customer linking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_phone: Option<String>,
    /// The conversation's own customer record was merged into the phone's (see checkout).
    #[serde(default)]
    pub linked: bool,
    /// When the customer last wrote (the platform's timestamp, Unix seconds): platforms with a
    /// customer-service window (WhatsApp and Messenger 24 h, WeChat 48 h) count from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heard_at: Option<i64>,
    /// The customer opted out (SMS `STOP`, a WeChat unsubscribe): nothing is sent until they
    /// opt back in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
    /// Bumped on every save; 0 means never saved.
    #[serde(default)]
    pub version: u64,
}

impl Session {
    /// Notes that the customer wrote at `sent_at`; a late redelivery never moves it back.
    pub fn heard_from(&mut self, sent_at: i64) {
        self.last_heard_at = Some(self.last_heard_at.map_or(sent_at, |t| t.max(sent_at)));
    }
}
