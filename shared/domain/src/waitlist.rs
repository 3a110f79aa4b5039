//! The waitlist: sold-out customers in line for units that come back, first come, first served.
//!
//! A customer who meets "sold out" can join the line of that SKU ([`WaitlistStore::join`]):
//! the store gives them the next number of the SKU's counter, one entry per conversation and
//! SKU. From then on the SKU is *gated*: while anyone waits, open checkout does not take its
//! units (the stock item's `waiting` count must be 0 for a reservation), so a unit that comes
//! back (a reservation lapsed or cancelled, a delayed payment failed, a refund with restock,
//! stock added by the CLI) sits in `available` until it is offered to the first in line. No
//! release path has to know about the waitlist, and none can leak a unit to open sale first.
//!
//! An offer ([`WaitlistStore::offer_next`]) is one transaction: one unit `available → held`,
//! the first waiting entry `waiting → offered` with its hold's end, the `waiting` count down by
//! one, and an audit record. The customer gets a one-tap checkout ([`Action::WaitlistTake`])
//! and a "No thanks" ([`Action::WaitlistPass`]). Taking reserves an order from the held unit
//! (`held → reserved`, the entry `offered → accepted`, in the reservation's own transaction,
//! [`WaitlistStore::accept`]); passing, or the hold running out (the sweep), puts the unit back
//! in `available` (`held → available`, [`WaitlistStore::give_back`]) where, still gated while
//! others wait, the next offer takes it.
//!
//! ```text
//!               offer_next (first waiting entry; one transaction)
//!   available ─────────────────────────────────────────▶ held ── accept (one tap) ──▶ reserved ── pay ──▶ sold
//!     ▲   ▲                                                │                            │
//!     │   └──── pass ("No thanks") / hold lapsed (sweep) ──┘                            │
//!     └────────── lapse, cancel, payment failed, refund with restock ───────────────────┘
//!   while anyone waits, open checkout takes nothing from `available` (the gate)
//! ```
//!
//! Every transition is conditional on the entry's state, so a retried sweep or a double tap
//! moves nothing twice; the invariants (no unit held for two customers, nobody skipped, stock
//! conserved: `available + held + reserved + sold = total`) are checked under random
//! interleavings in `waitlist_tests.rs` against the in-memory store, which keeps the DynamoDB
//! adapter's rules.
//!
//! Offers go out from the sweep ([`sweep_waitlist`], every minute): it lapses holds that ran
//! out, tells customers of offers not told yet (an offer made just before a crash is still
//! told), and offers every unit that waits in `available` for someone in line. A unit released
//! by the sweep's own reservation pass is offered in the same run.

use crate::action::Action;
use crate::channel::{ConversationId, full_hash};
use crate::checkout::choice;
use crate::customization::Selection;
use crate::drops::Drop;
use crate::i18n::{Lang, Msg, Voice};
use crate::ports::{Dispatch, PortError, ReserveError};
use crate::reply::{Reply, ReplyBundle};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// How long a unit is held for the customer it is offered to, when not configured.
pub const DEFAULT_HOLD_MINUTES: i64 = 10;

/// The waitlist's settings (`CHATDROP_WAITLIST_HOLD_MINUTES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitlistSettings {
    /// How long an offered unit waits for its customer's tap.
    pub hold_minutes: i64,
}

impl Default for WaitlistSettings {
    fn default() -> Self {
        WaitlistSettings {
            hold_minutes: DEFAULT_HOLD_MINUTES,
        }
    }
}

/// Where an entry is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// In line.
    Waiting,
    /// A unit is held for this entry until `hold_until`.
    Offered,
    /// The customer took the held unit: it became their reservation.
    Accepted,
    /// The customer said no thanks; the unit went to the next in line.
    Passed,
    /// The hold ran out; the unit went to the next in line.
    Lapsed,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Waiting => "waiting",
            EntryStatus::Offered => "offered",
            EntryStatus::Accepted => "accepted",
            EntryStatus::Passed => "passed",
            EntryStatus::Lapsed => "lapsed",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStatus> {
        use EntryStatus::*;
        [Waiting, Offered, Accepted, Passed, Lapsed]
            .into_iter()
            .find(|e| e.as_str() == s)
    }

    /// Whether the entry is done with (a new join from the same chat starts a new entry).
    pub fn finished(self) -> bool {
        matches!(
            self,
            EntryStatus::Accepted | EntryStatus::Passed | EntryStatus::Lapsed
        )
    }
}

