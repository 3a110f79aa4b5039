use super::*;
use crate::i18n::Msg;

fn files(entries: &[(&str, &str)]) -> BTreeMap<Lang, String> {
    entries
        .iter()
        .map(|(tag, source)| (Lang::parse(tag).unwrap(), source.to_string()))
        .collect()
}

fn problems(entries: &[(&str, &str)]) -> Vec<MessagesError> {
    Messages::with_overrides(&files(entries), Lang::EN).unwrap_err()
}

#[test]
fn every_shipped_file_parses() {
    for (lang, source) in SHIPPED_FILES {
        if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
            panic!("{lang}.ftl: {errors:?}");
        }
    }
}

#[test]
fn every_shipped_locale_has_the_english_keys_and_variables() {
    let english = english_parts();
    for lang in Lang::SHIPPED {
        let Some((_, source)) = SHIPPED_FILES.iter().find(|(l, _)| *l == lang) else {
            eprintln!("skipping {lang}: locales/{lang}.ftl is not in SHIPPED_FILES yet");
            continue;
        };
        let resource = FluentResource::try_new(source.to_string()).unwrap();
        let theirs = parts(&resource, source);
        let keys = |p: &Parts| p.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&theirs), keys(english), "{lang}.ftl keys");
        for (key, (line, used)) in &theirs {
            assert_eq!(&english[key].1, used, "{lang}.ftl line {line}: `{key}`");
        }
    }
}

#[test]
fn every_file_in_locales_is_shipped() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let tag = name.strip_suffix(".ftl").unwrap_or(&name);
        let lang = Lang::parse(tag).unwrap_or_else(|e| panic!("locales/{name}: {e}"));
        assert!(
            Messages::is_shipped(lang),
            "locales/{name} needs a row in SHIPPED_FILES"
        );
        assert_eq!(
            lang.code(),
            tag,
            "locales/{name}: name it by its canonical tag"
        );
    }
}

#[test]
fn an_override_rewords_one_message_and_keeps_the_rest() {
    let messages = Messages::with_overrides(
        &files(&[
            ("en", "welcome = Yo! { $ignored }\n"),
            ("ja", "back = もどる\n"),
        ]),
        Lang::EN,
    );
    // `welcome` has no variables in English: a variable there is refused.
    assert!(matches!(
        messages.unwrap_err()[..],
        [MessagesError::Placeables { ref key, line: 1, .. }] if key == "welcome"
    ));
    let messages = Messages::with_overrides(
        &files(&[("en", "welcome = Yo!\n"), ("ja", "back = もどる\n")]),
        Lang::EN,
    )
    .unwrap();
    let en = Voice {
        lang: Lang::EN,
        messages: &messages,
    };
    let ja = Voice {
        lang: Lang::JA,
        messages: &messages,
    };
    assert_eq!(Msg::Welcome.text(en), "Yo!");
    assert_eq!(Msg::Back.text(en), "Back");
    assert_eq!(Msg::Back.text(ja), "もどる");
    assert_eq!(Msg::Welcome.text(ja), Msg::Welcome.text(Lang::JA));
    // The shipped voice is untouched.
    assert_ne!(Msg::Welcome.text(Lang::EN), "Yo!");
}

#[test]
fn bad_syntax_is_reported_with_its_line() {
    let found = problems(&[("es", "back = Atrás\nwelcome = { $name\n")]);
    assert!(
        matches!(found[..], [MessagesError::Syntax { line: 2, .. }]),
        "{found:?}"
    );
}

