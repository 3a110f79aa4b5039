//! A drop under a flash crowd: `cargo run --release -p xtask --bin flashcrowd -- [--buyers N]
//! [--in-flight K] [--stock S] [--shards N] [--plot PATH]`.
//!
//! Starts moto and the local stack itself (as `cargo xtask demo` does), loads the sample
//! catalog, opens a drop of `--stock` Drop Bags (1 per customer), gives every buyer a cart
//! holding one bag, and then lets all of them press "Checkout" at the same moment. Each
//! checkout is the payment function's own logic (`checkout::handle`) on the real `DynamoStore`
//! and the fake Stripe, as `tests/contention.rs` runs it; `K` of them are in flight at once,
//! the rest wait their turn, which is how the buyers' wait adds up when the store is the
//! bottleneck. Each reply is noted when the checkout hands it over (pay link or "sold out": the
//! checkout's own answer time) and then goes the production way: the outbound queue, the
//! stack's `notify` (pacing at `--whatsapp-mps`), and the fake WhatsApp Cloud API, which
//! accepts at most `--whatsapp-mps` messages a second (1,000: a top-tier business number) and
//! answers Graph's 130429 beyond. The fake stamps every message it accepts, so the report gives
//! the time until every buyer had their answer in the chat, and how many messages each got.
//!
//! After the crowd, every reserved buyer pays on the fake Stripe page (its signed webhook goes
//! through the stack's `payment-webhook` function), so the drop ends with its stock sold.
//!
//! Three reference runs share the moto and the concurrency:
//!
//! - **the raw ceiling**: a bare `UpdateItem … ConditionExpression available >= :q` loop on a
//!   fresh item, the least a reservation could cost this store;
//! - **the naive baseline**: read the stock (`GetItem`), and if a unit is left write the
//!   decrement without a condition: what a check-then-act shop does, and how much it oversells;
//! - **the cost of one checkout**: every DynamoDB request the checkouts send is counted by an
//!   interceptor on the SDK client (`Intercept::read_before_transmit`, once per attempt, so
//!   retries count) and attributed to its buyer through a task-local; the written items' sizes
//!   give the write units the same checkout would consume on AWS (1 per KB per item, 2 in a
//!   transaction). The interceptor was chosen over counting in `serve_moto.py`'s log because it
//!   sees which buyer sent each call, without touching the shared server.
//!
//! Prints the figures and writes a plot of reserved and sold units over time (SVG) with the
//! figures as JSON and markdown next to it (`target/flashcrowd.{svg,json,md}` by default).
//! A bench, never a test: the figures are what this machine measures, not assertions, but the
//! run fails if the drop did not sell exactly its stock or a buyer went unanswered.

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::ports::{Dispatch, PortError};
use chatdrop_domain::reply::{Reply, ReplyBundle};
use chatdrop_store::DynamoStore;
use clap::Parser;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use xtask::Error;
use xtask::dynamo_calls::{Call, CallLog, RecordCalls, describe_counts, op_counts, write_units};
use xtask::moto::{self, Moto};
use xtask::percentile::nearest_rank;
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "A limited drop under a flash crowd, through the real checkout path")]
struct Args {
    /// Buyers pressing "Checkout" at the same moment.
    #[arg(long, default_value_t = 10_000)]
    buyers: usize,
    /// Units in the drop.
    #[arg(long, default_value_t = 1_000)]
    stock: u32,
    /// Checkouts in flight at once (the rest wait). moto runs one DynamoDB request at a time,
    /// so more than a few dozen only lengthen the queue in front of its lock.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Stock shards of the drop's SKU (`DropSku.shards`); unsharded when absent.
    #[arg(long)]
    shards: Option<u32>,
    /// Messages a second the fake WhatsApp accepts, and the pace notify keeps
    /// (`CHATDROP_SEND_RATES`).
    #[arg(long, default_value_t = 1_000)]
    whatsapp_mps: u32,
    /// Outbound batches the stack's notify works on at once (Lambda would scale out).
    #[arg(long, default_value_t = 4)]
    notify_pollers: usize,
    /// How long to wait for the last answer to reach the chat after the crowd.
    #[arg(long, default_value_t = 900)]
    chat_timeout_seconds: u64,
    /// Where the SVG goes; the figures go next to it as `.json` and `.md`.
    #[arg(long)]
    plot: Option<PathBuf>,
}

const DROP_ID: &str = "flash";
const SKU: &str = "drop-bag";
const SOLD_OUT: &str = "Sorry, Drop Bag is sold out. Your cart is unchanged.";

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flashcrowd: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flashcrowd: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The buyers.

/// When each buyer's checkout answered, and what; the answer then goes on to the outbound
/// queue.
struct Answers {
    given: Mutex<HashMap<String, Vec<(Instant, Answer)>>>,
    outbound: chatdrop_queue::SqsQueues,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    PayLink,
    SoldOut,
    Other,
}

