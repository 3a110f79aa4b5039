//! Consuming a FIFO batch: in order, with partial batch failures, within the invocation's time.
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
//! # The deadline
//!
//! Records run one after another, and one record's worst case (a Stripe call with its 20 s
//! timeout, a platform's pace windows and advised waits) is a good part of the function's
//! timeout. A batch that runs past the timeout fails as a whole: every record returns, the ones
//! already done included, and a platform without an idempotency key gets those replies twice.
//! So before each record after the first [`Deadline::fits_another`] asks whether the time left
//! (Lambda's invocation deadline, `lambda_runtime::Context::deadline`) still holds that
//! function's per-record worst case; when it does not, this record and the rest are reported
//! failed, unprocessed, and given back at once like the ones behind a failure. The first
//! record always runs, so a timeout configured below the worst case still makes progress.
//!
//! # Records that do not decode
//!
//! A body that is not a `T` (a producer newer than this consumer during a deploy, a hand-made
//! message) must not be lost, and must not block its customer's queue group either. It goes to
//! the queue's dead-letter queue at once, with its body, its group and a `reason` attribute
//! ([`PoisonSink::dead_letter`]), and is then acknowledged: the group moves on to the next
//! message, and `chatdrop dlq redrive` brings it back once a consumer that reads it is
//! deployed. Reporting it failed and waiting for the redrive policy instead would hold the
//! whole conversation for `maxReceiveCount` × the visibility timeout (or, on the outbound
//! queue, whose count is only a crash guard, for hours). When it cannot be sent there (no
//! dead-letter queue configured, or SQS refused), it is reported failed like any other failure
//! and given back at once, so the redrive policy moves it after a few quick receives: never
//! acknowledged unseen.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chatdrop_domain::clock::Clock;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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
    /// Receipt handles of the returned records that never ran (behind a failure, past the
    /// deadline, or undecodable and not dead-lettered): nothing about them needs a delay.
    pub skipped: Vec<String>,
    /// How many records were left unprocessed because the deadline was near.
    pub out_of_time: usize,
}

/// Where an undecodable record goes instead of being deleted.
pub trait PoisonSink: Sync {
    /// Puts `record` (body, group) on the source queue's dead-letter queue with `reason`.
    fn dead_letter(
        &self,
        record: &SqsMessage,
        reason: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// The invocation's deadline and the time one more record may need at worst.
#[derive(Clone)]
pub struct Deadline {
    /// Unix milliseconds; `None` when unknown (a test's `Context::default()` says 0).
    at_ms: Option<u64>,
    per_record: Duration,
    /// Read in milliseconds, as Lambda states deadlines.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline")
            .field("at_ms", &self.at_ms)
            .field("per_record", &self.per_record)
            .finish()
    }
}

impl Deadline {
    /// `deadline_ms` is `lambda_runtime::Context::deadline` (0: none known, run everything);
    /// `per_record` the function's worst case for one record.
    pub fn new(deadline_ms: u64, per_record: Duration) -> Deadline {
        Deadline {
            at_ms: (deadline_ms > 0).then_some(deadline_ms),
            per_record,
            clock: chatdrop_domain::clock::system(),
        }
    }

    /// The same deadline read against another clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Deadline {
        self.clock = clock;
        self
    }

    /// Time left before the deadline; `None` when no deadline is known.
    pub fn time_left(&self) -> Option<Duration> {
        let at = self.at_ms?;
        let now = u64::try_from(self.clock.now_millis()).unwrap_or(0);
        Some(Duration::from_millis(at.saturating_sub(now)))
    }

    /// Time left after one record's worst case: what a handler may spend on waiting (notify's
    /// rate-limit and pace waits). `None` when no deadline is known.
    pub fn spare(&self) -> Option<Duration> {
        self.time_left()
            .map(|left| left.saturating_sub(self.per_record))
    }

    /// Whether one more record's worst case fits before the deadline.
    pub fn fits_another(&self) -> bool {
        self.time_left().is_none_or(|left| left >= self.per_record)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Failure,
    Deadline,
}

/// Decodes each record's body as `T` and runs `handle` on it in order, while `deadline` leaves
/// room for one more; see the module docs.
pub async fn process_in_order<T, E, F, Fut>(
    event: SqsEvent,
    deadline: &Deadline,
    poison: &impl PoisonSink,
    mut handle: F,
) -> Processed
where
    T: DeserializeOwned,
    E: Display,
    F: FnMut(T, &SqsMessage) -> Fut,
    Fut: Future<Output = RecordResult<E>>,
{
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut out_of_time = 0;
    // Set once a record failed (or the deadline came near): the rest are not run.
    let mut stopped: Option<Stop> = None;
    for (index, record) in event.records.iter().enumerate() {
        let id = record.message_id.clone().unwrap_or_default();
        // The first record always runs: a batch that never starts one makes no progress.
        if index > 0 && stopped.is_none() && !deadline.fits_another() {
            tracing::warn!(
                left_ms = deadline.time_left().map(|d| d.as_millis() as u64),
                per_record_ms = deadline.per_record.as_millis() as u64,
                "too close to the deadline for another record; the rest return to the queue"
            );
            stopped = Some(Stop::Deadline);
        }
        if let Some(stop) = stopped {
            if stop == Stop::Deadline {
                out_of_time += 1;
            }
            failures.push(failure(id));
            skipped.extend(record.receipt_handle.clone());
            continue;
        }
        // The dead-letter reason keeps the parser's whole message (it travels with the body it
        // quotes); the log gets only its category and position (`chatdrop_telemetry::redact`).
        let decoded = record
            .body
            .as_deref()
            .ok_or_else(|| ("record without a body".to_string(), "no body".to_string()))
            .and_then(|b| {
                serde_json::from_str::<T>(b)
                    .map_err(|e| (e.to_string(), chatdrop_telemetry::redact::json_error(&e)))
            });
        let value = match decoded {
            Ok(v) => v,
            Err((full, e)) => {
                let reason = format!("undecodable: {full}");
                match poison.dead_letter(record, &reason).await {
                    Ok(()) => {
                        tracing::error!(message_id = %id, error = %e, "undecodable queue record moved to the dead-letter queue");
                    }
                    Err(why) => {
                        tracing::error!(message_id = %id, error = %e, dead_letter_error = %why, "undecodable queue record could not be dead-lettered; returned to the queue");
                        failures.push(failure(id));
                        skipped.extend(record.receipt_handle.clone());
                        stopped = Some(Stop::Failure);
                    }
                }
                continue;
            }
        };
        if let RecordResult::Retry(e) = handle(value, record).await {
            tracing::warn!(message_id = %id, error = %e, "record failed; it and the rest of the batch return to the queue");
            failures.push(failure(id));
            stopped = Some(Stop::Failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Processed {
        response,
        skipped,
        out_of_time,
    }
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

/// The record's FIFO message group, for a dead-lettered copy.
pub fn message_group(record: &SqsMessage) -> Option<&str> {
    record.attributes.get("MessageGroupId").map(String::as_str)
}

#[cfg(test)]
#[path = "fifo_tests.rs"]
mod tests;
