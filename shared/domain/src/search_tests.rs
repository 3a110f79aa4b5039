use super::*;
use crate::catalog::Catalog;

fn catalog(name: &str) -> Catalog {
    let path = format!(
        "{}/../../cli/catalogs/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(catalog: &Catalog, query: &str) -> Vec<String> {
    find(catalog, query)
        .into_iter()
        .map(|h| h.product.id.clone())
        .collect()
}

#[test]
fn words_in_any_order_plurals_and_typos() {
    let c = catalog("sample");
    for (query, first) in [
        ("dropbag", "drop-bag"),
        ("drop bgs", "drop-bag"),
        ("bag drop", "drop-bag"),
        ("totes", "canvas-tote"),
        ("canvas tote bag", "canvas-tote"),
        ("stikers", "sticker-pack"),
        ("lgo cap", "logo-cap"),
        ("how much is the drop bag?", "drop-bag"),
        ("ドロップバッグの値段は？", "drop-bag"),
        ("red bag", "drop-bag"),
    ] {
        assert_eq!(
            ids(&c, query).first().map(String::as_str),
            Some(first),
            "{query}"
        );
    }
}

/// One product matching every word is the answer alone (the flow shows its page); the old
/// whole-word searches keep their answers.
#[test]
fn a_full_match_hides_partial_ones() {
    let c = catalog("sample");
    assert_eq!(ids(&c, "sticker"), ["sticker-pack"]);
    assert_eq!(ids(&c, "tote"), ["canvas-tote"]);
    assert_eq!(ids(&c, "red bag"), ["drop-bag"]);
    assert_eq!(ids(&c, "bag"), ["drop-bag", "canvas-tote"]);
}

#[test]
fn cjk_without_spaces_and_other_languages() {
    let m = catalog("maison");
    assert_eq!(ids(&m, "quanto custa a bolsa?"), ["atelier-bag"]);
    assert_eq!(ids(&m, "真丝方巾多少钱"), ["silk-scarf"]);
    assert_eq!(ids(&m, "실크 스카프 있어요?"), ["silk-scarf"]);
    assert_eq!(ids(&m, "ผ้าพันคอ"), ["silk-scarf"]);
    let s = catalog("sample");
    assert_eq!(
        ids(&s, "gorra").first().map(String::as_str),
        Some("logo-cap")
    );
}

#[test]
fn nothing_found_offers_the_closest() {
    let c = catalog("sample");
    assert!(find(&c, "umbrella").is_empty());
    assert!(find(&c, "how much is it?").is_empty());
    let near: Vec<&str> = closest(&c, "drop bug pack", 3)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert!(near.contains(&"drop-bag"), "{near:?}");
}

#[test]
fn intent_words_that_name_a_product() {
    let c = catalog("sample");
    assert!(names_a_product(&c, &["tote".into()]));
    assert!(!names_a_product(&c, &["agent".into()]));
    assert!(!names_a_product(&c, &["talk to a human".into()]));
}

/// The stack version of the distance agrees with `strsim`'s.
#[test]
fn osa_distance_matches_strsim() {
    for (a, b) in [
        ("drop", "dorp"),
        ("canvas", "cnavas"),
        ("sticker", "stikers"),
        ("", "bag"),
        ("logo", "lgo"),
        ("abc", "ca"),
        ("ドロップ", "ドロプ"),
    ] {
        assert_eq!(osa_distance(a, b), strsim::osa_distance(a, b), "{a} {b}");
    }
}
