use super::*;
use crate::campaign::tests::{campaign, recipient};
use crate::consent::{ConsentChange, ConsentSource, Scope, Wish};

/// 2026-12-04 12:00 UTC, a Friday.
const NOON: i64 = 1_796_385_600;

fn in_zone(channel: Channel, customer: &str, zone: &str) -> Recipient {
    let mut r = recipient(channel, customer);
    r.zone = zone.into();
    r.last_heard_at = Some(NOON - 3600);
    r
}

#[test]
fn noon_is_what_we_think() {
    assert_eq!(
        jiff::Timestamp::from_second(NOON).unwrap().to_string(),
        "2026-12-04T12:00:00Z"
    );
}

#[test]
fn only_opted_in_customers() {
    let mut r = in_zone(Channel::Telegram, "42", "UTC");
    assert_eq!(consent(&r), Ok(()));
    r.consent = Standing::NeverAsked;
    assert_eq!(consent(&r), Err(Suppression::NotOptedIn));
    r.consent = Standing::Latest(ConsentChange {
        wish: Wish::OptOut,
        scope: Scope::Announcements,
        at: 5,
        source: ConsentSource::Keyword {
            word: "stop".into(),
        },
        event: "e".into(),
    });
    assert_eq!(consent(&r), Err(Suppression::OptedOut));
    assert_eq!(
        decide(&campaign(), &r, NOON),
        Decision::Suppress(Suppression::OptedOut)
    );
}

#[test]
fn a_closed_channel_is_unreachable_whatever_the_consent() {
    let mut r = in_zone(Channel::Sms, "+447700900123", "Europe/London");
    r.unreachable = true;
    assert_eq!(
        decide(&campaign(), &r, NOON),
        Decision::Suppress(Suppression::Unreachable)
    );
}

#[test]
fn whatsapp_marketing_never_goes_to_plus_one_numbers() {
    let c = campaign();
    let us = in_zone(Channel::Whatsapp, "14155550100", "UTC");
    assert_eq!(
        decide(&c, &us, NOON),
        Decision::Suppress(Suppression::PlusOneNumber)
    );
    let br = in_zone(Channel::Whatsapp, "5511987654321", "UTC");
    assert_eq!(decide(&c, &br, NOON), Decision::Send);
}

#[test]
fn telegram_only_to_users_who_started_the_bot() {
    let mut r = in_zone(Channel::Telegram, "42", "UTC");
    r.last_heard_at = None;
    assert_eq!(
        decide(&campaign(), &r, NOON),
        Decision::Suppress(Suppression::NotStarted)
    );
}

#[test]
fn messenger_only_inside_the_window() {
    let c = campaign();
    let mut r = in_zone(Channel::Messenger, "psid", "UTC");
    assert_eq!(decide(&c, &r, NOON), Decision::Send);
    r.last_heard_at = Some(NOON - MESSENGER_WINDOW_SECS);
    assert_eq!(
        decide(&c, &r, NOON),
        Decision::Suppress(Suppression::NoWindow)
    );
    r.last_heard_at = None;
    assert_eq!(
        decide(&c, &r, NOON),
        Decision::Suppress(Suppression::NoWindow)
    );
}

#[test]
fn a_channel_without_a_message_and_kakao_are_suppressed() {
    let c = campaign();
    let viber = in_zone(Channel::Viber, "v", "UTC");
    assert_eq!(
        decide(&c, &viber, NOON),
        Decision::Suppress(Suppression::NoMessage)
    );
    let kakao = in_zone(Channel::Kakao, "k", "UTC");
    assert_eq!(
        decide(&c, &kakao, NOON),
        Decision::Suppress(Suppression::NoSanctionedForm)
    );
}

