//! Shared setup for the store's integration tests: an SDK config aimed at the local moto that
//! `cargo xtask test` starts, and a fresh table per test, created from `resources.json`.
//!
//! The store crate cannot depend on xtask (xtask depends on it), so the table is created here
//! with the SDK, from the same definition `xtask::provision` uses.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use chatdrop_config::resources::Resources;
use chatdrop_store::DynamoStore;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The SDK config for the local moto; panics when the tests were not started by xtask.
pub async fn aws() -> aws_config::SdkConfig {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none_or(|v| v.is_empty()) {
        panic!(
            "AWS_ENDPOINT_URL is not set: run through `cargo xtask test`, which starts moto \
             (e.g. `cargo xtask test -p chatdrop-store`)"
        );
    }
    chatdrop_config::aws::sdk_config().await
}

/// A prefix unique to this process and call: time, process id and a counter, plus the test's
/// name so a leftover table can be traced to its test.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(32)
        .collect();
    format!("t{:x}-{}-{n}-{name}-", nanos, std::process::id())
}

/// Creates `{prefix}{table}` with the keys and TTL attribute of `resources.json`.
pub async fn create_table(aws: &aws_config::SdkConfig, prefix: &str) -> String {
    let def = Resources::load().table;
    let client = aws_sdk_dynamodb::Client::new(aws);
    let table = format!("{prefix}{}", def.name);
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key schema")
    };
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(&def.partition_key))
        .attribute_definitions(attribute(&def.sort_key))
        .key_schema(key(&def.partition_key, KeyType::Hash))
        .key_schema(key(&def.sort_key, KeyType::Range))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create table {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        });
    client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(&def.ttl_attribute)
                .build()
                .expect("ttl spec"),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "enable TTL on {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        });
    table
}

/// A store on a fresh table of its own, named after `test`.
pub async fn fresh_store(test: &str) -> DynamoStore {
    let aws = aws().await;
    let table = create_table(&aws, &unique_prefix(test)).await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table)
}
