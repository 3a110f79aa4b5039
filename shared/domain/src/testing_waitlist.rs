//! The in-memory waitlist, on [`MemoryOrders`]: the DynamoDB adapter's rules with one lock as
//! one transaction. A SKU with anyone waiting is gated (open checkout takes none of its units,
//! [`WaitlistState::waiting`] is checked by `OrdersState::reserve`); an offer moves one unit
//! `available → held` for the first waiting entry; accept, pass and lapse are conditional on
//! the entry being offered; every transition appends to the drop's audit log.

use crate::channel::ConversationId;
use crate::orders::Order;
use crate::ports::PortError;
use crate::reminders::{Reminder, ReminderStore};
use crate::testing_orders::MemoryOrders;
use crate::waitlist::{
    AcceptError, AuditEvent, AuditRecord, EntryStatus, JoinRequest, Joined, WaitlistEntry,
    WaitlistStore,
};
use std::collections::{BTreeMap, HashMap};

/// One SKU's line, as the store keeps it: the counter, the gate, the held units and the
/// entries by number.
#[derive(Default, Debug, Clone)]
pub struct SkuLine {
    /// The last number given out.
    pub counter: u64,
    /// Entries in `waiting` (the gate: open checkout takes nothing while it is above 0).
    pub waiting: u32,
    /// Units held for offered entries.
    pub held: u32,
    pub entries: BTreeMap<u64, WaitlistEntry>,
    /// The latest entry of each conversation.
    pub current: HashMap<ConversationId, u64>,
}

#[derive(Default, Debug)]
pub struct WaitlistState {
    pub lines: BTreeMap<(String, String), SkuLine>,
    pub audit: Vec<AuditRecord>,
    /// "Remind me" records by drop and conversation, in the order they were made.
    pub reminders: Vec<Reminder>,
}

impl WaitlistState {
    fn line(&mut self, drop: &str, sku: &str) -> &mut SkuLine {
        self.lines
            .entry((drop.to_string(), sku.to_string()))
            .or_default()
    }

    pub fn waiting(&self, drop: &str, sku: &str) -> u32 {
        self.lines
            .get(&(drop.to_string(), sku.to_string()))
            .map_or(0, |l| l.waiting)
    }

    pub fn held(&self, drop: &str, sku: &str) -> u32 {
        self.lines
            .get(&(drop.to_string(), sku.to_string()))
            .map_or(0, |l| l.held)
    }

    /// A held unit leaves the hold for a reservation (the caller checked there is one).
    pub fn take_held(&mut self, drop: &str, sku: &str) {
        self.line(drop, sku).held -= 1;
    }

    fn record(&mut self, entry: &WaitlistEntry, event: AuditEvent, at: i64) {
        self.audit.push(AuditRecord {
            drop: entry.drop.clone(),
            sku: entry.sku.clone(),
            seq: entry.seq,
            event,
            at,
            hold_until: entry.hold_until.filter(|_| event == AuditEvent::Offered),
        });
    }
}

impl WaitlistStore for MemoryOrders {
    async fn join(&self, request: &JoinRequest) -> Result<Joined, PortError> {
        let mut state = self.state.lock().unwrap();
        let line = state.waitlist.line(&request.drop, &request.sku);
        if let Some(seq) = line.current.get(&request.conversation)
            && let Some(entry) = line.entries.get(seq)
            && !entry.status.finished()
        {
            return Ok(Joined::Already(entry.clone()));
        }
        line.counter += 1;
        let entry = WaitlistEntry {
            drop: request.drop.clone(),
            sku: request.sku.clone(),
            seq: line.counter,
            conversation: request.conversation.clone(),
            lang: request.lang,
            product: request.product.clone(),
            selections: request.selections.clone(),
            item: request.item.clone(),
            joined_at: request.now,
            status: EntryStatus::Waiting,
            hold_until: None,
            told: false,
        };
        line.waiting += 1;
        line.entries.insert(entry.seq, entry.clone());
        line.current.insert(entry.conversation.clone(), entry.seq);
        state
            .waitlist
            .record(&entry, AuditEvent::Joined, request.now);
        Ok(Joined::New(entry))
    }

