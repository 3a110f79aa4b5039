//! Campaigns in memory: the domain's tests, the bench's model and local tools use it where the
//! DynamoDB adapter (`chatdrop-store`, `campaign.rs`) would stand. It keeps the adapter's rules
//! (a target added once, a claim only if absent, a finish only from pending, each counted with
//! its outcome, caps as sets of campaign ids), so a test against it means what it would mean
//! against the table. [`MemoryCampaigns::crash_after`] makes the next `finish` calls fail, as a
//! process killed between queueing a bundle and recording it would.

use super::{Audience, CampaignStore, CapBucket, ChannelReport, Multicast, Outcome, Target};
use crate::campaign::{Campaign, CampaignStatus, Recipient};
use crate::campaign_outcome::{AnnouncementLog, PlatformOutcome, Reached, SentAnnouncement};
use crate::channel::{Channel, ConversationId};
use crate::ports::PortError;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

#[derive(Clone, Debug, Default)]
struct Stored {
    due: i64,
    bundle: Option<String>,
    outcome: Option<Outcome>,
    /// The send record's platform side (`campaign_outcome`).
    attempt: u32,
    sent_at: Option<i64>,
    reached: Option<Reached>,
    refused: Option<String>,
    retry_at: Option<i64>,
}

#[derive(Default)]
struct State {
    campaigns: HashMap<String, Campaign>,
    /// Per campaign, per conversation key: in key order, as a query returns them.
    targets: HashMap<String, BTreeMap<String, (ConversationId, Stored)>>,
    reports: HashMap<String, BTreeMap<Channel, ChannelReport>>,
    caps: HashMap<String, BTreeSet<String>>,
    /// Budget counts by channel and hour bucket.
    budget_hours: BTreeMap<(Channel, i64), u64>,
    /// Claimed multicasts, by campaign and bundle id.
    multicasts: HashMap<(String, String), Multicast>,
    /// `finish` calls left before a simulated crash (`None`: never).
    finishes_left: Option<usize>,
    /// Platform message id (with its conversation's key) → the announcement it was.
    messages: HashMap<(String, String), SentAnnouncement>,
}

/// The campaign store in memory.
#[derive(Default)]
pub struct MemoryCampaigns {
    state: Mutex<State>,
}

impl MemoryCampaigns {
    /// After `n` more successful `finish` calls, every `finish` fails until [`Self::recover`].
    pub fn crash_after(&self, n: usize) {
        self.state.lock().unwrap().finishes_left = Some(n);
    }

    pub fn recover(&self) {
        self.state.lock().unwrap().finishes_left = None;
    }
}

