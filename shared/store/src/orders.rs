//! Drops, stock, limits, orders and reservations.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | drop definition (+ `stock_shards`, the layout; `sold_out`, unsharded SKUs with no unit) | `DROPS` | `DROP#id` |
//! | stock of one unsharded SKU | `DROP#id` | `SKU#sku` (`available`, `reserved`, `sold`) |
//! | stock shard k of a sharded SKU | `DROP#id#SHARD#k` | `SKU#sku#k` (same, + `sku`, `shard`) |
//! | shards of a SKU seen empty (the sold-out hint) | `DROP#id` | `EMPTY#sku` (`shards`, a number set) |
//! | a customer's units in a drop | `CUSTOMER#cid` | `LIMIT#drop` or `LIMIT#drop#sku` (`units`) |
//! | a conversation-only customer linked to a phone | `CUSTOMER#conv:…` | `LINK` (`to`) |
//! | a person's lifetime paid, per currency (`lifetime.rs`) | `CUSTOMER#cid` | `PAID` |
//! | order (+ `stock_shards`: the shard of each stock take) | `ORDER#id` | `ORDER` |
//! | notice sent about an order | `ORDER#id` | `NOTICE#kind` |
//! | pay link (no longer written: the token carries the order id) | `PAY#token` | `PAYLINK` |
//! | an order of a conversation | `CONV#channel#customer` | `ORDER#created#id` |
//! | open reservation, by expiry | `RESERVATIONS#shard` | `expires#id` |
//! | processed provider event | `STRIPE#event` | `EVENT` |
//!
//! Stock moves only inside transactions whose conditions guard it: a reservation takes
//! `available` only while `available >= quantity`, together with the limit counters and the
//! order; a release or a sale moves the same units back or on, conditional on the order's
//! status, so no event can apply twice. The reservation index is sharded so a flash crowd does
//! not write one hot partition.
//!
//! # Hot SKUs: stock shards
//!
//! Every reservation of a SKU writes its stock counter, and DynamoDB writes one partition at
//! about 1,000 write units a second, a transactional write costing two per KB. A drop whose
//! crowd exceeds that is throttled on one item however large the table, and concurrent
//! transactions on the item cancel each other (`TransactionConflict`). So a SKU may be created
//! split into N shards ([`StockShards`]): N counters, each in a partition of its own
//! (`DROP#id#SHARD#k`, so the split does not wait for DynamoDB to split a hot partition), the
//! units dealt evenly over them ([`spread_stock`]). Unsplit SKUs keep the single `SKU#sku`
//! item, so drops from before sharding read and sell unchanged.
//!
//! A reservation starts at a random shard and, when that shard's guard refuses, tries the
//! others in rotated order; every attempt is the same one transaction with another stock item,
//! so a unit is still taken exactly when everything else of the order is written. The order
//! records the shard of each take (`stock_shards`, next to `stock` in the order item; the domain
//! order does not need to know), and its release, expiry or sale moves units on exactly that
//! shard. No shard can go below zero, and the shards' sum is the stock, so sharding cannot
//! oversell. A multi-unit take comes from one shard; near the end such an order can hear
//! "sold out" while single units remain on several shards (those still sell to others).
//!
//! ## Knowing it is sold out without trying every shard
//!
//! Once the stock is gone every further buyer would fail on N shards, at the price of N
//! transactions. A per-SKU hint records which shards were seen empty: a reservation reads it
//! first (one eventually consistent read), skips the listed shards, and answers "sold out" at
//! once when all are listed. The hint is safe because of how it is written:
//!
//! - a shard is added only by a transaction that also checks, on the shard itself, that
//!   `available` is 0 at that instant: a refusal followed by a release cannot leave a stale
//!   entry behind (the check fails, nothing is added);
//! - every release or expiry that returns units to a shard removes it from the hint in the same
//!   transaction, so a listed shard is empty for as long as it stays listed;
//! - the hint only ever steers which shards are tried: the stock guards decide. A stale read
//!   that misses an entry costs one refused attempt; one that still lists a shard just refilled
//!   answers one buyer "sold out" within the read's replication lag, and the next read sees the
//!   release, so a false sold-out cannot stick. When the shards tried run out, the hint is read
//!   again consistently before "sold out" is answered, so shards freed meanwhile are tried.
//!
//! ## Sold out in the drops read, for unsharded SKUs
//!
//! An unsharded SKU has one stock item, so its hint would be one more read per sale. Instead
//! its sold-out state rides on the drop's own item (`sold_out`, a string set of SKUs), which
//! every checkout reads anyway (`drops()`): a flagged SKU is answered "sold out" from that read,
//! with no transaction. The flag keeps the hint's rules: it is added only by a transaction that
//! checks `available <= 0` on the stock item (by the first buyer the stock guard refused), and
//! every write that returns units to a stock item (a release, a waitlist hold given back)
//! deletes the SKU from the set in the same transaction, so a flag never outlives a unit
//! coming back. Releases of sharded SKUs leave the drop item alone: at thousands of releases a
//! second that one item would be a hot partition; their hint does the job. The flags are kept
//! per process with the time of the drops read and trusted for a few seconds only
//! (`FLAGS_FRESH`), i.e. always from the checkout's own read.
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
//!
//! # Capacity arithmetic
//!
//! Measured item sizes of one reservation (one unit, a drop-wide limit; printed by
//! `cargo xtask test -p chatdrop-store --test sharded_stock -- --nocapture`): stock shard 79 B,
//! limit counter 41 B, order 421 B, conversation pointer 82 B, reservation index 64 B. K = 5
//! items, each under 1 KB, so each is 1 write unit and, in a transaction, 2: 10 WCU per
//! reservation, of which 2 land on the SKU's stock item. A checkout's sale adds the session and
//! the marker to the same transaction (`reserve_and_commit`; `tests/sale_calls.rs` counts it).
//!
//! - One partition takes 1,000 WCU/s, so one stock item carries 1,000 / 2 = **500
//!   reservations/s**, whatever the rest of the table can do (and less under contention:
//!   `TransactionConflict`s are retried, each refused attempt costs capacity too).
//! - N shards in N partitions carry **500 × N reservations/s** per SKU: 8 shards 4,000/s.
//! - 10,000 reservations/s per SKU needs N ≥ 10,000 / 500 = **20**; 32 leaves headroom for
//!   buyers spreading unevenly and shard keys hashing onto shared partitions (a new on-demand
//!   table has few partitions: set warm throughput before the drop so they exist).
//!
//! The same arithmetic bounds what every SKU shares: the reservation index has 8 partitions,
//! 8 × 500 = 4,000 reservations/s in all (10,000/s needs ≥ 20 index shards; changing
//! `RESERVATION_SHARDS` moves where open reservations are found, so it needs a migration);
//! the table takes 10,000 × 10 = 100,000 WCU/s for the reservations alone (more with each
//! checkout's session and marker), over twice an on-demand table's default 40,000 WCU/s
//! quota; and the sold-out hint is read by every buyer of a sharded SKU, 0.5 RCU
//! an eventually consistent read against 3,000 RCU/s per partition, i.e. 6,000 reads/s, below
//! 10,000: at that rate it must be cached for a moment per warm function (safe by the argument
//! above: a stale hint costs one attempt or one momentary sold-out).

