//! Handing a conversation to a person, and back.
//!
//! A bot is enough until it is not: the customer asks for a person, complains, or writes twice
//! in a row something the bot cannot read; a payment went wrong (`paid_needs_attention`); or the
//! customer is one the retailer wants a person to greet (a VIP: lifetime paid above
//! `[support] vip_threshold`). Then the conversation's [`Owner`] moves from the bot to
//! `Waiting`, the customer is told in their language when to expect an answer, and the agents
//! are alerted at once. While a person owns the conversation the flows answer nothing (the
//! customer's messages are recorded in the thread for the agent); order notices still go out,
//! because they are about money the customer paid.
//!
//! ```text
//!  customer ─▶ catalog/cart (process) ── reason? ─▶ hand_to_person: Owner::Waiting, "a person
//!                                                    will answer within a few minutes" / "from 09:00"
//!                                                    bundle.handoff ─▶ notify ─▶ AgentAlerts (SNS)
//!  console ─▶ claim_handoff ─▶ Owner::Agent          (conditional: only a waiting conversation)
//!  sweep   ─▶ waiting > escalate_after, not escalated ─▶ claim `escalated`, AgentAlerts again (once)
//!          ─▶ no agent activity for hand_back_after ─▶ hand_back ─▶ Owner::Bot
//!  console ─▶ hand_back ─▶ Owner::Bot                (idempotent)
//! ```
//!
//! When to expect an answer comes from the retailer's business hours (`[support] hours =
//! "Mon-Fri 09:00-18:00"` in the catalog, in `[support] time_zone`, else the market's zone):
//! inside them "within a few minutes", outside them the next opening on the customer's own
//! clock ([`crate::time_zone::CustomerZone`], [`crate::local_time`]). The flow has no clock of
//! its own: the message's platform timestamp is "now", which also makes a redelivery answer
//! the same.
//!
//! The state lives on the session ([`crate::dialogue::Owner`]), stored flat; the list an agent
//! works from, the claim, the hand-back and the sweep's timers are the [`HandoffStore`] port
//! (DynamoDB in `chatdrop-store`'s `handoff.rs`, in memory in the domain's tests). What a person
//! may send and when, per platform, is [`crate::delivery`]'s [`crate::reply::Origin`].
//!
//! Two parts live in their own files: the business hours and the answer time they give
//! (`handoff/hours.rs`), and following a platform's own inbox for people, where people may
//! take, answer and give back a conversation without the console (`handoff/inbox_follow.rs`,
//! [`follow_inbox`]: Messenger's Page Inbox).

use crate::catalog::Catalog;
use crate::channel::{Channel, ConversationId};
use crate::dialogue::Owner;
use crate::i18n::{Lang, Msg};
use crate::inbound::InboundContent;
use crate::money::Currency;
use crate::ports::Dispatch;
use crate::ports::PortError;
use crate::process::{Outcome, Turn};
use crate::reply::{Reply, ReplyBundle};
use crate::time_zone::CustomerZone;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

mod hours;
mod inbox_follow;

pub use hours::{BadHours, BusinessHours, Expect, expect_answer};
pub use inbox_follow::{PLATFORM_INBOX, follow_inbox};

/// Why a conversation went to a person; agents see it in the alert and the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The customer asked for a person.
    Asked,
    /// The customer complained.
    Complaint,
    /// Two messages in a row the bot could not understand.
    NotUnderstood,
    /// An order of theirs was paid but needs a person (`paid_needs_attention`).
    NeedsAttention,
    /// Lifetime paid above the retailer's threshold.
    Vip,
    /// A person took the conversation in the platform's own inbox for people (Messenger's
    /// Page inbox took the thread): an agent's choice, not the customer's, so nobody is told
    /// anything and the agents are not alerted.
    TakenOver,
}

