//! An order after its reservation, short of the sale: released (its units go back), shipped,
//! refunded; the status condition and attention note those writes share; and the CLI's list
//! of every order.

use super::hints::unflag_items;
use super::keys::{hint_key, limit_key, order_key, reservation_key, shard_set, stock_key};
use super::transact::{TxResult, tx_delete, tx_update, update};
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::PortError;

/// Appends `:note` to the order's attention list (see [`with_note`]).
pub(super) const ADD_NOTE: &str =
    "attention = list_append(if_not_exists(attention, :no_notes), :note)";

/// The values [`ADD_NOTE`] needs, for `note`.
pub(super) fn with_note(
    builder: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    note: &str,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    builder
        .expression_attribute_values(":no_notes", AttributeValue::L(Vec::new()))
        .expression_attribute_values(":note", AttributeValue::L(vec![s(note)]))
}

pub(super) fn status_condition(
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

    /// `reserved` → `to`, returning the order's stock and limit units, with `note` added to
    /// its attention list when given; `Ok(false)` when the order had already left `reserved`.
    pub(super) async fn release_noting(
        &self,
        order: &Order,
        to: OrderStatus,
        note: Option<&str>,
    ) -> Result<bool, PortError> {
        // Fixed at reservation; only a late payment of a released order changes them, and this
        // transaction requires `reserved`.
        let shards = self.recorded_shards(order).await?;
        for _ in 0..3 {
            let customer = self.current_customer(&order.customer).await?;
            let items = self.release_items(order, &shards, &customer, to, note)?;
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

    fn release_items(
        &self,
        order: &Order,
        shards: &[Option<u32>],
        customer: &str,
        to: OrderStatus,
        note: Option<&str>,
    ) -> Result<Vec<TransactWriteItem>, PortError> {
        let status = match note {
            Some(note) => with_note(
                update(
                    order_key(&order.id),
                    &format!("SET #status = :to, {ADD_NOTE}"),
                ),
                note,
            ),
            None => update(order_key(&order.id), "SET #status = :to"),
        };
        let mut items = vec![tx_update(
            &self.table,
            status_condition(status, &[OrderStatus::Reserved])
                .expression_attribute_values(":to", s(to.as_str())),
        )?];
        for (take, shard) in order.stock.iter().zip(shards) {
            items.push(tx_update(
                &self.table,
                update(
                    stock_key(&take.drop, &take.sku, *shard),
                    "SET available = available + :q, reserved = reserved - :q",
                )
                .expression_attribute_values(":q", n(take.quantity)),
            )?);
            if let Some(k) = shard {
                // The shard has units again: it leaves the sold-out hint in the same breath.
                items.push(tx_update(
                    &self.table,
                    update(hint_key(&take.drop, &take.sku), "DELETE shards :k")
                        .expression_attribute_values(":k", shard_set(*k)),
                )?);
            }
        }
        items.extend(unflag_items(&self.table, order, shards)?);
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
}
