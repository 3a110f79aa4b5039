//! The counts behind a platform's cap on messages to a customer who has not replied (Viber:
//! 100 an hour), as `chatdrop_domain::send_cap` defines them, in one item per conversation and
//! reply epoch:
//!
//! | pk | sk | attributes | TTL |
//! |---|---|---|---|
//! | `SENDCAP#channel#pseudonym` | `SINCE#<last_heard_at>` | `h<bucket>` counters, `last_call` | end of the next bucket |
//!
//! A call is one conditional `UpdateItem`: `ADD` its messages to the counters of its bucket and
//! the next, `SET last_call`, `REMOVE` the counter of the bucket before (no longer read), if
//! this bucket's counter leaves room *and* the call is not the one counted last. When the
//! condition fails, DynamoDB returns the item as it was (`ReturnValuesOnConditionCheckFailure`),
//! which says which: the same call (a retry, already counted) or a full bucket (and from the
//! next counter, when there will be room). Nothing is read first. The key holds the
//! conversation's keyed pseudonym, never the customer id; the item lives two hours at most,
//! so "forget me" has nothing to find in it for long.

use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chatdrop_domain::ports::PortError;
use chatdrop_domain::send_cap::{CapAnswer, CapClaim, SendCounts, UnansweredCap};
use std::collections::HashMap;

fn counter(bucket: i64) -> String {
    format!("h{bucket}")
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u32 {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
        _ => 0,
    }
}

impl SendCounts for DynamoStore {
    async fn count(
        &self,
        cap: UnansweredCap,
        claim: &CapClaim<'_>,
    ) -> Result<CapAnswer, PortError> {
        let messages = cap.messages(claim);
        let bucket = cap.bucket(claim.now);
        let c = claim.conversation;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("SENDCAP#{}#{}", c.channel, c.hashed())))
            .key("sk", s(format!("SINCE#{}", claim.since)))
            .update_expression(
                "ADD #cur :m, #next :m SET last_call = :call, expires_at = :e REMOVE #prev",
            )
            .condition_expression(
                "(attribute_not_exists(#cur) OR #cur <= :room) \
                 AND (attribute_not_exists(last_call) OR last_call <> :call)",
            )
            .expression_attribute_names("#prev", counter(bucket - 1))
            .expression_attribute_names("#cur", counter(bucket))
            .expression_attribute_names("#next", counter(bucket + 1))
            .expression_attribute_values(":m", n(messages))
            .expression_attribute_values(":room", n(cap.room(messages)))
            .expression_attribute_values(":call", s(claim.call))
            .expression_attribute_values(":e", n(cap.expires_at(claim.now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(CapAnswer::Counted),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let old = failed.item().cloned().unwrap_or_default();
                    let last = match old.get("last_call") {
                        Some(AttributeValue::S(last)) => Some(last.as_str()),
                        _ => None,
                    };
                    if last == Some(claim.call) {
                        return Ok(CapAnswer::AlreadyCounted);
                    }
                    let next = number(&old, &counter(bucket + 1));
                    Ok(CapAnswer::Full {
                        retry_at: cap.retry_at(claim.now, next, messages),
                    })
                }
                _ => Err(PortError::new("count a send", sdk_message(e))),
            },
        }
    }
}
