//! The skill request as Open Builder sends it: the shape documented at
//! <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format> (top-level
//! `intent`, `userRequest`, `bot`, `action`), with a block id, a botUserKey and `clientExtra`
//! from a `block` quick reply.

use super::*;
use crate::fixtures::request;
use serde_json::json;

const SECRET: &str = "s3cret-skill-header";
const BOT: &str = "5f0c0de0a1b2c3d4e5f60718";
const NOW: i64 = 1_790_000_000;

fn webhook() -> KakaoWebhook {
    KakaoWebhook::new(KakaoConfig {
        skill_secret: SECRET.into(),
        bot_id: BOT.into(),
        admin_key: String::new(),
    })
}

fn skill_request(utterance: &str, extra: serde_json::Value, bot: &str) -> Vec<u8> {
    json!({
        "intent": {"id": "blk-fallback", "name": "폴백 블록"},
        "userRequest": {
            "timezone": "Asia/Seoul", "lang": "ko",
            "utterance": utterance,
            "block": {"id": "blk-fallback", "name": "폴백 블록"},
            "params": {"surface": "Kakaotalk.plusfriend"},
            "user": {"id": "d2f8c1a7b3e94f0a", "type": "botUserKey",
                     "properties": {"plusfriendUserKey": "Xy12abCD", "isFriend": true}}
        },
        "bot": {"id": bot, "name": "chatdrop shop"},
        "action": {"id": "skl-1", "name": "chatdrop", "params": {}, "detailParams": {},
                   "clientExtra": extra},
        "contexts": []
    })
    .to_string()
    .into_bytes()
}

fn headers(secret: Option<&str>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(
        "content-type",
        "application/json;charset=UTF-8".parse().unwrap(),
    );
    if let Some(s) = secret {
        h.insert(SECRET_HEADER, s.parse().unwrap());
    }
    h
}

fn call(headers: &http::HeaderMap, body: &[u8]) -> Result<SkillCall, WebhookError> {
    parse(
        &webhook(),
        &request(&http::Method::POST, headers, body),
        NOW,
    )
}

#[test]
fn an_utterance_is_text_from_the_bot_user_in_korean() {
    let call = call(
        &headers(Some(SECRET)),
        &skill_request("안녕하세요", json!(null), BOT),
    )
    .unwrap();
    let m = call.message;
    assert_eq!(
        m.conversation,
        ConversationId::new(Channel::Kakao, "d2f8c1a7b3e94f0a")
    );
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "안녕하세요".into()
        }
    );
    assert_eq!(m.locale.as_deref(), Some("ko"));
    assert_eq!(m.sent_at, NOW);
    assert_eq!(call.block_id.as_deref(), Some("blk-fallback"));
}

#[test]
fn a_quick_reply_tap_is_its_payload_with_the_label_as_title() {
    let body = skill_request("장바구니 보기", json!({"payload": "k:v"}), BOT);
    let m = call(&headers(Some(SECRET)), &body).unwrap().message;
    assert_eq!(
        m.content,
        InboundContent::Action {
            payload: "k:v".into(),
            title: Some("장바구니 보기".into())
        }
    );
}

#[test]
fn missing_or_wrong_secret_is_unauthorized_and_read_no_further() {
    let body = skill_request("hi", json!(null), BOT);
    assert_eq!(
        call(&headers(None), &body),
        Err(WebhookError::Unauthorized("missing skill secret"))
    );
    assert_eq!(
        call(&headers(Some("s3cret-skill-headeR")), &body),
        Err(WebhookError::Unauthorized("wrong skill secret"))
    );
    // A malformed body behind a wrong secret is still just unauthorized: nothing was parsed.
    assert!(matches!(
        call(&headers(Some("nope")), b"{"),
        Err(WebhookError::Unauthorized(_))
    ));
    // An unset secret never matches, not even an empty header.
    let open = KakaoWebhook::new(KakaoConfig {
        skill_secret: String::new(),
        bot_id: BOT.into(),
        admin_key: String::new(),
    });
    let h = headers(Some(""));
    assert!(matches!(
        parse(&open, &request(&http::Method::POST, &h, &body), NOW),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn another_bots_request_is_forbidden() {
    let body = skill_request("hi", json!(null), "another-bot");
    assert!(matches!(
        call(&headers(Some(SECRET)), &body),
        Err(WebhookError::Forbidden(_))
    ));
}

#[test]
fn malformed_oversized_or_non_json_bodies_are_bad_requests() {
    let h = headers(Some(SECRET));
    assert!(matches!(
        call(&h, b"{\"userRequest\":"),
        Err(WebhookError::BadRequest(_))
    ));
    assert!(matches!(
        call(&h, b"{\"bot\":{\"id\":\"x\"}}"),
        Err(WebhookError::BadRequest(_))
    ));
    // Over the 32 KiB cap (kakao-viber-reach.md 1.3's recommended case): refused unread.
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert!(matches!(call(&h, &big), Err(WebhookError::BadRequest(_))));
    let mut form = h.clone();
    form.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert!(matches!(
        call(&form, &skill_request("hi", json!(null), BOT)),
        Err(WebhookError::UnsupportedMediaType(_))
    ));
    let get = parse(&webhook(), &request(&http::Method::GET, &h, b""), NOW);
    assert_eq!(get, Err(WebhookError::MethodNotAllowed));
}

#[test]
fn the_event_id_is_kakaos_request_id_else_the_body_and_its_minute() {
    let body = skill_request("hi", json!(null), BOT);
    let mut h = headers(Some(SECRET));
    h.insert(REQUEST_ID_HEADER, "req-123".parse().unwrap());
    let by_header = call(&h, &body).unwrap().message.event_id;
    assert_eq!(by_header, "r:req-123");

    let plain = headers(Some(SECRET));
    let at = |now| {
        parse(
            &webhook(),
            &request(&http::Method::POST, &plain, &body),
            now,
        )
        .unwrap()
    };
    let first = at(NOW - NOW % 60).message.event_id;
    // A retry within the same minute is the same event: the marker replays its answer.
    assert_eq!(at(NOW - NOW % 60 + 5).message.event_id, first);
    // The same words a minute later are a new turn.
    assert_ne!(at(NOW - NOW % 60 + 60).message.event_id, first);
    let other = skill_request("menu", json!(null), BOT);
    let other = parse(
        &webhook(),
        &request(&http::Method::POST, &plain, &other),
        NOW - NOW % 60,
    );
    assert_ne!(other.unwrap().message.event_id, first);
}

#[test]
fn the_webhook_trait_says_kakao_is_answered_in_the_response() {
    assert!(webhook().answers_in_response());
    assert_eq!(webhook().channel(), Channel::Kakao);
}

/// A bot linked to a Kakao Developers app sends the customer's app user id; without the link
/// there is none, and neither case changes who the conversation is with.
#[test]
fn the_app_user_id_is_read_when_the_bot_is_linked() {
    let plain = call(
        &headers(Some(SECRET)),
        &skill_request("메뉴", json!(null), BOT),
    )
    .unwrap();
    assert_eq!(plain.app_user_id, None);

    let mut linked: serde_json::Value =
        serde_json::from_slice(&skill_request("메뉴", json!(null), BOT)).unwrap();
    linked["userRequest"]["user"]["properties"]["appUserId"] = json!("1234567890");
    let linked = call(&headers(Some(SECRET)), linked.to_string().as_bytes()).unwrap();
    assert_eq!(linked.app_user_id.as_deref(), Some("1234567890"));
    assert_eq!(linked.message.conversation, plain.message.conversation);
}
