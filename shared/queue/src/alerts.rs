//! Agent alerts over SNS: the `AgentAlerts` port's adapter.
//!
//! A handoff is published to one SNS topic (`CHATDROP_AGENT_TOPIC_ARN`) that the retailer's
//! people subscribe to however they like: mail, an HTTPS chat hook, a pager, an SQS queue for
//! a console. The message is JSON ([`AgentAlert`]: kind, channel, pseudonym, reason, since,
//! language), with a subject line for mail and message attributes (`kind`, `channel`,
//! `reason`) that subscription filter policies can route on, e.g. escalations to paging only
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html>). Publishing is at
//! least once: each message carries the alert's stable id (`alert_id`) for subscribers that
//! drop repeats. The local stack's moto serves the same API, so tests read what was published
//! through an SQS subscription of the topic.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use chatdrop_domain::handoff::{AgentAlert, AgentAlerts, AlertKind};
use chatdrop_domain::ports::PortError;

/// Publishes agent alerts to an SNS topic; without a topic, logs them at warn.
pub struct SnsAlerts {
    client: Client,
    topic_arn: Option<String>,
}

impl SnsAlerts {
    pub fn new(client: Client, topic_arn: Option<String>) -> Self {
        SnsAlerts { client, topic_arn }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::new("build alert attribute", e))
}

impl AgentAlerts for SnsAlerts {
    async fn publish(&self, alert: &AgentAlert) -> Result<(), PortError> {
        let Some(topic) = &self.topic_arn else {
            tracing::warn!(
                customer = %alert.customer,
                channel = %alert.channel,
                reason = alert.reason.as_str(),
                "a customer waits for a person, and no agent topic is configured (CHATDROP_AGENT_TOPIC_ARN)"
            );
            return Ok(());
        };
        let mut body =
            serde_json::to_value(alert).map_err(|e| PortError::new("encode agent alert", e))?;
        body["alert_id"] = alert.id().into();
        let kind = match alert.kind {
            AlertKind::New => "new",
            AlertKind::Escalated => "escalated",
        };
        self.client
            .publish()
            .topic_arn(topic)
            .subject(alert.subject())
            .message(body.to_string())
            .message_attributes("kind", attribute(kind)?)
            .message_attributes("channel", attribute(alert.channel.as_str())?)
            .message_attributes("reason", attribute(alert.reason.as_str())?)
            .send()
            .await
            .map_err(|e| {
                PortError::new(
                    "publish agent alert",
                    aws_sdk_sns::error::DisplayErrorContext(e),
                )
            })?;
        tracing::info!(customer = %alert.customer, kind, reason = alert.reason.as_str(), "agents alerted");
        Ok(())
    }
}
