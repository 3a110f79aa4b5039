//! From a webhook to the reply in the chat, stage by stage, at a steady rate of new
//! conversations: `cargo run --release -p xtask --bin stagelatency -- [--rate 100] [--seconds 60]`.
//!
//! Starts moto, the fake platforms and the local stack with every consumer running, then opens
//! `--rate` WhatsApp conversations a second for `--seconds` (each a distinct customer saying
//! "hi", signed as Meta signs), and follows each one through the production path:
//!
//! | stage | from | to |
//! |---|---|---|
//! | ingress | the webhook POST | its 200 (signature, parse, `SendMessageBatch`) |
//! | catalog queue | ingress's 200 | the catalog handler starts the message (its `message` span) |
//! | catalog → notify | that start | notify starts the reply's bundle (its `delivery` span): catalog's work up to queueing the reply, and the outbound queue |
//! | notify → platform | notify's start | the fake WhatsApp accepting the message (its outbox time) |
//!
//! The catalog handler's own span (start to its last exit, which includes what it does after the
//! reply is queued) is printed beside them, outside the sum.
//!
//! The handlers' spans are read by a tracing layer in this process (the stack runs the real
//! handlers in-process), keyed by the `customer` field every queue handler's span carries (the
//! keyed pseudonym of the conversation), so no handler is changed for the measurement. Each
//! stage's p50 and p99 are printed with the end-to-end figure, and the stage with the largest
//! p99 is named: on this machine it is where moto's one Python process makes everyone wait.
//! A conversation that got no reply within `--timeout` fails the run.

