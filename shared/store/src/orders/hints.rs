//! Knowing a SKU is sold out without a transaction: the hint of empty shards (sharded SKUs),
//! the sold-out flags on the drop's item (unsharded SKUs), and the writes that clear both when
//! units come back.
//!
//! # Knowing it is sold out without trying every shard
//!
//! Once the stock is gone every further buyer would fail on N shards, at the price of N
//! transactions. A per-SKU hint records which shards were seen empty: a reservation reads it
//! first (one eventually consistent read), skips the listed shards, and answers "sold out" at
//! once when all are listed. The hint is safe because of how it is written:
//!
//! - a shard is added only by a transaction that also checks, on the shard itself, that
//!   `available` is 0 at that instant: a refusal followed by a release cannot leave a stale
//!   entry behind (the check fails, nothing is added);
//! - every release or expiry that returns units to a shard removes it from the hint in the same
//!   transaction, so a listed shard is empty for as long as it stays listed;
//! - the hint only ever steers which shards are tried: the stock guards decide. A stale read
//!   that misses an entry costs one refused attempt; one that still lists a shard just refilled
//!   answers one buyer "sold out" within the read's replication lag, and the next read sees the
//!   release, so a false sold-out cannot stick. When the shards tried run out, the hint is read
//!   again consistently before "sold out" is answered, so shards freed meanwhile are tried.
//!
//! # Sold out in the drops read, for unsharded SKUs
//!
//! An unsharded SKU has one stock item, so its hint would be one more read per sale. Instead
//! its sold-out state rides on the drop's own item (`sold_out`, a string set of SKUs), which
//! every checkout reads anyway (`drops()`): a flagged SKU is answered "sold out" from that read,
//! with no transaction. The flag keeps the hint's rules: it is added only by a transaction that
//! checks `available <= 0` on the stock item (by the first buyer the stock guard refused), and
//! every write that returns units to a stock item (a release, a waitlist hold given back)
//! deletes the SKU from the set in the same transaction, so a flag never outlives a unit
//! coming back. Releases of sharded SKUs leave the drop item alone: at thousands of releases a
//! second that one item would be a hot partition; their hint does the job. The flags are kept
//! per process with the time of the drops read and trusted for a few seconds only
//! (`FLAGS_FRESH`), i.e. always from the checkout's own read.

