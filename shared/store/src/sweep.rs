//! The reservation index as the sweep walks it ([`chatdrop_domain::sweep::ReservationIndex`]).
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | an open reservation, due at `t` | `RESERVATIONS#shard` | `t#order` (`t`: 10 digits) | `order`, after a failure `failures`, `reason` |
//! | a reservation the sweep gave up on | `ATTENTION#sweep` | order id | `order`, `failures`, `reason`, `at` |
//!
//! The reservation writes its entry at the order's expiry (`orders/reserve.rs`), and the order's
//! own transitions (sale, release) delete that key. After a failed attempt the sweep moves the
//! entry to the time of its next attempt, in the same shard: one transaction deleting the old key
//! only if it still exists (a release that got there first wins, and nothing is re-created) and
//! putting the new one. A moved entry is no longer where a release deletes it, so the sweep removes
//! it itself once the order has left `reserved`.

use crate::orders::RESERVATION_SHARDS;
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chatdrop_domain::ports::PortError;
use chatdrop_domain::sweep::{IndexEntry, ReservationIndex};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// The attention list's partition.
pub const ATTENTION_PK: &str = "ATTENTION#sweep";

fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// `pk` and `sk` of an entry, from its handle.
fn split(entry: &IndexEntry) -> Result<(&str, &str), PortError> {
    entry
        .handle
        .split_once('\n')
        .ok_or_else(|| PortError::new("reservation index", "malformed entry handle"))
}

fn text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

impl DynamoStore {
    /// Moves `entry` away: deletes it if it is still there and puts `to` in the same
    /// transaction. `Ok(false)` when the entry was already gone.
    async fn move_entry(&self, entry: &IndexEntry, to: Item) -> Result<bool, PortError> {
        let (pk, sk) = split(entry)?;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| PortError::new("move a reservation entry", e))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to))
            .build()
            .map_err(|e| PortError::new("move a reservation entry", e))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let cancelled = e
                    .as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception());
                if cancelled {
                    Ok(false)
                } else {
                    Err(PortError::new("move a reservation entry", sdk_message(e)))
                }
            }
        }
    }

    /// The reservations the sweep set aside, for ops: (order id, failures, reason).
    pub async fn set_aside_reservations(&self) -> Result<Vec<(String, u32, String)>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(ATTENTION_PK))
            .send()
            .await
            .map_err(|e| PortError::new("query set-aside reservations", sdk_message(e)))?;
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let failures = match item.get("failures") {
                    Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                    _ => 0,
                };
                Some((
                    text(item, "order")?,
                    failures,
                    text(item, "reason").unwrap_or_default(),
                ))
            })
            .collect())
    }
}

impl ReservationIndex for DynamoStore {
    async fn due(&self, now: i64, limit: usize) -> Result<Vec<IndexEntry>, PortError> {
        let mut due: Vec<(String, IndexEntry)> = Vec::new();
        for shard in 0..RESERVATION_SHARDS {
            let pk = format!("RESERVATIONS#{shard}");
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk < :now")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":now", s(format!("{now:010}")))
                .limit(limit as i32)
                .send()
                .await
                .map_err(|e| PortError::new("query reservations", sdk_message(e)))?;
            for item in out.items.unwrap_or_default() {
                if let (Some(sk), Some(order_id)) = (text(&item, "sk"), text(&item, "order")) {
                    let failures = match item.get("failures") {
                        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                        _ => 0,
                    };
                    let handle = format!("{pk}\n{sk}");
                    due.push((
                        sk,
                        IndexEntry {
                            order_id,
                            failures,
                            handle,
                        },
                    ));
                }
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(due.into_iter().take(limit).map(|(_, e)| e).collect())
    }

    async fn retry_later(
        &self,
        entry: &IndexEntry,
        at: i64,
        reason: &str,
    ) -> Result<(), PortError> {
        let (pk, _) = split(entry)?;
        let mut item = key(pk, &format!("{at:010}#{}", entry.order_id));
        item.insert("order".into(), s(&entry.order_id));
        item.insert("failures".into(), n(entry.failures + 1));
        item.insert(
            "reason".into(),
            s(reason.chars().take(500).collect::<String>()),
        );
        self.move_entry(entry, item).await.map(|_| ())
    }

    async fn set_aside(&self, entry: &IndexEntry, reason: &str) -> Result<(), PortError> {
        let mut item = key(ATTENTION_PK, &entry.order_id);
        item.insert("order".into(), s(&entry.order_id));
        item.insert("failures".into(), n(entry.failures + 1));
        item.insert(
            "reason".into(),
            s(reason.chars().take(500).collect::<String>()),
        );
        item.insert("at".into(), n(self.now_secs()));
        self.move_entry(entry, item).await.map(|_| ())
    }

    async fn forget(&self, entry: &IndexEntry) -> Result<(), PortError> {
        let (pk, sk) = split(entry)?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .send()
            .await
            .map_err(|e| PortError::new("remove a reservation entry", sdk_message(e)))?;
        Ok(())
    }
}
