//! What the retailer's console reads and writes: the live drop view's reads, and the agents'
//! audit trail.
//!
//! | item | pk | sk | expires |
//! |---|---|---|---|
//! | an agent's action in the console (`who`, `email`, `action`, `target`, `outcome`, `at`) | `AUDIT#console` | `at ms#request id` | never |
//!
//! **The dashboard adds no write to the checkout.** Everything it shows is read from items the
//! checkout, the payment and the waitlist already write:
//!
//! - per SKU `available` / `reserved` / `sold` and the waitlist (`waiting`, `held`) from the
//!   stock items, summed over a hot SKU's shards (as [`DynamoStore::drop_stock`]);
//! - sales per minute from the `NOTICE#paid` items, written once per order when the payment is
//!   confirmed to the customer (their `at` is the time of the sale as the customer learns it),
//!   joined with the orders they belong to (channel, drop). Finding them is a `Scan` with a
//!   filter: it reads the whole table, which is the price of adding nothing to the hot path.
//!   The console function caches each view for a couple of seconds, so any number of open
//!   dashboards costs one scan per drop per refresh period; a table too large for that is the
//!   point to move this count to a DynamoDB Streams aggregate (ARCHITECTURE.md, Console);
//! - reservations lapsing soon from the reservation index (`RESERVATIONS#n`, sorted by expiry).
//!
//! The audit trail is one partition written only by agents' actions (a few a minute), each a
//! conditional put keyed by the request, so a retried request records once.

use crate::orders::RESERVATION_SHARDS;
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::PortError;
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

type Item = HashMap<String, AttributeValue>;

/// One SKU's counters, summed over its shards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuCounters {
    pub sku: String,
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
    /// Units held for a waiting customer's offer.
    pub held: i64,
    /// Customers waiting in the SKU's line.
    pub waiting: i64,
}

/// An agent's action, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The agent's Cognito subject.
    pub who: String,
    pub email: String,
    /// `orders.ship`, `orders.refund`, `orders.export`, …
    pub action: String,
    /// What it was done to (an order id), empty when nothing in particular.
    pub target: String,
    /// `ok`, or why it failed.
    pub outcome: String,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The request's id: the same request retried records once.
    pub request: String,
}

