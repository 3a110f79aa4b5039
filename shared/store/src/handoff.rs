//! The handoff list: conversations a person owns or should, and their conditional moves.
//!
//! | item | pk | sk | TTL |
//! |---|---|---|---|
//! | a conversation with a person (`owner`, `owner_since`, `reason`, `agent`, `lang`, `last_customer_at`, `agent_active_at`; alerts claimed: `alerted_at`, `escalated_at`) | `HANDOFFS` | `channel#customer` | — |
//!
//! The session holds the truth (`owner` on the `CONV#…` `SESSION` item, [`Owner`]); the list is
//! its index, written in the same transaction as every change of it, so it can be read in one
//! `Query` by the console and the sweep and never disagrees with the session:
//!
//! - the conversation functions' commit (`session.rs`) updates the entry whenever the saved
//!   session is not the bot's (the handoff itself, then each message the customer sends while
//!   waiting: `last_customer_at`);
//! - [`HandoffStore::claim_handoff`] moves session and entry to `agent` only if the session is
//!   `waiting` (a second claim by the same agent answers `Claimed` without writing);
//! - [`HandoffStore::hand_back`] clears the session's owner and deletes the entry only if the
//!   session is not the bot's;
//! - [`HandoffStore::open_handoff`] (an order needing attention, a VIP) sets `waiting` only if
//!   the session has no owner, creating the session if the chat has none yet.
//!
//! Every move bumps the session's `version`, so a conversation function holding an older
//! session loses its conditional commit and retries on the new owner. One partition holds the
//! whole list: handoffs are few (a person per conversation), and the list is read whole.

use crate::{DynamoStore, conditional_failed, n, s, sdk_message};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::dialogue::{Owner, Session};
use chatdrop_domain::handoff::{
    AlertKind, Claim, HandoffEntry, HandoffFilter, HandoffReason, HandoffStore,
};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::{PortError, SessionStore};
use std::collections::HashMap;

const LIST_PK: &str = "HANDOFFS";
/// As `session.rs`'s: a session the handoff creates lives as long as any other.
const SESSION_TTL: i64 = 14 * 24 * 3600;

pub(crate) fn entry_key(c: &ConversationId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(LIST_PK)),
        ("sk".to_string(), s(c.key())),
    ])
}

pub(crate) fn session_key(c: &ConversationId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(format!("CONV#{}", c.key()))),
        ("sk".to_string(), s("SESSION")),
    ])
}

/// The entry's attribute that records an alert of `kind` as claimed.
fn alert_attribute(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::New => "alerted_at",
        AlertKind::Escalated => "escalated_at",
    }
}

pub(crate) fn cancelled(e: &SdkError<TransactWriteItemsError>) -> bool {
    matches!(e, SdkError::ServiceError(se)
        if matches!(se.err(), TransactWriteItemsError::TransactionCanceledException(_)))
}

pub(crate) fn build<T, E: std::fmt::Display>(
    what: &'static str,
    r: Result<T, E>,
) -> Result<T, PortError> {
    r.map_err(|e| PortError::new(what, e))
}

/// The session's update that gives conversation `c` to `agent` at `at`, unbuilt so the caller
/// adds the condition on who may take it (a claim: only a waiting conversation; an assignment:
/// what the caller's role allows). `:waiting` is bound for those conditions.
pub(crate) fn session_to_agent(
    table: &str,
    c: &ConversationId,
    agent: &str,
    at: i64,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .table_name(table)
        .set_key(Some(session_key(c)))
        .update_expression(
            "SET #o = :agent, #ag = :to, owner_since = :at, version = version + :one \
             REMOVE handoff_reason",
        )
        .expression_attribute_names("#o", "owner")
        .expression_attribute_names("#ag", "agent")
        .expression_attribute_values(":agent", s("agent"))
        .expression_attribute_values(":waiting", s("waiting"))
        .expression_attribute_values(":to", s(agent))
        .expression_attribute_values(":at", n(at))
        .expression_attribute_values(":one", n(1))
}

