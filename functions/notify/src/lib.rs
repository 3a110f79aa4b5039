//! The `notify` function: sends reply bundles from the outbound queue through the channel
//! adapters, in order per conversation (the queue is FIFO, grouped by conversation).
//!
//! Each bundle goes through the domain's [`deliver`] with the conversation's session (when the
//! customer last wrote, whether they opted out): bundles the platform's window or an opt-out do
//! not allow are held for ops, replies already sent by an earlier attempt are skipped, permanent
//! failures are recorded and dropped, and one that says the customer blocked us (Telegram 403,
//! Viber 6, Twilio 21610) opts the chat out ([`chatdrop_domain::consent::refused_by_customer`]). A drop announcement (a campaign's bundle) is checked
//! against the consent ledger once more as it leaves, and withdrawn if the customer opted out
//! since it was queued. What the platform then makes of an announcement — sent, refused and
//! backed off (WhatsApp 131049), refused for good — is written to the campaign's send record
//! ([`chatdrop_domain::campaign_outcome`]). A campaign's LINE multicast, one bundle for a batch
//! of friends, is sent as one request by [`multicast`].
//!
//! A KakaoTalk order notice (paid, lapsed, shipped, refunded) cannot be written into the chat:
//! it goes out as AlimTalk, an approved template filled in, to the phone the customer verified,
//! through NAVER Cloud SENS ([`chatdrop_domain::alimtalk::deliver`]); a notice no template fits,
//! or for a customer without a verified phone, is held for ops with the reason.
//!
//! # Retries are counted here, not by the queue
//!
//! SQS counts every receive towards the queue's `maxReceiveCount`: a bundle returned after a
//! rate limit, one given back unprocessed behind a failure or at the deadline, one paced out.
//! A long platform rate limit with a backlog would reach any small count and dead-letter
//! replies that only had to wait. So notify keeps its own accounts and the queue's count is
//! only a guard against a consumer that crashes on a bundle every time (1,000 receives,
//! `resources.json`):
//!
//! - rate limited: waited out in place for as long as the invocation's time allows (its
//!   deadline less [`PER_RECORD`]), so a long limit costs one receive per invocation instead
//!   of one per advised delay; then back after the advised delay; never counted, never
//!   dead-lettered;
//! - over a platform's cap on messages to a customer who has not replied (Viber's 100 an hour,
//!   [`chatdrop_domain::send_cap`]), counted before each call: deferred, back on the queue and
//!   looked at again every few minutes until the hour allows or the customer replies; never
//!   counted, never dead-lettered, never sent into the platform's refusal;
//! - transient (5xx, timeouts): counted in the bundle's `PROGRESS` item; back after a backoff,
//!   and dead-lettered by notify itself on the [`RETRY_BUDGET`]th failure (half an hour).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_channels::kakao::SensAlimtalk;
use chatdrop_channels::registry::{self, SenderDeps, Values};
use chatdrop_channels::{Outbound, Senders, http_client};
use chatdrop_config::{Config, SecretSource, Secrets, channel_secrets, channel_values};
use chatdrop_domain::alimtalk::{self, AlimtalkTemplates};
use chatdrop_domain::campaign_outcome::{self, PlatformOutcome};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::channel_spec::Side;
use chatdrop_domain::clock::Clock;
use chatdrop_domain::consent;
use chatdrop_domain::delivery::{
    Delivered, DeliveryError, Moment, RetryPolicy, SendFailure, deliver,
};
use chatdrop_domain::handoff::{AlertKind, HandoffNotice, alert_once};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::SessionStore;
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_queue::Source;
use chatdrop_queue::SqsQueues;
use chatdrop_queue::alerts::SnsAlerts;
use chatdrop_queue::fifo::{Deadline, RecordResult, process_in_order, receive_count};
use chatdrop_store::DynamoStore;
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

mod multicast;

/// The longest one bundle may take besides waiting for the platform: its calls (10 s HTTP
/// timeout each) and the store writes between them. A batch starts another bundle only while
/// this much is left before the deadline, and a bundle waits in place only for the time left
/// beyond it. The function's timeout is 45 s (`resources.json`).
pub const PER_RECORD: Duration = Duration::from_secs(15);

