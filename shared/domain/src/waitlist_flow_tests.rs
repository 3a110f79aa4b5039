//! The waitlist's taps through the payment function's [`handle`], in memory: a sold-out
//! answer offers the waitlist, a join is answered, the sweep offers the returned unit, a tap
//! reserves it with a pay link while the customer's cart stays as it was, and "No thanks"
//! moves the unit on.

use crate::channel::{Channel, ConversationId};
use crate::checkout::{CheckoutSettings, PaymentPorts, handle};
use crate::drops::{Drop, DropSku, DropStatus};
use crate::i18n::Lang;
use crate::ids::{IdKey, TEST_KEY};
use crate::inbound::InboundMessage;
use crate::orders::OrderStatus;
use crate::ports::OrderStore;
use crate::reply::Reply;
use crate::testing::{Memory, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};
use crate::waitlist::{EntryStatus, WaitlistSettings, WaitlistStore, sweep_waitlist};

const NOW: i64 = 1_767_225_600;
const BAG: &str = "drop-bag";

fn spring() -> Drop {
    Drop {
        id: "spring".into(),
        name: "Spring drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: Some(2),
        skus: vec![DropSku {
            sku: BAG.into(),
            stock: 1,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
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
    fn new() -> World {
        World {
            mem: Memory::with_sample(),
            orders: MemoryOrders::with_drops(vec![spring()]),
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

    fn add_bag(&self, c: &ConversationId) {
        let mut sessions = self.mem.sessions.lock().unwrap();
        let session = sessions.entry(c.key()).or_default();
        session.cart.add(BAG, Vec::new(), 0).unwrap();
    }

    async fn send(&self, m: &InboundMessage, now: i64) -> Vec<Reply> {
        handle(m, &self.ports(), &self.settings, now).await.unwrap();
        self.mem
            .replies
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .replies
            .clone()
    }
}

#[tokio::test]
async fn sold_out_join_offer_take_and_pass() {
    let w = World::new();
    let (a, b, c) = (chat("1"), chat("2"), chat("3"));
    w.add_bag(&a);
    w.send(&tap_in(&a, "a1", "p:c"), NOW).await;
    // B meets sold out, with the button; joins.
    w.add_bag(&b);
    let sold_out = w.send(&tap_in(&b, "b1", "p:c"), NOW).await;
    let Reply::Choices { choices, .. } = &sold_out[0] else {
        panic!("{sold_out:?}")
    };
    assert_eq!(choices[0].id, "p:wj:spring:0");
    let joined = w.send(&tap_in(&b, "b2", "p:wj:spring:0"), NOW).await;
    assert!(body(&joined[0]).contains("waitlist"), "{joined:?}");
    w.add_bag(&c);
    w.send(&tap_in(&c, "c1", "p:c"), NOW).await;
    w.send(&tap_in(&c, "c2", "p:wj:spring:0"), NOW).await;
    // A cancels: the unit is B's to take, not C's to buy in the open.
    let a_order = w.orders.orders_of(&a).await.unwrap().remove(0);
    w.send(&tap_in(&a, "a2", &format!("p:x:{}", a_order.id)), NOW)
        .await;
    let refused = w.send(&tap_in(&c, "c3", "p:c"), NOW + 10).await;
    assert!(body(&refused[0]).contains("sold out"), "{refused:?}");
    let drops = w.orders.drops().await.unwrap();
    let report = sweep_waitlist(
        NOW + 60,
        &drops,
        &w.orders,
        &w.mem,
        WaitlistSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.offered, 1);
    let offer = w.mem.replies.lock().unwrap().last().unwrap().clone();
    assert_eq!(offer.conversation, b);
    // B taps "Check out now": a reservation with its pay link; B's cart is untouched.
    let took = w.send(&tap_in(&b, "b3", "p:wt:spring:0"), NOW + 90).await;
    assert!(
        matches!(&took[0], Reply::Link { url, .. } if url.contains("/p/")),
        "{took:?}"
    );
    let b_order = w.orders.orders_of(&b).await.unwrap().remove(0);
    assert_eq!(b_order.status, OrderStatus::Reserved);
    assert_eq!(w.mem.sessions.lock().unwrap()[&b.key()].cart.units(), 1);
    // C's "No thanks" on an offer C never had changes nothing.
    let nothing = w.send(&tap_in(&c, "c4", "p:wn:spring:0"), NOW + 95).await;
    assert!(body(&nothing[0]).contains("ended"), "{nothing:?}");
    let c_entry = w.orders.entry_of("spring", BAG, &c).await.unwrap().unwrap();
    assert_eq!(c_entry.status, EntryStatus::Waiting);
    // B's reservation lapses; the sweep offers it to C, who passes: nobody left, open sale.
    w.orders
        .release(&b_order, OrderStatus::Expired)
        .await
        .unwrap();
    sweep_waitlist(
        NOW + 700,
        &drops,
        &w.orders,
        &w.mem,
        WaitlistSettings::default(),
    )
    .await
    .unwrap();
    let passed = w.send(&tap_in(&c, "c5", "p:wn:spring:0"), NOW + 710).await;
    assert!(body(&passed[0]).contains("next person"), "{passed:?}");
    assert_eq!(w.orders.stock("spring", BAG).available, 1);
    let late = w.send(&tap_in(&c, "c6", "p:wt:spring:0"), NOW + 720).await;
    assert!(body(&late[0]).contains("ended"), "{late:?}");
}
