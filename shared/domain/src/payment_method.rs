//! The payment methods Stripe Checkout can offer a market, by Stripe's own names.
//!
//! The names are Stripe's payment method type values (`wechat_pay`, `konbini`), so
//! configuration reads as Stripe's documentation does. What each one takes is written down
//! once, here, from Stripe's public documentation (the page of each method is
//! [`PaymentMethod::source`]; `docs/payment-methods.md` has the table, with what is not
//! certain marked as such):
//!
//! - the currencies Stripe presents it in ([`PaymentMethod::currencies`]): a market whose
//!   currency a method does not take is refused when the catalog loads, and a checkout in such
//!   a currency is refused before any call to Stripe;
//! - where its customers are ([`PaymentMethod::customer_countries`]), for the documentation
//!   and the operator: nothing filters on it, since the chat does not know the customer's
//!   country for certain;
//! - how the customer pays ([`PaymentFlow`]), and whether the money arrives when the customer
//!   finishes Stripe's page or later ([`PaymentMethod::settles_later`]).
//!
//! A method that settles later (Konbini's voucher paid at a store days later) completes the
//! Checkout Session with `payment_status = unpaid`; the money, or its failure, comes with
//! `checkout.session.async_payment_succeeded` / `…_failed`
//! (<https://docs.stripe.com/checkout/fulfillment#delayed-notification>). A reservation of a
//! few minutes cannot wait for it, so such a method is offered only where the reservation may
//! be held until the customer's deadline ([`PaymentOffer::pay_within_days`], set per drop by
//! [`crate::drops::Drop::delayed_payment_days`]), and the deadline sent to Stripe
//! ([`PaymentOffer::konbini_expires_after_days`], [`PaymentOffer::pix_expires_after_seconds`])
//! is the one the reservation is held to ([`PaymentOffer::deadline`]).

use crate::money::Currency;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cards, with Apple Pay and Google Pay where the browser offers them.
    Card,
    WechatPay,
    Alipay,
    KakaoPay,
    NaverPay,
    Payco,
    SamsungPay,
    /// Korean-issued cards (`kr_card`).
    KrCard,
    Paynow,
    Promptpay,
    Grabpay,
    Pix,
    Konbini,
}

/// How the customer pays on Stripe's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentFlow {
    /// A card form; Apple Pay and Google Pay buttons appear with it on devices that have them.
    CardForm,
    /// Stripe sends the customer to the wallet's app or site to approve, then back.
    Redirect,
    /// Stripe shows a QR code the customer scans with a wallet or banking app.
    QrCode,
    /// Stripe gives the customer a voucher to pay later, in cash at a store.
    Voucher,
}

/// Currencies Stripe presents WeChat Pay in (<https://docs.stripe.com/payments/wechat-pay>);
/// which of them an account may use depends on the account's country.
const WECHAT_PAY_CURRENCIES: &[&str] = &[
    "CNY", "AUD", "CAD", "EUR", "GBP", "HKD", "JPY", "SGD", "USD", "DKK", "NOK", "SEK", "CHF",
];
/// Currencies Stripe presents Alipay in (<https://docs.stripe.com/payments/alipay>); which of
/// them an account may use depends on the account's country.
const ALIPAY_CURRENCIES: &[&str] = &[
    "CNY", "AUD", "CAD", "EUR", "GBP", "HKD", "JPY", "SGD", "MYR", "NZD", "USD",
];
const KRW: &[&str] = &["KRW"];

/// Konbini: `expires_after_days` Stripe takes (between 1 and 60; 3 when not sent), from
/// Stripe's API reference for `payment_method_options.konbini.expires_after_days`
/// (<https://docs.stripe.com/api/checkout/sessions/create>).
pub const KONBINI_DAYS: std::ops::RangeInclusive<u32> = 1..=60;
/// Pix: `expires_after_seconds` Stripe takes (between 10 and 1,209,600, i.e. 14 days; 86,400
/// when not sent), same reference.
pub const PIX_SECONDS: std::ops::RangeInclusive<i64> = 10..=1_209_600;
/// Japan Standard Time, the zone Konbini deadlines are counted in (no daylight saving time).
const JST_OFFSET_SECS: i64 = 9 * 3600;

impl PaymentMethod {
    /// Every method, in the order of the enum.
    pub const ALL: [PaymentMethod; 13] = [
        PaymentMethod::Card,
        PaymentMethod::WechatPay,
        PaymentMethod::Alipay,
        PaymentMethod::KakaoPay,
        PaymentMethod::NaverPay,
        PaymentMethod::Payco,
        PaymentMethod::SamsungPay,
        PaymentMethod::KrCard,
        PaymentMethod::Paynow,
        PaymentMethod::Promptpay,
        PaymentMethod::Grabpay,
        PaymentMethod::Pix,
        PaymentMethod::Konbini,
    ];

