//! `StripeGateway` against a local HTTP server that answers as Stripe does: the form it sends,
//! the headers, and how each answer maps to the port's outcomes and errors.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::money::Currency;
use chatdrop_domain::payment::{
    CheckoutLine, CheckoutRequest, ExpireOutcome, PaymentError, PaymentGateway,
};
use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer};
use chatdrop_payments::StripeGateway;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    form: HashMap<String, String>,
    raw: String,
}

#[derive(Clone, Default)]
struct Stub {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A Checkout Session as Stripe returns it (more fields than the gateway reads).
fn session(id: &str, status: &str, payment_status: &str, payment_intent: Option<&str>) -> Value {
    let mut s = json!({
        "id": id,
        "object": "checkout.session",
        "adaptive_pricing": null,
        "after_expiration": null,
        "allow_promotion_codes": null,
        "amount_subtotal": 2400,
        "amount_total": 2400,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": "https://shop.example/cancel",
        "client_reference_id": "ord_1",
        "client_secret": null,
        "created": SystemClock.now(),
        "currency": "usd",
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": null,
        "customer_creation": "if_required",
        "customer_details": null,
        "customer_email": null,
        "expires_at": SystemClock.now() + 3600,
        "invoice": null,
        "livemode": false,
        "locale": null,
        "metadata": { "order_id": "ord_1" },
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_link": null,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "recovered_from": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_options": [],
        "status": status,
        "submit_type": null,
        "subscription": null,
        "success_url": "https://shop.example/ok",
        "ui_mode": "hosted_page",
        "url": null
    });
    if status == "open" {
        s["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
    }
    s
}

fn stripe_error(status: u16, kind: &str, code: Option<&str>, message: &str) -> Response {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error })),
    )
        .into_response()
}

fn not_open(status: &str) -> Response {
    stripe_error(
        400,
        "invalid_request_error",
        None,
        &format!(
            "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `{status}`."
        ),
    )
}

async fn handle(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = String::from_utf8(body.to_vec()).unwrap();
    let form: HashMap<String, String> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let path = uri.path().to_owned();
    stub.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        headers,
        form: form.clone(),
        raw,
    });
    let ok = |v: Value| axum::Json(v).into_response();
    match (method.as_str(), path.as_str()) {
        ("POST", "/v1/checkout/sessions") => {
            match form.get("client_reference_id").map(String::as_str) {
                Some("ord_refused") => stripe_error(
                    400,
                    "invalid_request_error",
                    Some("parameter_invalid_integer"),
                    "Invalid integer: -5",
                ),
                Some("ord_outage") => stripe_error(
                    500,
                    "api_error",
                    None,
                    "Something went wrong on Stripe's end.",
                ),
                Some("ord_busy") => stripe_error(
                    429,
                    "invalid_request_error",
                    Some("rate_limit"),
                    "Too many requests.",
                ),
                Some("ord_proxy") => {
                    (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>").into_response()
                }
                _ => {
                    let mut s = session("cs_test_created", "open", "unpaid", None);
                    s["expires_at"] = json!(form["expires_at"].parse::<i64>().unwrap());
                    ok(s)
                }
            }
        }
        ("POST", p) if p.starts_with("/v1/checkout/sessions/") && p.ends_with("/expire") => {
            let id = p
                .trim_start_matches("/v1/checkout/sessions/")
                .trim_end_matches("/expire");
            match id {
                "cs_open" => ok(session(id, "expired", "unpaid", None)),
                "cs_complete" => not_open("complete"),
                "cs_expired" => not_open("expired"),
                "cs_outage" => stripe_error(503, "api_error", None, "Service unavailable"),
                _ => stripe_error(
                    404,
                    "invalid_request_error",
                    Some("resource_missing"),
                    &format!("No such checkout.session: '{id}'"),
                ),
            }
        }
        ("GET", p) if p.starts_with("/v1/checkout/sessions/") => {
            let id = p.trim_start_matches("/v1/checkout/sessions/");
            match id {
                "cs_complete" => ok(session(id, "complete", "paid", Some("pi_3Abc"))),
                "cs_expired" => ok(session(id, "expired", "unpaid", None)),
                "cs_unpaid_open" => ok(session(id, "open", "unpaid", None)),
                _ => stripe_error(
                    404,
                    "invalid_request_error",
                    Some("resource_missing"),
                    &format!("No such checkout.session: '{id}'"),
                ),
            }
        }
        ("POST", "/v1/refunds") => ok(json!({
            "id": "re_3Abc",
            "object": "refund",
            "amount": 2400,
            "balance_transaction": null,
            "charge": "ch_3Abc",
            "created": SystemClock.now(),
            "currency": "usd",
            "metadata": {},
            "payment_intent": form.get("payment_intent"),
            "reason": null,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null
        })),
        _ => stripe_error(
            404,
            "invalid_request_error",
            None,
            &format!("Unrecognized request URL ({method}: {path})."),
        ),
    }
}

