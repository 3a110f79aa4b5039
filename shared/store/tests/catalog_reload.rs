//! A catalog reload against moto, held between its batches: readers see the old catalog whole
//! until the pointer switches, then the new one whole, never a mix (the new currency with the
//! old prices, or half the products). Run through `cargo xtask test -p chatdrop-store --test
//! catalog_reload`, which starts moto.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::money::Currency;
use chatdrop_domain::ports::CatalogSource;
use chatdrop_store::DynamoStore;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

fn sample_catalog() -> Catalog {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cli/catalogs/sample.toml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    toml::from_str(&text).expect("the sample catalog parses")
}

/// `count` products in `currency`, priced from `base` up: more than one 25-item batch.
fn catalog(currency: Currency, base: i64, count: i64) -> Catalog {
    let sample = sample_catalog();
    let template = sample.product("canvas-tote").expect("canvas-tote").clone();
    let mut c = sample.clone();
    c.currency = currency;
    c.products = (0..count)
        .map(|i| {
            let mut p = template.clone();
            p.id = format!("p-{i:02}");
            p.price = base + i;
            p
        })
        .collect();
    c.validate().expect("valid");
    c
}

/// What the load hook returns: the load waits for it.
type Held = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a function that starts cold reads now (a fresh store has no cached catalog).
async fn cold_read(store: &DynamoStore) -> Catalog {
    let reader = DynamoStore::new(store.client().clone(), store.table());
    (*reader.catalog().await.expect("a catalog")).clone()
}

#[tokio::test]
async fn a_reload_paused_between_batches_shows_readers_the_old_catalog_whole() {
    let store = common::fresh_store("catalog_reload_atomic").await;
    let dollars = catalog(Currency::USD, 1_000, 40);
    let yen = catalog(Currency::JPY, 150_000, 30);
    store.replace_catalog(&dollars).await.expect("first load");
    assert_eq!(cold_read(&store).await, dollars);

    // Every batch of the next load reports, then waits for the test's go-ahead.
    let (batches_tx, mut batches) = mpsc::unbounded_channel::<(usize, oneshot::Sender<()>)>();
    let batches_tx = Arc::new(Mutex::new(batches_tx));
    store.on_catalog_batch(Some(Arc::new(move |written| -> Held {
        let (go, wait) = oneshot::channel();
        batches_tx.lock().unwrap().send((written, go)).unwrap();
        Box::pin(async move {
            let _ = wait.await;
        })
    })));
    let loader = DynamoStore::new(store.client().clone(), store.table());
    let yen_load = yen.clone();
    let load = tokio::spawn(async move { loader.replace_catalog(&yen_load).await });

    // 31 items: a batch of 25 (the header and 24 products), then one of 6.
    let mut seen = Vec::new();
    while let Some((written, go)) = batches.recv().await {
        seen.push(written);
        // Mid-load, and after the last batch but before the switch: the old catalog, whole.
        let read = cold_read(&store).await;
        assert_eq!(read.currency, Currency::USD, "after {written} items");
        assert_eq!(read, dollars, "after {written} items");
        go.send(()).unwrap();
        if written == 31 {
            break;
        }
    }
    assert_eq!(seen, [25, 31]);
    assert_eq!(load.await.unwrap().expect("second load"), 31);
    store.on_catalog_batch(None);
    assert_eq!(cold_read(&store).await, yen);

    // The old version is retired through the table's TTL, not left live.
    let old = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("CATALOG#v1".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("query v1")
        .items
        .unwrap_or_default();
    assert_eq!(old.len(), 41);
    assert!(old.iter().all(|i| i.contains_key("expires_at")));
}

#[tokio::test]
async fn of_two_overlapping_reloads_the_later_switch_fails_instead_of_undoing_the_first() {
    let store = common::fresh_store("catalog_reload_race").await;
    let first = catalog(Currency::USD, 1_000, 3);
    store.replace_catalog(&first).await.expect("first load");

    // Load A stops after its only batch; load B runs whole meanwhile.
    let (tx, mut rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    store.on_catalog_batch(Some(Arc::new(move |_| -> Held {
        let (go, wait) = oneshot::channel();
        // Only the first load to get here is held.
        if let Some(tx) = tx.lock().unwrap().take() {
            tx.send(go).unwrap();
            Box::pin(async move {
                let _ = wait.await;
            })
        } else {
            Box::pin(async {})
        }
    })));
    let a = catalog(Currency::EUR, 2_000, 3);
    let loader = DynamoStore::new(store.client().clone(), store.table());
    let a_load = tokio::spawn(async move { loader.replace_catalog(&a).await });
    let go = rx.recv().await.expect("load A is held");
    let b = catalog(Currency::GBP, 3_000, 4);
    store.replace_catalog(&b).await.expect("load B");
    go.send(()).unwrap();
    let err = a_load.await.unwrap().expect_err("load A must not switch");
    assert!(err.to_string().contains("load again"), "{err}");
    store.on_catalog_batch(None);
    assert_eq!(cold_read(&store).await, b);
}
