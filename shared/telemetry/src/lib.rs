//! Structured JSON logs, set up in one place, and what a log line may say.
//!
//! Every function calls [`init`] once at cold start. Logs are JSON lines (CloudWatch Logs
//! Insights reads the fields), with the current span's fields on each line. The queue handlers
//! (conversation, payment, notify) open one span per record with `channel`, `customer` (the
//! hashed conversation id, never a phone number) and `attempt` (the SQS receive count), plus
//! `handler` and `kind` on the conversation handlers, `handler` on payment and `replies` on
//! notify. Ingress's `webhook` span carries only `channel`; payment-webhook's `stripe_event`
//! span carries the Stripe `event` id. No span carries an order id. `RUST_LOG` sets the level,
//! as a level and `target=level` directives (`info,aws_config=warn`): a
//! [`tracing_subscriber::filter::Targets`], not an `EnvFilter`, whose span and field filters
//! nobody used and whose regex engine every bootstrap carried.
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
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when `RUST_LOG` is not set: our info lines, the SDK's warnings.
const DEFAULT_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn";

/// Installs the JSON subscriber; a second call (tests, the local stack) is a no-op.
pub fn init() {
    let directives = std::env::var("RUST_LOG").unwrap_or_default();
    let _ = subscriber(&directives, std::io::stdout).try_init();
}

/// The filter of `directives` (`"trace"`, `"info,aws_config=warn"`); the default filter when
/// they are empty or do not parse (a bad `RUST_LOG` must not silence a function).
pub fn filter(directives: &str) -> Targets {
    let directives = directives.trim();
    let default = || DEFAULT_FILTER.parse().unwrap_or_default();
    if directives.is_empty() {
        return default();
    }
    directives.parse().unwrap_or_else(|_| default())
}

/// The JSON subscriber every function runs with, filtered by `directives` ([`filter`]) and
/// writing to `writer`: [`init`] writes to stdout, tests capture it into a buffer (a closure
/// handing out a clone of a writer that appends to a shared `Vec<u8>`, as the tests below do;
/// an `Arc<Mutex<Vec<u8>>>` alone is not a `MakeWriter`).
pub fn subscriber<W>(
    directives: &str,
    writer: W,
) -> impl Subscriber + for<'span> LookupSpan<'span> + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .with_max_level(tracing::Level::TRACE)
        .finish()
        .with(filter(directives))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_default_filter_keeps_our_info_and_the_sdks_warnings() {
        for directives in ["", "  ", "info,aws_config=bogus=level"] {
            let f = filter(directives);
            assert!(f.would_enable("notify", &Level::INFO), "{directives:?}");
            assert!(!f.would_enable("notify", &Level::DEBUG), "{directives:?}");
            assert!(
                !f.would_enable("aws_config::loader", &Level::INFO),
                "{directives:?}"
            );
            assert!(
                f.would_enable("aws_config::loader", &Level::WARN),
                "{directives:?}"
            );
        }
    }

    #[test]
    fn rust_log_directives_set_levels_by_target() {
        let f = filter("warn,chatdrop_domain=trace");
        assert!(f.would_enable("chatdrop_domain::checkout", &Level::TRACE));
        assert!(!f.would_enable("notify", &Level::INFO));
        assert!(filter("trace").would_enable("hyper", &Level::TRACE));
    }

    #[test]
    fn lines_below_the_filter_are_not_written() {
        use std::sync::{Arc, Mutex};
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let writer = move || Captured(sink.clone());
        tracing::subscriber::with_default(subscriber("info", writer), || {
            tracing::info!(kept = true, "kept");
            tracing::debug!("dropped");
        });
        let written = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        assert!(written.contains("\"kept\":true"), "{written}");
        assert!(!written.contains("dropped"), "{written}");
    }

    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
