//! The reference runs, on items of their own: the raw ceiling (bare conditional decrements)
//! and the naive read-then-write shop.

use crate::buyers::bounded;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::Instant;
use xtask::Error;

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ])
}

async fn put_stock(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    available: u64,
) -> Result<(), Error> {
    let mut item = key(pk, "SKU#bench");
    item.insert("available".into(), AttributeValue::N(available.to_string()));
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
    Ok(())
}

/// The raw ceiling: `ops` bare conditional decrements of a fresh item, `in_flight` at once.
pub(crate) async fn raw_ceiling(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    ops: usize,
    in_flight: usize,
) -> Result<(f64, usize), Error> {
    put_stock(client, table, "BENCH#ceiling", ops as u64).await?;
    let started = Instant::now();
    let results = bounded(ops, in_flight, |_| {
        let (client, table) = (client.clone(), table.to_string());
        async move {
            client
                .update_item()
                .table_name(table)
                .set_key(Some(key("BENCH#ceiling", "SKU#bench")))
                .update_expression("SET available = available - :q")
                .condition_expression("available >= :q")
                .expression_attribute_values(":q", AttributeValue::N("1".into()))
                .send()
                .await
                .is_ok()
        }
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let ok = results.iter().filter(|ok| **ok).count();
    Ok((ops as f64 / elapsed, ok))
}

/// The naive shop: read, and if a unit is left, decrement without a condition.
/// Returns (buyers told yes, final counter, seconds).
pub(crate) async fn naive(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    buyers: usize,
    stock: u32,
    in_flight: usize,
) -> Result<(usize, i64, f64), Error> {
    put_stock(client, table, "BENCH#naive", u64::from(stock)).await?;
    let started = Instant::now();
    let results = bounded(buyers, in_flight, |_| {
        let (client, table) = (client.clone(), table.to_string());
        async move {
            let read = client
                .get_item()
                .table_name(&table)
                .set_key(Some(key("BENCH#naive", "SKU#bench")))
                .consistent_read(true)
                .send()
                .await
                .ok()?;
            let available: i64 = match read.item?.get("available") {
                Some(AttributeValue::N(n)) => n.parse().ok()?,
                _ => return None,
            };
            if available < 1 {
                return Some(false);
            }
            client
                .update_item()
                .table_name(&table)
                .set_key(Some(key("BENCH#naive", "SKU#bench")))
                .update_expression("SET available = available - :q")
                .expression_attribute_values(":q", AttributeValue::N("1".into()))
                .send()
                .await
                .ok()?;
            Some(true)
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let yes = results.iter().filter(|r| **r == Some(true)).count();
    let failed = results.iter().filter(|r| r.is_none()).count();
    if failed > 0 {
        return Err(format!("naive baseline: {failed} requests failed").into());
    }
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key("BENCH#naive", "SKU#bench")))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?
        .item
        .unwrap_or_default();
    let left = match item.get("available") {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    Ok((yes, left, seconds))
}
