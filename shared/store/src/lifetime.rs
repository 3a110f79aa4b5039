//! What each person paid in all, per currency: the VIP trigger's counter
//! ([`chatdrop_domain::vip`]).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a person's lifetime paid | `CUSTOMER#cid` | `PAID` (`paid_USD`, `paid_THB`, …: minor units) |
//!
//! `cid` is the order's limit key (a phone's record where one is known), the same partition
//! as the person's limit counters. The counter moves only inside `mark_paid`'s transaction
//! (one more `Update` with `ADD`), which is conditional on the order leaving `reserved` (or a
//! released state), so a sale counts exactly once however often Stripe reports it. The item is
//! a few dozen bytes: 1 write unit, 2 in a transaction — the whole cost on the payment path.
//! Nothing on the checkout's reservation transaction changes. It is read once per payment, and
//! only where the retailer set a threshold for the order's currency (one strongly consistent
//! `GetItem`, so the sale just counted is in it).

use crate::orders::{Item, key, tx_update, update};
use crate::{DynamoStore, n};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::Order;
use chatdrop_domain::ports::PortError;
use chatdrop_domain::vip::LifetimePaid;

fn lifetime_key(customer: &str) -> Item {
    key(format!("CUSTOMER#{customer}"), "PAID")
}

/// The attribute of one currency's total; ISO codes are three letters, so it is a plain name.
fn attribute(currency: Currency) -> String {
    format!("paid_{}", currency.code())
}

/// The transaction item that adds a sale to its person's total.
pub(crate) fn count_paid(table: &str, order: &Order) -> Result<TransactWriteItem, PortError> {
    tx_update(
        table,
        update(lifetime_key(&order.customer), "ADD #paid :total")
            .expression_attribute_names("#paid", attribute(order.currency))
            .expression_attribute_values(":total", n(order.total)),
    )
}

impl LifetimePaid for DynamoStore {
    async fn lifetime_paid(&self, customer: &str, currency: Currency) -> Result<i64, PortError> {
        let Some(item) = self.get(lifetime_key(customer)).await? else {
            return Ok(0);
        };
        match item.get(&attribute(currency)) {
            None => Ok(0),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map_err(|e| PortError::new("read lifetime paid", e)),
            Some(other) => Err(PortError::new(
                "read lifetime paid",
                format!("not a number: {other:?}"),
            )),
        }
    }
}
