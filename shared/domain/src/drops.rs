//! Limited drops: a fixed stock per SKU, a start and end time, and per-customer limits.
//!
//! A SKU is a product's id (its base stock, which every customized variant draws from) or
//! `product.group.option` for an option the retailer stocks separately (a limited charm). A
//! cart line takes one unit of every SKU of the drop it touches, all in one transaction with
//! the customer's limit counters, so a unit is never sold twice and a limit cannot be raced.
//! Products that no drop lists are ordinary catalog items with no stock limit.
//!
//! A SKU's stock is one counter, and every reservation writes it. A store has a ceiling on how
//! often one item can be written (DynamoDB: about 1,000 write units a second per partition, two
//! per item in a transaction), so a SKU that thousands of people buy in the same second can be
//! split into *shards*: [`StockShards`] says into how many, [`spread_stock`] how the units are
//! dealt out. A reservation then takes from any one shard with units left, so the shards
//! together carry N times the writes of one counter, and the sum over the shards is still the
//! stock: nothing is sold twice, as every shard keeps its own `available >= quantity` guard.

use crate::cart::CartLine;
use crate::customization::Selection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drop {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub starts_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    /// Units one customer may hold (reserved or paid) across the whole drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_customer_limit: Option<u32>,
    pub skus: Vec<DropSku>,
    #[serde(default)]
    pub status: DropStatus,
    /// Days a customer may take to pay by a method that settles later (a Konbini voucher,
    /// Pix), the drop's units held for them that long once they chose one; absent, such
    /// methods are not offered for this drop, so its stock is never held past the
    /// reservation. See [`crate::payment_method::PaymentOffer`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delayed_payment_days: Option<u32>,
    /// One person, one limit: a chat whose platform vouches for no phone (Messenger, LINE,
    /// WeChat, Kakao, Viber, Telegram before a contact share) proves one by a code texted to
    /// it before it reserves ([`crate::phone_dialogue`]), so a person's chats share a limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified_phone: bool,
    /// Sold by a verifiable draw instead of first come ([`crate::draw`]); absent, first come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<crate::draw::DrawSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropSku {
    pub sku: String,
    pub stock: u32,
    /// Units of this SKU one customer may hold, on top of the drop's limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_customer_limit: Option<u32>,
    /// Stock items this SKU's units are spread over, for a SKU hotter than one DynamoDB
    /// partition takes (see [`StockShards`]); one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
}

impl Drop {
    /// Whether a customer must have a verified phone to reserve or enter: the drop says so,
    /// or its draw does (drops created before the drop-wide setting existed).
    pub fn requires_verified_phone(&self) -> bool {
        self.verified_phone || self.draw.as_ref().is_some_and(|d| d.verified_phone)
    }

    /// The stock layout the drop's SKUs ask for.
    pub fn stock_shards(&self) -> StockShards {
        self.skus
            .iter()
            .filter_map(|s| s.shards.map(|n| (s.sku.clone(), n)))
            .fold(StockShards::default(), |layout, (sku, n)| {
                layout.with(sku, n)
            })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropStatus {
    /// Created; sells from `starts_at` once opened.
    #[default]
    Scheduled,
    Open,
    Closed,
}

/// Most items one SKU's stock may be split over: a drop is created in one transaction of at
/// most 100 items, and past a few dozen shards the per-SKU hot spot is no longer the limit.
pub const MAX_STOCK_SHARDS: u32 = 64;

/// Into how many stock items ("shards") each SKU of a drop is split; a SKU not listed (or
/// listed with 0 or 1) keeps today's single counter, so drops created before sharding existed
/// read and sell as they always did.
///
/// Fixed when the drop is created: the store lays the units out once, and every order records
/// the shard it took from so its release or sale goes back to the same one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StockShards(BTreeMap<String, u32>);

impl StockShards {
    /// Splits `sku` into `shards` items (clamped to `1..=MAX_STOCK_SHARDS` when read).
    pub fn with(mut self, sku: impl Into<String>, shards: u32) -> Self {
        self.0.insert(sku.into(), shards);
        self
    }

    /// How many items `sku`'s stock lives in: 1 unless configured.
    pub fn of(&self, sku: &str) -> u32 {
        self.0
            .get(sku)
            .copied()
            .unwrap_or(1)
            .clamp(1, MAX_STOCK_SHARDS)
    }

    /// Whether any SKU is split (an unsplit drop needs no layout stored at all).
    pub fn any(&self) -> bool {
        self.0.values().any(|n| *n > 1)
    }

    /// The most shards of any SKU.
    pub fn max(&self) -> u32 {
        self.0.keys().map(|sku| self.of(sku)).max().unwrap_or(1)
    }
}

/// Deals `stock` units over `shards` items as evenly as possible: every shard gets
/// `stock / shards`, and the first `stock % shards` one more, so no two differ by more than one
/// unit and the sum is exactly `stock`.
pub fn spread_stock(stock: u32, shards: u32) -> Vec<u32> {
    let shards = shards.max(1);
    let (each, extra) = (stock / shards, stock % shards);
    (0..shards).map(|i| each + u32::from(i < extra)).collect()
}

/// Whether a drop sells right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropWindow {
    NotYet { starts_at: i64 },
    Selling,
    Over,
}

impl Drop {
    pub fn window(&self, now: i64) -> DropWindow {
        match self.status {
            DropStatus::Closed => DropWindow::Over,
            _ if self.ends_at.is_some_and(|end| now >= end) => DropWindow::Over,
            DropStatus::Scheduled => DropWindow::NotYet {
                starts_at: self.starts_at,
            },
            DropStatus::Open if now < self.starts_at => DropWindow::NotYet {
                starts_at: self.starts_at,
            },
            DropStatus::Open => DropWindow::Selling,
        }
    }

