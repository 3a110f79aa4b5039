//! The platform side of a campaign's send records on DynamoDB (see
//! `chatdrop_domain::campaign_outcome`): what notify and the status webhooks write.
//!
//! | item | pk | sk | expires |
//! |---|---|---|---|
//! | the send record (the target of `campaign.rs`) gains `sent_at`, `platform` (`sent`, `backed_off`, `refused`), `attempts`, `retry_at`, `backed_off_reason`, `refused_reason`, `reached` (1 delivered, 2 read) | `CAMPAIGN#id` | `RCPT#channel#customer` | never |
//! | report counters `sent`, `delivered`, `read`, `backed_off_<code>`, `refused_<code>` | `CAMPAIGN#id` | `REPORT#channel` | never |
//! | a sent announcement's message id → campaign, attempt | `CAMPAIGNMSG#channel#customer` | `MSG#platform id` | 30 days |
//!
//! Each counted step is one transaction of a conditional update of the send record and the
//! `ADD` of its counter, the condition being the step's own precondition (not sent yet; this
//! attempt and not refused yet; not reached this far yet). A redelivered bundle or status
//! report fails the condition and counts nothing; nothing is read first.

use crate::campaign::{DONE, PENDING, count, count_by, target_key};
use crate::orders::{TxResult, key, number, refused, tx_update, update};
use crate::{DynamoStore, n, s, sdk_message};
use chatdrop_domain::campaign_outcome::{
    AnnouncementLog, PlatformOutcome, Reached, SentAnnouncement,
};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::ports::PortError;
use std::ops::ControlFlow;

/// Report counters of back-offs and refusals start with these, then the platform's code.
pub(crate) const BACKED_OFF: &str = "backed_off_";
pub(crate) const REFUSED: &str = "refused_";

/// Message pointers outlive any status report: platforms report within days.
const POINTER_TTL: i64 = 30 * 86_400;

fn pointer_key(conversation: &ConversationId, message_id: &str) -> crate::orders::Item {
    key(
        format!("CAMPAIGNMSG#{}", conversation.key()),
        format!("MSG#{message_id}"),
    )
}

/// The condition that the send record is at `attempt` (absent `attempts` is attempt 0).
fn at_attempt(attempt: u32) -> &'static str {
    if attempt == 0 {
        "attribute_not_exists(attempts)"
    } else {
        "attempts = :attempt"
    }
}

impl DynamoStore {
    /// Runs a counted step: `Ok(false)` when its condition (the first item's) failed.
    async fn counted(
        &self,
        what: &'static str,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<bool, PortError> {
        match self.transact(items).await? {
            TxResult::Done => Ok(true),
            TxResult::Refused(reasons) if reasons.first().is_some_and(refused) => Ok(false),
            TxResult::Refused(_) => Err(PortError::new(what, "refused")),
        }
    }

    async fn reach(
        &self,
        id: &str,
        conversation: &ConversationId,
        rank: i64,
        counter: &str,
    ) -> Result<bool, PortError> {
        let tx = vec![
            tx_update(
                &self.table,
                update(target_key(id, conversation), "SET reached = :r")
                    .condition_expression(
                        "attribute_exists(pk) AND (attribute_not_exists(reached) OR reached < :r)",
                    )
                    .expression_attribute_values(":r", n(rank)),
            )?,
            count(&self.table, id, conversation.channel, counter)?,
        ];
        self.counted("record reached", tx).await
    }
}

