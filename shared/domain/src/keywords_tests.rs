use super::*;

fn heard(text: &str) -> Option<(Meaning, Vec<Lang>)> {
    understand(text).map(|h| (h.meaning, h.langs))
}

/// One table per language: what customers type, as they type it, and what it means.
#[test]
fn every_shipped_language_has_its_words() {
    use Meaning::*;
    let table: &[(Lang, &[(&str, Meaning)])] = &[
        (
            Lang::EN,
            &[
                ("Hi", Greeting),
                ("hello!", Greeting),
                ("Hi there", Greeting),
                ("/start", Greeting),
                ("Good morning", Greeting),
                ("CART", Cart),
                ("my orders", Orders),
                ("Language", Language),
                ("Remind me", RemindMe),
            ],
        ),
        (
            Lang::ES,
            &[
                ("hola", Greeting),
                ("¡Hola!", Greeting),
                ("Buenas", Greeting),
                ("buenos dias", Greeting),
                ("Menú", Menu),
                ("carrito", Cart),
                ("mis pedidos", Orders),
                ("idioma", Language),
            ],
        ),
        (
            Lang::PT_BR,
            &[
                ("oi", Greeting),
                ("Olá", Greeting),
                ("bom dia!", Greeting),
                ("cardápio", Menu),
                ("cardapio", Menu),
                ("carrinho", Cart),
                ("meus pedidos", Orders),
                ("língua", Language),
            ],
        ),
        (
            Lang::ZH_HANS,
            &[
                ("你好", Greeting),
                ("您好！", Greeting),
                ("你好啊", Greeting),
                ("菜单", Menu),
                ("购物车", Cart),
                ("我的订单", Orders),
                ("语言", Language),
            ],
        ),
        (
            Lang::ZH_HANT,
            &[
                ("哈囉", Greeting),
                ("你好。", Greeting),
                ("選單", Menu),
                ("購物車", Cart),
                ("訂單", Orders),
                ("語言", Language),
            ],
        ),
        (
            Lang::JA,
            &[
                ("こんにちは", Greeting),
                ("こんにちは。", Greeting),
                ("おはようございます！", Greeting),
                ("メニュー", Menu),
                ("カート", Cart),
                ("注文履歴", Orders),
                ("言語", Language),
            ],
        ),
        (
            Lang::KO,
            &[
                ("안녕하세요", Greeting),
                ("안녕하세요!", Greeting),
                ("안녕", Greeting),
                ("메뉴", Menu),
                ("장바구니", Cart),
                ("주문 내역", Orders),
                ("언어", Language),
            ],
        ),
        (
            Lang::TH,
            &[
                ("สวัสดี", Greeting),
                ("สวัสดีครับ", Greeting),
                ("สวัสดีค่ะ", Greeting),
                ("หวัดดีจ้า", Greeting),
                ("เมนู", Menu),
                ("ตะกร้า", Cart),
                ("คำสั่งซื้อ", Orders),
                ("ภาษา", Language),
                ("ภาษาค่ะ", Language),
            ],
        ),
        (
            Lang::ID,
            &[
                ("halo", Greeting),
                ("Halo kak", Greeting),
                ("hai min", Greeting),
                ("selamat pagi", Greeting),
                ("daftar menu", Menu),
                ("keranjang", Cart),
                ("pesanan saya", Orders),
                ("bahasa", Language),
            ],
        ),
    ];
    for (lang, words) in table {
        for (typed, meaning) in *words {
            let Some((got, langs)) = heard(typed) else {
                panic!("{lang}: `{typed}` not understood");
            };
            assert_eq!(got, *meaning, "{lang}: `{typed}`");
            assert!(langs.contains(lang), "{lang}: `{typed}` gave {langs:?}");
        }
    }
}

#[test]
fn every_language_lists_every_meaning() {
    for words in &WORDS {
        for (meaning, list) in words.lists() {
            assert!(!list.is_empty(), "{}: no {meaning:?} words", words.lang);
        }
    }
    let listed: Vec<Lang> = WORDS.iter().map(|w| w.lang).collect();
    assert_eq!(listed, Lang::SHIPPED);
}

