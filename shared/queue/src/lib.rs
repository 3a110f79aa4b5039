//! The SQS queues between the functions, and the consumer side's batch handling.
//!
//! All three queues are FIFO: `MessageGroupId` is the conversation (hashed, so no phone number
//! sits in queue metadata), which keeps one customer's messages in order while different
//! customers proceed in parallel; `MessageDeduplicationId` is the platform's event identity,
//! so a webhook redelivered within SQS's five-minute window is dropped by the queue itself.
//! Longer redeliveries are caught by the processed-message markers in the store.
//!
//! - [`SqsQueues::enqueue_inbound`]: ingress, routing each message to the catalog or cart queue
//!   with as few `SendMessageBatch` calls as the webhook needs (ten entries each).
//! - [`SqsQueues`] as the domain's `Dispatch`: replies to the outbound queue, hand-offs between
//!   the conversation queues.
//! - [`fifo`]: running an `SqsEvent` in order and reporting partial batch failures.

pub mod fifo;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chatdrop_config::QueueUrls;
use chatdrop_domain::action::{Handler, route_payload};
use chatdrop_domain::channel::full_hash;
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::{Dispatch, PortError};
use chatdrop_domain::reply::ReplyBundle;

/// SQS accepts at most ten entries per batch call.
const BATCH: usize = 10;

pub struct SqsQueues {
    client: Client,
    urls: QueueUrls,
}

/// Where ingress sends a message, judged from the message alone (no state on this path).
pub fn route(message: &InboundMessage) -> Handler {
    match &message.content {
        InboundContent::Action { payload, .. } => route_payload(payload),
        _ => Handler::Catalog,
    }
}

/// Deduplication id for `message` on `handler`'s queue: a hash, because SQS allows 128
/// characters and platform ids can be long.
pub fn dedup_id(handler: Handler, message: &InboundMessage) -> String {
    full_hash(&format!(
        "{}#{}",
        handler.as_str(),
        message.dedup_identity()
    ))
}

impl SqsQueues {
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        SqsQueues { client, urls }
    }

    fn url(&self, handler: Handler) -> &str {
        match handler {
            Handler::Catalog => &self.urls.catalog,
            Handler::Cart => &self.urls.cart,
            Handler::Payment => &self.urls.payment,
        }
    }

    /// Queues every message of one webhook. Fails if any entry was not accepted, so the
    /// platform redelivers and the queue's deduplication drops the ones that were.
    pub async fn enqueue_inbound(&self, messages: &[InboundMessage]) -> Result<(), PortError> {
        for handler in [Handler::Catalog, Handler::Cart, Handler::Payment] {
            let mine: Vec<&InboundMessage> =
                messages.iter().filter(|m| route(m) == handler).collect();
            for chunk in mine.chunks(BATCH) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, m)| entry(i, handler, m))
                    .collect::<Result<Vec<_>, _>>()?;
                self.send_batch(self.url(handler), entries).await?;
            }
        }
        Ok(())
    }

    async fn send_batch(
        &self,
        url: &str,
        entries: Vec<SendMessageBatchRequestEntry>,
    ) -> Result<(), PortError> {
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| PortError::new("send message batch", sqs_message(e)))?;
        if let Some(failed) = out.failed.first() {
            return Err(PortError::new(
                "send message batch",
                format!(
                    "{} entries refused, first: {} {}",
                    out.failed.len(),
                    failed.code,
                    failed.message.as_deref().unwrap_or("")
                ),
            ));
        }
        Ok(())
    }

    async fn send_one(
        &self,
        url: &str,
        body: String,
        group: String,
        dedup: String,
    ) -> Result<(), PortError> {
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(dedup)
            .send()
            .await
            .map_err(|e| PortError::new("send message", sqs_message(e)))?;
        Ok(())
    }
}

fn entry(
    index: usize,
    handler: Handler,
    m: &InboundMessage,
) -> Result<SendMessageBatchRequestEntry, PortError> {
    let body = serde_json::to_string(m).map_err(|e| PortError::new("encode message", e))?;
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(body)
        .message_group_id(m.conversation.hashed())
        .message_deduplication_id(dedup_id(handler, m))
        .build()
        .map_err(|e| PortError::new("build batch entry", e))
}

fn sqs_message<E: std::error::Error>(e: E) -> String {
    aws_sdk_sqs::error::DisplayErrorContext(e).to_string()
}

impl Dispatch for SqsQueues {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        let body = serde_json::to_string(bundle).map_err(|e| PortError::new("encode reply", e))?;
        self.send_one(
            &self.urls.outbound,
            body,
            bundle.conversation.hashed(),
            bundle.id.clone(),
        )
        .await
    }

    async fn hand_off(&self, to: Handler, message: &InboundMessage) -> Result<(), PortError> {
        let body =
            serde_json::to_string(message).map_err(|e| PortError::new("encode message", e))?;
        self.send_one(
            self.url(to),
            body,
            message.conversation.hashed(),
            dedup_id(to, message),
        )
        .await
    }
}