fn number(item: &Item, name: &str) -> i64 {
    crate::orders::number(item, name)
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

impl DynamoStore {
    /// Every SKU of drop `id` with its counters, shards summed (strongly consistent reads).
    pub async fn sku_counters(&self, id: &str) -> Result<Vec<SkuCounters>, PortError> {
        let layout = self.stock_layout(id).await?;
        let mut partitions = vec![format!("DROP#{id}")];
        if layout.any() {
            partitions.extend((0..layout.max()).map(|k| format!("DROP#{id}#SHARD#{k}")));
        }
        let mut totals: BTreeMap<String, SkuCounters> = BTreeMap::new();
        for pk in partitions {
            self.each_with_prefix(
                "query stock",
                pk,
                "SKU#",
                |q| q.consistent_read(true),
                |i| {
                    // Shards carry their SKU; an unsharded counter has it only in its key.
                    let sku = match i.get("sku") {
                        Some(AttributeValue::S(sku)) => sku.clone(),
                        _ => text(&i, "sk").trim_start_matches("SKU#").to_string(),
                    };
                    let total = totals.entry(sku.clone()).or_insert_with(|| SkuCounters {
                        sku,
                        ..SkuCounters::default()
                    });
                    total.available += number(&i, "available");
                    total.reserved += number(&i, "reserved");
                    total.sold += number(&i, "sold");
                    total.held += number(&i, "held");
                    total.waiting += number(&i, "waiting");
                    Ok(ControlFlow::Continue(()))
                },
            )
            .await?;
        }
        Ok(totals.into_values().collect())
    }

    /// `(order id, unix seconds)` of every sale confirmed at or after `since`: the orders'
    /// `NOTICE#paid` items (a filtered scan; see the module doc for its cost).
    pub async fn sales_since(&self, since: i64) -> Result<Vec<(String, i64)>, PortError> {
        let mut sales = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :o) AND sk = :paid AND #at >= :since")
                .expression_attribute_names("#at", "at")
                .expression_attribute_values(":o", s("ORDER#"))
                .expression_attribute_values(":paid", s("NOTICE#paid"))
                .expression_attribute_values(":since", n(since))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| PortError::new("scan sales", sdk_message(e)))?;
            for i in out.items.unwrap_or_default() {
                let id = text(&i, "pk").trim_start_matches("ORDER#").to_string();
                sales.push((id, number(&i, "at")));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(sales)
    }

    /// The orders of `ids` that exist (`BatchGetItem`, 100 keys a call, unprocessed keys
    /// asked again).
    pub async fn orders_by_id(&self, ids: &[String]) -> Result<Vec<Order>, PortError> {
        let mut orders = Vec::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|id| {
                    HashMap::from([
                        ("pk".to_string(), s(format!("ORDER#{id}"))),
                        ("sk".to_string(), s("ORDER")),
                    ])
                })
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .build()
                    .map_err(|e| PortError::new("batch get orders", e))?,
            );
            while let Some(keys) = request.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(|e| PortError::new("batch get orders", sdk_message(e)))?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    orders.push(
                        serde_dynamo::from_item(item)
                            .map_err(|e| PortError::new("decode order", e))?,
                    );
                }
                request = out
                    .unprocessed_keys
                    .and_then(|mut r| r.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(orders)
    }

    /// How many open reservations lapse in `[from, until)` (the reservation index, every
    /// shard; `Select COUNT`, nothing decoded).
    pub async fn reservations_lapsing(&self, from: i64, until: i64) -> Result<i64, PortError> {
        let mut count = 0;
        for shard in 0..RESERVATION_SHARDS {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :until")
                    .expression_attribute_values(":pk", s(format!("RESERVATIONS#{shard}")))
                    .expression_attribute_values(":from", s(format!("{from:010}")))
                    // Keys are `expires#order`: `until` alone sorts before every key of
                    // that second, so the range ends just before it.
                    .expression_attribute_values(":until", s(format!("{until:010}")))
                    .select(aws_sdk_dynamodb::types::Select::Count)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| PortError::new("count reservations", sdk_message(e)))?;
                count += i64::from(out.count);
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => break,
                }
            }
        }
        Ok(count)
    }

    /// Records an agent's action once per request (a conditional put: a retry records nothing
    /// more). Never expires.
    pub async fn record_console_action(&self, record: &AuditRecord) -> Result<(), PortError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s("AUDIT#console"))
            .item("sk", s(format!("{:013}#{}", record.at_ms, record.request)))
            .item("who", s(record.who.clone()))
            .item("email", s(record.email.clone()))
            .item("action", s(record.action.clone()))
            .item("target", s(record.target.clone()))
            .item("outcome", s(record.outcome.clone()))
            .item("at", n(record.at_ms))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::conditional_failed(&e) => Ok(()),
            Err(e) => Err(PortError::new("record audit", sdk_message(e))),
        }
    }

    /// The audit trail, oldest first (at most `limit` records, the newest).
    pub async fn console_audit_trail(&self, limit: i32) -> Result<Vec<AuditRecord>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s("AUDIT#console"))
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(|e| PortError::new("query audit", sdk_message(e)))?;
        let mut records: Vec<AuditRecord> = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|i| AuditRecord {
                who: text(i, "who"),
                email: text(i, "email"),
                action: text(i, "action"),
                target: text(i, "target"),
                outcome: text(i, "outcome"),
                at_ms: number(i, "at"),
                request: text(i, "sk")
                    .split_once('#')
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_default(),
            })
            .collect();
        records.reverse();
        Ok(records)
    }
}
