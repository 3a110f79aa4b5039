use super::*;

const ANA: &str = "5511987654321";

fn choice(id: &str, title: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

fn choices(n: usize, title_len: usize) -> Vec<Choice> {
    (1..=n)
        .map(|i| {
            let title = format!(
                "{i}{}",
                "x".repeat(title_len.saturating_sub(i.to_string().len()))
            );
            choice(&format!("c:p:item{i}"), &title)
        })
        .collect()
}

fn render_choices_with(body: &str, list: Vec<Choice>) -> Vec<Value> {
    render(
        ANA,
        Lang::EN,
        &Reply::Choices {
            body: body.into(),
            menu_label: "Menu".into(),
            choices: list,
        },
    )
}

fn single(mut v: Vec<Value>) -> Value {
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

fn interactive_type(v: &Value) -> &str {
    v["interactive"]["type"].as_str().unwrap_or("")
}

#[test]
fn every_message_carries_the_envelope() {
    let m = single(render(ANA, Lang::EN, &Reply::Text { body: "hi".into() }));
    assert_eq!(
        m,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": ANA,
            "type": "text",
            "text": { "body": "hi", "preview_url": false },
        })
    );
}

#[test]
fn long_text_is_split_at_the_limit() {
    let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
    let parts = render(ANA, Lang::EN, &Reply::Text { body });
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["text"]["body"], json!("a".repeat(4000)));
    assert_eq!(parts[1]["text"]["body"], json!("b".repeat(200)));
    let exact = render(
        ANA,
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(4096),
        },
    );
    assert_eq!(exact.len(), 1);
    let over = render(
        ANA,
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(4097),
        },
    );
    assert_eq!(over.len(), 2);
    assert!(render(ANA, Lang::EN, &Reply::Text { body: " ".into() }).is_empty());
}

#[test]
fn three_choices_with_twenty_character_titles_are_buttons() {
    let list = choices(3, 20);
    assert!(list.iter().all(|c| c.title.chars().count() == 20));
    let m = single(render_choices_with("Pick one", list));
    assert_eq!(interactive_type(&m), "button");
    assert_eq!(m["interactive"]["body"]["text"], json!("Pick one"));
    let buttons = m["interactive"]["action"]["buttons"].as_array().unwrap();
    assert_eq!(buttons.len(), 3);
    assert_eq!(
        buttons[0],
        json!({ "type": "reply", "reply": { "id": "c:p:item1", "title": format!("1{}", "x".repeat(19)) } })
    );
}

#[test]
fn multibyte_titles_count_characters_not_bytes() {
    // 20 characters, 60 bytes.
    let list = vec![choice("a", &"日".repeat(20)), choice("b", "B")];
    assert_eq!(
        interactive_type(&single(render_choices_with("x", list))),
        "button"
    );
}

