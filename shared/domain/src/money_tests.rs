use super::*;

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn fmt(minor: i64, code: &str, lang: &str) -> String {
    Money::new(minor, cur(code)).format(Lang::parse(lang).unwrap(), false)
}

/// The ISO 4217 minor unit ("Minor unit" column of list one,
/// <https://www.six-group.com/dam/download/financial-information/data-center/iso-currrency/lists/list-one.xml>).
#[test]
fn minor_units_follow_iso_4217() {
    for (code, exponent) in [
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("UGX", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("JOD", 3),
        ("TND", 3),
        ("USD", 2),
        ("BRL", 2),
        ("CNY", 2),
        ("THB", 2),
        ("TWD", 2),
        ("HUF", 2),
        ("IDR", 2),
    ] {
        assert_eq!(cur(code).exponent(), exponent, "{code}");
        assert_eq!(cur(code).code(), code);
    }
}

#[test]
fn parse_accepts_any_case_and_refuses_what_cannot_price_goods() {
    assert_eq!(Currency::parse("usd"), Ok(Currency::USD));
    assert_eq!(Currency::parse(" Jpy "), Ok(Currency::JPY));
    assert_eq!(
        Currency::parse("XYZ"),
        Err(CurrencyError::Unknown("XYZ".into()))
    );
    assert_eq!(
        Currency::parse("dollars"),
        Err(CurrencyError::Unknown("dollars".into()))
    );
    for metal_or_unit in ["XAU", "XAG", "XDR", "XXX", "XTS"] {
        let err = Currency::parse(metal_or_unit).unwrap_err();
        assert!(
            matches!(err, CurrencyError::NoMinorUnit { code, .. } if code == metal_or_unit),
            "{metal_or_unit}: {err}"
        );
    }
    let err = Currency::parse("XAU").unwrap_err().to_string();
    assert!(
        err.contains("XAU") && err.contains("no minor unit"),
        "{err}"
    );
    for fund in ["CLF", "BOV", "USN"] {
        let err = Currency::parse(fund).unwrap_err();
        assert!(matches!(err, CurrencyError::Fund { .. }), "{fund}: {err}");
    }
}

#[test]
fn serde_is_the_uppercase_code_and_reads_any_case() {
    assert_eq!(serde_json::to_string(&Currency::USD).unwrap(), "\"USD\"");
    assert_eq!(serde_json::to_string(&cur("krw")).unwrap(), "\"KRW\"");
    let read: Currency = serde_json::from_str("\"eur\"").unwrap();
    assert_eq!(read, Currency::EUR);
    let money: Money = serde_json::from_str(r#"{"minor":1200,"currency":"JPY"}"#).unwrap();
    assert_eq!(money, Money::new(1200, Currency::JPY));
    let refused = serde_json::from_str::<Currency>("\"XAU\"").unwrap_err();
    assert!(refused.to_string().contains("no minor unit"), "{refused}");
}

/// CLDR 48 as compiled into ICU4X 2.x. `\u{a0}` is a no-break space (U+00A0), which CLDR puts
/// between a number and a symbol written apart from it; the rest of the literals are as shown.
#[test]
fn formats_as_cldr_says() {
    for (minor, code, lang, want) in [
        (1200, "USD", "en", "$12.00"),
        (5, "EUR", "en", "€0.05"),
        (123_456_789, "GBP", "en", "£1,234,567.89"),
        (12_000, "JPY", "en", "¥12,000"),
        // Japanese CLDR writes its own yen full width.
        (12_000, "JPY", "ja", "￥12,000"),
        (150_000, "KRW", "ko", "₩150,000"),
        (12_000, "BRL", "pt-BR", "R$\u{a0}120,00"),
        (120_000, "THB", "th", "฿1,200.00"),
        (12_000, "VND", "vi", "12.000\u{a0}₫"),
        // CLDR zh-Hant says `$` for TWD (at home it is the dollar); English says `NT$`.
        (360_000, "TWD", "zh-Hant", "$3,600.00"),
        (360_000, "TWD", "en", "NT$3,600.00"),
        (1_200_000, "CNY", "zh-Hans", "¥12,000.00"),
        (1_200_000, "CNY", "en", "CN¥12,000.00"),
        (1_234, "KWD", "en", "KWD\u{a0}1.234"),
    ] {
        assert_eq!(fmt(minor, code, lang), want, "{minor} {code} in {lang}");
    }
}

#[test]
fn signed_deltas_carry_their_sign() {
    let en = Lang::EN;
    assert_eq!(Money::new(500, Currency::USD).format(en, true), "+$5.00");
    assert_eq!(Money::new(-350, Currency::USD).format(en, true), "-$3.50");
    assert_eq!(Money::new(-350, Currency::USD).format(en, false), "-$3.50");
    assert_eq!(Money::new(500, Currency::USD).format(en, false), "$5.00");
    assert_eq!(Money::new(0, Currency::JPY).format(en, true), "¥0");
}

#[test]
fn a_language_without_cldr_data_still_formats() {
    // `tlh` (Klingon) has no CLDR locale: ICU4X falls back to the root locale, which writes the
    // ISO code rather than a symbol the reader might misread.
    let got = fmt(1200, "USD", "tlh");
    assert!(got.contains("12.00"), "{got}");
}

#[test]
fn the_fallback_is_the_number_and_the_iso_code() {
    let mut value = fixed_decimal::Decimal::from(1200);
    value.multiply_pow10(-2);
    assert_eq!(cldr::fallback(&value, Currency::USD), "12.00 USD");
    let mut value = fixed_decimal::Decimal::from(-350);
    value.multiply_pow10(-2);
    assert_eq!(cldr::fallback(&value, Currency::EUR), "-3.50 EUR");
}

#[test]
fn a_cached_formatter_gives_the_same_text() {
    let first = fmt(987_654, "BRL", "pt-BR");
    let second = fmt(987_654, "BRL", "pt-BR");
    assert_eq!(first, second);
    assert_eq!(first, "R$\u{a0}9.876,54");
}