pub struct Notify {
    /// What time it is (a test steps it).
    clock: Arc<dyn Clock>,
    store: Arc<DynamoStore>,
    queues: SqsQueues,
    senders: Senders,
    policy: RetryPolicy,
    dead_letter_url: Option<String>,
    retry_base: Duration,
    /// Where agents are told that a customer waits for a person.
    alerts: SnsAlerts,
    /// KakaoTalk's order notices: the approved AlimTalk templates and the dealer, when the
    /// deployment serves KakaoTalk.
    alimtalk: Option<(AlimtalkTemplates, SensAlimtalk)>,
}

/// Transient failures a bundle may have before notify dead-letters it. Retries back off from
/// `CHATDROP_RETRY_BASE_SECONDS` (30 s) doubling up to [`RETRY_CAP`]: 30 + 60 + 120 + 240 +
/// 5 × 270 s is half an hour of a platform being down, the outage the outbound path must
/// survive. Rate limits do not count: they are retried after the platform's advised delay,
/// however often.
pub const RETRY_BUDGET: u32 = 10;

/// The longest wait between two retries: the outbound queue's visibility timeout.
pub const RETRY_CAP: Duration = Duration::from_secs(270);

/// The wait before retry `failures + 1`.
pub fn backoff(base: Duration, failures: u32) -> Duration {
    base.saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(RETRY_CAP)
}

impl Notify {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, _) =
            Secrets::load_with_id_key(secrets, &channel_secrets(config, Side::Outbound)).await?;
        let store = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(aws),
            &config.table,
        ));
        let clock = chatdrop_domain::clock::system();
        let deps = SenderDeps {
            client: http_client(Duration::from_secs(10)),
            tokens: store.clone(),
            clock: clock.clone(),
        };
        let senders = config.channels.iter().map(|&channel| {
            let values = Values::new(channel_values(config, &secrets, channel, Side::Outbound));
            registry::sender(channel, &values, &deps)
        });
        let alimtalk = if config.serves(Channel::Kakao) {
            let values = Values::new(channel_values(
                config,
                &secrets,
                Channel::Kakao,
                Side::Outbound,
            ));
            Some(chatdrop_channels::kakao::alimtalk(&values, &deps)?)
        } else {
            None
        };
        Ok(Notify {
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone())
                .with_dead_letters(config.dead_letters.clone()),
            senders: Senders::new(senders)
                .paced(store.clone(), config.delivery.send_rates.iter().copied()),
            store,
            policy: RetryPolicy::default(),
            dead_letter_url: config.delivery.dead_letter_url.clone(),
            retry_base: Duration::from_secs(config.delivery.retry_base_seconds),
            alerts: SnsAlerts::new(
                aws_sdk_sns::Client::new(aws),
                config.handoff.agent_topic_arn.clone(),
            ),
            alimtalk,
            clock,
        })
    }

    /// The function with another clock, for tests of windows and reply-token expiry.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Notify::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