use super::keys::{Item, hint_key, key, shard_set, sku_key, stock_key};
use super::transact::{tx_update, update};
use crate::{DynamoStore, n, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::{PortError, ReserveError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, Instant};

/// The drop item's attribute listing its unsharded SKUs seen sold out (a string set).
const SOLD_OUT: &str = "sold_out";
/// How long this process trusts sold-out flags it read with the drops. Every checkout reads
/// the drops just before it reserves, so a checkout's own read is always this fresh; the bound
/// only keeps a reservation made without that read (a waitlist take, a draw claim) from
/// trusting an old flag.
const FLAGS_FRESH: Duration = Duration::from_secs(5);

type FlagCache = HashMap<(String, String), (Instant, BTreeSet<String>)>;

/// Sold-out flags by (table, drop), as the latest drops read in this process saw them.
static SOLD_OUT_FLAGS: LazyLock<RwLock<FlagCache>> = LazyLock::new(Default::default);

/// Updates that take `order`'s unsharded SKUs off their drops' sold-out flags, one per drop
/// (a transaction may touch an item once): whatever returns units to a stock item says in the
/// same transaction that the SKU is no longer sold out.
pub(crate) fn unflag_items(
    table: &str,
    order: &Order,
    shards: &[Option<u32>],
) -> Result<Vec<TransactWriteItem>, PortError> {
    let mut by_drop: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (take, shard) in order.stock.iter().zip(shards) {
        if shard.is_none() {
            by_drop
                .entry(&take.drop)
                .or_default()
                .push(take.sku.clone());
        }
    }
    by_drop
        .into_iter()
        .map(|(drop, skus)| unflag_item(table, drop, skus))
        .collect()
}

/// One update taking `skus` off `drop`'s sold-out flags.
pub(crate) fn unflag_item(
    table: &str,
    drop: &str,
    mut skus: Vec<String>,
) -> Result<TransactWriteItem, PortError> {
    skus.sort();
    skus.dedup();
    tx_update(
        table,
        update(key("DROPS", format!("DROP#{drop}")), "DELETE #flags :skus")
            // Never create a drop item that is not there.
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#flags", SOLD_OUT)
            .expression_attribute_values(":skus", AttributeValue::Ss(skus)),
    )
}

pub(crate) fn sold_out(take: &chatdrop_domain::orders::StockTake) -> ReserveError {
    ReserveError::SoldOut {
        drop: take.drop.clone(),
        sku: take.sku.clone(),
    }
}

impl DynamoStore {
    /// The shards of a SKU listed in its sold-out hint, read consistently.
    pub async fn empty_shards(&self, drop: &str, sku: &str) -> Result<Vec<u32>, PortError> {
        Ok(self.hint(drop, sku, true).await?.into_iter().collect())
    }

    pub(super) async fn hint(
        &self,
        drop: &str,
        sku: &str,
        consistent: bool,
    ) -> Result<BTreeSet<u32>, PortError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(hint_key(drop, sku)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| PortError::new("get stock hint", sdk_message(e)))?
            .item;
        Ok(match item.as_ref().and_then(|i| i.get("shards")) {
            Some(AttributeValue::Ns(set)) => set.iter().filter_map(|v| v.parse().ok()).collect(),
            _ => BTreeSet::new(),
        })
    }

    /// Lists `shard` in the SKU's sold-out hint, if and only if it is empty right now: the check
    /// on the shard and the write of the hint are one transaction, so a release that refilled
    /// the shard after our refusal leaves the hint alone.
    pub(super) async fn mark_empty(
        &self,
        drop: &str,
        sku: &str,
        shard: u32,
    ) -> Result<(), PortError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(stock_key(drop, sku, Some(shard))))
            .condition_expression("available <= :zero")
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(|e| PortError::new("build condition check", e))?;
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            tx_update(
                &self.table,
                update(hint_key(drop, sku), "ADD shards :k")
                    .expression_attribute_values(":k", shard_set(shard)),
            )?,
        ];
        // Refused means the shard has units again: then it must not be listed.
        self.transact(items).await.map(|_| ())
    }

    /// Notes the sold-out flags of a drop item just read (see "Sold out in the drops read").
    pub(super) fn remember_flags(&self, drop: &str, item: &Item) {
        let flags = match item.get(SOLD_OUT) {
            Some(AttributeValue::Ss(set)) => set.iter().cloned().collect(),
            _ => BTreeSet::new(),
        };
        SOLD_OUT_FLAGS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (self.table.clone(), drop.to_string()),
                (Instant::now(), flags),
            );
    }

    /// Whether the drops read moments ago flagged this unsharded SKU sold out.
    pub(super) fn flagged_sold_out(&self, drop: &str, sku: &str) -> bool {
        SOLD_OUT_FLAGS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(self.table.clone(), drop.to_string()))
            .is_some_and(|(read, flags)| read.elapsed() < FLAGS_FRESH && flags.contains(sku))
    }

    /// Flags an unsharded SKU sold out on its drop's item, if and only if its stock item has no
    /// unit right now: the check and the flag are one transaction, as for the shard hint, so a
    /// release that came first leaves no flag behind.
    pub(super) async fn flag_sold_out(&self, drop: &str, sku: &str) -> Result<(), PortError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(sku_key(drop, sku)))
            .condition_expression("available <= :zero")
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(|e| PortError::new("build condition check", e))?;
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            tx_update(
                &self.table,
                update(key("DROPS", format!("DROP#{drop}")), "ADD #flags :sku")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_names("#flags", SOLD_OUT)
                    .expression_attribute_values(":sku", AttributeValue::Ss(vec![sku.into()])),
            )?,
        ];
        // Refused: the SKU has units again (or the drop is gone); then no flag.
        self.transact(items).await.map(|_| ())
    }
}
