//! The cap on messages to a customer who has not replied, through `deliver` with the
//! in-memory counts: Viber's registry entry (100 an hour), a reply, other platforms, retries
//! and the hour boundaries.

use super::*;
use crate::channel::Channel;
use crate::delivery::{
    ChannelSender, Delivered, DeliveryError, DeliveryLog, Moment, Outgoing, RetryPolicy,
    SendFailure, SendingRules, Sent, deliver,
};
use crate::dialogue::Reachability;
use crate::i18n::Lang;
use crate::inbound::DeliveryStatus;
use crate::reply::{Reply, ReplyBundle};
use std::collections::VecDeque;

/// 2026-01-01 10:00:00 UTC, the start of an hour.
const TEN: i64 = 1_767_261_600;
const HOUR: i64 = 3600;

/// A platform with the registry's rules for its channel, `per_reply` messages per reply, and
/// scripted failures.
#[derive(Default)]
struct Platform {
    per_reply: usize,
    failures: Mutex<VecDeque<SendFailure>>,
    sent: Mutex<Vec<String>>,
}

impl ChannelSender for Platform {
    async fn acknowledge(&self, _: &ConversationId, _: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    fn rules(&self, channel: Channel) -> SendingRules {
        channel.spec().sending
    }

    async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        if let Some(failure) = self.failures.lock().unwrap().pop_front() {
            return Err(failure);
        }
        let mut sent = self.sent.lock().unwrap();
        for reply in out.replies {
            if let Reply::Text { body } = reply {
                sent.push(body.clone());
            }
        }
        Ok(Sent::default())
    }

    fn messages(&self, out: &Outgoing<'_>) -> usize {
        out.replies.len() * self.per_reply.max(1)
    }
}

/// Progress per bundle, as notify's `PROGRESS` items keep it.
#[derive(Default)]
struct Progress {
    sent: Mutex<HashMap<String, usize>>,
}

