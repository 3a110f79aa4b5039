//! Paying in the chat, end to end: checkout reserves the drop's stock and answers with a pay
//! link and its QR code; the (fake) Stripe page is paid or lapses; the customer hears the
//! outcome in the same chat; the stock and the order end consistent, whatever the order and
//! number of Stripe's deliveries.

use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::order_events::{self, PaymentEvent};
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::payment::PaidSession;
use chatdrop_domain::ports::{OrderStore, PaidOutcome};
use chatdrop_e2e::{Harness, OutboxEntry, all_text, bag_drop, button_ids};

/// A payment of `order` in full on its own checkout page, as Stripe's event reports it.
fn paid_in_full(order: &Order) -> PaymentEvent {
    PaymentEvent::Paid {
        order_id: order.id.clone(),
        paid: PaidSession {
            session_id: order.checkout_session.clone().expect("a checkout page"),
            amount_total: Some(order.total),
            currency: Some(order.currency.code().to_lowercase()),
        },
    }
}

/// The pay link, QR URL and order id from the replies to a checkout.
fn checkout_parts(replies: &[OutboxEntry]) -> (String, String, String) {
    let mut link = None;
    let mut qr = None;
    let mut order = None;
    for r in replies {
        let b = &r.body;
        if let Some(url) = b["interactive"]["action"]["parameters"]["url"].as_str() {
            link = Some(url.to_string());
        }
        if let Some(url) = b["image"]["link"].as_str().or(b["photo"].as_str()) {
            qr = Some(url.to_string());
        }
        for row in b["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(url) = row[0]["url"].as_str() {
                link = Some(url.to_string());
            }
        }
        for id in button_ids(r) {
            if let Some(o) = id.strip_prefix("p:x:") {
                order = Some(o.to_string());
            }
        }
    }
    (
        link.expect("a pay link"),
        qr.expect("a QR image"),
        order.expect("a cancel button naming the order"),
    )
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_chat_to_paid_order_to_confirmation() {
    let h = Harness::start("pay-wa").await;
    h.stack
        .open_drop(&bag_drop("winter", 3, Some(2)))
        .await
        .unwrap();
    let ana = h.whatsapp("819012345678");
    h.add_plain_bag(&ana).await;

    let replies = h.tap(&ana, "p:c").await;
    assert_eq!(replies.len(), 3, "{replies:#?}");
    assert_eq!(replies[0].body["interactive"]["type"], "cta_url");
    assert_eq!(
        replies[0].body["interactive"]["body"]["text"],
        "1 × Drop Bag (Black, Canvas strap) — $120.00\nReserved for you for 10 minutes. Total $120.00.\nPay securely with Stripe:"
    );
    assert_eq!(
        replies[0].body["interactive"]["action"]["parameters"]["display_text"],
        "Pay now"
    );
    let (link, qr, order_id) = checkout_parts(&replies);
    assert!(link.starts_with(&format!("{}/p/", h.stack.url)), "{link}");
    assert_eq!(
        replies[1].body["image"]["caption"],
        "Or scan this code to pay on another device."
    );

    // The QR code is our pay link, exactly.
    let (status, _, png) = h.get_raw(&qr).await;
    assert_eq!(status, 200);
    assert_eq!(decode_qr(&png), link);

    // The pay link sends the customer to the Stripe page while the reservation holds.
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(
        session.client_reference_id.as_deref(),
        Some(order_id.as_str())
    );
    assert_eq!(session.amount_total, 12_000);
    assert_eq!(session.currency, "usd");
    assert_eq!(session.line_items[0].name, "Drop Bag");
    assert_eq!(
        session.line_items[0].description.as_deref(),
        Some("Drop Bag (Black, Canvas strap)")
    );
    assert!(
        session.expires_at >= SystemClock.now() + 30 * 60 - 5,
        "Stripe's minimum"
    );
    let (status, location, _) = h.get_raw(&link).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some(session.url.as_str()));

    let store = h.stack.store();
    let stock = store.drop_stock("winter").await.unwrap();
    assert_eq!(stock, [("drop-bag".to_string(), 2, 1, 0)]);

    // The customer pays; Stripe's event reaches the webhook; the confirmation reaches the chat.
    let before = h.stack.last_seq().await.unwrap();
    let emitted = h.stack.stripe.pay(&session.id).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    let confirmation = h.stack.replies_after(&ana.id, before).await.unwrap();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        all_text(&confirmation),
        format!(
            "Thank you! Order {} is paid.\n1 × Drop Bag (Black, Canvas strap) — $120.00\nTotal: $120.00\nWe'll message you here when it ships.",
            order.number()
        )
    );
    assert_eq!(
        store.drop_stock("winter").await.unwrap(),
        [("drop-bag".to_string(), 2, 0, 1)]
    );

    // Stripe delivers the same event again: nothing changes, nothing is sent.
    let after = h.stack.last_seq().await.unwrap();
    let again = h.stack.stripe.resend(&emitted.event_id).await.unwrap();
    assert!(again.succeeded());
    h.assert_silence(&ana.id, after).await;
    assert_eq!(
        store.drop_stock("winter").await.unwrap(),
        [("drop-bag".to_string(), 2, 0, 1)]
    );

    // The pay link now says the order is paid; "orders" lists it.
    let (status, _, page) = h.get_raw(&link).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(page).unwrap().contains("Already paid"));
    let replies = h.say(&ana, "orders").await;
    assert_eq!(
        all_text(&replies),
        format!("Your orders:\n#{} — paid — $120.00", order.number())
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_reservation_lapses_the_stock_returns_and_checking_out_again_works() {
    let h = Harness::start("pay-tg").await;
    h.stack
        .open_drop(&bag_drop("spring", 1, None))
        .await
        .unwrap();
    let ken = h.telegram(7000000301, None);
    h.add_plain_bag(&ken).await;
    let replies = h.tap(&ken, "p:c").await;
    assert_eq!(
        replies.iter().filter(|r| r.method == "sendPhoto").count(),
        1
    );
    let (link, _, order_id) = checkout_parts(&replies);
    let store = h.stack.store();
    assert_eq!(store.drop_stock("spring").await.unwrap()[0].1, 0);

    // While Ken holds the last unit, Ana is told it is sold out, and her cart stays.
    let ana = h.whatsapp("5511900000301");
    h.add_plain_bag(&ana).await;
    let replies = h.tap(&ana, "p:c").await;
    assert_eq!(
        all_text(&replies),
        "Sorry, Drop Bag is sold out. Your cart is unchanged."
    );
    assert!(all_text(&h.say(&ana, "cart").await).contains("Drop Bag (Black, Canvas strap) × 1"));

    // Ten minutes pass without payment: the sweep expires the Stripe page, then releases.
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(
        h.stack.sweep_at(SystemClock.now() + 11 * 60).await.unwrap(),
        1
    );
    let told = h.stack.replies_after(&ken.id, before).await.unwrap();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Expired);
    assert!(all_text(&told).starts_with(&format!(
        "Your reservation {} has lapsed, so the items went back on sale.",
        order.number()
    )));
    assert_eq!(
        button_ids(&told[0]),
        [format!("p:r:{order_id}"), "c:m".into()]
    );
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(
        sessions[0].status, "expired",
        "expired before the stock was released"
    );
    assert_eq!(
        store.drop_stock("spring").await.unwrap(),
        [("drop-bag".to_string(), 1, 0, 0)]
    );
    let (status, _, _) = h.get_raw(&link).await;
    assert_eq!(status, 410, "a lapsed pay link refuses");

    // A duplicate sweep changes nothing; "check out again" reserves anew.
    assert_eq!(
        h.stack.sweep_at(SystemClock.now() + 11 * 60).await.unwrap(),
        0
    );
    let replies = h.tap(&ken, &format!("p:r:{order_id}")).await;
    let (_, _, second) = checkout_parts(&replies);
    assert_ne!(second, order_id);
    assert_eq!(store.drop_stock("spring").await.unwrap()[0].1, 0);

    // Ken cancels instead of paying: the stock returns at once.
    let replies = h.tap(&ken, &format!("p:x:{second}")).await;
    assert!(all_text(&replies).ends_with("is cancelled and nothing was charged."));
    assert_eq!(store.drop_stock("spring").await.unwrap()[0].1, 1);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_the_lapse_is_sold_if_stock_remains_and_flagged_if_it_was_resold() {
    let h = Harness::start("pay-late").await;
    h.stack.open_drop(&bag_drop("late", 1, None)).await.unwrap();
    let store = h.stack.store();
    let queues = h.stack.queues();
    let gateway = h.stack.gateway().unwrap();
    let ana = h.whatsapp("5511900000401");
    let bob = h.whatsapp("5511900000402");

    // Ana reserves, lapses; the unit is still there when her payment arrives late.
    h.add_plain_bag(&ana).await;
    let (_, _, first) = checkout_parts(&h.tap(&ana, "p:c").await);
    let before_sweep = h.stack.last_seq().await.unwrap();
    h.stack.sweep_at(SystemClock.now() + 11 * 60).await.unwrap();
    // The lapse notice goes out first; the payment's answer is what comes after it.
    let lapsed = h.stack.replies_after(&ana.id, before_sweep).await.unwrap();
    assert!(
        all_text(&lapsed).contains("has lapsed"),
        "{}",
        all_text(&lapsed)
    );
    let paid = paid_in_full(&store.order(&first).await.unwrap().unwrap());
    let before = h.stack.last_seq().await.unwrap();
    let status = order_events::apply_payment_event("evt_late_1", &paid, &store, &gateway, &queues)
        .await
        .unwrap();
    assert_eq!(status, Some(OrderStatus::Paid));
    assert!(
        all_text(&h.stack.replies_after(&ana.id, before).await.unwrap()).starts_with("Thank you!")
    );
    assert_eq!(
        store.drop_stock("late").await.unwrap()[0],
        ("drop-bag".into(), 0, 0, 1)
    );

    // Reordered and duplicate deliveries: an old "expired" and the same "paid" change nothing.
    let lapsed = PaymentEvent::Lapsed {
        order_id: first.clone(),
    };
    order_events::apply_payment_event("evt_late_0", &lapsed, &store, &gateway, &queues)
        .await
        .unwrap();
    order_events::apply_payment_event("evt_late_1", &paid, &store, &gateway, &queues)
        .await
        .unwrap();
    assert_eq!(
        store.order(&first).await.unwrap().unwrap().status,
        OrderStatus::Paid
    );
    assert_eq!(
        store.drop_stock("late").await.unwrap()[0],
        ("drop-bag".into(), 0, 0, 1)
    );

    // Refill one unit; Bob reserves and lapses, the unit is resold to Ana, then Bob's payment
    // arrives: never oversold, never lost.
    h.stack
        .open_drop(&{
            let mut d = bag_drop("late2", 1, None);
            d.skus[0].sku = "canvas-tote".into();
            d
        })
        .await
        .unwrap();
    h.tap(&bob, "k:a:canvas-tote").await;
    let (_, _, bobs) = checkout_parts(&h.tap(&bob, "p:c").await);
    h.stack.sweep_at(SystemClock.now() + 11 * 60).await.unwrap();
    h.tap(&ana, "k:a:canvas-tote").await;
    let (_, _, anas) = checkout_parts(&h.tap(&ana, "p:c").await);
    assert_eq!(
        store.order(&anas).await.unwrap().unwrap().status,
        OrderStatus::Reserved
    );
    let before = h.stack.last_seq().await.unwrap();
    let status = order_events::apply_payment_event(
        "evt_late_2",
        &paid_in_full(&store.order(&bobs).await.unwrap().unwrap()),
        &store,
        &gateway,
        &queues,
    )
    .await
    .unwrap();
    assert_eq!(status, Some(OrderStatus::PaidNeedsAttention));
    assert!(
        all_text(&h.stack.replies_after(&bob.id, before).await.unwrap())
            .contains("after its reservation lapsed")
    );
    assert_eq!(
        store.drop_stock("late2").await.unwrap()[0],
        ("canvas-tote".into(), 0, 1, 0),
        "Ana's reservation keeps the unit"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_chat_to_paid_order_to_confirmation() {
    let h = Harness::start("pay-tg-paid").await;
    h.stack
        .open_drop(&bag_drop("autumn", 2, Some(1)))
        .await
        .unwrap();
    let ken = h.telegram(7000000501, None);
    h.add_plain_bag(&ken).await;
    let replies = h.tap(&ken, "p:c").await;
    // The pay link is a URL button; the QR code a photo of the same link.
    let (link, qr, order_id) = checkout_parts(&replies);
    let pay_button = replies
        .iter()
        .find(|r| r.body["reply_markup"]["inline_keyboard"][0][0]["url"].is_string())
        .expect("a URL button");
    assert_eq!(
        pay_button.body["reply_markup"]["inline_keyboard"][0][0]["text"],
        "Pay now"
    );
    let (_, _, png) = h.get_raw(&qr).await;
    assert_eq!(decode_qr(&png), link);

    let session = h.stack.stripe.sessions().await.unwrap().remove(0);
    assert_eq!(
        session.client_reference_id.as_deref(),
        Some(order_id.as_str())
    );
    let before = h.stack.last_seq().await.unwrap();
    assert!(
        h.stack
            .stripe
            .pay(&session.id)
            .await
            .unwrap()
            .delivery
            .succeeded()
    );
    let confirmation = h.stack.replies_after(&ken.id, before).await.unwrap();
    let order = h.stack.store().order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert!(
        all_text(&confirmation)
            .starts_with(&format!("Thank you! Order {} is paid.", order.number())),
        "{}",
        all_text(&confirmation)
    );
    h.stack.stop().await;
}

/// A signed `checkout.session.completed` naming a reserved order by `client_reference_id`, but
/// for another Checkout Session and 1 cent: not the order's payment. It must neither sell the
/// order's stock nor vanish: the order is kept as `paid_needs_attention` with the difference
/// noted for ops, its own page is expired and its unit goes back on sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_payment_of_another_page_and_amount_is_held_for_attention_not_sold() {
    let h = Harness::start("pay-mismatch").await;
    h.stack
        .open_drop(&bag_drop("mismatch", 2, None))
        .await
        .unwrap();
    let ana = h.whatsapp("5511900000601");
    h.add_plain_bag(&ana).await;
    let (link, _, order_id) = checkout_parts(&h.tap(&ana, "p:c").await);
    let store = h.stack.store();
    let order = store.order(&order_id).await.unwrap().unwrap();
    let own_page = order.checkout_session.clone().unwrap();
    assert_eq!(order.total, 12_000);
    assert_eq!(
        store.drop_stock("mismatch").await.unwrap(),
        [("drop-bag".to_string(), 1, 1, 0)]
    );

    let body = serde_json::to_vec(&serde_json::json!({
        "id": "evt_test_mismatch_1",
        "object": "event",
        "api_version": xtask::fake_stripe::API_VERSION,
        "created": SystemClock.now(),
        "data": { "object": {
            "id": "cs_test_not_the_orders_page",
            "object": "checkout.session",
            "amount_subtotal": 1,
            "amount_total": 1,
            "client_reference_id": order_id,
            "currency": "usd",
            "metadata": { "order_id": order_id },
            "mode": "payment",
            "payment_intent": "pi_test_elsewhere",
            "payment_status": "paid",
            "status": "complete"
        }},
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": "checkout.session.completed"
    }))
    .unwrap();
    let deliver = |body: Vec<u8>| {
        let signature = chatdrop_payments::webhook::sign(
            &body,
            xtask::dev::STRIPE_WEBHOOK_SECRET_VALUE,
            SystemClock.now(),
        );
        let h = &h;
        async move {
            h.post_raw(
                "/webhooks/stripe",
                &[
                    ("stripe-signature", signature.as_str()),
                    ("content-type", "application/json"),
                ],
                body,
            )
            .await
        }
    };
    let before = h.stack.last_seq().await.unwrap();
    let (status, answer) = deliver(body.clone()).await;
    assert_eq!(status, 200, "{answer}");

    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::PaidNeedsAttention);
    assert_eq!(order.attention.len(), 1, "{:?}", order.attention);
    assert!(
        order.attention[0]
            .starts_with("evt_test_mismatch_1: paid on checkout page cs_test_not_the_orders_page"),
        "{:?}",
        order.attention
    );
    // Not sold to it: the reserved unit is back on sale, nothing counts as sold.
    assert_eq!(
        store.drop_stock("mismatch").await.unwrap(),
        [("drop-bag".to_string(), 2, 0, 0)]
    );
    // The order's own page was expired, so nobody can pay for the unit we gave back.
    let sessions = h.stack.stripe.sessions().await.unwrap();
    let own = sessions.iter().find(|s| s.id == own_page).unwrap();
    assert_eq!(own.status, "expired");
    // The customer hears a payment is being checked, never a confirmation.
    let told = all_text(&h.stack.replies_after(&ana.id, before).await.unwrap());
    assert!(told.contains("that we need to check"), "{told}");
    assert!(!told.contains("Thank you"), "{told}");
    // What ops read (`chatdrop orders attention` lists every order with a note).
    let flagged: Vec<Order> = store
        .all_orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| !o.attention.is_empty())
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].id, order_id);

    // Stripe delivers it again: nothing changes, nothing more is said.
    let after = h.stack.last_seq().await.unwrap();
    let (status, _) = deliver(body).await;
    assert_eq!(status, 200);
    h.assert_silence(&ana.id, after).await;
    assert_eq!(
        store
            .order(&order_id)
            .await
            .unwrap()
            .unwrap()
            .attention
            .len(),
        1
    );
    let (status, _, page) = h.get_raw(&link).await;
    assert_eq!(status, 200);
    assert!(!String::from_utf8(page).unwrap().contains("checkout.stripe"));

    // Another odd payment for the flagged order keeps its state and is noted, once however
    // often it is applied.
    let flagged = store.order(&order_id).await.unwrap().unwrap();
    for _ in 0..2 {
        assert_eq!(
            store
                .hold_for_attention(&flagged, "evt_test_mismatch_2: another one")
                .await
                .unwrap(),
            PaidOutcome::Unchanged
        );
    }
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::PaidNeedsAttention);
    assert_eq!(order.attention.len(), 2, "{:?}", order.attention);
    h.stack.stop().await;
}
