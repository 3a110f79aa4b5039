//! The fake platforms' server and the recorder they share: the other side of `notify`, for
//! the local stack and the tests.
//!
//! One HTTP server plays every platform, each under its own path prefix and each from its own
//! file of [`crate::platform`], which holds both sides of it (the customer's webhooks, the fake
//! API): `/graph/` WhatsApp, `/telegram/` Telegram, `/messenger/` Messenger, `/line/` LINE,
//! `/wechat/` WeChat, `/twilio/` SMS, `/viber/` Viber, `/sens/` NAVER Cloud SENS (KakaoTalk's
//! AlimTalk). The [`router`] mounts each platform's `routes()` on one
//! [`Fakes`], which is all the platforms have in common:
//!
//! - **The record.** Every request a fake accepts is recorded in order ([`Fakes::record`]: an
//!   [`OutboxEntry`] with a sequence number across platforms and the time it arrived), and
//!   `GET /outbox` returns them as JSON.
//! - **Trouble a test sets up, per channel.** `POST /_control/faults` queues failures (status
//!   and body to answer instead, once each), to drive notify's error handling;
//!   `POST /_control/storm` makes a platform refuse every call with its own rate-limit error
//!   (and a `retry_after` where the platform advises one) for a number of seconds, and
//!   `GET /_control/refused` counts those refusals; `POST /_control/latency` makes it answer
//!   each call only after a delay (a slow platform). Every fake applies them through
//!   [`Fakes::injected`] once the caller's credentials check out, so all six behave alike.
//! - **Customers' profiles.** `POST /_control/profile` sets the language a customer's app is
//!   set to ([`Profile`]: `"th"` on LINE, `"pt_BR"` on Messenger, `"zh_CN"` on WeChat), which
//!   the LINE, Messenger and WeChat fakes serve from their profile APIs in the platform's own
//!   shape ([`Fakes::profile_locale`]). A customer no test set has no language there, so the
//!   stack answers as it would without profiles. Profile lookups are not recorded and take no
//!   injected trouble: a fault queued for a channel is meant for its sends.
//!
//! [`spawn_with_throughput`] also gives the WhatsApp fake a business number's throughput tier
//! (80 or 1,000 messages a second; see [`crate::platform::whatsapp`]), for the benches. The
//! server runs in its own process under `cargo xtask serve`, so the stack can be restarted
//! while the record survives.

use crate::Error;
use crate::platform;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request a fake platform received.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OutboxEntry {
    pub seq: usize,
    /// When the request arrived, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub at_ms: u64,
    pub channel: String,
    /// The customer the request addresses (`to`, `chat_id`, PSID, OpenID), or Telegram's
    /// callback query id; empty for a call that addresses no one (WeChat's token fetch).
    pub recipient: String,
    /// The API method, as each platform names its calls: `messages` (WhatsApp, Messenger), the
    /// Bot API method (Telegram), `reply` or `push` (LINE), `token` or `message/custom/send`
    /// (WeChat), `Messages` (SMS).
    pub method: String,
    pub body: Value,
}

/// A failure to answer instead of success, once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    pub channel: String,
    pub status: u16,
    pub body: Value,
    #[serde(default)]
    pub retry_after: Option<u64>,
}

/// A platform answering "slow down" to every call until a moment: `POST /_control/storm`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Storm {
    pub channel: String,
    /// How long from now.
    pub seconds: u64,
    /// The advised delay sent with each refusal, in seconds.
    pub retry_after: u64,
}

/// A platform answering each call only after `ms` milliseconds: `POST /_control/latency`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Latency {
    pub channel: String,
    pub ms: u64,
}

/// A customer's language on their platform's profile: `POST /_control/profile`. `locale`
/// `None` forgets it; `fail` makes the platform answer the lookup with its error instead.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    pub channel: String,
    /// The platform's id of the customer (LINE user id, PSID, OpenID).
    pub user: String,
    pub locale: Option<String>,
    #[serde(default)]
    pub fail: bool,
}

/// What a fake's profile API answers for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileAnswer {
    /// The profile, with the customer's language if a test set one.
    Found(Option<String>),
    /// The platform's error, as a test asked.
    Failed,
}

