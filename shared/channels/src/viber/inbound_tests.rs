use super::*;
use crate::fixtures::{messages, one, request};
use chatdrop_domain::i18n::Msg;

// The official SDK's vector: Viber/viber-bot-python `tests/api/test_api.py`
// (`test_verify_signature`), recomputed with Python's `hmac`.
const SDK_TOKEN: &str = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";
const SDK_BODY: &str =
    r#"{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}"#;
const SDK_SIGNATURE: &str = "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef";

// Computed vectors (Python `hmac.new(token.encode('ascii'), body.encode('utf-8'),
// hashlib.sha256).hexdigest()`): a realistic message, the same with one space added (the
// signature is over the raw bytes, not re-serialised JSON), and UTF-8 beyond ASCII.
const TOKEN: &str = "4a7b9c1d2e3f4051-6a7b8c9d0e1f2a3b-4c5d6e7f8091a2b3";
const V1_BODY: &str = r#"{"event":"message","timestamp":1767225600000,"chat_hostname":"SN-376_","message_token":5987034281946398720,"sender":{"id":"01234567890A=","name":"Jane","language":"en","country":"GB","api_version":10},"message":{"text":"buy DROP-42 size 9","type":"text"},"silent":false}"#;
const V1_SIGNATURE: &str = "f1ee1865790b4eabf77bf363a22987463c15ff7b1f7d455985224f173f9a2f50";
const V1_SPACED_SIGNATURE: &str =
    "a46e4056f0e2243f293ea9a9a122a57a7cb0700be2fca11e257d0ff2d4916a9d";
const V2_BODY: &str = r#"{"event":"message","timestamp":1767225600000,"message_token":5987034281946398721,"sender":{"id":"01234567890A="},"message":{"text":"주문 DROP-42 — €120","type":"text"}}"#;
const V2_SIGNATURE: &str = "1cafa6c1ca493a971adc638bd8e2b146fb80c787142a37abd4915daa8c17c7d0";

const USER: &str = "01234567890A=";

fn webhook(token: &str) -> ViberWebhook {
    ViberWebhook::new(ViberConfig {
        auth_token: token.into(),
        sender_name: "Maison".into(),
    })
}

fn headers(signature: Option<&str>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("content-type", "application/json".parse().unwrap());
    if let Some(s) = signature {
        h.insert(SIGNATURE_HEADER, s.parse().unwrap());
    }
    h
}

fn post(
    w: &ViberWebhook,
    body: &str,
    signature: Option<&str>,
) -> Result<WebhookOutcome, WebhookError> {
    let h = headers(signature);
    w.receive(&request(&http::Method::POST, &h, body.as_bytes()))
}

/// `body` signed under `token` as Viber signs it.
fn signed(token: &str, body: &str) -> String {
    hex::encode(signature::hmac_sha256(token.as_bytes(), body.as_bytes()))
}

fn event(w: &ViberWebhook, body: serde_json::Value) -> Result<WebhookOutcome, WebhookError> {
    let body = body.to_string();
    post(w, &body, Some(&signed(&w.config.auth_token, &body)))
}

#[test]
fn the_official_sdk_vector_verifies_and_the_check_is_answered_with_nothing_queued() {
    assert_eq!(signed(SDK_TOKEN, SDK_BODY), SDK_SIGNATURE);
    let outcome = post(&webhook(SDK_TOKEN), SDK_BODY, Some(SDK_SIGNATURE));
    assert_eq!(outcome, Ok(WebhookOutcome::Messages(vec![])));
}

