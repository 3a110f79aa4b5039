use super::*;
use crate::sms::testing::{choice, menu};

// -----------------------------------------------------------------------------------------
// Segments and rendering
// -----------------------------------------------------------------------------------------

#[test]
fn the_gsm7_tables_hold_the_whole_alphabet() {
    // 128 codes less the escape; the extension table's ten characters.
    let basic: std::collections::HashSet<char> = GSM7_BASIC.chars().collect();
    assert_eq!(basic.len(), 127);
    assert_eq!(GSM7_BASIC.chars().count(), 127);
    assert_eq!(GSM7_EXTENSION.chars().count(), 10);
    assert!(GSM7_EXTENSION.chars().all(|c| !basic.contains(&c)));
}

#[test]
fn gsm7_is_160_single_and_153_per_part() {
    assert_eq!(segments(""), (Encoding::Gsm7, 0));
    assert_eq!(segments(&"a".repeat(160)), (Encoding::Gsm7, 1));
    assert_eq!(segments(&"a".repeat(161)), (Encoding::Gsm7, 2));
    assert_eq!(segments(&"a".repeat(306)), (Encoding::Gsm7, 2));
    assert_eq!(segments(&"a".repeat(307)), (Encoding::Gsm7, 3));
    assert_eq!(segments("Héllo @ £5 Ñ ¿ ü"), (Encoding::Gsm7, 1));
}

#[test]
fn extension_characters_count_two_septets_and_stay_whole() {
    assert_eq!(segments(&"€".repeat(80)), (Encoding::Gsm7, 1));
    assert_eq!(segments(&"€".repeat(81)), (Encoding::Gsm7, 2));
    assert_eq!(
        segments(&format!("{}€", "a".repeat(159))),
        (Encoding::Gsm7, 2)
    );
    // 306 septets would be two parts, but the escape and its character cannot be split
    // across the first boundary, so they open the second part and a third is needed.
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(segments(&text), (Encoding::Gsm7, 3));
}

#[test]
fn anything_outside_gsm7_is_ucs2_at_70_and_67() {
    assert_eq!(segments(&"あ".repeat(70)), (Encoding::Ucs2, 1));
    assert_eq!(segments(&"あ".repeat(71)), (Encoding::Ucs2, 2));
    assert_eq!(segments(&"あ".repeat(134)), (Encoding::Ucs2, 2));
    assert_eq!(segments(&"あ".repeat(135)), (Encoding::Ucs2, 3));
    // An emoji is a surrogate pair: two code units.
    assert_eq!(segments(&"😀".repeat(35)), (Encoding::Ucs2, 1));
    assert_eq!(segments(&"😀".repeat(36)), (Encoding::Ucs2, 2));
    assert_eq!(
        segments(&format!("{}😀", "a".repeat(69))),
        (Encoding::Ucs2, 2)
    );
    assert_eq!(
        segments(&format!("{}😀", "a".repeat(68))),
        (Encoding::Ucs2, 1)
    );
}

#[test]
fn typographic_punctuation_becomes_gsm7_when_that_is_enough() {
    assert_eq!(
        gsm_friendly("Don\u{2019}t \u{2014} wait\u{2026}"),
        "Don't - wait..."
    );
    assert_eq!(
        segments(&gsm_friendly("“Blue” mug — $12")).0,
        Encoding::Gsm7
    );
    // Japanese needs UCS-2 anyway, and keeps its punctuation.
    assert_eq!(gsm_friendly("青いマグ — ¥1200…"), "青いマグ — ¥1200…");
    assert_eq!(gsm_friendly("emoji 😀 — x"), "emoji 😀 — x");
}

fn only(mut bodies: Vec<String>) -> String {
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    bodies.remove(0)
}

#[test]
fn choices_are_a_numbered_gsm7_menu() {
    let text = only(render(
        Lang::EN,
        &menu(
            "Pick a size:",
            vec![
                choice("c:s", "Small", Some("$12.00")),
                choice("c:m", "Medium", None),
                choice("c:l", "Large", Some("  ")),
            ],
        ),
    ));
    assert_eq!(
        text,
        "Pick a size:\n1. Small - $12.00\n2. Medium\n3. Large\nReply with a number."
    );
    assert_eq!(segments(&text), (Encoding::Gsm7, 1));
}

