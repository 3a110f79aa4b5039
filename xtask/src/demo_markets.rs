//! The demo's second act (part of the `cargo xtask` binary, not of the `xtask` library): the
//! benchmark case of issue 14. A luxury house sells one customizable limited-edition bag in
//! several markets (`cli/catalogs/maison.toml`): a WeChat customer in Shanghai reads Simplified
//! Chinese, sees yuan and pays with WeChat Pay; a LINE customer in Bangkok reads Thai, sees baht
//! and pays with PromptPay; a WhatsApp customer in São Paulo reads Portuguese, sees reais and
//! pays with Pix, which settles after the page (the shop holds the bag and says by when to pay,
//! then confirms when Stripe reports the money); a KakaoTalk customer in Seoul reads Korean,
//! sees won and pays with Kakao Pay. Kakao calls the shop's skill and shows its answer (no
//! webhook, no push: see `functions/kakao`), so she asks for her orders after paying and reads
//! that the bag is paid.
//!
//! The act runs on a second local stack, with its own table and queues (name prefix
//! `maison-`) on the same moto and the same fake platforms. The store keeps one live catalog per
//! table (`DynamoStore::replace_catalog` switches the whole catalog), so a second retailer is a
//! second table, as it would be a second deployment; `StackOptions::prefix` exists for exactly
//! this. Loading maison into act 1's table instead would take the sample shop off sale, and
//! each function keeps the catalog it read for 30 seconds, so the act would have to wait that
//! out before its first customer.

use crate::{Step, catalog_file, play, show_replies};
use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::payment_method::PaymentMethod;
use xtask::Error;
use xtask::customer::{Customer, Platform};
use xtask::fakes::{Profile, set_profile};
use xtask::platform::kakao::{KakaoUser, OpenBuilder, SkillAnswer};
use xtask::stack::{LocalStack, StackOptions};

/// One customer of the act: who, the conversation, and the method chosen on Stripe's page.
struct Buyer<'a> {
    customer: Customer,
    steps: Vec<Step<'a>>,
    pays_with: &'static str,
}

/// Starts the maison stack on `aws_endpoint` with the fake platforms at `fakes_url`, plays the
/// three markets, and stops it.
pub async fn run(aws_endpoint: &str, fakes_url: &str) -> Result<(), Error> {
    let catalog = catalog_file("maison.toml")?;
    let stack = LocalStack::start(StackOptions::new(aws_endpoint, "maison-", fakes_url)).await?;
    let result = markets(&stack, &catalog).await;
    stack.stop().await;
    result
}

async fn markets(stack: &LocalStack, catalog: &Catalog) -> Result<(), Error> {
    stack.load_catalog(catalog).await?;
    let atelier = Drop {
        id: "atelier".into(),
        name: "Atelier Bag, Limited Edition".into(),
        starts_at: SystemClock.now() - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "atelier-bag".into(),
            stock: 4,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        // Pix settles after the page: offered only where the bag may be held for a day.
        delayed_payment_days: Some(1),
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&atelier).await?;
    println!(
        "\n\n=== Act 2: one limited edition, four markets ===\n\
         The maison's “{}” drop is open on its own stack (table and queues `maison-…`): 4 bags, \
         1 per customer.",
        atelier.name
    );
    for market in &catalog.markets {
        let methods: Vec<&str> = market
            .payment_methods
            .iter()
            .map(|m| m.stripe_name())
            .collect();
        let channels: Vec<&str> = market
            .channels
            .iter()
            .map(|c| c.spec().display_name)
            .collect();
        println!(
            "market {}: {} in {}, {}, pays with {}",
            market.id,
            channels.join("/"),
            market
                .lang
                .map_or("the default language".into(), |l| l.code().to_string()),
            market.currency.code(),
            methods.join(", ")
        );
    }

    let buyers = [
        Buyer {
            customer: Customer::on(
                Platform::Wechat,
                &stack.url,
                "oUpF8uMuAJO_M2pxb1Q9zNjShanghai",
                "Li Na (Shanghai)",
            ),
            steps: vec![
                Step::Say("你好"),
                Step::Choose("手袋"),
                Step::Choose("Atelier"),
                Step::Choose("定制并加入"),
                Step::Choose("小牛皮"),
                Step::Choose("黑色"),
                Step::Choose("镀金"),
                Step::Choose("星星挂饰"),
                Step::Choose("跳过"),
                Step::Choose("查看购物车"),
                Step::Choose("去结算"),
            ],
            pays_with: "wechat_pay",
        },
        Buyer {
            customer: Customer::on(
                Platform::Line,
                &stack.url,
                "Ubangkok0000000000000000000000001",
                "Somchai (Bangkok)",
            ),
            // He greets in English, but his LINE profile says Thai: the bot asks LINE once
            // (`GET /v2/bot/profile/{userId}`) and answers in Thai from the first message.
            steps: vec![
                Step::Say("Hello"),
                Step::Choose("กระเป๋า"),
                Step::Choose("อาเตอลิเย่"),
                Step::Choose("เลือกแบบแล้วใส่ตะกร้า"),
                Step::Choose("หนังนกกระจอกเทศ"),
                Step::Choose("สีดำ"),
                Step::Choose("พาลาเดียม"),
                Step::Choose("ข้าม"),
                Step::Choose("ข้าม"),
                Step::Choose("ดูตะกร้า"),
                Step::Choose("สั่งซื้อ"),
            ],
            pays_with: "promptpay",
        },
        Buyer {
            customer: Customer::whatsapp(&stack.url, "5511976543210", "Beatriz (São Paulo)"),
            steps: vec![
                Step::Say("Olá!"),
                Step::Choose("Bolsas"),
                Step::Choose("Atelier"),
                Step::Choose("Personalizar e adicionar"),
                Step::Choose("bezerro"),
                Step::Choose("Marfim"),
                Step::Choose("Paládio"),
                Step::Choose("cavalo"),
                Step::Say("BIA"),
                Step::Choose("Ver carrinho"),
                Step::Choose("Finalizar compra"),
            ],
            pays_with: "pix",
        },
    ];
    let http = xtask::local_http::client();
    let somchai = Profile {
        channel: "line".into(),
        user: "Ubangkok0000000000000000000000001".into(),
        locale: Some("th".into()),
        fail: false,
    };
    set_profile(&http, &stack.fakes_url, &somchai).await?;
    for buyer in &buyers {
        play(stack, &buyer.customer, &buyer.steps).await?;
        pay(stack, buyer).await?;
    }
    seoul(stack).await?;

    for (sku, available, reserved, sold) in stack.store().drop_stock("atelier").await? {
        println!("\ndrop status: {sku}: {available} available, {reserved} reserved, {sold} sold");
    }
    Ok(())
}

