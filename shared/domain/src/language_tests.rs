use super::*;
use LangSource::*;

/// One row: the clues, and the language and source expected.
struct Row {
    why: &'static str,
    picked: Option<Lang>,
    remembered: Option<(Lang, Option<LangSource>)>,
    locale: Option<&'static str>,
    words: Option<&'static str>,
    market: Option<Lang>,
    expect: (Lang, LangSource),
}

const NONE: Row = Row {
    why: "",
    picked: None,
    remembered: None,
    locale: None,
    words: None,
    market: None,
    expect: (Lang::EN, Default),
};

#[test]
fn the_decision_table() {
    let rows = [
        Row {
            why: "nothing known: the deployment's default",
            ..NONE
        },
        Row {
            why: "the market's language over the deployment's",
            market: Some(Lang::TH),
            expect: (Lang::TH, Default),
            ..NONE
        },
        Row {
            why: "a Spanish greeting on a Mexican number",
            words: Some("hola"),
            expect: (Lang::ES, Words),
            ..NONE
        },
        Row {
            why: "a Thai greeting with its particle, in a Brazilian market",
            words: Some("สวัสดีครับ"),
            market: Some(Lang::PT_BR),
            expect: (Lang::TH, Words),
            ..NONE
        },
        Row {
            why: "a word of several languages is no clue",
            words: Some("menu"),
            market: Some(Lang::ID),
            expect: (Lang::ID, Default),
            ..NONE
        },
        Row {
            why: "a Chinese greeting takes the market's script",
            words: Some("你好"),
            market: Some(Lang::parse("zh-Hant-TW").unwrap()),
            expect: (Lang::ZH_HANT, Words),
            ..NONE
        },
        Row {
            why: "a Chinese greeting with no Chinese market is Simplified",
            words: Some("您好"),
            expect: (Lang::ZH_HANS, Words),
            ..NONE
        },
        Row {
            why: "a greeting only Traditional writes",
            words: Some("哈囉"),
            market: Some(Lang::ZH_HANS),
            expect: (Lang::ZH_HANT, Words),
            ..NONE
        },
        Row {
            why: "a long Portuguese sentence is detected",
            words: Some(
                "Quero comprar uma bolsa preta para minha irmã, vocês entregam em São Paulo?",
            ),
            expect: (Lang::PT_BR, Words),
            ..NONE
        },
        Row {
            why: "Korean is its own script",
            words: Some("가방 있어요?"),
            expect: (Lang::KO, Words),
            ..NONE
        },
        Row {
            why: "Simplified characters pick Simplified in a Traditional market",
            words: Some("你们这个包还有没有黑色的？我想买两个"),
            market: Some(Lang::ZH_HANT),
            expect: (Lang::ZH_HANS, Words),
            ..NONE
        },
        Row {
            why: "a short search is no clue",
            words: Some("tote bag"),
            market: Some(Lang::ES),
            expect: (Lang::ES, Default),
            ..NONE
        },
        Row {
            why: "the platform's locale over the words",
            locale: Some("ja_JP"),
            words: Some("hola"),
            expect: (Lang::JA, Platform),
            ..NONE
        },
        Row {
            why: "a locale we do not ship falls through to the words",
            locale: Some("de-DE"),
            words: Some("oi"),
            expect: (Lang::PT_BR, Words),
            ..NONE
        },
        Row {
            why: "a remembered platform language holds against words",
            remembered: Some((Lang::KO, Some(Platform))),
            words: Some("hola"),
            expect: (Lang::KO, Platform),
            ..NONE
        },
        Row {
            why: "a language found in words holds against a long message in another",
            remembered: Some((Lang::ES, Some(Words))),
            words: Some("Do you ship this bag to Madrid before Christmas please?"),
            expect: (Lang::ES, Words),
            ..NONE
        },
        Row {
            why: "but a greeting of one language moves it",
            remembered: Some((Lang::ES, Some(Words))),
            words: Some("olá"),
            expect: (Lang::PT_BR, Words),
            ..NONE
        },
        Row {
            why: "a default is decided again: the market changed",
            remembered: Some((Lang::EN, Some(Default))),
            market: Some(Lang::TH),
            expect: (Lang::TH, Default),
            ..NONE
        },
        Row {
            why: "a session from before sources counts as a default",
            remembered: Some((Lang::EN, None)),
            words: Some("안녕하세요"),
            expect: (Lang::KO, Words),
            ..NONE
        },
        Row {
            why: "the customer's choice beats the platform's locale",
            remembered: Some((Lang::EN, Some(Chosen))),
            locale: Some("ja"),
            words: Some("こんにちは"),
            expect: (Lang::EN, Chosen),
            ..NONE
        },
        Row {
            why: "a new choice replaces the old",
            picked: Some(Lang::ID),
            remembered: Some((Lang::EN, Some(Chosen))),
            locale: Some("ja"),
            expect: (Lang::ID, Chosen),
            ..NONE
        },
    ];
    for row in rows {
        let clues = Clues {
            picked: row.picked,
            remembered: row.remembered,
            platform_locale: row.locale,
            words: row.words,
            market: row.market,
            deployment: Lang::EN,
        };
        let got = decide(&clues);
        assert_eq!((got.lang, got.source), row.expect, "{}", row.why);
    }
}

/// The detector's limits: below them it says nothing, whatever it guessed.
#[test]
fn detection_needs_enough_letters_and_certainty() {
    let clues = Clues::default();
    for short in ["bag", "hello", "Drop Bag", "注文", "ok ok", "12345", "😀😀"] {
        assert_eq!(detected_language(short, &clues), None, "`{short}`");
    }
    assert_eq!(detected_language("ขอดูกระเป๋าหน่อย", &clues), Some(Lang::TH));
    assert_eq!(
        detected_language("このバッグの黒はありますか", &clues),
        Some(Lang::JA)
    );
    assert_eq!(
        detected_language("Apakah tas ini masih tersedia dalam warna hitam?", &clues),
        Some(Lang::ID)
    );
    assert_eq!(
        detected_language("¿Tienen esta bolsa en color negro todavía?", &clues),
        Some(Lang::ES)
    );
}

#[test]
fn every_offered_language_has_its_own_name() {
    for &lang in offered() {
        assert!(autonym(lang).is_some(), "{lang}");
    }
    assert_eq!(autonym(Lang::parse("de").unwrap()), None);
}
