//! Every function in one process, as Lambda would run them, against the local endpoints.
//!
//! The HTTP functions (`ingress`, `payment-webhook`, `kakao`, `console` with the console's
//! static files: `console_web.rs`) sit behind one axum listener that turns each request into the
//! `lambda_http::Request` Lambda would deliver; each queue gets a poller that receives up to ten
//! messages, calls its consumer function's handler with an `SqsEvent`, and deletes the records
//! the handler did not report as failed, which is what Lambda's event source mapping does with
//! `ReportBatchItemFailures`. The handlers are the same code the Lambda mains call.
//!
//! Each invocation runs in its own task, as each Lambda invocation is isolated: a handler that
//! panics fails that one invocation (an HTTP 502, as API Gateway answers for a crashed
//! function; a batch that returns to the queue whole) and the listener and pollers carry on.
//! Without that, one panic would kill a poller for good while HTTP kept answering 200.
//!
//! The parts: the functions' environment (`stack/env.rs`), the HTTP listener (`stack/routes.rs`),
//! Lambda's invocation and SQS polling (`stack/lambda.rs`), and what tests do with a running
//! stack (`stack/outbox.rs`).

mod env;
mod lambda;
mod outbox;
mod routes;

pub use lambda::{Panicked, invoke, poll, sqs_event};
pub use outbox::fetch_outbox;

use crate::Error;
use crate::dev::{self, FixedSecrets};
use crate::fake_stripe::{self, FakeStripe};
use crate::provision::{self, Provisioned};
use chatdrop_config::Config;
use chatdrop_conversation::ConversationApp;
use lambda::lambda_event;
use lambda_runtime::{Context, LambdaEvent};
use routes::HttpState;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct StackOptions {
    /// The local AWS endpoint (moto).
    pub aws_endpoint: String,
    /// Prefix for table and queue names, so several stacks can share one moto.
    pub prefix: String,
    /// Where the listener binds (`127.0.0.1:0` for a free port).
    pub http_addr: String,
    /// The fake platforms' base URL.
    pub fakes_url: String,
    /// How long a checkout holds its stock.
    pub reservation_minutes: i64,
    /// How often the reservation sweep runs (every minute in AWS).
    pub sweep_every: Duration,
    /// Which queue consumers run (none for tests that drive the logic directly: idle long
    /// polls cost moto CPU that a contention measurement should not pay).
    pub consumers: Consumers,
    /// Outbound batches notify works on at once (Lambda runs as many instances as there are
    /// message groups with work; one keeps the tests' view of the order simple).
    pub notify_pollers: usize,
    /// Catalog batches worked on at once (Lambda scales a FIFO consumer out per message group
    /// with work; one keeps the tests' view of the order simple).
    pub catalog_pollers: usize,
    /// More environment for the functions (e.g. a short `CHATDROP_RETRY_BASE_SECONDS` for a
    /// test that waits out retries).
    pub env: Vec<(String, String)>,
}

/// The queue consumers a local stack runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumers {
    /// Every consumer and the reservation sweep.
    All,
    /// Only notify: a bench that drives the checkout logic itself but sends its replies
    /// through the outbound queue to the fake platforms.
    NotifyOnly,
    /// None.
    None,
}

impl StackOptions {
    /// A stack on a free port with the default reservation and a fast sweep.
    pub fn new(aws_endpoint: &str, prefix: &str, fakes_url: &str) -> Self {
        StackOptions {
            aws_endpoint: aws_endpoint.into(),
            prefix: prefix.into(),
            http_addr: "127.0.0.1:0".into(),
            fakes_url: fakes_url.into(),
            reservation_minutes: 10,
            sweep_every: Duration::from_secs(2),
            consumers: Consumers::All,
            notify_pollers: 1,
            catalog_pollers: 1,
            env: Vec::new(),
        }
    }
}

