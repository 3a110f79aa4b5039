use super::*;
use crate::fixtures::{choice, choices_reply};

const CHAT: &str = "7001234567";

fn single(mut calls: Vec<Call>) -> Call {
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls.remove(0)
}

#[test]
fn text_is_send_message_with_a_numeric_chat_id() {
    let (method, params) = single(render(CHAT, Lang::EN, &Reply::Text { body: "hi".into() }));
    assert_eq!(method, "sendMessage");
    assert_eq!(params, json!({ "chat_id": 7001234567_i64, "text": "hi" }));
    let (_, params) = single(render(
        "@mugshop",
        Lang::EN,
        &Reply::Text { body: "hi".into() },
    ));
    assert_eq!(params["chat_id"], json!("@mugshop"));
}

#[test]
fn long_text_is_split_at_4096_characters() {
    let exact = render(
        CHAT,
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(4096),
        },
    );
    assert_eq!(exact.len(), 1);
    let over = render(
        CHAT,
        Lang::EN,
        &Reply::Text {
            body: "é".repeat(4097),
        },
    );
    assert_eq!(over.len(), 2);
    assert!(over.iter().all(|(m, _)| *m == "sendMessage"));
}

#[test]
fn choices_are_an_inline_keyboard_one_button_per_row() {
    let mut list = vec![
        choice("c:p:blue_mug", "Blue mug"),
        choice("k:v", "View cart"),
    ];
    list[0].description = Some("$12.00".into());
    let (method, params) = single(render(CHAT, Lang::EN, &choices_reply("Pick one", list)));
    assert_eq!(method, "sendMessage");
    assert_eq!(
        params,
        json!({
            "chat_id": 7001234567_i64,
            "text": "Pick one",
            "reply_markup": { "inline_keyboard": [
                [{ "text": "Blue mug — $12.00", "callback_data": "c:p:blue_mug" }],
                [{ "text": "View cart", "callback_data": "k:v" }],
            ]},
        })
    );
}

#[test]
fn callback_data_is_limited_in_bytes_not_characters() {
    let exactly_64 = "é".repeat(32); // 32 characters, 64 bytes
    let bytes_65 = format!("a{}", "é".repeat(32)); // 33 characters, 65 bytes
    assert_eq!((exactly_64.len(), bytes_65.len()), (64, 65));
    let list = vec![
        choice(&exactly_64, "Fits"),
        choice(&bytes_65, "Too long"),
        choice("k:v", "View cart"),
    ];
    let (_, params) = single(render(CHAT, Lang::EN, &choices_reply("Pick one", list)));
    let rows = params["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0]["callback_data"], json!(exactly_64));
    assert_eq!(rows[1][0]["callback_data"], json!("k:v"));
    // The oversized one is listed under its position among all choices, never sent.
    assert_eq!(
        params["text"],
        json!("Pick one\n\n2. Too long\n\nReply with a number.")
    );
    assert!(!params.to_string().contains(&bytes_65));
}

#[test]
fn when_no_payload_fits_the_reply_is_plain_numbered_text() {
    let long = "x".repeat(65);
    let list = vec![choice(&long, "One"), choice(&format!("{long}2"), "Two")];
    let (_, params) = single(render(CHAT, Lang::JA, &choices_reply("選んで", list)));
    assert!(params.get("reply_markup").is_none());
    assert_eq!(
        params["text"],
        json!(format!(
            "選んで\n\n1. One\n2. Two\n\n{}",
            Msg::ReplyWithNumber.text(Lang::JA)
        ))
    );
}

#[test]
fn button_text_is_cut_to_64_characters() {
    let mut c = choice("c:p:x", &"t".repeat(50));
    c.description = Some("d".repeat(50));
    let (_, params) = single(render(CHAT, Lang::EN, &choices_reply("Pick", vec![c])));
    let text = params["reply_markup"]["inline_keyboard"][0][0]["text"]
        .as_str()
        .unwrap();
    assert_eq!(text.chars().count(), 64);
    assert!(text.ends_with('…'));
}

#[test]
fn a_keyboard_always_has_text() {
    let (_, params) = single(render(
        CHAT,
        Lang::EN,
        &choices_reply("", vec![choice("c:m", "Menu")]),
    ));
    assert_eq!(params["text"], json!("Menu"));
}

#[test]
fn a_long_body_carries_the_keyboard_on_its_last_part() {
    let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
    let calls = render(
        CHAT,
        Lang::EN,
        &choices_reply(&body, vec![choice("c:m", "Menu")]),
    );
    assert_eq!(calls.len(), 2);
    assert!(calls[0].1.get("reply_markup").is_none());
    assert!(calls[1].1.get("reply_markup").is_some());
}

#[test]
fn images_are_send_photo_with_caption() {
    let (method, params) = single(render(
        CHAT,
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        },
    ));
    assert_eq!(method, "sendPhoto");
    assert_eq!(
        params,
        json!({ "chat_id": 7001234567_i64, "photo": "https://cdn.example/mug.jpg", "caption": "Blue mug" })
    );
    let calls = render(
        CHAT,
        Lang::EN,
        &Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("c".repeat(1025)),
        },
    );
    assert_eq!(calls.len(), 2);
    assert!(calls[0].1.get("caption").is_none());
    assert_eq!(calls[1].0, "sendMessage");
}

#[test]
fn links_are_url_buttons() {
    let (method, params) = single(render(
        CHAT,
        Lang::EN,
        &Reply::Link {
            body: "Ready to pay.".into(),
            label: "Pay".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test".into(),
        },
    ));
    assert_eq!(method, "sendMessage");
    assert_eq!(
        params,
        json!({
            "chat_id": 7001234567_i64,
            "text": "Ready to pay.",
            "reply_markup": { "inline_keyboard": [[
                { "text": "Pay", "url": "https://checkout.stripe.com/c/pay/cs_test" }
            ]]},
        })
    );
}

#[test]
fn the_share_button_asks_telegram_for_the_customers_own_contact_on_the_reply_keyboard() {
    let share = Action::VerifyShareContact.encode();
    let (method, params) = single(render(
        CHAT,
        Lang::EN,
        &choices_reply(
            "Or share this account's number with the button below: no code needed.",
            vec![choice(&share, "Share my number")],
        ),
    ));
    assert_eq!(method, "sendMessage");
    assert_eq!(
        params["reply_markup"],
        json!({
            "keyboard": [[{ "text": "Share my number", "request_contact": true }]],
            "one_time_keyboard": true,
            "resize_keyboard": true,
        })
    );
    assert!(params["reply_markup"]["inline_keyboard"].is_null());
}

#[test]
fn other_choices_without_the_share_button_stay_inline() {
    let (_, params) = single(render(
        CHAT,
        Lang::EN,
        &choices_reply("Send your number", vec![choice("c:m", "Cancel")]),
    ));
    assert!(params["reply_markup"]["keyboard"].is_null(), "{params}");
    assert_eq!(
        params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "c:m"
    );
}
