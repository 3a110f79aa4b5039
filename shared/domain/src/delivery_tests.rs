//! Delivery in memory: sending rules, grouping, pacing and retries against doubles.

use super::*;
use crate::channel::{Channel, ConversationId};
use crate::send_cap::MemorySendCounts;
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
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
        RetryPolicy::default(),
        &wait,
        heard(0),
    )
    .await;
    assert_eq!(result.unwrap(), Delivered::Undeliverable(blocked.clone()));
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
        ..Default::default()
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

/// A platform answered only inside the conversation's own request (KakaoTalk's registry entry:
/// a zero-length window, no sanctioned form): every bundle is held, answers and order updates
/// alike, even a second after the customer spoke, and the reason says why.
#[test]
fn a_zero_window_holds_everything_and_says_why() {
    let rules = crate::channel_spec::KAKAO.sending;
    let mut update = bundle(1);
    update.update = Some(crate::reply::OrderUpdate {
        order_number: "#A1".into(),
        kind: "paid".into(),
        summary: "Order #A1 is paid".into(),
        ..Default::default()
    });
    let at = Moment {
        now: NOW,
        last_heard_at: Some(NOW - 1),
        reachability: Reachability::Reachable,
    };
    for b in [&bundle(1), &update] {
        let why = sending_mode(rules, b, at).unwrap_err();
        assert!(
            why.contains("takes no message outside the conversation's own answer"),
            "{why}"
        );
    }
}

fn windowed() -> SendingRules {
    SendingRules {
        window: Some(Duration::from_secs(24 * 3600)),
        updates_after_window: true,
        human_agent_window: None,
        unanswered_cap: None,
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
        &MemorySendCounts::default(),
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
        ..Default::default()
    });
    let result = deliver(
        &update,
        &platform,
        &progress,
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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
        &MemorySendCounts::default(),
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

#[test]
fn an_announcement_outside_the_window_goes_only_as_a_template_never_as_an_update() {
    use crate::reply::{Announcement, MarketingTemplate};
    let mut b = bundle(1);
    b.announcement = Some(Box::new(Announcement {
        campaign: "spring".into(),
        template: None,
        attempt: 0,
        audience: vec![],
    }));
    // Inside the window: as any message.
    assert_eq!(
        sending_mode(windowed(), &b, heard(1)),
        Ok(SendMode::Session)
    );
    // Outside it, without a template: held with "no window", even where updates have a tag.
    let why = sending_mode(windowed(), &b, heard(25)).unwrap_err();
    assert!(why.starts_with("no window"), "{why}");
    // With WhatsApp's marketing template: it goes (the sender sends the template).
    b.announcement = Some(Box::new(Announcement {
        campaign: "spring".into(),
        template: Some(MarketingTemplate {
            name: "drop_announcement".into(),
            language: "en_US".into(),
            params: vec![],
        }),
        attempt: 0,
        audience: vec![],
    }));
    assert_eq!(
        sending_mode(windowed(), &b, heard(25)),
        Ok(SendMode::Session)
    );
    // Opted out: nothing, template or not.
    let mut out = heard(1);
    out.reachability = Reachability::OptedOut;
    assert!(sending_mode(windowed(), &b, out).is_err());
}