    pub fn sku(&self, sku: &str) -> Option<&DropSku> {
        self.skus.iter().find(|s| s.sku == sku)
    }

    /// The SKUs of this drop a cart line draws from.
    pub fn skus_of(&self, product: &str, selections: &[Selection]) -> Vec<String> {
        candidate_skus(product, selections)
            .into_iter()
            .filter(|s| self.sku(s).is_some())
            .collect()
    }
}

/// The base SKU, then one per chosen option.
pub fn candidate_skus(product: &str, selections: &[Selection]) -> Vec<String> {
    let mut skus = vec![product.to_string()];
    for s in selections {
        if let Selection::Option { group, option } = s {
            skus.push(format!("{product}.{group}.{option}"));
        }
    }
    skus
}

/// The drop that sells this line, if any: the first listing one of its SKUs.
pub fn drop_for<'d>(drops: &'d [Drop], line: &CartLine) -> Option<&'d Drop> {
    drops
        .iter()
        .find(|d| !d.skus_of(&line.product, &line.selections).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop(status: DropStatus, starts_at: i64, ends_at: Option<i64>) -> Drop {
        Drop {
            id: "d1".into(),
            name: "Drop".into(),
            starts_at,
            ends_at,
            per_customer_limit: Some(1),
            skus: vec![
                DropSku {
                    sku: "drop-bag".into(),
                    stock: 500,
                    per_customer_limit: None,
                    shards: None,
                },
                DropSku {
                    sku: "drop-bag.charm.gold".into(),
                    stock: 50,
                    per_customer_limit: None,
                    shards: None,
                },
            ],
            status,
            delayed_payment_days: None,
            verified_phone: false,
            draw: None,
        }
    }

    #[test]
    fn window_follows_status_and_times() {
        assert_eq!(
            drop(DropStatus::Scheduled, 100, None).window(200),
            DropWindow::NotYet { starts_at: 100 }
        );
        assert_eq!(
            drop(DropStatus::Open, 100, None).window(50),
            DropWindow::NotYet { starts_at: 100 }
        );
        assert_eq!(
            drop(DropStatus::Open, 100, None).window(100),
            DropWindow::Selling
        );
        assert_eq!(
            drop(DropStatus::Open, 100, Some(150)).window(150),
            DropWindow::Over
        );
        assert_eq!(
            drop(DropStatus::Closed, 100, None).window(120),
            DropWindow::Over
        );
    }

    #[test]
    fn a_limited_option_is_its_own_sku() {
        let d = drop(DropStatus::Open, 0, None);
        let gold = vec![Selection::Option {
            group: "charm".into(),
            option: "gold".into(),
        }];
        assert_eq!(
            d.skus_of("drop-bag", &gold),
            ["drop-bag", "drop-bag.charm.gold"]
        );
        assert_eq!(d.skus_of("drop-bag", &[]), ["drop-bag"]);
        assert!(d.skus_of("sticker-pack", &[]).is_empty());
    }

    #[test]
    fn stock_is_dealt_evenly_over_the_shards() {
        assert_eq!(spread_stock(100, 8), [13, 13, 13, 13, 12, 12, 12, 12]);
        assert_eq!(spread_stock(5, 8), [1, 1, 1, 1, 1, 0, 0, 0]);
        assert_eq!(spread_stock(7, 1), [7]);
        assert_eq!(spread_stock(7, 0), [7], "0 shards means one counter");
        for (stock, shards) in [(0, 3), (1, 64), (999, 7), (u32::MAX, 13)] {
            let spread = spread_stock(stock, shards);
            assert_eq!(spread.len(), shards as usize);
            assert_eq!(
                spread.iter().map(|u| u64::from(*u)).sum::<u64>(),
                u64::from(stock)
            );
            let (lo, hi) = (spread.iter().min(), spread.iter().max());
            assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{spread:?}");
        }
    }

    #[test]
    fn unlisted_skus_keep_one_counter_and_counts_are_bounded() {
        let layout = StockShards::default()
            .with("drop-bag", 8)
            .with("drop-bag.charm.gold", 0)
            .with("huge", 10_000);
        assert_eq!(layout.of("drop-bag"), 8);
        assert_eq!(layout.of("drop-bag.charm.gold"), 1);
        assert_eq!(layout.of("sticker-pack"), 1);
        assert_eq!(layout.of("huge"), MAX_STOCK_SHARDS);
        assert_eq!(layout.max(), MAX_STOCK_SHARDS);
        assert!(layout.any());
        assert!(!StockShards::default().with("a", 1).any());
        // Stored as a plain map next to the drop: `{"drop-bag": 8}`.
        let json = serde_json::to_string(&StockShards::default().with("drop-bag", 8)).unwrap();
        assert_eq!(json, r#"{"drop-bag":8}"#);
    }
}
