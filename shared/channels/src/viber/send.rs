//! Sending: one `send_message` call per rendered message, failures read from the `status`.

use super::render::{LIMITS, render};
use super::{ViberSendConfig, ViberSender};
use crate::http_send;
use crate::outbound::{Outbound, SendFuture};
use crate::text::truncate_chars;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::delivery::{Outgoing, SendFailure, Sent};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

const AUTH_HEADER: &str = "x-viber-auth-token";
const SEND_PATH: &str = "/pa/send_message";

/// How long to wait after status 12. Viber's cap is 100 messages to one user an hour without a
/// reply, and it resets when the customer writes. notify counts it before sending
/// (`chatdrop_domain::send_cap`), so a 12 should not come; if one does (a call Viber accepted
/// before a retry sent it again), a minute lets a burst settle without holding the message for
/// the hour.
pub const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// The answer to every call, failed or not (Viber answers HTTP 200 either way).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Answer {
    status: i64,
    status_message: String,
    /// A 64-bit number: kept as JSON so nothing is lost on the way to a string.
    message_token: Value,
}

fn read(body: &[u8]) -> Option<Answer> {
    serde_json::from_slice(body).ok()
}

impl ViberSender {
    pub fn new(client: reqwest::Client, config: ViberSendConfig) -> Self {
        ViberSender { client, config }
    }

    /// One message to the customer: its `message_token`.
    async fn send_one(
        &self,
        c: &ConversationId,
        mut message: Value,
    ) -> Result<Option<String>, SendFailure> {
        message["receiver"] = json!(c.customer);
        message["sender"] = json!({
            "name": truncate_chars(&self.config.sender_name, LIMITS.sender_name),
        });
        let url = format!("{}{SEND_PATH}", self.config.api_base.trim_end_matches('/'));
        let request = self
            .client
            .post(url)
            .header(AUTH_HEADER, &self.config.auth_token)
            .json(&message);
        let answer = http_send::exchange(request).await?;
        let read = read(&answer.body);
        let failed = !answer.is_success() || read.as_ref().is_none_or(|a| a.status != 0);
        if failed {
            let failure = answer.failure(c, "Viber send_message", classify);
            if http_send::failure_code(&failure) == Some(2) {
                // The token is wrong or revoked: every send fails until ops replace it.
                tracing::error!(conversation = %c.hashed(), "Viber refused the auth token (status 2)");
            }
            return Err(failure);
        }
        Ok(read.and_then(|a| match a.message_token {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        }))
    }
}

impl Outbound for ViberSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::VIBER
    }

    /// Viber's cap on messages to a customer who has not replied counts each `send_message`:
    /// a reply rendered as several (text in parts, a list's text and carousel, a pay link's
    /// words and `url`) is several.
    fn messages(&self, out: &Outgoing<'_>) -> usize {
        out.replies
            .iter()
            .map(|r| render(out.lang(), r).len())
            .sum()
    }

    /// Sends the replies' messages one call each, in order; the first failure stops the rest,
    /// so the customer never gets a later part without an earlier one. Viber takes no
    /// idempotency key, so a call retried after a lost answer may show twice.
    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        Box::pin(async move {
            let c = out.conversation();
            let messages: Vec<Value> = out
                .replies
                .iter()
                .flat_map(|r| render(out.lang(), r))
                .collect();
            http_send::in_order(messages, |m| self.send_one(c, m)).await
        })
    }
}

/// Classifies a failed `send_message`. Viber answers HTTP 200 with a non-zero `status`
/// (<https://developers.viber.com/docs/api/rest-bot-api/#error-codes>; the table in
/// `docs/bots-api/errors.md` of <https://github.com/Viber/creators-hub>); an HTTP error status
/// (a proxy, an outage) is classified by that status.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let answer = read(body).filter(|a| a.status != 0);
    let Some(answer) = answer.filter(|_| (200..300).contains(&status)) else {
        let code = Some(i64::from(status));
        let detail = http_send::error_detail(status, "", body);
        return match status {
            429 => SendFailure::RateLimited {
                code,
                retry_after: retry_after.unwrap_or(RATE_LIMIT_WAIT),
            },
            // Success status, unreadable body: what went out is unknown, so keep it.
            200..=299 | 401 | 403 => SendFailure::Transient { code, detail },
            400..=499 => SendFailure::Permanent { code, detail },
            _ => SendFailure::Transient { code, detail },
        };
    };
    let code = Some(answer.status);
    let detail = http_send::error_detail(
        status,
        &format!("status {} {}", answer.status, answer.status_message),
        body,
    );
    match answer.status {
        // tooManyRequests: 100 messages to one user in an hour without a reply.
        12 => SendFailure::RateLimited {
            code,
            retry_after: RATE_LIMIT_WAIT,
        },
        // receiverNotRegistered, receiverNotSubscribed, receiverNoSuitableDevice: this
        // customer cannot be written to; resending changes nothing.
        5 | 6 | 11 => SendFailure::Permanent { code, detail },
        // invalidUrl, badData, missingData, apiVersionNotSupported, incompatibleWithVersion:
        // the same call gets the same answer.
        1 | 3 | 4 | 13 | 14 => SendFailure::Permanent { code, detail },
        // invalidAuthToken (2), the account blocked, not found, suspended or unauthorised
        // (7, 8, 9, 15), no webhook (10), and the general error: ops must fix the bot, after
        // which the kept message can be redriven.
        _ => SendFailure::Transient { code, detail },
    }
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