use chatdrop_domain::channel::{Channel, ConversationId};
use clap::Parser;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use xtask::Error;
use xtask::customer::Customer;
use xtask::moto::{self, Moto};
use xtask::percentile::nearest_rank_ms;
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "Webhook to reply in the chat, by stage, at a steady rate of conversations")]
struct Args {
    /// New conversations a second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long conversations keep arriving.
    #[arg(long, default_value_t = 60)]
    seconds: u32,
    /// Catalog and notify batches worked on at once (Lambda would scale each out per message
    /// group; moto, one Python process, is the limit long before).
    #[arg(long, default_value_t = 4)]
    pollers: usize,
    /// How long to wait for the last reply after the last webhook.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// Unix milliseconds, the clock the fake platforms' outbox uses.
fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A handler span's first entry and its last exit, in Unix ms.
#[derive(Clone, Copy, Default)]
struct Window {
    start: f64,
    end: f64,
}

/// Spans seen per (span name, customer): the earliest start and the latest end.
type Windows = Arc<Mutex<HashMap<(&'static str, String), Window>>>;

/// The `customer` field of a span, its first entry and its last exit (the handler's future
/// returning; the span itself may close later, when the batch drops it).
struct Tracked {
    customer: String,
    entered: Option<f64>,
    exited: Option<f64>,
}

struct CustomerField(Option<String>);

impl Visit for CustomerField {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "customer" {
            self.0 = Some(format!("{value:?}"));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "customer" {
            self.0 = Some(value.to_string());
        }
    }
}

/// Records the catalog handler's `message` spans and notify's `delivery` spans.
struct StageLayer {
    windows: Windows,
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StageLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let name = attrs.metadata().name();
        if name != "message" && name != "delivery" {
            return;
        }
        let mut field = CustomerField(None);
        attrs.record(&mut field);
        if let (Some(customer), Some(span)) = (field.0, ctx.span(id)) {
            span.extensions_mut().insert(Tracked {
                customer,
                entered: None,
                exited: None,
            });
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(tracked) = span.extensions_mut().get_mut::<Tracked>()
        {
            tracked.entered.get_or_insert_with(now_ms);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(tracked) = span.extensions_mut().get_mut::<Tracked>()
        {
            tracked.exited = Some(now_ms());
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let name = span.metadata().name();
        let extensions = span.extensions();
        let Some(tracked) = extensions.get::<Tracked>() else {
            return;
        };
        let end = tracked.exited.unwrap_or_else(now_ms);
        let start = tracked.entered.unwrap_or(end);
        if let Ok(mut windows) = self.windows.lock() {
            let w = windows
                .entry((name, tracked.customer.clone()))
                .or_insert(Window { start, end });
            w.start = w.start.min(start);
            w.end = w.end.max(end);
        }
    }
}

/// One conversation as the bench saw it: the webhook's POST and its answer, in Unix ms.
struct Sent {
    phone: String,
    posted: f64,
    answered: f64,
    status: u16,
}

fn phone(n: usize) -> String {
    format!("4478{n:08}")
}

async fn run(args: Args) -> Result<bool, Error> {
    let windows: Windows = Arc::default();
    tracing_subscriber::registry()
        .with(StageLayer {
            windows: windows.clone(),
        })
        .try_init()?;
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::All;
    options.notify_pollers = args.pollers;
    options.catalog_pollers = args.pollers;
    let stack = LocalStack::start(options).await?;
    let catalog_path = moto::repo_root().join("cli/catalogs/sample.toml");
    let catalog = toml::from_str(&std::fs::read_to_string(catalog_path)?)?;
    stack.load_catalog(&catalog).await?;

    let total = (args.rate * args.seconds) as usize;
    println!(
        "stagelatency: {total} conversations at {}/s for {} s; moto {}",
        args.rate, args.seconds, moto.endpoint
    );
    // Signed before the clock starts, so the pace is the bench's and the figures the stack's.
    let conversations: Vec<_> = (0..total)
        .map(|n| {
            let customer = Customer::whatsapp(&stack.url, &phone(n), "Stage");
            let webhook = customer.text_webhook("hi");
            (n, customer, webhook)
        })
        .collect();
    let began = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let mut tasks = Vec::with_capacity(total);
    for (n, customer, webhook) in conversations {
        tokio::time::sleep_until((began + interval * n as u32).into()).await;
        tasks.push(tokio::spawn(async move {
            let posted = now_ms();
            let status = customer.post(&webhook).await.unwrap_or(0);
            Sent {
                phone: phone(n),
                posted,
                answered: now_ms(),
                status,
            }
        }));
    }
    let mut sent = Vec::with_capacity(total);
    for task in tasks {
        sent.push(task.await?);
    }
    let refused = sent.iter().filter(|s| s.status != 200).count();
    println!(
        "posted in {:.1} s; {refused} webhooks not answered 200",
        began.elapsed().as_secs_f64()
    );

    let replies = wait_for_replies(&fakes_url, &sent, Duration::from_secs(args.timeout)).await?;
    stack.stop().await;
    drop(moto);
    let windows = windows.lock().map_err(|_| "span records poisoned")?.clone();
    Ok(report(&sent, &replies, &windows) && refused == 0)
}

/// The fake WhatsApp's first message to each phone, in Unix ms, once every conversation has
/// one or `timeout` passed.
async fn wait_for_replies(
    fakes_url: &str,
    sent: &[Sent],
    timeout: Duration,
) -> Result<HashMap<String, f64>, Error> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    loop {
        let outbox: Vec<xtask::fakes::OutboxEntry> = http
            .get(format!("{fakes_url}/outbox"))
            .send()
            .await?
            .json()
            .await?;
        let mut first = HashMap::new();
        for entry in outbox.iter().filter(|e| e.channel == "whatsapp") {
            first
                .entry(entry.recipient.clone())
                .or_insert(entry.at_ms as f64);
        }
        let answered = sent.iter().filter(|s| first.contains_key(&s.phone)).count();
        if answered == sent.len() || Instant::now() >= deadline {
            return Ok(first);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Prints each stage's p50 and p99; whether every conversation got its reply.
fn report(
    sent: &[Sent],
    replies: &HashMap<String, f64>,
    windows: &HashMap<(&'static str, String), Window>,
) -> bool {
    const STAGES: [&str; 4] = [
        "ingress",
        "catalog queue",
        "catalog → notify",
        "notify → platform",
    ];
    let mut stages: Vec<Vec<Duration>> = vec![Vec::new(); STAGES.len()];
    let mut catalog_span = Vec::new();
    let mut total = Vec::new();
    let mut missing = 0;
    let ms = |a: f64, b: f64| Duration::from_secs_f64(((b - a).max(0.0)) / 1000.0);
    for s in sent {
        let customer = ConversationId::new(Channel::Whatsapp, s.phone.clone()).hashed();
        let (Some(catalog), Some(notify), Some(&reply)) = (
            windows.get(&("message", customer.clone())),
            windows.get(&("delivery", customer)),
            replies.get(&s.phone),
        ) else {
            missing += 1;
            continue;
        };
        let points = [s.posted, s.answered, catalog.start, notify.start, reply];
        for (k, stage) in stages.iter_mut().enumerate() {
            stage.push(ms(points[k], points[k + 1]));
        }
        catalog_span.push(ms(catalog.start, catalog.end));
        total.push(ms(s.posted, reply));
    }
    println!();
    println!("| stage | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    let mut slowest = ("", 0.0);
    for (name, times) in STAGES.iter().zip(stages.iter_mut()) {
        times.sort();
        let p99 = nearest_rank_ms(times, 0.99);
        if p99 > slowest.1 {
            slowest = (name, p99);
        }
        println!("| {name} | {:.1} | {p99:.1} |", nearest_rank_ms(times, 0.5));
    }
    catalog_span.sort();
    println!(
        "| (catalog handler span, outside the sum) | {:.1} | {:.1} |",
        nearest_rank_ms(&catalog_span, 0.5),
        nearest_rank_ms(&catalog_span, 0.99)
    );
    total.sort();
    println!(
        "| **webhook → reply in the chat** | **{:.1}** | **{:.1}** |",
        nearest_rank_ms(&total, 0.5),
        nearest_rank_ms(&total, 0.99)
    );
    println!();
    println!(
        "{} of {} conversations followed end to end; slowest stage at p99: {}",
        total.len(),
        sent.len(),
        slowest.0
    );
    if missing > 0 {
        println!("{missing} conversations had no reply or no handler span in time");
    }
    missing == 0
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Runtime::new()
        .map_err(Error::from)
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("stagelatency: {e}");
            ExitCode::FAILURE
        }
    }
}
