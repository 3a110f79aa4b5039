//! Kakao Talk Channel add/block callback (the customer's consent on KakaoTalk): the admin key
//! in `Authorization: KakaoAK <key>` (Kakao signs nothing), then the callback's JSON.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::WebhookError;
use chatdrop_channels::kakao::{ChannelCallback, KakaoConfig, parse_channel_callback};
use chatdrop_fuzz::*;
use libfuzzer_sys::fuzz_target;

const ADMIN_KEY: &str = "kakao-admin-key-for-fuzzing";

fn callback(
    config: &KakaoConfig,
    authorization: Option<&[u8]>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<ChannelCallback, WebhookError> {
    with_post(
        "authorization",
        authorization,
        content_type,
        body,
        |request| parse_channel_callback(config, request, KAKAO_NOW),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let config = kakao_config(ADMIN_KEY);
    let content_type = content_type(flags, "application/json");
    let unauthorized = |r: &Result<ChannelCallback, WebhookError>| {
        assert!(matches!(r, Err(WebhookError::Unauthorized(_))), "{r:?}")
    };

    // No key, the input as the header, the key without its scheme, a near miss: refused
    // before the body is read.
    unauthorized(&callback(&config, None, content_type, body));
    if !body
        .windows(ADMIN_KEY.len())
        .any(|w| w == ADMIN_KEY.as_bytes())
    {
        unauthorized(&callback(&config, Some(body), content_type, body));
    }
    unauthorized(&callback(
        &config,
        Some(ADMIN_KEY.as_bytes()),
        content_type,
        body,
    ));
    let near_miss = format!("KakaoAK {ADMIN_KEY}x");
    unauthorized(&callback(
        &config,
        Some(near_miss.as_bytes()),
        content_type,
        body,
    ));

    // The right key: the parser gets the bytes; whatever it accepts names a change with an
    // identity for redeliveries, and never a blank app user.
    let right = format!("KakaoAK {ADMIN_KEY}");
    match callback(&config, Some(right.as_bytes()), content_type, body) {
        Err(WebhookError::Unauthorized(_)) => panic!("the right admin key was refused"),
        Err(_) => {}
        Ok(change) => {
            assert!(!change.event_id.is_empty());
            assert!(
                change
                    .app_user_id
                    .as_deref()
                    .is_none_or(|id| !id.trim().is_empty())
            );
        }
    }
});
