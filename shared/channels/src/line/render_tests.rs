use super::*;
use crate::fixtures::{choice, choices_reply};

fn choices(n: usize) -> Vec<Choice> {
    (1..=n)
        .map(|i| choice(&format!("c:p:{i}"), &format!("Item {i}")))
        .collect()
}

fn single(mut v: Vec<Value>) -> Value {
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

#[test]
fn text_is_a_text_message() {
    assert_eq!(
        single(render(Lang::EN, &Reply::Text { body: "hi".into() })),
        json!({ "type": "text", "text": "hi" })
    );
    assert!(render(Lang::EN, &Reply::Text { body: " ".into() }).is_empty());
}

#[test]
fn long_text_is_split_at_5000_utf16_units() {
    assert_eq!(
        render(
            Lang::EN,
            &Reply::Text {
                body: "a".repeat(5000)
            }
        )
        .len(),
        1
    );
    assert_eq!(
        render(
            Lang::EN,
            &Reply::Text {
                body: "a".repeat(5001)
            }
        )
        .len(),
        2
    );
    // 2,501 emoji are 2,501 characters but 5,002 UTF-16 units: over LINE's limit.
    let emoji = render(
        Lang::EN,
        &Reply::Text {
            body: "🍎".repeat(2501),
        },
    );
    assert_eq!(emoji.len(), 2);
    for m in &emoji {
        assert!(utf16_len(m["text"].as_str().unwrap()) <= 5000);
    }
}

#[test]
fn choices_are_quick_reply_postbacks_carrying_the_payload() {
    let m = single(render(
        Lang::EN,
        &choices_reply(
            "Pick one",
            vec![choice("c:p:tee", "Tee"), choice("k:v", "View cart")],
        ),
    ));
    assert_eq!(
        m,
        json!({
            "type": "text",
            "text": "Pick one",
            "quickReply": { "items": [
                { "type": "action", "action": { "type": "postback", "label": "Tee", "data": "c:p:tee", "displayText": "Tee" } },
                { "type": "action", "action": { "type": "postback", "label": "View cart", "data": "k:v", "displayText": "View cart" } },
            ]},
        })
    );
}

#[test]
fn thirteen_choices_fit_and_fourteen_are_numbered_text() {
    let m = single(render(Lang::EN, &choices_reply("Pick", choices(13))));
    assert_eq!(m["quickReply"]["items"].as_array().unwrap().len(), 13);

    let m = single(render(Lang::EN, &choices_reply("Pick", choices(14))));
    assert!(m.get("quickReply").is_none());
    let text = m["text"].as_str().unwrap();
    assert!(text.starts_with("Pick\n\n1. Item 1\n"), "{text}");
    assert!(
        text.contains("\n14. Item 14\n\nReply with a number."),
        "{text}"
    );
}

#[test]
fn labels_are_cut_to_20_characters_and_the_full_title_listed() {
    let title = "Organic cotton tee, heather grey"; // 32 characters
    let m = single(render(
        Lang::EN,
        &choices_reply(
            "Pick",
            vec![choice("c:p:tee", title), choice("c:m", "Menu")],
        ),
    ));
    let action = &m["quickReply"]["items"][0]["action"];
    let label = action["label"].as_str().unwrap();
    assert_eq!(label.chars().count(), 20);
    assert!(label.ends_with('…'));
    assert_eq!(action["displayText"], json!(title));
    assert_eq!(action["data"], json!("c:p:tee"));
    // The button cannot show it all, so the message does.
    assert_eq!(m["text"], json!(format!("Pick\n\n1. {title}\n2. Menu")));
}

#[test]
fn descriptions_are_listed_in_the_text() {
    let mut list = vec![choice("c:p:mug", "Blue mug"), choice("k:v", "View cart")];
    list[0].description = Some("$12.00".into());
    let m = single(render(Lang::EN, &choices_reply("Mugs", list)));
    assert_eq!(
        m["text"],
        json!("Mugs\n\n1. Blue mug — $12.00\n2. View cart")
    );
    assert_eq!(
        m["quickReply"]["items"][0]["action"]["label"],
        json!("Blue mug")
    );
}

#[test]
fn a_payload_over_300_characters_makes_numbered_text() {
    let fits = "x".repeat(300);
    let m = single(render(
        Lang::EN,
        &choices_reply("Pick", vec![choice(&fits, "One")]),
    ));
    assert_eq!(m["quickReply"]["items"][0]["action"]["data"], json!(fits));

    let long = "x".repeat(301);
    let m = single(render(
        Lang::JA,
        &choices_reply("選んで", vec![choice("c:m", "Menu"), choice(&long, "Two")]),
    ));
    assert!(m.get("quickReply").is_none());
    assert_eq!(
        m["text"],
        json!(format!(
            "選んで\n\n1. Menu\n2. Two\n\n{}",
            Msg::ReplyWithNumber.text(Lang::JA)
        ))
    );
    assert!(!m.to_string().contains(&long));
}

#[test]
fn a_quick_reply_always_rides_on_text() {
    let m = single(render(
        Lang::EN,
        &choices_reply("", vec![choice("c:m", "Menu")]),
    ));
    assert_eq!(m["text"], json!("Menu"));
    let unlabelled = Reply::Choices {
        body: String::new(),
        menu_label: String::new(),
        choices: vec![choice("c:m", "")],
    };
    let m = single(render(Lang::EN, &unlabelled));
    assert_eq!(m["text"], json!(Msg::ChooseLabel.text(Lang::EN)));
    assert_eq!(m["quickReply"]["items"][0]["action"]["label"], json!("1"));
}

#[test]
fn a_long_body_carries_the_quick_reply_on_its_last_part() {
    let body = format!("{}\n{}", "a".repeat(4900), "b".repeat(200));
    let v = render(Lang::EN, &choices_reply(&body, vec![choice("c:m", "Menu")]));
    assert_eq!(v.len(), 2);
    assert!(v[0].get("quickReply").is_none());
    assert!(v[1].get("quickReply").is_some());
}

#[test]
fn an_image_is_an_image_message_then_its_caption() {
    let v = render(
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        },
    );
    assert_eq!(
        v,
        vec![
            json!({ "type": "image", "originalContentUrl": "https://cdn.example/mug.jpg", "previewImageUrl": "https://cdn.example/mug.jpg" }),
            json!({ "type": "text", "text": "Blue mug" }),
        ]
    );
    let bare = render(
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: None,
        },
    );
    assert_eq!(bare.len(), 1);
}

