//! The agent inbox: what a person at the console may do with a conversation handed to people,
//! and the checks each action passes before anything is written or sent.
//!
//! [`crate::handoff`] decides *when* a conversation leaves the bot; this module is what happens
//! next, at the console. Its model follows Chatwoot's inbox
//! (<https://www.chatwoot.com/hc/user-guide/articles/1677587234-how-to-use-conversation-filters>):
//! a list by view (waiting for someone, mine, all) with filters, a conversation that is
//! *assigned* to one agent at a time, replies that go to the customer, private notes that do
//! not, and "resolve" — here: hand back to the bot.
//!
//! ```text
//!  reply  ─▶ text 1..=4096 chars ─▶ the platform's rules for a person now (delivery::sending_mode,
//!            the function notify applies) ─ no: refused with notify's reason, nothing queued
//!         ─▶ waiting? claim it (conditional) ─▶ still mine? touch agent_active_at (conditional)
//!         ─▶ queue the bundle (origin agent:<id>) for notify
//!  assign ─▶ the target is a known console user ─▶ one conditional move (waiting, or the caller's
//!            own, or any for a manager)
//!  pay link ─▶ a cart to pay for ─▶ the bot's rules now ─▶ the payment function's checkout,
//!            queued as a console event (the bot's answer to it goes out during a handoff)
//! ```
//!
//! Every move is a conditional write in the store ([`InboxStore`], [`HandoffStore`]): two
//! agents pressing "assign to me" at once get one owner and one refusal, never a lost update.
//! Nothing reads a state to decide a write: the reads here (the session for the sending rules,
//! the agent directory for a target's existence) only refuse early with a clear reason, and the
//! write's own condition is what holds.
//!
//! Why check the rules here when notify applies them again on delivery: a person who typed a
//! reply must learn *now* that WhatsApp will not carry it after 24 hours, not find it on ops'
//! held list a day later. The check is the same function on the same session, so the two agree
//! unless the window closes between the click and the delivery (seconds), in which case notify
//! holds it with the same reason, as for the bot.

use crate::action::{Action, Handler};
use crate::channel::{Channel, ConversationId, full_hash};
use crate::delivery::{Moment, sending_mode};
use crate::dialogue::{Owner, Session};
use crate::handoff::{Claim, HandoffEntry, HandoffStore};
use crate::i18n::Lang;
use crate::inbound::{InboundContent, InboundMessage};
use crate::orders::{Order, OrderStatus};
use crate::ports::{Dispatch, PortError, SessionStore};
use crate::reply::{Origin, Reply, ReplyBundle};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The longest reply a person may send: WhatsApp's text body limit, the smallest of the
/// platforms' limits for one text message that matter here
/// (<https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#text-object>).
pub const MAX_REPLY_CHARS: usize = 4096;

/// The longest private note.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Event ids of messages the console makes on a customer's behalf start with this; the
/// payment function answers them even while a person owns the conversation.
pub const CONSOLE_EVENT_PREFIX: &str = "console-";

/// Which conversations a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    /// Handed over, nobody has taken it.
    Waiting,
    /// Assigned to the asking agent.
    Mine,
    /// Every conversation a person has or should.
    All,
}

impl InboxView {
    pub fn parse(s: &str) -> Option<InboxView> {
        match s {
            "waiting" => Some(InboxView::Waiting),
            "mine" => Some(InboxView::Mine),
            "all" => Some(InboxView::All),
            _ => None,
        }
    }
}

/// A list's view and filters, as the console's query string gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxQuery {
    pub view: InboxView,
    pub channel: Option<Channel>,
    pub lang: Option<Lang>,
    /// Only customers with an order of this drop.
    pub drop: Option<String>,
    /// Only customers with an order in this status.
    pub status: Option<OrderStatus>,
}

/// A query parameter that names nothing we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`")]
pub struct BadFilter {
    pub what: &'static str,
    pub value: String,
}

impl InboxQuery {
    /// From the query string's values (absent or empty: no filter; no view: waiting).
    pub fn parse(
        view: Option<&str>,
        channel: Option<&str>,
        lang: Option<&str>,
        drop: Option<&str>,
        status: Option<&str>,
    ) -> Result<InboxQuery, BadFilter> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        fn bad(what: &'static str, value: &str) -> BadFilter {
            BadFilter {
                what,
                value: value.to_string(),
            }
        }
        Ok(InboxQuery {
            view: match given(view) {
                None => InboxView::Waiting,
                Some(v) => InboxView::parse(v).ok_or_else(|| bad("view", v))?,
            },
            channel: given(channel)
                .map(|c| Channel::parse(c).ok_or_else(|| bad("channel", c)))
                .transpose()?,
            lang: given(lang)
                .map(|l| l.parse::<Lang>().map_err(|_| bad("language", l)))
                .transpose()?,
            drop: given(drop).map(str::to_string),
            status: given(status)
                .map(|s| OrderStatus::parse(s).ok_or_else(|| bad("order status", s)))
                .transpose()?,
        })
    }

    /// Whether the entry passes the view and the filters that need no orders.
    pub fn admits(&self, entry: &HandoffEntry, me: &str) -> bool {
        let view = match (&self.view, &entry.owner) {
            (InboxView::Waiting, Owner::Waiting { .. }) => true,
            (InboxView::Mine, Owner::Agent { agent, .. }) => agent == me,
            (InboxView::All, Owner::Waiting { .. } | Owner::Agent { .. }) => true,
            _ => false,
        };
        view && self.channel.is_none_or(|c| entry.conversation.channel == c)
            && self.lang.is_none_or(|l| entry.lang == l)
    }

    /// Whether the filters need each conversation's orders read.
    pub fn needs_orders(&self) -> bool {
        self.drop.is_some() || self.status.is_some()
    }

    /// Whether one of the customer's orders matches the drop and status filters together.
    pub fn admits_orders(&self, orders: &[Order]) -> bool {
        if !self.needs_orders() {
            return true;
        }
        orders.iter().any(|o| {
            self.status.is_none_or(|s| o.status == s)
                && self
                    .drop
                    .as_deref()
                    .is_none_or(|d| o.stock.iter().any(|t| t.drop == d))
        })
    }
}

