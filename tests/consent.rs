//! Consent on the local stack: a WhatsApp customer who types "stop" is told so in their
//! language, the ledger says they opted out of announcements, and the update about the order
//! they paid for still reaches them; "start" opts them back in; and the same person's LINE
//! chat, linked by a verified phone, is opted out with them. "my data" shows the retailer's
//! tags; "forget me" erases them with the chat's consent entries and keeps the phone opted out.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::{self, ConsentLedger, ConsentSource, PersonKey, Subject, Wish};
use chatdrop_domain::dialogue::{Reachability, Session};
use chatdrop_domain::ports::{OrderStore, SessionStore};
use chatdrop_e2e::{Harness, OutboxEntry, Platform, bag_drop};
use xtask::transcript::shown_text;

fn text_of(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn pay_link(h: &Harness, replies: &[OutboxEntry]) -> String {
    let prefix = format!("{}/p/", h.stack.url);
    for r in replies {
        let raw = r.body.to_string();
        if let Some(at) = raw.find(&prefix) {
            let token: String = raw[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            return format!("{prefix}{token}");
        }
    }
    panic!("no pay link in {replies:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_on_whatsapp_stops_announcements_not_order_updates() {
    let h = Harness::start("consent-stop").await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let ana = h.whatsapp("5511987654321");
    let whatsapp = ConversationId::new(Channel::Whatsapp, &ana.id);
    let store = h.stack.store();

    // A paid order first, so there is an update to deliver later.
    h.say(&ana, "hi").await;
    h.tap(&ana, "k:a:drop-bag").await;
    h.tap(&ana, "k:o:drop-bag:colour:black").await;
    h.tap(&ana, "k:o:drop-bag:strap:canvas").await;
    h.tap(&ana, "k:s:drop-bag:charm").await;
    let r = h.say(&ana, "ANA & CO").await;
    assert!(
        text_of(&r).contains("Added to your cart"),
        "{}",
        text_of(&r)
    );
    let r = h.tap(&ana, "p:c").await;
    let link = pay_link(&h, &r);
    assert_eq!(h.get_raw(&link).await.0, 303);
    let sessions = h.stack.stripe.sessions().await.unwrap();
    let order_id = sessions[0].client_reference_id.clone().unwrap();
    assert!(
        h.stack
            .stripe
            .pay(&sessions[0].id)
            .await
            .unwrap()
            .delivery
            .succeeded()
    );

    // "stop": a confirmation, not "I found nothing for stop".
    let r = h.say(&ana, "stop").await;
    let said = text_of(&r);
    assert!(said.contains("won't get drop announcements"), "{said}");
    assert!(!said.contains("found nothing"), "{said}");
    let session = store.session(&whatsapp).await.unwrap();
    let person = PersonKey::of(&whatsapp, &session).expect("a WhatsApp id is a phone");
    let standing = store.standing(&whatsapp, Some(&person)).await.unwrap();
    assert!(standing.is_opted_out(), "{standing:?}");
    let history = store
        .history(&Subject::Conversation(whatsapp.clone()))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].source,
        ConsentSource::Keyword {
            word: "stop".into()
        }
    );

    // The order update still goes out: opting out of announcements is not a STOP to the
    // carrier.
    let before = h.stack.last_seq().await.unwrap();
    h.ship(&order_id, "1Z777").await;
    let shipped = chatdrop_e2e::eventually(|| async {
        let sent = h.stack.replies_after(&ana.id, before).await.unwrap();
        text_of(&sent).contains("1Z777").then_some(sent)
    })
    .await;
    assert!(!shipped.is_empty());
    assert!(store.held().await.unwrap().is_empty(), "nothing held");

    // The same person on LINE, linked by the phone they verified there: opted out too.
    let mei = h.customer_on(Platform::Line, "Uaaaabbbbccccddddeeeeffff00007777");
    h.say(&mei, "hi").await;
    let line = ConversationId::new(Channel::Line, &mei.id);
    let mut line_session = store.session(&line).await.unwrap();
    line_session.verify_phone("+5511987654321".into());
    assert!(
        !consent::may_announce(&store, &line, &line_session)
            .await
            .unwrap()
    );
    assert!(
        !consent::may_announce(&store, &line, &Session::default())
            .await
            .unwrap(),
        "announcements are opt-in: an unlinked chat that never asked gets none"
    );

    // "start": back in, on both chats.
    let r = h.say(&ana, "start").await;
    assert!(
        text_of(&r).contains("hear about our drops again"),
        "{}",
        text_of(&r)
    );
    let history = store
        .history(&Subject::Person(person.clone()))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|c| c.wish).collect::<Vec<_>>(),
        [Wish::OptOut, Wish::OptIn]
    );
    assert!(
        consent::may_announce(&store, &line, &line_session)
            .await
            .unwrap()
    );

    // The retailer's tag on her is part of what she is shown when she asks what we hold.
    store
        .tag_customer(&whatsapp, &["vip".to_string()].into(), &Default::default())
        .await
        .unwrap();
    let r = h.say(&ana, "my data").await;
    let said = text_of(&r);
    assert!(said.contains("announcements on"), "{said}");
    assert!(said.contains("labels from our team vip"), "{said}");

    // "forget me" typed in the chat: the order keeps its amounts for the books and loses the
    // phone and the engraving; her tags and her chat's consent entries go; the phone's LINE
    // chat, which shares the person's standing, is announced nothing any more.
    let paid = store.order(&order_id).await.unwrap().unwrap();
    let r = h.say(&ana, "forget me").await;
    let said = text_of(&r);
    assert!(said.contains("forgotten this chat"), "{said}");
    assert!(store.tags_of(&whatsapp).await.unwrap().is_empty());
    assert!(
        store
            .history(&Subject::Conversation(whatsapp.clone()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !consent::may_announce(&store, &line, &line_session)
            .await
            .unwrap()
    );
    let words: Vec<_> = store
        .history(&Subject::Person(person.clone()))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.source)
        .collect();
    assert_eq!(
        words,
        [
            ConsentSource::Keyword { word: "".into() },
            ConsentSource::Keyword { word: "".into() },
            ConsentSource::ForgetMe
        ],
        "the person's record stays, without the words she typed"
    );
    let kept = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        (kept.total, kept.currency, kept.status),
        (paid.total, paid.currency, paid.status)
    );
    assert_ne!(kept.conversation.customer, ana.id);
    assert!(!format!("{kept:?}").contains("ANA & CO"), "{kept:?}");
    assert!(format!("{paid:?}").contains("ANA & CO"));
    assert!(store.orders_of(&whatsapp).await.unwrap().is_empty());
    // Ops' `chatdrop customer forget` after it finds only the reset session left, and a second
    // run nothing at all.
    assert_eq!(
        store.forget(&whatsapp, Some(&person)).await.unwrap(),
        chatdrop_store::Forgotten {
            session: true,
            ..Default::default()
        }
    );
    assert_eq!(
        store.forget(&whatsapp, Some(&person)).await.unwrap(),
        chatdrop_store::Forgotten::default()
    );
    h.stack.stop().await;
}

