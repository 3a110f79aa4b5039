//! Sending: one form post to Twilio's Messages API per message body, and Twilio's error codes
//! read into the delivery's failure kinds.
//!
//! The post goes through [`crate::http_send::call`] like every platform's JSON call; Twilio
//! differs only in taking a form with basic auth, and in error messages that quote phone
//! numbers, which [`classify`] masks before they reach a log or a recorded failure.

use super::render::{bodies, merge_texts};
use super::{FORM_MEDIA_TYPE, SmsSendConfig};
use crate::http_send;
use crate::outbound::{Outbound, SendFuture};
use crate::text::truncate_chars;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, Sent};
use chatdrop_domain::reply::Reply;
use serde::Deserialize;
use std::time::Duration;

pub struct SmsSender {
    pub client: reqwest::Client,
    pub config: SmsSendConfig,
}

impl SmsSender {
    pub fn new(client: reqwest::Client, config: SmsSendConfig) -> Self {
        SmsSender { client, config }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.config.api_base.trim_end_matches('/'),
            self.config.account_sid
        )
    }

    /// Posts one message body; Twilio's id for it when the answer gives one.
    async fn post(
        &self,
        url: &str,
        c: &ConversationId,
        body: &str,
    ) -> Result<Option<String>, SendFailure> {
        let from_field = if self.config.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("To", &c.customer)
            .append_pair(from_field, &self.config.from)
            .append_pair("Body", body)
            .finish();
        let request = self
            .client
            .post(url)
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .header(http::header::CONTENT_TYPE, FORM_MEDIA_TYPE)
            .body(form);
        let answer = http_send::call(request, c, "Twilio send", classify).await?;
        Ok(answer["sid"].as_str().map(String::from))
    }
}

impl Outbound for SmsSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::SMS
    }

    /// One reply per call, except short texts merged into one message.
    fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        merge_texts(replies).into_iter().map(|(n, _)| n).collect()
    }

    /// Sends every message in order; the first failure stops the rest, so the customer never
    /// gets a later part without an earlier one.
    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        Box::pin(async move {
            let c = out.conversation();
            let url = self.messages_url();
            let mut ids = Vec::new();
            for body in bodies(out.lang(), out.replies) {
                ids.extend(self.post(&url, c, &body).await?);
            }
            Ok(Sent::ids(ids))
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TwilioError {
    code: Option<i64>,
    message: String,
}

/// Too many requests (the account's concurrency or rate limit).
const RATE_LIMIT_CODES: &[i64] = &[20429];
/// The recipient or the message can never succeed as sent.
const PERMANENT_CODES: &[i64] = &[
    21610, // the recipient replied STOP to this sender
    21211, // invalid To number
    21614, // To is not a mobile number
    21612, // To cannot be reached from this sender
    21408, // sending to the To number's region is not enabled
    21617, // body over 1600 characters
    21602, // body required
    30003, // unreachable handset
    30004, // message blocked
    30005, // unknown handset
    30006, // landline or unreachable carrier
    30007, // filtered by the carrier
];
/// Our configuration, not the message: a wrong auth token or account (20003, 20404), a From
/// number that cannot send SMS (21606, 21212). Kept for a redrive once ops fix it.
const TRANSIENT_CODES: &[i64] = &[20003, 20404, 21606, 21212, 20500, 20503];

/// Classifies a failed Messages API call by Twilio's error code; the HTTP status decides only
/// when the code is missing or unknown.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<TwilioError>(body).unwrap_or_default();
    let code = error.code;
    let detail = describe(status, &error, body);
    let wait = || retry_after.unwrap_or(Duration::from_secs(1));
    match code {
        Some(c) if RATE_LIMIT_CODES.contains(&c) => SendFailure::RateLimited {
            code,
            retry_after: wait(),
        },
        Some(c) if PERMANENT_CODES.contains(&c) => SendFailure::Permanent { code, detail },
        Some(c) if TRANSIENT_CODES.contains(&c) => SendFailure::Transient { code, detail },
        _ if status == 429 => SendFailure::RateLimited {
            code,
            retry_after: wait(),
        },
        // Credentials rejected without a readable code: still a configuration problem.
        _ if status == 401 => SendFailure::Transient { code, detail },
        _ if (400..500).contains(&status) => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

fn describe(status: u16, error: &TwilioError, body: &[u8]) -> String {
    let message = if error.message.is_empty() {
        String::from_utf8_lossy(body).into_owned()
    } else {
        error.message.clone()
    };
    let mut detail = format!("HTTP {status}");
    if let Some(code) = error.code {
        detail.push_str(&format!(" (Twilio {code})"));
    }
    if !message.trim().is_empty() {
        detail.push_str(": ");
        detail.push_str(&mask_numbers(message.trim()));
    }
    truncate_chars(&detail, 300)
}

/// Twilio's messages quote the numbers involved ("The 'To' number +1555… is not…"); phone
/// numbers are never logged, so every run of five or more digits (with a leading `+`) goes.
fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 5 {
            out.push_str("[number]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
