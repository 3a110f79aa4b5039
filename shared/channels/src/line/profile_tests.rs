use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;
use std::time::Duration;

const USER: &str = "U4af4980629f0b0e5d6a8c1e2b3f4d5e6";

/// LINE's documented example, with the language a Thai user's app sends.
const PROFILE: &str = r#"{
  "displayName": "LINE taro",
  "userId": "U4af4980629f0b0e5d6a8c1e2b3f4d5e6",
  "language": "th",
  "pictureUrl": "https://profile.line-scdn.net/ch/v2/p/uf9da5ee2b...",
  "statusMessage": "Hello, LINE!"
}"#;

fn lookup(base: &str) -> LineProfiles {
    LineProfiles {
        client: crate::http_client(Duration::from_secs(5)),
        config: LineSendConfig {
            api_base: base.into(),
            channel_access_token: "line-access-token".into(),
        },
    }
}

#[test]
fn the_language_is_read_as_line_writes_it() {
    assert_eq!(locale(200, PROFILE.as_bytes()), Ok(Some("th".into())));
    let taiwan = PROFILE.replace(r#""th""#, r#""zh-TW""#);
    assert_eq!(locale(200, taiwan.as_bytes()), Ok(Some("zh-TW".into())));
}

#[test]
fn a_profile_without_consent_has_no_language() {
    let body = r#"{"displayName":"LINE taro","userId":"U4af4980629f0b0e5d6a8c1e2b3f4d5e6"}"#;
    assert_eq!(locale(200, body.as_bytes()), Ok(None));
}

#[test]
fn an_error_is_told_by_its_status_only() {
    let err = locale(404, br#"{"message":"Not found"}"#).unwrap_err();
    assert_eq!(err, ProfileError::Failed("LINE profile: HTTP 404".into()));
    assert!(matches!(
        locale(200, b"<html>"),
        Err(ProfileError::Failed(_))
    ));
}

#[tokio::test]
async fn the_lookup_calls_the_profile_path_with_the_channel_token() {
    let server = test_server::serve(200, vec![], PROFILE).await;
    let c = ConversationId::new(Channel::Line, USER);
    assert_eq!(lookup(&server.base).locale(&c).await, Ok(Some("th".into())));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, http::Method::GET);
    assert_eq!(requests[0].path, format!("/v2/bot/profile/{USER}"));
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer line-access-token"
    );
}
