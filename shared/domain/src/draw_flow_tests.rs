//! A draw through the payment function's [`handle`] and [`run`], in memory, on the recorded
//! quicknet round 123 (so the clock is set in August 2023, when that round was emitted).

use super::*;
use crate::beacon::{BeaconChain, RecordedBeacon, recorded};
use crate::channel::Channel;
use crate::checkout::handle;
use crate::drops::{DropSku, DropStatus};
use crate::ids::{IdKey, TEST_KEY};
use crate::orders::OrderStatus;
use crate::testing::{Memory, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};

/// quicknet round 123 is emitted at genesis + 366 s; entries close 3 s before it.
const CLOSE: i64 = 1_692_803_367 + 363;
const NOW: i64 = CLOSE - 1800;
const BAG: &str = "drop-bag";

fn hype() -> Drop {
    Drop {
        id: "hype".into(),
        name: "Hype drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: BAG.into(),
            stock: 2,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: Some(DrawSpec {
            entries_close_at: CLOSE,
            pay_within_minutes: 60,
            verified_phone: false,
        }),
    }
}

struct World {
    mem: Memory,
    orders: MemoryOrders,
    gateway: MemoryGateway,
    settings: CheckoutSettings,
}

fn chat(id: &str) -> ConversationId {
    ConversationId::new(Channel::Telegram, id)
}

fn tap_in(c: &ConversationId, event: &str, payload: &str) -> InboundMessage {
    InboundMessage {
        conversation: c.clone(),
        ..tap(event, payload)
    }
}

fn body(reply: &Reply) -> &str {
    match reply {
        Reply::Text { body } | Reply::Link { body, .. } | Reply::Choices { body, .. } => body,
        other => panic!("no text in {other:?}"),
    }
}

impl World {
    fn new(drop: Drop) -> World {
        World {
            mem: Memory::with_sample(),
            orders: MemoryOrders::with_drops(vec![drop]),
            gateway: MemoryGateway::default(),
            settings: CheckoutSettings {
                hold_minutes: 10,
                public_base_url: "https://shop.example".into(),
                success_url: "https://shop.example/thanks".into(),
                cancel_url: "https://shop.example/back".into(),
                default_lang: Lang::EN,
                ids: IdKey::new(TEST_KEY.as_bytes()),
            },
        }
    }

    fn ports(&self) -> PaymentPorts<'_, Memory, Memory, MemoryOrders, MemoryGateway, Memory> {
        PaymentPorts {
            sessions: &self.mem,
            catalogs: &self.mem,
            orders: &self.orders,
            gateway: &self.gateway,
            dispatch: &self.mem,
        }
    }

    async fn send(&self, m: &InboundMessage, now: i64) -> Vec<Reply> {
        handle(m, &self.ports(), &self.settings, now).await.unwrap();
        let replies = self.mem.replies.lock().unwrap();
        replies.last().unwrap().replies.clone()
    }
}

#[tokio::test]
async fn a_checkout_invites_to_the_draw_and_one_person_enters_once() {
    let w = World::new(hype());
    let ken = chat("ken");
    {
        let mut sessions = w.mem.sessions.lock().unwrap();
        sessions
            .entry(ken.key())
            .or_default()
            .cart
            .add(BAG, Vec::new(), 0)
            .unwrap();
    }
    let invite = w.send(&tap_in(&ken, "c1", "p:c"), NOW).await;
    let Reply::Choices { body, choices, .. } = &invite[0] else {
        panic!("{invite:?}")
    };
    assert!(body.contains("Hype drop goes to a draw"), "{body}");
    assert_eq!(choices[0].id, "p:de:hype");
    assert!(
        w.orders.state.lock().unwrap().orders.is_empty(),
        "nothing reserved"
    );

    let entered = w.send(&tap_in(&ken, "e1", "p:de:hype"), NOW).await;
    assert!(body_of(&entered).starts_with("You're in the draw for Hype drop"));
    let again = w.send(&tap_in(&ken, "e2", "p:de:hype"), NOW + 5).await;
    assert!(body_of(&again).contains("already in the draw"));
    let late = w
        .send(&tap_in(&chat("mia"), "e3", "p:de:hype"), CLOSE)
        .await;
    assert_eq!(body_of(&late), "Entries for Hype drop are closed.");
    assert_eq!(w.orders.draws().entries("hype").await.unwrap().len(), 1);
}

fn body_of(replies: &[Reply]) -> &str {
    body(&replies[0])
}

