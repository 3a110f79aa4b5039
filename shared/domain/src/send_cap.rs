//! A platform's cap on messages to one customer who has not replied, enforced before sending.
//!
//! Viber's `send_message` takes at most 100 messages to one user in an hour without a reply
//! from that user, and refuses the rest with status 12
//! (<https://developers.viber.com/docs/api/rest-bot-api/#send-message>). The adapter reads a 12
//! as a rate limit, but waiting for the refusal means asking Viber again and again for an hour.
//! So the cap is a registry fact ([`crate::delivery::SendingRules::unanswered_cap`]) and
//! `deliver` counts each platform call against it before making it; a call over the cap is
//! *deferred*, never dropped ([`crate::delivery::DeliveryError::Deferred`]): notify puts the
//! bundle back on its queue and looks again every [`RECHECK`] at most, so a reply from the
//! customer (which starts a fresh count) lets it out within minutes, and otherwise it goes when
//! the hour allows.
//!
//! # How the count is kept
//!
//! One counter item per conversation and *reply epoch*: the time of the customer's last
//! message (`session.last_heard_at`, which notify reads anyway). A reply moves the epoch, so
//! the next send counts in a new item from zero, as Viber's own count restarts; nothing has
//! to be reset, and a session read just before a reply only counts in the old epoch, which is
//! stricter, never looser.
//!
//! Within an epoch, time is cut into fixed buckets of the cap's period (clock hours for
//! Viber). A fixed bucket alone would let 100 messages go at 10:59 and 100 more at 11:00, 200
//! in two minutes, which Viber's hour may well refuse. So a call in bucket `k` adds its
//! messages to the counters of bucket `k` *and* `k + 1`, under the condition that bucket `k`'s
//! counter stays within the cap. Bucket `k`'s counter is then what was sent in `k - 1` and in
//! `k` together; every 3,600-second window lies within two consecutive buckets, so no window
//! of the period ever holds more than the cap, wherever Viber's hour begins. The price: after a
//! burst of 100, the next message may wait up to two buckets rather than one (100 per two
//! hours at worst for a customer who never answers), which is far beyond what a conversation
//! needs. Both counters live in one item (attributes `h<k>`), so a call is one conditional
//! `UpdateItem` (`ADD`, never read-then-write) of about 1 WCU.
//!
//! # A retried call is counted once
//!
//! Each count names the call it is for (`Outgoing::idempotency_key`: the bundle and the
//! position of the call's first reply), and the item keeps the last one counted. notify takes
//! a conversation's bundles strictly in order (FIFO, one message group per conversation) and a
//! bundle's calls in order, so the call a redelivery retries is always the last one counted in
//! its epoch: the condition refuses to count it again and the answer says "already counted".
//! Calls a bundle already recorded as sent (`PROGRESS`) are not made, so not counted, again.
//! What this misses: a call Viber accepted (in part) before the attempt failed or crashed,
//! which the retry sends again (Viber has no idempotency key) while the count holds it once.
//! That needs an outage in the middle of a call; if it ever brings a customer to Viber's own
//! limit, the status 12 is still read as a rate limit and waited out.

use crate::channel::ConversationId;
use crate::ports::PortError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// At most `messages` to one customer per `per` while they have not replied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnansweredCap {
    pub messages: u32,
    pub per: Duration,
}

/// The longest a deferred bundle waits before notify looks again. A reply from the customer
/// frees it at once, so it should not sleep through the whole hour; each look is one receive
/// of the outbound queue (12 an hour, far from its 1,000-receive guard).
pub const RECHECK: Duration = Duration::from_secs(300);

/// One platform call's messages, to be counted against the cap.
#[derive(Debug, Clone, Copy)]
pub struct CapClaim<'a> {
    pub conversation: &'a ConversationId,
    /// When the customer last wrote (`last_heard_at`; 0 if never): a reply starts a new count.
    pub since: i64,
    /// The same for every attempt at this call, different for every other call.
    pub call: &'a str,
    /// How many platform messages the call sends (a Viber pay link is its text and a `url`
    /// message: two).
    pub messages: u32,
    /// Unix seconds.
    pub now: i64,
}

/// What the count said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapAnswer {
    /// Counted: send.
    Counted,
    /// This call was counted by an earlier attempt: send, and count nothing more.
    AlreadyCounted,
    /// Over the cap: not before `retry_at` (Unix seconds), unless the customer replies.
    Full { retry_at: i64 },
}