impl Dispatch for Answers {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        let answer = if bundle
            .replies
            .iter()
            .any(|r| matches!(r, Reply::Link { url, .. } if url.contains("/p/")))
        {
            Answer::PayLink
        } else if bundle.replies.iter().any(
            |r| matches!(r, Reply::Text { body } | Reply::Choices { body, .. } if body == SOLD_OUT),
        ) {
            Answer::SoldOut
        } else {
            Answer::Other
        };
        self.given
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(bundle.conversation.customer.clone())
            .or_default()
            .push((Instant::now(), answer));
        self.outbound.reply(bundle).await
    }

    async fn hand_off(&self, _: Handler, _: &InboundMessage) -> Result<(), PortError> {
        Ok(())
    }
}

fn buyer(n: usize) -> ConversationId {
    ConversationId::new(Channel::Whatsapp, format!("55119{n:08}"))
}

fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One buyer's checkout as it went.
struct Outcome {
    /// From permit to the handler's return (the checkout's own latency).
    service: Duration,
    /// Handler errors retried (the queue would redeliver in production).
    errors: u32,
    calls: Vec<Call>,
}

/// Runs `jobs` futures with at most `in_flight` at once; returns their results in order.
async fn bounded<T, F, Fut>(count: usize, in_flight: usize, job: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(in_flight));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = gate.clone().acquire_owned();
        let work = job(i);
        tasks.push(tokio::spawn(async move {
            let _permit = permit.await.expect("the gate is never closed");
            work.await
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.expect("a bench task panicked"));
    }
    out
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

// ---------------------------------------------------------------------------------------------
// The reference runs.

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ])
}

async fn put_stock(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    available: u64,
) -> Result<(), Error> {
    let mut item = key(pk, "SKU#bench");
    item.insert("available".into(), AttributeValue::N(available.to_string()));
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
    Ok(())
}