/// A word listed in several languages must mean the same in each, or the first would win
/// silently.
#[test]
fn no_word_means_two_things() {
    let mut seen: Vec<(String, Meaning, Lang)> = Vec::new();
    for words in &WORDS {
        for (meaning, list) in words.lists() {
            for w in list {
                let f = fold(w);
                if let Some((_, other, lang)) = seen.iter().find(|(s, ..)| *s == f) {
                    assert_eq!(
                        *other, meaning,
                        "`{w}` is {meaning:?} in {} but {other:?} in {lang}",
                        words.lang
                    );
                }
                seen.push((f, meaning, words.lang));
            }
        }
    }
}

#[test]
fn words_shared_by_languages_name_them_all() {
    // Spanish writes it menú; folded, it is the same word.
    assert_eq!(
        heard("menu"),
        Some((
            Meaning::Menu,
            vec![Lang::EN, Lang::ES, Lang::PT_BR, Lang::ID]
        ))
    );
    assert_eq!(
        heard("idioma"),
        Some((Meaning::Language, vec![Lang::ES, Lang::PT_BR]))
    );
    assert_eq!(
        heard("你好"),
        Some((Meaning::Greeting, vec![Lang::ZH_HANS, Lang::ZH_HANT]))
    );
    assert_eq!(heard("hola"), Some((Meaning::Greeting, vec![Lang::ES])));
}

#[test]
fn width_case_and_accents_do_not_matter_but_voicing_marks_do() {
    assert_eq!(fold("ＭＥＮＵ"), "menu");
    assert_eq!(fold("  Menú  "), "menu");
    assert_eq!(fold("Olá!!"), "ola");
    assert_eq!(fold("bom   dia"), "bom dia");
    // ご (ko with dakuten) is another syllable than こ: the mark is kept.
    assert_ne!(fold("ご"), fold("こ"));
    // Half-width katakana are the full-width ones after NFKD.
    assert_eq!(fold("ﾒﾆｭｰ"), "メニュー");
    // Thai vowel signs are combining marks outside U+0300–U+036F and stay.
    assert_eq!(fold("สวัสดี"), "สวัสดี");
}

#[test]
fn sentences_and_searches_are_not_keywords() {
    for text in [
        "カートに入れたい",
        "hola quiero un bolso",
        "bag",
        "tote",
        "ครับ",
        "kak",
        "",
        "   ",
        "！",
    ] {
        assert_eq!(understand(text), None, "`{text}`");
    }
}

#[test]
fn typed_numbers_in_every_script() {
    let table = [
        ("2", Some(2)),
        ("2.", Some(2)),
        (" 12 ", Some(12)),
        ("３", Some(3)),
        ("１２", Some(12)),
        ("๓", Some(3)),
        ("๑๒", Some(12)),
        ("三", Some(3)),
        ("十", Some(10)),
        ("十二", Some(12)),
        ("二十", Some(20)),
        ("九十九", Some(99)),
        ("3番", Some(3)),
        ("3번", Some(3)),
        ("２号", Some(2)),
        ("3號", Some(3)),
        ("0", None),
        ("〇", None),
        ("one", None),
        ("三十三十", None),
        ("", None),
        ("番", None),
    ];
    for (typed, n) in table {
        assert_eq!(typed_number(typed), n, "`{typed}`");
    }
}

/// People greet with more than the word: a greeting and one word or another greeting is one;
/// a question after a hello is not (it goes on to search).
#[test]
fn a_greeting_with_a_few_words_after_it_is_a_greeting() {
    for text in [
        "Olá, boa tarde",
        "hola buenas tardes",
        "hi there!",
        "Hello, good evening :)",
        "你好，在吗",
        "สวัสดีค่ะ ขอดูเมนู",
        "Halo kak",
    ] {
        assert_eq!(
            understand(text).map(|h| h.meaning),
            Some(Meaning::Greeting),
            "{text}"
        );
    }
    for text in [
        "hi, do you have the bag in red?",
        "menu of the day is what",
        "cart is missing a bag",
        "hello kitty bag",
        "hola quiero un bolso",
    ] {
        let meaning = understand(text).map(|h| h.meaning);
        assert_ne!(meaning, Some(Meaning::Menu), "{text}");
        assert_ne!(meaning, Some(Meaning::Cart), "{text}");
    }
    assert_eq!(understand("hi, do you have the bag in red?"), None);
}