async fn stripe_stub() -> (StripeGateway, Stub) {
    let stub = Stub::default();
    let app = Router::new().fallback(handle).with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let gateway = StripeGateway::new(" sk_test_4eC39HqLyjWDarjtT1zdp7dc\n", Some(&base)).unwrap();
    (gateway, stub)
}

fn request(order_id: &str, collect_shipping: bool) -> CheckoutRequest {
    CheckoutRequest {
        order_id: order_id.into(),
        currency: Currency::USD,
        lines: vec![
            CheckoutLine {
                name: "Drop 07 watch".into(),
                description: Some("Signal red, Leather strap, engraving “ANA”".into()),
                unit_amount: 1500,
                quantity: 1,
            },
            CheckoutLine {
                name: "Sticker pack".into(),
                description: None,
                unit_amount: 450,
                quantity: 2,
            },
        ],
        expires_at: SystemClock.now() + 600,
        success_url: "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://shop.example/cancel".into(),
        collect_shipping,
        payment_offer: PaymentOffer::default(),
    }
}

#[tokio::test]
async fn create_sends_the_checkout_form_with_an_order_idempotency_key() {
    let (gateway, stub) = stripe_stub().await;
    let req = request("ord_1", false);
    let created = gateway.create_checkout(&req).await.unwrap();
    assert_eq!(created.id, "cs_test_created");
    assert_eq!(
        created.url,
        "https://checkout.stripe.com/c/pay/cs_test_created"
    );

    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.method, Method::POST);
    assert_eq!(s.path, "/v1/checkout/sessions");
    assert_eq!(s.headers["idempotency-key"], "checkout-ord_1");
    assert_eq!(
        s.headers["authorization"],
        "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"
    );
    assert_eq!(
        s.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert!(s.headers.contains_key("stripe-version"));
    let f = &s.form;
    assert_eq!(f["mode"], "payment");
    assert_eq!(f["client_reference_id"], "ord_1");
    assert_eq!(f["metadata[order_id]"], "ord_1");
    assert_eq!(f["line_items[0][price_data][currency]"], "usd");
    assert_eq!(f["line_items[0][price_data][unit_amount]"], "1500");
    assert_eq!(
        f["line_items[0][price_data][product_data][name]"],
        "Drop 07 watch"
    );
    assert_eq!(
        f["line_items[0][price_data][product_data][description]"],
        "Signal red, Leather strap, engraving “ANA”"
    );
    assert_eq!(f["line_items[0][quantity]"], "1");
    assert_eq!(f["line_items[1][price_data][unit_amount]"], "450");
    assert_eq!(f["line_items[1][quantity]"], "2");
    assert!(!f.contains_key("line_items[1][price_data][product_data][description]"));
    assert_eq!(f["allowed_payment_method_types[0]"], "card");
    assert!(
        !f.keys()
            .any(|k| k.starts_with("allowed_payment_method_types[1]"))
    );
    assert_eq!(
        f["success_url"],
        "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}"
    );
    assert_eq!(f["cancel_url"], "https://shop.example/cancel");
    assert!(
        !f.keys()
            .any(|k| k.starts_with("shipping_address_collection"))
    );
    let expires_at: i64 = f["expires_at"].parse().unwrap();
    assert!(
        expires_at >= SystemClock.now() + 1800,
        "Stripe's 30-minute minimum"
    );
    assert!(
        expires_at <= SystemClock.now() + 24 * 3600,
        "Stripe's 24-hour maximum"
    );
    assert_eq!(expires_at, req.expires_at + 1800 + 60);
    assert_eq!(created.expires_at, expires_at);

    // A retry sends the very same request, so Stripe replays the first session.
    gateway.create_checkout(&req).await.unwrap();
    let seen = stub.seen();
    assert_eq!(seen[1].raw, seen[0].raw);
    assert_eq!(seen[1].headers["idempotency-key"], "checkout-ord_1");
}

