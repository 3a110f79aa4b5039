//! Drops, stock, limits, orders and reservations.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | drop definition | `DROPS` | `DROP#id` |
//! | stock of one SKU | `DROP#id` | `SKU#sku` (`available`, `reserved`, `sold`) |
//! | a customer's units in a drop | `CUSTOMER#cid` | `LIMIT#drop` or `LIMIT#drop#sku` (`units`) |
//! | a conversation-only customer linked to a phone | `CUSTOMER#conv:…` | `LINK` (`to`) |
//! | order | `ORDER#id` | `ORDER` |
//! | notice sent about an order | `ORDER#id` | `NOTICE#kind` |
//! | pay link | `PAY#token` | `PAYLINK` |
//! | an order of a conversation | `CONV#channel#customer` | `ORDER#created#id` |
//! | open reservation, by expiry | `RESERVATIONS#shard` | `expires#id` |
//! | processed provider event | `STRIPE#event` | `EVENT` |
//!
//! Stock moves only inside transactions whose conditions guard it: a reservation takes
//! `available` only while `available >= quantity`, together with the limit counters and the
//! order; a release or a sale moves the same units back or on, conditional on the order's
//! status, so no event can apply twice. The reservation index is sharded so a flash crowd does
//! not write one hot partition.

use crate::{DynamoStore, n, now_secs, s, sdk_message};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, TransactWriteItem, Update,
};
use chatdrop_domain::channel::{ConversationId, short_hash};
use chatdrop_domain::drops::{Drop, DropStatus};
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::{OrderStore, PaidOutcome, PortError, ReserveError};
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

/// Shards of the reservation index.
const RESERVATION_SHARDS: u32 = 8;
/// Provider events and notices are kept long enough to outlast every redelivery.
const EVENT_TTL: i64 = 30 * 24 * 3600;
/// Attempts of a transaction that lost a race with another transaction on the same items.
const CONFLICT_ATTEMPTS: u32 = 6;

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn order_key(id: &str) -> Item {
    key(format!("ORDER#{id}"), "ORDER")
}

fn sku_key(drop: &str, sku: &str) -> Item {
    key(format!("DROP#{drop}"), format!("SKU#{sku}"))
}

fn limit_key(customer: &str, drop: &str, sku: Option<&str>) -> Item {
    let sk = match sku {
        Some(sku) => format!("LIMIT#{drop}#{sku}"),
        None => format!("LIMIT#{drop}"),
    };
    key(format!("CUSTOMER#{customer}"), sk)
}

fn reservation_key(order: &Order) -> Item {
    let shard =
        u32::from_str_radix(&short_hash(&order.id)[..4], 16).unwrap_or(0) % RESERVATION_SHARDS;
    key(
        format!("RESERVATIONS#{shard}"),
        format!("{:010}#{}", order.expires_at, order.id),
    )
}

fn update(item_key: Item, expression: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .set_key(Some(item_key))
        .update_expression(expression)
}

fn tx_update(
    table: &str,
    builder: aws_sdk_dynamodb::types::builders::UpdateBuilder,
) -> Result<TransactWriteItem, PortError> {
    Ok(TransactWriteItem::builder()
        .update(
            builder
                .table_name(table)
                .build()
                .map_err(|e| PortError::new("build update", e))?,
        )
        .build())
}

fn tx_put(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, PortError> {
    let mut put = Put::builder().table_name(table).set_item(Some(item));
    if let Some(c) = condition {
        put = put.condition_expression(c);
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(|e| PortError::new("build put", e))?)
        .build())
}

fn tx_delete(table: &str, item_key: Item) -> Result<TransactWriteItem, PortError> {
    Ok(TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(item_key))
                .build()
                .map_err(|e| PortError::new("build delete", e))?,
        )
        .build())
}

/// What a transaction attempt came to.
enum TxResult {
    Done,
    /// Conditions failed: the cancellation reason per item, in request order.
    Refused(Vec<CancellationReason>),
}

