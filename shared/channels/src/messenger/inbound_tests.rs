use super::*;
use crate::meta::test_requests::{self, VERIFY_TOKEN, signature_for};

pub(super) const SECRET: &str = "app-secret";
const PAGE: &str = "102030405060708";
pub(super) const ANA: &str = "6543210987654321";

fn webhook() -> MessengerWebhook {
    MessengerWebhook::new(MessengerConfig {
        app_secret: SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: None,
    })
}

fn post_with(signature: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
    test_requests::post(
        &webhook(),
        signature,
        Some("application/json"),
        body.as_bytes(),
    )
}

fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
    post_with(Some(&signature_for(SECRET, body.as_bytes())), body)
}

fn messages(body: &str) -> Vec<InboundMessage> {
    match post(body) {
        Ok(WebhookOutcome::Messages(m)) => m,
        other => panic!("expected messages, got {other:?}"),
    }
}

/// `items` as the `messaging` array of one entry, in the `object: "page"` webhook envelope.
pub(super) fn notification(items: &[String]) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1767225600123,"messaging":[{}]}}]}}"#,
        items.join(",")
    )
}

/// One messaging event from Ana to the Page at `ms`, with `fields` as its payload.
pub(super) fn event(ms: i64, fields: &str) -> String {
    format!(
        r#"{{"sender":{{"id":"{ANA}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ms},{fields}}}"#
    )
}

fn one(body: &str) -> InboundMessage {
    let mut m = messages(body);
    assert_eq!(m.len(), 1, "{m:?}");
    m.remove(0)
}

pub(super) fn ana() -> ConversationId {
    ConversationId::new(Channel::Messenger, ANA)
}

// Our own minimal examples in the documented shape (Messenger webhook events:
// https://developers.facebook.com/docs/messenger-platform/webhooks).
const QUICK_REPLY_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767225600123,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767225600000,
 "message":{"mid":"m_AbCdEf123","text":"Blue mug","quick_reply":{"payload":"SKU:blue_mug"}}}]}]}"#;

const POSTBACK_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767225700456,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767225700000,
 "postback":{"mid":"m_GhIjKl456","title":"Buy now","payload":"BUY:blue_mug:1"}}]}]}"#;

// --- verification ---------------------------------------------------------------------

#[test]
fn the_shared_meta_vector_verifies() {
    // Meta publishes no Messenger vector. Messenger signs exactly as WhatsApp does
    // (https://developers.facebook.com/docs/messenger-platform/webhooks, "Validating
    // Webhook Events"), so the third-party WhatsApp vector applies: hexdocs whatsapp_sdk
    // `compute_signature("test", "secret")` (https://hexdocs.pm/whatsapp_sdk), recomputed
    // with Python's `hmac`. The body "test" is authentic but not JSON: Malformed, which
    // proves the signature passed.
    let webhook = MessengerWebhook::new(MessengerConfig {
        app_secret: "secret".into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: None,
    });
    let sig = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";
    assert!(matches!(
        test_requests::post(&webhook, Some(sig), Some("application/json"), b"test"),
        Err(WebhookError::Malformed(_))
    ));
    assert!(matches!(
        test_requests::post(&webhook, Some(sig), Some("application/json"), b"test "),
        Err(WebhookError::Unauthorized("signature mismatch"))
    ));
}

#[test]
fn a_correct_signature_is_accepted() {
    assert!(matches!(
        post(QUICK_REPLY_EXAMPLE),
        Ok(WebhookOutcome::Messages(m)) if m.len() == 1
    ));
}

#[test]
fn a_missing_signature_is_unauthorized() {
    assert_eq!(
        post_with(None, QUICK_REPLY_EXAMPLE),
        Err(WebhookError::Unauthorized("missing X-Hub-Signature-256"))
    );
}

