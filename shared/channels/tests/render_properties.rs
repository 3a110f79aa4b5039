//! Property tests for the two renderers whose limits a reply can break: KakaoTalk's skill
//! response and Viber's `send_message` bodies (issue 15). The unit tests beside each renderer
//! pin every limit with its source on chosen examples; here any turn the domain could produce
//! (texts of any length and script, choices of any count with or without descriptions and
//! prices, pictures over HTTP or HTTPS, pay links with their QR) must come out as something the
//! platform takes:
//!
//! - **KakaoTalk** (`chatdrop_channels::kakao::LIMITS`): version 2.0; one to three outputs, each
//!   one known component; at most ten quick replies, labels of at most 14 characters; card
//!   titles, descriptions, buttons and list rows within their counts and lengths; a
//!   `commerceCard`'s price a whole number of won; the body within 30,720 bytes; and every tap
//!   carries a payload the turn issued, never a cut one.
//! - **Viber** (`chatdrop_channels::viber::LIMITS`): every message within 30 KB, texts within
//!   7,000 characters, a keyboard of at most 12 buttons, a carousel of at most six cards, every
//!   `ActionBody` a payload the turn issued.
//!
//! Characters are drawn from Hangul, Thai, Latin, emoji (four bytes in UTF-8) and JSON's
//! escaped characters, since the byte caps are what multi-byte text strains.

use chatdrop_channels::kakao::{LIMITS as KAKAO, render_with_prices};
use chatdrop_channels::viber::{self, LIMITS as VIBER, TAP_PREFIX};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::{Choice, Reply};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashSet;

const BLOCK: &str = "64f0fa11b1a2c3d4e5f60001";

/// Text as customers and catalogs write it, in the scripts chatdrop speaks.
fn words(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[가-힣]{1,12}",
        "[ก-ฮ]{1,12}",
        "[A-Za-z0-9]{1,12}",
        "[😀-🙏]{1,4}",
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\"&<>\\".to_string()),
        Just("₩8,150,000".to_string()),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|parts| parts.concat())
}

/// A choice payload as the domain issues them (at most 64 bytes, `Choice::id`), adding a
/// product for about one in three.
fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        "k:a:[a-z-]{1,24}",
        "k:o:[a-z-]{1,12}:[a-z]{1,8}:[a-z]{1,8}",
        "c:p:[0-9]{1,3}",
        "p:[a-z]",
    ]
}

fn choice() -> impl Strategy<Value = Choice> {
    (payload(), words(6), prop::option::of(words(8))).prop_map(|(id, title, description)| Choice {
        id,
        title,
        description,
    })
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "https://cdn\\.example\\.com/[a-z0-9]{1,20}\\.(png|jpg|webp)",
        "http://cdn\\.example\\.com/[a-z0-9]{1,20}\\.png",
        "https://shop\\.example\\.com/p/[A-Za-z0-9]{8,40}",
        Just(String::new()),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        words(400).prop_map(|body| Reply::Text { body }),
        (words(300), words(3), prop::collection::vec(choice(), 0..60)).prop_map(
            |(body, menu_label, choices)| Reply::Choices {
                body,
                menu_label,
                choices,
            }
        ),
        (url(), prop::option::of(words(20)))
            .prop_map(|(url, caption)| Reply::Image { url, caption }),
        (words(120), words(3), url()).prop_map(|(body, label, url)| Reply::Link {
            body,
            label,
            url
        }),
    ]
}

/// A turn: a few replies, sometimes a product's page (a picture, then its choices with an add).
fn turn() -> impl Strategy<Value = Vec<Reply>> {
    prop::collection::vec(reply(), 0..7)
}

