//! Prices per market through the cart and the checkout, driven as the functions drive them:
//! the same bag, customized the same way, costs what its market's price list says, in that
//! market's currency.

use crate::channel::{Channel, ConversationId};
use crate::checkout::{self, CheckoutSettings, PaymentPorts};
use crate::i18n::Lang;
use crate::ids::{IdKey, TEST_KEY};
use crate::inbound::{InboundContent, InboundMessage};
use crate::money::{Currency, Money};
use crate::process::Handled;
use crate::reply::Reply;
use crate::testing::{Memory, maison_catalog, message};
use crate::testing_orders::{MemoryGateway, MemoryOrders};

const NOW: i64 = 1_767_225_600;

fn in_chat(c: &ConversationId, event: &str, content: InboundContent) -> InboundMessage {
    InboundMessage {
        conversation: c.clone(),
        ..message(event, content)
    }
}

fn tap(c: &ConversationId, event: &str, payload: &str) -> InboundMessage {
    in_chat(
        c,
        event,
        InboundContent::Action {
            payload: payload.into(),
            title: None,
        },
    )
}

fn typed(c: &ConversationId, event: &str, body: &str) -> InboundMessage {
    in_chat(c, event, InboundContent::Text { body: body.into() })
}

/// Runs a message as ingress and the queues would: routed by payload, hand-offs followed.
async fn run(mem: &Memory, msg: InboundMessage) -> String {
    mem.run(msg)
        .await
        .iter()
        .flat_map(|b| b.replies.clone())
        .map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } | Reply::Link { body, .. } => body,
            Reply::Image { url, .. } => url,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Customizes the atelier bag in ostrich, black, gold, with the horse charm and initials.
async fn customize(mem: &Memory, c: &ConversationId) -> String {
    run(mem, tap(c, "m1", "k:a:atelier-bag")).await;
    run(mem, tap(c, "m2", "k:o:atelier-bag:leather:ostrich")).await;
    run(mem, tap(c, "m3", "k:o:atelier-bag:colour:noir")).await;
    run(mem, tap(c, "m4", "k:o:atelier-bag:hardware:gold")).await;
    run(mem, tap(c, "m5", "k:o:atelier-bag:charm:horse")).await;
    run(mem, typed(c, "m6", "AB")).await
}

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

#[test]
fn each_market_reads_its_own_price_list() {
    let catalog = maison_catalog();
    let bag = catalog.product("atelier-bag").unwrap();
    let wechat = catalog.market_for(Channel::Wechat);
    let line = catalog.market_for(Channel::Line);
    assert_eq!(
        catalog.price(&wechat, bag),
        Some(Money::new(3_800_000, Currency::CNY))
    );
    assert_eq!(
        catalog.price(&line, bag),
        Some(Money::new(18_500_000, Currency::THB))
    );
    let gold = match &bag.option_groups[2].kind {
        crate::catalog::GroupKind::Choice { options } => &options[1],
        crate::catalog::GroupKind::Text { .. } => unreachable!("hardware is a choice"),
    };
    assert_eq!(catalog.option_delta(&wechat, gold), 300_000);
    assert_eq!(catalog.option_delta(&line, gold), 1_400_000);
    // Not for sale where it has no price: a market the catalog does not declare.
    let elsewhere = crate::market::Market::implicit(Currency::JPY);
    assert_eq!(catalog.price(&elsewhere, bag), None);
}

#[tokio::test]
async fn the_cart_shows_the_conversations_market_prices() {
    let mem = Memory::with_catalog(maison_catalog());
    let wechat = ConversationId::new(Channel::Wechat, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    let detail = run(&mem, tap(&wechat, "m0", "c:p:atelier-bag")).await;
    // The WeChat market speaks zh-Hans, where CLDR writes the yuan as ¥.
    assert!(detail.contains("¥38,000.00~"), "{detail}");
    let added = customize(&mem, &wechat).await;
    // 38,000 + 12,000 ostrich + 3,000 gold + 2,500 horse + 500 initials, in yuan.
    assert!(added.contains("¥56,000.00"), "{added}");

    let line = ConversationId::new(Channel::Line, "U4af4980629a0a3f6f1a2b3c4d5e6f7a8");
    let added = customize(&mem, &line).await;
    // 185,000 + 58,000 + 14,000 + 12,000 + 2,400, in baht.
    // The LINE market speaks Thai, whose CLDR data writes the baht as ฿.
    assert!(added.contains("฿271,400.00"), "{added}");
    let carts = mem.sessions.lock().unwrap();
    assert_eq!(carts[&wechat.key()].cart.lines[0].unit_price, 5_600_000);
    assert_eq!(carts[&line.key()].cart.lines[0].unit_price, 27_140_000);
}

#[tokio::test]
async fn checkout_charges_the_market_price_in_the_market_currency() {
    let mem = Memory::with_catalog(maison_catalog());
    let orders = MemoryOrders::with_drops(Vec::new());
    let gateway = MemoryGateway::default();
    let settings = settings();
    let ports = PaymentPorts {
        sessions: &mem,
        catalogs: &mem,
        orders: &orders,
        gateway: &gateway,
        dispatch: &mem,
    };
    let whatsapp = ConversationId::new(Channel::Whatsapp, "5511987654321");
    customize(&mem, &whatsapp).await;
    // A cart line stored with a stale price: the checkout prices it from the catalog now.
    mem.sessions
        .lock()
        .unwrap()
        .get_mut(&whatsapp.key())
        .unwrap()
        .cart
        .lines[0]
        .unit_price = 1;
    let m = tap(&whatsapp, "p1", "p:c");
    let handled = checkout::handle(&m, &ports, &settings, NOW).await.unwrap();
    assert_eq!(handled, Handled::Replied);
    let order = orders
        .stored(&settings.ids.order_id(&m.dedup_identity()))
        .expect("an order was reserved");
    // 29,000 + 9,000 + 2,200 + 1,800 + 350, in reais.
    assert_eq!(order.currency, Currency::BRL);
    assert_eq!(order.total, 4_235_000);
    let request = gateway.requests.lock().unwrap()[0].clone();
    assert_eq!(request.currency, Currency::BRL);
}
