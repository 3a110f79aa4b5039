use super::*;
use crate::customer::Platform;
use crate::platform::harness::{self, failure, receive, refused, tampered};
use chatdrop_channels::line::{LineConfig, LineWebhook};
use chatdrop_domain::inbound::InboundContent;

const USER: &str = "Uaaaabbbbccccddddeeeeffff00001111";

fn customer() -> Customer {
    Customer::on(Platform::Line, "http://127.0.0.1:1", USER, "Ana")
}

/// The adapter as the ingress function configures it with the dev secrets.
fn adapter() -> LineWebhook {
    LineWebhook {
        config: LineConfig {
            channel_secret: dev::secrets()[vars::LINE_CHANNEL_SECRET].clone(),
        },
    }
}

#[test]
fn base64_matches_the_published_line_vector() {
    // https://github.com/line/line-bot-sdk-python `tests/test_signature.py`.
    assert_eq!(
        signature("channel_secret", b"bodybodybodybody"),
        "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
    );
    // RFC 4648 §10 vectors, for the padding.
    for (input, expected) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes()), expected, "{input}");
    }
}

#[test]
fn the_adapter_accepts_a_text_webhook() {
    let webhook = text_webhook(&customer(), 7, "show menu");
    assert_eq!(webhook.path, "/webhooks/line");
    let m = receive(&adapter(), &webhook);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].conversation.customer, USER);
    assert_eq!(
        m[0].content,
        InboundContent::Text {
            body: "show menu".into()
        }
    );
    assert_eq!(m[0].event_id.len(), 26);
    let token = m[0].reply_token.as_ref().expect("a reply token");
    assert!(token.token.ends_with(USER));
    // Another id is another event.
    let other = receive(&adapter(), &text_webhook(&customer(), 8, "show menu"));
    assert_ne!(other[0].event_id, m[0].event_id);
}

#[test]
fn the_adapter_reads_a_tap_as_its_payload() {
    let webhook = tap_webhook(&customer(), 9, "c:p:tee", "Tee").expect("LINE has buttons");
    let m = receive(&adapter(), &webhook);
    assert_eq!(
        m[0].content,
        InboundContent::Action {
            payload: "c:p:tee".into(),
            title: None
        }
    );
}

#[test]
fn a_tampered_webhook_is_refused() {
    let webhook = text_webhook(&customer(), 10, "hi");
    assert!(refused(&adapter(), &tampered(&webhook, "hi", "ho")));
}

fn entry(method: &str, body: Value) -> OutboxEntry {
    OutboxEntry {
        seq: 1,
        at_ms: 0,
        channel: CHANNEL.into(),
        recipient: USER.into(),
        method: method.into(),
        body,
    }
}

#[test]
fn a_quick_reply_renders_and_offers_tappable_choices() {
    let e = entry(
        "reply",
        json!({ "replyToken": "t", "messages": [
            { "type": "image", "originalContentUrl": "https://cdn.example/tee.jpg", "previewImageUrl": "https://cdn.example/tee.jpg" },
            { "type": "text", "text": "Pick one", "quickReply": { "items": [
                { "type": "action", "action": { "type": "postback", "label": "Organic cotton tee,…", "data": "c:p:tee", "displayText": "Organic cotton tee, heather grey" } },
                { "type": "action", "action": { "type": "postback", "label": "Menu", "data": "c:m", "displayText": "Menu" } },
            ]}},
        ]}),
    );
    assert_eq!(
        render(&e).unwrap(),
        "[image https://cdn.example/tee.jpg]\nPick one\n  [Organic cotton tee,…] [Menu]"
    );
    assert_eq!(shown_text(&e), "Pick one");
    assert_eq!(
        choices(&e),
        vec![
            (
                "Organic cotton tee, heather grey".to_string(),
                Some("c:p:tee".to_string())
            ),
            ("Menu".to_string(), Some("c:m".to_string())),
        ]
    );
}