fn payloads(replies: &[Reply]) -> HashSet<String> {
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::Choices { choices, .. } => Some(choices.iter().map(|c| c.id.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// A `block` action (quick reply, list row, card button) as Kakao takes it; its payload is
/// one the turn issued.
fn check_tap(tap: &Value, issued: &HashSet<String>) -> Result<(), TestCaseError> {
    prop_assert_eq!(&tap["action"], "block");
    prop_assert_eq!(&tap["blockId"], BLOCK);
    prop_assert!(chars(&tap["messageText"]) <= KAKAO.message_text);
    let payload = tap["extra"]["payload"].as_str().unwrap_or_default();
    prop_assert!(
        issued.contains(payload),
        "a payload never issued: {payload}"
    );
    Ok(())
}

fn check_list_card(card: &Value, issued: &HashSet<String>) -> Result<(), TestCaseError> {
    prop_assert!(chars(&card["header"]["title"]) <= KAKAO.card_title);
    let items = card["items"].as_array().cloned().unwrap_or_default();
    prop_assert!(!items.is_empty() && items.len() <= KAKAO.list_items);
    for item in &items {
        prop_assert!(chars(&item["title"]) <= KAKAO.card_title);
        prop_assert!(chars(&item["description"]) <= KAKAO.card_description);
        check_tap(item, issued)?;
    }
    Ok(())
}

fn check_kakao(response: &Value, issued: &HashSet<String>) -> Result<(), TestCaseError> {
    prop_assert!(response.to_string().len() <= KAKAO.response_bytes);
    prop_assert_eq!(&response["version"], "2.0");
    let template = &response["template"];
    let outputs = template["outputs"].as_array().cloned().unwrap_or_default();
    prop_assert!(!outputs.is_empty() && outputs.len() <= KAKAO.outputs);
    for output in &outputs {
        let object = output.as_object().expect("an output is an object");
        prop_assert_eq!(object.len(), 1, "one component per output: {}", output);
        let (kind, body) = object.iter().next().unwrap();
        match kind.as_str() {
            "simpleText" => {
                let n = chars(&body["text"]);
                prop_assert!(n > 0 && n <= KAKAO.simple_text, "{} characters", n);
            }
            "simpleImage" => {
                prop_assert!(body["imageUrl"].as_str().unwrap().starts_with("https://"));
            }
            "basicCard" => {
                prop_assert!(chars(&body["description"]) <= KAKAO.card_description);
                let buttons = body["buttons"].as_array().unwrap();
                prop_assert_eq!(buttons.len(), 1);
                prop_assert_eq!(&buttons[0]["action"], "webLink");
                prop_assert!(chars(&buttons[0]["label"]) <= KAKAO.button_label);
            }
            "commerceCard" => {
                prop_assert!(body["price"].is_i64(), "a whole number of won: {}", body);
                prop_assert_eq!(&body["currency"], "won");
                prop_assert!(chars(&body["title"]) <= KAKAO.card_title);
                prop_assert!(chars(&body["description"]) <= KAKAO.card_description);
                prop_assert_eq!(body["thumbnails"].as_array().unwrap().len(), 1);
                let buttons = body["buttons"].as_array().unwrap();
                prop_assert!(!buttons.is_empty() && buttons.len() <= KAKAO.card_buttons);
                for b in buttons {
                    prop_assert!(chars(&b["label"]) <= KAKAO.button_label);
                    check_tap(b, issued)?;
                }
            }
            "listCard" => check_list_card(body, issued)?,
            "carousel" => {
                prop_assert_eq!(&body["type"], "listCard");
                let cards = body["items"].as_array().unwrap();
                prop_assert!(cards.len() >= 2 && cards.len() <= KAKAO.carousel_items);
                for card in cards {
                    check_list_card(card, issued)?;
                }
            }
            other => prop_assert!(false, "not a component chatdrop renders: {}", other),
        }
    }
    if let Some(quick) = template.get("quickReplies") {
        let quick = quick.as_array().unwrap();
        prop_assert!(!quick.is_empty() && quick.len() <= KAKAO.quick_replies);
        for q in quick {
            let n = chars(&q["label"]);
            prop_assert!(
                n > 0 && n <= KAKAO.quick_reply_label,
                "label of {} characters",
                n
            );
            check_tap(q, issued)?;
        }
    }
    Ok(())
}

fn check_viber(message: &Value, issued: &HashSet<String>) -> Result<(), TestCaseError> {
    let bytes = message.to_string().len();
    prop_assert!(bytes <= VIBER.message_bytes, "{} bytes", bytes);
    match message["type"].as_str() {
        Some("text") => {
            let n = chars(&message["text"]);
            prop_assert!(n > 0 && n <= VIBER.text, "{} characters", n);
        }
        Some("picture") => prop_assert!(chars(&message["text"]) <= VIBER.picture_text),
        Some("url") => prop_assert!(chars(&message["media"]) <= VIBER.url),
        Some("rich_media") => {
            let buttons = message["rich_media"]["Buttons"].as_array().unwrap();
            // Two buttons a card: its words, and the one that picks it.
            prop_assert!(buttons.len() <= 2 * VIBER.carousel_cards);
        }
        other => prop_assert!(false, "not a message chatdrop sends: {:?}", other),
    }
    let buttons = message["keyboard"]["Buttons"]
        .as_array()
        .into_iter()
        .chain(message["rich_media"]["Buttons"].as_array())
        .flatten();
    let mut keyboard = 0;
    for button in buttons {
        if button["ActionType"] == "reply" {
            keyboard += 1;
            let body = button["ActionBody"].as_str().unwrap();
            prop_assert!(body.chars().count() <= VIBER.action_body);
            let payload = body.strip_prefix(TAP_PREFIX).unwrap_or_default();
            prop_assert!(issued.contains(payload), "a payload never issued: {body}");
        }
    }
    prop_assert!(keyboard <= VIBER.keyboard_buttons);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every turn is one skill response Kakao takes, with or without prices in won (a product's
    /// page as a `commerceCard`), and with no block to return to (numbered text).
    #[test]
    fn kakao_renders_any_turn_within_its_limits(
        replies in turn(),
        won in prop::option::of(1_000i64..100_000_000),
        lang in prop_oneof![Just(Lang::KO), Just(Lang::EN), Just(Lang::TH)],
    ) {
        let issued = payloads(&replies);
        let prices = move |_: &str| won;
        let response = render_with_prices(lang, Some(BLOCK), &replies, &prices);
        check_kakao(&response, &issued)?;
        let blockless = render_with_prices(lang, None, &replies, &prices);
        prop_assert!(blockless["template"].get("quickReplies").is_none());
        check_kakao(&blockless, &HashSet::new())?;
    }

    /// Every reply becomes `send_message` bodies Viber takes.
    #[test]
    fn viber_renders_any_reply_within_its_limits(
        reply in reply(),
        lang in prop_oneof![Just(Lang::KO), Just(Lang::EN), Just(Lang::TH)],
    ) {
        let issued = payloads(std::slice::from_ref(&reply));
        for message in viber::render(lang, &reply) {
            check_viber(&message, &issued)?;
        }
    }
}
