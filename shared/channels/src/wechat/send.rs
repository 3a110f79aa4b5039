//! Sending: the customer-service API, one text message per merged group, and WeChat's
//! answers read by `errcode`.
//!
//! Every call carries the access token in its URL, so a token WeChat refuses (another
//! deployment fetched a newer one, ops rotated the secret) is dropped and the post retried
//! once with a fresh one (`token.rs` keeps the token). The request and its transport failure
//! go through [`crate::http_send`] like every platform's; what differs is the answer: WeChat
//! reports a failure in an HTTP 200, so the body is always read before [`classify`] says sent
//! or not.

use super::WechatSendConfig;
use super::render::{merge_groups, messages};
use crate::http_send::{self, failure_code};
use crate::outbound::{Outbound, SendFuture};
use crate::text::truncate_chars;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::ports::{CachedToken, TokenCache};
use chatdrop_domain::reply::Reply;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct WechatSender {
    pub client: reqwest::Client,
    pub config: WechatSendConfig,
    pub tokens: Arc<dyn TokenCache>,
    /// This instance's copy of the shared token, so a warm function does not read the cache on
    /// every send.
    pub(super) memo: Mutex<Option<CachedToken>>,
    /// Who this instance is when it takes the refresh lease.
    pub(super) holder: String,
    /// Tells when a token expires.
    pub(super) clock: Arc<dyn Clock>,
}

/// The token errors: invalid (40001, also "not the latest"), expired (42001), not-a-token
/// (40014). The token is dropped and fetched again.
pub(super) const TOKEN_CODES: &[i64] = &[40001, 42001, 40014];

impl WechatSender {
    /// Builds a sender; `tokens` is the cache shared by every function and instance.
    pub fn new(
        client: reqwest::Client,
        config: WechatSendConfig,
        tokens: Arc<dyn TokenCache>,
    ) -> Self {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        // Only to tell instances apart, not to tell the time.
        let nanos = SystemClock.now_millis();
        let holder = format!(
            "{}-{}-{nanos:x}",
            std::process::id(),
            INSTANCES.fetch_add(1, Ordering::Relaxed)
        );
        WechatSender {
            client,
            config,
            tokens,
            memo: Mutex::new(None),
            holder,
            clock: chatdrop_domain::clock::system(),
        }
    }

    /// The sender with another clock (tests step past a token's expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The URL of an API path; `query` carries the token or the app secret, so the URL never
    /// reaches an error or a log (`http_send` strips it from transport errors).
    pub(super) fn api(&self, path: &str, query: &[(&str, &str)]) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!(
            "{}{path}?{query}",
            self.config.api_base.trim_end_matches('/')
        )
    }

    /// Posts one message; a token WeChat calls invalid is dropped and the post retried once
    /// with a fresh one.
    async fn post_with_token(
        &self,
        c: &ConversationId,
        body: &Value,
    ) -> Result<Option<String>, SendFailure> {
        let token = self.access_token().await?;
        match self.post(c, &token, body).await {
            Err(f) if is_token_error(&f) => {
                tracing::info!(code = ?failure_code(&f), "WeChat refused the access token; refreshing");
                self.drop_token(&token).await;
                let token = self.access_token().await?;
                self.post(c, &token, body).await
            }
            other => other,
        }
    }

    async fn post(
        &self,
        c: &ConversationId,
        token: &str,
        body: &Value,
    ) -> Result<Option<String>, SendFailure> {
        let url = self.api("/cgi-bin/message/custom/send", &[("access_token", token)]);
        let answer = http_send::exchange(self.client.post(url).json(body)).await?;
        classify(answer.status, &answer.body)
            .inspect_err(|f| http_send::log_failure(c, answer.status, f, "WeChat send"))
    }
}

