//! With stock shards: how evenly the reservations spread, and what the spread means for a
//! partition on AWS.

use crate::buyers::Outcome;

/// The reservation rate per SKU the sharding model is checked against.
pub(crate) const TARGET_RATE: f64 = 10_000.0;
/// Write units a second one DynamoDB partition takes.
pub(crate) const PARTITION_WCU: f64 = 1_000.0;
/// Write units a reservation spends on its stock shard (one item in a transaction).
const SHARD_WCU_PER_RESERVATION: f64 = 2.0;

/// How the sales spread over the stock shards: the shard each sale's reservation took.
pub(crate) struct ShardSpread {
    pub(crate) min: usize,
    pub(crate) mean: f64,
    pub(crate) max: usize,
    shards: u32,
}

impl ShardSpread {
    pub(crate) fn of(sales: &[&Outcome], shards: u32) -> ShardSpread {
        let mut per_shard = vec![0usize; shards as usize];
        for sale in sales {
            // The last transaction that wrote a stock shard: the reservation that held.
            let shard = sale
                .calls
                .iter()
                .rev()
                .filter(|c| c.op == "TransactWriteItems")
                .find_map(|c| {
                    c.writes().into_iter().find_map(|w| {
                        let (_, k) = w.pk.split_once("#SHARD#")?;
                        k.parse::<usize>().ok()
                    })
                });
            if let Some(slot) = shard.and_then(|k| per_shard.get_mut(k)) {
                *slot += 1;
            }
        }
        let total: usize = per_shard.iter().sum();
        ShardSpread {
            min: per_shard.iter().copied().min().unwrap_or(0),
            mean: total as f64 / f64::from(shards.max(1)),
            max: per_shard.iter().copied().max().unwrap_or(0),
            shards,
        }
    }

    /// Write units a second on the busiest shard when the SKU takes `rate` reservations a
    /// second spread as measured.
    pub(crate) fn busiest_wcu_at(&self, rate: f64) -> f64 {
        let share = self.max as f64 / (self.mean * f64::from(self.shards)).max(1.0);
        rate * share * SHARD_WCU_PER_RESERVATION
    }

    /// Shards needed for `rate` with the measured imbalance (busiest over mean) kept.
    pub(crate) fn needed_for(&self, rate: f64) -> u32 {
        let imbalance = self.max as f64 / self.mean.max(1e-9);
        (rate * SHARD_WCU_PER_RESERVATION * imbalance / PARTITION_WCU).ceil() as u32
    }
}
