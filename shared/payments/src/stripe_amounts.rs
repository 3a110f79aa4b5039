//! What Stripe can charge: its own decimal rules and limits on top of ISO 4217.
//!
//! chatdrop counts money in ISO 4217 minor units ([`Money`]); Stripe's API counts in *its*
//! smallest unit per currency, and the two disagree for a few currencies. All facts here are from
//! Stripe's currency guide, <https://docs.stripe.com/currencies>:
//!
//! - **Zero-decimal currencies** (<https://docs.stripe.com/currencies#zero-decimal>): BIF, CLP,
//!   DJF, GNF, JPY, KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV, XAF, XOF, XPF are sent in whole units
//!   (`¥500` is `500`). ISO agrees for all but MGA, which ISO gives two decimals: an MGA price
//!   with a fraction cannot be charged.
//! - **Special cases** (<https://docs.stripe.com/currencies#special-cases>): ISK and UGX are
//!   zero-decimal but, for backward compatibility, sent as two-decimal amounts whose decimals are
//!   always `00` (5 ISK is `500`). HUF and TWD are two-decimal for charges; only *payouts* are
//!   whole units, which a checkout never makes, so they need nothing here.
//! - **Three-decimal currencies** (<https://docs.stripe.com/currencies#three-decimal>): BHD, JOD,
//!   KWD, OMR, TND are sent in thousandths, but the last digit must be `0` (5.124 KWD has to go
//!   as `5120`). Stripe's guide rounds to the nearest ten; we *refuse* a price that is not a
//!   whole ten instead, because the amount Stripe charges must equal the order's total (the
//!   webhook compares them, `payment::verify_payment`) and a price the customer saw must be the
//!   price charged. The error names both neighbours so the retailer can fix the catalog.
//! - **Minimum charge** (<https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts>):
//!   a table per settlement currency (USD 0.50, GBP 0.30, JPY 50, THB 10, ...). It applies to the
//!   *charge*, so it is checked on the session's total, not on each line: a 0.25 sticker in a
//!   10.00 cart is fine. For a currency outside the table the minimum is a converted amount we
//!   cannot know offline; Stripe itself refuses then, and that refusal is handled the same way.
//! - **Maximum**: amounts have at most eight digits (`99999999`, $999,999.99), twelve for IDR.
//!   Checked on every line's unit amount (Stripe's `unit_amount` has the same bound) and on the
//!   total.
//!
//! Every check runs before the request leaves, so an amount Stripe cannot take is a
//! [`PaymentError::Refused`](chatdrop_domain::payment::PaymentError::Refused) without a call,
//! and the checkout releases the reservation as for any refusal.

use chatdrop_domain::lang::Lang;
use chatdrop_domain::money::{Currency, Money};

/// Currencies Stripe sends in whole units (<https://docs.stripe.com/currencies#zero-decimal>).
pub const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Zero-decimal currencies Stripe still takes as two-decimal amounts ending in `00`
/// (<https://docs.stripe.com/currencies#special-cases>).
pub const WHOLE_UNITS_AS_TWO_DECIMALS: &[&str] = &["ISK", "UGX"];

/// Currencies Stripe sends in thousandths with the last digit `0`
/// (<https://docs.stripe.com/currencies#three-decimal>).
pub const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Stripe's minimum charge, in the currency's ISO minor units
/// (<https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts>).
pub const MINIMUM_CHARGE: &[(&str, i64)] = &[
    ("USD", 50),
    ("AED", 200),
    ("AUD", 50),
    ("BGN", 100),
    ("BRL", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("CZK", 1500),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("HKD", 400),
    ("HUF", 17500),
    ("INR", 50),
    ("JPY", 50),
    ("MXN", 1000),
    ("MYR", 200),
    ("NOK", 300),
    ("NZD", 50),
    ("PLN", 200),
    ("RON", 200),
    ("SEK", 300),
    ("SGD", 50),
    ("THB", 1000),
];

/// Why Stripe cannot take an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{amount} cannot be charged on Stripe: {currency} amounts must be {rule}")]
    NotChargeable {
        amount: String,
        currency: &'static str,
        rule: String,
    },
    #[error("{amount} is below Stripe's minimum charge of {minimum}")]
    BelowMinimum { amount: String, minimum: String },
    #[error("{amount} is above Stripe's maximum of {digits} digits in {currency}")]
    AboveMaximum {
        amount: String,
        currency: &'static str,
        digits: u32,
    },
    #[error("{amount} is negative; Stripe charges only positive amounts")]
    Negative { amount: String },
}

/// How Stripe counts one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StripeUnits {
    /// Decimal digits of the integer Stripe's API takes.
    exponent: u32,
    /// The amount sent must be a multiple of this (100 for ISK and UGX, 10 for three-decimal).
    step: i64,
}

