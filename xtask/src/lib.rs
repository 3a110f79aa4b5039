//! The local stack: everything chatdrop needs to run on one machine, with real components.
//!
//! - [`moto`]: installs moto's server into a project venv and starts it on loopback, with
//!   DynamoDB requests serialized (see `moto/serve_moto.py` for why).
//! - [`provision`]: creates the table and queues from `resources.json`, the same definition the
//!   code and the CDK app use.
//! - [`fakes`]: the local HTTP server that plays every platform's API and records every request
//!   it receives; the platforms themselves live in [`platform`], one file each (WhatsApp,
//!   Telegram, Messenger, LINE, WeChat, SMS).
//! - [`stack`]: every function in one process: the HTTP handlers behind one listener, and a
//!   poller per queue that calls the consumer function's handler with an `SqsEvent`, as Lambda's
//!   event source mapping would.
//! - [`customer`]: a scripted customer on any platform, posting the webhooks its platform's file
//!   builds and signs.
//! - [`runtime_api`]: a fake Lambda Runtime API, to run the functions' real bootstraps.
//! - [`storm`]: a platform's long rate limit against a backlog of replies (test and bench).
//! - [`channels`]: the channel registry as JSON, for the CDK app.
//! - [`dev`]: the development secrets that only the local stack and the tests apply.
//! - [`local_http`]: HTTP clients for loopback endpoints, without the TLS roots' cost.

pub mod channels;
pub mod console_web;
pub mod crowd;
pub mod customer;
pub mod dev;
pub mod dynamo_calls;
pub mod fake_stripe;
pub mod fake_stripe_methods;
pub mod fakes;
pub mod infra;
pub mod lambda_process;
pub mod local_http;
pub mod moto;
pub mod percentile;
pub mod platform;
pub mod provision;
pub mod runtime_api;
pub mod stack;
pub mod storm;
pub mod test_runner;
pub mod transcript;

/// Errors of the developer tooling: plain messages, printed and exited on.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
