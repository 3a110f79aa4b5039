//! KakaoTalk Open Builder skill request: the skill's static secret header (Kakao signs nothing),
//! then the skill request JSON and its `bot.id`.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::WebhookError;
use chatdrop_channels::kakao::{self, KakaoWebhook, SECRET_HEADER};
use chatdrop_fuzz::*;
use libfuzzer_sys::fuzz_target;

fn call(
    webhook: &KakaoWebhook,
    secret: Option<&[u8]>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<kakao::SkillCall, WebhookError> {
    with_post(SECRET_HEADER, secret, content_type, body, |request| {
        kakao::parse(webhook, request, KAKAO_NOW)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let webhook = KakaoWebhook::new(kakao_config(""));
    let content_type = content_type(flags, "application/json");

    // No secret, the input as the secret, a near miss: refused before the parser.
    let unauthorized = |r: &Result<kakao::SkillCall, WebhookError>| {
        assert!(matches!(r, Err(WebhookError::Unauthorized(_))), "{r:?}")
    };
    unauthorized(&call(&webhook, None, content_type, body));
    if body != KAKAO_SECRET.as_bytes() {
        unauthorized(&call(&webhook, Some(body), content_type, body));
    }
    let near_miss = format!("{KAKAO_SECRET}x");
    unauthorized(&call(
        &webhook,
        Some(near_miss.as_bytes()),
        content_type,
        body,
    ));

    // The right secret: the parser gets the bytes; whatever it accepts is a Kakao message
    // from a named user, and its answer renders within Kakao's limits.
    match call(&webhook, Some(KAKAO_SECRET.as_bytes()), content_type, body) {
        Err(WebhookError::Unauthorized(_)) => panic!("the right secret was refused"),
        Err(_) => {}
        Ok(skill) => {
            assert_eq!(skill.message.conversation.channel.as_str(), "kakao");
            assert!(!skill.message.conversation.customer.is_empty());
            assert!(!skill.message.event_id.is_empty());
        }
    }
});
