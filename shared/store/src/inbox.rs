//! The agent inbox's items: assignments (moves of the handoff list), private notes and the
//! directory of console users.
//!
//! | item | pk | sk | TTL |
//! |---|---|---|---|
//! | a private note (`author`, `email`, `at`, `text`) | `NOTES#channel#customer` | `NOTE#<id>` | 90 days, as the thread |
//! | a console user others can assign to (`email`, `seen_at`) | `AGENTS` | Cognito `sub` | — |
//!
//! An assignment moves the session's owner and the list entry in one transaction, like the
//! claim in `handoff.rs`, on the condition the caller's role allows ([`Takes`]); an agent's
//! activity stamp is written only while the entry still names that agent. A note is created
//! once per id (`attribute_not_exists`), so a retried request keeps the first time. The
//! directory is a put per sign-in: the same user writes the same item.

use crate::handoff::{entry_key, session_to_agent};
use crate::{DynamoStore, conditional_failed, n, s, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::inbox::{AgentCard, InboxStore, Note, Takes};
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;

const NOTE_TTL: i64 = 90 * 24 * 3600;
const AGENTS_PK: &str = "AGENTS";

fn notes_pk(c: &ConversationId) -> String {
    format!("NOTES#{}", c.key())
}

fn attr_s(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn attr_n(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

impl InboxStore for DynamoStore {
    async fn assign(
        &self,
        c: &ConversationId,
        to: &str,
        takes: Takes<'_>,
        at: i64,
    ) -> Result<bool, PortError> {
        let session = session_to_agent(&self.table, c, to, at);
        let session = match takes {
            Takes::WaitingOrMine(me) => session
                .condition_expression("#o = :waiting OR (#o = :agent AND #ag = :me)")
                .expression_attribute_values(":me", s(me)),
            Takes::Any => session.condition_expression("#o IN (:waiting, :agent)"),
        };
        self.move_to_agent("assign conversation", session, c, to, at)
            .await
    }

    async fn touch_agent(
        &self,
        c: &ConversationId,
        agent: &str,
        at: i64,
    ) -> Result<bool, PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(entry_key(c)))
            .update_expression("SET agent_active_at = :at")
            .condition_expression("#o = :agent AND #ag = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#ag", "agent")
            .expression_attribute_values(":agent", s("agent"))
            .expression_attribute_values(":me", s(agent))
            .expression_attribute_values(":at", n(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("record agent activity", sdk_message(e))),
        }
    }

    async fn add_note(&self, c: &ConversationId, note: &Note) -> Result<(), PortError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(notes_pk(c)))
            .item("sk", s(format!("NOTE#{}", note.id)))
            .item("author", s(&note.author))
            .item("email", s(&note.email))
            .item("at", n(note.at))
            .item("text", s(&note.text))
            .item("expires_at", n(self.now_secs() + NOTE_TTL))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            // A retried request: the first write stands.
            Ok(_) => Ok(()),
            Err(e) if conditional_failed(&e) => Ok(()),
            Err(e) => Err(PortError::new("add note", sdk_message(e))),
        }
    }

    async fn notes(&self, c: &ConversationId) -> Result<Vec<Note>, PortError> {
        let mut notes: Vec<Note> = self
            .items_with_prefix("read notes", notes_pk(c), "", |q| q)
            .await?
            .iter()
            .map(|item| Note {
                id: attr_s(item, "sk").trim_start_matches("NOTE#").to_string(),
                author: attr_s(item, "author"),
                email: attr_s(item, "email"),
                at: attr_n(item, "at"),
                text: attr_s(item, "text"),
            })
            .collect();
        notes.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        Ok(notes)
    }

    async fn record_agent(&self, agent: &AgentCard) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(AGENTS_PK))
            .item("sk", s(&agent.id))
            .item("email", s(&agent.email))
            .send()
            .await
            .map_err(|e| PortError::new("record console user", sdk_message(e)))?;
        Ok(())
    }

    async fn agents(&self) -> Result<Vec<AgentCard>, PortError> {
        let mut agents: Vec<AgentCard> = self
            .items_with_prefix("list console users", AGENTS_PK, "", |q| q)
            .await?
            .iter()
            .map(|item| AgentCard {
                id: attr_s(item, "sk"),
                email: attr_s(item, "email"),
            })
            .collect();
        agents.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(agents)
    }
}
