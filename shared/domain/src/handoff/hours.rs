//! The retailer's business hours, and when a customer handed to a person may expect an answer.
//!
//! `[support] hours = "Mon-Fri 09:00-18:00, Sat 10:00-14:00"` in the catalog: stretches of
//! weekdays (a range may wrap the week, `Sat-Mon`; days join with `+`), each with one opening
//! and one closing time on the retailer's clock. Inside them a customer is told "within a few
//! minutes"; outside them, the next opening ([`expect_answer`]), which the parent module
//! ([`super::expectation_text`]) puts on the customer's own clock. The text form is also the
//! stored form: [`BusinessHours`] reads and prints it back, so the catalog round-trips.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Opening hours by weekday: `Mon-Fri 09:00-18:00, Sat 10:00-14:00`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BusinessHours(Vec<Span>);

/// One stretch: these weekdays (Monday = 0), from `open` to `close` minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    days: [bool; 7],
    open: u16,
    close: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not business hours: write weekdays and times like `Mon-Fri 09:00-18:00, Sat 10:00-14:00`"
)]
pub struct BadHours(pub String);

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter().position(|d| s.starts_with(d) && s.len() >= 3)
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl FromStr for BusinessHours {
    type Err = BadHours;

    fn from_str(text: &str) -> Result<Self, BadHours> {
        let bad = || BadHours(text.to_string());
        let mut spans = Vec::new();
        for part in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (days_text, times) = part.split_once(' ').ok_or_else(bad)?;
            let mut days = [false; 7];
            for d in days_text.split('+') {
                match d.split_once('-') {
                    Some((from, to)) => {
                        let (from, to) = (day(from).ok_or_else(bad)?, day(to).ok_or_else(bad)?);
                        // A range may wrap the week: `Sat-Mon`.
                        let mut i = from;
                        loop {
                            days[i] = true;
                            if i == to {
                                break;
                            }
                            i = (i + 1) % 7;
                        }
                    }
                    None => days[day(d).ok_or_else(bad)?] = true,
                }
            }
            let (open, close) = times.split_once('-').ok_or_else(bad)?;
            let (open, close) = (
                minutes(open).ok_or_else(bad)?,
                minutes(close).ok_or_else(bad)?,
            );
            if open >= close {
                return Err(bad());
            }
            spans.push(Span { days, open, close });
        }
        if spans.is_empty() {
            return Err(bad());
        }
        Ok(BusinessHours(spans))
    }
}

impl TryFrom<String> for BusinessHours {
    type Error = BadHours;
    fn try_from(s: String) -> Result<Self, BadHours> {
        s.parse()
    }
}

impl From<BusinessHours> for String {
    fn from(h: BusinessHours) -> String {
        h.to_string()
    }
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| {
                let days: Vec<&str> = (0..7)
                    .filter(|&i| s.days[i])
                    .map(|i| match DAYS[i] {
                        "mon" => "Mon",
                        "tue" => "Tue",
                        "wed" => "Wed",
                        "thu" => "Thu",
                        "fri" => "Fri",
                        "sat" => "Sat",
                        _ => "Sun",
                    })
                    .collect();
                format!(
                    "{} {:02}:{:02}-{:02}:{:02}",
                    days.join("+"),
                    s.open / 60,
                    s.open % 60,
                    s.close / 60,
                    s.close % 60
                )
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl BusinessHours {
    /// Whether people answer at `at` (Unix seconds) on `zone`'s clock.
    pub fn is_open(&self, zone: &TimeZone, at: i64) -> bool {
        let Ok(now) = Timestamp::from_second(at) else {
            return false;
        };
        let local = now.to_zoned_datetime(zone.clone());
        let (d, m) = (
            weekday_index(local.weekday()),
            local.hour() as u16 * 60 + local.minute() as u16,
        );
        self.0
            .iter()
            .any(|s| s.days[d] && s.open <= m && m < s.close)
    }

    /// The next opening after `at` (Unix seconds), within a week; none if the hours never open.
    pub fn next_open(&self, zone: &TimeZone, at: i64) -> Option<i64> {
        let now = Timestamp::from_second(at).ok()?;
        let today: Date = now.to_zoned_datetime(zone.clone()).date();
        (0..=7i64)
            .filter_map(|n| today.checked_add(n.days()).ok())
            .flat_map(|date| {
                let d = weekday_index(date.weekday());
                self.0
                    .iter()
                    .filter(move |s| s.days[d])
                    .filter_map(move |s| {
                        let time =
                            Time::new((s.open / 60) as i8, (s.open % 60) as i8, 0, 0).ok()?;
                        // A wall-clock time skipped by a DST change resolves to the later instant.
                        let opening = date
                            .to_datetime(time)
                            .to_zoned_datetime(zone.clone())
                            .ok()?;
                        Some(opening.timestamp().as_second())
                    })
            })
            .filter(|&t| t > at)
            .min()
    }
}

/// When the customer may expect a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Within a few minutes: people are at work (or no hours are set).
    Soon,
    /// From this instant (Unix seconds): the next opening.
    From(i64),
}

/// When a person will answer a customer writing at `at`, by the retailer's hours in `zone`.
pub fn expect_answer(hours: Option<&BusinessHours>, zone: &TimeZone, at: i64) -> Expect {
    match hours {
        None => Expect::Soon,
        Some(h) if h.is_open(zone, at) => Expect::Soon,
        Some(h) => h.next_open(zone, at).map_or(Expect::Soon, Expect::From),
    }
}