#[test]
fn numbered_text_offers_choices_to_type() {
    let e = entry(
        "push",
        json!({ "to": USER, "messages": [{ "type": "text", "text": "Pick\n\n1. Blue mug — $12.00\n2. View cart\n\nReply with a number." }] }),
    );
    assert_eq!(
        choices(&e),
        vec![
            ("Blue mug".to_string(), None),
            ("View cart".to_string(), None)
        ]
    );
}

#[test]
fn a_flex_link_shows_its_text_and_button() {
    let e = entry(
        "push",
        json!({ "to": USER, "messages": [{ "type": "flex", "altText": "Ready to pay.", "contents": {
            "type": "bubble",
            "body": { "type": "box", "layout": "vertical", "contents": [{ "type": "text", "text": "Ready to pay.", "wrap": true }] },
            "footer": { "type": "box", "layout": "vertical", "contents": [{ "type": "button", "action": { "type": "uri", "label": "Pay", "uri": "https://pay.example/x" } }] },
        }}]}),
    );
    assert_eq!(
        render(&e).unwrap(),
        "Ready to pay.\n  [Pay → https://pay.example/x]"
    );
    assert_eq!(shown_text(&e), "Ready to pay.");
    assert!(choices(&e).is_empty());
}

#[test]
fn retry_keys_must_be_uuids() {
    assert!(is_uuid("01234567-89ab-cdef-0123-456789abcdef"));
    assert!(!is_uuid("0123456789abcdef0123456789abcdef"));
    assert!(!is_uuid("01234567-89ab-cdef-0123-456789abcdeg"));
}

#[test]
fn over_limit_messages_are_refused_as_line_would() {
    assert!(check_messages(&json!([{ "type": "text", "text": "hi" }])).is_ok());
    assert!(check_messages(&json!([])).is_err());
    assert!(check_messages(&json!(vec![json!({ "type": "text", "text": "hi" }); 6])).is_err());
    let long_label = json!([{ "type": "text", "text": "hi", "quickReply": { "items": [
        { "type": "action", "action": { "type": "postback", "label": "x".repeat(21), "data": "c:m" } }
    ]}}]);
    assert!(check_messages(&long_label).is_err());
}

// --- the fake API, driven by the real adapter ----------------------------------------

use crate::platform::harness::session;
use chatdrop_channels::Outbound as _;
use chatdrop_channels::line::{LineSendConfig, LineSender};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::delivery::SendFailure;
use chatdrop_domain::inbound::ReplyToken;
use chatdrop_domain::reply::{Reply, ReplyBundle};

fn sender(base: &str, token: &str) -> LineSender {
    LineSender::new(
        chatdrop_channels::http_client(std::time::Duration::from_secs(5)),
        LineSendConfig {
            api_base: format!("{base}/line"),
            channel_access_token: token.into(),
        },
    )
}

fn bundle(id: &str, token: Option<ReplyToken>) -> ReplyBundle {
    let replies = vec![Reply::Text { body: "hi".into() }];
    ReplyBundle {
        reply_token: token,
        ..harness::bundle(Channel::Line, USER, id, replies)
    }
}

