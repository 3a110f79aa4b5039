//! What this folder's tests share: a fake WeChat API, an in-memory token cache, senders
//! pointed at either, and the replies they send.

use super::{WechatSendConfig, WechatSender};
use crate::outbound::Outbound;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::delivery::{SendFailure, Sent};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::{CachedToken, PortError, PortFuture, TokenCache};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The customer every test writes to.
pub(super) const ANA: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

pub(super) fn ana() -> ConversationId {
    ConversationId::new(Channel::Wechat, ANA)
}

pub(super) fn choice(id: &str, title: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

pub(super) fn text(body: &str) -> Reply {
    Reply::Text { body: body.into() }
}

pub(super) fn sender_for(base: &str, tokens: Arc<dyn TokenCache>) -> WechatSender {
    WechatSender::new(
        crate::http_client(Duration::from_secs(5)),
        WechatSendConfig {
            api_base: base.into(),
            app_id: "wx123".into(),
            app_secret: "app-secret".into(),
        },
        tokens,
    )
}

/// Sends one reply the way `deliver` does.
pub(super) async fn send_one(s: &WechatSender, reply: &Reply) -> Result<Sent, SendFailure> {
    s.send(&crate::test_server::single(&ana(), Lang::EN, reply).out())
        .await
}

/// A sender with nowhere to send, for what it decides without calling WeChat.
pub(super) fn offline_sender() -> WechatSender {
    sender_for("http://127.0.0.1:9", Arc::new(MemoryTokens::default()))
}

/// Puts `token` in the shared cache as another caller would, good for `seconds` more.
pub(super) async fn share(tokens: &MemoryTokens, token: &str, seconds: i64) {
    let token = CachedToken {
        token: token.into(),
        expires_at: SystemClock.now() + seconds,
    };
    tokens.put("wechat#wx123", &token).await.unwrap();
}

/// The token cache in memory, with the lease semantics the port describes.
#[derive(Default)]
pub(super) struct MemoryTokens {
    #[allow(clippy::type_complexity)]
    entries: Mutex<HashMap<String, (Option<CachedToken>, Option<(String, i64)>)>>,
}

impl MemoryTokens {
    pub(super) fn token(&self, key: &str) -> Option<CachedToken> {
        self.entries
            .lock()
            .unwrap()
            .get(key)
            .and_then(|e| e.0.clone())
    }
}

impl TokenCache for MemoryTokens {
    fn get<'a>(&'a self, key: &'a str) -> PortFuture<'a, Option<CachedToken>> {
        let token = self.token(key);
        Box::pin(async move { Ok::<_, PortError>(token) })
    }

    fn lease<'a>(&'a self, key: &'a str, holder: &'a str, until: i64) -> PortFuture<'a, bool> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.entry(key.to_string()).or_default();
        let taken = match &entry.1 {
            Some((h, u)) if *u > SystemClock.now() && h != holder => false,
            _ => {
                entry.1 = Some((holder.to_string(), until));
                true
            }
        };
        Box::pin(async move { Ok::<_, PortError>(taken) })
    }

    fn put<'a>(&'a self, key: &'a str, token: &'a CachedToken) -> PortFuture<'a, ()> {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.entry(key.to_string()).or_default();
        entry.0 = Some(token.clone());
        entry.1 = None;
        Box::pin(async move { Ok::<_, PortError>(()) })
    }
}

/// Takes the refresh lease as another caller would, for the next 30 seconds.
pub(super) async fn lease_elsewhere(tokens: &MemoryTokens) -> bool {
    tokens
        .lease("wechat#wx123", "someone-else", SystemClock.now() + 30)
        .await
        .unwrap()
}

/// A fake WeChat API: hands out numbered tokens (each fetch invalidates the previous one,
/// as the real one does), refuses stale ones with 40001, and records every send.
#[derive(Clone, Default)]
pub(super) struct FakeWechat(Arc<Mutex<FakeState>>);

#[derive(Default)]
struct FakeState {
    token_fetches: usize,
    valid: String,
    /// (access token used, body) of every send.
    sends: Vec<(String, Value)>,
    /// Answers for the next sends; `{"errcode":0}` when empty.
    scripted: VecDeque<Value>,
}

type Params = axum::extract::Query<HashMap<String, String>>;

async fn fake_token(
    axum::extract::State(fake): axum::extract::State<FakeWechat>,
    axum::extract::Query(q): Params,
) -> axum::Json<Value> {
    let mut s = fake.0.lock().unwrap();
    if q.get("grant_type").map(String::as_str) != Some("client_credential")
        || q.get("appid").map(String::as_str) != Some("wx123")
        || q.get("secret").map(String::as_str) != Some("app-secret")
    {
        return axum::Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    }
    s.token_fetches += 1;
    s.valid = format!("TOKEN{}", s.token_fetches);
    axum::Json(json!({"access_token": s.valid, "expires_in": 7200}))
}

async fn fake_send(
    axum::extract::State(fake): axum::extract::State<FakeWechat>,
    axum::extract::Query(q): Params,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    let mut s = fake.0.lock().unwrap();
    let token = q.get("access_token").cloned().unwrap_or_default();
    s.sends.push((token.clone(), body));
    if token != s.valid {
        return axum::Json(json!({
            "errcode": 40001,
            "errmsg": "invalid credential, access_token is invalid or not latest"
        }));
    }
    axum::Json(
        s.scripted
            .pop_front()
            .unwrap_or(json!({"errcode": 0, "errmsg": "ok"})),
    )
}

async fn fake_user_info(
    axum::extract::State(fake): axum::extract::State<FakeWechat>,
    axum::extract::Query(q): Params,
) -> axum::Json<Value> {
    let s = fake.0.lock().unwrap();
    if q.get("access_token") != Some(&s.valid) {
        return axum::Json(json!({
            "errcode": 40001,
            "errmsg": "invalid credential, access_token is invalid or not latest"
        }));
    }
    let openid = q.get("openid").cloned().unwrap_or_default();
    axum::Json(json!({"subscribe": 1, "openid": openid, "language": "zh_CN"}))
}

impl FakeWechat {
    pub(super) async fn serve() -> (FakeWechat, String) {
        let fake = FakeWechat::default();
        let app = axum::Router::new()
            .route("/cgi-bin/token", axum::routing::get(fake_token))
            .route(
                "/cgi-bin/message/custom/send",
                axum::routing::post(fake_send),
            )
            .route("/cgi-bin/user/info", axum::routing::get(fake_user_info))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, base)
    }

    pub(super) fn fetches(&self) -> usize {
        self.0.lock().unwrap().token_fetches
    }

    pub(super) fn sends(&self) -> Vec<(String, Value)> {
        self.0.lock().unwrap().sends.clone()
    }

    pub(super) fn script(&self, answer: Value) {
        self.0.lock().unwrap().scripted.push_back(answer);
    }

    /// Makes `token` the one the fake takes, as if another caller had just fetched it.
    pub(super) fn accept(&self, token: &str) {
        self.0.lock().unwrap().valid = token.into();
    }
}
