//! The `payment-webhook` function: the payment side's HTTP routes.
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/stripe` | Stripe events: signature verified on the raw body first (400 and nothing else if it fails), then each event applied once |
//! | `GET /p/{token}` | the pay link: 303 to the Stripe page while the reservation holds; a clear page once it lapsed (expiring it on access) or was paid |
//! | `GET /qr/{token}.png` | the pay link's QR code, rendered on request (nothing stored: the token is the only secret and the image is derived from it) |
//! | `GET /paid`, `GET /cancelled` | where Stripe sends the customer back: "return to the chat" |

use chatdrop_config::{Config, SecretSource, Secrets, secret_names};
use chatdrop_domain::checkout::{self, CheckoutSettings, PayLinkVisit, PaymentEvent};
use chatdrop_domain::payment::PaidSession;
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_payments::webhook::{self, EventKind, StripeEvent};
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use lambda_http::{Body, Error, Request, Response, http::StatusCode};
use tracing::Instrument;

pub struct PaymentWebhook {
    store: DynamoStore,
    queues: SqsQueues,
    gateway: StripeGateway,
    webhook_secret: String,
    settings: CheckoutSettings,
}

impl PaymentWebhook {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, ids) = Secrets::load_with_id_key(
            secrets,
            &[
                secret_names::STRIPE_SECRET_KEY,
                secret_names::STRIPE_WEBHOOK_SECRET,
            ],
        )
        .await?;
        Ok(PaymentWebhook {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone()),
            gateway: StripeGateway::new(
                secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
                config.payments.stripe_api_base.as_deref(),
            )?,
            webhook_secret: secrets
                .get(secret_names::STRIPE_WEBHOOK_SECRET)
                .expose()
                .to_string(),
            settings: config.checkout_settings(ids),
        })
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        PaymentWebhook::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn respond(status: StatusCode, content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(body)
        .expect("static response parts are valid")
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    respond(status, "text/plain; charset=utf-8", Body::Text(body.into()))
}

/// A small page for a person who followed a link from the chat.
fn page(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em\"><h1>{title}</h1><p>{message}</p></body></html>"
    );
    respond(status, "text/html; charset=utf-8", Body::Text(html))
}

pub async fn handle(app: &PaymentWebhook, request: Request) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_string();
    if let Some(rest) = path
        .rsplit("/webhooks/")
        .next()
        .filter(|_| path.contains("/webhooks/"))
        && rest.trim_end_matches('/') == "stripe"
    {
        return Ok(stripe_event(app, request).await);
    }
    if let Some(token) = path.split("/p/").nth(1) {
        return Ok(pay_link(app, token.trim_end_matches('/')).await);
    }
    if let Some(file) = path.split("/qr/").nth(1) {
        return Ok(qr(app, file).await);
    }
    Ok(match path.rsplit('/').next() {
        Some("paid") => page(
            StatusCode::OK,
            "Thank you",
            "Your payment is being confirmed. You can go back to the chat: the confirmation arrives there.",
        ),
        Some("cancelled") => page(
            StatusCode::OK,
            "Payment not completed",
            "Nothing was charged. Go back to the chat to pay while your reservation holds.",
        ),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    })
}

async fn stripe_event(app: &PaymentWebhook, request: Request) -> Response<Body> {
    let signature = request
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: &[u8] = request.body().as_ref();
    if let Err(e) = webhook::verify(signature.as_deref(), body, &app.webhook_secret, now()) {
        tracing::warn!(reason = %e, "Stripe webhook refused");
        // Stripe's convention: 400 for a delivery we will not accept.
        return text(StatusCode::BAD_REQUEST, "invalid signature");
    }
    let event = match webhook::parse_event(body) {
        Ok(event) => event,
        Err(e) => {
            // serde_json's message quotes the value it could not read: log where, not what.
            tracing::error!(
                error = %chatdrop_telemetry::redact::json_error(&e),
                "authentic Stripe event we cannot read; acknowledged"
            );
            return text(StatusCode::OK, "ignored");
        }
    };
    // `.instrument`, never a guard across an `.await` (see `chatdrop_telemetry`).
    let span = tracing::info_span!("stripe_event", event = %event.id);
    apply_event(app, &event).instrument(span).await
}

/// Applies one authentic Stripe event, inside its span.
async fn apply_event(app: &PaymentWebhook, event: &StripeEvent) -> Response<Body> {
    let domain_event = match &event.kind {
        EventKind::SessionCompleted {
            session_id,
            order_id: Some(order_id),
            paid: true,
            amount_total,
            currency,
        }
        | EventKind::AsyncPaymentSucceeded {
            session_id,
            order_id: Some(order_id),
            amount_total,
            currency,
        } => PaymentEvent::Paid {
            order_id: order_id.clone(),
            // Compared with the order before it counts: the reference alone proves nothing.
            paid: PaidSession {
                session_id: session_id.clone(),
                amount_total: *amount_total,
                currency: currency.clone(),
            },
        },
        EventKind::AsyncPaymentFailed {
            order_id: Some(order_id),
            ..
        }
        | EventKind::SessionExpired {
            order_id: Some(order_id),
            ..
        } => PaymentEvent::Lapsed {
            order_id: order_id.clone(),
        },
        // Completed but unpaid: a delayed method; its async event decides. Others: not ours.
        other => {
            tracing::info!(kind = ?other, "Stripe event acknowledged without action");
            return text(StatusCode::OK, "ignored");
        }
    };
    match checkout::apply_payment_event(
        &event.id,
        &domain_event,
        &app.store,
        &app.gateway,
        &app.queues,
    )
    .await
    {
        Ok(status) => {
            tracing::info!(
                order_status = status.map(|s| s.as_str()),
                "Stripe event applied"
            );
            text(StatusCode::OK, "ok")
        }
        Err(e) => {
            // Stripe retries a non-2xx delivery; every step is idempotent.
            tracing::error!(error = %e, "Stripe event failed; Stripe will retry");
            text(StatusCode::INTERNAL_SERVER_ERROR, "retry")
        }
    }
}

async fn pay_link(app: &PaymentWebhook, token: &str) -> Response<Body> {
    match checkout::visit_pay_link(token, now(), &app.store, &app.gateway, &app.queues).await {
        Ok(PayLinkVisit::Redirect(url)) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("location", url)
            .header("cache-control", "no-store")
            .body(Body::Empty)
            .expect("static response parts are valid"),
        Ok(PayLinkVisit::AlreadyPaid { number, .. }) => page(
            StatusCode::OK,
            "Already paid",
            &format!("Order {number} is paid. Its updates arrive in your chat."),
        ),
        Ok(PayLinkVisit::Lapsed { number, .. }) => page(
            StatusCode::GONE,
            "This reservation has ended",
            &format!(
                "Reservation {number} lapsed, so its items went back on sale and nothing was charged. Go back to the chat to check out again while stock remains."
            ),
        ),
        Ok(PayLinkVisit::NotFound) => page(
            StatusCode::NOT_FOUND,
            "Link not found",
            "This pay link does not exist. Go back to the chat for a fresh one.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "pay link failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "We could not open the payment page just now. Nothing was charged.",
            )
        }
    }
}

async fn qr(app: &PaymentWebhook, file: &str) -> Response<Body> {
    let Some(token) = file.strip_suffix(".png") else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    match checkout::order_by_pay_token(token, &app.store).await {
        Ok(Some(_)) => match chatdrop_payments::qr::qr_png(&app.settings.pay_link(token)) {
            Ok(png) => respond(StatusCode::OK, "image/png", Body::Binary(png)),
            Err(e) => {
                tracing::error!(error = %e, "QR rendering failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, "try again")
            }
        },
        Ok(None) => text(StatusCode::NOT_FOUND, "not found"),
        Err(e) => {
            tracing::error!(error = %e, "QR lookup failed");
            text(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}