#[tokio::test]
async fn create_collects_a_shipping_address_for_physical_goods() {
    let (gateway, stub) = stripe_stub().await;
    gateway
        .create_checkout(&request("ord_2", true))
        .await
        .unwrap();
    let form = &stub.seen()[0].form;
    assert_eq!(
        form["shipping_address_collection[allowed_countries][0]"],
        "US"
    );
    let countries: Vec<&String> = (0..)
        .map_while(|i| {
            form.get(&format!(
                "shipping_address_collection[allowed_countries][{i}]"
            ))
        })
        .collect();
    assert_eq!(
        countries.len(),
        chatdrop_payments::stripe::DEFAULT_SHIPPING_COUNTRIES.len()
    );
    assert!(countries.iter().any(|c| *c == "GB"));

    let (gateway, stub) = stripe_stub().await;
    let gateway = gateway.with_shipping_countries(["pt", "es"]);
    gateway
        .create_checkout(&request("ord_3", true))
        .await
        .unwrap();
    let form = &stub.seen()[0].form;
    assert_eq!(
        form["shipping_address_collection[allowed_countries][0]"],
        "PT"
    );
    assert_eq!(
        form["shipping_address_collection[allowed_countries][1]"],
        "ES"
    );
    assert!(!form.contains_key("shipping_address_collection[allowed_countries][2]"));
}

#[tokio::test]
async fn create_maps_stripe_errors() {
    let (gateway, stub) = stripe_stub().await;
    let refused = gateway
        .create_checkout(&request("ord_refused", false))
        .await;
    match refused {
        Err(PaymentError::Refused(m)) => assert!(m.contains("Invalid integer"), "{m}"),
        other => panic!("{other:?}"),
    }
    for order in ["ord_outage", "ord_busy", "ord_proxy"] {
        let result = gateway.create_checkout(&request(order, false)).await;
        assert!(
            matches!(result, Err(PaymentError::Unavailable(_))),
            "{order}: {result:?}"
        );
    }
    // Each request went out at least once (and the gateway adds no retry storms of its own).
    let seen = stub.seen();
    for order in ["ord_refused", "ord_outage", "ord_busy", "ord_proxy"] {
        let n = seen
            .iter()
            .filter(|s| s.form.get("client_reference_id").map(String::as_str) == Some(order))
            .count();
        assert!((1..=3).contains(&n), "{order}: {n} attempts");
    }
}

