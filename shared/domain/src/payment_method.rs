//! The payment methods Stripe Checkout can offer a market, by Stripe's own names.
//!
//! The names are Stripe's `payment_method_types` values, so configuration reads as Stripe's
//! documentation does. Which currencies and countries each one takes, and whether it settles
//! at once or later, is recorded beside each variant with its source.

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
