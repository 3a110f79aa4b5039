//! What the platforms were sent, held back, and reported: the conversation's outbound thread,
//! the held-message list ops work through, and the shared platform-token cache.
//!
//! | item                 | pk                       | sk              | expires |
//! |----------------------|--------------------------|-----------------|---------|
//! | sent message         | `THREAD#channel#customer`| `MSG#platform id` | 90 days |
//! | customer's message   | `THREAD#channel#customer`| `MSG#in#event id` | 90 days |
//! | held bundle          | `HELD`                   | bundle id       | 30 days |
//! | platform token       | `TOKEN#key`              | `TOKEN`         | its expiry |
//! | send-rate window     | `RATE#key`               | Unix second     | 1 minute |
//!
//! The send rate is a fixed one-second window per key: one conditional `ADD` takes a slot, and
//! a full window answers "wait until the next second". Cheaper than a token bucket (one write,
//! no read) and as exact at the one-second grain the platforms state their limits in; bursts
//! at a window edge can reach twice the rate for an instant, which the platforms tolerate.
//!
//! A sent message is keyed by the platform's id for it because that is all a status webhook
//! carries; the thread is read in `at` order. Held bundles share one partition: ops list them
//! all, and there are few (a backlog here means a template or tag is missing).

use crate::orders::Item;
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use chatdrop_domain::channel::{ConversationId, full_hash};
use chatdrop_domain::delivery::{Outgoing, Sent, summary};
use chatdrop_domain::handoff::PLATFORM_INBOX;
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_domain::ports::{
    CachedToken, Dispatch, PortError, PortFuture, SendThrottle, TokenCache,
};
use chatdrop_domain::reply::ReplyBundle;
use std::collections::HashMap;
use std::ops::ControlFlow;

const THREAD_TTL: i64 = 90 * 24 * 3600;
const HELD_TTL: i64 = 30 * 24 * 3600;

/// A bundle the sending rules kept back, as ops see it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBundle {
    pub bundle: ReplyBundle,
    pub reason: String,
    pub held_at: i64,
}

/// One message of a conversation's thread, ours or the customer's.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadMessage {
    /// `out` (what we sent) or `in` (what the customer wrote); items from before the
    /// customer's side was kept have none and are ours.
    pub direction: String,
    pub platform_id: String,
    pub at: i64,
    pub summary: String,
    pub status: String,
    pub bundle_id: String,
    /// Who wrote what we sent: `bot` or `agent:<id>` ([`chatdrop_domain::reply::Origin`]);
    /// `bot` for the customer's side and items from before it was kept.
    pub origin: String,
}

fn rank(status: DeliveryStatus) -> i64 {
    match status {
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Delivered => 2,
        DeliveryStatus::Read => 3,
        // A failure report is final, whatever came before.
        DeliveryStatus::Failed => 4,
    }
}

fn thread_pk(conversation: &ConversationId) -> AttributeValue {
    s(format!("THREAD#{}", conversation.key()))
}

