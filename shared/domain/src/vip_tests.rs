//! VIPs in memory: the lifetime counter moves once per sale, a payment that takes a person's
//! total above their currency's threshold hands the chat over once, and nothing else does.

use super::*;
use crate::catalog::CatalogError;
use crate::channel::Channel;
use crate::dialogue::Owner;
use crate::handoff::{BusinessHours, HandoffFilter, Support};
use crate::i18n::Lang;
use crate::ports::PaidOutcome;
use crate::testing::{Memory, sample_catalog};
use crate::testing_orders::MemoryOrders;

/// Wednesday 2026-01-07 03:00 UTC (Tuesday 22:00 in New York).
const NOW: i64 = 1_767_798_000;

fn catalog(support: Support) -> Catalog {
    let mut c = sample_catalog();
    c.support = support;
    c
}

/// A VIP is someone who paid more than $250.00 in all.
fn usd_250() -> Support {
    Support {
        vip_threshold: Some(25_000),
        ..Support::default()
    }
}

fn ana() -> ConversationId {
    ConversationId::new(Channel::Whatsapp, "15551230001")
}

fn order(id: &str, total: i64, currency: Currency) -> Order {
    Order {
        id: id.into(),
        conversation: ana(),
        lang: Lang::ES,
        customer: "phone:k1:ana".into(),
        lines: Vec::new(),
        currency,
        total,
        status: OrderStatus::Reserved,
        created_at: NOW - 60,
        expires_at: NOW + 540,
        pay_token: format!("t-{id}"),
        stock: Vec::new(),
        limits: Vec::new(),
        checkout_session: Some(format!("cs_{id}")),
        checkout_url: None,
        tracking: None,
        attention: Vec::new(),
        payment_offer: Default::default(),
        market_zone: None,
        opened_at: None,
    }
}

struct World {
    mem: Memory,
    orders: MemoryOrders,
}

impl World {
    fn new(support: Support) -> World {
        World {
            mem: Memory::with_catalog(catalog(support)),
            orders: MemoryOrders::default(),
        }
    }

    /// Reserves and pays `order`, then runs the VIP check as payment-webhook does: `Ok(true)`
    /// when it handed over.
    async fn pay(&self, order: &Order) -> bool {
        self.orders
            .state
            .lock()
            .unwrap()
            .orders
            .insert(order.id.clone(), order.clone());
        self.orders.mark_paid(order).await.unwrap();
        self.check(&order.id).await
    }

    async fn check(&self, id: &str) -> bool {
        let now = self.orders.stored(id).unwrap();
        let catalog = self.mem.catalog.clone().unwrap();
        after_payment(
            &now,
            &catalog,
            &self.orders,
            &self.orders,
            &self.mem,
            &self.mem,
            NOW,
        )
        .await
        .unwrap()
    }

    fn bundles(&self) -> Vec<ReplyBundle> {
        self.mem.replies.lock().unwrap().clone()
    }

    fn owner(&self) -> Owner {
        self.mem
            .sessions
            .lock()
            .unwrap()
            .get(&ana().key())
            .map(|s| s.owner.clone())
            .unwrap_or(Owner::Bot)
    }
}

fn text(bundle: &ReplyBundle) -> String {
    match &bundle.replies[..] {
        [Reply::Text { body }] => body.clone(),
        other => panic!("one text: {other:?}"),
    }
}

#[tokio::test]
async fn the_payment_that_passes_the_threshold_hands_over_once() {
    let w = World::new(usd_250());
    // $200: not yet.
    assert!(!w.pay(&order("o1", 20_000, Currency::USD)).await);
    assert!(w.bundles().is_empty());
    assert_eq!(w.owner(), Owner::Bot);
    // $250 in all is not *above* $250.
    assert!(!w.pay(&order("o2", 5_000, Currency::USD)).await);
    assert_eq!(w.owner(), Owner::Bot);
    // One cent more makes a VIP.
    assert!(w.pay(&order("o3", 1, Currency::USD)).await);
    assert_eq!(
        w.owner(),
        Owner::Waiting {
            since: NOW,
            reason: HandoffReason::Vip
        }
    );
    let bundles = w.bundles();
    assert_eq!(bundles.len(), 1, "{bundles:#?}");
    let told = &bundles[0];
    assert_eq!(told.conversation, ana());
    assert_eq!(told.lang, Lang::ES);
    // The agents are alerted by notify, as for every handoff: the notice rides on the bundle.
    assert_eq!(
        told.handoff,
        Some(HandoffNotice {
            reason: HandoffReason::Vip,
            since: NOW
        })
    );
    assert!(told.update.is_none(), "not an order notice");
    // In the order's language: thanks, then when a person answers.
    let body = text(told);
    assert!(body.starts_with(&Msg::VipWelcome.text(Lang::ES)), "{body}");
    assert!(body.ends_with(&Msg::HandoffSoon.text(Lang::ES)), "{body}");
    // On the list the console works from.
    let list = w.mem.list_handoffs(HandoffFilter::Waiting).await.unwrap();
    assert_eq!(list.len(), 1);

    // The same payment again (a Stripe retry) tells nobody twice.
    assert!(!w.check("o3").await);
    assert_eq!(w.bundles().len(), 1);
}

