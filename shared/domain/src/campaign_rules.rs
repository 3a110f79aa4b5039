//! Whether one recipient of a campaign gets the announcement now, later, or not at all, and
//! why: pure functions, so every rule is a unit test and the report can name each reason.
//!
//! [`decide`] applies, in this order (the first that says no decides the reason):
//!
//! 1. **consent** ([`consent`]): announcements are opt-in only; a customer who never opted in,
//!    or opted out on any channel linked to them since, is suppressed (`not_opted_in`,
//!    `opted_out`); a closed channel (SMS STOP, LINE unfollow, a Telegram block) is
//!    `unreachable`;
//! 2. **the platform's form** ([`channel_rule`]): no message for the channel (`no_message`),
//!    a WhatsApp marketing template to a +1 number (`plus_one_number`), a Telegram user who
//!    never started the bot (`not_started`), Messenger outside the 24-hour window
//!    (`no_window`), KakaoTalk (`no_sanctioned_form`);
//! 3. **quiet hours** ([`quiet_hours`]) on the customer's own clock (default 08:00 to 20:00,
//!    the stricter of the US federal 8–21 and Florida's 8–20 for telephone solicitation,
//!    47 CFR § 64.1200(c)(1) <https://www.ecfr.gov/current/title-47/part-64/section-64.1200>,
//!    Florida § 501.616(6) <https://flsenate.gov/Session/Bill/2021/1120/BillText/Filed/HTML>):
//!    *deferred* to the next allowed minute, never dropped;
//! 4. **the per-customer cap** ([`within_cap`], default 2 announcements a week per retailer)
//!    and on SMS at most 3 a day on one subject (the drop; Florida's rule above).
//!
//! Caps are counted in fixed buckets (a week from Monday 00:00 UTC, a day on the customer's
//! clock), because a bucket's counter can be taken with one conditional increment in DynamoDB
//! ("add 1 if below the cap"): two campaigns racing for one customer's last slot cannot both
//! win. A rolling week would need a read of the customer's history and then a write.

use crate::campaign::{Campaign, Recipient};
use crate::channel::Channel;
use crate::consent::Standing;
use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Why a recipient was not sent to: the report counts each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    NotOptedIn,
    OptedOut,
    Unreachable,
    NoMessage,
    PlusOneNumber,
    NotStarted,
    NoWindow,
    NoSanctionedForm,
    Cap,
    SmsDailyCap,
    WechatMonthlyQuota,
    /// The platform refused the message for good (a permanent error code, WhatsApp 131049
    /// after its back-offs).
    PlatformRefused,
}

impl Suppression {
    pub const ALL: [Suppression; 12] = [
        Suppression::NotOptedIn,
        Suppression::OptedOut,
        Suppression::Unreachable,
        Suppression::NoMessage,
        Suppression::PlusOneNumber,
        Suppression::NotStarted,
        Suppression::NoWindow,
        Suppression::NoSanctionedForm,
        Suppression::Cap,
        Suppression::SmsDailyCap,
        Suppression::WechatMonthlyQuota,
        Suppression::PlatformRefused,
    ];

    /// The reason code in reports and stored send records.
    pub fn code(self) -> &'static str {
        match self {
            Suppression::NotOptedIn => "not_opted_in",
            Suppression::OptedOut => "opted_out",
            Suppression::Unreachable => "unreachable",
            Suppression::NoMessage => "no_message",
            Suppression::PlusOneNumber => "plus_one_number",
            Suppression::NotStarted => "not_started",
            Suppression::NoWindow => "no_window",
            Suppression::NoSanctionedForm => "no_sanctioned_form",
            Suppression::Cap => "cap",
            Suppression::SmsDailyCap => "sms_daily_cap",
            Suppression::WechatMonthlyQuota => "wechat_monthly_quota",
            Suppression::PlatformRefused => "platform_refused",
        }
    }

    pub fn parse(code: &str) -> Option<Suppression> {
        Suppression::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The rules' settings, per retailer (one deployment is one retailer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLimits {
    /// Announcements one customer may get a week.
    pub per_week: u32,
    /// Local hour from which announcements may go out.
    pub quiet_until_hour: i8,
    /// Local hour from which they may not.
    pub quiet_from_hour: i8,
    /// SMS on one subject (one drop) a day.
    pub sms_per_day: u32,
}

impl Default for CampaignLimits {
    fn default() -> Self {
        CampaignLimits {
            per_week: 2,
            quiet_until_hour: 8,
            quiet_from_hour: 20,
            sms_per_day: 3,
        }
    }
}

/// What becomes of one recipient at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send now, after taking the caps' counters (the store may still answer `Cap`).
    Send,
    /// Quiet hours on the customer's clock: try again at `until` (Unix seconds).
    Defer {
        until: i64,
    },
    Suppress(Suppression),
}

/// The platforms' customer-service window on Messenger: standard messages only within 24 h of
/// the customer's last message
/// (<https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/>).
pub const MESSENGER_WINDOW_SECS: i64 = 24 * 3600;

/// Consent: only opted-in, reachable customers.
pub fn consent(r: &Recipient) -> Result<(), Suppression> {
    if r.unreachable {
        return Err(Suppression::Unreachable);
    }
    match &r.consent {
        s if s.may_announce() => Ok(()),
        Standing::NeverAsked => Err(Suppression::NotOptedIn),
        _ => Err(Suppression::OptedOut),
    }
}

