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

pub mod alerts;
pub mod fifo;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, SendMessageBatchRequestEntry};
use chatdrop_config::{DeadLetterUrls, QueueUrls};
use chatdrop_domain::action::{Handler, route_payload};
use chatdrop_domain::channel::full_hash;
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::{Dispatch, PortError};
use chatdrop_domain::reply::ReplyBundle;

/// SQS accepts at most ten entries per batch call.
const BATCH: usize = 10;

/// A queue a function consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The catalog, cart or payment queue.
    Conversation(Handler),
    /// Replies on their way to the platforms (notify).
    Outbound,
}

pub struct SqsQueues {
    client: Client,
    urls: QueueUrls,
    dead_letters: DeadLetterUrls,
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
        SqsQueues {
            client,
            urls,
            dead_letters: DeadLetterUrls::default(),
        }
    }

    /// The same queues, with the dead-letter queues a consumer puts unreadable records on.
    pub fn with_dead_letters(mut self, dead_letters: DeadLetterUrls) -> Self {
        self.dead_letters = dead_letters;
        self
    }

    /// Where undecodable records of `source` go: see [`fifo`]'s module docs.
    pub fn poison_sink(&self, source: Source) -> PoisonQueue<'_> {
        PoisonQueue {
            queues: self,
            source,
        }
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
        for (handler, entries) in batch_entries(messages)? {
            self.send_batch(self.url(handler), entries).await?;
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

    fn source_url(&self, source: Source) -> &str {
        match source {
            Source::Conversation(handler) => self.url(handler),
            Source::Outbound => &self.urls.outbound,
        }
    }

    /// Makes records returned unprocessed (see [`fifo::Processed::skipped`]) visible again at
    /// once. Best effort: a record this misses comes back after the visibility timeout anyway.
    pub async fn give_back(&self, source: Source, receipt_handles: &[String]) {
        for chunk in receipt_handles.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>();
            let result = match entries {
                Ok(entries) => self
                    .client
                    .change_message_visibility_batch()
                    .queue_url(self.source_url(source))
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(sqs_message)
                    .map(|out| out.failed.len()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(0) => {}
                Ok(refused) => {
                    tracing::warn!(refused, "some skipped records could not be given back");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not give back records skipped behind a failure");
                }
            }
        }
    }

    /// Makes an outbound message come back after `delay` instead of the queue's visibility
    /// timeout: a platform's advised retry time (SQS caps visibility at 12 hours).
    pub async fn delay_outbound(
        &self,
        receipt_handle: &str,
        delay: std::time::Duration,
    ) -> Result<(), PortError> {
        let seconds = delay.as_secs().min(12 * 3600) as i32;
        self.client
            .change_message_visibility()
            .queue_url(&self.urls.outbound)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map_err(|e| PortError::new("delay message", sqs_message(e)))?;
        Ok(())
    }

    /// Puts a bundle whose retry budget is spent on the outbound dead-letter queue, where
    /// `chatdrop dlq redrive` finds it, as SQS itself would have.
    pub async fn dead_letter_outbound(
        &self,
        dead_letter_url: &str,
        bundle: &ReplyBundle,
    ) -> Result<(), PortError> {
        let body = serde_json::to_string(bundle).map_err(|e| PortError::new("encode reply", e))?;
        self.send_one(
            dead_letter_url,
            body,
            bundle.conversation.hashed(),
            bundle.id.clone(),
        )
        .await
    }
}

/// The dead-letter queue of one source queue, as [`fifo::PoisonSink`].
pub struct PoisonQueue<'a> {
    queues: &'a SqsQueues,
    source: Source,
}

impl fifo::PoisonSink for PoisonQueue<'_> {
    async fn dead_letter(
        &self,
        record: &aws_lambda_events::event::sqs::SqsMessage,
        reason: &str,
    ) -> Result<(), String> {
        let d = &self.queues.dead_letters;
        let url = match self.source {
            Source::Conversation(Handler::Catalog) => &d.catalog,
            Source::Conversation(Handler::Cart) => &d.cart,
            Source::Conversation(Handler::Payment) => &d.payment,
            Source::Outbound => &d.outbound,
        }
        .as_deref()
        .ok_or("no dead-letter queue configured")?;
        let id = record.message_id.clone().unwrap_or_default();
        // The original group keeps a redriven copy in its conversation's order; the message id
        // makes a retried send of the same record one message.
        let group = fifo::message_group(record).unwrap_or("undecodable");
        let reason: String = reason.chars().take(1_000).collect();
        self.queues
            .client
            .send_message()
            .queue_url(url)
            .message_body(record.body.clone().unwrap_or_default())
            .message_group_id(group)
            .message_deduplication_id(full_hash(&format!("poison#{id}")))
            .message_attributes(
                "reason",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(reason)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(sqs_message)?;
        Ok(())
    }
}

/// The `SendMessageBatch` calls one webhook's messages become: per destination queue, in
/// order, at most ten entries each (group = hashed conversation, dedup = the event's identity).
/// Pure, so nothing is sent when any message fails to encode, and the bench measures exactly
/// what ingress computes.
pub fn batch_entries(
    messages: &[InboundMessage],
) -> Result<Vec<(Handler, Vec<SendMessageBatchRequestEntry>)>, PortError> {
    let mut batches = Vec::new();
    for handler in [Handler::Catalog, Handler::Cart, Handler::Payment] {
        let mine: Vec<&InboundMessage> = messages.iter().filter(|m| route(m) == handler).collect();
        for chunk in mine.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| entry(i, handler, m))
                .collect::<Result<Vec<_>, _>>()?;
            batches.push((handler, entries));
        }
    }
    Ok(batches)
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

/// Moves every message of a dead-letter queue back to its source queue, in the order
/// received, each with its message group and a `redrive-` deduplication id (the original id
/// may still be inside the source queue's five-minute deduplication window). A message is
/// deleted from the dead letters only after the source queue took it: a crash in between
/// repeats one, never loses one. `progress` hears the count after each move. This is
/// `chatdrop dlq redrive`.
pub async fn redrive(
    sqs: &Client,
    from: &str,
    to: &str,
    mut progress: impl FnMut(usize),
) -> Result<usize, PortError> {
    use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
    let mut moved = 0;
    loop {
        let out = sqs
            .receive_message()
            .queue_url(from)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(Attr::All)
            .send()
            .await
            .map_err(|e| PortError::new("receive dead letters", sqs_message(e)))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for m in messages {
            let attrs = m.attributes.clone().unwrap_or_default();
            let mut send = sqs
                .send_message()
                .queue_url(to)
                .message_body(m.body.clone().unwrap_or_default());
            if let Some(g) = attrs.get(&Attr::MessageGroupId) {
                send = send.message_group_id(g);
            }
            if let Some(d) = attrs.get(&Attr::MessageDeduplicationId) {
                send = send.message_deduplication_id(format!("redrive-{d}"));
            }
            send.send()
                .await
                .map_err(|e| PortError::new("redrive a message", sqs_message(e)))?;
            sqs.delete_message()
                .queue_url(from)
                .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                .send()
                .await
                .map_err(|e| PortError::new("delete a redriven message", sqs_message(e)))?;
            moved += 1;
            progress(moved);
        }
    }
}