fn attr_s(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn attr_n(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

impl DynamoStore {
    pub(crate) async fn put_held(
        &self,
        bundle: &ReplyBundle,
        reason: &str,
    ) -> Result<(), PortError> {
        let json =
            serde_json::to_string(bundle).map_err(|e| PortError::new("encode held bundle", e))?;
        let now = self.now_secs();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s("HELD"))
            .item("sk", s(&bundle.id))
            .item("bundle", s(json))
            .item("reason", s(reason))
            .item("channel", s(bundle.conversation.channel.as_str()))
            .item("customer", s(bundle.conversation.hashed()))
            .item("held_at", n(now))
            .item("expires_at", n(now + HELD_TTL))
            .send()
            .await
            .map_err(|e| PortError::new("record held bundle", sdk_message(e)))?;
        Ok(())
    }

    /// Every held bundle, oldest first.
    pub async fn held(&self) -> Result<Vec<HeldBundle>, PortError> {
        let mut out = Vec::new();
        self.each_with_prefix(
            "list held bundles",
            "HELD",
            "",
            |q| q,
            |item| {
                let bundle = serde_json::from_str(&attr_s(&item, "bundle"))
                    .map_err(|e| PortError::new("decode held bundle", e))?;
                out.push(HeldBundle {
                    bundle,
                    reason: attr_s(&item, "reason"),
                    held_at: attr_n(&item, "held_at"),
                });
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        out.sort_by_key(|h| h.held_at);
        Ok(out)
    }

    /// Takes a held bundle off the list; `false` if it was not there (already sent or
    /// discarded by someone else).
    pub async fn release_held(&self, bundle_id: &str) -> Result<bool, PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s("HELD"))
            .key("sk", s(bundle_id))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| PortError::new("release held bundle", sdk_message(e)))?;
        Ok(out.attributes.is_some())
    }

    /// Queues a held bundle again under a new id (the original's delivery progress and the
    /// queue's deduplication window both remember the old one) and takes it off the list;
    /// the sending rules are applied afresh when it is delivered. Queued before it leaves the
    /// list: a crash in between repeats, never loses. `None` if no such bundle is held.
    pub async fn requeue_held(
        &self,
        bundle_id: &str,
        dispatch: &impl Dispatch,
    ) -> Result<Option<String>, PortError> {
        let Some(held) = self
            .held()
            .await?
            .into_iter()
            .find(|h| h.bundle.id == bundle_id)
        else {
            return Ok(None);
        };
        let mut bundle = held.bundle;
        bundle.id = requeue_id(&bundle.id);
        dispatch.reply(&bundle).await?;
        self.release_held(bundle_id).await?;
        Ok(Some(bundle.id))
    }

    /// Forgets a bundle's delivery progress, so a re-queued held bundle is evaluated afresh.
    pub async fn reset_progress(&self, bundle_id: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("OUTBOX#{bundle_id}")))
            .key("sk", s("PROGRESS"))
            .send()
            .await
            .map_err(|e| PortError::new("reset delivery progress", sdk_message(e)))?;
        Ok(())
    }

    pub(crate) async fn put_outbound(
        &self,
        out: &Outgoing<'_>,
        sent: &Sent,
    ) -> Result<(), PortError> {
        for item in self.outbound_items(out, sent) {
            self.put("record sent message", item).await?;
        }
        Ok(())
    }

    /// The thread items of what `out` sent: one per platform message id.
    fn outbound_items(&self, out: &Outgoing<'_>, sent: &Sent) -> Vec<Item> {
        let conversation = out.conversation();
        let text = out
            .replies
            .iter()
            .map(summary)
            .collect::<Vec<_>>()
            .join(" / ");
        // A platform that returns no ids still gets a thread entry, under a stable id of ours.
        let ids = if sent.message_ids.is_empty() {
            vec![format!("chatdrop:{}", out.idempotency_key())]
        } else {
            sent.message_ids.clone()
        };
        let now = self.now_secs();
        ids.into_iter()
            .map(|id| {
                HashMap::from([
                    ("pk".to_string(), thread_pk(conversation)),
                    ("sk".to_string(), s(format!("MSG#{id}"))),
                    ("platform_id".to_string(), s(&id)),
                    ("channel".to_string(), s(conversation.channel.as_str())),
                    ("bundle_id".to_string(), s(&out.bundle.id)),
                    ("summary".to_string(), s(&text)),
                    ("at".to_string(), n(now)),
                    ("direction".to_string(), s("out")),
                    (
                        "origin".to_string(),
                        s(String::from(out.bundle.origin.clone())),
                    ),
                    ("status".to_string(), s(DeliveryStatus::Sent.as_str())),
                    ("status_rank".to_string(), n(rank(DeliveryStatus::Sent))),
                    ("expires_at".to_string(), n(now + THREAD_TTL)),
                ])
            })
            .collect()
    }

    /// A turn answered in the request itself (KakaoTalk's skill): what the customer wrote and
    /// what answered it, in one `BatchWriteItem` instead of a put each. Plain puts under the
    /// same keys as [`DynamoStore::record_inbound`] and `record_outbound`, so a retried turn
    /// rewrites the same items; items DynamoDB leaves unprocessed are sent again, a few times.
    pub async fn record_turn(
        &self,
        message: &InboundMessage,
        answers: &[Outgoing<'_>],
    ) -> Result<(), PortError> {
        let mut items: Vec<Item> = self.inbound_item(message).into_iter().collect();
        for out in answers {
            items.extend(self.outbound_items(out, &Sent::default()));
        }
        // DynamoDB takes 25 puts a request.
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map(|put| WriteRequest::builder().put_request(put).build())
                        .map_err(|e| PortError::new("build thread put", e))
                })
                .collect::<Result<_, _>>()?;
            for attempt in 0..4 {
                if requests.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| PortError::new("record turn", sdk_message(e)))?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
            }
            if !requests.is_empty() {
                return Err(PortError::new(
                    "record turn",
                    format!("{} thread items left unprocessed", requests.len()),
                ));
            }
        }
        Ok(())
    }

    pub(crate) async fn update_status(
        &self,
        conversation: &ConversationId,
        message_id: &str,
        status: DeliveryStatus,
        at: i64,
    ) -> Result<(), PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", thread_pk(conversation))
            .key("sk", s(format!("MSG#{message_id}")))
            .update_expression("SET #st = :st, status_rank = :r, status_at = :at")
            .condition_expression("attribute_exists(pk) AND status_rank < :r")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":st", s(status.as_str()))
            .expression_attribute_values(":r", n(rank(status)))
            .expression_attribute_values(":at", n(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Unknown message (sent before threads were kept, or by another system) or an
            // older report arriving late: nothing to change.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(PortError::new("record delivery status", sdk_message(e))),
        }
    }

    /// Records what the customer wrote, as text (a tap by its label, a photo by its caption),
    /// in the conversation's thread; messages without text (statuses, opt-outs) are not
    /// recorded. Keyed by the platform's event id, so a redelivery writes the same item.
    ///
    /// What was said in the platform's own inbox for people is recorded the same way: the
    /// customer's words to it ([`InboundContent::Overheard`]) as theirs, and a person's
    /// answer from it ([`InboundContent::InboxReplied`]) as sent by the agent
    /// [`PLATFORM_INBOX`], keyed by the platform's id for that message as our own sent
    /// messages are. Both read in the console like the rest of the thread.
    pub async fn record_inbound(&self, message: &InboundMessage) -> Result<(), PortError> {
        match self.inbound_item(message) {
            Some(item) => self.put("record customer message", item).await,
            None => Ok(()),
        }
    }

    /// The thread item of what the customer wrote ([`DynamoStore::record_inbound`]); none for
    /// a message without text.
    fn inbound_item(&self, message: &InboundMessage) -> Option<Item> {
        let (direction, origin, text) =
            if let InboundContent::InboxReplied { text } = &message.content {
                let text = text.clone().unwrap_or_else(|| "[attachment]".into());
                ("out", Some(format!("agent:{PLATFORM_INBOX}")), text)
            } else {
                let content = match &message.content {
                    InboundContent::Overheard { content } => content.as_ref(),
                    content => content,
                };
                ("in", None, customer_text(content)?)
            };
        // As long as a sent message's summary, so one item stays small.
        let text: String = text.trim_end().chars().take(1000).collect();
        let conversation = &message.conversation;
        let now = self.now_secs();
        let (sk, status) = match direction {
            "out" => (format!("MSG#{}", message.event_id), "sent"),
            _ => (format!("MSG#in#{}", message.event_id), "received"),
        };
        let mut item = HashMap::from([
            ("pk".to_string(), thread_pk(conversation)),
            ("sk".to_string(), s(sk)),
            ("direction".to_string(), s(direction)),
            ("platform_id".to_string(), s(&message.event_id)),
            ("channel".to_string(), s(conversation.channel.as_str())),
            ("summary".to_string(), s(text)),
            ("at".to_string(), n(message.sent_at)),
            ("status".to_string(), s(status)),
            ("expires_at".to_string(), n(now + THREAD_TTL)),
        ]);
        if let Some(origin) = origin {
            item.insert("origin".to_string(), s(origin));
        }
        Some(item)
    }

    /// A conversation's thread, both sides, oldest first.
    pub async fn thread(
        &self,
        conversation: &ConversationId,
    ) -> Result<Vec<ThreadMessage>, PortError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", thread_pk(conversation))
            .send()
            .await
            .map_err(|e| PortError::new("read thread", sdk_message(e)))?;
        let mut messages: Vec<ThreadMessage> = page
            .items()
            .iter()
            .map(|item| ThreadMessage {
                direction: Some(attr_s(item, "direction"))
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "out".into()),
                platform_id: attr_s(item, "platform_id"),
                at: attr_n(item, "at"),
                summary: attr_s(item, "summary"),
                status: attr_s(item, "status"),
                bundle_id: attr_s(item, "bundle_id"),
                origin: Some(attr_s(item, "origin"))
                    .filter(|o| !o.is_empty())
                    .unwrap_or_else(|| "bot".into()),
            })
            .collect();
        messages.sort_by(|a, b| (a.at, &a.bundle_id).cmp(&(b.at, &b.bundle_id)));
        Ok(messages)
    }
}

