//! `ingress` beside what most teams would deploy instead: a Node.js 20 Lambda doing the same
//! webhook work, run under the same local Runtime API against the same moto:
//! `cargo run --release -p xtask --bin nodepeer -- [--events N] [--runs N] [--dir DIR]`.
//!
//! The peer (`xtask/bench/node-peer/`, never shipped) is written plainly, as the AWS and Meta
//! documentation show: verify WhatsApp's `X-Hub-Signature-256`, parse the payload, queue each
//! message on the catalog FIFO queue with the AWS SDK for JavaScript v3's `SendMessageBatch`.
//! Both get identical signed webhooks from [`Customer::whatsapp`], as API Gateway events, one at
//! a time, and both must answer each with 200 and leave one message per webhook on the queue
//! (checked: a run where either did less is an error, not a figure).
//!
//! Measured for each:
//!
//! - **cold start**: `exec` → first `GET /2018-06-01/runtime/invocation/next`, `--runs` times
//!   after one unmeasured start that warms the page cache (as `coldstart` measures);
//! - **per event**: the CPU time of all the process's threads over `--events` webhooks, divided
//!   by the events (the work the function does, without moto's share), and the wall time of
//!   each event (median and p99; this one includes the SQS call to moto);
//! - **memory**: peak resident set (`VmHWM`) after the stream;
//! - **package**: the bytes Lambda unpacks before init. For ingress the `bootstrap`; for Node.js
//!   the handler alone (the nodejs20.x runtime provides an SDK v3) and the handler with its
//!   pinned `node_modules` (what AWS recommends shipping). The Node.js runtime itself is not
//!   counted: Lambda provides it.
//!
//! The Node.js side runs under a plain JavaScript Runtime API loop (`runtime.mjs`), not Lambda's
//! managed runtime client, which needs a native build: that client does more per event, so the
//! Node.js figures are a floor and the ratios understate the difference. The Node.js packages
//! are installed with `npm ci` from the lock file on first use.
//!
//! Goal (issue 18): ingress at least 5 times faster to its first event and using at least 10
//! times less memory. The exit status is 2 when a ratio misses its goal.

use aws_sdk_sqs::types::QueueAttributeName;
use clap::Parser;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::Command;
use xtask::Error;
use xtask::customer::Customer;
use xtask::lambda_process::LambdaProcess;
use xtask::moto::{self, Moto};
use xtask::percentile::nearest_rank_ms;
use xtask::runtime_api::{self, executable, http_event};
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "ingress against a plain Node.js 20 Lambda doing the same webhook work")]
struct Args {
    /// Signed webhooks served to each, one per event.
    #[arg(long, default_value_t = 1_000)]
    events: usize,
    /// Measured cold starts of each (after one unmeasured warm-up start).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Directory of the ingress `bootstrap` [default: $CARGO_TARGET_DIR/release].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The Node.js executable.
    #[arg(long, default_value = "node")]
    node: String,
}

const GOAL_START_RATIO: f64 = 5.0;
const GOAL_MEMORY_RATIO: f64 = 10.0;
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);
const MIB: f64 = 1024.0 * 1024.0;

/// One side of the comparison.
struct Peer {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    /// Where the process starts (`LAMBDA_TASK_ROOT`).
    task_root: PathBuf,
    /// Bytes Lambda unpacks, and the line describing them.
    package: Vec<(String, u64)>,
}

/// What one side measured.
struct Figures {
    /// Sorted.
    starts: Vec<Duration>,
    rss_at_init: Option<u64>,
    /// Sorted wall time of each event.
    events: Vec<Duration>,
    cpu_per_event: Duration,
    peak: Option<u64>,
}

fn node_peer_dir() -> PathBuf {
    moto::repo_root().join("xtask/bench/node-peer")
}

/// Installs the peer's packages from its lock file if they are not there yet.
fn install_node_packages(dir: &Path) -> Result<(), Error> {
    if dir.join("node_modules/@aws-sdk/client-sqs").is_dir() {
        return Ok(());
    }
    println!("nodepeer: npm ci in {}", dir.display());
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()?;
    if !status.success() {
        return Err(format!("npm ci failed in {} ({status})", dir.display()).into());
    }
    Ok(())
}

