//! Tests of the session: what an item of an earlier release reads as, and the session's own
//! moves (`dialogue.rs`).

use super::*;
use crate::cart::CartLine;
use serde_json::json;

/// A session item as releases before the named states wrote it, every field set.
fn stored_json() -> serde_json::Value {
    json!({
        "state": {
            "step": "customizing",
            "product": "drop-bag",
            "selections": [{ "type": "option", "group": "colour", "option": "black" }],
        },
        "cart": {
            "lines": [{
                "id": "l1",
                "product": "sticker-pack",
                "selections": [],
                "unit_price": 600,
                "quantity": 2,
            }],
            "next_line": 2,
        },
        "lang": "ja",
        "lang_source": "chosen",
        "offered": ["k:o:drop-bag:strap:canvas", "k:x"],
        "verified_phone": "+5511987654321",
        "linked": true,
        "last_heard_at": 1_767_225_600,
        "opted_out": true,
        "version": 7,
    })
}

fn colour_black() -> Vec<Selection> {
    vec![Selection::Option {
        group: "colour".into(),
        option: "black".into(),
    }]
}

#[test]
fn a_stored_session_loads_with_every_field() {
    let s: Session = serde_json::from_value(stored_json()).unwrap();
    assert_eq!(
        s.state,
        DialogueState::Customizing {
            product: "drop-bag".into(),
            selections: colour_black(),
        }
    );
    assert_eq!(
        s.cart,
        Cart {
            lines: vec![CartLine {
                id: "l1".into(),
                product: "sticker-pack".into(),
                selections: Vec::new(),
                unit_price: 600,
                quantity: 2,
            }],
            next_line: 2,
        }
    );
    assert_eq!(s.lang, Some(Lang::JA));
    assert_eq!(s.lang_source, Some(LangSource::Chosen));
    assert_eq!(s.offered.payloads(), ["k:o:drop-bag:strap:canvas", "k:x"]);
    assert_eq!(
        s.identity,
        Identity::Linked {
            phone: Some("+5511987654321".into())
        }
    );
    assert_eq!(s.last_heard_at, Some(1_767_225_600));
    assert_eq!(s.reachability, Reachability::OptedOut);
    assert_eq!(s.version, 7);
}

