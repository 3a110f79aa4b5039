use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::Reply;

const CHAT: &str = "7001234567";
const BOT_TOKEN: &str = "8000000001:AAH-test-token";

fn error(code: u16, description: &str, extra: &str) -> Vec<u8> {
    format!(r#"{{"ok":false,"error_code":{code},"description":"{description}"{extra}}}"#)
        .into_bytes()
}

#[test]
fn too_many_requests_waits_the_advised_delay() {
    assert_eq!(
        classify(
            429,
            &error(
                429,
                "Too Many Requests: retry after 3",
                r#","parameters":{"retry_after":3}"#
            )
        ),
        SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(3)
        }
    );
    assert_eq!(
        classify(429, b""),
        SendFailure::RateLimited {
            code: None,
            retry_after: Duration::from_secs(1)
        }
    );
}

#[test]
fn blocked_users_and_bad_requests_are_permanent() {
    for (status, description) in [
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: user is deactivated"),
        (400, "Bad Request: chat not found"),
        (400, "Bad Request: message text is empty"),
    ] {
        let f = classify(status, &error(status, description, ""));
        assert!(
            matches!(&f, SendFailure::Permanent { code: Some(c), detail } if *c == i64::from(status) && detail.contains(description)),
            "{f:?}"
        );
    }
}

#[test]
fn bad_tokens_and_server_errors_are_transient() {
    for status in [401, 404, 500, 502] {
        let f = classify(status, &error(status, "Unauthorized", ""));
        assert!(
            matches!(f, SendFailure::Transient { .. }),
            "{status}: {f:?}"
        );
    }
    assert!(matches!(
        classify(502, b"<html>Bad Gateway</html>"),
        SendFailure::Transient { code: None, .. }
    ));
}

// --- sending --------------------------------------------------------------------------

fn sender(base: &str) -> TelegramSender {
    TelegramSender::new(
        crate::http_client(Duration::from_secs(5)),
        TelegramSendConfig {
            api_base: base.into(),
            bot_token: BOT_TOKEN.into(),
        },
    )
}

fn ana() -> ConversationId {
    ConversationId::new(Channel::Telegram, CHAT)
}

#[tokio::test]
async fn send_posts_each_call_to_its_method() {
    let server = test_server::serve(200, vec![], r#"{"ok":true,"result":{}}"#).await;
    let reply = Reply::Image {
        url: "https://cdn.example/mug.jpg".into(),
        caption: Some("c".repeat(1025)),
    };
    sender(&server.base)
        .send(&crate::test_server::single(&ana(), Lang::EN, &reply).out())
        .await
        .expect("sent");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, http::Method::POST);
    assert_eq!(requests[0].path, format!("/bot{BOT_TOKEN}/sendPhoto"));
    assert_eq!(requests[1].path, format!("/bot{BOT_TOKEN}/sendMessage"));
    for (request, (_, params)) in requests.iter().zip(render(CHAT, Lang::EN, &reply)) {
        assert_eq!(request.body, params);
        assert_eq!(
            request.headers.get("content-type").unwrap(),
            "application/json"
        );
    }
}

#[tokio::test]
async fn acknowledge_answers_the_callback_query() {
    let server = test_server::serve(200, vec![], r#"{"ok":true,"result":true}"#).await;
    sender(&server.base)
        .acknowledge(&ana(), "4382749283749823")
        .await
        .expect("answered");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        format!("/bot{BOT_TOKEN}/answerCallbackQuery")
    );
    assert_eq!(
        requests[0].body,
        json!({ "callback_query_id": "4382749283749823" })
    );
}

#[tokio::test]
async fn send_classifies_api_errors() {
    let reply = Reply::Text { body: "hi".into() };
    let server = test_server::serve(
        429,
        vec![],
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
    )
    .await;
    assert_eq!(
        sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::EN, &reply).out())
            .await,
        Err(SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(3)
        })
    );

    let server = test_server::serve(
        403,
        vec![],
        r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
    )
    .await;
    let f = sender(&server.base)
        .send(&crate::test_server::single(&ana(), Lang::EN, &reply).out())
        .await;
    assert!(
        matches!(
            f,
            Err(SendFailure::Permanent {
                code: Some(403),
                ..
            })
        ),
        "{f:?}"
    );
}

#[tokio::test]
async fn transport_failures_are_transient_and_never_reveal_the_token() {
    let base = crate::fixtures::unreachable().await;
    let f = sender(&base)
        .send(
            &crate::test_server::single(&ana(), Lang::EN, &Reply::Text { body: "hi".into() }).out(),
        )
        .await;
    let Err(SendFailure::Transient { code: None, detail }) = f else {
        panic!("{f:?}");
    };
    assert!(!detail.contains(BOT_TOKEN), "{detail}");
    assert!(!detail.contains("AAH-test-token"), "{detail}");
}