    /// Stripe's name of the method, as `allowed_payment_method_types[]` takes it.
    pub fn stripe_name(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::WechatPay => "wechat_pay",
            PaymentMethod::Alipay => "alipay",
            PaymentMethod::KakaoPay => "kakao_pay",
            PaymentMethod::NaverPay => "naver_pay",
            PaymentMethod::Payco => "payco",
            PaymentMethod::SamsungPay => "samsung_pay",
            PaymentMethod::KrCard => "kr_card",
            PaymentMethod::Paynow => "paynow",
            PaymentMethod::Promptpay => "promptpay",
            PaymentMethod::Grabpay => "grabpay",
            PaymentMethod::Pix => "pix",
            PaymentMethod::Konbini => "konbini",
        }
    }

    /// The method Stripe calls `name`.
    pub fn from_stripe_name(name: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL
            .into_iter()
            .find(|m| m.stripe_name() == name)
    }

    /// The ISO 4217 codes Stripe presents the method in; `None` for cards, which Stripe takes
    /// in every currency it supports.
    pub fn currencies(self) -> Option<&'static [&'static str]> {
        Some(match self {
            PaymentMethod::Card => return None,
            PaymentMethod::WechatPay => WECHAT_PAY_CURRENCIES,
            PaymentMethod::Alipay => ALIPAY_CURRENCIES,
            PaymentMethod::KakaoPay
            | PaymentMethod::NaverPay
            | PaymentMethod::Payco
            | PaymentMethod::SamsungPay
            | PaymentMethod::KrCard => KRW,
            PaymentMethod::Paynow => &["SGD"],
            PaymentMethod::Promptpay => &["THB"],
            PaymentMethod::Grabpay => &["SGD", "MYR"],
            PaymentMethod::Pix => &["BRL"],
            PaymentMethod::Konbini => &["JPY"],
        })
    }

    /// Whether Stripe takes the method in the currency with ISO 4217 code `code` (any case).
    pub fn accepts_code(self, code: &str) -> bool {
        self.currencies()
            .is_none_or(|list| list.iter().any(|c| c.eq_ignore_ascii_case(code)))
    }

    /// Whether Stripe takes the method in `currency`.
    pub fn accepts(self, currency: Currency) -> bool {
        self.accepts_code(currency.code())
    }

    /// Where the method's customers are (ISO 3166-1 alpha-2); empty for cards, used
    /// everywhere.
    pub fn customer_countries(self) -> &'static [&'static str] {
        match self {
            PaymentMethod::Card => &[],
            PaymentMethod::WechatPay | PaymentMethod::Alipay => &["CN"],
            PaymentMethod::KakaoPay
            | PaymentMethod::NaverPay
            | PaymentMethod::Payco
            | PaymentMethod::SamsungPay
            | PaymentMethod::KrCard => &["KR"],
            PaymentMethod::Paynow => &["SG"],
            PaymentMethod::Promptpay => &["TH"],
            PaymentMethod::Grabpay => &["SG", "MY"],
            PaymentMethod::Pix => &["BR"],
            PaymentMethod::Konbini => &["JP"],
        }
    }

    pub fn flow(self) -> PaymentFlow {
        match self {
            PaymentMethod::Card => PaymentFlow::CardForm,
            PaymentMethod::Alipay
            | PaymentMethod::KakaoPay
            | PaymentMethod::NaverPay
            | PaymentMethod::Payco
            | PaymentMethod::SamsungPay
            | PaymentMethod::KrCard
            | PaymentMethod::Grabpay => PaymentFlow::Redirect,
            PaymentMethod::WechatPay
            | PaymentMethod::Paynow
            | PaymentMethod::Promptpay
            | PaymentMethod::Pix => PaymentFlow::QrCode,
            PaymentMethod::Konbini => PaymentFlow::Voucher,
        }
    }

    /// Whether the Checkout Session can complete before the money arrives
    /// (`payment_status = unpaid`, then an async event). Konbini does by design; Pix is
    /// treated so because its QR code stays payable for `expires_after_seconds` after the
    /// customer leaves the page (see `docs/payment-methods.md`: not certain).
    pub fn settles_later(self) -> bool {
        matches!(self, PaymentMethod::Konbini | PaymentMethod::Pix)
    }

    /// The Stripe documentation page the facts above come from.
    pub fn source(self) -> &'static str {
        match self {
            PaymentMethod::Card => "https://docs.stripe.com/payments/cards",
            PaymentMethod::WechatPay => "https://docs.stripe.com/payments/wechat-pay",
            PaymentMethod::Alipay => "https://docs.stripe.com/payments/alipay",
            PaymentMethod::KakaoPay => "https://docs.stripe.com/payments/kakao-pay",
            PaymentMethod::NaverPay => "https://docs.stripe.com/payments/naver-pay",
            PaymentMethod::Payco => "https://docs.stripe.com/payments/payco",
            PaymentMethod::SamsungPay => "https://docs.stripe.com/payments/samsung-pay",
            PaymentMethod::KrCard => "https://docs.stripe.com/payments/kr-card",
            PaymentMethod::Paynow => "https://docs.stripe.com/payments/paynow",
            PaymentMethod::Promptpay => "https://docs.stripe.com/payments/promptpay",
            PaymentMethod::Grabpay => "https://docs.stripe.com/payments/grabpay",
            PaymentMethod::Pix => "https://docs.stripe.com/payments/pix",
            PaymentMethod::Konbini => "https://docs.stripe.com/payments/konbini",
        }
    }
}