#[derive(Default)]
struct Records {
    outbox: Vec<OutboxEntry>,
    faults: VecDeque<Fault>,
    /// Per channel: rate limited until (Unix ms), with this advised delay (s).
    storms: std::collections::HashMap<String, (u64, u64)>,
    /// Per channel: each answer's delay.
    latency: std::collections::HashMap<String, u64>,
    /// Calls refused by a storm, per channel.
    refused: std::collections::HashMap<String, u64>,
    /// Per (channel, user): what their profile says.
    profiles: std::collections::HashMap<(String, String), ProfileAnswer>,
    /// Twilio Verify: the pending verification per phone (`platform::sms`).
    verifications: std::collections::HashMap<String, chatdrop_domain::phone_verify::Verification>,
}

/// The fakes' shared state, the recorder every platform's routes are handed: the outbox, and
/// the trouble tests set up per channel.
#[derive(Clone, Default)]
pub struct Fakes {
    records: Arc<Mutex<Records>>,
}

/// Every platform's fake API on one recorder.
pub fn router() -> Router {
    router_with_throughput(None)
}

/// [`router`], with WhatsApp accepting at most `whatsapp_per_second` messages a second.
pub fn router_with_throughput(whatsapp_per_second: Option<u32>) -> Router {
    Router::new()
        .merge(platform::whatsapp::routes(whatsapp_per_second))
        .merge(platform::telegram::routes())
        .merge(platform::messenger::routes())
        .merge(platform::line::routes())
        .merge(platform::wechat::routes())
        .merge(platform::sms::routes())
        .merge(platform::viber::routes())
        .merge(platform::sens::routes())
        .route("/outbox", get(outbox))
        .route("/_control/faults", post(add_faults))
        .route("/_control/storm", post(add_storm))
        .route("/_control/latency", post(set_latency))
        .route("/_control/refused", get(refused))
        .route("/_control/profile", post(profile_control))
        .with_state(Fakes::default())
}

/// Serves the fakes on `addr`; returns the base URL and the server task.
pub async fn spawn(addr: &str) -> Result<(String, tokio::task::JoinHandle<()>), Error> {
    spawn_with_throughput(addr, None).await
}

/// [`spawn`], with WhatsApp's throughput limited as for a business number's tier.
pub async fn spawn_with_throughput(
    addr: &str,
    whatsapp_per_second: Option<u32>,
) -> Result<(String, tokio::task::JoinHandle<()>), Error> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = router_with_throughput(whatsapp_per_second);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

/// Milliseconds since the Unix epoch: the one clock of the fakes and of the simulated
/// customers, so a recorded arrival, a storm's end and a webhook's timestamp agree.
pub fn now_millis() -> u64 {
    use chatdrop_domain::clock::{Clock, SystemClock};
    SystemClock.now_millis().max(0) as u64
}

impl Fakes {
    /// What a test has set up to go wrong for the next call on `channel`, applied in the order
    /// a real platform would show it: the answer waits out the channel's latency, then a queued
    /// fault is answered, then a storm refuses the call with `rate_limited(retry_after)`, the
    /// platform's own "slow down". `Some` is the answer to give instead of handling the call.
    ///
    /// Every fake calls this once it has checked the caller's credentials (a wrong token is
    /// refused however the platform is faring) and before it checks the request itself.
    pub async fn injected(
        &self,
        channel: &str,
        rate_limited: impl FnOnce(u64) -> Response,
    ) -> Option<Response> {
        self.delay(channel).await;
        if let Some(f) = self.take_fault(channel) {
            return Some(fault_response(f));
        }
        self.storming(channel).map(rate_limited)
    }

    /// Holds the answer for `channel`'s latency, if one is set.
    async fn delay(&self, channel: &str) {
        let ms = self
            .records
            .lock()
            .expect("records lock")
            .latency
            .get(channel)
            .copied();
        if let Some(ms) = ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }

