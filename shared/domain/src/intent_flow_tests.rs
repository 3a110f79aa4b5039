//! The intents through the catalog flow ([`crate::browse::handle`]): where each one leads.

use crate::action::{Action, Handler};
use crate::browse;
use crate::catalog::Catalog;
use crate::customization::Selection;
use crate::dialogue::{DialogueState, Offered, Session};
use crate::inbound::InboundContent;
use crate::lang::Lang;
use crate::process::{Outcome, Turn};
use crate::reply::Reply;
use crate::testing::{sample_catalog, text};

fn answer(catalog: &Catalog, session: &mut Session, lang: Lang, said: &str) -> Outcome {
    let message = text("e1", said);
    browse::handle(Turn {
        catalog,
        lang,
        session,
        message: &message,
        held: None,
    })
}

/// The action a hand-off carries, if the flow handed the message on.
fn handed(outcome: &Outcome) -> Option<(Handler, Action)> {
    match outcome {
        Outcome::HandOff(handler, m) => match &m.content {
            InboundContent::Action { payload, .. } => Some((*handler, Action::decode(payload)?)),
            _ => None,
        },
        _ => None,
    }
}

fn bodies(outcome: &Outcome) -> String {
    let Outcome::Reply(replies) = outcome else {
        return String::new();
    };
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } => Some(body.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn choice_ids(outcome: &Outcome) -> Vec<String> {
    let Outcome::Reply(replies) = outcome else {
        return Vec::new();
    };
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::Choices { choices, .. } => Some(choices),
            _ => None,
        })
        .flatten()
        .map(|c| c.id.clone())
        .collect()
}

#[test]
fn checkout_and_orders_sentences_go_where_the_buttons_go() {
    let catalog = sample_catalog();
    for (said, lang, expected) in [
        ("ready to pay", Lang::EN, Action::Checkout),
        ("我要付款", Lang::ZH_HANS, Action::Checkout),
        ("finalizar compra", Lang::PT_BR, Action::Checkout),
        ("where is my order?", Lang::EN, Action::ListOrders),
        ("我的订单在哪里", Lang::ZH_HANS, Action::ListOrders),
        ("주문 내역", Lang::KO, Action::ListOrders),
    ] {
        let mut session = Session::default();
        let outcome = answer(&catalog, &mut session, lang, said);
        assert_eq!(
            handed(&outcome),
            Some((Handler::Payment, expected)),
            "{said}"
        );
    }
}

#[test]
fn cancel_means_what_the_step_offers() {
    let catalog = sample_catalog();
    // Customizing: the customization is dropped, as its Cancel button does.
    let mut session = Session {
        state: DialogueState::Customizing {
            product: "drop-bag".into(),
            selections: Default::default(),
        },
        ..Session::default()
    };
    let outcome = answer(&catalog, &mut session, Lang::EN, "cancel that");
    assert_eq!(
        handed(&outcome),
        Some((Handler::Cart, Action::CancelCustomizing))
    );
    // A reservation's Cancel button was offered last: that order is cancelled.
    let mut session = Session::default();
    session.offer(Offered::new(vec!["p:x:A1B2".into(), "c:m".into()]));
    let outcome = answer(&catalog, &mut session, Lang::JA, "注文をキャンセルしたい");
    assert_eq!(
        handed(&outcome),
        Some((Handler::Payment, Action::CancelOrder("A1B2".into())))
    );
    // Nothing to cancel: the menu.
    let mut session = Session::default();
    let outcome = answer(&catalog, &mut session, Lang::ES, "cancelar");
    assert!(choice_ids(&outcome).contains(&"c:c:bags".to_string()));
}

#[test]
fn an_engraving_stays_an_engraving() {
    let catalog = sample_catalog();
    let mut session = Session {
        state: DialogueState::Customizing {
            product: "drop-bag".into(),
            selections: [("colour", "red"), ("strap", "leather"), ("charm", "gold")]
                .into_iter()
                .map(|(group, option)| Selection::Option {
                    group: group.into(),
                    option: option.into(),
                })
                .collect(),
        },
        ..Session::default()
    };
    for engraving in ["ANA & CO", "THANKS", "TY"] {
        let outcome = answer(&catalog, &mut session, Lang::EN, engraving);
        assert!(
            matches!(&outcome, Outcome::HandOff(Handler::Cart, m)
                if matches!(&m.content, InboundContent::Text { .. })),
            "{engraving}: {outcome:?}"
        );
    }
}

