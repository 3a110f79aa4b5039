use super::*;
use crate::fixtures;

const SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";
const USER: &str = "Uaaaabbbbccccddddeeeeffff00001111";

// Published vector: https://github.com/line/line-bot-sdk-python `tests/test_signature.py`
// (commit 873e5496): secret `channel_secret`, body `bodybodybodybody`.
const VECTOR_SECRET: &str = "channel_secret";
const VECTOR_BODY: &str = "bodybodybodybody";
const VECTOR_SIGNATURE: &str = "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=";

// Our own minimal examples in the shape of https://github.com/line/line-openapi `webhook.yml`.
const TEXT: &str = r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"message","mode":"active","timestamp":1767225600000,
 "webhookEventId":"01JGXYZ8Q4N5P6R7S8T9V0W1X2","deliveryContext":{"isRedelivery":false},
 "source":{"type":"user","userId":"Uaaaabbbbccccddddeeeeffff00001111"},"replyToken":"b60d432864f44d079f6d8efe86cf404b",
 "message":{"id":"525111222333444","type":"text","quoteToken":"q3Plxr4AgKd...","text":"show menu"}}]}"#;

const POSTBACK: &str = r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"postback","mode":"active","timestamp":1767225660000,
 "webhookEventId":"01JGXYZA1B2C3D4E5F6G7H8J9K","deliveryContext":{"isRedelivery":false},
 "source":{"type":"user","userId":"Uaaaabbbbccccddddeeeeffff00001111"},"replyToken":"8cf9239d56244f4197887e939187e19e",
 "postback":{"data":"action=buy&sku=blue_mug&qty=1"}}]}"#;

fn webhook() -> LineWebhook {
    LineWebhook::new(LineConfig {
        channel_secret: SECRET.into(),
    })
}

fn sign(secret: &str, body: &[u8]) -> String {
    BASE64.encode(signature::hmac_sha256(secret.as_bytes(), body))
}

fn request_with(
    webhook: &LineWebhook,
    signature: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Result<WebhookOutcome, WebhookError> {
    let mut headers = http::HeaderMap::new();
    if let Some(s) = signature {
        headers.insert(SIGNATURE_HEADER, http::HeaderValue::from_str(s).unwrap());
    }
    if let Some(t) = content_type {
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(t).unwrap(),
        );
    }
    webhook.receive(&fixtures::request(
        &http::Method::POST,
        &headers,
        body.as_bytes(),
    ))
}

fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
    request_with(
        &webhook(),
        Some(&sign(SECRET, body.as_bytes())),
        Some("application/json; charset=utf-8"),
        body,
    )
}

fn messages(body: &str) -> Vec<InboundMessage> {
    fixtures::messages(post(body))
}

fn one(body: &str) -> InboundMessage {
    fixtures::one(post(body))
}

/// A callback with one event of `kind` from `source`, with `fields` added.
fn event(kind: &str, source: &str, fields: &str) -> String {
    format!(
        r#"{{"destination":"U0123456789abcdef0123456789abcdef","events":[{{"type":"{kind}","mode":"active","timestamp":1767225700123,"webhookEventId":"01JGXYZC3D4E5F6G7H8J9K0M1N","deliveryContext":{{"isRedelivery":false}},"source":{source},"replyToken":"0f3779fba3b349968c5d07db31eab56f"{fields}}}]}}"#
    )
}

