//! A conversation's session: what the functions remember of one chat between two messages.
//!
//! Every message arrives on its own, and most mean something only against what came before:
//! "2" picks from a menu, "gold" answers an option group or searches the catalog, `START`
//! undoes a `STOP`. The session is that before. It is a few small state machines, in the manner
//! of teloxide's dialogues: each is a type whose variants carry what that state needs. The
//! flows build the step's variants themselves, since each is made with the data it needs; the
//! other parts change through methods named for what happened in the chat, so a flow says
//! `session.opt_out()` rather than setting a flag.
//!
//! | part | states | moved by |
//! |---|---|---|
//! | [`DialogueState`]: the step | `Browsing`, `Customizing`, `VerifyingPhone` | the flows (below) |
//! | [`Offered`]: the numbered menu | the choices shown last | [`Session::offer`] |
//! | [`Identity`]: who buys | `ChatOnly`, `PhoneVerified`, `Linked` | [`Session::verify_phone`], [`Session::link_to_phone`] |
//! | [`Reachability`]: may we write | `Reachable`, `OptedOut` | [`Session::opt_out`], [`Session::opt_in`] |
//! | [`Owner`]: who answers | `Bot`, `Waiting`, `Agent` | [`crate::handoff`], the store's claim and hand-back |
//!
//! Beside them sit plain facts: the [`Cart`], the customer's language, when they last wrote
//! ([`Session::heard_from`]) and how many messages in a row the bot could not understand
//! ([`Session::not_understood`]).
//!
//! # The step
//!
//! ```text
//!             add a product that has option groups
//!  Browsing ──────────────────────────────────────▶ Customizing { product, selections }
//!     ▲                                              │    ▲                 │
//!     │                                              │    └─────────────────┘
//!     │                                              │  a group answered: one more selection
//!     └──────────────────────────────────────────────┘
//!       the last group answered (the line goes into the cart),
//!       cancel, a greeting, the menu, a checkout
//! ```
//!
//! The step decides what typed text means. While customizing, text is the answer to the group
//! asked (an engraving, an option's name), checked against the selections so far; a rejected
//! answer changes nothing and the group is asked again. While browsing, text is a search. A tap
//! on a button of an earlier step is answered with the current one (see [`crate::shopping`]).
//!
//! A third step sits beside them: a checkout or draw entry of a drop that wants one person per
//! verified phone, from a chat with none, moves to `VerifyingPhone`, where text is the number
//! and then the code texted to it; the phone proved, the step ends and the checkout or entry
//! resumes ([`crate::phone_dialogue`] has its diagram). It is stored beside `state` rather than
//! in it, so a release that predates it reads a browsing session.
//!
//! # What a number picks
//!
//! Where a platform can show choices only as numbered text (WeChat, SMS, and every platform's
//! fallback), the customer answers with a number. [`Offered`] is the menu that number refers
//! to: the last choices any function showed. It is not part of a step: both steps show menus,
//! so does the payment function (the order list), and a reply without choices leaves the menu
//! above it answerable, whichever step showed it.
//!
//! # Identity and reachability
//!
//! [`Identity`] records whether the platform vouched for a phone number and whether the chat's
//! own purchase record was merged into that phone's, which checkout does once so a limit cannot
//! be dodged by buying before sharing the phone. [`Reachability`] is the customer's opt-out,
//! which delivery reads before sending anything. Their diagrams are on the types.
//!
//! # Storage
//!
//! A session is one item, keyed by conversation: the step and the cart change together
//! (finishing a customization adds a cart line) and must never be half-written. Its `version`
//! makes every save conditional, so two messages of one customer handled at once cannot
//! overwrite each other's session. The item keeps the flat shape it had before these states had
//! names (`offered`, `verified_phone`, `linked`, `opted_out`), so releases on either side of
//! the change read each other's sessions during a deploy or a rollback.