#[test]
fn four_choices_are_a_list() {
    let m = single(render_choices_with("Pick one", choices(4, 5)));
    assert_eq!(interactive_type(&m), "list");
    assert_eq!(m["interactive"]["action"]["button"], json!("Menu"));
    let rows = m["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], json!({ "id": "c:p:item1", "title": "1xxxx" }));
}

#[test]
fn a_twenty_one_character_title_makes_a_list() {
    let mut list = choices(3, 20);
    list[1].title.push('y');
    let m = single(render_choices_with("Pick one", list));
    assert_eq!(interactive_type(&m), "list");
}

#[test]
fn duplicate_titles_cannot_be_buttons() {
    let list = vec![choice("a", "Same"), choice("b", "Same")];
    assert_eq!(
        interactive_type(&single(render_choices_with("x", list))),
        "list"
    );
}

#[test]
fn ten_choices_are_a_list_and_eleven_are_numbered_text() {
    let m = single(render_choices_with("Pick one", choices(10, 5)));
    assert_eq!(interactive_type(&m), "list");
    let rows = &m["interactive"]["action"]["sections"][0]["rows"];
    assert_eq!(rows.as_array().unwrap().len(), 10);

    let m = single(render_choices_with("Pick one", choices(11, 5)));
    assert_eq!(m["type"], json!("text"));
    let text = m["text"]["body"].as_str().unwrap();
    assert!(
        text.starts_with("Pick one\n\n1. 1xxxx\n2. 2xxxx\n"),
        "{text}"
    );
    assert!(
        text.contains("\n11. 11xxx\n\nReply with a number."),
        "{text}"
    );
}

#[test]
fn numbered_text_includes_descriptions_and_the_language_hint() {
    let mut list = choices(11, 5);
    list[0].description = Some("$12.00".into());
    let m = single(render(
        ANA,
        Lang::JA,
        &Reply::Choices {
            body: "選んでください".into(),
            menu_label: "メニュー".into(),
            choices: list,
        },
    ));
    let text = m["text"]["body"].as_str().unwrap();
    assert!(text.contains("1. 1xxxx — $12.00\n"), "{text}");
    assert!(
        text.ends_with(&Msg::ReplyWithNumber.text(Lang::JA)),
        "{text}"
    );
}

#[test]
fn a_long_row_title_is_cut_and_kept_whole_in_the_description() {
    let long = "Extra large stoneware mug, glazed blue"; // 38 characters
    let mut list = choices(4, 5);
    list[0].title = long.into();
    list[1].description = Some("d".repeat(80));
    let m = single(render_choices_with("Pick one", list));
    let rows = &m["interactive"]["action"]["sections"][0]["rows"];
    let title = rows[0]["title"].as_str().unwrap();
    assert_eq!(title.chars().count(), 24);
    assert_eq!(title, "Extra large stoneware m…");
    assert_eq!(rows[0]["description"], json!(long));
    let description = rows[1]["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 72);
    assert!(description.ends_with('…'));
}

#[test]
fn a_long_menu_label_is_cut_and_an_empty_one_replaced() {
    let reply = |label: &str| Reply::Choices {
        body: "Pick".into(),
        menu_label: label.into(),
        choices: choices(4, 3),
    };
    let m = single(render(ANA, Lang::EN, &reply("Browse the whole catalog")));
    let label = m["interactive"]["action"]["button"].as_str().unwrap();
    assert_eq!(label.chars().count(), 20);
    let m = single(render(ANA, Lang::EN, &reply("")));
    assert_eq!(
        m["interactive"]["action"]["button"],
        json!(Msg::ChooseLabel.text(Lang::EN))
    );
}

#[test]
fn a_body_over_1024_characters_is_numbered_text() {
    let exact = single(render_choices_with(&"b".repeat(1024), choices(2, 5)));
    assert_eq!(interactive_type(&exact), "button");
    let over = single(render_choices_with(&"b".repeat(1025), choices(2, 5)));
    assert_eq!(over["type"], json!("text"));
    let list_over = single(render_choices_with(&"b".repeat(1025), choices(5, 5)));
    assert_eq!(list_over["type"], json!("text"));
}

#[test]
fn no_choices_is_just_the_body() {
    let m = single(render_choices_with("Nothing here", vec![]));
    assert_eq!(m["text"]["body"], json!("Nothing here"));
}

#[test]
fn images_carry_their_caption_when_it_fits() {
    let m = single(render(
        ANA,
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        },
    ));
    assert_eq!(m["type"], json!("image"));
    assert_eq!(
        m["image"],
        json!({ "link": "https://cdn.example/mug.jpg", "caption": "Blue mug" })
    );
    let parts = render(
        ANA,
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("c".repeat(1025)),
        },
    );
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts[0]["image"],
        json!({ "link": "https://cdn.example/mug.jpg" })
    );
    assert_eq!(parts[1]["type"], json!("text"));
}

#[test]
fn links_are_cta_url_messages() {
    let m = single(render(
        ANA,
        Lang::EN,
        &Reply::Link {
            body: "Your order is ready to pay.".into(),
            label: "Pay securely with Stripe".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test".into(),
        },
    ));
    assert_eq!(
        m["interactive"],
        json!({
            "type": "cta_url",
            "body": { "text": "Your order is ready to pay." },
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": "Pay securely with S…",
                    "url": "https://checkout.stripe.com/c/pay/cs_test",
                },
            },
        })
    );
}