#[test]
fn a_tampered_body_is_unauthorized() {
    let sig = signature_for(SECRET, QUICK_REPLY_EXAMPLE.as_bytes());
    let tampered = QUICK_REPLY_EXAMPLE.replace("SKU:blue_mug", "SKU:gold_mug");
    assert_eq!(
        post_with(Some(&sig), &tampered),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn a_signature_under_another_secret_is_unauthorized() {
    let sig = signature_for("not-the-secret", QUICK_REPLY_EXAMPLE.as_bytes());
    assert_eq!(
        post_with(Some(&sig), QUICK_REPLY_EXAMPLE),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn the_legacy_sha1_header_and_bad_hex_are_unauthorized() {
    test_requests::assert_refuses_malformed_signatures(
        &webhook(),
        SECRET,
        QUICK_REPLY_EXAMPLE.as_bytes(),
    );
    // The SHA-1 header alone, even correctly computed, is not accepted.
    let mut headers = http::HeaderMap::new();
    headers.insert("x-hub-signature", http::HeaderValue::from_static("sha1=00"));
    let outcome = test_requests::request(
        &webhook(),
        http::Method::POST,
        &headers,
        None,
        QUICK_REPLY_EXAMPLE.as_bytes(),
    );
    assert!(matches!(outcome, Err(WebhookError::Unauthorized(_))));
}

#[test]
fn an_unset_app_secret_authenticates_nothing() {
    let webhook = MessengerWebhook::new(MessengerConfig {
        app_secret: String::new(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: None,
    });
    let sig = signature_for("", QUICK_REPLY_EXAMPLE.as_bytes());
    assert_eq!(
        test_requests::post(
            &webhook,
            Some(&sig),
            Some("application/json"),
            QUICK_REPLY_EXAMPLE.as_bytes()
        ),
        Err(WebhookError::Unauthorized("app secret not configured"))
    );
}

#[test]
fn a_non_json_body_is_refused_after_the_signature() {
    let body = "Body=hello&From=%2B15550001111";
    let sig = signature_for(SECRET, body.as_bytes());
    assert_eq!(
        test_requests::post(
            &webhook(),
            Some(&sig),
            Some("application/x-www-form-urlencoded"),
            body.as_bytes()
        ),
        Err(WebhookError::UnsupportedMediaType(
            "application/x-www-form-urlencoded".into()
        ))
    );
    // Unsigned, it is refused as unauthenticated: the content type is not even looked at.
    assert!(matches!(
        test_requests::post(&webhook(), None, Some("text/xml"), body.as_bytes()),
        Err(WebhookError::Unauthorized(_))
    ));
    // Parameters and case do not matter.
    let sig = signature_for(SECRET, QUICK_REPLY_EXAMPLE.as_bytes());
    assert!(matches!(
        test_requests::post(
            &webhook(),
            Some(&sig),
            Some("Application/JSON; charset=UTF-8"),
            QUICK_REPLY_EXAMPLE.as_bytes()
        ),
        Ok(WebhookOutcome::Messages(_))
    ));
}

#[test]
fn subscription_check_echoes_the_challenge_for_the_right_token() {
    test_requests::assert_echoes_the_challenge(&webhook());
}

#[test]
fn subscription_check_rejects_a_wrong_token_or_mode() {
    test_requests::assert_refuses_wrong_subscriptions(&webhook());
    // An unset verify token does not verify an empty one.
    let unset = MessengerWebhook::new(MessengerConfig {
        app_secret: SECRET.into(),
        verify_token: String::new(),
        app_id: None,
    });
    let outcome = test_requests::get(
        &unset,
        Some("hub.mode=subscribe&hub.challenge=1&hub.verify_token="),
    );
    assert_eq!(
        outcome,
        Err(WebhookError::Forbidden("verify token not configured"))
    );
}

#[test]
fn other_methods_are_not_allowed() {
    test_requests::assert_serves_only_get_and_post(&webhook());
}

// --- parsing --------------------------------------------------------------------------

#[test]
fn a_quick_reply_tap_is_an_action_with_the_tapped_title() {
    assert_eq!(
        one(QUICK_REPLY_EXAMPLE),
        InboundMessage {
            conversation: ana(),
            event_id: "m_AbCdEf123".into(),
            sent_at: 1767225600,
            locale: None,
            ack: None,
            reply_token: None,
            content: InboundContent::Action {
                payload: "SKU:blue_mug".into(),
                title: Some("Blue mug".into()),
            },
        }
    );
}

#[test]
fn a_postback_is_an_action() {
    let m = one(POSTBACK_EXAMPLE);
    assert_eq!(m.event_id, "m_GhIjKl456");
    assert_eq!(m.sent_at, 1767225700);
    assert_eq!(
        m.content,
        InboundContent::Action {
            payload: "BUY:blue_mug:1".into(),
            title: Some("Buy now".into()),
        }
    );
}

#[test]
fn a_postback_without_mid_gets_an_id_from_the_hashed_sender_and_time() {
    let body = notification(&[event(
        1767225800123,
        r#""postback":{"title":"Get Started","payload":"c:start"}"#,
    )]);
    let m = one(&body);
    assert_eq!(
        m.event_id,
        format!("postback:{}:1767225800123", ana().hashed())
    );
    assert!(!m.event_id.contains(ANA));
    assert_eq!(m.sent_at, 1767225800);
}

#[test]
fn typed_text_is_text() {
    let body = notification(&[event(
        1767225900999,
        r#""message":{"mid":"m_text1","text":"2"}"#,
    )]);
    let m = one(&body);
    assert_eq!(m.event_id, "m_text1");
    assert_eq!(m.sent_at, 1767225900);
    assert_eq!(m.content, InboundContent::Text { body: "2".into() });
}

#[test]
fn echoes_of_our_own_sends_are_ignored() {
    // An echo's sender is the Page and its recipient the customer.
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1767225600123,"messaging":[{{
 "sender":{{"id":"{PAGE}"}},"recipient":{{"id":"{ANA}"}},"timestamp":1767225600000,
 "message":{{"is_echo":true,"app_id":1517776481860111,"mid":"m_echo1","text":"Pick one"}}}}]}}]}}"#
    );
    assert!(messages(&body).is_empty());
}

