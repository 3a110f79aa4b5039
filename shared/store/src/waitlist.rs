//! The waitlist on DynamoDB (see `chatdrop_domain::waitlist` for the rules).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | the SKU's stock item gains `wait_seq` (the line's counter), `waiting` (the gate) and `held` | `DROP#id` | `SKU#sku` |
//! | an entry (the domain's `WaitlistEntry`, `status`, `hold_until`, `told`) | `DROP#id` | `WAIT#sku#seq` (seq zero-padded: the line in order) |
//! | a conversation's latest entry (`seq`) | `DROP#id` | `WAITER#sku#pseudonym` |
//! | an offer, by the end of its hold (`drop`, `sku`, `seq`) | `WAITHOLDS` | `hold_until#drop#sku#seq` |
//! | a SKU that has a line (`drop`, `sku`) | `WAITLINES` | `drop#sku` |
//! | an audit record (`at`, `hold_until`) | `DROP#id` | `AUDIT#sku#seq#event` |
//!
//! Joining takes a number from the counter (an `ADD` that returns it), then writes the entry,
//! the conversation's pointer (conditional on the entry it pointed to, so two joins from one
//! chat cannot both stand) and the gate (`waiting + 1`) in one transaction. Each transition of
//! an entry is one transaction with the stock item's counters and its audit record, conditional
//! on the entry's status; the one-tap checkout is the reservation's own transaction with the
//! held unit in place of an open one. The gate is the `waiting <= 0` clause every reservation's
//! stock condition carries (`orders/reserve.rs`).

use crate::orders::{
    Item, TxResult, key, number, refused, sku_key, sold_out, tx_delete, tx_put, tx_update, update,
};
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::{PortError, ReserveError};
use chatdrop_domain::waitlist::{
    AcceptError, AuditEvent, AuditRecord, EntryStatus, JoinRequest, Joined, WaitlistEntry,
    WaitlistStore,
};
use std::ops::ControlFlow;

/// Attempts at one offer when entries change under it (another sweep, a join).
const OFFER_ATTEMPTS: usize = 5;

fn entry_key(drop: &str, sku: &str, seq: u64) -> Item {
    key(format!("DROP#{drop}"), format!("WAIT#{sku}#{seq:010}"))
}

fn pointer_key(drop: &str, sku: &str, conversation: &ConversationId) -> Item {
    key(
        format!("DROP#{drop}"),
        format!("WAITER#{sku}#{}", conversation.hashed()),
    )
}

fn hold_key(entry: &WaitlistEntry, hold_until: i64) -> Item {
    key(
        "WAITHOLDS",
        format!(
            "{hold_until:010}#{}#{}#{:010}",
            entry.drop, entry.sku, entry.seq
        ),
    )
}

fn audit_item(entry: &WaitlistEntry, event: AuditEvent, at: i64) -> Item {
    let mut item = key(
        format!("DROP#{}", entry.drop),
        format!("AUDIT#{}#{:010}#{}", entry.sku, entry.seq, event.as_str()),
    );
    item.insert("sku".into(), s(&entry.sku));
    item.insert("seq".into(), n(entry.seq));
    item.insert("event".into(), s(event.as_str()));
    item.insert("at".into(), n(at));
    if event == AuditEvent::Offered
        && let Some(until) = entry.hold_until
    {
        item.insert("hold_until".into(), n(until));
    }
    item
}

fn decode_entry(item: Item) -> Result<WaitlistEntry, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::new("decode waitlist entry", e))
}

fn string(item: &Item, k: &str) -> String {
    match item.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    }
}

