//! The reservation: stock, limit units and the order in one transaction (see the parent's doc),
//! tried shard after shard for a sharded SKU.
//!
//! A reservation starts at a random shard and, when that shard's guard refuses, tries the
//! others in rotated order; every attempt is the same one transaction with another stock item,
//! so a unit is still taken exactly when everything else of the order is written. The order
//! records the shard of each take (`stock_shards`, next to `stock` in the order item; the domain
//! order does not need to know), and its release, expiry or sale moves units on exactly that
//! shard. No shard can go below zero, and the shards' sum is the stock, so sharding cannot
//! oversell. A multi-unit take comes from one shard; near the end such an order can hear
//! "sold out" while single units remain on several shards (those still sell to others).

use super::hints::sold_out;
use super::keys::{
    Item, STOCK_SHARDS, key, limit_key, order_key, reservation_key, shards_attribute, stock_key,
};
use super::transact::{TxResult, random, refused, tx_put, tx_update, update};
use crate::{DynamoStore, n, s};
use aws_sdk_dynamodb::types::TransactWriteItem;
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::{PortError, ReserveError};
use std::collections::{BTreeSet, VecDeque};

/// Where one stock take of a reservation tries to take its units.
struct ShardChoice {
    /// Shards of the SKU; 1 is the unsharded counter.
    count: u32,
    /// Shards still worth trying, the current one first.
    queue: VecDeque<u32>,
    /// Shards whose guard refused this reservation.
    refused: BTreeSet<u32>,
    /// Where the rotation starts: random per reservation, so buyers spread over the shards.
    start: u32,
}

impl ShardChoice {
    fn new(count: u32, salt: &str, skip: &BTreeSet<u32>) -> ShardChoice {
        let start = (random(salt) % u64::from(count.max(1))) as u32;
        let mut choice = ShardChoice {
            count,
            queue: VecDeque::new(),
            refused: BTreeSet::new(),
            start,
        };
        choice.refill(skip);
        choice
    }

    /// Queues, in rotated order, the shards neither refused nor in `skip`.
    fn refill(&mut self, skip: &BTreeSet<u32>) {
        self.queue = (0..self.count)
            .map(|i| (self.start + i) % self.count)
            .filter(|k| !self.refused.contains(k) && !skip.contains(k))
            .collect();
    }

    /// The stock item to try now; `None` for the unsharded counter.
    fn current(&self) -> Option<u32> {
        if self.count > 1 {
            // Never empty when a transaction is built (an empty queue answers sold out); the
            // start shard is a safe default all the same, guarded like any other.
            Some(self.queue.front().copied().unwrap_or(self.start))
        } else {
            None
        }
    }
}

