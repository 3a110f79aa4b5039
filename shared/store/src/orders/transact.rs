//! Writing to the table: the transaction-item builders, and [`DynamoStore::transact`], which
//! runs a transaction until DynamoDB decides it; plain reads and puts beside it.
//!
//! # Retrying what DynamoDB did not decide
//!
//! A transaction cancelled for `TransactionConflict` (another transaction held one of its
//! items), throttling or a transaction in progress has decided nothing: it is retried with
//! jittered exponential backoff (six attempts, 20 ms doubling to 320 ms, each wait between half
//! and all of its step, so colliding writers spread out instead of colliding again). Only a
//! `ConditionalCheckFailed` on a stock guard means sold out; a transaction that keeps
//! conflicting is a [`PortError`], which the queue retries later, never a sold-out reply.
//!
//! Moto serializes transactions and never conflicts, so the tests inject conflicts:
//! [`DynamoStore::inject_conflicts`] installs a hook asked before each transaction, and when it
//! says so the transaction is answered as DynamoDB cancels one for a conflict, without reaching
//! moto. It is a runtime hook, not a cargo feature, so the end-to-end tests can use it on the
//! stores the stack builds; with no hook installed it costs one relaxed atomic load.

use super::keys::Item;
use crate::{DynamoStore, sdk_message};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, Delete, Put, TransactWriteItem, Update};
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attempts of a transaction that DynamoDB cancelled without deciding it (conflict, throttling).
const TX_ATTEMPTS: u32 = 6;
/// First backoff step; it doubles up to [`BACKOFF_CAP_MS`].
const BACKOFF_BASE_MS: u64 = 20;
const BACKOFF_CAP_MS: u64 = 320;

/// Cancellation reasons that mean "not decided, try again" rather than "refused".
const RETRYABLE_REASONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "TransactionInProgress",
];
/// Service errors of the whole call that are equally undecided.
const RETRYABLE_ERRORS: &[&str] = &[
    "TransactionInProgressException",
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
];

/// A test's hook: asked before each transaction, `true` cancels it as a `TransactionConflict`.
type ConflictHook = Arc<dyn Fn() -> bool + Send + Sync>;

/// Conflict hooks by table. Process-wide because `DynamoStore` (lib.rs) has no field for one:
/// every store on the table sees the hook, which is what the end-to-end tests need, and tables
/// are unique per test.
static CONFLICT_HOOKS: LazyLock<RwLock<HashMap<String, ConflictHook>>> =
    LazyLock::new(Default::default);
/// Whether any hook was ever installed: production never takes the lock.
static HOOKS_INSTALLED: AtomicBool = AtomicBool::new(false);

/// A cheap random number: std's randomly keyed SipHash over the clock, a counter and `salt`.
/// Good enough to spread buyers over shards and jitter backoff; no RNG crate needed.
pub(super) fn random(salt: &str) -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write(salt.as_bytes());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// The wait before retry `attempt` (0-based): half the step plus a random part of the other half.
fn backoff(attempt: u32) -> Duration {
    let step = (BACKOFF_BASE_MS << attempt.min(16)).min(BACKOFF_CAP_MS);
    Duration::from_millis(step / 2 + random("backoff") % (step / 2 + 1))
}

pub(crate) fn update(
    item_key: Item,
    expression: &str,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .set_key(Some(item_key))
        .update_expression(expression)
}