impl DynamoStore {
    async fn query_prefix(
        &self,
        pk: &str,
        prefix: &str,
        filter_waiting: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, PortError> {
        let mut found = Vec::new();
        let waiting = |q: QueryFluentBuilder| {
            let q = q.consistent_read(true);
            if filter_waiting {
                q.filter_expression("#status = :waiting")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":waiting", s(EntryStatus::Waiting.as_str()))
            } else {
                q
            }
        };
        self.each_with_prefix("query waitlist", pk, prefix, waiting, |item| {
            found.push(item);
            Ok(match limit {
                Some(l) if found.len() >= l => {
                    found.truncate(l);
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            })
        })
        .await?;
        Ok(found)
    }

    async fn stored_entry(
        &self,
        drop: &str,
        sku: &str,
        seq: u64,
    ) -> Result<Option<WaitlistEntry>, PortError> {
        self.get(entry_key(drop, sku, seq))
            .await?
            .map(decode_entry)
            .transpose()
    }
}

impl WaitlistStore for DynamoStore {
    async fn join(&self, request: &JoinRequest) -> Result<Joined, PortError> {
        let pointer = self
            .get(pointer_key(
                &request.drop,
                &request.sku,
                &request.conversation,
            ))
            .await?;
        let previous = pointer.as_ref().map(|p| number(p, "seq"));
        if let Some(seq) = previous
            && let Some(entry) = self
                .stored_entry(&request.drop, &request.sku, seq as u64)
                .await?
            && !entry.status.finished()
        {
            return Ok(Joined::Already(entry));
        }
        // The number: a counter on the SKU's stock item, only where the stock item exists.
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(sku_key(&request.drop, &request.sku)))
            .update_expression("ADD wait_seq :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| PortError::new("waitlist number", sdk_message(e)))?;
        let seq = counted
            .attributes
            .as_ref()
            .map_or(0, |a| number(a, "wait_seq")) as u64;
        let entry = WaitlistEntry {
            drop: request.drop.clone(),
            sku: request.sku.clone(),
            seq,
            conversation: request.conversation.clone(),
            lang: request.lang,
            product: request.product.clone(),
            selections: request.selections.clone(),
            item: request.item.clone(),
            joined_at: request.now,
            status: EntryStatus::Waiting,
            hold_until: None,
            told: false,
        };
        let mut entry_item: Item =
            serde_dynamo::to_item(&entry).map_err(|e| PortError::new("encode entry", e))?;
        entry_item.extend(entry_key(&entry.drop, &entry.sku, seq));
        let mut pointer_item = pointer_key(&entry.drop, &entry.sku, &entry.conversation);
        pointer_item.insert("seq".into(), n(seq));
        let pointer_put = match previous {
            None => tx_put(&self.table, pointer_item, Some("attribute_not_exists(pk)"))?,
            Some(prev) => {
                let put = aws_sdk_dynamodb::types::Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(pointer_item))
                    .condition_expression("seq = :prev")
                    .expression_attribute_values(":prev", n(prev));
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .put(put.build().map_err(|e| PortError::new("build put", e))?)
                    .build()
            }
        };
        let mut line = key("WAITLINES", format!("{}#{}", entry.drop, entry.sku));
        line.insert("drop".into(), s(&entry.drop));
        line.insert("sku".into(), s(&entry.sku));
        let items = vec![
            tx_put(&self.table, entry_item, Some("attribute_not_exists(pk)"))?,
            pointer_put,
            tx_update(
                &self.table,
                update(sku_key(&entry.drop, &entry.sku), "ADD waiting :one")
                    .expression_attribute_values(":one", n(1)),
            )?,
            tx_put(&self.table, line, None)?,
            tx_put(
                &self.table,
                audit_item(&entry, AuditEvent::Joined, request.now),
                Some("attribute_not_exists(pk)"),
            )?,
        ];
        match self.transact(items).await? {
            TxResult::Done => Ok(Joined::New(entry)),
            // Another join from this chat won: its entry stands (this number stays unused).
            TxResult::Refused(_) => self
                .entry_of(&request.drop, &request.sku, &request.conversation)
                .await?
                .map(Joined::Already)
                .ok_or_else(|| PortError::new("join waitlist", "refused, and no entry stands")),
        }
    }

    async fn entry_of(
        &self,
        drop: &str,
        sku: &str,
        conversation: &ConversationId,
    ) -> Result<Option<WaitlistEntry>, PortError> {
        match self.get(pointer_key(drop, sku, conversation)).await? {
            None => Ok(None),
            Some(p) => self.stored_entry(drop, sku, number(&p, "seq") as u64).await,
        }
    }

