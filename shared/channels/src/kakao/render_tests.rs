//! Each limit of [`LIMITS`], pinned with its source. Numbers are from yes506/kakao-chatbot-docs
//! `kakao-skill-response-types.md` (secondary, matching third-party SDK constants) for the
//! component list at <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format>;
//! the size cap from the Nuff integration guide (secondary).

use super::*;
use crate::fixtures::{choice, choices_reply};

const BLOCK: Option<&str> = Some("blk-fallback");

fn choices(n: usize) -> Vec<Choice> {
    (1..=n)
        .map(|i| choice(&format!("c:p:{i}"), &format!("상품 {i}")))
        .collect()
}

fn outputs(v: &Value) -> &Vec<Value> {
    v["template"]["outputs"].as_array().expect("outputs")
}

fn text(body: &str) -> Reply {
    Reply::Text { body: body.into() }
}

#[test]
fn limits_are_kakaos() {
    // yes506 kakao-skill-response-types.md: outputs 1–3; quickReplies ≤ 10, label ≤ 14,
    // messageText ≤ 1,000; simpleText ≤ 1,000; card title ≤ 50, description ≤ 230, button
    // label ≤ 14; basicCard and commerceCard buttons ≤ 3; listCard items ≤ 5; carousel ≤ 10.
    // Nuff guide: response ≤ 30,720 bytes.
    assert_eq!(
        LIMITS,
        Limits {
            outputs: 3,
            quick_replies: 10,
            quick_reply_label: 14,
            message_text: 1000,
            simple_text: 1000,
            card_title: 50,
            card_description: 230,
            button_label: 14,
            card_buttons: 3,
            list_items: 5,
            carousel_items: 10,
            response_bytes: 30_720,
        }
    );
}

#[test]
fn a_response_is_version_2_with_simple_text() {
    let r = render_response(Lang::KO, BLOCK, &[text("안녕하세요")]);
    assert_eq!(
        r["version"], "2.0",
        "without it Kakao reads the v1 format (skill-compare)"
    );
    assert_eq!(
        outputs(&r),
        &vec![json!({"simpleText": {"text": "안녕하세요"}})]
    );
    assert!(r["template"].get("quickReplies").is_none());
}

#[test]
fn adjacent_texts_merge_and_long_text_splits_at_1000_characters() {
    let r = render_response(Lang::KO, BLOCK, &[text("a"), text("b")]);
    assert_eq!(
        outputs(&r),
        &vec![json!({"simpleText": {"text": "a\n\nb"}})]
    );
    let r = render_response(Lang::KO, BLOCK, &[text(&"가".repeat(1000))]);
    assert_eq!(outputs(&r).len(), 1);
    let r = render_response(Lang::KO, BLOCK, &[text(&"가".repeat(1001))]);
    assert_eq!(outputs(&r).len(), 2);
    for o in outputs(&r) {
        assert!(o["simpleText"]["text"].as_str().unwrap().chars().count() <= 1000);
    }
}

#[test]
fn ten_choices_are_quick_replies_to_the_calling_block_with_the_payload() {
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[choices_reply("골라 주세요", choices(10))],
    );
    let quick = r["template"]["quickReplies"].as_array().unwrap();
    assert_eq!(quick.len(), 10);
    assert_eq!(
        quick[0],
        json!({"label": "상품 1", "action": "block", "blockId": "blk-fallback",
               "messageText": "상품 1", "extra": {"payload": "c:p:1"}})
    );
    assert_eq!(
        outputs(&r),
        &vec![json!({"simpleText": {"text": "골라 주세요"}})]
    );
}

#[test]
fn labels_are_cut_at_14_characters_and_the_text_lists_them_in_full() {
    let long = "아주아주아주아주긴상품이름입니다요"; // 17 characters
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[choices_reply("골라 주세요", vec![choice("c:1", long)])],
    );
    let label = r["template"]["quickReplies"][0]["label"].as_str().unwrap();
    assert_eq!(label.chars().count(), 14);
    assert!(label.ends_with('…'));
    let shown = outputs(&r)[0]["simpleText"]["text"].as_str().unwrap();
    assert!(shown.contains(&format!("1. {long}")), "{shown}");
}