impl DynamoStore {
    /// Gives conversation `c` to `agent`: `session` (from [`session_to_agent`], with its
    /// condition) and the list entry in one transaction. `Ok(false)` when a condition failed.
    pub(crate) async fn move_to_agent(
        &self,
        what: &'static str,
        session: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        c: &ConversationId,
        agent: &str,
        at: i64,
    ) -> Result<bool, PortError> {
        let session = build(what, session.build())?;
        let entry = build(
            what,
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(entry_key(c)))
                .update_expression(
                    "SET #o = :agent, #ag = :to, owner_since = :at, agent_active_at = :at",
                )
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_names("#ag", "agent")
                .expression_attribute_values(":agent", s("agent"))
                .expression_attribute_values(":to", s(agent))
                .expression_attribute_values(":at", n(at))
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(session).build())
            .transact_items(TransactWriteItem::builder().update(entry).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled(&e) => Ok(false),
            Err(e) => Err(PortError::new(what, sdk_message(e))),
        }
    }
}

/// The list entry's update for a saved session that is not the bot's, for the commit's
/// transaction; `None` for the bot's (its entry, if any, goes with the hand-back).
pub(crate) fn entry_update(
    table: &str,
    c: &ConversationId,
    session: &Session,
    now: i64,
) -> Result<Option<TransactWriteItem>, PortError> {
    let (owner, since, reason, agent) = match &session.owner {
        Owner::Bot => return Ok(None),
        Owner::Waiting { since, reason } => ("waiting", *since, Some(*reason), None),
        Owner::Agent { agent, since } => ("agent", *since, None, Some(agent.as_str())),
    };
    let mut set = vec![
        "#o = :o",
        "owner_since = :since",
        "#ch = :ch",
        "#cu = :cu",
        "#l = :lang",
        "last_customer_at = :now",
    ];
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(entry_key(c)))
        .expression_attribute_names("#o", "owner")
        .expression_attribute_names("#ch", "channel")
        .expression_attribute_names("#cu", "customer")
        .expression_attribute_names("#l", "lang")
        .expression_attribute_values(":o", s(owner))
        .expression_attribute_values(":since", n(since))
        .expression_attribute_values(":ch", s(c.channel.as_str()))
        .expression_attribute_values(":cu", s(&c.customer))
        .expression_attribute_values(":lang", s(session.lang.unwrap_or_default().code()))
        .expression_attribute_values(":now", n(now));
    if let Some(reason) = reason {
        set.push("#r = :r");
        update = update
            .expression_attribute_names("#r", "reason")
            .expression_attribute_values(":r", s(reason.as_str()));
    }
    if let Some(agent) = agent {
        set.push("#ag = :a");
        update = update
            .expression_attribute_names("#ag", "agent")
            .expression_attribute_values(":a", s(agent));
    }
    let update = build(
        "build handoff entry",
        update
            .update_expression(format!("SET {}", set.join(", ")))
            .build(),
    )?;
    Ok(Some(TransactWriteItem::builder().update(update).build()))
}

