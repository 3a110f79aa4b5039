//! The channel callback as Kakao documents it
//! (<https://developers.kakao.com/docs/latest/en/kakaotalk-channel/callback>): the admin key in
//! `Authorization: KakaoAK …`, a resource id per callback, and `event`/`id`/`id_type`.

use super::*;
use crate::fixtures::request;
use serde_json::json;

const ADMIN_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const NOW: i64 = 1_790_000_000;

fn config(admin_key: &str) -> KakaoConfig {
    KakaoConfig {
        skill_secret: "s3cret".into(),
        bot_id: "5f0c0de0a1b2c3d4e5f60718".into(),
        admin_key: admin_key.into(),
    }
}

fn body(event: &str, id_type: &str) -> Vec<u8> {
    json!({
        "event": event, "id": "1234567890", "id_type": id_type,
        "channel_public_id": "_ZeUTxl", "channel_uuid": "@chatdrop",
        "updated_at": "2026-12-04T08:41:00Z"
    })
    .to_string()
    .into_bytes()
}

fn headers(authorization: Option<&str>, resource: Option<&str>) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert("user-agent", "KakaoOpenAPI/1.0".parse().unwrap());
    if let Some(a) = authorization {
        h.insert("authorization", a.parse().unwrap());
    }
    if let Some(r) = resource {
        h.insert(RESOURCE_ID_HEADER, r.parse().unwrap());
    }
    h
}

fn parse(
    config: &KakaoConfig,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<ChannelCallback, WebhookError> {
    parse_channel_callback(config, &request(&http::Method::POST, headers, body), NOW)
}

#[test]
fn a_block_names_the_app_user_and_when() {
    let auth = format!("KakaoAK {ADMIN_KEY}");
    let callback = parse(
        &config(ADMIN_KEY),
        &headers(Some(&auth), Some("Rvy1c2dkzBAZ5hGD3rqYbxvr")),
        &body("blocked", "app_user_id"),
    )
    .unwrap();
    assert_eq!(
        callback,
        ChannelCallback {
            relation: ChannelRelation::Blocked,
            app_user_id: Some("1234567890".into()),
            // 2026-12-04T08:41:00Z
            at: 1_796_373_660,
            event_id: "kakao-channel:Rvy1c2dkzBAZ5hGD3rqYbxvr".into(),
        }
    );
    let added = parse(
        &config(ADMIN_KEY),
        &headers(Some(&auth), None),
        &body("added", "app_user_id"),
    )
    .unwrap();
    assert_eq!(added.relation, ChannelRelation::Added);
    // Without a resource id, the change itself names the event.
    assert_eq!(added.event_id, "kakao-channel:added:1234567890:1796373660");
}

/// An `open_id` is a user who did not share their channel status: nothing to match.
#[test]
fn an_open_id_names_nobody_we_know() {
    let auth = format!("KakaoAK {ADMIN_KEY}");
    let callback = parse(
        &config(ADMIN_KEY),
        &headers(Some(&auth), None),
        &body("added", "open_id"),
    )
    .unwrap();
    assert_eq!(callback.app_user_id, None);
}

#[test]
fn a_wrong_missing_or_unconfigured_admin_key_is_refused_before_reading() {
    let good = body("blocked", "app_user_id");
    for (config, authorization) in [
        (config(ADMIN_KEY), None),
        (config(ADMIN_KEY), Some("KakaoAK wrong-key")),
        // Another scheme with the right key is not Kakao's header.
        (config(ADMIN_KEY), Some(&*format!("Bearer {ADMIN_KEY}"))),
        // An unset key must not match an empty header.
        (config(""), Some("KakaoAK ")),
    ] {
        let result = parse(&config, &headers(authorization, None), &good);
        assert!(
            matches!(result, Err(WebhookError::Unauthorized(_))),
            "{authorization:?}: {result:?}"
        );
    }
    // The key is checked before the body: garbage with a wrong key is still a 401.
    let result = parse(
        &config(ADMIN_KEY),
        &headers(Some("KakaoAK nope"), None),
        b"not json",
    );
    assert!(matches!(result, Err(WebhookError::Unauthorized(_))));
}

#[test]
fn unreadable_or_oversized_callbacks_are_bad_requests() {
    let auth = format!("KakaoAK {ADMIN_KEY}");
    let h = headers(Some(&auth), None);
    for bad in [
        b"not json".to_vec(),
        body("unfriended", "app_user_id"),
        body("added", "phone"),
        json!({"event": "added", "id": " ", "id_type": "app_user_id"})
            .to_string()
            .into_bytes(),
        vec![b' '; MAX_CALLBACK_BYTES + 1],
    ] {
        let result = parse(&config(ADMIN_KEY), &h, &bad);
        assert!(
            matches!(result, Err(WebhookError::BadRequest(_))),
            "{result:?}"
        );
    }
    let get = parse_channel_callback(
        &config(ADMIN_KEY),
        &request(&http::Method::GET, &h, &body("added", "app_user_id")),
        NOW,
    );
    assert!(matches!(get, Err(WebhookError::MethodNotAllowed)));
}
