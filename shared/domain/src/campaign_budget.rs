//! How many announcements a channel may take in a period: the budgets a campaign's fan-out
//! spends before it sends.
//!
//! Two platforms limit volume, not only pace:
//!
//! - **WhatsApp**'s messaging limit: business-initiated messages to unique customers outside a
//!   customer-service window, per rolling 24 hours, across the business portfolio (250, 2,000,
//!   10,000, 100,000 or unlimited; <https://developers.facebook.com/docs/whatsapp/messaging-limits>).
//!   A marketing template to a customer who wrote within 24 hours opens no new conversation
//!   and does not count.
//! - **LINE**'s monthly message quota: every friend a push or multicast reaches counts
//!   (<https://developers.line.biz/en/docs/messaging-api/pricing/>); a Light plan in Japan has
//!   5,000 a month.
//!
//! Ops give the fan-out a budget per channel in `CHATDROP_CAMPAIGN_BUDGETS`
//! (`whatsapp=2000/24h,line=4000/month`): the portfolio's tier, or the share of LINE's plan
//! campaigns may use (order updates need the rest). The fan-out counts what it spends in hourly
//! buckets in the store ([`crate::campaign_fanout::CampaignStore::use_budget`]), each run
//! starts with what is left of the period ([`remaining`]), and a recipient past the budget is
//! not suppressed: they stay pending and go in a later run, when the period has room again.
//!
//! Counted when the fan-out decides to send, before the claim: a crash after counting and
//! before sending counts one send that never went, never the other way round. Two runs that
//! overlap (the sweep runs once a minute, each under a minute) could each spend what one saw
//! left; the platform then refuses the excess, which the report shows.

use crate::campaign::Recipient;
use crate::campaign_pace::Budget;
use crate::channel::Channel;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The period a budget covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetPeriod {
    /// The last 24 hours, whole hours (WhatsApp's rolling window).
    Rolling24h,
    /// The calendar month, in UTC (LINE counts its quota per calendar month).
    Month,
}

/// A channel's budget: at most `limit` announcements per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelBudget {
    pub channel: Channel,
    pub limit: u64,
    pub period: BudgetPeriod,
}

/// The hour bucket (hours since the Unix epoch) an instant falls in.
pub fn hour_of(at: i64) -> i64 {
    at.div_euclid(3600)
}

impl ChannelBudget {
    /// The first hour bucket of the period that contains `now`.
    pub fn first_hour(&self, now: i64) -> i64 {
        match self.period {
            BudgetPeriod::Rolling24h => hour_of(now) - 23,
            BudgetPeriod::Month => {
                // Back from today to the 1st, in whole days.
                let day_of_month = Timestamp::from_second(now)
                    .map(|t| i64::from(t.to_zoned_datetime(TimeZone::UTC).date().day()))
                    .unwrap_or(1);
                (now.div_euclid(86_400) - (day_of_month - 1)) * 24
            }
        }
    }
}

/// Whether a send to `r` at `now` counts against its channel's budget: on WhatsApp only
/// outside the customer-service window (24 h since the customer last wrote); on every other
/// channel, always.
pub fn counts(r: &Recipient, now: i64) -> bool {
    always_counts(r.conversation.channel) || r.last_heard_at.is_none_or(|at| now - at >= 24 * 3600)
}

/// Whether every send on `channel` counts, whoever gets it (all but WhatsApp).
pub fn always_counts(channel: Channel) -> bool {
    channel != Channel::Whatsapp
}

/// What is left of `budget` once `used` were spent in its period.
pub fn remaining(budget: &ChannelBudget, used: u64) -> Budget {
    Budget {
        remaining: Some(budget.limit.saturating_sub(used)),
    }
}

/// Reads `CHATDROP_CAMPAIGN_BUDGETS`: `channel=limit/period` pairs separated by commas, the
/// period `24h` or `month`; WhatsApp's tier may be written as it is named (`2k`, `100k`).
pub fn parse(value: &str) -> Result<Vec<ChannelBudget>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, rest) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not channel=limit/period"))?;
            let channel = Channel::parse(name.trim())
                .ok_or_else(|| format!("unknown channel `{}`", name.trim()))?;
            let (limit, period) = rest
                .split_once('/')
                .ok_or_else(|| format!("`{pair}` has no period (`/24h` or `/month`)"))?;
            let limit = parse_limit(limit.trim())
                .ok_or_else(|| format!("`{}` is not a number of messages", limit.trim()))?;
            let period = match period.trim() {
                "24h" => BudgetPeriod::Rolling24h,
                "month" => BudgetPeriod::Month,
                other => return Err(format!("`{other}` is not a period (`24h` or `month`)")),
            };
            Ok(ChannelBudget {
                channel,
                limit,
                period,
            })
        })
        .collect()
}

fn parse_limit(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    match lower.strip_suffix('k') {
        Some(thousands) => thousands.parse::<u64>().ok()?.checked_mul(1000),
        None => lower.parse().ok(),
    }
}

#[cfg(test)]
#[path = "campaign_budget_tests.rs"]
mod tests;