#[test]
fn a_delivery_receipt_is_one_status_per_message() {
    let body = notification(&[event(
        1767226000000,
        r#""delivery":{"mids":["m_out1","m_out2"],"watermark":1767225999000}"#,
    )]);
    let m = messages(&body);
    assert_eq!(m.len(), 2);
    for (m, id) in m.iter().zip(["m_out1", "m_out2"]) {
        assert_eq!(m.conversation, ana());
        assert_eq!(m.event_id, id);
        assert_eq!(
            m.content,
            InboundContent::Status {
                message_id: id.into(),
                status: DeliveryStatus::Delivered,
                error_code: None,
            }
        );
    }
    // Without mids, only the watermark says what was delivered.
    let body = notification(&[event(
        1767226000000,
        r#""delivery":{"watermark":1767225999000}"#,
    )]);
    assert_eq!(
        one(&body).content,
        status("watermark:1767225999000".into(), DeliveryStatus::Delivered)
    );
}

#[test]
fn a_read_receipt_is_one_read_status_at_the_watermark() {
    let body = notification(&[event(
        1767226100000,
        r#""read":{"watermark":1767226050000}"#,
    )]);
    let m = one(&body);
    assert_eq!(m.event_id, "watermark:1767226050000");
    assert_eq!(m.sent_at, 1767226100);
    assert_eq!(
        m.content,
        status("watermark:1767226050000".into(), DeliveryStatus::Read)
    );
}

#[test]
fn batched_entries_come_back_in_order() {
    let body = format!(
        r#"{{"object":"page","entry":[
 {{"id":"{PAGE}","time":1,"messaging":[{},{}]}},
 {{"id":"{PAGE}","time":2,"messaging":[{}]}}]}}"#,
        event(1767225600000, r#""message":{"mid":"m_1","text":"hi"}"#),
        event(1767225601000, r#""message":{"mid":"m_2","text":"mugs"}"#),
        event(
            1767225602000,
            r#""postback":{"mid":"m_3","title":"Tee","payload":"c:p:tee"}"#
        ),
    );
    let ids: Vec<String> = messages(&body).into_iter().map(|m| m.event_id).collect();
    assert_eq!(ids, ["m_1", "m_2", "m_3"]);
}