impl CampaignStore for MemoryCampaigns {
    async fn create(&self, campaign: &Campaign) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        if s.campaigns.contains_key(&campaign.id) {
            return Ok(false);
        }
        s.campaigns.insert(campaign.id.clone(), campaign.clone());
        Ok(true)
    }

    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, PortError> {
        Ok(self.state.lock().unwrap().campaigns.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<Campaign>, PortError> {
        let mut all: Vec<Campaign> = self
            .state
            .lock()
            .unwrap()
            .campaigns
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    async fn set_status(
        &self,
        id: &str,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        match s.campaigns.get_mut(id) {
            Some(c) if from.contains(&c.status) => {
                c.status = to;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn add_targets(
        &self,
        id: &str,
        conversations: &[ConversationId],
        due: i64,
    ) -> Result<usize, PortError> {
        let mut s = self.state.lock().unwrap();
        let mut added = Vec::new();
        let targets = s.targets.entry(id.to_string()).or_default();
        for c in conversations {
            if let std::collections::btree_map::Entry::Vacant(slot) = targets.entry(c.key()) {
                slot.insert((
                    c.clone(),
                    Stored {
                        due,
                        ..Stored::default()
                    },
                ));
                added.push(c.channel);
            }
        }
        let report = s.reports.entry(id.to_string()).or_default();
        for channel in &added {
            report.entry(*channel).or_default().targeted += 1;
        }
        Ok(added.len())
    }

    async fn due_targets(
        &self,
        id: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Target>, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.targets
            .get(id)
            .into_iter()
            .flat_map(|t| t.values())
            .filter(|(_, t)| t.outcome.is_none() && t.due <= now)
            .take(limit)
            .map(|(c, t)| Target {
                conversation: c.clone(),
                due: t.due,
                claim: t.bundle.clone(),
                attempt: t.attempt,
            })
            .collect())
    }

    async fn any_pending(&self, id: &str) -> Result<bool, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.targets
            .get(id)
            .is_some_and(|t| t.values().any(|(_, t)| t.outcome.is_none())))
    }

    async fn take_cap(&self, bucket: &CapBucket, id: &str) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        let set = s.caps.entry(bucket.key.clone()).or_default();
        if set.contains(id) {
            return Ok(true);
        }
        if set.len() >= bucket.cap as usize {
            return Ok(false);
        }
        set.insert(id.to_string());
        Ok(true)
    }

    async fn claim(
        &self,
        id: &str,
        conversation: &ConversationId,
        bundle: &str,
        _at: i64,
    ) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        let target = s
            .targets
            .get_mut(id)
            .and_then(|t| t.get_mut(&conversation.key()))
            .ok_or_else(|| PortError::new("claim", "no such target"))?;
        if target.1.bundle.is_some() {
            return Ok(false);
        }
        target.1.bundle = Some(bundle.to_string());
        Ok(true)
    }

    async fn claim_multicast(
        &self,
        id: &str,
        batch: &Multicast,
        _at: i64,
    ) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        let record = (id.to_string(), batch.bundle.clone());
        if s.multicasts.contains_key(&record) {
            return Ok(false);
        }
        let targets = s
            .targets
            .get_mut(id)
            .ok_or_else(|| PortError::new("claim multicast", "no such campaign"))?;
        // All or nothing, as the table's transaction: check every member first.
        for member in &batch.members {
            match targets.get(&member.key()) {
                None => return Err(PortError::new("claim multicast", "no such target")),
                Some((_, t)) if t.bundle.is_some() => return Ok(false),
                Some(_) => {}
            }
        }
        for member in &batch.members {
            if let Some((_, t)) = targets.get_mut(&member.key()) {
                t.bundle = Some(batch.bundle.clone());
            }
        }
        s.multicasts.insert(record, batch.clone());
        Ok(true)
    }

    async fn multicast(&self, id: &str, bundle: &str) -> Result<Option<Multicast>, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.multicasts
            .get(&(id.to_string(), bundle.to_string()))
            .cloned())
    }

    async fn use_budget(&self, channel: Channel, at: i64, n: u64) -> Result<(), PortError> {
        let hour = crate::campaign_budget::hour_of(at);
        *self
            .state
            .lock()
            .unwrap()
            .budget_hours
            .entry((channel, hour))
            .or_default() += n;
        Ok(())
    }

    async fn budget_used(&self, channel: Channel, first_hour: i64) -> Result<u64, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.budget_hours
            .range((channel, first_hour)..=(channel, i64::MAX))
            .map(|(_, n)| n)
            .sum())
    }

    async fn defer(
        &self,
        id: &str,
        conversation: &ConversationId,
        until: i64,
    ) -> Result<(), PortError> {
        let mut s = self.state.lock().unwrap();
        if let Some(t) = s
            .targets
            .get_mut(id)
            .and_then(|t| t.get_mut(&conversation.key()))
        {
            t.1.due = until;
        }
        s.reports
            .entry(id.to_string())
            .or_default()
            .entry(conversation.channel)
            .or_default()
            .deferred += 1;
        Ok(())
    }

    async fn finish(
        &self,
        id: &str,
        conversation: &ConversationId,
        outcome: Outcome,
    ) -> Result<bool, PortError> {
        let mut s = self.state.lock().unwrap();
        match &mut s.finishes_left {
            Some(0) => return Err(PortError::new("finish", "simulated crash")),
            Some(n) => *n -= 1,
            None => {}
        }
        let Some(target) = s
            .targets
            .get_mut(id)
            .and_then(|t| t.get_mut(&conversation.key()))
        else {
            return Err(PortError::new("finish", "no such target"));
        };
        // Queued only while claimed (a back-off may have removed the claim first).
        if target.1.outcome.is_some() || (outcome == Outcome::Queued && target.1.bundle.is_none()) {
            return Ok(false);
        }
        target.1.outcome = Some(outcome);
        let row = s
            .reports
            .entry(id.to_string())
            .or_default()
            .entry(conversation.channel)
            .or_default();
        match outcome {
            Outcome::Queued => row.queued += 1,
            Outcome::Suppressed(reason) => *row.suppressed.entry(reason).or_default() += 1,
        }
        Ok(true)
    }

    async fn report(&self, id: &str) -> Result<BTreeMap<Channel, ChannelReport>, PortError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .reports
            .get(id)
            .cloned()
            .unwrap_or_default())
    }
}

impl MemoryCampaigns {
    /// The send record's state for ops and tests: `(retry_at, refused reason, attempt)`.
    pub fn send_record(
        &self,
        id: &str,
        conversation: &ConversationId,
    ) -> Option<(Option<i64>, Option<String>, u32)> {
        let s = self.state.lock().unwrap();
        let (_, t) = s.targets.get(id)?.get(&conversation.key())?;
        Some((t.retry_at, t.refused.clone(), t.attempt))
    }

