//! KakaoTalk skill answer time: `cargo run --release -p xtask --bin kakaoload -- [--customers N]
//! [--in-flight K]`.
//!
//! Kakao waits at most 5 s for a skill's answer, and the answer is the whole turn (catalog,
//! cart, checkout with its Stripe call), so this bench measures what a customer waits for. It
//! starts moto, the fake platforms and the local stack (queue consumers off: the kakao function
//! needs none), loads `cli/catalogs/maison.toml` (its kr market: KRW, Korean, Kakao Pay), opens
//! a drop of the Atelier Bag with a unit per customer, and lets `N` Korean customers walk from
//! the greeting to a reservation through the fake Open Builder (`xtask/src/platform/kakao.rs`),
//! `K` customers at once, every answer checked as Kakao takes it.
//!
//! Reported: p50/p99 of the skill call as Kakao times it (loopback HTTP included) over every
//! call, and per kind (the greeting; browse, customization and cart taps; the checkout, which
//! reserves and calls the fake Stripe); the skill's own split (its `Server-Timing`: parse, the
//! turn, render) at p50/p99; and the first call after start separately, since it pays the cold
//! process's first DynamoDB connection and catalog read. The function's own cold start (exec to
//! ready) is `coldstart`'s. Goal: p99 under 1 s. Fails if any answer breaks Kakao's rules.

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use clap::Parser;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use xtask::Error;
use xtask::moto::Moto;
use xtask::platform::kakao::{KakaoUser, OpenBuilder, SkillAnswer};
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "Korean customers from greeting to reservation through the Kakao skill")]
struct Args {
    /// Customers, each walking greeting → customization → cart → checkout (11 calls).
    #[arg(long, default_value_t = 100)]
    customers: usize,
    /// Customers walking at once.
    #[arg(long, default_value_t = 8)]
    in_flight: usize,
}

/// The taps from the greeting's answer to the cart (labels as maison.toml's Korean text).
const PATH: [&str; 9] = [
    "가방",
    "아틀리에",
    "옵션 선택 후 담기",
    "송아지 가죽",
    "블랙",
    "팔라듐",
    "건너뛰기",
    "건너뛰기",
    "장바구니 보기",
];

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kakaoload: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kakaoload: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    if args.customers == 0 || args.in_flight == 0 {
        return Err("--customers and --in-flight must be at least 1".into());
    }
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::None;
    let stack = LocalStack::start(options).await?;
    let result = load(&args, &stack).await;
    stack.stop().await;
    drop(moto);
    result
}

/// One call's figures.
struct Sample {
    kind: &'static str,
    total: Duration,
    parse: f64,
    turn: f64,
    thread: f64,
    render: f64,
}

fn sample(kind: &'static str, answer: &SkillAnswer) -> Result<Sample, Error> {
    answer
        .check()
        .map_err(|why| format!("{kind}: {why}: {}", answer.body))?;
    let part = |name: &str| {
        answer
            .server_timing
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, ms)| *ms)
            .unwrap_or(0.0)
    };
    Ok(Sample {
        kind,
        total: answer.elapsed,
        parse: part("parse"),
        turn: part("turn"),
        thread: part("thread"),
        render: part("render"),
    })
}

