//! What became of an announcement after the fan-out queued it: the platform's answer, its
//! later delivery reports, and the orders that followed — written back to the campaign's
//! per-recipient send record, so the report can say what a campaign did, not only what it
//! queued.
//!
//! [`crate::campaign_fanout`] ends a target when its bundle is queued (`queued`). From there
//! notify and the status webhooks take over, each write conditional on the send record's own
//! state, so a redelivered bundle or report counts nothing twice:
//!
//! ```text
//!   queued ──notify: platform accepted──▶ sent ──status──▶ delivered ──status──▶ read
//!     │                                     │ (WhatsApp `failed` with 131049)
//!     ├──notify: 131049──┬──────────────────┘
//!     │                  ▼
//!     │        backed off: pending again, due at the time it may be tried again,
//!     │        attempt + 1 (a new bundle id) ──▶ the fan-out sends it then (rules re-checked)
//!     └──notify: any other refusal──▶ refused (the platform's code), for good
//! ```
//!
//! - **sent** ([`AnnouncementLog::record_sent`]): the platform accepted the message and gave
//!   its ids; counted once per recipient however many attempts it took. The ids are kept
//!   (message id → campaign, attempt), because a status webhook names only the message.
//! - **backed off**: WhatsApp's 131049, "message not delivered to maintain healthy ecosystem
//!   engagement", is Meta's per-user limit on marketing messages. Meta's guidance is not to
//!   retry it at once but after a longer while
//!   (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>, and
//!   <https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates#per-user-marketing-template-message-limits>).
//!   [`crate::campaign_rules::refusal`] says how long (6 h, doubling, three times); the
//!   recipient is recorded as "platform refused (131049), backed off" with the time after
//!   which it may be tried again, and the report counts it under `backed_off["131049"]`. The
//!   target goes back to pending, due then, so the fan-out that sent it sends it again — with
//!   every rule checked again (a "stop" since, quiet hours then) — and the campaign is running
//!   again if it had finished.
//! - **refused** for good: any other refusal, counted by the platform's code.
//! - **delivered / read** ([`on_status`]) from the platforms that say so: WhatsApp statuses,
//!   Messenger `message_deliveries` / `message_reads`, Viber `delivered` / `seen`, Twilio's
//!   `delivered`. LINE and Telegram send no delivery reports to bots, so their rows stay at
//!   zero. A read implies delivered (WhatsApp may skip the `delivered` report), so a read
//!   counts both, each once.
//! - **reserved / pay link opened / paid** ([`attribute`], computed from the recipients' orders
//!   when the report is read, never stored): see [`ATTRIBUTION_SECS`] for the rule. "Opened"
//!   is the first visit to the order's pay link, which `crate::pay_link` notes on the order.

use crate::campaign_fanout::{CampaignStore, ChannelReport};
use crate::campaign_rules::{self, Refusal};
use crate::channel::{Channel, ConversationId};
use crate::delivery::{Delivered, DeliveryLog, Outgoing, SendFailure, Sent};
use crate::inbound::DeliveryStatus;
use crate::orders::{Order, OrderStatus};
use crate::ports::{OrderStore, PortError};
use crate::reply::ReplyBundle;
use std::collections::BTreeMap;
use std::future::Future;

/// How long after an announcement was sent an order still counts for its campaign: 7 days.
///
/// The rule: a recipient *reserved* for the campaign when an order from the conversation the
/// announcement was sent to, holding stock of the campaign's drop, was created at or after the
/// platform accepted the announcement and within these 7 days; they *opened* the pay link when
/// such an order's link was visited (its first visit is noted on the order); they *paid* when
/// such an order is paid (paid, shipped, or paid and waiting for ops; refunded orders were paid too and
/// count). Each recipient counts at most once in each column, however many orders they made.
/// Last-touch within a week is the common default of ad platforms' click attribution (Meta's
/// "7-day click"), and a drop rarely sells longer than that.
pub const ATTRIBUTION_SECS: i64 = 7 * 86_400;

/// What the platform made of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlatformOutcome {
    Sent {
        message_ids: Vec<String>,
    },
    /// Refused, not to be retried before `retry_at` (Unix seconds).
    BackedOff {
        reason: String,
        retry_at: i64,
    },
    /// Refused for good.
    Refused {
        reason: String,
    },
}

/// A sent announcement a status webhook may name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentAnnouncement {
    pub campaign: String,
    pub attempt: u32,
}

/// How far a sent announcement got, as the platform reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reached {
    Delivered,
    Read,
}

