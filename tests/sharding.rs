//! A flash crowd on a hot SKU whose stock is split over 8 shards, end to end through the
//! payment function's checkout logic on the real store: it sells exactly the stock, with and
//! without DynamoDB-style `TransactionConflict`s injected into a fifth of the transactions; no
//! shard ever goes below zero, the shards always add up to the stock, and expired or paid
//! reservations move units on exactly the shard they came from.
//!
//! Moto serializes transactions and never conflicts, so conflicts are injected with
//! `DynamoStore::inject_conflicts` on the stack's table (every store on the table sees the
//! hook). The figures print with
//! `cargo xtask test -p chatdrop-e2e --test sharding -- --nocapture`.

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::StockShards;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::{OrderStore, PaidOutcome, SessionStore};
use chatdrop_e2e::{Harness, bag_drop};
use chatdrop_store::DynamoStore;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use xtask::crowd::{self, Captured, got_pay_link, plain_bag, text_of};

const BUYERS: usize = 250;
const STOCK: u32 = 100;
const SHARDS: u32 = 8;
/// Concurrent checkouts: more only queue up on moto's lock.
const IN_FLIGHT: usize = 16;
/// Share of transactions cancelled as conflicts in the second run, in percent.
const CONFLICT_PERCENT: u64 = 20;

/// One buyer's cart (a plain Drop Bag), seeded straight into the store.
async fn seed_cart(store: &impl SessionStore, conversation: &ConversationId) {
    crowd::seed_cart(store, conversation, "drop-bag", plain_bag(), None)
        .await
        .unwrap();
}

fn checkout_message(conversation: &ConversationId, n: usize) -> InboundMessage {
    crowd::checkout_message(conversation, n, SystemClock.now())
}

async fn shards(store: &DynamoStore, drop: &str) -> Vec<(i64, i64, i64)> {
    store
        .shard_stock(drop, "drop-bag")
        .await
        .unwrap()
        .into_iter()
        .map(|(_, a, r, s)| (a, r, s))
        .collect()
}

/// The shard an order took its unit from, as the store recorded it on the order's item (the
/// domain's order does not carry it).
async fn recorded_shard(store: &DynamoStore, order: &Order) -> usize {
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
        .expect("the order exists");
    match item.get("stock_shards") {
        Some(AttributeValue::L(list)) => match list.as_slice() {
            [AttributeValue::N(k)] => k.parse().expect("a shard number"),
            other => panic!("one shard per take expected: {other:?}"),
        },
        other => panic!("no stock_shards on order {}: {other:?}", order.id),
    }
}

