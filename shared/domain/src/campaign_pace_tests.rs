use super::*;

#[test]
fn a_bucket_gives_its_rate_a_second_and_no_more() {
    let mut b = TokenBucket::new(30, 0);
    for _ in 0..30 {
        assert_eq!(b.take(1, 0), Ok(()));
    }
    let wait = b.take(1, 0).unwrap_err();
    assert_eq!(wait, 34, "1/30 s, rounded up");
    assert_eq!(b.take(1, wait), Ok(()));
    // Over ten seconds, at most 30 a second plus the first burst.
    let mut sent = 0;
    for ms in (0..10_000).step_by(10) {
        while b.take(1, wait + ms).is_ok() {
            sent += 1;
        }
    }
    assert!((299..=301).contains(&sent), "{sent}");
}

#[test]
fn an_idle_bucket_saves_at_most_one_second() {
    let mut b = TokenBucket::new(10, 0);
    let mut n = 0;
    while b.take(1, 60_000).is_ok() {
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn budgets_stop_at_zero_and_unlimited_never_does() {
    // WhatsApp's lowest tier; the tiers are written in `CHATDROP_CAMPAIGN_BUDGETS`
    // (`campaign_budget::parse`, which reads `10k` as 10,000).
    let mut b = Budget {
        remaining: Some(250),
    };
    assert!(b.take(250));
    assert!(!b.take(1));
    let mut u = Budget::UNLIMITED;
    assert!(u.take(u64::MAX));
    assert_eq!(
        crate::campaign_budget::parse("whatsapp=10k/24h").unwrap()[0].limit,
        10_000
    );
}

#[test]
fn paces_follow_the_registry() {
    assert_eq!(per_second(Channel::Telegram), 30);
    assert_eq!(per_second(Channel::Whatsapp), 80);
}
