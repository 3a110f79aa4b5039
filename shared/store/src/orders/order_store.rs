//! The domain's [`OrderStore`] port on this table: the drops read, reservations (with the
//! conversation's commit), pay links, holds, payment (`mark_paid`, also for a payment that
//! outlived its reservation), customer links, lapsed reservations, provider events and notices.

use super::keys::{
    RESERVATION_SHARDS, key, limit_key, order_key, reservation_key, shards_attribute, stock_key,
};
use super::transact::{TxResult, tx_delete, tx_put, tx_update, update};
use super::transitions::{ADD_NOTE, status_condition, with_note};
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::drops::Drop;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::{OrderStore, PaidOutcome, PortError, ReserveError, SaleCommit};

/// Provider events and notices are kept long enough to outlast every redelivery.
const EVENT_TTL: i64 = 30 * 24 * 3600;

impl DynamoStore {
    /// The record a customer's limit units live on now: a conversation-only customer that
    /// was later linked to a phone points at the phone's record.
    pub(super) async fn current_customer(&self, customer: &str) -> Result<String, PortError> {
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
        self.open_drops().await
    }

    async fn reserve(&self, order: &Order) -> Result<(), ReserveError> {
        self.reserve_with(order, Vec::new()).await
    }

    async fn reserve_and_commit(
        &self,
        order: &Order,
        commit: SaleCommit<'_>,
    ) -> Result<bool, ReserveError> {
        // This store holds the sessions too: the conversation's commit joins the reservation's
        // transaction (a refused commit cancels it all; the queue retries, see `reserve_with`).
        let commit = self.commit_items(
            commit.conversation,
            Some(commit.session),
            commit.key,
            commit.effect,
        )?;
        self.reserve_with(order, commit).await.map(|()| true)
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
        // The token names its order; the order's own copy of the token must match. (Pay links
        // reserved before this change also had a `PAY#` item; the order holds the same token.)
        let Some(id) = chatdrop_domain::ids::order_id_in_token(token) else {
            return Ok(None);
        };
        Ok(self.order(id).await?.filter(|o| o.pay_token == token))
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
        // One conditional UpdateItem, not a one-item transaction: the same guarantee (only while
        // `reserved`) at half the write units.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(order_key(order_id)))
            .update_expression("SET checkout_session = :session, checkout_url = :url")
            .condition_expression("#status = :reserved")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":reserved", s(OrderStatus::Reserved.as_str()))
            .expression_attribute_values(":session", s(session_id))
            .expression_attribute_values(":url", s(url))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::conditional_failed(&e) => Err(PortError::new(
                "set checkout",
                "the order is no longer reserved",
            )),
            Err(e) => Err(PortError::new("set checkout", sdk_message(e))),
        }
    }

    async fn release(&self, order: &Order, to: OrderStatus) -> Result<bool, PortError> {
        self.release_noting(order, to, None).await
    }

    async fn hold_until(&self, order: &Order, until: i64) -> Result<bool, PortError> {
        // The order's expiry and its index entry move in one transaction, so the entry is
        // always where the order's own sale or release deletes it (`reservation_key`).
        let extend = status_condition(
            update(order_key(&order.id), "SET expires_at = :until"),
            &[OrderStatus::Reserved],
        )
        .condition_expression("#status = :from0 AND expires_at = :before AND expires_at < :until")
        .expression_attribute_values(":until", n(until))
        .expression_attribute_values(":before", n(order.expires_at));
        let held = Order {
            expires_at: until,
            ..order.clone()
        };
        let mut entry = reservation_key(&held);
        entry.insert("order".into(), s(&order.id));
        let items = vec![
            tx_update(&self.table, extend)?,
            tx_delete(&self.table, reservation_key(order))?,
            tx_put(&self.table, entry, None)?,
        ];
        Ok(matches!(self.transact(items).await?, TxResult::Done))
    }

    async fn hold_for_attention(
        &self,
        order: &Order,
        reason: &str,
    ) -> Result<PaidOutcome, PortError> {
        // A reservation: released as a lapse would release it, flagged instead of expired.
        if self
            .release_noting(order, OrderStatus::PaidNeedsAttention, Some(reason))
            .await?
        {
            return Ok(PaidOutcome::NeedsAttention);
        }
        // Released already (lapsed, cancelled): no stock to move.
        let flag = status_condition(
            with_note(
                update(
                    order_key(&order.id),
                    &format!("SET #status = :to, {ADD_NOTE}"),
                ),
                reason,
            ),
            &[OrderStatus::Expired, OrderStatus::Cancelled],
        )
        .expression_attribute_values(":to", s(OrderStatus::PaidNeedsAttention.as_str()));
        if let TxResult::Done = self.transact(vec![tx_update(&self.table, flag)?]).await? {
            return Ok(PaidOutcome::NeedsAttention);
        }
        // Paid, shipped, refunded or flagged: the state stands, the payment is noted once.
        let note = with_note(
            update(order_key(&order.id), &format!("SET {ADD_NOTE}")),
            reason,
        )
        .condition_expression(
            "attribute_exists(pk) AND (attribute_not_exists(attention) OR NOT contains(attention, :reason))",
        )
        .expression_attribute_values(":reason", s(reason));
        // Refused: noted by an earlier delivery of the same event.
        self.transact(vec![tx_update(&self.table, note)?]).await?;
        Ok(PaidOutcome::Unchanged)
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
        let limits = self
            .items_with_prefix("query limits", format!("CUSTOMER#{from}"), "LIMIT#", |q| {
                q.consistent_read(true)
            })
            .await?;
        for item in limits {
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
        let shards = self.recorded_shards(order).await?;
        for (take, shard) in order.stock.iter().zip(&shards) {
            items.push(tx_update(
                &self.table,
                update(
                    stock_key(&take.drop, &take.sku, *shard),
                    "SET reserved = reserved - :q, sold = sold + :q",
                )
                .expression_attribute_values(":q", n(take.quantity)),
            )?);
        }
        items.push(tx_delete(&self.table, reservation_key(order))?);
        // The person's lifetime total (the VIP trigger): counted with the sale, so once.
        items.push(crate::lifetime::count_paid(&self.table, order)?);
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
        // A rare path (a payment that outlived its reservation): take each sharded SKU from
        // the shard with the most units now, read consistently, and record where.
        let mut retake = Vec::with_capacity(order.stock.len());
        for (take, shard) in order.stock.iter().zip(&shards) {
            retake.push(match shard {
                None => None,
                Some(recorded) => self
                    .shard_stock(&take.drop, &take.sku)
                    .await?
                    .into_iter()
                    .max_by_key(|(k, available, ..)| (*available, k == recorded))
                    .map(|(k, ..)| k),
            });
        }
        let paid = if retake.iter().any(Option::is_some) {
            update(
                order_key(&order.id),
                "SET #status = :to, stock_shards = :shards",
            )
            .expression_attribute_values(":shards", shards_attribute(&retake))
        } else {
            update(order_key(&order.id), "SET #status = :to")
        };
        let mut items = vec![tx_update(
            &self.table,
            status_condition(paid, &released)
                .expression_attribute_values(":to", s(OrderStatus::Paid.as_str())),
        )?];
        for (take, shard) in order.stock.iter().zip(&retake) {
            items.push(tx_update(
                &self.table,
                update(
                    stock_key(&take.drop, &take.sku, *shard),
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
        items.push(crate::lifetime::count_paid(&self.table, order)?);
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
        item.insert("expires_at".into(), n(self.now_secs() + EVENT_TTL));
        // Unconditional: recording twice (a concurrent duplicate) is harmless once the order's
        // own transitions are conditional.
        self.put("record event", item).await
    }

    async fn notice_sent(&self, order_id: &str, kind: &str) -> Result<bool, PortError> {
        Ok(self
            .get(key(format!("ORDER#{order_id}"), format!("NOTICE#{kind}")))
            .await?
            .is_some())
    }

    async fn record_notice(&self, order_id: &str, kind: &str) -> Result<(), PortError> {
        let mut item = key(format!("ORDER#{order_id}"), format!("NOTICE#{kind}"));
        item.insert("at".into(), n(self.now_secs()));
        self.put("record notice", item).await
    }
}