/// A customer's place in a SKU's line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub drop: String,
    pub sku: String,
    /// The place in line: the SKU's counter when the customer joined (1, 2, …).
    pub seq: u64,
    pub conversation: ConversationId,
    pub lang: Lang,
    /// The cart line the customer wanted, for the one-tap checkout.
    pub product: String,
    #[serde(default)]
    pub selections: Vec<Selection>,
    /// What the customer calls it, in their language (said in the offer).
    pub item: String,
    pub joined_at: i64,
    pub status: EntryStatus,
    /// While offered: when the hold ends (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_until: Option<i64>,
    /// Whether the customer was told of the offer.
    #[serde(default)]
    pub told: bool,
}

/// What joining asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinRequest {
    pub drop: String,
    pub sku: String,
    pub conversation: ConversationId,
    pub lang: Lang,
    pub product: String,
    pub selections: Vec<Selection>,
    pub item: String,
    pub now: i64,
}

/// The outcome of a join.
#[derive(Clone, Debug, PartialEq)]
pub enum Joined {
    /// A new entry at the back of the line.
    New(WaitlistEntry),
    /// The conversation already has an unfinished entry for this SKU: it keeps its place.
    Already(WaitlistEntry),
}

impl Joined {
    pub fn entry(&self) -> &WaitlistEntry {
        match self {
            Joined::New(e) | Joined::Already(e) => e,
        }
    }
}

/// Why a held unit could not become the customer's reservation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AcceptError {
    /// The entry is no longer offered (passed, lapsed, taken already) or its hold ran out.
    #[error("the offer is no longer open")]
    OfferGone,
    /// Another SKU of the line ran out, or the customer's limit: the reservation is refused.
    #[error(transparent)]
    Refused(ReserveError),
    #[error(transparent)]
    Port(#[from] PortError),
}

/// What happened to an entry, for the audit log (items under the drop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    Joined,
    Offered,
    Accepted,
    Passed,
    Lapsed,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Joined => "joined",
            AuditEvent::Offered => "offered",
            AuditEvent::Accepted => "accepted",
            AuditEvent::Passed => "passed",
            AuditEvent::Lapsed => "lapsed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditEvent> {
        use AuditEvent::*;
        [Joined, Offered, Accepted, Passed, Lapsed]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// One line of a drop's waitlist audit log: written in the transaction of the transition it
/// records, once (its key is the SKU, the entry's number and the event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub drop: String,
    pub sku: String,
    pub seq: u64,
    pub event: AuditEvent,
    pub at: i64,
    /// For an offer: when its hold ends.
    pub hold_until: Option<i64>,
}

/// The waitlists and held units, in the store that keeps the stock.
pub trait WaitlistStore: Send + Sync {
    /// Adds the conversation to the back of the SKU's line (a conditional counter gives the
    /// number; one unfinished entry per conversation and SKU) and gates the SKU.
    fn join(&self, request: &JoinRequest)
    -> impl Future<Output = Result<Joined, PortError>> + Send;

