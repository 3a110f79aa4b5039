use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::delivery::SendingRules;
use chatdrop_domain::inbound::ReplyToken;
use chatdrop_domain::reply::ReplyBundle;
use std::sync::{Arc, Mutex};

const USER: &str = "Uaaaabbbbccccddddeeeeffff00001111";
const ACCESS_TOKEN: &str = "line-access-token-not-for-logs";

fn sender(base: &str) -> LineSender {
    LineSender::new(
        crate::http_client(Duration::from_secs(5)),
        LineSendConfig {
            api_base: base.into(),
            channel_access_token: ACCESS_TOKEN.into(),
        },
    )
}

fn text(body: &str) -> Reply {
    Reply::Text { body: body.into() }
}

fn captioned_image() -> Reply {
    Reply::Image {
        url: "https://cdn.example/mug.jpg".into(),
        caption: Some("Blue mug".into()),
    }
}

#[test]
fn batches_hold_at_most_five_messages_per_call() {
    let s = sender("http://unused");
    assert_eq!(
        s.batches(&vec![text("a"); 6], SendMode::Session),
        vec![5, 1]
    );
    assert_eq!(s.batches(&vec![text("a"); 5], SendMode::Session), vec![5]);
    // Two messages each: two images make four, a third would make six.
    let replies = vec![
        captioned_image(),
        captioned_image(),
        captioned_image(),
        text("a"),
    ];
    assert_eq!(s.batches(&replies, SendMode::Session), vec![2, 2]);
    // A reply too big for one call goes alone; an empty one costs nothing.
    let replies = vec![text("a"), text(&"b".repeat(6 * 5000)), text(" "), text("c")];
    assert_eq!(s.batches(&replies, SendMode::Session), vec![1, 1, 2]);
    assert!(s.batches(&[], SendMode::OrderUpdate).is_empty());
}

// --- sending --------------------------------------------------------------------------

fn ana() -> ConversationId {
    ConversationId::new(Channel::Line, USER)
}

fn bundle(replies: Vec<Reply>, token: Option<ReplyToken>) -> ReplyBundle {
    ReplyBundle {
        id: "bundle-1".into(),
        conversation: ana(),
        lang: Lang::EN,
        ack: None,
        reply_token: token,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies,
    }
}

fn outgoing(b: &ReplyBundle, now: i64) -> Outgoing<'_> {
    Outgoing {
        bundle: b,
        first: 0,
        replies: &b.replies,
        mode: SendMode::Session,
        now,
    }
}

fn token() -> Option<ReplyToken> {
    Some(ReplyToken {
        token: "b60d432864f44d079f6d8efe86cf404b".into(),
        use_before: 1_000,
    })
}

const SENT: &str =
    r#"{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b..."}]}"#;

#[test]
fn the_retry_key_is_the_idempotency_key_as_a_uuid() {
    let key = "0123456789abcdef0123456789abcdef00112233445566778899aabbccddeeff";
    assert_eq!(retry_key(key, 0), "01234567-89ab-cdef-0123-456789abcdef");
    assert_eq!(retry_key(key, 0), retry_key(key, 0));
    let second = retry_key(key, 1);
    assert_ne!(second, retry_key(key, 0));
    assert_eq!(
        second.split('-').map(str::len).collect::<Vec<_>>(),
        vec![8, 4, 4, 4, 12]
    );
}

#[tokio::test]
async fn a_good_reply_token_is_used_for_a_reply() {
    let server = test_server::serve(200, vec![], SENT).await;
    let b = bundle(vec![text("hi")], token());
    let sent = sender(&server.base)
        .send(&outgoing(&b, 999))
        .await
        .expect("sent");
    assert_eq!(sent, Sent::ids(["461230966842064897".to_string()]));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, http::Method::POST);
    assert_eq!(requests[0].path, "/v2/bot/message/reply");
    assert_eq!(
        requests[0].body,
        json!({
            "replyToken": "b60d432864f44d079f6d8efe86cf404b",
            "messages": [{ "type": "text", "text": "hi" }],
        })
    );
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        &format!("Bearer {ACCESS_TOKEN}")
    );
    assert!(requests[0].headers.get(RETRY_KEY_HEADER).is_none());
}

