//! The payment path in memory: checkout, limits, lapses, cancels, reorders and late payments,
//! driven through [`handle`] and the event functions as the payment function drives them.
//!
//! This file holds the world the tests share and the checkout's own tests (plan, reservation,
//! limits, redelivery); what happens after the sale is in `checkout_after_sale_tests.rs`.

use super::*;
use crate::cart::Cart;
use crate::channel::{Channel, ConversationId};
use crate::customization::{self, Selection};
use crate::dialogue::Session;
use crate::drops::{Drop, DropSku, DropStatus};
use crate::i18n::Msg;
use crate::ids::{IdKey, TEST_KEY};
use crate::order_events::*;
use crate::orders::{LimitTake, Order, StockTake};
use crate::pay_link::*;
use crate::payment::PaidSession;
use crate::testing::{Memory, conversation, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};

#[path = "checkout_after_sale_tests.rs"]
mod after_sale;

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

    // A delivery after the answer changes nothing: the marker holds the answer (no "done"
    // write after one), so the same bundle is queued again, which notify sends once; that
    // delivery marks it done, and the next is a duplicate.
    let answered = w.mem.replies.lock().unwrap().last().unwrap().id.clone();
    assert_eq!(w.try_send(&m).await.unwrap(), Handled::Replied);
    assert_eq!(w.mem.replies.lock().unwrap().last().unwrap().id, answered);
    assert_eq!(w.gateway.requests.lock().unwrap().len(), 1);
    assert_eq!(w.orders.stock(DROP, BAG).reserved, 1);
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