fn units(currency: Currency) -> StripeUnits {
    let code = currency.code();
    if WHOLE_UNITS_AS_TWO_DECIMALS.contains(&code) {
        StripeUnits {
            exponent: 2,
            step: 100,
        }
    } else if ZERO_DECIMAL.contains(&code) {
        StripeUnits {
            exponent: 0,
            step: 1,
        }
    } else if THREE_DECIMAL.contains(&code) {
        StripeUnits {
            exponent: 3,
            step: 10,
        }
    } else {
        StripeUnits {
            exponent: 2,
            step: 1,
        }
    }
}

/// The most digits an amount may have (<https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts>).
fn max_digits(currency: Currency) -> u32 {
    if currency.code() == "IDR" { 12 } else { 8 }
}

/// For operators' logs and errors: the amount as English CLDR writes it (`KWD 1.234`).
fn shown(money: Money) -> String {
    money.format(Lang::EN, false)
}

/// The integer Stripe's API takes for `money` (`unit_amount`, `amount`), or why there is none.
///
/// Checks the decimal rules and the maximum; the minimum is a property of a whole charge, see
/// [`stripe_total`].
pub fn stripe_amount(money: Money) -> Result<i64, AmountError> {
    if money.minor < 0 {
        return Err(AmountError::Negative {
            amount: shown(money),
        });
    }
    let stripe = units(money.currency);
    let iso = money.currency.exponent();
    let not_chargeable = |rule: String| AmountError::NotChargeable {
        amount: shown(money),
        currency: money.currency.code(),
        rule,
    };
    let too_big = || AmountError::AboveMaximum {
        amount: shown(money),
        currency: money.currency.code(),
        digits: max_digits(money.currency),
    };
    let amount = if stripe.exponent >= iso {
        money
            .minor
            .checked_mul(10i64.pow(stripe.exponent - iso))
            .ok_or_else(too_big)?
    } else {
        let scale = 10i64.pow(iso - stripe.exponent);
        if money.minor % scale != 0 {
            return Err(not_chargeable(format!(
                "whole units (Stripe has no decimals for {})",
                money.currency.code()
            )));
        }
        money.minor / scale
    };
    if amount % stripe.step != 0 {
        let lower = amount - amount % stripe.step;
        let neighbours = [lower, lower + stripe.step].map(|a| {
            // `a` is in Stripe units, which are ISO units for three-decimal currencies.
            shown(Money::new(a, money.currency))
        });
        return Err(not_chargeable(format!(
            "whole tens of the smallest unit (the last of three decimals 0): {} or {}",
            neighbours[0], neighbours[1]
        )));
    }
    if amount >= 10i64.pow(max_digits(money.currency)) {
        return Err(too_big());
    }
    Ok(amount)
}

/// Checks a whole charge, `lines` of (unit price, quantity): every unit price as
/// [`stripe_amount`] does, and the total against Stripe's minimum and maximum. Returns each
/// line's unit amount in Stripe units, in order.
pub fn stripe_line_amounts(
    currency: Currency,
    lines: impl IntoIterator<Item = (i64, u32)>,
) -> Result<Vec<i64>, AmountError> {
    let mut amounts = Vec::new();
    let mut total: i64 = 0;
    for (unit, quantity) in lines {
        amounts.push(stripe_amount(Money::new(unit, currency))?);
        total = unit
            .checked_mul(i64::from(quantity))
            .and_then(|line| total.checked_add(line))
            .unwrap_or(i64::MAX);
    }
    stripe_total(Money::new(total, currency))?;
    Ok(amounts)
}

/// Checks the amount of a whole charge: chargeable as [`stripe_amount`] says, and at least
/// Stripe's minimum for its currency where Stripe publishes one.
pub fn stripe_total(total: Money) -> Result<i64, AmountError> {
    let amount = stripe_amount(total)?;
    if let Some(&(_, minimum)) = MINIMUM_CHARGE
        .iter()
        .find(|(code, _)| *code == total.currency.code())
        && total.minor < minimum
    {
        return Err(AmountError::BelowMinimum {
            amount: shown(total),
            minimum: shown(Money::new(minimum, total.currency)),
        });
    }
    Ok(amount)
}

/// The ISO minor units of an amount Stripe reports (`amount_total`), the inverse of
/// [`stripe_amount`]; `None` when it has no exact counterpart.
pub fn minor_from_stripe(currency: Currency, amount: i64) -> Option<i64> {
    let stripe = units(currency).exponent;
    let iso = currency.exponent();
    if iso >= stripe {
        amount.checked_mul(10i64.pow(iso - stripe))
    } else {
        let scale = 10i64.pow(stripe - iso);
        (amount % scale == 0).then_some(amount / scale)
    }
}

#[cfg(test)]
#[path = "stripe_amounts_tests.rs"]
mod tests;
