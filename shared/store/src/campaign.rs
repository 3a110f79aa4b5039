//! Campaigns on DynamoDB (see `chatdrop_domain::campaign_fanout`).
//!
//! | item | pk | sk | expires |
//! |---|---|---|---|
//! | campaign (`body`: the domain's `Campaign` as JSON; `status` apart, so it moves conditionally) | `CAMPAIGNS` | `CAMPAIGN#id` | never |
//! | target: `channel`, `customer`, `due`, `state` (`pending`/`done`), the send record `bundle` once claimed, `outcome` | `CAMPAIGN#id` | `RCPT#channel#customer` | never |
//! | a LINE multicast: `lang`, `customers` (the members' LINE user ids), `at` | `CAMPAIGN#id` | `MULTICAST#bundle` | 30 days |
//! | a channel's campaign sends in one hour, against its budget: `used` | `BUDGET#channel` | `H<hour, 8 digits>` | 40 days |
//! | report of one channel: `targeted`, `sent`, `deferred`, `suppressed_<reason>` | `CAMPAIGN#id` | `REPORT#channel` | never |
//! | a cap's bucket: the set of campaign ids that took a slot | `CAP#person#W<week>` / `SMSCAP#pseudonym#drop#day` | `CAP` | 8 days |
//!
//! Every write is conditional or transactional, never a read and then a write:
//! - a target is put only if absent, in one transaction with its channel's `targeted` count;
//! - the send record is `bundle`, set only if absent (`attribute_not_exists(bundle)`); a
//!   multicast's record is put in one transaction with every member's `bundle` (each only if
//!   absent), so a batch is claimed whole or not at all;
//! - a target leaves `pending` only in one transaction with its outcome's count, so a report
//!   counts each target once however often a run is retried;
//! - a cap slot is `ADD campaigns :id` if the set holds the id already or has room.
//!
//! Pending targets are found by a query over the campaign's partition filtered on `state` and
//! `due`: it reads the done ones too (1 RCU per 4 KB, ~100 B a target: 100,000 targets cost
//! ~2,500 RCU a pass). A sparse index on pending targets would read only those; not needed
//! until campaigns run to millions.

use crate::orders::{Item, TxResult, key, number, refused, tx_put, tx_update, update};
use crate::partition_query::until;
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::campaign::{Campaign, CampaignStatus, Recipient};
use chatdrop_domain::campaign_budget::hour_of;
use chatdrop_domain::campaign_fanout::{
    Audience, CampaignStore, CapBucket, ChannelReport, Multicast, Outcome, Target,
};
use chatdrop_domain::campaign_rules::Suppression;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::{ConsentLedger, PersonKey};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::{CatalogSource, PortError, SessionStore};
use chatdrop_domain::time_zone::{CustomerZone, region_of_phone};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

const CAMPAIGNS: &str = "CAMPAIGNS";
pub(crate) const PENDING: &str = "pending";
pub(crate) const DONE: &str = "done";

fn campaign_key(id: &str) -> Item {
    key(CAMPAIGNS, format!("CAMPAIGN#{id}"))
}

pub(crate) fn target_key(id: &str, c: &ConversationId) -> Item {
    key(format!("CAMPAIGN#{id}"), format!("RCPT#{}", c.key()))
}

/// How long an hour's budget count is kept: past any period (a month is at most 31 days).
const BUDGET_TTL: i64 = 40 * 86_400;

/// An hour bucket as a sort key: fixed width, so that key order is time order.
fn hour_sk(hour: i64) -> String {
    format!("H{hour:08}")
}

fn budget_key(channel: Channel, hour: i64) -> Item {
    key(format!("BUDGET#{channel}"), hour_sk(hour))
}

/// How long a multicast's record is kept: its members are finished within minutes.
const MULTICAST_TTL: i64 = 30 * 86_400;

fn multicast_key(id: &str, bundle: &str) -> Item {
    key(format!("CAMPAIGN#{id}"), format!("MULTICAST#{bundle}"))
}

pub(crate) fn report_key(id: &str, channel: Channel) -> Item {
    key(format!("CAMPAIGN#{id}"), format!("REPORT#{channel}"))
}

pub(crate) fn string(item: &Item, k: &str) -> Option<String> {
    item.get(k).and_then(|v| v.as_s().ok()).cloned()
}

