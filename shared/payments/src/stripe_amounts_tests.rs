use super::*;

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, Currency::parse(code).unwrap())
}

/// Stripe's own examples, from <https://docs.stripe.com/currencies>: the charge, our ISO minor
/// units for it, and the integer Stripe's API takes.
#[test]
fn stripe_amounts_match_the_documented_examples() {
    for (what, minor, code, sent) in [
        // "to charge 10 USD, provide an amount value of 1000" (#zero-decimal, intro)
        ("10 USD", 1000, "USD", 1000),
        // "to charge ¥500, provide an amount value of 500" (#zero-decimal)
        ("¥500", 500, "JPY", 500),
        ("₩150,000", 150_000, "KRW", 150_000),
        ("12,000 ₫", 12_000, "VND", 12_000),
        // "to charge 5 ISK, provide an amount value of 500" (#special-cases)
        ("5 ISK", 5, "ISK", 500),
        // UGX likewise (#special-cases)
        ("5 UGX", 5, "UGX", 500),
        // HUF and TWD charge two decimals; only payouts are whole (#special-cases)
        ("10.45 HUF", 1045, "HUF", 1045),
        ("36.50 TWD", 3650, "TWD", 3650),
        // "5.120 KWD ... provide 5120" (#three-decimal)
        ("5.120 KWD", 5120, "KWD", 5120),
        ("1.500 BHD", 1500, "BHD", 1500),
        // MGA: whole ariary for Stripe, two decimals in ISO
        ("1,000 MGA", 100_000, "MGA", 1000),
        // the eight-digit maximum itself (#minimum-and-maximum-charge-amounts)
        ("$999,999.99", 99_999_999, "USD", 99_999_999),
        // IDR takes twelve digits
        (
            "Rp 9,999,999,999.99",
            999_999_999_999,
            "IDR",
            999_999_999_999,
        ),
    ] {
        assert_eq!(stripe_amount(money(minor, code)), Ok(sent), "{what}");
        assert_eq!(
            minor_from_stripe(Currency::parse(code).unwrap(), sent),
            Some(minor),
            "{what} back from Stripe"
        );
    }
}

#[test]
fn three_decimal_amounts_must_end_in_zero() {
    // "5.124 KWD" is Stripe's own example of an amount to round (#three-decimal).
    let err = stripe_amount(money(5124, "KWD")).unwrap_err();
    assert!(matches!(
        err,
        AmountError::NotChargeable {
            currency: "KWD",
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("5.124") && text.contains("5.120") && text.contains("5.130"),
        "{text}"
    );
    for code in THREE_DECIMAL {
        assert!(stripe_amount(money(1001, code)).is_err(), "{code}");
        assert_eq!(stripe_amount(money(1010, code)), Ok(1010), "{code}");
    }
}

#[test]
fn fractions_of_a_zero_decimal_unit_are_refused() {
    let err = stripe_amount(money(1250, "MGA")).unwrap_err();
    assert!(err.to_string().contains("whole units"), "{err}");
}

#[test]
fn too_many_digits_and_negative_amounts_are_refused() {
    assert!(matches!(
        stripe_amount(money(100_000_000, "USD")),
        Err(AmountError::AboveMaximum { digits: 8, .. })
    ));
    assert!(matches!(
        stripe_amount(money(1_000_000_000_000, "IDR")),
        Err(AmountError::AboveMaximum { digits: 12, .. })
    ));
    // 1,000,000 ISK is 100,000,000 in Stripe's two-decimal form: nine digits.
    assert!(stripe_amount(money(1_000_000, "ISK")).is_err());
    assert!(matches!(
        stripe_amount(money(-1, "USD")),
        Err(AmountError::Negative { .. })
    ));
}

/// The minimum is per charge (#minimum-and-maximum-charge-amounts): a line below it is fine
/// when the total is not.
#[test]
fn the_minimum_applies_to_the_total_not_to_each_line() {
    let usd = Currency::USD;
    assert_eq!(
        stripe_line_amounts(usd, [(25, 1), (1000, 1)]),
        Ok(vec![25, 1000])
    );
    assert_eq!(stripe_line_amounts(usd, [(25, 2)]), Ok(vec![25]));
    let err = stripe_line_amounts(usd, [(25, 1)]).unwrap_err();
    assert_eq!(
        err,
        AmountError::BelowMinimum {
            amount: "$0.25".into(),
            minimum: "$0.50".into()
        }
    );
    for (code, minimum) in [("JPY", 50), ("GBP", 30), ("THB", 1000), ("HUF", 17_500)] {
        let currency = Currency::parse(code).unwrap();
        assert!(
            stripe_line_amounts(currency, [(minimum - 1, 1)]).is_err(),
            "{code}"
        );
        assert!(
            stripe_line_amounts(currency, [(minimum, 1)]).is_ok(),
            "{code}"
        );
    }
    // No published minimum for KRW: Stripe decides on the converted amount.
    assert!(stripe_line_amounts(Currency::parse("KRW").unwrap(), [(1, 1)]).is_ok());
}

#[test]
fn a_total_over_the_maximum_is_refused_even_when_each_line_fits() {
    let err = stripe_line_amounts(Currency::USD, [(60_000_000, 2)]).unwrap_err();
    assert!(matches!(err, AmountError::AboveMaximum { .. }), "{err}");
}

#[test]
fn each_line_is_checked() {
    let kwd = Currency::parse("KWD").unwrap();
    assert!(stripe_line_amounts(kwd, [(5000, 1), (1234, 1)]).is_err());
    assert_eq!(
        stripe_line_amounts(kwd, [(5000, 1), (1230, 1)]),
        Ok(vec![5000, 1230])
    );
}
