//! Money as integer minor units with a currency, never floats.
//!
//! A retailer's catalog has one currency; amounts are `i64` minor units (cents, yen). Formatting
//! knows each supported currency's exponent and symbol, so `1200 JPY` prints as `¥1,200` and
//! `1200 USD` as `$12.00`.

use serde::{Deserialize, Serialize};

/// ISO 4217 code of a supported currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Jpy,
    Cny,
    Thb,
    Brl,
}

impl Currency {
    /// Digits after the decimal point (ISO 4217 exponent).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Usd
            | Currency::Eur
            | Currency::Gbp
            | Currency::Cny
            | Currency::Thb
            | Currency::Brl => 2,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
            Currency::Eur => "€",
            Currency::Gbp => "£",
            Currency::Jpy => "¥",
            Currency::Cny => "CN¥",
            Currency::Thb => "฿",
            Currency::Brl => "R$",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Jpy => "JPY",
            Currency::Cny => "CNY",
            Currency::Thb => "THB",
            Currency::Brl => "BRL",
        }
    }
}

/// An amount in minor units of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// `$12.00`, `-$3.50`, `¥1,200`, `+$5.00` when `signed` and positive (for price deltas).
    pub fn format(self, signed: bool) -> String {
        let sign = if self.minor < 0 {
            "-"
        } else if signed {
            "+"
        } else {
            ""
        };
        let abs = self.minor.unsigned_abs();
        let exp = self.currency.exponent();
        let scale = 10u64.pow(exp);
        let whole = group_thousands(abs / scale);
        let symbol = self.currency.symbol();
        if exp == 0 {
            format!("{sign}{symbol}{whole}")
        } else {
            let frac = abs % scale;
            format!("{sign}{symbol}{whole}.{frac:0width$}", width = exp as usize)
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_exponent() {
        assert_eq!(Money::new(1200, Currency::Usd).format(false), "$12.00");
        assert_eq!(Money::new(5, Currency::Eur).format(false), "€0.05");
        assert_eq!(Money::new(1200, Currency::Jpy).format(false), "¥1,200");
        assert_eq!(
            Money::new(123456789, Currency::Gbp).format(false),
            "£1,234,567.89"
        );
        assert_eq!(Money::new(500, Currency::Usd).format(true), "+$5.00");
        assert_eq!(Money::new(-350, Currency::Usd).format(true), "-$3.50");
        assert_eq!(Money::new(0, Currency::Jpy).format(false), "¥0");
    }
}
