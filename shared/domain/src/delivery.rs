//! Delivering a reply bundle: in order, once, within the platform's rules, and with failures
//! told apart.
//!
//! `notify` hands each bundle to [`deliver`]. First the platform's sending rules are applied:
//! where a platform has a customer-service window (WhatsApp and Messenger 24 h after the
//! customer's last message, WeChat 48 h), a bundle outside it goes out only if it is an order
//! update and the platform has a sanctioned form for one (a WhatsApp template, a Messenger
//! message tag); anything else is *held*: recorded with its reason for ops to send or discard,
//! never silently dropped.
//!
//! Then the replies go out in the groups the adapter asks for ([`ChannelSender::batches`]: one
//! reply per call on most platforms, up to five per call on LINE, merged text on WeChat, whose
//! quota counts messages). After each group the progress and the platform's message ids are
//! recorded, so a redelivered bundle resumes where the last attempt stopped instead of
//! repeating what the customer already got, and the conversation's thread shows what was sent.
//! The adapter classifies each failure by the platform's error code, not the HTTP class:
//!
//! - permanent (bad recipient, blocked, outside the messaging window): recorded and dropped,
//!   because retrying cannot help;
//! - rate limited: wait the advised delay here for as long as [`RetryPolicy::wait_budget`]
//!   allows (notify gives it the time its invocation has left); past it, the bundle goes back
//!   to the queue and is retried after the advised delay. Never counted as a failure, never
//!   dead-lettered;
//! - transient (5xx, timeouts): returned to notify, which counts the failure in the bundle's
//!   `PROGRESS` item, retries after a backoff and dead-letters the bundle itself after 10
//!   failures (`RETRY_BUDGET`, about half an hour). The outbound queue's `maxReceiveCount`
//!   (1000, `shared/config/resources.json`) only guards against a consumer that crashes on a
//!   bundle every time.

use crate::channel::{Channel, ConversationId, full_hash};
use crate::dialogue::Reachability;
use crate::i18n::Lang;
use crate::inbound::DeliveryStatus;
use crate::ports::PortError;
use crate::reply::{Reply, ReplyBundle, ReplyToken};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendFailure {
    #[error("permanent failure (code {code:?}): {detail}")]
    Permanent { code: Option<i64>, detail: String },
    #[error("rate limited (code {code:?}); retry after {retry_after:?}")]
    RateLimited {
        code: Option<i64>,
        retry_after: Duration,
    },
    #[error("transient failure (code {code:?}): {detail}")]
    Transient { code: Option<i64>, detail: String },
}

/// A platform's rules for messages the customer did not just ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendingRules {
    /// The customer-service window after the customer's last message; `None`: no window.
    pub window: Option<Duration>,
    /// Whether an order update may still go out after the window, in the platform's
    /// sanctioned form (a WhatsApp template, a Messenger message tag).
    pub updates_after_window: bool,
}

impl SendingRules {
    /// A platform that lets a business write whenever the customer has not blocked it.
    pub const NO_WINDOW: SendingRules = SendingRules {
        window: None,
        updates_after_window: true,
    };
}

/// How a group of replies may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// Inside the customer-service window, or on a platform without one: any message.
    Session,
    /// Outside the window, an order update: the adapter uses its template or message tag.
    OrderUpdate,
}

/// One platform call's worth of a bundle.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub bundle: &'a ReplyBundle,
    /// The position of `replies[0]` in the bundle.
    pub first: usize,
    pub replies: &'a [Reply],
    pub mode: SendMode,
    /// Unix seconds, for the reply token's expiry.
    pub now: i64,
}

impl<'a> Outgoing<'a> {
    pub fn conversation(&self) -> &'a ConversationId {
        &self.bundle.conversation
    }

    pub fn lang(&self) -> Lang {
        self.bundle.lang
    }

    /// The inbound event's reply token, offered only to the bundle's first call and only while
    /// it is still good: it is single-use, so a later call or a retry after a use must push.
    pub fn reply_token(&self) -> Option<&'a ReplyToken> {
        self.bundle
            .reply_token
            .as_ref()
            .filter(|t| self.first == 0 && self.now < t.use_before)
    }

    /// A key the same for every attempt at this call and different for every other call: for
    /// platforms that deduplicate retried sends (LINE's `X-Line-Retry-Key`).
    pub fn idempotency_key(&self) -> String {
        full_hash(&format!("{}#{}", self.bundle.id, self.first))
    }
}