pub async fn handle(app: &Notify, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let deadline = Deadline::new(event.context.deadline, PER_RECORD);
    let poison = app.queues.poison_sink(Source::Outbound);
    let deadline = &deadline;
    let processed = process_in_order(
        event.payload,
        deadline,
        &poison,
        |bundle: ReplyBundle, record| {
            let span = tracing::info_span!(
                "delivery",
                channel = %bundle.conversation.channel,
                customer = %bundle.conversation.hashed(),
                replies = bundle.replies.len(),
                attempt = receive_count(record),
            );
            let receipt = record.receipt_handle.clone();
            Box::pin(
                async move {
                    // A campaign's LINE multicast: a batch of conversations, one request.
                    if let Some(announcement) = bundle
                        .announcement
                        .as_ref()
                        .filter(|a| !a.audience.is_empty())
                    {
                        return multicast::deliver(app, &bundle, announcement, receipt.as_deref())
                            .await;
                    }
                    // The window and opt-out state come from the conversation's session.
                    let session = match app.store.session(&bundle.conversation).await {
                        Ok(session) => session,
                        Err(e) => return RecordResult::Retry(e.to_string()),
                    };
                    // An announcement leaves only to a customer who still agrees now: the
                    // campaign decided when it queued it, but a "stop" may have come in since
                    // (or the bundle is a campaign's re-queue after a crash). Order updates and
                    // answers never pass here.
                    if bundle.announcement.is_some() {
                        match consent::may_announce(
                            app.store.as_ref(),
                            &bundle.conversation,
                            &session,
                        )
                        .await
                        {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::info!(
                                    "announcement withdrawn: the customer no longer agrees"
                                );
                                return RecordResult::Done;
                            }
                            Err(e) => return RecordResult::Retry(e.to_string()),
                        }
                    }
                    // The bundle telling the customer a person will answer tells the agents
                    // too, before anything is sent: once per handoff (claimed on the handoff
                    // list), whatever the delivery then does, held bundles included.
                    if let Some(notice) = bundle.handoff {
                        match alert_once(
                            app.store.as_ref(),
                            &app.alerts,
                            AlertKind::New,
                            &bundle.conversation,
                            notice,
                            bundle.lang,
                            app.clock.now(),
                        )
                        .await
                        {
                            Ok(true) => {
                                tracing::info!(reason = notice.reason.as_str(), "agents alerted")
                            }
                            Ok(false) => {}
                            Err(e) => return RecordResult::Retry(e.to_string()),
                        }
                    }
                    let at = Moment {
                        now: app.clock.now(),
                        last_heard_at: session.last_heard_at,
                        reachability: session.reachability,
                    };
                    // Wait for the platform in place while the invocation has time to spare.
                    let policy = match deadline.spare() {
                        Some(spare) => RetryPolicy {
                            wait_budget: spare,
                            ..app.policy
                        },
                        None => app.policy,
                    };
                    let delivered = match &app.alimtalk {
                        // A KakaoTalk order notice: an approved template to the verified phone.
                        Some((templates, dealer)) if alimtalk::applies(&bundle) => {
                            alimtalk::deliver(
                                &bundle,
                                session.identity.verified_phone(),
                                templates,
                                dealer,
                                app.store.as_ref(),
                                at,
                            )
                            .await
                        }
                        // An announcement: the platform's message ids are kept, for the
                        // campaign's send record and the status reports that will name them.
                        _ if bundle.announcement.is_some() => {
                            let log = campaign_outcome::IdsKept::new(app.store.as_ref());
                            let delivered = deliver(
                                &bundle,
                                &app.senders,
                                &log,
                                app.store.as_ref(),
                                policy,
                                tokio::time::sleep,
                                at,
                            )
                            .await;
                            if let Ok(done) = &delivered
                                && let Some(retry) =
                                    announcement_outcome(app, &bundle, done, log.ids()).await
                            {
                                return retry;
                            }
                            delivered
                        }
                        _ => {
                            deliver(
                                &bundle,
                                &app.senders,
                                app.store.as_ref(),
                                app.store.as_ref(),
                                policy,
                                tokio::time::sleep,
                                at,
                            )
                            .await
                        }
                    };
                    match delivered {
                        Ok(Delivered::All) => {
                            tracing::info!("delivered");
                            move_thread(app, &bundle, receipt.as_deref()).await
                        }
                        Ok(Delivered::Undeliverable(failure)) => {
                            tracing::warn!(error = %failure, "undeliverable; recorded and dropped");
                            if consent::refused_by_customer(bundle.conversation.channel, &failure) {
                                return stopped_by_customer(app, &bundle).await;
                            }
                            RecordResult::Done
                        }
                        Ok(Delivered::Held(reason)) => {
                            tracing::warn!(%reason, "held for ops: `chatdrop held list`");
                            RecordResult::Done
                        }
                        Err(DeliveryError::Retry(SendFailure::RateLimited {
                            retry_after, ..
                        })) => {
                            // Waited in place as long as the deadline allowed; back after the
                            // platform's advised delay, not counted against the retry budget.
                            tracing::info!(
                                ?retry_after,
                                "rate limited; retried after the advised delay"
                            );
                            if let Some(handle) = receipt.as_deref()
                                && let Err(e) = app.queues.delay_outbound(handle, retry_after).await
                            {
                                tracing::warn!(error = %e, "could not set the retry delay");
                            }
                            RecordResult::Retry("rate limited".to_string())
                        }
                        Err(DeliveryError::Deferred {
                            cap,
                            resume_at,
                            retry_after,
                        }) => {
                            // The platform's cap on messages to a customer who has not
                            // replied (Viber): back on the queue, looked at again within
                            // minutes (a reply frees it), not counted against the retry
                            // budget. The span names the customer by pseudonym only.
                            tracing::info!(
                                cap = cap.messages,
                                per_seconds = cap.per.as_secs(),
                                resume_at,
                                retry_after_seconds = retry_after.as_secs(),
                                "deferred: the platform's cap on messages without a reply"
                            );
                            if let Some(handle) = receipt.as_deref()
                                && let Err(e) = app.queues.delay_outbound(handle, retry_after).await
                            {
                                tracing::warn!(error = %e, "could not set the retry delay");
                            }
                            RecordResult::Retry("deferred by the cap without a reply".to_string())
                        }
                        Err(DeliveryError::Retry(failure)) => {
                            transient(app, &bundle, failure, receipt.as_deref()).await
                        }
                        Err(DeliveryError::Port(e)) => RecordResult::Retry(e.to_string()),
                    }
                }
                .instrument(span),
            )
        },
    )
    .await;
    // Records skipped behind a failure come back at once; see `chatdrop_queue::fifo`.
    app.queues
        .give_back(Source::Outbound, &processed.skipped)
        .await;
    Ok(processed.response)
}

