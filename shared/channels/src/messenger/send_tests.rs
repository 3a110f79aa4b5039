use super::*;
use crate::meta::test_failures;
use crate::test_server;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::Reply;

const ANA: &str = "6543210987654321";
const TOKEN: &str = "EAAGpage+token/secret";

fn ana() -> ConversationId {
    ConversationId::new(Channel::Messenger, ANA)
}

// --- classification -------------------------------------------------------------------

fn graph_error(code: i64, subcode: Option<i64>) -> Vec<u8> {
    let sub = subcode.map_or(String::new(), |s| format!(r#","error_subcode":{s}"#));
    format!(
        r#"{{"error":{{"message":"(#{code}) something","type":"OAuthException","code":{code}{sub},"fbtrace_id":"A1b2C3"}}}}"#
    )
    .into_bytes()
}

#[test]
fn rate_limit_codes_wait_the_advised_or_default_delay() {
    for code in [4, 17, 32, 613] {
        assert_eq!(
            classify(400, &graph_error(code, None), None),
            SendFailure::RateLimited {
                code: Some(code),
                retry_after: Duration::from_secs(60)
            }
        );
    }
    assert_eq!(
        classify(429, &graph_error(613, None), Some(Duration::from_secs(7))),
        SendFailure::RateLimited {
            code: Some(613),
            retry_after: Duration::from_secs(7)
        }
    );
    assert_eq!(
        classify(429, b"", None),
        SendFailure::RateLimited {
            code: None,
            retry_after: Duration::from_secs(60)
        }
    );
}

#[test]
fn unreachable_recipients_are_permanent_whatever_the_status() {
    for (code, sub) in [
        (10, Some(2018278)),
        (10, Some(2018108)),
        (551, None),
        (551, Some(1545041)),
        (100, Some(2018001)),
    ] {
        for status in [400, 403, 500] {
            let f = classify(status, &graph_error(code, sub), None);
            assert!(
                matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
                "{code}/{sub:?}/{status}: {f:?}"
            );
        }
    }
    let SendFailure::Permanent { detail, .. } =
        classify(400, &graph_error(10, Some(2018278)), None)
    else {
        unreachable!()
    };
    assert_eq!(detail, "HTTP 400: (#10) something (subcode 2018278)");
}

#[test]
fn a_bad_token_and_meta_trouble_are_transient() {
    for code in [190, 1, 2, 1200] {
        let f = classify(400, &graph_error(code, None), None);
        assert!(
            matches!(f, SendFailure::Transient { code: Some(c), .. } if c == code),
            "{f:?}"
        );
    }
    // Meta's own trouble without a code we know is worth retrying too.
    assert!(matches!(
        classify(503, &graph_error(999_999, None), None),
        SendFailure::Transient { .. }
    ));
}

#[test]
fn unknown_codes_fall_back_to_the_status_class() {
    // Code 100 with another subcode is an invalid parameter: our message, not the weather.
    assert!(matches!(
        classify(400, &graph_error(100, Some(2018109)), None),
        SendFailure::Permanent {
            code: Some(100),
            ..
        }
    ));
    test_failures::assert_the_status_decides(classify, &graph_error(999_999, None));
}

// --- sending --------------------------------------------------------------------------

/// A request as the Graph API saw it, query string included (the shared test server keeps
/// only the path, and the access token travels in the query).
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: String,
    body: Value,
}

type Log = std::sync::Arc<std::sync::Mutex<Vec<Seen>>>;

/// Answers every request with `status` and `body` and records what it saw.
async fn graph(status: u16, body: &'static str) -> (String, Log) {
    let log: Log = Default::default();
    let seen = log.clone();
    let app = axum::Router::new().fallback(move |uri: http::Uri, bytes: axum::body::Bytes| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(Seen {
                path: uri.path().to_string(),
                query: uri.query().unwrap_or("").to_string(),
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            });
            (http::StatusCode::from_u16(status).unwrap(), body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, log)
}

fn sender(base: &str) -> MessengerSender {
    MessengerSender::new(
        crate::http_client(Duration::from_secs(5)),
        MessengerSendConfig {
            graph_base: format!("{base}/"),
            api_version: "v21.0".into(),
            page_access_token: TOKEN.into(),
            inbox_app_id: None,
        },
    )
}

const SENT: &str =
    r#"{"recipient_id":"6543210987654321","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"}"#;

#[tokio::test]
async fn send_posts_each_part_with_the_token_in_the_query() {
    let (base, log) = graph(200, SENT).await;
    let reply = Reply::Image {
        url: "https://cdn.example/mug.jpg".into(),
        caption: Some("Blue mug".into()),
    };
    let sent = sender(&base)
        .send(&test_server::single(&ana(), Lang::EN, &reply).out())
        .await
        .expect("sent");
    assert_eq!(sent.message_ids, vec!["m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"; 2]);
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (request, message) in seen.iter().zip(render(Lang::EN, &reply)) {
        assert_eq!(request.path, "/v21.0/me/messages");
        assert_eq!(request.query, "access_token=EAAGpage%2Btoken%2Fsecret");
        assert_eq!(
            request.body,
            json!({
                "recipient": { "id": ANA },
                "messaging_type": "RESPONSE",
                "message": message,
            })
        );
    }
}

#[tokio::test]
async fn an_order_update_outside_the_window_carries_the_tag() {
    let (base, log) = graph(200, SENT).await;
    let reply = Reply::Text {
        body: "Order 1042 has shipped.".into(),
    };
    let single = test_server::single(&ana(), Lang::EN, &reply);
    let out = Outgoing {
        mode: SendMode::OrderUpdate,
        ..single.out()
    };
    sender(&base).send(&out).await.expect("sent");
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen[0].body,
        json!({
            "recipient": { "id": ANA },
            "messaging_type": "MESSAGE_TAG",
            "tag": "POST_PURCHASE_UPDATE",
            "message": { "text": "Order 1042 has shipped." },
        })
    );
}

/// A person's reply between 24 hours and 7 days carries `HUMAN_AGENT`
/// (<https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags>).
#[tokio::test]
async fn a_persons_late_reply_carries_the_human_agent_tag() {
    let (base, log) = graph(200, SENT).await;
    let reply = Reply::Text {
        body: "Hi, Ana from the shop: your bag ships tomorrow.".into(),
    };
    let single = test_server::single(&ana(), Lang::EN, &reply);
    let out = Outgoing {
        mode: SendMode::HumanAgent,
        ..single.out()
    };
    sender(&base).send(&out).await.expect("sent");
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen[0].body,
        json!({
            "recipient": { "id": ANA },
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": { "text": "Hi, Ana from the shop: your bag ships tomorrow." },
        })
    );
}

