use super::*;
use crate::fixtures;

const SECRET: &str = "s3cr3t_T0ken-abc";
const CHAT: &str = "7001234567";

fn webhook() -> TelegramWebhook {
    TelegramWebhook::new(TelegramConfig {
        secret_token: SECRET.into(),
    })
}

fn post_with(secret: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
    let mut headers = http::HeaderMap::new();
    if let Some(s) = secret {
        headers.insert(SECRET_HEADER, http::HeaderValue::from_str(s).unwrap());
    }
    webhook().receive(&fixtures::request(
        &http::Method::POST,
        &headers,
        body.as_bytes(),
    ))
}

fn messages(body: &str) -> Vec<InboundMessage> {
    fixtures::messages(post_with(Some(SECRET), body))
}

fn one(body: &str) -> InboundMessage {
    fixtures::one(post_with(Some(SECRET), body))
}

// Our own minimal examples in the shape of https://core.telegram.org/bots/api#update.
const SHOP_COMMAND: &str = r#"{"update_id":912345678,"message":{"message_id":41,"from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},
 "chat":{"id":7001234567,"type":"private","first_name":"Ana"},"date":1767225600,"text":"/shop"}}"#;

const CALLBACK: &str = r#"{"update_id":912345679,"callback_query":{"id":"4382749283749823","from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},
 "message":{"message_id":42,"from":{"id":8000000001,"is_bot":true,"first_name":"MugShop"},"chat":{"id":7001234567,"type":"private"},"date":1767225610,"text":"Blue mug — $12.00"},
 "chat_instance":"-1234567890123456789","data":"buy:blue_mug:1"}}"#;

/// A private-chat message update with `fields` as its content, shaped like the above.
fn private_message(fields: &str) -> String {
    format!(
        r#"{{"update_id":912345680,"message":{{"message_id":43,"from":{{"id":7001234567,"is_bot":false,"first_name":"Ana","language_code":"ja"}},"chat":{{"id":7001234567,"type":"private","first_name":"Ana"}},"date":1767225700,{fields}}}}}"#
    )
}

// --- verification ---------------------------------------------------------------------

#[test]
fn the_right_secret_is_accepted() {
    assert!(matches!(
        post_with(Some(SECRET), SHOP_COMMAND),
        Ok(WebhookOutcome::Messages(_))
    ));
}

#[test]
fn a_missing_or_wrong_secret_is_unauthorized() {
    for secret in [
        None,
        Some("wrong"),
        Some(""),
        Some("s3cr3t_T0ken-ab"),
        Some("s3cr3t_T0ken-abcd"),
    ] {
        assert!(
            matches!(
                post_with(secret, SHOP_COMMAND),
                Err(WebhookError::Unauthorized(_))
            ),
            "{secret:?}"
        );
    }
}

