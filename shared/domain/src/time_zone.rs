//! Which time zone a customer lives in: from their phone number's country, else their market.
//!
//! A drop opens at one instant; a customer in Tokyo should read `19:00` and one in São Paulo
//! `07:00`. Chat platforms do not tell us a customer's zone, but many give us a phone number,
//! and a number's country is a good guess at where its owner reads the clock:
//!
//! 1. The phone's **region** (ISO 3166 code: `JP`, `BR`, `US`) comes from Google's
//!    libphonenumber metadata, through the [`phonenumber`] crate. Numbers sharing a calling code
//!    are told apart by their number plans: `+1 212…` is `US`, `+1 416…` is `CA`.
//! 2. The region's **zones** come from the time zone database's own country table,
//!    `zone1970.tab` (vendored in `data/`, see its README), which lists one row per zone whose
//!    clocks have agreed since 1970 and the countries each one overlaps.
//! 3. A region with **one zone** uses it (`JP` → `Asia/Tokyo`). A region with several keeps a
//!    guess only while they are interchangeable: if every one of its zones shows the same clock
//!    at the instant being shown (Germany's `Europe/Berlin` and `Europe/Zurich` for Büsingen),
//!    its principal zone is used. Otherwise (`US`, `BR`, `MX`, `AU`, `RU`…) the customer could
//!    be hours away from any single guess, so the **market's** zone is used (`Market.time_zone`:
//!    the retailer knows where it sells), then **UTC**.
//!
//! Zones are [`jiff`] time zones, read from the copy of the tz database that jiff bundles
//! (`tzdb-bundle-always`): a Lambda image has no `/usr/share/zoneinfo` to rely on, and tests read
//! the same rules on every machine. Daylight saving time is then jiff's work: the same instant is
//! `UTC-3` in São Paulo all year and `UTC+1`/`UTC+2` in Berlin by season.
//!
//! Sources: <https://www.iana.org/time-zones>, the table's format in its own header and in
//! <https://data.iana.org/time-zones/tz-link.html>; libphonenumber:
//! <https://github.com/google/libphonenumber>.

use crate::lang::Lang;
use crate::local_time;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// IANA's `zone1970.tab` as released (tzdata 2025b), public domain; see `data/README.md`.
const ZONE1970_TAB: &str = include_str!("../data/zone1970.tab");

/// Region code → the zones overlapping it, in the table's order with the rows the region leads
/// first (a shared row is led by the country of its most populous city, so the rows a country
/// leads are its own principal zones).
static ZONES_BY_REGION: LazyLock<BTreeMap<&'static str, Vec<&'static str>>> =
    LazyLock::new(|| zones_by_region(ZONE1970_TAB));

/// Parses `zone1970.tab`: tab-separated `codes  coordinates  TZ  [comments]`, `#` comments.
fn zones_by_region(table: &'static str) -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut led: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut overlapped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let rows = table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty());
    for row in rows {
        let mut columns = row.split('\t');
        let (Some(codes), Some(_coordinates), Some(zone)) =
            (columns.next(), columns.next(), columns.next())
        else {
            continue;
        };
        for (i, code) in codes.split(',').enumerate() {
            let list = if i == 0 { &mut led } else { &mut overlapped };
            list.entry(code).or_default().push(zone);
        }
    }
    for (code, zones) in overlapped {
        led.entry(code).or_default().extend(zones);
    }
    led
}

/// The tz database's zones for an ISO 3166 region code (`JP` → `["Asia/Tokyo"]`), principal
/// zone first; empty for a code the table does not know.
pub fn zones_of_region(region: &str) -> &'static [&'static str] {
    ZONES_BY_REGION
        .get(region)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The ISO 3166 region of a phone number in international form (`+81 90…` → `JP`); `None` when
/// libphonenumber cannot place it (malformed, or a calling code shared by no country: `+800`).
pub fn region_of_phone(e164: &str) -> Option<&'static str> {
    let number = phonenumber::parse(None, e164).ok()?;
    let region = number.country().id()?;
    // The crate's region ids are an enum of the ISO codes; `as_ref` is the code itself, and
    // the table's keys are `'static`, so hand back the table's copy.
    ZONES_BY_REGION
        .get_key_value(region.as_ref())
        .map(|(code, _)| *code)
}