#[tokio::test]
async fn send_classifies_graph_errors_and_stops_at_the_first() {
    let server = test_server::serve(
        400,
        vec![],
        r#"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"A1"}}"#,
    )
    .await;
    let reply = Reply::Text {
        body: format!("{}\n{}", "a".repeat(1990), "b".repeat(100)),
    };
    let f = sender(&server.base)
        .send(&test_server::single(&ana(), Lang::EN, &reply).out())
        .await;
    assert!(
        matches!(f, Err(SendFailure::Permanent { code: Some(10), .. })),
        "{f:?}"
    );
    assert_eq!(server.requests().len(), 1);

    let server = test_server::serve(
        400,
        vec![("retry-after", "2".into())],
        &String::from_utf8(graph_error(613, None)).unwrap(),
    )
    .await;
    let f = sender(&server.base)
        .send(&test_server::single(&ana(), Lang::EN, &Reply::Text { body: "hi".into() }).out())
        .await;
    assert_eq!(
        f,
        Err(SendFailure::RateLimited {
            code: Some(613),
            retry_after: Duration::from_secs(2)
        })
    );
}

#[tokio::test]
async fn an_unreachable_graph_is_transient_and_never_shows_the_token() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let f = sender(&base)
        .send(&test_server::single(&ana(), Lang::EN, &Reply::Text { body: "hi".into() }).out())
        .await;
    let Err(failure @ SendFailure::Transient { code: None, .. }) = f else {
        panic!("{f:?}")
    };
    let text = format!("{failure} {failure:?}");
    assert!(
        !text.contains("EAAG") && !text.contains("token%2F"),
        "{text}"
    );
}

#[tokio::test]
async fn acknowledge_sends_nothing_and_the_rules_allow_tagged_updates() {
    let server = test_server::serve(200, vec![], "{}").await;
    let s = sender(&server.base);
    s.acknowledge(&ana(), "token").await.expect("no-op");
    assert!(server.requests().is_empty());
    // The registry's window, after which a tagged order update may still go out.
    assert_eq!(s.rules(), chatdrop_domain::channel_spec::MESSENGER.sending);
    assert_eq!(s.rules().window, Some(Duration::from_secs(24 * 3600)));
    assert!(s.rules().updates_after_window);
    let replies = vec![Reply::Text { body: "a".into() }; 3];
    assert_eq!(s.batches(&replies, SendMode::OrderUpdate), vec![1, 1, 1]);
}

// --- handover protocol ------------------------------------------------------------------

fn with_inbox(base: &str, app: Option<&str>) -> MessengerSender {
    let mut s = sender(base);
    s.config.inbox_app_id = app.map(String::from);
    s
}

/// With an inbox app configured, a handoff passes the thread to it with the reason, and the
/// hand-back takes it again: both on `/me`, with the Page token, as Meta documents them.
#[tokio::test]
async fn a_handoff_passes_the_thread_to_the_inbox_and_the_hand_back_takes_it() {
    let (base, log) = graph(200, r#"{"success":true}"#).await;
    let s = with_inbox(&base, Some("263902037430900"));
    assert!(s.pass_to_person(&ana(), "chatdrop: vip").await.unwrap());
    assert!(s.take_back(&ana()).await.unwrap());
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/v21.0/me/pass_thread_control");
    assert_eq!(seen[0].query, "access_token=EAAGpage%2Btoken%2Fsecret");
    assert_eq!(
        seen[0].body,
        json!({
            "recipient": { "id": ANA },
            "target_app_id": "263902037430900",
            "metadata": "chatdrop: vip",
        })
    );
    assert_eq!(seen[1].path, "/v21.0/me/take_thread_control");
    assert_eq!(seen[1].body["recipient"]["id"], ANA);
    assert!(seen[1].body.get("target_app_id").is_none());
}

/// Without one, nothing is called: people answer from the console.
#[tokio::test]
async fn without_an_inbox_app_the_thread_stays_ours() {
    let (base, log) = graph(200, r#"{"success":true}"#).await;
    let s = with_inbox(&base, None);
    assert!(!s.pass_to_person(&ana(), "chatdrop: asked").await.unwrap());
    assert!(!s.take_back(&ana()).await.unwrap());
    assert!(log.lock().unwrap().is_empty());
}

/// A refusal reads like a Send API one: a throttle waits, a bad token is kept for ops.
#[tokio::test]
async fn a_refused_pass_is_classified_as_a_send_is() {
    let body = String::from_utf8(graph_error(613, None)).unwrap();
    let (base, _) = graph(400, Box::leak(body.into_boxed_str())).await;
    let s = with_inbox(&base, Some("263902037430900"));
    assert!(matches!(
        s.pass_to_person(&ana(), "chatdrop: asked").await,
        Err(SendFailure::RateLimited { .. })
    ));
}