async fn walk(bot: &OpenBuilder, n: usize) -> Result<Vec<Sample>, Error> {
    let user = KakaoUser::korean(&format!("load{n:06}user"));
    let mut samples = Vec::new();
    let mut r = bot.say(&user, "안녕하세요").await;
    samples.push(sample("greeting", &r)?);
    for label in PATH {
        r = bot.tap(&user, &r.tap_labelled(label)).await;
        samples.push(sample("browse/customize/cart tap", &r)?);
    }
    r = bot.tap(&user, &r.tap_labelled("주문하기")).await;
    samples.push(sample("checkout (reserve + Stripe)", &r)?);
    if r.web_links().is_empty() {
        return Err(format!("customer {n}: no pay link: {}", r.shown_text()).into());
    }
    Ok(samples)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn row(name: &str, samples: &[&Sample]) {
    let mut total: Vec<f64> = samples
        .iter()
        .map(|s| s.total.as_secs_f64() * 1000.0)
        .collect();
    let mut turn: Vec<f64> = samples.iter().map(|s| s.turn).collect();
    let mut parse: Vec<f64> = samples.iter().map(|s| s.parse).collect();
    let mut thread: Vec<f64> = samples.iter().map(|s| s.thread).collect();
    let mut render: Vec<f64> = samples.iter().map(|s| s.render).collect();
    for v in [&mut total, &mut turn, &mut parse, &mut thread, &mut render] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "| {name} | {} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.3} / {:.3} ms | {:.1} / {:.1} ms | {:.3} / {:.3} ms |",
        samples.len(),
        percentile(&total, 0.5),
        percentile(&total, 0.99),
        percentile(&turn, 0.5),
        percentile(&turn, 0.99),
        percentile(&parse, 0.5),
        percentile(&parse, 0.99),
        percentile(&thread, 0.5),
        percentile(&thread, 0.99),
        percentile(&render, 0.5),
        percentile(&render, 0.99),
    );
}

async fn load(args: &Args, stack: &LocalStack) -> Result<(), Error> {
    let catalog: Catalog = toml::from_str(include_str!("../../../cli/catalogs/maison.toml"))?;
    stack.load_catalog(&catalog).await?;
    stack
        .open_drop(&Drop {
            id: "atelier".into(),
            name: "Atelier Bag, Limited Edition".into(),
            starts_at: SystemClock.now() - 3600,
            ends_at: None,
            per_customer_limit: Some(1),
            skus: vec![DropSku {
                sku: "atelier-bag".into(),
                stock: args.customers as u32 + 1,
                per_customer_limit: None,
                shards: None,
            }],
            status: DropStatus::Open,
            delayed_payment_days: None,
            verified_phone: false,
            draw: None,
        })
        .await?;
    let bot = Arc::new(OpenBuilder::local(&stack.url));

    // The first call after start: a cold store client and catalog.
    let cold = bot
        .say(&KakaoUser::korean("cold0start"), "안녕하세요")
        .await;
    let cold = sample("first call after start", &cold)?;

    let gate = Arc::new(Semaphore::new(args.in_flight));
    let started = std::time::Instant::now();
    let mut walks = Vec::new();
    for n in 0..args.customers {
        let bot = bot.clone();
        let gate = gate.clone();
        walks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            walk(&bot, n).await.map_err(|e| e.to_string())
        }));
    }
    let mut samples = Vec::new();
    for w in walks {
        samples.extend(w.await.map_err(|e| e.to_string())??);
    }
    let wall = started.elapsed();

    println!(
        "{} customers, {} in flight: {} skill calls in {:.1} s ({:.0} calls/s), every answer within Kakao's rules",
        args.customers,
        args.in_flight,
        samples.len(),
        wall.as_secs_f64(),
        samples.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "| calls | n | answer p50 / p99 | turn p50 / p99 | parse p50 / p99 | thread p50 / p99 | render p50 / p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    row("all", &samples.iter().collect::<Vec<_>>());
    for kind in [
        "greeting",
        "browse/customize/cart tap",
        "checkout (reserve + Stripe)",
    ] {
        row(
            kind,
            &samples
                .iter()
                .filter(|s| s.kind == kind)
                .collect::<Vec<_>>(),
        );
    }
    row(cold.kind, &[&cold]);
    let mut all: Vec<f64> = samples.iter().map(|s| s.total.as_secs_f64()).collect();
    all.sort_by(f64::total_cmp);
    let p99 = percentile(&all, 0.99);
    if p99 >= 1.0 {
        println!("goal missed: p99 {p99:.3} s ≥ 1 s");
    }
    Ok(())
}
