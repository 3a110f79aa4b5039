use super::*;
use crate::meta::test_failures;
use crate::test_server;
use crate::whatsapp::OrderUpdateTemplate;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::OrderUpdate;
use serde_json::json;

const ANA: &str = "5511987654321";

// --- classification -------------------------------------------------------------------

fn graph_error(code: i64) -> Vec<u8> {
    format!(
        r#"{{"error":{{"message":"(#{code}) something","type":"OAuthException","code":{code},"error_subcode":2494010,"error_data":{{"messaging_product":"whatsapp","details":"details here"}},"fbtrace_id":"A1"}}}}"#
    )
    .into_bytes()
}

#[test]
fn rate_limit_codes_wait_the_advised_or_default_delay() {
    for code in [4, 80007, 130429] {
        assert_eq!(
            classify(400, &graph_error(code), None),
            SendFailure::RateLimited {
                code: Some(code),
                retry_after: Duration::from_secs(1)
            }
        );
    }
    assert_eq!(
        classify(400, &graph_error(131056), None),
        SendFailure::RateLimited {
            code: Some(131056),
            retry_after: Duration::from_secs(6)
        }
    );
    assert_eq!(
        classify(429, &graph_error(130429), Some(Duration::from_secs(7))),
        SendFailure::RateLimited {
            code: Some(130429),
            retry_after: Duration::from_secs(7)
        }
    );
}

#[test]
fn permanent_codes_are_permanent_whatever_the_status() {
    for code in [
        131047, 131026, 131051, 131021, 133010, 100, 131008, 131009, 368,
    ] {
        for status in [400, 403, 500] {
            let f = classify(status, &graph_error(code), None);
            assert!(
                matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
                "{code}/{status}: {f:?}"
            );
        }
    }
    let SendFailure::Permanent { detail, .. } = classify(400, &graph_error(131047), None) else {
        unreachable!()
    };
    assert!(
        detail.contains("something") && detail.contains("details here"),
        "{detail}"
    );
}

#[test]
fn transient_codes_and_server_errors_are_transient() {
    for code in [190, 131000, 131016, 1, 2] {
        let f = classify(400, &graph_error(code), None);
        assert!(
            matches!(f, SendFailure::Transient { code: Some(c), .. } if c == code),
            "{f:?}"
        );
    }
    // Meta's own trouble without a code we know is worth retrying too.
    assert!(matches!(
        classify(503, &graph_error(999_999), None),
        SendFailure::Transient { .. }
    ));
}

#[test]
fn unknown_codes_fall_back_to_the_status_class() {
    test_failures::assert_the_status_decides(classify, &graph_error(999_999));
}

// --- sending --------------------------------------------------------------------------

fn sender(base: &str) -> WhatsappSender {
    WhatsappSender::new(
        crate::http_client(Duration::from_secs(5)),
        WhatsappSendConfig {
            graph_base: format!("{base}/"),
            api_version: "v21.0".into(),
            phone_number_id: "106000000000002".into(),
            access_token: "EAAtoken".into(),
            order_update_template: Some(OrderUpdateTemplate {
                name: "order_update".into(),
                language: "en_US".into(),
            }),
        },
    )
}

fn ana() -> ConversationId {
    ConversationId::new(Channel::Whatsapp, ANA)
}

/// Sends `body` as one text reply to Ana through a Graph API at `base`.
async fn send_text(base: &str, body: &str) -> Result<Sent, SendFailure> {
    let reply = Reply::Text { body: body.into() };
    sender(base)
        .send(&test_server::single(&ana(), Lang::EN, &reply).out())
        .await
}

/// What sending "hi" comes to when the Graph API answers with `status`, `headers` and `body`.
async fn answered(
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &[u8],
) -> Result<Sent, SendFailure> {
    let server = test_server::serve(status, headers, &String::from_utf8_lossy(body)).await;
    send_text(&server.base, "hi").await
}