    /// The advised delay when `channel` is in a storm now (and counts the refusal).
    fn storming(&self, channel: &str) -> Option<u64> {
        let mut records = self.records.lock().expect("records lock");
        let (until, retry_after) = *records.storms.get(channel)?;
        if now_millis() >= until {
            return None;
        }
        *records.refused.entry(channel.to_string()).or_default() += 1;
        Some(retry_after)
    }

    /// The next injected failure queued for `channel`, if any: answer it instead of success.
    fn take_fault(&self, channel: &str) -> Option<Fault> {
        let mut records = self.records.lock().expect("records lock");
        let index = records.faults.iter().position(|f| f.channel == channel)?;
        records.faults.remove(index)
    }

    /// Runs `f` on the fake Verify service's pending verifications (by phone).
    pub fn verifications<T>(
        &self,
        f: impl FnOnce(
            &mut std::collections::HashMap<String, chatdrop_domain::phone_verify::Verification>,
        ) -> T,
    ) -> T {
        f(&mut self.records.lock().expect("records lock").verifications)
    }

    /// Records one request; returns its sequence number (1-based, across platforms).
    pub fn record(&self, channel: &str, recipient: String, method: &str, body: Value) -> usize {
        let mut records = self.records.lock().expect("records lock");
        let seq = records.outbox.len() + 1;
        records.outbox.push(OutboxEntry {
            seq,
            at_ms: now_millis(),
            channel: channel.into(),
            recipient,
            method: method.into(),
            body,
        });
        seq
    }
}

impl Fakes {
    /// What `channel`'s profile API answers for `user`: their language as a test set it, or a
    /// profile without one.
    pub fn profile_locale(&self, channel: &str, user: &str) -> ProfileAnswer {
        self.records
            .lock()
            .expect("records lock")
            .profiles
            .get(&(channel.to_string(), user.to_string()))
            .cloned()
            .unwrap_or(ProfileAnswer::Found(None))
    }
}

/// Sets a customer's profile on the fakes at `fakes_url` (`POST /_control/profile`): how a
/// test or the demo gives a LINE customer in Bangkok an app set to Thai.
pub async fn set_profile(
    http: &reqwest::Client,
    fakes_url: &str,
    profile: &Profile,
) -> Result<(), Error> {
    http.post(format!("{fakes_url}/_control/profile"))
        .json(profile)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

async fn profile_control(State(fakes): State<Fakes>, Json(profile): Json<Profile>) -> StatusCode {
    let answer = if profile.fail {
        ProfileAnswer::Failed
    } else {
        ProfileAnswer::Found(profile.locale)
    };
    fakes
        .records
        .lock()
        .expect("records lock")
        .profiles
        .insert((profile.channel, profile.user), answer);
    StatusCode::NO_CONTENT
}

/// The injected failure as an HTTP answer (status, JSON body, `Retry-After`).
fn fault_response(f: Fault) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(f.body)).into_response();
    if let Some(seconds) = f.retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.to_string().parse().expect("digits"));
    }
    response
}

async fn outbox(State(fakes): State<Fakes>) -> Json<Vec<OutboxEntry>> {
    Json(fakes.records.lock().expect("records lock").outbox.clone())
}

async fn add_faults(State(fakes): State<Fakes>, Json(faults): Json<Vec<Fault>>) -> StatusCode {
    fakes
        .records
        .lock()
        .expect("records lock")
        .faults
        .extend(faults);
    StatusCode::NO_CONTENT
}

async fn add_storm(State(fakes): State<Fakes>, Json(storm): Json<Storm>) -> StatusCode {
    let until = now_millis() + storm.seconds * 1000;
    fakes
        .records
        .lock()
        .expect("records lock")
        .storms
        .insert(storm.channel, (until, storm.retry_after));
    StatusCode::NO_CONTENT
}

async fn set_latency(State(fakes): State<Fakes>, Json(latency): Json<Latency>) -> StatusCode {
    fakes
        .records
        .lock()
        .expect("records lock")
        .latency
        .insert(latency.channel, latency.ms);
    StatusCode::NO_CONTENT
}

/// Calls refused by storms so far, per channel.
async fn refused(State(fakes): State<Fakes>) -> Json<std::collections::HashMap<String, u64>> {
    Json(fakes.records.lock().expect("records lock").refused.clone())
}
