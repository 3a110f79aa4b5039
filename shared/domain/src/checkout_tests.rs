//! The payment path in memory: checkout, limits, lapses, cancels, reorders and late payments,
//! driven through [`handle`] and the event functions as the payment function drives them.

use super::*;
use crate::channel::Channel;
use crate::customization::Selection;
use crate::drops::{Drop, DropSku, DropStatus};
use crate::ids::{IdKey, TEST_KEY};
use crate::order_events::*;
use crate::pay_link::*;
use crate::payment::PaidSession;
use crate::testing::{Memory, conversation, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};

const NOW: i64 = 1_767_225_600;
const DROP: &str = "spring";
const BAG: &str = "drop-bag";
const STAR: &str = "drop-bag.charm.star";

fn settings() -> CheckoutSettings {
    CheckoutSettings {
        hold_minutes: 10,
        public_base_url: "https://shop.example".into(),
        success_url: "https://shop.example/thanks".into(),
        cancel_url: "https://shop.example/back".into(),
        default_lang: Lang::EN,
        ids: IdKey::new(TEST_KEY.as_bytes()),
    }
}

/// Three bags, two per customer; five star charms, one per customer.
fn spring() -> Drop {
    Drop {
        id: DROP.into(),
        name: "Spring drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: Some(2),
        skus: vec![
            DropSku {
                sku: BAG.into(),
                stock: 3,
                per_customer_limit: None,
                shards: None,
            },
            DropSku {
                sku: STAR.into(),
                stock: 5,
                per_customer_limit: Some(1),
                shards: None,
            },
        ],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    }
}

fn star() -> Vec<Selection> {
    vec![Selection::Option {
        group: "charm".into(),
        option: "star".into(),
    }]
}

struct World {
    mem: Memory,
    orders: MemoryOrders,
    gateway: MemoryGateway,
    settings: CheckoutSettings,
}

