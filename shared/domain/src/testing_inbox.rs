//! The inbox's store over the in-memory sessions, for the domain's tests: the same conditional
//! moves the DynamoDB store makes, made under the sessions' lock.

use crate::channel::ConversationId;
use crate::dialogue::Owner;
use crate::inbox::{AgentCard, InboxStore, Note, Takes};
use crate::ports::PortError;
use crate::testing::Memory;

impl InboxStore for Memory {
    async fn assign(
        &self,
        c: &ConversationId,
        to: &str,
        takes: Takes<'_>,
        at: i64,
    ) -> Result<bool, PortError> {
        let mut sessions = self.sessions.lock().unwrap();
        let Some(s) = sessions.get_mut(&c.key()) else {
            return Ok(false);
        };
        let allowed = match (&s.owner, takes) {
            (Owner::Bot, _) => false,
            (Owner::Waiting { .. }, _) | (Owner::Agent { .. }, Takes::Any) => true,
            (Owner::Agent { agent, .. }, Takes::WaitingOrMine(me)) => agent == me,
        };
        if !allowed {
            return Ok(false);
        }
        s.owner = Owner::Agent {
            agent: to.into(),
            since: at,
        };
        s.version += 1;
        self.handoff_marks
            .lock()
            .unwrap()
            .entry(c.key())
            .or_default()
            .0 = Some(at);
        Ok(true)
    }

    async fn touch_agent(
        &self,
        c: &ConversationId,
        agent: &str,
        at: i64,
    ) -> Result<bool, PortError> {
        let sessions = self.sessions.lock().unwrap();
        let mine = matches!(
            sessions.get(&c.key()).map(|s| &s.owner),
            Some(Owner::Agent { agent: a, .. }) if a == agent
        );
        if mine {
            self.handoff_marks
                .lock()
                .unwrap()
                .entry(c.key())
                .or_default()
                .0 = Some(at);
        }
        Ok(mine)
    }

    async fn add_note(&self, c: &ConversationId, note: &Note) -> Result<(), PortError> {
        let mut notes = self.notes.lock().unwrap();
        let list = notes.entry(c.key()).or_default();
        if !list.iter().any(|n| n.id == note.id) {
            list.push(note.clone());
        }
        Ok(())
    }

    async fn notes(&self, c: &ConversationId) -> Result<Vec<Note>, PortError> {
        let mut list = self
            .notes
            .lock()
            .unwrap()
            .get(&c.key())
            .cloned()
            .unwrap_or_default();
        list.sort_by_key(|n| n.at);
        Ok(list)
    }

    async fn record_agent(&self, agent: &AgentCard) -> Result<(), PortError> {
        let mut agents = self.agents.lock().unwrap();
        agents.retain(|a| a.id != agent.id);
        agents.push(agent.clone());
        Ok(())
    }

    async fn agents(&self) -> Result<Vec<AgentCard>, PortError> {
        Ok(self.agents.lock().unwrap().clone())
    }
}
