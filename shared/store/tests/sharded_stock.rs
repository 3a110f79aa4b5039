//! Sharded stock and undecided transactions, against moto: a SKU split over N stock items sells
//! exactly its stock, every order's release or sale moves units on the shard it took them
//! from, the sold-out hint never outlives a release, and transactions DynamoDB cancels for
//! `TransactionConflict` are retried without ever turning into a sold-out answer.
//!
//! Moto serializes transactions, so conflicts are injected with
//! `DynamoStore::inject_conflicts`: the hook cancels a transaction before it reaches moto, as
//! DynamoDB cancels one that lost a race. Run through `cargo xtask test -p chatdrop-store
//! --test sharded_stock` (it starts moto); `-- --nocapture` prints the item sizes behind the
//! capacity arithmetic in `orders/mod.rs`.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus, StockShards};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::{LimitTake, Order, OrderLine, OrderStatus, StockTake};
use chatdrop_domain::ports::{OrderStore, PaidOutcome, ReserveError};
use chatdrop_store::DynamoStore;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

type Item = HashMap<String, AttributeValue>;

const NOW: i64 = 1_900_000_000;

fn drop_of(id: &str, stock: u32) -> Drop {
    Drop {
        id: id.into(),
        name: "Hot drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    }
}

/// A one-unit order of `drop`'s bag by customer `n`, counting against a limit of 1.
fn order(drop: &str, n: u32) -> Order {
    Order {
        id: format!("order-{drop}-{n:05}"),
        conversation: ConversationId::new(Channel::Whatsapp, format!("55110{n:07}")),
        lang: Lang::EN,
        customer: format!("55110{n:07}"),
        lines: vec![OrderLine {
            product: "drop-bag".into(),
            name: "Drop Bag".into(),
            item: "Drop Bag (Black, Canvas strap)".into(),
            selections: Vec::new(),
            unit_price: 12_000,
            quantity: 1,
        }],
        currency: Currency::USD,
        total: 12_000,
        status: OrderStatus::Reserved,
        created_at: NOW,
        expires_at: NOW + 900,
        pay_token: format!("tok-{drop}-{n:05}"),
        stock: vec![StockTake {
            drop: drop.into(),
            sku: "drop-bag".into(),
            quantity: 1,
        }],
        limits: vec![LimitTake {
            drop: drop.into(),
            sku: None,
            quantity: 1,
            limit: 1,
        }],
        checkout_session: None,
        checkout_url: None,
        tracking: None,
        attention: Vec::new(),
        payment_offer: Default::default(),
        market_zone: None,
        opened_at: None,
    }
}

async fn sharded(test: &str, drop: &str, stock: u32, shards: u32) -> DynamoStore {
    let store = common::fresh_store(test).await;
    store
        .create_sharded_drop(
            &drop_of(drop, stock),
            &StockShards::default().with("drop-bag", shards),
        )
        .await
        .expect("drop created");
    store
}

/// `available` of each shard.
async fn available(store: &DynamoStore, drop: &str) -> Vec<i64> {
    store
        .shard_stock(drop, "drop-bag")
        .await
        .expect("shard stock")
        .into_iter()
        .map(|(_, a, _, _)| a)
        .collect()
}

/// The shard an order took from, as recorded on its item.
async fn recorded_shard(store: &DynamoStore, order: &Order) -> u32 {
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("ORDER#{}", order.id)))
        .key("sk", AttributeValue::S("ORDER".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get order")
        .item
        .expect("order exists");
    match item.get("stock_shards") {
        Some(AttributeValue::L(list)) => match list.as_slice() {
            [AttributeValue::N(k)] => k.parse().expect("a shard number"),
            other => panic!("one shard per take expected: {other:?}"),
        },
        other => panic!("no stock_shards on the order: {other:?}"),
    }
}

/// A hook that cancels the next `k` transactions, counting what it injected.
fn next_conflicts(k: u32) -> (Arc<AtomicU32>, Arc<dyn Fn() -> bool + Send + Sync>) {
    let injected = Arc::new(AtomicU32::new(0));
    let counter = injected.clone();
    let hook = move || {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < k).then_some(n + 1)
            })
            .is_ok()
    };
    (injected, Arc::new(hook))
}