/// What a delivered bundle asks of the platform's own inbox for people, where the platform
/// has a protocol for it and the retailer configured one (Messenger's handover protocol;
/// elsewhere the sender's calls do nothing and say so).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ThreadMove {
    /// After the customer was told a person will answer: the thread is passed to the inbox,
    /// with why (`metadata`, for the people there).
    Pass(String),
    /// The conversation went back to the bot (the console's hand back, the sweep's): the
    /// thread is taken back, or the bot's answers would not reach the customer.
    TakeBack,
}

impl ThreadMove {
    fn of(bundle: &ReplyBundle) -> Option<ThreadMove> {
        if bundle.take_back {
            return Some(ThreadMove::TakeBack);
        }
        let notice: HandoffNotice = bundle.handoff?;
        Some(ThreadMove::Pass(format!(
            "chatdrop: {}",
            notice.reason.as_str()
        )))
    }

    fn name(&self) -> &'static str {
        match self {
            ThreadMove::Pass(_) => "pass_to_person",
            ThreadMove::TakeBack => "take_back",
        }
    }

    /// Makes the call: `true` if one was made.
    async fn run(
        &self,
        sender: &dyn Outbound,
        conversation: &ConversationId,
    ) -> Result<bool, SendFailure> {
        match self {
            ThreadMove::Pass(metadata) => sender.pass_to_person(conversation, metadata).await,
            ThreadMove::TakeBack => sender.take_back(conversation).await,
        }
    }
}