/// `ADD <counter> :one` on the report of `channel`, as a transaction item.
pub(crate) fn count(
    table: &str,
    id: &str,
    channel: Channel,
    counter: &str,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, PortError> {
    count_by(table, id, channel, &[(counter, 1)])
}

/// `ADD <counter> :by, …` on the report of `channel`, as one transaction item.
///
/// Several counters of one report move in one item because a transaction may not touch an
/// item twice: DynamoDB refuses the whole request ("Transaction request cannot include multiple
/// operations on one item", <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html>).
pub(crate) fn count_by(
    table: &str,
    id: &str,
    channel: Channel,
    counters: &[(&str, i64)],
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, PortError> {
    // Counter names (`deferred`, …) may be DynamoDB reserved words: always a placeholder.
    let adds: Vec<String> = (0..counters.len())
        .map(|i| format!("#c{i} :by{i}"))
        .collect();
    let mut report = update(report_key(id, channel), &format!("ADD {}", adds.join(", ")));
    for (i, (counter, by)) in counters.iter().enumerate() {
        report = report
            .expression_attribute_names(format!("#c{i}"), *counter)
            .expression_attribute_values(format!(":by{i}"), n(*by));
    }
    tx_update(table, report)
}

fn counter(outcome: Outcome) -> String {
    match outcome {
        Outcome::Queued => "queued".into(),
        Outcome::Suppressed(s) => format!("suppressed_{}", s.code()),
    }
}

impl CampaignStore for DynamoStore {
    async fn create(&self, campaign: &Campaign) -> Result<bool, PortError> {
        let body =
            serde_json::to_string(campaign).map_err(|e| PortError::new("encode campaign", e))?;
        let mut item = campaign_key(&campaign.id);
        item.insert("body".into(), s(body));
        item.insert("status".into(), s(campaign.status.as_str()));
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
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new("create campaign", sdk_message(e))),
        }
    }

    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, PortError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(campaign_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("read campaign", sdk_message(e)))?;
        let Some(item) = got.item else {
            return Ok(None);
        };
        let body = string(&item, "body").unwrap_or_default();
        let mut campaign: Campaign =
            serde_json::from_str(&body).map_err(|e| PortError::new("decode campaign", e))?;
        if let Some(status) = string(&item, "status").and_then(|s| CampaignStatus::parse(&s)) {
            campaign.status = status;
        }
        Ok(Some(campaign))
    }

    async fn list(&self) -> Result<Vec<Campaign>, PortError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(CAMPAIGNS))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("list campaigns", sdk_message(e)))?;
        let mut all = Vec::new();
        for item in page.items.unwrap_or_default() {
            let body = string(&item, "body").unwrap_or_default();
            let mut c: Campaign =
                serde_json::from_str(&body).map_err(|e| PortError::new("decode campaign", e))?;
            if let Some(status) = string(&item, "status").and_then(|s| CampaignStatus::parse(&s)) {
                c.status = status;
            }
            all.push(c);
        }
        Ok(all)
    }

    async fn set_status(
        &self,
        id: &str,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<bool, PortError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":f{i}")).collect();
        let mut call = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(campaign_key(id)))
            .update_expression("SET #status = :to")
            .condition_expression(format!("#status IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()));
        for (p, status) in placeholders.iter().zip(from) {
            call = call.expression_attribute_values(p, s(status.as_str()));
        }
        match call.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new("campaign status", sdk_message(e))),
        }
    }

    async fn add_targets(
        &self,
        id: &str,
        conversations: &[ConversationId],
        due: i64,
    ) -> Result<usize, PortError> {
        let mut added = 0;
        for c in conversations {
            let mut item = target_key(id, c);
            item.insert("channel".into(), s(c.channel.as_str()));
            item.insert("customer".into(), s(&c.customer));
            item.insert("due".into(), n(due));
            item.insert("state".into(), s(PENDING));
            let tx = vec![
                tx_put(&self.table, item, Some("attribute_not_exists(pk)"))?,
                count(&self.table, id, c.channel, "targeted")?,
            ];
            if let TxResult::Done = self.transact(tx).await? {
                added += 1;
            }
        }
        Ok(added)
    }

    async fn due_targets(
        &self,
        id: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Target>, PortError> {
        self.pending(id, Some(now), limit).await
    }

    async fn any_pending(&self, id: &str) -> Result<bool, PortError> {
        Ok(!self.pending(id, None, 1).await?.is_empty())
    }

    async fn take_cap(&self, bucket: &CapBucket, id: &str) -> Result<bool, PortError> {
        let expires = self.now_secs() + 8 * 86_400;
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(bucket.key.clone(), "CAP")))
            .update_expression("ADD campaigns :id SET expires_at = :exp")
            .condition_expression(
                "attribute_not_exists(campaigns) OR contains(campaigns, :one) OR size(campaigns) < :cap",
            )
            .expression_attribute_values(":id", AttributeValue::Ss(vec![id.to_string()]))
            .expression_attribute_values(":one", s(id))
            .expression_attribute_values(":cap", n(bucket.cap))
            .expression_attribute_values(":exp", n(expires))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new("take cap", sdk_message(e))),
        }
    }

    async fn claim(
        &self,
        id: &str,
        conversation: &ConversationId,
        bundle: &str,
        at: i64,
    ) -> Result<bool, PortError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(target_key(id, conversation)))
            .update_expression("SET bundle = :b, claimed_at = :at")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(bundle)")
            .expression_attribute_values(":b", s(bundle))
            .expression_attribute_values(":at", n(at))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(PortError::new("claim send", sdk_message(e))),
        }
    }

    async fn claim_multicast(
        &self,
        id: &str,
        batch: &Multicast,
        at: i64,
    ) -> Result<bool, PortError> {
        let mut record = multicast_key(id, &batch.bundle);
        record.insert("lang".into(), s(batch.lang.code()));
        record.insert(
            "customers".into(),
            AttributeValue::L(batch.members.iter().map(|c| s(&c.customer)).collect()),
        );
        record.insert("at".into(), n(at));
        // Only until its members are finished; it holds LINE user ids, so it does not stay.
        record.insert("expires_at".into(), n(at + MULTICAST_TTL));
        let mut tx = vec![tx_put(
            &self.table,
            record,
            Some("attribute_not_exists(pk)"),
        )?];
        for member in &batch.members {
            tx.push(tx_update(
                &self.table,
                update(target_key(id, member), "SET bundle = :b, claimed_at = :at")
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(bundle)")
                    .expression_attribute_values(":b", s(&batch.bundle))
                    .expression_attribute_values(":at", n(at)),
            )?);
        }
        match self.transact(tx).await? {
            TxResult::Done => Ok(true),
            TxResult::Refused(reasons) if reasons.iter().any(refused) => Ok(false),
            TxResult::Refused(reasons) => Err(PortError::new(
                "claim multicast",
                format!("refused: {reasons:?}"),
            )),
        }
    }

    async fn multicast(&self, id: &str, bundle: &str) -> Result<Option<Multicast>, PortError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(multicast_key(id, bundle)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("read multicast", sdk_message(e)))?;
        let Some(item) = got.item else {
            return Ok(None);
        };
        let lang = string(&item, "lang")
            .and_then(|l| Lang::parse(&l).ok())
            .ok_or_else(|| PortError::new("read multicast", "no language"))?;
        let members = item
            .get("customers")
            .and_then(|v| v.as_l().ok())
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_s().ok())
                    .map(|customer| ConversationId::new(Channel::Line, customer.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Multicast {
            bundle: bundle.to_string(),
            lang,
            members,
        }))
    }

    async fn use_budget(&self, channel: Channel, at: i64, sends: u64) -> Result<(), PortError> {
        let hour = hour_of(at);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(budget_key(channel, hour)))
            .update_expression("ADD used :n SET expires_at = :expires")
            .expression_attribute_values(":n", n(sends))
            .expression_attribute_values(":expires", n(hour * 3600 + BUDGET_TTL))
            .send()
            .await
            .map_err(|e| PortError::new("count budget", sdk_message(e)))?;
        Ok(())
    }

    async fn budget_used(&self, channel: Channel, first_hour: i64) -> Result<u64, PortError> {
        let mut used = 0u64;
        self.each_from(
            "read budget",
            format!("BUDGET#{channel}"),
            &hour_sk(first_hour),
            |q| q.consistent_read(true),
            |item| {
                used += number(&item, "used").max(0) as u64;
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        Ok(used)
    }

    async fn defer(
        &self,
        id: &str,
        conversation: &ConversationId,
        until: i64,
    ) -> Result<(), PortError> {
        let tx = vec![
            tx_update(
                &self.table,
                update(target_key(id, conversation), "SET due = :until")
                    .condition_expression("#state = :pending")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":until", n(until))
                    .expression_attribute_values(":pending", s(PENDING)),
            )?,
            count(&self.table, id, conversation.channel, "deferred")?,
        ];
        self.transact(tx).await.map(|_| ())
    }

    async fn finish(
        &self,
        id: &str,
        conversation: &ConversationId,
        outcome: Outcome,
    ) -> Result<bool, PortError> {
        let tx = vec![
            tx_update(
                &self.table,
                update(
                    target_key(id, conversation),
                    "SET #state = :done, outcome = :outcome",
                )
                // Queued only while claimed: a platform's back-off that came before this
                // write removed the claim, and the target stays pending for its retry.
                .condition_expression(match outcome {
                    Outcome::Queued => "#state = :pending AND attribute_exists(bundle)",
                    Outcome::Suppressed(_) => "#state = :pending",
                })
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":done", s(DONE))
                .expression_attribute_values(":pending", s(PENDING))
                .expression_attribute_values(":outcome", s(counter(outcome))),
            )?,
            count(&self.table, id, conversation.channel, &counter(outcome))?,
        ];
        match self.transact(tx).await? {
            TxResult::Done => Ok(true),
            TxResult::Refused(reasons) if reasons.first().is_some_and(refused) => Ok(false),
            TxResult::Refused(_) => Err(PortError::new("finish target", "refused")),
        }
    }

    async fn report(&self, id: &str) -> Result<BTreeMap<Channel, ChannelReport>, PortError> {
        let items = self
            .items_with_prefix(
                "campaign report",
                format!("CAMPAIGN#{id}"),
                "REPORT#",
                |q| q.consistent_read(true),
            )
            .await?;
        let mut report = BTreeMap::new();
        for item in items {
            let Some(channel) = string(&item, "sk")
                .and_then(|sk| sk.strip_prefix("REPORT#").and_then(Channel::parse))
            else {
                continue;
            };
            let mut row = ChannelReport {
                targeted: number(&item, "targeted") as u64,
                queued: number(&item, "queued") as u64,
                sent: number(&item, "sent") as u64,
                delivered: number(&item, "delivered") as u64,
                read: number(&item, "read") as u64,
                deferred: number(&item, "deferred") as u64,
                ..ChannelReport::default()
            };
            for reason in Suppression::ALL {
                let k = format!("suppressed_{}", reason.code());
                if item.contains_key(&k) {
                    row.suppressed.insert(reason, number(&item, &k) as u64);
                }
            }
            // The platforms' refusals, by their codes (`backed_off_131049`, `refused_131026`).
            for (k, _) in item.iter() {
                let count = number(&item, k) as u64;
                if let Some(code) = k.strip_prefix(crate::campaign_outcome::BACKED_OFF) {
                    row.backed_off.insert(code.to_string(), count);
                } else if let Some(code) = k.strip_prefix(crate::campaign_outcome::REFUSED) {
                    row.refused.insert(code.to_string(), count);
                }
            }
            report.insert(channel, row);
        }
        Ok(report)
    }
}

