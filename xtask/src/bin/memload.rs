//! Peak memory of each function on the drop's hot path, under a stream of real events:
//! `cargo run --release -p xtask --bin memload -- [--buyers N] [--dir DIR]`.
//!
//! `coldstart` reads a function's peak resident set after one event that needs no network; a
//! Lambda instance serves thousands of events in a row, and what it holds after that is what
//! must fit the memory setting (128 MB is the goal). This program starts moto and a local
//! stack (for the table, the queues, the fake platforms and the fake Stripe; no consumers),
//! then runs each function's release `bootstrap` as Lambda would (one process, events one
//! after another through [`xtask::runtime_api`], the stack's configuration in its environment,
//! the real SDK against moto), fed with the drop's own traffic:
//!
//! | function | events |
//! |---|---|
//! | ingress | `--buyers` signed WhatsApp webhooks ("hi" from each buyer), API Gateway events |
//! | catalog | the catalog queue those filled, ten records per SQS event: each greeting answered |
//! | notify | the outbound queue the greetings filled, ten bundles per event, sent to the fake Graph API |
//! | payment | `--buyers` checkouts of seeded carts (a drop of half as many units), ten per event, each a Checkout Session on the fake Stripe or a sold-out answer |
//!
//! Records an event leaves failed go back to nobody (they are deleted like the rest): the
//! figure is the memory, and the error count says whether the load was real. The peak is the
//! kernel's high-water mark (`VmHWM`) when the stream ends. cart, payment-webhook and sweep are
//! not driven here: `coldstart` gives their figure after one event.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::Clock;
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use clap::Parser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::Command;
use xtask::Error;
use xtask::customer::Customer;
use xtask::lambda_process::LambdaProcess;
use xtask::moto::{self, Moto};
use xtask::runtime_api::{self, executable, http_event};
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "Peak RSS of each hot-path function's bootstrap under the drop's real events")]
struct Args {
    /// Buyers: webhooks into ingress, greetings through catalog and notify, checkouts.
    #[arg(long, default_value_t = 2_000)]
    buyers: usize,
    /// Directory of `<function>/bootstrap` or `<function>` executables
    /// [default: $CARGO_TARGET_DIR/release].
    #[arg(long)]
    dir: Option<PathBuf>,
}

const GOAL_MIB: f64 = 128.0;
const MIB: f64 = 1024.0 * 1024.0;
/// How long one event may take (a batch of ten against serialized moto).
const EVENT_TIMEOUT: Duration = Duration::from_secs(120);
const DROP_ID: &str = "memload";

/// One function's run.
struct Figures {
    events: usize,
    records: usize,
    errors: usize,
    rss_at_init: Option<u64>,
    peak: Option<u64>,
    seconds: f64,
}

/// `function`'s bootstrap started under its own fake Runtime API, with the stack's configuration.
async fn start(
    stack: &LocalStack,
    moto: &Moto,
    bin: &std::path::Path,
    function: &str,
) -> Result<LambdaProcess, Error> {
    let (api, reports, address) = LambdaProcess::runtime_api().await?;
    let task_root = bin
        .parent()
        .map_or_else(String::new, |p| p.display().to_string());
    let mut env = runtime_api::environment(function, &address, &task_root);
    env.extend(stack.env.clone());
    env.insert("AWS_ENDPOINT_URL".into(), moto.endpoint.clone());
    env.remove("AWS_MAX_ATTEMPTS");
    env.insert("RUST_LOG".into(), "warn".into());
    let log = std::env::temp_dir().join(format!("chatdrop-memload-{function}.log"));
    let log = std::fs::File::create(log)?;
    let mut command = Command::new(bin);
    command
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    LambdaProcess::start(api, reports, command, EVENT_TIMEOUT).await
}

