//! The first visit to a pay link, noted on its order ([`chatdrop_domain::pay_link`]): a
//! campaign's report counts "pay link opened" from it.
//!
//! One `UpdateItem` on the order (`SET opened_at`, conditional on the order existing and the
//! attribute being absent), only on a visit whose read of the order found no `opened_at`: the
//! first visit costs 1 write unit, later ones nothing. Nothing on the checkout's path changes.

use crate::orders::order_key;
use crate::{DynamoStore, conditional_failed, n, sdk_message};
use chatdrop_domain::pay_link::PayLinkOpens;
use chatdrop_domain::ports::PortError;

impl PayLinkOpens for DynamoStore {
    async fn note_opened(&self, order: &str, at: i64) -> Result<bool, PortError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(order_key(order)))
            .update_expression("SET opened_at = :at")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(opened_at)")
            .expression_attribute_values(":at", n(at))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(PortError::new("note pay link opened", sdk_message(e))),
        }
    }
}