#[test]
fn a_japanese_menu_answers_in_japanese() {
    let text = only(render(
        Lang::JA,
        &menu("サイズ", vec![choice("c:s", "S", None)]),
    ));
    assert_eq!(
        text,
        format!("サイズ\n1. S\n{}", Msg::ReplyWithNumber.text(Lang::JA))
    );
}

#[test]
fn descriptions_give_way_first_then_titles_then_the_body() {
    let long = "d".repeat(100);
    let choices: Vec<Choice> = (1..=6)
        .map(|i| choice(&format!("c:{i}"), &format!("Item {i}"), Some(&long)))
        .collect();
    // Cut descriptions fit: every line keeps 40 characters of its description.
    let text = only(render(Lang::EN, &menu("Pick:", choices.clone())));
    assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
    assert!(
        text.contains(&format!("1. Item 1 - {}...", "d".repeat(39))),
        "{text}"
    );

    // Twelve choices: descriptions go entirely.
    let many: Vec<Choice> = (1..=12)
        .map(|i| choice(&format!("c:{i}"), &format!("Item {i}"), Some(&long)))
        .collect();
    let text = only(render(Lang::EN, &menu("Pick:", many)));
    assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
    assert!(
        text.contains("\n12. Item 12\n") && !text.contains("ddd"),
        "{text}"
    );

    // Long titles are cut too.
    let titled: Vec<Choice> = (1..=12)
        .map(|i| choice(&format!("c:{i}"), &format!("{i} {}", "t".repeat(60)), None))
        .collect();
    let text = only(render(Lang::EN, &menu("Pick:", titled)));
    assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
    assert!(
        text.contains(&format!("\n1. 1 {}...\n", "t".repeat(27))),
        "{text}"
    );

    // A long body is shortened, the menu kept whole.
    let body = "b".repeat(700);
    let text = only(render(
        Lang::EN,
        &menu(&body, vec![choice("c:a", "Add to cart", None)]),
    ));
    assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
    assert!(
        text.ends_with("...\n1. Add to cart\nReply with a number."),
        "{text}"
    );
}

#[test]
fn every_choice_is_listed_even_over_budget() {
    let choices: Vec<Choice> = (1..=60)
        .map(|i| choice(&format!("c:{i}"), &format!("Choice number {i}"), None))
        .collect();
    let bodies = render(Lang::EN, &menu("Pick:", choices));
    let all = bodies.join("\n");
    assert!(all.contains("\n60. Choice number 60"), "{all}");
    assert!(
        bodies
            .iter()
            .all(|b| b.chars().count() <= LIMITS.body_chars)
    );
}

#[test]
fn links_keep_the_url_whole() {
    let url = "https://shop.example/p/Ab3dE";
    let text = only(render(
        Lang::EN,
        &Reply::Link {
            body: "Reserved for you for 15 minutes. Total $24.00.\nPay securely with Stripe:"
                .into(),
            label: "Pay now".into(),
            url: url.into(),
        },
    ));
    assert_eq!(
        text,
        format!("Reserved for you for 15 minutes. Total $24.00.\nPay securely with Stripe: {url}")
    );
    let long = only(render(
        Lang::EN,
        &Reply::Link {
            body: "x".repeat(1000),
            label: "Pay".into(),
            url: url.into(),
        },
    ));
    assert!(long.ends_with(&format!("... {url}")), "{long}");
    assert_eq!(segments(&long), (Encoding::Gsm7, LIMITS.segment_budget));
}

#[test]
fn images_are_their_caption_and_url() {
    let url = "https://cdn.example/mug.jpg";
    assert_eq!(
        render(
            Lang::EN,
            &Reply::Image {
                url: url.into(),
                caption: Some("Blue mug".into())
            }
        ),
        vec![format!("Blue mug {url}")]
    );
    assert_eq!(
        render(
            Lang::EN,
            &Reply::Image {
                url: url.into(),
                caption: None
            }
        ),
        vec![url.to_string()]
    );
}

#[test]
fn text_over_1600_characters_is_split_and_empty_text_is_nothing() {
    let body = format!("{}\n{}", "a".repeat(1500), "b".repeat(300));
    let parts = render(Lang::EN, &Reply::Text { body });
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.chars().count() <= 1600));
    assert!(render(Lang::EN, &Reply::Text { body: " ".into() }).is_empty());
}