#[test]
fn more_than_ten_choices_are_list_cards_of_five_in_a_carousel() {
    let r = render_response(Lang::KO, BLOCK, &[choices_reply("메뉴", choices(12))]);
    assert!(r["template"].get("quickReplies").is_none());
    let carousel = &outputs(&r)[0]["carousel"];
    assert_eq!(carousel["type"], "listCard");
    let cards = carousel["items"].as_array().unwrap();
    assert_eq!(cards.len(), 3);
    assert_eq!(cards[0]["items"].as_array().unwrap().len(), 5);
    assert_eq!(cards[2]["items"].as_array().unwrap().len(), 2);
    assert_eq!(cards[0]["header"]["title"], "메뉴");
    assert_eq!(cards[2]["items"][1]["extra"]["payload"], "c:p:12");
    assert_eq!(cards[2]["items"][1]["action"], "block");
}

#[test]
fn priced_choices_are_a_list_card_so_the_price_shows() {
    let mut c = choices(2);
    c[0].description = Some("₩38,000".into());
    let r = render_response(Lang::KO, BLOCK, &[choices_reply("가방", c)]);
    let card = &outputs(&r)[0]["listCard"];
    assert_eq!(card["items"][0]["description"], "₩38,000");
    assert_eq!(card["items"].as_array().unwrap().len(), 2);
}

#[test]
fn over_fifty_choices_or_no_block_is_numbered_text() {
    let r = render_response(Lang::KO, BLOCK, &[choices_reply("메뉴", choices(51))]);
    let shown = outputs(&r)[0]["simpleText"]["text"].as_str().unwrap();
    assert!(shown.contains("51. 상품 51"));
    assert!(shown.ends_with(&Msg::ReplyWithNumber.text(Lang::KO)));
    let r = render_response(Lang::KO, None, &[choices_reply("메뉴", choices(2))]);
    assert!(r["template"].get("quickReplies").is_none());
    assert!(
        outputs(&r)[0]["simpleText"]["text"]
            .as_str()
            .unwrap()
            .contains("2. 상품 2")
    );
}

#[test]
fn the_pay_link_is_a_web_link_card_with_the_qr_as_its_picture() {
    let replies = [
        Reply::Link {
            body: "가방 × 1\n10분 동안 보관합니다.".into(),
            label: "지금 결제".into(),
            url: "https://shop.example/p/tok".into(),
        },
        Reply::Image {
            url: "https://shop.example/qr/tok.png".into(),
            caption: Some("다른 기기에서 스캔".into()),
        },
        choices_reply(
            "#A1B2C3D4",
            vec![choice("p:x:1", "예약 취소"), choice("c:m", "계속 쇼핑")],
        ),
    ];
    let r = render_response(Lang::KO, BLOCK, &replies);
    let outs = outputs(&r);
    assert_eq!(outs.len(), 2);
    let card = &outs[0]["basicCard"];
    assert_eq!(
        card["thumbnail"]["imageUrl"],
        "https://shop.example/qr/tok.png"
    );
    assert_eq!(
        card["buttons"][0],
        json!({"action": "webLink", "label": "지금 결제", "webLinkUrl": "https://shop.example/p/tok"})
    );
    assert_eq!(outs[1], json!({"simpleText": {"text": "#A1B2C3D4"}}));
    assert_eq!(
        r["template"]["quickReplies"][0]["extra"]["payload"],
        "p:x:1"
    );
}

#[test]
fn an_image_is_a_simple_image_over_https_only() {
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[Reply::Image {
            url: "https://cdn.example/bag.jpg".into(),
            caption: Some("가방".into()),
        }],
    );
    assert_eq!(
        outputs(&r)[0]["simpleImage"]["imageUrl"],
        "https://cdn.example/bag.jpg"
    );
    assert_eq!(outputs(&r)[1]["simpleText"]["text"], "가방");
    // Kakao shows HTTPS images only (kakao-viber-reach.md 1.2): anything else is its address.
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[Reply::Image {
            url: "http://127.0.0.1/qr.png".into(),
            caption: None,
        }],
    );
    assert_eq!(
        outputs(&r)[0]["simpleText"]["text"],
        "http://127.0.0.1/qr.png"
    );
}