fn status_condition(
    builder: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    from: &[OrderStatus],
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let mut names = Vec::new();
    let mut b = builder.expression_attribute_names("#status", "status");
    for (i, status) in from.iter().enumerate() {
        let placeholder = format!(":from{i}");
        b = b.expression_attribute_values(&placeholder, s(status.as_str()));
        names.push(placeholder);
    }
    b.condition_expression(format!("#status IN ({})", names.join(", ")))
}

impl DynamoStore {
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<TxResult, PortError> {
        for attempt in 0..CONFLICT_ATTEMPTS {
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => return Ok(TxResult::Done),
                Err(SdkError::ServiceError(e)) => {
                    if let TransactWriteItemsError::TransactionCanceledException(c) = e.err() {
                        let reasons = c.cancellation_reasons().to_vec();
                        let conflict = reasons
                            .iter()
                            .any(|r| r.code() == Some("TransactionConflict"));
                        let refused = reasons
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed"));
                        if conflict && !refused && attempt + 1 < CONFLICT_ATTEMPTS {
                            // Another transaction held one of our items: back off with jitter.
                            let jitter = u64::from(now_secs().unsigned_abs() as u32 % 7);
                            tokio::time::sleep(Duration::from_millis((20 << attempt) + jitter * 3))
                                .await;
                            continue;
                        }
                        return Ok(TxResult::Refused(reasons));
                    }
                    return Err(PortError::new(
                        "transaction",
                        sdk_message(SdkError::ServiceError(e)),
                    ));
                }
                Err(e) => return Err(PortError::new("transaction", sdk_message(e))),
            }
        }
        Err(PortError::new("transaction", "kept conflicting"))
    }

    async fn get(&self, item_key: Item) -> Result<Option<Item>, PortError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get item", sdk_message(e)))?
            .item)
    }

    /// Creates a drop and its stock counters; fails if a drop with that id exists.
    pub async fn create_drop(&self, drop: &Drop) -> Result<(), PortError> {
        let mut items = Vec::new();
        let mut item: Item =
            serde_dynamo::to_item(drop).map_err(|e| PortError::new("encode drop", e))?;
        item.extend(key("DROPS", format!("DROP#{}", drop.id)));
        items.push(tx_put(&self.table, item, Some("attribute_not_exists(pk)"))?);
        for sku in &drop.skus {
            let mut counter = sku_key(&drop.id, &sku.sku);
            counter.insert("available".into(), n(sku.stock));
            counter.insert("reserved".into(), n(0));
            counter.insert("sold".into(), n(0));
            items.push(tx_put(
                &self.table,
                counter,
                Some("attribute_not_exists(pk)"),
            )?);
        }
        match self.transact(items).await? {
            TxResult::Done => Ok(()),
            TxResult::Refused(_) => Err(PortError::new(
                "create drop",
                format!("drop {} already exists", drop.id),
            )),
        }
    }

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
            .map(|i| serde_dynamo::from_item(i).map_err(|e| PortError::new("decode drop", e)))
            .collect()
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

    /// Stock counters of a drop: (sku, available, reserved, sold).
    pub async fn drop_stock(&self, id: &str) -> Result<Vec<(String, i64, i64, i64)>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :sku)")
            .expression_attribute_values(":pk", s(format!("DROP#{id}")))
            .expression_attribute_values(":sku", s("SKU#"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("query stock", sdk_message(e)))?;
        let number = |i: &Item, k: &str| match i.get(k) {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        };
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .map(|i| {
                let sku = match i.get("sk") {
                    Some(AttributeValue::S(sk)) => sk.trim_start_matches("SKU#").to_string(),
                    _ => String::new(),
                };
                (
                    sku,
                    number(i, "available"),
                    number(i, "reserved"),
                    number(i, "sold"),
                )
            })
            .collect())
    }

    /// Every order (a scan: for the CLI's listings and exports, not for request paths).
    pub async fn all_orders(&self) -> Result<Vec<Order>, PortError> {
        let mut orders = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :p) AND sk = :sk")
                .expression_attribute_values(":p", s("ORDER#"))
                .expression_attribute_values(":sk", s("ORDER"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| PortError::new("scan orders", sdk_message(e)))?;
            for item in out.items.unwrap_or_default() {
                orders.push(
                    serde_dynamo::from_item(item).map_err(|e| PortError::new("decode order", e))?,
                );
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        orders.sort_by_key(|o: &Order| o.created_at);
        Ok(orders)
    }

    /// `paid` → `shipped` with a tracking number; `Ok(false)` if the order was not paid.
    pub async fn mark_shipped(&self, id: &str, tracking: &str) -> Result<bool, PortError> {
        self.set_status(
            id,
            &[OrderStatus::Paid],
            OrderStatus::Shipped,
            Some(tracking),
        )
        .await
    }

    /// `paid`/`paid_needs_attention`/`shipped` → `refunded`; `Ok(false)` otherwise.
    pub async fn mark_refunded(&self, id: &str) -> Result<bool, PortError> {
        self.set_status(
            id,
            &[
                OrderStatus::Paid,
                OrderStatus::PaidNeedsAttention,
                OrderStatus::Shipped,
            ],
            OrderStatus::Refunded,
            None,
        )
        .await
    }

    async fn set_status(
        &self,
        id: &str,
        from: &[OrderStatus],
        to: OrderStatus,
        tracking: Option<&str>,
    ) -> Result<bool, PortError> {
        let expression = if tracking.is_some() {
            "SET #status = :to, tracking = :tracking"
        } else {
            "SET #status = :to"
        };
        let mut b = status_condition(update(order_key(id), expression), from)
            .expression_attribute_values(":to", s(to.as_str()));
        if let Some(t) = tracking {
            b = b.expression_attribute_values(":tracking", s(t));
        }
        let item = tx_update(&self.table, b)?;
        Ok(matches!(self.transact(vec![item]).await?, TxResult::Done))
    }

    fn release_items(
        &self,
        order: &Order,
        customer: &str,
        to: OrderStatus,
    ) -> Result<Vec<TransactWriteItem>, PortError> {
        let mut items = vec![tx_update(
            &self.table,
            status_condition(
                update(order_key(&order.id), "SET #status = :to"),
                &[OrderStatus::Reserved],
            )
            .expression_attribute_values(":to", s(to.as_str())),
        )?];
        for take in &order.stock {
            items.push(tx_update(
                &self.table,
                update(
                    sku_key(&take.drop, &take.sku),
                    "SET available = available + :q, reserved = reserved - :q",
                )
                .expression_attribute_values(":q", n(take.quantity)),
            )?);
        }
        for limit in &order.limits {
            items.push(tx_update(
                &self.table,
                update(
                    limit_key(customer, &limit.drop, limit.sku.as_deref()),
                    "ADD units :minus",
                )
                // Fails only if the units moved to a linked record meanwhile: retried there.
                .condition_expression("units >= :q")
                .expression_attribute_values(":q", n(limit.quantity))
                .expression_attribute_values(":minus", n(-i64::from(limit.quantity))),
            )?);
        }
        items.push(tx_delete(&self.table, reservation_key(order))?);
        Ok(items)
    }

    /// The record a customer's limit units live on now: a conversation-only customer that
    /// was later linked to a phone points at the phone's record.
    async fn current_customer(&self, customer: &str) -> Result<String, PortError> {
        match self
            .get(key(format!("CUSTOMER#{customer}"), "LINK"))
            .await?
        {
            Some(item) => match item.get("to") {
                Some(AttributeValue::S(to)) => Ok(to.clone()),
                _ => Ok(customer.to_string()),
            },
            None => Ok(customer.to_string()),
        }
    }
}