#[tokio::test]
async fn the_fake_api_answers_the_adapter_as_line_does() {
    let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
    let good = sender(&base, &dev::secrets()[vars::LINE_ACCESS_TOKEN]);
    let token = receive(&adapter(), &text_webhook(&customer(), 11, "hi"))[0]
        .reply_token
        .clone();

    // A fresh token: a reply, recorded under the customer, with LINE's message ids.
    let first = bundle("b-1", token.clone());
    let sent = good.send(&session(&first)).await.expect("replied");
    assert_eq!(sent.message_ids.len(), 1);
    // The same token again: LINE refuses it and the adapter pushes instead.
    let second = bundle("b-2", token);
    good.send(&session(&second)).await.expect("pushed");
    // A retried push under the same key: 409, counted as sent, not recorded twice.
    good.send(&session(&second))
        .await
        .expect("already accepted");
    let recorded = harness::outbox(&base).await;
    let methods: Vec<&str> = recorded.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(methods, vec!["reply", "push"]);
    assert!(recorded.iter().all(|e| e.recipient == USER));
    assert_eq!(render(&recorded[0]).as_deref(), Some("hi"));

    // A wrong channel access token: LINE's 401, kept for a redrive.
    let f = sender(&base, "wrong")
        .send(&session(&bundle("b-3", None)))
        .await;
    assert_eq!(failure(&f), ("transient", Some(401)));

    // An injected fault is answered once, then the push goes through.
    harness::queue_faults(
        &base,
        json!([{ "channel": "line", "status": 429, "body": { "message": "Too many requests" } }]),
    )
    .await;
    let f = good.send(&session(&bundle("b-4", None))).await;
    assert!(matches!(f, Err(SendFailure::RateLimited { .. })), "{f:?}");
    good.send(&session(&bundle("b-4", None)))
        .await
        .expect("pushed");
    assert_eq!(harness::outbox(&base).await.len(), 3);

    // In a storm every call is LINE's 429, which advises no delay: the adapter waits a
    // second, and nothing is recorded.
    harness::storm(&base, CHANNEL, 7).await;
    let f = good.send(&session(&bundle("b-5", None))).await;
    assert_eq!(
        f,
        Err(SendFailure::RateLimited {
            code: Some(429),
            retry_after: std::time::Duration::from_secs(1)
        })
    );
    assert_eq!(harness::outbox(&base).await.len(), 3);
}

#[tokio::test]
async fn a_multicast_reaches_each_friend_once_under_its_retry_key() {
    let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
    let good = sender(&base, &dev::secrets()[vars::LINE_ACCESS_TOKEN]);
    let friends: Vec<String> = (1..=3)
        .map(|i| format!("Uaaaabbbbccccddddeeeeffff0000222{i}"))
        .collect();
    let batch = bundle("mc-1", None);
    let sent = good.multicast(&session(&batch), &friends).await;
    assert_eq!(
        sent,
        Ok(Default::default()),
        "LINE answers a multicast with {{}}"
    );
    // The bundle redelivered: the same request under the same key, 409, nothing twice.
    good.multicast(&session(&batch), &friends)
        .await
        .expect("already accepted");
    let recorded = harness::outbox(&base).await;
    let to: Vec<&str> = recorded.iter().map(|e| e.recipient.as_str()).collect();
    assert_eq!(to, friends.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(recorded.iter().all(|e| e.method == "multicast"));
    assert_eq!(render(&recorded[2]).as_deref(), Some("hi"));
    // Another bundle is another request.
    good.multicast(&session(&bundle("mc-2", None)), &friends[..1])
        .await
        .expect("sent");
    assert_eq!(harness::outbox(&base).await.len(), 4);
    // LINE refuses an empty `to` as a bad request: permanent, nothing recorded.
    let f = good.multicast(&session(&bundle("mc-3", None)), &[]).await;
    assert_eq!(failure(&f), ("permanent", Some(400)));
    assert_eq!(harness::outbox(&base).await.len(), 4);
}

#[tokio::test]
async fn the_fake_profile_api_answers_the_adapter_as_line_does() {
    use chatdrop_domain::channel::ConversationId;
    use chatdrop_domain::ports::CustomerProfiles as _;
    let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
    let lookup = |token: &str| chatdrop_channels::line::LineProfiles {
        client: chatdrop_channels::http_client(std::time::Duration::from_secs(5)),
        config: LineSendConfig {
            api_base: format!("{base}/line"),
            channel_access_token: token.into(),
        },
    };
    let good = lookup(&dev::secrets()[vars::LINE_ACCESS_TOKEN]);
    let ana = ConversationId::new(Channel::Line, USER);
    // Nobody set a language: LINE's profile without one.
    assert_eq!(good.locale(&ana).await, Ok(None));
    harness::set_profile(&base, CHANNEL, USER, Some("th"), false).await;
    assert_eq!(good.locale(&ana).await, Ok(Some("th".into())));
    harness::set_profile(&base, CHANNEL, USER, None, true).await;
    assert!(good.locale(&ana).await.is_err());
    assert!(lookup("wrong").locale(&ana).await.is_err());
    assert!(
        harness::outbox(&base).await.is_empty(),
        "lookups are not sends"
    );
}
