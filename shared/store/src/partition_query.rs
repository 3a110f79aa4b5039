//! The table's lists: one partition's items whose sort key begins with a prefix
//! (`pk = :pk AND begins_with(sk, :prefix)`), or the whole partition, read page after page.
//!
//! A query answers at most 1 MB per page and says where to go on (`LastEvaluatedKey`), so a list
//! that can grow (campaign recipients, draw entries, waitlists, consent history) must follow
//! every page; this is that loop, once. Each caller keeps its own read choices: `shape` adds them
//! to every page's request (a strongly consistent read, a filter, a projection), and `each` may
//! stop early once it has what it wants, so no further page is read.

use crate::{DynamoStore, s, sdk_message};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;
use std::ops::ControlFlow;

type Item = HashMap<String, AttributeValue>;

/// Which of a partition's sort keys a query reads.
#[derive(Clone, Copy)]
enum SortKeys<'a> {
    All,
    Prefix(&'a str),
    From(&'a str),
}

impl DynamoStore {
    /// Calls `each` with every item of partition `pk` whose sort key begins with `prefix` (every
    /// item of the partition when `prefix` is empty), in sort-key order, until `each` breaks or
    /// the last page ends. `what` names the read in its errors.
    pub(crate) async fn each_with_prefix(
        &self,
        what: &'static str,
        pk: impl Into<String>,
        prefix: &str,
        shape: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
        each: impl FnMut(Item) -> Result<ControlFlow<()>, PortError>,
    ) -> Result<(), PortError> {
        // DynamoDB refuses an empty string as a key condition's value: no prefix, no
        // `begins_with`.
        let range = if prefix.is_empty() {
            SortKeys::All
        } else {
            SortKeys::Prefix(prefix)
        };
        self.each_in(what, pk, range, shape, each).await
    }

    /// Every item of partition `pk` whose sort key is `from` or after it, in sort-key order;
    /// see [`DynamoStore::each_with_prefix`].
    pub(crate) async fn each_from(
        &self,
        what: &'static str,
        pk: impl Into<String>,
        from: &str,
        shape: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
        each: impl FnMut(Item) -> Result<ControlFlow<()>, PortError>,
    ) -> Result<(), PortError> {
        self.each_in(what, pk, SortKeys::From(from), shape, each)
            .await
    }

    async fn each_in(
        &self,
        what: &'static str,
        pk: impl Into<String>,
        range: SortKeys<'_>,
        shape: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
        mut each: impl FnMut(Item) -> Result<ControlFlow<()>, PortError>,
    ) -> Result<(), PortError> {
        let pk = s(pk);
        let mut start = None;
        loop {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", pk.clone())
                .set_exclusive_start_key(start);
            let query = match range {
                SortKeys::All => query.key_condition_expression("pk = :pk"),
                SortKeys::Prefix(prefix) => query
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix)),
                SortKeys::From(from) => query
                    .key_condition_expression("pk = :pk AND sk >= :from")
                    .expression_attribute_values(":from", s(from)),
            };
            let page = shape(query)
                .send()
                .await
                .map_err(|e| PortError::new(what, sdk_message(e)))?;
            for item in page.items.unwrap_or_default() {
                if each(item)?.is_break() {
                    return Ok(());
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(()),
            }
        }
    }

    /// Every item of partition `pk` whose sort key begins with `prefix` (the whole partition
    /// when `prefix` is empty), across pages; see [`DynamoStore::each_with_prefix`].
    pub(crate) async fn items_with_prefix(
        &self,
        what: &'static str,
        pk: impl Into<String>,
        prefix: &str,
        shape: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
    ) -> Result<Vec<Item>, PortError> {
        let mut items = Vec::new();
        self.each_with_prefix(what, pk, prefix, shape, |item| {
            items.push(item);
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        Ok(items)
    }
}

/// For an `each` that wants `limit` values: go on until `found` reaches it.
pub(crate) fn until(found: usize, limit: usize) -> ControlFlow<()> {
    if found >= limit {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}
