//! The `ingress` function: every platform webhook comes in here and leaves as queue messages.
//!
//! `/webhooks/{channel}` picks the channel adapter, which verifies the request on its raw bytes
//! and parses it; the messages go to the catalog or cart queue in as few batch calls as needed,
//! and the platform gets its 200 at once. There is deliberately no DynamoDB call on this path:
//! a webhook's answer time is what the platforms watch, and a flash crowd arrives here first.
//!
//! | outcome                                   | status |
//! |-------------------------------------------|--------|
//! | messages queued (or nothing to queue)     | 200 with the platform's acknowledgement (`ok`, WeChat's `success`, empty TwiML) |
//! | subscription check passed (WhatsApp, Messenger, WeChat GET) | 200 with the challenge |
//! | an event the platform wants answered in the response (Viber's `conversation_started`) | 200 with the adapter's body (the welcome message), nothing queued |
//! | authentic but unreadable payload          | 200, logged: a redelivery cannot fix it |
//! | missing or wrong signature / secret token | 401, nothing queued |
//! | wrong verify token                        | 403    |
//! | a content type the platform never sends   | 415    |
//! | a body no platform sends (bad encoding, an XML DTD) | 400 |
//! | unknown channel / path                    | 404    |
//! | body over [`MAX_BODY_BYTES`]              | 413, not read further |
//! | queue unavailable                         | 500: the platform redelivers, the queue deduplicates |

use chatdrop_channels::registry::{self, Values};
use chatdrop_channels::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_config::{Config, SecretSource, Secrets, channel_secrets, channel_values};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::channel_spec::Side;
use chatdrop_queue::SqsQueues;
use lambda_http::{Body, Error, Request, Response, http::StatusCode};
use std::collections::HashMap;
use tracing::Instrument;

/// The largest webhook body read. WhatsApp and Telegram send a few kilobytes; anything near
/// this is not a platform speaking.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct Ingress {
    /// The webhook of each channel this deployment serves.
    webhooks: HashMap<Channel, Box<dyn Webhook>>,
    /// Where the platforms call us from outside: Twilio signs the full URL it called.
    public_base_url: String,
    queues: SqsQueues,
}

impl Ingress {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, _) =
            Secrets::load_with_id_key(secrets, &channel_secrets(config, Side::Inbound)).await?;
        let webhooks = config
            .channels
            .iter()
            .map(|&channel| {
                let values = Values::new(channel_values(config, &secrets, channel, Side::Inbound));
                (channel, registry::webhook(channel, &values))
            })
            .collect();
        Ok(Ingress {
            webhooks,
            public_base_url: config.public_base_url.clone(),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone()),
        })
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Ingress::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }

    /// The channel's webhook, unless the platform waits for the answer in the response
    /// (KakaoTalk): queueing such a call would answer nothing, so its own function serves it.
    fn webhook(&self, channel: Channel) -> Option<&dyn Webhook> {
        self.webhooks
            .get(&channel)
            .map(|w| w.as_ref())
            .filter(|w| !w.answers_in_response())
    }
}

fn respond(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    respond_as(status, "text/plain; charset=utf-8", body)
}

fn respond_as(status: StatusCode, content_type: &str, body: impl Into<String>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::Text(body.into()))
        .expect("static response parts are valid")
}

/// The channel named by a path ending in `/webhooks/{channel}` (API Gateway may prefix a stage).
fn channel_of(path: &str) -> Option<&str> {
    let rest = path.split("/webhooks/").nth(1)?;
    let name = rest.trim_end_matches('/');
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

pub async fn handle(app: &Ingress, request: Request) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_string();
    let Some(name) = channel_of(&path) else {
        return Ok(respond(StatusCode::NOT_FOUND, "not found"));
    };
    let Some(channel) = Channel::parse(name) else {
        return Ok(respond(StatusCode::NOT_FOUND, "unknown channel"));
    };
    let Some(webhook) = app.webhook(channel) else {
        return Ok(respond(StatusCode::NOT_FOUND, "channel not served here"));
    };
    // The span follows the future (`.instrument`), never a guard across an `.await`: see
    // `chatdrop_telemetry`'s module docs for the panic a guard causes on a multi-threaded runtime.
    let span = tracing::info_span!("webhook", channel = channel.as_str());
    receive(app, webhook, name, request).instrument(span).await
}