/// The send records' side of the campaign store: what notify and the status webhooks write.
pub trait AnnouncementLog: CampaignStore {
    /// The platform accepted attempt `attempt`: `sent` once per recipient, and each message id
    /// remembered for the status webhooks. `Ok(false)` if it was counted already.
    fn record_sent(
        &self,
        campaign: &str,
        conversation: &ConversationId,
        attempt: u32,
        message_ids: &[String],
        at: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The platform refused attempt `attempt` (`BackedOff` or `Refused`): counted by reason,
    /// once per attempt; a back-off makes the target pending again, due at `retry_at`, with
    /// the next attempt. `Ok(false)` if this attempt's refusal was recorded already (or a later
    /// attempt exists).
    fn record_refused(
        &self,
        campaign: &str,
        conversation: &ConversationId,
        attempt: u32,
        outcome: &PlatformOutcome,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The announcement a platform message id belongs to, if it is one.
    fn announcement_of(
        &self,
        conversation: &ConversationId,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<SentAnnouncement>, PortError>> + Send;

    /// The recipient's announcement got `reached` (a step counted once; never backwards).
    fn record_reached(
        &self,
        campaign: &str,
        conversation: &ConversationId,
        reached: Reached,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Every recipient the platform accepted the announcement for, with when.
    fn sent_to(
        &self,
        campaign: &str,
    ) -> impl Future<Output = Result<Vec<(ConversationId, i64)>, PortError>> + Send;
}

/// The platform's error code as a report reason: `131049`, or `unknown`.
pub fn reason(code: Option<i64>) -> String {
    code.map_or_else(|| "unknown".to_string(), |c| c.to_string())
}

/// A refusal of attempt `attempt` at `now`, as a recorded outcome: back off where the rules
/// say so ([`campaign_rules::refusal`]), else refused for good.
pub fn refused(channel: Channel, code: Option<i64>, attempt: u32, now: i64) -> PlatformOutcome {
    let reason = reason(code);
    match code.map(|c| campaign_rules::refusal(channel, c, attempt)) {
        Some(Refusal::BackOff { secs }) => PlatformOutcome::BackedOff {
            reason,
            retry_at: now + secs,
        },
        _ => PlatformOutcome::Refused { reason },
    }
}

/// What notify's delivery of an announcement comes to, if it is one the platform answered:
/// accepted (with the ids it gave) or refused. A bundle held by the sending rules (no
/// window) was never offered to the platform: `None`, as for any bundle not an announcement.
pub fn outcome_of(
    bundle: &ReplyBundle,
    delivered: &Delivered,
    message_ids: Vec<String>,
    now: i64,
) -> Option<PlatformOutcome> {
    let announcement = bundle.announcement.as_ref()?;
    match delivered {
        Delivered::All => Some(PlatformOutcome::Sent { message_ids }),
        Delivered::Undeliverable(SendFailure::Permanent { code, .. }) => Some(refused(
            bundle.conversation.channel,
            *code,
            announcement.attempt,
            now,
        )),
        Delivered::Undeliverable(_) | Delivered::Held(_) => None,
    }
}

/// Writes an announcement's outcome to its send record (idempotent: a redelivered bundle
/// writes nothing twice). A back-off also sets a finished campaign running again, so the
/// sweep gets to the retry; that is conditional too, and done on every redelivery in case a
/// crash came between the two writes.
pub async fn record<L: AnnouncementLog>(
    log: &L,
    bundle: &ReplyBundle,
    outcome: &PlatformOutcome,
    now: i64,
) -> Result<bool, PortError> {
    let Some(announcement) = &bundle.announcement else {
        return Ok(false);
    };
    let (campaign, conversation, attempt) = (
        announcement.campaign.as_str(),
        &bundle.conversation,
        announcement.attempt,
    );
    match outcome {
        PlatformOutcome::Sent { message_ids } => {
            log.record_sent(campaign, conversation, attempt, message_ids, now)
                .await
        }
        refusal => refuse(log, campaign, conversation, attempt, refusal).await,
    }
}

async fn refuse<L: AnnouncementLog>(
    log: &L,
    campaign: &str,
    conversation: &ConversationId,
    attempt: u32,
    refusal: &PlatformOutcome,
) -> Result<bool, PortError> {
    let fresh = log
        .record_refused(campaign, conversation, attempt, refusal)
        .await?;
    if let PlatformOutcome::BackedOff { .. } = refusal {
        use crate::campaign::CampaignStatus;
        log.set_status(campaign, &[CampaignStatus::Done], CampaignStatus::Running)
            .await?;
    }
    Ok(fresh)
}

/// A platform's delivery report about `message_id`: counted against the campaign it
/// announced, if any. A WhatsApp `failed` report carrying 131049 (Meta reports the per-user
/// marketing limit this way, after accepting the send) backs off like a refused send.
pub async fn on_status<L: AnnouncementLog>(
    log: &L,
    conversation: &ConversationId,
    message_id: &str,
    status: DeliveryStatus,
    error_code: Option<i64>,
    at: i64,
) -> Result<bool, PortError> {
    let Some(sent) = log.announcement_of(conversation, message_id).await? else {
        return Ok(false);
    };
    let reached = match status {
        DeliveryStatus::Sent => return Ok(false),
        DeliveryStatus::Delivered => Reached::Delivered,
        DeliveryStatus::Read => Reached::Read,
        DeliveryStatus::Failed => {
            let refusal = refused(conversation.channel, error_code, sent.attempt, at);
            return refuse(log, &sent.campaign, conversation, sent.attempt, &refusal).await;
        }
    };
    log.record_reached(&sent.campaign, conversation, reached)
        .await
}

/// A delivery log that also keeps the platform's message ids of what it records as sent:
/// notify delivers an announcement through it to learn the ids its status reports will name.
pub struct IdsKept<'a, L> {
    inner: &'a L,
    ids: std::sync::Mutex<Vec<String>>,
}

impl<'a, L: DeliveryLog> IdsKept<'a, L> {
    pub fn new(inner: &'a L) -> Self {
        IdsKept {
            inner,
            ids: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The ids recorded so far (none when an earlier attempt had sent everything).
    pub fn ids(&self) -> Vec<String> {
        self.ids.lock().map(|ids| ids.clone()).unwrap_or_default()
    }
}

impl<L: DeliveryLog> DeliveryLog for IdsKept<'_, L> {
    async fn sent_count(&self, bundle_id: &str) -> Result<usize, PortError> {
        self.inner.sent_count(bundle_id).await
    }
    async fn record_sent(&self, bundle_id: &str, count: usize) -> Result<(), PortError> {
        self.inner.record_sent(bundle_id, count).await
    }
    async fn record_undeliverable(
        &self,
        bundle: &ReplyBundle,
        failure: &SendFailure,
    ) -> Result<(), PortError> {
        self.inner.record_undeliverable(bundle, failure).await
    }
    async fn record_held(&self, bundle: &ReplyBundle, reason: &str) -> Result<(), PortError> {
        self.inner.record_held(bundle, reason).await
    }
    async fn record_outbound(&self, out: &Outgoing<'_>, sent: &Sent) -> Result<(), PortError> {
        self.inner.record_outbound(out, sent).await?;
        if let Ok(mut ids) = self.ids.lock() {
            ids.extend(sent.message_ids.iter().cloned());
        }
        Ok(())
    }
    async fn record_status(
        &self,
        conversation: &ConversationId,
        message_id: &str,
        status: DeliveryStatus,
        at: i64,
    ) -> Result<(), PortError> {
        self.inner
            .record_status(conversation, message_id, status, at)
            .await
    }
}

/// What one recipient did after an announcement, each at most once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Ordered from the drop (was given a pay link).
    pub reserved: bool,
    /// Opened the pay link of such an order.
    pub opened: bool,
    /// Paid for such an order.
    pub paid: bool,
}

/// Whether the recipient reserved, opened the pay link and paid for `drop` within
/// [`ATTRIBUTION_SECS`] of being sent the announcement at `sent_at`, judging by their
/// `orders`.
pub fn attribute(drop: &str, sent_at: i64, orders: &[Order]) -> Attribution {
    let mut done = Attribution::default();
    for order in orders {
        let in_window =
            order.created_at >= sent_at && order.created_at < sent_at + ATTRIBUTION_SECS;
        if !in_window || !order.stock.iter().any(|take| take.drop == drop) {
            continue;
        }
        done.reserved = true;
        done.opened |= order.opened_at.is_some();
        done.paid |= matches!(
            order.status,
            OrderStatus::Paid
                | OrderStatus::PaidNeedsAttention
                | OrderStatus::Shipped
                | OrderStatus::Refunded
        );
    }
    done
}

/// The report with `reserved`, `opened` and `paid` filled in from the recipients' orders (one query of
/// each sent recipient's orders: an ops report, read on demand).
pub async fn report_with_orders<L: AnnouncementLog, O: OrderStore>(
    log: &L,
    orders: &O,
    campaign: &str,
    drop: &str,
) -> Result<BTreeMap<Channel, ChannelReport>, PortError> {
    let mut report = log.report(campaign).await?;
    for (conversation, sent_at) in log.sent_to(campaign).await? {
        let done = attribute(drop, sent_at, &orders.orders_of(&conversation).await?);
        let row = report.entry(conversation.channel).or_default();
        row.reserved += u64::from(done.reserved);
        row.opened += u64::from(done.opened);
        row.paid += u64::from(done.paid);
    }
    Ok(report)
}

#[cfg(test)]
#[path = "campaign_outcome_tests.rs"]
mod tests;