/// Total bytes of the files under `path`.
fn bytes_under(path: &Path) -> u64 {
    if path.is_file() {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| bytes_under(&e.path())).sum())
        .unwrap_or(0)
}

fn which(program: &str) -> Result<PathBuf, Error> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{program} is not on PATH").into())
}

impl Peer {
    fn command(&self, stack: &LocalStack, moto: &Moto, runtime_api: &str) -> Command {
        let mut env = runtime_api::environment(
            "ingress",
            runtime_api,
            &self.task_root.display().to_string(),
        );
        env.extend(stack.env.clone());
        env.insert("AWS_ENDPOINT_URL".into(), moto.endpoint.clone());
        env.remove("AWS_MAX_ATTEMPTS");
        env.insert("RUST_LOG".into(), "warn".into());
        if self.args.is_empty() {
            env.insert("_HANDLER".into(), "bootstrap".into());
        } else {
            // What Lambda sets for a Node.js function.
            env.insert("_HANDLER".into(), "index.handler".into());
            env.insert("AWS_EXECUTION_ENV".into(), "AWS_Lambda_nodejs20.x".into());
        }
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.task_root)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    async fn start(&self, stack: &LocalStack, moto: &Moto) -> Result<LambdaProcess, Error> {
        let (api, reports, address) = LambdaProcess::runtime_api().await?;
        LambdaProcess::start(
            api,
            reports,
            self.command(stack, moto, &address),
            EVENT_TIMEOUT,
        )
        .await
        .map_err(|e| format!("{}: {e}", self.name).into())
    }

    async fn measure(
        &self,
        args: &Args,
        stack: &LocalStack,
        moto: &Moto,
        sqs: &aws_sdk_sqs::Client,
        first_buyer: usize,
    ) -> Result<Figures, Error> {
        self.start(stack, moto).await?.kill().await;
        let mut starts = Vec::with_capacity(args.runs);
        let mut rss_at_init = None;
        for _ in 0..args.runs {
            let process = self.start(stack, moto).await?;
            starts.push(process.init);
            rss_at_init = rss_at_init.max(process.rss_at_init);
            process.kill().await;
        }
        starts.sort();

        let queue = &stack.provisioned.queues.catalog;
        let queued_before = queued(sqs, queue).await?;
        let mut process = self.start(stack, moto).await?;
        let cpu_before = process.cpu_time().unwrap_or_default();
        let mut events = Vec::with_capacity(args.events);
        for n in 0..args.events {
            let buyer = format!("4479{:08}", first_buyer + n);
            let webhook = Customer::whatsapp(&stack.url, &buyer, "Peer").text_webhook("hi");
            let body = String::from_utf8(webhook.body.clone())?;
            let event = http_event("POST", &webhook.path, "", &webhook.headers, Some(&body));
            let began = Instant::now();
            let answer = process.invoke(event).await?;
            events.push(began.elapsed());
            let status = answer
                .as_ref()
                .ok()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .and_then(|v| v["statusCode"].as_u64());
            if status != Some(200) {
                return Err(format!("{}: webhook {n} answered {answer:?}", self.name).into());
            }
        }
        let cpu = process
            .cpu_time()
            .unwrap_or_default()
            .saturating_sub(cpu_before);
        let peak = process.peak_rss();
        process.kill().await;
        let queued_now = queued(sqs, queue).await?;
        if queued_now < queued_before + args.events as u64 {
            return Err(format!(
                "{}: {} webhooks left {} messages on the queue",
                self.name,
                args.events,
                queued_now.saturating_sub(queued_before)
            )
            .into());
        }
        events.sort();
        Ok(Figures {
            starts,
            rss_at_init,
            events,
            cpu_per_event: cpu / args.events.max(1) as u32,
            peak,
        })
    }
}

