//! The tail every platform call shares: send, read the answer, classify a failure, log it.
//!
//! What differs per platform is only how a request is built and how its error body is read
//! ([`Classify`]); what happens around them is the same everywhere, and getting it wrong in one
//! adapter is how a token reaches a log or a rate limit becomes a dropped message:
//!
//! - a transport error (no answer at all) is `Transient`, and its text never includes the URL,
//!   which on some platforms carries the token (Telegram's path, Messenger's query);
//! - a success answer is read as JSON (an unreadable body is `Null`: the message went out);
//! - a failure is classified from the status, the raw body (unreadable is still classifiable
//!   by status) and the `Retry-After` header where a platform sends one;
//! - the failure is logged once, with the customer as a pseudonym, never the body (it may quote
//!   what the customer wrote).

use crate::text::truncate_chars;
use bytes::Bytes;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::delivery::{SendFailure, Sent};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// A platform's error classifier: status, raw error body and any `Retry-After` delay.
pub(crate) type Classify = fn(u16, &[u8], Option<Duration>) -> SendFailure;

/// Sends `request` to the platform; the parsed JSON answer on success, the classified failure
/// otherwise. `what` names the call in the log line (`"WhatsApp send"`, `"Telegram sendMessage"`).
pub(crate) async fn call(
    request: reqwest::RequestBuilder,
    conversation: &ConversationId,
    what: &str,
    classify: Classify,
) -> Result<Value, SendFailure> {
    let answer = exchange(request).await?;
    if answer.is_success() {
        return Ok(serde_json::from_slice(&answer.body).unwrap_or(Value::Null));
    }
    Err(answer.failure(conversation, what, classify))
}

/// What a platform answered, before anything is made of it. For the calls where [`call`]'s
/// "success or classified failure" is too coarse: a status that still means the message went
/// out (LINE's 409 to a retried push), one that asks for another kind of call (LINE's refused
/// reply token), or an error inside an HTTP 200 (WeChat's `errcode`).
pub(crate) struct Answer {
    pub status: u16,
    /// The `Retry-After` header's delay, where the platform sent one.
    pub retry_after: Option<Duration>,
    /// The raw body; empty when unreadable, since the status still tells what happened.
    pub body: Bytes,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// This answer as the call's failure: classified, and logged once as [`call`] logs it.
    pub(crate) fn failure(
        &self,
        conversation: &ConversationId,
        what: &str,
        classify: Classify,
    ) -> SendFailure {
        let failure = classify(self.status, &self.body, self.retry_after);
        log_failure(conversation, self.status, &failure, what);
        failure
    }
}

/// Sends `request` and reads its answer whatever the status; only a transport error (no answer
/// at all) fails here, classified with its URL left out as in [`call`]. Also for a call made for
/// no one conversation (fetching an access token).
pub(crate) async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, SendFailure> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_failure(&e.without_url()))?;
    let status = response.status().as_u16();
    let retry_after = retry_after_header(response.headers());
    let body = response.bytes().await.unwrap_or_default();
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// A failed call's detail, for the log and the kept message: the status and what the platform
/// said (`said`, empty when its error body said nothing readable), or else the start of the raw
/// body (a proxy's HTML page, say), so there is more to go on than the status.
pub(crate) fn error_detail(status: u16, said: &str, body: &[u8]) -> String {
    if !said.is_empty() {
        return truncate_chars(&format!("HTTP {status}: {said}"), 500);
    }
    if body.is_empty() {
        return format!("HTTP {status}");
    }
    let start = truncate_chars(&String::from_utf8_lossy(body), 200);
    format!("HTTP {status}: {start}")
}

/// The one log line of a failed send: the customer as a pseudonym, the status and the
/// platform's code, never the body.
pub(crate) fn log_failure(
    conversation: &ConversationId,
    status: u16,
    failure: &SendFailure,
    what: &str,
) {
    tracing::warn!(
        conversation = %conversation.hashed(),
        status,
        code = ?failure_code(failure),
        "{what} failed"
    );
}

/// Sends `parts` one at a time with `send`, collecting the message id each call answers with.
/// The first failure stops the rest, so the customer never gets a later part without an
/// earlier one.
pub(crate) async fn in_order<P, F, Fut>(
    parts: impl IntoIterator<Item = P>,
    mut send: F,
) -> Result<Sent, SendFailure>
where
    F: FnMut(P) -> Fut,
    Fut: Future<Output = Result<Option<String>, SendFailure>>,
{
    let mut ids = Vec::new();
    for part in parts {
        ids.extend(send(part).await?);
    }
    Ok(Sent::ids(ids))
}

/// A `Retry-After` header's delay in seconds, where a platform sends one.
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The platform's error code a failure carries, for the log line.
pub(crate) fn failure_code(f: &SendFailure) -> Option<i64> {
    match f {
        SendFailure::Permanent { code, .. }
        | SendFailure::RateLimited { code, .. }
        | SendFailure::Transient { code, .. } => *code,
    }
}

/// Classifies a transport-level failure (no HTTP answer at all).
pub(crate) fn transport_failure(e: &reqwest::Error) -> SendFailure {
    SendFailure::Transient {
        code: None,
        detail: if e.is_timeout() {
            "timed out".into()
        } else {
            format!("transport error: {e}")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_detail_gives_the_platforms_words_or_else_the_start_of_the_body() {
        assert_eq!(
            error_detail(400, "Invalid reply token", b"{}"),
            "HTTP 400: Invalid reply token"
        );
        assert_eq!(
            error_detail(502, "", b"<html>Bad Gateway</html>"),
            "HTTP 502: <html>Bad Gateway</html>"
        );
        assert_eq!(error_detail(503, "", b""), "HTTP 503");
        // A long message or body is cut: the detail is a log line, not a copy of the answer.
        assert_eq!(
            error_detail(400, &"m".repeat(600), b"").chars().count(),
            500
        );
        assert_eq!(
            error_detail(502, "", "b".repeat(600).as_bytes())
                .chars()
                .count(),
            "HTTP 502: ".len() + 200
        );
    }
}
