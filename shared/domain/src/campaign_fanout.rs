//! Fanning a campaign out: every targeted customer sent to once, or suppressed with a reason,
//! or deferred to their morning — and a crash at any point neither repeats nor skips anyone.
//!
//! `chatdrop campaign start` snapshots the audience: one *target* per opted-in conversation in
//! the segment ([`CampaignStore::add_targets`], put if absent, so a repeated start adds
//! nobody twice). From then on every run ([`fan_out`], from the sweep each minute) takes the
//! targets that are due and walks each through:
//!
//! ```text
//!  pending ── decide (pure: campaign_rules) ─┬─ suppress ───────────────────────────▶ done (reason)
//!    ▲                                       ├─ quiet hours ── due := next morning ──▶ pending
//!    │                                       └─ send ── caps (idempotent per campaign) ─┐
//!    │                                                                                   │
//!    │        claim: the send record, written only if absent (bundle id) ◀───────────────┘
//!    │          │ crash here: the next run finds the claim and queues the same bundle
//!    │          ▼
//!    └──── queue the bundle (outbound FIFO, deduplicated on its id; notify records progress
//!          per bundle id and never sends one twice) ──▶ done (sent), counted in the report
//! ```
//!
//! Why nobody gets two: the bundle id derives from the campaign and the conversation only, the
//! claim is conditional on its absence, and everything after the claim is idempotent on that id
//! (SQS FIFO deduplication within five minutes, notify's `PROGRESS` item beyond). Why nobody
//! is missed: a target leaves `pending` only in the same conditional write that counts its
//! outcome ([`CampaignStore::finish`]), after its bundle was queued; a crash before that leaves
//! it pending, due, and claimed, and the next run queues the same bundle again.
//!
//! `done (sent)` means handed to notify. What the platform then does with it is
//! [`crate::campaign_outcome`]'s: a refusal to back off from (WhatsApp 131049) puts the target
//! back to `pending`, due at the time it may be tried again, as its next attempt (a new bundle
//! id), so the next run after that time sends it again through every rule above.
//!
//! On LINE the claim is a batch's, not a target's: up to [`MULTICAST_MEMBERS`] customers of one
//! language claimed together and sent one multicast request ([`multicast`]).
//!
//! Caps are taken before the claim, each as "add this campaign to the bucket's set if the set
//! has room or already holds it" (the cap's counter is a set of campaign ids): a retry after a
//! crash takes nothing twice, and two campaigns racing for a customer's last slot cannot both
//! win.

use crate::action::Action;
use crate::campaign::{Campaign, CampaignStatus, ChannelMessage, Recipient};
use crate::campaign_pace::{Budget, TokenBucket};
use crate::campaign_rules::{self, Decision, Suppression};
use crate::channel::{Channel, ConversationId, full_hash};
use crate::checkout::choice;
use crate::i18n::{Lang, Msg};
use crate::ports::{Dispatch, PortError};
use crate::reply::{Announcement, MarketingTemplate, Reply, ReplyBundle};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;

pub mod multicast;
pub use multicast::{MULTICAST_MEMBERS, Multicast};

/// One customer a running campaign still owes an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub conversation: ConversationId,
    /// Not before this instant (Unix seconds): quiet hours move it.
    pub due: i64,
    /// The bundle id an earlier run claimed the send with (a bundle may have been queued): the
    /// target's own, or its multicast's.
    pub claim: Option<String>,
    /// Sends the platform refused and told us to back off from (WhatsApp 131049): the next
    /// bundle is this attempt's ([`bundle_id`]), a new message, not a redelivery.
    pub attempt: u32,
}

impl Target {
    /// Whether an earlier run claimed the send.
    pub fn claimed(&self) -> bool {
        self.claim.is_some()
    }
}

/// What became of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to notify (queued); what the platform made of it is
    /// [`crate::campaign_outcome`]'s.
    Queued,
    Suppressed(Suppression),
}

/// A cap's bucket: whose, which period, how many campaigns it holds at most.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapBucket {
    /// `CAP#person#week` or `SMSCAP#conversation#drop#day`, as the store keys it.
    pub key: String,
    pub cap: u32,
}