impl World {
    fn new() -> World {
        World {
            mem: Memory::with_sample(),
            orders: MemoryOrders::with_drops(vec![spring()]),
            gateway: MemoryGateway::default(),
            settings: settings(),
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

    /// Changes the stored session in place, as the conversation functions would have.
    fn edit(&self, c: &ConversationId, f: impl FnOnce(&mut Session)) {
        let mut sessions = self.mem.sessions.lock().unwrap();
        f(sessions.entry(c.key()).or_default());
    }

    fn add(&self, c: &ConversationId, product: &str, selections: Vec<Selection>, units: u32) {
        self.edit(c, |s| {
            for _ in 0..units {
                s.cart.add(product, selections.clone(), 0).unwrap();
            }
        });
    }

    async fn try_send(&self, m: &InboundMessage) -> Result<Handled, ProcessError> {
        handle(m, &self.ports(), &self.settings, NOW).await
    }

    /// Handles `m` and returns the replies it dispatched.
    async fn send(&self, m: &InboundMessage) -> Vec<Reply> {
        assert_eq!(self.try_send(m).await.unwrap(), Handled::Replied);
        self.last_replies()
    }

    fn last_replies(&self) -> Vec<Reply> {
        self.mem
            .replies
            .lock()
            .unwrap()
            .last()
            .expect("a reply was dispatched")
            .replies
            .clone()
    }

    /// `quantity` plain bags in the cart, checked out with the tap `e1`: the order it made.
    async fn checked_out(&self, quantity: u32) -> Order {
        self.add(&conversation(), BAG, Vec::new(), quantity);
        let m = tap("e1", "p:c");
        self.send(&m).await;
        self.order_of(&m)
    }

    fn order_of(&self, m: &InboundMessage) -> Order {
        let id = self.settings.ids.order_id(&m.dedup_identity());
        self.orders.stored(&id).expect("the order was reserved")
    }

    fn customer(&self, c: &ConversationId) -> String {
        let session = self.mem.sessions.lock().unwrap().get(&c.key()).cloned();
        customer_id(&self.settings.ids, c, &session.unwrap_or_default())
    }

    fn notices(&self, kind: &str) -> usize {
        self.mem
            .replies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b.update.as_ref().is_some_and(|u| u.kind == kind))
            .count()
    }
}

fn telegram(id: &str) -> ConversationId {
    ConversationId::new(Channel::Telegram, id)
}

fn tap_in(c: &ConversationId, event: &str, payload: &str) -> InboundMessage {
    InboundMessage {
        conversation: c.clone(),
        ..tap(event, payload)
    }
}

fn text_of(reply: &Reply) -> &str {
    match reply {
        Reply::Text { body } | Reply::Link { body, .. } | Reply::Choices { body, .. } => body,
        other => panic!("no text in {other:?}"),
    }
}

fn pay_link(replies: &[Reply]) -> String {
    match replies.first() {
        Some(Reply::Link { url, .. }) => url.clone(),
        other => panic!("expected the pay link, got {other:?}"),
    }
}

fn paid_event(order: &Order) -> PaymentEvent {
    PaymentEvent::Paid {
        order_id: order.id.clone(),
        paid: PaidSession {
            session_id: order.checkout_session.clone().expect("a page"),
            amount_total: Some(order.total),
            currency: Some("usd".into()),
        },
    }
}

#[test]
fn plan_prices_the_cart_now_and_lists_stock_and_limits() {
    let catalog = crate::testing::sample_catalog();
    let drops = [spring()];
    let c = conversation();
    let mut cart = Cart::default();
    let planned = |cart: &Cart, drops: &[Drop]| {
        plan(
            &catalog,
            drops,
            cart,
            &c,
            "phone:x",
            Lang::EN,
            NOW,
            10,
            "o1",
            "o1.t",
        )
    };
    assert_eq!(
        planned(&cart, &drops),
        Err(CheckoutProblem::EmptyCart),
        "nothing to buy"
    );
    // The cart's own price is stale; the catalog's price now counts.
    cart.add(BAG, star(), 1).unwrap();
    let order = planned(&cart, &drops).unwrap();
    let unit = customization::unit_price(catalog.product(BAG).unwrap(), &star());
    assert_eq!(order.total, unit);
    assert!(unit > 1);
    assert_eq!(order.status, OrderStatus::Reserved);
    assert_eq!(order.expires_at, NOW + 600);
    assert_eq!(
        order.stock,
        vec![
            StockTake {
                drop: DROP.into(),
                sku: BAG.into(),
                quantity: 1
            },
            StockTake {
                drop: DROP.into(),
                sku: STAR.into(),
                quantity: 1
            },
        ]
    );
    assert_eq!(
        order.limits,
        vec![
            LimitTake {
                drop: DROP.into(),
                sku: None,
                quantity: 1,
                limit: 2
            },
            LimitTake {
                drop: DROP.into(),
                sku: Some(STAR.into()),
                quantity: 1,
                limit: 1
            },
        ]
    );
    // Two star charms break the charm's own limit of one before anything is reserved.
    cart.add(BAG, star(), 1).unwrap();
    assert_eq!(
        planned(&cart, &drops),
        Err(CheckoutProblem::OverLimit { limit: 1 })
    );
    // A drop that has not started, or has ended, sells nothing.
    let scheduled = Drop {
        status: DropStatus::Scheduled,
        ..spring()
    };
    assert!(matches!(
        planned(&cart, &[scheduled]),
        Err(CheckoutProblem::NotYet { .. })
    ));
    let ended = Drop {
        ends_at: Some(NOW),
        ..spring()
    };
    assert!(matches!(
        planned(&cart, &[ended]),
        Err(CheckoutProblem::Over { .. })
    ));
}

#[tokio::test]
async fn checkout_reserves_stock_and_limits_and_answers_with_the_pay_link() {
    let w = World::new();
    let c = conversation();
    w.add(&c, BAG, Vec::new(), 2);
    let m = tap("e1", "p:c");
    let replies = w.send(&m).await;
    let order = w.order_of(&m);
    assert_eq!(order.status, OrderStatus::Reserved);
    assert_eq!(pay_link(&replies), w.settings.pay_link(&order.pay_token));
    assert!(
        matches!(&replies[1], Reply::Image { url, .. } if *url == w.settings.qr_url(&order.pay_token))
    );
    let page = w.gateway.session_of(&order.id).expect("a checkout page");
    assert_eq!(order.checkout_session.as_deref(), Some(page.id.as_str()));
    assert_eq!(order.checkout_url.as_deref(), Some(page.url.as_str()));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (1, 2, 0));
    assert_eq!(w.orders.units(&order.customer, DROP, None), 2);
    assert!(order.customer.starts_with("phone:k1:"));
    // The cart now lives in the order.
    assert!(w.mem.sessions.lock().unwrap()[&c.key()].cart.is_empty());
    // The pay link finds the order and leads to the provider's page; the first visit is
    // noted on the order, and a later one keeps its time.
    assert_eq!(order.opened_at, None);
    assert_eq!(
        visit_pay_link(&order.pay_token, NOW, &w.orders, &w.gateway, &w.mem)
            .await
            .unwrap(),
        PayLinkVisit::Redirect(page.url.clone())
    );
    assert_eq!(w.orders.stored(&order.id).unwrap().opened_at, Some(NOW));
    assert_eq!(
        visit_pay_link(&order.pay_token, NOW + 60, &w.orders, &w.gateway, &w.mem)
            .await
            .unwrap(),
        PayLinkVisit::Redirect(page.url)
    );
    assert_eq!(w.orders.stored(&order.id).unwrap().opened_at, Some(NOW));
}

