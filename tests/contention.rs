//! Contention against moto, with DynamoDB serialized as the real service is atomic per item:
//! a flash crowd of concurrent checkouts sells exactly the stock, and a per-customer limit holds
//! across two chats of one phone number checking out at the same moment.
//!
//! The checkouts run the payment function's own logic (`checkout::handle`) on the real store,
//! the fake Stripe and a capturing dispatch, many at once. The figures print with
//! `cargo xtask test -p chatdrop-e2e --test contention -- --nocapture`.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::customization::Selection;
use chatdrop_domain::drops::DropStatus;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::{OrderStore, SessionStore};
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_e2e::{Harness, bag_drop};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use xtask::crowd::{self, Captured, got_pay_link, plain_bag, text_of};

const BUYERS: usize = 1_000;
const STOCK: u32 = 100;
/// Concurrent checkouts: more only queue up on moto's lock.
const IN_FLIGHT: usize = 16;

/// One buyer's cart, seeded straight into the store.
async fn seed_cart(
    store: &impl SessionStore,
    conversation: &ConversationId,
    product: &str,
    selections: Vec<Selection>,
    verified_phone: Option<&str>,
) {
    crowd::seed_cart(store, conversation, product, selections, verified_phone)
        .await
        .unwrap();
}

fn checkout_message(conversation: &ConversationId, n: usize) -> InboundMessage {
    crowd::checkout_message(conversation, n, SystemClock.now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_checkouts_sell_exactly_the_stock() {
    let h = Harness::start_without_consumers("flash").await;
    h.stack
        .open_drop(&bag_drop("flash", STOCK, Some(1)))
        .await
        .unwrap();
    let store = Arc::new(h.stack.store());
    let gateway = Arc::new(h.stack.gateway().unwrap());
    let captured = Arc::new(Captured::default());
    let settings = Arc::new(h.stack.config.checkout_settings(xtask::dev::id_key()));

    let buyers: Vec<ConversationId> = (0..BUYERS)
        .map(|i| ConversationId::new(Channel::Whatsapp, format!("55118{i:08}")))
        .collect();
    for buyer in &buyers {
        seed_cart(store.as_ref(), buyer, "drop-bag", plain_bag(), None).await;
    }

    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for (n, buyer) in buyers.iter().enumerate() {
        let (store, gateway, captured, settings, gate) = (
            store.clone(),
            gateway.clone(),
            captured.clone(),
            settings.clone(),
            gate.clone(),
        );
        let message = checkout_message(buyer, n);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let ports = PaymentPorts {
                sessions: store.as_ref(),
                catalogs: store.as_ref(),
                orders: store.as_ref(),
                gateway: gateway.as_ref(),
                dispatch: captured.as_ref(),
            };
            let begun = Instant::now();
            // A conflicting transaction is retried by the queue in production; here, at once.
            for _ in 0..5 {
                if checkout::handle(&message, &ports, &settings, SystemClock.now())
                    .await
                    .is_ok()
                {
                    return begun.elapsed();
                }
            }
            panic!("checkout kept failing");
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();

    let bundles = captured.0.lock().unwrap().clone();
    assert_eq!(bundles.len(), BUYERS, "every buyer got an answer");
    let sold: Vec<&ReplyBundle> = bundles.iter().filter(|b| got_pay_link(b)).collect();
    let sold_out = bundles
        .iter()
        .filter(|b| text_of(b) == "Sorry, Drop Bag is sold out. Your cart is unchanged.")
        .count();
    assert_eq!(sold.len(), STOCK as usize, "exactly the stock was reserved");
    assert_eq!(
        sold_out,
        BUYERS - STOCK as usize,
        "everyone else heard it is sold out"
    );
    let stock = store.drop_stock("flash").await.unwrap();
    assert_eq!(stock, [("drop-bag".to_string(), 0, i64::from(STOCK), 0)]);
    let orders = store.all_orders().await.unwrap();
    assert_eq!(
        orders
            .iter()
            .filter(|o| o.status == OrderStatus::Reserved)
            .count(),
        STOCK as usize
    );
    let oversold = (stock[0].2 + stock[0].3) - i64::from(STOCK);
    eprintln!(
        "contention: {BUYERS} checkouts ({IN_FLIGHT} in flight) for {STOCK} units in {:.1} s = {:.0} checkouts/s; reserved {}, sold-out answers {sold_out}, oversold {oversold}; latency p50 {:?} p99 {:?}",
        elapsed.as_secs_f64(),
        BUYERS as f64 / elapsed.as_secs_f64(),
        sold.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_phone_on_two_chats_gets_one_unit_under_a_limit_of_one() {
    let h = Harness::start_without_consumers("linked").await;
    let store = Arc::new(h.stack.store());
    let gateway = Arc::new(h.stack.gateway().unwrap());
    let captured = Arc::new(Captured::default());
    let settings = h.stack.config.checkout_settings(xtask::dev::id_key());
    for round in 0..5u32 {
        let drop_id = format!("limit{round}");
        h.stack
            .open_drop(&bag_drop(&drop_id, 10, Some(1)))
            .await
            .unwrap();
        // One person: WhatsApp carries the number; Telegram had it shared via the contact
        // button (as `browse` records it on the session).
        let phone = format!("81905555{round:04}");
        let whatsapp = ConversationId::new(Channel::Whatsapp, phone.clone());
        let telegram = ConversationId::new(Channel::Telegram, format!("70055{round:05}"));
        seed_cart(store.as_ref(), &whatsapp, "drop-bag", plain_bag(), None).await;
        seed_cart(
            store.as_ref(),
            &telegram,
            "drop-bag",
            plain_bag(),
            Some(&format!("+{phone}")),
        )
        .await;
        let ports = PaymentPorts {
            sessions: store.as_ref(),
            catalogs: store.as_ref(),
            orders: store.as_ref(),
            gateway: gateway.as_ref(),
            dispatch: captured.as_ref(),
        };
        let (from_whatsapp, from_telegram) = (
            checkout_message(&whatsapp, 1),
            checkout_message(&telegram, 1),
        );
        let (a, b) = tokio::join!(
            checkout::handle(&from_whatsapp, &ports, &settings, SystemClock.now()),
            checkout::handle(&from_telegram, &ports, &settings, SystemClock.now()),
        );
        a.unwrap();
        b.unwrap();
        let stock = store.drop_stock(&drop_id).await.unwrap();
        assert_eq!(stock[0].2, 1, "round {round}: one unit reserved, not two");
        // A SKU sells in one open drop at a time: close this round's before the next opens.
        store
            .set_drop_status(&drop_id, DropStatus::Closed)
            .await
            .unwrap();
    }
    let bundles = captured.0.lock().unwrap().clone();
    assert_eq!(bundles.iter().filter(|b| got_pay_link(b)).count(), 5);
    assert_eq!(
        bundles
            .iter()
            .filter(|b| text_of(b).contains("allows 1 per customer"))
            .count(),
        5
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_reserved_before_a_phone_is_linked_count_after_it() {
    let h = Harness::start_without_consumers("prelink").await;
    let store = h.stack.store();
    let gateway = h.stack.gateway().unwrap();
    let captured = Captured::default();
    let settings = h.stack.config.checkout_settings(xtask::dev::id_key());
    h.stack
        .open_drop(&bag_drop("prelink", 10, Some(1)))
        .await
        .unwrap();
    let ports = PaymentPorts {
        sessions: &store,
        catalogs: &store,
        orders: &store,
        gateway: &gateway,
        dispatch: &captured,
    };
    let phone = "819077770000";
    let telegram = ConversationId::new(Channel::Telegram, "7007770000");
    let whatsapp = ConversationId::new(Channel::Whatsapp, phone);

    // Telegram reserves a unit before any phone is known: it counts on the chat's own record.
    seed_cart(&store, &telegram, "drop-bag", plain_bag(), None).await;
    checkout::handle(
        &checkout_message(&telegram, 1),
        &ports,
        &settings,
        SystemClock.now(),
    )
    .await
    .unwrap();
    assert_eq!(store.drop_stock("prelink").await.unwrap()[0].2, 1);

    // The customer shares their phone on Telegram, then tries again there and on WhatsApp.
    seed_cart(
        &store,
        &telegram,
        "drop-bag",
        plain_bag(),
        Some("+81 90 7777 0000"),
    )
    .await;
    checkout::handle(
        &checkout_message(&telegram, 2),
        &ports,
        &settings,
        SystemClock.now(),
    )
    .await
    .unwrap();
    seed_cart(&store, &whatsapp, "drop-bag", plain_bag(), None).await;
    checkout::handle(
        &checkout_message(&whatsapp, 1),
        &ports,
        &settings,
        SystemClock.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        store.drop_stock("prelink").await.unwrap()[0].2,
        1,
        "the linked record already holds its one unit"
    );
    let refusals = captured
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|b| text_of(b).contains("allows 1 per customer"))
        .count();
    assert_eq!(refusals, 2);

    // The first reservation is cancelled: its unit leaves the phone's record, so WhatsApp can buy.
    let first = store.orders_of(&telegram).await.unwrap().pop().unwrap();
    assert!(store.release(&first, OrderStatus::Cancelled).await.unwrap());
    checkout::handle(
        &checkout_message(&whatsapp, 2),
        &ports,
        &settings,
        SystemClock.now(),
    )
    .await
    .unwrap();
    let bundles = captured.0.lock().unwrap().clone();
    assert!(
        got_pay_link(bundles.last().unwrap()),
        "{:?}",
        bundles.last()
    );
    h.stack.stop().await;
}
