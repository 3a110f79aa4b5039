//! Stock shards: how a hot SKU is split, created with its drop, cached per process, and read
//! back shard by shard; and the shard each order took its units from.
//!
//! # Hot SKUs: stock shards
//!
//! Every reservation of a SKU writes its stock counter, and DynamoDB writes one partition at
//! about 1,000 write units a second, a transactional write costing two per KB. A drop whose
//! crowd exceeds that is throttled on one item however large the table, and concurrent
//! transactions on the item cancel each other (`TransactionConflict`). So a SKU may be created
//! split into N shards ([`StockShards`]): N counters, each in a partition of its own
//! (`DROP#id#SHARD#k`, so the split does not wait for DynamoDB to split a hot partition), the
//! units dealt evenly over them ([`spread_stock`]). Unsplit SKUs keep the single `SKU#sku`
//! item, so drops from before sharding read and sell unchanged.

use super::keys::{Item, STOCK_SHARDS, hint_key, key, number, order_key, sku_key, stock_key};
use super::transact::{TxResult, tx_put};
use crate::{DynamoStore, n, s};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::drops::{Drop, StockShards, spread_stock};
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// DynamoDB's ceiling on the items of one transaction.
const MAX_TX_ITEMS: usize = 100;

type LayoutCache = HashMap<(String, String), Arc<StockShards>>;

/// Stock layouts by (table, drop), read once per process: a layout never changes after the
/// drop is created (creation fails if the drop exists), so a cached one is never stale.
static LAYOUTS: LazyLock<RwLock<LayoutCache>> = LazyLock::new(Default::default);

/// The stock layout stored with a drop's definition (none: nothing is sharded).
pub(super) fn layout_of(drop_item: &Item) -> Result<StockShards, PortError> {
    match drop_item.get(STOCK_SHARDS) {
        Some(v) => serde_dynamo::from_attribute_value(v.clone())
            .map_err(|e| PortError::new("decode stock layout", e)),
        None => Ok(StockShards::default()),
    }
}

impl DynamoStore {
    /// Creates a drop and its stock counters, sharded as its SKUs ask; fails if a drop with
    /// that id exists.
    pub async fn create_drop(&self, drop: &Drop) -> Result<(), PortError> {
        self.create_sharded_drop(drop, &drop.stock_shards()).await
    }

    /// Creates a drop with the SKUs `layout` names split into stock shards (see the module
    /// doc), all in one transaction; fails if a drop with that id exists. Shards dealt no units
    /// (less stock than shards) start listed in the sold-out hint.
    pub async fn create_sharded_drop(
        &self,
        drop: &Drop,
        layout: &StockShards,
    ) -> Result<(), PortError> {
        let mut items = Vec::new();
        let mut item: Item =
            serde_dynamo::to_item(drop).map_err(|e| PortError::new("encode drop", e))?;
        item.extend(key("DROPS", format!("DROP#{}", drop.id)));
        if layout.any() {
            item.insert(
                STOCK_SHARDS.into(),
                serde_dynamo::to_attribute_value(layout)
                    .map_err(|e| PortError::new("encode stock layout", e))?,
            );
        }
        items.push(tx_put(&self.table, item, Some("attribute_not_exists(pk)"))?);
        // A new drop: every checkout's list of drops must learn of it (`drop_list.rs`).
        items.push(super::drop_list::bump_generation(&self.table)?);
        for sku in &drop.skus {
            let shards = layout.of(&sku.sku);
            if shards == 1 {
                let mut counter = sku_key(&drop.id, &sku.sku);
                counter.insert("available".into(), n(sku.stock));
                counter.insert("reserved".into(), n(0));
                counter.insert("sold".into(), n(0));
                items.push(tx_put(
                    &self.table,
                    counter,
                    Some("attribute_not_exists(pk)"),
                )?);
                continue;
            }
            let mut empty = Vec::new();
            for (k, units) in (0..shards).zip(spread_stock(sku.stock, shards)) {
                let mut counter = stock_key(&drop.id, &sku.sku, Some(k));
                counter.insert("sku".into(), s(&sku.sku));
                counter.insert("shard".into(), n(k));
                counter.insert("available".into(), n(units));
                counter.insert("reserved".into(), n(0));
                counter.insert("sold".into(), n(0));
                items.push(tx_put(
                    &self.table,
                    counter,
                    Some("attribute_not_exists(pk)"),
                )?);
                if units == 0 {
                    empty.push(k.to_string());
                }
            }
            if !empty.is_empty() {
                let mut hint = hint_key(&drop.id, &sku.sku);
                hint.insert("shards".into(), AttributeValue::Ns(empty));
                items.push(tx_put(&self.table, hint, None)?);
            }
        }
        if items.len() > MAX_TX_ITEMS {
            return Err(PortError::new(
                "create drop",
                format!(
                    "drop {} needs {} items, more than one transaction's {MAX_TX_ITEMS}: use fewer shards",
                    drop.id,
                    items.len()
                ),
            ));
        }
        match self.transact(items).await? {
            TxResult::Done => {
                self.remember_layout(&drop.id, layout.clone());
                Ok(())
            }
            TxResult::Refused(_) => Err(PortError::new(
                "create drop",
                format!("drop {} already exists", drop.id),
            )),
        }
    }

