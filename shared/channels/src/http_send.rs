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

use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::delivery::SendFailure;
use serde_json::Value;
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
    if (200..300).contains(&answer.status) {
        return Ok(serde_json::from_slice(&answer.body).unwrap_or(Value::Null));
    }
    let failure = classify(answer.status, &answer.body, answer.retry_after);
    log_failure(conversation, answer.status, &failure, what);
    Err(failure)
}

/// What a platform answered, before anything is made of it.
pub(crate) struct Answer {
    pub status: u16,
    /// The `Retry-After` header's delay, where the platform sent one.
    pub retry_after: Option<Duration>,
    /// The raw body; empty if it could not be read (the status is still there to go by).
    pub body: bytes::Bytes,
}

/// Sends `request` and reads its answer whatever the status, with a transport failure
/// classified (and its URL left out) as in [`call`]. For a platform whose answer must be read
/// before sent can be told from failed (WeChat says `errcode` in an HTTP 200), or a call made
/// for no one conversation (fetching an access token); otherwise use [`call`].
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
