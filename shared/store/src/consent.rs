//! The consent ledger on DynamoDB ([`chatdrop_domain::consent`]).
//!
//! | item           | pk                                   | sk                     | expires |
//! |----------------|--------------------------------------|------------------------|---------|
//! | standing       | `CONSENT#CONV#channel#customer`      | `STANDING`             | never   |
//! | history entry  | `CONSENT#CONV#channel#customer`      | `HISTORY#{at}#{event}` | never   |
//! | standing       | `CONSENT#PERSON#{person key}`        | `STANDING`             | never   |
//! | history entry  | `CONSENT#PERSON#{person key}`        | `HISTORY#{at}#{event}` | never   |
//!
//! Nothing here expires: a session goes after two weeks of silence, but "stop" must hold for
//! as long as we keep the customer, and the history is what shows when and how they agreed.
//! `{at}` is zero-padded so a query returns the history in time order.
//!
//! Every write is a conditional put, never a read and then a write:
//! - a history entry is put only if absent, so a redelivered event records nothing twice;
//! - the standing is put only if it is absent or not newer, so a late event never undoes a
//!   newer one (in the same second, the change recorded last stands: one conversation's
//!   events are processed in arrival order).
//!
//! The check before an announcement reads the conversation's and the person's standings in
//! one `BatchGetItem` (two keys, one request); the later decides.

use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::consent::{ConsentChange, ConsentLedger, PersonKey, Standing, Subject};
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;
use std::ops::ControlFlow;

const STANDING: &str = "STANDING";
const HISTORY: &str = "HISTORY#";

pub(crate) fn subject_pk(subject: &Subject) -> String {
    match subject {
        Subject::Conversation(c) => format!("CONSENT#CONV#{}", c.key()),
        Subject::Person(p) => format!("CONSENT#PERSON#{}", p.as_str()),
    }
}

fn key(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn history_sk(change: &ConsentChange) -> String {
    format!("{HISTORY}{:012}#{}", change.at.max(0), change.event)
}

fn item(
    pk: String,
    sk: String,
    change: &ConsentChange,
) -> Result<HashMap<String, AttributeValue>, PortError> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(change).map_err(|e| PortError::new("encode consent", e))?;
    item.extend(key(pk, sk));
    Ok(item)
}

pub(crate) fn decode(item: HashMap<String, AttributeValue>) -> Result<ConsentChange, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::new("decode consent", e))
}

impl DynamoStore {
    /// Puts `item` if `condition` holds; a failed condition is `Ok(false)`: the ledger already
    /// has this entry, or a later standing.
    async fn put_if(
        &self,
        operation: &'static str,
        item: HashMap<String, AttributeValue>,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool, PortError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        // `at` is one of DynamoDB's reserved words: it goes through a placeholder.
        if condition.contains("#at") {
            put = put.expression_attribute_names("#at", "at");
        }
        for (name, value) in values {
            put = put.expression_attribute_values(name, value);
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new(operation, sdk_message(e))),
        }
    }
}

impl ConsentLedger for DynamoStore {
    async fn record(&self, subject: &Subject, change: &ConsentChange) -> Result<(), PortError> {
        let pk = subject_pk(subject);
        self.put_if(
            "record consent history",
            item(pk.clone(), history_sk(change), change)?,
            "attribute_not_exists(pk)",
            Vec::new(),
        )
        .await?;
        // Never back in time; in the same second the change recorded last stands, since one
        // conversation's events are processed in the order they arrived.
        self.put_if(
            "record consent standing",
            item(pk, STANDING.to_string(), change)?,
            "attribute_not_exists(pk) OR #at <= :at",
            vec![(":at", n(change.at))],
        )
        .await?;
        Ok(())
    }

