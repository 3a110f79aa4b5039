//! The language through whole conversations: the in-memory ports, the catalog and cart flows.

use crate::action::Action;
use crate::dialogue::Session;
use crate::inbound::InboundMessage;
use crate::lang::Lang;
use crate::language::LangSource;
use crate::market::Market;
use crate::reply::{Reply, ReplyBundle};
use crate::testing::{Memory, conversation, sample_catalog, tap, text};
use std::sync::Arc;

async fn run(mem: &Memory, msg: InboundMessage) -> Vec<ReplyBundle> {
    mem.run(msg).await
}

fn session(mem: &Memory) -> Session {
    mem.sessions
        .lock()
        .unwrap()
        .get(&conversation().key())
        .cloned()
        .unwrap_or_default()
}

fn langs(bundles: &[ReplyBundle]) -> Vec<Lang> {
    bundles.iter().map(|b| b.lang).collect()
}

fn choices(bundles: &[ReplyBundle]) -> Vec<(String, String)> {
    bundles
        .iter()
        .flat_map(|b| &b.replies)
        .filter_map(|r| match r {
            Reply::Choices { choices, .. } => Some(choices),
            _ => None,
        })
        .flatten()
        .map(|c| (c.id.clone(), c.title.clone()))
        .collect()
}

fn bodies(bundles: &[ReplyBundle]) -> String {
    bundles
        .iter()
        .flat_map(|b| &b.replies)
        .filter_map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } | Reply::Link { body, .. } => {
                Some(body.as_str())
            }
            Reply::Image { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn with_locale(mut msg: InboundMessage, locale: &str) -> InboundMessage {
    msg.locale = Some(locale.into());
    msg
}

#[tokio::test]
async fn hola_gets_spanish_and_the_menu() {
    let mem = Memory::with_sample();
    let sent = run(&mem, text("m1", "hola")).await;
    assert_eq!(langs(&sent), [Lang::ES]);
    assert!(
        choices(&sent).iter().any(|(id, _)| id == "c:c:bags"),
        "the greeting opens the menu, not a search: {}",
        bodies(&sent)
    );
    let s = session(&mem);
    assert_eq!(
        (s.lang, s.lang_source),
        (Some(Lang::ES), Some(LangSource::Words))
    );
    // A search later does not move it.
    let sent = run(&mem, text("m2", "tote")).await;
    assert_eq!(langs(&sent), [Lang::ES]);
}

#[tokio::test]
async fn greetings_in_every_script_open_the_menu_in_their_language() {
    for (greeting, lang) in [
        ("こんにちは。", Lang::JA),
        ("안녕하세요", Lang::KO),
        ("สวัสดีค่ะ", Lang::TH),
        ("halo kak", Lang::ID),
        ("oi", Lang::PT_BR),
        ("哈囉！", Lang::ZH_HANT),
        ("你好", Lang::ZH_HANS),
    ] {
        let mem = Memory::with_sample();
        let sent = run(&mem, text("m1", greeting)).await;
        assert_eq!(langs(&sent), [lang], "{greeting}");
        assert!(
            choices(&sent).iter().any(|(id, _)| id == "c:c:bags"),
            "{greeting}: {}",
            bodies(&sent)
        );
    }
}

#[tokio::test]
async fn the_menu_entry_switches_and_the_choice_outlasts_the_platform_locale() {
    let mem = Memory::with_sample();
    let sent = run(&mem, with_locale(text("m1", "hi"), "ja")).await;
    assert_eq!(langs(&sent), [Lang::JA]);
    let entry = Action::Languages.encode();
    assert!(
        choices(&sent).iter().any(|(id, _)| *id == entry),
        "the menu has a language entry"
    );

    let sent = run(&mem, with_locale(tap("m2", &entry), "ja")).await;
    let list = choices(&sent);
    assert_eq!(list.len(), Lang::SHIPPED.len());
    assert!(list.iter().any(|(_, title)| title == "Español"));
    assert!(
        list.iter().any(|(_, title)| title == "✓ 日本語"),
        "{list:?}"
    );

    let english = Action::SetLang(Lang::EN).encode();
    let sent = run(&mem, with_locale(tap("m3", &english), "ja")).await;
    assert_eq!(langs(&sent), [Lang::EN]);
    assert!(
        bodies(&sent).contains("I'll speak English from now on."),
        "{}",
        bodies(&sent)
    );
    let s = session(&mem);
    assert_eq!(
        (s.lang, s.lang_source),
        (Some(Lang::EN), Some(LangSource::Chosen))
    );

    // Telegram sends its language_code with every message; the choice still holds, and so
    // does it against a greeting in another language.
    let sent = run(&mem, with_locale(text("m4", "menu"), "es-MX")).await;
    assert_eq!(langs(&sent), [Lang::EN]);
    let sent = run(&mem, with_locale(text("m5", "こんにちは"), "ja")).await;
    assert_eq!(langs(&sent), [Lang::EN]);
}

#[tokio::test]
async fn the_typed_word_opens_the_list_and_a_typed_number_picks() {
    let mem = Memory::with_sample();
    let sent = run(&mem, text("m1", "ภาษา")).await;
    assert_eq!(langs(&sent), [Lang::TH], "the word itself is Thai");
    let list = choices(&sent);
    let korean = list
        .iter()
        .position(|(_, title)| title == "한국어")
        .expect("Korean offered");
    // WeChat and SMS show the list as numbered text: the customer types the number.
    let sent = run(&mem, text("m2", &(korean + 1).to_string())).await;
    assert_eq!(langs(&sent), [Lang::KO]);
    assert_eq!(session(&mem).lang_source, Some(LangSource::Chosen));

    // The word in another language opens the list again, in the chosen language.
    let sent = run(&mem, text("m3", "idioma")).await;
    assert_eq!(langs(&sent), [Lang::KO]);
    assert_eq!(choices(&sent).len(), Lang::SHIPPED.len());
}

#[tokio::test]
async fn a_stranger_without_words_gets_the_markets_language() {
    let mut catalog = sample_catalog();
    let mut thailand = Market::implicit(catalog.currency);
    thailand.id = "th".into();
    thailand.lang = Some(Lang::TH);
    thailand.channels = vec![conversation().channel];
    catalog.markets = vec![thailand];
    let mem = Memory {
        catalog: Some(Arc::new(catalog)),
        ..Default::default()
    };
    let sent = run(&mem, tap("m1", &Action::Menu.encode())).await;
    assert_eq!(langs(&sent), [Lang::TH]);
    assert_eq!(session(&mem).lang_source, Some(LangSource::Default));
    // Words say otherwise: they win over the market.
    let sent = run(&mem, text("m2", "hello")).await;
    assert_eq!(langs(&sent), [Lang::EN]);
}

/// An engraving is the customer's text, not a greeting and not a clue to their language.
#[tokio::test]
async fn an_engraving_that_is_a_greeting_is_engraved() {
    let mem = Memory::with_sample();
    run(&mem, text("m0", "hi")).await;
    for (i, payload) in [
        "k:a:drop-bag",
        "k:o:drop-bag:colour:red",
        "k:o:drop-bag:strap:leather",
        "k:o:drop-bag:charm:gold",
    ]
    .iter()
    .enumerate()
    {
        run(&mem, tap(&format!("m{}", i + 1), payload)).await;
    }
    let sent = run(&mem, text("m5", "HOLA")).await;
    assert!(
        bodies(&sent).contains("Added to your cart"),
        "{}",
        bodies(&sent)
    );
    assert_eq!(langs(&sent), [Lang::EN]);
    let s = session(&mem);
    assert_eq!(s.cart.lines.len(), 1);
    assert_eq!(s.lang_source, Some(LangSource::Words));
}
