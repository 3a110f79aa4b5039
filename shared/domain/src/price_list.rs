//! Prices per market: what a product costs where, and the checks that every market has one.
//!
//! `price` and `price_delta` are the first market's (in `Catalog.currency`); `prices` and
//! `price_deltas` hold every other market's, by market id, each in its market's currency. A
//! catalog with no markets has one implicit market ([`crate::market::DEFAULT_MARKET`]) and only
//! the first-market fields. Nothing converts one currency into another: a retailer sets each
//! price, as shops abroad do (a bag is 8,800 yuan in Shanghai and 42,000 baht in Bangkok, not an
//! exchange rate apart).
//!
//! The lookups here answer for a validated catalog, in which every declared market has a price
//! for every product and a delta for every option that costs extra anywhere. A product without a
//! price in a market (only in a catalog that skipped validation) reads as not for sale there.

use super::{Catalog, CatalogError, GroupKind, OptionGroup, Product, ProductOption, check_id};
use crate::customization::{self, Priced, Selection};
use crate::market::{DEFAULT_MARKET, Market};
use crate::money::Money;
use std::collections::{BTreeMap, HashSet};

impl Catalog {
    /// The id of the market `price` and `price_delta` are in.
    pub fn first_market_id(&self) -> &str {
        self.markets
            .first()
            .map_or(DEFAULT_MARKET, |m| m.id.as_str())
    }

    /// The amount for `market` of a first-market amount and the other markets' list.
    fn amount_in(
        &self,
        market: &Market,
        first: i64,
        others: &BTreeMap<String, i64>,
    ) -> Option<i64> {
        if market.id == self.first_market_id() {
            Some(first)
        } else {
            others.get(&market.id).copied()
        }
    }

    /// A product's base price in `market`; `None` if it has none there (not for sale).
    pub fn price(&self, market: &Market, product: &Product) -> Option<Money> {
        self.amount_in(market, product.price, &product.prices)
            .map(|minor| Money::new(minor, market.currency))
    }

    /// What choosing `option` adds in `market`, in minor units of its currency.
    pub fn option_delta(&self, market: &Market, option: &ProductOption) -> i64 {
        self.amount_in(market, option.price_delta, &option.price_deltas)
            .unwrap_or(0)
    }

    /// What answering text group `group` adds in `market`; 0 for a choice group.
    pub fn text_delta(&self, market: &Market, group: &OptionGroup) -> i64 {
        match &group.kind {
            GroupKind::Text {
                price_delta,
                price_deltas,
                ..
            } => self
                .amount_in(market, *price_delta, price_deltas)
                .unwrap_or(0),
            GroupKind::Choice { .. } => 0,
        }
    }

    /// A customized product's unit price in `market`: base price plus every chosen delta.
    pub fn unit_price(
        &self,
        market: &Market,
        product: &Product,
        selections: &[Selection],
    ) -> Option<Money> {
        let base = self.price(market, product)?;
        let deltas: i64 = customization::priced(product, selections)
            .map(|p| match p {
                Priced::Option(o) => self.option_delta(market, o),
                Priced::Text(g) => self.text_delta(market, g),
            })
            .sum();
        Some(Money::new(base.minor + deltas, market.currency))
    }

    /// Market ids are plain and unique, and the first market is in `currency`.
    pub(super) fn validate_markets(&self) -> Result<(), CatalogError> {
        let mut seen = HashSet::new();
        for m in &self.markets {
            check_id(&m.id, &mut seen, "market")?;
            // Each payment method takes the market's currency (Stripe's facts).
            m.check()?;
        }
        if let Some(first) = self.markets.first()
            && first.currency != self.currency
        {
            return Err(CatalogError::FirstMarketCurrency {
                market: first.id.clone(),
                expected: self.currency.code(),
                found: first.currency.code(),
            });
        }
        Ok(())
    }

    /// Every market prices the product, every extra-cost option in every market, and no
    /// combination of choices costs less than nothing anywhere.
    pub(super) fn validate_prices(&self, p: &Product) -> Result<(), CatalogError> {
        let first = self.first_market_id();
        let others: Vec<&str> = self.markets.iter().skip(1).map(|m| m.id.as_str()).collect();
        self.check_list(p, p.price, &p.prices)?;
        if let Some(market) = others.iter().find(|m| !p.prices.contains_key(**m)) {
            return Err(CatalogError::MissingPrice {
                product: p.id.clone(),
                market: market.to_string(),
            });
        }
        for g in &p.option_groups {
            let deltas: Vec<(String, i64, &BTreeMap<String, i64>)> = match &g.kind {
                GroupKind::Choice { options } => options
                    .iter()
                    .map(|o| (format!("{}.{}", g.id, o.id), o.price_delta, &o.price_deltas))
                    .collect(),
                GroupKind::Text {
                    price_delta,
                    price_deltas,
                    ..
                } => vec![(g.id.clone(), *price_delta, price_deltas)],
            };
            for (option, delta, list) in deltas {
                self.check_list(p, delta, list)?;
                let costs = delta != 0 || list.values().any(|d| *d != 0);
                if let Some(market) = others.iter().find(|m| costs && !list.contains_key(**m)) {
                    return Err(CatalogError::MissingDelta {
                        product: p.id.clone(),
                        option,
                        market: market.to_string(),
                    });
                }
            }
        }
        let markets = std::iter::once(first).chain(others.iter().copied());
        for id in markets {
            let market = self
                .markets
                .iter()
                .find(|m| m.id == id)
                .cloned()
                .unwrap_or_else(|| Market::implicit(self.currency));
            if self.cheapest(&market, p).is_none_or(|c| c < 0) {
                return Err(CatalogError::NegativePrice {
                    product: p.id.clone(),
                    market: id.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The keys of a price list name declared markets other than the first, unless they repeat
    /// the first market's amount exactly.
    fn check_list(
        &self,
        p: &Product,
        first_amount: i64,
        list: &BTreeMap<String, i64>,
    ) -> Result<(), CatalogError> {
        let first = self.first_market_id();
        for (market, amount) in list {
            if market == first {
                if *amount != first_amount {
                    return Err(CatalogError::TwoFirstPrices {
                        product: p.id.clone(),
                        market: market.clone(),
                    });
                }
            } else if !self.markets.iter().any(|m| &m.id == market) {
                return Err(CatalogError::UnknownMarket {
                    product: p.id.clone(),
                    market: market.clone(),
                });
            }
        }
        Ok(())
    }

    /// The lowest unit price the product's choices allow in `market` (a negative base counts).
    fn cheapest(&self, market: &Market, p: &Product) -> Option<i64> {
        let base = self.price(market, p)?.minor;
        if base < 0 {
            return Some(base);
        }
        let deltas: i64 = p
            .option_groups
            .iter()
            .map(|g| match &g.kind {
                GroupKind::Choice { options } => {
                    let least = options
                        .iter()
                        .map(|o| self.option_delta(market, o))
                        .min()
                        .unwrap_or(0);
                    if g.required { least } else { least.min(0) }
                }
                GroupKind::Text { .. } => self.text_delta(market, g).min(0),
            })
            .sum();
        Some(base + deltas)
    }
}

#[cfg(test)]
#[path = "price_list_tests.rs"]
mod tests;
