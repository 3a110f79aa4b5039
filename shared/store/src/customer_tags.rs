//! A customer's tags (`chatdrop_domain::customer_tags`): the retailer's labels a campaign's
//! segment selects by.
//!
//! | item | pk | sk | TTL |
//! |---|---|---|---|
//! | the tags (`tags`: a string set; `updated_at`) | `CONV#channel#id` | `TAGS` | none |
//!
//! One item per conversation, beside its session (which the conversation functions rewrite
//! whole on every commit, so it cannot hold anything written from elsewhere) and its orders.
//! A string set, because DynamoDB changes one in place: `ADD` puts tags in and `DELETE` takes
//! them out without reading the item first, so two ops tagging the same customer at once both
//! land, and repeating a command changes nothing. The two are separate requests (DynamoDB
//! refuses one update expression that names the same attribute twice). The set is kept under
//! [`MAX_TAGS`] by the add's condition, checked against the set's size before the add.
//!
//! No TTL: a tag outlives the two-week session (it says who the customer is to the retailer,
//! not what they are doing now); "forget me" deletes it ([`DynamoStore::forget_tags`]).

use crate::orders::{Item, key};
use crate::{DynamoStore, n, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::customer_tags::MAX_TAGS;
use chatdrop_domain::ports::PortError;
use std::collections::BTreeSet;

fn tags_key(conversation: &ConversationId) -> Item {
    key(format!("CONV#{}", conversation.key()), "TAGS".to_string())
}

/// The tags in an item (none when the set is gone: DynamoDB removes an emptied set).
fn tags_in(item: Option<&Item>) -> BTreeSet<String> {
    match item.and_then(|i| i.get("tags")) {
        Some(AttributeValue::Ss(tags)) => tags.iter().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// One of the set's two updates: adding (capped) or removing.
struct TagChange {
    what: &'static str,
    expression: &'static str,
    condition: &'static str,
    /// The most tags the set may hold before an add (`:room`).
    room: Option<usize>,
}

/// Why tagging a customer was refused.
#[derive(Debug, thiserror::Error)]
pub enum TagRefused {
    #[error("the customer would carry more than {MAX_TAGS} tags")]
    TooMany,
    #[error(transparent)]
    Store(#[from] PortError),
}

impl DynamoStore {
    /// Adds `add` to the tags of `conversation` and takes `remove` out (tags normalized by
    /// `customer_tags::normalize`); returns the tags it carries then. A tag in both is added
    /// and then removed.
    pub async fn tag_customer(
        &self,
        conversation: &ConversationId,
        add: &BTreeSet<String>,
        remove: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, TagRefused> {
        let mut now_tagged = None;
        if !add.is_empty() {
            // Room for every added tag, counting those already there as new: conservative by
            // at most the added count, and no read before the write.
            let room = MAX_TAGS.saturating_sub(add.len());
            let change = TagChange {
                what: "add customer tags",
                expression: "ADD tags :t SET updated_at = :now",
                condition: "attribute_not_exists(tags) OR size(tags) <= :room",
                room: Some(room),
            };
            match self.change_tags(conversation, change, add).await? {
                Some(tags) => now_tagged = Some(tags),
                None => return Err(TagRefused::TooMany),
            }
        }
        if !remove.is_empty() {
            let change = TagChange {
                what: "remove customer tags",
                expression: "DELETE tags :t SET updated_at = :now",
                // Nothing to take tags from: no item is created for it.
                condition: "attribute_exists(pk)",
                room: None,
            };
            let left = self.change_tags(conversation, change, remove).await?;
            now_tagged = Some(left.unwrap_or_default());
        }
        match now_tagged {
            Some(tags) => Ok(tags),
            None => Ok(self.tags_of(conversation).await?),
        }
    }

    /// One conditional update of the set: the tags after it, or `None` when its condition
    /// refused it.
    async fn change_tags(
        &self,
        conversation: &ConversationId,
        change: TagChange,
        tags: &BTreeSet<String>,
    ) -> Result<Option<BTreeSet<String>>, PortError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(tags_key(conversation)))
            .update_expression(change.expression)
            .condition_expression(change.condition)
            .expression_attribute_values(":t", AttributeValue::Ss(tags.iter().cloned().collect()))
            .expression_attribute_values(":now", n(self.now_secs()))
            .return_values(ReturnValue::AllNew);
        if let Some(room) = change.room {
            update = update.expression_attribute_values(":room", n(room as i64));
        }
        match update.send().await {
            Ok(out) => Ok(Some(tags_in(out.attributes.as_ref()))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(PortError::new(change.what, sdk_message(e))),
        }
    }

    /// The tags `conversation` carries (a strongly consistent read: a campaign started right
    /// after an import sees it whole).
    pub async fn tags_of(
        &self,
        conversation: &ConversationId,
    ) -> Result<BTreeSet<String>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(tags_key(conversation)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get customer tags", sdk_message(e)))?;
        Ok(tags_in(out.item.as_ref()))
    }

    /// Erases the tags of `conversation` ("forget me"); whether there were any.
    pub async fn forget_tags(&self, conversation: &ConversationId) -> Result<bool, PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(tags_key(conversation)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| PortError::new("forget customer tags", sdk_message(e)))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
