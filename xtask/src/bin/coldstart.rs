//! How long each function takes from `exec` to ready, how big it is, and how much memory it
//! holds: `cargo run -p xtask --release --bin coldstart -- [--runs 20] [--dir DIR] [FUNCTION...]`.
//!
//! A Lambda function written in Rust is one `bootstrap` executable. On a cold start Lambda
//! downloads it, starts it, and the process initialises (runtime, configuration, secrets, SDK
//! clients) until it asks the Runtime API for its first event with
//! `GET /2018-06-01/runtime/invocation/next`. That request is the end of the init phase, and the
//! time to it is the part of a cold start the code controls. This program plays the Runtime API
//! on `127.0.0.1`, starts each bootstrap with `AWS_LAMBDA_RUNTIME_API` pointing at it and the
//! configuration a deployment gives it, and measures `exec` → first `/next`, `--runs` times per
//! function after one unmeasured start that warms the page cache. Goal: **under 30 ms**.
//!
//! It also prints each executable's size (goal: **under 8 MB**; Lambda unpacks the code before
//! the init phase, so size is cold-start time too), the resident set at the first `/next`
//! (`VmHWM`, the peak, from `/proc/<pid>/status`) and, unless `--no-invoke`, the peak after one
//! served invocation of an event that needs no network:
//!
//! | function | event served |
//! |---|---|
//! | ingress | `GET /webhooks/whatsapp`, Meta's subscription check (answered with the challenge) |
//! | payment-webhook | `GET /paid`, the page after checkout |
//! | kakao | `POST /webhooks/kakao` without the skill secret header (refused with 401) |
//! | catalog, cart, notify, payment | an SQS event with no records |
//! | sweep | its scheduled event: the DynamoDB query fails at once (no AWS here), so its peak includes one failed SDK call |
//!
//! What is left out, and why the figures are a floor:
//!
//! - Secrets. In AWS a function reads its secrets with one Secrets Manager `GetSecretValue` at
//!   init (`CHATDROP_SECRET_ID`); here `CHATDROP_SECRET_ID` is unset, so they come from
//!   environment variables (`chatdrop_config::secret_source`) and that network call, typically
//!   tens of milliseconds, is not in the figure.
//! - Lambda's own work before `exec` (fetching and unpacking the code, starting the sandbox) and
//!   its CPU share: a function gets CPU in proportion to its memory setting, this machine's
//!   cores are not throttled.
//! - No SDK call happens at init: the clients resolve credentials and endpoints on first use,
//!   so the dummy credentials and the closed-port `AWS_ENDPOINT_URL` cost nothing until then.
//!
//! Binaries: `--dir DIR` holds either `DIR/<function>/bootstrap` (what
//! `cargo lambda build --profile ci --x86-64 --lambda-dir DIR` writes) or `DIR/<function>`
//! (what `cargo build --profile ci` writes to `$CARGO_TARGET_DIR/ci`; the same code, linked
//! by the system linker instead of zig). The default is `$CARGO_TARGET_DIR/lambda-ci`, where
//! that `cargo lambda build --profile ci` command puts it with `--lambda-dir` so named (the test
//! command's own Lambda build is unoptimized and goes to `lambda-check`: never time it).
//!
//! The table is Markdown, ready to paste. The exit status is 2 when a median or a size misses
//! its goal, 1 when a function fails to start.

use clap::Parser;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use xtask::percentile::nearest_rank_ms;
use xtask::runtime_api::{
    Api, Report, environment, executable, http_event, peak_rss, serve, summary,
};
use xtask::{Error, dev};

/// Every function, in the order the table prints them.
const FUNCTIONS: [&str; 8] = [
    "ingress",
    "catalog",
    "cart",
    "notify",
    "payment",
    "payment-webhook",
    "sweep",
    "kakao",
];

const GOAL_INIT_MS: f64 = 30.0;
const GOAL_SIZE_MB: f64 = 8.0;
/// How long a bootstrap may take to ask for its first event before the run counts as failed.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the served invocation may take.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Parser)]
#[command(about = "Cold start (exec → first Runtime API request), size and peak RSS per function")]
struct Args {
    /// Measured cold starts per function (after one unmeasured warm-up start).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Directory of `<function>/bootstrap` or `<function>` executables
    /// [default: $CARGO_TARGET_DIR/lambda-ci, else target/lambda-ci].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Skip the one served invocation per function (and its peak RSS).
    #[arg(long)]
    no_invoke: bool,
    /// Functions to measure [default: all eight].
    functions: Vec<String>,
}

