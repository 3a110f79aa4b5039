//! Lambda's invocation model, locally: each invocation on its own task so a panic fails that
//! one only ([`invoke`]), and the SQS event source's receive, invoke, delete loop ([`poll`]),
//! with the events and deadlines Lambda would hand the consumers.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use lambda_runtime::{Context, LambdaEvent};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// The invocation Lambda would make for `queue`'s consumer: its deadline is now plus the
/// function's timeout (`resources.json`), which the consumers plan their batch against.
pub(super) fn lambda_event(event: SqsEvent, queue: &str) -> LambdaEvent<SqsEvent> {
    let timeout = chatdrop_config::resources::Resources::load()
        .queue(queue)
        .map_or(60, |q| u64::from(q.consumer_timeout_seconds));
    let mut context = Context::default();
    context.deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        + timeout * 1000;
    LambdaEvent::new(event, context)
}

/// An invocation that panicked, with the panic's message.
#[derive(Debug)]
pub struct Panicked(pub(super) String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handler panicked: {}", self.0)
    }
}

/// Runs one invocation on its own task, so a panic ends that invocation only (Lambda's
/// runtime likewise reports a panicking handler as one failed invocation).
pub async fn invoke<T: Send + 'static>(
    invocation: impl Future<Output = T> + Send + 'static,
) -> Result<T, Panicked> {
    tokio::spawn(invocation).await.map_err(|e| {
        let message = match e.try_into_panic() {
            Ok(payload) => payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-text panic payload".into()),
            Err(e) => e.to_string(),
        };
        Panicked(message)
    })
}

/// Lambda's SQS event source, locally: receive, invoke, delete what succeeded. A failed
/// invocation (an error or a panic) deletes nothing: its records return to the queue when
/// their visibility timeout ends, as on Lambda, and the poller goes on receiving.
pub async fn poll<F, Fut>(
    sqs: aws_sdk_sqs::Client,
    url: String,
    mut stopped: watch::Receiver<bool>,
    handler: F,
) where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = Result<SqsBatchResponse, lambda_runtime::Error>> + Send + 'static,
{
    loop {
        let receive = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send();
        let out = tokio::select! {
            _ = stopped.changed() => return,
            out = receive => out,
        };
        let messages = match out {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "receive failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let event = sqs_event(&messages);
        let failed: HashSet<String> = match invoke(handler(event)).await {
            Ok(Ok(response)) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "handler failed; the whole batch returns to the queue");
                continue;
            }
            Err(panic) => {
                tracing::error!(%panic, "the whole batch returns to the queue");
                continue;
            }
        };
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !failed.contains(m.message_id.as_deref().unwrap_or_default()))
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.clone()?)
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty()
            && let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
        {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "delete failed");
        }
    }
}

/// The event Lambda's SQS event source builds from received messages: what every local poller
/// hands its consumer, and what tests that drive a consumer by hand build.
pub fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.event_source = Some("aws:sqs".into());
            record.attributes = m
                .attributes
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), v))
                .collect();
            record
        })
        .collect();
    event
}
