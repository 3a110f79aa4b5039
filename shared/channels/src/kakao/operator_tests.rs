use super::*;
use crate::kakao::render_response;
use chatdrop_domain::reply::Reply;

const BLOCK: Option<&str> = Some("blk-fallback");

fn text(body: &str) -> Reply {
    Reply::Text { body: body.into() }
}

fn link(body: &str) -> Reply {
    Reply::Link {
        body: body.into(),
        label: "Pay".into(),
        url: "https://pay.example/p/abc".into(),
    }
}

fn outputs(v: &Value) -> &Vec<Value> {
    v["template"]["outputs"].as_array().expect("outputs")
}

fn operator_buttons(v: &Value) -> Vec<&Value> {
    outputs(v)
        .iter()
        .filter_map(|o| o.as_object()?.values().next()?.get("buttons")?.as_array())
        .flatten()
        .filter(|b| b["action"] == "operator")
        .collect()
}

fn values(setting: Option<&str>) -> Values {
    Values::new(setting.map(|v| (vars::KAKAO_OPERATOR, v.to_string())))
}

#[test]
fn the_setting_is_on_or_off_and_anything_else_is_an_error_naming_it() {
    assert!(!operator_chat(&values(None)).unwrap());
    assert!(!operator_chat(&values(Some("off"))).unwrap());
    assert!(operator_chat(&values(Some("on"))).unwrap());
    assert!(operator_chat(&values(Some(" on "))).unwrap());
    let e = operator_chat(&values(Some("yes"))).unwrap_err().to_string();
    assert!(
        e.contains("CHATDROP_KAKAO_OPERATOR") && e.contains("yes"),
        "{e}"
    );
}

#[test]
fn a_short_promise_becomes_the_card_that_carries_the_button() {
    let promise = "사람이 몇 분 안에 답해 드릴게요.";
    let v = with_operator(render_response(Lang::KO, BLOCK, &[text(promise)]), Lang::KO);
    let outs = outputs(&v);
    assert_eq!(outs.len(), 1, "{v}");
    assert_eq!(outs[0]["textCard"]["description"], promise);
    assert_eq!(
        outs[0]["textCard"]["buttons"],
        json!([{ "action": "operator", "label": "상담원 연결" }])
    );
}

#[test]
fn a_long_last_text_keeps_its_words_and_the_button_comes_after() {
    let long = "가".repeat(LIMITS.card_description + 1);
    let v = with_operator(render_response(Lang::KO, BLOCK, &[text(&long)]), Lang::KO);
    let outs = outputs(&v);
    assert_eq!(outs.len(), 2, "{v}");
    assert_eq!(outs[0]["simpleText"]["text"], long.as_str());
    assert_eq!(outs[1]["textCard"]["description"], "상담원 연결");
    assert_eq!(operator_buttons(&v).len(), 1);
}

#[test]
fn labels_fit_a_button_in_every_language() {
    // Whole, not cut: a cut label would read "Talk to a per…".
    for lang in Lang::SHIPPED {
        let v = with_operator(render_response(lang, BLOCK, &[text("…")]), lang);
        let buttons = operator_buttons(&v);
        assert_eq!(buttons.len(), 1, "{lang:?}: {v}");
        let label = buttons[0]["label"].as_str().expect("a label");
        assert_eq!(label, Msg::TalkToPerson.text(lang), "{lang:?}");
        assert!(
            !label.is_empty() && label.chars().count() <= LIMITS.button_label,
            "{lang:?}: {label}"
        );
    }
}

#[test]
fn a_full_answer_still_ends_with_the_button_and_keeps_three_outputs() {
    // Three outputs ending with a long text: the text is cut to a card.
    let long = "x".repeat(LIMITS.card_description * 2);
    let replies = [text("one"), link("Your cart"), text(&long)];
    let rendered = render_response(Lang::EN, BLOCK, &replies);
    assert_eq!(outputs(&rendered).len(), 3, "{rendered}");
    let v = with_operator(rendered, Lang::EN);
    assert_eq!(outputs(&v).len(), 3, "{v}");
    let last = &outputs(&v)[2]["textCard"];
    assert_eq!(
        last["description"].as_str().unwrap().chars().count(),
        LIMITS.card_description
    );
    assert_eq!(operator_buttons(&v).len(), 1);

    // Three outputs ending with a pay link's card: the button joins the card's.
    let replies = [text("one"), link("Your cart"), link("Pay now")];
    let rendered = render_response(Lang::EN, BLOCK, &replies);
    assert_eq!(outputs(&rendered).len(), 3, "{rendered}");
    let v = with_operator(rendered, Lang::EN);
    let card = &outputs(&v)[2]["basicCard"];
    assert_eq!(card["buttons"][0]["action"], "webLink", "{v}");
    assert_eq!(card["buttons"][1]["action"], "operator", "{v}");
}

#[test]
fn quick_replies_stay() {
    let replies = [
        text("a person will answer"),
        Reply::Choices {
            body: "Meanwhile".into(),
            menu_label: "Menu".into(),
            choices: vec![crate::fixtures::choice("c:menu", "Menu")],
        },
    ];
    let rendered = render_response(Lang::EN, BLOCK, &replies);
    let quick = rendered["template"]["quickReplies"].clone();
    assert!(quick.is_array(), "{rendered}");
    let v = with_operator(rendered, Lang::EN);
    assert_eq!(v["template"]["quickReplies"], quick);
    assert_eq!(operator_buttons(&v).len(), 1);
}
