use super::*;
use Meaning::*;

fn meaning(text: &str) -> Option<Meaning> {
    classify(text).map(|u| u.meaning)
}

/// The sentences of the issue, and their like in every shipped language.
#[test]
fn sentences_around_an_intent_are_understood() {
    let table: &[(&str, Meaning)] = &[
        ("where is my order?", Orders),
        ("can I talk to a person please", Human),
        ("I want to talk to a human", Human),
        ("我的订单在哪里", Orders),
        ("人工客服", Human),
        ("担当者と話したい", Human),
        ("상담원 연결", Human),
        ("ขอคุยกับพนักงาน", Human),
        ("mau bicara dengan admin", Human),
        ("quero falar com um atendente", Human),
        ("quiero hablar con una persona", Human),
        ("my bag arrived damaged", Complaint),
        ("我要投诉", Complaint),
        ("i want to cancel my order", Cancel),
        ("取消订单", Cancel),
        ("ready to pay", Checkout),
        ("お会計お願いします", Checkout),
        ("thank you so much!", Thanks),
        ("ขอบคุณค่ะ", Thanks),
        ("stop sending me messages", StopAnnouncements),
        ("change language", Language),
        ("show me the menu", Menu),
        ("whats in my cart", Cart),
    ];
    for (text, expected) in table {
        assert_eq!(meaning(text), Some(*expected), "{text}");
    }
}

/// Longer phrases win over the shorter ones inside them.
#[test]
fn the_longest_phrase_decides() {
    assert_eq!(meaning("cancel subscription"), Some(StopAnnouncements));
    assert_eq!(meaning("取消订阅"), Some(StopAnnouncements));
    assert_eq!(meaning("取消"), Some(Cancel));
    assert_eq!(meaning("ยกเลิกคำสั่งซื้อ"), Some(Cancel));
}

/// A product question with a greeting or a navigation word in it is a search, and so is
/// anything the phrases explain too little of.
#[test]
fn searches_stay_searches() {
    for text in [
        "hi, do you have the bag in red?",
        "cart is missing a bag",
        "hello kitty bag",
        "menu of the day is what",
        "how much is the drop bag?",
        "ドロップバッグの値段は？",
        "quanto custa a bolsa?",
        "red bag",
        "canvas tote",
        "ANA & CO",
        "",
        "🙂",
    ] {
        assert_eq!(meaning(text), None, "{text}");
    }
}

/// Latin phrases sit on word boundaries: "hi" is not in "this", "ty" not in "pretty".
#[test]
fn latin_phrases_match_whole_words() {
    assert_eq!(meaning("this"), None);
    assert_eq!(meaning("pretty"), None);
    assert_eq!(meaning("thanks!!"), Some(Thanks));
    assert_eq!(understand("ORDERS?").map(|u| u.meaning), Some(Orders));
}

/// The language clue names the tables whose phrases matched.
#[test]
fn the_matching_phrases_name_their_language() {
    let u = classify("quero falar com um atendente").unwrap();
    assert_eq!(u.langs, [Lang::PT_BR], "{u:?}");
    assert_eq!(u.said, ["um atendente"]);
    let u = classify("상담원이랑 얘기하고 싶어요").unwrap();
    assert_eq!(
        (u.meaning, u.langs.as_slice()),
        (Human, &[Lang::KO][..]),
        "{u:?}"
    );
}

/// Whole keywords keep their meaning and come first.
#[test]
fn keywords_come_first() {
    assert_eq!(understand("cart").map(|u| u.meaning), Some(Cart));
    assert_eq!(
        understand("ยกเลิก").map(|u| u.meaning),
        Some(StopAnnouncements)
    );
    assert_eq!(understand("Hola!").map(|u| u.meaning), Some(Greeting));
}
