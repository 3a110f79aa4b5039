//! Markets: where one catalog sells, each in its own currency, language, time zone and wallets.
//!
//! A retailer sells one catalog in several markets (China on WeChat in yuan, Thailand on LINE in
//! baht, Brazil on WhatsApp in reais). A market names its currency, the language its customers
//! get when nothing else tells us theirs, the time zone for times shown when a phone number does
//! not pin one down, the payment methods Stripe Checkout offers there, and the channels whose
//! conversations it serves. Prices per market live beside the products (a price list per
//! market); nothing converts currencies.
//!
//! A catalog with no `[[markets]]` sells in one implicit market: the catalog's `currency`, on
//! every channel, paid by card.

use crate::channel::Channel;
use crate::lang::Lang;
use crate::money::{Currency, Money};
use crate::payment_method::{CurrencyNotAccepted, PaymentMethod, check_currency};
use serde::{Deserialize, Serialize};

/// The id of the implicit market of a catalog that declares none.
pub const DEFAULT_MARKET: &str = "default";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Market {
    /// Short and plain, like every catalog id (`cn`, `th`, `br`): it keys the price lists.
    pub id: String,
    pub currency: Currency,
    /// The language when neither the platform nor the customer's words tell us theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// An IANA time zone name (`Asia/Shanghai`), for customers whose phone does not pin one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// What Stripe Checkout offers, in this order; empty means cards only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_methods: Vec<PaymentMethod>,
    /// The channel accounts this market serves; a channel in no market's list goes to the
    /// first market.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
}

/// A market Stripe could not sell in as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    #[error("market `{market}`: {problem}")]
    Currency {
        market: String,
        problem: CurrencyNotAccepted,
    },
    #[error("market `{market}` lists payment method {method} twice")]
    DuplicateMethod {
        market: String,
        method: PaymentMethod,
    },
}

impl Market {
    /// Checks that Stripe takes every listed payment method in the market's currency (see
    /// [`crate::payment_method`]), so a market Stripe would refuse fails when the catalog
    /// loads, not at a customer's checkout.
    pub fn check(&self) -> Result<(), MarketError> {
        for (i, method) in self.payment_methods.iter().enumerate() {
            if self.payment_methods[..i].contains(method) {
                return Err(MarketError::DuplicateMethod {
                    market: self.id.clone(),
                    method: *method,
                });
            }
        }
        check_currency(&self.payment_methods, self.currency.code()).map_err(|problem| {
            MarketError::Currency {
                market: self.id.clone(),
                problem,
            }
        })
    }

    /// The implicit market of a catalog without markets.
    pub fn implicit(currency: Currency) -> Market {
        Market {
            id: DEFAULT_MARKET.into(),
            currency,
            lang: None,
            time_zone: None,
            payment_methods: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// An amount of this market's currency: how cart totals (kept in minor units) are shown.
    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(currency: Currency, payment_methods: Vec<PaymentMethod>) -> Market {
        Market {
            id: "jp".into(),
            payment_methods,
            ..Market::implicit(currency)
        }
    }

    #[test]
    fn every_method_must_take_the_markets_currency() {
        use PaymentMethod::*;
        assert_eq!(
            market(Currency::JPY, vec![Card, Konbini, WechatPay]).check(),
            Ok(())
        );
        assert_eq!(market(Currency::USD, Vec::new()).check(), Ok(()));
        let err = market(Currency::USD, vec![Card, Konbini])
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "market `jp`: Stripe does not take konbini in USD: it takes konbini in JPY"
        );
        let err = market(Currency::EUR, vec![KakaoPay]).check().unwrap_err();
        assert!(matches!(err, MarketError::Currency { .. }), "{err}");
        assert_eq!(
            market(Currency::JPY, vec![Card, Card]).check(),
            Err(MarketError::DuplicateMethod {
                market: "jp".into(),
                method: Card
            })
        );
    }
}