impl HandoffReason {
    pub const ALL: [HandoffReason; 6] = [
        HandoffReason::Asked,
        HandoffReason::Complaint,
        HandoffReason::NotUnderstood,
        HandoffReason::NeedsAttention,
        HandoffReason::Vip,
        HandoffReason::TakenOver,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::Asked => "asked",
            HandoffReason::Complaint => "complaint",
            HandoffReason::NotUnderstood => "not_understood",
            HandoffReason::NeedsAttention => "needs_attention",
            HandoffReason::Vip => "vip",
            HandoffReason::TakenOver => "taken_over",
        }
    }

    pub fn parse(s: &str) -> Option<HandoffReason> {
        HandoffReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The retailer's support settings: the catalog's `[support]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Support {
    /// When people answer; none: always (the customer is told "within a few minutes").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BusinessHours>,
    /// The IANA zone `hours` are in; none: the market's, else UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Lifetime paid, in minor units of the catalog's `currency`, above which a customer is
    /// handed to a person; none: no VIPs in that currency ([`crate::vip`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_threshold: Option<i64>,
    /// The same for the currencies of the catalog's other markets, by ISO code, in their minor
    /// units (`{ THB = 2430000 }`): nothing converts currencies, so each counts on its own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vip_thresholds: BTreeMap<Currency, i64>,
}

impl Support {
    /// Whether any payment can make a VIP: without, the check reads nothing.
    pub fn has_vips(&self) -> bool {
        self.vip_threshold.is_some() || !self.vip_thresholds.is_empty()
    }

    /// The VIP threshold for payments in `currency`, in its minor units, where the catalog's
    /// own currency is `catalog_currency`; none: payments in it make no VIP.
    pub fn vip_threshold_in(&self, catalog_currency: Currency, currency: Currency) -> Option<i64> {
        let own = (currency == catalog_currency)
            .then_some(self.vip_threshold)
            .flatten();
        own.or_else(|| self.vip_thresholds.get(&currency).copied())
    }
}

/// The retailer's zone for its hours: `[support] time_zone`, else the market's, else UTC.
fn support_zone(catalog: &Catalog, channel: Channel) -> TimeZone {
    let market = catalog.market_for(channel);
    catalog
        .support
        .time_zone
        .as_deref()
        .or(market.time_zone.as_deref())
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or(TimeZone::UTC)
}

/// What the customer is told: a person will answer soon, or from the next opening on their
/// own clock.
pub fn expectation_text(
    catalog: &Catalog,
    lang: Lang,
    conversation: &ConversationId,
    phone: Option<&str>,
    at: i64,
) -> String {
    let voice = catalog.voice(lang);
    let zone = support_zone(catalog, conversation.channel);
    match expect_answer(catalog.support.hours.as_ref(), &zone, at) {
        Expect::Soon => Msg::HandoffSoon.text(voice),
        Expect::From(when) => {
            let market = catalog.market_for(conversation.channel);
            let theirs = CustomerZone::resolve(phone, market.time_zone.as_deref(), when);
            Msg::HandoffFrom {
                when: &theirs.format(when, lang),
            }
            .text(voice)
        }
    }
}

/// Hands the turn's conversation to a person for `reason` and tells the customer when to
/// expect an answer. The process sees the owner move from the bot and has the agents alerted
/// ([`crate::reply::ReplyBundle::handoff`]). Asking again while waiting is told the same,
/// without moving the time the agents were given.
pub fn hand_to_person(turn: Turn<'_>, reason: HandoffReason) -> Outcome {
    let Turn {
        catalog,
        lang,
        session,
        message,
        ..
    } = turn;
    session.hand_to_person(reason, message.sent_at);
    let phone = crate::checkout::phone_of(&message.conversation, session);
    Outcome::Reply(vec![Reply::Text {
        body: expectation_text(
            catalog,
            lang,
            &message.conversation,
            phone.as_deref(),
            message.sent_at,
        ),
    }])
}

/// Whether the bot keeps quiet about this content while a person owns the conversation: what
/// the customer says or taps. Platform signals (an opt-out, an opt-in, a marketing stop) still
/// go through their flows, which only change state.
pub fn bot_stays_silent(content: &InboundContent) -> bool {
    matches!(
        content,
        InboundContent::Text { .. }
            | InboundContent::Action { .. }
            | InboundContent::Image { .. }
            | InboundContent::Contact { .. }
            | InboundContent::Unsupported { .. }
    )
}

/// What rides on the bundle that told the customer, so notify alerts the agents: set by the
/// process when the owner left the bot in this turn, and by the functions that hand over for
/// an order or a VIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffNotice {
    pub reason: HandoffReason,
    /// When the conversation was handed over (the session's `owner_since`).
    pub since: i64,
}

/// Whether this is the first alert of a handoff or the escalation of one nobody took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    New,
    Escalated,
}

/// What agents are told. It names the conversation by channel and pseudonym only: an alert
/// goes to mail and paging, where a phone number must not (the console shows the chat).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAlert {
    pub kind: AlertKind,
    pub channel: Channel,
    /// [`ConversationId::hashed`].
    pub customer: String,
    pub reason: HandoffReason,
    pub since: i64,
    pub lang: Lang,
}

impl AgentAlert {
    pub fn new(
        kind: AlertKind,
        conversation: &ConversationId,
        notice: HandoffNotice,
        lang: Lang,
    ) -> Self {
        AgentAlert {
            kind,
            channel: conversation.channel,
            customer: conversation.hashed(),
            reason: notice.reason,
            since: notice.since,
            lang,
        }
    }

    /// The same for every publish of this alert: subscribers drop repeats by it (delivery is
    /// at least once).
    pub fn id(&self) -> String {
        crate::channel::full_hash(&format!(
            "{:?}#{}#{}#{}",
            self.kind, self.channel, self.customer, self.since
        ))
    }

    /// One line for a mail subject or a pager.
    pub fn subject(&self) -> String {
        let what = match self.kind {
            AlertKind::New => "waiting for a person",
            AlertKind::Escalated => "STILL waiting for a person",
        };
        format!(
            "chatdrop: a {} customer is {what} ({})",
            self.channel.spec().display_name,
            self.reason.as_str()
        )
    }
}

/// Where agents are told (an SNS topic in AWS: mail, chat or paging subscribe to it).
pub trait AgentAlerts: Send + Sync {
    fn publish(&self, alert: &AgentAlert) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The alerts published, in memory: for tests.
#[derive(Default)]
pub struct MemoryAlerts {
    pub published: std::sync::Mutex<Vec<AgentAlert>>,
    pub fail: std::sync::atomic::AtomicBool,
}

impl AgentAlerts for MemoryAlerts {
    async fn publish(&self, alert: &AgentAlert) -> Result<(), PortError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError::new("publish agent alert", "injected failure"));
        }
        self.published.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

/// Which handoffs a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffFilter {
    Waiting,
    Agent,
    All,
}

impl HandoffFilter {
    /// Whether a conversation with this owner is on the list this filter shows.
    pub fn admits(self, owner: &Owner) -> bool {
        matches!(
            (self, owner),
            (
                HandoffFilter::All,
                Owner::Waiting { .. } | Owner::Agent { .. }
            ) | (HandoffFilter::Waiting, Owner::Waiting { .. })
                | (HandoffFilter::Agent, Owner::Agent { .. })
        )
    }
}

/// One conversation a person owns or should: an entry of the handoff list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffEntry {
    pub conversation: ConversationId,
    pub owner: Owner,
    /// Why it was handed over (kept once an agent took it).
    pub reason: HandoffReason,
    pub lang: Lang,
    /// The last time an agent acted on it (claimed, replied); none while waiting.
    pub agent_active_at: Option<i64>,
    /// When the escalation was claimed; none if not escalated.
    pub escalated_at: Option<i64>,
}

impl HandoffEntry {
    pub fn since(&self) -> i64 {
        match &self.owner {
            Owner::Waiting { since, .. } | Owner::Agent { since, .. } => *since,
            Owner::Bot => 0,
        }
    }
}

/// How a claim went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The agent owns it now (or already did: a repeated claim).
    Claimed,
    /// Another agent has it.
    TakenBy(String),
    /// The bot has it: nothing to claim.
    NotWaiting,
}

/// The handoff list and its conditional moves; every method is idempotent.
pub trait HandoffStore: Send + Sync {
    /// Hands a conversation to a person from outside its flows (an order needing attention,
    /// a VIP): `true` if it moved from the bot now, `false` if a person had it already.
    fn open_handoff(
        &self,
        conversation: &ConversationId,
        reason: HandoffReason,
        lang: Lang,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    fn claim_handoff(
        &self,
        conversation: &ConversationId,
        agent: &str,
        at: i64,
    ) -> impl Future<Output = Result<Claim, PortError>> + Send;
    /// Gives the conversation back to the bot; `false` if the bot had it already.
    fn hand_back(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    fn list_handoffs(
        &self,
        filter: HandoffFilter,
    ) -> impl Future<Output = Result<Vec<HandoffEntry>, PortError>> + Send;
    /// Claims the one alert of `kind` for the handoff made at `since`, while it still waits:
    /// `true` for the caller that claimed it, who then publishes it.
    fn claim_alert(
        &self,
        conversation: &ConversationId,
        kind: AlertKind,
        since: i64,
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Gives an alert claim back after its publish failed, for the next attempt.
    fn release_alert(
        &self,
        conversation: &ConversationId,
        kind: AlertKind,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Publishes the alert of `kind` for a handoff once: claimed on the handoff list first, the
/// claim given back if the publish fails (the error is returned, for a retry). `false` when
/// another caller has it or the handoff no longer waits (an agent took it, or it went back).
pub async fn alert_once<S: HandoffStore, A: AgentAlerts>(
    store: &S,
    alerts: &A,
    kind: AlertKind,
    conversation: &ConversationId,
    notice: HandoffNotice,
    lang: Lang,
    now: i64,
) -> Result<bool, PortError> {
    if !store
        .claim_alert(conversation, kind, notice.since, now)
        .await?
    {
        return Ok(false);
    }
    let alert = AgentAlert::new(kind, conversation, notice, lang);
    if let Err(e) = alerts.publish(&alert).await {
        store.release_alert(conversation, kind).await?;
        return Err(e);
    }
    Ok(true)
}

/// The bundle that takes the platform's thread back when the conversation goes back to the
/// bot ([`crate::reply::ReplyBundle::take_back`]): no replies, one per handoff (its id names
/// the handoff's `since`), so a repeated hand-back queues the same bundle and the outbound
/// queue drops the copy.
pub fn take_back_bundle(entry: &HandoffEntry) -> ReplyBundle {
    ReplyBundle {
        id: crate::channel::full_hash(&format!(
            "take_back#{}#{}",
            entry.conversation.key(),
            entry.since()
        )),
        conversation: entry.conversation.clone(),
        lang: entry.lang,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: true,
        origin: Default::default(),
        replies: Vec::new(),
    }
}

/// Gives `entry`'s conversation back to the bot, as the console's hand back and the sweep's
/// timeout do: the take-back is queued for notify first, then the owner moves. In that order a
/// failure between the two leaves the conversation on the list, where the next attempt (the
/// agent's retry, the sweep's next run) finds it and repeats both; the other order would lose
/// the take-back with nothing left to retry it from, and the bot would never get a Messenger
/// thread back. `false` if the bot had it already.
pub async fn hand_back<S: HandoffStore, D: Dispatch>(
    store: &S,
    dispatch: &D,
    entry: &HandoffEntry,
) -> Result<bool, PortError> {
    dispatch.reply(&take_back_bundle(entry)).await?;
    store.hand_back(&entry.conversation).await
}

/// The sweep's timers (deployment settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandoffTimers {
    /// A handoff nobody claimed for this long is escalated (once).
    pub escalate_after: Duration,
    /// A handoff without agent activity for this long goes back to the bot.
    pub hand_back_after: Duration,
}

impl Default for HandoffTimers {
    fn default() -> Self {
        HandoffTimers {
            escalate_after: Duration::from_secs(5 * 60),
            hand_back_after: Duration::from_secs(24 * 3600),
        }
    }
}

/// What one sweep run did about handoffs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandoffSweep {
    pub escalated: usize,
    pub handed_back: usize,
    pub failed: usize,
}

/// Escalates the handoffs nobody took in time (claim, then alert; a failed alert gives the
/// claim back for the next run) and hands back those nobody acted on. Runs every minute.
pub async fn sweep<S: HandoffStore, A: AgentAlerts, D: Dispatch>(
    store: &S,
    alerts: &A,
    dispatch: &D,
    timers: HandoffTimers,
    now: i64,
) -> Result<HandoffSweep, PortError> {
    let mut done = HandoffSweep::default();
    for entry in store.list_handoffs(HandoffFilter::All).await? {
        let idle_since = entry.agent_active_at.unwrap_or(entry.since());
        if now - idle_since >= timers.hand_back_after.as_secs() as i64 {
            // As the console's hand back: the platform's thread is taken back too.
            match hand_back(store, dispatch, &entry).await {
                Ok(true) => done.handed_back += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, customer = %entry.conversation.hashed(), "hand back failed; retried next run");
                    done.failed += 1;
                }
            }
            continue;
        }
        let Owner::Waiting { since, reason } = entry.owner else {
            continue;
        };
        if entry.escalated_at.is_some() || now - since < timers.escalate_after.as_secs() as i64 {
            continue;
        }
        let notice = HandoffNotice { reason, since };
        let kind = AlertKind::Escalated;
        match alert_once(
            store,
            alerts,
            kind,
            &entry.conversation,
            notice,
            entry.lang,
            now,
        )
        .await
        {
            Ok(true) => done.escalated += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, customer = %entry.conversation.hashed(), "escalation alert failed; retried next run");
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
#[path = "handoff_tests.rs"]
mod tests;
