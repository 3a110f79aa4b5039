use super::*;
use crate::meta::test_requests::{self, VERIFY_TOKEN, signature_for};

const SECRET: &str = "app-secret";
const ANA: &str = "5511987654321";

fn webhook() -> WhatsappWebhook {
    WhatsappWebhook::new(WhatsappConfig {
        app_secret: SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
    })
}

fn post_with(signature: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
    test_requests::post(&webhook(), signature, None, body.as_bytes())
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

/// Wraps `messages` and `statuses` arrays in Meta's webhook envelope (shape: WhatsApp/
/// WhatsApp-Nodejs-SDK `src/types/webhooks.ts`, with `metadata` an object as the docs show).
fn notification(messages: &str, statuses: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"104000000000001","changes":[{{"field":"messages","value":{{
 "messaging_product":"whatsapp",
 "metadata":{{"display_phone_number":"15550001111","phone_number_id":"106000000000002"}},
 "contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"5511987654321"}}],
 "messages":[{messages}],"statuses":[{statuses}]}}}}]}}]}}"#
    )
}

fn message(id: &str, kind: &str, fields: &str) -> String {
    format!(r#"{{"from":"{ANA}","id":"{id}","timestamp":"1767225600","type":"{kind}",{fields}}}"#)
}

fn content_of(body: &str) -> InboundContent {
    let mut m = messages(body);
    assert_eq!(m.len(), 1, "{m:?}");
    m.remove(0).content
}

// Our own minimal examples in the documented shape:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
const TEXT_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],
 "messages":[{"from":"5511987654321","id":"wamid.HBgMNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEE0","timestamp":"1767225600","type":"text","text":{"body":"I want the blue mug"}}]}}]}]}"#;

const BUTTON_REPLY_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],
 "messages":[{"context":{"from":"15550001111","id":"wamid.OUTBOUND123"},"from":"5511987654321","id":"wamid.INBOUND456","timestamp":"1767225660","type":"interactive",
   "interactive":{"type":"button_reply","button_reply":{"id":"buy:sku_blue_mug:1","title":"Buy now"}}}]}}]}]}"#;