/// The platform's own rules for a promotion to this recipient.
pub fn channel_rule(campaign: &Campaign, r: &Recipient, now: i64) -> Result<(), Suppression> {
    let channel = r.conversation.channel;
    if channel == Channel::Kakao {
        return Err(Suppression::NoSanctionedForm);
    }
    if !campaign.messages.contains_key(&channel) {
        return Err(Suppression::NoMessage);
    }
    match channel {
        // wa_id is the number in international form without "+": "1…" is the NANP (US,
        // Canada and the Caribbean), where Meta delivers no marketing templates.
        Channel::Whatsapp
            if r.conversation
                .customer
                .trim_start_matches('+')
                .starts_with('1') =>
        {
            Err(Suppression::PlusOneNumber)
        }
        // A Telegram user who never wrote has not started the bot: it may not write first.
        Channel::Telegram if r.last_heard_at.is_none() => Err(Suppression::NotStarted),
        Channel::Messenger
            if r.last_heard_at
                .is_none_or(|t| now.saturating_sub(t) >= MESSENGER_WINDOW_SECS) =>
        {
            Err(Suppression::NoWindow)
        }
        _ => Ok(()),
    }
}

/// Quiet hours on the clock of `zone` (IANA; an unknown zone counts as UTC): `Err(until)` with
/// the next instant announcements may go out when `now` is inside them.
pub fn quiet_hours(zone: &str, now: i64, limits: &CampaignLimits) -> Result<(), i64> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let Ok(instant) = Timestamp::from_second(now) else {
        return Ok(());
    };
    let local = instant.to_zoned_datetime(tz.clone());
    let hour = local.hour();
    if hour >= limits.quiet_until_hour && hour < limits.quiet_from_hour {
        return Ok(());
    }
    let opens = Time::constant(limits.quiet_until_hour, 0, 0, 0);
    let day = if hour < limits.quiet_until_hour {
        local.date()
    } else {
        match local.date().tomorrow() {
            Ok(d) => d,
            Err(_) => return Ok(()),
        }
    };
    // `to_zoned` resolves a clock time a DST change skips to the later side: still outside the
    // quiet hours, never before them.
    let until = day
        .to_datetime(opens)
        .to_zoned_datetime(tz)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(now + 3600);
    Err(until)
}

/// Whether a counter already at `count` leaves room under `cap`.
pub fn within_cap(count: u32, cap: u32) -> bool {
    count < cap
}

/// The week bucket a per-customer cap counts in: weeks from Monday 00:00 UTC (the Unix epoch
/// was a Thursday, hence the three days).
pub fn week_bucket(now: i64) -> i64 {
    (now + 3 * 86_400).div_euclid(7 * 86_400)
}

/// The day bucket of the SMS cap on the customer's clock: `2026-12-04`.
pub fn local_day(zone: &str, now: i64) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    Timestamp::from_second(now)
        .map(|t| t.to_zoned_datetime(tz).date().to_string())
        .unwrap_or_default()
}

/// A WeChat service account's mass sends this calendar month leave room for one more.
pub const WECHAT_MASS_SENDS_PER_MONTH: u32 = 4;

/// The month a WeChat mass send counts in (China Standard Time, the platform's clock).
pub fn wechat_month(now: i64) -> String {
    let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
    Timestamp::from_second(now)
        .map(|t| {
            let d = t.to_zoned_datetime(tz).date();
            format!("{:04}-{:02}", d.year(), d.month())
        })
        .unwrap_or_default()
}

/// Everything but the counters: what the fan-out checks before taking a cap slot.
pub fn decide(campaign: &Campaign, r: &Recipient, now: i64) -> Decision {
    if let Err(s) = consent(r).and_then(|()| channel_rule(campaign, r, now)) {
        return Decision::Suppress(s);
    }
    match quiet_hours(&r.zone, now, &campaign.limits) {
        Ok(()) => Decision::Send,
        Err(until) => Decision::Defer { until },
    }
}

/// What a platform's refusal of one announcement means for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Try again no sooner than this many seconds from now; never at once.
    BackOff { secs: i64 },
    /// Never again in this campaign.
    Final(Suppression),
}

/// WhatsApp's 131049 ("not delivered to maintain healthy ecosystem engagement", the per-user
/// marketing limit) must not be retried at once: back off 6 h, doubling, and give up after
/// the third (<https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates#per-user-marketing-template-message-limits>).
/// 131050 (stopped marketing), Twilio 21610 (STOP) and Telegram's 403 (blocked) close the door.
pub fn refusal(channel: Channel, code: i64, attempts: u32) -> Refusal {
    match (channel, code) {
        (Channel::Whatsapp, 131049) if attempts < 3 => Refusal::BackOff {
            secs: 6 * 3600 * (1 << attempts),
        },
        (Channel::Whatsapp, 131050) | (Channel::Sms, 21610) => {
            Refusal::Final(Suppression::OptedOut)
        }
        (Channel::Telegram, 403) => Refusal::Final(Suppression::Unreachable),
        _ => Refusal::Final(Suppression::PlatformRefused),
    }
}

#[cfg(test)]
#[path = "campaign_rules_tests.rs"]
mod tests;
