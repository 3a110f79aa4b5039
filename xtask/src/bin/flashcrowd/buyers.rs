//! The buyers: who they are, what each heard from the checkout and when, and the crowd of
//! tasks with at most `--in-flight` of them running.

use crate::SOLD_OUT;
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::ports::{Dispatch, PortError};
use chatdrop_domain::reply::{Reply, ReplyBundle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use xtask::dynamo_calls::Call;

/// When each buyer's checkout answered, and what; the answer then goes on to the outbound
/// queue.
pub(crate) struct Answers {
    pub(crate) given: Mutex<HashMap<String, Vec<(Instant, Answer)>>>,
    pub(crate) outbound: chatdrop_queue::SqsQueues,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Answer {
    PayLink,
    SoldOut,
    Other,
}

impl Dispatch for Answers {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        let answer = if bundle
            .replies
            .iter()
            .any(|r| matches!(r, Reply::Link { url, .. } if url.contains("/p/")))
        {
            Answer::PayLink
        } else if bundle.replies.iter().any(
            |r| matches!(r, Reply::Text { body } | Reply::Choices { body, .. } if body == SOLD_OUT),
        ) {
            Answer::SoldOut
        } else {
            Answer::Other
        };
        self.given
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(bundle.conversation.customer.clone())
            .or_default()
            .push((Instant::now(), answer));
        self.outbound.reply(bundle).await
    }

    async fn hand_off(&self, _: Handler, _: &InboundMessage) -> Result<(), PortError> {
        Ok(())
    }
}

pub(crate) fn buyer(n: usize) -> ConversationId {
    ConversationId::new(Channel::Whatsapp, format!("55119{n:08}"))
}

pub(crate) fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One buyer's checkout as it went.
pub(crate) struct Outcome {
    /// From permit to the handler's return (the checkout's own latency).
    pub(crate) service: Duration,
    /// Handler errors retried (the queue would redeliver in production).
    pub(crate) errors: u32,
    pub(crate) calls: Vec<Call>,
}

/// Runs `jobs` futures with at most `in_flight` at once; returns their results in order.
pub(crate) async fn bounded<T, F, Fut>(count: usize, in_flight: usize, job: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(in_flight));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = gate.clone().acquire_owned();
        let work = job(i);
        tasks.push(tokio::spawn(async move {
            let _permit = permit.await.expect("the gate is never closed");
            work.await
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.expect("a bench task panicked"));
    }
    out
}

pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
