//! The `sweep` function: ends lapsed reservations, every minute (an EventBridge schedule in AWS,
//! a timer in the local stack).
//!
//! DynamoDB's TTL deletes items days late, so it cannot return stock; this sweep does, and a
//! visit to a lapsed pay link does the same on access. For each lapsed reservation the Stripe
//! page is expired first (a customer must never pay for stock we gave back), then the stock and
//! the limit units return in one transaction, and the customer is told with an offer to check
//! out again. A reservation that cannot be ended (its Stripe session answers 404, say) is
//! logged, counted and moved later in the index, and the run goes on with the next one
//! (`chatdrop_domain::sweep`).
//!
//! Then the waitlists (`chatdrop_domain::waitlist`): holds that ran out pass to the next in
//! line, offers not yet told are told, and every unit waiting in `available` for a line is held
//! for its first customer and offered, including the units this run's lapses returned. The
//! hold lasts `CHATDROP_WAITLIST_HOLD_MINUTES` (default 10). Last, every customer who asked
//! to be reminded of a drop that has opened is told, once (`chatdrop_domain::reminders`).
//!
//! Last of all, every running campaign fans out what is due (`chatdrop_domain::campaign_fanout`)
//! for up to [`CAMPAIGN_BUDGET`] of the run, paced per platform; the next minute goes on.

use chatdrop_config::{Config, SecretSource, Secrets, secret_names};
use chatdrop_domain::campaign::CampaignStatus;
use chatdrop_domain::campaign_budget::{self, ChannelBudget};
use chatdrop_domain::campaign_fanout::{self, CampaignStore, FanOutReport, Pace, Ports};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::clock::Clock;
use chatdrop_domain::handoff::{self, HandoffTimers};
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::reminders;
use chatdrop_domain::sweep;
use chatdrop_domain::waitlist::{self, WaitlistSettings};
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::SqsQueues;
use chatdrop_queue::alerts::SnsAlerts;
use chatdrop_store::DynamoStore;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::Instrument;

/// Reservations ended per run; the next minute's run takes the rest.
const PER_RUN: usize = 200;

/// "Remind me" notices queued per run (a page of each opened drop's); the next run goes on.
const REMINDERS_PER_RUN: usize = 1000;

/// The part of a run (its timeout is 50 s) campaigns may spend waiting on the platforms' pace.
pub const CAMPAIGN_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Targets one campaign takes per run at most.
const CAMPAIGN_TARGETS_PER_RUN: usize = 5_000;

pub struct Sweep {
    /// What time it is (a test steps it).
    clock: Arc<dyn Clock>,
    store: DynamoStore,
    queues: SqsQueues,
    gateway: StripeGateway,
    waitlist: WaitlistSettings,
    /// Where escalations of unclaimed handoffs go, and the handoff timers.
    alerts: SnsAlerts,
    handoff_timers: HandoffTimers,
    /// `CHATDROP_CAMPAIGN_BUDGETS`: what each budgeted channel may take in its period.
    budgets: Vec<ChannelBudget>,
    /// `CHATDROP_SEND_RATES`: the platforms' paces where a deployment changed them.
    send_rates: Vec<(Channel, u32)>,
}

/// The campaign budgets, from `CHATDROP_CAMPAIGN_BUDGETS` (none when unset).
pub fn campaign_budgets(value: Option<&str>) -> Result<Vec<ChannelBudget>, Error> {
    campaign_budget::parse(value.unwrap_or_default())
        .map_err(|e| format!("CHATDROP_CAMPAIGN_BUDGETS: {e}").into())
}

/// The waitlist's hold, from `CHATDROP_WAITLIST_HOLD_MINUTES` (minutes, 1 to 1440).
pub fn waitlist_settings(value: Option<&str>) -> Result<WaitlistSettings, Error> {
    match value {
        None => Ok(WaitlistSettings::default()),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(minutes) if (1..=1440).contains(&minutes) => Ok(WaitlistSettings {
                hold_minutes: minutes,
            }),
            _ => Err(format!(
                "CHATDROP_WAITLIST_HOLD_MINUTES: `{v}` is not a number of minutes from 1 to 1440"
            )
            .into()),
        },
    }
}

impl Sweep {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, _) =
            Secrets::load_with_id_key(secrets, &[secret_names::STRIPE_SECRET_KEY]).await?;
        Ok(Sweep {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone()),
            gateway: StripeGateway::new(
                secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
                config.payments.stripe_api_base.as_deref(),
            )?,
            clock: chatdrop_domain::clock::system(),
            alerts: SnsAlerts::new(
                aws_sdk_sns::Client::new(aws),
                config.handoff.agent_topic_arn.clone(),
            ),
            handoff_timers: config.handoff.timers,
            budgets: campaign_budgets(std::env::var("CHATDROP_CAMPAIGN_BUDGETS").ok().as_deref())?,
            send_rates: config.delivery.send_rates.clone(),
            waitlist: waitlist_settings(
                std::env::var("CHATDROP_WAITLIST_HOLD_MINUTES")
                    .ok()
                    .as_deref(),
            )?,
        })
    }

    /// The function with another clock, for tests that step past a lapse.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Sweep::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