use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use chatdrop_domain::channel::{ConversationId, short_hash};
use chatdrop_domain::drops::{Drop, DropStatus, StockShards, spread_stock};
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::{OrderStore, PaidOutcome, PortError, ReserveError, SaleCommit};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Shards of the reservation index.
pub(crate) const RESERVATION_SHARDS: u32 = 8;
/// Provider events and notices are kept long enough to outlast every redelivery.
const EVENT_TTL: i64 = 30 * 24 * 3600;
/// Attempts of a transaction that DynamoDB cancelled without deciding it (conflict, throttling).
const TX_ATTEMPTS: u32 = 6;
/// First backoff step; it doubles up to [`BACKOFF_CAP_MS`].
const BACKOFF_BASE_MS: u64 = 20;
const BACKOFF_CAP_MS: u64 = 320;
/// DynamoDB's ceiling on the items of one transaction.
const MAX_TX_ITEMS: usize = 100;
/// The order attribute recording the shard of each stock take (`NULL` for an unsharded SKU).
const STOCK_SHARDS: &str = "stock_shards";

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

type LayoutCache = HashMap<(String, String), Arc<StockShards>>;

/// The drop item's attribute listing its unsharded SKUs seen sold out (a string set).
const SOLD_OUT: &str = "sold_out";
/// How long this process trusts sold-out flags it read with the drops. Every checkout reads
/// the drops just before it reserves, so a checkout's own read is always this fresh; the bound
/// only keeps a reservation made without that read (a waitlist take, a draw claim) from
/// trusting an old flag.
const FLAGS_FRESH: Duration = Duration::from_secs(5);

