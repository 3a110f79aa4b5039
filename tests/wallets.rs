//! Wallets through Stripe Checkout, end to end: a market's payment methods reach Stripe with
//! the options each needs, and a method that settles later (a Konbini voucher) holds the
//! reservation to its deadline, tells the customer by when to pay, and ends in a sale or a
//! release when Stripe's async event comes.

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::market::Market;
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::payment_method::PaymentMethod;
use chatdrop_domain::ports::OrderStore;
use chatdrop_e2e::{Harness, OutboxEntry, all_text, bag_drop, button_ids};

/// The sample catalog sold in yen in Japan, by card or at a konbini.
fn japan() -> Catalog {
    let mut catalog: Catalog = toml::from_str(include_str!("../cli/catalogs/sample.toml")).unwrap();
    catalog.currency = Currency::JPY;
    catalog.markets = vec![Market {
        id: "jp".into(),
        payment_methods: vec![PaymentMethod::Card, PaymentMethod::Konbini],
        ..Market::implicit(Currency::JPY)
    }];
    catalog.validate().expect("the market is valid");
    catalog
}

/// The order id a checkout's cancel button names.
fn order_in(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .flat_map(button_ids)
        .find_map(|id| id.strip_prefix("p:x:").map(str::to_string))
        .expect("a cancel button naming the order")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_konbini_voucher_holds_the_drop_until_it_is_paid_or_lapses() {
    let h = Harness::start("wallets").await;
    h.stack.load_catalog(&japan()).await.unwrap();
    let mut drop = bag_drop("konbini", 2, None);
    drop.delayed_payment_days = Some(3);
    h.stack.open_drop(&drop).await.unwrap();
    let store = h.stack.store();

    // Checkout sends both methods, and Konbini's voucher days.
    let ana = h.whatsapp("819012345601");
    h.add_plain_bag(&ana).await;
    let order_id = order_in(&h.tap(&ana, "p:c").await);
    let sessions = h.stack.stripe.sessions().await.unwrap();
    let session = &sessions[0];
    assert_eq!(session.currency, "jpy");
    assert_eq!(session.allowed_payment_method_types, ["card", "konbini"]);
    assert_eq!(
        session.payment_method_options["konbini"]["expires_after_days"],
        "3"
    );
    let reserved = store.order(&order_id).await.unwrap().unwrap();

    // Ana chooses Konbini: the session completes unpaid; she is told by when to pay.
    let before = h.stack.last_seq().await.unwrap();
    let chosen = h
        .stack
        .stripe
        .pay_with(&session.id, "konbini")
        .await
        .unwrap();
    assert!(chosen.delivery.succeeded(), "{chosen:?}");
    let told = all_text(&h.stack.replies_after(&ana.id, before).await.unwrap());
    assert!(
        told.contains(&format!(
            "Order {} is held for you until",
            reserved.number()
        )) && told.contains("GMT+9"),
        "{told}"
    );
    let held = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(held.status, OrderStatus::Reserved);
    assert!(
        held.expires_at > reserved.expires_at + 2 * 86_400,
        "held to the voucher's deadline"
    );
    // The sweep after the old expiry leaves the held reservation alone.
    h.stack.sweep_at(reserved.expires_at + 60).await.unwrap();
    assert_eq!(
        store.order(&order_id).await.unwrap().unwrap().status,
        OrderStatus::Reserved
    );
    assert_eq!(
        store.drop_stock("konbini").await.unwrap()[0].2,
        1,
        "still reserved"
    );

    // She pays at the store: Stripe's async event makes the sale.
    let before = h.stack.last_seq().await.unwrap();
    let paid = h
        .stack
        .stripe
        .async_payment_succeeded(&session.id)
        .await
        .unwrap();
    assert!(paid.delivery.succeeded(), "{paid:?}");
    let confirmation = all_text(&h.stack.replies_after(&ana.id, before).await.unwrap());
    assert!(confirmation.contains("is paid"), "{confirmation}");
    assert!(confirmation.contains("¥12,000"), "{confirmation}");
    assert_eq!(
        store.order(&order_id).await.unwrap().unwrap().status,
        OrderStatus::Paid
    );

    // Ken's voucher lapses unpaid: released, and he hears why.
    let ken = h.whatsapp("819012345602");
    h.add_plain_bag(&ken).await;
    let kens_order = order_in(&h.tap(&ken, "p:c").await);
    let sessions = h.stack.stripe.sessions().await.unwrap();
    let kens_session = sessions
        .iter()
        .find(|s| s.client_reference_id.as_deref() == Some(kens_order.as_str()))
        .unwrap();
    h.stack
        .stripe
        .pay_with(&kens_session.id, "konbini")
        .await
        .unwrap();
    let before = h.stack.last_seq().await.unwrap();
    h.stack
        .stripe
        .async_payment_failed(&kens_session.id)
        .await
        .unwrap();
    let told = all_text(&h.stack.replies_after(&ken.id, before).await.unwrap());
    assert!(told.contains("did not arrive in time"), "{told}");
    assert_eq!(
        store.order(&kens_order).await.unwrap().unwrap().status,
        OrderStatus::Expired
    );
    let stock = store.drop_stock("konbini").await.unwrap();
    assert_eq!((stock[0].1, stock[0].2, stock[0].3), (1, 0, 1));
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_that_may_not_wait_offers_only_what_pays_at_once() {
    let h = Harness::start("wallets-now").await;
    h.stack.load_catalog(&japan()).await.unwrap();
    h.stack
        .open_drop(&bag_drop("cards", 2, None))
        .await
        .unwrap();
    let ana = h.whatsapp("819012345603");
    h.add_plain_bag(&ana).await;
    h.tap(&ana, "p:c").await;
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions[0].allowed_payment_method_types, ["card"]);
    assert!(sessions[0].payment_method_options.is_empty());
    h.stack.stop().await;
}
