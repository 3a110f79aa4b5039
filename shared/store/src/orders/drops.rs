//! Reading drops (the read every checkout makes, which refreshes this process's layout and
//! sold-out caches), a drop's status, and its stock summed over the shards.

use super::drop_list::bump_generation;
use super::keys::{Item, key, number};
use super::shards::layout_of;
use super::transact::{TxResult, tx_update, update};
use crate::{DynamoStore, s, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::drops::{Drop, DropStatus};
use chatdrop_domain::ports::PortError;
use std::collections::BTreeMap;

impl DynamoStore {
    /// Every drop, closed ones included.
    pub async fn all_drops(&self) -> Result<Vec<Drop>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s("DROPS"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("query drops", sdk_message(e)))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| self.drop_of(item))
            .collect()
    }

    /// The drops not closed: what a checkout sells from.
    pub(crate) async fn open_drops(&self) -> Result<Vec<Drop>, PortError> {
        Ok(self
            .all_drops()
            .await?
            .into_iter()
            .filter(|d| d.status != DropStatus::Closed)
            .collect())
    }

    /// A drop's item decoded, its layout and sold-out flags kept for the reservation that
    /// follows the read.
    pub(super) fn drop_of(&self, item: Item) -> Result<Drop, PortError> {
        let drop: Drop =
            serde_dynamo::from_item(item.clone()).map_err(|e| PortError::new("decode drop", e))?;
        // Every checkout reads the drops first: its reservation then finds the layout here.
        self.remember_layout(&drop.id, layout_of(&item)?);
        self.remember_flags(&drop.id, &item);
        Ok(drop)
    }

    /// Opens or closes a drop; with the drops' generation, so every checkout's list of drops
    /// learns of it at its next read (`drop_list.rs`). Fails if there is no such drop.
    pub async fn set_drop_status(&self, id: &str, status: DropStatus) -> Result<(), PortError> {
        let status_value: AttributeValue =
            serde_dynamo::to_attribute_value(status).map_err(|e| PortError::new("encode", e))?;
        let items = vec![
            tx_update(
                &self.table,
                update(key("DROPS", format!("DROP#{id}")), "SET #status = :s")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":s", status_value),
            )?,
            bump_generation(&self.table)?,
        ];
        match self.transact(items).await? {
            TxResult::Done => Ok(()),
            TxResult::Refused(_) => Err(PortError::new("set drop status", format!("no drop {id}"))),
        }
    }

    /// Stock counters of a drop: (sku, available, reserved, sold), by SKU, each the sum over
    /// the SKU's shards.
    pub async fn drop_stock(&self, id: &str) -> Result<Vec<(String, i64, i64, i64)>, PortError> {
        let layout = self.stock_layout(id).await?;
        let mut partitions = vec![format!("DROP#{id}")];
        if layout.any() {
            partitions.extend((0..layout.max()).map(|k| format!("DROP#{id}#SHARD#{k}")));
        }
        let mut totals: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for pk in partitions {
            let items = self
                .items_with_prefix("query stock", pk, "SKU#", |q| q.consistent_read(true))
                .await?;
            for i in items {
                // Shards carry their SKU; an unsharded counter has it only in its key.
                let sku = match (i.get("sku"), i.get("sk")) {
                    (Some(AttributeValue::S(sku)), _) => sku.clone(),
                    (_, Some(AttributeValue::S(sk))) => sk.trim_start_matches("SKU#").to_string(),
                    _ => String::new(),
                };
                let total = totals.entry(sku).or_default();
                total.0 += number(&i, "available");
                total.1 += number(&i, "reserved");
                total.2 += number(&i, "sold");
            }
        }
        Ok(totals
            .into_iter()
            .map(|(sku, (available, reserved, sold))| (sku, available, reserved, sold))
            .collect())
    }
}
