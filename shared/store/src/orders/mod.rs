//! Drops, stock, limits, orders and reservations.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | drop definition (+ `stock_shards`, the layout; `sold_out`, unsharded SKUs with no unit) | `DROPS` | `DROP#id` |
//! | the drops' generation (`generation`: +1 by each create, open, close; `drop_list.rs`) | `DROPLIST` | `GENERATION` |
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
//! # Where things are
//!
//! One concept a file, from the table's items up to the port:
//!
//! - [`keys`]: the table above in code: each item's key, the shard attributes of an order.
//! - [`transact`]: writing: transaction-item builders and
//!   [`DynamoStore::transact`](crate::DynamoStore::transact), which retries with back-off what
//!   DynamoDB cancelled without deciding (the retryable reasons, the conflict hook the tests
//!   inject); plain gets and puts.
//! - [`shards`]: hot SKUs split into stock shards: the layout, created with the drop and cached
//!   per process, the stock of each shard, and the shard each order took from.
//! - [`hints`]: knowing a SKU is sold out without a transaction: the hint of empty shards, the
//!   sold-out flags on the drop's item, and the writes that clear them when units come back.
//! - [`drops`]: the drops read every checkout makes, a drop's status, its stock totals.
//! - [`drop_list`]: the drops in the checkout's first read (one `BatchGetItem` with the marker
//!   and the session), kept honest by a generation counter every create, open and close moves.
//! - [`reserve`]: the reservation's transaction and its walk over a SKU's shards.
//! - [`transitions`]: releases (units back), shipping, refunds, and the list of all orders.
//! - [`order_store`]: the domain's `OrderStore` port over all of it, `mark_paid` included.
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
//! in [`hints`]: a stale hint costs one attempt or one momentary sold-out).

mod drop_list;
mod drops;
mod hints;
mod keys;
mod order_store;
mod reserve;
mod shards;
mod transact;
mod transitions;

pub(crate) use hints::{sold_out, unflag_item};
pub(crate) use keys::{Item, RESERVATION_SHARDS, key, number, order_key, sku_key};
pub(crate) use transact::{TxResult, refused, tx_delete, tx_put, tx_update, update};
