//! What tests and benches do with a running stack: its store, queues and gateway, a catalog and
//! drops loaded as the CLI would, the sweep run at a chosen clock, and the replies the fake
//! platforms recorded, waited for until a bundle is complete.

use super::LocalStack;
use crate::Error;
use crate::dev;
use crate::fakes::OutboxEntry;
use chatdrop_domain::catalog::Catalog;
use chatdrop_store::DynamoStore;
use std::time::Duration;

impl LocalStack {
    /// A store on this stack's table (what the CLI and the functions use).
    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&self.aws),
            &self.provisioned.table,
        )
    }

    /// The queues of this stack.
    pub fn queues(&self) -> chatdrop_queue::SqsQueues {
        chatdrop_queue::SqsQueues::new(
            aws_sdk_sqs::Client::new(&self.aws),
            self.provisioned.queues.clone(),
        )
    }

    /// A payment gateway on this stack's fake Stripe.
    pub fn gateway(&self) -> Result<chatdrop_payments::stripe::StripeGateway, Error> {
        Ok(chatdrop_payments::stripe::StripeGateway::new(
            dev::STRIPE_SECRET_KEY_VALUE,
            Some(self.stripe.base_url()),
        )?)
    }

    /// Loads a catalog into this stack's table, as `chatdrop catalog load` does.
    pub async fn load_catalog(&self, catalog: &Catalog) -> Result<usize, Error> {
        Ok(self.store().replace_catalog(catalog).await?)
    }

    /// Creates and opens a drop, as `chatdrop drop create` and `drop open` do.
    pub async fn open_drop(&self, drop: &chatdrop_domain::drops::Drop) -> Result<(), Error> {
        let store = self.store();
        store.create_drop(drop).await?;
        store
            .set_drop_status(&drop.id, chatdrop_domain::drops::DropStatus::Open)
            .await?;
        Ok(())
    }

    /// Runs the reservation sweep as if the clock read `now` (to test lapses without waiting).
    pub async fn sweep_at(&self, now: i64) -> Result<usize, Error> {
        Ok(self.sweep_report_at(now).await?.expired)
    }

    /// [`LocalStack::sweep_at`], with everything the run did (failures, entries set aside).
    pub async fn sweep_report_at(
        &self,
        now: i64,
    ) -> Result<chatdrop_domain::sweep::SweepReport, Error> {
        let store = self.store();
        Ok(chatdrop_domain::sweep::sweep(
            now,
            200,
            &store,
            &store,
            &self.gateway()?,
            &self.queues(),
        )
        .await?)
    }

    /// Runs the sweep's handoff step as if the clock read `now`: escalations of handoffs
    /// nobody took and hand-backs of those nobody acted on, alerting on the stack's topic.
    pub async fn handoff_sweep_at(
        &self,
        now: i64,
    ) -> Result<chatdrop_domain::handoff::HandoffSweep, Error> {
        let alerts = chatdrop_queue::alerts::SnsAlerts::new(
            aws_sdk_sns::Client::new(&self.aws),
            Some(self.provisioned.agent_topic_arn.clone()),
        );
        Ok(chatdrop_domain::handoff::sweep(
            &self.store(),
            &alerts,
            &self.queues(),
            self.config.handoff.timers,
            now,
        )
        .await?)
    }

    /// The agent alerts published on the stack's topic since the last call (read from the
    /// queue subscribed to it, and deleted there), as JSON.
    pub async fn agent_alerts(&self) -> Result<Vec<serde_json::Value>, Error> {
        let sqs = aws_sdk_sqs::Client::new(&self.aws);
        let out = sqs
            .receive_message()
            .queue_url(&self.provisioned.agent_inbox_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?;
        let mut alerts = Vec::new();
        for m in out.messages() {
            alerts.push(serde_json::from_str(m.body().unwrap_or("null"))?);
            if let Some(handle) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(&self.provisioned.agent_inbox_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
        Ok(alerts)
    }

    /// Every request the fake platforms recorded so far, in order.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        fetch_outbox(&crate::local_http::client(), &self.fakes_url).await
    }

    /// Waits until the fakes recorded requests for `recipient` after sequence number `after`,
    /// and then until the stack is idle ([`LocalStack::idle`]) or, failing that, nothing more
    /// came for a short quiet period (a bundle's replies go out one by one).
    ///
    /// Idle is the exact answer: every message the exchange caused has been handled and
    /// deleted, so nothing more can come of it. The quiet period is the fallback for a stack
    /// that is never idle (a consumer that is not running, a delayed retry); on its own it
    /// made every exchange of the tests wait 1.55 s (2.4 s on the paced channels) after the
    /// last part.
    pub async fn replies_after(
        &self,
        recipient: &str,
        after: usize,
    ) -> Result<Vec<OutboxEntry>, Error> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut quiet = Duration::from_millis(1_550);
        let mut seen = 0;
        let mut last_change = tokio::time::Instant::now();
        let fresh = || async {
            Ok::<_, Error>(
                self.outbox()
                    .await?
                    .into_iter()
                    .filter(|e| e.seq > after && e.recipient == recipient)
                    .collect::<Vec<OutboxEntry>>(),
            )
        };
        loop {
            let sent = fresh().await?;
            if sent.len() != seen {
                seen = sent.len();
                last_change = tokio::time::Instant::now();
                quiet = quiet_after(&sent[0].channel);
            } else if seen > 0 && last_change.elapsed() >= quiet {
                return Ok(sent);
            } else if seen > 0 && self.idle().await? {
                // Read again: the rest of the bundle may have gone out while the queues were
                // being looked at, and once idle, nothing more can.
                return fresh().await;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("no reply to {recipient} after #{after} within 20 s").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the stack's four queues hold nothing: no message waiting, in flight (received
    /// and not yet deleted: a consumer is still working on it) or delayed (a retry to come).
    /// A webhook's message is on the catalog queue before ingress answers 200, and a consumer
    /// puts what follows (a handoff, the replies) on the next queue before it deletes its own,
    /// so an idle stack has finished everything sent to it.
    pub async fn idle(&self) -> Result<bool, Error> {
        use aws_sdk_sqs::types::QueueAttributeName;
        let sqs = aws_sdk_sqs::Client::new(&self.aws);
        let q = &self.provisioned.queues;
        for url in [&q.catalog, &q.cart, &q.payment, &q.outbound] {
            let out = sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
                .send()
                .await?;
            if out
                .attributes()
                .is_none_or(|a| a.values().any(|n| n != "0"))
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The highest sequence number recorded so far.
    pub async fn last_seq(&self) -> Result<usize, Error> {
        Ok(self.outbox().await?.last().map_or(0, |e| e.seq))
    }
}

/// Every request the fake platforms at `fakes_url` recorded so far, in order.
pub async fn fetch_outbox(
    http: &reqwest::Client,
    fakes_url: &str,
) -> Result<Vec<OutboxEntry>, Error> {
    Ok(http
        .get(format!("{fakes_url}/outbox"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// How long a reply must stay silent to be complete: longer than one send-rate window of the
/// channel's pace. Where the registry paces a chat (Telegram) or a sender (an SMS number) at one
/// message a second, a reply's parts arrive a second apart, plus whatever the shared send-rate
/// count costs on a busy machine; elsewhere they follow each other at once. Both include 400 ms
/// for a loaded 2-core machine: until the outbox polls stopped building a client each (43 ms of
/// CPU, `local_http`), a poll took about that long there, and the windows had it as slack; with
/// fast polls and without it, a bundle's second part came too late under load average 20.
fn quiet_after(channel: &str) -> Duration {
    let one_a_second = chatdrop_domain::channel::Channel::parse(channel).is_some_and(|c| {
        let rate = c.spec().default_rate;
        rate.per_second <= 1 || rate.per_chat_per_second.is_some_and(|r| r <= 1)
    });
    Duration::from_millis(if one_a_second { 2_400 } else { 1_550 })
}
