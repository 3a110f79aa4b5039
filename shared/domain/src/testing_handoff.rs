//! The handoff list over the in-memory sessions, for the domain's tests: the same moves the
//! DynamoDB store makes with conditional writes, made under the sessions' lock.

use crate::channel::{Channel, ConversationId};
use crate::dialogue::Owner;
use crate::handoff::{AlertKind, Claim, HandoffEntry, HandoffFilter, HandoffReason, HandoffStore};
use crate::i18n::Lang;
use crate::ports::PortError;
use crate::testing::Memory;

fn conversation_of(key: &str) -> ConversationId {
    let (channel, customer) = key.split_once('#').expect("channel#customer");
    ConversationId::new(Channel::parse(channel).expect("a channel"), customer)
}

impl HandoffStore for Memory {
    async fn open_handoff(
        &self,
        c: &ConversationId,
        reason: HandoffReason,
        _lang: Lang,
        at: i64,
    ) -> Result<bool, PortError> {
        let mut sessions = self.sessions.lock().unwrap();
        let s = sessions.entry(c.key()).or_default();
        if !s.owner.is_bot() {
            return Ok(false);
        }
        s.hand_to_person(reason, at);
        s.version += 1;
        Ok(true)
    }

    async fn claim_handoff(
        &self,
        c: &ConversationId,
        agent: &str,
        at: i64,
    ) -> Result<Claim, PortError> {
        let mut sessions = self.sessions.lock().unwrap();
        let Some(s) = sessions.get_mut(&c.key()) else {
            return Ok(Claim::NotWaiting);
        };
        match &s.owner {
            Owner::Bot => Ok(Claim::NotWaiting),
            Owner::Agent { agent: a, .. } if a == agent => Ok(Claim::Claimed),
            Owner::Agent { agent: a, .. } => Ok(Claim::TakenBy(a.clone())),
            Owner::Waiting { reason, .. } => {
                self.handoff_reasons
                    .lock()
                    .unwrap()
                    .insert(c.key(), *reason);
                s.owner = Owner::Agent {
                    agent: agent.into(),
                    since: at,
                };
                s.version += 1;
                self.handoff_marks
                    .lock()
                    .unwrap()
                    .entry(c.key())
                    .or_default()
                    .0 = Some(at);
                Ok(Claim::Claimed)
            }
        }
    }

    async fn hand_back(&self, c: &ConversationId) -> Result<bool, PortError> {
        let mut sessions = self.sessions.lock().unwrap();
        let Some(s) = sessions.get_mut(&c.key()) else {
            return Ok(false);
        };
        if s.owner.is_bot() {
            return Ok(false);
        }
        s.owner = Owner::Bot;
        s.version += 1;
        self.handoff_marks.lock().unwrap().remove(&c.key());
        self.handoff_reasons.lock().unwrap().remove(&c.key());
        self.alert_marks
            .lock()
            .unwrap()
            .retain(|(key, _), _| *key != c.key());
        Ok(true)
    }

    async fn list_handoffs(&self, filter: HandoffFilter) -> Result<Vec<HandoffEntry>, PortError> {
        let sessions = self.sessions.lock().unwrap();
        let marks = self.handoff_marks.lock().unwrap();
        let reasons = self.handoff_reasons.lock().unwrap();
        let mut out: Vec<HandoffEntry> = sessions
            .iter()
            .filter(|(_, s)| filter.admits(&s.owner))
            .map(|(key, s)| {
                let (agent_active_at, escalated_at) = marks.get(key).copied().unwrap_or_default();
                HandoffEntry {
                    conversation: conversation_of(key),
                    owner: s.owner.clone(),
                    reason: match s.owner {
                        Owner::Waiting { reason, .. } => reason,
                        _ => reasons.get(key).copied().unwrap_or(HandoffReason::Asked),
                    },
                    lang: s.lang.unwrap_or(Lang::EN),
                    agent_active_at,
                    escalated_at,
                }
            })
            .collect();
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
        let sessions = self.sessions.lock().unwrap();
        let waiting = matches!(
            sessions.get(&c.key()).map(|s| &s.owner),
            Some(Owner::Waiting { since: t, .. }) if *t == since
        );
        let mut marks = self.alert_marks.lock().unwrap();
        let mark = marks.entry((c.key(), kind)).or_default();
        if !waiting || mark.is_some() {
            return Ok(false);
        }
        *mark = Some(at);
        if kind == AlertKind::Escalated {
            self.handoff_marks
                .lock()
                .unwrap()
                .entry(c.key())
                .or_default()
                .1 = Some(at);
        }
        Ok(true)
    }

    async fn release_alert(&self, c: &ConversationId, kind: AlertKind) -> Result<(), PortError> {
        self.alert_marks.lock().unwrap().remove(&(c.key(), kind));
        if kind == AlertKind::Escalated
            && let Some(mark) = self.handoff_marks.lock().unwrap().get_mut(&c.key())
        {
            mark.1 = None;
        }
        Ok(())
    }
}
