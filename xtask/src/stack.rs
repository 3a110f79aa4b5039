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

use crate::Error;
use crate::dev::{self, FixedSecrets};
use crate::fake_stripe::{self, FakeStripe};
use crate::fakes::OutboxEntry;
use crate::provision::{self, Provisioned};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use chatdrop_config::Config;
use chatdrop_conversation::ConversationApp;
use chatdrop_domain::catalog::Catalog;
use chatdrop_store::DynamoStore;
use lambda_runtime::{Context, LambdaEvent};
use std::collections::{HashMap, HashSet};
use std::future::Future;
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

        let vars: HashMap<String, String> = [
            ("CHATDROP_TABLE", provisioned.table.clone()),
            (
                "CHATDROP_CATALOG_QUEUE_URL",
                provisioned.queues.catalog.clone(),
            ),
            ("CHATDROP_CART_QUEUE_URL", provisioned.queues.cart.clone()),
            (
                "CHATDROP_PAYMENT_QUEUE_URL",
                provisioned.queues.payment.clone(),
            ),
            (
                "CHATDROP_OUTBOUND_QUEUE_URL",
                provisioned.queues.outbound.clone(),
            ),
            ("CHATDROP_PUBLIC_BASE_URL", url.clone()),
            (
                "CHATDROP_WHATSAPP_PHONE_NUMBER_ID",
                dev::WHATSAPP_PHONE_NUMBER_ID.into(),
            ),
            (
                "CHATDROP_WHATSAPP_GRAPH_BASE",
                format!("{}/graph", options.fakes_url),
            ),
            (
                "CHATDROP_TELEGRAM_API_BASE",
                format!("{}/telegram", options.fakes_url),
            ),
            (
                "CHATDROP_CHANNELS",
                "whatsapp,telegram,messenger,line,wechat,sms,viber,kakao".into(),
            ),
            (
                "CHATDROP_WHATSAPP_ORDER_TEMPLATE",
                dev::WHATSAPP_ORDER_TEMPLATE.into(),
            ),
            (
                "CHATDROP_MESSENGER_GRAPH_BASE",
                format!("{}/messenger", options.fakes_url),
            ),
            (
                "CHATDROP_LINE_API_BASE",
                format!("{}/line", options.fakes_url),
            ),
            (
                "CHATDROP_WECHAT_API_BASE",
                format!("{}/wechat", options.fakes_url),
            ),
            ("CHATDROP_WECHAT_APP_ID", dev::WECHAT_APP_ID.into()),
            (
                "CHATDROP_TWILIO_API_BASE",
                format!("{}/twilio", options.fakes_url),
            ),
            (
                "CHATDROP_TWILIO_ACCOUNT_SID",
                dev::TWILIO_ACCOUNT_SID.into(),
            ),
            ("CHATDROP_SMS_FROM", dev::SMS_FROM.into()),
            // Twilio Verify's fake beside the Messages API's: chats prove phones by a code.
            (
                "CHATDROP_TWILIO_VERIFY_API_BASE",
                format!("{}/twilio-verify", options.fakes_url),
            ),
            (
                "CHATDROP_TWILIO_VERIFY_SERVICE_SID",
                crate::platform::sms::VERIFY_SERVICE_SID.into(),
            ),
            (
                "CHATDROP_VIBER_API_BASE",
                format!("{}/viber", options.fakes_url),
            ),
            ("CHATDROP_KAKAO_BOT_ID", dev::KAKAO_BOT_ID.into()),
            (
                "CHATDROP_SENS_API_BASE",
                format!("{}/sens", options.fakes_url),
            ),
            (
                "CHATDROP_KAKAO_ALIMTALK_TEMPLATES",
                dev::KAKAO_ALIMTALK_TEMPLATES.into(),
            ),
            (
                "CHATDROP_AGENT_TOPIC_ARN",
                provisioned.agent_topic_arn.clone(),
            ),
            ("CHATDROP_STRIPE_API_BASE", stripe_base.clone()),
            // The console: moto's Cognito pool, whose keys moto serves beside its API.
            ("CHATDROP_RETAILER", dev::RETAILER.into()),
            (
                "CHATDROP_COGNITO_USER_POOL_ID",
                provisioned.console.user_pool_id.clone(),
            ),
            (
                "CHATDROP_COGNITO_CLIENT_ID",
                provisioned.console.client_id.clone(),
            ),
            (
                "CHATDROP_COGNITO_JWKS_URL",
                format!(
                    "{}/{}/.well-known/jwks.json",
                    options.aws_endpoint, provisioned.console.user_pool_id
                ),
            ),
            (
                "CHATDROP_RESERVATION_MINUTES",
                options.reservation_minutes.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut vars = vars;
        // As the CDK app does: a consumer that dead-letters records itself is told where.
        for q in chatdrop_config::resources::Resources::load().queues {
            if q.self_dead_letters {
                vars.insert(
                    q.url_env.replace("_QUEUE_URL", "_DLQ_URL"),
                    provisioned.dead_letters[&q.id].clone(),
                );
            }
        }
        vars.extend(options.env.iter().cloned());
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

        let app = Router::new()
            .route("/webhooks/{*rest}", any(webhook))
            .route("/p/{token}", get(payment_route))
            .route("/qr/{file}", get(payment_route))
            .route("/paid", get(payment_route))
            .route("/cancelled", get(payment_route))
            .route("/_local/outbox", get(local_outbox))
            .route("/_local/stripe/{*rest}", any(stripe_control))
            .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
            .with_state(HttpState {
                ingress,
                payment_webhook,
                kakao,
                fakes_url: options.fakes_url.clone(),
                stripe_url: stripe_base,
                http: crate::local_http::client(),
            })
            .merge(crate::console_web::router(crate::console_web::ConsoleWeb {
                console,
                aws_endpoint: options.aws_endpoint.clone(),
                client_id: provisioned.console.client_id.clone(),
                http: crate::local_http::client(),
            }));
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

    /// A store on this stack's table (what the CLI and the functions use).
    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&self.aws),
            &self.provisioned.table,
        )
    }

    /// The queues of this stack.
    pub fn queues(&self) -> chatdrop_queue::SqsQueues {
        chatdrop_queue::SqsQueues::new(
            aws_sdk_sqs::Client::new(&self.aws),
            self.provisioned.queues.clone(),
        )
    }

    /// A payment gateway on this stack's fake Stripe.
    pub fn gateway(&self) -> Result<chatdrop_payments::stripe::StripeGateway, Error> {
        Ok(chatdrop_payments::stripe::StripeGateway::new(
            dev::STRIPE_SECRET_KEY_VALUE,
            Some(self.stripe.base_url()),
        )?)
    }

    /// Loads a catalog into this stack's table, as `chatdrop catalog load` does.
    pub async fn load_catalog(&self, catalog: &Catalog) -> Result<usize, Error> {
        Ok(self.store().replace_catalog(catalog).await?)
    }

    /// Creates and opens a drop, as `chatdrop drop create` and `drop open` do.
    pub async fn open_drop(&self, drop: &chatdrop_domain::drops::Drop) -> Result<(), Error> {
        let store = self.store();
        store.create_drop(drop).await?;
        store
            .set_drop_status(&drop.id, chatdrop_domain::drops::DropStatus::Open)
            .await?;
        Ok(())
    }

    /// Runs the reservation sweep as if the clock read `now` (to test lapses without waiting).
    pub async fn sweep_at(&self, now: i64) -> Result<usize, Error> {
        Ok(self.sweep_report_at(now).await?.expired)
    }

    /// [`LocalStack::sweep_at`], with everything the run did (failures, entries set aside).
    pub async fn sweep_report_at(
        &self,
        now: i64,
    ) -> Result<chatdrop_domain::sweep::SweepReport, Error> {
        let store = self.store();
        Ok(chatdrop_domain::sweep::sweep(
            now,
            200,
            &store,
            &store,
            &self.gateway()?,
            &self.queues(),
        )
        .await?)
    }

    /// Runs the sweep's handoff step as if the clock read `now`: escalations of handoffs
    /// nobody took and hand-backs of those nobody acted on, alerting on the stack's topic.
    pub async fn handoff_sweep_at(
        &self,
        now: i64,
    ) -> Result<chatdrop_domain::handoff::HandoffSweep, Error> {
        let alerts = chatdrop_queue::alerts::SnsAlerts::new(
            aws_sdk_sns::Client::new(&self.aws),
            Some(self.provisioned.agent_topic_arn.clone()),
        );
        Ok(chatdrop_domain::handoff::sweep(
            &self.store(),
            &alerts,
            &self.queues(),
            self.config.handoff.timers,
            now,
        )
        .await?)
    }

    /// The agent alerts published on the stack's topic since the last call (read from the
    /// queue subscribed to it, and deleted there), as JSON.
    pub async fn agent_alerts(&self) -> Result<Vec<serde_json::Value>, Error> {
        let sqs = aws_sdk_sqs::Client::new(&self.aws);
        let out = sqs
            .receive_message()
            .queue_url(&self.provisioned.agent_inbox_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?;
        let mut alerts = Vec::new();
        for m in out.messages() {
            alerts.push(serde_json::from_str(m.body().unwrap_or("null"))?);
            if let Some(handle) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(&self.provisioned.agent_inbox_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
        Ok(alerts)
    }

    /// Every request the fake platforms recorded so far, in order.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        fetch_outbox(&crate::local_http::client(), &self.fakes_url).await
    }

    /// Waits until the fakes recorded requests for `recipient` after sequence number `after`,
    /// and then nothing more for a short quiet period (a bundle's replies go out one by one).
    pub async fn replies_after(
        &self,
        recipient: &str,
        after: usize,
    ) -> Result<Vec<OutboxEntry>, Error> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut quiet = Duration::from_millis(1_550);
        let mut seen = 0;
        let mut last_change = tokio::time::Instant::now();
        loop {
            let fresh: Vec<OutboxEntry> = self
                .outbox()
                .await?
                .into_iter()
                .filter(|e| e.seq > after && e.recipient == recipient)
                .collect();
            if fresh.len() != seen {
                seen = fresh.len();
                last_change = tokio::time::Instant::now();
                quiet = quiet_after(&fresh[0].channel);
            } else if seen > 0 && last_change.elapsed() >= quiet {
                return Ok(fresh);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("no reply to {recipient} after #{after} within 20 s").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The highest sequence number recorded so far.
    pub async fn last_seq(&self) -> Result<usize, Error> {
        Ok(self.outbox().await?.last().map_or(0, |e| e.seq))
    }

    /// Stops the listener, the pollers and the fake Stripe.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.stripe.abort();
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

pub async fn fetch_outbox(
    http: &reqwest::Client,
    fakes_url: &str,
) -> Result<Vec<OutboxEntry>, Error> {
    Ok(http
        .get(format!("{fakes_url}/outbox"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// The invocation Lambda would make for `queue`'s consumer: its deadline is now plus the
/// function's timeout (`resources.json`), which the consumers plan their batch against.
fn lambda_event(event: SqsEvent, queue: &str) -> LambdaEvent<SqsEvent> {
    let timeout = chatdrop_config::resources::Resources::load()
        .queue(queue)
        .map_or(60, |q| u64::from(q.consumer_timeout_seconds));
    let mut context = Context::default();
    context.deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        + timeout * 1000;
    LambdaEvent::new(event, context)
}

#[derive(Clone)]
struct HttpState {
    ingress: Arc<ingress::Ingress>,
    payment_webhook: Arc<payment_webhook::PaymentWebhook>,
    /// KakaoTalk's skill, on `/webhooks/kakao` as API Gateway routes it in the CDK app.
    kakao: Arc<kakao::Kakao>,
    fakes_url: String,
    stripe_url: String,
    http: reqwest::Client,
}

/// The request as Lambda's HTTP integration would deliver it.
async fn lambda_request(request: axum::extract::Request) -> Option<lambda_http::Request> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX).await.ok()?;
    let mut lambda_request = lambda_http::Request::new(lambda_http::Body::from(bytes.to_vec()));
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    Some(lambda_request)
}

async fn webhook(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let path = request.uri().path().trim_end_matches('/');
    let stripe = path.ends_with("/webhooks/stripe");
    let kakao = path.ends_with("/webhooks/kakao") || path.ends_with("/webhooks/kakao/channel");
    let Some(lambda_request) = lambda_request(request).await else {
        return http::StatusCode::BAD_REQUEST.into_response();
    };
    let result = if stripe {
        let app = state.payment_webhook.clone();
        invoke(async move { payment_webhook::handle(&app, lambda_request).await }).await
    } else if kakao {
        let app = state.kakao.clone();
        invoke(async move { kakao::handle(&app, lambda_request).await }).await
    } else {
        let app = state.ingress.clone();
        invoke(async move { ingress::handle(&app, lambda_request).await }).await
    };
    to_axum(result)
}

async fn payment_route(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let Some(lambda_request) = lambda_request(request).await else {
        return http::StatusCode::BAD_REQUEST.into_response();
    };
    let app = state.payment_webhook.clone();
    to_axum(invoke(async move { payment_webhook::handle(&app, lambda_request).await }).await)
}

/// `/_local/stripe/…` on the stack's listener reaches the fake Stripe's control routes, so a
/// session can be paid or expired by hand: `POST /_local/stripe/sessions/{id}/pay`.
async fn stripe_control(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let url = format!("{}{}", state.stripe_url, request.uri());
    let method = request.method().clone();
    let forwarded = state.http.request(method, url).send().await;
    match forwarded {
        Ok(response) => {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            (status, body).into_response()
        }
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

fn to_axum(
    result: Result<Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>, Panicked>,
) -> axum::response::Response {
    match result {
        Err(panic) => {
            // What API Gateway answers when the function crashed; the platform retries.
            tracing::error!(%panic, "HTTP handler panicked");
            http::StatusCode::BAD_GATEWAY.into_response()
        }
        Ok(Ok(response)) => {
            let (parts, body) = response.into_parts();
            let bytes = match body {
                lambda_http::Body::Empty => Vec::new(),
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "HTTP handler failed");
            http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn local_outbox(State(state): State<HttpState>) -> axum::response::Response {
    match fetch_outbox(&state.http, &state.fakes_url).await {
        Ok(entries) => axum::Json(entries).into_response(),
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// An invocation that panicked, with the panic's message.
#[derive(Debug)]
pub struct Panicked(String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handler panicked: {}", self.0)
    }
}

/// Runs one invocation on its own task, so a panic ends that invocation only (Lambda's
/// runtime likewise reports a panicking handler as one failed invocation).
pub async fn invoke<T: Send + 'static>(
    invocation: impl Future<Output = T> + Send + 'static,
) -> Result<T, Panicked> {
    tokio::spawn(invocation).await.map_err(|e| {
        let message = match e.try_into_panic() {
            Ok(payload) => payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-text panic payload".into()),
            Err(e) => e.to_string(),
        };
        Panicked(message)
    })
}

/// Lambda's SQS event source, locally: receive, invoke, delete what succeeded. A failed
/// invocation (an error or a panic) deletes nothing: its records return to the queue when
/// their visibility timeout ends, as on Lambda, and the poller goes on receiving.
pub async fn poll<F, Fut>(
    sqs: aws_sdk_sqs::Client,
    url: String,
    mut stopped: watch::Receiver<bool>,
    handler: F,
) where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = Result<SqsBatchResponse, lambda_runtime::Error>> + Send + 'static,
{
    loop {
        let receive = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send();
        let out = tokio::select! {
            _ = stopped.changed() => return,
            out = receive => out,
        };
        let messages = match out {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "receive failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let event = sqs_event(&messages);
        let failed: HashSet<String> = match invoke(handler(event)).await {
            Ok(Ok(response)) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "handler failed; the whole batch returns to the queue");
                continue;
            }
            Err(panic) => {
                tracing::error!(%panic, "the whole batch returns to the queue");
                continue;
            }
        };
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !failed.contains(m.message_id.as_deref().unwrap_or_default()))
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.clone()?)
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty()
            && let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
        {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "delete failed");
        }
    }
}

/// The event Lambda's SQS event source builds from received messages: what every local poller
/// hands its consumer, and what tests that drive a consumer by hand build.
pub fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.event_source = Some("aws:sqs".into());
            record.attributes = m
                .attributes
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), v))
                .collect();
            record
        })
        .collect();
    event
}

/// How long a reply must stay silent to be complete: longer than one send-rate window of the
/// channel's pace. Where the registry paces a chat (Telegram) or a sender (an SMS number) at one
/// message a second, a reply's parts arrive a second apart, plus whatever the shared send-rate
/// count costs on a busy machine; elsewhere they follow each other at once. Both include 400 ms
/// for a loaded 2-core machine: until the outbox polls stopped building a client each (43 ms of
/// CPU, `local_http`), a poll took about that long there, and the windows had it as slack; with
/// fast polls and without it, a bundle's second part came too late under load average 20.
fn quiet_after(channel: &str) -> Duration {
    let one_a_second = chatdrop_domain::channel::Channel::parse(channel).is_some_and(|c| {
        let rate = c.spec().default_rate;
        rate.per_second <= 1 || rate.per_chat_per_second.is_some_and(|r| r <= 1)
    });
    Duration::from_millis(if one_a_second { 2_400 } else { 1_550 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crashed HTTP function is answered as API Gateway answers it, so the platform (or
    /// Stripe) retries, instead of the connection closing with no answer.
    #[tokio::test]
    async fn a_panicking_http_handler_is_answered_502_and_the_next_request_is_served() {
        let crashed = invoke(async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok(lambda_http::Response::new(lambda_http::Body::Empty))
        })
        .await;
        assert!(
            matches!(&crashed, Err(Panicked(m)) if m == "boom"),
            "{crashed:?}"
        );
        assert_eq!(to_axum(crashed).status(), http::StatusCode::BAD_GATEWAY);

        let served = invoke(async { Ok(lambda_http::Response::new(lambda_http::Body::Empty)) });
        assert_eq!(to_axum(served.await).status(), http::StatusCode::OK);
    }
}