    fn with_target<T>(
        &self,
        id: &str,
        conversation: &ConversationId,
        f: impl FnOnce(&mut Stored, &mut ChannelReport) -> T,
    ) -> Result<T, PortError> {
        let mut guard = self.state.lock().unwrap();
        let s = &mut *guard;
        let target = s
            .targets
            .get_mut(id)
            .and_then(|t| t.get_mut(&conversation.key()))
            .ok_or_else(|| PortError::new("send record", "no such target"))?;
        let row = s
            .reports
            .entry(id.to_string())
            .or_default()
            .entry(conversation.channel)
            .or_default();
        Ok(f(&mut target.1, row))
    }
}

impl AnnouncementLog for MemoryCampaigns {
    async fn record_sent(
        &self,
        id: &str,
        conversation: &ConversationId,
        attempt: u32,
        message_ids: &[String],
        at: i64,
    ) -> Result<bool, PortError> {
        let fresh = self.with_target(id, conversation, |t, row| {
            if t.sent_at.is_some() {
                return false;
            }
            t.sent_at = Some(at);
            row.sent += 1;
            true
        })?;
        let mut s = self.state.lock().unwrap();
        for m in message_ids {
            s.messages.insert(
                (conversation.key(), m.clone()),
                SentAnnouncement {
                    campaign: id.to_string(),
                    attempt,
                },
            );
        }
        Ok(fresh)
    }

    async fn record_refused(
        &self,
        id: &str,
        conversation: &ConversationId,
        attempt: u32,
        outcome: &PlatformOutcome,
    ) -> Result<bool, PortError> {
        self.with_target(id, conversation, |t, row| {
            // Only the current attempt, and only once (a back-off moves the attempt on).
            if t.attempt != attempt || t.refused.is_some() {
                return false;
            }
            match outcome {
                PlatformOutcome::BackedOff { reason, retry_at } => {
                    // Finished as queued, or (notify answered first) still pending, claimed.
                    match (t.outcome, &t.bundle) {
                        (Some(Outcome::Queued), _) => row.queued -= 1,
                        (None, Some(_)) => {}
                        _ => return false,
                    }
                    t.outcome = None;
                    t.bundle = None;
                    t.due = *retry_at;
                    t.retry_at = Some(*retry_at);
                    t.attempt += 1;
                    *row.backed_off.entry(reason.clone()).or_default() += 1;
                }
                PlatformOutcome::Refused { reason } => {
                    t.refused = Some(reason.clone());
                    *row.refused.entry(reason.clone()).or_default() += 1;
                }
                PlatformOutcome::Sent { .. } => return false,
            }
            true
        })
    }

    async fn announcement_of(
        &self,
        conversation: &ConversationId,
        message_id: &str,
    ) -> Result<Option<SentAnnouncement>, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.messages
            .get(&(conversation.key(), message_id.to_string()))
            .cloned())
    }

    async fn record_reached(
        &self,
        id: &str,
        conversation: &ConversationId,
        reached: Reached,
    ) -> Result<bool, PortError> {
        self.with_target(id, conversation, |t, row| {
            if t.reached >= Some(reached) {
                return false;
            }
            if t.reached.is_none() {
                row.delivered += 1;
            }
            if reached == Reached::Read {
                row.read += 1;
            }
            t.reached = Some(reached);
            true
        })
    }

    async fn sent_to(&self, id: &str) -> Result<Vec<(ConversationId, i64)>, PortError> {
        let s = self.state.lock().unwrap();
        Ok(s.targets
            .get(id)
            .into_iter()
            .flat_map(|t| t.values())
            .filter_map(|(c, t)| t.sent_at.map(|at| (c.clone(), at)))
            .collect())
    }
}

/// An audience given as recipients.
#[derive(Default)]
pub struct MemoryAudience {
    pub recipients: Mutex<Vec<Recipient>>,
}

impl Audience for MemoryAudience {
    async fn opted_in(&self) -> Result<Vec<ConversationId>, PortError> {
        Ok(self
            .recipients
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.consent.may_announce())
            .map(|r| r.conversation.clone())
            .collect())
    }

    async fn recipient(
        &self,
        _campaign: &Campaign,
        conversation: &ConversationId,
    ) -> Result<Recipient, PortError> {
        self.recipients
            .lock()
            .unwrap()
            .iter()
            .find(|r| &r.conversation == conversation)
            .cloned()
            .ok_or_else(|| PortError::new("recipient", "unknown conversation"))
    }
}
