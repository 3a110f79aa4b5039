//! A conversation as the inbox shows it: a row of the list, and the whole of one opened.
//!
//! Everything here is pure: the route in `inbox_api.rs` reads the session, the thread, the
//! orders, the consent standing, the notes and the agent directory, and these types lay them
//! out. A conversation is named by its keyed pseudonym ([`ConversationId::hashed`]) in URLs,
//! logs and the audit trail; the customer's own id (a phone number on WhatsApp) never leaves
//! the function. Every text field carries what a customer or agent typed, so the web console
//! inserts all of them as text, never as markup.

use crate::orders::OrderView;
use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::consent::{Standing, Wish};
use chatdrop_domain::customization;
use chatdrop_domain::dialogue::{Owner, Session};
use chatdrop_domain::handoff::HandoffEntry;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbox::{AgentCard, Note};
use chatdrop_domain::money::Money;
use chatdrop_store::ThreadMessage;
use serde::Serialize;

/// One line of the inbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationRow {
    /// The pseudonym: the conversation's id in the console's URLs.
    pub id: String,
    pub channel: String,
    pub lang: String,
    /// `waiting` or `agent`.
    pub state: &'static str,
    pub agent: Option<String>,
    pub agent_email: Option<String>,
    pub mine: bool,
    pub reason: &'static str,
    /// When it was handed over, or assigned (Unix seconds).
    pub since: i64,
    pub escalated: bool,
}

impl ConversationRow {
    pub fn of(entry: &HandoffEntry, me: &str, agents: &[AgentCard]) -> ConversationRow {
        let agent = match &entry.owner {
            Owner::Agent { agent, .. } => Some(agent.clone()),
            _ => None,
        };
        ConversationRow {
            id: entry.conversation.hashed(),
            channel: entry.conversation.channel.to_string(),
            lang: entry.lang.to_string(),
            state: if agent.is_some() { "agent" } else { "waiting" },
            agent_email: agent.as_deref().map(|a| email_of(a, agents)),
            mine: agent.as_deref() == Some(me),
            agent,
            reason: entry.reason.as_str(),
            since: entry.since(),
            escalated: entry.escalated_at.is_some(),
        }
    }
}

/// A console user's email, or their id if they never opened the console.
fn email_of(id: &str, agents: &[AgentCard]) -> String {
    agents
        .iter()
        .find(|a| a.id == id)
        .map_or_else(|| id.to_string(), |a| a.email.clone())
}

/// One message of the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// `customer`, `bot` or `agent`.
    pub from: &'static str,
    /// The agent's email when a person wrote it.
    pub agent_email: Option<String>,
    pub at: i64,
    pub text: String,
    /// `received` for the customer's; `sent`, `delivered`, `read` or `failed` for ours.
    pub status: String,
}

impl MessageView {
    pub fn of(m: &ThreadMessage, agents: &[AgentCard]) -> MessageView {
        let agent = m.origin.strip_prefix("agent:");
        MessageView {
            from: match (m.direction.as_str(), agent) {
                ("in", _) => "customer",
                (_, Some(_)) => "agent",
                _ => "bot",
            },
            agent_email: agent.map(|a| email_of(a, agents)),
            at: m.at,
            text: m.summary.clone(),
            status: m.status.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLineView {
    pub item: String,
    pub quantity: u32,
}

/// What the customer allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentView {
    /// `false` once they stopped all messages (SMS `STOP`, an unfollow): nothing may be sent.
    pub reachable: bool,
    /// `opted_in`, `opted_out` or `never_asked`: drop announcements.
    pub announcements: &'static str,
    /// When that was decided (Unix seconds).
    pub announcements_since: Option<i64>,
}

impl ConsentView {
    pub fn of(session: &Session, standing: &Standing) -> ConsentView {
        let (announcements, since) = match standing {
            Standing::NeverAsked => ("never_asked", None),
            Standing::Latest(c) if c.wish == Wish::OptIn => ("opted_in", Some(c.at)),
            Standing::Latest(c) => ("opted_out", Some(c.at)),
        };
        ConsentView {
            reachable: !session.reachability.is_opted_out(),
            announcements,
            announcements_since: since,
        }
    }
}

/// An opened conversation.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    #[serde(flatten)]
    pub row: ConversationRow,
    /// When the customer last wrote: the platforms' windows count from it.
    pub last_heard_at: Option<i64>,
    pub messages: Vec<MessageView>,
    pub cart: Vec<CartLineView>,
    /// The cart's total in the customer's language; none for an empty cart.
    pub cart_total: Option<String>,
    pub orders: Vec<OrderView>,
    pub consent: ConsentView,
    pub notes: Vec<Note>,
    /// Why a person's reply may not go out now (the platform's rules); none: it may.
    pub reply_refused: Option<String>,
}

/// The parts an opened conversation is built from.
pub struct Parts<'a> {
    pub row: ConversationRow,
    pub conversation: &'a ConversationId,
    pub session: &'a Session,
    pub catalog: &'a Catalog,
    pub thread: &'a [ThreadMessage],
    pub orders: Vec<OrderView>,
    pub standing: &'a Standing,
    pub notes: Vec<Note>,
    pub agents: &'a [AgentCard],
    pub reply_refused: Option<String>,
    pub default_lang: Lang,
}

impl ConversationView {
    pub fn build(p: Parts<'_>) -> ConversationView {
        let lang = p.session.lang.unwrap_or(p.default_lang);
        let cart: Vec<CartLineView> = p
            .session
            .cart
            .lines
            .iter()
            .map(|l| CartLineView {
                item: match p.catalog.product(&l.product) {
                    Some(product) => customization::describe(product, &l.selections, lang),
                    None => l.product.clone(),
                },
                quantity: l.quantity,
            })
            .collect();
        let total: i64 = p
            .session
            .cart
            .lines
            .iter()
            .map(|l| l.unit_price * i64::from(l.quantity))
            .sum();
        let currency = p.catalog.market_for(p.conversation.channel).currency;
        ConversationView {
            row: p.row,
            last_heard_at: p.session.last_heard_at,
            messages: p
                .thread
                .iter()
                .map(|m| MessageView::of(m, p.agents))
                .collect(),
            cart_total: (!cart.is_empty()).then(|| Money::new(total, currency).format(lang, false)),
            cart,
            orders: p.orders,
            consent: ConsentView::of(p.session, p.standing),
            notes: p.notes,
            reply_refused: p.reply_refused,
        }
    }
}

#[cfg(test)]
#[path = "conversation_tests.rs"]
mod tests;
