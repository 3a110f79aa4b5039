//! The reservation sweep: ends lapsed reservations without letting one bad order stall the rest.
//!
//! Every minute the sweep takes the reservations whose hold ran out, oldest first, from the
//! reservation index, and ends each with [`crate::order_events::expire_order`] (the payment page
//! first, then the stock). One order can fail every time: its Stripe session answers 404 (created
//! with another key, deleted), or Stripe says it completed at the last moment and the
//! completed event never arrives. Such an entry must not be tried first again next minute,
//! blocking or eating the per-run budget of everything behind it. So each failure is logged
//! and counted, and the order's index entry moves:
//!
//! - after a failure, to a later place in the index ([`ReservationIndex::retry_later`]): its
//!   key is the time of the next attempt, 1 minute after the first failure, doubling to
//!   [`RETRY_CAP`], so it sorts behind the reservations that are due now;
//! - after [`SET_ASIDE_AFTER`] failures (about 4 hours), out of the index onto an attention
//!   list for ops ([`ReservationIndex::set_aside`]): its stock stays reserved until someone
//!   looks (`ATTENTION#sweep` in the table), which is safer than releasing stock a customer
//!   may have paid for;
//! - an entry whose order already left `reserved` (paid, cancelled, released elsewhere), is
//!   gone, or is held past now (a delayed payment, [`OrderStore::hold_until`]) is removed
//!   ([`ReservationIndex::forget`]).
//!
//! The failure goes on with the run: the reservations behind it are released in the same run.

use crate::order_events::expire_order;
use crate::orders::OrderStatus;
use crate::payment::PaymentGateway;
use crate::ports::{Dispatch, OrderStore, PortError};
use crate::process::ProcessError;
use std::future::Future;

/// Failures after which an entry leaves the index for the attention list.
pub const SET_ASIDE_AFTER: u32 = 10;

/// The longest wait between two attempts at one reservation, in seconds.
pub const RETRY_CAP: i64 = 3600;

/// The wait after failure number `failures` (1-based): 1 minute doubling to [`RETRY_CAP`].
/// The first nine waits add up to about 4 hours.
pub fn retry_delay(failures: u32) -> i64 {
    (60_i64 << failures.saturating_sub(1).min(10)).min(RETRY_CAP)
}

/// One entry of the reservation index, as the sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub order_id: String,
    /// Failed attempts so far (0 for an entry never tried).
    pub failures: u32,
    /// Where the entry is, for the index adapter (opaque here).
    pub handle: String,
}

/// The index of open reservations by the time they are next due.
pub trait ReservationIndex: Send + Sync {
    /// Entries due before `now`, oldest first, at most `limit`.
    fn due(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<IndexEntry>, PortError>> + Send;

    /// Moves `entry` to come due again at `at`, with one more failure and its reason.
    fn retry_later(
        &self,
        entry: &IndexEntry,
        at: i64,
        reason: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Moves `entry` out of the index, onto the attention list, with its reason.
    fn set_aside(
        &self,
        entry: &IndexEntry,
        reason: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Removes `entry` (its order is no longer reserved).
    fn forget(&self, entry: &IndexEntry) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Reservations released.
    pub expired: usize,
    /// Attempts that failed (each logged; its entry moved later or set aside).
    pub failed: usize,
    /// Orders Stripe says were paid at the last moment: checked again later, until the
    /// completed event turns them into sales.
    pub awaiting_payment: usize,
    /// Entries moved to the attention list in this run.
    pub set_aside: usize,
    /// Entries removed because their order had already left `reserved`.
    pub cleared: usize,
}

/// One sweep at `now`, over at most `limit` due entries; see the module docs. Fails only when
/// the index cannot be read.
pub async fn sweep<I, O, G, D>(
    now: i64,
    limit: usize,
    index: &I,
    orders: &O,
    gateway: &G,
    dispatch: &D,
) -> Result<SweepReport, PortError>
where
    I: ReservationIndex,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let mut report = SweepReport::default();
    for entry in index.due(now, limit).await? {
        let outcome = match orders.order(&entry.order_id).await {
            Ok(Some(order)) if order.status == OrderStatus::Reserved && order.expires_at <= now => {
                expire_order(&order, orders, gateway, dispatch).await
            }
            // Held longer since the entry was read or moved (a customer paying by a method
            // that settles later, `OrderStore::hold_until`): its own entry is at the new
            // expiry, so this one is stale.
            Ok(Some(order)) if order.status == OrderStatus::Reserved => {
                report.cleared += 1;
                if let Err(e) = index.forget(&entry).await {
                    tracing::warn!(order = %entry.order_id, error = %e, "could not remove a stale reservation entry");
                }
                continue;
            }
            // Gone, or already paid, cancelled or released elsewhere: the entry is stale.
            Ok(_) => {
                report.cleared += 1;
                if let Err(e) = index.forget(&entry).await {
                    tracing::warn!(order = %entry.order_id, error = %e, "could not remove a stale reservation entry");
                }
                continue;
            }
            Err(e) => Err(ProcessError::Port(e)),
        };
        let moved = match outcome {
            Ok(OrderStatus::Reserved) => {
                // Complete at Stripe: the completed event will make it a sale. Look again
                // later; if the event never comes, the entry ends on the attention list.
                report.awaiting_payment += 1;
                failed_attempt(
                    index,
                    &entry,
                    now,
                    "paid at the provider; waiting for its event",
                    &mut report,
                )
                .await
            }
            Ok(_) if entry.failures == 0 => {
                // Released: the release deleted the entry with the order's own key.
                report.expired += 1;
                Ok(())
            }
            Ok(_) => {
                // A moved entry is not where the order's own transitions delete it.
                report.expired += 1;
                index.forget(&entry).await
            }
            Err(e) => {
                report.failed += 1;
                tracing::error!(
                    order = %entry.order_id,
                    failures = entry.failures + 1,
                    error = %e,
                    "could not end a lapsed reservation; the sweep goes on without it"
                );
                failed_attempt(index, &entry, now, &e.to_string(), &mut report).await
            }
        };
        if let Err(e) = moved {
            // The entry stays where it was and is tried again next run.
            tracing::warn!(order = %entry.order_id, error = %e, "could not update the reservation index");
        }
    }
    Ok(report)
}

async fn failed_attempt<I: ReservationIndex>(
    index: &I,
    entry: &IndexEntry,
    now: i64,
    reason: &str,
    report: &mut SweepReport,
) -> Result<(), PortError> {
    let failures = entry.failures + 1;
    if failures >= SET_ASIDE_AFTER {
        tracing::error!(order = %entry.order_id, failures, reason, "reservation set aside for ops: its stock stays reserved");
        report.set_aside += 1;
        index.set_aside(entry, reason).await
    } else {
        index
            .retry_later(entry, now + retry_delay(failures), reason)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_reservation_is_retried_less_and_less_often_then_set_aside() {
        let waits: Vec<i64> = (1..SET_ASIDE_AFTER).map(retry_delay).collect();
        assert_eq!(
            waits,
            [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600],
            "1 minute doubling to an hour"
        );
        // Set aside about four hours after the first failure.
        assert_eq!(waits.iter().sum::<i64>(), 14_580);
    }
}