#[tokio::test]
async fn per_customer_limits_hold_per_drop_and_per_sku() {
    let w = World::new();
    let c = conversation();
    w.add(&c, BAG, Vec::new(), 1);
    w.add(&c, BAG, star(), 1);
    let first = tap("e1", "p:c");
    w.send(&first).await;
    let customer = w.order_of(&first).customer;
    assert_eq!(w.orders.units(&customer, DROP, None), 2);
    assert_eq!(w.orders.units(&customer, DROP, Some(STAR)), 1);

    // The drop's limit of two is used up: a third bag is refused, nothing taken.
    w.add(&c, BAG, Vec::new(), 1);
    let over = tap("e2", "p:c");
    let replies = w.send(&over).await;
    assert_eq!(text_of(&replies[0]), Msg::OverLimit(2).text(Lang::EN));
    assert!(
        w.orders
            .stored(&w.settings.ids.order_id(&over.dedup_identity()))
            .is_none()
    );
    assert_eq!(w.orders.units(&customer, DROP, None), 2);
    assert_eq!(w.orders.stock(DROP, BAG).available, 1);
    // The cart is kept for another try.
    assert!(!w.mem.sessions.lock().unwrap()[&c.key()].cart.is_empty());
}

#[tokio::test]
async fn a_sold_out_sku_takes_nothing() {
    let w = World::new();
    let ana = conversation();
    w.add(&ana, BAG, Vec::new(), 2);
    w.send(&tap("e1", "p:c")).await;

    let ken = telegram("4242");
    w.add(&ken, BAG, Vec::new(), 2);
    let m = tap_in(&ken, "e2", "p:c");
    let replies = w.send(&m).await;
    assert_eq!(
        text_of(&replies[0]),
        Msg::SoldOut("Drop Bag").text(Lang::EN)
    );
    assert!(
        w.orders
            .stored(&w.settings.ids.order_id(&m.dedup_identity()))
            .is_none()
    );
    assert_eq!(w.orders.units(&w.customer(&ken), DROP, None), 0);
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved), (1, 2));
}

