//! The fake against chatdrop's real client: `StripeGateway` creates, pays, expires and refunds
//! through it while a receiver verifies every webhook as `payment-webhook` does; then the
//! session JSON as async-stripe reads it, and form decoding.

use super::protocol::parse_form;
use super::sessions::session_json;
use super::*;
use crate::fake_stripe_methods::{self as methods, MethodOptions};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::money::Currency;
use chatdrop_domain::payment::{
    CheckoutLine, CheckoutRequest, ExpireOutcome, PaymentError, PaymentGateway,
};
use chatdrop_payments::StripeGateway;
use chatdrop_payments::webhook::{self, EventKind, StripeEvent};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_test_fake_stripe";

/// A webhook endpoint that verifies before it parses, as `payment-webhook` must.
#[derive(Clone, Default)]
struct Receiver {
    events: Arc<Mutex<Vec<StripeEvent>>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if webhook::verify(header, &body, SECRET, SystemClock.now()).is_err() {
        return StatusCode::BAD_REQUEST;
    }
    let event = webhook::parse_event(&body).expect("a verified event parses");
    receiver.events.lock().unwrap().push(event);
    StatusCode::OK
}

async fn receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let app = Router::new()
        .route("/webhooks/stripe", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

fn checkout(order_id: &str) -> CheckoutRequest {
    CheckoutRequest {
        order_id: order_id.into(),
        currency: Currency::USD,
        lines: vec![
            CheckoutLine {
                name: "Drop 07 watch".into(),
                description: Some("Signal red, Leather strap".into()),
                unit_amount: 12900,
                quantity: 1,
            },
            CheckoutLine {
                name: "Strap".into(),
                description: None,
                unit_amount: 1500,
                quantity: 2,
            },
        ],
        expires_at: SystemClock.now() + 600,
        success_url: "http://127.0.0.1:1/ok?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "http://127.0.0.1:1/cancel".into(),
        collect_shipping: true,
        payment_offer: Default::default(),
    }
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<StripeEvent> {
    for _ in 0..100 {
        let events = receiver.events.lock().unwrap().clone();
        if events.len() >= count {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} webhook events arrived");
}

#[tokio::test]
async fn gateway_create_pay_webhook_refund() {
    let (webhook_url, receiver) = receiver().await;
    let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
        .await
        .unwrap();
    let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

    let request = checkout("ord_100");
    let session = gateway.create_checkout(&request).await.unwrap();
    assert!(session.id.starts_with("cs_test_"), "{}", session.id);
    assert_eq!(session.url, format!("{base}/pay/{}", session.id));
    assert!(session.expires_at >= SystemClock.now() + 1800);
    // A retried checkout replays the first session.
    let again = gateway.create_checkout(&request).await.unwrap();
    assert_eq!(again, session);

    let sessions = fake.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.status, "open");
    assert_eq!(s.payment_status, "unpaid");
    assert_eq!(s.amount_total, 12900 + 2 * 1500);
    assert_eq!(s.currency, "usd");
    assert_eq!(s.client_reference_id.as_deref(), Some("ord_100"));
    assert_eq!(s.metadata["order_id"], "ord_100");
    assert_eq!(s.idempotency_key.as_deref(), Some("checkout-ord_100"));
    assert_eq!(s.allowed_payment_method_types, ["card"]);
    assert!(
        s.shipping_countries
            .as_ref()
            .unwrap()
            .contains(&"US".into())
    );
    assert_eq!(s.request["line_items[0][price_data][unit_amount]"], "12900");

    // The payment page exists while the session is open.
    let page = reqwest::get(&session.url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Drop 07 watch"));

    let paid = fake.pay(&session.id).await.unwrap();
    assert!(paid.delivery.succeeded(), "{paid:?}");
    let events = wait_for(&receiver, 1).await;
    assert_eq!(
        events[0],
        StripeEvent {
            id: paid.event_id.clone(),
            created: events[0].created,
            kind: EventKind::SessionCompleted {
                session_id: session.id.clone(),
                order_id: Some("ord_100".into()),
                paid: true,
                amount_total: Some(15900),
                currency: Some("usd".into()),
            },
        }
    );

    // Duplicate delivery: the same event again.
    let resent = fake.resend(&paid.event_id).await.unwrap();
    assert_eq!(resent.status, Some(200));
    let events = wait_for(&receiver, 2).await;
    assert_eq!(events[1], events[0]);
    let sent = fake.events().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].deliveries.len(), 2);
    assert_eq!(sent[0].event_type, "checkout.session.completed");

    // Too late to expire; a refund is idempotent per session.
    assert_eq!(
        gateway.expire_checkout(&session.id).await,
        Ok(ExpireOutcome::AlreadyComplete)
    );
    let refund = gateway.refund(&session.id).await.unwrap();
    assert!(refund.starts_with("re_test_"), "{refund}");
    assert_eq!(gateway.refund(&session.id).await.unwrap(), refund);
    assert!(fake.pay(&session.id).await.is_err());
    fake.abort();
}

#[tokio::test]
async fn expiry_through_the_api_and_by_hand() {
    let (webhook_url, receiver) = receiver().await;
    let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
        .await
        .unwrap();
    let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

    let first = gateway.create_checkout(&checkout("ord_1")).await.unwrap();
    assert_eq!(
        gateway.expire_checkout(&first.id).await,
        Ok(ExpireOutcome::Expired)
    );
    let events = wait_for(&receiver, 1).await;
    assert_eq!(
        events[0].kind,
        EventKind::SessionExpired {
            session_id: first.id.clone(),
            order_id: Some("ord_1".into())
        }
    );
    // Expiring again is not an error; paying an expired session is refused.
    assert_eq!(
        gateway.expire_checkout(&first.id).await,
        Ok(ExpireOutcome::Expired)
    );
    assert!(fake.pay(&first.id).await.is_err());
    let page = reqwest::get(&first.url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("no longer available"));

    let second = gateway.create_checkout(&checkout("ord_2")).await.unwrap();
    let expired = fake.expire(&second.id).await.unwrap();
    assert!(expired.delivery.succeeded());
    let events = wait_for(&receiver, 2).await;
    assert_eq!(events[1].id, expired.event_id);

    // Delayed payments: completed but unpaid, then settled either way.
    let third = gateway.create_checkout(&checkout("ord_3")).await.unwrap();
    fake.pay_delayed(&third.id).await.unwrap();
    let failed = fake.async_payment_failed(&third.id).await.unwrap();
    let fourth = gateway.create_checkout(&checkout("ord_4")).await.unwrap();
    fake.pay_delayed(&fourth.id).await.unwrap();
    fake.async_payment_succeeded(&fourth.id).await.unwrap();
    assert!(fake.async_payment_succeeded(&fourth.id).await.is_err());
    let events = wait_for(&receiver, 6).await;
    assert!(matches!(
        events[2].kind,
        EventKind::SessionCompleted { paid: false, .. }
    ));
    assert_eq!(events[3].id, failed.event_id);
    assert!(matches!(
        events[3].kind,
        EventKind::AsyncPaymentFailed { .. }
    ));
    assert!(matches!(
        events[5].kind,
        EventKind::AsyncPaymentSucceeded { ref order_id, .. } if order_id.as_deref() == Some("ord_4")
    ));
    // Nothing paid on the failed one: no refund.
    assert!(matches!(
        gateway.refund(&third.id).await,
        Err(PaymentError::Refused(_))
    ));
    fake.abort();
}

#[tokio::test]
async fn wallets_are_recorded_and_a_voucher_settles_later() {
    use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer};
    let (webhook_url, receiver) = receiver().await;
    let (base, fake) = spawn("127.0.0.1:0", webhook_url, SECRET.into())
        .await
        .unwrap();
    let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

    let mut wechat = checkout("ord_wechat");
    wechat.payment_offer =
        PaymentOffer::new(&[PaymentMethod::WechatPay, PaymentMethod::Card], None);
    let first = gateway.create_checkout(&wechat).await.unwrap();
    let mut konbini = checkout("ord_konbini");
    konbini.currency = Currency::JPY;
    konbini.payment_offer =
        PaymentOffer::new(&[PaymentMethod::Card, PaymentMethod::Konbini], Some(3));
    let second = gateway.create_checkout(&konbini).await.unwrap();

    let sessions = fake.sessions().await.unwrap();
    assert_eq!(
        sessions[0].allowed_payment_method_types,
        ["wechat_pay", "card"]
    );
    assert_eq!(
        sessions[0].payment_method_options["wechat_pay"]["client"],
        "web"
    );
    assert_eq!(
        sessions[1].allowed_payment_method_types,
        ["card", "konbini"]
    );
    assert_eq!(
        sessions[1].payment_method_options["konbini"]["expires_after_days"],
        "3"
    );
    // The page offers each allowed method.
    let page = reqwest::get(&second.url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"konbini\"") && page.contains("value=\"card\""));

    // WeChat Pay pays at once; Konbini completes unpaid, and the store payment follows.
    fake.pay_with(&first.id, "wechat_pay").await.unwrap();
    assert!(
        fake.pay_with(&second.id, "alipay").await.is_err(),
        "not allowed"
    );
    let voucher = crate::local_http::client()
        .post(&second.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("method=konbini")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(voucher.contains("within 3 days"), "{voucher}");
    let settled = crate::local_http::client()
        .post(format!("{}/settle", second.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("outcome=succeeded")
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200);
    let events = wait_for(&receiver, 3).await;
    assert!(matches!(
        events[0].kind,
        EventKind::SessionCompleted { paid: true, .. }
    ));
    assert!(matches!(
        events[1].kind,
        EventKind::SessionCompleted { paid: false, ref order_id, .. } if order_id.as_deref() == Some("ord_konbini")
    ));
    assert!(matches!(
        events[2].kind,
        EventKind::AsyncPaymentSucceeded {
            amount_total: Some(15900),
            ..
        }
    ));
    let sessions = fake.sessions().await.unwrap();
    assert_eq!(sessions[1].paid_with.as_deref(), Some("konbini"));
    assert_eq!(sessions[1].payment_status, "paid");
    fake.abort();
}

#[tokio::test]
async fn refusals_look_like_stripes() {
    let (webhook_url, _receiver) = receiver().await;
    let (base, fake) = spawn("127.0.0.1:0", webhook_url, "whsec_wrong".into())
        .await
        .unwrap();
    let gateway = StripeGateway::new("sk_test_local", Some(&base)).unwrap();

    // The same order id with other parameters: Stripe's idempotency error.
    gateway.create_checkout(&checkout("ord_1")).await.unwrap();
    let mut changed = checkout("ord_1");
    changed.lines[0].unit_amount = 1;
    match gateway.create_checkout(&changed).await {
        Err(PaymentError::Refused(m)) => assert!(m.contains("idempotency_error"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A reservation that already lapsed cannot get a page.
    let mut lapsed = checkout("ord_2");
    lapsed.expires_at = SystemClock.now() - 3600;
    assert!(matches!(
        gateway.create_checkout(&lapsed).await,
        Err(PaymentError::Refused(_))
    ));
    assert!(matches!(
        gateway.expire_checkout("cs_test_unknown").await,
        Err(PaymentError::Refused(_))
    ));
    // A webhook signed with another secret is refused, and the fake records it.
    let id = fake.sessions().await.unwrap()[0].id.clone();
    let paid = fake.pay(&id).await.unwrap();
    assert_eq!(paid.delivery.status, Some(400));
    // No key, no API.
    let response = crate::local_http::client()
        .get(format!("{base}/v1/checkout/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    fake.abort();
}

/// A session in `status`, as the fake stores one after a create.
fn stored_session(status: &str, payment_status: &str) -> FakeSession {
    FakeSession {
        id: "cs_test_0000000000000001".into(),
        status: status.into(),
        payment_status: payment_status.into(),
        url: "http://127.0.0.1:1/pay/cs_test_0000000000000001".into(),
        client_reference_id: Some("ord_1".into()),
        metadata: BTreeMap::from([("order_id".into(), "ord_1".into())]),
        currency: "usd".into(),
        amount_total: 12_000,
        line_items: Vec::new(),
        created: 1_767_225_000,
        expires_at: 1_767_226_860,
        success_url: Some("http://127.0.0.1:1/paid".into()),
        cancel_url: Some("http://127.0.0.1:1/cancelled".into()),
        allowed_payment_method_types: vec!["card".into()],
        payment_method_options: MethodOptions::new(),
        paid_with: None,
        shipping_countries: Some(vec!["US".into()]),
        payment_intent: (status == "complete").then(|| "pi_test_1".into()),
        refund: None,
        request: BTreeMap::new(),
        idempotency_key: None,
    }
}

/// A writer the test's subscriber logs into, to see what async-stripe complains about.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn session_json_reads_as_the_pinned_api_without_unknown_values() {
    use stripe_shared::{CheckoutSession, CheckoutSessionStatus, CheckoutSessionUiMode};
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for (status, payment_status) in [("open", "unpaid"), ("complete", "paid")] {
            let mut stored = stored_session(status, payment_status);
            // With every option chatdrop sends, as the session echoes them.
            stored.allowed_payment_method_types =
                vec!["card".into(), "wechat_pay".into(), "konbini".into()];
            stored.payment_method_options = methods::parse_options(&[
                (
                    "payment_method_options[wechat_pay][client]".into(),
                    "web".into(),
                ),
                (
                    "payment_method_options[konbini][expires_after_days]".into(),
                    "3".into(),
                ),
                (
                    "payment_method_options[pix][expires_after_seconds]".into(),
                    "86400".into(),
                ),
            ]);
            let text = session_json(&stored).to_string();
            let session: CheckoutSession = miniserde::json::from_str(&text)
                .unwrap_or_else(|_| panic!("async-stripe reads the fake's {status} session"));
            assert_eq!(session.ui_mode, Some(CheckoutSessionUiMode::HostedPage));
            let expected = if status == "open" {
                CheckoutSessionStatus::Open
            } else {
                CheckoutSessionStatus::Complete
            };
            assert_eq!(session.status, Some(expected));
            let options = session.payment_method_options.expect("options read");
            assert_eq!(options.konbini.and_then(|k| k.expires_after_days), Some(3));
            assert_eq!(
                options.pix.and_then(|p| p.expires_after_seconds),
                Some(86_400)
            );
        }
    });
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        !logged.contains("Unknown value"),
        "async-stripe met values the pinned API does not list: {logged}"
    );
}

#[test]
fn form_decoding() {
    let pairs = parse_form(
        b"line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Blue+mug&metadata%5Border_id%5D=ord%2F1&x=%E2%80%9CANA%E2%80%9D&bad=%zz&empty=",
    );
    assert_eq!(
        pairs,
        [
            (
                "line_items[0][price_data][product_data][name]".to_owned(),
                "Blue mug".to_owned()
            ),
            ("metadata[order_id]".to_owned(), "ord/1".to_owned()),
            ("x".to_owned(), "“ANA”".to_owned()),
            ("bad".to_owned(), "%zz".to_owned()),
            ("empty".to_owned(), String::new()),
        ]
    );
}