#[test]
fn a_session_is_written_in_the_stored_shape_and_reads_back() {
    let s: Session = serde_json::from_value(stored_json()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap(), stored_json());
    let back: Session = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn a_typed_number_picks_counting_from_one() {
    let offered = Offered::new(vec!["c:c:bags".into(), "k:v".into()]);
    assert_eq!(offered.pick(1), Some("c:c:bags"));
    assert_eq!(offered.pick(2), Some("k:v"));
    assert_eq!(offered.pick(0), None);
    assert_eq!(offered.pick(3), None);
    assert_eq!(Offered::default().pick(1), None);
}

#[test]
fn a_reply_without_choices_leaves_the_last_ones_standing() {
    let mut s = Session::default();
    s.offer(Offered::new(vec!["c:c:bags".into()]));
    s.offer(Offered::default());
    assert_eq!(s.offered.pick(1), Some("c:c:bags"));
    s.offer(Offered::new(vec!["k:v".into()]));
    assert_eq!(s.offered.payloads(), ["k:v"]);
}

/// Each identity is one combination of the stored `verified_phone` and `linked`, and back.
#[test]
fn every_identity_has_its_stored_form() {
    let phone = "+818012345678";
    let cases = [
        (json!({}), Identity::ChatOnly),
        (
            json!({ "verified_phone": phone }),
            Identity::PhoneVerified {
                phone: phone.into(),
            },
        ),
        (
            json!({ "verified_phone": phone, "linked": true }),
            Identity::Linked {
                phone: Some(phone.into()),
            },
        ),
        (json!({ "linked": true }), Identity::Linked { phone: None }),
    ];
    for (stored, identity) in cases {
        let s: Session = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(s.identity, identity, "{stored}");
        let written = serde_json::to_value(&s).unwrap();
        assert_eq!(written.get("verified_phone"), stored.get("verified_phone"));
        assert_eq!(
            written["linked"],
            stored.get("linked").cloned().unwrap_or(json!(false))
        );
    }
}

#[test]
fn a_shared_phone_is_linked_once() {
    let mut s = Session::default();
    s.verify_phone("+818012345678".into());
    assert_eq!(s.identity.verified_phone(), Some("+818012345678"));
    assert!(!s.identity.is_linked());
    s.link_to_phone();
    assert_eq!(
        s.identity,
        Identity::Linked {
            phone: Some("+818012345678".into())
        }
    );
    // Another phone shared later: purchases count against it, the merge is not redone.
    s.verify_phone("+818087654321".into());
    assert_eq!(
        s.identity,
        Identity::Linked {
            phone: Some("+818087654321".into())
        }
    );
    s.link_to_phone();
    assert_eq!(s.identity.verified_phone(), Some("+818087654321"));

    // SMS: the chat id is the phone, so nothing was shared before the merge.
    let mut sms = Session::default();
    sms.link_to_phone();
    assert_eq!(sms.identity, Identity::Linked { phone: None });
}

#[test]
fn stop_and_start_move_between_reachable_and_opted_out() {
    let mut s = Session::default();
    assert_eq!(s.reachability, Reachability::Reachable);
    s.opt_out();
    assert!(s.reachability.is_opted_out());
    assert_eq!(serde_json::to_value(&s).unwrap()["opted_out"], json!(true));
    s.opt_in();
    assert_eq!(s.reachability, Reachability::Reachable);
    // Reachable is the default and is not written, as before.
    assert_eq!(serde_json::to_value(&s).unwrap().get("opted_out"), None);
}

/// Each owner is stored flat (`owner`, `owner_since`, `handoff_reason`, `agent`) and reads
/// back; the bot writes nothing, so sessions from before handoffs existed are the bot's.
#[test]
fn every_owner_has_its_stored_form() {
    use crate::handoff::HandoffReason;
    let cases = [
        (Owner::Bot, json!({})),
        (
            Owner::Waiting {
                since: 1_767_225_600,
                reason: HandoffReason::Complaint,
            },
            json!({ "owner": "waiting", "owner_since": 1_767_225_600, "handoff_reason": "complaint" }),
        ),
        (
            Owner::Agent {
                agent: "agent-7".into(),
                since: 1_767_225_660,
            },
            json!({ "owner": "agent", "owner_since": 1_767_225_660, "agent": "agent-7" }),
        ),
    ];
    for (owner, stored) in cases {
        let s = Session {
            owner: owner.clone(),
            ..Session::default()
        };
        let written = serde_json::to_value(&s).unwrap();
        for key in ["owner", "owner_since", "handoff_reason", "agent"] {
            assert_eq!(written.get(key), stored.get(key), "{owner:?} {key}");
        }
        let back: Session = serde_json::from_value(written).unwrap();
        assert_eq!(back.owner, owner);
    }
    // A reason a newer release wrote still waits for a person; an unknown owner is the bot's.
    let newer: Session = serde_json::from_value(
        json!({ "owner": "waiting", "owner_since": 5, "handoff_reason": "birthday" }),
    )
    .unwrap();
    assert_eq!(
        newer.owner,
        Owner::Waiting {
            since: 5,
            reason: HandoffReason::Asked
        }
    );
    let odd: Session = serde_json::from_value(json!({ "owner": "robot" })).unwrap();
    assert_eq!(odd.owner, Owner::Bot);
}

#[test]
fn two_misunderstandings_in_a_row_are_counted_and_reset() {
    let mut s = Session::default();
    assert_eq!(s.misunderstood(), 1);
    s.understood();
    assert_eq!(s.misunderstood(), 1);
    assert_eq!(s.misunderstood(), 2);
    assert_eq!(
        serde_json::to_value(&s).unwrap()["not_understood"],
        json!(2)
    );
    s.hand_to_person(crate::handoff::HandoffReason::NotUnderstood, 10);
    assert_eq!(s.not_understood, 0);
    // A second handoff keeps the first time and reason.
    s.hand_to_person(crate::handoff::HandoffReason::Vip, 20);
    assert_eq!(
        s.owner,
        Owner::Waiting {
            since: 10,
            reason: crate::handoff::HandoffReason::NotUnderstood
        }
    );
}

/// Proving a phone is stored beside a browsing `state`, so a release that predates the
/// step reads a browsing session (and ignores `verifying`); this release reads it back.
#[test]
fn a_phone_being_proved_is_stored_beside_a_browsing_state() {
    let verifying = Verifying {
        resume: Resume::DrawEntry {
            drop: "hype".into(),
        },
        drop: "Hype drop".into(),
        phone: Some("+821012345678".into()),
        sent_at: 1_767_225_600,
        checks: 2,
    };
    let s = Session {
        state: DialogueState::VerifyingPhone(verifying.clone()),
        ..Session::default()
    };
    let written = serde_json::to_value(&s).unwrap();
    assert_eq!(written["state"], json!({ "step": "browsing" }));
    assert_eq!(
        written["verifying"],
        json!({
            "resume": { "kind": "draw_entry", "drop": "hype" },
            "drop": "Hype drop",
            "phone": "+821012345678",
            "sent_at": 1_767_225_600,
            "checks": 2,
        })
    );
    let back: Session = serde_json::from_value(written).unwrap();
    assert_eq!(back.state, DialogueState::VerifyingPhone(verifying));
    // Nothing of it is written for a session not proving a phone.
    let plain = serde_json::to_value(Session::default()).unwrap();
    assert_eq!(plain.get("verifying"), None);
}

/// A language saved before its source was recorded loads without one (the decision then
/// treats it as a default) and is written back the same way.
#[test]
fn a_language_saved_before_its_source_loads_without_one() {
    let s: Session = serde_json::from_value(json!({ "lang": "th" })).unwrap();
    assert_eq!((s.lang, s.lang_source), (Some(Lang::TH), None));
    let written = serde_json::to_value(&s).unwrap();
    assert_eq!(written["lang"], json!("th"));
    assert_eq!(written.get("lang_source"), None);
}

/// An item from before any of the optional fields: every one takes its default, and a
/// fresh session writes nothing it does not need.
#[test]
fn a_bare_item_is_a_fresh_session() {
    let s: Session = serde_json::from_value(json!({})).unwrap();
    assert_eq!(s, Session::default());
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        json!({
            "state": { "step": "browsing" },
            "cart": { "lines": [], "next_line": 0 },
            "offered": [],
            "linked": false,
            "version": 0,
        })
    );
}