fn from_user(kind: &str, fields: &str) -> String {
    event(
        kind,
        &format!(r#"{{"type":"user","userId":"{USER}"}}"#),
        fields,
    )
}

fn message_of(kind: &str, extra: &str) -> String {
    from_user(
        "message",
        &format!(r#","message":{{"id":"525111222333999","type":"{kind}"{extra}}}"#),
    )
}

// --- verification ---------------------------------------------------------------------

#[test]
fn the_published_signature_vector_verifies() {
    assert_eq!(
        sign(VECTOR_SECRET, VECTOR_BODY.as_bytes()),
        VECTOR_SIGNATURE
    );
    let vector = LineWebhook::new(LineConfig {
        channel_secret: VECTOR_SECRET.into(),
    });
    let mut headers = http::HeaderMap::new();
    headers.insert(
        SIGNATURE_HEADER,
        http::HeaderValue::from_static(VECTOR_SIGNATURE),
    );
    assert_eq!(
        vector.verify_signature(&headers, VECTOR_BODY.as_bytes()),
        Ok(())
    );
    // Authentic, so it gets as far as the parser, which cannot read it.
    assert!(matches!(
        request_with(
            &vector,
            Some(VECTOR_SIGNATURE),
            Some("application/json"),
            VECTOR_BODY
        ),
        Err(WebhookError::Malformed(_))
    ));
}

#[test]
fn a_signed_callback_is_accepted() {
    assert!(matches!(post(TEXT), Ok(WebhookOutcome::Messages(_))));
}

#[test]
fn a_tampered_body_is_unauthorized() {
    let signature = sign(SECRET, TEXT.as_bytes());
    let tampered = TEXT.replace("show menu", "free mugs");
    assert_eq!(
        request_with(
            &webhook(),
            Some(&signature),
            Some("application/json"),
            &tampered
        ),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn a_missing_wrong_or_unreadable_signature_is_unauthorized() {
    let other_secret = sign("another-channel-secret", TEXT.as_bytes());
    let good = sign(SECRET, TEXT.as_bytes());
    let truncated = &good[..good.len() - 4];
    let hex_instead = hex::encode(signature::hmac_sha256(SECRET.as_bytes(), TEXT.as_bytes()));
    for signature in [
        None,
        Some(""),
        Some(other_secret.as_str()),
        Some(truncated),
        Some("not base64!"),
        Some(hex_instead.as_str()),
    ] {
        assert!(
            matches!(
                request_with(&webhook(), signature, Some("application/json"), TEXT),
                Err(WebhookError::Unauthorized(_))
            ),
            "{signature:?}"
        );
    }
}

#[test]
fn the_signature_is_checked_before_the_body_is_read() {
    assert!(matches!(
        request_with(&webhook(), Some("AAAA"), Some("text/plain"), "not json"),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn an_unset_channel_secret_authenticates_nothing() {
    let unset = LineWebhook::new(LineConfig {
        channel_secret: String::new(),
    });
    assert!(matches!(
        request_with(
            &unset,
            Some(&sign("", TEXT.as_bytes())),
            Some("application/json"),
            TEXT
        ),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn a_body_that_is_not_json_is_unsupported() {
    let form = "events=1";
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
    ] {
        assert!(
            matches!(
                request_with(
                    &webhook(),
                    Some(&sign(SECRET, form.as_bytes())),
                    content_type,
                    form
                ),
                Err(WebhookError::UnsupportedMediaType(_))
            ),
            "{content_type:?}"
        );
    }
}

#[test]
fn only_post_is_served() {
    for method in [http::Method::GET, http::Method::PUT] {
        let r = webhook().receive(&fixtures::request(&method, &http::HeaderMap::new(), b""));
        assert_eq!(r, Err(WebhookError::MethodNotAllowed));
    }
}

// --- parsing --------------------------------------------------------------------------

#[test]
fn the_verification_request_is_answered_with_nothing_queued() {
    assert_eq!(
        messages(r#"{"destination":"U0123456789abcdef0123456789abcdef","events":[]}"#),
        vec![]
    );
}

#[test]
fn parses_a_text_message_with_its_reply_token() {
    assert_eq!(
        one(TEXT),
        InboundMessage {
            conversation: ConversationId::new(Channel::Line, USER),
            event_id: "01JGXYZ8Q4N5P6R7S8T9V0W1X2".into(),
            sent_at: 1_767_225_600,
            locale: None,
            ack: None,
            reply_token: Some(ReplyToken {
                token: "b60d432864f44d079f6d8efe86cf404b".into(),
                use_before: 1_767_225_600 + REPLY_TOKEN_SECONDS,
            }),
            content: InboundContent::Text {
                body: "show menu".into()
            },
        }
    );
}

#[test]
fn parses_a_postback_as_its_exact_payload() {
    let m = one(POSTBACK);
    assert_eq!(m.event_id, "01JGXYZA1B2C3D4E5F6G7H8J9K");
    assert_eq!(m.sent_at, 1_767_225_660);
    assert_eq!(
        m.content,
        InboundContent::Action {
            payload: "action=buy&sku=blue_mug&qty=1".into(),
            title: None
        }
    );
    let empty = from_user("postback", r#","postback":{"data":""}"#);
    assert_eq!(
        one(&empty).content,
        InboundContent::Unsupported {
            kind: "postback_without_data".into()
        }
    );
}

#[test]
fn milliseconds_become_seconds() {
    // 1767225700123 ms: the fraction is dropped, not rounded.
    assert_eq!(
        one(&message_of("text", r#","text":"hi""#)).sent_at,
        1_767_225_700
    );
}

#[test]
fn an_image_is_its_message_id() {
    let image = message_of("image", r#","contentProvider":{"type":"line"}"#);
    assert_eq!(
        one(&image).content,
        InboundContent::Image {
            media_id: "525111222333999".into(),
            caption: None
        }
    );
}

#[test]
fn other_message_types_are_unsupported_by_name() {
    for (kind, extra) in [
        (
            "sticker",
            r#","packageId":"446","stickerId":"1988","stickerResourceType":"STATIC""#,
        ),
        (
            "location",
            r#","latitude":35.6,"longitude":139.7,"address":"Tokyo""#,
        ),
        (
            "audio",
            r#","duration":3000,"contentProvider":{"type":"line"}"#,
        ),
        (
            "video",
            r#","duration":3000,"contentProvider":{"type":"line"}"#,
        ),
        ("file", r#","fileName":"a.pdf","fileSize":100"#),
    ] {
        assert_eq!(
            one(&message_of(kind, extra)).content,
            InboundContent::Unsupported { kind: kind.into() },
            "{kind}"
        );
    }
}

#[test]
fn follow_opts_in_and_unfollow_opts_out() {
    let follow = one(&from_user("follow", r#","follow":{"isUnblocked":true}"#));
    assert_eq!(follow.content, InboundContent::OptIn);
    // The welcome can go out as a free reply.
    assert!(follow.reply_token.is_some());

    let unfollow = from_user("unfollow", "")
        .replace(r#","replyToken":"0f3779fba3b349968c5d07db31eab56f""#, "");
    let m = one(&unfollow);
    assert_eq!(m.content, InboundContent::OptOut);
    assert_eq!(m.reply_token, None);
}

#[test]
fn groups_and_rooms_are_ignored() {
    let group = event(
        "message",
        &format!(
            r#"{{"type":"group","groupId":"Ca56f94637cc4347f90a25382909b24b9","userId":"{USER}"}}"#
        ),
        r#","message":{"id":"1","type":"text","text":"hi"}"#,
    );
    assert_eq!(messages(&group), vec![]);
    let room = event(
        "message",
        &format!(
            r#"{{"type":"room","roomId":"Ra8dbf4673c4c812cd491258042226c99","userId":"{USER}"}}"#
        ),
        r#","message":{"id":"1","type":"text","text":"hi"}"#,
    );
    assert_eq!(messages(&room), vec![]);
    let join = event(
        "join",
        r#"{"type":"group","groupId":"Ca56f94637cc4347f90a25382909b24b9"}"#,
        "",
    );
    assert_eq!(messages(&join), vec![]);
}

#[test]
fn standby_events_are_ignored() {
    let standby = TEXT.replace(r#""mode":"active""#, r#""mode":"standby""#);
    assert_eq!(messages(&standby), vec![]);
}

#[test]
fn a_redelivery_keeps_the_event_id() {
    let redelivered = TEXT.replace(r#""isRedelivery":false"#, r#""isRedelivery":true"#);
    let first = one(TEXT);
    let again = one(&redelivered);
    assert_eq!(again.event_id, first.event_id);
    assert_eq!(again.dedup_identity(), first.dedup_identity());
}

#[test]
fn events_we_do_not_serve_are_skipped_and_the_rest_kept_in_order() {
    let unsend = from_user("unsend", r#","unsend":{"messageId":"325708"}"#);
    let events = |body: &str| -> String {
        let v: Value = serde_json::from_str(body).unwrap();
        v["events"][0].to_string()
    };
    let body = format!(
        r#"{{"destination":"U0","events":[{},{},{},{}]}}"#,
        events(TEXT),
        events(&unsend),
        r#"{"type":"message","timestamp":"yesterday"}"#,
        events(POSTBACK)
    );
    let m = messages(&body);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].event_id, "01JGXYZ8Q4N5P6R7S8T9V0W1X2");
    assert_eq!(m[1].event_id, "01JGXYZA1B2C3D4E5F6G7H8J9K");
}

#[test]
fn unreadable_callbacks_are_malformed_without_panicking() {
    for body in [
        "{",
        "[]",
        "null",
        "{}",
        r#"{"events":{}}"#,
        r#"{"events":"x"}"#,
    ] {
        assert!(
            matches!(post(body), Err(WebhookError::Malformed(_))),
            "{body}"
        );
    }
    // Authentic and readable, but nothing a customer said.
    assert_eq!(messages(r#"{"events":[{}]}"#), vec![]);
}