const FAILED_STATUS_EXAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"104000000000001","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp",
 "metadata":{"display_phone_number":"15550001111","phone_number_id":"106000000000002"},
 "statuses":[{"id":"wamid.OUTBOUND123","status":"failed","timestamp":"1767312100","recipient_id":"5511987654321",
   "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]}]}}]}]}"#;

// --- verification ---------------------------------------------------------------------

#[test]
fn a_correct_signature_is_accepted() {
    assert!(matches!(
        post(TEXT_EXAMPLE),
        Ok(WebhookOutcome::Messages(_))
    ));
}

#[test]
fn a_missing_signature_is_unauthorized() {
    assert!(matches!(
        post_with(None, TEXT_EXAMPLE),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn a_wrong_signature_is_unauthorized() {
    let mut sig = signature_for(SECRET, TEXT_EXAMPLE.as_bytes());
    sig.pop();
    sig.push('0');
    assert!(matches!(
        post_with(Some(&sig), TEXT_EXAMPLE),
        Err(WebhookError::Unauthorized(_))
    ));
    // Right secret, different body: a tampered payload.
    let other = signature_for(SECRET, b"{}");
    assert!(matches!(
        post_with(Some(&other), TEXT_EXAMPLE),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn a_signature_under_another_secret_is_unauthorized() {
    let sig = signature_for("not-the-secret", TEXT_EXAMPLE.as_bytes());
    assert_eq!(
        post_with(Some(&sig), TEXT_EXAMPLE),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn the_legacy_sha1_prefix_and_bad_hex_are_unauthorized() {
    test_requests::assert_refuses_malformed_signatures(&webhook(), SECRET, TEXT_EXAMPLE.as_bytes());
}

#[test]
fn an_unset_app_secret_authenticates_nothing() {
    let webhook = WhatsappWebhook::new(WhatsappConfig {
        app_secret: String::new(),
        verify_token: VERIFY_TOKEN.into(),
    });
    let sig = signature_for("", TEXT_EXAMPLE.as_bytes());
    assert!(matches!(
        test_requests::post(&webhook, Some(&sig), None, TEXT_EXAMPLE.as_bytes()),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn subscription_check_echoes_the_challenge_for_the_right_token() {
    test_requests::assert_echoes_the_challenge(&webhook());
}

#[test]
fn subscription_check_rejects_a_wrong_token_or_mode() {
    test_requests::assert_refuses_wrong_subscriptions(&webhook());
}

#[test]
fn other_methods_are_not_allowed() {
    test_requests::assert_serves_only_get_and_post(&webhook());
}

// --- parsing --------------------------------------------------------------------------

#[test]
fn parses_a_text_message() {
    let m = messages(TEXT_EXAMPLE);
    assert_eq!(
        m,
        vec![InboundMessage {
            conversation: ConversationId::new(Channel::Whatsapp, ANA),
            event_id: "wamid.HBgMNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEE0".into(),
            sent_at: 1_767_225_600,
            locale: None,
            ack: None,
            reply_token: None,
            content: InboundContent::Text {
                body: "I want the blue mug".into()
            },
        }]
    );
}

#[test]
fn parses_a_button_reply() {
    let m = messages(BUTTON_REPLY_EXAMPLE);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].event_id, "wamid.INBOUND456");
    assert_eq!(m[0].sent_at, 1_767_225_660);
    assert_eq!(
        m[0].content,
        InboundContent::Action {
            payload: "buy:sku_blue_mug:1".into(),
            title: Some("Buy now".into())
        }
    );
}

#[test]
fn parses_a_list_reply() {
    let body = notification(
        &message(
            "wamid.L1",
            "interactive",
            r#""interactive":{"type":"list_reply","list_reply":{"id":"c:c:mugs","title":"Mugs","description":"Stoneware"}}"#,
        ),
        "",
    );
    assert_eq!(
        content_of(&body),
        InboundContent::Action {
            payload: "c:c:mugs".into(),
            title: Some("Mugs".into())
        }
    );
}

#[test]
fn parses_a_template_quick_reply() {
    let body = notification(
        &message(
            "wamid.B1",
            "button",
            r#""button":{"payload":"c:m","text":"See menu"}"#,
        ),
        "",
    );
    assert_eq!(
        content_of(&body),
        InboundContent::Action {
            payload: "c:m".into(),
            title: Some("See menu".into())
        }
    );
}

#[test]
fn parses_an_image_with_caption() {
    let body = notification(
        &message(
            "wamid.I1",
            "image",
            r#""image":{"caption":"this one","mime_type":"image/jpeg","sha256":"abc","id":"1480000000000001"}"#,
        ),
        "",
    );
    assert_eq!(
        content_of(&body),
        InboundContent::Image {
            media_id: "1480000000000001".into(),
            caption: Some("this one".into())
        }
    );
}

#[test]
fn parses_status_updates_in_order() {
    let status = |id: &str, s: &str| {
        format!(
            r#"{{"id":"{id}","status":"{s}","timestamp":"1767312000","recipient_id":"{ANA}","conversation":{{"id":"c1","origin":{{"type":"service"}}}},"pricing":{{"billable":true,"pricing_model":"PMP","category":"service"}}}}"#
        )
    };
    let statuses = [
        status("wamid.O1", "sent"),
        status("wamid.O1", "delivered"),
        status("wamid.O1", "read"),
        status("wamid.O1", "deleted"),
        status("wamid.O1", "warning"),
    ]
    .join(",");
    let got: Vec<_> = messages(&notification("", &statuses))
        .into_iter()
        .map(|m| {
            assert_eq!(m.conversation, ConversationId::new(Channel::Whatsapp, ANA));
            assert_eq!(m.event_id, "wamid.O1");
            m.content
        })
        .collect();
    let expect = |status| InboundContent::Status {
        message_id: "wamid.O1".into(),
        status,
        error_code: None,
    };
    assert_eq!(
        got,
        vec![
            expect(DeliveryStatus::Sent),
            expect(DeliveryStatus::Delivered),
            expect(DeliveryStatus::Read),
        ]
    );
}

#[test]
fn parses_a_failed_status_with_its_error_code() {
    let m = messages(FAILED_STATUS_EXAMPLE);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].sent_at, 1_767_312_100);
    assert_eq!(
        m[0].content,
        InboundContent::Status {
            message_id: "wamid.OUTBOUND123".into(),
            status: DeliveryStatus::Failed,
            error_code: Some(131047)
        }
    );
}

#[test]
fn returns_every_message_of_a_batch_in_order() {
    let batch = [
        message("wamid.1", "text", r#""text":{"body":"one"}"#),
        message(
            "wamid.2",
            "reaction",
            r#""reaction":{"message_id":"wamid.X","emoji":"👍"}"#,
        ),
        message("wamid.3", "text", r#""text":{"body":"three"}"#),
        message(
            "wamid.4",
            "sticker",
            r#""sticker":{"id":"s1","animated":false}"#,
        ),
    ]
    .join(",");
    let status = format!(
        r#"{{"id":"wamid.O9","status":"delivered","timestamp":"1767312000","recipient_id":"{ANA}"}}"#
    );
    // A second entry in the same POST, for another customer.
    let body = notification(&batch, &status).replacen(
        r#"]}]}"#,
        r#"]},{"id":"104000000000001","changes":[{"field":"messages","value":{"messages":[{"from":"447700900123","id":"wamid.5","timestamp":"1767225601","type":"text","text":{"body":"five"}}]}}]}]}"#,
        1,
    );
    let ids: Vec<_> = messages(&body).into_iter().map(|m| m.event_id).collect();
    assert_eq!(
        ids,
        vec!["wamid.1", "wamid.3", "wamid.4", "wamid.O9", "wamid.5"]
    );
}

#[test]
fn other_types_are_unsupported_with_their_kind() {
    for (kind, fields) in [
        (
            "audio",
            r#""audio":{"id":"a1","mime_type":"audio/ogg","voice":true}"#,
        ),
        ("location", r#""location":{"latitude":1.0,"longitude":2.0}"#),
        (
            "unsupported",
            r#""errors":[{"code":131051,"title":"Message type unknown"}]"#,
        ),
        ("hologram", r#""hologram":{"id":"h1"}"#),
    ] {
        let body = notification(&message("wamid.U", kind, fields), "");
        assert_eq!(
            content_of(&body),
            InboundContent::Unsupported { kind: kind.into() }
        );
    }
}

#[test]
fn reactions_and_system_messages_are_ignored() {
    let body = notification(
        &[
            message(
                "wamid.R",
                "reaction",
                r#""reaction":{"message_id":"wamid.O1","emoji":"👍"}"#,
            ),
            message(
                "wamid.S",
                "system",
                r#""system":{"body":"changed number","type":"user_changed_number"}"#,
            ),
        ]
        .join(","),
        "",
    );
    assert_eq!(messages(&body), vec![]);
}

#[test]
fn value_errors_and_other_fields_and_objects_are_skipped() {
    let errors = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"errors":[{"code":131000,"title":"Something went wrong"}]}}]}]}"#;
    assert_eq!(messages(errors), vec![]);
    let other_field = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]}"#;
    assert_eq!(messages(other_field), vec![]);
    let page = TEXT_EXAMPLE.replace("whatsapp_business_account", "page");
    assert_eq!(messages(&page), vec![]);
}

#[test]
fn malformed_json_after_a_valid_signature_is_malformed() {
    assert!(matches!(
        post(r#"{"object":"whatsapp_business_account","entry":["#),
        Err(WebhookError::Malformed(_))
    ));
}

#[test]
fn valid_json_of_another_shape_does_not_panic() {
    for body in [
        "[]",
        "\"hello\"",
        "null",
        "42",
        "{}",
        r#"{"object":"whatsapp_business_account"}"#,
        r#"{"object":"whatsapp_business_account","entry":{"oops":1}}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"text"}]}}]}]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"w","type":"interactive"}]}}]}]}"#,
    ] {
        match post(body) {
            Ok(WebhookOutcome::Messages(_)) | Err(WebhookError::Malformed(_)) => {}
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn an_odd_timestamp_becomes_zero() {
    let body = notification(
        r#"{"from":"1","id":"w","timestamp":"soon","type":"text","text":{"body":"x"}}"#,
        "",
    );
    assert_eq!(messages(&body)[0].sent_at, 0);
}

/// A marketing template refused because the customer stopped marketing messages from this
/// business in WhatsApp (131050,
/// https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/): the code
/// reaches the domain, which records an announcements opt-out
/// (`chatdrop_domain::consent::signal`).
#[test]
fn a_stopped_marketing_status_carries_131050() {
    let body = FAILED_STATUS_EXAMPLE
        .replace(r#""code":131047"#, r#""code":131050"#)
        .replace(
            r#""title":"Re-engagement message","message":"Re-engagement message""#,
            r#""title":"User has stopped marketing messages","message":"User has stopped marketing messages""#,
        );
    let m = messages(&body);
    assert_eq!(m.len(), 1);
    let InboundContent::Status { error_code, .. } = &m[0].content else {
        panic!("{m:?}")
    };
    assert_eq!(*error_code, Some(131050));
    let change = chatdrop_domain::consent::signal(&m[0]).expect("an opt-out");
    assert_eq!(change.wish, chatdrop_domain::consent::Wish::OptOut);
    assert_eq!(change.scope, chatdrop_domain::consent::Scope::Announcements);
}