use crate::cart::Cart;
use crate::customization::Selection;
use crate::i18n::Lang;
use crate::language::{Decision, LangSource};
use serde::{Deserialize, Serialize};

/// Where the customer is in the dialogue: the step that decides what typed text means.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DialogueState {
    /// Looking around: text searches the catalog.
    #[default]
    Browsing,
    /// Answering the option groups of `product` one by one: text answers the group asked.
    /// `selections` are the groups answered so far, in the product's order.
    Customizing {
        product: String,
        #[serde(default)]
        selections: Vec<Selection>,
    },
    /// Proving a phone by a code texted to it before what the customer asked for, which
    /// resumes once it is proved ([`crate::phone_dialogue`]): text is the number, then the code.
    VerifyingPhone(Verifying),
}

/// Where a chat is in proving its phone: the number given (once given), when its code was
/// texted and how many codes were checked against it. The code itself is never here: only
/// the verification service holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifying {
    /// What the customer was doing, done once the phone is proved.
    pub resume: Resume,
    /// The name of the drop that asks for a phone, as the customer was shown it.
    #[serde(default)]
    pub drop: String,
    /// The number a code was texted to (E.164); none while the number is asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// When the code was texted (Unix seconds): it lapses [`crate::phone_verify::CODE_TTL_SECONDS`] later.
    #[serde(default)]
    pub sent_at: i64,
    /// Codes checked against this one so far (the service allows
    /// [`crate::phone_verify::MAX_CHECKS`]).
    #[serde(default)]
    pub checks: u32,
}

impl Verifying {
    /// Asking for the number `drop` (its name) wants, to `resume` afterwards.
    pub fn ask(resume: Resume, drop: &str) -> Verifying {
        Verifying {
            resume,
            drop: drop.to_owned(),
            phone: None,
            sent_at: 0,
            checks: 0,
        }
    }
}

/// What a verified phone resumes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resume {
    /// Reserving the cart.
    Checkout,
    /// Entering the draw of `drop`.
    DrawEntry { drop: String },
}

/// One conversation's state between messages; see the module documentation for its parts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct Session {
    pub state: DialogueState,
    pub cart: Cart,
    /// The customer's language once known.
    pub lang: Option<Lang>,
    /// Where `lang` came from, which decides what may change it ([`crate::language`]); none in
    /// sessions saved before it was recorded.
    pub lang_source: Option<LangSource>,
    /// The choices shown last: what a typed number picks from.
    pub offered: Offered,
    /// Who the customer is beyond the chat: what purchase limits count against.
    pub identity: Identity,
    /// When the customer last wrote (the platform's timestamp, Unix seconds): platforms with a
    /// customer-service window (WhatsApp and Messenger 24 h, WeChat 48 h) count from it.
    pub last_heard_at: Option<i64>,
    /// Whether the customer lets us write to them at all.
    pub reachability: Reachability,
    /// Who answers the customer: the bot, or a person ([`crate::handoff`]).
    pub owner: Owner,
    /// Messages in a row the bot could not understand; any understood message resets it, and
    /// the second in a row hands the conversation to a person.
    pub not_understood: u8,
    /// Bumped on every save; 0 means never saved.
    pub version: u64,
}

/// The choices the customer was shown last, in the order shown: a typed number picks one.
///
/// Some platforms show choices only as numbered text (WeChat, SMS) and every platform falls
/// back to it, so "2" has to mean the second choice of the menu the customer sees. That menu
/// may come from any function (the catalog, the cart, the payment function's order list) and
/// stays answerable under a reply without choices, so it sits beside the [`DialogueState`],
/// not inside one of its steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Offered(Vec<String>);

impl Offered {
    /// Choices by their payloads, in the order the customer sees them numbered.
    pub fn new(payloads: Vec<String>) -> Self {
        Offered(payloads)
    }