#[tokio::test]
async fn a_lapsed_reservation_expires_its_page_then_gives_the_stock_back() {
    let w = World::new();
    let order = w.checked_out(1).await;
    assert!(
        w.orders
            .lapsed_reservations(order.expires_at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = w
        .orders
        .lapsed_reservations(order.expires_at + 1, 10)
        .await
        .unwrap();
    assert_eq!(due, vec![order.id.clone()]);

    // Paid at the last moment: the page cannot be expired, the reservation stands.
    let page = order.checkout_session.clone().unwrap();
    w.gateway.complete.lock().unwrap().insert(page.clone());
    let status = expire_order(&order, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), OrderStatus::Reserved);
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);

    w.gateway.complete.lock().unwrap().clear();
    let status = expire_order(&order, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), OrderStatus::Expired);
    assert_eq!(*w.gateway.expired.lock().unwrap(), vec![page]);
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved), (3, 0));
    assert_eq!(w.orders.units(&order.customer, DROP, None), 0);
    assert_eq!(w.notices("released"), 1);
    assert!(
        w.orders
            .lapsed_reservations(order.expires_at + 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Expiring again (the sweep and a pay-link visit racing) changes and tells nothing.
    let stale = expire_order(&order, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(stale.unwrap(), OrderStatus::Expired);
    assert_eq!(w.notices("released"), 1);
    assert_eq!(w.orders.stock(DROP, BAG).available, 3);
    assert_eq!(
        visit_pay_link(&order.pay_token, NOW, &w.orders, &w.gateway, &w.mem)
            .await
            .unwrap(),
        PayLinkVisit::Lapsed {
            number: order.number(),
            lang: Lang::EN,
        }
    );
}

#[tokio::test]
async fn cancel_releases_the_reservation_in_its_own_chat_only() {
    let w = World::new();
    let order = w.checked_out(2).await;
    let cancel = format!("p:x:{}", order.id);

    let stranger = telegram("999");
    let replies = w.send(&tap_in(&stranger, "e2", &cancel)).await;
    assert_eq!(text_of(&replies[0]), Msg::NotYourOrder.text(Lang::EN));
    assert_eq!(
        w.orders.stored(&order.id).unwrap().status,
        OrderStatus::Reserved
    );

    let replies = w.send(&tap("e3", &cancel)).await;
    assert_eq!(
        text_of(&replies[0]),
        Msg::ReservationCancelled(&order.number()).text(Lang::EN)
    );
    assert_eq!(
        w.orders.stored(&order.id).unwrap().status,
        OrderStatus::Cancelled
    );
    assert_eq!(
        *w.gateway.expired.lock().unwrap(),
        vec![order.checkout_session.clone().unwrap()]
    );
    assert_eq!(w.orders.stock(DROP, BAG).available, 3);
    assert_eq!(w.orders.units(&order.customer, DROP, None), 0);
    // The cancellation was its own answer: no "released" notice follows.
    assert!(w.orders.notice_sent(&order.id, "released").await.unwrap());
    tell_customer(&w.orders.stored(&order.id).unwrap(), &w.orders, &w.mem)
        .await
        .unwrap();
    assert_eq!(w.notices("released"), 0);
    // Cancelling twice only reports the order.
    let replies = w.send(&tap("e4", &cancel)).await;
    assert!(text_of(&replies[0]).contains(&order.number()));
    assert_eq!(w.orders.stock(DROP, BAG).available, 3);
}

#[tokio::test]
async fn a_cancel_that_loses_the_race_reports_the_order_as_it_is() {
    let w = World::new();
    let order = w.checked_out(1).await;
    // The payment lands between the cancel's read of the order and its release.
    *w.orders.moved_before_release.lock().unwrap() = Some(OrderStatus::Paid);
    let replies = w.send(&tap("e2", &format!("p:x:{}", order.id))).await;
    let said = text_of(&replies[0]);
    assert_ne!(
        said,
        Msg::ReservationCancelled(&order.number()).text(Lang::EN)
    );
    assert!(said.contains(&order.number()), "{said}");
    assert_eq!(
        w.orders.stored(&order.id).unwrap().status,
        OrderStatus::Paid
    );
    assert!(!w.orders.notice_sent(&order.id, "released").await.unwrap());
}

#[tokio::test]
async fn a_paid_page_cannot_be_cancelled() {
    let w = World::new();
    let order = w.checked_out(1).await;
    w.gateway
        .complete
        .lock()
        .unwrap()
        .insert(order.checkout_session.clone().unwrap());
    let replies = w.send(&tap("e2", &format!("p:x:{}", order.id))).await;
    assert_eq!(
        text_of(&replies[0]),
        Msg::AlreadyPaid(&order.number()).text(Lang::EN)
    );
    assert_eq!(
        w.orders.stored(&order.id).unwrap().status,
        OrderStatus::Reserved
    );
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);
}

#[tokio::test]
async fn reorder_checks_a_released_order_out_again() {
    let w = World::new();
    w.add(&conversation(), BAG, star(), 1);
    let m = tap("e1", "p:c");
    w.send(&m).await;
    let first = w.order_of(&m);
    let reorder = format!("p:r:{}", first.id);

    // While reserved, a reorder only reports the order.
    let replies = w.send(&tap("e2", &reorder)).await;
    assert!(text_of(&replies[0]).contains(&first.number()));
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);

    expire_order(&first, &w.orders, &w.gateway, &w.mem)
        .await
        .unwrap();
    let again = tap("e3", &reorder);
    let replies = w.send(&again).await;
    let second = w.order_of(&again);
    assert_ne!(second.id, first.id);
    assert_eq!(second.status, OrderStatus::Reserved);
    assert_eq!(second.stock, first.stock);
    assert_eq!(second.total, first.total);
    assert_eq!(pay_link(&replies), w.settings.pay_link(&second.pay_token));
    assert_ne!(second.pay_token, first.pay_token);
    assert_eq!(w.orders.stock(DROP, STAR).reserved, 1);
    assert_eq!(w.orders.units(&second.customer, DROP, Some(STAR)), 1);

    // Another chat cannot reorder it.
    let stranger = telegram("999");
    let replies = w.send(&tap_in(&stranger, "e4", &reorder)).await;
    assert_eq!(text_of(&replies[0]), Msg::NotYourOrder.text(Lang::EN));
}