impl Outbound for WechatSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::WECHAT
    }

    /// Consecutive replies merged into as few messages as fit: the customer-service quota
    /// counts messages, not replies.
    fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        // The language is not known here, and it changes only the "reply with a number" line.
        // Grouping with the language whose line is longest in bytes keeps every group within
        // one message's worth in the customer's language too (packing in order is monotone:
        // shorter pieces never need more messages).
        let longest = [Lang::EN, Lang::JA]
            .into_iter()
            .max_by_key(|l| Msg::ReplyWithNumber.text(*l).len())
            .unwrap_or_default();
        merge_groups(longest, replies)
    }

    /// Sends the group's merged messages in order; the first failure stops the rest.
    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        Box::pin(async move {
            let c = out.conversation();
            let mut ids = Vec::new();
            for content in messages(out.lang(), out.replies) {
                let body = json!({
                    "touser": c.customer,
                    "msgtype": "text",
                    "text": { "content": content },
                });
                ids.extend(self.post_with_token(c, &body).await?);
            }
            Ok(Sent::ids(ids))
        })
    }
}

fn is_token_error(f: &SendFailure) -> bool {
    matches!(f, SendFailure::Transient { code: Some(c), .. } if TOKEN_CODES.contains(c))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WxAnswer {
    errcode: i64,
    errmsg: String,
    msgid: Option<Value>,
}

/// The recipient or the message can never succeed as sent.
const PERMANENT_CODES: &[i64] = &[
    45015, // more than 48 hours since the customer last wrote, or they unfollowed
    43004, // the customer does not follow the account (any more)
    40003, // invalid OpenID (not a follower of this account)
    43019, // the customer is on the account's blacklist
    45002, // content too long
    44002, // empty body
    47001, // malformed JSON
    40008, // invalid message type
];
/// The customer-service quota for this customer message is used up (5 messages within 48 h
/// of a customer message, 3 within a minute of a menu click or follow).
const QUOTA_EXHAUSTED: i64 = 45047;
/// The API's daily call quota: nothing goes out until WeChat resets it (or ops clear it).
const DAILY_LIMIT: i64 = 45009;
/// Too many calls per unit of time: a short pause is enough.
const FREQUENCY_LIMIT: i64 = 45011;

/// Reads a WeChat API answer: `Ok` with the message id when it gives one, or the failure by
/// `errcode` (which comes in an HTTP 200). Token errors and account misconfiguration (bad app
/// id or secret, server IP not whitelisted, API not authorised) are transient, so the message
/// is kept for a redrive once ops fix it.
pub fn classify(status: u16, body: &[u8]) -> Result<Option<String>, SendFailure> {
    // Raw bodies stay out of the detail: our request URLs carry the access token or the app
    // secret, and a proxy's error page may echo the URL it was asked for.
    if !(200..300).contains(&status) {
        let detail = format!("HTTP {status} ({} bytes)", body.len());
        return Err(if status == 429 {
            SendFailure::RateLimited {
                code: None,
                retry_after: Duration::from_secs(1),
            }
        } else {
            SendFailure::Transient { code: None, detail }
        });
    }
    let Ok(answer) = serde_json::from_slice::<WxAnswer>(body) else {
        // Without a readable answer we cannot tell sent from not: the queue decides.
        return Err(SendFailure::Transient {
            code: None,
            detail: format!("unreadable answer ({} bytes)", body.len()),
        });
    };
    let code = answer.errcode;
    let detail = truncate_chars(&format!("errcode {code}: {}", answer.errmsg), 300);
    match code {
        0 => Ok(answer.msgid.and_then(|id| match id {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })),
        QUOTA_EXHAUSTED => Err(SendFailure::Permanent {
            code: Some(code),
            detail: format!(
                "customer-service message quota used up for this customer message ({detail})"
            ),
        }),
        c if PERMANENT_CODES.contains(&c) => Err(SendFailure::Permanent {
            code: Some(c),
            detail,
        }),
        DAILY_LIMIT => Err(SendFailure::RateLimited {
            code: Some(code),
            retry_after: Duration::from_secs(3600),
        }),
        FREQUENCY_LIMIT => Err(SendFailure::RateLimited {
            code: Some(code),
            retry_after: Duration::from_secs(1),
        }),
        // -1 (system busy), token errors, configuration errors and anything new.
        c => Err(SendFailure::Transient {
            code: Some(c),
            detail,
        }),
    }
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