    /// The payload of the `n`th choice, counting from 1 as the customer does.
    pub fn pick(&self, n: usize) -> Option<&str> {
        self.0.get(n.checked_sub(1)?).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn payloads(&self) -> &[String] {
        &self.0
    }
}

/// Who the customer is beyond the chat, for the purchase limits that hold across chats
/// ([`crate::checkout::customer_id`]).
///
/// A limit counts against a customer record: the phone's when the chat id is a phone number
/// (WhatsApp, SMS) or the platform vouched for one, else the chat's own. A chat that bought
/// before its phone was known holds units on its own record; the first checkout after that
/// merges them into the phone's, once, so a limit cannot be dodged by buying before sharing.
///
/// ```text
///             phone shared              checkout merges the chat's record
///  ChatOnly ───────────────▶ PhoneVerified ─────────────────────────────▶ Linked
///     │                                                                     ▲
///     └──────────── checkout on SMS (the chat id is the phone) ─────────────┘
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    /// Nothing vouched for beyond the chat id (which on WhatsApp and SMS is a phone number).
    #[default]
    ChatOnly,
    /// The platform vouched for `phone` as the customer's own (Telegram's contact button):
    /// limits count against it from now on, and the next checkout merges the chat's record.
    PhoneVerified { phone: String },
    /// The chat's own record was merged into its phone's. `phone` is the number the platform
    /// vouched for; none where the chat id itself is the number (SMS).
    Linked { phone: Option<String> },
}

impl Identity {
    /// The phone number the platform vouched for as the customer's own, if any.
    pub fn verified_phone(&self) -> Option<&str> {
        match self {
            Identity::ChatOnly => None,
            Identity::PhoneVerified { phone } => Some(phone),
            Identity::Linked { phone } => phone.as_deref(),
        }
    }

    /// Whether the chat's own record was merged into its phone's already.
    pub fn is_linked(&self) -> bool {
        matches!(self, Identity::Linked { .. })
    }
}

/// Whether the customer lets us write to them at all: read for every bundle sent, answers and
/// order updates alike. The platforms' customer-service windows are another rule, checked at
/// sending against `last_heard_at`.
///
/// ```text
///              STOP, unsubscribe
///  Reachable ────────────────────▶ OptedOut
///      ▲                              │
///      └────── START, subscribe ──────┘
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reachability {
    #[default]
    Reachable,
    /// The customer opted out (SMS `STOP`, a WeChat unsubscribe): nothing is sent until they
    /// opt back in.
    OptedOut,
}

impl Reachability {
    pub fn is_opted_out(self) -> bool {
        self == Reachability::OptedOut
    }
}

/// Who answers the customer: the bot, or a person ([`crate::handoff`] says when and why).
///
/// ```text
///         hand_to_person (asked, complaint, not understood twice,
///         an order needing attention, a VIP)          claim (an agent)
///   Bot ─────────────────────────────────────▶ Waiting ─────────────────▶ Agent
///    ▲                                            │                         │
///    └──── hand back (the agent, or the sweep after the timeout) ──────────┘
/// ```
///
/// While the conversation is not the bot's, the flows answer nothing: the customer's messages
/// are recorded in the thread for the person, and order notices still go out. Only the store
/// moves it out of `Waiting` and `Agent` (a conditional write on the session and the handoff
/// list together), so an agent's claim and a message of the customer cannot overwrite each
/// other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Owner {
    #[default]
    Bot,
    /// Handed over at `since` (Unix seconds) for `reason`; no agent has taken it yet.
    Waiting {
        since: i64,
        reason: crate::handoff::HandoffReason,
    },
    /// `agent` took it at `since`.
    Agent { agent: String, since: i64 },
}

impl Owner {
    /// Whether the bot answers the customer.
    pub fn is_bot(&self) -> bool {
        matches!(self, Owner::Bot)
    }

    /// The stored `owner` attribute: absent for the bot.
    pub fn as_str(&self) -> Option<&'static str> {
        match self {
            Owner::Bot => None,
            Owner::Waiting { .. } => Some("waiting"),
            Owner::Agent { .. } => Some("agent"),
        }
    }
}

