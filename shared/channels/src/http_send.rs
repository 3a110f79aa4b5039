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
    let response = request
        .send()
        .await
        .map_err(|e| transport_failure(&e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response.json().await.unwrap_or(Value::Null));
    }
    let retry_after = retry_after_header(response.headers());
    // An unreadable error body still has a status to classify by.
    let bytes = response.bytes().await.unwrap_or_default();
    let failure = classify(status.as_u16(), &bytes, retry_after);
    tracing::warn!(
        conversation = %conversation.hashed(),
        status = status.as_u16(),
        code = ?failure_code(&failure),
        "{what} failed"
    );
    Err(failure)
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
