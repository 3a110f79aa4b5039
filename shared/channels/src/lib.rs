//! Channel adapters: everything platform-specific, behind one shape.
//!
//! Each platform folder owns its webhook verification, its payload parsing into the domain's
//! channel-neutral [`InboundMessage`], its rendering of the domain's [`Reply`](chatdrop_domain::reply::Reply) into the
//! platform's richest fitting message (with the platform's limits as data next to the
//! renderer), and its sending with failures classified by the platform's error codes.
//!
//! - Inbound: [`Webhook::receive`] takes the raw HTTP request parts. The signature is checked on
//!   the raw bytes before anything is parsed; a missing or wrong one is
//!   [`WebhookError::Unauthorized`] and nothing else happens.
//! - Outbound: each module's sender implements [`Outbound`]; [`Senders`] holds the enabled
//!   ones and dispatches on the conversation's channel.
//! - Profiles: each platform with a profile API answers the domain's `CustomerProfiles` port
//!   (the customer's language); [`Profiles`] holds the enabled ones ([`profiles`]).
//! - [`registry`] builds all three from a channel's settings and secrets, as the domain's channel
//!   registry (`chatdrop_domain::channel_spec`) lists them.

#[cfg(test)]
mod fixtures;
mod http_send;
pub mod kakao;
pub mod line;
pub mod messenger;
mod meta;
pub mod outbound;
pub mod profiles;
pub mod registry;
pub mod signature;
pub mod sms;
pub mod telegram;
mod text;
pub mod twilio_verify;
pub mod viber;
pub mod wechat;
pub mod whatsapp;

use chatdrop_domain::channel::Channel;
use chatdrop_domain::inbound::InboundMessage;
use std::time::Duration;

/// The parts of an HTTP request a webhook needs.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub method: &'a http::Method,
    pub headers: &'a http::HeaderMap,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The public URL the platform called, query included, as the platform saw it (Twilio
    /// signs it): the deployment's public base URL, the webhook path and the raw query.
    pub url: &'a str,
    pub body: &'a [u8],
}

/// The body a platform expects as the answer to an accepted webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acknowledgement {
    pub content_type: &'static str,
    pub body: &'static str,
}

impl Acknowledgement {
    pub const OK: Acknowledgement = Acknowledgement {
        content_type: "text/plain; charset=utf-8",
        body: "ok",
    };
}

#[derive(Debug, PartialEq)]
pub enum WebhookOutcome {
    /// A subscription check (WhatsApp's GET): answer 200 with this body.
    Challenge(String),
    /// Zero or more customer events, in the order the platform sent them.
    Messages(Vec<InboundMessage>),
    /// An answer the platform reads from the HTTP response itself (Viber's welcome message to
    /// a `conversation_started`): 200 with this body, nothing queued.
    Respond {
        content_type: &'static str,
        body: String,
    },
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WebhookError {
    /// Missing or wrong signature or secret token: 401, no side effect.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// A failed subscription check (wrong verify token): 403.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Authentic but unreadable: logged and acknowledged, since a redelivery cannot fix it.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// A method the endpoint does not serve: 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A body in a format the platform never sends (JSON where a form is due, say): 415,
    /// nothing read further.
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    /// A body no platform would send and no signature makes readable (bad encoding, a
    /// document type declaration in XML): 400, nothing queued.
    #[error("bad request: {0}")]
    BadRequest(String),
}

/// The inbound side of a channel adapter.
pub trait Webhook: Send + Sync {
    fn channel(&self) -> Channel;
    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError>;
    /// What to answer once the messages are queued (WeChat wants `success`, Twilio TwiML).
    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement::OK
    }
    /// Whether the platform waits for the conversation's answer in the HTTP response (Kakao's
    /// skill calls): such a channel is served by its own function, never by ingress's queue.
    fn answers_in_response(&self) -> bool {
        false
    }
}

/// The `Content-Type` header's media type, lowercased, without parameters.
pub(crate) fn media_type(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// One HTTP client for every platform: connection pools are reused across warm invocations.
/// TLS is rustls on ring, the one provider of every function (`chatdrop-tls`).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    chatdrop_tls::http_client_builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("the HTTP client builds with static settings")
}

pub use outbound::{Outbound, SendFuture, Senders};
pub use profiles::Profiles;
pub(crate) use text::{split_text, truncate_chars};

/// A local HTTP server for the senders' tests: records every request and answers each with one
/// canned response, so the tests see exactly what would go over the wire.
#[cfg(test)]
pub(crate) mod test_server {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::response::{IntoResponse, Response};
    use std::sync::{Arc, Mutex};

    /// One reply as a bundle of its own, for calling a sender the way `deliver` does.
    pub(crate) struct Single(chatdrop_domain::reply::ReplyBundle);

    pub(crate) fn single(
        c: &chatdrop_domain::channel::ConversationId,
        lang: chatdrop_domain::i18n::Lang,
        reply: &chatdrop_domain::reply::Reply,
    ) -> Single {
        Single(chatdrop_domain::reply::ReplyBundle {
            id: "bundle-1".into(),
            conversation: c.clone(),
            lang,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies: vec![reply.clone()],
        })
    }

    impl Single {
        pub(crate) fn out(&self) -> chatdrop_domain::delivery::Outgoing<'_> {
            chatdrop_domain::delivery::Outgoing {
                bundle: &self.0,
                first: 0,
                replies: &self.0.replies,
                mode: chatdrop_domain::delivery::SendMode::Session,
                now: 0,
            }
        }
    }

    #[derive(Clone, Debug)]
    pub(crate) struct Recorded {
        pub method: http::Method,
        pub path: String,
        /// The raw query string, without `?`.
        pub query: Option<String>,
        pub headers: http::HeaderMap,
        pub body: serde_json::Value,
        /// The body as sent, for what is not JSON (Twilio's form posts).
        pub raw: Bytes,
    }

    #[derive(Clone)]
    struct Shared {
        requests: Arc<Mutex<Vec<Recorded>>>,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    }

    pub(crate) struct TestServer {
        /// `http://127.0.0.1:<port>`, without a trailing slash.
        pub base: String,
        requests: Arc<Mutex<Vec<Recorded>>>,
    }

    impl TestServer {
        pub(crate) fn requests(&self) -> Vec<Recorded> {
            self.requests.lock().map(|r| r.clone()).unwrap_or_default()
        }
    }

    async fn record(
        State(shared): State<Shared>,
        method: http::Method,
        uri: http::Uri,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> Response {
        let recorded = Recorded {
            method,
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            raw: body,
        };
        if let Ok(mut requests) = shared.requests.lock() {
            requests.push(recorded);
        }
        let status = http::StatusCode::from_u16(shared.status).unwrap_or(http::StatusCode::OK);
        let mut response = (status, shared.body.clone()).into_response();
        for (name, value) in &shared.headers {
            if let Ok(value) = http::HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
        response
    }

    /// Starts a server on an ephemeral port that answers every request with `status` and `body`.
    pub(crate) async fn serve(
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: &str,
    ) -> TestServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            requests: requests.clone(),
            status,
            headers,
            body: body.to_string(),
        };
        let app = axum::Router::new().fallback(record).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding an ephemeral local port");
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            base: format!("http://{addr}"),
            requests,
        }
    }
}