/// A session as it is stored: one flat item, the shape every release so far has read and
/// written.
///
/// The functions deploy one at a time and a rollback reads what the newer release wrote, so
/// for a while releases on either side of a change read each other's sessions. The shape
/// therefore stays put however [`Session`] models its states in memory: an older notify
/// function that found no `opted_out` where it looks would read "not opted out" and write to a
/// customer who said `STOP`. Missing fields take their defaults, so items from before a field
/// existed load too.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    state: DialogueState,
    /// The phone being proved: beside `state` (which is then written `browsing`), so a release
    /// that predates the step reads a browsing session and ignores this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifying: Option<Verifying>,
    #[serde(default)]
    cart: Cart,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lang: Option<Lang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lang_source: Option<LangSource>,
    #[serde(default)]
    offered: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verified_phone: Option<String>,
    #[serde(default)]
    linked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_heard_at: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    opted_out: bool,
    /// `waiting` or `agent`; absent: the bot. Flat like the rest, so the store can condition a
    /// claim on it and a release that predates it reads a bot-owned session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner_since: Option<i64>,
    /// A string, not the enum: a reason a newer release added must not make the whole session
    /// unreadable here (it reads as `asked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    handoff_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    not_understood: u8,
    #[serde(default)]
    version: u64,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl From<Stored> for Session {
    fn from(s: Stored) -> Self {
        Session {
            state: match (s.state, s.verifying) {
                (DialogueState::Browsing, Some(v)) => DialogueState::VerifyingPhone(v),
                (state, _) => state,
            },
            cart: s.cart,
            lang: s.lang,
            lang_source: s.lang_source,
            offered: Offered(s.offered),
            identity: match (s.verified_phone, s.linked) {
                (phone, true) => Identity::Linked { phone },
                (Some(phone), false) => Identity::PhoneVerified { phone },
                (None, false) => Identity::ChatOnly,
            },
            last_heard_at: s.last_heard_at,
            reachability: if s.opted_out {
                Reachability::OptedOut
            } else {
                Reachability::Reachable
            },
            owner: match (s.owner.as_deref(), s.agent) {
                (Some("agent"), Some(agent)) => Owner::Agent {
                    agent,
                    since: s.owner_since.unwrap_or_default(),
                },
                // A handoff of a reason this release does not know still waits for a person.
                (Some("waiting" | "agent"), _) => Owner::Waiting {
                    since: s.owner_since.unwrap_or_default(),
                    reason: s
                        .handoff_reason
                        .as_deref()
                        .and_then(crate::handoff::HandoffReason::parse)
                        .unwrap_or(crate::handoff::HandoffReason::Asked),
                },
                _ => Owner::Bot,
            },
            not_understood: s.not_understood,
            version: s.version,
        }
    }
}

impl From<Session> for Stored {
    fn from(s: Session) -> Self {
        let (verified_phone, linked) = match s.identity {
            Identity::ChatOnly => (None, false),
            Identity::PhoneVerified { phone } => (Some(phone), false),
            Identity::Linked { phone } => (phone, true),
        };
        let owner = s.owner.as_str().map(str::to_owned);
        let (owner_since, handoff_reason, agent) = match s.owner {
            Owner::Bot => (None, None, None),
            Owner::Waiting { since, reason } => {
                (Some(since), Some(reason.as_str().to_owned()), None)
            }
            Owner::Agent { agent, since } => (Some(since), None, Some(agent)),
        };
        let (state, verifying) = match s.state {
            DialogueState::VerifyingPhone(v) => (DialogueState::Browsing, Some(v)),
            state => (state, None),
        };
        Stored {
            state,
            verifying,
            cart: s.cart,
            lang: s.lang,
            lang_source: s.lang_source,
            offered: s.offered.0,
            verified_phone,
            linked,
            last_heard_at: s.last_heard_at,
            opted_out: s.reachability.is_opted_out(),
            owner,
            owner_since,
            handoff_reason,
            agent,
            not_understood: s.not_understood,
            version: s.version,
        }
    }
}

