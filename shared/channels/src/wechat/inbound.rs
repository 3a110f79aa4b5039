//! WeChat's side of a webhook call: the query signature, the clock check, and the one XML
//! message or event each POST carries.
//!
//! The order matters and is the point of this file: the signature is checked before anything
//! else is read, the timestamp only after the signature (so an unsigned request learns nothing
//! about our clock), and the body is refused outright if it declares a document type, before
//! any XML parser sees it.

use super::WechatConfig;
use crate::signature;
use crate::{Acknowledgement, Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use sha1::{Digest, Sha1};

pub struct WechatWebhook {
    pub config: WechatConfig,
}

/// How far a request's `timestamp` may be from our clock, in seconds, either way.
pub const MAX_CLOCK_SKEW: i64 = 300;

/// WeChat's signature: lowercase hex SHA-1 of the token, timestamp and nonce, sorted
/// lexicographically and concatenated.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The query parameters WeChat signs with; the first occurrence of each wins, so a repeated
/// parameter cannot override a checked one.
#[derive(Default)]
struct SignedQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
}

impl SignedQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut q = SignedQuery::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match key.as_ref() {
                "signature" => &mut q.signature,
                "timestamp" => &mut q.timestamp,
                "nonce" => &mut q.nonce,
                "echostr" => &mut q.echostr,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        q
    }
}

impl WechatWebhook {
    pub fn new(config: WechatConfig) -> Self {
        WechatWebhook { config }
    }

    fn verify(&self, q: &SignedQuery, now: i64) -> Result<(), WebhookError> {
        // A signature over an empty token is one anybody can compute.
        if self.config.token.is_empty() {
            return Err(WebhookError::Unauthorized("token not configured"));
        }
        let (Some(presented), Some(timestamp), Some(nonce)) =
            (&q.signature, &q.timestamp, &q.nonce)
        else {
            return Err(WebhookError::Unauthorized(
                "missing signature, timestamp or nonce",
            ));
        };
        let presented = hex::decode(presented)
            .ok()
            .filter(|p| p.len() == 20)
            .ok_or(WebhookError::Unauthorized("signature is not a hex SHA-1"))?;
        let expected = hex::decode(signature(&self.config.token, timestamp, nonce))
            .map_err(|_| WebhookError::Unauthorized("signature mismatch"))?;
        if !signature::constant_time_eq(&expected, &presented) {
            return Err(WebhookError::Unauthorized("signature mismatch"));
        }
        // Checked after the signature, so an unsigned request learns nothing about our clock.
        let at: i64 = timestamp
            .parse()
            .map_err(|_| WebhookError::Unauthorized("timestamp is not a number"))?;
        // `abs_diff`, not `(now - at).abs()`: a signed timestamp near `i64::MIN` overflows the
        // subtraction, and in a release build the wrapped difference of `i64::MIN + now` has no
        // positive absolute value and would pass the check.
        if now.abs_diff(at) > MAX_CLOCK_SKEW.unsigned_abs() {
            return Err(WebhookError::Unauthorized(
                "timestamp outside the accepted window",
            ));
        }
        Ok(())
    }

    /// [`Webhook::receive`] with the clock as a parameter, for tests.
    fn receive_at(
        &self,
        request: &WebhookRequest<'_>,
        now: i64,
    ) -> Result<WebhookOutcome, WebhookError> {
        let query = SignedQuery::parse(request.query);
        match *request.method {
            http::Method::GET => {
                self.verify(&query, now)?;
                match query.echostr {
                    Some(echo) if !echo.is_empty() => Ok(WebhookOutcome::Challenge(echo)),
                    _ => Err(WebhookError::BadRequest("missing echostr".into())),
                }
            }
            http::Method::POST => {
                self.verify(&query, now)?;
                // WeChat sends `text/xml`, and sometimes no content type at all.
                if let Some(kind) = media_type(request.headers)
                    && kind != "text/xml"
                    && kind != "application/xml"
                {
                    return Err(WebhookError::UnsupportedMediaType(kind));
                }
                let xml = checked_xml(request.body)?;
                parse_message(xml).map(|m| WebhookOutcome::Messages(m.into_iter().collect()))
            }
            _ => Err(WebhookError::MethodNotAllowed),
        }
    }
}

impl Webhook for WechatWebhook {
    fn channel(&self) -> Channel {
        Channel::Wechat
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        self.receive_at(request, SystemClock.now())
    }

    /// WeChat retries unless it reads `success` (or nothing) within five seconds.
    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            content_type: "text/plain",
            body: "success",
        }
    }
}

