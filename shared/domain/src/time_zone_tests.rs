//! Facts from the tz database's `zone1970.tab` (<https://data.iana.org/time-zones/tz-link.html>)
//! and libphonenumber's metadata (<https://github.com/google/libphonenumber>, the calling codes
//! of ITU-T E.164).

use super::*;

/// Unix seconds of an RFC 3339 instant.
fn at(instant: &str) -> i64 {
    instant
        .parse::<Timestamp>()
        .expect("an instant")
        .as_second()
}

const WINTER: &str = "2026-01-15T12:00:00Z";
const SUMMER: &str = "2026-07-15T12:00:00Z";

fn resolve(phone: &str, market: Option<&str>) -> CustomerZone {
    CustomerZone::resolve(Some(phone), market, at(WINTER))
}

#[test]
fn a_country_with_one_zone_uses_it_whatever_the_market() {
    // zone1970.tab: `JP,AU Asia/Tokyo`, `TH,CX,KH,LA,VN Asia/Bangkok`, `TW Asia/Taipei`,
    // `HK Asia/Hong_Kong`; each is the only row naming that country.
    for (phone, region, zone) in [
        ("+81 90 1234 5678", "JP", "Asia/Tokyo"),
        ("+66 81 234 5678", "TH", "Asia/Bangkok"),
        ("+886 912 345 678", "TW", "Asia/Taipei"),
        ("+852 9123 4567", "HK", "Asia/Hong_Kong"),
    ] {
        let chosen = resolve(phone, Some("America/Sao_Paulo"));
        assert_eq!(chosen.name, zone, "{phone}");
        assert_eq!(chosen.source, ZoneSource::Phone { region }, "{phone}");
    }
}

#[test]
fn brazil_has_several_clocks_so_the_market_decides() {
    assert_eq!(region_of_phone("+55 11 91234 5678"), Some("BR"));
    // Sixteen rows name BR, from America/Noronha (UTC-2) to America/Rio_Branco (UTC-5).
    assert!(zones_of_region("BR").len() > 1);
    let chosen = resolve("+55 11 91234 5678", Some("America/Sao_Paulo"));
    assert_eq!(chosen.name, "America/Sao_Paulo");
    assert_eq!(chosen.source, ZoneSource::Market);
}

#[test]
fn north_america_shares_plus_one_and_each_country_has_several_clocks() {
    // Calling code 1 is the North American Numbering Plan: the area code tells the country.
    assert_eq!(region_of_phone("+1 212 555 1234"), Some("US"));
    assert_eq!(region_of_phone("+1 416 555 1234"), Some("CA"));
    assert!(zones_of_region("US").contains(&"America/New_York"));
    assert!(zones_of_region("US").contains(&"America/Los_Angeles"));
    for phone in ["+1 212 555 1234", "+1 416 555 1234"] {
        let chosen = resolve(phone, Some("America/Chicago"));
        assert_eq!(chosen.name, "America/Chicago", "{phone}");
        assert_eq!(chosen.source, ZoneSource::Market, "{phone}");
    }
}

#[test]
fn zones_that_keep_one_clock_count_as_one() {
    // Germany has two rows: `DE,DK,NO,SE,SJ Europe/Berlin` (led by DE) and `CH,DE,LI
    // Europe/Zurich` (Büsingen), on the same clock summer and winter: the row DE leads wins.
    assert_eq!(zones_of_region("DE"), ["Europe/Berlin", "Europe/Zurich"]);
    for season in [WINTER, SUMMER] {
        let chosen = CustomerZone::resolve(Some("+49 30 1234567"), None, at(season));
        assert_eq!(chosen.name, "Europe/Berlin");
        assert_eq!(chosen.source, ZoneSource::Phone { region: "DE" });
    }
}

#[test]
fn a_number_we_cannot_place_gets_the_market_zone_then_utc() {
    for bad in ["", "+", "hello", "+999 1234", "+800 1234 5678"] {
        assert_eq!(region_of_phone(bad), None, "{bad:?}");
        let chosen = CustomerZone::resolve(Some(bad), Some("Asia/Bangkok"), at(WINTER));
        assert_eq!(
            (chosen.name.as_str(), chosen.source),
            ("Asia/Bangkok", ZoneSource::Market)
        );
    }
    let nothing = CustomerZone::resolve(None, None, at(WINTER));
    assert_eq!(
        (nothing.name.as_str(), nothing.source),
        ("UTC", ZoneSource::Utc)
    );
}

#[test]
fn a_market_zone_the_database_lacks_falls_back_to_utc() {
    let chosen = CustomerZone::resolve(None, Some("Mars/Olympus_Mons"), at(WINTER));
    assert_eq!(chosen.source, ZoneSource::Utc);
    assert_eq!(
        check_zone("Mars/Olympus_Mons"),
        Err(UnknownZone("Mars/Olympus_Mons".into()))
    );
    assert_eq!(check_zone("Asia/Tokyo"), Ok(()));
}

#[test]
fn every_zone_of_the_table_is_in_the_bundled_database() {
    // The vendored table must be no newer than jiff's bundled tzdb: a row naming a zone jiff
    // lacks would silently send that country to its market.
    let zones: Vec<&str> = ZONES_BY_REGION.values().flatten().copied().collect();
    assert!(zones.len() > 300, "{} zones read", zones.len());
    let missing: Vec<&&str> = zones.iter().filter(|z| check_zone(z).is_err()).collect();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_table_parser_keeps_shared_rows_behind_a_countrys_own() {
    let table = "# comment\nCH,DE,LI\t+4723+00832\tEurope/Zurich\tBüsingen\n\
                 DE,DK\t+5230+01322\tEurope/Berlin\tmost of Germany\nbroken line\n";
    let parsed = zones_by_region(table);
    assert_eq!(parsed["DE"], ["Europe/Berlin", "Europe/Zurich"]);
    assert_eq!(parsed["CH"], ["Europe/Zurich"]);
    assert_eq!(parsed["DK"], ["Europe/Berlin"]);
    assert_eq!(parsed.len(), 4);
}
