//! What a piece of code asks of DynamoDB, counted from the outside.
//!
//! The store's cost per sale is a figure the README promises (calls and write units), so the
//! benches and the tests that hold it count the requests the real SDK client sends rather than
//! trusting the code's own idea of them. An SDK interceptor ([`RecordCalls`]) sees every
//! request once per attempt (`Intercept::read_before_transmit`, so retries count) with its
//! operation (the `X-Amz-Target` header) and its JSON body, and appends it to a [`CallLog`].
//!
//! Two ways to attribute a request:
//!
//! - to the log the interceptor was built with (a test that runs one thing at a time);
//! - to the log of the task that sent it, when the work runs inside [`CallLog::scope`] (a
//!   bench with thousands of buyers at once gives each its own log through a tokio
//!   task-local; requests sent outside any scope go to the interceptor's own log, so the bench
//!   can tell how many it could not attribute).
//!
//! Write units are worked out the way AWS bills them ([`write_units`]): the written items are
//! read back and sized with `chatdrop_store::capacity::item_size`, 1 unit per started KB per
//! item, twice that inside a transaction
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html>).

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One request to DynamoDB: its operation (`GetItem`, `TransactWriteItems`, …) and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: String,
    pub body: Vec<u8>,
}

impl Call {
    /// The body as text, for assertions on what a request names.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The items this request writes (this table's `pk`/`sk` key schema).
    pub fn writes(&self) -> Vec<Write> {
        written_keys(&self.op, &self.body)
    }
}

/// An item a request writes, and whether inside a transaction (which DynamoDB bills twice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub pk: String,
    pub sk: String,
    pub transactional: bool,
}

/// The requests recorded so far; cheap to clone (one shared list).
#[derive(Clone, Debug, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

tokio::task_local! {
    static SCOPE: CallLog;
}

impl CallLog {
    /// Empties the log and returns what it held.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many requests the log holds.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `work` with every request it sends recorded here, whatever log the interceptor
    /// was built with.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        SCOPE.scope(self.clone(), work).await
    }

    fn push(&self, call: Call) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(call);
    }
}

/// The interceptor: records each request into the scoped log if the sending task runs in
/// one, else into its own.
#[derive(Clone, Debug, Default)]
pub struct RecordCalls {
    pub unscoped: CallLog,
}

impl RecordCalls {
    /// A DynamoDB client like `aws`'s, with this interceptor on it.
    pub fn client(&self, aws: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::from(aws)
                .to_builder()
                .interceptor(self.clone())
                .build(),
        )
    }
}

impl Intercept for RecordCalls {
    fn name(&self) -> &'static str {
        "RecordCalls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let op = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_string();
        let call = Call {
            op,
            body: request.body().bytes().unwrap_or_default().to_vec(),
        };
        let call = match SCOPE.try_with(|log| log.push(call.clone())) {
            Ok(()) => return Ok(()),
            Err(_) => call,
        };
        self.unscoped.push(call);
        Ok(())
    }
}