#[tokio::test]
async fn without_a_good_token_it_pushes_with_a_retry_key() {
    let server = test_server::serve(200, vec![], SENT).await;
    // The token expired by our clock: the domain no longer offers it.
    let b = bundle(vec![text("hi"), captioned_image()], token());
    let out = outgoing(&b, 1_000);
    let sent = sender(&server.base).send(&out).await.expect("sent");
    assert_eq!(sent.message_ids, vec!["461230966842064897".to_string()]);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v2/bot/message/push");
    assert_eq!(requests[0].body["to"], json!(USER));
    assert_eq!(requests[0].body["messages"].as_array().unwrap().len(), 3);
    let expected = retry_key(&out.idempotency_key(), 0);
    assert_eq!(
        requests[0].headers.get(RETRY_KEY_HEADER).unwrap(),
        expected.as_str()
    );
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        &format!("Bearer {ACCESS_TOKEN}")
    );
}

#[tokio::test]
async fn a_retried_push_answered_409_counts_as_sent() {
    let server = test_server::serve(
        409,
        vec![],
        r#"{"message":"The retry key is already accepted","sentMessages":[{"id":"461230966842064897"}]}"#,
    )
    .await;
    let b = bundle(vec![text("hi")], None);
    let sent = sender(&server.base).send(&outgoing(&b, 0)).await;
    assert_eq!(sent, Ok(Sent::ids(["461230966842064897".to_string()])));
}

#[tokio::test]
async fn a_409_to_a_reply_is_not_taken_for_success() {
    let server = test_server::serve(409, vec![], r#"{"message":"Conflict"}"#).await;
    let b = bundle(vec![text("hi")], token());
    let f = sender(&server.base).send(&outgoing(&b, 0)).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(409),
                ..
            })
        ),
        "{f:?}"
    );
}

/// A server answering the reply endpoint with `reply` and everything else with `SENT`,
/// recording (path, body, retry key) of each request.
async fn line_api(
    reply: (u16, &'static str),
) -> (String, Arc<Mutex<Vec<(String, Value, Option<String>)>>>) {
    use axum::extract::State;
    type Log = Arc<Mutex<Vec<(String, Value, Option<String>)>>>;
    async fn handle(
        State((log, reply)): State<(Log, (u16, &'static str))>,
        uri: http::Uri,
        headers: http::HeaderMap,
        body: axum::body::Bytes,
    ) -> (http::StatusCode, String) {
        let key = headers
            .get(RETRY_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        log.lock()
            .unwrap()
            .push((uri.path().to_string(), body, key));
        if uri.path() == REPLY_PATH {
            (
                http::StatusCode::from_u16(reply.0).unwrap(),
                reply.1.to_string(),
            )
        } else {
            (http::StatusCode::OK, SENT.to_string())
        }
    }
    let log: Log = Arc::default();
    let app = axum::Router::new()
        .fallback(handle)
        .with_state((log.clone(), reply));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, log)
}

#[tokio::test]
async fn a_refused_reply_token_falls_back_to_a_push_in_the_same_call() {
    let (base, log) = line_api((400, r#"{"message":"Invalid reply token"}"#)).await;
    let b = bundle(vec![text("hi")], token());
    let out = outgoing(&b, 0);
    let sent = sender(&base).send(&out).await.expect("sent");
    assert_eq!(sent.message_ids.len(), 1);
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].0, "/v2/bot/message/reply");
    assert_eq!(log[1].0, "/v2/bot/message/push");
    assert_eq!(log[1].1["messages"], log[0].1["messages"]);
    assert_eq!(log[1].2, Some(retry_key(&out.idempotency_key(), 0)));
}

#[tokio::test]
async fn other_reply_failures_do_not_push() {
    let (base, log) = line_api((400, r#"{"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]}"#)).await;
    let b = bundle(vec![text("hi")], token());
    let f = sender(&base).send(&outgoing(&b, 0)).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(400),
                ..
            })
        ),
        "{f:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn more_than_five_messages_take_a_reply_then_keyed_pushes() {
    let (base, log) = line_api((200, SENT)).await;
    let b = bundle(vec![text(&"a".repeat(6 * 5000))], token());
    let out = outgoing(&b, 0);
    let sent = sender(&base).send(&out).await.expect("sent");
    assert_eq!(sent.message_ids.len(), 2);
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].0, "/v2/bot/message/reply");
    assert_eq!(log[0].1["messages"].as_array().unwrap().len(), 5);
    assert_eq!(log[1].0, "/v2/bot/message/push");
    assert_eq!(log[1].1["messages"].as_array().unwrap().len(), 1);
    assert_eq!(log[1].2, Some(retry_key(&out.idempotency_key(), 1)));
}

