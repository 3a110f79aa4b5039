//! How fast a campaign may go out on each platform, and how much of it a platform takes in a
//! day or a month.
//!
//! Two kinds of limits, modelled apart:
//!
//! - **Throughput** (messages a second): a [`TokenBucket`] per channel, refilled at the
//!   platform's published pace ([`ChannelSpec::default_rate`](crate::channel_spec::ChannelSpec),
//!   the same figures notify paces by: WhatsApp 80/s, Telegram 30/s across chats, LINE's
//!   2,000 requests/s, SMS 1 segment/s per long code). The fan-out takes a token per message it
//!   queues, so it never piles up more than notify can send in a burst; notify's shared
//!   one-second window (`SendThrottle`) still guards the platform itself across instances.
//!   A LINE multicast is one request for many friends
//!   ([`crate::campaign_fanout::MULTICAST_MEMBERS`]), so LINE's bucket counts requests, not
//!   people.
//! - **Budgets** (messages a period): WhatsApp's messaging limit counts unique customers
//!   reached outside a service window per rolling 24 h across the business portfolio (250,
//!   2,000, 10,000, 100,000 or unlimited,
//!   <https://developers.facebook.com/docs/whatsapp/messaging-limits>); LINE's monthly message
//!   quota (`GET /v2/bot/message/quota`,
//!   <https://developers.line.biz/en/reference/messaging-api/#get-quota>) counts each friend a
//!   multicast reaches. A recipient past a budget is not suppressed: they wait for the next
//!   run ([`Budget::take`] says no), so raising the tier or the plan resumes the campaign.
//!   Which budgets apply and how they are counted is [`crate::campaign_budget`]'s.

use crate::channel::Channel;

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    /// Milliseconds of the last refill.
    at_ms: i64,
}

impl TokenBucket {
    /// A full bucket at `now_ms`; `burst` is one second's worth (at least one token).
    pub fn new(per_second: u32, now_ms: i64) -> TokenBucket {
        let rate = f64::from(per_second.max(1));
        TokenBucket {
            rate,
            burst: rate,
            tokens: rate,
            at_ms: now_ms,
        }
    }

    fn refill(&mut self, now_ms: i64) {
        let elapsed = (now_ms - self.at_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at_ms = self.at_ms.max(now_ms);
    }

    /// Takes `n` tokens (`n` ≤ burst), or says how many milliseconds until they are there.
    pub fn take(&mut self, n: u32, now_ms: i64) -> Result<(), i64> {
        self.refill(now_ms);
        let n = f64::from(n).min(self.burst);
        if self.tokens >= n {
            self.tokens -= n;
            Ok(())
        } else {
            Err((((n - self.tokens) / self.rate) * 1000.0).ceil() as i64)
        }
    }
}

/// A period's allowance: `None` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub remaining: Option<u64>,
}

impl Budget {
    pub const UNLIMITED: Budget = Budget { remaining: None };

    /// Takes `n` if they fit.
    pub fn take(&mut self, n: u64) -> bool {
        match &mut self.remaining {
            None => true,
            Some(left) if *left >= n => {
                *left -= n;
                true
            }
            Some(_) => false,
        }
    }
}

/// The most user ids one LINE multicast takes
/// (<https://developers.line.biz/en/reference/messaging-api/#send-multicast-message>). The
/// fan-out sends fewer a request ([`crate::campaign_fanout::MULTICAST_MEMBERS`]), so that
/// claiming them all is one DynamoDB transaction.
pub const LINE_MULTICAST_MAX: usize = 500;

/// The fan-out's throughput per channel (messages a second; LINE: requests a second).
pub fn per_second(channel: Channel) -> u32 {
    channel.spec().default_rate.per_second
}

#[cfg(test)]
#[path = "campaign_pace_tests.rs"]
mod tests;