#[tokio::test]
async fn send_posts_each_part_with_the_bearer_token() {
    let server = test_server::serve(
        200,
        vec![],
        r#"{"messaging_product":"whatsapp","contacts":[{"input":"5511987654321","wa_id":"5511987654321"}],"messages":[{"id":"wamid.OK"}]}"#,
    )
    .await;
    let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
    send_text(&server.base, &body).await.expect("sent");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for (request, expected) in requests
        .iter()
        .zip(render(ANA, Lang::EN, &Reply::Text { body }))
    {
        assert_eq!(request.method, http::Method::POST);
        assert_eq!(request.path, "/v21.0/106000000000002/messages");
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer EAAtoken"
        );
        assert_eq!(request.body, expected);
    }
    assert_eq!(requests[1].body["text"]["body"], json!("b".repeat(200)));
}

#[tokio::test]
async fn acknowledge_sends_nothing() {
    let server = test_server::serve(200, vec![], "{}").await;
    sender(&server.base)
        .acknowledge(&ana(), "token")
        .await
        .expect("no-op");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn send_classifies_graph_errors() {
    let f = answered(400, vec![], &graph_error(131047)).await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(131047),
                ..
            })
        ),
        "{f:?}"
    );

    let f = answered(400, vec![("retry-after", "2".into())], &graph_error(130429)).await;
    assert_eq!(
        f,
        Err(SendFailure::RateLimited {
            code: Some(130429),
            retry_after: Duration::from_secs(2)
        })
    );

    let f = answered(500, vec![], b"upstream exploded").await;
    assert!(
        matches!(f, Err(SendFailure::Transient { code: None, .. })),
        "{f:?}"
    );
}

#[tokio::test]
async fn the_first_failure_stops_the_remaining_parts() {
    let server = test_server::serve(
        400,
        vec![],
        &String::from_utf8(graph_error(131047)).unwrap(),
    )
    .await;
    let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
    let _ = send_text(&server.base, &body).await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_graph_is_transient() {
    // Bind then drop a listener: nothing answers on that port any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let f = send_text(&base, "hi").await;
    assert!(
        matches!(f, Err(SendFailure::Transient { code: None, .. })),
        "{f:?}"
    );
}

#[test]
fn the_rules_allow_updates_after_the_window_only_with_a_template() {
    let with = sender("http://127.0.0.1:9");
    assert_eq!(
        with.rules(),
        chatdrop_domain::channel_spec::WHATSAPP.sending
    );
    assert!(with.rules().updates_after_window);
    let mut without = sender("http://127.0.0.1:9");
    without.config.order_update_template = None;
    assert_eq!(
        without.rules(),
        SendingRules {
            window: Some(Duration::from_secs(24 * 3600)),
            updates_after_window: false,
            human_agent_window: None,
            unanswered_cap: None,
        }
    );
    // Outside the window an order update is one template message, whatever its replies.
    let replies = vec![Reply::Text { body: "a".into() }; 3];
    assert_eq!(with.batches(&replies, SendMode::OrderUpdate), vec![3]);
    assert_eq!(with.batches(&replies, SendMode::Session), vec![1, 1, 1]);
}

#[tokio::test]
async fn an_order_update_outside_the_window_is_the_template_with_flattened_parameters() {
    let server = test_server::serve(200, vec![], r#"{"messages":[{"id":"wamid.T"}]}"#).await;
    let bundle = chatdrop_domain::reply::ReplyBundle {
        id: "bundle-1".into(),
        conversation: ana(),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: Some(OrderUpdate {
            order_number: "#A1B2C3".into(),
            kind: "shipped".into(),
            summary: "Shipped:\n\tblue  mug".into(),
            ..Default::default()
        }),
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![Reply::Text {
            body: "Order #A1B2C3 has shipped.".into(),
        }],
    };
    let out = Outgoing {
        bundle: &bundle,
        first: 0,
        replies: &bundle.replies,
        mode: SendMode::OrderUpdate,
        now: 0,
    };
    let sent = sender(&server.base).send(&out).await.expect("sent");
    assert_eq!(sent.message_ids, vec!["wamid.T".to_string()]);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": ANA,
            "type": "template",
            "template": {
                "name": "order_update",
                "language": { "code": "en_US" },
                "components": [{
                    "type": "body",
                    "parameters": [
                        { "type": "text", "text": "#A1B2C3" },
                        { "type": "text", "text": "Shipped: blue mug" },
                    ],
                }],
            },
        })
    );
}
