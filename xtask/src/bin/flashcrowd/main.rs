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
//!
//! # Where things are
//!
//! - this file: the arguments, and `run`, which starts moto and the stack around the crowd;
//! - `crowd`: the whole measurement in order, from the reference runs to the figures;
//! - `buyers`: a buyer's identity and answers, and the bounded crowd of tasks;
//! - `reference`: the raw ceiling and the naive baseline;
//! - `chat`: the answers as they reached the chat (the fake WhatsApp's outbox);
//! - `shards`: how the sales spread over the stock shards, and what that means on AWS;
//! - `report`: the figures as markdown, and the process's peak RSS;
//! - `plot`: the SVG of reserved and sold units over time.

mod buyers;
mod chat;
mod crowd;
mod plot;
mod reference;
mod report;
mod shards;

use clap::Parser;
use crowd::crowd;
use std::path::PathBuf;
use std::time::Instant;
use xtask::Error;
use xtask::moto::Moto;
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