type FlagCache = HashMap<(String, String), (Instant, BTreeSet<String>)>;

/// Sold-out flags by (table, drop), as the latest drops read in this process saw them.
static SOLD_OUT_FLAGS: LazyLock<RwLock<FlagCache>> = LazyLock::new(Default::default);

/// Stock layouts by (table, drop), read once per process: a layout never changes after the
/// drop is created (creation fails if the drop exists), so a cached one is never stale.
static LAYOUTS: LazyLock<RwLock<LayoutCache>> = LazyLock::new(Default::default);

/// A cheap random number: std's randomly keyed SipHash over the clock, a counter and `salt`.
/// Good enough to spread buyers over shards and jitter backoff; no RNG crate needed.
fn random(salt: &str) -> u64 {
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
fn stock_key(drop: &str, sku: &str, shard: Option<u32>) -> Item {
    match shard {
        None => sku_key(drop, sku),
        Some(k) => key(format!("DROP#{drop}#SHARD#{k}"), format!("SKU#{sku}#{k}")),
    }
}

fn hint_key(drop: &str, sku: &str) -> Item {
    key(format!("DROP#{drop}"), format!("EMPTY#{sku}"))
}

fn shard_set(shard: u32) -> AttributeValue {
    AttributeValue::Ns(vec![shard.to_string()])
}

/// Updates that take `order`'s unsharded SKUs off their drops' sold-out flags, one per drop
/// (a transaction may touch an item once): whatever returns units to a stock item says in the
/// same transaction that the SKU is no longer sold out.
pub(crate) fn unflag_items(
    table: &str,
    order: &Order,
    shards: &[Option<u32>],
) -> Result<Vec<TransactWriteItem>, PortError> {
    let mut by_drop: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (take, shard) in order.stock.iter().zip(shards) {
        if shard.is_none() {
            by_drop
                .entry(&take.drop)
                .or_default()
                .push(take.sku.clone());
        }
    }
    by_drop
        .into_iter()
        .map(|(drop, skus)| unflag_item(table, drop, skus))
        .collect()
}

/// One update taking `skus` off `drop`'s sold-out flags.
pub(crate) fn unflag_item(
    table: &str,
    drop: &str,
    mut skus: Vec<String>,
) -> Result<TransactWriteItem, PortError> {
    skus.sort();
    skus.dedup();
    tx_update(
        table,
        update(key("DROPS", format!("DROP#{drop}")), "DELETE #flags :skus")
            // Never create a drop item that is not there.
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#flags", SOLD_OUT)
            .expression_attribute_values(":skus", AttributeValue::Ss(skus)),
    )
}

pub(crate) fn number(i: &Item, k: &str) -> i64 {
    match i.get(k) {
        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
        _ => 0,
    }
}

/// The recorded shard of each stock take, for the order item.
fn shards_attribute(shards: &[Option<u32>]) -> AttributeValue {
    AttributeValue::L(
        shards
            .iter()
            .map(|k| k.map_or(AttributeValue::Null(true), n))
            .collect(),
    )
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

pub(crate) fn sold_out(take: &chatdrop_domain::orders::StockTake) -> ReserveError {
    ReserveError::SoldOut {
        drop: take.drop.clone(),
        sku: take.sku.clone(),
    }
}

/// Appends `:note` to the order's attention list (see [`with_note`]).
const ADD_NOTE: &str = "attention = list_append(if_not_exists(attention, :no_notes), :note)";

/// The values [`ADD_NOTE`] needs, for `note`.
fn with_note(
    builder: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    note: &str,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    builder
        .expression_attribute_values(":no_notes", AttributeValue::L(Vec::new()))
        .expression_attribute_values(":note", AttributeValue::L(vec![s(note)]))
}

pub(crate) fn refused(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
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

/// The stock layout stored with a drop's definition (none: nothing is sharded).
fn layout_of(drop_item: &Item) -> Result<StockShards, PortError> {
    match drop_item.get(STOCK_SHARDS) {
        Some(v) => serde_dynamo::from_attribute_value(v.clone())
            .map_err(|e| PortError::new("decode stock layout", e)),
        None => Ok(StockShards::default()),
    }
}

/// Where one stock take of a reservation tries to take its units.
struct ShardChoice {
    /// Shards of the SKU; 1 is the unsharded counter.
    count: u32,
    /// Shards still worth trying, the current one first.
    queue: VecDeque<u32>,
    /// Shards whose guard refused this reservation.
    refused: BTreeSet<u32>,
    /// Where the rotation starts: random per reservation, so buyers spread over the shards.
    start: u32,
}

impl ShardChoice {
    fn new(count: u32, salt: &str, skip: &BTreeSet<u32>) -> ShardChoice {
        let start = (random(salt) % u64::from(count.max(1))) as u32;
        let mut choice = ShardChoice {
            count,
            queue: VecDeque::new(),
            refused: BTreeSet::new(),
            start,
        };
        choice.refill(skip);
        choice
    }

    /// Queues, in rotated order, the shards neither refused nor in `skip`.
    fn refill(&mut self, skip: &BTreeSet<u32>) {
        self.queue = (0..self.count)
            .map(|i| (self.start + i) % self.count)
            .filter(|k| !self.refused.contains(k) && !skip.contains(k))
            .collect();
    }

    /// The stock item to try now; `None` for the unsharded counter.
    fn current(&self) -> Option<u32> {
        if self.count > 1 {
            // Never empty when a transaction is built (an empty queue answers sold out); the
            // start shard is a safe default all the same, guarded like any other.
            Some(self.queue.front().copied().unwrap_or(self.start))
        } else {
            None
        }
    }
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

    /// Creates a drop and its stock counters, sharded as its SKUs ask; fails if a drop with
    /// that id exists.
    pub async fn create_drop(&self, drop: &Drop) -> Result<(), PortError> {
        self.create_sharded_drop(drop, &drop.stock_shards()).await
    }

    /// Creates a drop with the SKUs `layout` names split into stock shards (see the module
    /// doc), all in one transaction; fails if a drop with that id exists. Shards dealt no units
    /// (less stock than shards) start listed in the sold-out hint.
    pub async fn create_sharded_drop(
        &self,
        drop: &Drop,
        layout: &StockShards,
    ) -> Result<(), PortError> {
        let mut items = Vec::new();
        let mut item: Item =
            serde_dynamo::to_item(drop).map_err(|e| PortError::new("encode drop", e))?;
        item.extend(key("DROPS", format!("DROP#{}", drop.id)));
        if layout.any() {
            item.insert(
                STOCK_SHARDS.into(),
                serde_dynamo::to_attribute_value(layout)
                    .map_err(|e| PortError::new("encode stock layout", e))?,
            );
        }
        items.push(tx_put(&self.table, item, Some("attribute_not_exists(pk)"))?);
        for sku in &drop.skus {
            let shards = layout.of(&sku.sku);
            if shards == 1 {
                let mut counter = sku_key(&drop.id, &sku.sku);
                counter.insert("available".into(), n(sku.stock));
                counter.insert("reserved".into(), n(0));
                counter.insert("sold".into(), n(0));
                items.push(tx_put(
                    &self.table,
                    counter,
                    Some("attribute_not_exists(pk)"),
                )?);
                continue;
            }
            let mut empty = Vec::new();
            for (k, units) in (0..shards).zip(spread_stock(sku.stock, shards)) {
                let mut counter = stock_key(&drop.id, &sku.sku, Some(k));
                counter.insert("sku".into(), s(&sku.sku));
                counter.insert("shard".into(), n(k));
                counter.insert("available".into(), n(units));
                counter.insert("reserved".into(), n(0));
                counter.insert("sold".into(), n(0));
                items.push(tx_put(
                    &self.table,
                    counter,
                    Some("attribute_not_exists(pk)"),
                )?);
                if units == 0 {
                    empty.push(k.to_string());
                }
            }
            if !empty.is_empty() {
                let mut hint = hint_key(&drop.id, &sku.sku);
                hint.insert("shards".into(), AttributeValue::Ns(empty));
                items.push(tx_put(&self.table, hint, None)?);
            }
        }
        if items.len() > MAX_TX_ITEMS {
            return Err(PortError::new(
                "create drop",
                format!(
                    "drop {} needs {} items, more than one transaction's {MAX_TX_ITEMS}: use fewer shards",
                    drop.id,
                    items.len()
                ),
            ));
        }
        match self.transact(items).await? {
            TxResult::Done => {
                self.remember_layout(&drop.id, layout.clone());
                Ok(())
            }
            TxResult::Refused(_) => Err(PortError::new(
                "create drop",
                format!("drop {} already exists", drop.id),
            )),
        }
    }

    fn remember_layout(&self, drop: &str, layout: StockShards) -> Arc<StockShards> {
        let layout = Arc::new(layout);
        LAYOUTS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((self.table.clone(), drop.to_string()), layout.clone());
        layout
    }

    /// How the drop's SKUs are split: from this process's cache, else from the drop's item
    /// (once per process and drop). A drop that does not exist has no shards.
    pub async fn stock_layout(&self, drop: &str) -> Result<Arc<StockShards>, PortError> {
        let cached = LAYOUTS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(self.table.clone(), drop.to_string()))
            .cloned();
        if let Some(layout) = cached {
            return Ok(layout);
        }
        let Some(item) = self.get(key("DROPS", format!("DROP#{drop}"))).await? else {
            return Ok(Arc::new(StockShards::default()));
        };
        Ok(self.remember_layout(drop, layout_of(&item)?))
    }

    /// The stock counters of each shard of one SKU: (shard, available, reserved, sold); one
    /// row, shard 0, for an unsharded SKU.
    pub async fn shard_stock(
        &self,
        drop: &str,
        sku: &str,
    ) -> Result<Vec<(u32, i64, i64, i64)>, PortError> {
        let shards = self.stock_layout(drop).await?.of(sku);
        let mut rows = Vec::new();
        for k in 0..shards {
            let shard = (shards > 1).then_some(k);
            if let Some(i) = self.get(stock_key(drop, sku, shard)).await? {
                rows.push((
                    k,
                    number(&i, "available"),
                    number(&i, "reserved"),
                    number(&i, "sold"),
                ));
            }
        }
        Ok(rows)
    }

    /// The shards of a SKU listed in its sold-out hint, read consistently.
    pub async fn empty_shards(&self, drop: &str, sku: &str) -> Result<Vec<u32>, PortError> {
        Ok(self.hint(drop, sku, true).await?.into_iter().collect())
    }

    async fn hint(
        &self,
        drop: &str,
        sku: &str,
        consistent: bool,
    ) -> Result<BTreeSet<u32>, PortError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(hint_key(drop, sku)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| PortError::new("get stock hint", sdk_message(e)))?
            .item;
        Ok(match item.as_ref().and_then(|i| i.get("shards")) {
            Some(AttributeValue::Ns(set)) => set.iter().filter_map(|v| v.parse().ok()).collect(),
            _ => BTreeSet::new(),
        })
    }

    /// Lists `shard` in the SKU's sold-out hint, if and only if it is empty right now: the check
    /// on the shard and the write of the hint are one transaction, so a release that refilled
    /// the shard after our refusal leaves the hint alone.
    async fn mark_empty(&self, drop: &str, sku: &str, shard: u32) -> Result<(), PortError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(stock_key(drop, sku, Some(shard))))
            .condition_expression("available <= :zero")
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(|e| PortError::new("build condition check", e))?;
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            tx_update(
                &self.table,
                update(hint_key(drop, sku), "ADD shards :k")
                    .expression_attribute_values(":k", shard_set(shard)),
            )?,
        ];
        // Refused means the shard has units again: then it must not be listed.
        self.transact(items).await.map(|_| ())
    }

    /// Notes the sold-out flags of a drop item just read (see "Sold out in the drops read").
    fn remember_flags(&self, drop: &str, item: &Item) {
        let flags = match item.get(SOLD_OUT) {
            Some(AttributeValue::Ss(set)) => set.iter().cloned().collect(),
            _ => BTreeSet::new(),
        };
        SOLD_OUT_FLAGS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (self.table.clone(), drop.to_string()),
                (Instant::now(), flags),
            );
    }

    /// Whether the drops read moments ago flagged this unsharded SKU sold out.
    fn flagged_sold_out(&self, drop: &str, sku: &str) -> bool {
        SOLD_OUT_FLAGS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(self.table.clone(), drop.to_string()))
            .is_some_and(|(read, flags)| read.elapsed() < FLAGS_FRESH && flags.contains(sku))
    }

    /// Flags an unsharded SKU sold out on its drop's item, if and only if its stock item has no
    /// unit right now: the check and the flag are one transaction, as for the shard hint, so a
    /// release that came first leaves no flag behind.
    async fn flag_sold_out(&self, drop: &str, sku: &str) -> Result<(), PortError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(sku_key(drop, sku)))
            .condition_expression("available <= :zero")
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(|e| PortError::new("build condition check", e))?;
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            tx_update(
                &self.table,
                update(key("DROPS", format!("DROP#{drop}")), "ADD #flags :sku")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_names("#flags", SOLD_OUT)
                    .expression_attribute_values(":sku", AttributeValue::Ss(vec![sku.into()])),
            )?,
        ];
        // Refused: the SKU has units again (or the drop is gone); then no flag.
        self.transact(items).await.map(|_| ())
    }

    /// The shard each stock take of `order` took from, as recorded when it was reserved; read
    /// from the order's item only when one of its SKUs is sharded.
    async fn recorded_shards(&self, order: &Order) -> Result<Vec<Option<u32>>, PortError> {
        let mut sharded = false;
        for take in &order.stock {
            sharded |= self.stock_layout(&take.drop).await?.of(&take.sku) > 1;
        }
        if !sharded {
            return Ok(vec![None; order.stock.len()]);
        }
        let item = self
            .get(order_key(&order.id))
            .await?
            .ok_or_else(|| PortError::new("read order shards", "order vanished"))?;
        let Some(AttributeValue::L(list)) = item.get(STOCK_SHARDS) else {
            return Err(PortError::new(
                "read order shards",
                format!("order {} of a sharded SKU has no {STOCK_SHARDS}", order.id),
            ));
        };
        if list.len() != order.stock.len() {
            return Err(PortError::new(
                "read order shards",
                format!(
                    "order {}: {STOCK_SHARDS} does not match its stock",
                    order.id
                ),
            ));
        }
        Ok(list
            .iter()
            .map(|v| match v {
                AttributeValue::N(k) => k.parse().ok(),
                _ => None,
            })
            .collect())
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
        let mut drops = Vec::new();
        for item in out.items.unwrap_or_default() {
            let drop: Drop = serde_dynamo::from_item(item.clone())
                .map_err(|e| PortError::new("decode drop", e))?;
            // Every checkout reads the drops first: its reservation then finds the layout here.
            self.remember_layout(&drop.id, layout_of(&item)?);
            self.remember_flags(&drop.id, &item);
            drops.push(drop);
        }
        Ok(drops)
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

    /// Stock counters of a drop: (sku, available, reserved, sold), by SKU, each the sum over
    /// the SKU's shards.
    pub async fn drop_stock(&self, id: &str) -> Result<Vec<(String, i64, i64, i64)>, PortError> {
        let layout = self.stock_layout(id).await?;
        let mut partitions = vec![format!("DROP#{id}")];
        if layout.any() {
            partitions.extend((0..layout.max()).map(|k| format!("DROP#{id}#SHARD#{k}")));
        }
        let mut totals: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for pk in partitions {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :sku)")
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":sku", s("SKU#"))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| PortError::new("query stock", sdk_message(e)))?;
            for i in out.items.unwrap_or_default() {
                // Shards carry their SKU; an unsharded counter has it only in its key.
                let sku = match (i.get("sku"), i.get("sk")) {
                    (Some(AttributeValue::S(sku)), _) => sku.clone(),
                    (_, Some(AttributeValue::S(sk))) => sk.trim_start_matches("SKU#").to_string(),
                    _ => String::new(),
                };
                let total = totals.entry(sku).or_default();
                total.0 += number(&i, "available");
                total.1 += number(&i, "reserved");
                total.2 += number(&i, "sold");
            }
        }
        Ok(totals
            .into_iter()
            .map(|(sku, (available, reserved, sold))| (sku, available, reserved, sold))
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

    /// `reserved` → `to`, returning the order's stock and limit units, with `note` added to
    /// its attention list when given; `Ok(false)` when the order had already left `reserved`.
    async fn release_noting(
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

    /// The reservation's transaction, taking each stock take from `shards`: the items, the
    /// index of the first limit counter and the index of the order (to read the cancellation
    /// reasons). Stock takes come first, in order.
    pub(crate) fn reserve_items(
        &self,
        order: &Order,
        shards: &[Option<u32>],
    ) -> Result<(Vec<TransactWriteItem>, usize, usize), PortError> {
        let mut items = Vec::new();
        for (take, shard) in order.stock.iter().zip(shards) {
            items.push(tx_update(
                &self.table,
                update(
                    stock_key(&take.drop, &take.sku, *shard),
                    "SET available = available - :q, reserved = reserved + :q",
                )
                // The waitlist's gate: while anyone waits for this SKU, returned units are
                // theirs (`crate::waitlist`); only unsharded stock items ever carry `waiting`.
                .condition_expression(
                    "available >= :q AND (attribute_not_exists(waiting) OR waiting <= :zero)",
                )
                .expression_attribute_values(":q", n(take.quantity))
                .expression_attribute_values(":zero", n(0)),
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
        if shards.iter().any(Option::is_some) {
            order_item.insert(STOCK_SHARDS.into(), shards_attribute(shards));
        }
        items.push(tx_put(
            &self.table,
            order_item,
            Some("attribute_not_exists(pk)"),
        )?);
        // No `PAY#token` item: the token carries the order id (`ids::order_id_in_token`), and
        // the order stores the token, so a link item would only repeat the order (2 WCU).
        let mut pointer = key(
            format!("CONV#{}", order.conversation.key()),
            format!("ORDER#{:010}#{}", order.created_at, order.id),
        );
        pointer.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, pointer, None)?);
        let mut reservation = reservation_key(order);
        reservation.insert("order".into(), s(&order.id));
        items.push(tx_put(&self.table, reservation, None)?);
        Ok((items, limits_start, order_index))
    }

    /// A reservation's transaction, with `extra` items written in it (a conversation's commit):
    /// see the module doc. A refusal of an extra item alone (the session moved on, the marker
    /// exists) is neither sold out nor over a limit: it comes back as a `PortError`, which the
    /// queue retries, and nothing was written.
    async fn reserve_with(
        &self,
        order: &Order,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), ReserveError> {
        // Where each take starts: a random shard of a sharded SKU, skipping those the hint
        // lists; all listed means sold out without a write.
        let mut choices = Vec::with_capacity(order.stock.len());
        for take in &order.stock {
            let count = self.stock_layout(&take.drop).await?.of(&take.sku);
            if count == 1 && self.flagged_sold_out(&take.drop, &take.sku) {
                // Answered from the drops read this checkout just made: no transaction.
                return Err(sold_out(take));
            }
            let empty = if count > 1 {
                self.hint(&take.drop, &take.sku, false).await?
            } else {
                BTreeSet::new()
            };
            if empty.len() >= count as usize {
                return Err(sold_out(take));
            }
            choices.push(ShardChoice::new(count, &order.id, &empty));
        }
        let total: u32 = choices.iter().map(|c| c.count).sum();
        // Every round either ends or refuses a shard of some take; a consistent re-read of the
        // hint may queue shards released meanwhile, hence the slack.
        for _ in 0..2 * total + 2 {
            let shards: Vec<Option<u32>> = choices.iter().map(ShardChoice::current).collect();
            let (mut items, limits_start, order_index) = self.reserve_items(order, &shards)?;
            items.extend(extra.iter().cloned());
            let reasons = match self.transact(items).await? {
                TxResult::Done => return Ok(()),
                TxResult::Refused(reasons) => reasons,
            };
            let failed = |i: usize| reasons.get(i).is_some_and(refused);
            if failed(order_index) {
                return Err(ReserveError::AlreadyExists);
            }
            let short: Vec<usize> = (0..order.stock.len()).filter(|i| failed(*i)).collect();
            let over = (0..order.limits.len()).find(|i| failed(limits_start + i));
            if short.is_empty() && over.is_none() {
                return Err(ReserveError::Port(PortError::new(
                    "reserve",
                    format!("transaction cancelled: {reasons:?}"),
                )));
            }
            // An unsharded SKU that refused is sold out, as before sharding.
            if let Some(i) = short.iter().find(|i| choices[**i].count == 1) {
                let take = &order.stock[*i];
                // So the next buyers hear it from the drops read, without a transaction.
                if let Err(e) = self.flag_sold_out(&take.drop, &take.sku).await {
                    tracing::warn!(error = %e, drop = %take.drop, sku = %take.sku, "could not flag a SKU sold out");
                }
                return Err(sold_out(take));
            }
            if let Some(i) = over {
                let limit = &order.limits[i];
                return Err(ReserveError::OverLimit {
                    drop: limit.drop.clone(),
                    sku: limit.sku.clone(),
                    limit: limit.limit,
                });
            }
            for i in short {
                let take = &order.stock[i];
                let choice = &mut choices[i];
                if let Some(k) = choice.queue.pop_front() {
                    choice.refused.insert(k);
                    if let Err(e) = self.mark_empty(&take.drop, &take.sku, k).await {
                        // Only a hint: the next buyer tries the shard once more.
                        tracing::warn!(error = %e, drop = %take.drop, sku = %take.sku, shard = k, "could not mark a shard empty");
                    }
                }
                // Others may have found more shards empty meanwhile: a read is cheaper than a
                // refused transaction on each of them.
                choice.refill(&self.hint(&take.drop, &take.sku, false).await?);
                if choice.queue.is_empty() {
                    // Before saying sold out, look again consistently: a release may have
                    // refilled a shard since (and removed it from the hint).
                    choice.refill(&self.hint(&take.drop, &take.sku, true).await?);
                    if choice.queue.is_empty() {
                        return Err(sold_out(take));
                    }
                }
            }
        }
        Err(ReserveError::Port(PortError::new(
            "reserve",
            "stock kept moving between the shards",
        )))
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
