//! KakaoTalk: a static secret header and the bot id (Kakao signs nothing), and the channel
//! add/block callback's admin key; garbage refused, the right secret let through, any other
//! secret or bot refused.

use super::garbage::garbage_is_refused;
use super::strategies::{body, garbage};
use super::*;
use proptest::prelude::*;

const KAKAO_SECRET: &str = "kakao-skill-secret-for-properties";
const KAKAO_BOT: &str = "5f0c0de0a1b2c3d4e5f60718";

fn kakao() -> chatdrop_channels::kakao::KakaoWebhook {
    chatdrop_channels::kakao::KakaoWebhook::new(chatdrop_channels::kakao::KakaoConfig {
        skill_secret: KAKAO_SECRET.into(),
        bot_id: KAKAO_BOT.into(),
        admin_key: KAKAO_ADMIN_KEY.into(),
    })
}

const KAKAO_ADMIN_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// The channel add/block callback with `authorization` (any bytes) and `body`.
fn kakao_channel(
    authorization: &[u8],
    body: &[u8],
) -> Result<chatdrop_channels::kakao::ChannelCallback, WebhookError> {
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(authorization) {
        headers.insert(http::header::AUTHORIZATION, value);
    }
    chatdrop_channels::kakao::parse_channel_callback(
        &kakao().config,
        &WebhookRequest {
            method: &http::Method::POST,
            headers: &headers,
            query: None,
            url: URL,
            body,
        },
        1_790_000_000,
    )
}

fn kakao_request(user: &str, utterance: &str, bot: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "intent": {"id": "blk", "name": "fallback"},
        "userRequest": {
            "timezone": "Asia/Seoul", "lang": "ko", "utterance": utterance,
            "block": {"id": "blk", "name": "fallback"}, "params": {},
            "user": {"id": user, "type": "botUserKey", "properties": {}},
        },
        "bot": {"id": bot, "name": "shop"},
        "action": {"id": "s", "name": "chatdrop", "params": {}, "detailParams": {}, "clientExtra": null},
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kakao_refuses_garbage(g in garbage()) {
        garbage_is_refused(&kakao(), &g)?;
    }

    /// Only `KakaoAK <admin key>` opens the channel callback, whatever the body.
    #[test]
    fn kakao_channel_callback_wants_the_admin_key(
        presented in prop::collection::vec(any::<u8>(), 0..80),
        body in body(),
    ) {
        let right = format!("KakaoAK {KAKAO_ADMIN_KEY}");
        let key = KAKAO_ADMIN_KEY.as_bytes();
        if !presented.windows(key.len()).any(|w| w == key) {
            let result = kakao_channel(&presented, &body);
            prop_assert!(matches!(result, Err(WebhookError::Unauthorized(_))), "{result:?}");
        }
        // With the key, any body is a callback or a bad request: never a panic, never a 401.
        let result = kakao_channel(right.as_bytes(), &body);
        prop_assert!(
            matches!(result, Ok(_) | Err(WebhookError::BadRequest(_))),
            "{result:?}"
        );
    }

    #[test]
    fn kakao_right_secret_is_let_through(body in body()) {
        let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
        let result = post(&kakao(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn kakao_utterance_arrives_trimmed_from_its_user(
        user in "[A-Za-z0-9_-]{1,70}",
        utterance in any::<String>(),
    ) {
        let body = kakao_request(&user, &utterance, KAKAO_BOT);
        let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&kakao(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Kakao, user));
        let trimmed = utterance.trim();
        if trimmed.is_empty() {
            prop_assert_eq!(m.content, InboundContent::unsupported("empty"));
        } else {
            prop_assert_eq!(m.content, InboundContent::Text { body: trimmed.to_string() });
        }
    }

    #[test]
    fn kakao_any_other_secret_or_bot_is_refused(
        presented in prop::collection::vec(any::<u8>(), 0..80),
        bot in "[a-z0-9]{1,30}",
    ) {
        let body = kakao_request("u1", "hi", KAKAO_BOT);
        if presented != KAKAO_SECRET.as_bytes() {
            let pairs = [("x-chatdrop-skill-secret", presented.as_slice()), ("content-type", JSON)];
            let result = post(&kakao(), &pairs, None, URL, &body);
            prop_assert!(is_unauthorized(&result), "{result:?}");
        }
        if bot != KAKAO_BOT {
            let foreign = kakao_request("u1", "hi", &bot);
            let pairs = [("x-chatdrop-skill-secret", KAKAO_SECRET.as_bytes()), ("content-type", JSON)];
            let result = post(&kakao(), &pairs, None, URL, &foreign);
            prop_assert!(matches!(result, Err(WebhookError::Forbidden(_))), "{result:?}");
        }
    }
}
