//! `ratelimit`: a platform rate limit of minutes against a backlog of replies.
//!
//! ```text
//! cargo run --release -p xtask --bin ratelimit -- --storm-seconds 180 --retry-after 2
//! ```
//!
//! Starts moto, the fakes and a local stack whose only consumer is notify, makes Telegram's
//! fake answer every call with 429 and `retry_after` for the storm, and queues reply bundles
//! for many conversations on the outbound queue meanwhile (`xtask::storm`). It prints what got
//! through: every reply once, in order within each conversation, and nothing on the
//! dead-letter queue, with the outbound queue's provisioned `maxReceiveCount` (a crash guard)
//! or a lower one (`--max-receive-count`). The same scenario, short, is
//! `tests/stalls.rs::a_long_rate_limit_with_a_backlog_dead_letters_nothing`.

use clap::Parser;
use std::time::{Duration, Instant};
use xtask::Error;
use xtask::moto::Moto;
use xtask::stack::{Consumers, LocalStack, StackOptions};
use xtask::storm::{self, Plan};

#[derive(Parser)]
#[command(about = "A long platform rate limit against a backlog of replies")]
struct Args {
    /// How long Telegram answers 429, in seconds.
    #[arg(long, default_value_t = 180)]
    storm_seconds: u64,
    /// The `retry_after` it advises, in seconds.
    #[arg(long, default_value_t = 2)]
    retry_after: u64,
    /// Conversations with replies waiting.
    #[arg(long, default_value_t = 12)]
    conversations: usize,
    /// Bundles queued per conversation.
    #[arg(long, default_value_t = 5)]
    bundles: usize,
    /// Replies per bundle.
    #[arg(long, default_value_t = 2)]
    replies: usize,
    /// notify pollers (Lambda runs one instance per message group with work).
    #[arg(long, default_value_t = 2)]
    notify_pollers: usize,
    /// Overrides the outbound queue's `maxReceiveCount`.
    #[arg(long)]
    max_receive_count: Option<u32>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ratelimit: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ratelimit: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool, Error> {
    let whole = Instant::now();
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::NotifyOnly;
    options.notify_pollers = args.notify_pollers;
    let stack = LocalStack::start(options).await?;
    let plan = Plan {
        storm_seconds: args.storm_seconds,
        retry_after: args.retry_after,
        conversations: args.conversations,
        bundles_each: args.bundles,
        replies_each: args.replies,
        max_receive_count: args.max_receive_count,
        first_chat: 7_100_000_000,
        drain_timeout: Duration::from_secs(120),
    };
    println!(
        "ratelimit: Telegram answers 429 (retry_after {} s) for {} s; {} conversations × {} bundles × {} replies; {} notify pollers",
        plan.retry_after,
        plan.storm_seconds,
        plan.conversations,
        plan.bundles_each,
        plan.replies_each,
        args.notify_pollers
    );
    let outcome = storm::run(&stack, &plan).await;
    stack.stop().await;
    drop(moto);
    let outcome = outcome?;
    println!("ratelimit: {}", outcome.summary());
    println!("whole run: {:.0} s", whole.elapsed().as_secs_f64());
    Ok(outcome.clean())
}
