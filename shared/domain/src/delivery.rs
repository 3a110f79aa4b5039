//! Delivering a reply bundle: in order, once, and with failures told apart.
//!
//! `notify` hands each bundle to [`deliver`]. Replies go out one by one through the channel's
//! [`ChannelSender`]; after each one the progress is recorded, so a redelivered bundle resumes
//! where the last attempt stopped instead of repeating what the customer already got. The
//! adapter classifies each failure by the platform's error code, not the HTTP class:
//!
//! - permanent (bad recipient, blocked, outside the messaging window): recorded and dropped,
//!   because retrying cannot help;
//! - rate limited: wait the advised delay here, without spending the queue's retry budget, up
//!   to a bound; past it, the queue retries later;
//! - transient (5xx, timeouts): the queue retries, and dead-letters after the configured span.

use crate::channel::ConversationId;
use crate::i18n::Lang;
use crate::ports::PortError;
use crate::reply::{Reply, ReplyBundle};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendFailure {
    #[error("permanent failure (code {code:?}): {detail}")]
    Permanent { code: Option<i64>, detail: String },
    #[error("rate limited (code {code:?}); retry after {retry_after:?}")]
    RateLimited {
        code: Option<i64>,
        retry_after: Duration,
    },
    #[error("transient failure (code {code:?}): {detail}")]
    Transient { code: Option<i64>, detail: String },
}

/// Sends to one platform; implemented by each channel adapter.
pub trait ChannelSender: Send + Sync {
    /// Acknowledges a platform token (Telegram's callback query) so the client stops waiting.
    fn acknowledge(
        &self,
        conversation: &ConversationId,
        token: &str,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;

    fn send(
        &self,
        conversation: &ConversationId,
        lang: Lang,
        reply: &Reply,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;
}

/// Where delivery progress and undeliverable bundles are recorded.
pub trait DeliveryLog: Send + Sync {
    /// How many replies of the bundle were already sent.
    fn sent_count(&self, bundle_id: &str) -> impl Future<Output = Result<usize, PortError>> + Send;
    fn record_sent(
        &self,
        bundle_id: &str,
        count: usize,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn record_undeliverable(
        &self,
        bundle: &ReplyBundle,
        failure: &SendFailure,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The longest advised delay waited in place; longer ones go back to the queue.
    pub max_wait: Duration,
    /// How many rate-limit waits one reply may take in place.
    pub max_waits: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_wait: Duration::from_secs(10),
            max_waits: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Every reply has been sent (now or by an earlier attempt).
    All,
    /// A permanent failure: recorded, the rest dropped.
    Undeliverable,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later through the queue.
    #[error("retry later: {0}")]
    Retry(SendFailure),
    #[error(transparent)]
    Port(#[from] PortError),
}

pub async fn deliver<S, L, W, F>(
    bundle: &ReplyBundle,
    sender: &S,
    log: &L,
    policy: RetryPolicy,
    wait: W,
) -> Result<Delivered, DeliveryError>
where
    S: ChannelSender,
    L: DeliveryLog,
    W: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let already = log.sent_count(&bundle.id).await?;
    if already == 0 {
        if let Some(token) = &bundle.ack {
            // A lost acknowledgement only leaves a spinner running; never hold replies for it.
            let _ = sender.acknowledge(&bundle.conversation, token).await;
        }
    }
    for (index, reply) in bundle.replies.iter().enumerate().skip(already) {
        let mut waits = 0;
        loop {
            match sender.send(&bundle.conversation, bundle.lang, reply).await {
                Ok(()) => break,
                Err(SendFailure::RateLimited { retry_after, .. })
                    if retry_after <= policy.max_wait && waits < policy.max_waits =>
                {
                    waits += 1;
                    wait(retry_after).await;
                }
                Err(failure @ SendFailure::Permanent { .. }) => {
                    log.record_undeliverable(bundle, &failure).await?;
                    return Ok(Delivered::Undeliverable);
                }
                Err(failure) => return Err(DeliveryError::Retry(failure)),
            }
        }
        log.record_sent(&bundle.id, index + 1).await?;
    }
    Ok(Delivered::All)
}