#[tokio::test]
async fn a_payment_makes_the_sale_once() {
    let w = World::new();
    let order = w.checked_out(1).await;
    let event = paid_event(&order);
    let status = apply_payment_event("evt_1", &event, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), Some(OrderStatus::Paid));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (2, 0, 1));
    assert_eq!(w.notices("paid"), 1);
    let again = apply_payment_event("evt_1", &event, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(again.unwrap(), None);
    let other = apply_payment_event("evt_2", &event, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(other.unwrap(), Some(OrderStatus::Paid));
    assert_eq!(w.orders.stock(DROP, BAG).sold, 1);
    assert_eq!(w.notices("paid"), 1);
}

#[test]
fn return_urls_carry_the_language_beside_what_they_had() {
    let url = |u: &str| return_url(u, Lang::JA);
    assert_eq!(
        url("https://shop.example/paid"),
        "https://shop.example/paid?lang=ja"
    );
    assert_eq!(
        url("https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}"),
        "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}&lang=ja"
    );
    assert_eq!(
        url("https://shop.example/ok?"),
        "https://shop.example/ok?lang=ja"
    );
    assert_eq!(
        url("https://shop.example/ok#done"),
        "https://shop.example/ok?lang=ja#done"
    );
    assert_eq!(
        return_url("https://shop.example/ok?a=1#x?y", Lang::EN),
        "https://shop.example/ok?a=1&lang=en#x?y"
    );
}

#[tokio::test]
async fn a_pay_link_page_speaks_the_order_language() {
    let w = World::new();
    w.add(&conversation(), BAG, Vec::new(), 1);
    let m = InboundMessage {
        locale: Some("ja-JP".into()),
        ..tap("e1", "p:c")
    };
    w.send(&m).await;
    let order = w.order_of(&m);
    assert_eq!(order.lang, Lang::JA);
    // Stripe's return pages learn it from their URLs.
    let request = w.gateway.requests.lock().unwrap()[0].clone();
    assert_eq!(request.success_url, "https://shop.example/thanks?lang=ja");
    assert_eq!(request.cancel_url, "https://shop.example/back?lang=ja");
    let visit = || visit_pay_link(&order.pay_token, NOW, &w.orders, &w.gateway, &w.mem);
    let event = paid_event(&order);
    apply_payment_event("evt_1", &event, &w.orders, &w.gateway, &w.mem)
        .await
        .unwrap();
    assert_eq!(
        visit().await.unwrap(),
        PayLinkVisit::AlreadyPaid {
            number: order.number(),
            lang: Lang::JA,
        }
    );
}

#[tokio::test]
async fn a_late_payment_is_a_sale_while_the_stock_is_there() {
    let w = World::new();
    let order = w.checked_out(1).await;
    expire_order(&order, &w.orders, &w.gateway, &w.mem)
        .await
        .unwrap();
    assert_eq!(w.orders.units(&order.customer, DROP, None), 0);

    let status =
        apply_payment_event("evt_1", &paid_event(&order), &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), Some(OrderStatus::Paid));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (2, 0, 1));
    // The sale counts against the customer's limit again.
    assert_eq!(w.orders.units(&order.customer, DROP, None), 1);
    assert_eq!(w.notices("paid"), 1);
}

