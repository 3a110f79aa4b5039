//! The retailer's catalog: categories, products and their option groups.
//!
//! A catalog is data: the retailer writes it as a seed file (TOML) and the CLI loads it into the
//! table. Prices are minor units of the catalog's one currency. A product's option groups are
//! walked in order during customization; an option may carry a price delta and compatibility
//! rules (`excludes`, `requires`) naming other options as `group.option`. [`Catalog::validate`]
//! rejects a catalog whose rules point nowhere, so a broken seed fails at load time, not in a
//! customer's chat.

use crate::i18n::Lang;
use crate::market::Market;
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Text in each supported language; English is required and is the fallback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Localized {
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang.primary() {
            "ja" => self.ja.as_deref().unwrap_or(&self.en),
            _ => &self.en,
        }
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.en.as_str()).chain(self.ja.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The currency of `price` and `price_delta`: the implicit market's, or the first market's
    /// when markets are declared.
    pub currency: Currency,
    /// Where the catalog sells; empty means one implicit market in `currency` (see
    /// [`crate::market`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markets: Vec<Market>,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: Localized,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub category: String,
    pub name: Localized,
    pub description: Localized,
    /// Base price in minor units.
    pub price: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub option_groups: Vec<OptionGroup>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionGroup {
    pub id: String,
    pub name: Localized,
    #[serde(default = "yes")]
    pub required: bool,
    pub kind: GroupKind,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum GroupKind {
    /// Pick one of the options.
    Choice { options: Vec<ProductOption> },
    /// Free text, such as an engraving.
    Text {
        max_chars: usize,
        #[serde(default)]
        charset: Charset,
        #[serde(default)]
        price_delta: i64,
    },
}

/// Which characters a text option accepts (an engraver's machine has a limited set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// ASCII letters, digits, space and `. , ' & - !`.
    #[default]
    LatinBasic,
    /// Any printable character.
    Printable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductOption {
    pub id: String,
    pub name: Localized,
    #[serde(default)]
    pub price_delta: i64,
    /// `group.option` references that cannot be combined with this option.
    #[serde(default)]
    pub excludes: Vec<String>,
    /// `group.option` references of which, per group named, one must already be chosen.
    #[serde(default)]
    pub requires: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("id `{0}` must be 1 to 16 characters of a-z, 0-9, _ or -")]
    BadId(String),
    #[error("duplicate id `{0}`")]
    Duplicate(String),
    #[error("product `{product}` names unknown category `{category}`")]
    UnknownCategory { product: String, category: String },
    #[error(
        "product `{product}`: rule reference `{reference}` names no option of an earlier group"
    )]
    BadReference { product: String, reference: String },
    #[error("product `{product}`: rule reference `{reference}` names no option")]
    UnknownReference { product: String, reference: String },
    #[error("product `{0}`: a price or price delta makes a negative price")]
    NegativePrice(String),
    #[error("product `{product}` group `{group}`: {problem}")]
    BadGroup {
        product: String,
        group: String,
        problem: &'static str,
    },
    #[error(transparent)]
    Market(#[from] crate::market::MarketError),
}

/// Catalog ids appear inside button payloads, so they are short and plain.
pub fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Catalog {
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn products_in(&self, category: &str) -> impl Iterator<Item = &Product> {
        self.products.iter().filter(move |p| p.category == category)
    }

    /// The market serving a channel: the first that lists it, else the first declared, else
    /// the implicit one.
    pub fn market_for(&self, channel: crate::channel::Channel) -> Market {
        self.markets
            .iter()
            .find(|m| m.channels.contains(&channel))
            .or(self.markets.first())
            .cloned()
            .unwrap_or_else(|| Market::implicit(self.currency))
    }

    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }

    /// Products whose name (any language) or tags contain every word of the query.
    pub fn search(&self, query: &str) -> Vec<&Product> {
        let words: Vec<String> = query
            .split_whitespace()
            .map(|w| w.to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.products
            .iter()
            .filter(|p| {
                let haystack: String = p
                    .name
                    .all()
                    .chain(p.tags.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                words.iter().all(|w| haystack.contains(w.as_str()))
            })
            .collect()
    }

    /// Checks ids, references and prices; call before storing a seed.
    pub fn validate(&self) -> Result<(), CatalogError> {
        self.markets.iter().try_for_each(Market::check)?;
        let mut seen = HashSet::new();
        for c in &self.categories {
            check_id(&c.id, &mut seen, "category")?;
        }
        let mut products = HashSet::new();
        for p in &self.products {
            check_id(&p.id, &mut products, "product")?;
            if self.category(&p.category).is_none() {
                return Err(CatalogError::UnknownCategory {
                    product: p.id.clone(),
                    category: p.category.clone(),
                });
            }
            validate_groups(p)?;
        }
        Ok(())
    }
}

fn check_id(id: &str, seen: &mut HashSet<String>, kind: &str) -> Result<(), CatalogError> {
    if !valid_id(id) {
        return Err(CatalogError::BadId(id.into()));
    }
    if !seen.insert(id.to_string()) {
        return Err(CatalogError::Duplicate(format!("{kind} {id}")));
    }
    Ok(())
}

fn validate_groups(p: &Product) -> Result<(), CatalogError> {
    let mut groups = HashSet::new();
    let mut earlier: HashSet<String> = HashSet::new();
    let all: HashSet<String> = p
        .option_groups
        .iter()
        .flat_map(|g| match &g.kind {
            GroupKind::Choice { options } => options
                .iter()
                .map(|o| format!("{}.{}", g.id, o.id))
                .collect(),
            GroupKind::Text { .. } => Vec::new(),
        })
        .collect();
    let mut cheapest = p.price;
    for g in &p.option_groups {
        check_id(&g.id, &mut groups, "group")?;
        let bad = |problem| CatalogError::BadGroup {
            product: p.id.clone(),
            group: g.id.clone(),
            problem,
        };
        match &g.kind {
            GroupKind::Choice { options } => {
                if options.is_empty() {
                    return Err(bad("a choice group needs at least one option"));
                }
                let mut ids = HashSet::new();
                for o in options {
                    check_id(&o.id, &mut ids, "option")?;
                    for r in &o.excludes {
                        if !all.contains(r) {
                            return Err(CatalogError::UnknownReference {
                                product: p.id.clone(),
                                reference: r.clone(),
                            });
                        }
                    }
                    for r in &o.requires {
                        if !earlier.contains(r) {
                            return Err(CatalogError::BadReference {
                                product: p.id.clone(),
                                reference: r.clone(),
                            });
                        }
                    }
                }
                if g.required {
                    cheapest += options.iter().map(|o| o.price_delta).min().unwrap_or(0);
                } else {
                    cheapest += options
                        .iter()
                        .map(|o| o.price_delta)
                        .min()
                        .unwrap_or(0)
                        .min(0);
                }
                earlier.extend(options.iter().map(|o| format!("{}.{}", g.id, o.id)));
            }
            GroupKind::Text {
                max_chars,
                price_delta,
                ..
            } => {
                if *max_chars == 0 {
                    return Err(bad("a text group needs max_chars of at least 1"));
                }
                cheapest += (*price_delta).min(0);
            }
        }
    }
    if p.price < 0 || cheapest < 0 {
        return Err(CatalogError::NegativePrice(p.id.clone()));
    }
    Ok(())
}
