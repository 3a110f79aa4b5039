//! Delivery progress of reply bundles, so a redelivered bundle resumes where it stopped.

use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::delivery::{DeliveryLog, Outgoing, SendFailure, Sent};
use chatdrop_domain::inbound::DeliveryStatus;
use chatdrop_domain::ports::PortError;
use chatdrop_domain::reply::ReplyBundle;
use std::collections::HashMap;

/// Longer than any retry span of the outbound queue.
const PROGRESS_TTL: i64 = 7 * 24 * 3600;

fn key(bundle_id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(format!("OUTBOX#{bundle_id}"))),
        ("sk".to_string(), s("PROGRESS")),
    ])
}

impl DynamoStore {
    /// Counts one more transient failure of a bundle; returns the count so far. Rate limits
    /// are not counted: they say "later", not "broken".
    pub async fn record_transient_failure(&self, bundle_id: &str) -> Result<u32, PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(bundle_id)))
            .update_expression("ADD failures :one SET expires_at = :e")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":e", n(self.now_secs() + PROGRESS_TTL))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| PortError::new("count a delivery failure", sdk_message(e)))?;
        Ok(
            match out.attributes.as_ref().and_then(|a| a.get("failures")) {
                Some(AttributeValue::N(v)) => v.parse().unwrap_or(1),
                _ => 1,
            },
        )
    }
}

impl DeliveryLog for DynamoStore {
    async fn sent_count(&self, bundle_id: &str) -> Result<usize, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(bundle_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get delivery progress", sdk_message(e)))?;
        Ok(match out.item.as_ref().and_then(|i| i.get("sent")) {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        })
    }

    async fn record_sent(&self, bundle_id: &str, count: usize) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(bundle_id)))
            .update_expression("SET sent = :c, expires_at = :e")
            .expression_attribute_values(":c", n(count))
            .expression_attribute_values(":e", n(self.now_secs() + PROGRESS_TTL))
            .send()
            .await
            .map_err(|e| PortError::new("record delivery progress", sdk_message(e)))?;
        Ok(())
    }

    async fn record_undeliverable(
        &self,
        bundle: &ReplyBundle,
        failure: &SendFailure,
    ) -> Result<(), PortError> {
        let code = match failure {
            SendFailure::Permanent { code, .. }
            | SendFailure::Transient { code, .. }
            | SendFailure::RateLimited { code, .. } => *code,
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&bundle.id)))
            .update_expression(
                "SET undeliverable = :f, channel = :ch, customer = :cu, expires_at = :e",
            )
            .expression_attribute_values(":f", s(failure.to_string()))
            .expression_attribute_values(":ch", s(bundle.conversation.channel.as_str()))
            .expression_attribute_values(":cu", s(bundle.conversation.hashed()))
            .expression_attribute_values(":e", n(self.now_secs() + PROGRESS_TTL));
        if let Some(code) = code {
            update = update
                .update_expression(
                    "SET undeliverable = :f, channel = :ch, customer = :cu, expires_at = :e, error_code = :code",
                )
                .expression_attribute_values(":code", n(code));
        }
        update
            .send()
            .await
            .map_err(|e| PortError::new("record undeliverable", sdk_message(e)))?;
        Ok(())
    }

    async fn record_held(&self, bundle: &ReplyBundle, reason: &str) -> Result<(), PortError> {
        self.put_held(bundle, reason).await
    }

    async fn record_outbound(&self, out: &Outgoing<'_>, sent: &Sent) -> Result<(), PortError> {
        self.put_outbound(out, sent).await
    }

    async fn record_status(
        &self,
        conversation: &ConversationId,
        message_id: &str,
        status: DeliveryStatus,
        at: i64,
    ) -> Result<(), PortError> {
        self.update_status(conversation, message_id, status, at)
            .await
    }
}
