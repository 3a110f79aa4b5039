use super::*;

#[test]
fn tags_are_canonicalized_and_bad_ones_refused() {
    assert_eq!(Lang::parse("ZH-hant-tw").unwrap().code(), "zh-Hant-TW");
    assert_eq!(Lang::parse("pt_br").unwrap(), Lang::PT_BR);
    assert_eq!(Lang::parse(" ja ").unwrap(), Lang::JA);
    assert!(matches!(Lang::parse(""), Err(LangError::Malformed(_))));
    assert!(matches!(
        Lang::parse("not a tag"),
        Err(LangError::Malformed(_))
    ));
    assert!(matches!(Lang::parse("x"), Err(LangError::Malformed(_))));
}

#[test]
fn every_shipped_language_round_trips_through_its_code() {
    for lang in Lang::SHIPPED {
        assert_eq!(Lang::parse(lang.code()), Ok(lang));
        assert_eq!(
            serde_json::to_string(&lang).unwrap(),
            format!("\"{}\"", lang.code())
        );
        let back: Lang = serde_json::from_str(&format!("\"{lang}\"")).unwrap();
        assert_eq!(back, lang);
    }
    assert!(serde_json::from_str::<Lang>("\"??\"").is_err());
}

#[test]
fn platform_locales_find_the_shipped_language() {
    let pick = |l| Lang::from_locale(l);
    assert_eq!(pick("ja"), Some(Lang::JA));
    assert_eq!(pick("ja-JP"), Some(Lang::JA));
    assert_eq!(pick("en_GB"), Some(Lang::EN));
    assert_eq!(pick("es-MX"), Some(Lang::ES));
    assert_eq!(pick("pt-BR"), Some(Lang::PT_BR));
    assert_eq!(pick("pt"), Some(Lang::PT_BR));
    assert_eq!(pick("pt_PT"), Some(Lang::PT_BR));
    // Chinese: the region implies the script.
    assert_eq!(pick("zh_CN"), Some(Lang::ZH_HANS));
    assert_eq!(pick("zh-SG"), Some(Lang::ZH_HANS));
    assert_eq!(pick("zh"), Some(Lang::ZH_HANS));
    assert_eq!(pick("zh_TW"), Some(Lang::ZH_HANT));
    assert_eq!(pick("zh-HK"), Some(Lang::ZH_HANT));
    assert_eq!(pick("zh-Hant"), Some(Lang::ZH_HANT));
    assert_eq!(pick("ko-KR"), Some(Lang::KO));
    assert_eq!(pick("th_TH"), Some(Lang::TH));
    assert_eq!(pick("id-ID"), Some(Lang::ID));
    // Not shipped, or not a locale at all: the caller's default applies.
    assert_eq!(pick("fr-FR"), None);
    assert_eq!(pick(""), None);
    assert_eq!(pick("??"), None);
}

#[test]
fn a_retailers_own_language_negotiates_too() {
    let vi = Lang::parse("vi").unwrap();
    let available = [Lang::EN, vi];
    assert_eq!(Lang::negotiate("vi-VN", &available), Some(vi));
    assert_eq!(Lang::negotiate("ja", &available), None);
}

#[test]
fn regional_text_falls_back_to_script_then_language() {
    let chain: Vec<String> = Lang::parse("zh-Hant-TW")
        .unwrap()
        .fallbacks()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(chain, ["zh-Hant-TW", "zh-Hant", "zh"]);
    let chain: Vec<Lang> = Lang::EN.fallbacks().collect();
    assert_eq!(chain, [Lang::EN]);
    assert_eq!(Lang::parse("zh-Hant-TW").unwrap().primary(), "zh");
}

#[test]
fn accept_language_picks_the_preferred_shipped_language() {
    let pick = Lang::from_accept_language;
    // Region and script subtags and case do not matter.
    assert_eq!(pick("ja-JP"), Some(Lang::JA));
    assert_eq!(pick("JA-jp,en;q=0.5"), Some(Lang::JA));
    assert_eq!(pick("en-GB"), Some(Lang::EN));
    assert_eq!(pick("zh-TW,zh;q=0.9"), Some(Lang::ZH_HANT));
    // The first language we ship, in the header's order when weights are equal.
    assert_eq!(pick("fr-FR, ja, en"), Some(Lang::JA));
    assert_eq!(
        pick("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
        Some(Lang::EN)
    );
    // Weights beat order; spaces around the parameters are allowed.
    assert_eq!(pick("en;q=0.5, ja-JP;q=0.8"), Some(Lang::JA));
    assert_eq!(pick("en-US ; q=0.9 , ja ; Q=0.95"), Some(Lang::JA));
    assert_eq!(pick("ja;q=0.333,en;q=0.3"), Some(Lang::JA));
    assert_eq!(pick("en;q=1.0,ja;q=0.999"), Some(Lang::EN));
    // q=0 refuses a language; a malformed weight drops its range.
    assert_eq!(pick("ja;q=0, en;q=0.1"), Some(Lang::EN));
    assert_eq!(pick("ja;q=0.000"), None);
    assert_eq!(pick("ja;q=2, en;q=0.1"), Some(Lang::EN));
    assert_eq!(pick("ja;q=0.1234, en;q=0.1"), Some(Lang::EN));
    assert_eq!(pick("ja;q=abc, en;q=0.1"), Some(Lang::EN));
    assert_eq!(pick("ja;q=, en;q=0.1"), Some(Lang::EN));
    // Nothing we ship: the caller's default applies.
    assert_eq!(pick("fr-FR, de;q=0.9"), None);
    assert_eq!(pick("*"), None);
    assert_eq!(pick(""), None);
    assert_eq!(pick(",;,q=1"), None);
}
