//! "Remind me" records on DynamoDB (see `chatdrop_domain::reminders`).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a reminder (the domain's `Reminder`: chat, language, zone, `told`) | `DROP#id` | `REMIND#pseudonym` |
//!
//! One per conversation and drop (a put conditional on its absence). The opening notice is
//! claimed by a conditional update (`told`: false → true) before it is queued, so a retried or
//! concurrent sweep never tells twice; a claim whose message could not be queued is given back.

use crate::conditional_failed;
use crate::orders::{Item, key};
use crate::partition_query::until;
use crate::{DynamoStore, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::ports::PortError;
use chatdrop_domain::reminders::{Reminder, ReminderStore};

fn reminder_key(reminder: &Reminder) -> Item {
    key(
        format!("DROP#{}", reminder.drop),
        format!("REMIND#{}", reminder.conversation.hashed()),
    )
}

impl ReminderStore for DynamoStore {
    async fn remind(&self, reminder: &Reminder) -> Result<bool, PortError> {
        let mut item: Item =
            serde_dynamo::to_item(reminder).map_err(|e| PortError::new("encode reminder", e))?;
        item.extend(reminder_key(reminder));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("remind", sdk_message(e))),
        }
    }

    async fn untold(&self, drop: &str, limit: usize) -> Result<Vec<Reminder>, PortError> {
        let mut found = Vec::new();
        self.each_with_prefix(
            "untold reminders",
            format!("DROP#{drop}"),
            "REMIND#",
            |q| {
                q.filter_expression("told = :no")
                    .expression_attribute_values(":no", AttributeValue::Bool(false))
            },
            |item| {
                found.push(
                    serde_dynamo::from_item(item)
                        .map_err(|e| PortError::new("decode reminder", e))?,
                );
                Ok(until(found.len(), limit))
            },
        )
        .await?;
        Ok(found)
    }

    async fn claim(&self, reminder: &Reminder) -> Result<bool, PortError> {
        self.set_told(reminder, true).await
    }

    async fn unclaim(&self, reminder: &Reminder) -> Result<(), PortError> {
        self.set_told(reminder, false).await.map(|_| ())
    }
}

impl DynamoStore {
    /// `told` to `to` from its opposite; `Ok(false)` if it was already `to`.
    async fn set_told(&self, reminder: &Reminder, to: bool) -> Result<bool, PortError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(reminder_key(reminder)))
            .update_expression("SET told = :to")
            .condition_expression("told = :from")
            .expression_attribute_values(":to", AttributeValue::Bool(to))
            .expression_attribute_values(":from", AttributeValue::Bool(!to))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("reminder notice", sdk_message(e))),
        }
    }
}
