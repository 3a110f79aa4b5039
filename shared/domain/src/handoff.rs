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
//! (DynamoDB in `chatdrop-store`'s `handoff.rs`, [`MemoryHandoffs`] here). What a person may send
//! and when, per platform, is [`crate::delivery`]'s [`crate::reply::Origin`].

use crate::action::Handler;
use crate::catalog::Catalog;
use crate::channel::{Channel, ConversationId};
use crate::dialogue::Owner;
use crate::i18n::{Lang, Msg};
use crate::inbound::InboundContent;
use crate::inbound::InboundMessage;
use crate::money::Currency;
use crate::ports::PortError;
use crate::ports::{Dispatch, MarkerKey, SessionStore};
use crate::process::{Handled, Outcome, ProcessError, Turn};
use crate::reply::{Reply, ReplyBundle};
use crate::time_zone::CustomerZone;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

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

/// Opening hours by weekday: `Mon-Fri 09:00-18:00, Sat 10:00-14:00`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BusinessHours(Vec<Span>);

/// One stretch: these weekdays (Monday = 0), from `open` to `close` minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    days: [bool; 7],
    open: u16,
    close: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not business hours: write weekdays and times like `Mon-Fri 09:00-18:00, Sat 10:00-14:00`"
)]
pub struct BadHours(pub String);

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter().position(|d| s.starts_with(d) && s.len() >= 3)
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl FromStr for BusinessHours {
    type Err = BadHours;

    fn from_str(text: &str) -> Result<Self, BadHours> {
        let bad = || BadHours(text.to_string());
        let mut spans = Vec::new();
        for part in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (days_text, times) = part.split_once(' ').ok_or_else(bad)?;
            let mut days = [false; 7];
            for d in days_text.split('+') {
                match d.split_once('-') {
                    Some((from, to)) => {
                        let (from, to) = (day(from).ok_or_else(bad)?, day(to).ok_or_else(bad)?);
                        // A range may wrap the week: `Sat-Mon`.
                        let mut i = from;
                        loop {
                            days[i] = true;
                            if i == to {
                                break;
                            }
                            i = (i + 1) % 7;
                        }
                    }
                    None => days[day(d).ok_or_else(bad)?] = true,
                }
            }
            let (open, close) = times.split_once('-').ok_or_else(bad)?;
            let (open, close) = (
                minutes(open).ok_or_else(bad)?,
                minutes(close).ok_or_else(bad)?,
            );
            if open >= close {
                return Err(bad());
            }
            spans.push(Span { days, open, close });
        }
        if spans.is_empty() {
            return Err(bad());
        }
        Ok(BusinessHours(spans))
    }
}

impl TryFrom<String> for BusinessHours {
    type Error = BadHours;
    fn try_from(s: String) -> Result<Self, BadHours> {
        s.parse()
    }
}

