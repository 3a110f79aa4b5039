use super::*;
use crate::outbound::Outbound;
use crate::wechat::testing::{choice, offline_sender, text};
use chatdrop_domain::delivery::SendMode;
use chatdrop_domain::i18n::Msg;

#[test]
fn choices_are_numbered_lines() {
    let mut tee = choice("c:p:tee", "Tee");
    tee.description = Some("$25.00".into());
    let reply = Reply::Choices {
        body: "Pick one".into(),
        menu_label: "Menu".into(),
        choices: vec![tee, choice("c:p:mug", "Mug")],
    };
    assert_eq!(
        render(Lang::EN, &reply),
        vec!["Pick one\n\n1. Tee — $25.00\n2. Mug\n\nReply with a number.".to_string()]
    );
    let ja = render(Lang::JA, &reply);
    assert!(
        ja[0].ends_with(&Msg::ReplyWithNumber.text(Lang::JA)),
        "{ja:?}"
    );
}

#[test]
fn links_are_anchors_and_images_their_url() {
    let link = Reply::Link {
        body: "Your order is ready to pay.".into(),
        label: "Pay now".into(),
        url: "https://checkout.stripe.com/c/pay/cs_test".into(),
    };
    assert_eq!(
        messages(Lang::EN, &[link]),
        vec![
            "Your order is ready to pay.\n\n<a href=\"https://checkout.stripe.com/c/pay/cs_test\">Pay now</a>"
                .to_string()
        ]
    );
    // A label that would break the tag is shown as plain text.
    let odd = Reply::Link {
        body: "Pay".into(),
        label: "<b>Pay</b>".into(),
        url: "https://pay.example/x".into(),
    };
    assert_eq!(
        messages(Lang::EN, &[odd]),
        vec!["Pay\n\n<b>Pay</b>: https://pay.example/x".to_string()]
    );
    let image = Reply::Image {
        url: "https://cdn.example/mug.jpg".into(),
        caption: Some("Blue mug".into()),
    };
    assert_eq!(
        messages(Lang::EN, &[image]),
        vec!["Blue mug\n\nhttps://cdn.example/mug.jpg".to_string()]
    );
}

#[test]
fn long_text_is_split_by_bytes_not_characters() {
    // 1,000 three-byte characters: 3,000 bytes, so two messages, each within 2,048 bytes.
    let parts = render(Lang::EN, &text(&"好".repeat(1000)));
    assert_eq!(parts.len(), 2);
    assert!(
        parts.iter().all(|p| p.len() <= LIMITS.text_bytes),
        "{parts:?}"
    );
    assert_eq!(parts.concat(), "好".repeat(1000));
    // Exactly at the limit is one message.
    assert_eq!(render(Lang::EN, &text(&"a".repeat(2048))).len(), 1);
    assert_eq!(render(Lang::EN, &text(&"a".repeat(2049))).len(), 2);
    // Line breaks are preferred cut points.
    let lines = format!("{}\n{}", "a".repeat(1500), "b".repeat(1000));
    assert_eq!(
        render(Lang::EN, &text(&lines)),
        vec!["a".repeat(1500), "b".repeat(1000)]
    );
    assert!(render(Lang::EN, &text("  \n ")).is_empty());
}

#[test]
fn batches_merge_consecutive_replies_that_fit_one_message() {
    let s = offline_sender();
    let short = text("Added to your cart.");
    let replies = vec![
        short.clone(),
        short.clone(),
        Reply::Choices {
            body: "Anything else?".into(),
            menu_label: "Menu".into(),
            choices: vec![choice("a", "Checkout"), choice("b", "Keep shopping")],
        },
    ];
    assert_eq!(s.batches(&replies, SendMode::Session), vec![3]);
    assert_eq!(messages(Lang::EN, &replies).len(), 1);

    // Replies that do not fit together start a new message.
    let big = text(&"x".repeat(1500));
    let replies = vec![big.clone(), big.clone(), short.clone(), big.clone()];
    let groups = s.batches(&replies, SendMode::Session);
    assert_eq!(groups, vec![1, 2, 1]);
    let mut at = 0;
    for g in groups {
        let sent = messages(Lang::EN, &replies[at..at + g]);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].len() <= LIMITS.text_bytes);
        at += g;
    }

    // A reply too long for one message stands alone (with what fits in its last part).
    let huge = text(&"y".repeat(3000));
    assert_eq!(
        s.batches(
            &[short.clone(), huge.clone(), short.clone()],
            SendMode::Session
        ),
        vec![1, 2]
    );
    assert_eq!(s.batches(&[], SendMode::Session), Vec::<usize>::new());
    // Empty replies cost nothing and ride along.
    assert_eq!(
        s.batches(&[text(" "), short.clone(), text("")], SendMode::Session),
        vec![3]
    );
}

#[test]
fn japanese_groups_fit_one_message_too() {
    // Grouping cannot see the language, so it reserves room for the longest hint.
    let s = offline_sender();
    let menu = |n: usize| Reply::Choices {
        body: "b".repeat(n),
        menu_label: "M".into(),
        choices: vec![choice("a", "A")],
    };
    for n in 1900..2100 {
        let replies = vec![menu(10), menu(n), menu(10)];
        let groups = s.batches(&replies, SendMode::Session);
        let mut at = 0;
        for &g in &groups {
            let group = &replies[at..at + g];
            let ja = messages(Lang::JA, group).len();
            let en = messages(Lang::EN, group).len();
            // Never more messages than planned, and a merged group is one message unless
            // its first reply alone needs more.
            assert!(en <= ja, "{n}: {groups:?}");
            if g > 1 {
                assert_eq!(ja, messages(Lang::JA, &group[..1]).len().max(1), "{n}");
            }
            at += g;
        }
    }
}
