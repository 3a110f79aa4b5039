use super::super::testing::{ANA, FakeWechat, MemoryTokens, ana, sender_for, share};
use super::*;
use crate::test_server;
use std::sync::Arc;

/// The documented answer for a subscribed user (abridged to the fields WeChat always sends).
const SUBSCRIBED: &str = r#"{
  "subscribe": 1,
  "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
  "language": "zh_CN",
  "subscribe_time": 1382694957,
  "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
  "remark": "",
  "groupid": 0,
  "tagid_list": [128, 2],
  "subscribe_scene": "ADD_SCENE_QR_CODE",
  "qr_scene": 98765,
  "qr_scene_str": ""
}"#;

#[test]
fn a_subscribed_users_language_is_read_as_wechat_writes_it() {
    assert_eq!(locale(200, SUBSCRIBED.as_bytes()), Ok(Some("zh_CN".into())));
    let taiwan = SUBSCRIBED.replace("zh_CN", "zh_TW");
    assert_eq!(locale(200, taiwan.as_bytes()), Ok(Some("zh_TW".into())));
}

#[test]
fn an_unsubscribed_user_has_no_language() {
    let body = r#"{"subscribe":0,"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL"}"#;
    assert_eq!(locale(200, body.as_bytes()), Ok(None));
}

#[test]
fn an_errcode_is_a_failure_told_by_its_code() {
    let body = r#"{"errcode":40003,"errmsg":"invalid openid hint: [xYz0123]"}"#;
    assert_eq!(
        locale(200, body.as_bytes()),
        Err(ProfileError::Failed(
            "WeChat user info: errcode 40003".into()
        ))
    );
    assert!(!refuses_token(body.as_bytes()));
    let stale = br#"{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}"#;
    assert!(refuses_token(stale));
    assert!(matches!(locale(502, b""), Err(ProfileError::Failed(_))));
}

#[tokio::test]
async fn the_lookup_sends_the_shared_token_and_the_openid() {
    let server = test_server::serve(200, vec![], SUBSCRIBED).await;
    let tokens = Arc::new(MemoryTokens::default());
    share(&tokens, "SHARED", 3600).await;
    let profiles = WechatProfiles {
        sender: sender_for(&server.base, tokens),
    };
    assert_eq!(profiles.locale(&ana()).await, Ok(Some("zh_CN".into())));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "the shared token is used, none fetched");
    assert_eq!(requests[0].path, "/cgi-bin/user/info");
    let query = requests[0].query.as_deref().unwrap_or_default();
    assert!(query.contains("access_token=SHARED"), "{query}");
    assert!(query.contains(&format!("openid={ANA}")), "{query}");
    assert!(query.contains("lang=zh_CN"), "{query}");
}

#[tokio::test]
async fn a_refused_token_is_dropped_for_the_next_caller() {
    // The fake takes only the tokens it handed out: the shared one is stale.
    let (fake, base) = FakeWechat::serve().await;
    let tokens = Arc::new(MemoryTokens::default());
    share(&tokens, "STALE", 3600).await;
    let profiles = WechatProfiles {
        sender: sender_for(&base, tokens.clone()),
    };
    assert!(profiles.locale(&ana()).await.is_err());
    assert_eq!(
        tokens.token("wechat#wx123").map(|t| t.token),
        Some(String::new()),
        "dropped"
    );
    assert_eq!(
        fake.fetches(),
        0,
        "the customer does not wait for a new one"
    );
}
