//! A fake Lambda Runtime API, for running a function's real `bootstrap` on this machine.
//!
//! Lambda starts a function's executable with `AWS_LAMBDA_RUNTIME_API` pointing at the Runtime
//! API; the runtime inside asks `GET /2018-06-01/runtime/invocation/next` for each event and
//! posts the answer to `…/invocation/{id}/response` (or `/error`). [`serve`] plays that API on
//! loopback: events queued with [`Api::push`] are handed to `/next` in order, and everything
//! the function sends back arrives as a [`Report`]. With nothing queued, `/next` waits, as
//! Lambda does between events. `coldstart` (time to the first `/next`) and `memload` (peak
//! memory under a stream of real events) both run bootstraps against it; [`environment`] is the
//! environment Lambda and the CDK app give a function, and [`peak_rss`] reads the kernel's
//! high-water mark of a process's resident set.

use crate::{Error, dev};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, mpsc};

/// What the fake Runtime API saw, in order.
pub enum Report {
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

/// A queued event and its own deadline (Unix ms), when it has one.
type Queued = (String, Option<u128>);

/// The fake Runtime API's state: where to report, and the event to hand the next `/next`.
#[derive(Clone)]
pub struct Api {
    reports: mpsc::UnboundedSender<Report>,
    events: Arc<Mutex<VecDeque<Queued>>>,
    queued: Arc<Notify>,
}

impl Report {
    /// For an error message: what arrived instead of what was expected.
    pub fn describe(&self) -> String {
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
    /// A new API and the receiver of its reports.
    pub fn new() -> (Api, mpsc::UnboundedReceiver<Report>) {
        let (reports, received) = mpsc::unbounded_channel();
        let api = Api {
            reports,
            events: Arc::default(),
            queued: Arc::default(),
        };
        (api, received)
    }

    /// Queues `event` for the next `/next`, with a deadline 30 s after it is handed out.
    pub fn push(&self, event: String) {
        if let Ok(mut events) = self.events.lock() {
            events.push_back((event, None));
        }
        self.queued.notify_one();
    }

    /// Queues `event` with its own deadline (`Lambda-Runtime-Deadline-Ms`, Unix ms): a
    /// function with little time left, as Lambda hands it a batch near its timeout.
    pub fn push_with_deadline(&self, event: String, deadline_ms: u128) {
        if let Ok(mut events) = self.events.lock() {
            events.push_back((event, Some(deadline_ms)));
        }
        self.queued.notify_one();
    }

    /// Queues `event` for a process not started yet, without waking a waiting `/next`: one
    /// left by a killed process may still be parked, and must not take it.
    pub fn preload(&self, event: String) {
        if let Ok(mut events) = self.events.lock() {
            events.push_back((event, None));
        }
    }

    /// Drops every queued event.
    pub fn clear(&self) {
        if let Ok(mut events) = self.events.lock() {
            events.clear();
        }
    }

    fn pop(&self) -> Option<Queued> {
        self.events.lock().ok()?.pop_front()
    }

    fn report(&self, report: Report) {
        // The receiver lives as long as `main`; a closed channel means we are exiting anyway.
        let _ = self.reports.send(report);
    }
}

async fn next(State(api): State<Api>) -> Response {
    api.report(Report::Next(Instant::now()));
    let (body, deadline) = loop {
        if let Some(event) = api.pop() {
            break event;
        }
        // Nothing queued: hold the request, as Lambda does between events.
        api.queued.notified().await;
    };
    {
        {
            let deadline = deadline.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() + 30_000)
            });
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
pub async fn serve(api: Api) -> Result<String, Error> {
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
pub fn environment(function: &str, runtime_api: &str, task_root: &str) -> BTreeMap<String, String> {
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
            "whatsapp,telegram,messenger,line,wechat,sms,viber,kakao".into(),
        ),
        ("CHATDROP_KAKAO_BOT_ID", dev::KAKAO_BOT_ID.into()),
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

/// `VmHWM` (peak resident set) of a live process, in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The first line of a response body, short enough for the table.
pub fn summary(body: &str) -> String {
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

/// Where the executable of `function` is under `dir`, in either layout.
pub fn executable(dir: &std::path::Path, function: &str) -> Option<PathBuf> {
    [dir.join(function).join("bootstrap"), dir.join(function)]
        .into_iter()
        .find(|p| p.is_file())
}

/// An API Gateway HTTP API (payload 2.0) event, as Lambda hands it to `lambda_http`.
pub fn http_event(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> String {
    let mut all_headers = serde_json::json!({
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "chatdrop-bench",
    });
    for (name, value) in headers {
        all_headers[name.to_ascii_lowercase()] = serde_json::Value::String(value.clone());
    }
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "198.51.100.7", "userAgent": "chatdrop-bench"},
            "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000i64
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = serde_json::Value::String(body.to_string());
    }
    event.to_string()
}