    async fn entry_of(
        &self,
        drop: &str,
        sku: &str,
        conversation: &ConversationId,
    ) -> Result<Option<WaitlistEntry>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .waitlist
            .lines
            .get(&(drop.to_string(), sku.to_string()))
            .and_then(|l| l.entries.get(l.current.get(conversation)?))
            .cloned())
    }

    async fn offer_next(
        &self,
        drop: &str,
        sku: &str,
        now: i64,
        hold_until: i64,
    ) -> Result<Option<WaitlistEntry>, PortError> {
        let mut state = self.state.lock().unwrap();
        let available = state
            .stock
            .get(&(drop.to_string(), sku.to_string()))
            .map_or(0, |s| s.available);
        if available == 0 {
            return Ok(None);
        }
        let line = state.waitlist.line(drop, sku);
        let Some(entry) = line
            .entries
            .values_mut()
            .find(|e| e.status == EntryStatus::Waiting)
        else {
            return Ok(None);
        };
        entry.status = EntryStatus::Offered;
        entry.hold_until = Some(hold_until);
        let entry = entry.clone();
        line.waiting -= 1;
        line.held += 1;
        state
            .stock
            .get_mut(&(drop.to_string(), sku.to_string()))
            .expect("read above")
            .available -= 1;
        state.waitlist.record(&entry, AuditEvent::Offered, now);
        Ok(Some(entry))
    }

    async fn give_back(
        &self,
        entry: &WaitlistEntry,
        to: EntryStatus,
        now: i64,
    ) -> Result<bool, PortError> {
        let event = match to {
            EntryStatus::Passed => AuditEvent::Passed,
            EntryStatus::Lapsed => AuditEvent::Lapsed,
            other => {
                return Err(PortError::new(
                    "waitlist give back",
                    format!("{} is not an end of an offer", other.as_str()),
                ));
            }
        };
        let mut state = self.state.lock().unwrap();
        let line = state.waitlist.line(&entry.drop, &entry.sku);
        let Some(stored) = line.entries.get_mut(&entry.seq) else {
            return Ok(false);
        };
        if stored.status != EntryStatus::Offered {
            return Ok(false);
        }
        stored.status = to;
        let stored = stored.clone();
        line.held -= 1;
        state
            .stock
            .entry((entry.drop.clone(), entry.sku.clone()))
            .or_default()
            .available += 1;
        state.waitlist.record(&stored, event, now);
        Ok(true)
    }

    async fn accept(
        &self,
        entry: &WaitlistEntry,
        order: &Order,
        now: i64,
    ) -> Result<(), AcceptError> {
        let mut state = self.state.lock().unwrap();
        let open = state
            .waitlist
            .lines
            .get(&(entry.drop.clone(), entry.sku.clone()))
            .and_then(|l| l.entries.get(&entry.seq))
            .is_some_and(|e| {
                e.status == EntryStatus::Offered
                    && e.conversation == order.conversation
                    && e.hold_until.is_some_and(|end| now < end)
            });
        if !open {
            return Err(AcceptError::OfferGone);
        }
        state
            .reserve(order, Some((&entry.drop, &entry.sku)))
            .map_err(AcceptError::Refused)?;
        let line = state.waitlist.line(&entry.drop, &entry.sku);
        let stored = line.entries.get_mut(&entry.seq).expect("checked above");
        stored.status = EntryStatus::Accepted;
        let stored = stored.clone();
        state.waitlist.record(&stored, AuditEvent::Accepted, now);
        Ok(())
    }

    async fn mark_told(&self, entry: &WaitlistEntry) -> Result<(), PortError> {
        let mut state = self.state.lock().unwrap();
        if let Some(stored) = state
            .waitlist
            .line(&entry.drop, &entry.sku)
            .entries
            .get_mut(&entry.seq)
        {
            stored.told = true;
        }
        Ok(())
    }

    async fn offers(&self, limit: usize) -> Result<Vec<WaitlistEntry>, PortError> {
        let state = self.state.lock().unwrap();
        let mut offers: Vec<WaitlistEntry> = state
            .waitlist
            .lines
            .values()
            .flat_map(|l| l.entries.values())
            .filter(|e| e.status == EntryStatus::Offered)
            .cloned()
            .collect();
        offers.sort_by_key(|e| (e.hold_until, e.seq));
        offers.truncate(limit);
        Ok(offers)
    }

    async fn lines(&self) -> Result<Vec<(String, String)>, PortError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .waitlist
            .lines
            .keys()
            .cloned()
            .collect())
    }

    async fn audit(&self, drop: &str) -> Result<Vec<AuditRecord>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .waitlist
            .audit
            .iter()
            .filter(|r| r.drop == drop)
            .cloned()
            .collect())
    }
}

