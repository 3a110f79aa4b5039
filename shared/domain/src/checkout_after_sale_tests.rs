//! After the sale, in memory: a lapse gives the stock back, a cancel releases it (in its own
//! chat only, and not once paid), a reorder checks a released order out again, and payments,
//! on time, late or on another page, make the sale once or are kept for a person.

use super::*;

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