/// Where the sends of each conversation are counted, shared by every notify instance.
pub trait SendCounts: Send + Sync {
    /// Counts `claim.messages` against `cap` if they fit, in one conditional write.
    fn count(
        &self,
        cap: UnansweredCap,
        claim: &CapClaim<'_>,
    ) -> impl Future<Output = Result<CapAnswer, PortError>> + Send;
}

impl UnansweredCap {
    fn period(self) -> i64 {
        (self.per.as_secs() as i64).max(1)
    }

    /// The bucket `now` falls in.
    pub fn bucket(self, now: i64) -> i64 {
        now.div_euclid(self.period())
    }

    /// The messages a call counts: a call of more than the cap (never built, but a reply split
    /// into many parts must not wait forever) counts as the whole cap.
    pub fn messages(self, claim: &CapClaim<'_>) -> u32 {
        claim.messages.clamp(1, self.messages.max(1))
    }

    /// The most bucket `k`'s counter may hold before a call of `messages` is added.
    pub fn room(self, messages: u32) -> u32 {
        self.messages.saturating_sub(messages)
    }

    /// When a call refused in bucket `k` may go: at the start of `k + 1` if the next counter
    /// (what `k` sent, plus anything `k + 1` sent already) leaves room, else of `k + 2`.
    pub fn retry_at(self, now: i64, next_counter: u32, messages: u32) -> i64 {
        let next = self.bucket(now) + 1;
        let free = if next_counter <= self.room(messages) {
            next
        } else {
            next + 1
        };
        free * self.period()
    }

    /// Until when a counter item is worth keeping: the end of the next bucket, after which
    /// neither of the counters a call wrote is read again.
    pub fn expires_at(self, now: i64) -> i64 {
        (self.bucket(now) + 2) * self.period()
    }
}

/// The wait before notify looks at a deferred bundle again.
pub fn recheck_after(retry_at: i64, now: i64) -> Duration {
    Duration::from_secs(retry_at.saturating_sub(now).max(1) as u64).min(RECHECK)
}

/// The counts in memory, with the same buckets and the same answers as the DynamoDB adapter:
/// for tests and the local tools.
#[derive(Debug, Default)]
pub struct MemorySendCounts {
    epochs: Mutex<HashMap<(ConversationId, i64), Epoch>>,
}

#[derive(Debug, Default)]
struct Epoch {
    /// Counter of bucket `k`: sent in `k - 1` and `k`.
    counters: HashMap<i64, u32>,
    /// The last call counted.
    last_call: Option<String>,
}

impl MemorySendCounts {
    /// Messages counted in `conversation`'s epoch `since` within the bucket of `now` and the
    /// one before it.
    pub fn counted(
        &self,
        conversation: &ConversationId,
        since: i64,
        cap: UnansweredCap,
        now: i64,
    ) -> u32 {
        let epochs = self.epochs.lock().unwrap();
        epochs
            .get(&(conversation.clone(), since))
            .and_then(|e| e.counters.get(&cap.bucket(now)).copied())
            .unwrap_or(0)
    }
}

impl SendCounts for MemorySendCounts {
    async fn count(
        &self,
        cap: UnansweredCap,
        claim: &CapClaim<'_>,
    ) -> Result<CapAnswer, PortError> {
        let mut epochs = self.epochs.lock().unwrap();
        let epoch = epochs
            .entry((claim.conversation.clone(), claim.since))
            .or_default();
        if epoch.last_call.as_deref() == Some(claim.call) {
            return Ok(CapAnswer::AlreadyCounted);
        }
        let messages = cap.messages(claim);
        let k = cap.bucket(claim.now);
        let current = epoch.counters.get(&k).copied().unwrap_or(0);
        if current > cap.room(messages) {
            let next = epoch.counters.get(&(k + 1)).copied().unwrap_or(0);
            return Ok(CapAnswer::Full {
                retry_at: cap.retry_at(claim.now, next, messages),
            });
        }
        *epoch.counters.entry(k).or_default() += messages;
        *epoch.counters.entry(k + 1).or_default() += messages;
        epoch.last_call = Some(claim.call.to_string());
        Ok(CapAnswer::Counted)
    }
}

#[cfg(test)]
#[path = "send_cap_tests.rs"]
mod tests;