/// Moves the platform's thread as the delivered bundle asks ([`ThreadMove`]). Both moves are
/// idempotent for the platform, so a retry of the bundle (its messages found sent in
/// `PROGRESS`) makes the call again safely. A failure never holds the conversation's queue for
/// long: a refusal (an app the Page does not have, a thread we cannot take) is logged for ops
/// and the bundle is done, since the conversation's owner in chatdrop has moved either way; a
/// rate limit comes back after the platform's advised delay; any other failure counts against
/// the bundle's [`RETRY_BUDGET`] as a send's does, then goes to the dead-letter queue.
async fn move_thread(
    app: &Notify,
    bundle: &ReplyBundle,
    receipt: Option<&str>,
) -> RecordResult<String> {
    let Some(step) = ThreadMove::of(bundle) else {
        return RecordResult::Done;
    };
    let Ok(sender) = app.senders.sender(bundle.conversation.channel) else {
        return RecordResult::Done;
    };
    match step.run(sender, &bundle.conversation).await {
        Ok(moved) => {
            if moved {
                tracing::info!(step = step.name(), "thread moved");
            }
            RecordResult::Done
        }
        Err(failure @ SendFailure::Permanent { .. }) => {
            tracing::error!(step = step.name(), error = %failure, "the platform refused the thread move; chatdrop's owner stands");
            RecordResult::Done
        }
        Err(SendFailure::RateLimited { retry_after, .. }) => {
            if let Some(handle) = receipt
                && let Err(e) = app.queues.delay_outbound(handle, retry_after).await
            {
                tracing::warn!(error = %e, "could not set the retry delay");
            }
            RecordResult::Retry("rate limited".to_string())
        }
        Err(failure) => transient(app, bundle, failure, receipt).await,
    }
}

/// Writes what the platform made of an announcement to the campaign's send record
/// (`chatdrop_domain::campaign_outcome`): sent with its message ids, backed off (WhatsApp
/// 131049: not before the time the rules give, never at once) or refused with its code.
/// `Some(retry)` when the write failed and the bundle should come back: only for a send the
/// platform accepted, which a redelivery does not repeat. A refusal is never retried through
/// the queue, which would ask the platform again at once — Meta's guidance for 131049 is
/// exactly not to (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>);
/// if its record cannot be written, the recipient stays counted as queued and the error is
/// logged.
async fn announcement_outcome(
    app: &Notify,
    bundle: &ReplyBundle,
    delivered: &Delivered,
    ids: Vec<String>,
) -> Option<RecordResult<String>> {
    let now = app.clock.now();
    let outcome = campaign_outcome::outcome_of(bundle, delivered, ids, now)?;
    match campaign_outcome::record(app.store.as_ref(), bundle, &outcome, now).await {
        Ok(fresh) => {
            match &outcome {
                PlatformOutcome::Sent { .. } => tracing::info!(fresh, "announcement sent"),
                PlatformOutcome::BackedOff { reason, retry_at } => tracing::warn!(
                    fresh,
                    reason = %reason,
                    retry_at,
                    "announcement refused by the platform; backed off"
                ),
                PlatformOutcome::Refused { reason } => tracing::warn!(
                    fresh,
                    reason = %reason,
                    "announcement refused by the platform"
                ),
            }
            None
        }
        Err(e) if matches!(outcome, PlatformOutcome::Sent { .. }) => {
            Some(RecordResult::Retry(e.to_string()))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record the platform's refusal of an announcement");
            None
        }
    }
}

/// The platform refused a send because the customer blocked or left the chat: the chat is
/// opted out through the same path as the platform's own signal, an `OptOut` queued to the
/// catalog function, which records it in the consent ledger and closes the session's
/// reachability, so nothing more is tried. Its event id comes from the bundle, so a redelivered
/// bundle queues it once (FIFO deduplication, then the conversation's marker).
async fn stopped_by_customer(app: &Notify, bundle: &ReplyBundle) -> RecordResult<String> {
    let stop = InboundMessage {
        conversation: bundle.conversation.clone(),
        event_id: format!("refused:{}", bundle.id),
        sent_at: app.clock.now(),
        locale: None,
        ack: None,
        reply_token: None,
        content: InboundContent::OptOut,
    };
    match app.queues.enqueue_inbound(&[stop]).await {
        Ok(()) => {
            tracing::info!("the customer stopped us on this channel; opt-out queued");
            RecordResult::Done
        }
        // Retried: the send fails the same way and queues the opt-out again.
        Err(e) => RecordResult::Retry(e.to_string()),
    }
}