impl OrderStore for DynamoStore {
    async fn drops(&self) -> Result<Vec<Drop>, PortError> {
        // Not cached: a drop opened or closed by the CLI must reach the very next checkout.
        Ok(self
            .all_drops()
            .await?
            .into_iter()
            .filter(|d| d.status != DropStatus::Closed)
            .collect())
    }

    async fn reserve(&self, order: &Order) -> Result<(), ReserveError> {
        let mut items = Vec::new();
        // Index ranges of the transaction's items, to read its cancellation reasons.
        for take in &order.stock {
            items.push(tx_update(
                &self.table,
                update(
                    sku_key(&take.drop, &take.sku),
                    "SET available = available - :q, reserved = reserved + :q",
                )
                .condition_expression("available >= :q")
                .expression_attribute_values(":q", n(take.quantity)),
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
        items.push(tx_put(
            &self.table,
            order_item,
            Some("attribute_not_exists(pk)"),
        )?);
        let mut pay = key(format!("PAY#{}", order.pay_token), "PAYLINK");
        pay.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, pay, Some("attribute_not_exists(pk)"))?);
        let mut pointer = key(
            format!("CONV#{}", order.conversation.key()),
            format!("ORDER#{:010}#{}", order.created_at, order.id),
        );
        pointer.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, pointer, None)?);
        let mut reservation = reservation_key(order);
        reservation.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, reservation, None)?);

        match self.transact(items).await? {
            TxResult::Done => Ok(()),
            TxResult::Refused(reasons) => {
                let failed = |i: usize| {
                    reasons
                        .get(i)
                        .is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
                };
                if failed(order_index) {
                    return Err(ReserveError::AlreadyExists);
                }
                if let Some(i) = (0..order.stock.len()).find(|i| failed(*i)) {
                    let take = &order.stock[i];
                    return Err(ReserveError::SoldOut {
                        drop: take.drop.clone(),
                        sku: take.sku.clone(),
                    });
                }
                if let Some(i) = (0..order.limits.len()).find(|i| failed(limits_start + i)) {
                    let limit = &order.limits[i];
                    return Err(ReserveError::OverLimit {
                        drop: limit.drop.clone(),
                        sku: limit.sku.clone(),
                        limit: limit.limit,
                    });
                }
                Err(ReserveError::Port(PortError::new(
                    "reserve",
                    format!("transaction cancelled: {reasons:?}"),
                )))
            }
        }
    }

    async fn order(&self, id: &str) -> Result<Option<Order>, PortError> {
        match self.get(order_key(id)).await? {
            None => Ok(None),
            Some(item) => serde_dynamo::from_item(item)
                .map(Some)
                .map_err(|e| PortError::new("decode order", e)),
        }
    }

    async fn order_by_token(&self, token: &str) -> Result<Option<Order>, PortError> {
        let Some(item) = self.get(key(format!("PAY#{token}"), "PAYLINK")).await? else {
            return Ok(None);
        };
        match item.get("order") {
            Some(AttributeValue::S(id)) => self.order(id).await,
            _ => Ok(None),
        }
    }

    async fn orders_of(&self, conversation: &ConversationId) -> Result<Vec<Order>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :o)")
            .expression_attribute_values(":pk", s(format!("CONV#{}", conversation.key())))
            .expression_attribute_values(":o", s("ORDER#"))
            .scan_index_forward(false)
            .limit(10)
            .send()
            .await
            .map_err(|e| PortError::new("query orders", sdk_message(e)))?;
        let mut orders = Vec::new();
        for item in out.items.unwrap_or_default() {
            if let Some(AttributeValue::S(id)) = item.get("order")
                && let Some(order) = self.order(id).await?
            {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    async fn set_checkout(
        &self,
        order_id: &str,
        session_id: &str,
        url: &str,
    ) -> Result<(), PortError> {
        let item = tx_update(
            &self.table,
            status_condition(
                update(
                    order_key(order_id),
                    "SET checkout_session = :session, checkout_url = :url",
                ),
                &[OrderStatus::Reserved],
            )
            .expression_attribute_values(":session", s(session_id))
            .expression_attribute_values(":url", s(url)),
        )?;
        match self.transact(vec![item]).await? {
            TxResult::Done => Ok(()),
            TxResult::Refused(_) => Err(PortError::new(
                "set checkout",
                "the order is no longer reserved",
            )),
        }
    }

    async fn release(&self, order: &Order, to: OrderStatus) -> Result<bool, PortError> {
        for _ in 0..3 {
            let customer = self.current_customer(&order.customer).await?;
            let items = self.release_items(order, &customer, to)?;
            match self.transact(items).await? {
                TxResult::Done => return Ok(true),
                TxResult::Refused(reasons) => {
                    let order_refused = reasons
                        .first()
                        .is_some_and(|r| r.code() == Some("ConditionalCheckFailed"));
                    if order_refused {
                        return Ok(false); // Already left `reserved`.
                    }
                    // A limit counter moved to a linked record meanwhile: resolve again.
                }
            }
        }
        Err(PortError::new("release", "limit counters kept moving"))
    }

    async fn link_customer(&self, from: &str, to: &str) -> Result<(), PortError> {
        if from == to {
            return Ok(());
        }
        let mut link = key(format!("CUSTOMER#{from}"), "LINK");
        link.insert("to".into(), s(to));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(link))
            .send()
            .await
            .map_err(|e| PortError::new("link customer", sdk_message(e)))?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :limit)")
            .expression_attribute_values(":pk", s(format!("CUSTOMER#{from}")))
            .expression_attribute_values(":limit", s("LIMIT#"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("query limits", sdk_message(e)))?;
        for item in out.items.unwrap_or_default() {
            let (Some(AttributeValue::S(sk)), Some(AttributeValue::N(units))) =
                (item.get("sk"), item.get("units"))
            else {
                continue;
            };
            let units: i64 = units.parse().unwrap_or(0);
            if units <= 0 {
                continue;
            }
            // Move the units: the phone's record gains exactly what the conversation's loses.
            let items = vec![
                tx_update(
                    &self.table,
                    update(key(format!("CUSTOMER#{to}"), sk.clone()), "ADD units :u")
                        .expression_attribute_values(":u", n(units)),
                )?,
                tx_update(
                    &self.table,
                    update(
                        key(format!("CUSTOMER#{from}"), sk.clone()),
                        "SET units = units - :u",
                    )
                    .condition_expression("units = :u")
                    .expression_attribute_values(":u", n(units)),
                )?,
            ];
            if let TxResult::Refused(_) = self.transact(items).await? {
                return Err(PortError::new(
                    "link customer",
                    "limit units changed meanwhile; retry",
                ));
            }
        }
        Ok(())
    }

    async fn mark_paid(&self, order: &Order) -> Result<PaidOutcome, PortError> {
        // The usual case: the reservation becomes a sale.
        let mut items = vec![tx_update(
            &self.table,
            status_condition(
                update(order_key(&order.id), "SET #status = :to"),
                &[OrderStatus::Reserved],
            )
            .expression_attribute_values(":to", s(OrderStatus::Paid.as_str())),
        )?];
        for take in &order.stock {
            items.push(tx_update(
                &self.table,
                update(
                    sku_key(&take.drop, &take.sku),
                    "SET reserved = reserved - :q, sold = sold + :q",
                )
                .expression_attribute_values(":q", n(take.quantity)),
            )?);
        }
        items.push(tx_delete(&self.table, reservation_key(order))?);
        if let TxResult::Done = self.transact(items).await? {
            return Ok(PaidOutcome::Paid);
        }
        let Some(current) = self.order(&order.id).await? else {
            return Err(PortError::new("mark paid", "order vanished"));
        };
        if !current.status.released() {
            return Ok(PaidOutcome::Unchanged);
        }
        // Paid after the reservation lapsed: take the stock again if it is still there.
        let customer = self.current_customer(&order.customer).await?;
        let released = [OrderStatus::Expired, OrderStatus::Cancelled];
        let mut items = vec![tx_update(
            &self.table,
            status_condition(update(order_key(&order.id), "SET #status = :to"), &released)
                .expression_attribute_values(":to", s(OrderStatus::Paid.as_str())),
        )?];
        for take in &order.stock {
            items.push(tx_update(
                &self.table,
                update(
                    sku_key(&take.drop, &take.sku),
                    "SET available = available - :q, sold = sold + :q",
                )
                .condition_expression("available >= :q")
                .expression_attribute_values(":q", n(take.quantity)),
            )?);
        }
        for limit in &order.limits {
            items.push(tx_update(
                &self.table,
                update(
                    limit_key(&customer, &limit.drop, limit.sku.as_deref()),
                    "ADD units :q",
                )
                .expression_attribute_values(":q", n(limit.quantity)),
            )?);
        }
        if let TxResult::Done = self.transact(items).await? {
            return Ok(PaidOutcome::PaidAfterLapse);
        }
        // The units were resold: never oversell, never lose the payment.
        let item = tx_update(
            &self.table,
            status_condition(update(order_key(&order.id), "SET #status = :to"), &released)
                .expression_attribute_values(":to", s(OrderStatus::PaidNeedsAttention.as_str())),
        )?;
        Ok(match self.transact(vec![item]).await? {
            TxResult::Done => PaidOutcome::NeedsAttention,
            TxResult::Refused(_) => PaidOutcome::Unchanged,
        })
    }

    async fn lapsed_reservations(&self, now: i64, limit: usize) -> Result<Vec<String>, PortError> {
        let mut due: Vec<(String, String)> = Vec::new();
        for shard in 0..RESERVATION_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk < :now")
                .expression_attribute_values(":pk", s(format!("RESERVATIONS#{shard}")))
                .expression_attribute_values(":now", s(format!("{now:010}")))
                .limit(limit as i32)
                .send()
                .await
                .map_err(|e| PortError::new("query reservations", sdk_message(e)))?;
            for item in out.items.unwrap_or_default() {
                if let (Some(AttributeValue::S(sk)), Some(AttributeValue::S(order))) =
                    (item.get("sk"), item.get("order"))
                {
                    due.push((sk.clone(), order.clone()));
                }
            }
        }
        due.sort();
        Ok(due.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    async fn event_seen(&self, event_id: &str) -> Result<bool, PortError> {
        Ok(self
            .get(key(format!("STRIPE#{event_id}"), "EVENT"))
            .await?
            .is_some())
    }

    async fn record_event(&self, event_id: &str) -> Result<(), PortError> {
        let mut item = key(format!("STRIPE#{event_id}"), "EVENT");
        item.insert("expires_at".into(), n(now_secs() + EVENT_TTL));
        // Unconditional: recording twice (a concurrent duplicate) is harmless once the order's
        // own transitions are conditional.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| PortError::new("record event", sdk_message(e)))?;
        Ok(())
    }

    async fn notice_sent(&self, order_id: &str, kind: &str) -> Result<bool, PortError> {
        Ok(self
            .get(key(format!("ORDER#{order_id}"), format!("NOTICE#{kind}")))
            .await?
            .is_some())
    }

    async fn record_notice(&self, order_id: &str, kind: &str) -> Result<(), PortError> {
        let mut item = key(format!("ORDER#{order_id}"), format!("NOTICE#{kind}"));
        item.insert("at".into(), n(now_secs()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| PortError::new("record notice", sdk_message(e)))?;
        Ok(())
    }
}
