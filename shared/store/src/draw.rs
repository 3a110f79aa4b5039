//! A drop's draw on DynamoDB (see `chatdrop_domain::draw_flow`).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | an entry (the domain's `DrawEntry`: person, chat, language, zone, `told`) | `DROP#id` | `ENTRY#person` |
//! | the published record (commitment, round, list hash, then seed and winners) | `DROP#id` | `DRAW` |
//! | the secret seed until the draw reveals it | `DROP#id` | `DRAWSEED` |
//!
//! One entry per person: a put conditional on its absence. The record is written with the seed
//! in one transaction, each only if absent; each later step is a put conditional on that step
//! not being done yet (`attribute_not_exists(list_hash)`, then `(seed)`), so a re-run or a
//! concurrent run cannot change a frozen list or drawn winners. A result notice is claimed by
//! `told`: false → true before it is queued, as reminders are.

use crate::conditional_failed;
use crate::orders::{Item, key, tx_put};
use crate::{DynamoStore, s, sdk_message};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::draw::DrawRecord;
use chatdrop_domain::draw_flow::{DrawEntry, DrawStep, DrawStore};
use chatdrop_domain::ports::PortError;
use std::ops::ControlFlow;

fn entry_key(drop: &str, person: &str) -> Item {
    key(format!("DROP#{drop}"), format!("ENTRY#{person}"))
}

fn record_item(record: &DrawRecord) -> Result<Item, PortError> {
    let mut item: Item =
        serde_dynamo::to_item(record).map_err(|e| PortError::new("encode draw", e))?;
    item.extend(key(format!("DROP#{}", record.drop), "DRAW"));
    Ok(item)
}

impl DrawStore for DynamoStore {
    async fn enter(&self, entry: &DrawEntry) -> Result<bool, PortError> {
        let mut item: Item =
            serde_dynamo::to_item(entry).map_err(|e| PortError::new("encode entry", e))?;
        item.extend(entry_key(&entry.drop, &entry.entry));
        self.put_draw_if(item, "attribute_not_exists(pk)", "draw entry")
            .await
    }

    async fn entries(&self, drop: &str) -> Result<Vec<DrawEntry>, PortError> {
        let mut found = Vec::new();
        self.each_with_prefix(
            "draw entries",
            format!("DROP#{drop}"),
            "ENTRY#",
            |q| q.consistent_read(true),
            |item| {
                found.push(
                    serde_dynamo::from_item(item)
                        .map_err(|e| PortError::new("decode draw entry", e))?,
                );
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        Ok(found)
    }

    async fn draw_record(&self, drop: &str) -> Result<Option<DrawRecord>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("DROP#{drop}"), "DRAW")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("draw record", sdk_message(e)))?;
        out.item
            .map(|item| serde_dynamo::from_item(item).map_err(|e| PortError::new("decode draw", e)))
            .transpose()
    }

    async fn commit_draw(&self, record: &DrawRecord, seed_hex: &str) -> Result<bool, PortError> {
        let mut seed = key(format!("DROP#{}", record.drop), "DRAWSEED");
        seed.insert("seed".into(), s(seed_hex));
        let absent = Some("attribute_not_exists(pk)");
        let result = self
            .client
            .transact_write_items()
            .transact_items(tx_put(&self.table, record_item(record)?, absent)?)
            .transact_items(tx_put(&self.table, seed, absent)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se))
                if se.err().code() == Some("TransactionCanceledException") =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new("commit draw", sdk_message(e))),
        }
    }

    async fn draw_seed(&self, drop: &str) -> Result<Option<String>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("DROP#{drop}"), "DRAWSEED")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("draw seed", sdk_message(e)))?;
        Ok(out
            .item
            .and_then(|mut item| item.remove("seed"))
            .and_then(|v| v.as_s().ok().cloned()))
    }

    async fn advance(&self, record: &DrawRecord, step: DrawStep) -> Result<bool, PortError> {
        let condition = match step {
            DrawStep::Frozen => "attribute_exists(pk) AND attribute_not_exists(list_hash)",
            DrawStep::Drawn => "attribute_exists(pk) AND attribute_not_exists(seed)",
        };
        self.put_draw_if(record_item(record)?, condition, "draw step")
            .await
    }

    async fn claim_notice(&self, entry: &DrawEntry) -> Result<bool, PortError> {
        self.set_entry_told(entry, true).await
    }

    async fn unclaim_notice(&self, entry: &DrawEntry) -> Result<(), PortError> {
        self.set_entry_told(entry, false).await.map(|_| ())
    }
}

impl DynamoStore {
    /// A put under `condition`; `Ok(false)` when the condition fails.
    async fn put_draw_if(
        &self,
        item: Item,
        condition: &str,
        operation: &'static str,
    ) -> Result<bool, PortError> {
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new(operation, sdk_message(e))),
        }
    }

    async fn set_entry_told(&self, entry: &DrawEntry, to: bool) -> Result<bool, PortError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(entry_key(&entry.drop, &entry.entry)))
            .update_expression("SET told = :to")
            .condition_expression("told = :from")
            .expression_attribute_values(":to", AttributeValue::Bool(to))
            .expression_attribute_values(":from", AttributeValue::Bool(!to))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("draw notice", sdk_message(e))),
        }
    }
}