/// A console user others can assign conversations to: recorded when they open the console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCard {
    /// The sign-in's stable subject (Cognito's `sub`): what [`Owner::Agent`] holds.
    pub id: String,
    pub email: String,
}

/// A private note on a conversation: for agents, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// From the request (a retried request writes the same note once).
    pub id: String,
    pub author: String,
    pub email: String,
    pub at: i64,
    pub text: String,
}

/// Whose conversation an assignment may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes<'a> {
    /// A waiting conversation, or one this agent has (an agent passing theirs on).
    WaitingOrMine(&'a str),
    /// Any conversation a person has or should (a manager redistributing work).
    Any,
}

/// The inbox's own conditional moves and records; every method is idempotent.
pub trait InboxStore: Send + Sync {
    /// Gives the conversation to `to` if `takes` allows it from its current owner: `false`
    /// (nothing written) when it does not, or when the bot has the conversation.
    fn assign(
        &self,
        conversation: &ConversationId,
        to: &str,
        takes: Takes<'_>,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Records that `agent` acted now (the sweep hands back a conversation nobody acts on), on
    /// condition that `agent` has it: `false` if not.
    fn touch_agent(
        &self,
        conversation: &ConversationId,
        agent: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    fn add_note(
        &self,
        conversation: &ConversationId,
        note: &Note,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The conversation's notes, oldest first.
    fn notes(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Vec<Note>, PortError>> + Send;

    fn record_agent(&self, agent: &AgentCard)
    -> impl Future<Output = Result<(), PortError>> + Send;

    fn agents(&self) -> impl Future<Output = Result<Vec<AgentCard>, PortError>> + Send;
}

/// Why an inbox action was refused; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("write something to send")]
    Empty,
    #[error("a message is at most {0} characters")]
    TooLong(usize),
    #[error("the bot has this conversation: nobody is waiting for a person")]
    WithBot,
    #[error("another agent has this conversation ({0}); ask them or a manager to assign it")]
    TakenBy(String),
    #[error("the platform's rules forbid this message now: {0}")]
    Forbidden(String),
    #[error("the customer's cart is empty: nothing to pay for")]
    EmptyCart,
    #[error("no console user `{0}`: they appear once they have signed in")]
    UnknownAgent(String),
    #[error("this conversation cannot be assigned by you now (it is not waiting and not yours)")]
    NotAssignable,
    #[error(transparent)]
    Port(#[from] PortError),
}

impl InboxError {
    /// The HTTP status the console answers with.
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Empty | InboxError::TooLong(_) | InboxError::UnknownAgent(_) => 400,
            InboxError::Forbidden(_) => 422,
            InboxError::Port(_) => 503,
            _ => 409,
        }
    }
}

fn checked_text(text: &str, max: usize) -> Result<&str, InboxError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InboxError::Empty);
    }
    if text.chars().count() > max {
        return Err(InboxError::TooLong(max));
    }
    Ok(text)
}

/// Whether the platform lets `bundle` go out to this session now: `Err` with the reason notify
/// would hold it for.
pub fn may_send(bundle: &ReplyBundle, session: &Session, now: i64) -> Result<(), String> {
    let rules = bundle.conversation.channel.spec().sending;
    sending_mode(
        rules,
        bundle,
        Moment {
            now,
            last_heard_at: session.last_heard_at,
            reachability: session.reachability,
        },
    )
    .map(|_| ())
}

/// The bundle a person's reply travels in: one text, under an id of the request (a retried
/// request queues the same bundle, which the queue deduplicates).
pub fn agent_bundle(
    conversation: &ConversationId,
    session: &Session,
    agent: &str,
    request: &str,
    text: &str,
    default_lang: Lang,
) -> ReplyBundle {
    ReplyBundle {
        id: full_hash(&format!("console#reply#{request}")),
        conversation: conversation.clone(),
        lang: session.lang.unwrap_or(default_lang),
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Origin::Agent(agent.to_string()),
        replies: vec![Reply::Text {
            body: text.to_string(),
        }],
    }
}