pub(crate) fn tx_update(
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

pub(crate) fn tx_put(
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

pub(crate) fn tx_delete(table: &str, item_key: Item) -> Result<TransactWriteItem, PortError> {
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

/// What a transaction came to.
pub(crate) enum TxResult {
    Done,
    /// Conditions failed: the cancellation reason per item, in request order.
    Refused(Vec<CancellationReason>),
}

/// One attempt's outcome, before deciding whether to try again.
enum Attempt {
    Done,
    Cancelled(Vec<CancellationReason>),
    /// Undecided by DynamoDB (throttled, in progress): safe to send again.
    Undecided(String),
}

pub(crate) fn refused(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

impl DynamoStore {
    /// Installs (or with `None` removes) a hook asked before every transaction on this store's
    /// table, by any store: when it returns `true` the transaction is not sent and comes back
    /// cancelled for `TransactionConflict`, as DynamoDB cancels one that lost a race. For tests:
    /// moto serializes transactions and never produces the conflicts the retries exist for.
    #[doc(hidden)]
    pub fn inject_conflicts(&self, hook: Option<Arc<dyn Fn() -> bool + Send + Sync>>) {
        let mut hooks = CONFLICT_HOOKS.write().unwrap_or_else(|e| e.into_inner());
        match hook {
            Some(h) => {
                hooks.insert(self.table.clone(), h);
                HOOKS_INSTALLED.store(true, Ordering::Relaxed);
            }
            None => {
                hooks.remove(&self.table);
            }
        }
    }

    fn injected_conflict(&self) -> bool {
        if !HOOKS_INSTALLED.load(Ordering::Relaxed) {
            return false;
        }
        let hook = CONFLICT_HOOKS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&self.table)
            .cloned();
        hook.is_some_and(|h| h())
    }

    async fn attempt(&self, items: &[TransactWriteItem]) -> Result<Attempt, PortError> {
        if self.injected_conflict() {
            // What DynamoDB answers when another transaction held the first item.
            let reasons = (0..items.len())
                .map(|i| {
                    let code = if i == 0 {
                        "TransactionConflict"
                    } else {
                        "None"
                    };
                    CancellationReason::builder().code(code).build()
                })
                .collect();
            return Ok(Attempt::Cancelled(reasons));
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items.to_vec()))
            .send()
            .await
        {
            Ok(_) => Ok(Attempt::Done),
            Err(SdkError::ServiceError(e)) => {
                if let TransactWriteItemsError::TransactionCanceledException(c) = e.err() {
                    return Ok(Attempt::Cancelled(c.cancellation_reasons().to_vec()));
                }
                if e.err()
                    .code()
                    .is_some_and(|c| RETRYABLE_ERRORS.contains(&c))
                {
                    return Ok(Attempt::Undecided(sdk_message(SdkError::ServiceError(e))));
                }
                Err(PortError::new(
                    "transaction",
                    sdk_message(SdkError::ServiceError(e)),
                ))
            }
            Err(e) => Err(PortError::new("transaction", sdk_message(e))),
        }
    }

    /// Runs a transaction until DynamoDB decides it: done, or refused by a condition.
    /// Cancellations that decided nothing (conflict, throttling) are retried with jittered
    /// backoff; if they persist the caller gets a `PortError`, never a refusal.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<TxResult, PortError> {
        let mut last = String::new();
        for attempt in 0..TX_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt - 1)).await;
            }
            match self.attempt(&items).await? {
                Attempt::Done => return Ok(TxResult::Done),
                Attempt::Cancelled(reasons) => {
                    // A failed condition decides the transaction whatever else happened.
                    let undecided = reasons.iter().any(|r| {
                        r.code()
                            .is_some_and(|code| RETRYABLE_REASONS.contains(&code))
                    });
                    if reasons.iter().any(refused) || !undecided {
                        return Ok(TxResult::Refused(reasons));
                    }
                    last = format!("{reasons:?}");
                }
                Attempt::Undecided(message) => last = message,
            }
            tracing::debug!(attempt, reason = %last, "transaction undecided; retrying");
        }
        Err(PortError::new(
            "transaction",
            format!("still undecided after {TX_ATTEMPTS} attempts: {last}"),
        ))
    }

    /// Puts `item` unconditionally: for items whose every writer writes the same thing (a
    /// record that something happened, a link), where a second put changes nothing.
    pub(crate) async fn put(&self, what: &'static str, item: Item) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| PortError::new(what, sdk_message(e)))?;
        Ok(())
    }

    pub(crate) async fn get(&self, item_key: Item) -> Result<Option<Item>, PortError> {
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
}