#[tokio::test]
async fn a_drop_that_needs_a_verified_phone_asks_a_chat_without_one_for_it() {
    let mut drop = hype();
    drop.draw.as_mut().unwrap().verified_phone = true;
    let w = World::new(drop);
    // The entry waits for the phone (`crate::phone_dialogue` has the rest of the dialogue).
    let tg = w.send(&tap_in(&chat("ken"), "e1", "p:de:hype"), NOW).await;
    assert!(body_of(&tg).starts_with("Hype drop is one per person"));
    assert!(w.orders.draws().entries("hype").await.unwrap().is_empty());
    let wa = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let entered = w.send(&tap_in(&wa, "e2", "p:de:hype"), NOW).await;
    assert!(body_of(&entered).starts_with("You're in the draw"));
    let entries = w.orders.draws().entries("hype").await.unwrap();
    assert!(entries[0].entry.starts_with("phone:k1:"));
}

#[tokio::test]
async fn the_run_draws_once_tells_everyone_once_and_winners_get_a_reservation() {
    let w = World::new(hype());
    let chats: Vec<ConversationId> = (0..5).map(|i| chat(&format!("c{i}"))).collect();
    let seed = [42u8; 32];
    let drop = hype();
    commit(
        &w.orders,
        &drop,
        BeaconChain::quicknet(),
        0,
        &seed,
        NOW - 60,
    )
    .await
    .unwrap();
    assert!(matches!(
        commit(&w.orders, &drop, BeaconChain::quicknet(), 0, &seed, NOW).await,
        Err(RunError::AlreadyCommitted { .. })
    ));
    let record = w.orders.draw_record("hype").await.unwrap().unwrap();
    assert_eq!((record.round, record.units), (123, 2));
    for (i, c) in chats.iter().enumerate() {
        w.send(&tap_in(c, &format!("e{i}"), "p:de:hype"), NOW + i as i64)
            .await;
    }
    assert!(matches!(
        run(&w.orders, &recorded::beacon(), &w.mem, &drop, CLOSE - 1).await,
        Err(RunError::Window { .. })
    ));
    // Closed, the round not out yet: the list is frozen and published, nobody told.
    let waiting = run(&w.orders, &RecordedBeacon::default(), &w.mem, &drop, CLOSE)
        .await
        .unwrap();
    let RunReport::Waiting { round: 123, at, .. } = waiting else {
        panic!("{waiting:?}")
    };
    assert_eq!(at, CLOSE + 3);
    let told_before = w.mem.replies.lock().unwrap().len();

    let RunReport::Drawn {
        record,
        won,
        lost,
        failed,
    } = run(&w.orders, &recorded::beacon(), &w.mem, &drop, at + 1)
        .await
        .unwrap()
    else {
        panic!("not drawn")
    };
    assert_eq!((won, lost, failed), (2, 3, 0));
    assert_eq!(record.frozen_at, Some(CLOSE));
    assert_eq!(record.seed.as_deref(), Some(hex::encode(seed).as_str()));
    let list = published_list(&w.orders, drop.draw.as_ref().unwrap(), "hype")
        .await
        .unwrap();
    let check = draw::verify(&record, list).unwrap();
    assert!(check.matches && check.frozen_in_time);

    // A second run (after a crash, or by mistake): same winners, nobody told again.
    let again = run(&w.orders, &recorded::beacon(), &w.mem, &drop, at + 60)
        .await
        .unwrap();
    let RunReport::Drawn {
        record: again,
        won: 0,
        lost: 0,
        ..
    } = again
    else {
        panic!("{again:?}")
    };
    assert_eq!(again.winners, record.winners);
    let losers: Vec<ReplyBundle> = w.mem.replies.lock().unwrap()[told_before..].to_vec();
    assert_eq!(losers.len(), 3);
    for b in &losers {
        let Reply::Choices { body, choices, .. } = &b.replies[0] else {
            panic!()
        };
        assert!(body.contains("you weren't drawn"));
        assert_eq!(choices[0].id, "p:wj:hype:0");
    }

    // The winners' hand-offs reserve a unit each, held for the draw's hour, with a pay link.
    let handoffs = w.mem.handoffs.lock().unwrap().clone();
    assert_eq!(handoffs.len(), 2);
    for (to, message) in &handoffs {
        assert_eq!(*to, Handler::Payment);
        let replies = w.send(message, at + 5).await;
        assert!(body(&replies[0]).starts_with("You won the draw for Hype drop!"));
        assert!(
            replies.iter().any(|r| matches!(r, Reply::Link { .. })),
            "{replies:?}"
        );
        // Redelivered: the marker answers, no second order.
        handle(message, &w.ports(), &w.settings, at + 9)
            .await
            .unwrap();
    }
    let orders = w.orders.state.lock().unwrap().orders.clone();
    assert_eq!(orders.len(), 2);
    assert!(
        orders
            .values()
            .all(|o| o.status == OrderStatus::Reserved && o.expires_at == at + 5 + 3600)
    );
    // A loser forging the winners' tap is refused.
    let loser = losers[0].conversation.clone();
    let forged = w.send(&tap_in(&loser, "f1", "p:dw:hype"), at + 10).await;
    assert!(body_of(&forged).contains("only for the winners"));
    assert_eq!(w.orders.state.lock().unwrap().orders.len(), 2);
}