impl DynamoStore {
    /// Pending targets (due at `now`, if given), up to `limit`, in key order.
    async fn pending(
        &self,
        id: &str,
        now: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Target>, PortError> {
        let mut found = Vec::new();
        let pending = |q: QueryFluentBuilder| {
            let q = q
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":pending", s(PENDING))
                .consistent_read(true);
            match now {
                Some(now) => q
                    .filter_expression("#state = :pending AND due <= :now")
                    .expression_attribute_values(":now", n(now)),
                None => q.filter_expression("#state = :pending"),
            }
        };
        self.each_with_prefix(
            "campaign targets",
            format!("CAMPAIGN#{id}"),
            "RCPT#",
            pending,
            |item| {
                let channel = string(&item, "channel").and_then(|c| Channel::parse(&c));
                let (Some(channel), Some(customer)) = (channel, string(&item, "customer")) else {
                    return Ok(ControlFlow::Continue(()));
                };
                found.push(Target {
                    conversation: ConversationId::new(channel, customer),
                    due: number(&item, "due"),
                    claim: string(&item, "bundle"),
                    attempt: number(&item, "attempts") as u32,
                });
                Ok(until(found.len(), limit))
            },
        )
        .await?;
        Ok(found)
    }
}

impl Audience for DynamoStore {
    /// Every conversation whose own standing is an opt-in: one scan of the table filtered on
    /// the consent standings, once per campaign start. (The person's standing, read per
    /// recipient, can still say no.)
    async fn opted_in(&self) -> Result<Vec<ConversationId>, PortError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk = :standing AND begins_with(pk, :conv) AND wish = :in")
                .expression_attribute_values(":standing", s("STANDING"))
                .expression_attribute_values(":conv", s("CONSENT#CONV#"))
                .expression_attribute_values(":in", s("opt_in"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| PortError::new("scan consent", sdk_message(e)))?;
            for item in page.items.unwrap_or_default() {
                let Some(rest) = string(&item, "pk")
                    .and_then(|pk| pk.strip_prefix("CONSENT#CONV#").map(String::from))
                else {
                    continue;
                };
                if let Some((channel, customer)) = rest.split_once('#')
                    && let Some(channel) = Channel::parse(channel)
                {
                    found.push(ConversationId::new(channel, customer));
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                found.sort_by_key(|c| c.key());
                return Ok(found);
            }
        }
    }

