//! Delayed payments in memory: what checkout offers per drop, and the completed-unpaid,
//! succeeded and failed events as the payment-webhook function applies them.

use super::*;
use crate::channel::ConversationId;
use crate::checkout::{CheckoutSettings, PaymentPorts, handle};
use crate::drops::{DropSku, DropStatus};
use crate::i18n::Lang;
use crate::ids::{IdKey, TEST_KEY};
use crate::inbound::InboundMessage;
use crate::market::Market;
use crate::money::Currency;
use crate::order_events::{PaymentEvent, apply_payment_event};
use crate::payment::PaidSession;
use crate::payment_method::{PaymentMethod, PaymentOffer};
use crate::process::Handled;
use crate::testing::{Memory, conversation, sample_catalog, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};
use std::sync::Arc;

const NOW: i64 = 1_767_225_600;
const DROP: &str = "spring";
const BAG: &str = "drop-bag";

fn spring(delayed_payment_days: Option<u32>) -> Drop {
    Drop {
        id: DROP.into(),
        name: "Spring drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: None,
        skus: vec![DropSku {
            sku: BAG.into(),
            stock: 3,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days,
        verified_phone: false,
        draw: None,
    }
}

/// The sample catalog sold in one market in `currency`, paid with `methods`.
fn catalog_in(currency: Currency, methods: &[PaymentMethod]) -> Memory {
    let mut catalog = sample_catalog();
    catalog.currency = currency;
    catalog.markets = vec![Market {
        id: "jp".into(),
        payment_methods: methods.to_vec(),
        ..Market::implicit(currency)
    }];
    Memory {
        catalog: Some(Arc::new(catalog)),
        ..Default::default()
    }
}

struct World {
    mem: Memory,
    orders: MemoryOrders,
    gateway: MemoryGateway,
    settings: CheckoutSettings,
}

impl World {
    fn new(mem: Memory, drop: Drop) -> World {
        World {
            mem,
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

    /// Konbini in yen, on a drop that allows `days` to pay.
    fn konbini(days: Option<u32>) -> World {
        World::new(
            catalog_in(
                Currency::JPY,
                &[PaymentMethod::Card, PaymentMethod::Konbini],
            ),
            spring(days),
        )
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

    /// One bag checked out with the tap `e1`: the message.
    async fn check_out(&self) -> InboundMessage {
        self.mem
            .sessions
            .lock()
            .unwrap()
            .entry(conversation().key())
            .or_default()
            .cart
            .add(BAG, Vec::new(), 0)
            .unwrap();
        let m = tap("e1", "p:c");
        let handled = handle(&m, &self.ports(), &self.settings, NOW).await;
        assert_eq!(handled.unwrap(), Handled::Replied);
        m
    }

    fn order_of(&self, m: &InboundMessage) -> Option<Order> {
        let id = self.settings.ids.order_id(&m.dedup_identity());
        self.orders.stored(&id)
    }

    async fn apply(&self, event_id: &str, event: &PaymentEvent) -> Option<OrderStatus> {
        apply_payment_event(event_id, event, &self.orders, &self.gateway, &self.mem)
            .await
            .unwrap()
    }

    /// The bodies of the notices of `kind` sent so far.
    fn notices(&self, kind: &str) -> Vec<String> {
        self.mem
            .replies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b.update.as_ref().is_some_and(|u| u.kind == kind))
            .map(|b| b.update.as_ref().unwrap().summary.clone())
            .collect()
    }

    fn last_text(&self) -> String {
        let replies = self.mem.replies.lock().unwrap();
        match replies.last().and_then(|b| b.replies.first()) {
            Some(Reply::Text { body } | Reply::Link { body, .. } | Reply::Choices { body, .. }) => {
                body.clone()
            }
            other => panic!("no text reply: {other:?}"),
        }
    }
}

fn awaiting(order: &Order, chosen_at: i64) -> PaymentEvent {
    PaymentEvent::AwaitingPayment {
        order_id: order.id.clone(),
        session_id: order.checkout_session.clone().expect("a page"),
        chosen_at,
    }
}

#[test]
fn the_shortest_drop_decides_and_a_drop_without_it_offers_none() {
    assert_eq!(pay_within_days([]), Some(DEFAULT_PAY_WITHIN_DAYS));
    let (two, five, none) = (spring(Some(2)), spring(Some(5)), spring(None));
    assert_eq!(pay_within_days([&five]), Some(5));
    assert_eq!(pay_within_days([&five, &two]), Some(2));
    assert_eq!(pay_within_days([&two, &none]), None);
}

#[tokio::test]
async fn a_drop_that_may_wait_offers_konbini_with_its_days() {
    let w = World::konbini(Some(2));
    let m = w.check_out().await;
    let requests = w.gateway.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let offer = &requests[0].payment_offer;
    assert_eq!(offer.methods, [PaymentMethod::Card, PaymentMethod::Konbini]);
    assert_eq!(offer.konbini_expires_after_days(), Some(2));
    // Kept on the order, so a retried checkout asks for the very same page.
    assert_eq!(w.order_of(&m).unwrap().payment_offer, *offer);
}

#[tokio::test]
async fn a_drop_that_may_not_wait_is_offered_what_pays_at_once() {
    let w = World::konbini(None);
    w.check_out().await;
    let requests = w.gateway.requests.lock().unwrap().clone();
    assert_eq!(requests[0].payment_offer.methods, [PaymentMethod::Card]);
    assert!(!requests[0].payment_offer.settles_later());
}

#[tokio::test]
async fn a_method_stripe_does_not_take_in_the_currency_reserves_nothing() {
    // A catalog that skipped its checks: Konbini in dollars.
    let w = World::new(
        catalog_in(
            Currency::USD,
            &[PaymentMethod::Card, PaymentMethod::Konbini],
        ),
        spring(Some(3)),
    );
    let m = w.check_out().await;
    assert!(
        w.last_text().contains("payment is unavailable"),
        "{}",
        w.last_text()
    );
    assert!(
        w.gateway.requests.lock().unwrap().is_empty(),
        "Stripe never asked"
    );
    assert_eq!(w.order_of(&m), None, "no order written");
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved), (3, 0));
}

#[tokio::test]
async fn completed_unpaid_holds_the_reservation_to_the_voucher_deadline_and_says_so() {
    let w = World::konbini(Some(2));
    let m = w.check_out().await;
    let order = w.order_of(&m).unwrap();
    // 2026-01-01 00:00 UTC is 09:00 JST; two days later, 23:59:59 JST on 3 January.
    let deadline = 1_767_452_399;
    assert_eq!(order.payment_offer.deadline(NOW), Some(deadline));

    assert_eq!(
        w.apply("evt_1", &awaiting(&order, NOW)).await,
        Some(OrderStatus::Reserved)
    );
    let held = w.order_of(&m).unwrap();
    assert_eq!(held.expires_at, deadline + HOLD_GRACE_SECS);
    // Its reservation index entry moved with it: not due at the old expiry.
    let due = w.orders.lapsed_reservations(order.expires_at + 1, 10).await;
    assert!(due.unwrap().is_empty());
    let notices = w.notices(AWAITING_NOTICE);
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].contains("until Jan 3, 2026, 11:59\u{202f}PM GMT+9"),
        "{notices:?}"
    );

    // Stripe delivers again (same creation time): nothing moves, nothing is said twice.
    assert_eq!(
        w.apply("evt_1b", &awaiting(&held, NOW)).await,
        Some(OrderStatus::Reserved)
    );
    assert_eq!(w.order_of(&m).unwrap().expires_at, held.expires_at);
    assert_eq!(w.notices(AWAITING_NOTICE).len(), 1);

    // The customer pays at the store: an ordinary sale.
    let succeeded = PaymentEvent::Paid {
        order_id: order.id.clone(),
        paid: PaidSession {
            session_id: order.checkout_session.clone().unwrap(),
            amount_total: Some(order.total),
            currency: Some("jpy".into()),
        },
    };
    assert_eq!(w.apply("evt_2", &succeeded).await, Some(OrderStatus::Paid));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (2, 0, 1));
    assert_eq!(w.notices("paid").len(), 1);
}