/// What a platform call produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The platform's ids of the messages sent, when it returns them (status reports refer to
    /// them).
    pub message_ids: Vec<String>,
}

impl Sent {
    pub fn ids(ids: impl IntoIterator<Item = String>) -> Sent {
        Sent {
            message_ids: ids.into_iter().collect(),
        }
    }
}

/// Sends to one platform; implemented by each channel adapter (and, dispatching on the
/// conversation's channel, by the set of all of them).
pub trait ChannelSender: Send + Sync {
    /// Acknowledges a platform token (Telegram's callback query) so the client stops waiting.
    fn acknowledge(
        &self,
        conversation: &ConversationId,
        token: &str,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;

    /// The platform's sending rules.
    fn rules(&self, channel: Channel) -> SendingRules;

    /// How `replies` are grouped into platform calls, as the length of each group in order
    /// (they sum to `replies.len()`). One reply per call unless the platform counts messages
    /// or takes several per call.
    fn batches(&self, channel: Channel, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        let _ = (channel, mode);
        vec![1; replies.len()]
    }

    fn send(&self, out: &Outgoing<'_>) -> impl Future<Output = Result<Sent, SendFailure>> + Send;

    /// Takes a slot under the platform's send rate for the next call to `conversation`;
    /// `Some(delay)` when the rate is used up for now. Unpaced by default.
    fn pace(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Option<Duration>, PortError>> + Send {
        let _ = conversation;
        std::future::ready(Ok(None))
    }
}

/// Where delivery progress, held and undeliverable bundles and the sent thread are recorded.
pub trait DeliveryLog: Send + Sync {
    /// How many replies of the bundle were already sent.
    fn sent_count(&self, bundle_id: &str) -> impl Future<Output = Result<usize, PortError>> + Send;
    fn record_sent(
        &self,
        bundle_id: &str,
        count: usize,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn record_undeliverable(
        &self,
        bundle: &ReplyBundle,
        failure: &SendFailure,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Keeps a bundle the rules do not allow to send now, whole, with the reason.
    fn record_held(
        &self,
        bundle: &ReplyBundle,
        reason: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Adds what one call sent to the conversation's thread.
    fn record_outbound(
        &self,
        out: &Outgoing<'_>,
        sent: &Sent,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Records a platform's delivery report against the sent message it names; a report that
    /// would move the status backwards (delivered after read) changes nothing.
    fn record_status(
        &self,
        conversation: &ConversationId,
        message_id: &str,
        status: DeliveryStatus,
        at: i64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What a reply says, in one short line: the thread's record of a sent message.
pub fn summary(reply: &Reply) -> String {
    let text = match reply {
        Reply::Text { body } | Reply::Choices { body, .. } => body.clone(),
        Reply::Image { url, caption } => {
            format!("[image {url}] {}", caption.as_deref().unwrap_or(""))
        }
        Reply::Link { body, url, .. } => format!("{body} {url}"),
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// How long a delivery may wait in place for the platform instead of going back to the queue.
///
/// Every return to the queue is a receive, and SQS counts receives towards the queue's
/// `maxReceiveCount` whatever the reason; so the longer a delivery can wait out a platform's
/// "slow down" inside one invocation, the fewer receives a long rate limit costs. notify sets
/// [`RetryPolicy::wait_budget`] from the time its invocation has left.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The longest advised delay waited in place; longer ones go back to the queue.
    pub max_wait: Duration,
    /// The total time one delivery may spend waiting in place: advised delays and send-rate
    /// windows together. Past it, the bundle goes back to the queue, rate limited.
    pub wait_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_wait: Duration::from_secs(10),
            wait_budget: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Every reply has been sent (now or by an earlier attempt).
    All,
    /// A permanent failure: recorded, the rest dropped.
    Undeliverable,
    /// Not allowed to go out now: recorded with this reason for ops to send or discard.
    Held(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later through the queue.
    #[error("retry later: {0}")]
    Retry(SendFailure),
    #[error(transparent)]
    Port(#[from] PortError),
}

/// When the delivery happens, relative to the customer's last message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Unix seconds.
    pub now: i64,
    /// When the customer last wrote, if ever (the session's `last_heard_at`).
    pub last_heard_at: Option<i64>,
    /// Whether the customer lets us write (the session's `reachability`): once they opted out
    /// (SMS `STOP`), nothing goes out, order updates included.
    pub reachability: Reachability,
}

/// The mode a bundle may go out in now, or why it may not.
pub fn sending_mode(
    rules: SendingRules,
    bundle: &ReplyBundle,
    at: Moment,
) -> Result<SendMode, String> {
    if at.reachability.is_opted_out() {
        return Err("the customer opted out of messages".into());
    }
    let Some(window) = rules.window else {
        return Ok(SendMode::Session);
    };
    let open = at
        .last_heard_at
        .is_some_and(|t| at.now.saturating_sub(t) < window.as_secs() as i64);
    if open {
        Ok(SendMode::Session)
    } else if bundle.update.is_some() && rules.updates_after_window {
        Ok(SendMode::OrderUpdate)
    } else {
        let hours = window.as_secs() / 3600;
        Err(match bundle.update {
            Some(_) => format!(
                "outside the {hours} h customer-service window and no template or tag is configured for order updates on {}",
                bundle.conversation.channel
            ),
            None => format!("outside the {hours} h customer-service window"),
        })
    }
}

pub async fn deliver<S, L, W, F>(
    bundle: &ReplyBundle,
    sender: &S,
    log: &L,
    policy: RetryPolicy,
    wait: W,
    at: Moment,
) -> Result<Delivered, DeliveryError>
where
    S: ChannelSender,
    L: DeliveryLog,
    W: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let channel = bundle.conversation.channel;
    let already = log.sent_count(&bundle.id).await?;
    if already >= bundle.replies.len() {
        return Ok(Delivered::All);
    }
    let mode = match sending_mode(sender.rules(channel), bundle, at) {
        Ok(mode) => mode,
        Err(reason) => {
            log.record_held(bundle, &reason).await?;
            return Ok(Delivered::Held(reason));
        }
    };
    if already == 0
        && let Some(token) = &bundle.ack
    {
        // A lost acknowledgement only leaves a spinner running; never hold replies for it.
        let _ = sender.acknowledge(&bundle.conversation, token).await;
    }
    let remaining = &bundle.replies[already..];
    let mut first = already;
    // Groups that do not cover every reply leave the rest to go one by one.
    let mut sizes = sender.batches(channel, remaining, mode).into_iter();
    // Time spent waiting in place so far, against the policy's budget.
    let mut waited = Duration::ZERO;
    while first < bundle.replies.len() {
        let size = sizes.next().unwrap_or(1).max(1);
        let end = (first + size).min(bundle.replies.len());
        let out = Outgoing {
            bundle,
            first,
            replies: &bundle.replies[first..end],
            mode,
            now: at.now,
        };
        // The platform's pace first, shared by every instance: waiting here is cheaper than
        // a rate-limit error, and a platform that keeps erroring may block the sender.
        while let Some(delay) = sender.pace(&bundle.conversation).await? {
            if waited + delay > policy.wait_budget {
                return Err(DeliveryError::Retry(SendFailure::RateLimited {
                    code: None,
                    retry_after: delay,
                }));
            }
            waited += delay;
            wait(delay).await;
        }
        let sent = loop {
            match sender.send(&out).await {
                Ok(sent) => break sent,
                Err(SendFailure::RateLimited { retry_after, .. })
                    if retry_after <= policy.max_wait
                        && waited + retry_after <= policy.wait_budget =>
                {
                    waited += retry_after;
                    wait(retry_after).await;
                }
                Err(failure @ SendFailure::Permanent { .. }) => {
                    log.record_undeliverable(bundle, &failure).await?;
                    return Ok(Delivered::Undeliverable);
                }
                Err(failure) => return Err(DeliveryError::Retry(failure)),
            }
        };
        log.record_outbound(&out, &sent).await?;
        log.record_sent(&bundle.id, end).await?;
        first = end;
    }
    Ok(Delivered::All)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Channel, ConversationId};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// A platform that answers from a script, then succeeds.
    #[derive(Default)]
    struct ScriptedPlatform {
        answers: Mutex<VecDeque<Result<(), SendFailure>>>,
        sent: Mutex<Vec<String>>,
        acks: Mutex<Vec<String>>,
        modes: Mutex<Vec<SendMode>>,
        rules: Option<SendingRules>,
        batch: Option<usize>,
    }

    impl ChannelSender for ScriptedPlatform {
        async fn acknowledge(&self, _: &ConversationId, token: &str) -> Result<(), SendFailure> {
            self.acks.lock().unwrap().push(token.into());
            Ok(())
        }

        fn rules(&self, _: Channel) -> SendingRules {
            self.rules.unwrap_or(SendingRules::NO_WINDOW)
        }

        fn batches(&self, _: Channel, replies: &[Reply], _: SendMode) -> Vec<usize> {
            match self.batch {
                Some(n) => replies.chunks(n).map(<[Reply]>::len).collect(),
                None => vec![1; replies.len()],
            }
        }

        async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
            let answer = self.answers.lock().unwrap().pop_front().unwrap_or(Ok(()));
            answer?;
            self.modes.lock().unwrap().push(out.mode);
            let mut ids = Vec::new();
            for reply in out.replies {
                if let Reply::Text { body } = reply {
                    self.sent.lock().unwrap().push(body.clone());
                    ids.push(format!("id-{body}"));
                }
            }
            Ok(Sent::ids(ids))
        }
    }

    #[derive(Default)]
    struct Progress {
        sent: Mutex<usize>,
        undeliverable: Mutex<Vec<SendFailure>>,
        held: Mutex<Vec<String>>,
        thread: Mutex<Vec<String>>,
    }

    impl DeliveryLog for Progress {
        async fn sent_count(&self, _: &str) -> Result<usize, PortError> {
            Ok(*self.sent.lock().unwrap())
        }
        async fn record_sent(&self, _: &str, count: usize) -> Result<(), PortError> {
            *self.sent.lock().unwrap() = count;
            Ok(())
        }
        async fn record_undeliverable(
            &self,
            _: &ReplyBundle,
            failure: &SendFailure,
        ) -> Result<(), PortError> {
            self.undeliverable.lock().unwrap().push(failure.clone());
            Ok(())
        }
        async fn record_held(&self, _: &ReplyBundle, reason: &str) -> Result<(), PortError> {
            self.held.lock().unwrap().push(reason.into());
            Ok(())
        }
        async fn record_status(
            &self,
            _: &ConversationId,
            _: &str,
            _: DeliveryStatus,
            _: i64,
        ) -> Result<(), PortError> {
            Ok(())
        }
        async fn record_outbound(&self, _: &Outgoing<'_>, sent: &Sent) -> Result<(), PortError> {
            self.thread
                .lock()
                .unwrap()
                .extend(sent.message_ids.iter().cloned());
            Ok(())
        }
    }

    const NOW: i64 = 1_767_225_600;

    fn heard(hours_ago: i64) -> Moment {
        Moment {
            now: NOW,
            last_heard_at: Some(NOW - hours_ago * 3600),
            reachability: Reachability::Reachable,
        }
    }

    fn bundle(n: usize) -> ReplyBundle {
        ReplyBundle {
            id: "b1".into(),
            conversation: ConversationId::new(Channel::Telegram, "42"),
            lang: Lang::EN,
            ack: Some("cb1".into()),
            reply_token: None,
            update: None,
            replies: (1..=n)
                .map(|i| Reply::Text {
                    body: format!("reply {i}"),
                })
                .collect(),
        }
    }

    fn waits() -> (
        std::sync::Arc<Mutex<Vec<Duration>>>,
        impl Fn(Duration) -> std::future::Ready<()>,
    ) {
        let log = std::sync::Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        (log, move |d| {
            l.lock().unwrap().push(d);
            std::future::ready(())
        })
    }

    fn transient() -> SendFailure {
        SendFailure::Transient {
            code: Some(500),
            detail: "down".into(),
        }
    }

    #[tokio::test]
    async fn a_transient_failure_goes_back_to_the_queue_and_the_retry_resumes() {
        let platform = ScriptedPlatform::default();
        platform
            .answers
            .lock()
            .unwrap()
            .extend([Ok(()), Err(transient())]);
        let progress = Progress::default();
        let (_, wait) = waits();
        let b = bundle(3);
        let first = deliver(
            &b,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert!(matches!(first, Err(DeliveryError::Retry(_))));
        assert_eq!(*progress.sent.lock().unwrap(), 1);

        // The queue redelivers: reply 1 is not sent again, and the callback not re-answered.
        let second = deliver(
            &b,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert_eq!(second.unwrap(), Delivered::All);
        assert_eq!(
            *platform.sent.lock().unwrap(),
            ["reply 1", "reply 2", "reply 3"]
        );
        assert_eq!(*platform.acks.lock().unwrap(), ["cb1"]);
    }

    #[tokio::test]
    async fn rate_limits_are_waited_out_in_place_up_to_the_bound() {
        let platform = ScriptedPlatform::default();
        let limited = |s| SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(s),
        };
        platform
            .answers
            .lock()
            .unwrap()
            .extend([Err(limited(2)), Err(limited(3))]);
        let progress = Progress::default();
        let (waited, wait) = waits();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::All);
        assert_eq!(
            *waited.lock().unwrap(),
            [Duration::from_secs(2), Duration::from_secs(3)]
        );

        // An advised delay beyond the bound goes back to the queue instead of holding the
        // function.
        platform
            .answers
            .lock()
            .unwrap()
            .push_back(Err(limited(600)));
        let progress = Progress::default();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert!(matches!(
            result,
            Err(DeliveryError::Retry(SendFailure::RateLimited { .. }))
        ));
    }

    #[tokio::test]
    async fn a_sustained_rate_limit_is_waited_in_place_for_the_whole_budget() {
        // The platform says "2 s" twenty times: with 30 s to spare the delivery waits fifteen
        // times in place (one receive of the queue), then goes back to the queue.
        let platform = ScriptedPlatform::default();
        platform.answers.lock().unwrap().extend((0..20).map(|_| {
            Err(SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(2),
            })
        }));
        let (waited, wait) = waits();
        let policy = RetryPolicy {
            wait_budget: Duration::from_secs(30),
            ..RetryPolicy::default()
        };
        let result = deliver(
            &bundle(1),
            &platform,
            &Progress::default(),
            policy,
            &wait,
            heard(0),
        )
        .await;
        assert!(matches!(
            result,
            Err(DeliveryError::Retry(SendFailure::RateLimited { .. }))
        ));
        assert_eq!(waited.lock().unwrap().len(), 15);
        // The next attempt, with the rest of the storm and a fresh budget, gets through.
        let result = deliver(
            &bundle(1),
            &platform,
            &Progress::default(),
            policy,
            &wait,
            heard(0),
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::All);
        // The sixteenth "2 s" went back to the queue unwaited; the last four are waited here.
        assert_eq!(waited.lock().unwrap().len(), 19);
    }

    #[tokio::test]
    async fn a_permanent_failure_is_recorded_and_the_rest_dropped() {
        let platform = ScriptedPlatform::default();
        let blocked = SendFailure::Permanent {
            code: Some(403),
            detail: "bot was blocked by the user".into(),
        };
        platform
            .answers
            .lock()
            .unwrap()
            .push_back(Err(blocked.clone()));
        let progress = Progress::default();
        let (_, wait) = waits();
        let result = deliver(
            &bundle(2),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::Undeliverable);
        assert_eq!(*progress.undeliverable.lock().unwrap(), [blocked]);
        assert!(platform.sent.lock().unwrap().is_empty());
    }

    /// An opt-out outranks every window rule: not even an order update goes out.
    #[test]
    fn an_opted_out_customer_is_sent_nothing() {
        let mut update = bundle(1);
        update.update = Some(crate::reply::OrderUpdate {
            order_number: "#A1".into(),
            kind: "shipped".into(),
            summary: "Order #A1 shipped".into(),
        });
        let at = Moment {
            reachability: Reachability::OptedOut,
            ..heard(1)
        };
        for rules in [SendingRules::NO_WINDOW, windowed()] {
            for b in [&bundle(1), &update] {
                assert_eq!(
                    sending_mode(rules, b, at),
                    Err("the customer opted out of messages".to_string())
                );
            }
        }
    }

    fn windowed() -> SendingRules {
        SendingRules {
            window: Some(Duration::from_secs(24 * 3600)),
            updates_after_window: true,
        }
    }

    #[tokio::test]
    async fn outside_the_window_an_answer_is_held_and_an_order_update_uses_the_sanctioned_form() {
        let platform = ScriptedPlatform {
            rules: Some(windowed()),
            ..Default::default()
        };
        let (_, wait) = waits();
        let progress = Progress::default();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(25),
        )
        .await;
        assert_eq!(
            result.unwrap(),
            Delivered::Held("outside the 24 h customer-service window".into())
        );
        assert!(platform.sent.lock().unwrap().is_empty());
        assert_eq!(progress.held.lock().unwrap().len(), 1);

        let mut update = bundle(1);
        update.update = Some(crate::reply::OrderUpdate {
            order_number: "#A1".into(),
            kind: "shipped".into(),
            summary: "Order #A1 shipped".into(),
        });
        let result = deliver(
            &update,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(25),
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::All);
        assert_eq!(*platform.modes.lock().unwrap(), [SendMode::OrderUpdate]);

        // Inside the window the same update is an ordinary message; a customer never heard
        // from is outside every window.
        let progress = Progress::default();
        deliver(
            &update,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(23),
        )
        .await
        .unwrap();
        assert_eq!(platform.modes.lock().unwrap()[1], SendMode::Session);
        let never = Moment {
            now: NOW,
            last_heard_at: None,
            reachability: Reachability::Reachable,
        };
        let progress = Progress::default();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            never,
        )
        .await;
        assert!(matches!(result.unwrap(), Delivered::Held(_)));
    }

    #[tokio::test]
    async fn groups_go_out_as_the_adapter_asks_and_the_thread_records_each_message() {
        let platform = ScriptedPlatform {
            batch: Some(2),
            ..Default::default()
        };
        platform
            .answers
            .lock()
            .unwrap()
            .extend([Ok(()), Err(transient())]);
        let (_, wait) = waits();
        let progress = Progress::default();
        let b = bundle(5);
        let first = deliver(
            &b,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert!(matches!(first, Err(DeliveryError::Retry(_))));
        assert_eq!(*progress.sent.lock().unwrap(), 2);
        deliver(
            &b,
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await
        .unwrap();
        assert_eq!(*progress.sent.lock().unwrap(), 5);
        assert_eq!(
            *progress.thread.lock().unwrap(),
            [
                "id-reply 1",
                "id-reply 2",
                "id-reply 3",
                "id-reply 4",
                "id-reply 5"
            ]
        );
    }

    #[test]
    fn a_reply_token_is_offered_once_and_only_while_good() {
        let mut b = bundle(2);
        b.reply_token = Some(ReplyToken {
            token: "rt".into(),
            use_before: NOW + 50,
        });
        let out = |first, now| Outgoing {
            bundle: &b,
            first,
            replies: &b.replies[first..],
            mode: SendMode::Session,
            now,
        };
        assert!(out(0, NOW).reply_token().is_some());
        assert!(out(1, NOW).reply_token().is_none());
        assert!(out(0, NOW + 50).reply_token().is_none());
        assert_ne!(out(0, NOW).idempotency_key(), out(1, NOW).idempotency_key());
        assert_eq!(
            out(0, NOW).idempotency_key(),
            out(0, NOW + 9).idempotency_key()
        );
    }

    /// A platform whose pace admits one call per "second", the clock being the waits taken.
    struct Paced {
        inner: ScriptedPlatform,
        admitted_at: Mutex<Vec<usize>>,
        clock: std::sync::Arc<Mutex<Vec<Duration>>>,
    }

    impl ChannelSender for Paced {
        async fn acknowledge(&self, c: &ConversationId, t: &str) -> Result<(), SendFailure> {
            self.inner.acknowledge(c, t).await
        }
        fn rules(&self, c: Channel) -> SendingRules {
            self.inner.rules(c)
        }
        async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
            self.inner.send(out).await
        }
        async fn pace(&self, _: &ConversationId) -> Result<Option<Duration>, PortError> {
            let now = self.clock.lock().unwrap().len();
            let mut admitted = self.admitted_at.lock().unwrap();
            if admitted.contains(&now) {
                Ok(Some(Duration::from_millis(1000)))
            } else {
                admitted.push(now);
                Ok(None)
            }
        }
    }

    #[tokio::test]
    async fn the_send_rate_spaces_calls_into_windows() {
        let (clock, wait) = waits();
        let platform = Paced {
            inner: ScriptedPlatform::default(),
            admitted_at: Mutex::default(),
            clock: clock.clone(),
        };
        let progress = Progress::default();
        let result = deliver(
            &bundle(3),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
            heard(0),
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::All);
        assert_eq!(*platform.admitted_at.lock().unwrap(), [0, 1, 2]);
        assert_eq!(
            clock.lock().unwrap().len(),
            2,
            "one wait between each pair of calls"
        );
        assert_eq!(platform.inner.sent.lock().unwrap().len(), 3);
    }
}
