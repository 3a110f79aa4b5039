//! The WeChat side of the local stack: a customer whose pushes are signed as WeChat signs
//! them, and a fake Official Account API that records what chatdrop sends.
//!
//! **The customer.** WeChat posts XML and signs the *query* (`signature`, `timestamp`,
//! `nonce`), not the body, so a webhook here is a path with a signed query plus an XML body.
//! The timestamp is now, because the adapter refuses one more than five minutes off. WeChat
//! chats have no buttons: a customer picks a choice by typing its number, so [`tap_webhook`]
//! is `None`. The account's custom menu and following/unfollowing are pushes of their own,
//! built by [`event_webhook`].
//!
//! **The API.** Two routes under `/wechat/` (the stack points `CHATDROP_WECHAT_API_BASE` there):
//!
//! - `GET /wechat/cgi-bin/token`: checks the app id and secret as WeChat does (errors come as
//!   `{"errcode":…}` in an HTTP 200) and hands out an access token. Each fetch is recorded
//!   (method `token`, no customer, no secret), so a test can count them: the adapter must share
//!   one token, not fetch one per invocation.
//! - `POST /wechat/cgi-bin/message/custom/send?access_token=…`: refuses a token this fake never
//!   issued (40001) or a missing one (41001), answers what a test injected for `wechat` (a
//!   delay, a fault, a storm's 45011: see [`crate::fakes`]), checks the
//!   message as WeChat does (recipient, type, 2048-byte text), records it under the OpenID
//!   and answers `{"errcode":0,"errmsg":"ok"}` (the customer-service API returns no message id).
//!
//! Issued tokens live in this process, so a restarted fakes server refuses the tokens the stack
//! still has cached: exactly the case the adapter handles by fetching again.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, ProfileAnswer};
use crate::platform::numbered_titles;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, http::StatusCode};
use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// The Official Account's own id (`ToUserName` of every push).
pub const ACCOUNT_ID: &str = "gh_chatdrop_dev";

/// WeChat's limit for customer-service text, in bytes (45002 past it).
const TEXT_LIMIT_BYTES: usize = 2048;

/// Every access token this process handed out.
static ISSUED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

// ---------------------------------------------------------------------------------------------
// The customer
// ---------------------------------------------------------------------------------------------

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text inside CDATA: a literal `]]>` would end the section, so it is split across two.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// A push from `customer`, signed as WeChat signs it: `fields` follow the common header.
/// The `CreateTime` of `customer`'s next push: now, or a second after their last one. WeChat
/// names an event (a menu click, a follow) by its sender and `CreateTime` alone, with no
/// `MsgId`, and deduplicates on that pair, so a person's events are whole seconds apart; a test
/// that taps twice within one second would otherwise send what the adapter rightly takes for a
/// redelivery.
fn create_time(customer: &Customer) -> i64 {
    static LAST: std::sync::Mutex<Vec<(String, i64)>> = std::sync::Mutex::new(Vec::new());
    let mut last = LAST.lock().expect("WeChat fake lock");
    let now = SystemClock.now();
    match last.iter_mut().find(|(id, _)| *id == customer.id) {
        Some((_, at)) => {
            *at = now.max(*at + 1);
            *at
        }
        None => {
            last.push((customer.id.clone(), now));
            now
        }
    }
}

fn signed_push(customer: &Customer, id: u64, fields: &str) -> Webhook {
    let token = &dev::secrets()[vars::WECHAT_TOKEN];
    let timestamp = create_time(customer).to_string();
    let nonce = format!("{}", 100_000_000 + id % 900_000_000);
    let signature = chatdrop_channels::wechat::signature(token, &timestamp, &nonce);
    let path = format!(
        "/webhooks/wechat?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={}",
        encode(&customer.id)
    );
    let body = format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{timestamp}</CreateTime>{fields}</xml>",
        cdata(ACCOUNT_ID),
        cdata(&customer.id)
    );
    Webhook {
        // WeChat signs the query, not the body: the signature travels in the path.
        path,
        headers: vec![("content-type", "text/xml".into())],
        body: body.into_bytes(),
    }
}

/// The customer typing `text`; `id` is the message's `MsgId`.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    signed_push(
        customer,
        id,
        &format!(
            "<MsgType>{}</MsgType><Content>{}</Content><MsgId>{id}</MsgId>",
            cdata("text"),
            cdata(text)
        ),
    )
}

