//! Structured JSON logs, set up in one place, and what a log line may say.
//!
//! Every function calls [`init`] once at cold start. Logs are JSON lines (CloudWatch Logs
//! Insights reads the fields), with the current span's fields on each line. The queue handlers
//! (conversation, payment, notify) open one span per record with `channel`, `customer` (the
//! hashed conversation id, never a phone number) and `attempt` (the SQS receive count), plus
//! `handler` and `kind` on the conversation handlers, `handler` on payment and `replies` on
//! notify. Ingress's `webhook` span carries only `channel`; payment-webhook's `stripe_event`
//! span carries the Stripe `event` id. No span carries an order id. `RUST_LOG` sets the level.
//!
//! Spans follow a future with `.instrument(span)`, never with a guard from `span.enter()`
//! held across an `.await`: on a multi-threaded runtime the task can resume on another
//! thread, the guard then exits the span there, and the first thread keeps it as its current
//! span after it closed. A span created next on that thread takes the closed span as its
//! parent and the subscriber panics ("tried to clone a span that already closed") in whatever
//! handler happens to run there.
//!
//! [`redact`] holds the rules for payload-derived text: logs carry hashed ids and error
//! categories, never a platform user id or a value quoted from a payload.

pub mod redact;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when `RUST_LOG` is not set: our info lines, the SDK's warnings.
const DEFAULT_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn";

/// Installs the JSON subscriber; a second call (tests, the local stack) is a no-op.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = subscriber(filter, std::io::stdout).try_init();
}

/// The JSON subscriber every function runs with, filtered by `filter` (an [`EnvFilter`] or
/// its directives, `"trace"`) and writing to `writer`: [`init`] writes to stdout, tests
/// capture it into a buffer (an `Arc<Mutex<Vec<u8>>>` will do).
pub fn subscriber<W>(
    filter: impl Into<EnvFilter>,
    writer: W,
) -> impl Subscriber + for<'span> LookupSpan<'span> + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter.into())
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
}
