//! Facts from the tz database (<https://www.iana.org/time-zones>: files `southamerica`,
//! `europe`, `northamerica`, `asia`) and CLDR 49 (<https://cldr.unicode.org>: each locale's
//! medium date, "jm" time and date-time glue patterns, and its `timeZoneNames`), as ICU4X 2.4's
//! compiled data carries them. CLDR puts a narrow no-break space (U+202F) before AM/PM.

use super::*;
use crate::time_zone::CustomerZone;

fn at(instant: &str) -> i64 {
    instant
        .parse::<Timestamp>()
        .expect("an instant")
        .as_second()
}

fn show(instant: &str, zone: &str, lang: Lang) -> String {
    let tz = TimeZone::get(zone).expect("a tz database zone");
    try_format_instant(at(instant), &tz, zone, lang).expect("formats")
}

#[test]
fn one_instant_in_sao_paulo_and_berlin_through_the_year() {
    // Brazil has kept UTC-3 all year since it abolished DST in 2019 (`southamerica`, Brazil
    // rules); Berlin is UTC+1 in winter and UTC+2 from the last Sunday of March to the last
    // Sunday of October (`europe`, EU rules).
    let winter = "2026-01-15T12:00:00Z";
    let summer = "2026-07-15T12:00:00Z";
    assert_eq!(
        show(winter, "America/Sao_Paulo", Lang::EN),
        "Jan 15, 2026, 9:00\u{202f}AM GMT-3"
    );
    assert_eq!(
        show(summer, "America/Sao_Paulo", Lang::EN),
        "Jul 15, 2026, 9:00\u{202f}AM GMT-3"
    );
    assert_eq!(
        show(winter, "Europe/Berlin", Lang::EN),
        "Jan 15, 2026, 1:00\u{202f}PM GMT+1"
    );
    assert_eq!(
        show(summer, "Europe/Berlin", Lang::EN),
        "Jul 15, 2026, 2:00\u{202f}PM GMT+2"
    );
}

#[test]
fn new_york_across_the_spring_change() {
    // US DST starts the second Sunday of March at 02:00 local (`northamerica`, US rules): on
    // 2026-03-08 the clock jumps from 01:59:59 EST to 03:00 EDT, at 07:00 UTC.
    assert_eq!(
        show("2026-03-08T06:30:00Z", "America/New_York", Lang::EN),
        "Mar 8, 2026, 1:30\u{202f}AM EST"
    );
    assert_eq!(
        show("2026-03-08T07:30:00Z", "America/New_York", Lang::EN),
        "Mar 8, 2026, 3:30\u{202f}AM EDT"
    );
    // ... and back on the first Sunday of November: 01:30 happens twice, told apart by name.
    assert_eq!(
        show("2026-11-01T05:30:00Z", "America/New_York", Lang::EN),
        "Nov 1, 2026, 1:30\u{202f}AM EDT"
    );
    assert_eq!(
        show("2026-11-01T06:30:00Z", "America/New_York", Lang::EN),
        "Nov 1, 2026, 1:30\u{202f}AM EST"
    );
}

#[test]
fn each_language_writes_the_same_instant_its_own_way() {
    let drop = "2026-12-01T10:00:00Z";
    // Japanese: year/month/day, a 24-hour clock, and JST, which its readers know.
    assert_eq!(show(drop, "Asia/Tokyo", Lang::JA), "2026/12/01 19:00 JST");
    // English readers do not commonly know JST, so CLDR gives them the GMT offset.
    assert_eq!(
        show(drop, "Asia/Tokyo", Lang::EN),
        "Dec 1, 2026, 7:00\u{202f}PM GMT+9"
    );
    // Brazilian Portuguese: day first, the month's abbreviation, 24-hour clock, and BRT.
    assert_eq!(
        show("2026-12-01T22:00:00Z", "America/Sao_Paulo", Lang::PT_BR),
        "1 de dez. de 2026, 19:00 BRT"
    );
    // Indonesian: a dot between hours and minutes, and WIB (Waktu Indonesia Barat).
    assert_eq!(
        show(drop, "Asia/Jakarta", Lang::ID),
        "1 Des 2026, 17.00 WIB"
    );
}

#[test]
fn a_customer_zone_formats_in_its_own_clock() {
    let starts = at("2026-12-01T10:00:00Z");
    let zone = CustomerZone::resolve(Some("+66 81 234 5678"), Some("Asia/Tokyo"), starts);
    assert_eq!(
        zone.format(starts, Lang::EN),
        "Dec 1, 2026, 5:00\u{202f}PM GMT+7"
    );
    let utc = CustomerZone::resolve(None, None, starts);
    assert_eq!(
        utc.format(starts, Lang::EN),
        "Dec 1, 2026, 10:00\u{202f}AM UTC"
    );
}

#[test]
fn every_shipped_language_formats_with_its_own_data() {
    let starts = at("2026-12-01T10:00:00Z");
    let tokyo = TimeZone::get("Asia/Tokyo").expect("zone");
    let texts: Vec<String> = Lang::SHIPPED
        .iter()
        .map(|lang| try_format_instant(starts, &tokyo, "Asia/Tokyo", *lang).expect("formats"))
        .collect();
    // Each names the hour 19 (or 7 PM); no two languages write it the same way.
    for text in &texts {
        assert!(text.contains("19") || text.contains('7'), "{text}");
    }
    let mut distinct = texts.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), texts.len(), "{texts:?}");
}

#[test]
fn an_instant_beyond_the_calendar_is_still_shown() {
    let text = format_instant(i64::MAX, &TimeZone::UTC, "UTC", Lang::EN);
    assert_eq!(text, format!("@{}", i64::MAX));
}