#[tokio::test]
async fn a_late_payment_without_stock_is_kept_for_a_person() {
    let w = World::new();
    let order = w.checked_out(1).await;
    expire_order(&order, &w.orders, &w.gateway, &w.mem)
        .await
        .unwrap();
    w.orders.sell_elsewhere(DROP, BAG, 3);

    let status =
        apply_payment_event("evt_1", &paid_event(&order), &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), Some(OrderStatus::PaidNeedsAttention));
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (0, 0, 3));
    assert_eq!(w.orders.units(&order.customer, DROP, None), 0);
    assert_eq!(w.notices("attention"), 1);
    let replies = w.last_replies();
    assert_eq!(
        text_of(&replies[0]),
        Msg::LatePayment(&order.number()).text(Lang::EN)
    );
}

#[tokio::test]
async fn a_payment_on_another_page_is_held_and_releases_the_reservation() {
    let w = World::new();
    let order = w.checked_out(1).await;
    let event = PaymentEvent::Paid {
        order_id: order.id.clone(),
        paid: PaidSession {
            session_id: "cs_test_other".into(),
            amount_total: Some(order.total),
            currency: Some("usd".into()),
        },
    };
    let status = apply_payment_event("evt_1", &event, &w.orders, &w.gateway, &w.mem).await;
    assert_eq!(status.unwrap(), Some(OrderStatus::PaidNeedsAttention));
    let held = w.orders.stored(&order.id).unwrap();
    assert_eq!(held.attention.len(), 1);
    assert_eq!(
        *w.gateway.expired.lock().unwrap(),
        vec![order.checkout_session.clone().unwrap()]
    );
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved, stock.sold), (3, 0, 0));
    assert_eq!(w.notices("attention"), 1);
}

#[tokio::test]
async fn a_chat_linked_to_a_phone_brings_its_units_along() {
    let w = World::new();
    let chat = telegram("4242");
    w.add(&chat, BAG, Vec::new(), 1);
    let first = tap_in(&chat, "e1", "p:c");
    w.send(&first).await;
    let before = w.order_of(&first);
    assert!(before.customer.starts_with("conv:k1:"));
    assert_eq!(w.orders.units(&before.customer, DROP, None), 1);

    // The customer shares the phone that also buys on WhatsApp.
    w.edit(&chat, |s| s.verify_phone(conversation().customer.clone()));
    let phone = w.customer(&chat);
    assert_eq!(phone, w.customer(&conversation()));
    w.add(&chat, BAG, Vec::new(), 2);
    let replies = w.send(&tap_in(&chat, "e2", "p:c")).await;
    // The chat's unit moved to the phone, so two more break the limit of two.
    assert_eq!(text_of(&replies[0]), Msg::OverLimit(2).text(Lang::EN));
    assert!(
        w.mem.sessions.lock().unwrap()[&chat.key()]
            .identity
            .is_linked()
    );
    assert_eq!(w.orders.units(&before.customer, DROP, None), 0);
    assert_eq!(w.orders.units(&phone, DROP, None), 1);

    // The first order's release counts against the phone's record now.
    w.send(&tap_in(&chat, "e3", &format!("p:x:{}", before.id)))
        .await;
    assert_eq!(w.orders.units(&phone, DROP, None), 0);
    assert_eq!(w.orders.units(&before.customer, DROP, None), 0);
    // And the phone buys the whole limit on WhatsApp.
    w.add(&conversation(), BAG, Vec::new(), 2);
    let m = tap("e4", "p:c");
    w.send(&m).await;
    assert_eq!(w.order_of(&m).status, OrderStatus::Reserved);
    assert_eq!(w.orders.units(&phone, DROP, None), 2);
}