/// The body as text, refused if it is not UTF-8 or declares a document type or entity.
fn checked_xml(body: &[u8]) -> Result<&str, WebhookError> {
    let xml = std::str::from_utf8(body)
        .map_err(|_| WebhookError::BadRequest("body is not UTF-8".into()))?;
    // Case-insensitive, though XML is not: a parser that tolerates `<!doctype` must not be the
    // one thing between us and an entity.
    let lower = xml.to_ascii_lowercase();
    if lower.contains("<!doctype") || lower.contains("<!entity") {
        return Err(WebhookError::BadRequest(
            "XML with a document type or entity declaration".into(),
        ));
    }
    Ok(xml)
}

/// One WeChat push, every field optional: WeChat adds message types and fields without notice.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WxMessage {
    from_user_name: String,
    create_time: String,
    msg_type: String,
    content: String,
    msg_id: String,
    event: String,
    event_key: String,
    media_id: String,
}

/// Message types we know and cannot handle: answered politely, logged quietly.
const KNOWN_UNSUPPORTED: &[&str] = &["voice", "video", "shortvideo", "location", "link", "file"];

/// A quick-xml error as its kind alone: its message quotes what it could not read (a value
/// that did not fit a field, an entity, a tag name), which came from the customer's push.
fn xml_error(e: &quick_xml::DeError) -> String {
    use quick_xml::errors::{Error, IllFormedError};
    use quick_xml::escape::EscapeError;
    let kind = match e {
        quick_xml::DeError::Custom(_) => "a field is missing or has the wrong type",
        quick_xml::DeError::UnexpectedEof => "truncated",
        quick_xml::DeError::UnexpectedStart(_) => "unexpected element",
        quick_xml::DeError::InvalidXml(Error::Syntax(_)) => "syntax error",
        quick_xml::DeError::InvalidXml(Error::IllFormed(IllFormedError::DoubleHyphenInComment)) => {
            "ill-formed comment"
        }
        quick_xml::DeError::InvalidXml(Error::IllFormed(_)) => {
            "ill-formed: unbalanced tags or a bad declaration"
        }
        quick_xml::DeError::InvalidXml(Error::Escape(EscapeError::UnrecognizedEntity(..))) => {
            "unrecognized entity"
        }
        quick_xml::DeError::InvalidXml(Error::Escape(_)) => "bad escape",
        quick_xml::DeError::InvalidXml(Error::Encoding(_)) => "bad encoding",
        quick_xml::DeError::InvalidXml(_) => "unreadable XML",
        _ => "unreadable",
    };
    format!("XML {kind}")
}

/// The customer's message in one push, or `None` for a push that is not a customer talking.
fn parse_message(xml: &str) -> Result<Option<InboundMessage>, WebhookError> {
    let m: WxMessage =
        quick_xml::de::from_str(xml).map_err(|e| WebhookError::Malformed(xml_error(&e)))?;
    if m.from_user_name.is_empty() {
        tracing::warn!(kind = %redact::kind(&m.msg_type), "skipping a WeChat push without a sender");
        return Ok(None);
    }
    let sent_at = m.create_time.trim().parse().unwrap_or(0);
    let conversation = ConversationId::new(Channel::Wechat, m.from_user_name.clone());
    // WeChat's documented deduplication key for pushes without a MsgId.
    let event_key = |kind: &str| format!("{}#{}#{}", m.from_user_name, m.create_time.trim(), kind);
    let message_id = || {
        if m.msg_id.is_empty() {
            event_key(&m.msg_type)
        } else {
            m.msg_id.clone()
        }
    };
    let (event_id, content) = match m.msg_type.as_str() {
        "text" => (
            message_id(),
            InboundContent::Text {
                body: m.content.clone(),
            },
        ),
        "image" if !m.media_id.is_empty() => (
            message_id(),
            InboundContent::Image {
                media_id: m.media_id.clone(),
                caption: None,
            },
        ),
        "event" => {
            let content = match m.event.to_ascii_lowercase().as_str() {
                "subscribe" => InboundContent::OptIn,
                "unsubscribe" => InboundContent::OptOut,
                "click" if !m.event_key.is_empty() => InboundContent::Action {
                    payload: m.event_key.clone(),
                    title: None,
                },
                _ => {
                    tracing::debug!(
                        kind = %format!("event.{}", m.event),
                        conversation = %conversation.hashed(),
                        "ignored"
                    );
                    return Ok(None);
                }
            };
            (event_key(&m.event), content)
        }
        other => {
            if !KNOWN_UNSUPPORTED.contains(&other) {
                tracing::info!(kind = %redact::kind(other), "unknown WeChat message type");
            }
            (
                message_id(),
                InboundContent::Unsupported {
                    kind: other.to_string(),
                },
            )
        }
    };
    Ok(Some(InboundMessage {
        conversation,
        event_id,
        sent_at,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    }))
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