#[tokio::test]
async fn a_failed_delayed_payment_releases_and_tells_why() {
    let w = World::konbini(Some(3));
    let m = w.check_out().await;
    let order = w.order_of(&m).unwrap();
    w.apply("evt_1", &awaiting(&order, NOW)).await;
    let failed = PaymentEvent::PaymentFailed {
        order_id: order.id.clone(),
    };
    assert_eq!(w.apply("evt_2", &failed).await, Some(OrderStatus::Expired));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved), (3, 0));
    let released = w.notices("released");
    assert_eq!(released.len(), 1);
    assert!(
        released[0].contains("did not arrive in time"),
        "{released:?}"
    );
    // A redelivery after a crash finds it released and told.
    assert_eq!(w.apply("evt_2b", &failed).await, Some(OrderStatus::Expired));
    assert_eq!(w.notices("released").len(), 1);
}

#[tokio::test]
async fn completed_unpaid_without_a_method_that_waits_changes_nothing() {
    let w = World::konbini(None);
    let m = w.check_out().await;
    let order = w.order_of(&m).unwrap();
    assert_eq!(
        order.payment_offer,
        PaymentOffer::new(&[PaymentMethod::Card], None)
    );
    w.apply("evt_1", &awaiting(&order, NOW)).await;
    assert_eq!(w.order_of(&m).unwrap().expires_at, order.expires_at);
    assert!(w.notices(AWAITING_NOTICE).is_empty());

    // Another page than the order's own: ignored too.
    let w = World::konbini(Some(3));
    let m = w.check_out().await;
    let order = w.order_of(&m).unwrap();
    let stray = PaymentEvent::AwaitingPayment {
        order_id: order.id.clone(),
        session_id: "cs_test_someone_else".into(),
        chosen_at: NOW,
    };
    w.apply("evt_2", &stray).await;
    assert_eq!(w.order_of(&m).unwrap().expires_at, order.expires_at);
    assert!(w.notices(AWAITING_NOTICE).is_empty());
}