#[tokio::test]
async fn stock_is_dealt_over_the_shards_and_status_sums_them() {
    let store = sharded("dealt", "hot", 100, 8).await;
    assert_eq!(
        available(&store, "hot").await,
        [13, 13, 13, 13, 12, 12, 12, 12]
    );
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 100, 0, 0)]
    );
    assert!(
        store
            .empty_shards("hot", "drop-bag")
            .await
            .unwrap()
            .is_empty()
    );
    // A cold store (another process) reads the layout from the drop's item.
    let cold = DynamoStore::new(store.client().clone(), store.table());
    assert_eq!(cold.stock_layout("hot").await.unwrap().of("drop-bag"), 8);
    // An unsharded drop next to it keeps its single counter.
    store.create_drop(&drop_of("plain", 5)).await.unwrap();
    assert_eq!(
        store.drop_stock("plain").await.unwrap(),
        [("drop-bag".to_string(), 5, 0, 0)]
    );
    assert_eq!(
        store.shard_stock("plain", "drop-bag").await.unwrap(),
        [(0, 5, 0, 0)]
    );
}

#[tokio::test]
async fn an_order_is_released_and_sold_on_the_shard_it_took_from() {
    let store = sharded("same-shard", "hot", 16, 4).await;
    let mut orders = Vec::new();
    for n in 0..6 {
        let o = order("hot", n);
        store.reserve(&o).await.expect("reserved");
        orders.push(o);
    }
    let mut taken = [0i64; 4];
    for o in &orders {
        taken[recorded_shard(&store, o).await as usize] += 1;
    }
    let after: Vec<i64> = available(&store, "hot").await;
    assert_eq!(
        after,
        taken.iter().map(|t| 4 - t).collect::<Vec<_>>(),
        "each order took its unit from the shard it recorded"
    );

    // Expire one: its unit goes back to exactly its shard.
    let expired = &orders[0];
    let shard = recorded_shard(&store, expired).await as usize;
    assert!(store.release(expired, OrderStatus::Expired).await.unwrap());
    let mut expected = after.clone();
    expected[shard] += 1;
    assert_eq!(available(&store, "hot").await, expected);
    assert!(
        !store.release(expired, OrderStatus::Expired).await.unwrap(),
        "a second release changes nothing"
    );
    assert_eq!(available(&store, "hot").await, expected);

    // Pay another: reserved → sold on its shard.
    let paid = &orders[1];
    let shard = recorded_shard(&store, paid).await as usize;
    assert_eq!(store.mark_paid(paid).await.unwrap(), PaidOutcome::Paid);
    let rows = store.shard_stock("hot", "drop-bag").await.unwrap();
    assert_eq!(rows[shard].3, 1, "sold on its own shard: {rows:?}");
    assert_eq!(rows.iter().map(|r| r.3).sum::<i64>(), 1);
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 16 - 5, 4, 1)]
    );
}

#[tokio::test]
async fn a_late_payment_takes_from_the_fullest_shard_and_records_it() {
    let store = sharded("late", "hot", 5, 2).await;
    let o = order("hot", 1);
    store.reserve(&o).await.unwrap();
    let first = recorded_shard(&store, &o).await;
    assert!(store.release(&o, OrderStatus::Expired).await.unwrap());
    // Another buyer takes a unit meanwhile; the late payment still finds one.
    store.reserve(&order("hot", 2)).await.unwrap();
    let before = available(&store, "hot").await;
    assert_eq!(
        store.mark_paid(&o).await.unwrap(),
        PaidOutcome::PaidAfterLapse
    );
    let now = recorded_shard(&store, &o).await;
    let fullest = (0..2usize)
        .max_by_key(|k| (before[*k], *k == first as usize))
        .unwrap();
    assert_eq!(now as usize, fullest, "before {before:?}, first {first}");
    let rows = store.shard_stock("hot", "drop-bag").await.unwrap();
    assert_eq!(
        rows[now as usize].3, 1,
        "sold on the shard it recorded: {rows:?}"
    );
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 3, 1, 1)]
    );
}

