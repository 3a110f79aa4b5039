//! The counts behind Viber's cap of 100 messages an hour to a customer who has not replied,
//! against moto: the adapter answers as the domain's in-memory counts do, step for step, and
//! its item is keyed by the pseudonym and expires. Run through
//! `cargo xtask test -p chatdrop-store --test send_counts`.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::send_cap::{CapAnswer, CapClaim, MemorySendCounts, SendCounts};

/// 2026-01-01 10:00:00 UTC, the start of an hour.
const TEN: i64 = 1_767_261_600;
const HOUR: i64 = 3600;

#[tokio::test]
async fn the_cap_counts_each_call_once_defers_past_it_and_restarts_with_a_reply() {
    let store = common::fresh_store("sendcap").await;
    let memory = MemorySendCounts::default();
    let cap = Channel::Viber
        .spec()
        .sending
        .unanswered_cap
        .expect("Viber's cap");
    let c = ConversationId::new(Channel::Viber, "01234567890A+bc=");
    let heard = TEN - 600;

    // Each step through both the adapter and the in-memory counts: the same answer.
    let step = async |call: &str, since: i64, messages: u32, now: i64| {
        let claim = CapClaim {
            conversation: &c,
            since,
            call,
            messages,
            now,
        };
        let stored = store.count(cap, &claim).await.expect("count");
        let expected = memory.count(cap, &claim).await.unwrap();
        assert_eq!(stored, expected, "{call} at {now}");
        stored
    };

    // 98 calls of one message and one of two at 10:00-10:49: 100 counted.
    for i in 0..98 {
        let answer = step(&format!("b{i}#0"), heard, 1, TEN + i * 30).await;
        assert_eq!(answer, CapAnswer::Counted);
    }
    assert_eq!(
        step("b98#0", heard, 2, TEN + 2950).await,
        CapAnswer::Counted
    );
    // The 101st: not before 12:00 (the 11:00 counter holds 10:00's hundred).
    let full = CapAnswer::Full {
        retry_at: TEN + 2 * HOUR,
    };
    assert_eq!(step("b99#0", heard, 1, TEN + 3000).await, full);
    // The call counted last, retried after a failure: already counted, even at the cap.
    assert_eq!(
        step("b98#0", heard, 2, TEN + 3010).await,
        CapAnswer::AlreadyCounted
    );
    assert_eq!(step("b99#0", heard, 1, TEN + HOUR + 1).await, full);
    assert_eq!(
        step("b99#0", heard, 1, TEN + 2 * HOUR).await,
        CapAnswer::Counted
    );
    // The customer replies at 12:01: a fresh count, the old one untouched.
    let replied = TEN + 2 * HOUR + 60;
    assert_eq!(
        step("b100#0", replied, 1, replied + 1).await,
        CapAnswer::Counted
    );

    // The item: keyed by the pseudonym, one counter per bucket still read, and gone after the
    // next bucket.
    let items = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 2, "one item per reply epoch: {items:?}");
    let text = format!("{items:?}");
    assert!(!text.contains(&c.customer), "{text}");
    assert!(text.contains(&c.hashed()), "{text}");
    let old = items
        .iter()
        .find(|i| i.get("sk") == Some(&AttributeValue::S(format!("SINCE#{heard}"))))
        .expect("the first epoch");
    let twelve = cap.bucket(TEN + 2 * HOUR);
    let counter = |bucket: i64| old.get(&format!("h{bucket}"));
    let one = AttributeValue::N("1".into());
    assert_eq!(counter(twelve), Some(&one), "12:00: the one sent at 12:00");
    assert_eq!(counter(twelve + 1), Some(&one), "13:00 starts with it");
    assert_eq!(
        counter(twelve - 1),
        None,
        "11:00's counter is removed once 12:00 counts"
    );
    assert_eq!(
        old.get("expires_at"),
        Some(&AttributeValue::N((TEN + 4 * HOUR).to_string()))
    );
}
