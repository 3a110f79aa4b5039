//! The console's HTTP API: every request's path through the function.
//!
//! ```text
//! request ─▶ size ≤ 16 KiB? ─ no: 413
//!         ─▶ Authorization: Bearer <Cognito ID token> verified (auth.rs) ─ no: 401 / 403
//!         ─▶ the user's slot in this second (RATE#console#<sub>, one conditional ADD) ─ full: 429
//!         ─▶ route ─▶ an action (ship, refund, export) is audited (AUDIT#console) before and after
//! ```
//!
//! Nothing is written before the token verified: a forged, expired or foreign token costs a
//! signature check and no item. The rate window is the send-rate window notify paces platforms
//! with (`SendThrottle`, a fixed one-second window per key).
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /console/api/me` | agent | the signed-in user |
//! | `GET /console/api/drops` | agent | the drops, newest first |
//! | `GET /console/api/drops/{id}/live` | agent | the live view ([`crate::live`]) |
//! | `GET /console/api/orders?status=&drop=` | agent | orders, newest first, filtered |
//! | `GET /console/api/orders/attention` | agent | orders to decide on (`chatdrop orders attention`) |
//! | `GET /console/api/orders.csv` | agent | every order as CSV ([`chatdrop_ops::export`]), audited |
//! | `POST /console/api/orders/{id}/ship` `{"tracking": …}` | agent | paid → shipped, customer told, audited |
//! | `POST /console/api/orders/{id}/refund` | manager | [`chatdrop_ops::refund`], customer told, audited |
//! | `GET /console/api/audit` | manager | the latest audit records |
//!
//! | `GET /console/api/agents`, `/conversations…` | agent | the inbox (`inbox_api.rs`): list, open, reply, pay link, assign, note, hand back; audited |

use crate::auth::{Agent, AuthError, KeySource, Role, Verifier};
use crate::live::{self, LiveView, Sale};
use crate::orders::OrderView;
use crate::settings::ConsoleSettings;
use chatdrop_config::{Config, SecretSource, Secrets, secret_names};
use chatdrop_domain::clock::Clock;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::order_events;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::{OrderStore, SendThrottle};
use chatdrop_ops::{export, refund};
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::SqsQueues;
use chatdrop_store::{AuditRecord, DynamoStore};
use lambda_http::{Body, Request, Response, http::Method};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The largest request body the console accepts (a ship's tracking number is a few bytes).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long a drop's live view is reused: every open dashboard within it shares one read.
const LIVE_CACHE: Duration = Duration::from_secs(2);

const PREFIX: &str = "/console/api";

pub struct Console {
    store: DynamoStore,
    queues: SqsQueues,
    gateway: StripeGateway,
    verifier: Verifier,
    settings: ConsoleSettings,
    clock: Arc<dyn Clock>,
    /// The language of a customer whose own is not known yet.
    default_lang: Lang,
    live: Mutex<HashMap<String, (Instant, LiveView)>>,
}

/// A refusal or failure, as the console shows it: a status and one sentence.
struct Failure(u16, String);

impl From<chatdrop_domain::ports::PortError> for Failure {
    fn from(e: chatdrop_domain::ports::PortError) -> Self {
        tracing::error!(error = %e, "console store call failed");
        Failure(503, "the store did not answer; try again".into())
    }
}

type Answer = Result<Response<Body>, Failure>;

fn respond(status: u16, content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .expect("static response parts are valid")
}

fn json_response(status: u16, value: &Value) -> Response<Body> {
    respond(status, "application/json", Body::Text(value.to_string()))
}

fn ok(value: Value) -> Answer {
    Ok(json_response(200, &value))
}

fn error_response(Failure(status, message): Failure) -> Response<Body> {
    let mut response = json_response(status, &json!({ "error": message }));
    if status == 429 {
        response.headers_mut().insert(
            "retry-after",
            lambda_http::http::HeaderValue::from_static("1"),
        );
    }
    response
}

#[path = "inbox_api.rs"]
mod inbox_api;

fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

impl Console {
    pub async fn new(
        config: &Config,
        settings: ConsoleSettings,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, lambda_http::Error> {
        let (secrets, _ids) =
            Secrets::load_with_id_key(secrets, &[secret_names::STRIPE_SECRET_KEY]).await?;
        let clock = chatdrop_domain::clock::system();
        Ok(Console {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone()),
            gateway: StripeGateway::new(
                secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
                config.payments.stripe_api_base.as_deref(),
            )?,
            verifier: Verifier::new(
                settings.pool(),
                KeySource::Url(settings.jwks_url.clone()),
                clock.clone(),
            ),
            settings,
            clock,
            default_lang: config.default_lang,
            live: Mutex::new(HashMap::new()),
        })
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let config = Config::from_env()?;
        let settings = ConsoleSettings::from_vars(&chatdrop_config::ProcessEnv)?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Console::new(
            &config,
            settings,
            &chatdrop_config::secret_source(&aws),
            &aws,
        )
        .await
    }

    /// Answers one request; never fails the invocation.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let span = tracing::info_span!(
            "console",
            method = %request.method(),
            route = route_key(request.uri().path()),
            status = tracing::field::Empty,
        );
        async {
            let response = match self.checked(request).await {
                Ok(r) => r,
                Err(f) => error_response(f),
            };
            tracing::Span::current().record("status", response.status().as_u16());
            tracing::info!("console request");
            response
        }
        .instrument(span)
        .await
    }

    async fn checked(&self, request: Request) -> Answer {
        if body_bytes(request.body()).len() > MAX_BODY_BYTES {
            return Err(Failure(413, "the request is too large".into()));
        }
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let agent = self
            .verifier
            .verify_header(authorization)
            .await
            .map_err(|e: AuthError| {
                tracing::info!(reason = %e, "console sign-in refused");
                Failure(e.status(), e.to_string())
            })?;
        if let Some(_wait) = self
            .store
            .admit(
                &format!("console#{}", agent.sub),
                self.settings.rate_per_second,
            )
            .await?
        {
            return Err(Failure(429, "too many requests; slow down".into()));
        }
        self.route(&agent, &request).await
    }

    /// The routes: orders and the dashboard here, the inbox's in `inbox_api.rs`.
    async fn route(&self, agent: &Agent, request: &Request) -> Answer {
        let path = request.uri().path().trim_end_matches('/');
        let Some(rest) = path.strip_prefix(PREFIX) else {
            return Err(Failure(404, "no such route".into()));
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let query: HashMap<String, String> = request
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let method = request.method().clone();
        match (method, segments.as_slice()) {
            (Method::GET, ["me"]) => {
                self.remember(agent).await?;
                ok(json!(agent))
            }
            (Method::GET, ["agents"]) => self.agents().await,
            (Method::GET, ["conversations"]) => self.conversations(agent, &query).await,
            (Method::GET, ["conversations", id]) => self.conversation(agent, id).await,
            (Method::POST, ["conversations", id, action]) => {
                self.inbox_action(agent, request, id, action).await
            }
            (Method::GET, ["drops"]) => self.drops().await,
            (Method::GET, ["drops", id, "live"]) => self.live(id).await,
            (Method::GET, ["orders"]) => self.orders(&query).await,
            (Method::GET, ["orders.csv"]) => self.csv(agent, request).await,
            (Method::GET, ["orders", "attention"]) => self.attention().await,
            (Method::POST, ["orders", id, "ship"]) => self.ship(agent, request, id).await,
            (Method::POST, ["orders", id, "refund"]) => {
                require(agent, Role::Manager)?;
                self.refund(agent, request, id).await
            }
            (Method::GET, ["audit"]) => {
                require(agent, Role::Manager)?;
                let trail = self.store.console_audit_trail(200).await?;
                ok(json!(
                    trail
                        .iter()
                        .map(|r| json!({
                            "who": r.who, "email": r.email, "action": r.action,
                            "target": r.target, "outcome": r.outcome, "at_ms": r.at_ms,
                        }))
                        .collect::<Vec<_>>()
                ))
            }
            _ => Err(Failure(404, "no such route".into())),
        }
    }

    async fn drops(&self) -> Answer {
        let mut drops = self.store.all_drops().await?;
        drops.sort_by_key(|d| std::cmp::Reverse(d.starts_at));
        ok(json!(
            drops
                .iter()
                .map(|d| json!({
                    "id": d.id, "name": d.name, "starts_at": d.starts_at,
                    "status": format!("{:?}", d.status).to_lowercase(),
                }))
                .collect::<Vec<_>>()
        ))
    }

    async fn live(&self, drop: &str) -> Answer {
        if let Some((at, view)) = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(drop)
            && at.elapsed() < LIVE_CACHE
        {
            return ok(json!(view));
        }
        let now = self.clock.now();
        let counters = self.store.sku_counters(drop).await?;
        if counters.is_empty() {
            return Err(Failure(404, format!("no drop {drop} with stock")));
        }
        let sold = self.store.sales_since(live::window_start(now)).await?;
        let at: HashMap<String, i64> = sold.iter().cloned().collect();
        let ids: Vec<String> = sold.into_iter().map(|(id, _)| id).collect();
        let sales: Vec<Sale> = self
            .store
            .orders_by_id(&ids)
            .await?
            .into_iter()
            .filter(|o| o.stock.iter().any(|t| t.drop == drop))
            .map(|o| Sale {
                at: at.get(&o.id).copied().unwrap_or_default(),
                channel: o.conversation.channel.to_string(),
            })
            .collect();
        let lapsing = self
            .store
            .reservations_lapsing(now, now + live::LAPSING_WITHIN_SECONDS)
            .await?;
        let view = LiveView::build(drop, now, counters, &sales, lapsing);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(drop.to_string(), (Instant::now(), view.clone()));
        ok(json!(view))
    }

    async fn orders(&self, query: &HashMap<String, String>) -> Answer {
        let status = match query.get("status").filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                OrderStatus::parse(s)
                    .ok_or_else(|| Failure(400, format!("unknown status `{s}`")))?,
            ),
        };
        let drop = query.get("drop").filter(|d| !d.is_empty());
        let mut orders = self.store.all_orders().await?;
        orders.retain(|o| {
            status.is_none_or(|s| o.status == s)
                && drop.is_none_or(|d| o.stock.iter().any(|t| &t.drop == d))
        });
        orders.reverse();
        ok(json!(orders.iter().map(OrderView::of).collect::<Vec<_>>()))
    }

    async fn attention(&self) -> Answer {
        let mut orders = self.store.all_orders().await?;
        orders.retain(|o| o.status == OrderStatus::PaidNeedsAttention || !o.attention.is_empty());
        orders.reverse();
        ok(json!(orders.iter().map(OrderView::of).collect::<Vec<_>>()))
    }

    async fn csv(&self, agent: &Agent, request: &Request) -> Answer {
        let orders = self.store.all_orders().await?;
        let mut bytes = Vec::new();
        export::write_orders(&orders, &mut bytes).map_err(|e| {
            tracing::error!(error = %e, "CSV export failed");
            Failure(500, "the export failed".into())
        })?;
        self.audit(
            agent,
            request,
            "orders.export",
            "",
            &format!("ok: {} orders", orders.len()),
        )
        .await?;
        let mut response = respond(200, "text/csv; charset=utf-8", Body::Binary(bytes));
        response.headers_mut().insert(
            "content-disposition",
            lambda_http::http::HeaderValue::from_static("attachment; filename=\"orders.csv\""),
        );
        Ok(response)
    }

    async fn ship(&self, agent: &Agent, request: &Request, id: &str) -> Answer {
        #[derive(serde::Deserialize)]
        struct Ship {
            tracking: String,
        }
        let ship: Ship = serde_json::from_slice(body_bytes(request.body()))
            .map_err(|_| Failure(400, "send {\"tracking\": \"…\"}".into()))?;
        let tracking = ship.tracking.trim();
        if tracking.is_empty() || tracking.chars().count() > 64 {
            return Err(Failure(
                400,
                "a tracking number is 1 to 64 characters".into(),
            ));
        }
        self.audit(agent, request, "orders.ship", id, "requested")
            .await?;
        let shipped = self.store.mark_shipped(id, tracking).await?;
        if !shipped {
            self.audit(agent, request, "orders.ship", id, "refused: not paid")
                .await?;
            return Err(Failure(
                409,
                format!("order {id} is not paid (or does not exist)"),
            ));
        }
        let order = self.tell(id).await?;
        self.audit(agent, request, "orders.ship", id, "ok").await?;
        ok(json!(OrderView::of(&order)))
    }

    async fn refund(&self, agent: &Agent, request: &Request, id: &str) -> Answer {
        self.audit(agent, request, "orders.refund", id, "requested")
            .await?;
        match refund::refund(&self.store, &self.gateway, id).await {
            Ok((_, refund_id)) => {
                let order = self.tell(id).await?;
                self.audit(
                    agent,
                    request,
                    "orders.refund",
                    id,
                    &format!("ok: {refund_id}"),
                )
                .await?;
                ok(json!(OrderView::of(&order)))
            }
            Err(e) => {
                let status = match &e {
                    refund::RefundError::NotFound(_) => 404,
                    refund::RefundError::NotRefundable { .. }
                    | refund::RefundError::NoSession(_)
                    | refund::RefundError::NotMarked { .. } => 409,
                    refund::RefundError::Gateway(_) => 502,
                    refund::RefundError::Store(_) => 503,
                };
                self.audit(
                    agent,
                    request,
                    "orders.refund",
                    id,
                    &format!("refused: {e}"),
                )
                .await?;
                Err(Failure(status, e.to_string()))
            }
        }
    }

    /// Reads the order as it is now and queues what its state owes the customer (once per
    /// kind: `order_events::tell_customer`).
    async fn tell(&self, id: &str) -> Result<Order, Failure> {
        let order = OrderStore::order(&self.store, id)
            .await?
            .ok_or_else(|| Failure(404, format!("no order {id}")))?;
        order_events::tell_customer(&order, &self.store, &self.queues).await?;
        Ok(order)
    }

    async fn audit(
        &self,
        agent: &Agent,
        request: &Request,
        action: &str,
        target: &str,
        outcome: &str,
    ) -> Result<(), Failure> {
        let record = AuditRecord {
            who: agent.sub.clone(),
            email: agent.email.clone(),
            action: action.into(),
            target: target.into(),
            outcome: outcome.into(),
            at_ms: self.clock.now_millis(),
            request: format!("{}#{outcome}", request_id(request)),
        };
        self.store
            .record_console_action(&record)
            .await
            .map_err(Failure::from)
    }
}

fn require(agent: &Agent, role: Role) -> Result<(), Failure> {
    if agent.role >= role {
        Ok(())
    } else {
        Err(Failure(403, "this needs the manager role".into()))
    }
}

/// API Gateway's request id when there is one (so a retried invocation audits once), else a
/// fresh random one.
fn request_id(request: &Request) -> String {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| {
        let mut bytes = [0u8; 8];
        // Without the OS's randomness the time alone still orders the records.
        let _ = getrandom::fill(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// The path with ids replaced, for logs (an order id is not a secret, but a route key groups).
fn route_key(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.len() >= 12 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