#[tokio::test]
async fn the_last_units_sell_then_sold_out_is_known_and_a_release_reopens_it() {
    // 3 units over 4 shards: shard 3 is dealt nothing and starts in the hint.
    let store = sharded("hint", "hot", 3, 4).await;
    assert_eq!(available(&store, "hot").await, [1, 1, 1, 0]);
    assert_eq!(store.empty_shards("hot", "drop-bag").await.unwrap(), [3]);
    let orders: Vec<Order> = (0..3).map(|n| order("hot", n)).collect();
    for o in &orders {
        store.reserve(o).await.expect("a unit is left somewhere");
    }
    let late = order("hot", 99);
    assert!(matches!(
        store.reserve(&late).await,
        Err(ReserveError::SoldOut { .. })
    ));
    assert_eq!(
        available(&store, "hot").await,
        [0, 0, 0, 0],
        "never below zero"
    );
    assert_eq!(
        store.empty_shards("hot", "drop-bag").await.unwrap(),
        [0, 1, 2, 3],
        "the refusals listed every shard"
    );

    // Sold out is now answered from the hint alone: with every transaction cancelled, a
    // reservation that wrote anything would fail with a port error instead.
    store.inject_conflicts(Some(Arc::new(|| true)));
    assert!(matches!(
        store.reserve(&order("hot", 100)).await,
        Err(ReserveError::SoldOut { .. })
    ));
    store.inject_conflicts(None);

    // A release refills one shard and clears it from the hint in the same transaction.
    let shard = recorded_shard(&store, &orders[1]).await;
    assert!(
        store
            .release(&orders[1], OrderStatus::Cancelled)
            .await
            .unwrap()
    );
    let hint = store.empty_shards("hot", "drop-bag").await.unwrap();
    assert!(
        !hint.contains(&shard),
        "shard {shard} still listed: {hint:?}"
    );
    store
        .reserve(&late)
        .await
        .expect("the released unit sells again");
    assert_eq!(recorded_shard(&store, &late).await, shard);
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 0, 3, 0)]
    );
}

#[tokio::test]
async fn a_conflicted_reservation_is_retried_and_takes_its_unit_once() {
    for shards in [1, 8] {
        let store = sharded(&format!("conflict{shards}"), "hot", 10, shards).await;
        let (injected, hook) = next_conflicts(3);
        store.inject_conflicts(Some(hook));
        let o = order("hot", 1);
        store.reserve(&o).await.expect("reserved after the retries");
        assert_eq!(
            injected.load(Ordering::SeqCst),
            3,
            "three attempts were cancelled"
        );
        assert_eq!(
            store.drop_stock("hot").await.unwrap(),
            [("drop-bag".to_string(), 9, 1, 0)],
            "{shards} shard(s): one unit taken, once"
        );
        assert!(
            matches!(store.reserve(&o).await, Err(ReserveError::AlreadyExists)),
            "the order was written exactly once"
        );
        store.inject_conflicts(None);
    }
}

#[tokio::test]
async fn a_reservation_that_keeps_conflicting_is_an_error_not_sold_out() {
    let store = sharded("always", "hot", 10, 4).await;
    let (injected, hook) = next_conflicts(u32::MAX);
    store.inject_conflicts(Some(hook));
    let started = std::time::Instant::now();
    let result = store.reserve(&order("hot", 1)).await;
    let waited = started.elapsed();
    store.inject_conflicts(None);
    assert!(
        matches!(result, Err(ReserveError::Port(_))),
        "a conflict is retryable, never sold out: {result:?}"
    );
    assert_eq!(injected.load(Ordering::SeqCst), 6, "six attempts");
    // Five waits of 10–20, 20–40, 40–80, 80–160 and 160–320 ms.
    assert!(
        waited >= std::time::Duration::from_millis(310),
        "backed off: {waited:?}"
    );
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 10, 0, 0)]
    );
}