impl std::fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.stripe_name())
    }
}

/// A method offered in a currency Stripe does not take it in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Stripe does not take {method} in {currency}: it takes {method} in {}", accepted.join(", "))]
pub struct CurrencyNotAccepted {
    pub method: PaymentMethod,
    pub currency: String,
    pub accepted: Vec<&'static str>,
}

/// Checks that Stripe takes every one of `methods` in the currency with code `code`.
pub fn check_currency(methods: &[PaymentMethod], code: &str) -> Result<(), CurrencyNotAccepted> {
    match methods.iter().find(|m| !m.accepts_code(code)) {
        Some(&method) => Err(CurrencyNotAccepted {
            method,
            currency: code.to_ascii_uppercase(),
            accepted: method.currencies().unwrap_or_default().to_vec(),
        }),
        None => Ok(()),
    }
}

/// What one checkout offers: the methods, and for those that settle later, how long the
/// customer has to pay. Kept on the order, so a retried checkout asks Stripe for exactly the
/// same page (Stripe refuses an idempotency key reused with other parameters) and the payment
/// events know the deadline the reservation is held to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOffer {
    /// In the order Stripe shows them; empty means cards (orders from before markets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<PaymentMethod>,
    /// Days the customer has to pay by a method that settles later; `Some` exactly when one
    /// is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_within_days: Option<u32>,
}

impl PaymentOffer {
    /// The offer for `methods` (empty: cards), with methods that settle later kept only when
    /// the customer may take `pay_within_days` to pay (clamped to what Konbini takes).
    pub fn new(methods: &[PaymentMethod], pay_within_days: Option<u32>) -> PaymentOffer {
        let mut offered: Vec<PaymentMethod> = Vec::new();
        for &m in methods {
            if (pay_within_days.is_some() || !m.settles_later()) && !offered.contains(&m) {
                offered.push(m);
            }
        }
        if offered.is_empty() {
            // Every configured method settles later and this order may not wait: cards.
            offered.push(PaymentMethod::Card);
        }
        let later = offered.iter().any(|m| m.settles_later());
        PaymentOffer {
            methods: offered,
            pay_within_days: pay_within_days
                .filter(|_| later)
                .map(|d| d.clamp(*KONBINI_DAYS.start(), *KONBINI_DAYS.end())),
        }
    }

    /// Nothing recorded (an order from before markets): cards.
    pub fn is_unset(&self) -> bool {
        self.methods.is_empty() && self.pay_within_days.is_none()
    }

    /// The methods to send: cards when none are recorded.
    pub fn methods(&self) -> &[PaymentMethod] {
        if self.methods.is_empty() {
            &[PaymentMethod::Card]
        } else {
            &self.methods
        }
    }

    pub fn has(&self, method: PaymentMethod) -> bool {
        self.methods().contains(&method)
    }

    /// Whether a method that settles later is offered.
    pub fn settles_later(&self) -> bool {
        self.pay_within_days.is_some() && self.methods().iter().any(|m| m.settles_later())
    }

    /// Konbini's `expires_after_days`, when Konbini is offered.
    pub fn konbini_expires_after_days(&self) -> Option<u32> {
        self.pay_within_days
            .filter(|_| self.has(PaymentMethod::Konbini))
    }

    /// Pix's `expires_after_seconds` when Pix is offered: the same days, at most Stripe's 14.
    pub fn pix_expires_after_seconds(&self) -> Option<i64> {
        self.pay_within_days
            .filter(|_| self.has(PaymentMethod::Pix))
            .map(|d| (i64::from(d) * 86_400).clamp(*PIX_SECONDS.start(), *PIX_SECONDS.end()))
    }

    /// The latest moment a customer who chose a method that settles later at `chosen_at`
    /// (the session's completion) can still pay, over every such method offered: Konbini's
    /// voucher runs to 23:59:59 JST of the `expires_after_days`-th calendar day after it is
    /// issued (Stripe's API reference, `payment_method_options.konbini.expires_after_days`),
    /// Pix's QR code for `expires_after_seconds`. `None` when no such method is offered.
    pub fn deadline(&self, chosen_at: i64) -> Option<i64> {
        let konbini = self.konbini_expires_after_days().map(|days| {
            let day = (chosen_at + JST_OFFSET_SECS).div_euclid(86_400);
            (day + i64::from(days) + 1) * 86_400 - 1 - JST_OFFSET_SECS
        });
        let pix = self.pix_expires_after_seconds().map(|s| chosen_at + s);
        konbini.into_iter().chain(pix).max()
    }
}

#[cfg(test)]
#[path = "payment_method_tests.rs"]
mod tests;
