//! The local stack's atomicity guarantee: DynamoDB, as served by `cargo xtask test`, applies
//! each write atomically, as real DynamoDB does per item.
//!
//! moto alone does not: it evaluates a condition expression and then applies the write without
//! holding a lock, so concurrent conditional updates can both pass their check. Measured on
//! this machine with plain moto, 50 concurrent buyers of a stock of 10 under
//! `stock >= :one` sold 11 in 4 of 10 rounds. `xtask/moto/serve_moto.py` wraps moto's server
//! and serializes every DynamoDB request; these tests prove that wrapper works: with it, a
//! conditional decrement never oversells and no unconditional increment is lost. If they fail,
//! every contention test of chatdrop measures moto instead of chatdrop.
//!
//! The SDK's retries are disabled here: a retried non-idempotent update could hide or cause a
//! miscount, and these tests are about what the server did with each request sent once.
//!
//! Run through `cargo xtask test -p xtask`, which starts the wrapped moto.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

const BUYERS: usize = 50;
const STOCK: i64 = 10;
/// More rounds than the 10 of the original measurement: against plain moto the Rust SDK oversold
/// in about 1 round of 15 to 30 here, so 30 rounds catch a missing wrapper most of the time.
const ROUNDS: usize = 30;
const INCREMENTS: usize = 800;
const IN_FLIGHT: usize = 50;

/// A client for the moto that `cargo xtask test` started, with a fresh table of our own.
async fn setup(test: &str) -> (Client, String) {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none_or(|v| v.is_empty()) {
        panic!(
            "AWS_ENDPOINT_URL is not set: run through `cargo xtask test`, which starts moto \
             (e.g. `cargo xtask test -p xtask`)"
        );
    }
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let prefix = format!("t{nanos:x}-{:x}-{test}-", std::process::id());
    let provisioned = xtask::provision::create(&aws, &prefix)
        .await
        .unwrap_or_else(|e| panic!("provision {prefix}: {e}"));
    let config = aws_sdk_dynamodb::config::Builder::from(&aws)
        .retry_config(RetryConfig::disabled())
        .build();
    (Client::from_conf(config), provisioned.table)
}

fn key(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S("COUNTER".into())),
    ])
}

async fn read_number(client: &Client, table: &str, pk: &str, attribute: &str) -> i64 {
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {pk}: {}", DisplayErrorContext(e)))
        .item
        .unwrap_or_else(|| panic!("{pk} missing"));
    match item.get(attribute) {
        Some(AttributeValue::N(n)) => n.parse().expect("a number"),
        other => panic!("{pk}.{attribute} is not a number: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_conditional_decrements_never_oversell() {
    let (client, table) = setup("oversell").await;
    let mut report = Vec::new();
    for round in 0..ROUNDS {
        let pk = format!("STOCK#{round}");
        let mut item = key(&pk);
        item.insert("stock".into(), AttributeValue::N(STOCK.to_string()));
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {pk}: {}", DisplayErrorContext(e)));

        // Every buyer is spawned before any may send: they start together behind a barrier.
        let barrier = Arc::new(tokio::sync::Barrier::new(BUYERS));
        let buyers: Vec<_> = (0..BUYERS)
            .map(|buyer| {
                let client = client.clone();
                let table = table.clone();
                let pk = pk.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let result = client
                        .update_item()
                        .table_name(&table)
                        .set_key(Some(key(&pk)))
                        .update_expression("SET stock = stock - :one")
                        .condition_expression("stock >= :one")
                        .expression_attribute_values(":one", AttributeValue::N("1".into()))
                        .send()
                        .await;
                    match result {
                        Ok(_) => true,
                        Err(SdkError::ServiceError(e))
                            if matches!(
                                e.err(),
                                UpdateItemError::ConditionalCheckFailedException(_)
                            ) =>
                        {
                            false
                        }
                        Err(e) => panic!(
                            "round {round} buyer {buyer}: unexpected error {}",
                            DisplayErrorContext(e)
                        ),
                    }
                })
            })
            .collect();
        let mut sold = 0;
        for buyer in buyers {
            if buyer.await.expect("buyer task") {
                sold += 1;
            }
        }
        let left = read_number(&client, &table, &pk, "stock").await;
        report.push((round, sold, left));
    }
    let wrong: Vec<_> = report
        .iter()
        .filter(|(_, sold, left)| *sold != STOCK || *left != 0)
        .collect();
    assert!(
        wrong.is_empty(),
        "every round must sell exactly {STOCK} and leave 0; (round, sold, left) wrong: {wrong:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_increments_are_never_lost() {
    let (client, table) = setup("lost-update").await;
    let pk = "COUNTER#adds";
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..INCREMENTS {
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        let client = client.clone();
        let table = table.clone();
        tasks.spawn(async move {
            let _permit = permit;
            client
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk)))
                // `counter` is a DynamoDB reserved word, hence the name placeholder.
                .update_expression("ADD #c :one")
                .expression_attribute_names("#c", "counter")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("increment {i}: {}", DisplayErrorContext(e)));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("increment task");
    }
    assert_eq!(
        read_number(&client, &table, pk, "counter").await,
        INCREMENTS as i64,
        "every one of {INCREMENTS} ADDs counted"
    );
}