#[tokio::test]
async fn concurrent_buyers_with_random_conflicts_sell_exactly_the_stock() {
    const STOCK: u32 = 40;
    const BUYERS: u32 = 120;
    let store = Arc::new(sharded("crowd", "hot", STOCK, 8).await);
    let injected = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicU32::new(0));
    let (i, n) = (injected.clone(), seen.clone());
    // Every fifth transaction conflicts (a fixed pattern: reproducible).
    store.inject_conflicts(Some(Arc::new(move || {
        let conflict = n.fetch_add(1, Ordering::SeqCst) % 5 == 0;
        if conflict {
            i.fetch_add(1, Ordering::SeqCst);
        }
        conflict
    })));
    let mut tasks = Vec::new();
    for b in 0..BUYERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.reserve(&order("hot", b)).await
        }));
    }
    let (mut reserved, mut sold_out) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(()) => reserved += 1,
            Err(ReserveError::SoldOut { .. }) => sold_out += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    store.inject_conflicts(None);
    assert_eq!((reserved, sold_out), (STOCK, BUYERS - STOCK));
    assert!(injected.load(Ordering::SeqCst) > 0);
    let rows = store.shard_stock("hot", "drop-bag").await.unwrap();
    assert!(rows.iter().all(|r| r.1 == 0 && r.2 >= 0), "{rows:?}");
    assert_eq!(
        store.drop_stock("hot").await.unwrap(),
        [("drop-bag".to_string(), 0, i64::from(STOCK), 0)]
    );
    eprintln!(
        "sharded_stock: {BUYERS} buyers, {STOCK} units, 8 shards: {reserved} reserved, {sold_out} sold out, {} of {} transactions conflicted (injected)",
        injected.load(Ordering::SeqCst),
        seen.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn the_items_of_one_reservation_and_what_they_cost() {
    let store = sharded("sizes", "hot", 100, 8).await;
    let before: Vec<Item> = scan(&store).await;
    let o = order("hot", 1);
    store.reserve(&o).await.unwrap();
    let written: Vec<Item> = scan(&store)
        .await
        .into_iter()
        .filter(|i| !before.contains(i))
        .collect();
    let label = |i: &Item| match (i.get("pk"), i.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => format!("{pk} / {sk}"),
        _ => "?".into(),
    };
    let mut transactional_wcu = 0;
    eprintln!("item sizes of one reservation (1 unit, drop limit, 8 shards):");
    for i in &written {
        let size = chatdrop_store::capacity::item_size(i);
        let wcu = 2 * size.div_ceil(1024);
        transactional_wcu += wcu;
        eprintln!("  {:<60} {size:>5} B  {wcu} WCU", label(i));
    }
    eprintln!(
        "  {} items, {transactional_wcu} WCU per reservation",
        written.len()
    );
    // The stock shard (changed, not new) is the item every buyer of the SKU writes.
    let shard = recorded_shard(&store, &o).await;
    let shard_item = scan(&store)
        .await
        .into_iter()
        .find(|i| i.get("sk") == Some(&AttributeValue::S(format!("SKU#drop-bag#{shard}"))))
        .expect("the shard item");
    let shard_size = chatdrop_store::capacity::item_size(&shard_item);
    eprintln!(
        "  stock shard {} {shard_size} B: {} WCU per reservation, so 1000 / {} = {} reservations/s per shard",
        label(&shard_item),
        2 * shard_size.div_ceil(1024),
        2 * shard_size.div_ceil(1024),
        1000 / (2 * shard_size.div_ceil(1024))
    );
    assert!(shard_size < 1024, "a stock shard fits one write unit");
    // The shard, the limit counter, the order, the conversation's pointer and the reservation
    // index: five items, each under 1 KB, so 2 WCU each in a transaction (no pay link item: the
    // token names its order).
    assert_eq!(written.len(), 5, "{written:#?}");
    assert_eq!(transactional_wcu, 10);
}

async fn scan(store: &DynamoStore) -> Vec<Item> {
    store
        .client()
        .scan()
        .table_name(store.table())
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}
