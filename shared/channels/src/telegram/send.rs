//! Sending: each rendered call in order, callback-query answers, and failures classified.

use super::render::render;
use super::{TelegramSendConfig, TelegramSender};
use crate::http_send;
use crate::outbound::{Outbound, SendFuture};
use crate::text::truncate_chars;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::delivery::{Outgoing, SendFailure, Sent};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

impl TelegramSender {
    pub fn new(client: reqwest::Client, config: TelegramSendConfig) -> Self {
        TelegramSender { client, config }
    }

    /// One Bot API call: `params` posted to `method`; the answer's `result` on success.
    async fn call(
        &self,
        c: &ConversationId,
        method: &'static str,
        params: &Value,
    ) -> Result<Value, SendFailure> {
        // The token is part of the URL, so neither the URL nor a reqwest error (which quotes
        // it) may reach a log or a recorded failure; `http_send::call` strips both.
        let url = format!(
            "{}/bot{}/{}",
            self.config.api_base.trim_end_matches('/'),
            self.config.bot_token,
            method
        );
        let request = self.client.post(url).json(params);
        // Telegram sends no `Retry-After` header: the delay is in the body.
        let answer = http_send::call(request, c, &format!("Telegram {method}"), |s, b, _| {
            classify(s, b)
        })
        .await?;
        Ok(answer["result"].clone())
    }
}

/// A bot may write to anyone who started it and has not blocked it, so the registry's rules
/// (no window) stand, and each reply is its own calls.
impl Outbound for TelegramSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::TELEGRAM
    }

    /// Answers a callback query so the customer's button stops spinning.
    fn acknowledge<'a>(&'a self, c: &'a ConversationId, token: &'a str) -> SendFuture<'a, ()> {
        Box::pin(async move {
            if token.is_empty() {
                return Ok(());
            }
            let params = json!({ "callback_query_id": token });
            self.call(c, "answerCallbackQuery", &params).await.map(drop)
        })
    }

    /// Makes every rendered call in order; the first failure stops the rest, so the customer
    /// never gets a later part without an earlier one.
    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        Box::pin(async move {
            let c = out.conversation();
            let mut ids = Vec::new();
            for reply in out.replies {
                for (method, params) in render(&c.customer, out.lang(), reply) {
                    let result = self.call(c, method, &params).await?;
                    ids.extend(result["message_id"].as_i64().map(|id| id.to_string()));
                }
            }
            Ok(Sent::ids(ids))
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    error_code: Option<i64>,
    description: String,
    parameters: ErrorParameters,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorParameters {
    retry_after: Option<u64>,
}

/// Classifies a failed Bot API call. Telegram's `error_code` mirrors the HTTP status; the body's
/// code is preferred when present, the status otherwise.
pub fn classify(status: u16, body: &[u8]) -> SendFailure {
    let error = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
    let code = error.error_code;
    let effective = code.unwrap_or(i64::from(status));
    let detail = if error.description.is_empty() {
        format!("HTTP {status}")
    } else {
        truncate_chars(&format!("HTTP {status}: {}", error.description), 500)
    };
    match effective {
        429 => SendFailure::RateLimited {
            code,
            retry_after: Duration::from_secs(error.parameters.retry_after.unwrap_or(1)),
        },
        // Blocked by the user, user deactivated, chat not found, bad request: retrying the
        // same call cannot change the answer.
        400 | 403 => SendFailure::Permanent { code, detail },
        // A wrong or revoked bot token: a configuration error ops must fix, after which the
        // kept message can be redriven.
        401 | 404 => SendFailure::Transient { code, detail },
        500..=599 => SendFailure::Transient { code, detail },
        400..=499 => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