#[tokio::test]
async fn a_redelivered_checkout_gets_the_same_pay_link() {
    let w = World::new();
    w.add(&conversation(), BAG, Vec::new(), 1);
    let m = tap("e1", "p:c");

    // The provider is down: the reservation stands and the queue redelivers.
    *w.gateway.fail_next.lock().unwrap() = Some(PaymentError::Unavailable("timeout".into()));
    assert!(w.try_send(&m).await.is_err());
    assert_eq!(w.order_of(&m).checkout_session, None);
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);

    // The redelivery finds the order, gets its page, and answers.
    let link = pay_link(&w.send(&m).await);
    let order = w.order_of(&m);
    assert_eq!(link, w.settings.pay_link(&order.pay_token));
    assert_eq!(w.gateway.requests.lock().unwrap().len(), 1);

    // A delivery after the answer changes nothing.
    assert_eq!(w.try_send(&m).await.unwrap(), Handled::Duplicate);

    // Same event, crash between the commit and the reply: the same answer is sent.
    let w2 = World::new();
    w2.add(&conversation(), BAG, Vec::new(), 1);
    *w2.mem.fail_dispatch.lock().unwrap() = true;
    assert!(w2.try_send(&m).await.is_err());
    assert_eq!(pay_link(&w2.send(&m).await), link);

    // Lost marker, cart still there (a crash before the commit): the order and page are
    // found again, not made twice.
    w.mem.markers.lock().unwrap().clear();
    w.add(&conversation(), BAG, Vec::new(), 1);
    assert_eq!(pay_link(&w.send(&m).await), link);
    assert_eq!(w.gateway.requests.lock().unwrap().len(), 1);
    assert_eq!(
        w.gateway.session_of(&order.id).unwrap().id,
        order.checkout_session.unwrap()
    );
    let stock = w.orders.stock(DROP, BAG);
    assert_eq!((stock.available, stock.reserved), (2, 1));
}

#[tokio::test]
async fn a_refused_checkout_releases_the_reservation() {
    let w = World::new();
    w.add(&conversation(), BAG, Vec::new(), 1);
    let m = tap("e1", "p:c");
    *w.gateway.fail_next.lock().unwrap() = Some(PaymentError::Refused("bad".into()));
    let replies = w.send(&m).await;
    assert_eq!(text_of(&replies[0]), Msg::PaymentUnavailable.text(Lang::EN));
    assert_eq!(w.order_of(&m).status, OrderStatus::Cancelled);
    assert_eq!(w.orders.stock(DROP, BAG).available, 3);
    assert_eq!(w.orders.units(&w.customer(&conversation()), DROP, None), 0);
}

#[tokio::test]
async fn a_drop_not_yet_open_is_announced_on_the_customers_clock() {
    // One hour after NOW (2026-01-01T00:00Z): 10:00 in Tokyo; Brazil has several zones, so a
    // Brazilian number reads the market's zone (Sao Paulo, UTC-3 all year).
    let mut catalog = crate::testing::sample_catalog();
    let mut market = crate::market::Market::implicit(catalog.currency);
    market.time_zone = Some("America/Sao_Paulo".into());
    catalog.markets = vec![market];
    let w = World {
        mem: Memory {
            catalog: Some(std::sync::Arc::new(catalog)),
            ..Default::default()
        },
        orders: MemoryOrders::with_drops(vec![Drop {
            status: DropStatus::Scheduled,
            starts_at: NOW + 3600,
            ..spring()
        }]),
        ..World::new()
    };
    for (customer, when) in [
        ("819012345678", "Jan 1, 2026, 10:00\u{202f}AM GMT+9"),
        ("5511987654321", "Dec 31, 2025, 10:00\u{202f}PM GMT-3"),
    ] {
        let c = ConversationId::new(Channel::Whatsapp, customer);
        w.add(&c, BAG, Vec::new(), 1);
        let mut m = tap(&format!("e-{customer}"), "p:c");
        m.conversation = c;
        let replies = w.send(&m).await;
        assert!(text_of(&replies[0]).contains(when), "{replies:?}");
    }
}