/// Runs one sweep; the scheduled event's content does not matter.
pub async fn handle(app: &Sweep, _event: LambdaEvent<Value>) -> Result<Value, Error> {
    let report = sweep::sweep(
        app.clock.now(),
        PER_RUN,
        &app.store,
        &app.store,
        &app.gateway,
        &app.queues,
    )
    .await?;
    let now = app.clock.now();
    let drops = app.store.drops().await?;
    let waitlist =
        waitlist::sweep_waitlist(now, &drops, &app.store, &app.queues, app.waitlist).await?;
    let told =
        reminders::tell_reminders(now, &drops, &app.store, &app.queues, REMINDERS_PER_RUN).await?;
    let campaigns = run_campaigns(app, now).await?;
    // Handoffs nobody took in time are escalated (once); those nobody acted on go back to the
    // bot, their platform thread taken back by notify. A failure here is logged and left to
    // the next run, like the rest of the sweep.
    let handoffs = handoff::sweep(
        &app.store,
        &app.alerts,
        &app.queues,
        app.handoff_timers,
        now,
    )
    .instrument(tracing::info_span!("handoffs"))
    .await?;
    if handoffs != handoff::HandoffSweep::default() {
        tracing::info!(
            escalated = handoffs.escalated,
            handed_back = handoffs.handed_back,
            failed = handoffs.failed,
            "handoffs"
        );
    }
    if told != reminders::ReminderReport::default() {
        tracing::info!(told = told.told, failed = told.failed, "drop reminders");
    }
    if waitlist != waitlist::WaitlistReport::default() {
        tracing::info!(
            offered = waitlist.offered,
            lapsed = waitlist.lapsed,
            told_late = waitlist.told_late,
            failed = waitlist.failed,
            "waitlist"
        );
    }
    if report != sweep::SweepReport::default() {
        tracing::info!(
            expired = report.expired,
            failed = report.failed,
            awaiting_payment = report.awaiting_payment,
            set_aside = report.set_aside,
            cleared = report.cleared,
            "sweep"
        );
    }
    Ok(json!({
        "expired": report.expired,
        "failed": report.failed,
        "awaiting_payment": report.awaiting_payment,
        "set_aside": report.set_aside,
        "cleared": report.cleared,
        "waitlist_offered": waitlist.offered,
        "waitlist_lapsed": waitlist.lapsed,
        "reminders_told": told.told,
        "campaign_sent": campaigns.sent + campaigns.requeued,
        "campaign_deferred": campaigns.deferred,
        "campaign_suppressed": campaigns.suppressed,
        "campaign_over_budget": campaigns.over_budget,
        "handoffs_escalated": handoffs.escalated,
        "handoffs_handed_back": handoffs.handed_back,
    }))
}

/// One pass over every running campaign, within [`CAMPAIGN_BUDGET`].
async fn run_campaigns(app: &Sweep, now: i64) -> Result<FanOutReport, Error> {
    let started = std::time::Instant::now();
    let mut total = FanOutReport::default();
    for campaign in app.store.list().await? {
        if campaign.status != CampaignStatus::Running {
            continue;
        }
        let mut pace = Pace::new(0);
        for &(channel, per_second) in &app.send_rates {
            pace = pace.with_rate(channel, per_second, 0);
        }
        // What is left of each budget, read again per campaign: the one before spent some.
        for (channel, left) in campaign_fanout::budgets_left(&app.store, &app.budgets, now).await? {
            pace = pace.with_budget(channel, left);
        }
        let ports = Ports {
            store: &app.store,
            audience: &app.store,
            dispatch: &app.queues,
        };
        let report = campaign_fanout::fan_out(
            &campaign,
            ports,
            &mut pace,
            now,
            CAMPAIGN_TARGETS_PER_RUN,
            || started.elapsed().as_millis() as i64,
            |ms| async move {
                let wait = std::time::Duration::from_millis(ms.max(1) as u64);
                if started.elapsed() + wait > CAMPAIGN_BUDGET {
                    return false;
                }
                tokio::time::sleep(wait).await;
                true
            },
        )
        .instrument(tracing::info_span!("campaign", id = %campaign.id))
        .await?;
        tracing::info!(
            campaign = %campaign.id,
            sent = report.sent,
            requeued = report.requeued,
            deferred = report.deferred,
            suppressed = report.suppressed,
            paced = report.paced,
            over_budget = report.over_budget,
            "campaign fan-out"
        );
        total.sent += report.sent;
        total.requeued += report.requeued;
        total.deferred += report.deferred;
        total.suppressed += report.suppressed;
        total.paced += report.paced;
        total.over_budget += report.over_budget;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_budgets_are_optional_and_a_bad_one_names_the_variable() {
        assert!(campaign_budgets(None).unwrap().is_empty());
        assert_eq!(campaign_budgets(Some("whatsapp=250/24h")).unwrap().len(), 1);
        let e = campaign_budgets(Some("whatsapp=250"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("CHATDROP_CAMPAIGN_BUDGETS"), "{e}");
    }

    #[test]
    fn the_waitlist_hold_defaults_to_ten_minutes_and_refuses_nonsense() {
        assert_eq!(waitlist_settings(None).unwrap().hold_minutes, 10);
        assert_eq!(waitlist_settings(Some(" 3 ")).unwrap().hold_minutes, 3);
        for bad in ["0", "-5", "1441", "ten", ""] {
            let e = waitlist_settings(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("CHATDROP_WAITLIST_HOLD_MINUTES"), "{bad}: {e}");
        }
    }
}