#[test]
fn a_link_is_a_flex_bubble_with_a_uri_button() {
    let m = single(render(
        Lang::EN,
        &Reply::Link {
            body: "Ready to pay.".into(),
            label: "Pay with card or wallet".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test".into(),
        },
    ));
    assert_eq!(m["type"], json!("flex"));
    assert_eq!(m["altText"], json!("Ready to pay."));
    assert_eq!(m["contents"]["type"], json!("bubble"));
    assert_eq!(
        m["contents"]["body"]["contents"][0]["text"],
        json!("Ready to pay.")
    );
    let action = &m["contents"]["footer"]["contents"][0]["action"];
    assert_eq!(action["type"], json!("uri"));
    assert_eq!(
        action["uri"],
        json!("https://checkout.stripe.com/c/pay/cs_test")
    );
    assert_eq!(action["label"], json!("Pay with card or wa…"));
}

#[test]
fn a_link_too_long_for_a_button_is_text() {
    let url = format!("https://shop.example/{}", "p".repeat(1000));
    let m = single(render(
        Lang::EN,
        &Reply::Link {
            body: "Ready to pay.".into(),
            label: "Pay".into(),
            url: url.clone(),
        },
    ));
    assert_eq!(m["type"], json!("text"));
    assert_eq!(m["text"], json!(format!("Ready to pay.\n\nPay: {url}")));
}

#[test]
fn alt_text_is_cut_in_utf16_units() {
    let cut = truncate_utf16(&"🍎".repeat(1000), LIMITS.alt_text);
    assert!(utf16_len(&cut) <= LIMITS.alt_text);
    assert!(cut.ends_with('…'));
    assert_eq!(truncate_utf16("short", LIMITS.alt_text), "short");
}