/// An event `function` handles without the network (see the module docs).
fn sample_event(function: &str) -> String {
    let http = |method: &str, path: &str, query: &str| http_event(method, path, query, &[], None);
    match function {
        "ingress" => http(
            "GET",
            "/webhooks/whatsapp",
            &format!(
                "hub.mode=subscribe&hub.verify_token={}&hub.challenge=1158201444",
                dev::WHATSAPP_VERIFY_TOKEN_VALUE
            ),
        ),
        "payment-webhook" => http("GET", "/paid", ""),
        // No skill secret header: refused with 401 before the body is read, no network.
        "kakao" => http_event("POST", "/webhooks/kakao", "", &[], Some("{}")),
        "sweep" => serde_json::json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
            "time": "2026-01-01T00:15:00Z", "region": "us-east-1", "resources": [], "detail": {}
        })
        .to_string(),
        _ => r#"{"Records":[]}"#.to_string(),
    }
}

struct Start {
    init: Duration,
    rss_at_init: Option<u64>,
    /// Peak RSS after the served invocation, and how it ended.
    invoked: Option<(Option<u64>, String)>,
}

struct Runner {
    api: Api,
    reports: mpsc::UnboundedReceiver<Report>,
    runtime_api: String,
    log_dir: PathBuf,
}

impl Runner {
    /// The next report, or an error if the process exits or stays silent first.
    async fn report(&mut self, child: &mut Child, wait: Duration) -> Result<Report, Error> {
        tokio::select! {
            report = self.reports.recv() => report.ok_or_else(|| "the Runtime API stopped".into()),
            status = child.wait() => Err(format!("the process exited ({})", status?).into()),
            () = tokio::time::sleep(wait) => Err(format!("nothing from the process in {wait:?}").into()),
        }
    }

    /// Starts `bin` once and measures it; serves `event` to it if given.
    async fn start(
        &mut self,
        function: &str,
        bin: &std::path::Path,
        event: Option<String>,
    ) -> Result<Start, Error> {
        while self.reports.try_recv().is_ok() {}
        self.api.clear();
        if let Some(event) = &event {
            self.api.preload(event.clone());
        }
        let task_root = bin
            .parent()
            .map_or_else(String::new, |p| p.display().to_string());
        let log_path = self.log_dir.join(format!("{function}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let mut command = Command::new(bin);
        command
            .env_clear()
            .envs(environment(function, &self.runtime_api, &task_root))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);

        let started = Instant::now();
        let mut child = command.spawn()?;
        let pid = child.id().ok_or("the process has no pid")?;
        let outcome = self
            .observe(&mut child, pid, started, event.is_some())
            .await;
        let _ = child.kill().await;
        outcome.map_err(|e| format!("{function}: {e} (its output: {})", log_path.display()).into())
    }

    async fn observe(
        &mut self,
        child: &mut Child,
        pid: u32,
        started: Instant,
        invoke: bool,
    ) -> Result<Start, Error> {
        let init = match self.report(child, INIT_TIMEOUT).await? {
            Report::Next(at) => at - started,
            other => return Err(format!("before the first /next: {}", other.describe()).into()),
        };
        let rss_at_init = peak_rss(pid);
        let invoked = if invoke {
            let outcome = match self.report(child, INVOKE_TIMEOUT).await? {
                Report::Response(body) => format!("ok {}", summary(&body)),
                Report::InvocationError(body) => format!("error {}", summary(&body)),
                other => return Err(format!("during the invocation: {}", other.describe()).into()),
            };
            match self.report(child, INVOKE_TIMEOUT).await? {
                Report::Next(_) => Some((peak_rss(pid), outcome)),
                other => return Err(format!("after the invocation: {}", other.describe()).into()),
            }
        } else {
            None
        };
        Ok(Start {
            init,
            rss_at_init,
            invoked,
        })
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / MIB)
}

fn mb_or_dash(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".into(), mb)
}

async fn run(args: Args) -> Result<Outcome, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("lambda-ci")
    });
    let functions: Vec<String> = if args.functions.is_empty() {
        FUNCTIONS.iter().map(|f| f.to_string()).collect()
    } else {
        args.functions.clone()
    };
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let (api, rx) = Api::new();
    let runtime_api = serve(api.clone()).await?;
    let log_dir = std::env::temp_dir().join("chatdrop-coldstart");
    std::fs::create_dir_all(&log_dir)?;
    let mut runner = Runner {
        api,
        reports: rx,
        runtime_api,
        log_dir,
    };

    println!(
        "cold start = exec -> first GET /2018-06-01/runtime/invocation/next; {} runs per function after 1 warm-up",
        args.runs
    );
    println!("binaries: {}", dir.display());
    println!();
    println!(
        "| function | size MiB | median ms | p90 ms | max ms | peak RSS at init MiB (max of runs) | peak RSS after 1 event MiB | event |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut all_met = true;
    let mut failed = false;
    for function in &functions {
        match measure(&mut runner, &dir, function, args.runs, !args.no_invoke).await {
            Ok(row) => {
                all_met &= row.met();
                println!("{}", row.markdown(function));
            }
            Err(e) => {
                failed = true;
                println!("| {function} | failed: {e} |||||||");
            }
        }
    }
    println!();
    println!(
        "goals: median cold start < {GOAL_INIT_MS} ms, size < {GOAL_SIZE_MB} MiB; ✗ marks a miss"
    );
    Ok(if failed {
        Outcome::Failed
    } else if all_met {
        Outcome::Met
    } else {
        Outcome::Missed
    })
}

