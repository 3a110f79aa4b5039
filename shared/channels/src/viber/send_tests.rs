use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::Reply;

const USER: &str = "01234567890A=";
const AUTH_TOKEN: &str = "viber-auth-token-not-for-logs";

fn sender(base: &str) -> ViberSender {
    ViberSender::new(
        crate::http_client(Duration::from_secs(5)),
        ViberSendConfig {
            api_base: base.into(),
            auth_token: AUTH_TOKEN.into(),
            sender_name: "Maison Drop Shop of the Very Long Name".into(),
        },
    )
}

fn ana() -> ConversationId {
    ConversationId::new(Channel::Viber, USER)
}

fn text(body: &str) -> Reply {
    Reply::Text { body: body.into() }
}

// The example answer of `send_message`
// (<https://developers.viber.com/docs/api/rest-bot-api/#send-message>).
const OK: &str = r#"{"status":0,"status_message":"ok","message_token":5741311803571721087,"chat_hostname":"SN-CHAT-05_","billing_status":1}"#;

#[tokio::test]
async fn each_message_is_one_send_message_call_with_the_auth_token() {
    let server = test_server::serve(200, vec![], OK).await;
    let single = test_server::single(
        &ana(),
        Lang::EN,
        &Reply::Image {
            url: "https://shop.example/qr/abc.png".into(),
            caption: Some("Scan to pay".into()),
        },
    );
    let sent = sender(&server.base)
        .send(&single.out())
        .await
        .expect("sent");
    assert_eq!(sent, Sent::ids(["5741311803571721087".to_string()]));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/pa/send_message");
    assert_eq!(requests[0].headers.get(AUTH_HEADER).unwrap(), AUTH_TOKEN);
    // The token travels in the header only.
    assert!(!String::from_utf8_lossy(&requests[0].raw).contains(AUTH_TOKEN));
    assert_eq!(
        requests[0].body,
        json!({
            "receiver": USER,
            // Viber: `sender.name` is required, at most 28 characters.
            "sender": {"name": "Maison Drop Shop of the Ver…"},
            "type": "picture",
            "text": "Scan to pay",
            "media": "https://shop.example/qr/abc.png",
        })
    );
}

#[tokio::test]
async fn a_link_goes_as_its_words_then_a_url_message() {
    let server = test_server::serve(200, vec![], OK).await;
    let link = Reply::Link {
        body: "Reserved for you".into(),
        label: "Pay".into(),
        url: "https://shop.example/p/tok".into(),
    };
    let single = test_server::single(&ana(), Lang::EN, &link);
    let viber = sender(&server.base);
    let sent = viber.send(&single.out()).await.expect("sent");
    assert_eq!(sent.message_ids.len(), 2);
    let requests = server.requests();
    // The cap on messages to a customer who has not replied counts both calls.
    assert_eq!(viber.messages(&single.out()), requests.len());
    assert_eq!(requests[0].body["text"], "Reserved for you\n\nPay:");
    assert_eq!(requests[1].body["type"], "url");
    assert_eq!(requests[1].body["media"], "https://shop.example/p/tok");
}

#[tokio::test]
async fn an_error_status_in_a_200_is_a_failure_and_stops_the_rest() {
    let server = test_server::serve(
        200,
        vec![],
        r#"{"status":6,"status_message":"receiverNotSubscribed","chat_hostname":"SN-CHAT-05_"}"#,
    )
    .await;
    let single = test_server::single(&ana(), Lang::EN, &text(&"word ".repeat(3000)));
    let failure = sender(&server.base)
        .send(&single.out())
        .await
        .expect_err("Viber refused");
    assert!(
        matches!(failure, SendFailure::Permanent { code: Some(6), .. }),
        "{failure:?}"
    );
    // The text is three messages; the first refusal stops the other two.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_transport_failure_is_transient_and_names_no_url() {
    let base = crate::fixtures::unreachable().await;
    let single = test_server::single(&ana(), Lang::EN, &text("hi"));
    let failure = sender(&base)
        .send(&single.out())
        .await
        .expect_err("no server");
    let SendFailure::Transient { detail, .. } = failure else {
        panic!("{failure:?}");
    };
    assert!(!detail.contains("127.0.0.1"), "{detail}");
}

fn viber(status: i64, name: &str) -> Vec<u8> {
    format!(r#"{{"status":{status},"status_message":"{name}","message_token":1}}"#).into_bytes()
}

#[test]
fn classify_reads_viber_status_codes() {
    // <https://developers.viber.com/docs/api/rest-bot-api/#error-codes>
    assert_eq!(
        classify(200, &viber(12, "tooManyRequests"), None),
        SendFailure::RateLimited {
            code: Some(12),
            retry_after: RATE_LIMIT_WAIT
        }
    );
    for (status, name) in [
        (5, "receiverNotRegistered"),
        (6, "receiverNotSubscribed"),
        (11, "receiverNoSuitableDevice"),
        (1, "invalidUrl"),
        (3, "badData"),
        (4, "missingData"),
        (13, "apiVersionNotSupported"),
    ] {
        let failure = classify(200, &viber(status, name), None);
        assert!(
            matches!(&failure, SendFailure::Permanent { code: Some(c), detail } if *c == status && detail.contains(name)),
            "{status}: {failure:?}"
        );
    }
    for (status, name) in [
        (2, "invalidAuthToken"),
        (7, "publicAccountBlocked"),
        (9, "publicAccountSuspended"),
        (10, "webhookNotSet"),
        (99, "failure"),
    ] {
        let failure = classify(200, &viber(status, name), None);
        assert!(
            matches!(&failure, SendFailure::Transient { code: Some(c), .. } if *c == status),
            "{status}: {failure:?}"
        );
    }
}

#[test]
fn classify_falls_back_to_the_http_status() {
    assert!(matches!(
        classify(429, b"", Some(Duration::from_secs(3))),
        SendFailure::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(3)
    ));
    assert!(matches!(
        classify(400, b"<html>", None),
        SendFailure::Permanent {
            code: Some(400),
            ..
        }
    ));
    assert!(matches!(
        classify(502, b"", None),
        SendFailure::Transient {
            code: Some(502),
            ..
        }
    ));
    assert!(matches!(
        classify(401, b"", None),
        SendFailure::Transient { .. }
    ));
    // A 200 whose body cannot be read: what went out is unknown, so the message is kept.
    assert!(matches!(
        classify(200, b"<html>", None),
        SendFailure::Transient {
            code: Some(200),
            ..
        }
    ));
}

/// No window, but a cap of 100 messages an hour to a customer who has not replied, counted
/// before each call.
#[test]
fn viber_has_no_window_but_caps_an_unanswered_customer() {
    let rules = sender("http://unused").rules();
    assert_eq!(rules.window, None);
    assert_eq!(
        rules.unanswered_cap,
        Some(chatdrop_domain::send_cap::UnansweredCap {
            messages: 100,
            per: Duration::from_secs(3600),
        })
    );
}