/// The figures of a process that served `events`, and the process stopped.
async fn finish(
    process: LambdaProcess,
    events: usize,
    records: usize,
    errors: usize,
    began: Instant,
) -> Figures {
    let peak = process.peak_rss();
    let rss_at_init = process.rss_at_init;
    process.kill().await;
    Figures {
        events,
        records,
        errors,
        rss_at_init,
        peak,
        seconds: began.elapsed().as_secs_f64(),
    }
}

/// An SQS event of `records`, each `(message id, receipt handle, group, body)`.
fn sqs_event(queue_name: &str, records: &[(String, String, String, String)]) -> String {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, receipt, group, body)| {
            json!({
                "messageId": id,
                "receiptHandle": receipt,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "MessageGroupId": group,
                    "MessageDeduplicationId": id,
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{queue_name}"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

/// The records a consumer's answer reports failed.
fn failed_records(answer: &str) -> usize {
    serde_json::from_str::<Value>(answer)
        .ok()
        .and_then(|v| v["batchItemFailures"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// Feeds a consumer everything on `queue_url`, ten records per event, deleting each batch after.
async fn drain(
    running: &mut LambdaProcess,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<(usize, usize, usize), Error> {
    let queue_name = queue_url.rsplit('/').next().unwrap_or_default().to_string();
    let (mut events, mut records, mut errors) = (0, 0, 0);
    let mut empty_polls = 0;
    while empty_polls < 3 {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty_polls += 1;
            continue;
        }
        empty_polls = 0;
        let batch: Vec<(String, String, String, String)> = messages
            .iter()
            .map(|m| {
                let group = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                    .cloned()
                    .unwrap_or_default();
                (
                    m.message_id.clone().unwrap_or_default(),
                    m.receipt_handle.clone().unwrap_or_default(),
                    group,
                    m.body.clone().unwrap_or_default(),
                )
            })
            .collect();
        let answer = running.invoke(sqs_event(&queue_name, &batch)).await?;
        events += 1;
        records += batch.len();
        errors += match &answer {
            Ok(body) => failed_records(body),
            Err(_) => batch.len(),
        };
        for (_, receipt, _, _) in &batch {
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        }
    }
    Ok((events, records, errors))
}

fn buyer(n: usize) -> String {
    format!("4479{n:08}")
}

async fn run(args: Args) -> Result<bool, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("release")
    });
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::None;
    let stack = LocalStack::start(options).await?;
    let result = load(&args, &dir, &moto, &stack).await;
    stack.stop().await;
    drop(moto);
    result
}

async fn load(
    args: &Args,
    dir: &std::path::Path,
    moto: &Moto,
    stack: &LocalStack,
) -> Result<bool, Error> {
    let catalog_path = moto::repo_root().join("cli/catalogs/sample.toml");
    let catalog = toml::from_str(&std::fs::read_to_string(catalog_path)?)?;
    stack.load_catalog(&catalog).await?;
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let bin = |function: &str| {
        executable(dir, function)
            .ok_or_else(|| format!("no {function} executable in {}", dir.display()))
    };
    println!(
        "memload: {} buyers; binaries {}; moto {}",
        args.buyers,
        dir.display(),
        moto.endpoint
    );
    println!();
    println!(
        "| function | events | records | failed records | peak RSS at init MiB | peak RSS at the end MiB | seconds |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut all_fit = true;
    let mut print = |function: &str, f: &Figures| {
        let mib =
            |b: Option<u64>| b.map_or_else(|| "-".into(), |b| format!("{:.1}", b as f64 / MIB));
        all_fit &= f.peak.is_some_and(|p| (p as f64 / MIB) < GOAL_MIB);
        println!(
            "| {function} | {} | {} | {} | {} | {} | {:.0} |",
            f.events,
            f.records,
            f.errors,
            mib(f.rss_at_init),
            mib(f.peak),
            f.seconds
        );
    };

    // ingress: every buyer says hi.
    let began = Instant::now();
    let mut ingress = start(stack, moto, &bin("ingress")?, "ingress").await?;
    let mut errors = 0;
    for n in 0..args.buyers {
        let webhook = Customer::whatsapp(&stack.url, &buyer(n), "Load").text_webhook("hi");
        let body = String::from_utf8(webhook.body.clone())?;
        let event = http_event("POST", &webhook.path, "", &webhook.headers, Some(&body));
        let answer = ingress.invoke(event).await?;
        let ok = answer
            .as_ref()
            .ok()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .is_some_and(|v| v["statusCode"] == 200);
        errors += usize::from(!ok);
    }
    let figures = finish(ingress, args.buyers, args.buyers, errors, began).await;
    print("ingress", &figures);

    // catalog: the greetings ingress queued.
    let began = Instant::now();
    let mut catalog_fn = start(stack, moto, &bin("catalog")?, "catalog").await?;
    let (events, records, errors) =
        drain(&mut catalog_fn, &sqs, &stack.provisioned.queues.catalog).await?;
    let figures = finish(catalog_fn, events, records, errors, began).await;
    print("catalog", &figures);

    // notify: the answers catalog queued.
    let began = Instant::now();
    let mut notify = start(stack, moto, &bin("notify")?, "notify").await?;
    let (events, records, errors) =
        drain(&mut notify, &sqs, &stack.provisioned.queues.outbound).await?;
    let figures = finish(notify, events, records, errors, began).await;
    print("notify", &figures);

    // payment: every buyer checks out a seeded cart; half of them get a unit.
    let units = (args.buyers / 2).max(1) as u32;
    stack
        .open_drop(&Drop {
            id: DROP_ID.into(),
            name: "Memory drop".into(),
            starts_at: chatdrop_domain::clock::SystemClock.now() - 60,
            ends_at: None,
            per_customer_limit: Some(1),
            skus: vec![DropSku {
                sku: "drop-bag".into(),
                stock: units,
                per_customer_limit: None,
                shards: None,
            }],
            status: DropStatus::Open,
            delayed_payment_days: None,
            verified_phone: false,
            draw: None,
        })
        .await?;
    let store = stack.store();
    let conversations: Vec<ConversationId> = (0..args.buyers)
        .map(|n| ConversationId::new(Channel::Whatsapp, buyer(n)))
        .collect();
    for conversation in &conversations {
        xtask::crowd::seed_cart(
            &store,
            conversation,
            "drop-bag",
            xtask::crowd::plain_bag(),
            None,
        )
        .await?;
    }
    let began = Instant::now();
    let mut payment = start(stack, moto, &bin("payment")?, "payment").await?;
    let (mut events, mut errors) = (0, 0);
    for (k, chunk) in conversations.chunks(10).enumerate() {
        let batch: Vec<(String, String, String, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, conversation)| {
                let message = xtask::crowd::checkout_message(
                    conversation,
                    k * 10 + i,
                    chatdrop_domain::clock::SystemClock.now(),
                );
                let body = serde_json::to_string(&message).unwrap_or_default();
                (
                    format!("memload-{k}-{i}"),
                    format!("receipt-{k}-{i}"),
                    conversation.hashed(),
                    body,
                )
            })
            .collect();
        let answer = payment
            .invoke(sqs_event("chatdrop-payment.fifo", &batch))
            .await?;
        events += 1;
        errors += match &answer {
            Ok(body) => failed_records(body),
            Err(_) => batch.len(),
        };
    }
    let figures = finish(payment, events, args.buyers, errors, began).await;
    print("payment", &figures);
    let sold = store
        .drop_stock(DROP_ID)
        .await?
        .first()
        .map_or(0, |(_, _, reserved, _)| *reserved);
    println!();
    println!(
        "payment reserved {sold} of {units} units for {} buyers; goal: every peak under {GOAL_MIB} MiB",
        args.buyers
    );
    Ok(all_fit)
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
            eprintln!("memload: {e}");
            ExitCode::FAILURE
        }
    }
}