impl Session {
    /// Notes the choices a reply showed: from now on a typed number picks from them. A reply
    /// with none (a confirmation, an apology) leaves the earlier ones standing, because the
    /// menu above it on screen is still the one the customer answers.
    pub fn offer(&mut self, choices: Offered) {
        if !choices.is_empty() {
            self.offered = choices;
        }
    }

    /// The platform vouched for `phone` as the customer's own. A chat already linked stays
    /// linked: its record was merged once, and its purchases from now on count against the
    /// new phone.
    pub fn verify_phone(&mut self, phone: String) {
        self.identity = match self.identity {
            Identity::Linked { .. } => Identity::Linked { phone: Some(phone) },
            Identity::ChatOnly | Identity::PhoneVerified { .. } => {
                Identity::PhoneVerified { phone }
            }
        };
    }

    /// Notes that the chat's own customer record was merged into its phone's (the caller
    /// moved the units), so no later checkout merges it again.
    pub fn link_to_phone(&mut self) {
        self.identity = match std::mem::take(&mut self.identity) {
            Identity::ChatOnly => Identity::Linked { phone: None },
            Identity::PhoneVerified { phone } => Identity::Linked { phone: Some(phone) },
            linked @ Identity::Linked { .. } => linked,
        };
    }

    /// The customer opted out (SMS `STOP`, a WeChat unsubscribe).
    pub fn opt_out(&mut self) {
        self.reachability = Reachability::OptedOut;
    }

    /// The customer opted back in (SMS `START`, a WeChat follow).
    pub fn opt_in(&mut self) {
        self.reachability = Reachability::Reachable;
    }

    /// The customer asked us to forget them: everything the chat remembered about them goes
    /// (step, cart, language, menu, phone). The opt-out stays, so a customer who said STOP is
    /// not written to again because they also said "forget me"; so does when they last wrote,
    /// which is the platform's messaging window, not something they told us: without it the
    /// confirmation of this very request would be held as outside WhatsApp's 24 hours. The
    /// version goes on, so the save stays conditional.
    pub fn forget(&mut self) {
        *self = Session {
            reachability: self.reachability,
            owner: std::mem::take(&mut self.owner),
            last_heard_at: self.last_heard_at,
            version: self.version,
            ..Session::default()
        };
    }

    /// Notes the language decided for this message ([`crate::language::decide`]) and where it
    /// came from, so a choice the customer made outlasts any later clue.
    pub fn speak(&mut self, decision: Decision) {
        self.lang = Some(decision.lang);
        self.lang_source = Some(decision.source);
    }

    /// Hands the conversation to a person at `at` for `reason`; one already with a person keeps
    /// its owner and time (the first reason is the one the agents were told).
    pub fn hand_to_person(&mut self, reason: crate::handoff::HandoffReason, at: i64) {
        self.not_understood = 0;
        if self.owner.is_bot() {
            self.owner = Owner::Waiting { since: at, reason };
        }
    }

    /// The bot could not make sense of the customer's message; the count of such messages in
    /// a row after it.
    pub fn misunderstood(&mut self) -> u8 {
        self.not_understood = self.not_understood.saturating_add(1);
        self.not_understood
    }

    /// The bot understood the customer's message: the count of misunderstandings starts over.
    pub fn understood(&mut self) {
        self.not_understood = 0;
    }

    /// Notes that the customer wrote at `sent_at`; a late redelivery never moves it back.
    pub fn heard_from(&mut self, sent_at: i64) {
        self.last_heard_at = Some(self.last_heard_at.map_or(sent_at, |t| t.max(sent_at)));
    }
}

#[cfg(test)]
#[path = "dialogue_tests.rs"]
mod tests;