impl DeliveryLog for Progress {
    async fn sent_count(&self, bundle_id: &str) -> Result<usize, PortError> {
        Ok(self
            .sent
            .lock()
            .unwrap()
            .get(bundle_id)
            .copied()
            .unwrap_or(0))
    }
    async fn record_sent(&self, bundle_id: &str, count: usize) -> Result<(), PortError> {
        self.sent.lock().unwrap().insert(bundle_id.into(), count);
        Ok(())
    }
    async fn record_undeliverable(
        &self,
        _: &ReplyBundle,
        _: &SendFailure,
    ) -> Result<(), PortError> {
        Ok(())
    }
    async fn record_held(&self, _: &ReplyBundle, _: &str) -> Result<(), PortError> {
        Ok(())
    }
    async fn record_outbound(&self, _: &Outgoing<'_>, _: &Sent) -> Result<(), PortError> {
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
}

fn conversation(channel: Channel) -> ConversationId {
    ConversationId::new(channel, "01234567890A+bc=")
}

fn bundle(channel: Channel, id: &str, replies: usize) -> ReplyBundle {
    ReplyBundle {
        id: id.into(),
        conversation: conversation(channel),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: (1..=replies)
            .map(|i| Reply::Text {
                body: format!("{id}.{i}"),
            })
            .collect(),
    }
}

fn at(now: i64, heard: i64) -> Moment {
    Moment {
        now,
        last_heard_at: Some(heard),
        reachability: Reachability::Reachable,
    }
}

async fn send(
    platform: &Platform,
    progress: &Progress,
    counts: &MemorySendCounts,
    b: &ReplyBundle,
    moment: Moment,
) -> Result<Delivered, DeliveryError> {
    deliver(
        b,
        platform,
        progress,
        counts,
        RetryPolicy::default(),
        |_| std::future::ready(()),
        moment,
    )
    .await
}

fn viber_cap() -> UnansweredCap {
    Channel::Viber.spec().sending.unanswered_cap.unwrap()
}

#[tokio::test]
async fn the_101st_message_in_an_hour_without_a_reply_is_deferred_not_sent() {
    let (platform, progress, counts) = (
        Platform::default(),
        Progress::default(),
        MemorySendCounts::default(),
    );
    let heard = TEN - 60;
    // An order update, an announcement and answers alike: every bundle counts.
    for i in 0..100 {
        let b = bundle(Channel::Viber, &format!("b{i}"), 1);
        let moment = at(TEN + i * 30, heard);
        assert_eq!(
            send(&platform, &progress, &counts, &b, moment)
                .await
                .unwrap(),
            Delivered::All
        );
    }
    let b = bundle(Channel::Viber, "b100", 1);
    let now = TEN + 3000;
    let deferred = send(&platform, &progress, &counts, &b, at(now, heard)).await;
    let Err(DeliveryError::Deferred {
        cap,
        resume_at,
        retry_after,
    }) = deferred
    else {
        panic!("{deferred:?}");
    };
    assert_eq!(cap, viber_cap());
    // 100 sent in 10:00-10:50: the 11:00 counter holds them too, so room comes at 12:00;
    // notify looks again within five minutes in case the customer answers.
    assert_eq!(resume_at, TEN + 2 * HOUR);
    assert_eq!(retry_after, RECHECK);
    assert_eq!(platform.sent.lock().unwrap().len(), 100);
    assert!(
        !platform
            .sent
            .lock()
            .unwrap()
            .contains(&"b100.1".to_string())
    );
    // Nothing was recorded as sent: the retry sends the whole bundle.
    assert_eq!(progress.sent_count("b100").await.unwrap(), 0);

    // At 11:00 it is still deferred; at 12:00 it goes.
    let again = send(&platform, &progress, &counts, &b, at(TEN + HOUR, heard)).await;
    assert!(
        matches!(again, Err(DeliveryError::Deferred { resume_at, .. }) if resume_at == TEN + 2 * HOUR),
        "{again:?}"
    );
    let later = send(&platform, &progress, &counts, &b, at(TEN + 2 * HOUR, heard)).await;
    assert_eq!(later.unwrap(), Delivered::All);
    assert_eq!(platform.sent.lock().unwrap().last().unwrap(), "b100.1");
}

#[tokio::test]
async fn a_reply_from_the_customer_starts_a_fresh_count() {
    let (platform, progress, counts) = (
        Platform::default(),
        Progress::default(),
        MemorySendCounts::default(),
    );
    let heard = TEN;
    for i in 0..100 {
        let b = bundle(Channel::Viber, &format!("b{i}"), 1);
        send(&platform, &progress, &counts, &b, at(TEN + i, heard))
            .await
            .unwrap();
    }
    let b = bundle(Channel::Viber, "b100", 1);
    assert!(matches!(
        send(&platform, &progress, &counts, &b, at(TEN + 200, heard)).await,
        Err(DeliveryError::Deferred { .. })
    ));
    // The customer writes at 10:05: the same minute, the bundle goes, and 99 more may follow.
    let replied = TEN + 300;
    assert_eq!(
        send(&platform, &progress, &counts, &b, at(replied + 1, replied))
            .await
            .unwrap(),
        Delivered::All
    );
    assert_eq!(
        counts.counted(&b.conversation, replied, viber_cap(), replied + 1),
        1
    );
    assert_eq!(
        counts.counted(&b.conversation, heard, viber_cap(), replied + 1),
        100
    );
}

#[tokio::test]
async fn other_platforms_count_nothing() {
    let (platform, progress, counts) = (
        Platform::default(),
        Progress::default(),
        MemorySendCounts::default(),
    );
    // Those that take a pushed message at any time, as Viber does.
    let others: Vec<Channel> = Channel::ALL
        .into_iter()
        .filter(|c| c.spec().sending.window.is_none() && *c != Channel::Viber)
        .collect();
    assert!(others.contains(&Channel::Telegram), "{others:?}");
    for &channel in &others {
        for i in 0..150 {
            let b = bundle(channel, &format!("{channel}{i}"), 1);
            let done = send(&platform, &progress, &counts, &b, at(TEN + i, TEN)).await;
            assert_eq!(done.unwrap(), Delivered::All, "{channel}");
        }
        assert_eq!(
            counts.counted(&conversation(channel), TEN, viber_cap(), TEN),
            0
        );
    }
    assert_eq!(platform.sent.lock().unwrap().len(), others.len() * 150);
}

#[tokio::test]
async fn a_redelivered_bundle_is_not_counted_twice() {
    let (platform, progress, counts) = (
        Platform::default(),
        Progress::default(),
        MemorySendCounts::default(),
    );
    let heard = TEN;
    let c = conversation(Channel::Viber);
    // Three replies; the second call fails after it was counted (Viber down).
    send(
        &platform,
        &progress,
        &counts,
        &bundle(Channel::Viber, "warm", 1),
        at(TEN, heard),
    )
    .await
    .unwrap();
    // The bundle: reply 1 sent, reply 2 counted and then refused as transient.
    let b = bundle(Channel::Viber, "b", 3);
    struct FailSecond<'a>(&'a Platform, Mutex<u32>);
    impl ChannelSender for FailSecond<'_> {
        async fn acknowledge(&self, _: &ConversationId, _: &str) -> Result<(), SendFailure> {
            Ok(())
        }
        fn rules(&self, channel: Channel) -> SendingRules {
            self.0.rules(channel)
        }
        async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
            let call = {
                let mut calls = self.1.lock().unwrap();
                *calls += 1;
                *calls
            };
            if call == 2 {
                return Err(SendFailure::Transient {
                    code: Some(500),
                    detail: "down".into(),
                });
            }
            self.0.send(out).await
        }
    }
    let failing = FailSecond(&platform, Mutex::new(0));
    let first = deliver(
        &b,
        &failing,
        &progress,
        &counts,
        RetryPolicy::default(),
        |_| std::future::ready(()),
        at(TEN + 10, heard),
    )
    .await;
    assert!(matches!(first, Err(DeliveryError::Retry(_))), "{first:?}");
    assert_eq!(
        counts.counted(&c, heard, viber_cap(), TEN + 10),
        3,
        "warm-up, reply 1, reply 2"
    );

    // Redelivered (in the next hour, even): reply 2's call is the one counted last, so it is
    // not counted again; reply 3 is.
    let later = TEN + HOUR + 5;
    assert_eq!(
        send(&platform, &progress, &counts, &b, at(later, heard))
            .await
            .unwrap(),
        Delivered::All
    );
    assert_eq!(counts.counted(&c, heard, viber_cap(), later), 3 + 1);
    // Redelivered once more after it was all sent: `PROGRESS` says so, nothing is counted.
    assert_eq!(
        send(&platform, &progress, &counts, &b, at(later + 1, heard))
            .await
            .unwrap(),
        Delivered::All
    );
    assert_eq!(counts.counted(&c, heard, viber_cap(), later), 4);
    assert_eq!(
        *platform.sent.lock().unwrap(),
        ["warm.1", "b.1", "b.2", "b.3"]
    );
}

