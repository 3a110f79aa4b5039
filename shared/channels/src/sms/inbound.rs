//! Twilio's side of a webhook call: the form, its `X-Twilio-Signature`, and the one message or
//! status callback each form carries.
//!
//! Nothing in a form is looked at until the signature over all of it holds: the body is
//! decoded (refused if its escapes are not UTF-8, since no signature makes that readable), the
//! signature checked over the URL as Twilio saw it and every parameter, and only then is the
//! form read as a message, a carrier keyword or a delivery status.

use super::{FORM_MEDIA_TYPE, SmsConfig};
use crate::signature;
use crate::{Acknowledgement, Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub struct SmsWebhook {
    pub config: SmsConfig,
}

const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The answer to every accepted webhook: TwiML that sends nothing inline.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// The decoded POST parameters, in the order received (repeats kept).
type Params = Vec<(String, String)>;

impl SmsWebhook {
    pub fn new(config: SmsConfig) -> Self {
        SmsWebhook { config }
    }

    fn verify(&self, url: &str, params: &Params, presented: &str) -> Result<(), WebhookError> {
        let presented = BASE64
            .decode(presented.trim())
            .map_err(|_| WebhookError::Unauthorized("signature is not base64"))?;
        let token = self.config.auth_token.as_bytes();
        let matched = url_variants(url).iter().any(|u| {
            signature::constant_time_eq(&hmac_sha1(token, &signed_text(u, params)), &presented)
        });
        if matched {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("signature mismatch"))
        }
    }
}

impl Webhook for SmsWebhook {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        if *request.method != http::Method::POST {
            return Err(WebhookError::MethodNotAllowed);
        }
        match media_type(request.headers) {
            Some(t) if t == FORM_MEDIA_TYPE => {}
            other => {
                return Err(WebhookError::UnsupportedMediaType(
                    other.unwrap_or_else(|| "none".into()),
                ));
            }
        }
        // An HMAC under an empty key is one anybody can compute.
        if self.config.auth_token.is_empty() {
            return Err(WebhookError::Unauthorized("auth token not configured"));
        }
        let presented = request
            .headers
            .get(SIGNATURE_HEADER)
            .ok_or(WebhookError::Unauthorized("missing X-Twilio-Signature"))?
            .to_str()
            .map_err(|_| WebhookError::Unauthorized("unreadable X-Twilio-Signature"))?;
        // The parameters are part of what is signed, so they are decoded first; nothing in them
        // is looked at until the signature holds.
        let params = parse_form(request.body)?;
        self.verify(request.url, &params, presented)?;
        Ok(WebhookOutcome::Messages(
            inbound(&params, SystemClock.now()).into_iter().collect(),
        ))
    }

    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            content_type: "text/xml",
            body: EMPTY_TWIML,
        }
    }
}

/// HMAC-SHA1 of `message` under `key`, as Twilio signs.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    // HMAC accepts keys of any length (long ones are hashed, short ones padded).
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// What Twilio signs: the URL, then each parameter as name+value, sorted by name and, within a
/// repeated name, by value. Sorting is by code point, which for UTF-8 is byte order: the order
/// Twilio's SDKs use.
fn signed_text(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.as_bytes().to_vec();
    for (name, value) in sorted {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(value.as_bytes());
    }
    text
}

/// The signature Twilio would send for `params` posted to `url`, Base64-encoded: for tests and
/// the local stack's simulated Twilio, which must sign exactly as Twilio does.
pub fn compute_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(hmac_sha1(auth_token.as_bytes(), &signed_text(url, params)))
}

/// The URL as given, plus its twin with the default port written out or left out.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The host part starts after any `user:password@`; an IPv6 host is bracketed.
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    let port = host_port
        .rfind(':')
        .filter(|&i| !host_port[i..].contains(']'))
        .map(|i| (i, &host_port[i + 1..]));
    let twin_authority = match port {
        None => format!("{authority}:{default_port}"),
        Some((i, p)) if p == default_port => authority[..host_start + i].to_string(),
        Some(_) => return variants,
    };
    variants.push(format!("{scheme}://{twin_authority}{tail}"));
    variants
}

