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

pub mod line;
pub mod messenger;
mod meta;
pub mod signature;
pub mod sms;
pub mod telegram;
pub mod wechat;
pub mod whatsapp;

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{
    ChannelSender, Outgoing, SendFailure, SendMode, SendingRules, Sent,
};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::ports::{PortError, SendRate, SendThrottle};
use chatdrop_domain::reply::Reply;
use std::collections::HashMap;
use std::sync::Arc;
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
}

/// The `Content-Type` header's media type, lowercased, without parameters.
pub(crate) fn media_type(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// One HTTP client for every platform: connection pools are reused across warm invocations.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("the HTTP client builds with static settings")
}

/// The senders of every configured channel, and the pace each platform takes.
#[derive(Default)]
pub struct Senders {
    pub whatsapp: Option<whatsapp::WhatsappSender>,
    pub telegram: Option<telegram::TelegramSender>,
    pub messenger: Option<messenger::MessengerSender>,
    pub line: Option<line::LineSender>,
    pub wechat: Option<wechat::WechatSender>,
    pub sms: Option<sms::SmsSender>,
    /// Where the send-rate windows are counted, shared by every instance; `None`: unpaced.
    pub throttle: Option<Arc<dyn SendThrottle>>,
    /// Per-channel rates overriding [`default_rate`] (a WhatsApp number's tier, say).
    pub rates: HashMap<Channel, SendRate>,
}

/// Each platform's documented pace for one sender (see the facts in each module):
///
/// | channel   | per sender | per chat | source |
/// |-----------|-----------:|---------:|--------|
/// | WhatsApp  | 80/s (the default tier; up to 1,000/s on the top tier: configure) | — | Cloud API throughput |
/// | Telegram  | 30/s       | 1/s      | Bot API FAQ |
/// | Messenger | 250/s      | —        | not published as a number: a conservative pace |
/// | LINE      | 2,000/s    | —        | "Other API endpoints: 2,000 requests per second" |
/// | WeChat    | 100/s      | —        | not published per second: a conservative pace |
/// | SMS       | 1/s        | —        | a US long code's 1 message segment per second (configure for 10DLC, toll-free, short codes) |
pub fn default_rate(channel: Channel) -> SendRate {
    let (per_second, per_chat_per_second) = match channel {
        Channel::Whatsapp => (80, None),
        Channel::Telegram => (30, Some(1)),
        Channel::Messenger => (250, None),
        Channel::Line => (2000, None),
        Channel::Wechat => (100, None),
        Channel::Sms => (1, None),
    };
    SendRate {
        per_second,
        per_chat_per_second,
    }
}

fn not_configured(channel: Channel) -> SendFailure {
    SendFailure::Permanent {
        code: None,
        detail: format!("channel {channel} is not configured in this deployment"),
    }
}

/// Runs `$call` on the configured sender of `$channel`, bound to `$s`; `$absent` otherwise.
macro_rules! on_sender {
    ($senders:expr, $channel:expr, $s:ident => $call:expr, $absent:expr) => {
        match $channel {
            Channel::Whatsapp => match &$senders.whatsapp {
                Some($s) => $call,
                None => $absent,
            },
            Channel::Telegram => match &$senders.telegram {
                Some($s) => $call,
                None => $absent,
            },
            Channel::Messenger => match &$senders.messenger {
                Some($s) => $call,
                None => $absent,
            },
            Channel::Line => match &$senders.line {
                Some($s) => $call,
                None => $absent,
            },
            Channel::Wechat => match &$senders.wechat {
                Some($s) => $call,
                None => $absent,
            },
            Channel::Sms => match &$senders.sms {
                Some($s) => $call,
                None => $absent,
            },
        }
    };
}

impl ChannelSender for Senders {
    async fn acknowledge(&self, c: &ConversationId, token: &str) -> Result<(), SendFailure> {
        on_sender!(self, c.channel, s => s.acknowledge(c, token).await, Err(not_configured(c.channel)))
    }

    fn rules(&self, channel: Channel) -> SendingRules {
        on_sender!(self, channel, s => s.rules(), SendingRules::NO_WINDOW)
    }

    fn batches(&self, channel: Channel, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        on_sender!(self, channel, s => s.batches(replies, mode), vec![1; replies.len()])
    }

    async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let channel = out.conversation().channel;
        on_sender!(self, channel, s => s.send(out).await, Err(not_configured(channel)))
    }

    async fn pace(&self, c: &ConversationId) -> Result<Option<Duration>, PortError> {
        let Some(throttle) = &self.throttle else {
            return Ok(None);
        };
        let rate = self
            .rates
            .get(&c.channel)
            .copied()
            .unwrap_or_else(|| default_rate(c.channel));
        if let Some(delay) = throttle.admit(c.channel.as_str(), rate.per_second).await? {
            return Ok(Some(delay));
        }
        match rate.per_chat_per_second {
            Some(limit) => {
                let key = format!("{}#{}", c.channel, c.hashed());
                throttle.admit(&key, limit).await
            }
            None => Ok(None),
        }
    }
}

/// A `Retry-After` header's delay in seconds, where a platform sends one.
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The platform's error code a failure carries, for the log line.
pub(crate) fn failure_code(f: &SendFailure) -> Option<i64> {
    match f {
        SendFailure::Permanent { code, .. }
        | SendFailure::RateLimited { code, .. }
        | SendFailure::Transient { code, .. } => *code,
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