#[test]
fn an_unknown_key_is_refused() {
    let found = problems(&[("en", "welcom = Hi\nproduct-detail = x\n    .option = y\n")]);
    let keys: Vec<&str> = found
        .iter()
        .filter_map(|e| match e {
            MessagesError::UnknownKey { key, .. } => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(keys, ["product-detail.option", "welcom"]);
}

#[test]
fn an_override_that_drops_or_misnames_a_variable_is_refused() {
    let found = problems(&[("en", "\ncart-total = Total: { $totl }\n")]);
    assert_eq!(
        found,
        [MessagesError::Placeables {
            lang: Lang::EN,
            line: 2,
            key: "cart-total".into(),
            expected: vec!["total".into()],
            missing: vec!["total".into()],
            unknown: vec!["totl".into()],
        }]
    );
}

#[test]
fn an_override_must_bring_every_part_of_a_message() {
    let found = problems(&[(
        "en",
        "product-detail = { $name } { $price } { $description }\n",
    )]);
    assert_eq!(
        found,
        [MessagesError::PartialMessage {
            lang: Lang::EN,
            key: "product-detail".into(),
            missing: vec!["product-detail.options".into()],
        }]
    );
}

#[test]
fn an_added_locale_must_be_complete() {
    let found = problems(&[("fr", "back = Retour\nwelcome = Bonjour !\n")]);
    let [MessagesError::Incomplete { lang, missing }] = &found[..] else {
        panic!("{found:?}");
    };
    assert_eq!(lang.code(), "fr");
    assert!(missing.contains(&"added".to_string()));
    assert!(missing.contains(&"product-detail.options".to_string()));
    assert!(!missing.contains(&"back".to_string()));
    assert_eq!(missing.len(), english_parts().len() - 2);
}

#[test]
fn an_added_locale_speaks_for_its_regions() {
    // A complete French file: English text with one message translated.
    let (_, english) = SHIPPED_FILES[0];
    let french = english.replace("back = Back", "back = Retour");
    let messages = Messages::with_overrides(&files(&[("fr", french.as_str())]), Lang::EN).unwrap();
    let canada = Voice {
        lang: Lang::parse("fr-CA").unwrap(),
        messages: &messages,
    };
    assert_eq!(Msg::Back.text(canada), "Retour");
    assert!(messages.locales().any(|l| l.code() == "fr"));
}

#[test]
fn a_missing_language_falls_back_to_the_default_then_english() {
    let japanese_default = Messages::with_default(Lang::JA);
    let german = Voice {
        lang: Lang::parse("de").unwrap(),
        messages: &japanese_default,
    };
    assert_eq!(Msg::Back.text(german), "戻る");
    assert_eq!(Msg::Back.text(Lang::parse("de").unwrap()), "Back");
    assert_eq!(Msg::Back.text(Lang::parse("pt-PT").unwrap()), "Voltar");
    assert_eq!(
        Messages::shipped().format(Lang::EN, "no-such-id", None),
        "no-such-id"
    );
}

#[test]
fn the_flows_speak_with_the_catalogs_wording() {
    let mut catalog = crate::testing::sample_catalog();
    catalog.messages = files(&[("en", "welcome = Welcome to Kumo Coffee!\n")]);
    catalog.validate().unwrap();
    let [crate::reply::Reply::Choices { body, .. }] =
        &crate::browse::menu(&catalog, Lang::EN, true)[..]
    else {
        panic!("the menu is one list of choices");
    };
    assert!(body.starts_with("Welcome to Kumo Coffee!\n"), "{body}");
    // The same catalog's Japanese stays shipped.
    assert_eq!(
        Msg::Welcome.text(catalog.voice(Lang::JA)),
        Msg::Welcome.text(Lang::JA)
    );
}

#[test]
fn a_catalog_with_a_broken_message_file_is_refused() {
    let mut catalog = crate::testing::sample_catalog();
    catalog.messages = files(&[("ja", "cart-total = 合計\n")]);
    let Err(crate::catalog::CatalogError::Messages(found)) = catalog.validate() else {
        panic!("a dropped variable must fail validation");
    };
    assert!(
        matches!(&found[..], [MessagesError::Placeables { key, .. }] if key == "cart-total"),
        "{found:?}"
    );
}