/// Sends a person's reply: checked, owned (a waiting conversation is claimed by replying),
/// then queued for notify. Returns the queued bundle.
#[allow(clippy::too_many_arguments)]
pub async fn reply<S, D>(
    store: &S,
    dispatch: &D,
    conversation: &ConversationId,
    agent: &str,
    request: &str,
    text: &str,
    default_lang: Lang,
    now: i64,
) -> Result<ReplyBundle, InboxError>
where
    S: SessionStore + HandoffStore + InboxStore,
    D: Dispatch,
{
    let text = checked_text(text, MAX_REPLY_CHARS)?;
    let session = store.session(conversation).await?;
    match &session.owner {
        Owner::Bot => return Err(InboxError::WithBot),
        Owner::Agent { agent: a, .. } if a != agent => return Err(InboxError::TakenBy(a.clone())),
        _ => {}
    }
    let bundle = agent_bundle(conversation, &session, agent, request, text, default_lang);
    may_send(&bundle, &session, now).map_err(InboxError::Forbidden)?;
    if matches!(session.owner, Owner::Waiting { .. }) {
        match store.claim_handoff(conversation, agent, now).await? {
            Claim::Claimed => {}
            Claim::TakenBy(a) => return Err(InboxError::TakenBy(a)),
            Claim::NotWaiting => return Err(InboxError::WithBot),
        }
    }
    // The condition is the ownership check that holds: a manager may have reassigned it since.
    if !store.touch_agent(conversation, agent, now).await? {
        return Err(match store.session(conversation).await?.owner {
            Owner::Agent { agent: a, .. } => InboxError::TakenBy(a),
            _ => InboxError::WithBot,
        });
    }
    dispatch.reply(&bundle).await?;
    Ok(bundle)
}

/// Assigns the conversation to `to`, a console user who has signed in.
pub async fn assign<S: InboxStore>(
    store: &S,
    conversation: &ConversationId,
    to: &str,
    takes: Takes<'_>,
    now: i64,
) -> Result<(), InboxError> {
    if !store.agents().await?.iter().any(|a| a.id == to) {
        return Err(InboxError::UnknownAgent(to.to_string()));
    }
    if store.assign(conversation, to, takes, now).await? {
        Ok(())
    } else {
        Err(InboxError::NotAssignable)
    }
}

/// Adds a private note.
pub async fn note<S: InboxStore>(
    store: &S,
    conversation: &ConversationId,
    author: &AgentCard,
    request: &str,
    text: &str,
    now: i64,
) -> Result<Note, InboxError> {
    let text = checked_text(text, MAX_NOTE_CHARS)?;
    let note = Note {
        id: full_hash(&format!("console#note#{request}"))[..24].to_string(),
        author: author.id.clone(),
        email: author.email.clone(),
        at: now,
        text: text.to_string(),
    };
    store.add_note(conversation, &note).await?;
    Ok(note)
}

/// The message that asks the payment function for a checkout of the customer's cart, on the
/// console's behalf: the customer gets the reservation and the pay link, as if they had tapped
/// "Checkout" (stock reserved, limits counted, the same order and link).
pub fn checkout_message(
    conversation: &ConversationId,
    lang: Lang,
    request: &str,
    now: i64,
) -> InboundMessage {
    InboundMessage {
        conversation: conversation.clone(),
        event_id: format!("{CONSOLE_EVENT_PREFIX}{}", &full_hash(request)[..32]),
        sent_at: now,
        locale: Some(lang.to_string()),
        ack: None,
        reply_token: None,
        content: InboundContent::Action {
            payload: Action::Checkout.encode(),
            title: None,
        },
    }
}

/// Sends the customer a pay link for their cart: refused when the cart is empty or the
/// platform would not carry the bot's answer now.
pub async fn attach_pay_link<S, D>(
    store: &S,
    dispatch: &D,
    conversation: &ConversationId,
    request: &str,
    default_lang: Lang,
    now: i64,
) -> Result<(), InboxError>
where
    S: SessionStore,
    D: Dispatch,
{
    let session = store.session(conversation).await?;
    if session.cart.lines.is_empty() {
        return Err(InboxError::EmptyCart);
    }
    if session.owner.is_bot() {
        return Err(InboxError::WithBot);
    }
    // The pay link is the bot's answer (the payment function writes it): the bot's rules.
    let mut probe = agent_bundle(conversation, &session, "probe", request, "-", default_lang);
    probe.origin = Origin::Bot;
    may_send(&probe, &session, now).map_err(InboxError::Forbidden)?;
    let lang = session.lang.unwrap_or(default_lang);
    dispatch
        .hand_off(
            Handler::Payment,
            &checkout_message(conversation, lang, request, now),
        )
        .await?;
    Ok(())
}

/// Whether a message is the customer's own (so the bot keeps quiet about it while a person has
/// the conversation), rather than one chatdrop made on their behalf: a console pay link, a
/// draw's winning claim.
pub fn from_customer(message: &InboundMessage) -> bool {
    !(message.event_id.starts_with(CONSOLE_EVENT_PREFIX) || message.event_id.starts_with("draw-"))
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