impl DynamoStore {
    /// The reservation's transaction, taking each stock take from `shards`: the items, the
    /// index of the first limit counter and the index of the order (to read the cancellation
    /// reasons). Stock takes come first, in order.
    pub(crate) fn reserve_items(
        &self,
        order: &Order,
        shards: &[Option<u32>],
    ) -> Result<(Vec<TransactWriteItem>, usize, usize), PortError> {
        let mut items = Vec::new();
        for (take, shard) in order.stock.iter().zip(shards) {
            items.push(tx_update(
                &self.table,
                update(
                    stock_key(&take.drop, &take.sku, *shard),
                    "SET available = available - :q, reserved = reserved + :q",
                )
                // The waitlist's gate: while anyone waits for this SKU, returned units are
                // theirs (`crate::waitlist`); only unsharded stock items ever carry `waiting`.
                .condition_expression(
                    "available >= :q AND (attribute_not_exists(waiting) OR waiting <= :zero)",
                )
                .expression_attribute_values(":q", n(take.quantity))
                .expression_attribute_values(":zero", n(0)),
            )?);
        }
        let limits_start = items.len();
        for limit in &order.limits {
            items.push(tx_update(
                &self.table,
                update(
                    limit_key(&order.customer, &limit.drop, limit.sku.as_deref()),
                    "ADD units :q",
                )
                .condition_expression("attribute_not_exists(units) OR units <= :room")
                .expression_attribute_values(":q", n(limit.quantity))
                .expression_attribute_values(
                    ":room",
                    n(i64::from(limit.limit) - i64::from(limit.quantity)),
                ),
            )?);
        }
        let order_index = items.len();
        let mut order_item: Item =
            serde_dynamo::to_item(order).map_err(|e| PortError::new("encode order", e))?;
        order_item.extend(order_key(&order.id));
        if shards.iter().any(Option::is_some) {
            order_item.insert(STOCK_SHARDS.into(), shards_attribute(shards));
        }
        items.push(tx_put(
            &self.table,
            order_item,
            Some("attribute_not_exists(pk)"),
        )?);
        // No `PAY#token` item: the token carries the order id (`ids::order_id_in_token`), and
        // the order stores the token, so a link item would only repeat the order (2 WCU).
        let mut pointer = key(
            format!("CONV#{}", order.conversation.key()),
            format!("ORDER#{:010}#{}", order.created_at, order.id),
        );
        pointer.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, pointer, None)?);
        let mut reservation = reservation_key(order);
        reservation.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, reservation, None)?);
        Ok((items, limits_start, order_index))
    }

    /// A reservation's transaction, with `extra` items written in it (a conversation's commit):
    /// see the module doc. A refusal of an extra item alone (the session moved on, the marker
    /// exists) is neither sold out nor over a limit: it comes back as a `PortError`, which the
    /// queue retries, and nothing was written.
    pub(super) async fn reserve_with(
        &self,
        order: &Order,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), ReserveError> {
        // Where each take starts: a random shard of a sharded SKU, skipping those the hint
        // lists; all listed means sold out without a write.
        let mut choices = Vec::with_capacity(order.stock.len());
        for take in &order.stock {
            let count = self.stock_layout(&take.drop).await?.of(&take.sku);
            if count == 1 && self.flagged_sold_out(&take.drop, &take.sku) {
                // Answered from the drops read this checkout just made: no transaction.
                return Err(sold_out(take));
            }
            let empty = if count > 1 {
                self.hint(&take.drop, &take.sku, false).await?
            } else {
                BTreeSet::new()
            };
            if empty.len() >= count as usize {
                return Err(sold_out(take));
            }
            choices.push(ShardChoice::new(count, &order.id, &empty));
        }
        let total: u32 = choices.iter().map(|c| c.count).sum();
        // Every round either ends or refuses a shard of some take; a consistent re-read of the
        // hint may queue shards released meanwhile, hence the slack.
        for _ in 0..2 * total + 2 {
            let shards: Vec<Option<u32>> = choices.iter().map(ShardChoice::current).collect();
            let (mut items, limits_start, order_index) = self.reserve_items(order, &shards)?;
            items.extend(extra.iter().cloned());
            let reasons = match self.transact(items).await? {
                TxResult::Done => return Ok(()),
                TxResult::Refused(reasons) => reasons,
            };
            let failed = |i: usize| reasons.get(i).is_some_and(refused);
            if failed(order_index) {
                return Err(ReserveError::AlreadyExists);
            }
            let short: Vec<usize> = (0..order.stock.len()).filter(|i| failed(*i)).collect();
            let over = (0..order.limits.len()).find(|i| failed(limits_start + i));
            if short.is_empty() && over.is_none() {
                return Err(ReserveError::Port(PortError::new(
                    "reserve",
                    format!("transaction cancelled: {reasons:?}"),
                )));
            }
            // An unsharded SKU that refused is sold out, as before sharding.
            if let Some(i) = short.iter().find(|i| choices[**i].count == 1) {
                let take = &order.stock[*i];
                // So the next buyers hear it from the drops read, without a transaction.
                if let Err(e) = self.flag_sold_out(&take.drop, &take.sku).await {
                    tracing::warn!(error = %e, drop = %take.drop, sku = %take.sku, "could not flag a SKU sold out");
                }
                return Err(sold_out(take));
            }
            if let Some(i) = over {
                let limit = &order.limits[i];
                return Err(ReserveError::OverLimit {
                    drop: limit.drop.clone(),
                    sku: limit.sku.clone(),
                    limit: limit.limit,
                });
            }
            for i in short {
                let take = &order.stock[i];
                let choice = &mut choices[i];
                if let Some(k) = choice.queue.pop_front() {
                    choice.refused.insert(k);
                    if let Err(e) = self.mark_empty(&take.drop, &take.sku, k).await {
                        // Only a hint: the next buyer tries the shard once more.
                        tracing::warn!(error = %e, drop = %take.drop, sku = %take.sku, shard = k, "could not mark a shard empty");
                    }
                }
                // Others may have found more shards empty meanwhile: a read is cheaper than a
                // refused transaction on each of them.
                choice.refill(&self.hint(&take.drop, &take.sku, false).await?);
                if choice.queue.is_empty() {
                    // Before saying sold out, look again consistently: a release may have
                    // refilled a shard since (and removed it from the hint).
                    choice.refill(&self.hint(&take.drop, &take.sku, true).await?);
                    if choice.queue.is_empty() {
                        return Err(sold_out(take));
                    }
                }
            }
        }
        Err(ReserveError::Port(PortError::new(
            "reserve",
            "stock kept moving between the shards",
        )))
    }
}
