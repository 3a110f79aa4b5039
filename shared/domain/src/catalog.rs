//! The retailer's catalog: categories, products and their option groups.
//!
//! A catalog is data: the retailer writes it as a seed file (TOML) and the CLI loads it into the
//! table. A product's option groups are walked in order during customization; an option may carry
//! a price delta and compatibility rules (`excludes`, `requires`) naming other options as
//! `group.option`. [`Catalog::validate`] rejects a catalog whose rules point nowhere, so a broken
//! seed fails at load time, not in a customer's chat.
//!
//! **Text.** Every name and description is a [`Localized`]: text by BCP 47 tag (`en`, `ja`,
//! `"zh-Hans"`, `"pt-BR"`), answered along a fallback chain that ends in the catalog's
//! `default_lang` (English unless the seed says otherwise). Validation checks that every text has
//! the default language and that no text is written in a language the catalog cannot speak, so a
//! typo such as `"pt-RB"` is caught at load instead of silently never shown.
//!
//! **Prices.** Amounts are integer minor units (see [`crate::money`]). `price` and `price_delta`
//! are in `currency`, the currency of the *first* market (or of the one implicit market when the
//! seed declares none). Every other market has its own price list beside them, keyed by market id,
//! in that market's currency; nothing converts currencies:
//!
//! ```toml
//! currency = "CNY"          # the first market's
//! [[products]]
//! price = 880000            # in cn, the first market
//! prices = { th = 420000 }  # every other market
//! [[products.option_groups.kind.options]]
//! price_delta = 50000
//! price_deltas = { th = 24000 }
//! ```
//!
//! What a customer pays is asked of the catalog with the market of their conversation
//! ([`Catalog::market_for`], then [`Catalog::price`] and [`Catalog::unit_price`], in
//! `price_list.rs`); validation guarantees every market has a price for every product.

use crate::i18n::Lang;
use crate::market::Market;
use crate::messages::{CompiledMessages, Messages, MessagesError};
use crate::money::{Currency, Money};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};

pub use crate::localized::Localized;

#[path = "price_list.rs"]
mod price_list;

/// A catalog. Built from a seed or the store; either way its texts know its default language
/// (see [`Localized`]): deserializing sets it, and code that assembles a catalog from parts calls
/// [`Catalog::with_default_lang`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Catalog {
    /// The currency of `price` and `price_delta`: the implicit market's, or the first market's
    /// when markets are declared.
    pub currency: Currency,
    /// The language every text must have, and the last fallback of every other.
    #[serde(default)]
    pub default_lang: Lang,
    /// Where the catalog sells; empty means one implicit market in `currency` (see
    /// [`crate::market`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markets: Vec<Market>,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    /// The retailer's message files (Fluent source) by locale: rewordings of shipped messages,
    /// or whole added languages (see [`crate::messages`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<Lang, String>,
    /// Who answers when the bot hands over, and when (`[support]`, [`crate::handoff`]).
    #[serde(default, skip_serializing_if = "is_default_support")]
    pub support: crate::handoff::Support,
    /// `messages` built into bundles, once per loaded catalog ([`Catalog::voice`]).
    #[serde(skip)]
    pub compiled_messages: CompiledMessages,
}

fn is_default_support(s: &crate::handoff::Support) -> bool {
    *s == crate::handoff::Support::default()
}

impl Serialize for Catalog {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Catalog::serialize(self, s)
    }
}

// The derived deserializer (`remote = "Self"`), then the default language handed to every text.
impl<'de> Deserialize<'de> for Catalog {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let catalog = Catalog::deserialize(d)?;
        let lang = catalog.default_lang;
        Ok(catalog.with_default_lang(lang))
    }
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
    /// Base price in minor units of `Catalog.currency`: the price in the first market.
    pub price: i64,
    /// Base price in every other market, by market id, in minor units of that market's currency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, i64>,
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
        /// In the first market's currency.
        #[serde(default)]
        price_delta: i64,
        /// In every other market, by market id.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        price_deltas: BTreeMap<String, i64>,
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
    /// In the first market's currency.
    #[serde(default)]
    pub price_delta: i64,
    /// In every other market, by market id; required in every market once any is non-zero.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub price_deltas: BTreeMap<String, i64>,
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
    #[error(
        "product `{product}`: a price or price delta makes a negative price in market `{market}`"
    )]
    NegativePrice { product: String, market: String },
    #[error("{owner}: {field} has no text in \"{lang}\", the catalog's default language")]
    MissingDefaultText {
        owner: String,
        field: &'static str,
        lang: Lang,
    },
    #[error("{owner}: {field} has text in \"{lang}\", which is not a language this catalog speaks")]
    UnspokenLanguage {
        owner: String,
        field: &'static str,
        lang: Lang,
    },
    #[error("product `{product}` has no price in market `{market}`")]
    MissingPrice { product: String, market: String },
    #[error(
        "product `{product}` option `{option}` has a price delta in one market but none in `{market}`"
    )]
    MissingDelta {
        product: String,
        option: String,
        market: String,
    },
    #[error(
        "product `{product}`: a price names market `{market}`, which the catalog does not declare"
    )]
    UnknownMarket { product: String, market: String },
    #[error(
        "product `{product}`: the price in market `{market}` (the first) is given twice, differently"
    )]
    TwoFirstPrices { product: String, market: String },
    #[error(
        "market `{market}` is first, so its currency must be the catalog's {expected}, not {found}"
    )]
    FirstMarketCurrency {
        market: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("product `{product}` group `{group}`: {problem}")]
    BadGroup {
        product: String,
        group: String,
        problem: &'static str,
    },
    #[error("message files:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Messages(Vec<MessagesError>),
    #[error(transparent)]
    Market(#[from] crate::market::MarketError),
    #[error(
        "[support] VIP threshold in {currency} is {value}: write a positive amount in minor \
         units, or leave it out for no VIPs in that currency"
    )]
    BadVipThreshold { currency: String, value: i64 },
}