/// Messages waiting on `queue` (nothing consumes them during the run).
async fn queued(sqs: &aws_sdk_sqs::Client, queue: &str) -> Result<u64, Error> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    Ok(out
        .attributes
        .and_then(|a| {
            a.get(&QueueAttributeName::ApproximateNumberOfMessages)
                .cloned()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".into(), |b| format!("{:.1}", b as f64 / MIB))
}

fn ratio(slow: f64, fast: f64) -> f64 {
    if fast > 0.0 { slow / fast } else { 0.0 }
}

async fn run(args: Args) -> Result<bool, Error> {
    if args.runs == 0 || args.events == 0 {
        return Err("--runs and --events must be at least 1".into());
    }
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("release")
    });
    let bootstrap = executable(&dir, "ingress")
        .ok_or_else(|| format!("no ingress executable in {}", dir.display()))?;
    let node_dir = node_peer_dir();
    install_node_packages(&node_dir)?;
    let node = which(&args.node)?;
    let node_version = std::process::Command::new(&node)
        .arg("--version")
        .output()?;
    let handler = bytes_under(&node_dir.join("index.mjs"));
    let peers = [
        Peer {
            name: "ingress (Rust)",
            program: bootstrap.clone(),
            args: Vec::new(),
            task_root: bootstrap
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            package: vec![("bootstrap".into(), bytes_under(&bootstrap))],
        },
        Peer {
            name: "Node.js peer",
            program: node,
            args: vec!["runtime.mjs".into()],
            task_root: node_dir.clone(),
            package: vec![
                ("index.mjs".into(), handler),
                (
                    "index.mjs + node_modules".into(),
                    handler + bytes_under(&node_dir.join("node_modules")),
                ),
            ],
        },
    ];

    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::None;
    let stack = LocalStack::start(options).await?;
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    println!(
        "nodepeer: {} webhooks and {} cold starts each; ingress {}; node {}; moto {}",
        args.events,
        args.runs,
        bootstrap.display(),
        String::from_utf8_lossy(&node_version.stdout).trim(),
        moto.endpoint
    );
    let mut figures = Vec::new();
    for (k, peer) in peers.iter().enumerate() {
        match peer
            .measure(&args, &stack, &moto, &sqs, k * args.events)
            .await
        {
            Ok(f) => figures.push(f),
            Err(e) => {
                stack.stop().await;
                return Err(e);
            }
        }
    }
    stack.stop().await;
    drop(moto);
    Ok(report(&peers, &figures))
}

/// Prints the table and the ratios; whether both ratios meet their goals.
fn report(peers: &[Peer], figures: &[Figures]) -> bool {
    println!();
    println!(
        "| | cold start median / p90 ms | CPU per event µs | event wall median / p99 ms | peak RSS at init MiB | peak RSS after the stream MiB | package |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (peer, f) in peers.iter().zip(figures) {
        let package: Vec<String> = peer
            .package
            .iter()
            .map(|(what, bytes)| match *bytes as f64 {
                b if b < MIB => format!("{what} {:.1} KiB", b / 1024.0),
                b => format!("{what} {:.2} MiB", b / MIB),
            })
            .collect();
        println!(
            "| {} | {:.1} / {:.1} | {:.0} | {:.2} / {:.2} | {} | {} | {} |",
            peer.name,
            nearest_rank_ms(&f.starts, 0.5),
            nearest_rank_ms(&f.starts, 0.9),
            f.cpu_per_event.as_secs_f64() * 1e6,
            nearest_rank_ms(&f.events, 0.5),
            nearest_rank_ms(&f.events, 0.99),
            mib(f.rss_at_init),
            mib(f.peak),
            package.join("; "),
        );
    }
    let (rust, node) = (&figures[0], &figures[1]);
    let start = ratio(
        nearest_rank_ms(&node.starts, 0.5),
        nearest_rank_ms(&rust.starts, 0.5),
    );
    let memory = ratio(node.peak.unwrap_or(0) as f64, rust.peak.unwrap_or(0) as f64);
    let cpu = ratio(
        node.cpu_per_event.as_secs_f64(),
        rust.cpu_per_event.as_secs_f64(),
    );
    let mark = |met: bool| if met { "" } else { " ✗" };
    println!();
    println!(
        "Node.js / ingress: cold start {start:.1}×{} (goal ≥ {GOAL_START_RATIO}×), peak memory {memory:.1}×{} (goal ≥ {GOAL_MEMORY_RATIO}×), CPU per event {cpu:.1}×",
        mark(start >= GOAL_START_RATIO),
        mark(memory >= GOAL_MEMORY_RATIO),
    );
    start >= GOAL_START_RATIO && memory >= GOAL_MEMORY_RATIO
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
            eprintln!("nodepeer: {e}");
            ExitCode::FAILURE
        }
    }
}
