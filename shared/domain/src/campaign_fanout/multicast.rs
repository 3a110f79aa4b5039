//! LINE announcements as multicasts: one request for many friends, claimed all at once.
//!
//! LINE sends one message to many of an account's friends in a single multicast request, with
//! an `X-Line-Retry-Key` so that a retried request is not delivered twice
//! (<https://developers.line.biz/en/reference/messaging-api/#send-multicast-message>,
//! <https://developers.line.biz/en/docs/messaging-api/retrying-api-request/>). Each friend
//! reached still counts against the plan's monthly quota; the rate limit counts the request.
//!
//! The retry key deduplicates only the *same* request, so a run after a crash must send exactly
//! the batch an earlier run may have sent, not a new cut of whatever is still pending. A batch
//! is therefore claimed as a whole: its record (bundle id, language, members) and every
//! member's claim pointing at it are written together, all or nothing
//! ([`CampaignStore::claim_multicast`], one DynamoDB transaction). A transaction holds at most
//! 100 items, hence [`MULTICAST_MEMBERS`] members and the record: a fifth of the 500 LINE would
//! take in one request, and still a ninety-ninth of the requests of one push per friend.
//!
//! ```text
//!  fresh LINE target ── rules, caps ──▶ its language's batch ── 99 in it, or the run ends ──┐
//!                                                                                        │
//!      claim_multicast (record + 99 claims, all or nothing) ◀────────────────────────────┘
//!        │ refused: some member was claimed by another run; all left pending for the next
//!        ▼
//!      queue the bundle (its id is the batch's) ──▶ finish each member (queued)
//!
//!  claimed target ──▶ its batch's record ──▶ queue the same bundle (same members, same key)
//! ```
//!
//! A member of a claimed batch is sent only as part of that batch. A rerun that finds one reads
//! the record and queues the whole batch again under the same bundle id, so notify sends the
//! same request with the same retry key, which LINE answers "already accepted" if the first
//! got through, and otherwise delivers for the first time. Members who said "stop" since are
//! left out by notify, which checks everyone's consent before the send.

use super::{CampaignStore, FanOutReport, Outcome, Target, announcement};
use crate::campaign::Campaign;
use crate::channel::{Channel, ConversationId, full_hash};
use crate::i18n::Lang;
use crate::ports::{Dispatch, PortError};
use crate::reply::ReplyBundle;
use std::collections::BTreeMap;

/// Members of one multicast: the batch's record and their claims fill one DynamoDB
/// transaction (100 items).
pub const MULTICAST_MEMBERS: usize = 99;

/// One multicast of a campaign, as claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multicast {
    /// The bundle id, also the key of the batch's record.
    pub bundle: String,
    pub lang: Lang,
    /// In the order they were found; never more than [`MULTICAST_MEMBERS`].
    pub members: Vec<ConversationId>,
}

impl Multicast {
    /// A batch of `members` for `campaign`: its id derives from the campaign and every member,
    /// so two batches never share one.
    pub fn new(campaign: &str, lang: Lang, members: Vec<ConversationId>) -> Multicast {
        let keys: Vec<String> = members.iter().map(ConversationId::key).collect();
        Multicast {
            bundle: full_hash(&format!("campaign#{campaign}#multicast#{}", keys.join(","))),
            lang,
            members,
        }
    }

    /// The bundle notify sends: addressed to the first member, with every member as the
    /// announcement's audience.
    pub fn bundle(&self, campaign: &Campaign) -> Option<ReplyBundle> {
        let first = self.members.first()?;
        announcement(
            campaign,
            first,
            self.lang,
            self.bundle.clone(),
            0,
            self.members.clone(),
        )
    }
}

/// Whether `target` of `campaign` goes out in a multicast: a first attempt on LINE of a
/// campaign with a LINE message (LINE refuses nothing the rules back off from, so there is no
/// later attempt to make alone).
pub fn applies(campaign: &Campaign, target: &Target) -> bool {
    target.conversation.channel == Channel::Line
        && target.attempt == 0
        && campaign.messages.contains_key(&Channel::Line)
}

/// The LINE targets of one run, gathered into batches.
#[derive(Default)]
pub(super) struct Batches {
    /// Fresh targets waiting for their batch, by language (one multicast has one language).
    fresh: BTreeMap<Lang, Vec<ConversationId>>,
    /// Batches an earlier run claimed, to queue again at the end of this run, by bundle id.
    claimed: BTreeMap<String, Multicast>,
}

impl Batches {
    /// Adds a fresh target; returns its language's batch once it is full.
    pub(super) fn add(
        &mut self,
        lang: Lang,
        conversation: ConversationId,
    ) -> Option<Vec<ConversationId>> {
        let batch = self.fresh.entry(lang).or_default();
        batch.push(conversation);
        (batch.len() >= MULTICAST_MEMBERS).then(|| std::mem::take(batch))
    }

    /// Notes a target claimed with `bundle`: `Ok(true)` when that is a multicast (queued again
    /// with its batch at the end of the run), `Ok(false)` for a claim of its own.
    pub(super) async fn claimed<S: CampaignStore>(
        &mut self,
        store: &S,
        campaign: &str,
        bundle: &str,
    ) -> Result<bool, PortError> {
        if self.claimed.contains_key(bundle) {
            return Ok(true);
        }
        match store.multicast(campaign, bundle).await? {
            Some(batch) => {
                self.claimed.insert(bundle.to_string(), batch);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// What is left at the end of a run: the fresh batches not yet full, then the claimed
    /// batches to queue again.
    pub(super) fn rest(self) -> (Vec<(Lang, Vec<ConversationId>)>, Vec<Multicast>) {
        (
            self.fresh
                .into_iter()
                .filter(|(_, members)| !members.is_empty())
                .collect(),
            self.claimed.into_values().collect(),
        )
    }
}

/// Claims a fresh batch and queues it, or queues a claimed batch again; each member is then
/// finished as queued. A fresh batch the store refuses (a member was claimed meanwhile by
/// another run) is left pending whole, for the next run to see each member as it is then.
///
/// With `budgeted`, a fresh batch's members are counted against LINE's budget before the
/// claim (the run took them from its budget as it gathered them).
#[allow(clippy::too_many_arguments)]
pub(super) async fn send<S: CampaignStore, D: Dispatch>(
    campaign: &Campaign,
    store: &S,
    budgeted: bool,
    dispatch: &D,
    batch: &Multicast,
    fresh: bool,
    now: i64,
    report: &mut FanOutReport,
) -> Result<(), PortError> {
    if fresh && budgeted {
        store
            .use_budget(Channel::Line, now, batch.members.len() as u64)
            .await?;
    }
    if fresh && !store.claim_multicast(&campaign.id, batch, now).await? {
        report.paced += batch.members.len();
        return Ok(());
    }
    let Some(bundle) = batch.bundle(campaign) else {
        return Ok(());
    };
    dispatch.reply(&bundle).await?;
    for member in &batch.members {
        if store.finish(&campaign.id, member, Outcome::Queued).await? {
            if fresh {
                report.sent += 1;
            } else {
                report.requeued += 1;
            }
        }
    }
    Ok(())
}