/// The region that leads `zone`'s row of the table (`Asia/Seoul` → `KR`, `Asia/Bangkok` →
/// `TH` rather than the Christmas Island that shares its clock); `None` for a zone the table
/// does not list.
pub fn region_of_zone(zone: &str) -> Option<&'static str> {
    ZONE1970_TAB
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|row| {
            let mut columns = row.split('\t');
            let (codes, _, name) = (columns.next()?, columns.next()?, columns.next()?);
            (name == zone).then(|| codes.split(',').next()).flatten()
        })
}

/// Where a customer's zone came from: the tests' and the logs' way to see the fallbacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneSource {
    /// The phone's region (`JP`) pins one clock.
    Phone { region: &'static str },
    /// The market's zone: no phone, a region with several clocks, or a number we cannot place.
    Market,
    /// Neither told us anything.
    Utc,
}

/// A customer's time zone, and why.
#[derive(Clone, Debug)]
pub struct CustomerZone {
    /// The IANA name (`Asia/Tokyo`), or `UTC`.
    pub name: String,
    pub zone: TimeZone,
    pub source: ZoneSource,
}

impl CustomerZone {
    /// The zone to show the instant `at` (Unix seconds) in, for a customer with this phone
    /// (international form, if known) in a market with this IANA zone (if set).
    ///
    /// A market zone the tz database does not know is skipped (logged), never an error: the
    /// customer still gets a time, in UTC.
    pub fn resolve(phone: Option<&str>, market_zone: Option<&str>, at: i64) -> CustomerZone {
        let at = Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH);
        if let Some((region, name)) = phone.and_then(|p| zone_of_phone(p, at))
            && let Ok(zone) = TimeZone::get(name)
        {
            return CustomerZone {
                name: name.to_string(),
                zone,
                source: ZoneSource::Phone { region },
            };
        }
        if let Some(name) = market_zone {
            match TimeZone::get(name) {
                Ok(zone) => {
                    return CustomerZone {
                        name: name.to_string(),
                        zone,
                        source: ZoneSource::Market,
                    };
                }
                Err(e) => tracing::warn!(zone = name, error = %e, "market time zone unknown"),
            }
        }
        CustomerZone {
            name: "UTC".into(),
            zone: TimeZone::UTC,
            source: ZoneSource::Utc,
        }
    }

    /// `unix` on this zone's clock in `lang`'s format (see [`crate::local_time`]).
    pub fn format(&self, unix: i64, lang: Lang) -> String {
        local_time::format_instant(unix, &self.zone, &self.name, lang)
    }
}

/// The one zone a phone's region shows at `at`, if its zones agree then.
fn zone_of_phone(e164: &str, at: Timestamp) -> Option<(&'static str, &'static str)> {
    let region = region_of_phone(e164)?;
    let zones = zones_of_region(region);
    let principal = *zones.first()?;
    let offset_of = |name: &str| TimeZone::get(name).ok().map(|tz| tz.to_offset(at));
    let clock = offset_of(principal)?;
    // A customer reads a wall-clock time and its offset; zones that agree on the offset at
    // `at` are interchangeable for that, whichever of them the customer is really in.
    zones
        .iter()
        .all(|z| offset_of(z) == Some(clock))
        .then_some((region, principal))
}

/// A zone name the bundled tz database does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time zone of the tz database (examples: Asia/Tokyo, America/Sao_Paulo)")]
pub struct UnknownZone(pub String);

/// Checks an IANA zone name against the bundled tz database: for a catalog's markets.
pub fn check_zone(name: &str) -> Result<(), UnknownZone> {
    TimeZone::get(name)
        .map(|_| ())
        .map_err(|_| UnknownZone(name.to_string()))
}

#[cfg(test)]
#[path = "time_zone_tests.rs"]
mod tests;