/// The buyer pays on the Stripe page of their last checkout with the method they chose; what
/// Stripe was asked to offer is printed, then what the chat tells them.
async fn pay(stack: &LocalStack, buyer: &Buyer<'_>) -> Result<(), Error> {
    let sessions = stack.stripe.sessions().await?;
    let session = sessions.last().ok_or("no Stripe session")?;
    // As Stripe's API has them: the amount in minor units, the currency in lower case.
    println!(
        "\n=== {} pays on the Stripe page with {} ===\n\
         (Stripe was asked for amount_total={} currency={} allowed_payment_method_types=[{}])",
        buyer.customer.name,
        buyer.pays_with,
        session.amount_total,
        session.currency,
        session.allowed_payment_method_types.join(", ")
    );
    for (method, options) in &session.payment_method_options {
        let options: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("(payment_method_options[{method}]: {})", options.join(", "));
    }
    let before = stack.last_seq().await?;
    let chosen = stack.stripe.pay_with(&session.id, buyer.pays_with).await?;
    if !chosen.delivery.succeeded() {
        return Err(format!("the payment event was not taken: {chosen:?}").into());
    }
    show_replies(stack, &buyer.customer, before).await?;
    if PaymentMethod::from_stripe_name(buyer.pays_with).is_some_and(PaymentMethod::settles_later) {
        println!(
            "\n=== {}'s bank settles the {} payment: Stripe reports it later ===",
            buyer.customer.name, buyer.pays_with
        );
        let before = stack.last_seq().await?;
        let settled = stack.stripe.async_payment_succeeded(&session.id).await?;
        if !settled.delivery.succeeded() {
            return Err(format!("the settlement event was not taken: {settled:?}").into());
        }
        show_replies(stack, &buyer.customer, before).await?;
    }
    Ok(())
}

/// Ji-woo in Seoul on KakaoTalk: every turn is a skill call answered in place (quick replies and
/// list rows to tap), the checkout answer carries the pay link, and Kakao Pay settles at once.
async fn seoul(stack: &LocalStack) -> Result<(), Error> {
    println!("\n=== Ji-woo (Seoul) on KakaoTalk ===");
    let bot = OpenBuilder::local(&stack.url);
    let jiwoo = KakaoUser::korean("5e0u1a2b3c4d5e6f7a8b");
    println!("\nJi-woo: 안녕하세요");
    let mut answer = shown(bot.say(&jiwoo, "안녕하세요").await)?;
    // Calfskin, black, gold-plated hardware, the star charm, no initials.
    for label in [
        "가방",
        "아틀리에",
        "옵션 선택 후 담기",
        "송아지 가죽",
        "블랙",
        "금도금",
        "별 참",
        "건너뛰기",
        "장바구니 보기",
        "주문하기",
    ] {
        let tap = answer
            .find_tap(label)
            .ok_or_else(|| format!("no choice like “{label}” was offered"))?;
        println!("\nJi-woo: (taps “{}”)", tap.label);
        answer = shown(bot.tap(&jiwoo, &tap).await)?;
    }
    let sessions = stack.stripe.sessions().await?;
    let session = sessions.last().ok_or("no Stripe session")?;
    println!(
        "\n=== Ji-woo pays on the Stripe page with kakao_pay ===\n\
         (Stripe was asked for amount_total={} currency={} allowed_payment_method_types=[{}])",
        session.amount_total,
        session.currency,
        session.allowed_payment_method_types.join(", ")
    );
    let paid = stack.stripe.pay_with(&session.id, "kakao_pay").await?;
    if !paid.delivery.succeeded() {
        return Err(format!("the payment event was not taken: {paid:?}").into());
    }
    println!("\nJi-woo: 주문 내역");
    shown(bot.say(&jiwoo, "주문 내역").await)?;
    Ok(())
}

/// Prints a skill answer as the chat shows it; an answer Kakao would refuse is an error.
fn shown(answer: SkillAnswer) -> Result<SkillAnswer, Error> {
    answer.check()?;
    for line in answer.shown_text().lines() {
        println!("  shop │ {line}");
    }
    for link in answer.web_links() {
        println!("  shop │ [{link}]");
    }
    Ok(answer)
}