/// The keys a DynamoDB JSON request writes.
pub fn written_keys(op: &str, body: &[u8]) -> Vec<Write> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let write = |v: &Value, transactional: bool| {
        Some(Write {
            pk: v["pk"]["S"].as_str()?.to_string(),
            sk: v["sk"]["S"].as_str()?.to_string(),
            transactional,
        })
    };
    match op {
        "PutItem" => write(&request["Item"], false).into_iter().collect(),
        "UpdateItem" | "DeleteItem" => write(&request["Key"], false).into_iter().collect(),
        "TransactWriteItems" => request["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let (kind, op) = item.as_object()?.iter().next()?;
                let key = if kind == "Put" {
                    &op["Item"]
                } else {
                    &op["Key"]
                };
                write(key, true)
            })
            .collect(),
        "BatchWriteItem" => request["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.values())
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|r| {
                let key = if r["PutRequest"].is_object() {
                    &r["PutRequest"]["Item"]
                } else {
                    &r["DeleteRequest"]["Key"]
                };
                write(key, false)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The operation of each request, in order (`["GetItem", "UpdateItem"]`).
pub fn ops(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(|c| c.op.as_str()).collect()
}

/// How many requests of each operation.
pub fn op_counts(calls: &[Call]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in calls {
        *counts.entry(c.op.clone()).or_default() += 1;
    }
    counts
}

/// "1 BatchGetItem, 1 Query, …".
pub fn describe_counts(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Write units `calls` would consume on AWS, from the written items as they are now (read
/// back consistently through `client`, which should not record). Returns the total and one
/// line per written item.
///
/// An item that is absent was a write its transaction's failed condition cancelled (none of
/// a checkout's writes delete): billed as attempted at the 1 KB minimum, since DynamoDB
/// charges a refused conditional write; this assumes a cancelled transaction's items the
/// same, an upper bound for the sold-out path.
pub async fn write_units(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    calls: &[Call],
) -> Result<(u64, Vec<String>), String> {
    let mut total = 0;
    let mut lines = Vec::new();
    for call in calls {
        for w in call.writes() {
            let item = client
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S(w.pk.clone()))
                .key("sk", AttributeValue::S(w.sk.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?
                .item;
            let size = item.as_ref().map(chatdrop_store::capacity::item_size);
            let units = billed_units(size, w.transactional);
            total += units;
            let shown = size.map_or_else(|| "refused".to_string(), |s| format!("{s} B"));
            lines.push(format!(
                "{:<18} {:<56} {shown:>8}  {units} WCU",
                call.op,
                format!("{} / {}", short(&w.pk), short(&w.sk)),
            ));
        }
    }
    Ok((total, lines))
}

/// Units for one written item of `size` bytes (`None`: refused, the 1 KB minimum).
fn billed_units(size: Option<usize>, transactional: bool) -> u64 {
    let kb = size.map_or(1, |s| s.div_ceil(1024).max(1)) as u64;
    kb * if transactional { 2 } else { 1 }
}

/// Keys abbreviated for print (hashes cut to 8 characters).
fn short(k: &str) -> String {
    k.split('#')
        .map(|p| {
            if p.len() > 12 {
                format!("{}…", &p[..8])
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_writes_its_puts_updates_and_condition_free_deletes_twice_billed() {
        let body = br#"{"TransactItems":[
            {"Put":{"Item":{"pk":{"S":"ORDER#1"},"sk":{"S":"ORDER"}}}},
            {"Update":{"Key":{"pk":{"S":"STOCK#a"},"sk":{"S":"STOCK"}}}},
            {"ConditionCheck":{"Key":{"pk":{"S":"DROP#d"},"sk":{"S":"DROP"}}}}]}"#;
        let writes = written_keys("TransactWriteItems", body);
        let keys: Vec<_> = writes
            .iter()
            .map(|w| (w.pk.as_str(), w.transactional))
            .collect();
        // A condition check counts too: AWS bills every item of a TransactWriteItems as a
        // transactional write, condition checks included.
        assert_eq!(
            keys,
            [("ORDER#1", true), ("STOCK#a", true), ("DROP#d", true)]
        );
    }

    #[test]
    fn reads_write_nothing_and_a_batch_write_names_each_item() {
        assert!(written_keys("GetItem", br#"{"Key":{"pk":{"S":"a"},"sk":{"S":"b"}}}"#).is_empty());
        let batch = br#"{"RequestItems":{"t":[
            {"PutRequest":{"Item":{"pk":{"S":"A"},"sk":{"S":"1"}}}},
            {"DeleteRequest":{"Key":{"pk":{"S":"B"},"sk":{"S":"2"}}}}]}}"#;
        let pks: Vec<_> = written_keys("BatchWriteItem", batch)
            .into_iter()
            .map(|w| (w.pk, w.transactional))
            .collect();
        assert_eq!(pks, [("A".to_string(), false), ("B".to_string(), false)]);
        assert!(written_keys("PutItem", b"not json").is_empty());
    }

    #[test]
    fn units_are_per_started_kilobyte_doubled_in_a_transaction() {
        assert_eq!(billed_units(Some(100), false), 1);
        assert_eq!(billed_units(Some(1024), false), 1);
        assert_eq!(billed_units(Some(1025), true), 4);
        assert_eq!(billed_units(None, true), 2);
    }
}
