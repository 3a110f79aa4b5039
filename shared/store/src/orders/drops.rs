//! Reading drops (the read every checkout makes, which refreshes this process's layout and
//! sold-out caches), a drop's status, and its stock summed over the shards.

use super::keys::{key, number};
use super::shards::layout_of;
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
        let mut drops = Vec::new();
        for item in out.items.unwrap_or_default() {
            let drop: Drop = serde_dynamo::from_item(item.clone())
                .map_err(|e| PortError::new("decode drop", e))?;
            // Every checkout reads the drops first: its reservation then finds the layout here.
            self.remember_layout(&drop.id, layout_of(&item)?);
            self.remember_flags(&drop.id, &item);
            drops.push(drop);
        }
        Ok(drops)
    }

    pub async fn set_drop_status(&self, id: &str, status: DropStatus) -> Result<(), PortError> {
        let status_value: AttributeValue =
            serde_dynamo::to_attribute_value(status).map_err(|e| PortError::new("encode", e))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key("DROPS", format!("DROP#{id}"))))
            .update_expression("SET #status = :s")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":s", status_value)
            .send()
            .await
            .map_err(|e| PortError::new("set drop status", sdk_message(e)))?;
        Ok(())
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
