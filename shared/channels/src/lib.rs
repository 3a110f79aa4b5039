//! Channel adapters: everything platform-specific, behind one shape.
//!
//! Each platform module owns its webhook verification, its payload parsing into the domain's
//! channel-neutral [`InboundMessage`], its rendering of the domain's [`Reply`] into the
//! platform's richest fitting message (with the platform's limits as data next to the
//! renderer), and its sending with failures classified by the platform's error codes.
//!
//! - Inbound: [`Webhook::receive`] takes the raw HTTP request parts. The signature is checked on
//!   the raw bytes before anything is parsed; a missing or wrong one is
//!   [`WebhookError::Unauthorized`] and nothing else happens.
//! - Outbound: each module's sender implements [`chatdrop_domain::delivery::ChannelSender`];
//!   [`Senders`] dispatches on the conversation's channel.

pub mod signature;
pub mod telegram;
pub mod whatsapp;

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{ChannelSender, SendFailure};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::reply::Reply;
use std::time::Duration;

/// The parts of an HTTP request a webhook needs.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub method: &'a http::Method,
    pub headers: &'a http::HeaderMap,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, PartialEq)]
pub enum WebhookOutcome {
    /// A subscription check (WhatsApp's GET): answer 200 with this body.
    Challenge(String),
    /// Zero or more customer events, in the order the platform sent them.
    Messages(Vec<InboundMessage>),
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
}

/// The inbound side of a channel adapter.
pub trait Webhook: Send + Sync {
    fn channel(&self) -> Channel;
    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError>;
}

/// One HTTP client for every platform: connection pools are reused across warm invocations.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("the HTTP client builds with static settings")
}

/// The senders of every configured channel.
pub struct Senders {
    pub whatsapp: Option<whatsapp::WhatsappSender>,
    pub telegram: Option<telegram::TelegramSender>,
}

fn not_configured(channel: Channel) -> SendFailure {
    SendFailure::Permanent {
        code: None,
        detail: format!("channel {channel} is not configured in this deployment"),
    }
}

impl ChannelSender for Senders {
    async fn acknowledge(&self, c: &ConversationId, token: &str) -> Result<(), SendFailure> {
        match c.channel {
            Channel::Whatsapp => match &self.whatsapp {
                Some(s) => s.acknowledge(c, token).await,
                None => Err(not_configured(c.channel)),
            },
            Channel::Telegram => match &self.telegram {
                Some(s) => s.acknowledge(c, token).await,
                None => Err(not_configured(c.channel)),
            },
        }
    }

    async fn send(&self, c: &ConversationId, lang: Lang, reply: &Reply) -> Result<(), SendFailure> {
        match c.channel {
            Channel::Whatsapp => match &self.whatsapp {
                Some(s) => s.send(c, lang, reply).await,
                None => Err(not_configured(c.channel)),
            },
            Channel::Telegram => match &self.telegram {
                Some(s) => s.send(c, lang, reply).await,
                None => Err(not_configured(c.channel)),
            },
        }
    }
}

/// Classifies a transport-level failure (no HTTP answer at all).
pub(crate) fn transport_failure(e: &reqwest::Error) -> SendFailure {
    SendFailure::Transient {
        code: None,
        detail: if e.is_timeout() {
            "timed out".into()
        } else {
            format!("transport error: {e}")
        },
    }
}

/// Splits text into pieces of at most `max_chars` characters, for platforms that cap a message's
/// length. Cuts prefer a line break, then a space, in the second half of the window, so a long
/// list is split between lines rather than inside a word; a run without either is cut hard.
/// Whitespace-only text yields nothing: every platform rejects an empty message, and sending
/// nothing is the only faithful rendering of it.
pub(crate) fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    if text.trim().is_empty() {
        return Vec::new();
    }
    if text.chars().count() <= max_chars {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((cut, _)) = rest.char_indices().nth(max_chars) else {
            parts.push(rest.to_string());
            break;
        };
        let window = &rest[..cut];
        let half = window.len() / 2;
        let at = window
            .rfind('\n')
            .filter(|&i| i >= half && i > 0)
            .or_else(|| {
                window
                    .rfind(char::is_whitespace)
                    .filter(|&i| i >= half && i > 0)
            })
            .unwrap_or(cut);
        let (head, tail) = rest.split_at(at);
        parts.push(head.trim_end().to_string());
        rest = tail.trim_start();
    }
    parts
}

/// Shortens `text` to at most `max_chars` characters, marking a cut with `…` so the reader
/// knows there was more.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    if max_chars > 0 {
        out.push('…');
    }
    out
}

/// One line of a numbered choice list: what a customer reads when a platform's buttons cannot
/// carry the choice. `n` is the choice's position among all offered choices, because that is
/// the number the domain resolves a typed answer against.
pub(crate) fn numbered_line(n: usize, title: &str, description: Option<&str>) -> String {
    match description.filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{n}. {title} — {d}"),
        None => format!("{n}. {title}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_as_is_and_blank_text_dropped() {
        assert_eq!(split_text(" hi ", 10), vec![" hi ".to_string()]);
        assert!(split_text("  \n ", 10).is_empty());
        assert!(split_text("", 10).is_empty());
    }

    #[test]
    fn long_text_splits_on_lines_then_spaces_then_hard() {
        assert_eq!(split_text("aaaa\nbbbb\ncc", 10), vec!["aaaa\nbbbb", "cc"]);
        assert_eq!(split_text("aaaa bbbb cc", 10), vec!["aaaa bbbb", "cc"]);
        assert_eq!(split_text("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        // Characters, not bytes: multibyte text is cut on character boundaries.
        let parts = split_text(&"é".repeat(11), 5);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 5));
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        assert_eq!(truncate_chars("ééééé", 4), "ééé…");
        assert_eq!(truncate_chars("abc", 0), "");
    }
}

/// A local HTTP server for the senders' tests: records every request and answers each with one
/// canned response, so the tests see exactly what would go over the wire.
#[cfg(test)]
pub(crate) mod test_server {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::response::{IntoResponse, Response};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Debug)]
    pub(crate) struct Recorded {
        pub method: http::Method,
        pub path: String,
        pub headers: http::HeaderMap,
        pub body: serde_json::Value,
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
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
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