/// Catalog ids appear inside button payloads, so they are short and plain.
pub fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Catalog {
    /// This catalog with `lang` as its default language, handed to every text.
    pub fn with_default_lang(mut self, lang: Lang) -> Catalog {
        self.default_lang = lang;
        let texts = self.categories.iter_mut().map(|c| &mut c.name).chain(
            self.products.iter_mut().flat_map(|p| {
                let mut texts = vec![&mut p.name, &mut p.description];
                for g in &mut p.option_groups {
                    texts.push(&mut g.name);
                    if let GroupKind::Choice { options } = &mut g.kind {
                        texts.extend(options.iter_mut().map(|o| &mut o.name));
                    }
                }
                texts
            }),
        );
        for text in texts {
            text.set_default_lang(lang);
        }
        self
    }

    /// The languages a customer of this catalog may be answered in.
    ///
    /// The shipped languages, then those the retailer added by message file (a complete
    /// `messages/<tag>.ftl`, checked at load).
    pub fn languages(&self) -> Vec<Lang> {
        let mut langs = Lang::SHIPPED.to_vec();
        langs.extend(self.messages.keys().filter(|l| !Lang::SHIPPED.contains(l)));
        langs
    }

    /// Whether text in `tag` can ever be shown: `tag` is a language the catalog speaks, or a
    /// shorter tag one of them falls back to (`zh` text serves `zh-Hans` customers).
    pub fn speaks(&self, tag: Lang) -> bool {
        self.languages()
            .into_iter()
            .any(|l| l.fallbacks().any(|f| f == tag))
    }

    /// Every text of the catalog, with what it belongs to and which field it is.
    fn texts(&self) -> Vec<(String, &'static str, &Localized)> {
        let mut texts = Vec::new();
        for c in &self.categories {
            texts.push((format!("category {}", c.id), "name", &c.name));
        }
        for p in &self.products {
            let owner = format!("product {}", p.id);
            texts.push((owner.clone(), "name", &p.name));
            texts.push((owner.clone(), "description", &p.description));
            for g in &p.option_groups {
                texts.push((format!("{owner} group {}", g.id), "name", &g.name));
                if let GroupKind::Choice { options } = &g.kind {
                    for o in options {
                        texts.push((format!("{owner} option {}.{}", g.id, o.id), "name", &o.name));
                    }
                }
            }
        }
        texts
    }

    fn validate_texts(&self) -> Result<(), CatalogError> {
        for (owner, field, text) in self.texts() {
            if let Some(lang) = text.langs().find(|l| !self.speaks(*l)) {
                return Err(CatalogError::UnspokenLanguage { owner, field, lang });
            }
            if text.exact(self.default_lang).is_none() {
                return Err(CatalogError::MissingDefaultText {
                    owner,
                    field,
                    lang: self.default_lang,
                });
            }
        }
        Ok(())
    }

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

    /// Checks ids, references, texts, markets and prices; call before storing a seed.
    pub fn validate(&self) -> Result<(), CatalogError> {
        self.validate_markets()?;
        let own = self.support.vip_threshold.map(|v| (self.currency, v));
        let others = self.support.vip_thresholds.iter().map(|(c, v)| (*c, *v));
        if let Some((currency, value)) = own.into_iter().chain(others).find(|(_, v)| *v <= 0) {
            return Err(CatalogError::BadVipThreshold {
                currency: currency.code().to_string(),
                value,
            });
        }
        self.validate_texts()?;
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
            self.validate_prices(p)?;
        }
        if !self.messages.is_empty() {
            Messages::with_overrides(&self.messages, self.default_lang())
                .map_err(CatalogError::Messages)?;
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
                earlier.extend(options.iter().map(|o| format!("{}.{}", g.id, o.id)));
            }
            GroupKind::Text { max_chars, .. } => {
                if *max_chars == 0 {
                    return Err(bad("a text group needs max_chars of at least 1"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