    async fn standing(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> Result<Standing, PortError> {
        let subjects: Vec<Subject> = std::iter::once(Subject::Conversation(conversation.clone()))
            .chain(person.map(|p| Subject::Person(p.clone())))
            .collect();
        let keys = subjects
            .iter()
            .map(|subject| key(subject_pk(subject), STANDING.to_string()))
            .collect();
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| PortError::new("build consent read", e))?;
        let mut pending = HashMap::from([(self.table.clone(), request)]);
        let mut standing = Standing::NeverAsked;
        // BatchGetItem may hand keys back unprocessed under throttling; ask again for those.
        while !pending.is_empty() {
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(|e| PortError::new("read consent standing", sdk_message(e)))?;
            for item in out
                .responses
                .unwrap_or_default()
                .remove(&self.table)
                .unwrap_or_default()
            {
                standing = standing.later(Standing::Latest(decode(item)?));
            }
            pending = out.unprocessed_keys.unwrap_or_default();
        }
        Ok(standing)
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<ConsentChange>, PortError> {
        let mut out = Vec::new();
        self.each_with_prefix(
            "read consent history",
            subject_pk(subject),
            HISTORY,
            |q| q.consistent_read(true),
            |item| {
                out.push(decode(item)?);
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        Ok(out)
    }
}

/// What forgetting a customer erased.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// The conversation's session was there and is gone.
    pub session: bool,
    /// The conversation's consent items deleted (standing and history entries).
    pub consent_items: usize,
    /// The person's history entries whose typed words were blanked.
    pub person_entries_scrubbed: usize,
    /// Orders whose platform id and engraving text were replaced (amounts, currency and
    /// status stay for the books; see `forget_orders.rs`).
    pub orders_pseudonymized: usize,
    /// A KakaoTalk chat's link to the customer's Kakao account (`kakao_link.rs`) was there and
    /// is gone.
    pub kakao_link: bool,
    /// The retailer's tags on the conversation were there and are gone.
    pub tags: bool,
}

impl DynamoStore {
    /// Erases what the ledger and the session hold about `conversation` (`chatdrop customer
    /// forget`): the session item (the customer's cart, language, phone) and everything
    /// [`DynamoStore::erase_records`] erases. Every step is conditional and may be repeated: a
    /// second run finds nothing left and changes nothing.
    pub async fn forget(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> Result<Forgotten, PortError> {
        let session = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("CONV#{}", conversation.key()),
                "SESSION".to_string(),
            )))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| PortError::new("forget session", sdk_message(e)))?;
        let mut forgotten = self.erase_records(conversation, person).await?;
        forgotten.session = session.attributes.is_some_and(|a| !a.is_empty());
        Ok(forgotten)
    }

    /// Erases what is held about `conversation` outside its session: "forget me" typed in the
    /// chat, where the conversation flow resets the session itself
    /// (`chatdrop_domain::personal_data`), and the second half of [`DynamoStore::forget`].
    /// Every step may be repeated.
    ///
    /// - the conversation's consent items go: their key is the platform id, which on WhatsApp and
    ///   SMS is the phone number. With them goes any opt-in, and announcements are opt-in only,
    ///   so a forgotten customer is announced nothing;
    /// - the person's history (keyed by the keyed phone pseudonym) stays as the record of what
    ///   was agreed, with the words the customer typed blanked;
    /// - the orders keep their amounts, currency and status and lose the platform id and the
    ///   engraving text. Run on an order a second time, the same values are written again;
    /// - the retailer's tags on the conversation go;
    /// - on KakaoTalk, the link between the chat and the customer's Kakao account goes.
    pub async fn erase_records(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> Result<Forgotten, PortError> {
        let mut forgotten = Forgotten {
            tags: self.forget_tags(conversation).await?,
            ..Forgotten::default()
        };
        forgotten.orders_pseudonymized = self.pseudonymize_orders(conversation).await?;
        forgotten.kakao_link = self.forget_kakao_link(conversation).await?;

        let subject = Subject::Conversation(conversation.clone());
        let mut sks: Vec<String> = self
            .history(&subject)
            .await?
            .iter()
            .map(history_sk)
            .collect();
        sks.push(STANDING.to_string());
        for sk in sks {
            let out = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(subject_pk(&subject), sk)))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
                .send()
                .await
                .map_err(|e| PortError::new("forget consent", sdk_message(e)))?;
            if out.attributes.is_some_and(|a| !a.is_empty()) {
                forgotten.consent_items += 1;
            }
        }

        if let Some(person) = person {
            let subject = Subject::Person(person.clone());
            for change in self.history(&subject).await? {
                let scrubbed = ConsentChange {
                    source: change.source.without_personal_fields(),
                    ..change.clone()
                };
                if scrubbed == change {
                    continue;
                }
                // Only over an entry that is there: a rerun after a concurrent erase puts
                // nothing back.
                if self
                    .put_if(
                        "scrub consent history",
                        item(subject_pk(&subject), history_sk(&change), &scrubbed)?,
                        "attribute_exists(pk)",
                        Vec::new(),
                    )
                    .await?
                {
                    forgotten.person_entries_scrubbed += 1;
                }
            }
            // The standing is a copy of the latest entry: scrubbed the same way, unless a newer
            // change replaced it meanwhile (then it holds nothing of this conversation's).
            let standing = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(subject_pk(&subject), STANDING.to_string())))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| PortError::new("read consent standing", sdk_message(e)))?;
            if let Some(found) = standing.item {
                let change = decode(found)?;
                let scrubbed = ConsentChange {
                    source: change.source.without_personal_fields(),
                    ..change.clone()
                };
                if scrubbed != change {
                    self.put_if(
                        "scrub consent standing",
                        item(subject_pk(&subject), STANDING.to_string(), &scrubbed)?,
                        "attribute_exists(pk) AND #at = :at",
                        vec![(":at", n(change.at))],
                    )
                    .await?;
                }
            }
        }
        Ok(forgotten)
    }
}