/// Runs the flash crowd on a sharded drop, optionally injecting conflicts into
/// `conflict_percent` of the store's transactions, and checks the end state.
async fn flash_crowd(test: &str, conflict_percent: u64) {
    let h = Harness::start_without_consumers(test).await;
    let store = Arc::new(h.stack.store());
    let drop_id = "hot";
    store
        .create_sharded_drop(
            &bag_drop(drop_id, STOCK, Some(1)),
            &StockShards::default().with("drop-bag", SHARDS),
        )
        .await
        .unwrap();
    let gateway = Arc::new(h.stack.gateway().unwrap());
    let captured = Arc::new(Captured::default());
    let settings = Arc::new(h.stack.config.checkout_settings(xtask::dev::id_key()));
    let buyers: Vec<ConversationId> = (0..BUYERS)
        .map(|i| ConversationId::new(Channel::Whatsapp, format!("55119{i:08}")))
        .collect();
    for buyer in &buyers {
        seed_cart(store.as_ref(), buyer).await;
    }

    let (injected, attempts) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    if conflict_percent > 0 {
        let (injected, attempts) = (injected.clone(), attempts.clone());
        store.inject_conflicts(Some(Arc::new(move || {
            attempts.fetch_add(1, Ordering::Relaxed);
            let mut h = RandomState::new().build_hasher();
            h.write_u32(attempts.load(Ordering::Relaxed));
            let conflict = h.finish() % 100 < conflict_percent;
            if conflict {
                injected.fetch_add(1, Ordering::Relaxed);
            }
            conflict
        })));
    }

    // Watches the shards while the crowd buys: none below zero, the sum always the stock.
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let mut samples = 0u32;
            while !done.load(Ordering::Relaxed) {
                let rows = shards(&store, drop_id).await;
                for (a, r, s) in &rows {
                    assert!(
                        *a >= 0 && *r >= 0 && *s >= 0,
                        "a shard went negative: {rows:?}"
                    );
                }
                let total: i64 = rows.iter().map(|(a, r, s)| a + r + s).sum();
                assert_eq!(total, i64::from(STOCK), "the shards add up to the stock");
                samples += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            samples
        })
    };

    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for (n, buyer) in buyers.iter().enumerate() {
        let (store, gateway, captured, settings, gate) = (
            store.clone(),
            gateway.clone(),
            captured.clone(),
            settings.clone(),
            gate.clone(),
        );
        let message = checkout_message(buyer, n);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let ports = PaymentPorts {
                sessions: store.as_ref(),
                catalogs: store.as_ref(),
                orders: store.as_ref(),
                gateway: gateway.as_ref(),
                dispatch: captured.as_ref(),
            };
            let begun = Instant::now();
            // A transaction that stays undecided is a port error: the queue would redeliver.
            for _ in 0..5 {
                if checkout::handle(&message, &ports, &settings, SystemClock.now())
                    .await
                    .is_ok()
                {
                    return begun.elapsed();
                }
            }
            panic!("checkout kept failing");
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let samples = watcher.await.unwrap();
    store.inject_conflicts(None);
    latencies.sort();

    let bundles = captured.0.lock().unwrap().clone();
    assert_eq!(bundles.len(), BUYERS, "every buyer got an answer");
    let sold = bundles.iter().filter(|b| got_pay_link(b)).count();
    let sold_out = bundles
        .iter()
        .filter(|b| text_of(b) == "Sorry, Drop Bag is sold out. Your cart is unchanged.")
        .count();
    assert_eq!(sold, STOCK as usize, "exactly the stock was reserved");
    assert_eq!(
        sold_out,
        BUYERS - STOCK as usize,
        "everyone else heard sold out"
    );
    if conflict_percent > 0 {
        assert!(
            injected.load(Ordering::Relaxed) > 0,
            "conflicts were injected"
        );
    }
    let rows = shards(&store, drop_id).await;
    assert_eq!(rows.len(), SHARDS as usize);
    assert!(rows.iter().all(|(a, _, _)| *a == 0), "{rows:?}");
    assert_eq!(
        store.drop_stock(drop_id).await.unwrap(),
        [("drop-bag".to_string(), 0, i64::from(STOCK), 0)]
    );
    let reserved: Vec<Order> = store
        .all_orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.status == OrderStatus::Reserved)
        .collect();
    assert_eq!(reserved.len(), STOCK as usize);
    let mut per_shard = vec![0i64; SHARDS as usize];
    for o in &reserved {
        per_shard[recorded_shard(&store, o).await] += 1;
    }
    assert_eq!(
        per_shard,
        rows.iter().map(|(_, r, _)| *r).collect::<Vec<_>>(),
        "each shard holds exactly the units its orders recorded"
    );
    eprintln!(
        "sharding ({test}): {BUYERS} checkouts ({IN_FLIGHT} in flight) for {STOCK} units over {SHARDS} shards in {:.1} s = {:.0} checkouts/s; reserved {sold}, sold-out answers {sold_out}, oversold 0; conflicts injected {} of {} transactions; reserved per shard {per_shard:?}; {samples} shard samples, none negative; latency p50 {:?} p99 {:?}",
        elapsed.as_secs_f64(),
        BUYERS as f64 / elapsed.as_secs_f64(),
        injected.load(Ordering::Relaxed),
        attempts.load(Ordering::Relaxed),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
    );

    // Expire ten reservations and pay five others: each moves its unit on its own shard.
    let mut expected: Vec<(i64, i64, i64)> = rows.clone();
    for o in &reserved[..10] {
        let k = recorded_shard(&store, o).await;
        assert!(store.release(o, OrderStatus::Expired).await.unwrap());
        expected[k].0 += 1;
        expected[k].1 -= 1;
        assert_eq!(
            shards(&store, drop_id).await,
            expected,
            "expired {} on shard {k}",
            o.id
        );
    }
    for o in &reserved[10..15] {
        let k = recorded_shard(&store, o).await;
        assert_eq!(store.mark_paid(o).await.unwrap(), PaidOutcome::Paid);
        expected[k].1 -= 1;
        expected[k].2 += 1;
        assert_eq!(
            shards(&store, drop_id).await,
            expected,
            "paid {} on shard {k}",
            o.id
        );
    }
    let available: i64 = expected.iter().map(|(a, _, _)| a).sum();
    assert_eq!(
        available,
        i64::from(STOCK) - (STOCK as i64 - 15) - 5,
        "sum of shards = initial - reserved - sold"
    );
    // The released shards left the sold-out hint: the units sell again.
    let hint = store.empty_shards(drop_id, "drop-bag").await.unwrap();
    for (k, (a, _, _)) in expected.iter().enumerate() {
        assert_eq!(
            hint.contains(&(k as u32)),
            *a == 0,
            "shard {k}: hint {hint:?}"
        );
    }
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sharded_hot_sku_sells_exactly_its_stock() {
    flash_crowd("shard", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sharded_hot_sku_sells_exactly_its_stock_through_conflicts() {
    flash_crowd("shard-conflict", CONFLICT_PERCENT).await;
}
