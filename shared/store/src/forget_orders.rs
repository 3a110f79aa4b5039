//! Forgetting a customer's orders without losing the books: each order keeps its amounts,
//! currency, status and the keyed `customer` pseudonym (limits count on it), and loses what
//! names the person — the platform id in `conversation.customer` (a phone number on WhatsApp
//! and SMS) and the engraving text typed into `lines[].selections[]` and quoted in the line's
//! `item` description (which becomes the product's name). The conversation's
//! pointers to its orders (`CONV#channel#customer` / `ORDER#…`) are deleted, since their key is
//! the platform id.
//!
//! Each order is changed by one `UpdateItem` that sets only those paths, conditional on the
//! order existing, so a status change at the same moment (a shipment, a refund) is never
//! overwritten, and running it again writes the same values.

use crate::{DynamoStore, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::customization::Selection;
use chatdrop_domain::ports::{OrderStore, PortError};
use std::collections::HashMap;

impl DynamoStore {
    /// Pseudonymizes every order of `conversation`; returns how many orders it changed.
    pub(crate) async fn pseudonymize_orders(
        &self,
        conversation: &ConversationId,
    ) -> Result<usize, PortError> {
        let pk = format!("CONV#{}", conversation.key());
        let pseudonym = format!("forgotten:{}", conversation.hashed());
        let pointers = self
            .items_with_prefix("list orders to forget", pk.clone(), "ORDER#", |q| {
                q.consistent_read(true)
            })
            .await?;
        let mut changed = 0;
        for pointer in pointers {
            let (Some(AttributeValue::S(sk)), Some(AttributeValue::S(id))) =
                (pointer.get("sk"), pointer.get("order"))
            else {
                continue;
            };
            if let Some(order) = self.order(id).await? {
                let mut expression = vec!["#conv.#cust = :pseudonym".to_string()];
                let mut values: HashMap<String, AttributeValue> =
                    HashMap::from([(":pseudonym".to_string(), s(pseudonym.clone()))]);
                for (l, line) in order.lines.iter().enumerate() {
                    let mut engraved = false;
                    for (k, selection) in line.selections.iter().enumerate() {
                        if matches!(selection, Selection::Text { .. }) {
                            expression.push(format!("#lines[{l}].#sel[{k}].#text = :blank"));
                            engraved = true;
                        }
                    }
                    // The line's description quotes the engraving: it becomes the product's
                    // name alone.
                    if engraved {
                        expression.push(format!("#lines[{l}].#item = :item{l}"));
                        values.insert(format!(":item{l}"), s(line.name.clone()));
                    }
                }
                let typed = expression.len() > 1;
                if typed {
                    values.insert(":blank".into(), s(""));
                }
                let mut update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", s(format!("ORDER#{id}")))
                    .key("sk", s("ORDER"))
                    .update_expression(format!("SET {}", expression.join(", ")))
                    .condition_expression("attribute_exists(pk)")
                    .set_expression_attribute_values(Some(values))
                    // Names through placeholders: several (`lines`, `text`) are reserved words.
                    .expression_attribute_names("#conv", "conversation")
                    .expression_attribute_names("#cust", "customer");
                if typed {
                    update = update
                        .expression_attribute_names("#lines", "lines")
                        .expression_attribute_names("#sel", "selections")
                        .expression_attribute_names("#text", "text")
                        .expression_attribute_names("#item", "item");
                }
                match update.send().await {
                    Ok(_) => changed += 1,
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                    Err(e) => return Err(PortError::new("forget order", sdk_message(e))),
                }
            }
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(pk.clone()))
                .key("sk", s(sk.clone()))
                .return_values(ReturnValue::None)
                .send()
                .await
                .map_err(|e| PortError::new("forget order pointer", sdk_message(e)))?;
        }
        Ok(changed)
    }
}
