//! Catalog text along its fallback chain, and what validation refuses, with the reason it gives.

use super::*;
use crate::testing::{maison_catalog, sample_catalog};

fn lang(tag: &str) -> Lang {
    Lang::parse(tag).unwrap()
}

fn text(default: Lang, texts: &[(&str, &str)]) -> Localized {
    Localized::new(default, texts.iter().map(|(l, t)| (lang(l), t.to_string())))
}

/// A catalog of one product in one category, from TOML, parsed but not validated.
fn parse(extra_header: &str, product: &str) -> Result<Catalog, toml::de::Error> {
    toml::from_str(&format!(
        r#"currency = "CNY"
{extra_header}
[[categories]]
id = "bags"
name = {{ en = "Bags" }}

[[products]]
id = "drop-bag"
category = "bags"
description = {{ en = "A bag." }}
{product}
"#
    ))
}

fn markets() -> &'static str {
    r#"[[markets]]
id = "cn"
currency = "CNY"
[[markets]]
id = "th"
currency = "THB"
"#
}

#[test]
fn text_falls_back_from_region_to_script_to_language_then_the_default() {
    let name = text(
        Lang::EN,
        &[
            ("en", "Drop Bag"),
            ("zh-Hant", "限量包"),
            ("zh", "包"),
            ("ja", "バッグ"),
        ],
    );
    assert_eq!(name.get(lang("zh-Hant-TW")), "限量包");
    assert_eq!(name.get(Lang::ZH_HANT), "限量包");
    assert_eq!(name.get(Lang::ZH_HANS), "包");
    assert_eq!(name.get(Lang::JA), "バッグ");
    assert_eq!(name.get(Lang::PT_BR), "Drop Bag");
}

#[test]
fn the_default_language_closes_the_chain_whatever_it_is() {
    let catalog = parse(
        "default_lang = \"ja\"",
        "name = { ja = \"ドロップバッグ\", en = \"Drop Bag\", \"pt-BR\" = \"Bolsa\" }\nprice = 100",
    )
    .unwrap();
    assert_eq!(catalog.default_lang, Lang::JA);
    let name = &catalog.products[0].name;
    assert_eq!(name.get(Lang::KO), "ドロップバッグ");
    assert_eq!(name.get(Lang::PT_BR), "Bolsa");
    assert_eq!(name.get(Lang::EN), "Drop Bag");
    // The category's English-only text is missing the default: validation says where.
    assert_eq!(
        catalog.validate(),
        Err(CatalogError::MissingDefaultText {
            owner: "category bags".into(),
            field: "name",
            lang: Lang::JA,
        })
    );
}

#[test]
fn texts_stored_before_tags_were_open_read_the_same() {
    // The JSON of a product item written when `Localized` was `{ en, ja }`.
    let old: Localized =
        serde_json::from_str(r#"{"en":"Drop Bag","ja":"ドロップバッグ"}"#).unwrap();
    assert_eq!(old.get(Lang::JA), "ドロップバッグ");
    assert_eq!(old.get(Lang::EN), "Drop Bag");
    assert_eq!(
        serde_json::to_string(&old).unwrap(),
        r#"{"en":"Drop Bag","ja":"ドロップバッグ"}"#
    );
}

#[test]
fn a_malformed_tag_is_a_parse_error_naming_the_field() {
    let err = parse(
        "",
        "name = { en = \"Drop Bag\", \"e n\" = \"x\" }\nprice = 100",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("not a BCP 47 language tag"), "{err}");
    assert!(err.contains("name"), "{err}");
}

#[test]
fn text_in_a_language_the_catalog_cannot_speak_is_refused() {
    let catalog = parse("", "name = { en = \"Drop Bag\", xx = \"?\" }\nprice = 100").unwrap();
    let err = catalog.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "product drop-bag: name has text in \"xx\", which is not a language this catalog speaks"
    );
    // A shorter tag that a spoken language falls back to is reachable, so it is allowed.
    let zh = parse("", "name = { en = \"Drop Bag\", zh = \"包\" }\nprice = 100").unwrap();
    assert_eq!(zh.validate(), Ok(()));
}

#[test]
fn search_looks_through_every_language() {
    let catalog = maison_catalog();
    let ids = |q: &str| -> Vec<&str> {
        catalog
            .search(q)
            .into_iter()
            .map(|p| p.id.as_str())
            .collect()
    };
    assert_eq!(ids("限量版"), ["atelier-bag"]);
    assert_eq!(ids("lenço"), ["silk-scarf"]);
    assert_eq!(ids("ผ้าพันคอ"), ["silk-scarf"]);
    assert!(ids("nothing like this").is_empty());
}