#[test]
fn the_secret_is_checked_before_the_body_is_parsed() {
    assert!(matches!(
        post_with(Some("wrong"), "not json"),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn an_unset_secret_authenticates_nothing() {
    let webhook = TelegramWebhook::new(TelegramConfig {
        secret_token: String::new(),
    });
    let mut headers = http::HeaderMap::new();
    headers.insert(SECRET_HEADER, http::HeaderValue::from_static(""));
    let r = webhook.receive(&fixtures::request(
        &http::Method::POST,
        &headers,
        SHOP_COMMAND.as_bytes(),
    ));
    assert!(matches!(r, Err(WebhookError::Unauthorized(_))));
}

#[test]
fn only_post_is_served() {
    for method in [http::Method::GET, http::Method::PUT, http::Method::DELETE] {
        let r = webhook().receive(&fixtures::request(&method, &http::HeaderMap::new(), b""));
        assert_eq!(r, Err(WebhookError::MethodNotAllowed));
    }
}

// --- parsing --------------------------------------------------------------------------

#[test]
fn parses_a_command_as_text() {
    assert_eq!(
        one(SHOP_COMMAND),
        InboundMessage {
            conversation: ConversationId::new(Channel::Telegram, CHAT),
            event_id: "912345678".into(),
            sent_at: 1_767_225_600,
            locale: None,
            ack: None,
            reply_token: None,
            content: InboundContent::Text {
                body: "/shop".into()
            },
        }
    );
    let start = one(&SHOP_COMMAND.replace("/shop", "/start"));
    assert_eq!(
        start.content,
        InboundContent::Text {
            body: "/start".into()
        }
    );
}

#[test]
fn parses_text_with_the_language_as_locale() {
    let m = one(&private_message(r#""text":"blue mug""#));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "blue mug".into()
        }
    );
    assert_eq!(m.locale.as_deref(), Some("ja"));
    assert_eq!(m.event_id, "912345680");
    assert_eq!(m.sent_at, 1_767_225_700);
}

#[test]
fn parses_a_callback_query_with_its_ack() {
    let m = one(CALLBACK);
    assert_eq!(
        m,
        InboundMessage {
            conversation: ConversationId::new(Channel::Telegram, CHAT),
            event_id: "912345679".into(),
            sent_at: 1_767_225_610,
            locale: None,
            ack: Some("4382749283749823".into()),
            reply_token: None,
            content: InboundContent::Action {
                payload: "buy:blue_mug:1".into(),
                title: None
            },
        }
    );
}

#[test]
fn a_callback_without_message_uses_the_sender_and_one_without_data_is_still_acked() {
    let inline = r#"{"update_id":5,"callback_query":{"id":"99","from":{"id":7001234567,"is_bot":false,"first_name":"Ana","language_code":"en"},"inline_message_id":"AAA","chat_instance":"1","data":"c:m"}}"#;
    let m = one(inline);
    assert_eq!(m.conversation, ConversationId::new(Channel::Telegram, CHAT));
    assert_eq!(m.locale.as_deref(), Some("en"));
    assert_eq!(m.ack.as_deref(), Some("99"));

    let game = CALLBACK.replace(r#","data":"buy:blue_mug:1""#, r#","game_short_name":"g""#);
    let m = one(&game);
    assert_eq!(m.ack.as_deref(), Some("4382749283749823"));
    assert_eq!(
        m.content,
        InboundContent::Unsupported {
            kind: "callback_without_data".into()
        }
    );
}

#[test]
fn the_senders_own_contact_is_accepted_with_a_plus() {
    let own = private_message(
        r#""contact":{"phone_number":"5511987654321","first_name":"Ana","user_id":7001234567}"#,
    );
    assert_eq!(
        one(&own).content,
        InboundContent::Contact {
            phone: "+5511987654321".into()
        }
    );
    let plus = private_message(
        r#""contact":{"phone_number":"+81 90 1234 5678","first_name":"Ana","user_id":7001234567}"#,
    );
    assert_eq!(
        one(&plus).content,
        InboundContent::Contact {
            phone: "+819012345678".into()
        }
    );
}

#[test]
fn someone_elses_contact_is_not_the_customers_number() {
    for contact in [
        r#""contact":{"phone_number":"447700900123","first_name":"Bob","user_id":42}"#,
        r#""contact":{"phone_number":"447700900123","first_name":"Bob"}"#,
    ] {
        assert_eq!(
            one(&private_message(contact)).content,
            InboundContent::Unsupported {
                kind: "foreign_contact".into()
            }
        );
    }
}

#[test]
fn a_photo_is_the_largest_size_with_its_caption() {
    let photo = private_message(
        r#""photo":[{"file_id":"small","file_unique_id":"s","width":90,"height":90,"file_size":1000},{"file_id":"large","file_unique_id":"l","width":1280,"height":1280,"file_size":90000}],"caption":"this one""#,
    );
    assert_eq!(
        one(&photo).content,
        InboundContent::Image {
            media_id: "large".into(),
            caption: Some("this one".into())
        }
    );
}

#[test]
fn other_message_kinds_are_unsupported_by_name() {
    for (fields, kind) in [
        (r#""sticker":{"file_id":"s","emoji":"😀"}"#, "sticker"),
        (r#""voice":{"file_id":"v","duration":3}"#, "voice"),
        (
            r#""location":{"latitude":35.6,"longitude":139.7}"#,
            "location",
        ),
        (
            r#""venue":{"title":"Shop"},"location":{"latitude":35.6,"longitude":139.7}"#,
            "venue",
        ),
        (
            r#""animation":{"file_id":"a"},"document":{"file_id":"a"}"#,
            "animation",
        ),
        (r#""hologram":{"id":1}"#, "unknown"),
    ] {
        assert_eq!(
            one(&private_message(fields)).content,
            InboundContent::Unsupported { kind: kind.into() },
            "{fields}"
        );
    }
}

#[test]
fn group_chats_are_ignored() {
    let group = r#"{"update_id":7,"message":{"message_id":1,"from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},"chat":{"id":-1001234567890,"type":"supergroup","title":"Mug fans"},"date":1767225600,"text":"/shop"}}"#;
    assert_eq!(messages(group), vec![]);
    let channel = r#"{"update_id":8,"channel_post":{"message_id":1,"chat":{"id":-1009,"type":"channel"},"date":1767225600,"text":"hi"}}"#;
    assert_eq!(messages(channel), vec![]);
}

#[test]
fn edited_messages_are_ignored() {
    let edited = SHOP_COMMAND.replace(r#""message":"#, r#""edited_message":"#);
    assert_eq!(messages(&edited), vec![]);
}

/// A private chat's `my_chat_member` (<https://core.telegram.org/bots/api#chatmemberupdated>):
/// blocking the bot is an opt-out, unblocking it an opt-in; a group's is not ours.
#[test]
fn blocking_and_unblocking_the_bot_are_opt_out_and_opt_in() {
    let blocked = r#"{"update_id":9,"my_chat_member":{"chat":{"id":7001234567,"first_name":"Ana","type":"private"},"from":{"id":7001234567,"is_bot":false,"first_name":"Ana","language_code":"pt-br"},"date":1767225600,"old_chat_member":{"user":{"id":8000000001,"is_bot":true,"first_name":"Shop","username":"shop_bot"},"status":"member"},"new_chat_member":{"user":{"id":8000000001,"is_bot":true,"first_name":"Shop","username":"shop_bot"},"status":"kicked","until_date":0}}}"#;
    let m = messages(blocked);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].content, InboundContent::OptOut);
    assert_eq!(m[0].conversation.customer, "7001234567");
    assert_eq!(m[0].sent_at, 1767225600);
    assert_eq!(m[0].event_id, "9");

    let unblocked = blocked
        .replace(r#""update_id":9"#, r#""update_id":10"#)
        .replace(r#""status":"member""#, r#""status":"left""#)
        .replace(
            r#""status":"kicked","until_date":0"#,
            r#""status":"member""#,
        )
        .replace(r#""status":"left""#, r#""status":"kicked""#);
    let m = messages(&unblocked);
    assert_eq!(m[0].content, InboundContent::OptIn);

    let group = blocked.replace(r#""type":"private""#, r#""type":"supergroup""#);
    assert_eq!(messages(&group), vec![]);
}

#[test]
fn malformed_updates_are_malformed_without_panicking() {
    for body in [
        "{\"update_id\":",
        "[]",
        "null",
        "{}",
        r#"{"update_id":"x"}"#,
        r#"{"update_id":1,"message":"text"}"#,
    ] {
        assert!(
            matches!(
                post_with(Some(SECRET), body),
                Err(WebhookError::Malformed(_))
            ),
            "{body}"
        );
    }
    // Authentic and readable, but nothing we can use.
    assert_eq!(messages(r#"{"update_id":1,"message":{}}"#), vec![]);
}