fn attr_s(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn attr_n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Option<HandoffEntry> {
    let channel = Channel::parse(&attr_s(item, "channel")?)?;
    let conversation = ConversationId::new(channel, attr_s(item, "customer")?);
    let since = attr_n(item, "owner_since").unwrap_or_default();
    let reason = attr_s(item, "reason")
        .as_deref()
        .and_then(HandoffReason::parse)
        .unwrap_or(HandoffReason::Asked);
    let owner = match (attr_s(item, "owner").as_deref(), attr_s(item, "agent")) {
        (Some("agent"), Some(agent)) => Owner::Agent { agent, since },
        _ => Owner::Waiting { since, reason },
    };
    Some(HandoffEntry {
        conversation,
        owner,
        reason,
        lang: attr_s(item, "lang")
            .and_then(|l| l.parse().ok())
            .unwrap_or_default(),
        agent_active_at: attr_n(item, "agent_active_at"),
        escalated_at: attr_n(item, "escalated_at"),
    })
}

impl HandoffStore for DynamoStore {
    async fn open_handoff(
        &self,
        c: &ConversationId,
        reason: HandoffReason,
        lang: Lang,
        at: i64,
    ) -> Result<bool, PortError> {
        let now = self.now_secs();
        let session = build(
            "build handoff session update",
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(c)))
                .update_expression(
                    "SET #o = :o, owner_since = :since, handoff_reason = :r, \
                     version = if_not_exists(version, :zero) + :one, \
                     expires_at = if_not_exists(expires_at, :ttl)",
                )
                .condition_expression("attribute_not_exists(#o)")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", s("waiting"))
                .expression_attribute_values(":since", n(at))
                .expression_attribute_values(":r", s(reason.as_str()))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":ttl", n(now + SESSION_TTL))
                .build(),
        )?;
        let waiting = Session {
            owner: Owner::Waiting { since: at, reason },
            lang: Some(lang),
            ..Session::default()
        };
        let entry = entry_update(&self.table, c, &waiting, now)?.expect("not the bot's");
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(session).build())
            .transact_items(entry)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled(&e) => Ok(false),
            Err(e) => Err(PortError::new("open handoff", sdk_message(e))),
        }
    }

    async fn claim_handoff(
        &self,
        c: &ConversationId,
        agent: &str,
        at: i64,
    ) -> Result<Claim, PortError> {
        let session =
            session_to_agent(&self.table, c, agent, at).condition_expression("#o = :waiting");
        if self
            .move_to_agent("claim handoff", session, c, agent, at)
            .await?
        {
            return Ok(Claim::Claimed);
        }
        // Not waiting: say who has it (a read after the failed write, to answer; nothing is
        // written from it).
        Ok(match self.session(c).await?.owner {
            Owner::Agent { agent: a, .. } if a == agent => Claim::Claimed,
            Owner::Agent { agent: a, .. } => Claim::TakenBy(a),
            Owner::Bot | Owner::Waiting { .. } => Claim::NotWaiting,
        })
    }

    async fn hand_back(&self, c: &ConversationId) -> Result<bool, PortError> {
        let session = build(
            "build hand-back",
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(c)))
                .update_expression(
                    "SET version = version + :one, not_understood = :zero \
                     REMOVE #o, owner_since, handoff_reason, #ag",
                )
                .condition_expression("attribute_exists(#o)")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_names("#ag", "agent")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":zero", n(0))
                .build(),
        )?;
        let entry = build(
            "build hand-back entry",
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(entry_key(c)))
                .build(),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(session).build())
            .transact_items(TransactWriteItem::builder().delete(entry).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled(&e) => Ok(false),
            Err(e) => Err(PortError::new("hand back", sdk_message(e))),
        }
    }

    async fn list_handoffs(&self, filter: HandoffFilter) -> Result<Vec<HandoffEntry>, PortError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(LIST_PK))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| PortError::new("list handoffs", sdk_message(e)))?;
            out.extend(
                page.items()
                    .iter()
                    .filter_map(entry_of)
                    .filter(|e| filter.admits(&e.owner)),
            );
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        out.sort_by_key(HandoffEntry::since);
        Ok(out)
    }

    async fn claim_alert(
        &self,
        c: &ConversationId,
        kind: AlertKind,
        since: i64,
        at: i64,
    ) -> Result<bool, PortError> {
        let attribute = alert_attribute(kind);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(entry_key(c)))
            .update_expression("SET #k = :at")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#k) \
                 AND #o = :waiting AND owner_since = :since",
            )
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_values(":at", n(at))
            .expression_attribute_values(":waiting", s("waiting"))
            .expression_attribute_values(":since", n(since))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("claim agent alert", sdk_message(e))),
        }
    }

    async fn release_alert(&self, c: &ConversationId, kind: AlertKind) -> Result<(), PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(entry_key(c)))
            .update_expression("REMOVE #k")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#k", alert_attribute(kind))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if conditional_failed(&e) => Ok(()),
            Err(e) => Err(PortError::new("release agent alert", sdk_message(e))),
        }
    }
}
