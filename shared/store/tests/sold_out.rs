//! A sold-out answer without a transaction, against moto: once an unsharded SKU has no unit
//! left, the first refused reservation flags it on the drop's item, and from then on a
//! reservation that follows a drops read is answered "sold out" from that read alone; any
//! release takes the flag off in its own transaction, so a flag never outlives a unit coming
//! back. Run through `cargo xtask test -p chatdrop-store --test sold_out` (it starts moto).

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::{LimitTake, Order, OrderLine, OrderStatus, StockTake};
use chatdrop_domain::ports::{OrderStore, ReserveError};
use chatdrop_store::DynamoStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const NOW: i64 = 1_900_000_000;

fn plain_drop(id: &str, stock: u32) -> Drop {
    Drop {
        id: id.into(),
        name: "Plain drop".into(),
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
        draw: None,
        verified_phone: false,
    }
}

fn order(drop: &str, n: u32) -> Order {
    Order {
        id: format!("order-{drop}-{n:05}"),
        conversation: ConversationId::new(Channel::Whatsapp, format!("55119{n:07}")),
        lang: Lang::EN,
        customer: format!("55119{n:07}"),
        lines: vec![OrderLine {
            product: "drop-bag".into(),
            name: "Drop Bag".into(),
            item: "Drop Bag".into(),
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

/// The drop item's `sold_out` flags.
async fn flags(store: &DynamoStore, drop: &str) -> Vec<String> {
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S("DROPS".into()))
        .key("sk", AttributeValue::S(format!("DROP#{drop}")))
        .consistent_read(true)
        .send()
        .await
        .expect("get drop")
        .item
        .expect("drop exists");
    match item.get("sold_out") {
        Some(AttributeValue::Ss(set)) => set.clone(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn a_sold_out_sku_is_answered_from_the_drops_read_until_a_unit_comes_back() {
    let store = common::fresh_store("sold-out-flag").await;
    store.create_drop(&plain_drop("plain", 1)).await.unwrap();
    // Counts the transactions the store sends (the hook is asked before each; never cancels).
    let transactions = Arc::new(AtomicU32::new(0));
    let counter = transactions.clone();
    store.inject_conflicts(Some(Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        false
    })));
    let tx = || transactions.load(Ordering::SeqCst);

    store.drops().await.unwrap();
    let first = order("plain", 1);
    store.reserve(&first).await.expect("the one unit");
    assert!(flags(&store, "plain").await.is_empty());

    // The first buyer after it pays one refused transaction and flags the SKU (a second).
    store.drops().await.unwrap();
    let before = tx();
    assert!(matches!(
        store.reserve(&order("plain", 2)).await,
        Err(ReserveError::SoldOut { .. })
    ));
    assert_eq!(tx() - before, 2, "the refused reservation, then the flag");
    assert_eq!(flags(&store, "plain").await, ["drop-bag"]);

    // Everyone after reads the flag with the drops: sold out, no transaction.
    store.drops().await.unwrap();
    let before = tx();
    for n in 3..6 {
        assert!(matches!(
            store.reserve(&order("plain", n)).await,
            Err(ReserveError::SoldOut { .. })
        ));
    }
    assert_eq!(tx(), before, "no transaction for a flagged SKU");

    // A release returns the unit and takes the flag off in the same transaction.
    assert!(store.release(&first, OrderStatus::Expired).await.unwrap());
    assert!(flags(&store, "plain").await.is_empty());
    store.drops().await.unwrap();
    store
        .reserve(&order("plain", 6))
        .await
        .expect("the returned unit sells again");
    store.inject_conflicts(None);
}

#[tokio::test]
async fn a_flag_is_never_set_while_a_unit_is_there() {
    // Two units, a two-unit order: refused (not enough), but one unit is there, so no flag.
    let store = common::fresh_store("sold-out-partial").await;
    store.create_drop(&plain_drop("two", 2)).await.unwrap();
    store.reserve(&order("two", 1)).await.unwrap();
    let mut big = order("two", 2);
    big.stock[0].quantity = 2;
    big.limits.clear();
    assert!(matches!(
        store.reserve(&big).await,
        Err(ReserveError::SoldOut { .. })
    ));
    assert!(flags(&store, "two").await.is_empty(), "one unit is left");
    store.drops().await.unwrap();
    store
        .reserve(&order("two", 3))
        .await
        .expect("the last unit still sells");
}