#[test]
fn a_non_page_object_is_ignored() {
    let body = QUICK_REPLY_EXAMPLE.replace(r#""object":"page""#, r#""object":"instagram""#);
    assert!(messages(&body).is_empty());
}

#[test]
fn images_carry_their_url_and_other_attachments_are_unsupported() {
    let image = notification(&[event(
        1767225600000,
        r#""message":{"mid":"m_img","attachments":[{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/v/t1.15752-9/abc.jpg?_nc_cat=1"}}]}"#,
    )]);
    assert_eq!(
        one(&image).content,
        InboundContent::Image {
            media_id: "https://scontent.xx.fbcdn.net/v/t1.15752-9/abc.jpg?_nc_cat=1".into(),
            caption: None,
        }
    );
    let video = notification(&[event(
        1767225600000,
        r#""message":{"mid":"m_vid","attachments":[{"type":"video","payload":{"url":"https://video.xx.fbcdn.net/v.mp4"}}]}"#,
    )]);
    assert_eq!(one(&video).content, InboundContent::unsupported("video"));
    let sticker = notification(&[event(
        1767225600000,
        r#""message":{"mid":"m_st","sticker_id":369239263222822,"attachments":[{"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/like.png","sticker_id":369239263222822}}]}"#,
    )]);
    assert_eq!(
        one(&sticker).content,
        InboundContent::unsupported("sticker")
    );
    let fallback = notification(&[event(
        1767225600000,
        r#""message":{"mid":"m_fb","attachments":[{"type":"fallback","payload":null}]}"#,
    )]);
    assert_eq!(
        one(&fallback).content,
        InboundContent::unsupported("fallback")
    );
}

#[test]
fn event_kinds_we_do_not_serve_are_ignored() {
    let body = notification(&[
        event(
            1767225600000,
            r#""reaction":{"mid":"m_out1","action":"react","reaction":"love","emoji":"❤"}"#,
        ),
        event(
            1767225600001,
            r#""referral":{"ref":"summer","source":"SHORTLINK","type":"OPEN_THREAD"}"#,
        ),
        event(1767225600002, r#""message":{"mid":"m_ok","text":"hello"}"#),
    ]);
    let m = messages(&body);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].event_id, "m_ok");
}

#[test]
fn an_authentic_but_unreadable_body_is_malformed() {
    assert!(matches!(
        post(r#"{"object":"page","entry":"#),
        Err(WebhookError::Malformed(_))
    ));
    // Unknown fields and odd timestamps degrade instead of failing the batch.
    let body = notification(&[format!(
        r#"{{"sender":{{"id":"{ANA}"}},"timestamp":"1767225600000","message":{{"mid":"m_x","text":"hi","nlp":{{"entities":{{}}}}}}}}"#
    )]);
    assert_eq!(one(&body).sent_at, 1767225600);
}

/// Marketing Messages: the customer's "Stop messages" (and "Resume") arrives as a
/// `messaging_optins` event with `notification_messages_status`
/// (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_optins/>);
/// it stops announcements only. Any other opt-in (a one-time notification) is ignored.
#[test]
fn stopping_marketing_messages_is_an_announcements_opt_out() {
    let optin = |status: &str| {
        notification(&[event(
            1767225600123,
            &format!(
                r#""optin":{{"type":"notification_messages","payload":"drop-alerts","notification_messages_token":"7123456789012345678","notification_messages_frequency":"DAILY","notification_messages_timezone":"America/Sao_Paulo","token_expiry_timestamp":1782777600000,"user_token_status":"NOT_REFRESHED","notification_messages_status":"{status}","title":"Drop alerts"}}"#
            ),
        )])
    };
    let stop = one(&optin("STOP_NOTIFICATIONS"));
    assert_eq!(stop.conversation, ana());
    assert_eq!(stop.content, InboundContent::Marketing { opted_in: false });
    assert_eq!(stop.sent_at, 1767225600);
    let resume = one(&optin("RESUME_NOTIFICATIONS"));
    assert_eq!(resume.content, InboundContent::Marketing { opted_in: true });

    let one_time = notification(&[event(
        1767225600123,
        r#""optin":{"type":"one_time_notif_req","payload":"restock","one_time_notif_token":"abc"}"#,
    )]);
    assert_eq!(messages(&one_time), vec![]);
}
