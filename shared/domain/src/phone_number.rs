//! A phone number as a customer types it, read into the international form (E.164) a
//! verification service texts.
//!
//! People type their number as they would dial it at home: `010-1234-5678` in Seoul,
//! `(11) 91234-5678` in São Paulo, `090 1234 5678` in Tokyo, with or without the country code.
//! Which country a number without a code belongs to is the customer's market's: its region
//! comes from the market's time zone (`Asia/Seoul` → `KR`, the tz database's own country table,
//! [`crate::time_zone::region_of_zone`]), else from its id when that is a country code (`br`).
//! Google's libphonenumber metadata, through the [`phonenumber`] crate, then knows each
//! country's trunk prefix and number plan, and rejects what no plan allows
//! (<https://github.com/google/libphonenumber>).

use crate::market::Market;
use phonenumber::Mode;
use phonenumber::country::Id;

/// The region a number typed without a country code is read in: the market's zone's country,
/// else its id as an ISO 3166 code; `None` when neither names one (then only numbers typed
/// with `+` and their code are understood).
pub fn default_region(market: &Market) -> Option<Id> {
    let from_zone = market
        .time_zone
        .as_deref()
        .and_then(crate::time_zone::region_of_zone);
    from_zone
        .map(str::to_owned)
        .into_iter()
        .chain(std::iter::once(market.id.to_ascii_uppercase()))
        .find_map(|code| code.parse::<Id>().ok())
}

/// The number in `typed`, in E.164 (`+821012345678`), when it is a valid number of its
/// country's plan; `None` for anything else (a word, a code, too few digits).
///
/// A leading `00` or `+` gives the country code; without one, `region` decides. Only digits,
/// spaces, dots, dashes, brackets and one leading `+` are accepted, so a sentence with a number
/// in it is not read as one.
pub fn typed_phone(typed: &str, region: Option<Id>) -> Option<String> {
    let typed = typed.trim();
    let allowed = |c: char| c.is_ascii_digit() || " .-()/".contains(c);
    let (plus, rest) = match typed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, typed),
    };
    if rest.is_empty() || !rest.chars().all(allowed) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    // The international call prefix most of the world dials (`00 82 …`) means `+`.
    let international = match (plus, digits.strip_prefix("00")) {
        (true, _) => Some(digits.clone()),
        (false, Some(after)) => Some(after.to_owned()),
        (false, None) => None,
    };
    let number = match international {
        Some(digits) => phonenumber::parse(None, format!("+{digits}")).ok()?,
        None => phonenumber::parse(Some(region?), &digits).ok()?,
    };
    phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
}

/// `e164` as people read it in its own country's international format (`+82 10-1234-5678`);
/// as given when it does not parse.
pub fn display(e164: &str) -> String {
    phonenumber::parse(None, e164)
        .map(|n| n.format().mode(Mode::International).to_string())
        .unwrap_or_else(|_| e164.to_owned())
}

/// Builds libphonenumber's metadata now rather than on the first number read. The
/// [`phonenumber`] crate loads it lazily, once per process: every country's plan, each of its
/// thousands of patterns parsed (11 s in an unoptimized build on this project's busy build
/// machine; the optimized figure is not measured yet). A function that must
/// answer within a deadline (the `kakao` function: Kakao waits 5 s) starts it in the
/// background at start, so the customer who types the first number on an instance does not
/// wait for it.
pub fn load_metadata() {
    // Parsing and formatting one number touches the database and the formatter's patterns.
    let _ = typed_phone("+82 10-1234-5678", None).map(|e164| display(&e164));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn market(id: &str, zone: Option<&str>) -> Market {
        Market {
            id: id.into(),
            time_zone: zone.map(str::to_owned),
            ..Market::implicit(Currency::USD)
        }
    }

    fn in_market(typed: &str, id: &str, zone: Option<&str>) -> Option<String> {
        typed_phone(typed, default_region(&market(id, zone)))
    }

    /// Numbers as they are written at home, in the markets chatdrop ships for; each country's
    /// mobile plan from libphonenumber's metadata.
    #[test]
    fn a_number_typed_as_dialled_at_home_reads_in_the_market_s_country() {
        let cases = [
            ("010-1234-5678", "kr", Some("Asia/Seoul"), "+821012345678"),
            (
                "(11) 91234-5678",
                "br",
                Some("America/Sao_Paulo"),
                "+5511912345678",
            ),
            ("090-1234-5678", "jp", Some("Asia/Tokyo"), "+819012345678"),
            ("081 234 5678", "th", Some("Asia/Bangkok"), "+66812345678"),
            (
                "0812-3456-7890",
                "id",
                Some("Asia/Jakarta"),
                "+6281234567890",
            ),
            (
                "138 0013 8000",
                "cn",
                Some("Asia/Shanghai"),
                "+8613800138000",
            ),
            ("0912 345 678", "tw", Some("Asia/Taipei"), "+886912345678"),
            ("07400 123456", "uk", Some("Europe/London"), "+447400123456"),
            // No zone: the market's id is the country.
            ("(11) 91234-5678", "br", None, "+5511912345678"),
        ];
        for (typed, id, zone, e164) in cases {
            assert_eq!(
                in_market(typed, id, zone).as_deref(),
                Some(e164),
                "{typed} in {id}"
            );
        }
    }

    #[test]
    fn a_country_code_wins_over_the_market() {
        // A Brazilian number typed by a customer of the Korean market.
        let kr = Some("Asia/Seoul");
        assert_eq!(
            in_market("+55 11 91234-5678", "kr", kr).as_deref(),
            Some("+5511912345678")
        );
        assert_eq!(
            in_market("0055 11 91234 5678", "kr", kr).as_deref(),
            Some("+5511912345678")
        );
        // Without any region, only the international form is understood.
        assert_eq!(in_market("010-1234-5678", "default", None), None);
        assert_eq!(
            in_market("+82 10 1234 5678", "default", None).as_deref(),
            Some("+821012345678")
        );
    }

    #[test]
    fn what_is_not_a_number_of_any_plan_is_refused() {
        let kr = Some("Asia/Seoul");
        for typed in [
            "",
            "hello",
            "my number is 010-1234-5678",
            "123456",
            "010-1234",
            "+",
            "+82 10 1234 5678 9999 1111",
        ] {
            assert_eq!(in_market(typed, "kr", kr), None, "{typed:?}");
        }
    }

    #[test]
    fn a_number_is_shown_in_its_international_format() {
        assert_eq!(display("+821012345678"), "+82 10-1234-5678");
        assert_eq!(display("not a number"), "not a number");
    }
}