#[tokio::test]
async fn a_call_counts_the_messages_the_platform_makes_of_it() {
    // Each reply is two Viber messages (a pay link's text and its `url`).
    let platform = Platform {
        per_reply: 2,
        ..Platform::default()
    };
    let (progress, counts) = (Progress::default(), MemorySendCounts::default());
    for i in 0..49 {
        let b = bundle(Channel::Viber, &format!("b{i}"), 1);
        send(&platform, &progress, &counts, &b, at(TEN + i, TEN))
            .await
            .unwrap();
    }
    // 98 counted: one more reply of two fits, then none.
    let c = conversation(Channel::Viber);
    assert_eq!(counts.counted(&c, TEN, viber_cap(), TEN), 98);
    send(
        &platform,
        &progress,
        &counts,
        &bundle(Channel::Viber, "b49", 1),
        at(TEN + 60, TEN),
    )
    .await
    .unwrap();
    let over = send(
        &platform,
        &progress,
        &counts,
        &bundle(Channel::Viber, "b50", 1),
        at(TEN + 61, TEN),
    )
    .await;
    assert!(
        matches!(over, Err(DeliveryError::Deferred { .. })),
        "{over:?}"
    );
}

/// Sending as fast as the cap lets for five hours, the sends of any 3,600 seconds never
/// exceed 100, wherever the window starts; and the cap still lets at least 100 go per two
/// hours.
#[tokio::test]
async fn no_hour_anywhere_holds_more_than_the_cap() {
    let cap = viber_cap();
    let counts = MemorySendCounts::default();
    let c = conversation(Channel::Viber);
    let mut accepted = Vec::new();
    // One attempt every 7 s, starting 20 minutes into an hour.
    let start = TEN + 1200;
    let end = start + 5 * HOUR;
    let mut now = start;
    let mut call = 0;
    while now < end {
        let key = format!("call{call}");
        let claim = CapClaim {
            conversation: &c,
            since: 0,
            call: &key,
            messages: 1,
            now,
        };
        match counts.count(cap, &claim).await.unwrap() {
            CapAnswer::Counted => {
                accepted.push(now);
                call += 1;
            }
            CapAnswer::AlreadyCounted => unreachable!("every call is new"),
            CapAnswer::Full { retry_at } => assert!(retry_at > now),
        }
        now += 7;
    }
    for (i, &t) in accepted.iter().enumerate() {
        let in_hour = accepted[i..].iter().take_while(|&&u| u < t + HOUR).count();
        assert!(in_hour <= 100, "{in_hour} sends in the hour from {t}");
    }
    assert!(accepted.len() >= 250, "{}", accepted.len());
}

#[test]
fn a_deferred_bundle_is_looked_at_again_within_minutes() {
    assert_eq!(recheck_after(TEN + 3600, TEN), RECHECK);
    assert_eq!(recheck_after(TEN + 42, TEN), Duration::from_secs(42));
    // Due already (a clock a little behind): soon, never zero.
    assert_eq!(recheck_after(TEN, TEN + 5), Duration::from_secs(1));
    let cap = viber_cap();
    assert_eq!(cap.bucket(TEN + 3599), cap.bucket(TEN));
    assert_eq!(cap.expires_at(TEN + 10), TEN + 2 * HOUR);
    // A call larger than the cap counts as the whole cap rather than waiting forever.
    let c = conversation(Channel::Viber);
    let claim = CapClaim {
        conversation: &c,
        since: 0,
        call: "k",
        messages: 250,
        now: TEN,
    };
    assert_eq!(cap.messages(&claim), 100);
}