pub struct LocalStack {
    /// The listener's base URL: webhooks go to `{url}/webhooks/{channel}`.
    pub url: String,
    pub fakes_url: String,
    /// The fake Stripe, with helpers to pay or expire a session.
    pub stripe: FakeStripe,
    /// The configuration every function of this stack runs with.
    pub config: Config,
    /// The functions' environment (`CHATDROP_*`), as a deployment would set it for this stack.
    pub env: HashMap<String, String>,
    pub provisioned: Provisioned,
    pub aws: aws_config::SdkConfig,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// An SDK configuration for the local endpoint, with moto's dummy credentials.
pub async fn local_aws(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await
}

impl LocalStack {
    pub async fn start(options: StackOptions) -> Result<LocalStack, Error> {
        let aws = local_aws(&options.aws_endpoint).await;
        let provisioned = provision::create(&aws, &options.prefix).await?;
        let listener = tokio::net::TcpListener::bind(&options.http_addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let secrets_map = dev::secrets();
        let (stripe_base, stripe) = fake_stripe::spawn(
            "127.0.0.1:0",
            format!("{url}/webhooks/stripe"),
            secrets_map[chatdrop_config::secret_names::STRIPE_WEBHOOK_SECRET].clone(),
        )
        .await?;

        let vars = env::function_env(&options, &provisioned, &url, &stripe_base);
        let config = Config::from_vars(&vars)?;
        let secrets = FixedSecrets(secrets_map);
        let ingress = Arc::new(ingress::Ingress::new(&config, &secrets, &aws).await?);
        // As the deployed catalog and cart functions: a new customer's locale from the LINE,
        // Messenger and WeChat fakes' profile APIs.
        let conversations = Arc::new(
            ConversationApp::new(&config, &aws)
                .with_platform_profiles(
                    &config,
                    &aws,
                    &secrets,
                    chatdrop_channels::registry::profile_lookups,
                )
                .await?
                // As the deployed catalog function: chats prove phones through Verify's fake.
                .with_configured_verifier(&config, &secrets, catalog::twilio_verify)
                .await?,
        );
        let notify = Arc::new(notify::Notify::new(&config, &secrets, &aws).await?);
        let payment = Arc::new(payment::Payment::new(&config, &secrets, &aws).await?);
        let payment_webhook =
            Arc::new(payment_webhook::PaymentWebhook::new(&config, &secrets, &aws).await?);
        let sweep = Arc::new(sweep::Sweep::new(&config, &secrets, &aws).await?);
        let kakao = Arc::new(kakao::Kakao::new(&config, &secrets, &aws).await?);
        let console = Arc::new(
            chatdrop_console::Console::new(
                &config,
                chatdrop_console::ConsoleSettings::from_vars(&vars)?,
                &secrets,
                &aws,
            )
            .await?,
        );

        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let http = HttpState {
            ingress,
            payment_webhook,
            kakao,
            fakes_url: options.fakes_url.clone(),
            stripe_url: stripe_base,
            http: crate::local_http::client(),
        };
        let app = routes::router(
            http,
            crate::console_web::ConsoleWeb {
                console,
                aws_endpoint: options.aws_endpoint.clone(),
                client_id: provisioned.console.client_id.clone(),
                http: crate::local_http::client(),
            },
        );
        let mut stopped_http = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped_http.changed().await;
                })
                .await;
        }));

        if options.consumers == Consumers::All {
            for _ in 0..options.catalog_pollers.max(1) {
                let c = conversations.clone();
                tasks.push(tokio::spawn(poll(
                    sqs.clone(),
                    provisioned.queues.catalog.clone(),
                    stopped.clone(),
                    move |event| {
                        let c = c.clone();
                        async move { catalog::handle(&c, lambda_event(event, "catalog")).await }
                    },
                )));
            }
            let c = conversations.clone();
            tasks.push(tokio::spawn(poll(
                sqs.clone(),
                provisioned.queues.cart.clone(),
                stopped.clone(),
                move |event| {
                    let c = c.clone();
                    async move { cart::handle(&c, lambda_event(event, "cart")).await }
                },
            )));
            tasks.push(tokio::spawn(poll(
                sqs.clone(),
                provisioned.queues.payment.clone(),
                stopped.clone(),
                move |event| {
                    let p = payment.clone();
                    async move { payment::handle(&p, lambda_event(event, "payment")).await }
                },
            )));
            let mut stopped_sweep = stopped.clone();
            let every = options.sweep_every;
            tasks.push(tokio::spawn(async move {
                // The EventBridge schedule's local stand-in.
                loop {
                    tokio::select! {
                        _ = stopped_sweep.changed() => return,
                        _ = tokio::time::sleep(every) => {}
                    }
                    let event = LambdaEvent::new(serde_json::json!({}), Context::default());
                    let sweep = sweep.clone();
                    match invoke(async move { sweep::handle(&sweep, event).await }).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "sweep failed"),
                        Err(panic) => {
                            tracing::error!(%panic, "sweep panicked; the next run retries")
                        }
                    }
                }
            }));
        }
        if options.consumers != Consumers::None {
            for _ in 0..options.notify_pollers.max(1) {
                let notify = notify.clone();
                tasks.push(tokio::spawn(poll(
                    sqs.clone(),
                    provisioned.queues.outbound.clone(),
                    stopped.clone(),
                    move |event| {
                        let n = notify.clone();
                        async move { notify::handle(&n, lambda_event(event, "outbound")).await }
                    },
                )));
            }
        }

        Ok(LocalStack {
            url,
            fakes_url: options.fakes_url,
            stripe,
            config,
            env: vars,
            provisioned,
            aws,
            stop,
            tasks,
        })
    }

    /// A store on this stack's table (what the CLI and the functions use).    /// Stops the listener, the pollers and the fake Stripe.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.stripe.abort();
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}