/// A campaign's report for one channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelReport {
    pub targeted: u64,
    /// Handed to notify by the fan-out (less those a platform then backed off from: they are
    /// pending again).
    pub queued: u64,
    /// Accepted by the platform (notify's report; a customer counted once, however many
    /// attempts it took).
    pub sent: u64,
    /// Times a target was deferred by quiet hours (a target deferred twice counts twice).
    pub deferred: u64,
    pub suppressed: BTreeMap<Suppression, u64>,
    /// The platform says it reached the phone (or was read, which implies it).
    pub delivered: u64,
    pub read: u64,
    /// Refusals the platform asked us to back off from, by its error code (`131049`): each
    /// counted once per attempt; the target is pending again until its time.
    pub backed_off: BTreeMap<String, u64>,
    /// Refusals for good, by the platform's error code (`131026`, `unknown`).
    pub refused: BTreeMap<String, u64>,
    /// Recipients who reserved from the drop (were given a pay link), who opened that pay
    /// link, and who paid, attributed to the campaign by
    /// [`crate::campaign_outcome::attribute`] (computed when the report is read).
    pub reserved: u64,
    pub opened: u64,
    pub paid: u64,
}

/// Where campaigns, their targets and their reports are kept.
pub trait CampaignStore: Send + Sync {
    /// Creates the campaign unless one has its id: `Ok(false)` then.
    fn create(&self, campaign: &Campaign) -> impl Future<Output = Result<bool, PortError>> + Send;