#[tokio::test]
async fn the_deadline_is_shown_in_the_customers_zone_when_their_phone_tells_it() {
    let w = World::konbini(Some(2));
    let m = w.check_out().await;
    let mut order = w.order_of(&m).unwrap();
    let deadline = order.payment_offer.deadline(NOW).unwrap();
    order.conversation = ConversationId::new(crate::channel::Channel::Whatsapp, "6591234567");
    // CLDR English: a narrow no-break space before PM, and the zone as its GMT offset.
    assert_eq!(
        deadline_text(&order, deadline),
        "Jan 3, 2026, 10:59\u{202f}PM GMT+8"
    );
    order.payment_offer = PaymentOffer::new(&[PaymentMethod::Pix], Some(2));
    order.conversation = ConversationId::new(crate::channel::Channel::Telegram, "42");
    assert_eq!(
        deadline_text(&order, deadline),
        "Jan 3, 2026, 2:59\u{202f}PM UTC"
    );
    // A Brazilian number: Brazil spans four zones, so the phone does not settle it and the
    // market's zone does (São Paulo, UTC−3 since Brazil dropped DST in 2019).
    order.conversation = ConversationId::new(crate::channel::Channel::Whatsapp, "5511987654321");
    order.market_zone = Some("America/Sao_Paulo".into());
    assert_eq!(
        deadline_text(&order, deadline),
        "Jan 3, 2026, 11:59\u{202f}AM GMT-3"
    );
}

/// A reservation index holding entries read before a hold moved the order's own.
#[derive(Default)]
struct StaleIndex {
    entries: std::sync::Mutex<Vec<crate::sweep::IndexEntry>>,
    forgotten: std::sync::Mutex<Vec<String>>,
}

impl crate::sweep::ReservationIndex for StaleIndex {
    async fn due(
        &self,
        _now: i64,
        limit: usize,
    ) -> Result<Vec<crate::sweep::IndexEntry>, PortError> {
        Ok(self
            .entries
            .lock()
            .unwrap()
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn retry_later(
        &self,
        entry: &crate::sweep::IndexEntry,
        _at: i64,
        reason: &str,
    ) -> Result<(), PortError> {
        panic!("{} retried: {reason}", entry.order_id)
    }

    async fn set_aside(
        &self,
        entry: &crate::sweep::IndexEntry,
        reason: &str,
    ) -> Result<(), PortError> {
        panic!("{} set aside: {reason}", entry.order_id)
    }

    async fn forget(&self, entry: &crate::sweep::IndexEntry) -> Result<(), PortError> {
        self.entries.lock().unwrap().retain(|e| e != entry);
        self.forgotten.lock().unwrap().push(entry.order_id.clone());
        Ok(())
    }
}

#[tokio::test]
async fn the_sweep_leaves_a_held_reservation_alone() {
    let w = World::konbini(Some(2));
    let m = w.check_out().await;
    let order = w.order_of(&m).unwrap();
    let index = StaleIndex::default();
    index
        .entries
        .lock()
        .unwrap()
        .push(crate::sweep::IndexEntry {
            order_id: order.id.clone(),
            failures: 0,
            handle: "read before the hold".into(),
        });
    w.apply("evt_1", &awaiting(&order, NOW)).await;
    let after_the_old_expiry = order.expires_at + 60;
    let report = crate::sweep::sweep(
        after_the_old_expiry,
        10,
        &index,
        &w.orders,
        &w.gateway,
        &w.mem,
    )
    .await
    .unwrap();
    assert_eq!((report.expired, report.cleared), (0, 1), "{report:?}");
    assert_eq!(*index.forgotten.lock().unwrap(), vec![order.id.clone()]);
    assert_eq!(w.order_of(&m).unwrap().status, OrderStatus::Reserved);
    assert!(
        w.gateway.expired.lock().unwrap().is_empty(),
        "its page was left alone"
    );
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);
}