#[test]
fn a_body_over_230_characters_goes_before_the_card_and_labels_are_cut_at_14() {
    let body = "가".repeat(231);
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[Reply::Link {
            body: body.clone(),
            label: "나".repeat(20),
            url: "https://x.example".into(),
        }],
    );
    assert_eq!(outputs(&r)[0]["simpleText"]["text"], body.as_str());
    let card = &outputs(&r)[1]["basicCard"];
    assert!(card["description"].as_str().unwrap().chars().count() <= 230);
    assert_eq!(
        card["buttons"][0]["label"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        14
    );
    // 230 characters still fit the card (basicCard description ≤ 230).
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[Reply::Link {
            body: "가".repeat(230),
            label: "결제".into(),
            url: "https://x.example".into(),
        }],
    );
    assert_eq!(outputs(&r).len(), 1);
    assert_eq!(
        outputs(&r)[0]["basicCard"]["description"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        230
    );
}

#[test]
fn a_link_without_an_address_is_its_words() {
    let r = render_response(
        Lang::KO,
        BLOCK,
        &[Reply::Link {
            body: "결제 준비 중".into(),
            label: "결제".into(),
            url: String::new(),
        }],
    );
    assert_eq!(outputs(&r)[0]["simpleText"]["text"], "결제 준비 중\n\n결제");
}

#[test]
fn more_than_three_outputs_fold_into_a_last_text() {
    let replies: Vec<Reply> = (0..5)
        .map(|i| Reply::Image {
            url: format!("https://cdn.example/{i}.jpg"),
            caption: None,
        })
        .collect();
    let r = render_response(Lang::KO, BLOCK, &replies);
    let outs = outputs(&r);
    assert_eq!(outs.len(), 3);
    let last = outs[2]["simpleText"]["text"].as_str().unwrap();
    assert!(
        last.contains("https://cdn.example/2.jpg") && last.contains("https://cdn.example/4.jpg")
    );
}

#[test]
fn nothing_to_say_still_answers_one_output() {
    let r = render_response(Lang::KO, BLOCK, &[]);
    assert_eq!(outputs(&r).len(), 1);
}

#[test]
fn a_response_over_the_size_cap_becomes_text() {
    // 50 list rows with 230-character descriptions are well over 30,720 bytes as cards.
    let rows: Vec<Choice> = (1..=50)
        .map(|i| Choice {
            id: format!("c:p:{i}"),
            title: format!("상품 {i}"),
            description: Some("설".repeat(230)),
        })
        .collect();
    let r = render_response(Lang::KO, BLOCK, &[choices_reply("메뉴", rows)]);
    assert!(r.to_string().len() <= LIMITS.response_bytes);
    assert!(outputs(&r).iter().all(|o| o.get("simpleText").is_some()));
    assert!(outputs(&r).len() <= LIMITS.outputs);
}

/// A product's page as the domain speaks it (`browse::product_detail`): the picture captioned
/// with the name, then the words and the three choices.
fn product_page(image: &str, body: &str) -> Vec<Reply> {
    vec![
        Reply::Image {
            url: image.into(),
            caption: Some("아틀리에 백 한정판".into()),
        },
        choices_reply(
            body,
            vec![
                choice("k:a:atelier-bag", "옵션 선택 후 담기"),
                choice("c:c:bags", "뒤로"),
                choice("k:v", "장바구니 보기"),
            ],
        ),
    ]
}

fn won(product: &str) -> Option<i64> {
    (product == "atelier-bag").then_some(7_200_000)
}

