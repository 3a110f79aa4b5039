//! One catalog sold in several markets, end to end: the benchmark case of issue 14.
//!
//! `cli/catalogs/maison.toml` sells a customizable limited-edition bag in China on WeChat (CNY,
//! Simplified Chinese, WeChat Pay), in Thailand on LINE (THB, Thai, PromptPay) and in Brazil on
//! WhatsApp (BRL, Brazilian Portuguese, Pix). For each market a customer greets the shop in
//! their language, customizes the bag, checks out and pays on the fake Stripe; the test checks
//! the language of the replies, the amounts as CLDR writes them in that language, the payment
//! method types sent to Stripe, and the confirmation.
//!
//! Then the bad inputs, each refused with a clear error and nothing half-written: a text in a
//! language the catalog does not speak or under a tag that is no tag, a price missing in one
//! market, and a payment method Stripe does not take in the market's currency (refused when
//! the catalog loads, and, for a catalog stored before that check, at checkout before anything
//! is reserved or sent to Stripe).

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::catalog::{Catalog, CatalogError};
use chatdrop_domain::lang::Lang;
use chatdrop_domain::market::MarketError;
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::payment::{CheckoutLine, CheckoutRequest, PaymentError, PaymentGateway};
use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer};
use chatdrop_domain::ports::{CatalogSource, OrderStore};
use chatdrop_e2e::{Customer, Harness, OutboxEntry, Platform, atelier_drop, maison_catalog};
use chatdrop_store::CatalogLoadError;
use xtask::transcript::shown_text;

/// Every text the replies show, on any platform, joined.
fn text_of(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One market's customer and what they should read.
struct Case {
    test: &'static str,
    platform: Platform,
    /// The platform's id for the customer (a São Paulo number for WhatsApp).
    customer: &'static str,
    greeting: &'static str,
    lang: Lang,
    currency: Currency,
    /// The welcome, in the market's language (the start of `welcome` in its `.ftl` file).
    welcome: &'static str,
    /// The choices the customer picks, by (part of) their title as shown: category, product,
    /// "customize", one option per group, "view cart", "checkout".
    path: &'static [&'static str],
    /// Typed while the bag is being customized (the initials), after `path[typed_after]`.
    typed: Option<(usize, &'static str)>,
    /// The total of the customized bag, in minor units of the market's currency.
    total: i64,
    /// The total as the reply writes it (CLDR for the language and currency).
    total_text: &'static str,
    /// `allowed_payment_method_types[]` as Stripe must receive them.
    methods: &'static [&'static str],
    /// What the customer pays with on Stripe's page.
    pays_with: &'static str,
    /// For a method that settles later: words of the "pay by" message in the market's language.
    held: Option<&'static str>,
    /// Words of the confirmation in the market's language.
    confirmation: &'static str,
}