/// WeChat chats have no buttons: a choice is picked by typing its number.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    let _ = (customer, id, payload, title);
    None
}

/// An event push: `subscribe` (follow), `unsubscribe`, or `CLICK` on the account's custom
/// menu with `key` as its `EventKey`.
pub fn event_webhook(customer: &Customer, id: u64, event: &str, key: Option<&str>) -> Webhook {
    let key = key
        .map(|k| format!("<EventKey>{}</EventKey>", cdata(k)))
        .unwrap_or_default();
    signed_push(
        customer,
        id,
        &format!(
            "<MsgType>{}</MsgType><Event>{}</Event>{key}",
            cdata("event"),
            cdata(event)
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

/// A send's text with each `<a href="url">label</a>` made by `link(label, url)`.
fn with_links(content: &str, link: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    let mut rest = content;
    while let Some(start) = rest.find("<a href=\"") {
        let after = &rest[start + 9..];
        let parsed = after.find("\">").and_then(|q| {
            let url = &after[..q];
            let tail = &after[q + 2..];
            tail.find("</a>")
                .map(|end| (url, &tail[..end], &tail[end + 4..]))
        });
        let Some((url, label, tail)) = parsed else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&link(label, url));
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn content(entry: &OutboxEntry) -> Option<&str> {
    (entry.method == "message/custom/send")
        .then(|| entry.body["text"]["content"].as_str())
        .flatten()
}

/// One recorded request as chat lines: a link reads as `[label → url]`; token fetches are not
/// seen by the customer.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    if entry.method != "message/custom/send" {
        return None;
    }
    Some(match content(entry) {
        Some(text) => with_links(text, |label, url| format!("[{label} → {url}]")),
        None => format!(
            "({} message)",
            entry.body["msgtype"].as_str().unwrap_or("?")
        ),
    })
}

/// The text a send shows, a link as `label: url` so its address can be picked out.
pub fn shown_text(entry: &OutboxEntry) -> String {
    content(entry)
        .map(|text| with_links(text, |label, url| format!("{label}: {url}")))
        .unwrap_or_default()
}

/// The numbered lines of the last choice list in a send (`1. Title — description`): WeChat has
/// no buttons, so every choice is typed by its number.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    numbered_titles(&shown_text(entry), &[" — "])
        .into_iter()
        .map(|title| (title, None))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The fake API
// ---------------------------------------------------------------------------------------------

/// Routes of the fake API, merged into the fakes server (paths under `/wechat/`).
pub fn routes() -> Router<Fakes> {
    Router::new()
        .route("/wechat/cgi-bin/token", get(token))
        .route("/wechat/cgi-bin/message/custom/send", post(custom_send))
        .route("/wechat/cgi-bin/user/info", get(user_info))
}

/// `GET /cgi-bin/user/info?access_token=…&openid=…&lang=zh_CN`
/// (<https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html>):
/// a subscribed user's information, with `language` when a test set one; 40003 ("invalid
/// openid") for a lookup a test made fail. Tokens are checked as the send checks them.
async fn user_info(
    State(fakes): State<Fakes>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(access_token) = q.get("access_token").filter(|t| !t.is_empty()) else {
        return wx_error(41001, "access_token missing");
    };
    if !ISSUED
        .lock()
        .expect("issued tokens lock")
        .contains(access_token)
    {
        return wx_error(
            40001,
            "invalid credential, access_token is invalid or not latest",
        );
    }
    let openid = q.get("openid").cloned().unwrap_or_default();
    match fakes.profile_locale("wechat", &openid) {
        ProfileAnswer::Failed => wx_error(40003, "invalid openid"),
        ProfileAnswer::Found(language) => {
            let mut body = json!({
                "subscribe": 1,
                "openid": openid,
                "subscribe_time": 1_767_225_600,
                "remark": "",
                "groupid": 0,
                "tagid_list": [],
                "subscribe_scene": "ADD_SCENE_QR_CODE",
                "qr_scene": 0,
                "qr_scene_str": "",
            });
            if let Some(language) = language {
                body["language"] = json!(language);
            }
            Json(body).into_response()
        }
    }
}

/// WeChat answers errors with HTTP 200 and an `errcode`.
fn wx_error(code: i64, message: &str) -> Response {
    Json(json!({"errcode": code, "errmsg": format!("{message} rid: fake-{code}")})).into_response()
}

/// WeChat's per-minute call limit (45011), which the adapter waits out; it advises no delay.
fn rate_limited(_retry_after: u64) -> Response {
    wx_error(
        45011,
        "api minute-quota reach limit mustslower retry next minute",
    )
}

async fn token(State(fakes): State<Fakes>, Query(q): Query<HashMap<String, String>>) -> Response {
    let secret = &dev::secrets()[vars::WECHAT_APP_SECRET];
    let param = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if param("grant_type") != "client_credential" {
        return wx_error(40002, "invalid grant_type");
    }
    if param("appid") != dev::WECHAT_APP_ID {
        return wx_error(40013, "invalid appid");
    }
    if param("secret") != secret.as_str() {
        return wx_error(40125, "invalid appsecret");
    }
    let n = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let access_token = format!("fake-wechat-token-{}-{n}", SystemClock.now());
    ISSUED
        .lock()
        .expect("issued tokens lock")
        .insert(access_token.clone());
    fakes.record(
        "wechat",
        String::new(),
        "token",
        json!({"grant_type": "client_credential", "appid": dev::WECHAT_APP_ID}),
    );
    Json(json!({"access_token": access_token, "expires_in": 7200})).into_response()
}

async fn custom_send(
    State(fakes): State<Fakes>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(access_token) = q.get("access_token").filter(|t| !t.is_empty()) else {
        return wx_error(41001, "access_token missing");
    };
    if !ISSUED
        .lock()
        .expect("issued tokens lock")
        .contains(access_token)
    {
        return wx_error(
            40001,
            "invalid credential, access_token is invalid or not latest",
        );
    }
    if let Some(answer) = fakes.injected("wechat", rate_limited).await {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return wx_error(47001, "data format error");
    };
    let touser = body["touser"].as_str().unwrap_or_default().to_string();
    if touser.is_empty() {
        return wx_error(40003, "invalid openid");
    }
    if body["msgtype"] != "text" {
        return wx_error(40008, "invalid message type");
    }
    let text = body["text"]["content"].as_str().unwrap_or_default();
    if text.is_empty() {
        return wx_error(44002, "empty post data");
    }
    if text.len() > TEXT_LIMIT_BYTES {
        return wx_error(45002, "content size out of limit");
    }
    fakes.record("wechat", touser, "message/custom/send", body);
    (StatusCode::OK, Json(json!({"errcode": 0, "errmsg": "ok"}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Platform;
    use crate::platform::harness::{self, failure, receive_at, refused, session};
    use chatdrop_channels::Outbound as _;
    use chatdrop_channels::WebhookOutcome;
    use chatdrop_channels::wechat::{WechatConfig, WechatSendConfig, WechatSender, WechatWebhook};
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::inbound::InboundContent;
    use chatdrop_domain::ports::{CachedToken, PortError, PortFuture, TokenCache};
    use chatdrop_domain::reply::{Choice, Reply, ReplyBundle};
    use std::sync::Arc;
    use std::time::Duration;

    const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

    fn customer() -> Customer {
        Customer::on(Platform::Wechat, "http://127.0.0.1:1", OPENID, "Wei")
    }

    /// The ingress function's WeChat webhook, with the dev token.
    fn adapter() -> WechatWebhook {
        WechatWebhook {
            config: WechatConfig {
                token: dev::secrets()[vars::WECHAT_TOKEN].clone(),
            },
        }
    }

    /// What the ingress function would make of the webhook.
    fn receive(webhook: &Webhook) -> InboundContent {
        match receive_at(&adapter(), "https://shop.example", webhook) {
            Ok(WebhookOutcome::Messages(mut m)) if m.len() == 1 => {
                let m = m.remove(0);
                assert_eq!(m.conversation, ConversationId::new(Channel::Wechat, OPENID));
                assert!((SystemClock.now() - m.sent_at).abs() < 5);
                m.content
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_adapter_accepts_the_signed_text_webhook() {
        let webhook = text_webhook(&customer(), 42, "blue mug ]]> & <more>");
        assert!(webhook.path.starts_with("/webhooks/wechat?signature="));
        assert_eq!(
            receive(&webhook),
            InboundContent::Text {
                body: "blue mug ]]> & <more>".into()
            }
        );
    }

    #[test]
    fn a_tampered_query_is_refused() {
        let mut webhook = text_webhook(&customer(), 43, "hi");
        webhook.path = webhook.path.replace("nonce=", "nonce=1");
        assert!(refused(&adapter(), &webhook));
    }

    #[test]
    fn event_webhooks_are_follow_unfollow_and_menu_clicks() {
        let c = customer();
        assert_eq!(
            receive(&event_webhook(&c, 1, "subscribe", None)),
            InboundContent::OptIn
        );
        assert_eq!(
            receive(&event_webhook(&c, 2, "unsubscribe", None)),
            InboundContent::OptOut
        );
        assert_eq!(
            receive(&event_webhook(&c, 3, "CLICK", Some("c:p:tee"))),
            InboundContent::Action {
                payload: "c:p:tee".into(),
                title: None
            }
        );
    }

    #[test]
    fn there_is_nothing_to_tap() {
        assert!(tap_webhook(&customer(), 1, "c:p:tee", "Tee").is_none());
    }

    fn entry(content: &str) -> OutboxEntry {
        OutboxEntry {
            seq: 1,
            at_ms: 0,
            channel: "wechat".into(),
            recipient: OPENID.into(),
            method: "message/custom/send".into(),
            body: json!({"touser": OPENID, "msgtype": "text", "text": {"content": content}}),
        }
    }

    #[test]
    fn links_render_as_labels_and_shown_text_keeps_the_address() {
        let e = entry("Ready.\n\n<a href=\"https://pay.example/p/abc\">Pay now</a>");
        assert_eq!(
            render(&e).unwrap(),
            "Ready.\n\n[Pay now → https://pay.example/p/abc]"
        );
        assert_eq!(
            shown_text(&e),
            "Ready.\n\nPay now: https://pay.example/p/abc"
        );
    }

    #[test]
    fn choices_are_the_last_numbered_list() {
        let e = entry(
            "Added.\n\n1. Old\n\nReply with a number.\n\nPick one\n\n1. Tee — $25.00\n2. Mug\n3. Cap\n\nReply with a number.",
        );
        assert_eq!(
            choices(&e),
            vec![
                ("Tee".to_string(), None),
                ("Mug".to_string(), None),
                ("Cap".to_string(), None)
            ]
        );
        assert!(choices(&entry("No list here. 2. Not a choice")).is_empty());
        let token = OutboxEntry {
            method: "token".into(),
            ..entry("")
        };
        assert_eq!(render(&token), None);
    }

    #[derive(Default)]
    struct MemoryTokens(Mutex<HashMap<String, CachedToken>>);

    impl TokenCache for MemoryTokens {
        fn get<'a>(&'a self, key: &'a str) -> PortFuture<'a, Option<CachedToken>> {
            let t = self.0.lock().unwrap().get(key).cloned();
            Box::pin(async move { Ok::<_, PortError>(t) })
        }
        fn lease<'a>(&'a self, _: &'a str, _: &'a str, _: i64) -> PortFuture<'a, bool> {
            Box::pin(async { Ok::<_, PortError>(true) })
        }
        fn put<'a>(&'a self, key: &'a str, token: &'a CachedToken) -> PortFuture<'a, ()> {
            self.0.lock().unwrap().insert(key.into(), token.clone());
            Box::pin(async { Ok::<_, PortError>(()) })
        }
    }

    fn sender(base: &str, secret: &str, tokens: Arc<MemoryTokens>) -> WechatSender {
        WechatSender::new(
            chatdrop_channels::http_client(Duration::from_secs(5)),
            WechatSendConfig {
                api_base: format!("{base}/wechat"),
                app_id: dev::WECHAT_APP_ID.into(),
                app_secret: secret.into(),
            },
            tokens,
        )
    }

    fn bundle(replies: Vec<Reply>) -> ReplyBundle {
        harness::bundle(Channel::Wechat, OPENID, "b1", replies)
    }

    #[tokio::test]
    async fn the_adapter_sends_through_the_fake_with_one_token() {
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let tokens = Arc::new(MemoryTokens::default());
        let s = sender(
            &base,
            &dev::secrets()[vars::WECHAT_APP_SECRET],
            tokens.clone(),
        );
        let b = bundle(vec![
            Reply::Text {
                body: "Added.".into(),
            },
            Reply::Choices {
                body: "Pick one".into(),
                menu_label: "Menu".into(),
                choices: vec![
                    Choice {
                        id: "c:p:tee".into(),
                        title: "Tee".into(),
                        description: Some("$25.00".into()),
                    },
                    Choice {
                        id: "c:p:mug".into(),
                        title: "Mug".into(),
                        description: None,
                    },
                ],
            },
        ]);
        s.send(&session(&b)).await.expect("sent");
        s.send(&session(&b)).await.expect("sent again");
        let entries = harness::outbox(&base).await;
        let methods: Vec<&str> = entries.iter().map(|e| e.method.as_str()).collect();
        assert_eq!(
            methods,
            vec!["token", "message/custom/send", "message/custom/send"]
        );
        assert_eq!(entries[1].recipient, OPENID);
        assert_eq!(
            choices(&entries[1]),
            vec![("Tee".to_string(), None), ("Mug".to_string(), None)]
        );
        assert!(shown_text(&entries[1]).starts_with("Added.\n\nPick one\n\n1. Tee — $25.00"));

        // A fault injected for the channel is answered instead of success.
        harness::queue_faults(&base, json!([{"channel": "wechat", "status": 200, "body": {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}}])).await;
        let f = s.send(&session(&b)).await;
        assert_eq!(failure(&f), ("permanent", Some(45015)));
        assert_eq!(harness::outbox(&base).await.len(), 3);

        // In a storm every send is WeChat's per-minute limit, which the adapter waits out.
        harness::storm(&base, "wechat", 7).await;
        let f = s.send(&session(&b)).await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(45011),
                retry_after: Duration::from_secs(1)
            })
        );
        assert_eq!(harness::outbox(&base).await.len(), 3);
    }

    #[tokio::test]
    async fn the_fake_checks_credentials_as_wechat_does() {
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let f = sender(&base, "wrong", Arc::new(MemoryTokens::default()))
            .send(&session(&bundle(vec![Reply::Text { body: "hi".into() }])))
            .await;
        assert_eq!(failure(&f), ("transient", Some(40125)));
        // A token it never issued is refused with 40001; the adapter fetches one and retries.
        let tokens = Arc::new(MemoryTokens::default());
        tokens
            .put(
                &format!("wechat#{}", dev::WECHAT_APP_ID),
                &CachedToken {
                    token: "never-issued".into(),
                    expires_at: SystemClock.now() + 3600,
                },
            )
            .await
            .unwrap();
        let s = sender(&base, &dev::secrets()[vars::WECHAT_APP_SECRET], tokens);
        s.send(&session(&bundle(vec![Reply::Text { body: "hi".into() }])))
            .await
            .expect("sent after a fresh token");
        let methods: Vec<String> = harness::outbox(&base)
            .await
            .into_iter()
            .map(|e| e.method)
            .collect();
        assert_eq!(methods, vec!["token", "message/custom/send"]);

        let answer: Value = crate::local_http::client()
            .post(format!("{base}/wechat/cgi-bin/message/custom/send"))
            .json(&json!({"touser": OPENID, "msgtype": "text", "text": {"content": "x"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["errcode"], 41001);
    }

    #[tokio::test]
    async fn the_fake_user_info_answers_the_adapter_as_wechat_does() {
        use chatdrop_channels::wechat::WechatProfiles;
        use chatdrop_domain::channel::ConversationId;
        use chatdrop_domain::ports::CustomerProfiles as _;
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let tokens = Arc::new(MemoryTokens::default());
        let profiles = WechatProfiles {
            sender: sender(&base, &dev::secrets()[vars::WECHAT_APP_SECRET], tokens),
        };
        let ana = ConversationId::new(Channel::Wechat, OPENID);
        assert_eq!(profiles.locale(&ana).await, Ok(None));
        harness::set_profile(&base, "wechat", OPENID, Some("zh_CN"), false).await;
        assert_eq!(profiles.locale(&ana).await, Ok(Some("zh_CN".into())));
        harness::set_profile(&base, "wechat", OPENID, None, true).await;
        assert!(profiles.locale(&ana).await.is_err());
        let methods: Vec<String> = harness::outbox(&base)
            .await
            .into_iter()
            .map(|e| e.method)
            .collect();
        assert_eq!(
            methods,
            ["token"],
            "one token for every lookup; lookups not recorded"
        );
    }
}