enum Outcome {
    Met,
    Missed,
    Failed,
}

/// One function's line of the table.
struct Row {
    size: u64,
    /// Sorted.
    inits: Vec<Duration>,
    rss_at_init: Option<u64>,
    invoked: Option<(Option<u64>, String)>,
}

impl Row {
    fn size_met(&self) -> bool {
        (self.size as f64 / MIB) < GOAL_SIZE_MB
    }

    fn init_met(&self) -> bool {
        nearest_rank_ms(&self.inits, 0.5) < GOAL_INIT_MS
    }

    fn met(&self) -> bool {
        self.size_met() && self.init_met()
    }

    fn markdown(&self, function: &str) -> String {
        let miss = |met: bool| if met { "" } else { " ✗" };
        let (rss_after, outcome) = match &self.invoked {
            Some((rss, outcome)) => (mb_or_dash(*rss), outcome.as_str()),
            None => ("-".into(), "-"),
        };
        format!(
            "| {function} | {}{} | {:.1}{} | {:.1} | {:.1} | {} | {rss_after} | {outcome} |",
            mb(self.size),
            miss(self.size_met()),
            nearest_rank_ms(&self.inits, 0.5),
            miss(self.init_met()),
            nearest_rank_ms(&self.inits, 0.9),
            nearest_rank_ms(&self.inits, 1.0),
            mb_or_dash(self.rss_at_init),
        )
    }
}

/// Size, one warm-up start, `runs` measured starts and (if `invoke`) one served event.
async fn measure(
    runner: &mut Runner,
    dir: &std::path::Path,
    function: &str,
    runs: usize,
    invoke: bool,
) -> Result<Row, Error> {
    let bin = executable(dir, function).ok_or("no executable")?;
    let size = std::fs::metadata(&bin)?.len();
    runner.start(function, &bin, None).await?;
    let mut inits = Vec::with_capacity(runs);
    let mut rss_at_init = None;
    for _ in 0..runs {
        let start = runner.start(function, &bin, None).await?;
        inits.push(start.init);
        rss_at_init = rss_at_init.max(start.rss_at_init);
    }
    inits.sort();
    let invoked = if invoke {
        runner
            .start(function, &bin, Some(sample_event(function)))
            .await?
            .invoked
    } else {
        None
    };
    Ok(Row {
        size,
        inits,
        rss_at_init,
        invoked,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(Error::from)
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(Outcome::Met) => ExitCode::SUCCESS,
        Ok(Outcome::Missed) => ExitCode::from(2),
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("coldstart: {e}");
            ExitCode::FAILURE
        }
    }
}