impl AnnouncementLog for DynamoStore {
    async fn record_sent(
        &self,
        id: &str,
        conversation: &ConversationId,
        attempt: u32,
        message_ids: &[String],
        at: i64,
    ) -> Result<bool, PortError> {
        // The pointers first, every time: a put of the same item, so a redelivery after a
        // crash between them and the count still leaves them written.
        for message_id in message_ids {
            let mut item = pointer_key(conversation, message_id);
            item.insert("campaign".into(), s(id));
            item.insert("attempt".into(), n(attempt));
            item.insert("expires_at".into(), n(at + POINTER_TTL));
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| PortError::new("record announcement message", sdk_message(e)))?;
        }
        let tx = vec![
            tx_update(
                &self.table,
                update(
                    target_key(id, conversation),
                    "SET sent_at = :at, platform = :sent",
                )
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(sent_at)")
                .expression_attribute_values(":at", n(at))
                .expression_attribute_values(":sent", s("sent")),
            )?,
            count(&self.table, id, conversation.channel, "sent")?,
        ];
        self.counted("record sent", tx).await
    }

    async fn record_refused(
        &self,
        id: &str,
        conversation: &ConversationId,
        attempt: u32,
        outcome: &PlatformOutcome,
    ) -> Result<bool, PortError> {
        let channel = conversation.channel;
        let tx = match outcome {
            PlatformOutcome::Sent { .. } => return Ok(false),
            // Pending again, due when it may be tried again, with the next attempt (the claim
            // removed, so the fan-out claims the new attempt's bundle); it leaves `queued`.
            // notify may answer before the fan-out has recorded the target as queued (it
            // queues, then finishes): then the target is still pending and claimed, and is
            // backed off without touching `queued`; the fan-out's `finish` then finds no claim
            // and leaves it pending.
            PlatformOutcome::BackedOff { reason, retry_at } => {
                let tx = |finished: bool| -> Result<_, PortError> {
                    let mut target = update(
                        target_key(id, conversation),
                        "REMOVE bundle SET #state = :pending, due = :retry, retry_at = :retry, \
                         attempts = :next, platform = :backed, backed_off_reason = :reason",
                    )
                    .condition_expression(format!(
                        "{} AND attribute_not_exists(refused_reason) AND {}",
                        if finished {
                            "#state = :done"
                        } else {
                            "#state = :pending AND attribute_exists(bundle)"
                        },
                        at_attempt(attempt)
                    ))
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":pending", s(PENDING))
                    .expression_attribute_values(":retry", n(*retry_at))
                    .expression_attribute_values(":next", n(attempt + 1))
                    .expression_attribute_values(":backed", s("backed_off"))
                    .expression_attribute_values(":reason", s(reason));
                    if finished {
                        target = target.expression_attribute_values(":done", s(DONE));
                    }
                    if attempt > 0 {
                        target = target.expression_attribute_values(":attempt", n(attempt));
                    }
                    // It leaves `queued` (if the fan-out had counted it there) and is counted
                    // by its reason: both counters are on the one report item.
                    let backed_off = format!("{BACKED_OFF}{reason}");
                    let mut counters = vec![(backed_off.as_str(), 1)];
                    if finished {
                        counters.push(("queued", -1));
                    }
                    Ok(vec![
                        tx_update(&self.table, target)?,
                        count_by(&self.table, id, channel, &counters)?,
                    ])
                };
                if self.counted("record back-off", tx(true)?).await? {
                    return Ok(true);
                }
                tx(false)?
            }
            PlatformOutcome::Refused { reason } => {
                let mut target = update(
                    target_key(id, conversation),
                    "SET platform = :refused, refused_reason = :reason",
                )
                .condition_expression(format!(
                    "attribute_exists(pk) AND attribute_not_exists(refused_reason) AND {}",
                    at_attempt(attempt)
                ))
                .expression_attribute_values(":refused", s("refused"))
                .expression_attribute_values(":reason", s(reason));
                if attempt > 0 {
                    target = target.expression_attribute_values(":attempt", n(attempt));
                }
                vec![
                    tx_update(&self.table, target)?,
                    count(&self.table, id, channel, &format!("{REFUSED}{reason}"))?,
                ]
            }
        };
        self.counted("record refusal", tx).await
    }

    async fn announcement_of(
        &self,
        conversation: &ConversationId,
        message_id: &str,
    ) -> Result<Option<SentAnnouncement>, PortError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(pointer_key(conversation, message_id)))
            .send()
            .await
            .map_err(|e| PortError::new("read announcement message", sdk_message(e)))?
            .item;
        Ok(item.and_then(|item| {
            Some(SentAnnouncement {
                campaign: crate::campaign::string(&item, "campaign")?,
                attempt: number(&item, "attempt") as u32,
            })
        }))
    }

    async fn record_reached(
        &self,
        id: &str,
        conversation: &ConversationId,
        reached: Reached,
    ) -> Result<bool, PortError> {
        // A read implies delivered: the delivered step first (a no-op once taken), each step
        // counted once.
        let delivered = self.reach(id, conversation, 1, "delivered").await?;
        match reached {
            Reached::Delivered => Ok(delivered),
            Reached::Read => self.reach(id, conversation, 2, "read").await,
        }
    }

    async fn sent_to(&self, id: &str) -> Result<Vec<(ConversationId, i64)>, PortError> {
        let mut found = Vec::new();
        self.each_with_prefix(
            "campaign recipients sent",
            format!("CAMPAIGN#{id}"),
            "RCPT#",
            |q| q.filter_expression("attribute_exists(sent_at)"),
            |item| {
                let channel =
                    crate::campaign::string(&item, "channel").and_then(|c| Channel::parse(&c));
                if let (Some(channel), Some(customer)) =
                    (channel, crate::campaign::string(&item, "customer"))
                {
                    found.push((
                        ConversationId::new(channel, customer),
                        number(&item, "sent_at"),
                    ));
                }
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        Ok(found)
    }
}
