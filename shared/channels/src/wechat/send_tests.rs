use super::*;
use crate::wechat::testing::{
    ANA, FakeWechat, MemoryTokens, ana, choice, offline_sender, send_one, sender_for, text,
};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::delivery::SendingRules;

#[test]
fn the_window_is_48_hours_and_updates_after_it_are_held() {
    let rules = offline_sender().rules();
    assert_eq!(
        rules,
        SendingRules {
            window: Some(Duration::from_secs(48 * 3600)),
            updates_after_window: false,
            human_agent_window: None,
            unanswered_cap: None,
        }
    );
    // The registry's rules, not narrowed by the sender.
    assert_eq!(rules, channel_spec::WECHAT.sending);
}

// --- classification -------------------------------------------------------------------

fn answer(code: i64) -> Result<Option<String>, SendFailure> {
    classify(
        200,
        format!(r#"{{"errcode":{code},"errmsg":"something rid: 1"}}"#).as_bytes(),
    )
}

#[test]
fn errcode_zero_is_sent_with_the_msgid_if_any() {
    assert_eq!(classify(200, br#"{"errcode":0,"errmsg":"ok"}"#), Ok(None));
    assert_eq!(
        classify(200, br#"{"errcode":0,"errmsg":"ok","msgid":1234567890123}"#),
        Ok(Some("1234567890123".into()))
    );
}

#[test]
fn out_of_window_unfollowed_and_bad_openids_are_permanent() {
    for code in [45015, 43004, 40003, 43019, 45002] {
        assert!(
            matches!(answer(code), Err(SendFailure::Permanent { code: Some(c), .. }) if c == code),
            "{code}"
        );
    }
    let Err(SendFailure::Permanent { detail, .. }) = answer(45047) else {
        panic!("45047 is permanent");
    };
    assert!(detail.contains("quota"), "{detail}");
}

#[test]
fn limits_wait_and_busy_retries() {
    assert_eq!(
        answer(45011),
        Err(SendFailure::RateLimited {
            code: Some(45011),
            retry_after: Duration::from_secs(1)
        })
    );
    assert_eq!(
        answer(45009),
        Err(SendFailure::RateLimited {
            code: Some(45009),
            retry_after: Duration::from_secs(3600)
        })
    );
    // Busy, token and configuration errors and unknown codes keep the message.
    for code in [-1, 40001, 42001, 40014, 40125, 40164, 48001, 99999] {
        assert!(
            matches!(answer(code), Err(SendFailure::Transient { code: Some(c), .. }) if c == code),
            "{code}"
        );
    }
}

#[test]
fn http_errors_and_unreadable_answers_are_transient_and_never_quote_the_body() {
    let echo = b"<html>GET /cgi-bin/token?secret=app-secret failed</html>";
    for status in [200, 502] {
        let Err(SendFailure::Transient { code: None, detail }) = classify(status, echo) else {
            panic!("{status}");
        };
        assert!(!detail.contains("app-secret"), "{detail}");
    }
    assert!(matches!(
        classify(502, b"bad gateway"),
        Err(SendFailure::Transient { code: None, .. })
    ));
    assert!(matches!(
        classify(200, b"<html>proxy</html>"),
        Err(SendFailure::Transient { code: None, .. })
    ));
    assert!(matches!(
        classify(429, b""),
        Err(SendFailure::RateLimited { code: None, .. })
    ));
}

// --- sending --------------------------------------------------------------------------

#[tokio::test]
async fn sends_customer_service_text_with_one_token_fetch_across_sends() {
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    let s = sender_for(&base, tokens.clone());
    send_one(&s, &text("hello")).await.expect("sent");
    send_one(&s, &text("again")).await.expect("sent");
    assert_eq!(fake.fetches(), 1);
    assert_eq!(
        fake.sends(),
        vec![
            (
                "TOKEN1".to_string(),
                json!({"touser": ANA, "msgtype": "text", "text": {"content": "hello"}})
            ),
            (
                "TOKEN1".to_string(),
                json!({"touser": ANA, "msgtype": "text", "text": {"content": "again"}})
            ),
        ]
    );
    // Shared under the app's key, with five minutes' margin on WeChat's two hours.
    let shared = tokens.token("wechat#wx123").expect("shared");
    assert_eq!(shared.token, "TOKEN1");
    let left = shared.expires_at - SystemClock.now();
    assert!((6890..=6900).contains(&left), "{left}");

    // Another instance reads the shared token instead of fetching (which would invalidate
    // this one's).
    let other = sender_for(&base, tokens.clone());
    send_one(&other, &text("third")).await.expect("sent");
    assert_eq!(fake.fetches(), 1);
}

#[tokio::test]
async fn a_group_goes_out_as_one_merged_message() {
    let (fake, base) = FakeWechat::serve().await;
    let s = sender_for(&base, Arc::new(MemoryTokens::default()));
    let bundle = chatdrop_domain::reply::ReplyBundle {
        id: "b1".into(),
        conversation: ana(),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![
            text("Added."),
            Reply::Choices {
                body: "Next?".into(),
                menu_label: "Menu".into(),
                choices: vec![choice("c:checkout", "Checkout")],
            },
        ],
    };
    assert_eq!(s.batches(&bundle.replies, SendMode::Session), vec![2]);
    let sent = s
        .send(&Outgoing {
            bundle: &bundle,
            first: 0,
            replies: &bundle.replies,
            mode: SendMode::Session,
            now: 0,
        })
        .await
        .expect("sent");
    assert_eq!(sent, Sent::default());
    let sends = fake.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        sends[0].1["text"]["content"],
        json!("Added.\n\nNext?\n\n1. Checkout\n\nReply with a number.")
    );
}

#[tokio::test]
async fn send_errors_are_classified_and_stop_the_rest() {
    let (fake, base) = FakeWechat::serve().await;
    let s = sender_for(&base, Arc::new(MemoryTokens::default()));
    fake.script(json!({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}));
    // Two messages' worth: the first failure stops the second.
    let long = text(&format!("{}\n{}", "a".repeat(2000), "b".repeat(100)));
    let f = send_one(&s, &long).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(45015),
                ..
            })
        ),
        "{f:?}"
    );
    assert_eq!(fake.sends().len(), 1);
}

#[tokio::test]
async fn an_unreachable_api_is_transient_and_its_error_hides_the_url() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let f = send_one(
        &sender_for(&base, Arc::new(MemoryTokens::default())),
        &text("hi"),
    )
    .await;
    let Err(SendFailure::Transient { code: None, detail }) = f else {
        panic!("{f:?}");
    };
    assert!(!detail.contains("app-secret"), "{detail}");
}

#[tokio::test]
async fn acknowledge_sends_nothing() {
    let (fake, base) = FakeWechat::serve().await;
    sender_for(&base, Arc::new(MemoryTokens::default()))
        .acknowledge(&ana(), "x")
        .await
        .expect("no-op");
    assert!(fake.sends().is_empty());
    assert_eq!(fake.fetches(), 0);
}
