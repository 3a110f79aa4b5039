//! Consuming a FIFO batch: in order, with partial batch failures.
//!
//! Lambda hands an SQS event source a batch of up to ten records. With
//! `ReportBatchItemFailures`, the function answers which records failed and only those return
//! to the queue. On a FIFO queue order matters: once a record fails, every later record of the
//! batch is reported failed too, unprocessed (AWS's guidance for FIFO sources), so no message
//! overtakes an earlier one of the same customer.
//!
//! Those later records never ran, so there is no reason for them to wait out the queue's
//! visibility timeout (minutes, sized for the slowest attempt): [`Processed::skipped`] names
//! them and the consumer gives them back at once with [`crate::SqsQueues::give_back`]. That
//! cannot reorder a conversation: SQS returns no message of a group while another message of
//! that group is in flight, and the failed record is, until its own retry time.
//!
//! A record whose body cannot be decoded is logged and acknowledged: retrying cannot fix it,
//! and a poison message must not block its customer's queue group until the dead-letter
//! threshold.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;

/// What a record's handler decided.
pub enum RecordResult<E> {
    Done,
    /// Return the record to the queue for a later attempt.
    Retry(E),
}

/// A batch after [`process_in_order`].
pub struct Processed {
    /// The answer for Lambda: the records to return to the queue.
    pub response: SqsBatchResponse,
    /// Receipt handles of the returned records that never ran (behind a failure): nothing
    /// about them needs a delay.
    pub skipped: Vec<String>,
}

/// Decodes each record's body as `T` and runs `handle` on it in order; see the module docs.
pub async fn process_in_order<T, E, F, Fut>(event: SqsEvent, mut handle: F) -> Processed
where
    T: DeserializeOwned,
    E: Display,
    F: FnMut(T, &SqsMessage) -> Fut,
    Fut: Future<Output = RecordResult<E>>,
{
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = false;
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if failed {
            failures.push(failure(id));
            skipped.extend(record.receipt_handle.clone());
            continue;
        }
        let decoded = record
            .body
            .as_deref()
            .ok_or_else(|| "record without a body".to_string())
            .and_then(|b| serde_json::from_str::<T>(b).map_err(|e| e.to_string()));
        let value = match decoded {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "undecodable queue record dropped");
                continue;
            }
        };
        if let RecordResult::Retry(e) = handle(value, record).await {
            tracing::warn!(message_id = %id, error = %e, "record failed; it and the rest of the batch return to the queue");
            failures.push(failure(id));
            failed = true;
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Processed { response, skipped }
}

fn failure(id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    f
}

/// How many times SQS has delivered this record (1 on the first attempt).
pub fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.receipt_handle = Some(format!("receipt-{id}"));
        m.body = Some(body.into());
        m
    }

    #[tokio::test]
    async fn a_failure_returns_it_and_everything_after_it() {
        let mut event = SqsEvent::default();
        event.records = vec![
            record("a", "1"),
            record("b", "not json"),
            record("c", "2"),
            record("d", "3"),
        ];
        let mut seen = Vec::new();
        let processed = process_in_order::<u32, String, _, _>(event, |n, _| {
            seen.push(n);
            async move {
                if n == 2 {
                    RecordResult::Retry("boom".to_string())
                } else {
                    RecordResult::Done
                }
            }
        })
        .await;
        let failed: Vec<_> = processed
            .response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["c", "d"], "b is undecodable and acknowledged");
        assert_eq!(seen, [1, 2], "d never ran");
        assert_eq!(
            processed.skipped,
            ["receipt-d"],
            "only d is given back at once: c ran and failed"
        );
    }
}