/// The customer's whole visit: greeting, customization, checkout, payment, confirmation.
/// Returns the harness, the customer and the paid order.
async fn buy(case: &Case) -> (Harness, Customer, Order) {
    let h = Harness::start_with_catalog(case.test, &maison_catalog()).await;
    // Pix settles later: the drop lets the customer take a day to pay, or Pix is not offered.
    h.stack
        .open_drop(&atelier_drop("atelier", 3, Some(1)))
        .await
        .unwrap();
    let customer = h.customer_on(case.platform, case.customer);

    let mut r = h.say(&customer, case.greeting).await;
    assert!(text_of(&r).contains(case.welcome), "{}", text_of(&r));
    for (i, title) in case.path.iter().enumerate() {
        r = h.choose(&customer, &r, title).await;
        if let Some((after, typed)) = case.typed
            && after == i
        {
            r = h.say(&customer, typed).await;
        }
    }
    // The reservation: its total in the market's currency, written in the customer's language.
    let reserved = text_of(&r);
    assert!(reserved.contains(case.total_text), "{reserved}");

    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session.currency, case.currency.code().to_ascii_lowercase());
    assert_eq!(session.amount_total, case.total);
    assert_eq!(session.allowed_payment_method_types, case.methods);
    let order_id = session.client_reference_id.clone().unwrap();
    let store = h.stack.store();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.lang, case.lang);
    assert_eq!(order.currency, case.currency);
    assert_eq!(order.total, case.total);

    let before = h.stack.last_seq().await.unwrap();
    let chosen = h
        .stack
        .stripe
        .pay_with(&session.id, case.pays_with)
        .await
        .unwrap();
    assert!(chosen.delivery.succeeded(), "{chosen:?}");
    let mut told = h.stack.replies_after(&customer.id, before).await.unwrap();
    let settles_later =
        PaymentMethod::from_stripe_name(case.pays_with).is_some_and(PaymentMethod::settles_later);
    assert_eq!(settles_later, case.held.is_some(), "{}", case.pays_with);
    if let Some(words) = case.held {
        // The code is shown; the money comes later. The customer is told by when to pay, in
        // their language, and the reservation waits.
        let held = text_of(&told);
        assert!(held.contains(&order.number()), "{held}");
        assert!(held.contains(words), "{held}");
        let waiting = store.order(&order_id).await.unwrap().unwrap();
        assert_eq!(waiting.status, OrderStatus::Reserved);
        let before = h.stack.last_seq().await.unwrap();
        let paid = h
            .stack
            .stripe
            .async_payment_succeeded(&session.id)
            .await
            .unwrap();
        assert!(paid.delivery.succeeded(), "{paid:?}");
        told = h.stack.replies_after(&customer.id, before).await.unwrap();
    }
    let confirmation = text_of(&told);
    assert!(confirmation.contains(case.confirmation), "{confirmation}");
    assert!(confirmation.contains(&order.number()), "{confirmation}");
    assert!(confirmation.contains(case.total_text), "{confirmation}");
    let paid = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    let stock = store.drop_stock("atelier").await.unwrap();
    assert_eq!((stock[0].1, stock[0].2, stock[0].3), (2, 0, 1), "one sold");
    (h, customer, paid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_in_shanghai_reads_simplified_chinese_and_pays_cny_with_wechat_pay() {
    let (h, _, order) = buy(&Case {
        test: "market-cn",
        platform: Platform::Wechat,
        customer: "oUpF8uMuAJO_M2pxb1Q9zNjShanghai",
        greeting: "你好",
        lang: Lang::ZH_HANS,
        currency: Currency::CNY,
        welcome: "欢迎光临本店",
        // Calfskin, black, gold-plated hardware, the star charm (it needs the gold), no
        // initials: ¥38,000 + ¥3,000 + ¥1,800.
        path: &[
            "手袋",
            "Atelier",
            "定制并加入",
            "小牛皮",
            "黑色",
            "镀金",
            "星星挂饰",
            "跳过",
            "查看购物车",
            "去结算",
        ],
        typed: None,
        total: 4_280_000,
        total_text: "¥42,800.00",
        methods: &["wechat_pay", "alipay", "card"],
        pays_with: "wechat_pay",
        held: None,
        confirmation: "支付成功",
    })
    .await;
    assert_eq!(order.lines[0].name, "Atelier 限量版手袋");
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_in_bangkok_reads_thai_and_pays_thb_with_promptpay() {
    let (h, _, order) = buy(&Case {
        test: "market-th",
        platform: Platform::Line,
        customer: "Ubangkok0000000000000000000000001",
        greeting: "สวัสดีครับ",
        lang: Lang::TH,
        currency: Currency::THB,
        welcome: "ยินดีต้อนรับสู่ร้านของเรา",
        // Ostrich, black, palladium, no charm, no initials: ฿185,000 + ฿58,000.
        path: &[
            "กระเป๋า",
            "อาเตอลิเย่",
            "เลือกแบบแล้วใส่ตะกร้า",
            "หนังนกกระจอกเทศ",
            "สีดำ",
            "พาลาเดียม",
            "ข้าม",
            "ข้าม",
            "ดูตะกร้า",
            "สั่งซื้อ",
        ],
        typed: None,
        total: 24_300_000,
        total_text: "฿243,000.00",
        methods: &["promptpay", "card"],
        pays_with: "promptpay",
        held: None,
        confirmation: "ชำระเงินเรียบร้อยแล้ว",
    })
    .await;
    assert_eq!(order.lines[0].name, "กระเป๋าอาเตอลิเย่ รุ่นลิมิเต็ด");
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_in_sao_paulo_reads_portuguese_and_pays_brl_with_pix() {
    let (h, _, order) = buy(&Case {
        test: "market-br",
        platform: Platform::Whatsapp,
        customer: "5511987654321",
        greeting: "Olá!",
        lang: Lang::PT_BR,
        currency: Currency::BRL,
        welcome: "Boas-vindas à nossa loja",
        // Calfskin, ivory (calfskin only), palladium, the horse charm, initials "ANA":
        // R$ 29.000 + R$ 1.800 + R$ 350.
        path: &[
            "Bolsas",
            "Atelier",
            "Personalizar e adicionar",
            "bezerro",
            "Marfim",
            "Paládio",
            "cavalo",
            "Ver carrinho",
            "Finalizar compra",
        ],
        typed: Some((6, "ANA")),
        total: 3_115_000,
        total_text: "R$\u{a0}31.150,00",
        methods: &["pix", "card"],
        pays_with: "pix",
        held: Some("fica reservado para você até"),
        confirmation: "está pago",
    })
    .await;
    assert!(
        order.lines[0].item.contains("ANA"),
        "{}",
        order.lines[0].item
    );
    // Pix's code stays payable for the drop's one day.
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(
        sessions[0].payment_method_options["pix"]["expires_after_seconds"],
        "86400"
    );
    h.stack.stop().await;
}

/// What the stack serves now, read afresh (a new store has no cached catalog).
async fn live_catalog(h: &Harness) -> Catalog {
    (*h.stack.store().catalog().await.unwrap()).clone()
}

/// The load's catalog error, after checking that the live catalog did not change.
async fn refused(h: &Harness, catalog: &Catalog) -> CatalogError {
    let before = live_catalog(h).await;
    let err = h.stack.store().replace_catalog(catalog).await.unwrap_err();
    assert_eq!(live_catalog(h).await, before, "nothing half-written");
    match err {
        CatalogLoadError::Invalid(e) => e,
        other => panic!("expected an invalid catalog, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_language_tag_is_refused_at_load() {
    let h = Harness::start_with_catalog("market-tags", &maison_catalog()).await;

    // A well-formed tag the catalog does not speak: no market's, no message file's language.
    let mut french = maison_catalog();
    french.products[0]
        .name
        .insert("fr".parse().unwrap(), "Sac Atelier");
    let err = refused(&h, &french).await;
    assert_eq!(
        err.to_string(),
        "product atelier-bag: name has text in \"fr\", which is not a language this catalog speaks"
    );

    // A key that is no BCP 47 tag at all never becomes a catalog.
    let text = include_str!("../cli/catalogs/maison.toml").replacen(
        "\"pt-BR\" = \"Bolsas\"",
        "\"portuguese\" = \"Bolsas\"",
        1,
    );
    let err = toml::from_str::<Catalog>(&text).unwrap_err();
    assert!(
        err.to_string()
            .contains("`portuguese` is not a BCP 47 language tag"),
        "{err}"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_missing_in_one_market_is_refused_at_load() {
    let h = Harness::start_with_catalog("market-prices", &maison_catalog()).await;
    let mut missing = maison_catalog();
    missing.products[1].prices.remove("br");
    let err = refused(&h, &missing).await;
    assert_eq!(
        err,
        CatalogError::MissingPrice {
            product: "silk-scarf".into(),
            market: "br".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "product `silk-scarf` has no price in market `br`"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_stripe_does_not_take_in_the_currency_is_refused_at_load() {
    let h = Harness::start_with_catalog("market-method-load", &maison_catalog()).await;
    let mut baht_wechat = maison_catalog();
    baht_wechat.markets[1]
        .payment_methods
        .push(PaymentMethod::WechatPay);
    let err = refused(&h, &baht_wechat).await;
    assert!(
        matches!(
            &err,
            CatalogError::Market(MarketError::Currency { market, problem })
                if market == "th" && problem.method == PaymentMethod::WechatPay
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "market `th`: Stripe does not take wechat_pay in THB: it takes wechat_pay in CNY"
        ),
        "{err}"
    );
    h.stack.stop().await;
}

/// Rewrites the live catalog's market `index` to offer `methods`, past the load's checks: a
/// catalog stored before those checks existed, or by hand.
async fn store_methods_unchecked(h: &Harness, index: usize, methods: &[&str]) {
    let store = h.stack.store();
    let pointer = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S("CATALOG".into()))
        .key("sk", AttributeValue::S("CURRENT".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let version = match pointer.item.unwrap().get("version") {
        Some(AttributeValue::N(v)) => v.clone(),
        other => panic!("no catalog version: {other:?}"),
    };
    let methods = methods
        .iter()
        .map(|m| AttributeValue::S((*m).into()))
        .collect();
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("CATALOG#v{version}")))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression(format!("SET markets[{index}].payment_methods = :m"))
        .expression_attribute_values(":m", AttributeValue::L(methods))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_stripe_does_not_take_in_the_currency_is_refused_at_checkout() {
    let h = Harness::start_with_catalog("market-method-checkout", &maison_catalog()).await;
    h.stack
        .open_drop(&atelier_drop("atelier", 2, None))
        .await
        .unwrap();
    store_methods_unchecked(&h, 1, &["promptpay", "wechat_pay"]).await;
    let served = live_catalog(&h).await;
    assert_eq!(
        served.markets[1].payment_methods,
        [PaymentMethod::Promptpay, PaymentMethod::WechatPay]
    );

    // The LINE customer in Bangkok checks out: told in Thai that payment is unavailable.
    let customer = h.customer_on(Platform::Line, "Ubangkok0000000000000000000000002");
    let mut r = h.say(&customer, "สวัสดีครับ").await;
    for title in [
        "กระเป๋า",
        "อาเตอลิเย่",
        "เลือกแบบแล้วใส่ตะกร้า",
        "หนังลูกวัว",
        "สีดำ",
        "พาลาเดียม",
        "ข้าม",
        "ข้าม",
        "ดูตะกร้า",
        "สั่งซื้อ",
    ] {
        r = h.choose(&customer, &r, title).await;
    }
    let unavailable = chatdrop_domain::i18n::Msg::PaymentUnavailable.text(Lang::TH);
    assert_eq!(text_of(&r), unavailable);

    // Nothing reserved, nothing sent to Stripe.
    let store = h.stack.store();
    let stock = store.drop_stock("atelier").await.unwrap();
    assert_eq!((stock[0].1, stock[0].2, stock[0].3), (2, 0, 0));
    assert!(h.stack.stripe.sessions().await.unwrap().is_empty());

    // The gateway refuses such a page itself, before any request: its own reason, not the
    // fake Stripe's 400 ("The currency provided (thb) is invalid …").
    let request = CheckoutRequest {
        order_id: "ord-baht-wechat".into(),
        currency: Currency::THB,
        lines: vec![CheckoutLine {
            name: "Atelier Bag".into(),
            description: None,
            unit_amount: 18_500_000,
            quantity: 1,
        }],
        expires_at: chatdrop_domain::clock::Clock::now(&chatdrop_domain::clock::SystemClock) + 3600,
        success_url: format!("{}/paid", h.stack.url),
        cancel_url: format!("{}/cancelled", h.stack.url),
        collect_shipping: true,
        payment_offer: PaymentOffer::new(
            &[PaymentMethod::Promptpay, PaymentMethod::WechatPay],
            None,
        ),
    };
    let err = h
        .stack
        .gateway()
        .unwrap()
        .create_checkout(&request)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PaymentError::Refused(
            "Stripe does not take wechat_pay in THB: it takes wechat_pay in CNY, AUD, CAD, EUR, GBP, HKD, JPY, SGD, USD, DKK, NOK, SEK, CHF".into()
        )
    );
    assert!(h.stack.stripe.sessions().await.unwrap().is_empty());
    h.stack.stop().await;
}