/// Decodes the form; 400 when an escape decodes to bytes that are not UTF-8, because the lossy
/// decoding would otherwise hand the domain (and the signature) text nobody sent.
fn parse_form(body: &[u8]) -> Result<Params, WebhookError> {
    if !decodes_to_utf8(body) {
        return Err(WebhookError::BadRequest(
            "form parameters are not valid UTF-8".into(),
        ));
    }
    Ok(form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// Whether the body's percent escapes decode to UTF-8. Checking the whole body at once is the
/// same as checking each name and value: the separators `&` and `=` (and `+`) are ASCII, which
/// never occurs inside a multi-byte UTF-8 sequence.
fn decodes_to_utf8(body: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        // A `%` not followed by two hex digits stays literal, as `form_urlencoded` keeps it.
        match (
            body[i],
            body.get(i + 1).copied().and_then(hex),
            body.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push(hi << 4 | lo);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// The first value of a parameter.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Carrier keywords (CTIA), matched against the whole message.
const OPT_OUT_KEYWORDS: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
const OPT_IN_KEYWORDS: &[&str] = &["START", "YES", "UNSTOP"];
const HELP_KEYWORDS: &[&str] = &["HELP", "INFO"];

fn keyword(body: &str) -> Option<InboundContent> {
    let word = body.trim();
    let is = |list: &[&str]| list.iter().any(|k| k.eq_ignore_ascii_case(word));
    if is(OPT_OUT_KEYWORDS) {
        Some(InboundContent::OptOut)
    } else if is(OPT_IN_KEYWORDS) {
        Some(InboundContent::OptIn)
    } else if is(HELP_KEYWORDS) {
        Some(InboundContent::Text {
            body: "help".into(),
        })
    } else {
        None
    }
}

/// An SMS address is a phone number or short code; Twilio writes other channels it relays
/// (`whatsapp:+1…`, `messenger:…`) with a scheme, and those are not this adapter's customers.
fn sms_address(address: &str) -> Result<&str, &str> {
    match address.split_once(':') {
        Some((scheme, _)) => Err(scheme),
        None => Ok(address),
    }
}

fn inbound(params: &Params, now: i64) -> Option<InboundMessage> {
    let Some(sid) = param(params, "MessageSid").filter(|s| !s.is_empty()) else {
        tracing::warn!("skipping a Twilio webhook without MessageSid");
        return None;
    };
    match (param(params, "Body"), param(params, "MessageStatus")) {
        (None, Some(status)) => inbound_status(params, sid, status, now),
        _ => inbound_message(params, sid, now),
    }
}

fn inbound_message(params: &Params, sid: &str, now: i64) -> Option<InboundMessage> {
    let from = match sms_address(param(params, "From").unwrap_or("")) {
        Ok("") => {
            tracing::warn!("skipping a Twilio message without From");
            return None;
        }
        Ok(from) => from,
        Err(scheme) => {
            tracing::debug!(kind = %scheme, "ignoring a non-SMS message relayed by Twilio");
            return None;
        }
    };
    let body = param(params, "Body").unwrap_or("");
    let num_media: u32 = param(params, "NumMedia")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // Twilio's Advanced Opt-Out says what the carrier-level keyword was, including the
    // sender's own custom and localized keywords (`OptOutType`: STOP, START or HELP;
    // https://help.twilio.com/articles/360034798533): it wins over our own list.
    let opt_out_type = match param(params, "OptOutType").map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("STOP") => Some(InboundContent::OptOut),
        Some(t) if t.eq_ignore_ascii_case("START") => Some(InboundContent::OptIn),
        _ => None,
    };
    // A keyword wins over an attached picture: an opt-out must never be missed.
    let content = match opt_out_type.or_else(|| keyword(body)) {
        Some(k) => k,
        None if num_media > 0 => media(params, body),
        None => InboundContent::Text {
            body: body.to_string(),
        },
    };
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Sms, from),
        event_id: sid.to_string(),
        sent_at: now,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    })
}

/// An MMS: the first image, with the text as its caption; other media are unsupported by type.
fn media(params: &Params, body: &str) -> InboundContent {
    let url = param(params, "MediaUrl0").unwrap_or("");
    let content_type = param(params, "MediaContentType0").unwrap_or("");
    // A missing content type is taken for an image: MMS is mostly pictures, and the domain
    // treats an image it cannot use politely anyway.
    let is_image = content_type.is_empty() || content_type.starts_with("image/");
    if is_image && !url.is_empty() {
        InboundContent::Image {
            media_id: url.to_string(),
            caption: (!body.trim().is_empty()).then(|| body.to_string()),
        }
    } else {
        let kind = content_type.split('/').next().filter(|k| !k.is_empty());
        InboundContent::Unsupported {
            kind: kind.unwrap_or("media").to_string(),
        }
    }
}

fn inbound_status(params: &Params, sid: &str, status: &str, now: i64) -> Option<InboundMessage> {
    let status = match status {
        "delivered" => DeliveryStatus::Delivered,
        "sent" => DeliveryStatus::Sent,
        "failed" | "undelivered" => DeliveryStatus::Failed,
        other => {
            tracing::debug!(kind = %other, "ignoring a Twilio status callback");
            return None;
        }
    };
    // A status is about a message we sent: the customer is its recipient.
    let to = match sms_address(param(params, "To").unwrap_or("")) {
        Ok(to) if !to.is_empty() => to,
        Ok(_) => {
            tracing::warn!("skipping a Twilio status callback without To");
            return None;
        }
        Err(scheme) => {
            tracing::debug!(kind = %scheme, "ignoring a non-SMS status relayed by Twilio");
            return None;
        }
    };
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Sms, to),
        event_id: sid.to_string(),
        sent_at: now,
        locale: None,
        ack: None,
        reply_token: None,
        content: InboundContent::Status {
            message_id: sid.to_string(),
            status,
            error_code: param(params, "ErrorCode").and_then(|c| c.trim().parse().ok()),
        },
    })
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
