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
//! `xtask::infra::check` puts its build.
//!
//! The table is Markdown, ready to paste. The exit status is 2 when a median or a size misses
//! its goal, 1 when a function fails to start.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use xtask::{Error, dev};

/// Every function, in the order the table prints them.
const FUNCTIONS: [&str; 7] = [
    "ingress",
    "catalog",
    "cart",
    "notify",
    "payment",
    "payment-webhook",
    "sweep",
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
    /// Functions to measure [default: all seven].
    functions: Vec<String>,
}

/// What the fake Runtime API saw, in order.
enum Report {
    /// A `GET …/invocation/next`, at the moment its handler ran.
    Next(Instant),
    /// The function's answer to the served event.
    Response(String),
    /// The function reported the served event as failed.
    InvocationError(String),
    /// The function could not initialise.
    InitError(String),
    /// A request this program does not serve (a runtime feature it does not play).
    Unexpected(String),
}

/// The fake Runtime API's state: where to report, and the event to hand the next `/next`.
#[derive(Clone)]
struct Api {
    reports: mpsc::UnboundedSender<Report>,
    event: Arc<Mutex<Option<String>>>,
}

impl Report {
    /// For an error message: what arrived instead of what was expected.
    fn describe(&self) -> String {
        match self {
            Report::Next(_) => "a request for the next event".into(),
            Report::Response(body) => format!("a response: {}", summary(body)),
            Report::InvocationError(body) => format!("an invocation error: {}", summary(body)),
            Report::InitError(body) => format!("an init error: {}", summary(body)),
            Report::Unexpected(request) => format!("an unexpected request: {request}"),
        }
    }
}

impl Api {
    fn report(&self, report: Report) {
        // The receiver lives as long as `main`; a closed channel means we are exiting anyway.
        let _ = self.reports.send(report);
    }
}

async fn next(State(api): State<Api>) -> Response {
    api.report(Report::Next(Instant::now()));
    let event = api.event.lock().map(|mut e| e.take()).unwrap_or(None);
    match event {
        Some(body) => {
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() + 30_000);
            (
                [
                    (
                        "lambda-runtime-aws-request-id",
                        "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_string(),
                    ),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:coldstart".to_string(),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                            .to_string(),
                    ),
                    ("content-type", "application/json".to_string()),
                ],
                body,
            )
                .into_response()
        }
        // Nothing to serve: hold the request, as Lambda does between events, until the process
        // is killed and the connection closes.
        None => std::future::pending().await,
    }
}

async fn invocation_response(
    State(api): State<Api>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    api.report(Report::Response(body));
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(api): State<Api>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    api.report(Report::InvocationError(body));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Api>, body: String) -> StatusCode {
    api.report(Report::InitError(body));
    StatusCode::ACCEPTED
}

async fn unexpected(
    State(api): State<Api>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    _headers: HeaderMap,
) -> StatusCode {
    api.report(Report::Unexpected(format!("{method} {uri}")));
    StatusCode::NOT_FOUND
}