#[test]
fn the_computed_vectors_verify_over_the_raw_bytes() {
    assert_eq!(signed(TOKEN, V1_BODY), V1_SIGNATURE);
    assert_eq!(signed(TOKEN, V2_BODY), V2_SIGNATURE);
    let spaced = V1_BODY.replace(r#""silent":false"#, r#""silent": false"#);
    assert_eq!(signed(TOKEN, &spaced), V1_SPACED_SIGNATURE);

    let w = webhook(TOKEN);
    let m = one(post(&w, V1_BODY, Some(V1_SIGNATURE)));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "buy DROP-42 size 9".into()
        }
    );
    assert_eq!(m.event_id, "5987034281946398720");
    assert_eq!(m.conversation, ConversationId::new(Channel::Viber, USER));
    assert_eq!(m.sent_at, 1_767_225_600);
    assert_eq!(m.locale.as_deref(), Some("en"));
    let m = one(post(&w, &spaced, Some(V1_SPACED_SIGNATURE)));
    assert_eq!(m.event_id, "5987034281946398720");
    let m = one(post(&w, V2_BODY, Some(V2_SIGNATURE)));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "주문 DROP-42 — €120".into()
        }
    );
    // The same body with the other's signature is refused: re-serialising would have hidden it.
    assert_eq!(
        post(&w, &spaced, Some(V1_SIGNATURE)),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn uppercase_hex_and_the_sig_query_parameter_verify_too() {
    let w = webhook(TOKEN);
    one(post(&w, V1_BODY, Some(&V1_SIGNATURE.to_ascii_uppercase())));
    let h = headers(None);
    let query = format!("foo=1&sig={V1_SIGNATURE}");
    let mut r = request(&http::Method::POST, &h, V1_BODY.as_bytes());
    r.query = Some(&query);
    one(w.receive(&r));
}

#[test]
fn forged_missing_or_unkeyed_signatures_are_refused_before_parsing() {
    let w = webhook(TOKEN);
    assert_eq!(
        post(&w, V1_BODY, None),
        Err(WebhookError::Unauthorized(
            "missing x-viber-content-signature"
        ))
    );
    assert_eq!(
        post(&w, V1_BODY, Some(&signed("another-token", V1_BODY))),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    assert_eq!(
        post(&w, V1_BODY, Some("sha256=f1ee")),
        Err(WebhookError::Unauthorized("signature is not hex"))
    );
    // Garbage that is not even JSON is refused as unauthorised, not as malformed: nothing is
    // read before the signature holds.
    assert_eq!(
        post(&w, "not json", Some(V1_SIGNATURE)),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    // No token configured: an HMAC under an empty key proves nothing.
    let unkeyed = webhook("");
    assert_eq!(
        post(&unkeyed, SDK_BODY, Some(&signed("", SDK_BODY))),
        Err(WebhookError::Unauthorized("auth token not configured"))
    );
    // Only POST.
    let h = headers(Some(V1_SIGNATURE));
    assert_eq!(
        w.receive(&request(&http::Method::GET, &h, V1_BODY.as_bytes())),
        Err(WebhookError::MethodNotAllowed)
    );
}

#[test]
fn a_signed_body_that_is_not_json_is_malformed_or_refused_by_its_type() {
    let w = webhook(TOKEN);
    let body = "{\"event\":";
    assert!(matches!(
        post(&w, body, Some(&signed(TOKEN, body))),
        Err(WebhookError::Malformed(_))
    ));
    let mut h = headers(Some(&signed(TOKEN, "a=b")));
    h.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert_eq!(
        w.receive(&request(&http::Method::POST, &h, b"a=b")),
        Err(WebhookError::UnsupportedMediaType(
            "application/x-www-form-urlencoded".into()
        ))
    );
}

#[test]
fn conversation_started_is_answered_with_the_welcome_in_the_customers_language() {
    let w = webhook(TOKEN);
    let started = serde_json::json!({
        "event": "conversation_started",
        "timestamp": 1767225600000u64,
        "message_token": 4912661846655238145u64,
        "type": "open",
        "context": "drop-42",
        "user": {"id": USER, "name": "Jane", "language": "pt-BR", "country": "BR", "api_version": 8},
        "subscribed": false
    });
    let Ok(WebhookOutcome::Respond { content_type, body }) = event(&w, started) else {
        panic!("a welcome answers conversation_started");
    };
    assert_eq!(content_type, "application/json");
    let welcome: serde_json::Value = serde_json::from_str(&body).unwrap();
    let pt = Lang::from_locale("pt-BR").unwrap();
    assert_eq!(welcome["text"], Msg::Welcome.text(pt));
    assert_eq!(welcome["type"], "text");
    assert_eq!(welcome["sender"]["name"], "Maison");
    // A send_message body without `receiver`: the customer is not a subscriber yet.
    assert!(welcome.get("receiver").is_none());
    let button = &welcome["keyboard"]["Buttons"][0];
    assert_eq!(button["ActionType"], "reply");
    assert_eq!(
        button["ActionBody"],
        format!("{TAP_PREFIX}{}", Action::Menu.encode())
    );
    assert_eq!(button["Text"], Msg::Menu.text(pt));

    // An unknown language is greeted in English.
    let started = serde_json::json!({
        "event": "conversation_started", "timestamp": 1, "message_token": 2,
        "user": {"id": USER, "language": "xx"}
    });
    let Ok(WebhookOutcome::Respond { body, .. }) = event(&w, started) else {
        panic!("a welcome answers conversation_started");
    };
    assert!(body.contains(&Msg::Welcome.text(Lang::EN)));
}

#[test]
fn subscribed_and_unsubscribed_are_the_customers_consent() {
    let w = webhook(TOKEN);
    let m = one(event(
        &w,
        serde_json::json!({
            "event": "subscribed", "timestamp": 1767225600123u64, "message_token": 4912661846655238145u64,
            "chat_hostname": "SN-CHAT-08_",
            "user": {"id": USER, "name": "Jane", "language": "uk", "country": "UA", "api_version": 10}
        }),
    ));
    assert_eq!(m.content, InboundContent::OptIn);
    assert_eq!(m.event_id, "4912661846655238145");
    assert_eq!(m.locale.as_deref(), Some("uk"));
    let m = one(event(
        &w,
        serde_json::json!({
            "event": "unsubscribed", "timestamp": 1767225600123u64, "message_token": 4912661846655238146u64,
            "user_id": USER
        }),
    ));
    assert_eq!(m.content, InboundContent::OptOut);
    assert_eq!(m.conversation.customer, USER);
    // Without a token the user and the time name the event, so a retry is still one event.
    let no_token = serde_json::json!({"event": "unsubscribed", "timestamp": 5, "user_id": USER});
    let a = one(event(&w, no_token.clone()));
    let b = one(event(&w, no_token));
    assert_eq!(a.dedup_identity(), b.dedup_identity());
}

#[test]
fn a_tap_is_its_payload_and_typed_text_is_text() {
    let w = webhook(TOKEN);
    let message = |text: &str| {
        serde_json::json!({
            "event": "message", "timestamp": 1767225600000u64, "message_token": 5987034281946398722u64,
            "sender": {"id": USER, "name": "Jane"},
            "message": {"type": "text", "text": text, "tracking_data": ""}
        })
    };
    let m = one(event(&w, message(&format!("{TAP_PREFIX}c:p:tee"))));
    assert_eq!(
        m.content,
        InboundContent::Action {
            payload: "c:p:tee".into(),
            title: None
        }
    );
    let m = one(event(&w, message("c:p:tee")));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "c:p:tee".into()
        }
    );
    // The bare prefix is no payload.
    let m = one(event(&w, message(TAP_PREFIX)));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: TAP_PREFIX.into()
        }
    );
}

