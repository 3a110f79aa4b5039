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
    if already == 0
        && let Some(token) = &bundle.ack
    {
        // A lost acknowledgement only leaves a spinner running; never hold replies for it.
        let _ = sender.acknowledge(&bundle.conversation, token).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Channel, ConversationId};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// A platform that answers from a script, then succeeds.
    #[derive(Default)]
    struct ScriptedPlatform {
        answers: Mutex<VecDeque<Result<(), SendFailure>>>,
        sent: Mutex<Vec<String>>,
        acks: Mutex<Vec<String>>,
    }

    impl ChannelSender for ScriptedPlatform {
        async fn acknowledge(&self, _: &ConversationId, token: &str) -> Result<(), SendFailure> {
            self.acks.lock().unwrap().push(token.into());
            Ok(())
        }

        async fn send(
            &self,
            _: &ConversationId,
            _: Lang,
            reply: &Reply,
        ) -> Result<(), SendFailure> {
            let answer = self.answers.lock().unwrap().pop_front().unwrap_or(Ok(()));
            if answer.is_ok()
                && let Reply::Text { body } = reply
            {
                self.sent.lock().unwrap().push(body.clone());
            }
            answer
        }
    }

    #[derive(Default)]
    struct Progress {
        sent: Mutex<usize>,
        undeliverable: Mutex<Vec<SendFailure>>,
    }

    impl DeliveryLog for Progress {
        async fn sent_count(&self, _: &str) -> Result<usize, PortError> {
            Ok(*self.sent.lock().unwrap())
        }
        async fn record_sent(&self, _: &str, count: usize) -> Result<(), PortError> {
            *self.sent.lock().unwrap() = count;
            Ok(())
        }
        async fn record_undeliverable(
            &self,
            _: &ReplyBundle,
            failure: &SendFailure,
        ) -> Result<(), PortError> {
            self.undeliverable.lock().unwrap().push(failure.clone());
            Ok(())
        }
    }

    fn bundle(n: usize) -> ReplyBundle {
        ReplyBundle {
            id: "b1".into(),
            conversation: ConversationId::new(Channel::Telegram, "42"),
            lang: Lang::En,
            ack: Some("cb1".into()),
            replies: (1..=n)
                .map(|i| Reply::Text {
                    body: format!("reply {i}"),
                })
                .collect(),
        }
    }

    fn waits() -> (
        std::sync::Arc<Mutex<Vec<Duration>>>,
        impl Fn(Duration) -> std::future::Ready<()>,
    ) {
        let log = std::sync::Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        (log, move |d| {
            l.lock().unwrap().push(d);
            std::future::ready(())
        })
    }

    fn transient() -> SendFailure {
        SendFailure::Transient {
            code: Some(500),
            detail: "down".into(),
        }
    }

    #[tokio::test]
    async fn a_transient_failure_goes_back_to_the_queue_and_the_retry_resumes() {
        let platform = ScriptedPlatform::default();
        platform
            .answers
            .lock()
            .unwrap()
            .extend([Ok(()), Err(transient())]);
        let progress = Progress::default();
        let (_, wait) = waits();
        let b = bundle(3);
        let first = deliver(&b, &platform, &progress, RetryPolicy::default(), &wait).await;
        assert!(matches!(first, Err(DeliveryError::Retry(_))));
        assert_eq!(*progress.sent.lock().unwrap(), 1);

        // The queue redelivers: reply 1 is not sent again, and the callback not re-answered.
        let second = deliver(&b, &platform, &progress, RetryPolicy::default(), &wait).await;
        assert_eq!(second.unwrap(), Delivered::All);
        assert_eq!(
            *platform.sent.lock().unwrap(),
            ["reply 1", "reply 2", "reply 3"]
        );
        assert_eq!(*platform.acks.lock().unwrap(), ["cb1"]);
    }

    #[tokio::test]
    async fn rate_limits_are_waited_out_in_place_up_to_the_bound() {
        let platform = ScriptedPlatform::default();
        let limited = |s| SendFailure::RateLimited {
            code: Some(429),
            retry_after: Duration::from_secs(s),
        };
        platform
            .answers
            .lock()
            .unwrap()
            .extend([Err(limited(2)), Err(limited(3))]);
        let progress = Progress::default();
        let (waited, wait) = waits();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::All);
        assert_eq!(
            *waited.lock().unwrap(),
            [Duration::from_secs(2), Duration::from_secs(3)]
        );

        // An advised delay beyond the bound goes back to the queue instead of holding the
        // function.
        platform
            .answers
            .lock()
            .unwrap()
            .push_back(Err(limited(600)));
        let progress = Progress::default();
        let result = deliver(
            &bundle(1),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
        )
        .await;
        assert!(matches!(
            result,
            Err(DeliveryError::Retry(SendFailure::RateLimited { .. }))
        ));
    }

    #[tokio::test]
    async fn a_permanent_failure_is_recorded_and_the_rest_dropped() {
        let platform = ScriptedPlatform::default();
        let blocked = SendFailure::Permanent {
            code: Some(403),
            detail: "bot was blocked by the user".into(),
        };
        platform
            .answers
            .lock()
            .unwrap()
            .push_back(Err(blocked.clone()));
        let progress = Progress::default();
        let (_, wait) = waits();
        let result = deliver(
            &bundle(2),
            &platform,
            &progress,
            RetryPolicy::default(),
            &wait,
        )
        .await;
        assert_eq!(result.unwrap(), Delivered::Undeliverable);
        assert_eq!(*progress.undeliverable.lock().unwrap(), [blocked]);
        assert!(platform.sent.lock().unwrap().is_empty());
    }
}
