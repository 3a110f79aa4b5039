use super::*;

fn choice(id: &str, title: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

fn choices(n: usize) -> Vec<Choice> {
    (1..=n)
        .map(|i| choice(&format!("c:p:item{i}"), &format!("Item {i}")))
        .collect()
}

fn menu(body: &str, list: Vec<Choice>) -> Vec<Value> {
    render(
        Lang::EN,
        &Reply::Choices {
            body: body.into(),
            menu_label: "Menu".into(),
            choices: list,
        },
    )
}

#[test]
fn thirteen_choices_are_quick_replies() {
    let m = menu("Pick one", choices(13));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["text"], json!("Pick one"));
    let replies = m[0]["quick_replies"].as_array().unwrap();
    assert_eq!(replies.len(), 13);
    assert_eq!(
        replies[0],
        json!({ "content_type": "text", "title": "Item 1", "payload": "c:p:item1" })
    );
}

#[test]
fn fourteen_choices_are_numbered_text() {
    let m = menu("Pick one", choices(14));
    assert_eq!(m.len(), 1);
    assert!(m[0].get("quick_replies").is_none());
    let text = m[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Pick one\n\n1. Item 1\n2. Item 2\n"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "\n14. Item 14\n\n{}",
            Msg::ReplyWithNumber.text(Lang::EN)
        )),
        "{text}"
    );
}

#[test]
fn a_payload_quick_replies_cannot_carry_makes_numbered_text() {
    let mut list = choices(2);
    list[1].id = "x".repeat(1001);
    let m = menu("Pick one", list);
    assert!(m[0].get("quick_replies").is_none());
    let mut list = choices(2);
    list[1].id = list[0].id.clone();
    assert!(menu("Pick one", list)[0].get("quick_replies").is_none());
}

#[test]
fn long_titles_are_cut_and_listed_in_full_above_numbered_buttons() {
    let long = "Extra large stoneware mug, glazed blue"; // 38 characters
    let mut list = choices(2);
    list[0].title = long.into();
    let m = menu("Pick one", list);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0]["text"],
        json!(format!("Pick one\n\n1. {long}\n2. Item 2"))
    );
    let replies = m[0]["quick_replies"].as_array().unwrap();
    let first = replies[0]["title"].as_str().unwrap();
    assert_eq!(first, "1. Extra large ston…");
    assert_eq!(first.chars().count(), LIMITS.quick_reply_title);
    assert_eq!(replies[0]["payload"], json!("c:p:item1"));
    assert_eq!(replies[1]["title"], json!("2. Item 2"));
    // Exactly 20 characters (counted as characters, not bytes) is not cut.
    let m = menu("Pick", vec![choice("a", &"日".repeat(20))]);
    assert_eq!(m[0]["text"], json!("Pick"));
    assert_eq!(m[0]["quick_replies"][0]["title"], json!("日".repeat(20)));
}

#[test]
fn descriptions_are_listed_in_the_text() {
    let mut list = choices(2);
    list[0].description = Some("$12.00".into());
    let m = menu("Pick one", list);
    assert_eq!(
        m[0]["text"],
        json!("Pick one\n\n1. Item 1 — $12.00\n2. Item 2")
    );
    assert_eq!(m[0]["quick_replies"][0]["title"], json!("1. Item 1"));
}

#[test]
fn quick_replies_need_text_so_an_empty_body_gets_the_menu_label() {
    let m = menu("  ", choices(2));
    assert_eq!(m[0]["text"], json!("Menu"));
    let m = render(
        Lang::EN,
        &Reply::Choices {
            body: String::new(),
            menu_label: String::new(),
            choices: choices(2),
        },
    );
    assert_eq!(m[0]["text"], json!(Msg::ChooseLabel.text(Lang::EN)));
}

#[test]
fn a_long_menu_body_is_split_with_the_buttons_on_the_last_part() {
    let body = format!("{}\n{}", "a".repeat(1990), "b".repeat(100));
    let m = menu(&body, choices(3));
    assert_eq!(m.len(), 2);
    assert!(m[0].get("quick_replies").is_none());
    assert_eq!(m[1]["text"], json!("b".repeat(100)));
    assert_eq!(m[1]["quick_replies"].as_array().unwrap().len(), 3);
}

#[test]
fn text_is_split_at_two_thousand_characters() {
    let exact = render(
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(2000),
        },
    );
    assert_eq!(exact, vec![json!({ "text": "é".repeat(2000) })]);
    let over = render(
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(2001),
        },
    );
    assert_eq!(over.len(), 2);
    assert_eq!(over[1], json!({ "text": "é" }));
    assert!(render(Lang::EN, &Reply::Text { body: " ".into() }).is_empty());
}

#[test]
fn images_are_reusable_attachments_followed_by_their_caption() {
    let m = render(
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        },
    );
    assert_eq!(
        m,
        vec![
            json!({ "attachment": { "type": "image", "payload": { "url": "https://cdn.example/mug.jpg", "is_reusable": true } } }),
            json!({ "text": "Blue mug" }),
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
fn links_are_a_button_template_with_one_web_url_button() {
    let link = |body: &str| Reply::Link {
        body: body.into(),
        label: "Pay securely with Stripe".into(),
        url: "https://checkout.stripe.com/c/pay/cs_test".into(),
    };
    let m = render(Lang::EN, &link("Your order is ready to pay."));
    assert_eq!(
        m,
        vec![json!({
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "Your order is ready to pay.",
                    "buttons": [{
                        "type": "web_url",
                        "url": "https://checkout.stripe.com/c/pay/cs_test",
                        "title": "Pay securely with S…",
                    }],
                },
            },
        })]
    );
    let exact = render(Lang::EN, &link(&"b".repeat(640)));
    assert_eq!(
        exact[0]["attachment"]["payload"]["template_type"],
        json!("button")
    );
    let over = render(Lang::EN, &link(&"b".repeat(641)));
    assert_eq!(
        over,
        vec![
            json!({ "text": format!("{}\n\nPay securely with Stripe: https://checkout.stripe.com/c/pay/cs_test", "b".repeat(641)) })
        ]
    );
}