/// Starts the fake Runtime API on an ephemeral loopback port; returns `host:port`.
async fn runtime_api(api: Api) -> Result<String, Error> {
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(invocation_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .fallback(unexpected)
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// The environment Lambda and the CDK app give a function, with dummy values that need no AWS:
/// every channel served, secrets from the environment (no `CHATDROP_SECRET_ID`).
fn environment(function: &str, runtime_api: &str, task_root: &str) -> BTreeMap<String, String> {
    let queue = |name: &str| format!("https://sqs.us-east-1.amazonaws.com/123456789012/{name}");
    let mut env: BTreeMap<String, String> = [
        // Lambda's own variables (`lambda_runtime` requires the first four).
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", format!("chatdrop-{function}")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/chatdrop-{function}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]coldstart".into(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("LAMBDA_TASK_ROOT", task_root.to_string()),
        ("_HANDLER", "bootstrap".into()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "ASIACOLDSTARTEXAMPLE".into()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "coldstart-dummy-secret-access-key".into(),
        ),
        ("AWS_SESSION_TOKEN", "coldstart-dummy-session-token".into()),
        // Not in AWS: any SDK call (only sweep's served event makes one) goes to a closed
        // loopback port and fails at once, without retries.
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
        // The CDK app's configuration (infra/lib/chatdrop-stack.ts, xtask/src/stack.rs).
        ("CHATDROP_TABLE", "chatdrop".into()),
        ("CHATDROP_CATALOG_QUEUE_URL", queue("chatdrop-catalog.fifo")),
        ("CHATDROP_CART_QUEUE_URL", queue("chatdrop-cart.fifo")),
        ("CHATDROP_PAYMENT_QUEUE_URL", queue("chatdrop-payment.fifo")),
        (
            "CHATDROP_OUTBOUND_QUEUE_URL",
            queue("chatdrop-outbound.fifo"),
        ),
        (
            "CHATDROP_PUBLIC_BASE_URL",
            "https://abc123.execute-api.us-east-1.amazonaws.com".into(),
        ),
        (
            "CHATDROP_CHANNELS",
            "whatsapp,telegram,messenger,line,wechat,sms".into(),
        ),
        (
            "CHATDROP_WHATSAPP_PHONE_NUMBER_ID",
            dev::WHATSAPP_PHONE_NUMBER_ID.into(),
        ),
        (
            "CHATDROP_WHATSAPP_ORDER_TEMPLATE",
            dev::WHATSAPP_ORDER_TEMPLATE.into(),
        ),
        ("CHATDROP_WECHAT_APP_ID", dev::WECHAT_APP_ID.into()),
        (
            "CHATDROP_TWILIO_ACCOUNT_SID",
            dev::TWILIO_ACCOUNT_SID.into(),
        ),
        ("CHATDROP_SMS_FROM", dev::SMS_FROM.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // Every secret of every function: each reads only the ones it needs.
    env.extend(dev::secrets());
    env
}

/// An event `function` handles without the network (see the module docs).
fn sample_event(function: &str) -> String {
    let http = |method: &str, path: &str, query: &str| {
        serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "coldstart"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc123",
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "198.51.100.7", "userAgent": "coldstart"},
                "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000i64
            },
            "isBase64Encoded": false
        })
        .to_string()
    };
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
        "sweep" => serde_json::json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
            "time": "2026-01-01T00:15:00Z", "region": "us-east-1", "resources": [], "detail": {}
        })
        .to_string(),
        _ => r#"{"Records":[]}"#.to_string(),
    }
}

/// `VmHWM` (peak resident set) of a live process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One cold start's figures.
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
        *self.api.event.lock().map_err(|_| "poisoned")? = event.clone();
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

/// The first line of a response body, short enough for the table.
fn summary(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = match (value.get("statusCode"), value.get("errorType")) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(kind)) => value
            .get("errorMessage")
            .and_then(|m| m.as_str())
            .unwrap_or_else(|| kind.as_str().unwrap_or_default())
            .to_string(),
        _ => body.to_string(),
    };
    text.chars().take(40).collect()
}

/// The nearest-rank percentile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// Where the executable of `function` is under `dir`, in either layout.
fn executable(dir: &std::path::Path, function: &str) -> Option<PathBuf> {
    [dir.join(function).join("bootstrap"), dir.join(function)]
        .into_iter()
        .find(|p| p.is_file())
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
    let (tx, rx) = mpsc::unbounded_channel();
    let api = Api {
        reports: tx,
        event: Arc::default(),
    };
    let runtime_api = runtime_api(api.clone()).await?;
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
        percentile(&self.inits, 0.5) < GOAL_INIT_MS
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
            percentile(&self.inits, 0.5),
            miss(self.init_met()),
            percentile(&self.inits, 0.9),
            percentile(&self.inits, 1.0),
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
