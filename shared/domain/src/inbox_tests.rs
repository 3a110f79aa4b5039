//! The inbox's checks and moves over the in-memory store: who may reply, assign and attach a
//! pay link, and that a refusal writes and queues nothing.

use super::*;
use crate::cart::CartLine;
use crate::handoff::{HandoffFilter, HandoffReason};
use crate::orders::OrderStatus;
use crate::testing::{Memory, conversation};

const NOW: i64 = 1_767_225_600;
const HOUR: i64 = 3600;

/// A session handed over at `NOW - 60`, the customer last heard `heard_ago` seconds ago.
fn waiting(mem: &Memory, c: &ConversationId, heard_ago: i64) {
    let session = Session {
        owner: Owner::Waiting {
            since: NOW - 60,
            reason: HandoffReason::Asked,
        },
        last_heard_at: Some(NOW - heard_ago),
        lang: Some(Lang::JA),
        version: 1,
        ..Session::default()
    };
    mem.sessions.lock().unwrap().insert(c.key(), session);
}

fn owner(mem: &Memory, c: &ConversationId) -> Owner {
    mem.sessions.lock().unwrap()[&c.key()].owner.clone()
}

async fn known(mem: &Memory, ids: &[&str]) {
    for id in ids {
        mem.record_agent(&AgentCard {
            id: id.to_string(),
            email: format!("{id}@example.com"),
        })
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_reply_to_a_waiting_conversation_claims_it_and_queues_a_persons_bundle() {
    let mem = Memory::with_sample();
    let c = conversation();
    waiting(&mem, &c, 600);
    let bundle = reply(
        &mem,
        &mem,
        &c,
        "ana",
        "req-1",
        "  Hello, Ana here  ",
        Lang::EN,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(bundle.origin, Origin::Agent("ana".into()));
    assert_eq!(bundle.lang, Lang::JA, "the customer's language");
    assert_eq!(
        bundle.replies,
        vec![Reply::Text {
            body: "Hello, Ana here".into()
        }]
    );
    assert_eq!(*mem.replies.lock().unwrap(), vec![bundle.clone()]);
    assert!(matches!(owner(&mem, &c), Owner::Agent { agent, .. } if agent == "ana"));
    let listed = mem.list_handoffs(HandoffFilter::All).await.unwrap();
    assert_eq!(
        listed[0].agent_active_at,
        Some(NOW),
        "the hand-back timer restarts"
    );

    // The same request again is the same bundle: the queue deduplicates it.
    let again = reply(
        &mem,
        &mem,
        &c,
        "ana",
        "req-1",
        "Hello, Ana here",
        Lang::EN,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(again.id, bundle.id);
}

#[tokio::test]
async fn a_reply_the_platform_forbids_is_refused_with_its_reason_and_nothing_moves() {
    let mem = Memory::with_sample();
    // WhatsApp, the customer last wrote 30 hours ago: only templates may go out.
    let c = conversation();
    waiting(&mem, &c, 30 * HOUR);
    let e = reply(&mem, &mem, &c, "ana", "r", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert!(
        e.to_string().contains("24 h customer-service window"),
        "{e}"
    );
    assert!(mem.replies.lock().unwrap().is_empty(), "nothing queued");
    assert!(
        matches!(owner(&mem, &c), Owner::Waiting { .. }),
        "not claimed"
    );

    // Messenger lets a person answer for 7 days (HUMAN_AGENT), not 8.
    let m = ConversationId::new(Channel::Messenger, "psid-1");
    waiting(&mem, &m, 3 * 24 * HOUR);
    reply(&mem, &mem, &m, "ana", "r2", "Hi", Lang::EN, NOW)
        .await
        .unwrap();
    let late = ConversationId::new(Channel::Messenger, "psid-2");
    waiting(&mem, &late, 8 * 24 * HOUR);
    let e = reply(&mem, &mem, &late, "ana", "r3", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("7 days"), "{e}");

    // WeChat's window for people is 48 hours.
    let w = ConversationId::new(Channel::Wechat, "openid-1");
    waiting(&mem, &w, 47 * HOUR);
    reply(&mem, &mem, &w, "ana", "r4", "Hi", Lang::EN, NOW)
        .await
        .unwrap();
    let w2 = ConversationId::new(Channel::Wechat, "openid-2");
    waiting(&mem, &w2, 49 * HOUR);
    let e = reply(&mem, &mem, &w2, "ana", "r5", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("48 h"), "{e}");
}

#[tokio::test]
async fn replies_need_the_conversation_to_be_the_agents_or_waiting() {
    let mem = Memory::with_sample();
    let c = conversation();
    waiting(&mem, &c, 60);
    reply(&mem, &mem, &c, "ana", "r1", "Hi", Lang::EN, NOW)
        .await
        .unwrap();
    let e = reply(&mem, &mem, &c, "bo", "r2", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(matches!(&e, InboxError::TakenBy(a) if a == "ana"), "{e}");
    assert_eq!(mem.replies.lock().unwrap().len(), 1);

    let bot = ConversationId::new(Channel::Telegram, "42");
    mem.sessions
        .lock()
        .unwrap()
        .insert(bot.key(), Session::default());
    let e = reply(&mem, &mem, &bot, "ana", "r3", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(matches!(e, InboxError::WithBot), "{e}");

    for (text, want) in [("   ", 400), (&"x".repeat(MAX_REPLY_CHARS + 1)[..], 400)] {
        let e = reply(&mem, &mem, &c, "ana", "r4", text, Lang::EN, NOW)
            .await
            .unwrap_err();
        assert_eq!(e.status(), want, "{e}");
    }
    assert_eq!(
        mem.replies.lock().unwrap().len(),
        1,
        "refusals queue nothing"
    );
}

#[tokio::test]
async fn an_opted_out_customer_gets_no_reply() {
    let mem = Memory::with_sample();
    let c = ConversationId::new(Channel::Sms, "+15551234567");
    waiting(&mem, &c, 60);
    mem.sessions
        .lock()
        .unwrap()
        .get_mut(&c.key())
        .unwrap()
        .reachability = crate::dialogue::Reachability::OptedOut;
    let e = reply(&mem, &mem, &c, "ana", "r", "Hi", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("opted out"), "{e}");
}

#[tokio::test]
async fn assigning_is_conditional_on_the_owner_and_the_role() {
    let mem = Memory::with_sample();
    known(&mem, &["ana", "bo", "cy"]).await;
    let c = conversation();
    waiting(&mem, &c, 60);

    // Unknown targets are refused before any write.
    let e = assign(&mem, &c, "zed", Takes::WaitingOrMine("ana"), NOW)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(matches!(owner(&mem, &c), Owner::Waiting { .. }));

    // Ana takes it, passes it to Bo; then she can no longer move it, a manager can.
    assign(&mem, &c, "ana", Takes::WaitingOrMine("ana"), NOW)
        .await
        .unwrap();
    assign(&mem, &c, "bo", Takes::WaitingOrMine("ana"), NOW)
        .await
        .unwrap();
    assert!(matches!(owner(&mem, &c), Owner::Agent { agent, .. } if agent == "bo"));
    let e = assign(&mem, &c, "ana", Takes::WaitingOrMine("ana"), NOW)
        .await
        .unwrap_err();
    assert!(matches!(e, InboxError::NotAssignable), "{e}");
    assign(&mem, &c, "cy", Takes::Any, NOW).await.unwrap();
    assert!(matches!(owner(&mem, &c), Owner::Agent { agent, .. } if agent == "cy"));

    // Nothing to assign once the bot has it back.
    mem.hand_back(&c).await.unwrap();
    let e = assign(&mem, &c, "ana", Takes::Any, NOW).await.unwrap_err();
    assert!(matches!(e, InboxError::NotAssignable), "{e}");
}

#[tokio::test]
async fn a_note_is_kept_once_per_request_and_never_sent() {
    let mem = Memory::with_sample();
    let c = conversation();
    waiting(&mem, &c, 60);
    let ana = AgentCard {
        id: "ana".into(),
        email: "ana@example.com".into(),
    };
    note(&mem, &c, &ana, "req-9", "VIP: be kind", NOW)
        .await
        .unwrap();
    note(&mem, &c, &ana, "req-9", "VIP: be kind", NOW + 5)
        .await
        .unwrap();
    let notes = mem.notes(&c).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "VIP: be kind");
    assert_eq!(notes[0].at, NOW);
    assert!(mem.replies.lock().unwrap().is_empty());
    assert_eq!(
        note(&mem, &c, &ana, "r", " ", NOW)
            .await
            .unwrap_err()
            .status(),
        400
    );
}

#[tokio::test]
async fn a_pay_link_asks_the_payment_function_for_the_carts_checkout() {
    let mem = Memory::with_sample();
    let c = conversation();
    waiting(&mem, &c, 60);
    let e = attach_pay_link(&mem, &mem, &c, "req-p", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert!(matches!(e, InboxError::EmptyCart), "{e}");
    mem.sessions
        .lock()
        .unwrap()
        .get_mut(&c.key())
        .unwrap()
        .cart
        .lines
        .push(CartLine {
            id: "1".into(),
            product: "drop-bag".into(),
            selections: vec![],
            unit_price: 19_500,
            quantity: 1,
        });
    attach_pay_link(&mem, &mem, &c, "req-p", Lang::EN, NOW)
        .await
        .unwrap();
    let handed = mem.handoffs.lock().unwrap().clone();
    assert_eq!(handed.len(), 1);
    let (to, message) = &handed[0];
    assert_eq!(*to, Handler::Payment);
    assert!(
        !from_customer(message),
        "the bot answers it during the handoff"
    );
    assert_eq!(
        message.content,
        InboundContent::Action {
            payload: "p:c".into(),
            title: None
        }
    );

    // Outside WhatsApp's window the bot's pay link would be held: refused now instead.
    let late = ConversationId::new(Channel::Whatsapp, "5511900000000");
    waiting(&mem, &late, 25 * HOUR);
    let cart = mem.sessions.lock().unwrap()[&c.key()].cart.clone();
    mem.sessions
        .lock()
        .unwrap()
        .get_mut(&late.key())
        .unwrap()
        .cart = cart;
    let e = attach_pay_link(&mem, &mem, &late, "req-q", Lang::EN, NOW)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    assert_eq!(mem.handoffs.lock().unwrap().len(), 1);
}

#[test]
fn the_list_filters_by_view_channel_language_and_orders() {
    let entry = |channel, owner: Owner, lang| HandoffEntry {
        conversation: ConversationId::new(channel, "x"),
        owner,
        reason: HandoffReason::Asked,
        lang,
        agent_active_at: None,
        escalated_at: None,
    };
    let w = Owner::Waiting {
        since: 1,
        reason: HandoffReason::Asked,
    };
    let mine = Owner::Agent {
        agent: "ana".into(),
        since: 1,
    };
    let theirs = Owner::Agent {
        agent: "bo".into(),
        since: 1,
    };
    let q = |view, channel, lang| InboxQuery::parse(Some(view), channel, lang, None, None).unwrap();
    let e1 = entry(Channel::Whatsapp, w.clone(), Lang::EN);
    let e2 = entry(Channel::Line, mine, Lang::JA);
    let e3 = entry(Channel::Line, theirs, Lang::JA);
    let shown = |query: &InboxQuery| {
        [&e1, &e2, &e3]
            .iter()
            .map(|e| query.admits(e, "ana"))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&q("waiting", None, None)), [true, false, false]);
    assert_eq!(shown(&q("mine", None, None)), [false, true, false]);
    assert_eq!(shown(&q("all", None, None)), [true, true, true]);
    assert_eq!(shown(&q("all", Some("line"), None)), [false, true, true]);
    assert_eq!(shown(&q("all", None, Some("en"))), [true, false, false]);
    assert_eq!(
        InboxQuery::parse(None, None, None, None, None)
            .unwrap()
            .view,
        InboxView::Waiting
    );
    for (view, channel, lang, status) in [
        (Some("everything"), None, None, None),
        (None, Some("fax"), None, None),
        (None, None, Some("xx-YY-zz"), None),
        (None, None, None, Some("lost")),
    ] {
        assert!(InboxQuery::parse(view, channel, lang, None, status).is_err());
    }
    let by_status =
        InboxQuery::parse(Some("all"), None, None, None, Some("paid_needs_attention")).unwrap();
    assert!(by_status.needs_orders());
    assert_eq!(by_status.status, Some(OrderStatus::PaidNeedsAttention));
    assert!(!by_status.admits_orders(&[]));
}

#[tokio::test]
async fn the_payment_function_keeps_quiet_to_the_customer_while_a_person_has_the_chat() {
    use crate::checkout::{CheckoutSettings, PaymentPorts, handle};
    use crate::ids::{IdKey, TEST_KEY};
    use crate::process::Handled;
    use crate::testing::{tap, text};
    use crate::testing_orders::{MemoryGateway, MemoryOrders};
    let mem = Memory::with_sample();
    let orders = MemoryOrders::with_drops(vec![]);
    let gateway = MemoryGateway::default();
    let ports = PaymentPorts {
        sessions: &mem,
        catalogs: &mem,
        orders: &orders,
        gateway: &gateway,
        dispatch: &mem,
    };
    let settings = CheckoutSettings {
        hold_minutes: 10,
        public_base_url: "https://shop.example".into(),
        success_url: "https://shop.example/thanks".into(),
        cancel_url: "https://shop.example/back".into(),
        default_lang: Lang::EN,
        ids: IdKey::new(TEST_KEY.as_bytes()),
    };
    let c = conversation();
    waiting(&mem, &c, 60);
    for m in [text("e1", "where is my order"), tap("e2", "p:c")] {
        let handled = handle(&m, &ports, &settings, NOW).await.unwrap();
        assert_eq!(handled, Handled::Recorded);
    }
    assert!(mem.replies.lock().unwrap().is_empty(), "no bot answer");
    let s = mem.sessions.lock().unwrap()[&c.key()].clone();
    assert_eq!(
        s.last_heard_at,
        Some(NOW),
        "the platform's window still counts"
    );
    assert!(matches!(s.owner, Owner::Waiting { .. }));

    // What the console asks for on the customer's behalf is answered.
    let later = NOW + 600;
    let asked = checkout_message(&c, Lang::EN, "req-7", later);
    let handled = handle(&asked, &ports, &settings, later).await.unwrap();
    assert_eq!(handled, Handled::Replied);
    assert_eq!(mem.replies.lock().unwrap().len(), 1);
    assert_eq!(
        mem.sessions.lock().unwrap()[&c.key()].last_heard_at,
        Some(NOW),
        "the console's request does not reopen the platform's window"
    );

    // Back with the bot, the customer is answered again.
    mem.hand_back(&c).await.unwrap();
    let handled = handle(&text("e3", "my orders"), &ports, &settings, NOW)
        .await
        .unwrap();
    assert_eq!(handled, Handled::Replied);
}
