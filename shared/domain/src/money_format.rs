//! Amounts written as CLDR says, for a language and a currency.
//!
//! Where the symbol goes, which symbol a language uses for a currency, the decimal and grouping
//! separators and the spaces between them are locale data, not rules to write by hand: Brazilian
//! Portuguese writes `R$ 120,00` (with a no-break space), Vietnamese `12.000 ₫`, Japanese
//! `￥12,000`. The Unicode CLDR collects these (<https://cldr.unicode.org/translation/number-currency-formats>,
//! the spec: <https://unicode.org/reports/tr35/tr35-numbers.html#Currencies>), and ICU4X
//! compiles them into the binary (<https://docs.rs/icu_experimental/0.7.0/icu_experimental/dimension/currency/formatter/struct.CurrencyFormatter.html>).
//!
//! CLDR also says how many fraction digits to *show* (supplemental `currencyData`), which can
//! differ from the ISO minor unit we count in: CLDR shows IQD, RSD, LBP without decimals though
//! ISO gives them 3 or 2. ICU4X rounds to CLDR's digits on display; amounts are still counted in
//! ISO minor units, and the payment provider checks what it can charge.
//!
//! Building a formatter loads and resolves locale data (fallback from `pt-BR` to `pt`, symbol
//! lookup): microseconds, not the nanoseconds of writing a number. So each thread keeps the
//! formatters it has built, one per (language, currency), for the life of the process. ICU4X's
//! data payloads are not `Send` without its `sync` feature, which is why the cache is per thread
//! rather than a process-wide `Mutex`: a Lambda instance runs a few threads, each builds the few
//! pairs it meets once.
//!
//! Measured (`cargo bench -p chatdrop-domain --bench money`, release profile, 2-core machine):
//! building and using a formatter 5 µs (ja, JPY) to 18 µs (pt-BR, BRL); a cached call 1.0 µs.
//! The compiled CLDR data and ICU4X code add about 145 kB to a release function binary
//! (catalog: 8,111,568 → 8,256,296 bytes); LTO keeps only the data this formatter reads.

use super::Money;
use crate::lang::Lang;
use fixed_decimal::{Decimal, SignDisplay};
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::options::CurrencyFormatterOptions;
use icu_locale_core::Locale;
use std::cell::RefCell;
use std::collections::HashMap;
use writeable::Writeable;

type Formatter = CurrencyFormatter<icu_decimal::DecimalFormatter>;

/// A (language, currency) pair's formatter, or `None` when CLDR data could not build one.
type Cache = HashMap<(Lang, super::Currency), Option<Formatter>>;

thread_local! {
    static FORMATTERS: RefCell<Cache> = RefCell::new(HashMap::new());
}

pub(super) fn format(money: Money, lang: Lang, signed: bool) -> String {
    let value = decimal(money, signed);
    FORMATTERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let formatter = cache
            .entry((lang, money.currency))
            .or_insert_with(|| build(lang, money.currency));
        write(formatter.as_ref(), &value, money)
    })
}

pub(super) fn format_uncached(money: Money, lang: Lang, signed: bool) -> String {
    write(
        build(lang, money.currency).as_ref(),
        &decimal(money, signed),
        money,
    )
}

fn write(formatter: Option<&Formatter>, value: &Decimal, money: Money) -> String {
    match formatter {
        Some(f) => f.format_fixed_decimal(value).write_to_string().into_owned(),
        None => fallback(value, money.currency),
    }
}

/// The amount as a decimal number: minor units shifted by the currency's exponent, signed
/// `+` when asked (CLDR's plus sign; zero stays unsigned).
fn decimal(money: Money, signed: bool) -> Decimal {
    let mut value = Decimal::from(money.minor);
    value.multiply_pow10(-(money.currency.exponent() as i16));
    // Show every ISO digit (`12.50`, not `12.5`) even where CLDR is missing.
    value.pad_end(-(money.currency.exponent() as i16));
    if signed {
        value.apply_sign_display(SignDisplay::ExceptZero);
    }
    value
}

/// A formatter with the currency's short symbol, or `None` if the locale or currency is not one
/// ICU4X can load.
fn build(lang: Lang, currency: super::Currency) -> Option<Formatter> {
    let locale: Locale = lang.code().parse().ok()?;
    let code = CurrencyType::try_from_str(currency.code()).ok()?;
    match Formatter::try_new_symbol((&locale).into(), code, CurrencyFormatterOptions::default()) {
        Ok(f) => Some(f),
        Err(error) => {
            tracing::warn!(lang = %lang, currency = currency.code(), %error, "no CLDR currency formatter; writing the ISO code");
            None
        }
    }
}

/// `12.00 XYZ`, `-3.50 USD`: the number in plain ASCII and the ISO code, which every reader can
/// decode, when CLDR has nothing for the pair.
pub(super) fn fallback(value: &Decimal, currency: super::Currency) -> String {
    format!("{value} {}", currency.code())
}