#[test]
fn a_product_with_its_price_in_won_is_a_commerce_card() {
    let page = product_page(
        "https://cdn.chatdrop.example/atelier-bag.jpg",
        "아틀리에 백 한정판 — ₩7,200,000~",
    );
    let r = render_with_prices(Lang::KO, BLOCK, &page, &won);
    let outs = outputs(&r);
    assert_eq!(outs.len(), 1, "{r:#}");
    // commerceCard (yes506 kakao-skill-response-types.md): `price` an integer, `currency`
    // "won", exactly one thumbnail, at most 3 buttons with labels ≤ 14.
    assert_eq!(
        outs[0],
        json!({"commerceCard": {
            "title": "아틀리에 백 한정판",
            "description": "아틀리에 백 한정판 — ₩7,200,000~",
            "price": 7_200_000,
            "currency": "won",
            "thumbnails": [{"imageUrl": "https://cdn.chatdrop.example/atelier-bag.jpg"}],
            "buttons": [
                {"action": "block", "label": "옵션 선택 후 담기", "blockId": "blk-fallback",
                 "messageText": "옵션 선택 후 담기", "extra": {"payload": "k:a:atelier-bag"}},
                {"action": "block", "label": "뒤로", "blockId": "blk-fallback",
                 "messageText": "뒤로", "extra": {"payload": "c:c:bags"}},
                {"action": "block", "label": "장바구니 보기", "blockId": "blk-fallback",
                 "messageText": "장바구니 보기", "extra": {"payload": "k:v"}},
            ],
        }})
    );
    assert!(
        r["template"].get("quickReplies").is_none(),
        "the buttons are the choices"
    );
}

#[test]
fn a_commerce_card_degrades_like_any_picture_and_choices() {
    let image = "https://cdn.chatdrop.example/atelier-bag.jpg";
    let plain = |r: &Value| {
        let outs = outputs(r);
        assert!(outs[0].get("simpleImage").is_some(), "{r:#}");
        assert_eq!(r["template"]["quickReplies"].as_array().unwrap().len(), 3);
    };
    // No price in won (another market's currency, or no lookup at all).
    plain(&render_with_prices(
        Lang::KO,
        BLOCK,
        &product_page(image, "가방"),
        &|_| None,
    ));
    plain(&render_response(
        Lang::KO,
        BLOCK,
        &product_page(image, "가방"),
    ));
    // Four choices: a commerceCard holds three buttons.
    let mut page = product_page(image, "가방");
    if let Reply::Choices { choices, .. } = &mut page[1] {
        choices.push(choice("c:m", "메뉴"));
    }
    let r = render_with_prices(Lang::KO, BLOCK, &page, &won);
    assert!(outputs(&r)[0].get("simpleImage").is_some(), "{r:#}");
    assert_eq!(r["template"]["quickReplies"].as_array().unwrap().len(), 4);
    // Over HTTP, Kakao shows no picture: the address as words.
    let r = render_with_prices(
        Lang::KO,
        BLOCK,
        &product_page("http://127.0.0.1/bag.jpg", "가방"),
        &won,
    );
    assert!(outputs(&r).iter().all(|o| o.get("commerceCard").is_none()));
    // No block to return to: numbered text, no buttons.
    let r = render_with_prices(Lang::KO, None, &product_page(image, "가방"), &won);
    assert!(outputs(&r).iter().all(|o| o.get("commerceCard").is_none()));
}

#[test]
fn a_long_product_description_goes_before_the_card_and_labels_are_cut() {
    let body = "설".repeat(231);
    let mut page = product_page("https://cdn.chatdrop.example/atelier-bag.jpg", &body);
    if let Reply::Choices { choices, .. } = &mut page[1] {
        choices[0].title = "옵션을 모두 고른 뒤 장바구니에 담기".into();
    }
    let r = render_with_prices(Lang::KO, BLOCK, &page, &won);
    let outs = outputs(&r);
    assert_eq!(outs[0]["simpleText"]["text"], body.as_str());
    let card = &outs[1]["commerceCard"];
    assert_eq!(card["description"], "아틀리에 백 한정판");
    let label = card["buttons"][0]["label"].as_str().unwrap();
    assert_eq!(label.chars().count(), 14, "{label}");
    assert_eq!(
        card["buttons"][0]["messageText"],
        "옵션을 모두 고른 뒤 장바구니에 담기"
    );
}