#[test]
fn both_sample_catalogs_parse_and_validate() {
    let sample = sample_catalog();
    assert_eq!(sample.default_lang, Lang::EN);
    assert!(sample.markets.is_empty());
    let maison = maison_catalog();
    let ids: Vec<&str> = maison.markets.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["cn", "th", "br", "us", "kr"]);
    // Every text of the house's catalog is written in all nine shipped languages.
    for (owner, field, text) in maison.texts() {
        let langs: Vec<Lang> = text.langs().collect();
        assert_eq!(
            langs.len(),
            Lang::SHIPPED.len(),
            "{owner} {field}: {langs:?}"
        );
    }
}

#[test]
fn every_market_needs_a_price_for_every_product() {
    let catalog = parse(markets(), "name = { en = \"Drop Bag\" }\nprice = 880000").unwrap();
    assert_eq!(
        catalog.validate().unwrap_err().to_string(),
        "product `drop-bag` has no price in market `th`"
    );
    let priced = parse(
        markets(),
        "name = { en = \"Drop Bag\" }\nprice = 880000\nprices = { th = 4200000 }",
    )
    .unwrap();
    assert_eq!(priced.validate(), Ok(()));
}

#[test]
fn a_price_for_an_undeclared_market_or_a_second_first_price_is_refused() {
    let unknown = parse(
        markets(),
        "name = { en = \"Drop Bag\" }\nprice = 1\nprices = { th = 2, jp = 3 }",
    )
    .unwrap();
    assert_eq!(
        unknown.validate(),
        Err(CatalogError::UnknownMarket {
            product: "drop-bag".into(),
            market: "jp".into(),
        })
    );
    let twice = parse(
        markets(),
        "name = { en = \"Drop Bag\" }\nprice = 1\nprices = { cn = 5, th = 2 }",
    )
    .unwrap();
    assert!(matches!(
        twice.validate(),
        Err(CatalogError::TwoFirstPrices { market, .. }) if market == "cn"
    ));
}

#[test]
fn an_option_that_costs_extra_somewhere_needs_a_delta_everywhere() {
    let product = r#"name = { en = "Drop Bag" }
price = 880000
prices = { th = 4200000 }
[[products.option_groups]]
id = "colour"
name = { en = "colour" }
[products.option_groups.kind]
type = "choice"
[[products.option_groups.kind.options]]
id = "black"
name = { en = "Black" }
[[products.option_groups.kind.options]]
id = "red"
name = { en = "Red" }
price_delta = 50000
"#;
    let catalog = parse(markets(), product).unwrap();
    assert_eq!(
        catalog.validate(),
        Err(CatalogError::MissingDelta {
            product: "drop-bag".into(),
            option: "colour.red".into(),
            market: "th".into(),
        })
    );
}

#[test]
fn a_delta_that_undercuts_the_price_in_one_market_is_refused_there() {
    let product = r#"name = { en = "Drop Bag" }
price = 1000
prices = { th = 1000 }
[[products.option_groups]]
id = "initials"
name = { en = "initials" }
required = false
[products.option_groups.kind]
type = "text"
max_chars = 3
price_delta = -500
price_deltas = { th = -1500 }
"#;
    let catalog = parse(markets(), product).unwrap();
    assert_eq!(
        catalog.validate(),
        Err(CatalogError::NegativePrice {
            product: "drop-bag".into(),
            market: "th".into(),
        })
    );
}

#[test]
fn market_ids_are_plain_and_unique_and_the_first_is_in_the_catalog_currency() {
    let bad_id = parse(
        "[[markets]]\nid = \"Mainland China\"\ncurrency = \"CNY\"",
        "name = { en = \"Drop Bag\" }\nprice = 1",
    )
    .unwrap();
    assert_eq!(
        bad_id.validate(),
        Err(CatalogError::BadId("Mainland China".into()))
    );
    let twice = parse(
        "[[markets]]\nid = \"cn\"\ncurrency = \"CNY\"\n[[markets]]\nid = \"cn\"\ncurrency = \"THB\"",
        "name = { en = \"Drop Bag\" }\nprice = 1\nprices = { cn = 1 }",
    )
    .unwrap();
    assert_eq!(
        twice.validate(),
        Err(CatalogError::Duplicate("market cn".into()))
    );
    let baht_first = parse(
        "[[markets]]\nid = \"th\"\ncurrency = \"THB\"",
        "name = { en = \"Drop Bag\" }\nprice = 1",
    )
    .unwrap();
    assert_eq!(
        baht_first.validate().unwrap_err().to_string(),
        "market `th` is first, so its currency must be the catalog's CNY, not THB"
    );
}