#[tokio::test]
async fn a_sale_counts_once_however_often_it_is_reported() {
    let w = World::new(usd_250());
    let o = order("o1", 20_000, Currency::USD);
    w.pay(&o).await;
    assert_eq!(
        w.orders.mark_paid(&o).await.unwrap(),
        PaidOutcome::Unchanged
    );
    let paid = w
        .orders
        .lifetime_paid("phone:k1:ana", Currency::USD)
        .await
        .unwrap();
    assert_eq!(paid, 20_000);
    assert_eq!(
        w.orders
            .lifetime_paid("phone:k1:ana", Currency::THB)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn each_currency_counts_towards_its_own_threshold() {
    // Only USD has a threshold: baht never makes a VIP, however much.
    let w = World::new(usd_250());
    assert!(!w.pay(&order("o1", 100_000_000, Currency::THB)).await);
    assert_eq!(w.owner(), Owner::Bot);
    // Nor do baht and dollars add up: nothing converts.
    assert!(!w.pay(&order("o2", 25_000, Currency::USD)).await);

    // A threshold for baht (another market's currency).
    let w = World::new(Support {
        vip_thresholds: [(Currency::THB, 1_000_000)].into(),
        ..Support::default()
    });
    assert!(!w.pay(&order("o1", 30_000_000, Currency::USD)).await);
    assert!(w.pay(&order("o2", 1_000_001, Currency::THB)).await);
}

#[tokio::test]
async fn no_threshold_no_vips() {
    let w = World::new(Support::default());
    assert!(
        !w.pay(&order("o1", i64::from(u32::MAX), Currency::USD))
            .await
    );
    assert!(w.bundles().is_empty());
    // Nothing read or recorded either: the check costs nothing where it is off.
    assert!(!w.orders.notice_sent("o1", NOTICE).await.unwrap());
}

#[tokio::test]
async fn a_chat_a_person_has_already_stays_theirs_and_is_not_told_again() {
    let w = World::new(usd_250());
    w.mem
        .open_handoff(&ana(), HandoffReason::Asked, Lang::ES, NOW - 30)
        .await
        .unwrap();
    assert!(!w.pay(&order("o1", 30_000, Currency::USD)).await);
    assert!(w.bundles().is_empty());
    assert_eq!(
        w.owner(),
        Owner::Waiting {
            since: NOW - 30,
            reason: HandoffReason::Asked
        }
    );
    // And the next payment of a VIP whose chat is the bot's again hands over again.
    w.mem.hand_back(&ana()).await.unwrap();
    assert!(w.pay(&order("o2", 100, Currency::USD)).await);
}

#[tokio::test]
async fn outside_the_hours_the_vip_is_told_when_a_person_answers() {
    let w = World::new(Support {
        hours: Some("Mon-Fri 09:00-10:00".parse::<BusinessHours>().unwrap()),
        time_zone: Some("America/New_York".into()),
        ..usd_250()
    });
    assert!(w.pay(&order("o1", 30_000, Currency::USD)).await);
    let body = text(&w.bundles()[0]);
    assert!(body.starts_with(&Msg::VipWelcome.text(Lang::ES)), "{body}");
    assert!(!body.contains(&Msg::HandoffSoon.text(Lang::ES)), "{body}");
}

#[test]
fn thresholds_are_read_from_the_seed_and_checked() {
    let support: Support =
        toml::from_str("vip_threshold = 25000\nvip_thresholds = { THB = 1000000, krw = 300000 }\n")
            .unwrap();
    assert_eq!(
        support.vip_threshold_in(Currency::USD, Currency::USD),
        Some(25_000)
    );
    assert_eq!(
        support.vip_threshold_in(Currency::USD, Currency::THB),
        Some(1_000_000)
    );
    assert_eq!(
        support.vip_threshold_in(Currency::USD, Currency::parse("KRW").unwrap()),
        Some(300_000)
    );
    assert_eq!(support.vip_threshold_in(Currency::USD, Currency::JPY), None);
    assert!(toml::from_str::<Support>("vip_thresholds = { XYZ = 5 }").is_err());

    for bad in [
        Support {
            vip_threshold: Some(0),
            ..Support::default()
        },
        Support {
            vip_thresholds: [(Currency::THB, -5)].into(),
            ..Support::default()
        },
    ] {
        let err = catalog(bad).validate().unwrap_err();
        assert!(matches!(err, CatalogError::BadVipThreshold { .. }), "{err}");
        assert!(err.to_string().contains("positive amount"), "{err}");
    }
    catalog(usd_250()).validate().unwrap();
}