    async fn offer_next(
        &self,
        drop: &str,
        sku: &str,
        now: i64,
        hold_until: i64,
    ) -> Result<Option<WaitlistEntry>, PortError> {
        for _ in 0..OFFER_ATTEMPTS {
            let Some(stock) = self.get(sku_key(drop, sku)).await? else {
                return Ok(None);
            };
            if number(&stock, "available") <= 0 || number(&stock, "waiting") <= 0 {
                return Ok(None);
            }
            let first = self
                .query_prefix(
                    &format!("DROP#{drop}"),
                    &format!("WAIT#{sku}#"),
                    true,
                    Some(1),
                )
                .await?;
            let Some(first) = first.into_iter().next() else {
                return Ok(None);
            };
            let mut entry = decode_entry(first)?;
            entry.status = EntryStatus::Offered;
            entry.hold_until = Some(hold_until);
            entry.told = false;
            let mut hold = hold_key(&entry, hold_until);
            hold.insert("drop".into(), s(drop));
            hold.insert("sku".into(), s(sku));
            hold.insert("seq".into(), n(entry.seq));
            let items = vec![
                tx_update(
                    &self.table,
                    update(
                        sku_key(drop, sku),
                        "SET available = available - :one, waiting = waiting - :one, \
                         held = if_not_exists(held, :zero) + :one",
                    )
                    .condition_expression("available >= :one AND waiting >= :one")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":zero", n(0)),
                )?,
                tx_update(
                    &self.table,
                    update(
                        entry_key(drop, sku, entry.seq),
                        "SET #status = :offered, hold_until = :until, told = :no",
                    )
                    .condition_expression("#status = :waiting")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":offered", s(EntryStatus::Offered.as_str()))
                    .expression_attribute_values(":waiting", s(EntryStatus::Waiting.as_str()))
                    .expression_attribute_values(":until", n(hold_until))
                    .expression_attribute_values(":no", AttributeValue::Bool(false)),
                )?,
                tx_put(&self.table, hold, None)?,
                tx_put(
                    &self.table,
                    audit_item(&entry, AuditEvent::Offered, now),
                    Some("attribute_not_exists(pk)"),
                )?,
            ];
            match self.transact(items).await? {
                TxResult::Done => return Ok(Some(entry)),
                // The unit or the entry moved meanwhile (another sweep): look again.
                TxResult::Refused(_) => continue,
            }
        }
        Err(PortError::new(
            "offer",
            "the line kept changing; the next sweep tries again",
        ))
    }

    async fn give_back(
        &self,
        entry: &WaitlistEntry,
        to: EntryStatus,
        now: i64,
    ) -> Result<bool, PortError> {
        let event = match to {
            EntryStatus::Passed => AuditEvent::Passed,
            EntryStatus::Lapsed => AuditEvent::Lapsed,
            other => {
                return Err(PortError::new(
                    "waitlist give back",
                    format!("{} is not an end of an offer", other.as_str()),
                ));
            }
        };
        // The stored hold end names the index item; the caller's copy may be older.
        let Some(stored) = self
            .stored_entry(&entry.drop, &entry.sku, entry.seq)
            .await?
        else {
            return Ok(false);
        };
        let (EntryStatus::Offered, Some(until)) = (stored.status, stored.hold_until) else {
            return Ok(false);
        };
        let items = vec![
            tx_update(
                &self.table,
                update(
                    entry_key(&entry.drop, &entry.sku, entry.seq),
                    "SET #status = :to",
                )
                .condition_expression("#status = :offered")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":to", s(to.as_str()))
                .expression_attribute_values(":offered", s(EntryStatus::Offered.as_str())),
            )?,
            tx_update(
                &self.table,
                update(
                    sku_key(&entry.drop, &entry.sku),
                    "SET held = held - :one, available = available + :one",
                )
                .condition_expression("held >= :one")
                .expression_attribute_values(":one", n(1)),
            )?,
            // The unit is available again: the SKU is not sold out any more.
            crate::orders::unflag_item(&self.table, &entry.drop, vec![entry.sku.clone()])?,
            tx_delete(&self.table, hold_key(&stored, until))?,
            tx_put(
                &self.table,
                audit_item(&stored, event, now),
                Some("attribute_not_exists(pk)"),
            )?,
        ];
        Ok(matches!(self.transact(items).await?, TxResult::Done))
    }

    async fn accept(
        &self,
        entry: &WaitlistEntry,
        order: &Order,
        now: i64,
    ) -> Result<(), AcceptError> {
        if entry.conversation != order.conversation {
            return Err(AcceptError::OfferGone);
        }
        let Some(stored) = self
            .stored_entry(&entry.drop, &entry.sku, entry.seq)
            .await?
        else {
            return Err(AcceptError::OfferGone);
        };
        let (EntryStatus::Offered, Some(until)) = (stored.status, stored.hold_until) else {
            return Err(AcceptError::OfferGone);
        };
        let held_take = order
            .stock
            .iter()
            .position(|t| t.drop == entry.drop && t.sku == entry.sku && t.quantity == 1)
            .ok_or_else(|| PortError::new("accept", "the order does not take the held unit"))?;
        // Other SKUs of the line come from open stock; a sharded one is not supported here.
        let mut shards = Vec::with_capacity(order.stock.len());
        for take in &order.stock {
            if self.stock_layout(&take.drop).await?.of(&take.sku) > 1 {
                return Err(AcceptError::Refused(sold_out(take)));
            }
            shards.push(None);
        }
        let (mut items, limits_start, order_index) = self.reserve_items(order, &shards)?;
        items[held_take] = tx_update(
            &self.table,
            update(
                sku_key(&entry.drop, &entry.sku),
                "SET held = held - :one, reserved = reserved + :one",
            )
            .condition_expression("held >= :one")
            .expression_attribute_values(":one", n(1)),
        )?;
        let entry_index = items.len();
        items.push(tx_update(
            &self.table,
            update(
                entry_key(&entry.drop, &entry.sku, entry.seq),
                "SET #status = :accepted, order_id = :order",
            )
            .condition_expression("#status = :offered AND hold_until > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":accepted", s(EntryStatus::Accepted.as_str()))
            .expression_attribute_values(":offered", s(EntryStatus::Offered.as_str()))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":order", s(&order.id)),
        )?);
        items.push(tx_delete(&self.table, hold_key(&stored, until))?);
        items.push(tx_put(
            &self.table,
            audit_item(&stored, AuditEvent::Accepted, now),
            Some("attribute_not_exists(pk)"),
        )?);
        let reasons = match self.transact(items).await? {
            TxResult::Done => return Ok(()),
            TxResult::Refused(reasons) => reasons,
        };
        let failed = |i: usize| reasons.get(i).is_some_and(refused);
        if failed(order_index) {
            return Err(AcceptError::Refused(ReserveError::AlreadyExists));
        }
        if failed(entry_index) || failed(held_take) {
            return Err(AcceptError::OfferGone);
        }
        if let Some(i) = (0..order.limits.len()).find(|i| failed(limits_start + i)) {
            let limit = &order.limits[i];
            return Err(AcceptError::Refused(ReserveError::OverLimit {
                drop: limit.drop.clone(),
                sku: limit.sku.clone(),
                limit: limit.limit,
            }));
        }
        if let Some(i) = (0..order.stock.len()).find(|i| failed(*i)) {
            return Err(AcceptError::Refused(sold_out(&order.stock[i])));
        }
        Err(AcceptError::Port(PortError::new(
            "accept",
            format!("transaction cancelled: {reasons:?}"),
        )))
    }

    async fn mark_told(&self, entry: &WaitlistEntry) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(entry_key(&entry.drop, &entry.sku, entry.seq)))
            .update_expression("SET told = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| PortError::new("mark offer told", sdk_message(e)))?;
        Ok(())
    }

    async fn offers(&self, limit: usize) -> Result<Vec<WaitlistEntry>, PortError> {
        let mut offers = Vec::new();
        for hold in self
            .query_prefix("WAITHOLDS", "", false, Some(limit))
            .await?
        {
            let seq = number(&hold, "seq") as u64;
            if let Some(entry) = self
                .stored_entry(&string(&hold, "drop"), &string(&hold, "sku"), seq)
                .await?
                && entry.status == EntryStatus::Offered
            {
                offers.push(entry);
            }
        }
        Ok(offers)
    }

    async fn lines(&self) -> Result<Vec<(String, String)>, PortError> {
        Ok(self
            .query_prefix("WAITLINES", "", false, None)
            .await?
            .iter()
            .map(|i| (string(i, "drop"), string(i, "sku")))
            .collect())
    }

    async fn audit(&self, drop: &str) -> Result<Vec<AuditRecord>, PortError> {
        let mut records: Vec<AuditRecord> = self
            .query_prefix(&format!("DROP#{drop}"), "AUDIT#", false, None)
            .await?
            .iter()
            .filter_map(|i| {
                Some(AuditRecord {
                    drop: drop.to_string(),
                    sku: string(i, "sku"),
                    seq: number(i, "seq") as u64,
                    event: AuditEvent::parse(&string(i, "event"))?,
                    at: number(i, "at"),
                    hold_until: i
                        .contains_key("hold_until")
                        .then(|| number(i, "hold_until")),
                })
            })
            .collect();
        // Oldest first; within one second, the line's order and each entry's own sequence.
        records.sort_by_key(|r| (r.at, r.event != AuditEvent::Joined, r.seq, r.event as u8));
        Ok(records)
    }
}