    pub(super) fn remember_layout(&self, drop: &str, layout: StockShards) -> Arc<StockShards> {
        let layout = Arc::new(layout);
        LAYOUTS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((self.table.clone(), drop.to_string()), layout.clone());
        layout
    }

    /// How the drop's SKUs are split: from this process's cache, else from the drop's item
    /// (once per process and drop). A drop that does not exist has no shards.
    pub async fn stock_layout(&self, drop: &str) -> Result<Arc<StockShards>, PortError> {
        let cached = LAYOUTS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(self.table.clone(), drop.to_string()))
            .cloned();
        if let Some(layout) = cached {
            return Ok(layout);
        }
        let Some(item) = self.get(key("DROPS", format!("DROP#{drop}"))).await? else {
            return Ok(Arc::new(StockShards::default()));
        };
        Ok(self.remember_layout(drop, layout_of(&item)?))
    }

    /// The stock counters of each shard of one SKU: (shard, available, reserved, sold); one
    /// row, shard 0, for an unsharded SKU.
    pub async fn shard_stock(
        &self,
        drop: &str,
        sku: &str,
    ) -> Result<Vec<(u32, i64, i64, i64)>, PortError> {
        let shards = self.stock_layout(drop).await?.of(sku);
        let mut rows = Vec::new();
        for k in 0..shards {
            let shard = (shards > 1).then_some(k);
            if let Some(i) = self.get(stock_key(drop, sku, shard)).await? {
                rows.push((
                    k,
                    number(&i, "available"),
                    number(&i, "reserved"),
                    number(&i, "sold"),
                ));
            }
        }
        Ok(rows)
    }

    /// The shard each stock take of `order` took from, as recorded when it was reserved; read
    /// from the order's item only when one of its SKUs is sharded.
    pub(super) async fn recorded_shards(
        &self,
        order: &Order,
    ) -> Result<Vec<Option<u32>>, PortError> {
        let mut sharded = false;
        for take in &order.stock {
            sharded |= self.stock_layout(&take.drop).await?.of(&take.sku) > 1;
        }
        if !sharded {
            return Ok(vec![None; order.stock.len()]);
        }
        let item = self
            .get(order_key(&order.id))
            .await?
            .ok_or_else(|| PortError::new("read order shards", "order vanished"))?;
        let Some(AttributeValue::L(list)) = item.get(STOCK_SHARDS) else {
            return Err(PortError::new(
                "read order shards",
                format!("order {} of a sharded SKU has no {STOCK_SHARDS}", order.id),
            ));
        };
        if list.len() != order.stock.len() {
            return Err(PortError::new(
                "read order shards",
                format!(
                    "order {}: {STOCK_SHARDS} does not match its stock",
                    order.id
                ),
            ));
        }
        Ok(list
            .iter()
            .map(|v| match v {
                AttributeValue::N(k) => k.parse().ok(),
                _ => None,
            })
            .collect())
    }
}
