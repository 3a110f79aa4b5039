//! Structured JSON logs, set up in one place.
//!
//! Every function calls [`init`] once at cold start. Logs are JSON lines (CloudWatch Logs
//! Insights reads the fields), with the current span's fields on each line: the handlers open
//! one span per message with `channel`, `customer` (the hashed conversation id, never a phone
//! number) and, once the payment issue adds them, `order_id`. `RUST_LOG` sets the level.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber; a second call (tests, the local stack) is a no-op.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn")
    });
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}