    fn campaign(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Campaign>, PortError>> + Send;

    /// Every campaign, any status.
    fn list(&self) -> impl Future<Output = Result<Vec<Campaign>, PortError>> + Send;

    /// Moves the status from one of `from` to `to`; `Ok(false)` if it was in none of them.
    fn set_status(
        &self,
        id: &str,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Adds a pending target per conversation not targeted yet (each counted as targeted in
    /// its channel's report once); returns how many were new.
    fn add_targets(
        &self,
        id: &str,
        conversations: &[ConversationId],
        due: i64,
    ) -> impl Future<Output = Result<usize, PortError>> + Send;

    /// Up to `limit` pending targets due at `now`.
    fn due_targets(
        &self,
        id: &str,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Target>, PortError>> + Send;

    /// Whether any target is still pending (due or not).
    fn any_pending(&self, id: &str) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Takes a slot in `bucket` for campaign `id` (idempotent: a campaign already in the
    /// bucket has its slot); `Ok(false)` when the bucket is full.
    fn take_cap(
        &self,
        bucket: &CapBucket,
        id: &str,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The send record: marks the target claimed with its bundle id if it was not claimed;
    /// `Ok(false)` if it was (an earlier run claimed it and may have queued it).
    fn claim(
        &self,
        id: &str,
        conversation: &ConversationId,
        bundle: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The send record of a whole multicast: its record and every member's claim (with the
    /// batch's bundle id), all or nothing; `Ok(false)` if a member was claimed already, and
    /// then nothing is written. See [`multicast`].
    fn claim_multicast(
        &self,
        id: &str,
        batch: &Multicast,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The multicast claimed with bundle id `bundle`, if that is one.
    fn multicast(
        &self,
        id: &str,
        bundle: &str,
    ) -> impl Future<Output = Result<Option<Multicast>, PortError>> + Send;

    /// Counts `n` sends of `channel` against its budget, in the hour bucket of `at`.
    fn use_budget(
        &self,
        channel: Channel,
        at: i64,
        n: u64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Sends of `channel` counted in the hour buckets from `first_hour` (hours since the Unix
    /// epoch) on.
    fn budget_used(
        &self,
        channel: Channel,
        first_hour: i64,
    ) -> impl Future<Output = Result<u64, PortError>> + Send;

    /// Moves the target's due date (quiet hours), counting a deferral.
    fn defer(
        &self,
        id: &str,
        conversation: &ConversationId,
        until: i64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Pending → done with `outcome`, counted in the report in the same conditional write;
    /// `Ok(false)` if the target was done already (counted by an earlier run).
    fn finish(
        &self,
        id: &str,
        conversation: &ConversationId,
        outcome: Outcome,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The report per channel.
    fn report(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<BTreeMap<Channel, ChannelReport>, PortError>> + Send;
}

/// What the store knows about a customer, assembled for a campaign.
pub trait Audience: Send + Sync {
    /// Every conversation opted in to announcements: the only candidates.
    fn opted_in(&self) -> impl Future<Output = Result<Vec<ConversationId>, PortError>> + Send;

    /// What the segment and the rules need to know about one conversation.
    fn recipient(
        &self,
        campaign: &Campaign,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Recipient, PortError>> + Send;
}

/// The audience of a campaign: opted-in conversations in its segment, with their recipients.
pub async fn audience<A: Audience>(
    campaign: &Campaign,
    source: &A,
) -> Result<Vec<Recipient>, PortError> {
    let mut found = Vec::new();
    for conversation in source.opted_in().await? {
        let r = source.recipient(campaign, &conversation).await?;
        if campaign.segment.matches(&r) {
            found.push(r);
        }
    }
    Ok(found)
}

/// What `preview` shows: per channel, how many are targeted and what the rules would do now.
pub fn preview(
    campaign: &Campaign,
    recipients: &[Recipient],
    now: i64,
) -> BTreeMap<Channel, ChannelReport> {
    let mut report: BTreeMap<Channel, ChannelReport> = BTreeMap::new();
    for r in recipients {
        let row = report.entry(r.conversation.channel).or_default();
        row.targeted += 1;
        match campaign_rules::decide(campaign, r, now) {
            Decision::Send => row.queued += 1,
            Decision::Defer { .. } => row.deferred += 1,
            Decision::Suppress(s) => *row.suppressed.entry(s).or_default() += 1,
        }
    }
    report
}

/// Why a campaign could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("no campaign `{0}`")]
    Unknown(String),
    #[error("campaign `{id}` is {status}: only a draft or a paused campaign starts")]
    NotStartable { id: String, status: &'static str },
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Starts a draft (snapshotting its audience: opted-in conversations in the segment, each a
/// pending target due now) or resumes a paused campaign. A start cut short is simply run again:
/// targets are added only if absent. Returns how many targets were added.
pub async fn start<S: CampaignStore, A: Audience>(
    id: &str,
    store: &S,
    source: &A,
    now: i64,
) -> Result<usize, StartError> {
    let campaign = store
        .campaign(id)
        .await?
        .ok_or_else(|| StartError::Unknown(id.to_string()))?;
    let added = match campaign.status {
        CampaignStatus::Draft => {
            let targets: Vec<ConversationId> = audience(&campaign, source)
                .await?
                .into_iter()
                .map(|r| r.conversation)
                .collect();
            store.add_targets(id, &targets, now).await?
        }
        CampaignStatus::Paused => 0,
        other => {
            return Err(StartError::NotStartable {
                id: id.to_string(),
                status: other.as_str(),
            });
        }
    };
    store
        .set_status(
            id,
            &[CampaignStatus::Draft, CampaignStatus::Paused],
            CampaignStatus::Running,
        )
        .await?;
    Ok(added)
}

/// The bundle id of a campaign's message to a conversation: the same in every run of one
/// attempt; a new one for each attempt after a platform's back-off (the first keeps the id it
/// always had), so neither the queue's deduplication nor notify's progress record takes the
/// retry for a redelivery.
pub fn bundle_id(campaign: &str, conversation: &ConversationId, attempt: u32) -> String {
    match attempt {
        0 => full_hash(&format!("campaign#{campaign}#{}", conversation.key())),
        n => full_hash(&format!("campaign#{campaign}#{}#{n}", conversation.key())),
    }
}

/// The announcement as a reply bundle, in the channel's form and the customer's language.
pub fn bundle(campaign: &Campaign, r: &Recipient, attempt: u32) -> Option<ReplyBundle> {
    announcement(
        campaign,
        &r.conversation,
        r.lang,
        bundle_id(&campaign.id, &r.conversation, attempt),
        attempt,
        Vec::new(),
    )
}

/// The announcement to `conversation` (and, for a multicast, to all of `audience`) in `lang`.
fn announcement(
    campaign: &Campaign,
    conversation: &ConversationId,
    lang: Lang,
    id: String,
    attempt: u32,
    audience: Vec<ConversationId>,
) -> Option<ReplyBundle> {
    let message = campaign.messages.get(&conversation.channel)?;
    let template = match message {
        ChannelMessage::WhatsappTemplate {
            name,
            language,
            params,
        } => Some(MarketingTemplate {
            name: name.clone(),
            language: language.clone(),
            params: params.clone(),
        }),
        _ => None,
    };
    // A template's words were approved with it; everything else says how to stop.
    let body = match message.body() {
        Some(body) => format!("{body}\n\n{}", Msg::AnnouncementStopHint.text(lang)),
        None => String::new(),
    };
    Some(ReplyBundle {
        id,
        conversation: conversation.clone(),
        lang,
        ack: None,
        reply_token: None,
        update: None,
        announcement: Some(Box::new(Announcement {
            campaign: campaign.id.clone(),
            template,
            attempt,
            audience,
        })),
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![Reply::Choices {
            body,
            menu_label: Msg::ChooseLabel.text(lang),
            choices: vec![choice(Action::Menu, Msg::Menu.text(lang))],
        }],
    })
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FanOutReport {
    pub sent: usize,
    /// Sent again after a crash between claim and finish (the same bundle: no second message).
    pub requeued: usize,
    pub deferred: usize,
    pub suppressed: usize,
    /// Left pending this run because a channel's pace bucket was empty.
    pub paced: usize,
    /// Left pending this run because their channel's budget for the period was spent
    /// ([`crate::campaign_budget`]).
    pub over_budget: usize,
}

/// The fan-out's pace: one bucket per channel at the platform's rate, and what is left of each
/// budgeted channel's period ([`crate::campaign_budget`]).
pub struct Pace {
    buckets: HashMap<Channel, TokenBucket>,
    budgets: HashMap<Channel, Budget>,
}

impl Pace {
    pub fn new(now_ms: i64) -> Pace {
        Pace {
            buckets: Channel::ALL
                .into_iter()
                .map(|c| {
                    (
                        c,
                        TokenBucket::new(crate::campaign_pace::per_second(c), now_ms),
                    )
                })
                .collect(),
            budgets: HashMap::new(),
        }
    }

    /// With what is left of `channel`'s budget for this run (none set: unlimited).
    pub fn with_budget(mut self, channel: Channel, budget: Budget) -> Pace {
        self.budgets.insert(channel, budget);
        self
    }

    /// Whether `channel`'s budget is spent (nothing more goes this run).
    fn spent(&self, channel: Channel) -> bool {
        self.budgets
            .get(&channel)
            .is_some_and(|b| b.remaining == Some(0))
    }

    /// Takes one send from `channel`'s budget, if it has one.
    fn spend(&mut self, channel: Channel) -> bool {
        self.budgets.get_mut(&channel).is_none_or(|b| b.take(1))
    }

    fn budgeted(&self, channel: Channel) -> bool {
        self.budgets.contains_key(&channel)
    }

    /// With one channel's rate changed (a paid Telegram broadcast, a higher WhatsApp tier).
    pub fn with_rate(mut self, channel: Channel, per_second: u32, now_ms: i64) -> Pace {
        self.buckets
            .insert(channel, TokenBucket::new(per_second, now_ms));
        self
    }

    fn take(&mut self, channel: Channel, now_ms: i64) -> Result<(), i64> {
        match self.buckets.get_mut(&channel) {
            Some(b) => b.take(1, now_ms),
            None => Ok(()),
        }
    }
}

/// What is left of each of `budgets` at `now`, for [`Pace::with_budget`]: the limit less what
/// the store counted since the period began.
pub async fn budgets_left<S: CampaignStore>(
    store: &S,
    budgets: &[crate::campaign_budget::ChannelBudget],
    now: i64,
) -> Result<Vec<(Channel, Budget)>, PortError> {
    let mut left = Vec::new();
    for budget in budgets {
        let used = store
            .budget_used(budget.channel, budget.first_hour(now))
            .await?;
        left.push((
            budget.channel,
            crate::campaign_budget::remaining(budget, used),
        ));
    }
    Ok(left)
}

/// The cap buckets a send to `r` takes, for `campaign` at `now`.
pub fn cap_buckets(campaign: &Campaign, r: &Recipient, now: i64) -> Vec<(CapBucket, Suppression)> {
    let mut buckets = vec![(
        CapBucket {
            key: format!("CAP#{}#W{}", r.cap_key(), campaign_rules::week_bucket(now)),
            cap: campaign.limits.per_week,
        },
        Suppression::Cap,
    )];
    if r.conversation.channel == Channel::Wechat {
        // One of the service account's four mass sends a month, taken once per campaign (the
        // bucket is a set of campaign ids), in the month the campaign was created.
        buckets.push((
            CapBucket {
                key: format!(
                    "WECHATMASS#{}",
                    campaign_rules::wechat_month(campaign.created_at)
                ),
                cap: campaign_rules::WECHAT_MASS_SENDS_PER_MONTH,
            },
            Suppression::WechatMonthlyQuota,
        ));
    }
    if r.conversation.channel == Channel::Sms {
        buckets.push((
            CapBucket {
                key: format!(
                    "SMSCAP#{}#{}#{}",
                    r.conversation.hashed(),
                    campaign.drop,
                    campaign_rules::local_day(&r.zone, now)
                ),
                cap: campaign.limits.sms_per_day,
            },
            Suppression::SmsDailyCap,
        ));
    }
    buckets
}

/// The ports a run works through.
pub struct Ports<'a, S, A, D> {
    pub store: &'a S,
    pub audience: &'a A,
    pub dispatch: &'a D,
}

/// One run over the due targets of a running campaign, at most `limit` of them.
///
/// `now_ms` gives the pace its clock in milliseconds (the sweep passes the wall clock; a bench
/// passes its own). A channel whose bucket is empty waits as long as `wait` agrees (it gets the
/// milliseconds to wait and answers whether it waited; the caller decides how long a run may
/// take); otherwise the target is left due for the next run.
pub async fn fan_out<S, A, D, W, F>(
    campaign: &Campaign,
    ports: Ports<'_, S, A, D>,
    pace: &mut Pace,
    now: i64,
    limit: usize,
    mut now_ms: impl FnMut() -> i64,
    wait: W,
) -> Result<FanOutReport, PortError>
where
    S: CampaignStore,
    A: Audience,
    D: Dispatch,
    W: Fn(i64) -> F,
    F: Future<Output = bool>,
{
    let Ports {
        store,
        audience: source,
        dispatch,
    } = ports;
    let mut report = FanOutReport::default();
    let mut batches = multicast::Batches::default();
    for target in store.due_targets(&campaign.id, now, limit).await? {
        let id = &campaign.id;
        let conv = &target.conversation;
        // A fresh target of a channel whose budget is spent waits for a later run (read
        // nothing for it: a spent budget may leave thousands pending run after run), unless
        // the send might not count (a WhatsApp customer inside the window).
        if !target.claimed()
            && pace.spent(conv.channel)
            && crate::campaign_budget::always_counts(conv.channel)
        {
            report.over_budget += 1;
            continue;
        }
        let r = source.recipient(campaign, conv).await?;
        // The rules again even for a target an earlier run claimed: the customer may have
        // said "stop" (or left the window, or entered their night) since; a claimed target's
        // caps were taken with its claim and are not taken twice.
        match campaign_rules::decide(campaign, &r, now) {
            Decision::Suppress(s) => {
                store.finish(id, conv, Outcome::Suppressed(s)).await?;
                report.suppressed += 1;
                continue;
            }
            Decision::Defer { until } => {
                store.defer(id, conv, until).await?;
                report.deferred += 1;
                continue;
            }
            Decision::Send => {}
        }
        if !target.claimed() {
            let mut capped = None;
            for (bucket, reason) in cap_buckets(campaign, &r, now) {
                if !store.take_cap(&bucket, id).await? {
                    capped = Some(reason);
                    break;
                }
            }
            if let Some(reason) = capped {
                store.finish(id, conv, Outcome::Suppressed(reason)).await?;
                report.suppressed += 1;
                continue;
            }
        }
        // The channel's budget for the period: taken here, counted in the store just before
        // the claim (a crash after counting counts a send that never went, never the reverse).
        let budgeted = !target.claimed()
            && pace.budgeted(conv.channel)
            && crate::campaign_budget::counts(&r, now);
        if budgeted && !pace.spend(conv.channel) {
            report.over_budget += 1;
            continue;
        }
        // LINE: into a multicast, sent when its batch is full or the run ends.
        if multicast::applies(campaign, &target) {
            match &target.claim {
                None => {
                    if let Some(members) = batches.add(r.lang, conv.clone()) {
                        let batch = Multicast::new(id, r.lang, members);
                        if admitted(pace, Channel::Line, &mut now_ms, &wait).await {
                            multicast::send(
                                campaign,
                                store,
                                pace.budgeted(Channel::Line),
                                dispatch,
                                &batch,
                                true,
                                now,
                                &mut report,
                            )
                            .await?;
                        } else {
                            report.paced += batch.members.len();
                        }
                    }
                    continue;
                }
                Some(bundle) if batches.claimed(store, id, bundle).await? => continue,
                // A claim of its own: sent alone, below.
                Some(_) => {}
            }
        }
        if !admitted(pace, conv.channel, &mut now_ms, &wait).await {
            report.paced += 1;
            continue;
        }
        if budgeted {
            store.use_budget(conv.channel, now, 1).await?;
        }
        let Some(bundle) = bundle(campaign, &r, target.attempt) else {
            store
                .finish(id, conv, Outcome::Suppressed(Suppression::NoMessage))
                .await?;
            report.suppressed += 1;
            continue;
        };
        let fresh = store.claim(id, conv, &bundle.id, now).await?;
        dispatch.reply(&bundle).await?;
        store.finish(id, conv, Outcome::Queued).await?;
        if fresh {
            report.sent += 1;
        } else {
            report.requeued += 1;
        }
    }
    let (fresh, claimed) = batches.rest();
    let fresh = fresh
        .into_iter()
        .map(|(lang, members)| (Multicast::new(&campaign.id, lang, members), true));
    let again = claimed.into_iter().map(|batch| (batch, false));
    let line_budgeted = pace.budgeted(Channel::Line);
    for (batch, is_fresh) in fresh.chain(again) {
        if admitted(pace, Channel::Line, &mut now_ms, &wait).await {
            multicast::send(
                campaign,
                store,
                line_budgeted,
                dispatch,
                &batch,
                is_fresh,
                now,
                &mut report,
            )
            .await?;
        } else {
            report.paced += batch.members.len();
        }
    }
    if !store.any_pending(&campaign.id).await? {
        store
            .set_status(
                &campaign.id,
                &[CampaignStatus::Running],
                CampaignStatus::Done,
            )
            .await?;
    }
    Ok(report)
}

/// The platform's pace: waits for a token of `channel` while `wait` lets it; `false` when it
/// would not wait any longer (what needed the token is left due for the next run).
async fn admitted<W, F>(
    pace: &mut Pace,
    channel: Channel,
    now_ms: &mut impl FnMut() -> i64,
    wait: &W,
) -> bool
where
    W: Fn(i64) -> F,
    F: Future<Output = bool>,
{
    while let Err(ms) = pace.take(channel, now_ms()) {
        if !wait(ms).await {
            return false;
        }
    }
    true
}

pub mod memory;

#[cfg(test)]
#[path = "campaign_fanout_tests.rs"]
mod tests;
