//! What the adapters' tests build their cases from, so each adapter's tests read as what they
//! check rather than as setup: choices and replies to render, webhook calls and their outcomes
//! read as messages, and a platform that cannot be reached.
//!
//! The local server that answers a sender's calls is [`crate::test_server`].

use crate::{WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::reply::{Choice, Reply};

/// A choice with no description.
pub(crate) fn choice(id: &str, title: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

/// A choice reply under `body`, its menu labelled "Menu".
pub(crate) fn choices_reply(body: &str, choices: Vec<Choice>) -> Reply {
    Reply::Choices {
        body: body.into(),
        menu_label: "Menu".into(),
        choices,
    }
}

/// A webhook call without a query string, to a URL no platform signs in these tests.
pub(crate) fn request<'a>(
    method: &'a http::Method,
    headers: &'a http::HeaderMap,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        headers,
        query: None,
        url: "https://shop.example/webhooks/test",
        body,
    }
}

/// The messages an accepted webhook call yields; anything else fails the test, naming it.
pub(crate) fn messages(outcome: Result<WebhookOutcome, WebhookError>) -> Vec<InboundMessage> {
    match outcome {
        Ok(WebhookOutcome::Messages(m)) => m,
        other => panic!("expected messages, got {other:?}"),
    }
}

/// The one message an accepted webhook call yields; none or several fail the test.
pub(crate) fn one(outcome: Result<WebhookOutcome, WebhookError>) -> InboundMessage {
    let mut m = messages(outcome);
    assert_eq!(m.len(), 1, "{m:?}");
    m.remove(0)
}

/// The base URL of a local port nothing listens on: a platform that cannot be reached, for the
/// transport failures a sender must classify without quoting its URL.
pub(crate) async fn unreachable() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding an ephemeral local port");
    let base = format!(
        "http://{}",
        listener
            .local_addr()
            .expect("a bound socket has an address")
    );
    drop(listener);
    base
}