/// The raw ceiling: `ops` bare conditional decrements of a fresh item, `in_flight` at once.
async fn raw_ceiling(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    ops: usize,
    in_flight: usize,
) -> Result<(f64, usize), Error> {
    put_stock(client, table, "BENCH#ceiling", ops as u64).await?;
    let started = Instant::now();
    let results = bounded(ops, in_flight, |_| {
        let (client, table) = (client.clone(), table.to_string());
        async move {
            client
                .update_item()
                .table_name(table)
                .set_key(Some(key("BENCH#ceiling", "SKU#bench")))
                .update_expression("SET available = available - :q")
                .condition_expression("available >= :q")
                .expression_attribute_values(":q", AttributeValue::N("1".into()))
                .send()
                .await
                .is_ok()
        }
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let ok = results.iter().filter(|ok| **ok).count();
    Ok((ops as f64 / elapsed, ok))
}

/// The naive shop: read, and if a unit is left, decrement without a condition.
/// Returns (buyers told yes, final counter, seconds).
async fn naive(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    buyers: usize,
    stock: u32,
    in_flight: usize,
) -> Result<(usize, i64, f64), Error> {
    put_stock(client, table, "BENCH#naive", u64::from(stock)).await?;
    let started = Instant::now();
    let results = bounded(buyers, in_flight, |_| {
        let (client, table) = (client.clone(), table.to_string());
        async move {
            let read = client
                .get_item()
                .table_name(&table)
                .set_key(Some(key("BENCH#naive", "SKU#bench")))
                .consistent_read(true)
                .send()
                .await
                .ok()?;
            let available: i64 = match read.item?.get("available") {
                Some(AttributeValue::N(n)) => n.parse().ok()?,
                _ => return None,
            };
            if available < 1 {
                return Some(false);
            }
            client
                .update_item()
                .table_name(&table)
                .set_key(Some(key("BENCH#naive", "SKU#bench")))
                .update_expression("SET available = available - :q")
                .expression_attribute_values(":q", AttributeValue::N("1".into()))
                .send()
                .await
                .ok()?;
            Some(true)
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let yes = results.iter().filter(|r| **r == Some(true)).count();
    let failed = results.iter().filter(|r| r.is_none()).count();
    if failed > 0 {
        return Err(format!("naive baseline: {failed} requests failed").into());
    }
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key("BENCH#naive", "SKU#bench")))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?
        .item
        .unwrap_or_default();
    let left = match item.get("available") {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    Ok((yes, left, seconds))
}

// ---------------------------------------------------------------------------------------------
// The run.

async fn run(args: Args) -> Result<(), Error> {
    if args.buyers == 0 || args.in_flight == 0 || args.stock == 0 {
        return Err("--buyers, --in-flight and --stock must be at least 1".into());
    }
    let whole = Instant::now();
    let moto = Moto::start()?;
    let (fakes_url, _fakes) =
        xtask::fakes::spawn_with_throughput("127.0.0.1:0", Some(args.whatsapp_mps)).await?;
    // Only notify consumes: the bench calls the payment logic directly, and idle long polls
    // on the other queues would cost moto CPU the measurement should not pay.
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::NotifyOnly;
    options.notify_pollers = args.notify_pollers;
    options.env.push((
        "CHATDROP_SEND_RATES".into(),
        format!("whatsapp={}", args.whatsapp_mps),
    ));
    let stack = LocalStack::start(options).await?;
    let result = crowd(&args, &moto, &stack).await;
    stack.stop().await;
    drop(moto);
    println!("whole run: {:.0} s", whole.elapsed().as_secs_f64());
    result
}

async fn crowd(args: &Args, moto: &Moto, stack: &LocalStack) -> Result<(), Error> {
    let catalog_path = moto::repo_root().join("cli/catalogs/sample.toml");
    let catalog = toml::from_str(&std::fs::read_to_string(catalog_path)?)?;
    stack.load_catalog(&catalog).await?;
    let table = stack.provisioned.table.clone();
    let plain = aws_sdk_dynamodb::Client::new(&stack.aws);
    let counter = RecordCalls::default();
    let counted = counter.client(&stack.aws);
    let (buyers, stock, in_flight) = (args.buyers, args.stock, args.in_flight);
    println!(
        "flashcrowd: {buyers} buyers, {stock} units{}, {in_flight} checkouts in flight (moto {}, stack {})",
        args.shards
            .map(|n| format!(" over {n} shards"))
            .unwrap_or_default(),
        moto.endpoint,
        stack.url
    );

    // (a) The raw ceiling, and (c) the naive baseline, on items of their own.
    let (ceiling, ceiling_ok) = raw_ceiling(&plain, &table, buyers, in_flight).await?;
    println!(
        "raw ceiling: {buyers} conditional UpdateItems ({ceiling_ok} succeeded) at {ceiling:.0} ops/s"
    );
    let (naive_yes, naive_left, naive_secs) =
        naive(&plain, &table, buyers, stock, in_flight).await?;
    let naive_oversold = naive_yes.saturating_sub(stock as usize);
    println!(
        "naive read-then-write: {naive_yes} buyers told yes for {stock} units: oversold {naive_oversold} (counter ends at {naive_left}), {:.1} s",
        naive_secs
    );

    // The drop, and every buyer's cart.
    let drop = Drop {
        id: DROP_ID.into(),
        name: "Flash drop".into(),
        starts_at: SystemClock.now() - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: SKU.into(),
            stock,
            per_customer_limit: None,
            shards: args.shards,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&drop).await?;
    let seeding = Instant::now();
    let seed_store = Arc::new(stack.store());
    let seeded = bounded(buyers, in_flight, |n| {
        let store = seed_store.clone();
        async move {
            // What the cart function leaves behind after "Add to cart".
            xtask::crowd::seed_cart(
                store.as_ref(),
                &buyer(n),
                SKU,
                xtask::crowd::plain_bag(),
                None,
            )
            .await
            .map_err(|e| e.to_string())
        }
    })
    .await;
    if let Some(Err(e)) = seeded.into_iter().find(Result::is_err) {
        return Err(format!("seeding carts: {e}").into());
    }
    println!(
        "seeded {buyers} carts in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // The crowd.
    let store = Arc::new(DynamoStore::new(counted, &table));
    let gateway = Arc::new(stack.gateway()?);
    let answers = Arc::new(Answers {
        given: Mutex::default(),
        outbound: stack.queues(),
    });
    let settings = Arc::new(stack.config.checkout_settings(xtask::dev::id_key()));
    let started = Instant::now();
    let started_ms = unix_millis();
    let outcomes = bounded(buyers, in_flight, |n| {
        let (store, gateway, answers, settings) = (
            store.clone(),
            gateway.clone(),
            answers.clone(),
            settings.clone(),
        );
        let message = xtask::crowd::checkout_message(&buyer(n), n, SystemClock.now());
        async move {
            let trace = CallLog::default();
            let begun = Instant::now();
            let mut errors = 0;
            let work = async {
                let ports = PaymentPorts {
                    sessions: store.as_ref(),
                    catalogs: store.as_ref(),
                    orders: store.as_ref(),
                    gateway: gateway.as_ref(),
                    dispatch: answers.as_ref(),
                };
                // A failed handler is retried by the queue in production; here, at once.
                for _ in 0..5 {
                    match checkout::handle(&message, &ports, &settings, SystemClock.now()).await {
                        Ok(_) => return true,
                        Err(_) => errors += 1,
                    }
                }
                false
            };
            let done = trace.scope(work).await;
            let service = begun.elapsed();
            let calls = trace.take();
            (
                done,
                Outcome {
                    service,
                    errors,
                    calls,
                },
            )
        }
    })
    .await;
    let crowd_secs = started.elapsed().as_secs_f64();
    let failed = outcomes.iter().filter(|(done, _)| !done).count();
    if failed > 0 {
        return Err(format!("{failed} checkouts kept failing").into());
    }

    // Who heard what, when.
    let answered = std::mem::take(&mut *answers.given.lock().unwrap_or_else(|e| e.into_inner()));
    let mut first: Vec<(Duration, Answer)> = Vec::with_capacity(buyers);
    let mut unanswered = 0;
    let mut answer_of = vec![Answer::Other; buyers];
    for (n, slot) in answer_of.iter_mut().enumerate() {
        match answered.get(&buyer(n).customer).and_then(|a| a.first()) {
            Some((at, answer)) => {
                first.push((at.duration_since(started), *answer));
                *slot = *answer;
            }
            None => unanswered += 1,
        }
    }
    let repeated: usize = answered.values().map(|a| a.len().saturating_sub(1)).sum();
    let links = first.iter().filter(|(_, a)| *a == Answer::PayLink).count();
    let sold_out = first.iter().filter(|(_, a)| *a == Answer::SoldOut).count();
    let other = first.iter().filter(|(_, a)| *a == Answer::Other).count();
    let mut waits: Vec<Duration> = first.iter().map(|(t, _)| *t).collect();
    waits.sort();
    let all_answered = waits.last().copied().unwrap_or_default();
    let mut reserved_at: Vec<Duration> = first
        .iter()
        .filter(|(_, a)| *a == Answer::PayLink)
        .map(|(t, _)| *t)
        .collect();
    reserved_at.sort();
    let last_reservation = reserved_at.last().copied().unwrap_or_default();
    let mut service: Vec<Duration> = outcomes.iter().map(|(_, o)| o.service).collect();
    service.sort();
    let errors: u32 = outcomes.iter().map(|(_, o)| o.errors).sum();
    let reservations_per_s = links as f64 / last_reservation.as_secs_f64().max(1e-9);
    let checkouts_per_s = buyers as f64 / all_answered.as_secs_f64().max(1e-9);

    let stock_now = stack.store().drop_stock(DROP_ID).await?;
    let (_, available, reserved, sold_units) = stock_now
        .first()
        .cloned()
        .ok_or("the drop has no stock counter")?;
    let oversold_counter = (reserved + sold_units - i64::from(stock)).max(0);
    let oversold_links = links.saturating_sub(stock as usize);
    println!(
        "crowd: {buyers} buyers answered in {:.2} s ({checkouts_per_s:.0} checkouts/s): {links} pay links, {sold_out} sold out, {other} other, {unanswered} unanswered; stock {available} available / {reserved} reserved / {sold_units} sold; oversold {oversold_links}",
        all_answered.as_secs_f64()
    );
    println!(
        "  reservations: {links} in {:.2} s = {reservations_per_s:.0} reservations/s = {:.1}% of the raw ceiling; checkouts {:.1}% of it",
        last_reservation.as_secs_f64(),
        100.0 * reservations_per_s / ceiling,
        100.0 * checkouts_per_s / ceiling
    );
    println!(
        "  checkout latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms; time to answer (from the crowd's start) p50 {:.2} s p99 {:.2} s; {errors} handler errors retried, {repeated} repeated answers",
        ms(nearest_rank(&service, 0.50)),
        ms(nearest_rank(&service, 0.99)),
        ms(service.last().copied().unwrap_or_default()),
        nearest_rank(&waits, 0.50).as_secs_f64(),
        nearest_rank(&waits, 0.99).as_secs_f64(),
    );

    // The same answers in the chat, as notify delivered them to the fake WhatsApp.
    let chat = chat_answers(
        &stack.fakes_url,
        buyers,
        started_ms,
        Duration::from_secs(args.chat_timeout_seconds),
    )
    .await?;
    let chat_all = chat.first.last().copied().unwrap_or_default();
    println!(
        "  in the chat: {} of {buyers} buyers had their answer after {:.2} s (p50 {:.2} s, p99 {:.2} s); {} messages accepted by the fake WhatsApp at {} a second, {} sent twice",
        chat.first.len(),
        chat_all.as_secs_f64(),
        nearest_rank(&chat.first, 0.50).as_secs_f64(),
        nearest_rank(&chat.first, 0.99).as_secs_f64(),
        chat.messages,
        args.whatsapp_mps,
        chat.duplicates,
    );

    // (b) What one checkout costs in DynamoDB calls and write units.
    let sold_calls: Vec<&Outcome> = outcomes
        .iter()
        .zip(&answer_of)
        .filter(|(_, a)| **a == Answer::PayLink)
        .map(|((_, o), _)| o)
        .collect();
    let refused_calls: Vec<&Outcome> = outcomes
        .iter()
        .zip(&answer_of)
        .filter(|(_, a)| **a == Answer::SoldOut)
        .map(|((_, o), _)| o)
        .collect();
    let mean_calls = |set: &[&Outcome]| {
        set.iter().map(|o| o.calls.len()).sum::<usize>() as f64 / set.len().max(1) as f64
    };
    let total_calls: usize = outcomes.iter().map(|(_, o)| o.calls.len()).sum();
    let sample_sold = sold_calls
        .first()
        .map(|o| o.calls.clone())
        .unwrap_or_default();
    let sample_refused = refused_calls
        .last()
        .map(|o| o.calls.clone())
        .unwrap_or_default();
    let (sold_wcu, sold_lines) = write_units(&plain, &table, &sample_sold)
        .await
        .map_err(Error::from)?;
    let (refused_wcu, refused_lines) = write_units(&plain, &table, &sample_refused)
        .await
        .map_err(Error::from)?;
    println!(
        "  DynamoDB calls (interceptor, per attempt): {total_calls} for {buyers} checkouts; a sale {:.2} on average ({}), a sold-out answer {:.2} ({})",
        mean_calls(&sold_calls),
        describe_counts(&op_counts(&sample_sold)),
        mean_calls(&refused_calls),
        describe_counts(&op_counts(&sample_refused)),
    );
    println!("  write units of one sale on AWS: {sold_wcu} WCU");
    for line in &sold_lines {
        println!("    {line}");
    }
    println!("  write units of one sold-out answer on AWS: {refused_wcu} WCU");
    for line in &refused_lines {
        println!("    {line}");
    }
    let unattributed = counter.unscoped.len();

    // (d) With shards: how evenly the reservations spread, and what that means on AWS.
    // Only the first half of the sales by time: later, shards run out and the spread is their
    // stock's, not the random choice's.
    let mut timed_sales: Vec<(Duration, &Outcome)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(n, (_, outcome))| {
            let (at, answer) = answered.get(&buyer(n).customer)?.first()?;
            (*answer == Answer::PayLink).then(|| (at.duration_since(started), outcome))
        })
        .collect();
    timed_sales.sort_by_key(|(at, _)| *at);
    let early_sales: Vec<&Outcome> = timed_sales
        .iter()
        .take(timed_sales.len() / 2)
        .map(|(_, outcome)| *outcome)
        .collect();
    let spread = args
        .shards
        .map(|shards| ShardSpread::of(&early_sales, shards));
    if let Some(spread) = &spread {
        println!(
            "  shards (first half of the sales): reservations per shard min {} / mean {:.1} / max {}; at {TARGET_RATE} reservations/s the busiest shard would take {:.0} WCU/s of a partition's {PARTITION_WCU} ({} shards needed at this spread)",
            spread.min,
            spread.mean,
            spread.max,
            spread.busiest_wcu_at(TARGET_RATE),
            spread.needed_for(TARGET_RATE),
        );
    }

    // Every reserved buyer pays; the drop ends sold.
    let paying = Instant::now();
    let sessions = stack.stripe.sessions().await?;
    let paid_count = Arc::new(AtomicUsize::new(0));
    let sold_times = bounded(sessions.len(), in_flight, |i| {
        let (stripe, id, paid_count) = (
            stack.stripe.clone(),
            sessions[i].id.clone(),
            paid_count.clone(),
        );
        async move {
            let paid = stripe.pay(&id).await.ok()?;
            paid.delivery.succeeded().then(|| {
                paid_count.fetch_add(1, Ordering::Relaxed);
                started.elapsed()
            })
        }
    })
    .await;
    let pay_secs = paying.elapsed().as_secs_f64();
    let mut sold_at: Vec<Duration> = sold_times.into_iter().flatten().collect();
    sold_at.sort();
    let final_stock = stack.store().drop_stock(DROP_ID).await?;
    let (_, f_available, f_reserved, f_sold) = final_stock
        .first()
        .cloned()
        .ok_or("the drop has no stock counter")?;
    let oversold = oversold_links.max(oversold_counter as usize);
    println!(
        "payments: {} of {} sessions paid in {pay_secs:.1} s; stock {f_available} available / {f_reserved} reserved / {f_sold} sold; oversold {oversold}",
        paid_count.load(Ordering::Relaxed),
        sessions.len()
    );

    // The plot and the figures.
    let plot = args
        .plot
        .clone()
        .unwrap_or_else(|| moto::repo_root().join("target/flashcrowd.svg"));
    if let Some(dir) = plot.parent() {
        std::fs::create_dir_all(dir)?;
    }
    draw(&plot, &reserved_at, &sold_at, &chat.first, stock, buyers)?;
    let figures = json!({
        "command": format!("cargo run --release -p xtask --bin flashcrowd -- --buyers {buyers} --stock {stock} --in-flight {in_flight} --whatsapp-mps {} --notify-pollers {}{}", args.whatsapp_mps, args.notify_pollers, args.shards.map(|n| format!(" --shards {n}")).unwrap_or_default()),
        "buyers": buyers,
        "stock": stock,
        "shards": args.shards,
        "in_flight": in_flight,
        "answered": buyers - unanswered,
        "pay_links": links,
        "sold_out_answers": sold_out,
        "other_answers": other,
        "sold": f_sold,
        "oversold": oversold,
        "crowd_seconds": crowd_secs,
        "all_answered_seconds": all_answered.as_secs_f64(),
        "last_reservation_seconds": last_reservation.as_secs_f64(),
        "reservations_per_second": reservations_per_s,
        "checkouts_per_second": checkouts_per_s,
        "checkout_latency_ms": {"p50": ms(nearest_rank(&service, 0.5)), "p99": ms(nearest_rank(&service, 0.99)), "max": ms(service.last().copied().unwrap_or_default())},
        "answer_time_s": {"p50": nearest_rank(&waits, 0.5).as_secs_f64(), "p99": nearest_rank(&waits, 0.99).as_secs_f64()},
        "whatsapp_messages_per_second": args.whatsapp_mps,
        "in_chat": {
            "answered": chat.first.len(),
            "all_answered_seconds": chat_all.as_secs_f64(),
            "p50_seconds": nearest_rank(&chat.first, 0.5).as_secs_f64(),
            "p99_seconds": nearest_rank(&chat.first, 0.99).as_secs_f64(),
            "messages": chat.messages,
            "sent_twice": chat.duplicates,
        },
        "handler_errors_retried": errors,
        "raw_ceiling_ops_per_second": ceiling,
        "reservations_fraction_of_ceiling": reservations_per_s / ceiling,
        "checkouts_fraction_of_ceiling": checkouts_per_s / ceiling,
        "dynamodb_calls": {
            "total": total_calls,
            "per_sale_mean": mean_calls(&sold_calls),
            "per_sold_out_mean": mean_calls(&refused_calls),
            "one_sale": op_counts(&sample_sold),
            "one_sold_out": op_counts(&sample_refused),
            "unattributed": unattributed,
        },
        "aws_write_units": {"one_sale": sold_wcu, "one_sold_out": refused_wcu, "one_sale_items": sold_lines, "one_sold_out_items": refused_lines},
        "naive": {"told_yes": naive_yes, "oversold": naive_oversold, "counter_left": naive_left},
        "payments_seconds": pay_secs,
        "shard_spread": spread.as_ref().map(|s| json!({
            "min": s.min, "mean": s.mean, "max": s.max,
            "busiest_wcu_per_second_at_10000": s.busiest_wcu_at(TARGET_RATE),
            "shards_needed_at_this_spread": s.needed_for(TARGET_RATE),
        })),
        "peak_rss_mib_bench_and_stack": peak_rss_mib(),
        "plot": plot.display().to_string(),
    });
    let json_path = plot.with_extension("json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&figures)?)?;
    let md_path = plot.with_extension("md");
    std::fs::write(&md_path, markdown(&figures))?;
    println!(
        "peak RSS of this process (the bench's buyers and the whole stack, every function in one process): {:.1} MiB",
        peak_rss_mib().unwrap_or(0.0)
    );
    println!(
        "wrote {}, {} and {}",
        plot.display(),
        json_path.display(),
        md_path.display()
    );

    if unanswered > 0 || other > 0 {
        return Err(format!("{unanswered} buyers unanswered, {other} odd answers").into());
    }
    if chat.first.len() < buyers {
        return Err(format!(
            "{} of {buyers} buyers had no answer in the chat after {} s",
            buyers - chat.first.len(),
            args.chat_timeout_seconds
        )
        .into());
    }
    if links != stock as usize || f_sold != i64::from(stock) || oversold > 0 {
        return Err(format!(
            "the drop sold {f_sold} of {stock} ({links} pay links, oversold {oversold})"
        )
        .into());
    }
    Ok(())
}

/// The reservation rate per SKU the sharding model is checked against.
const TARGET_RATE: f64 = 10_000.0;
/// Write units a second one DynamoDB partition takes.
const PARTITION_WCU: f64 = 1_000.0;
/// Write units a reservation spends on its stock shard (one item in a transaction).
const SHARD_WCU_PER_RESERVATION: f64 = 2.0;

/// How the sales spread over the stock shards: the shard each sale's reservation took.
struct ShardSpread {
    min: usize,
    mean: f64,
    max: usize,
    shards: u32,
}

impl ShardSpread {
    fn of(sales: &[&Outcome], shards: u32) -> ShardSpread {
        let mut per_shard = vec![0usize; shards as usize];
        for sale in sales {
            // The last transaction that wrote a stock shard: the reservation that held.
            let shard = sale
                .calls
                .iter()
                .rev()
                .filter(|c| c.op == "TransactWriteItems")
                .find_map(|c| {
                    c.writes().into_iter().find_map(|w| {
                        let (_, k) = w.pk.split_once("#SHARD#")?;
                        k.parse::<usize>().ok()
                    })
                });
            if let Some(slot) = shard.and_then(|k| per_shard.get_mut(k)) {
                *slot += 1;
            }
        }
        let total: usize = per_shard.iter().sum();
        ShardSpread {
            min: per_shard.iter().copied().min().unwrap_or(0),
            mean: total as f64 / f64::from(shards.max(1)),
            max: per_shard.iter().copied().max().unwrap_or(0),
            shards,
        }
    }

    /// Write units a second on the busiest shard when the SKU takes `rate` reservations a
    /// second spread as measured.
    fn busiest_wcu_at(&self, rate: f64) -> f64 {
        let share = self.max as f64 / (self.mean * f64::from(self.shards)).max(1.0);
        rate * share * SHARD_WCU_PER_RESERVATION
    }

    /// Shards needed for `rate` with the measured imbalance (busiest over mean) kept.
    fn needed_for(&self, rate: f64) -> u32 {
        let imbalance = self.max as f64 / self.mean.max(1e-9);
        (rate * SHARD_WCU_PER_RESERVATION * imbalance / PARTITION_WCU).ceil() as u32
    }
}

/// This process's peak resident set (`VmHWM`), in MiB: an upper bound for any one function
/// under this load, since the stack runs all of them here beside the bench's own buyers.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The answers as they reached the chat.
struct ChatAnswers {
    /// Per buyer answered, the time of their first message from the crowd's start, sorted.
    first: Vec<Duration>,
    /// Messages the fake WhatsApp accepted for the buyers.
    messages: usize,
    /// Messages with the same recipient and body as an earlier one.
    duplicates: usize,
}

/// Reads the fake WhatsApp's outbox until every buyer has a message or `timeout` passes.
async fn chat_answers(
    fakes_url: &str,
    buyers: usize,
    started_ms: u64,
    timeout: Duration,
) -> Result<ChatAnswers, Error> {
    let http = reqwest::Client::new();
    let wanted: std::collections::HashSet<String> =
        (0..buyers).map(|n| buyer(n).customer).collect();
    let deadline = Instant::now() + timeout;
    loop {
        let outbox: Vec<xtask::fakes::OutboxEntry> = http
            .get(format!("{fakes_url}/outbox"))
            .send()
            .await?
            .json()
            .await?;
        let mut first: HashMap<&str, u64> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let (mut messages, mut duplicates) = (0, 0);
        for entry in outbox
            .iter()
            .filter(|e| e.channel == "whatsapp" && wanted.contains(&e.recipient))
        {
            messages += 1;
            if !seen.insert((entry.recipient.as_str(), entry.body.to_string())) {
                duplicates += 1;
            }
            first.entry(entry.recipient.as_str()).or_insert(entry.at_ms);
        }
        if first.len() == buyers || Instant::now() >= deadline {
            let mut times: Vec<Duration> = first
                .values()
                .map(|at| Duration::from_millis(at.saturating_sub(started_ms)))
                .collect();
            times.sort();
            return Ok(ChatAnswers {
                first: times,
                messages,
                duplicates,
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn markdown(f: &Value) -> String {
    let row = |what: &str, value: String| format!("| {what} | {value} |\n");
    let mut out =
        String::from("| flash crowd (moto, loopback, this machine) | figure |\n|---|---|\n");
    out += &row(
        "buyers / units / in flight",
        format!(
            "{} / {} / {}{}",
            f["buyers"],
            f["stock"],
            f["in_flight"],
            f["shards"]
                .as_u64()
                .map(|n| format!(" ({n} shards)"))
                .unwrap_or_default()
        ),
    );
    out += &row(
        "answered (pay links + sold out)",
        format!(
            "{} ({} + {})",
            f["answered"], f["pay_links"], f["sold_out_answers"]
        ),
    );
    out += &row(
        "sold / oversold",
        format!("{} / {}", f["sold"], f["oversold"]),
    );
    out += &row(
        "reservations/s",
        format!(
            "{:.0} ({:.0}% of the raw ceiling)",
            f["reservations_per_second"].as_f64().unwrap_or(0.0),
            100.0
                * f["reservations_fraction_of_ceiling"]
                    .as_f64()
                    .unwrap_or(0.0)
        ),
    );
    out += &row(
        "checkouts answered/s",
        format!("{:.0}", f["checkouts_per_second"].as_f64().unwrap_or(0.0)),
    );
    out += &row(
        "raw ceiling (bare conditional UpdateItem)",
        format!(
            "{:.0} ops/s",
            f["raw_ceiling_ops_per_second"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "checkout latency p50 / p99",
        format!(
            "{} ms / {} ms",
            f["checkout_latency_ms"]["p50"], f["checkout_latency_ms"]["p99"]
        ),
    );
    out += &row(
        "every buyer answered after (checkout's answer / in the chat)",
        format!(
            "{:.1} s / {:.1} s",
            f["all_answered_seconds"].as_f64().unwrap_or(0.0),
            f["in_chat"]["all_answered_seconds"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "answer in the chat p50 / p99 (fake WhatsApp at N msg/s)",
        format!(
            "{:.2} s / {:.2} s ({} msg/s; {} messages, {} sent twice)",
            f["in_chat"]["p50_seconds"].as_f64().unwrap_or(0.0),
            f["in_chat"]["p99_seconds"].as_f64().unwrap_or(0.0),
            f["whatsapp_messages_per_second"],
            f["in_chat"]["messages"],
            f["in_chat"]["sent_twice"]
        ),
    );
    out += &row(
        "peak RSS, bench + whole stack in one process (upper bound per function)",
        format!(
            "{:.1} MiB",
            f["peak_rss_mib_bench_and_stack"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "DynamoDB calls per sale / per sold-out answer",
        format!(
            "{:.1} / {:.1}",
            f["dynamodb_calls"]["per_sale_mean"].as_f64().unwrap_or(0.0),
            f["dynamodb_calls"]["per_sold_out_mean"]
                .as_f64()
                .unwrap_or(0.0)
        ),
    );
    out += &row(
        "AWS write units per sale / per sold-out answer",
        format!(
            "{} / {}",
            f["aws_write_units"]["one_sale"], f["aws_write_units"]["one_sold_out"]
        ),
    );
    out += &row(
        "naive read-then-write baseline: oversold",
        format!(
            "{} ({} told yes)",
            f["naive"]["oversold"], f["naive"]["told_yes"]
        ),
    );
    if f["shard_spread"].is_object() {
        out += &row(
            "reservations per shard, first half of the sales: min / mean / max",
            format!(
                "{} / {:.1} / {}",
                f["shard_spread"]["min"],
                f["shard_spread"]["mean"].as_f64().unwrap_or(0.0),
                f["shard_spread"]["max"]
            ),
        );
        out += &row(
            "busiest shard at 10,000 reservations/s (model from this spread)",
            format!(
                "{:.0} WCU/s of 1,000; {} shards needed at this spread",
                f["shard_spread"]["busiest_wcu_per_second_at_10000"]
                    .as_f64()
                    .unwrap_or(0.0),
                f["shard_spread"]["shards_needed_at_this_spread"]
            ),
        );
    }
    out += &format!("\nCommand: `{}`\n", f["command"].as_str().unwrap_or(""));
    out
}

/// Reserved and sold units (left axis) and buyers answered (right axis) over time.
fn draw(
    path: &std::path::Path,
    reserved_at: &[Duration],
    sold_at: &[Duration],
    answered_at: &[Duration],
    stock: u32,
    buyers: usize,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let last = |times: &[Duration]| times.last().copied().unwrap_or_default();
    let end = last(sold_at)
        .max(last(answered_at))
        .as_secs_f64()
        .max(0.001)
        * 1.02;
    let steps = |times: &[Duration]| -> Vec<(f64, f64)> {
        let mut points = vec![(0.0, 0.0)];
        for (i, t) in times.iter().enumerate() {
            points.push((t.as_secs_f64(), i as f64));
            points.push((t.as_secs_f64(), (i + 1) as f64));
        }
        points.push((end, times.len() as f64));
        points
    };
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Flash crowd: {buyers} buyers for {stock} units"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0.0..end, 0.0..f64::from(stock) * 1.1)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(0.0..end, 0.0..buyers as f64 * 1.1);
    chart
        .configure_mesh()
        .x_desc("seconds since the crowd pressed Checkout")
        .y_desc("units")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_desc("buyers answered")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(steps(reserved_at), BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("units reserved (pay link sent)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(steps(sold_at), GREEN.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("units sold (paid on Stripe)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    chart
        .draw_secondary_series(LineSeries::new(steps(answered_at), RED.stroke_width(1)))
        .map_err(|e| e.to_string())?
        .label("buyers answered in the chat (right axis)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(1)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