#[test]
fn quiet_hours_defer_to_the_next_morning_on_the_customers_clock() {
    let limits = CampaignLimits::default();
    // Noon UTC is 21:00 in Tokyo: deferred to 08:00 JST the next day (23:00 UTC).
    assert_eq!(
        quiet_hours("Asia/Tokyo", NOON, &limits),
        Err(NOON + 11 * 3600)
    );
    // And 07:00 in São Paulo (UTC-3 in December... São Paulo has no DST since 2019: 09:00).
    assert_eq!(quiet_hours("America/Sao_Paulo", NOON, &limits), Ok(()));
    // 04:00 in Los Angeles: deferred to 08:00 the same day.
    assert_eq!(
        quiet_hours("America/Los_Angeles", NOON, &limits),
        Err(NOON + 4 * 3600)
    );
    // 20:00 exactly is already quiet; 19:59 is not.
    assert!(quiet_hours("UTC", NOON + 8 * 3600, &limits).is_err());
    assert!(quiet_hours("UTC", NOON + 8 * 3600 - 60, &limits).is_ok());
    // An unknown zone counts as UTC.
    assert_eq!(quiet_hours("Mars/Olympus", NOON, &limits), Ok(()));
}

#[test]
fn quiet_hours_are_deferred_not_dropped() {
    let r = in_zone(Channel::Line, "U1", "Asia/Tokyo");
    assert_eq!(
        decide(&campaign(), &r, NOON),
        Decision::Defer {
            until: NOON + 11 * 3600
        }
    );
    // At the deferred time it goes.
    assert_eq!(decide(&campaign(), &r, NOON + 11 * 3600), Decision::Send);
}

#[test]
fn quiet_hours_over_a_dst_change_land_inside_the_allowed_hours() {
    // 2026-03-08 is the US spring-forward day; 22:00 local on the 7th defers to 08:00 PDT.
    let limits = CampaignLimits::default();
    let evening = jiff::civil::date(2026, 3, 7)
        .at(22, 0, 0, 0)
        .to_zoned_datetime(TimeZone::get("America/Los_Angeles").unwrap())
        .unwrap()
        .timestamp()
        .as_second();
    let until = quiet_hours("America/Los_Angeles", evening, &limits).unwrap_err();
    assert_eq!(
        until - evening,
        9 * 3600,
        "a 23-hour night: 10 h of clock, 9 h of time"
    );
    assert_eq!(quiet_hours("America/Los_Angeles", until, &limits), Ok(()));
}

#[test]
fn caps_and_buckets() {
    assert!(within_cap(0, 2) && within_cap(1, 2) && !within_cap(2, 2));
    // Monday 2026-11-30 00:00 UTC starts the week NOON (Friday) is in.
    let monday = NOON - 4 * 86_400 - 12 * 3600;
    assert_eq!(week_bucket(monday), week_bucket(NOON));
    assert_eq!(week_bucket(monday - 1) + 1, week_bucket(monday));
    assert_eq!(local_day("Asia/Tokyo", NOON), "2026-12-04");
    assert_eq!(local_day("Asia/Tokyo", NOON + 3 * 3600), "2026-12-05");
    assert_eq!(wechat_month(NOON), "2026-12");
}

#[test]
fn whatsapp_131049_backs_off_and_never_retries_at_once() {
    assert_eq!(
        refusal(Channel::Whatsapp, 131049, 0),
        Refusal::BackOff { secs: 6 * 3600 }
    );
    assert_eq!(
        refusal(Channel::Whatsapp, 131049, 1),
        Refusal::BackOff { secs: 12 * 3600 }
    );
    assert_eq!(
        refusal(Channel::Whatsapp, 131049, 3),
        Refusal::Final(Suppression::PlatformRefused)
    );
    assert_eq!(
        refusal(Channel::Whatsapp, 131050, 0),
        Refusal::Final(Suppression::OptedOut)
    );
    assert_eq!(
        refusal(Channel::Sms, 21610, 0),
        Refusal::Final(Suppression::OptedOut)
    );
    assert_eq!(
        refusal(Channel::Telegram, 403, 0),
        Refusal::Final(Suppression::Unreachable)
    );
}

#[test]
fn reason_codes_round_trip() {
    for s in Suppression::ALL {
        assert_eq!(Suppression::parse(s.code()), Some(s));
    }
}
