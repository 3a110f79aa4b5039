//! Money as integer minor units of an ISO 4217 currency, never floats.
//!
//! # Minor units
//!
//! An amount is an `i64` count of the currency's *minor unit*: cents for USD, yen for JPY (which
//! has none smaller), fils for KWD (a thousandth of a dinar). How many decimal digits a currency
//! has is its ISO 4217 *exponent* ("minor unit" column of the ISO list): 0 for JPY, KRW, VND, CLP;
//! 3 for KWD, BHD, JOD; 2 for most others. The list is maintained by SIX for ISO
//! (<https://www.six-group.com/en/products-services/financial-information/data-standards.html>);
//! we read it through the `iso_currency` crate (<https://docs.rs/iso_currency>), whose table
//! follows that list, instead of keeping our own.
//!
//! Some ISO codes have no minor unit at all ("N.A." in the list): precious metals (XAU, XAG),
//! units of account (XDR, XUA, XSU), the testing and no-currency codes (XTS, XXX). Others are
//! *funds* (BOV, CLF, COU, USN, UYW): bookkeeping units, not money a shopper pays in. Neither
//! can price goods, so [`Currency::parse`] refuses both with a [`CurrencyError`] that says why;
//! a [`Currency`] value is therefore always a currency with a minor unit.
//!
//! # Stored form
//!
//! A currency is stored and serialized as its uppercase code (`"USD"`), as it always was;
//! reading accepts any case (`"usd"`, Stripe's spelling). Payment providers add their own rules
//! on top of ISO (Stripe's zero-decimal list, minimum charges): those live with the provider
//! (`chatdrop-payments`), not here.
//!
//! # Formatting
//!
//! [`Money::format`] writes an amount the way a reader of a language expects it, from the
//! Unicode CLDR data that ICU4X compiles in: `¥12,000` or `￥12,000` (see the tests for which),
//! `R$ 120,00`, `12.000 ₫`. See the `cldr` submodule (money_format.rs).

use crate::lang::Lang;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[path = "money_format.rs"]
mod cldr;

/// An ISO 4217 currency that has a minor unit: small enough to copy like an integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

/// Why a code is not a currency we can price in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("`{0}` is not an ISO 4217 currency code (three letters, e.g. USD, JPY, BRL)")]
    Unknown(String),
    #[error(
        "{code} ({name}) has no minor unit in ISO 4217 (a metal, a unit of account or a \
         reserved code), so nothing can be priced in it"
    )]
    NoMinorUnit { code: &'static str, name: String },
    #[error("{code} ({name}) is an ISO 4217 fund code, a unit for bookkeeping, not for sales")]
    Fund { code: &'static str, name: String },
}

impl Currency {
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    pub const GBP: Currency = Currency(iso_currency::Currency::GBP);
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);
    pub const CNY: Currency = Currency(iso_currency::Currency::CNY);
    pub const THB: Currency = Currency(iso_currency::Currency::THB);
    pub const BRL: Currency = Currency(iso_currency::Currency::BRL);

    /// The currency for an ISO 4217 code, in any case (`"USD"`, `"usd"`).
    pub fn parse(code: &str) -> Result<Currency, CurrencyError> {
        let code = code.trim();
        let iso = iso_currency::Currency::from_code(&code.to_ascii_uppercase())
            .ok_or_else(|| CurrencyError::Unknown(code.to_string()))?;
        if iso.exponent().is_none() {
            return Err(CurrencyError::NoMinorUnit {
                code: iso.code(),
                name: iso.name().to_string(),
            });
        }
        if iso.is_fund() {
            return Err(CurrencyError::Fund {
                code: iso.code(),
                name: iso.name().to_string(),
            });
        }
        Ok(Currency(iso))
    }

    /// The uppercase ISO 4217 code: the stored form.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point: the ISO 4217 minor unit (0 for JPY, 3 for KWD).
    pub fn exponent(self) -> u32 {
        // `parse` admits only currencies with a minor unit.
        self.0.exponent().map_or(0, u32::from)
    }

    /// The English name ISO gives the currency (`US dollar`), for operators and logs.
    pub fn name(self) -> String {
        self.0.name().to_string()
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
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

    /// The amount as a reader of `lang` expects it (`$12.00`, `¥1,200`, `R$ 120,00`), with a
    /// `+` before a positive amount when `signed` (price deltas: `+$5.00`; `-$3.50` either way).
    ///
    /// The symbol, its place, the separators and the digits shown come from CLDR; a currency or
    /// language CLDR cannot format falls back to the amount and the ISO code (`12.00 XYZ`).
    pub fn format(self, lang: Lang, signed: bool) -> String {
        cldr::format(self, lang, signed)
    }

    /// [`Money::format`] with a formatter built for this call alone and dropped after: what the
    /// first call for a (language, currency) pair costs. For the benchmark; use `format`.
    #[doc(hidden)]
    pub fn format_uncached(self, lang: Lang, signed: bool) -> String {
        cldr::format_uncached(self, lang, signed)
    }
}

#[cfg(test)]
#[path = "money_tests.rs"]
mod tests;