impl From<BusinessHours> for String {
    fn from(h: BusinessHours) -> String {
        h.to_string()
    }
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| {
                let days: Vec<&str> = (0..7)
                    .filter(|&i| s.days[i])
                    .map(|i| match DAYS[i] {
                        "mon" => "Mon",
                        "tue" => "Tue",
                        "wed" => "Wed",
                        "thu" => "Thu",
                        "fri" => "Fri",
                        "sat" => "Sat",
                        _ => "Sun",
                    })
                    .collect();
                format!(
                    "{} {:02}:{:02}-{:02}:{:02}",
                    days.join("+"),
                    s.open / 60,
                    s.open % 60,
                    s.close / 60,
                    s.close % 60
                )
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl BusinessHours {
    /// Whether people answer at `at` (Unix seconds) on `zone`'s clock.
    pub fn is_open(&self, zone: &TimeZone, at: i64) -> bool {
        let Ok(now) = Timestamp::from_second(at) else {
            return false;
        };
        let local = now.to_zoned_datetime(zone.clone());
        let (d, m) = (
            weekday_index(local.weekday()),
            local.hour() as u16 * 60 + local.minute() as u16,
        );
        self.0
            .iter()
            .any(|s| s.days[d] && s.open <= m && m < s.close)
    }

    /// The next opening after `at` (Unix seconds), within a week; none if the hours never open.
    pub fn next_open(&self, zone: &TimeZone, at: i64) -> Option<i64> {
        let now = Timestamp::from_second(at).ok()?;
        let today: Date = now.to_zoned_datetime(zone.clone()).date();
        (0..=7i64)
            .filter_map(|n| today.checked_add(n.days()).ok())
            .flat_map(|date| {
                let d = weekday_index(date.weekday());
                self.0
                    .iter()
                    .filter(move |s| s.days[d])
                    .filter_map(move |s| {
                        let time =
                            Time::new((s.open / 60) as i8, (s.open % 60) as i8, 0, 0).ok()?;
                        // A wall-clock time skipped by a DST change resolves to the later instant.
                        let opening = date
                            .to_datetime(time)
                            .to_zoned_datetime(zone.clone())
                            .ok()?;
                        Some(opening.timestamp().as_second())
                    })
            })
            .filter(|&t| t > at)
            .min()
    }
}

/// When the customer may expect a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Within a few minutes: people are at work (or no hours are set).
    Soon,
    /// From this instant (Unix seconds): the next opening.
    From(i64),
}

/// When a person will answer a customer writing at `at`, by the retailer's hours in `zone`.
pub fn expect_answer(hours: Option<&BusinessHours>, zone: &TimeZone, at: i64) -> Expect {
    match hours {
        None => Expect::Soon,
        Some(h) if h.is_open(zone, at) => Expect::Soon,
        Some(h) => h.next_open(zone, at).map_or(Expect::Soon, Expect::From),
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

/// The agent a conversation is recorded with when a person took it in the platform's own
/// inbox for people ([`HandoffReason::TakenOver`]): not a console user, so the console shows it
/// as taken and none of its agents replies over the person who has the thread (a manager may
/// still reassign it, or hand it back to the bot).
pub const PLATFORM_INBOX: &str = "platform-inbox";

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

/// Follows a move of the platform's own inbox for people ([`InboundContent::InboxGaveBack`],
/// [`InboundContent::InboxTook`]; Messenger's handover protocol): `None` for any other
/// message. Runs before the flows, in the conversation function's queue order, and exactly
/// once per event as every message does (the processed-message marker), so a redelivery days
/// later cannot undo a newer handoff:
///
/// - the inbox gave it back: the conversation goes back to the bot as the console's hand back
///   does (session and list entry cleared), unless the bot has it already or its owner is
///   newer than the event (a handoff made after the inbox let go is not undone). Nothing is
///   queued for notify: the thread is ours already.
/// - the inbox took it: a person has the thread, so the conversation is theirs as if an agent
///   had chosen it ([`HandoffReason::TakenOver`], claimed by [`PLATFORM_INBOX`]): the bot stays
///   silent, nobody is alerted or escalated to, and the customer is told nothing (the person
///   is writing to them). A conversation waiting for a person is claimed the same way; one an
///   agent has stays theirs.
pub async fn follow_inbox<S: SessionStore + HandoffStore>(
    handler: Handler,
    message: &InboundMessage,
    store: &S,
    default_lang: Lang,
) -> Result<Option<Handled>, ProcessError> {
    let gave_back = match &message.content {
        InboundContent::InboxGaveBack { .. } => true,
        InboundContent::InboxTook { .. } => false,
        _ => return Ok(None),
    };
    let key = MarkerKey {
        handler,
        identity: message.dedup_identity(),
    };
    if let Some(marker) = store.marker(&key).await? {
        if !marker.done {
            // The move was made before the marker was committed; only the mark is missing.
            store.mark_done(&key).await?;
            return Ok(Some(Handled::Recorded));
        }
        return Ok(Some(Handled::Duplicate));
    }
    let c = &message.conversation;
    let at = message.sent_at;
    let session = store.session(c).await?;
    let moved = match (&session.owner, gave_back) {
        (Owner::Bot, true) => false,
        (Owner::Waiting { since, .. } | Owner::Agent { since, .. }, true) if *since > at => {
            tracing::info!(
                since,
                at,
                "the inbox gave back a conversation handed over again since; left as it is"
            );
            false
        }
        (_, true) => store.hand_back(c).await?,
        (Owner::Agent { .. }, false) => false,
        (owner, false) => {
            if owner.is_bot() {
                let lang = session.lang.unwrap_or(default_lang);
                store
                    .open_handoff(c, HandoffReason::TakenOver, lang, at)
                    .await?;
            }
            matches!(
                store.claim_handoff(c, PLATFORM_INBOX, at).await?,
                Claim::Claimed
            )
        }
    };
    tracing::info!(
        inbox = if gave_back { "gave_back" } else { "took" },
        moved,
        "the platform's inbox moved the conversation"
    );
    store
        .commit(c, None, &key, &crate::ports::Effect::Nothing)
        .await?;
    store.mark_done(&key).await?;
    Ok(Some(Handled::Recorded))
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