impl ReminderStore for MemoryOrders {
    async fn remind(&self, reminder: &Reminder) -> Result<bool, PortError> {
        let mut state = self.state.lock().unwrap();
        let reminders = &mut state.waitlist.reminders;
        if reminders
            .iter()
            .any(|r| r.drop == reminder.drop && r.conversation == reminder.conversation)
        {
            return Ok(false);
        }
        reminders.push(reminder.clone());
        Ok(true)
    }

    async fn untold(&self, drop: &str, limit: usize) -> Result<Vec<Reminder>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .waitlist
            .reminders
            .iter()
            .filter(|r| r.drop == drop && !r.told)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn claim(&self, reminder: &Reminder) -> Result<bool, PortError> {
        let mut state = self.state.lock().unwrap();
        Ok(state
            .waitlist
            .reminders
            .iter_mut()
            .find(|r| r.drop == reminder.drop && r.conversation == reminder.conversation)
            .is_some_and(|r| !std::mem::replace(&mut r.told, true)))
    }

    async fn unclaim(&self, reminder: &Reminder) -> Result<(), PortError> {
        let mut state = self.state.lock().unwrap();
        if let Some(r) = state
            .waitlist
            .reminders
            .iter_mut()
            .find(|r| r.drop == reminder.drop && r.conversation == reminder.conversation)
        {
            r.told = false;
        }
        Ok(())
    }
}

/// The draw store of the order double: delegates to its shared [`MemoryDraws`].
impl crate::draw_flow::DrawStore for MemoryOrders {
    async fn enter(&self, entry: &crate::draw_flow::DrawEntry) -> Result<bool, PortError> {
        self.draws().enter(entry).await
    }
    async fn entries(&self, drop: &str) -> Result<Vec<crate::draw_flow::DrawEntry>, PortError> {
        self.draws().entries(drop).await
    }
    async fn draw_record(&self, drop: &str) -> Result<Option<crate::draw::DrawRecord>, PortError> {
        self.draws().draw_record(drop).await
    }
    async fn commit_draw(
        &self,
        record: &crate::draw::DrawRecord,
        seed: &str,
    ) -> Result<bool, PortError> {
        self.draws().commit_draw(record, seed).await
    }
    async fn draw_seed(&self, drop: &str) -> Result<Option<String>, PortError> {
        self.draws().draw_seed(drop).await
    }
    async fn advance(
        &self,
        record: &crate::draw::DrawRecord,
        step: crate::draw_flow::DrawStep,
    ) -> Result<bool, PortError> {
        self.draws().advance(record, step).await
    }
    async fn claim_notice(&self, entry: &crate::draw_flow::DrawEntry) -> Result<bool, PortError> {
        self.draws().claim_notice(entry).await
    }
    async fn unclaim_notice(&self, entry: &crate::draw_flow::DrawEntry) -> Result<(), PortError> {
        self.draws().unclaim_notice(entry).await
    }
}

impl MemoryOrders {
    /// The shared draw store (a handle: the lock is not held while it is used).
    pub fn draws(&self) -> crate::draw_memory::MemoryDraws {
        self.state.lock().unwrap().draws.clone()
    }
}
