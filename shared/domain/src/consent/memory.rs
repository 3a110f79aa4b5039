//! The consent ledger in memory: the domain's tests and the local tools use it where the
//! DynamoDB adapter (`chatdrop-store`) would stand. It keeps the adapter's rules — history once
//! per event, the standing never moves back in time — so a test
//! against it means what it would mean against the table.

use super::{ConsentChange, ConsentLedger, PersonKey, Standing, Subject};
use crate::channel::ConversationId;
use crate::ports::PortError;
use std::collections::HashMap;
use std::sync::Mutex;

/// History and standing per subject.
#[derive(Default)]
pub struct MemoryLedger {
    subjects: Mutex<HashMap<Subject, Ledgered>>,
}

#[derive(Default, Clone)]
struct Ledgered {
    /// By (time, event): the same order the table's sort key gives.
    history: Vec<ConsentChange>,
    standing: Option<ConsentChange>,
}

/// Whether `new` replaces `current` as the standing: not older. Platforms stamp whole seconds,
/// so "stop" and "start" typed in one second tie; one conversation's events are processed in
/// the order they arrived (the queue's message group is the conversation), so the one recorded
/// last is the one the customer sent last.
pub(crate) fn supersedes(new: &ConsentChange, current: &ConsentChange) -> bool {
    new.at >= current.at
}

impl MemoryLedger {
    fn standing_of(&self, subject: &Subject) -> Standing {
        self.subjects
            .lock()
            .unwrap()
            .get(subject)
            .and_then(|l| l.standing.clone())
            .map_or(Standing::NeverAsked, Standing::Latest)
    }
}

impl MemoryLedger {
    /// "Forget me", as the table's adapter does it: the conversation's entries go, and the
    /// person's stay with the words the customer typed blanked (`crate::personal_data`).
    pub fn forget(&self, conversation: &ConversationId, person: Option<&PersonKey>) {
        let mut subjects = self.subjects.lock().unwrap();
        subjects.remove(&Subject::Conversation(conversation.clone()));
        let Some(ledgered) = person.and_then(|p| subjects.get_mut(&Subject::Person(p.clone())))
        else {
            return;
        };
        for change in ledgered
            .history
            .iter_mut()
            .chain(ledgered.standing.as_mut())
        {
            change.source = change.source.without_personal_fields();
        }
    }
}

impl ConsentLedger for MemoryLedger {
    async fn record(&self, subject: &Subject, change: &ConsentChange) -> Result<(), PortError> {
        let mut subjects = self.subjects.lock().unwrap();
        let ledgered = subjects.entry(subject.clone()).or_default();
        let seen = ledgered
            .history
            .iter()
            .any(|c| c.at == change.at && c.event == change.event);
        if !seen {
            ledgered.history.push(change.clone());
            ledgered
                .history
                .sort_by(|a, b| (a.at, &a.event).cmp(&(b.at, &b.event)));
        }
        let replace = ledgered
            .standing
            .as_ref()
            .is_none_or(|current| supersedes(change, current));
        if replace {
            ledgered.standing = Some(change.clone());
        }
        Ok(())
    }

    async fn standing(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> Result<Standing, PortError> {
        let own = self.standing_of(&Subject::Conversation(conversation.clone()));
        Ok(match person {
            Some(p) => own.later(self.standing_of(&Subject::Person(p.clone()))),
            None => own,
        })
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<ConsentChange>, PortError> {
        Ok(self
            .subjects
            .lock()
            .unwrap()
            .get(subject)
            .map(|l| l.history.clone())
            .unwrap_or_default())
    }
}