#[test]
fn thanks_gets_you_are_welcome_and_the_menu() {
    let catalog = sample_catalog();
    let mut session = Session::default();
    let outcome = answer(&catalog, &mut session, Lang::EN, "thank you so much!");
    assert!(
        bodies(&outcome).starts_with("You're welcome!"),
        "{}",
        bodies(&outcome)
    );
    assert!(choice_ids(&outcome).contains(&"c:c:bags".to_string()));
    let outcome = answer(&catalog, &mut session, Lang::JA, "ありがとうございます！");
    assert!(!bodies(&outcome).contains("You're welcome"), "in Japanese");
}

/// Requests for a person and complaints are recognised in every language (where they lead:
/// [`a_request_for_a_person_hands_the_chat_over`], and `handoff_tests.rs`).
#[test]
fn people_and_complaints_are_recognised() {
    use crate::intent::classify_for;
    use crate::keywords::Meaning;
    let catalog = sample_catalog();
    for (said, meaning) in [
        ("I want to talk to a human", Meaning::Human),
        ("atendente", Meaning::Human),
        ("人工客服", Meaning::Human),
        ("担当者と話したい", Meaning::Human),
        ("상담원 연결", Meaning::Human),
        ("ขอคุยกับพนักงาน", Meaning::Human),
        ("mau bicara dengan admin", Meaning::Human),
        ("quiero hablar con una persona", Meaning::Human),
        ("真人客服", Meaning::Human),
        ("my drop bag arrived damaged", Meaning::Complaint),
        ("quero reembolso", Meaning::Complaint),
        ("我要投诉", Meaning::Complaint),
    ] {
        assert_eq!(
            classify_for(&catalog, said).map(|u| u.meaning),
            Some(meaning),
            "{said}"
        );
    }
}

/// Said in a sentence, a request for a person or a complaint hands the conversation to a
/// person for that reason, and the customer is told when to expect an answer.
#[test]
fn a_request_for_a_person_hands_the_chat_over() {
    use crate::dialogue::Owner;
    use crate::handoff::HandoffReason;
    let catalog = sample_catalog();
    for (said, lang, reason) in [
        (
            "can I talk to a person please",
            Lang::EN,
            HandoffReason::Asked,
        ),
        ("我要投诉", Lang::ZH_HANS, HandoffReason::Complaint),
    ] {
        let mut session = Session::default();
        let outcome = answer(&catalog, &mut session, lang, said);
        assert!(
            matches!(session.owner, Owner::Waiting { reason: r, .. } if r == reason),
            "{said}: {:?}",
            session.owner
        );
        assert!(!bodies(&outcome).is_empty(), "{said}: the customer is told");
        assert!(
            choice_ids(&outcome).is_empty(),
            "{said}: no menu, a person answers"
        );
    }
}

#[test]
fn product_words_still_search() {
    let catalog = sample_catalog();
    let mut session = Session::default();
    // A greeting around a product question, and an intent word that is a product's tag.
    for said in ["hi, do you have the bag in red?", "thanks, and the tote?"] {
        let outcome = answer(&catalog, &mut session, Lang::EN, said);
        let ids = choice_ids(&outcome);
        assert!(
            ids.iter().any(|id| id == "k:a:drop-bag"
                || id == "k:a:canvas-tote"
                || id.starts_with("c:p:")),
            "{said}: {ids:?}"
        );
    }
}

#[test]
fn nothing_found_offers_the_closest_and_the_menu() {
    let catalog = sample_catalog();
    let mut session = Session::default();
    let outcome = answer(&catalog, &mut session, Lang::EN, "drobbeg");
    let ids = choice_ids(&outcome);
    assert!(
        bodies(&outcome).starts_with("I found nothing for “drobbeg”. Did you mean"),
        "{}",
        bodies(&outcome)
    );
    assert!(ids.contains(&"c:p:drop-bag".to_string()), "{ids:?}");
    assert!(ids.contains(&"c:c:bags".to_string()), "{ids:?}");
}