/// Verifies, parses and queues one webhook for the channel `name`, inside its span.
async fn receive(
    app: &Ingress,
    webhook: &dyn Webhook,
    name: &str,
    request: Request,
) -> Result<Response<Body>, Error> {
    let (parts, body) = request.into_parts();
    let body: &[u8] = body.as_ref();
    if body.len() > MAX_BODY_BYTES {
        tracing::warn!(bytes = body.len(), "webhook body too large; refused");
        return Ok(respond(StatusCode::PAYLOAD_TOO_LARGE, "payload too large"));
    }
    let url = match parts.uri.query() {
        Some(q) => format!("{}/webhooks/{name}?{q}", app.public_base_url),
        None => format!("{}/webhooks/{name}", app.public_base_url),
    };
    let webhook_request = WebhookRequest {
        method: &parts.method,
        headers: &parts.headers,
        query: parts.uri.query(),
        url: &url,
        body,
    };
    let ack = webhook.acknowledgement();
    let accepted = || respond_as(StatusCode::OK, ack.content_type, ack.body);
    let messages = match webhook.receive(&webhook_request) {
        Ok(WebhookOutcome::Challenge(challenge)) => {
            tracing::info!("subscription check answered");
            return Ok(respond(StatusCode::OK, challenge));
        }
        Ok(WebhookOutcome::Messages(messages)) => messages,
        Ok(WebhookOutcome::Respond { content_type, body }) => {
            // The answer is the platform's to read (Viber's welcome message): nothing queued.
            tracing::info!("answered in the response");
            return Ok(respond_as(StatusCode::OK, content_type, body));
        }
        Err(WebhookError::Unauthorized(why)) => {
            tracing::warn!(reason = why, "webhook refused");
            return Ok(respond(StatusCode::UNAUTHORIZED, "unauthorized"));
        }
        Err(WebhookError::Forbidden(why)) => {
            tracing::warn!(reason = why, "subscription check refused");
            return Ok(respond(StatusCode::FORBIDDEN, "forbidden"));
        }
        Err(WebhookError::MethodNotAllowed) => {
            return Ok(respond(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed",
            ));
        }
        Err(WebhookError::UnsupportedMediaType(what)) => {
            tracing::warn!(content_type = %what, "webhook with a content type the platform never sends; refused");
            return Ok(respond(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported media type",
            ));
        }
        Err(WebhookError::BadRequest(why)) => {
            tracing::warn!(reason = %why, "webhook refused as a bad request");
            return Ok(respond(StatusCode::BAD_REQUEST, "bad request"));
        }
        Err(WebhookError::Malformed(why)) => {
            tracing::error!(reason = %why, bytes = body.len(), "authentic webhook with an unreadable payload; acknowledged");
            return Ok(accepted());
        }
    };
    if messages.is_empty() {
        return Ok(accepted());
    }
    match app.queues.enqueue_inbound(&messages).await {
        Ok(()) => {
            for m in &messages {
                tracing::info!(customer = %m.conversation.hashed(), route = chatdrop_queue::route(m).as_str(), "queued");
            }
            Ok(accepted())
        }
        Err(e) => {
            tracing::error!(error = %e, "could not queue; the platform will redeliver");
            Ok(respond(StatusCode::INTERNAL_SERVER_ERROR, "try again"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::channel_of;

    #[test]
    fn routes_by_the_last_path_segments() {
        assert_eq!(channel_of("/webhooks/whatsapp"), Some("whatsapp"));
        assert_eq!(channel_of("/prod/webhooks/telegram/"), Some("telegram"));
        assert_eq!(channel_of("/webhooks/"), None);
        assert_eq!(channel_of("/webhooks/a/b"), None);
        assert_eq!(channel_of("/other"), None);
    }
}
