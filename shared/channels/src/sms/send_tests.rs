use super::*;
use crate::sms::testing::{ANA, choice, menu, pairs};
use crate::test_server::{Recorded, serve, single};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::delivery::SendingRules;
use chatdrop_domain::i18n::Lang;

// -----------------------------------------------------------------------------------------
// Classification
// -----------------------------------------------------------------------------------------

fn twilio_error(code: i64, status: u16, message: &str) -> Vec<u8> {
    serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
    .to_string()
    .into_bytes()
}

#[test]
fn unreachable_or_unsubscribed_recipients_are_permanent() {
    for code in [
        21610, 21211, 21614, 21408, 21612, 30003, 30004, 30005, 30006, 30007,
    ] {
        let f = classify(400, &twilio_error(code, 400, "no"), None);
        assert!(
            matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
            "{code}: {f:?}"
        );
    }
}

#[test]
fn too_many_requests_waits_the_advised_or_a_default_delay() {
    assert_eq!(
        classify(429, &twilio_error(20429, 429, "Too Many Requests"), None),
        SendFailure::RateLimited {
            code: Some(20429),
            retry_after: Duration::from_secs(1)
        }
    );
    assert_eq!(
        classify(429, b"", Some(Duration::from_secs(4))),
        SendFailure::RateLimited {
            code: None,
            retry_after: Duration::from_secs(4)
        }
    );
}

#[test]
fn configuration_errors_and_server_errors_are_kept_for_a_redrive() {
    for (status, code) in [(401, 20003), (404, 20404), (400, 21606), (500, 20500)] {
        let f = classify(status, &twilio_error(code, status, "x"), None);
        assert!(
            matches!(f, SendFailure::Transient { code: Some(c), .. } if c == code),
            "{code}: {f:?}"
        );
    }
    assert!(matches!(
        classify(401, b"", None),
        SendFailure::Transient { code: None, .. }
    ));
    assert!(matches!(
        classify(503, b"<html>busy</html>", None),
        SendFailure::Transient { code: None, .. }
    ));
    assert!(matches!(
        classify(400, &twilio_error(99999, 400, "new"), None),
        SendFailure::Permanent {
            code: Some(99999),
            ..
        }
    ));
}

#[test]
fn failure_details_never_quote_phone_numbers() {
    let f = classify(
        400,
        &twilio_error(
            21211,
            400,
            "The 'To' number +15551234567 is not a valid phone number.",
        ),
        None,
    );
    let SendFailure::Permanent { detail, .. } = f else {
        panic!("{f:?}")
    };
    assert_eq!(
        detail,
        "HTTP 400 (Twilio 21211): The 'To' number [number] is not a valid phone number."
    );
    assert_eq!(
        mask_numbers("call 555 1234567 or +1 (555)"),
        "call 555 [number] or +1 (555)"
    );
}

// -----------------------------------------------------------------------------------------
// Sending
// -----------------------------------------------------------------------------------------

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH: &str = "auth-token-secret";
/// Our sending number.
const FROM: &str = "+15550002222";
const CREATED: &str = r#"{"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01","body":"hi","num_segments":"1","sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+15551234567"}"#;

fn sender(base: &str, from: &str) -> SmsSender {
    SmsSender::new(
        crate::http_client(Duration::from_secs(5)),
        SmsSendConfig {
            api_base: format!("{base}/"),
            account_sid: ACCOUNT.into(),
            auth_token: AUTH.into(),
            from: from.into(),
        },
    )
}

fn ana() -> ConversationId {
    ConversationId::new(Channel::Sms, ANA)
}

fn bundle(replies: Vec<Reply>) -> chatdrop_domain::reply::ReplyBundle {
    chatdrop_domain::reply::ReplyBundle {
        id: "bundle-1".into(),
        conversation: ana(),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies,
    }
}

fn outgoing(b: &chatdrop_domain::reply::ReplyBundle) -> Outgoing<'_> {
    Outgoing {
        bundle: b,
        first: 0,
        replies: &b.replies,
        mode: SendMode::Session,
        now: 0,
    }
}

/// Sends one reply from our number, the way `deliver` does.
async fn send_one(base: &str, reply: &Reply) -> Result<Sent, SendFailure> {
    sender(base, FROM)
        .send(&single(&ana(), Lang::EN, reply).out())
        .await
}

fn hi() -> Reply {
    Reply::Text { body: "hi".into() }
}

/// The form a recorded request posted.
fn form(r: &Recorded) -> Vec<(String, String)> {
    form_urlencoded::parse(&r.raw).into_owned().collect()
}