#[tokio::test]
async fn nothing_to_say_makes_no_call() {
    let server = test_server::serve(500, vec![], "").await;
    let b = bundle(vec![text("  ")], token());
    assert_eq!(
        sender(&server.base).send(&outgoing(&b, 0)).await,
        Ok(Sent::default())
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn send_classifies_api_errors() {
    let server = test_server::serve(429, vec![], r#"{"message":"Too many requests"}"#).await;
    let b = bundle(vec![text("hi")], None);
    assert_eq!(
        sender(&server.base).send(&outgoing(&b, 0)).await,
        Err(SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(1)
        })
    );
    let server = test_server::serve(
        401,
        vec![],
        r#"{"message":"Authentication failed. Confirm that the access token in the authorization header is valid."}"#,
    )
    .await;
    let f = sender(&server.base).send(&outgoing(&b, 0)).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Transient {
                code: Some(401),
                ..
            })
        ),
        "{f:?}"
    );
}

#[tokio::test]
async fn transport_failures_are_transient_and_never_reveal_the_token() {
    let base = crate::fixtures::unreachable().await;
    let b = bundle(vec![text("hi")], None);
    let f = sender(&base).send(&outgoing(&b, 0)).await;
    let Err(SendFailure::Transient { code: None, detail }) = f else {
        panic!("{f:?}");
    };
    assert!(!detail.contains(ACCESS_TOKEN), "{detail}");
    assert!(!detail.contains(USER), "{detail}");
}

#[tokio::test]
async fn acknowledge_does_nothing() {
    assert_eq!(
        sender("http://unused").acknowledge(&ana(), "x").await,
        Ok(())
    );
}

#[test]
fn rules_have_no_window() {
    let s = sender("http://unused");
    assert_eq!(s.rules(), SendingRules::NO_WINDOW);
    assert_eq!(s.rules(), channel_spec::LINE.sending);
}

// --- classification -------------------------------------------------------------------

#[test]
fn too_many_requests_waits_the_advised_delay_or_a_second() {
    assert_eq!(
        classify(429, br#"{"message":"Too many requests"}"#, None),
        SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(1)
        }
    );
    assert_eq!(
        classify(429, b"", Some(Duration::from_secs(7))),
        SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(7)
        }
    );
}

#[test]
fn the_monthly_quota_is_kept_for_a_redrive() {
    let f = classify(
        429,
        br#"{"message":"You have reached your monthly limit."}"#,
        None,
    );
    assert!(
        matches!(&f, SendFailure::Transient { code: Some(429), detail } if detail.contains("monthly limit")),
        "{f:?}"
    );
}

#[test]
fn bad_requests_are_permanent_with_their_details() {
    let f = classify(
        400,
        br#"{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 300","property":"messages[0].quickReply.items[0].action.data"}]}"#,
        None,
    );
    let SendFailure::Permanent {
        code: Some(400),
        detail,
    } = f
    else {
        panic!("{f:?}");
    };
    assert!(
        detail.contains("messages[0].quickReply.items[0].action.data"),
        "{detail}"
    );
    assert!(matches!(
        classify(400, br#"{"message":"Failed to send messages"}"#, None),
        SendFailure::Permanent {
            code: Some(400),
            ..
        }
    ));
}

#[test]
fn token_problems_and_server_errors_are_transient() {
    for status in [401, 403, 500, 502, 503] {
        let f = classify(status, br#"{"message":"x"}"#, None);
        assert!(
            matches!(f, SendFailure::Transient { .. }),
            "{status}: {f:?}"
        );
    }
    assert!(matches!(
        classify(502, b"<html>Bad Gateway</html>", None),
        SendFailure::Transient {
            code: Some(502),
            ..
        }
    ));
}

#[test]
fn an_invalid_reply_token_is_recognised() {
    assert!(is_invalid_reply_token(
        br#"{"message":"Invalid reply token"}"#
    ));
    assert!(is_invalid_reply_token(
        br#"{"message":"The request body has 1 error(s)","details":[{"message":"invalid","property":"replyToken"}]}"#
    ));
    assert!(!is_invalid_reply_token(
        br#"{"message":"Failed to send messages"}"#
    ));
    assert!(!is_invalid_reply_token(b"not json"));
}