/// Counts a transient failure: past the budget the bundle goes to the dead-letter queue for a
/// redrive once the platform is back; before it, the bundle comes back after the backoff.
async fn transient(
    app: &Notify,
    bundle: &ReplyBundle,
    failure: SendFailure,
    receipt: Option<&str>,
) -> RecordResult<String> {
    let Some(dead_letters) = &app.dead_letter_url else {
        return RecordResult::Retry(failure.to_string());
    };
    match app.store.record_transient_failure(&bundle.id).await {
        Ok(count) if count >= RETRY_BUDGET => {
            match app.queues.dead_letter_outbound(dead_letters, bundle).await {
                Ok(()) => {
                    tracing::error!(failures = count, error = %failure, "retry budget spent; dead-lettered for a redrive");
                    RecordResult::Done
                }
                Err(e) => RecordResult::Retry(e.to_string()),
            }
        }
        Ok(count) => {
            let delay = backoff(app.retry_base, count);
            tracing::warn!(failures = count, ?delay, error = %failure, "transient failure; retried");
            if let Some(handle) = receipt
                && let Err(e) = app.queues.delay_outbound(handle, delay).await
            {
                tracing::warn!(error = %e, "could not set the retry delay");
            }
            RecordResult::Retry(failure.to_string())
        }
        Err(e) => RecordResult::Retry(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_channels::SendFuture;
    use chatdrop_domain::channel_spec::{ChannelSpec, MESSENGER};
    use chatdrop_domain::delivery::{Outgoing, Sent};
    use chatdrop_domain::handoff::HandoffReason;
    use chatdrop_domain::i18n::Lang;
    use std::sync::Mutex;

    /// A platform with an inbox for people that records the thread calls it gets.
    #[derive(Default)]
    struct Inbox {
        calls: Mutex<Vec<String>>,
    }

    impl Outbound for Inbox {
        fn spec(&self) -> &'static ChannelSpec {
            &MESSENGER
        }
        fn send<'a>(&'a self, _: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
            unreachable!("no replies in these bundles")
        }
        fn pass_to_person<'a>(
            &'a self,
            c: &'a ConversationId,
            metadata: &'a str,
        ) -> SendFuture<'a, bool> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("pass {} {metadata}", c.customer));
            Box::pin(async { Ok(true) })
        }
        fn take_back<'a>(&'a self, c: &'a ConversationId) -> SendFuture<'a, bool> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("take {}", c.customer));
            Box::pin(async { Ok(true) })
        }
    }

    fn bundle() -> ReplyBundle {
        ReplyBundle {
            id: "b1".into(),
            conversation: ConversationId::new(Channel::Messenger, "6543210987650001"),
            lang: Lang::EN,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies: vec![],
        }
    }

    /// The handoff's bundle passes the thread with its reason; the hand back's takes it back;
    /// any other bundle leaves the thread alone.
    #[tokio::test]
    async fn each_bundle_moves_the_thread_it_asks_for() {
        let inbox = Inbox::default();
        let handed = ReplyBundle {
            handoff: Some(HandoffNotice {
                reason: HandoffReason::Complaint,
                since: 5,
            }),
            ..bundle()
        };
        let back = ReplyBundle {
            take_back: true,
            ..bundle()
        };
        assert_eq!(ThreadMove::of(&bundle()), None);
        for b in [&handed, &back] {
            let step = ThreadMove::of(b).unwrap();
            assert!(step.run(&inbox, &b.conversation).await.unwrap());
        }
        assert_eq!(
            *inbox.calls.lock().unwrap(),
            [
                "pass 6543210987650001 chatdrop: complaint",
                "take 6543210987650001"
            ]
        );
        // The queued form carries the flag; a bundle without it reads as before.
        let json = serde_json::to_value(&back).unwrap();
        assert_eq!(json["take_back"], true);
        let plain = serde_json::to_value(bundle()).unwrap();
        assert!(plain.get("take_back").is_none(), "{plain}");
        let read: ReplyBundle = serde_json::from_value(plain).unwrap();
        assert!(!read.take_back);
    }

    #[test]
    fn retries_back_off_to_half_an_hour_before_the_budget_is_spent() {
        let base = Duration::from_secs(30);
        let waits: Vec<u64> = (1..RETRY_BUDGET)
            .map(|n| backoff(base, n).as_secs())
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 270, 270, 270, 270, 270]);
        assert_eq!(waits.iter().sum::<u64>(), 1800);
    }
}
