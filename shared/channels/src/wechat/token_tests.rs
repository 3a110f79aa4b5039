use crate::wechat::testing::{
    FakeWechat, MemoryTokens, lease_elsewhere, send_one, sender_for, share, text,
};
use crate::wechat::{WechatSendConfig, WechatSender};
use chatdrop_domain::delivery::SendFailure;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_refused_token_is_dropped_refetched_and_the_send_retried_once() {
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    // Another deployment's token, or one rotated away: still "fresh" by its expiry.
    share(&tokens, "STALE", 3600).await;
    let s = sender_for(&base, tokens.clone());
    send_one(&s, &text("hello"))
        .await
        .expect("sent after refresh");
    let used: Vec<String> = fake.sends().into_iter().map(|(t, _)| t).collect();
    assert_eq!(used, vec!["STALE", "TOKEN1"]);
    assert_eq!(fake.fetches(), 1);
    assert_eq!(tokens.token("wechat#wx123").unwrap().token, "TOKEN1");
}

#[tokio::test]
async fn a_token_refused_twice_is_transient() {
    let (fake, base) = FakeWechat::serve().await;
    let s = sender_for(&base, Arc::new(MemoryTokens::default()));
    fake.script(json!({"errcode": 42001, "errmsg": "access_token expired"}));
    fake.script(json!({"errcode": 42001, "errmsg": "access_token expired"}));
    let f = send_one(&s, &text("hello")).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Transient {
                code: Some(42001),
                ..
            })
        ),
        "{f:?}"
    );
    assert_eq!(fake.sends().len(), 2);
    assert_eq!(fake.fetches(), 2);
}

#[tokio::test]
async fn a_nearly_expired_token_is_refreshed() {
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    share(&tokens, "OLD", 200).await;
    send_one(&sender_for(&base, tokens.clone()), &text("hi"))
        .await
        .expect("sent");
    assert_eq!(fake.fetches(), 1);
    assert_eq!(fake.sends()[0].0, "TOKEN1");
}

#[tokio::test]
async fn while_another_caller_refreshes_the_sender_waits_and_reads_its_token() {
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    assert!(lease_elsewhere(&tokens).await);
    // The other caller's token lands after a moment; it is the valid one on the fake.
    fake.accept("THEIRS");
    let writer = tokens.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        share(&writer, "THEIRS", 6900).await;
    });
    send_one(&sender_for(&base, tokens.clone()), &text("hi"))
        .await
        .expect("sent");
    assert_eq!(fake.fetches(), 0);
    assert_eq!(fake.sends()[0].0, "THEIRS");
}

#[tokio::test]
async fn a_lease_held_too_long_is_transient_without_fetching() {
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    assert!(lease_elsewhere(&tokens).await);
    let f = send_one(&sender_for(&base, tokens), &text("hi")).await;
    assert!(
        matches!(f, Err(SendFailure::Transient { code: None, .. })),
        "{f:?}"
    );
    assert_eq!(fake.fetches(), 0);
    assert!(fake.sends().is_empty());
}

#[tokio::test]
async fn a_wrong_app_secret_is_transient_and_sends_nothing() {
    let (fake, base) = FakeWechat::serve().await;
    let s = WechatSender::new(
        crate::http_client(Duration::from_secs(5)),
        WechatSendConfig {
            api_base: base,
            app_id: "wx123".into(),
            app_secret: "wrong-secret".into(),
        },
        Arc::new(MemoryTokens::default()),
    );
    let f = send_one(&s, &text("hi")).await;
    let Err(SendFailure::Transient {
        code: Some(40125),
        detail,
    }) = f
    else {
        panic!("{f:?}");
    };
    assert!(!detail.contains("wrong-secret"), "{detail}");
    assert!(fake.sends().is_empty());
}

#[tokio::test]
async fn a_token_is_refetched_once_the_senders_clock_passes_its_margin() {
    use chatdrop_domain::clock::{Clock, ManualClock, SystemClock};
    let (fake, base) = FakeWechat::serve().await;
    fake.accept("SHARED");
    let tokens = Arc::new(MemoryTokens::default());
    share(&tokens, "SHARED", 3600).await;
    let clock = ManualClock::at(SystemClock.now());
    let s = sender_for(&base, tokens.clone()).with_clock(clock.clone());
    send_one(&s, &text("one")).await.expect("sent");
    // 200 seconds left: inside the refresh margin, so the next send fetches a new token.
    clock.advance(3400);
    send_one(&s, &text("two")).await.expect("sent");
    let used: Vec<String> = fake.sends().into_iter().map(|(t, _)| t).collect();
    assert_eq!(used, vec!["SHARED", "TOKEN1"]);
    assert_eq!(fake.fetches(), 1);
}
