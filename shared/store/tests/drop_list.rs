//! The checkout's first read against moto: marker, session and the open drops in one
//! `BatchGetItem` while this process's list of drops is current, and the drops `Query` again
//! whenever a drop was created, opened or closed since (the generation counter), so a checkout
//! never misses a drop. Requests are counted by an SDK interceptor. Run through
//! `cargo xtask test -p chatdrop-store --test drop_list`.

mod common;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::ports::{MarkerKey, SessionStore};
use chatdrop_store::DynamoStore;
use std::sync::{Arc, Mutex};

/// The operations a client sent (`BatchGetItem`, `Query`, …), in order.
#[derive(Clone, Debug, Default)]
struct Ops(Arc<Mutex<Vec<String>>>);

impl Ops {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Ops {
    fn name(&self) -> &'static str {
        "Ops"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let op = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?");
        self.0.lock().unwrap().push(op.to_string());
        Ok(())
    }
}

/// A store on a fresh table whose requests are counted, and one that writes to the same table
/// as the CLI would (its requests not counted).
async fn counted_store(test: &str) -> (DynamoStore, DynamoStore, Ops) {
    let cli = common::fresh_store(test).await;
    let aws = common::aws().await;
    let ops = Ops::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::from(&aws)
            .to_builder()
            .interceptor(ops.clone())
            .build(),
    );
    let store = DynamoStore::new(client, cli.table().to_string());
    (store, cli, ops)
}

fn drop_named(id: &str) -> Drop {
    Drop {
        id: id.into(),
        name: id.into(),
        starts_at: 0,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: 5,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    }
}

fn ids(drops: &[Drop]) -> Vec<&str> {
    let mut ids: Vec<&str> = drops.iter().map(|d| d.id.as_str()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_drops_ride_in_the_first_read_until_the_list_changes() {
    let (store, cli, ops) = counted_store("drop_list").await;
    let buyer = ConversationId::new(Channel::Whatsapp, "5511999990000");
    let key = MarkerKey {
        handler: Handler::Payment,
        identity: "whatsapp#wamid.drops".into(),
    };
    let read = || async {
        let (marker, _session, drops) = store.marker_session_and_drops(&key, &buyer).await.unwrap();
        assert!(marker.is_none());
        drops.expect("this store reads the drops with the marker and the session")
    };

    cli.create_drop(&drop_named("spring")).await.unwrap();
    // First checkout of this process: the list is not known yet, so the drops are queried.
    assert_eq!(ids(&read().await), ["spring"]);
    assert_eq!(ops.take(), ["BatchGetItem", "Query"]);
    // From then on, one read.
    assert_eq!(ids(&read().await), ["spring"]);
    assert_eq!(ops.take(), ["BatchGetItem"]);

    // A drop created elsewhere (the CLI): the generation moved, the next checkout queries
    // and sees it, the one after is back to one read.
    cli.create_drop(&drop_named("summer")).await.unwrap();
    assert_eq!(ids(&read().await), ["spring", "summer"]);
    assert_eq!(ops.take(), ["BatchGetItem", "Query"]);
    assert_eq!(ids(&read().await), ["spring", "summer"]);
    assert_eq!(ops.take(), ["BatchGetItem"]);

    // Closed, then opened again: each is seen by the very next read.
    cli.set_drop_status("spring", DropStatus::Closed)
        .await
        .unwrap();
    assert_eq!(ids(&read().await), ["summer"]);
    assert_eq!(ops.take(), ["BatchGetItem", "Query"]);
    assert_eq!(ids(&read().await), ["summer"]);
    assert_eq!(ops.take(), ["BatchGetItem"]);
    cli.set_drop_status("spring", DropStatus::Open)
        .await
        .unwrap();
    assert_eq!(ids(&read().await), ["spring", "summer"]);
    assert_eq!(ops.take(), ["BatchGetItem", "Query"]);
}

#[tokio::test]
async fn a_table_without_the_counter_queries_every_time() {
    let (store, _cli, ops) = counted_store("drop_list_old").await;
    let buyer = ConversationId::new(Channel::Line, "U0000drops");
    let key = MarkerKey {
        handler: Handler::Payment,
        identity: "line#drops".into(),
    };
    // No drop was ever created here, so no counter: the query each time (an empty list).
    for _ in 0..2 {
        let (_, _, drops) = store.marker_session_and_drops(&key, &buyer).await.unwrap();
        assert!(drops.unwrap().is_empty());
        assert_eq!(ops.take(), ["BatchGetItem", "Query"]);
    }
}
