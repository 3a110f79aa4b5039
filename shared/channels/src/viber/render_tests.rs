use super::*;
use crate::fixtures::{choice, choices_reply};
use chatdrop_domain::reply::Choice;

fn described(id: &str, title: &str, description: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: Some(description.into()),
    }
}

#[test]
fn text_is_split_at_viber_s_7000_characters() {
    // data-models/message.md: text "Max length 7,000 characters".
    let long = "word ".repeat(3000);
    let messages = render(Lang::EN, &Reply::Text { body: long.clone() });
    assert_eq!(messages.len(), 3);
    for m in &messages {
        assert_eq!(m["type"], "text");
        assert!(m["text"].as_str().unwrap().chars().count() <= LIMITS.text);
    }
    assert!(render(Lang::EN, &Reply::Text { body: " ".into() }).is_empty());
}

#[test]
fn choices_become_a_keyboard_of_silent_reply_buttons_carrying_the_payload() {
    let reply = choices_reply(
        "What would you like?",
        vec![
            choice("c:c:bags", "Drop bags"),
            choice("k:v", "View <cart> & more"),
        ],
    );
    let messages = render(Lang::EN, &reply);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["text"], "What would you like?");
    let keyboard = &messages[0]["keyboard"];
    assert_eq!(keyboard["Type"], "keyboard");
    let buttons = keyboard["Buttons"].as_array().unwrap();
    assert_eq!(buttons.len(), 2);
    assert_eq!(buttons[0]["ActionType"], "reply");
    assert_eq!(buttons[0]["ActionBody"], format!("{TAP_PREFIX}c:c:bags"));
    assert_eq!(buttons[0]["Silent"], true);
    assert_eq!(buttons[0]["Text"], "Drop bags");
    // Button text is HTML: the title's own markup characters are escaped.
    assert_eq!(buttons[1]["Text"], "View &lt;cart&gt; &amp; more");
}

#[test]
fn more_choices_than_the_keyboard_holds_become_numbered_text() {
    let choices: Vec<Choice> = (1..=LIMITS.keyboard_buttons + 1)
        .map(|i| choice(&format!("c:p:{i}"), &format!("Item {i}")))
        .collect();
    let messages = render(Lang::EN, &choices_reply("Pick one", choices.clone()));
    assert!(messages[0].get("keyboard").is_none());
    let text = messages[0]["text"].as_str().unwrap();
    assert!(text.contains("13. Item 13"), "{text}");
    // Twelve still fit as buttons.
    let messages = render(Lang::EN, &choices_reply("Pick one", choices[..12].to_vec()));
    assert_eq!(
        messages[0]["keyboard"]["Buttons"].as_array().unwrap().len(),
        12
    );
}

#[test]
fn a_payload_too_long_for_a_button_is_never_cut() {
    let id = "c:p:".to_string() + &"x".repeat(LIMITS.action_body);
    let messages = render(Lang::EN, &choices_reply("Pick", vec![choice(&id, "Long")]));
    assert!(messages[0].get("keyboard").is_none());
    assert!(messages[0]["text"].as_str().unwrap().contains("1. Long"));
}

#[test]
fn described_choices_up_to_six_become_a_rich_media_carousel() {
    let products: Vec<Choice> = (1..=6)
        .map(|i| described(&format!("c:p:{i}"), &format!("Bag {i}"), "€120"))
        .collect();
    let messages = render(Lang::EN, &choices_reply("Our bags", products.clone()));
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["text"], "Our bags");
    let rich = &messages[1];
    assert_eq!(rich["type"], "rich_media");
    // Rich media needs API version 2 (Viber 6.7).
    assert_eq!(rich["min_api_version"], 2);
    let media = &rich["rich_media"];
    assert!(media["ButtonsGroupColumns"].as_u64().unwrap() <= 6);
    assert!(media["ButtonsGroupRows"].as_u64().unwrap() <= 7);
    let buttons = media["Buttons"].as_array().unwrap();
    let picks: Vec<&serde_json::Value> = buttons
        .iter()
        .filter(|b| b["ActionType"] == "reply")
        .collect();
    assert_eq!(picks.len(), 6);
    assert_eq!(picks[5]["ActionBody"], format!("{TAP_PREFIX}c:p:6"));
    // Every card's buttons fill exactly its group.
    let rows: u64 = buttons.iter().map(|b| b["Rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 6 * media["ButtonsGroupRows"].as_u64().unwrap());
    assert!(
        buttons
            .iter()
            .any(|b| b["Text"].as_str().unwrap().contains("€120"))
    );
    // A seventh card does not fit: a keyboard with the list in the text instead.
    let mut seven = products;
    seven.push(described("c:p:7", "Bag 7", "€90"));
    let messages = render(Lang::EN, &choices_reply("Our bags", seven));
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["text"]
            .as_str()
            .unwrap()
            .contains("7. Bag 7 — €90")
    );
    assert_eq!(
        messages[0]["keyboard"]["Buttons"].as_array().unwrap().len(),
        7
    );
}

#[test]
fn the_qr_is_a_picture_and_an_unshowable_image_is_text() {
    let m = render(
        Lang::EN,
        &Reply::Image {
            url: "https://shop.example/qr/t.png".into(),
            caption: None,
        },
    );
    assert_eq!(
        m,
        vec![json!({"type": "picture", "text": "", "media": "https://shop.example/qr/t.png"})]
    );
    // Not a picture extension: Viber would refuse it.
    let m = render(
        Lang::EN,
        &Reply::Image {
            url: "https://shop.example/qr/t".into(),
            caption: Some("QR".into()),
        },
    );
    assert_eq!(
        m,
        vec![json!({"type": "text", "text": "QR\nhttps://shop.example/qr/t"})]
    );
    // A caption over 768 characters follows the picture as text.
    let long = "c".repeat(LIMITS.picture_text + 1);
    let m = render(
        Lang::EN,
        &Reply::Image {
            url: "https://shop.example/a.jpg?v=2".into(),
            caption: Some(long.clone()),
        },
    );
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["text"], "");
    assert_eq!(m[1]["text"], long);
}

#[test]
fn a_link_too_long_for_a_url_message_goes_inline() {
    let url = format!("https://shop.example/{}", "p".repeat(LIMITS.url));
    let m = render(
        Lang::EN,
        &Reply::Link {
            body: "Pay here".into(),
            label: "Pay".into(),
            url: url.clone(),
        },
    );
    assert_eq!(
        m,
        vec![json!({"type": "text", "text": format!("Pay here\n\nPay: {url}")})]
    );
}

#[test]
fn every_rendered_message_fits_viber_s_30_kb() {
    let replies = [
        Reply::Text {
            body: "é".repeat(20_000),
        },
        choices_reply(
            &"b".repeat(6000),
            (0..12)
                .map(|i| choice(&format!("c:p:{i}"), &"t".repeat(300)))
                .collect(),
        ),
        choices_reply(
            "x",
            (0..6)
                .map(|i| described(&format!("c:p:{i}"), &"t".repeat(300), &"d".repeat(300)))
                .collect(),
        ),
    ];
    for reply in &replies {
        for m in render(Lang::EN, reply) {
            assert!(
                m.to_string().len() <= LIMITS.message_bytes,
                "{}",
                m.to_string().len()
            );
        }
    }
}
