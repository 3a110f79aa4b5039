//! The item layout of the parent's table, in code: the key of each item, the attributes an
//! order carries about its shards, and reading a number attribute back.

use crate::{n, s};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::short_hash;
use chatdrop_domain::orders::Order;
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Shards of the reservation index.
pub(crate) const RESERVATION_SHARDS: u32 = 8;

/// The order attribute recording the shard of each stock take (`NULL` for an unsharded SKU).
pub(super) const STOCK_SHARDS: &str = "stock_shards";

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn order_key(id: &str) -> Item {
    key(format!("ORDER#{id}"), "ORDER")
}

pub(crate) fn sku_key(drop: &str, sku: &str) -> Item {
    key(format!("DROP#{drop}"), format!("SKU#{sku}"))
}

/// The stock item of `sku`: its single counter, or shard `k`.
pub(super) fn stock_key(drop: &str, sku: &str, shard: Option<u32>) -> Item {
    match shard {
        None => sku_key(drop, sku),
        Some(k) => key(format!("DROP#{drop}#SHARD#{k}"), format!("SKU#{sku}#{k}")),
    }
}

pub(super) fn hint_key(drop: &str, sku: &str) -> Item {
    key(format!("DROP#{drop}"), format!("EMPTY#{sku}"))
}

pub(super) fn shard_set(shard: u32) -> AttributeValue {
    AttributeValue::Ns(vec![shard.to_string()])
}

pub(crate) fn number(i: &Item, k: &str) -> i64 {
    match i.get(k) {
        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
        _ => 0,
    }
}

/// The recorded shard of each stock take, for the order item.
pub(super) fn shards_attribute(shards: &[Option<u32>]) -> AttributeValue {
    AttributeValue::L(
        shards
            .iter()
            .map(|k| k.map_or(AttributeValue::Null(true), n))
            .collect(),
    )
}

pub(super) fn limit_key(customer: &str, drop: &str, sku: Option<&str>) -> Item {
    let sk = match sku {
        Some(sku) => format!("LIMIT#{drop}#{sku}"),
        None => format!("LIMIT#{drop}"),
    };
    key(format!("CUSTOMER#{customer}"), sk)
}

pub(super) fn reservation_key(order: &Order) -> Item {
    let shard =
        u32::from_str_radix(&short_hash(&order.id)[..4], 16).unwrap_or(0) % RESERVATION_SHARDS;
    key(
        format!("RESERVATIONS#{shard}"),
        format!("{:010}#{}", order.expires_at, order.id),
    )
}