    async fn recipient(
        &self,
        campaign: &Campaign,
        conversation: &ConversationId,
    ) -> Result<Recipient, PortError> {
        let session = self.session(conversation).await?;
        let person = PersonKey::of(conversation, &session);
        let consent = self.standing(conversation, person.as_ref()).await?;
        let catalog = self.catalog().await.ok();
        let market = catalog.as_ref().map(|c| c.market_for(conversation.channel));
        let phone = if conversation.channel.spec().customer_id_is_phone {
            let digits = conversation.customer.trim_start_matches('+');
            Some(format!("+{digits}"))
        } else {
            session.identity.verified_phone().map(String::from)
        };
        let now = self.now_secs();
        let zone = CustomerZone::resolve(
            phone.as_deref(),
            market.as_ref().and_then(|m| m.time_zone.as_deref()),
            now,
        );
        let lang = session
            .lang
            .or(market.as_ref().and_then(|m| m.lang))
            .unwrap_or(chatdrop_domain::i18n::Lang::EN);
        let segment = &campaign.segment;
        let bought_before =
            segment.bought_before.is_some() && self.has_orders(conversation).await?;
        let pseudonym = conversation.hashed();
        let reminded = segment.reminded
            && self
                .exists(key(
                    format!("DROP#{}", campaign.drop),
                    format!("REMIND#{pseudonym}"),
                ))
                .await?;
        let on_waitlist = segment.on_waitlist && self.waits_for(&campaign.drop, &pseudonym).await?;
        // Read only for a segment that selects by them, like the other per-recipient reads.
        let tags = if segment.tags.is_empty() {
            Vec::new()
        } else {
            self.tags_of(conversation).await?.into_iter().collect()
        };
        Ok(Recipient {
            conversation: conversation.clone(),
            person,
            consent,
            lang,
            zone: zone.name,
            country: phone.as_deref().and_then(region_of_phone).map(String::from),
            tags,
            bought_before,
            on_waitlist,
            reminded,
            last_heard_at: session.last_heard_at,
            unreachable: session.reachability.is_opted_out(),
        })
    }
}

impl DynamoStore {
    async fn has_orders(&self, c: &ConversationId) -> Result<bool, PortError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(format!("CONV#{}", c.key())))
            .expression_attribute_values(":prefix", s("ORDER#"))
            .limit(1)
            .send()
            .await
            .map_err(|e| PortError::new("orders of a conversation", sdk_message(e)))?;
        Ok(page.count > 0)
    }

    async fn exists(&self, item_key: Item) -> Result<bool, PortError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key))
            .send()
            .await
            .map_err(|e| PortError::new("read item", sdk_message(e)))?;
        Ok(got.item.is_some())
    }

    /// Whether the pseudonym waits in any line of the drop (`WAITER#sku#pseudonym`).
    async fn waits_for(&self, drop: &str, pseudonym: &str) -> Result<bool, PortError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .filter_expression("contains(sk, :who)")
            .expression_attribute_values(":pk", s(format!("DROP#{drop}")))
            .expression_attribute_values(":prefix", s("WAITER#"))
            .expression_attribute_values(":who", s(format!("#{pseudonym}")))
            .send()
            .await
            .map_err(|e| PortError::new("waitlist of a drop", sdk_message(e)))?;
        Ok(page.count > 0)
    }
}