#[test]
fn pictures_and_other_kinds() {
    let w = webhook(TOKEN);
    let message = |m: serde_json::Value| {
        serde_json::json!({
            "event": "message", "timestamp": 1, "message_token": 7,
            "sender": {"id": USER}, "message": m
        })
    };
    let m = one(event(
        &w,
        message(serde_json::json!({
            "type": "picture", "text": "this one", "media": "https://dl-media.viber.com/1.jpg", "thumbnail": "https://dl-media.viber.com/t.jpg"
        })),
    ));
    assert_eq!(
        m.content,
        InboundContent::Image {
            media_id: "https://dl-media.viber.com/1.jpg".into(),
            caption: Some("this one".into()),
        }
    );
    let m = one(event(
        &w,
        message(serde_json::json!({"type": "sticker", "sticker_id": 46105})),
    ));
    assert_eq!(m.content, InboundContent::unsupported("sticker"));
    let m = one(event(
        &w,
        message(serde_json::json!({"type": "location", "location": {"lat": 1.0, "lon": 2.0}})),
    ));
    assert_eq!(m.content, InboundContent::unsupported("location"));
}

#[test]
fn delivery_reports_are_statuses_of_the_message_we_sent() {
    let w = webhook(TOKEN);
    for (kind, status) in [
        ("delivered", DeliveryStatus::Delivered),
        ("seen", DeliveryStatus::Read),
        ("failed", DeliveryStatus::Failed),
    ] {
        let m = one(event(
            &w,
            serde_json::json!({
                "event": kind, "timestamp": 1457764197627u64, "message_token": 491266184665523145u64,
                "user_id": USER, "desc": "failure description"
            }),
        ));
        assert_eq!(
            m.content,
            InboundContent::Status {
                message_id: "491266184665523145".into(),
                status,
                error_code: None,
            },
            "{kind}"
        );
        assert_eq!(
            m.dedup_identity(),
            format!("viber#491266184665523145#{}", status.as_str())
        );
    }
    // A report without the token of the message it is about says nothing.
    assert!(
        messages(event(
            &w,
            serde_json::json!({"event": "seen", "timestamp": 1, "user_id": USER})
        ))
        .is_empty()
    );
}

#[test]
fn events_we_do_not_serve_or_without_a_user_queue_nothing() {
    let w = webhook(TOKEN);
    for body in [
        serde_json::json!({"event": "client_status", "timestamp": 1, "message_token": 2}),
        serde_json::json!({"event": "message", "timestamp": 1, "message_token": 2, "message": {"type": "text", "text": "hi"}}),
        serde_json::json!({"event": "message", "timestamp": 1, "message_token": 2, "sender": {"id": ""}, "message": {"type": "text", "text": "hi"}}),
        serde_json::json!({"event": "subscribed", "timestamp": 1, "message_token": 2}),
        serde_json::json!({}),
    ] {
        assert!(messages(event(&w, body.clone())).is_empty(), "{body}");
    }
}