    /// The conversation's latest entry for the SKU.
    fn entry_of(
        &self,
        drop: &str,
        sku: &str,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Option<WaitlistEntry>, PortError>> + Send;

    /// In one transaction: one unit `available → held` for the first waiting entry, which
    /// becomes `offered` until `hold_until`. `None` when no unit waits or nobody is in line.
    fn offer_next(
        &self,
        drop: &str,
        sku: &str,
        now: i64,
        hold_until: i64,
    ) -> impl Future<Output = Result<Option<WaitlistEntry>, PortError>> + Send;

    /// `offered → to` (passed or lapsed) and the held unit back to `available`; `Ok(false)`
    /// when the entry was no longer offered (taken, passed or lapsed already).
    fn give_back(
        &self,
        entry: &WaitlistEntry,
        to: EntryStatus,
        now: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Reserves `order` as `OrderStore::reserve` does, except that the entry's SKU takes the
    /// unit held for it (`held → reserved`), and the entry becomes `accepted`, all in one
    /// transaction, only while it is offered and its hold has not ended at `now`.
    fn accept(
        &self,
        entry: &WaitlistEntry,
        order: &crate::orders::Order,
        now: i64,
    ) -> impl Future<Output = Result<(), AcceptError>> + Send;

    /// Records that the customer was told of the offer.
    fn mark_told(
        &self,
        entry: &WaitlistEntry,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Current offers (every entry holding a unit), soonest hold end first, at most `limit`.
    fn offers(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<WaitlistEntry>, PortError>> + Send;

    /// The (drop, SKU) pairs that have had a line; the sweep offers their waiting units.
    fn lines(&self) -> impl Future<Output = Result<Vec<(String, String)>, PortError>> + Send;

    /// A drop's audit log, oldest first.
    fn audit(&self, drop: &str)
    -> impl Future<Output = Result<Vec<AuditRecord>, PortError>> + Send;
}

/// The SKU's place in its drop: how the waitlist buttons name it within Telegram's 64 bytes.
pub fn sku_index(drop: &Drop, sku: &str) -> Option<u16> {
    drop.skus
        .iter()
        .position(|s| s.sku == sku)
        .and_then(|i| u16::try_from(i).ok())
}

/// The SKU a button names.
pub fn sku_at(drop: &Drop, index: u16) -> Option<&str> {
    drop.skus.get(usize::from(index)).map(|s| s.sku.as_str())
}

/// Whether a SKU can have a line: its stock is one item (a sharded SKU spreads its units over
/// many, and the gate would have to sit on each; not built).
pub fn has_waitlist(drop: &Drop, sku: &str) -> bool {
    drop.sku(sku).is_some_and(|s| s.shards.unwrap_or(1) <= 1)
}

/// The sold-out answer, with a "Join the waitlist" button when the SKU can have a line.
pub fn sold_out_reply(drop: Option<&Drop>, sku: &str, label: &str, voice: Voice<'_>) -> Reply {
    let body = Msg::SoldOut(label).text(voice);
    let join = drop.and_then(|d| {
        let action = Action::WaitlistJoin {
            drop: d.id.clone(),
            sku: sku_index(d, sku)?,
        };
        // A drop id too long for a button, or one that does not read back, gets no button.
        let fits = action.encode().len() <= crate::action::MAX_PAYLOAD_BYTES
            && Action::decode(&action.encode()).as_ref() == Some(&action);
        (fits && has_waitlist(d, sku)).then_some(action)
    });
    match join {
        Some(action) => Reply::Choices {
            body,
            menu_label: Msg::ChooseLabel.text(voice),
            choices: vec![
                choice(action, Msg::WaitlistJoinButton.text(voice)),
                choice(Action::Menu, Msg::KeepShopping.text(voice)),
            ],
        },
        None => Reply::Text { body },
    }
}

/// The offer as the customer reads it: the item, how long it is held, take or pass.
pub fn offer_replies(entry: &WaitlistEntry, drop: &Drop, minutes: i64) -> Vec<Reply> {
    let lang = entry.lang;
    let Some(index) = sku_index(drop, &entry.sku) else {
        return Vec::new();
    };
    vec![Reply::Choices {
        body: Msg::WaitlistOffer {
            item: &entry.item,
            minutes,
        }
        .text(lang),
        menu_label: Msg::ChooseLabel.text(lang),
        choices: vec![
            choice(
                Action::WaitlistTake {
                    drop: drop.id.clone(),
                    sku: index,
                },
                Msg::WaitlistTakeButton.text(lang),
            ),
            choice(
                Action::WaitlistPass {
                    drop: drop.id.clone(),
                    sku: index,
                },
                Msg::WaitlistPassButton.text(lang),
            ),
        ],
    }]
}

/// Tells the customer of their offer (the bundle id is the entry's, so a repeat is dropped by
/// the queue) and records it.
async fn tell_offer<W: WaitlistStore, D: Dispatch>(
    store: &W,
    dispatch: &D,
    entry: &WaitlistEntry,
    drops: &[Drop],
    now: i64,
) -> Result<(), PortError> {
    let Some(drop) = drops.iter().find(|d| d.id == entry.drop) else {
        return Ok(());
    };
    let minutes = ((entry.hold_until.unwrap_or(now) - now + 59) / 60).max(1);
    let bundle = ReplyBundle {
        id: full_hash(&format!(
            "waitlist-offer#{}#{}#{}",
            entry.drop, entry.sku, entry.seq
        )),
        conversation: entry.conversation.clone(),
        lang: entry.lang,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: offer_replies(entry, drop, minutes),
    };
    dispatch.reply(&bundle).await?;
    store.mark_told(entry).await
}

/// What one waitlist pass of the sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitlistReport {
    /// Units offered to the next in line.
    pub offered: usize,
    /// Holds that ran out (their units went on to the next in line).
    pub lapsed: usize,
    /// Offers told now that had not been told (made just before a crash).
    pub told_late: usize,
    /// Steps that failed (each logged; the next run tries again).
    pub failed: usize,
}

/// Most offers one sweep looks at.
const OFFERS_PER_RUN: usize = 500;

/// One pass at `now`: lapse holds that ran out, tell untold offers, offer waiting units.
pub async fn sweep_waitlist<W: WaitlistStore, D: Dispatch>(
    now: i64,
    drops: &[Drop],
    store: &W,
    dispatch: &D,
    settings: WaitlistSettings,
) -> Result<WaitlistReport, PortError> {
    let mut report = WaitlistReport::default();
    for entry in store.offers(OFFERS_PER_RUN).await? {
        let step = if entry.hold_until.is_some_and(|end| end <= now) {
            match store.give_back(&entry, EntryStatus::Lapsed, now).await {
                Ok(true) => {
                    report.lapsed += 1;
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(e) => Err(e),
            }
        } else if !entry.told {
            report.told_late += 1;
            tell_offer(store, dispatch, &entry, drops, now).await
        } else {
            Ok(())
        };
        if let Err(e) = step {
            report.failed += 1;
            tracing::warn!(drop = %entry.drop, sku = %entry.sku, seq = entry.seq, error = %e, "a waitlist offer step failed; the next sweep tries again");
        }
    }
    for (drop, sku) in store.lines().await? {
        if let Err(e) = offer_waiting_units(
            &drop,
            &sku,
            now,
            drops,
            store,
            dispatch,
            settings,
            &mut report,
        )
        .await
        {
            report.failed += 1;
            tracing::warn!(%drop, %sku, error = %e, "offering returned units failed; the next sweep tries again");
        }
    }
    Ok(report)
}

/// Offers every unit of the SKU waiting in `available` to the next in line, one each.
#[allow(clippy::too_many_arguments)]
pub async fn offer_waiting_units<W: WaitlistStore, D: Dispatch>(
    drop: &str,
    sku: &str,
    now: i64,
    drops: &[Drop],
    store: &W,
    dispatch: &D,
    settings: WaitlistSettings,
    report: &mut WaitlistReport,
) -> Result<(), PortError> {
    let hold_until = now + settings.hold_minutes * 60;
    while let Some(entry) = store.offer_next(drop, sku, now, hold_until).await? {
        report.offered += 1;
        tracing::info!(%drop, %sku, seq = entry.seq, "a returned unit is held for the next in line");
        tell_offer(store, dispatch, &entry, drops, now).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "waitlist_tests.rs"]
mod tests;