#[tokio::test]
async fn send_posts_a_form_with_basic_auth_and_returns_the_sid() {
    let api = serve(201, vec![], CREATED).await;
    let reply = Reply::Text {
        body: "Thanks — your order is in.".into(),
    };
    let sent = send_one(&api.base, &reply).await.expect("sent");
    assert_eq!(
        sent,
        Sent::ids(["SM0123456789abcdef0123456789abcdef".to_string()])
    );
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        r.path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    let basic = format!("Basic {}", BASE64.encode(format!("{ACCOUNT}:{AUTH}")));
    assert_eq!(r.headers.get("authorization").unwrap(), basic.as_str());
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form(r),
        pairs(&[
            ("To", ANA),
            ("From", FROM),
            ("Body", "Thanks - your order is in."),
        ])
    );
}

#[tokio::test]
async fn a_messaging_service_sends_as_messaging_service_sid() {
    let api = serve(201, vec![], CREATED).await;
    let service = "MG0123456789abcdef0123456789abcdef";
    sender(&api.base, service)
        .send(&single(&ana(), Lang::EN, &hi()).out())
        .await
        .expect("sent");
    assert_eq!(
        form(&api.requests()[0]),
        pairs(&[
            ("To", ANA),
            ("MessagingServiceSid", service),
            ("Body", "hi")
        ])
    );
}

#[tokio::test]
async fn short_texts_are_merged_and_others_go_one_by_one() {
    let replies = vec![
        Reply::Text {
            body: "Added to your cart.".into(),
        },
        Reply::Text {
            body: "Cart: 1 item, $12.00.".into(),
        },
        menu("Next?", vec![choice("c:co", "Checkout", None)]),
        Reply::Text {
            body: "l".repeat(158),
        },
        Reply::Text {
            body: "after".into(),
        },
    ];
    let api = serve(201, vec![], CREATED).await;
    let s = sender(&api.base, FROM);
    assert_eq!(s.batches(&replies, SendMode::Session), vec![2, 1, 1, 1]);
    let b = bundle(replies);
    let sent = s.send(&outgoing(&b)).await.expect("sent");
    assert_eq!(sent.message_ids.len(), 4);
    let bodies: Vec<String> = api
        .requests()
        .into_iter()
        .map(|r| form(&r)[2].1.clone())
        .collect();
    assert_eq!(bodies[0], "Added to your cart.\n\nCart: 1 item, $12.00.");
    assert_eq!(bodies[1], "Next?\n1. Checkout\nReply with a number.");
    assert_eq!(bodies[2], "l".repeat(158));
    assert_eq!(bodies[3], "after");
}

#[tokio::test]
async fn send_classifies_twilio_errors_and_stops_at_the_first() {
    let long = Reply::Text {
        body: format!("{}\n{}", "a".repeat(1500), "b".repeat(300)),
    };
    let body = String::from_utf8(twilio_error(
        21610,
        400,
        "Attempt to send to unsubscribed recipient",
    ))
    .unwrap();
    let api = serve(400, vec![], &body).await;
    let f = send_one(&api.base, &long).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(21610),
                ..
            })
        ),
        "{f:?}"
    );
    assert_eq!(api.requests().len(), 1);

    let body = String::from_utf8(twilio_error(20429, 429, "Too Many Requests")).unwrap();
    let api = serve(429, vec![("retry-after", "3".into())], &body).await;
    let f = send_one(&api.base, &hi()).await;
    assert_eq!(
        f,
        Err(SendFailure::RateLimited {
            code: Some(20429),
            retry_after: Duration::from_secs(3)
        })
    );

    let body = String::from_utf8(twilio_error(20003, 401, "Authenticate")).unwrap();
    let api = serve(401, vec![], &body).await;
    let f = send_one(&api.base, &hi()).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Transient {
                code: Some(20003),
                ..
            })
        ),
        "{f:?}"
    );
}

#[tokio::test]
async fn an_unreachable_api_is_transient_and_reveals_no_secret() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let f = send_one(&base, &hi()).await;
    let Err(SendFailure::Transient { code: None, detail }) = f else {
        panic!("{f:?}")
    };
    assert!(
        !detail.contains(AUTH) && !detail.contains(ACCOUNT),
        "{detail}"
    );
}

#[tokio::test]
async fn acknowledge_sends_nothing() {
    let api = serve(201, vec![], CREATED).await;
    sender(&api.base, FROM)
        .acknowledge(&ana(), "token")
        .await
        .expect("no-op");
    assert!(api.requests().is_empty());
    assert_eq!(sender(&api.base, "x").rules(), SendingRules::NO_WINDOW);
}
