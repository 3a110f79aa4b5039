//! The access token, shared by every function and warm instance through the
//! [`TokenCache`](chatdrop_domain::ports::TokenCache).
//!
//! Each fetch of a WeChat token invalidates the previous one (after a short grace period) and
//! the daily fetch quota is small, so instances must not each fetch their own. A sender reads
//! its own copy first, then the shared one; when both are missing or about to expire, one
//! caller takes the cache's lease and fetches while the others wait briefly and re-read. A
//! token WeChat refuses is dropped here and in the cache (unless someone already replaced it),
//! and the next read fetches anew.

use super::WechatSender;
use super::send::classify;
use crate::http_send::{self, failure_code};
use chatdrop_domain::delivery::SendFailure;
use chatdrop_domain::ports::CachedToken;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Refresh a shared token this long before the expiry it was stored with.
const REFRESH_MARGIN: i64 = 300;
/// A fetched token is stored as expiring this much earlier than WeChat says.
const EXPIRY_MARGIN: i64 = 300;
/// How long the refresh lease is held at most (a fetch takes well under a second).
const LEASE_SECONDS: i64 = 30;
/// While another caller refreshes: how often and how long to wait before re-reading.
const LEASE_WAITS: u32 = 5;
const LEASE_WAIT: Duration = Duration::from_millis(200);

impl WechatSender {
    fn cache_key(&self) -> String {
        format!("wechat#{}", self.config.app_id)
    }

    /// A token good for at least [`REFRESH_MARGIN`] more seconds: this instance's copy, the
    /// shared one, or a fresh one fetched under the lease.
    pub(super) async fn access_token(&self) -> Result<String, SendFailure> {
        let now = self.clock.now();
        let fresh = |t: &CachedToken| !t.token.is_empty() && t.expires_at - now > REFRESH_MARGIN;
        if let Some(t) = self.memo().filter(|t| fresh(t)) {
            return Ok(t.token);
        }
        let key = self.cache_key();
        if let Some(t) = self.read_shared(&key).await?.filter(|t| fresh(t)) {
            return Ok(self.remember(t));
        }
        for _ in 0..LEASE_WAITS {
            let leased = self
                .tokens
                .lease(&key, &self.holder, now + LEASE_SECONDS)
                .await
                .map_err(cache_failure)?;
            if leased {
                return self.refresh(&key).await;
            }
            // Another caller is fetching: its token will be in the cache in a moment.
            pause(LEASE_WAIT).await;
            if let Some(t) = self.read_shared(&key).await?.filter(|t| fresh(t)) {
                return Ok(self.remember(t));
            }
        }
        Err(SendFailure::Transient {
            code: None,
            detail: "another caller is still refreshing the WeChat access token".into(),
        })
    }

    async fn read_shared(&self, key: &str) -> Result<Option<CachedToken>, SendFailure> {
        self.tokens.get(key).await.map_err(cache_failure)
    }

    fn memo(&self) -> Option<CachedToken> {
        self.memo.lock().ok().and_then(|m| m.clone())
    }

    fn remember(&self, token: CachedToken) -> String {
        let value = token.token.clone();
        if let Ok(mut memo) = self.memo.lock() {
            *memo = Some(token);
        }
        value
    }

    /// Fetches a token (we hold the lease) and shares it.
    async fn refresh(&self, key: &str) -> Result<String, SendFailure> {
        let url = self.api(
            "/cgi-bin/token",
            &[
                ("grant_type", "client_credential"),
                ("appid", &self.config.app_id),
                ("secret", &self.config.app_secret),
            ],
        );
        let answer = http_send::exchange(self.client.get(url)).await?;
        classify(answer.status, &answer.body).inspect_err(|f| {
            // No conversation to name: a token serves them all.
            tracing::warn!(
                status = answer.status,
                code = ?failure_code(f),
                "WeChat token fetch failed"
            );
        })?;
        let fetched: TokenAnswer = serde_json::from_slice(&answer.body).unwrap_or_default();
        if fetched.access_token.is_empty() {
            return Err(SendFailure::Transient {
                code: None,
                detail: "the token endpoint answered without an access_token".into(),
            });
        }
        let expires_in = fetched.expires_in.unwrap_or(7200);
        let token = CachedToken {
            token: fetched.access_token,
            expires_at: self.clock.now() + expires_in - EXPIRY_MARGIN,
        };
        tracing::info!(expires_in, "fetched a WeChat access token");
        if let Err(e) = self.tokens.put(key, &token).await {
            // We can still use it; others will fetch their own once the lease lapses.
            tracing::warn!(error = %e, "could not share the WeChat access token");
        }
        Ok(self.remember(token))
    }

    /// Forgets a token WeChat refused, here and in the shared cache, unless someone already
    /// replaced it there.
    pub(super) async fn drop_token(&self, refused: &str) {
        if let Ok(mut memo) = self.memo.lock() {
            *memo = None;
        }
        let key = self.cache_key();
        match self.tokens.get(&key).await {
            Ok(Some(t)) if t.token != refused => {}
            _ => {
                let expired = CachedToken {
                    token: String::new(),
                    expires_at: 0,
                };
                if let Err(e) = self.tokens.put(&key, &expired).await {
                    tracing::warn!(error = %e, "could not drop the WeChat access token");
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<i64>,
}

fn cache_failure(e: chatdrop_domain::ports::PortError) -> SendFailure {
    SendFailure::Transient {
        code: None,
        detail: format!("token cache unavailable: {e}"),
    }
}

/// A pause that needs no async runtime (this crate does not depend on one): a helper thread
/// sleeps and wakes the task. It runs only while another caller refreshes the token.
fn pause(duration: Duration) -> impl Future<Output = ()> {
    struct State {
        done: bool,
        started: bool,
        waker: Option<Waker>,
    }
    struct Pause {
        duration: Duration,
        state: Arc<Mutex<State>>,
    }
    impl Future for Pause {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.done {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
            if !state.started {
                state.started = true;
                let shared = self.state.clone();
                let duration = self.duration;
                let spawned = std::thread::Builder::new().spawn(move || {
                    std::thread::sleep(duration);
                    let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
                    state.done = true;
                    if let Some(waker) = state.waker.take() {
                        waker.wake();
                    }
                });
                if spawned.is_err() {
                    // No thread to wait with: go on without the pause.
                    return Poll::Ready(());
                }
            }
            Poll::Pending
        }
    }
    Pause {
        duration,
        state: Arc::new(Mutex::new(State {
            done: false,
            started: false,
            waker: None,
        })),
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