#[tokio::test]
async fn unreachable_stripe_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let gateway = StripeGateway::new("sk_test_x", Some(&base)).unwrap();
    let result = gateway.create_checkout(&request("ord_1", false)).await;
    assert!(
        matches!(result, Err(PaymentError::Unavailable(_))),
        "{result:?}"
    );
    let result = gateway.expire_checkout("cs_open").await;
    assert!(
        matches!(result, Err(PaymentError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn expire_outcomes() {
    let (gateway, stub) = stripe_stub().await;
    assert_eq!(
        gateway.expire_checkout("cs_open").await,
        Ok(ExpireOutcome::Expired)
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, Method::POST);
    assert_eq!(seen[0].path, "/v1/checkout/sessions/cs_open/expire");

    // Stripe refuses to expire a session that is not open; its status tells why.
    assert_eq!(
        gateway.expire_checkout("cs_complete").await,
        Ok(ExpireOutcome::AlreadyComplete)
    );
    assert_eq!(
        gateway.expire_checkout("cs_expired").await,
        Ok(ExpireOutcome::Expired)
    );
    let paths: Vec<(String, String)> = stub.seen()[1..]
        .iter()
        .map(|s| (s.method.to_string(), s.path.clone()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/v1/checkout/sessions/cs_complete/expire"),
            ("GET", "/v1/checkout/sessions/cs_complete"),
            ("POST", "/v1/checkout/sessions/cs_expired/expire"),
            ("GET", "/v1/checkout/sessions/cs_expired"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
    );

    match gateway.expire_checkout("cs_unknown").await {
        Err(PaymentError::Refused(m)) => assert!(m.contains("No such checkout.session"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        gateway.expire_checkout("cs_outage").await,
        Err(PaymentError::Unavailable(_))
    ));
}

#[tokio::test]
async fn refund_refunds_the_sessions_payment_intent_once() {
    let (gateway, stub) = stripe_stub().await;
    assert_eq!(gateway.refund("cs_complete").await.unwrap(), "re_3Abc");
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(seen[0].path, "/v1/checkout/sessions/cs_complete");
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(seen[1].path, "/v1/refunds");
    assert_eq!(seen[1].form["payment_intent"], "pi_3Abc");
    assert_eq!(seen[1].headers["idempotency-key"], "refund-cs_complete");

    // Nothing was paid on an expired session: nothing to refund.
    assert!(matches!(
        gateway.refund("cs_expired").await,
        Err(PaymentError::Refused(_))
    ));
    assert!(matches!(
        gateway.refund("cs_unknown").await,
        Err(PaymentError::Refused(_))
    ));
}

#[test]
fn invalid_configuration_is_refused() {
    assert!(matches!(
        StripeGateway::new("sk_test_x", Some("not a url")),
        Err(PaymentError::Refused(_))
    ));
    assert!(matches!(
        StripeGateway::new("sk_test_\u{7}bell", None),
        Err(PaymentError::Refused(_))
    ));
}

/// The longest reservation the config accepts still gets a page Stripe accepts: an
/// `expires_at` within 24 hours of creation, with a minute to spare for clock skew.
#[test]
fn the_longest_configured_reservation_fits_stripes_24_hours() {
    use chatdrop_config::MAX_RESERVATION_MINUTES;
    use chatdrop_payments::stripe::stripe_expires_at;
    let created = 1_767_225_600;
    let longest = stripe_expires_at(created + MAX_RESERVATION_MINUTES * 60) - created;
    assert!(longest <= 24 * 3600 - 60, "{longest} s");
    // One minute more would leave no margin at all.
    let over = stripe_expires_at(created + (MAX_RESERVATION_MINUTES + 1) * 60) - created;
    assert!(over > 24 * 3600 - 60, "{over} s");
}

/// Stripe's units differ from ISO's for ISK (two extra zeros,
/// <https://docs.stripe.com/currencies#special-cases>): the form carries Stripe's.
#[tokio::test]
async fn create_sends_amounts_in_stripe_units() {
    let (gateway, stub) = stripe_stub().await;
    let mut req = request("ord_isk", false);
    req.currency = Currency::parse("ISK").unwrap();
    req.lines.truncate(1);
    req.lines[0].unit_amount = 5_000;
    gateway.create_checkout(&req).await.unwrap();
    let seen = stub.seen();
    assert_eq!(seen[0].form["line_items[0][price_data][currency]"], "isk");
    assert_eq!(
        seen[0].form["line_items[0][price_data][unit_amount]"],
        "500000"
    );
}

/// An amount Stripe cannot take is refused here, before any request: 5.124 KWD is not a whole
/// ten of fils (<https://docs.stripe.com/currencies#three-decimal>), and $0.25 is under the
/// minimum charge (<https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts>).
#[tokio::test]
async fn create_refuses_an_amount_stripe_cannot_take_without_calling_it() {
    let (gateway, stub) = stripe_stub().await;
    let mut kwd = request("ord_kwd", false);
    kwd.currency = Currency::parse("KWD").unwrap();
    kwd.lines[0].unit_amount = 5_124;
    let mut small = request("ord_small", false);
    small.lines.truncate(1);
    small.lines[0].unit_amount = 25;
    for (req, says) in [(kwd, "5.124"), (small, "minimum")] {
        match gateway.create_checkout(&req).await {
            Err(PaymentError::Refused(why)) => assert!(why.contains(says), "{why}"),
            other => panic!("{}: expected a refusal, got {other:?}", req.order_id),
        }
    }
    assert!(stub.seen().is_empty(), "no request reached Stripe");
}

/// The form fields of the one create request `stub` saw.
fn create_form(stub: &Stub) -> HashMap<String, String> {
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "one create request");
    seen[0].form.clone()
}

fn listed(form: &HashMap<String, String>, prefix: &str) -> Vec<String> {
    (0..)
        .map_while(|i| form.get(&format!("{prefix}[{i}]")).cloned())
        .collect()
}

#[tokio::test]
async fn create_offers_wechat_pay_from_the_web_client() {
    let (gateway, stub) = stripe_stub().await;
    let mut req = request("ord_wechat", false);
    req.payment_offer = PaymentOffer::new(&[PaymentMethod::WechatPay, PaymentMethod::Card], None);
    gateway.create_checkout(&req).await.unwrap();
    let form = create_form(&stub);
    assert_eq!(
        listed(&form, "allowed_payment_method_types"),
        ["wechat_pay", "card"]
    );
    assert_eq!(form["payment_method_options[wechat_pay][client]"], "web");
    let options: Vec<&String> = form
        .keys()
        .filter(|k| k.starts_with("payment_method_options"))
        .collect();
    assert_eq!(options.len(), 1, "{options:?}");
}

#[tokio::test]
async fn create_gives_a_konbini_voucher_the_orders_days() {
    let (gateway, stub) = stripe_stub().await;
    let mut req = request("ord_konbini", false);
    req.currency = Currency::JPY;
    req.payment_offer = PaymentOffer::new(&[PaymentMethod::Card, PaymentMethod::Konbini], Some(4));
    gateway.create_checkout(&req).await.unwrap();
    let form = create_form(&stub);
    assert_eq!(
        listed(&form, "allowed_payment_method_types"),
        ["card", "konbini"]
    );
    assert_eq!(
        form["payment_method_options[konbini][expires_after_days]"],
        "4"
    );
    assert_eq!(form["line_items[0][price_data][currency]"], "jpy");
}

#[tokio::test]
async fn cards_alone_need_no_options() {
    let (gateway, stub) = stripe_stub().await;
    gateway
        .create_checkout(&request("ord_cards", false))
        .await
        .unwrap();
    let form = create_form(&stub);
    assert_eq!(listed(&form, "allowed_payment_method_types"), ["card"]);
    assert!(!form.keys().any(|k| k.starts_with("payment_method_options")));
}

#[tokio::test]
async fn a_currency_stripe_does_not_take_for_a_method_is_refused_before_any_request() {
    let (gateway, stub) = stripe_stub().await;
    for (method, currency) in [
        (PaymentMethod::Pix, Currency::USD),
        (PaymentMethod::Konbini, Currency::EUR),
        (PaymentMethod::KakaoPay, Currency::JPY),
    ] {
        let mut req = request("ord_wrong_currency", false);
        req.currency = currency;
        req.payment_offer = PaymentOffer::new(&[PaymentMethod::Card, method], Some(3));
        match gateway.create_checkout(&req).await {
            Err(PaymentError::Refused(why)) => {
                assert!(why.contains(method.stripe_name()), "{why}");
                assert!(why.contains(currency.code()), "{why}");
            }
            other => panic!("{method}: {other:?}"),
        }
    }
    assert!(stub.seen().is_empty(), "nothing was sent to Stripe");
}

#[test]
fn pix_gets_its_code_lifetime_in_seconds() {
    let offer = PaymentOffer::new(&[PaymentMethod::Pix], Some(2));
    let options = chatdrop_payments::stripe::payment_method_options(&offer).unwrap();
    let pix = options.pix.expect("pix options");
    assert_eq!(pix.expires_after_seconds, Some(2 * 86_400));
    assert!(options.konbini.is_none() && options.wechat_pay.is_none());
    let types = chatdrop_payments::stripe::allowed_payment_method_types(&offer);
    assert_eq!(types, ["pix"]);
    // Not allowed to wait: Pix is not offered, and cards take its place.
    let offer = PaymentOffer::new(&[PaymentMethod::Pix], None);
    assert!(chatdrop_payments::stripe::payment_method_options(&offer).is_none());
    let types = chatdrop_payments::stripe::allowed_payment_method_types(&offer);
    assert_eq!(types, ["card"]);
}
