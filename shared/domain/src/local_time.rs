//! Times as a customer reads them: on their clock, in their language's format.
//!
//! "The drop opens 2026-12-01 10:00 UTC" makes every customer do arithmetic. A Tokyo customer
//! should read `2026/12/01 19:00 JST`, a New Yorker `Dec 1, 2026, 5:00 AM EST`, a Paulista
//! `1 de dez. de 2026 07:00 BRT`. Two separate questions make that:
//!
//! - **Which clock**: [`CustomerZone`](crate::time_zone::CustomerZone) picks the customer's time
//!   zone (phone's country, else market, else UTC), and [`jiff`] turns the instant into that
//!   zone's wall-clock time with the tz database's daylight-saving rules.
//! - **Which format**: the Unicode CLDR says how each language writes a date and time (order
//!   of day and month, month names, 12- or 24-hour clock). ICU4X's `icu_datetime`, with its
//!   compiled CLDR data, formats the wall-clock time in the customer's [`Lang`]: CLDR's *medium*
//!   date with hours and minutes (`Dec 1, 2026, 7:00 PM`). Medium, not long: the long forms
//!   join date and time with a word (`December 1, 2026 at 7:00 PM`, `às`, `a las`, `pukul`)
//!   that collides with the preposition the message around it already has ("opens at …").
//!
//! The zone is shown as CLDR's *specific short* name (pattern letter `z`): the abbreviation a
//! locale's readers commonly use, where CLDR records one (`EST`/`EDT` for English, `JST` for
//! Japanese), otherwise the localized GMT offset (`GMT+9`, `GMT-3`), which every locale can
//! read. It is short enough for a chat line, tells summer from winter time where readers know
//! the difference, and never shows a name a reader would not recognise (English readers get
//! `GMT+9`, not `JST`). Generic names ("Japan Time") were the alternative: longer, and vague
//! across a DST change.
//!
//! The calendar is always Gregorian, whatever the locale's default (Thai defaults to the
//! Buddhist era): the retailer announces drops in Gregorian dates, and one calendar keeps the
//! formatter and its data small.
//!
//! Sources: CLDR date/time patterns and zone formats, <https://unicode.org/reports/tr35/tr35-dates.html>
//! (sections "Date Format Patterns" and "Time Zone Format Terminology"); ICU4X,
//! <https://docs.rs/icu_datetime/2>; jiff, <https://docs.rs/jiff/1>.

use crate::lang::Lang;
use icu_calendar::Gregorian;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{self, zone::SpecificShort};
use icu_datetime::input::{Date, Time, TimeZone as IcuZone, UtcOffset, ZonedDateTime};
use icu_datetime::options::TimePrecision;
use icu_locale_core::Locale;
use icu_time::zone::ZoneNameTimestamp;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Why a time could not be put in a customer's format (the caller then shows ISO 8601).
#[derive(Debug, thiserror::Error)]
pub enum LocalTimeError {
    #[error("{0} is outside the times jiff represents")]
    OutOfRange(i64),
    #[error("`{0}` is not a locale ICU4X reads")]
    Locale(String),
    #[error("no date/time format data: {0}")]
    Data(#[from] icu_datetime::DateTimeFormatterLoadError),
    #[error("wall-clock time out of ICU4X's range: {0}")]
    Range(String),
}

/// `unix` (seconds) on the clock of `zone`, written the way `lang` writes dates and times,
/// with the zone's short name: `2026/12/01 19:00 JST`, `Dec 1, 2026, 7:00 PM GMT+9`.
///
/// Never fails: if the locale format cannot be built, the time is still shown correctly, in
/// ISO 8601 with the offset (`2026-12-01 19:00 +09:00`).
pub fn format_instant(unix: i64, zone: &TimeZone, zone_name: &str, lang: Lang) -> String {
    match try_format_instant(unix, zone, zone_name, lang) {
        Ok(text) => text,
        Err(e) => {
            tracing::warn!(error = %e, lang = lang.code(), "locale time format failed");
            Timestamp::from_second(unix)
                .map(|t| {
                    t.to_zoned_datetime(zone.clone())
                        .strftime("%Y-%m-%d %H:%M %:z")
                        .to_string()
                })
                .unwrap_or_else(|_| format!("@{unix}"))
        }
    }
}

/// [`format_instant`], with its errors.
pub fn try_format_instant(
    unix: i64,
    zone: &TimeZone,
    zone_name: &str,
    lang: Lang,
) -> Result<String, LocalTimeError> {
    let zoned = Timestamp::from_second(unix)
        .map_err(|_| LocalTimeError::OutOfRange(unix))?
        .to_zoned_datetime(zone.clone());
    let wall = zoned.datetime();
    let range = |e: &dyn std::fmt::Display| LocalTimeError::Range(e.to_string());
    // jiff's civil fields are never negative (months and days from 1), and both libraries
    // count years astronomically, so the fields carry over as they are.
    let date = Date::try_new_gregorian(
        i32::from(wall.year()),
        wall.month().unsigned_abs(),
        wall.day().unsigned_abs(),
    )
    .map_err(|e| range(&e))?;
    let time = Time::try_new(
        wall.hour().unsigned_abs(),
        wall.minute().unsigned_abs(),
        wall.second().unsigned_abs(),
        0,
    )
    .map_err(|e| range(&e))?;
    let offset = UtcOffset::try_from_seconds(zoned.offset().seconds()).map_err(|e| range(&e))?;
    // ICU4X names a zone by its BCP 47 id, mapped from the IANA name; the offset and instant
    // pick standard or daylight names, and a zone ICU4X does not know shows as `GMT+x`.
    let zone = IcuZone::from_iana_id(zone_name)
        .with_offset(Some(offset))
        .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(unix));
    let formatter = formatter(lang)?;
    Ok(formatter
        .format(&ZonedDateTime { date, time, zone })
        .to_string())
}

type Formatter =
    FixedCalendarDateTimeFormatter<Gregorian, fieldsets::Combo<fieldsets::YMDT, SpecificShort>>;

/// The CLDR formatter for a language: medium date, hours and minutes, short zone name.
fn formatter(lang: Lang) -> Result<Formatter, LocalTimeError> {
    let locale = Locale::try_from_str(lang.code())
        .map_err(|_| LocalTimeError::Locale(lang.code().to_string()))?;
    let fields = fieldsets::YMDT::medium()
        .with_time_precision(TimePrecision::Minute)
        .with_zone(SpecificShort);
    Ok(Formatter::try_new(locale.into(), fields)?)
}

#[cfg(test)]
#[path = "local_time_tests.rs"]
mod tests;