/// A Telegram customer who blocked the bot without the `my_chat_member` update reaching us:
/// the next send is refused with 403 "bot was blocked by the user", and that refusal opts the
/// chat out (ledger and session), so nothing more is tried and no announcement targets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_refused_because_the_customer_blocked_the_bot_opts_the_chat_out() {
    let h = Harness::start("consent-blocked").await;
    let ken = h.telegram(777_001, Some("en"));
    let telegram = ConversationId::new(Channel::Telegram, &ken.id);
    let store = h.stack.store();
    assert!(!h.say(&ken, "hi").await.is_empty());

    h.inject_fault(
        "telegram",
        403,
        serde_json::json!({"ok": false, "error_code": 403,
            "description": "Forbidden: bot was blocked by the user"}),
        None,
    )
    .await;
    assert_eq!(ken.post(&ken.text_webhook("menu")).await.unwrap(), 200);

    let session = chatdrop_e2e::eventually(|| async {
        let session = store.session(&telegram).await.unwrap();
        (session.reachability == Reachability::OptedOut).then_some(session)
    })
    .await;
    let history = store
        .history(&Subject::Conversation(telegram.clone()))
        .await
        .unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].wish, Wish::OptOut);
    assert!(
        !consent::may_announce(&store, &telegram, &session)
            .await
            .unwrap()
    );
    // Nothing more is tried: the next reply would be refused the same way.
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(ken.post(&ken.text_webhook("cart")).await.unwrap(), 200);
    h.assert_silence(&ken.id, before).await;
    h.stack.stop().await;
}