/// What the customer sent, as the thread shows it; `None` for what shows nothing (statuses,
/// opt-outs, the inbox's moves).
fn customer_text(content: &InboundContent) -> Option<String> {
    Some(match content {
        // A one-time code typed while proving a phone is a secret for its 10 minutes.
        InboundContent::Text { body } => {
            chatdrop_domain::phone_verify::thread_text(body).to_owned()
        }
        InboundContent::Action {
            title: Some(title), ..
        } => format!("[tap] {title}"),
        InboundContent::Image { caption, .. } => {
            format!("[image] {}", caption.as_deref().unwrap_or(""))
        }
        _ => return None,
    })
}

fn token_key(key: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(format!("TOKEN#{key}"))),
        ("sk".to_string(), s("TOKEN")),
    ])
}

impl TokenCache for DynamoStore {
    fn get<'a>(&'a self, key: &'a str) -> PortFuture<'a, Option<CachedToken>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(token_key(key)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| PortError::new("read platform token", sdk_message(e)))?;
            Ok(out.item.and_then(|item| {
                let token = attr_s(&item, "token");
                (!token.is_empty()).then(|| CachedToken {
                    token,
                    expires_at: attr_n(&item, "token_expires_at"),
                })
            }))
        })
    }

    fn lease<'a>(&'a self, key: &'a str, holder: &'a str, until: i64) -> PortFuture<'a, bool> {
        Box::pin(async move {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(token_key(key)))
                .update_expression("SET lease_holder = :h, lease_until = :u")
                .condition_expression(
                    "attribute_not_exists(lease_until) OR lease_until < :now OR lease_holder = :h",
                )
                .expression_attribute_values(":h", s(holder))
                .expression_attribute_values(":u", n(until))
                .expression_attribute_values(":now", n(self.now_secs()))
                .send()
                .await;
            match result {
                Ok(_) => Ok(true),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(PortError::new("lease platform token", sdk_message(e))),
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, token: &'a CachedToken) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let mut item = token_key(key);
            item.insert("token".into(), s(&token.token));
            item.insert("token_expires_at".into(), n(token.expires_at));
            // Kept a day past expiry so a stale read finds an expired token, not nothing.
            item.insert("expires_at".into(), n(token.expires_at + 24 * 3600));
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| PortError::new("store platform token", sdk_message(e)))?;
            Ok(())
        })
    }
}

/// A stable id for a held bundle's re-queue, so two ops pressing "send" queue it once.
pub fn requeue_id(bundle_id: &str) -> String {
    full_hash(&format!("release#{bundle_id}"))
}

impl SendThrottle for DynamoStore {
    fn admit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
    ) -> PortFuture<'a, Option<std::time::Duration>> {
        Box::pin(async move {
            let now_ms = self.clock.now_millis().max(0) as u64;
            let now = std::time::Duration::from_millis(now_ms);
            let second = now.as_secs();
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(format!("RATE#{key}")))
                .key("sk", s(second.to_string()))
                .update_expression("ADD used :one SET expires_at = :e")
                .condition_expression("attribute_not_exists(used) OR used < :limit")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":limit", n(limit))
                .expression_attribute_values(":e", n(second as i64 + 60))
                .send()
                .await;
            match result {
                Ok(_) => Ok(None),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    let into_second = now.subsec_millis() as u64;
                    Ok(Some(std::time::Duration::from_millis(
                        1000 - into_second.min(999),
                    )))
                }
                Err(e) => Err(PortError::new("take a send slot", sdk_message(e))),
            }
        })
    }
}
