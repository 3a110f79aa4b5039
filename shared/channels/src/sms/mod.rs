//! SMS through Twilio.
//!
//! **Inbound.** Twilio posts a form (`application/x-www-form-urlencoded`) and signs it with
//! `X-Twilio-Signature`: Base64 of HMAC-SHA1, under the account's auth token, of the URL Twilio
//! called followed by every POST parameter, sorted by name, as name+value (values of a
//! repeated name sorted among themselves). The URL is part of the signed text, so the webhook
//! must know the public URL as Twilio saw it (`WebhookRequest::url`, built from the deployment's
//! public base URL), not the one a proxy or API gateway rewrote. Twilio's own SDKs accept the
//! URL both with and without the scheme's default port, because Twilio's signing has not been
//! consistent about it; so do we (only the default port: a signature for another port is a
//! signature for another endpoint). Twilio adds parameters without notice, so *every*
//! parameter received is signed over, never a list of the ones we know.
//!
//! The form must be decoded exactly as Twilio encoded it before signing: `+` is a space,
//! `%2B` a plus (every E.164 number in the form is written `%2B1555…`), and `%E3%81%82` one
//! Japanese character. A body whose escapes decode to invalid UTF-8 is not something Twilio
//! sends, and no signature could make it readable: 400.
//!
//! One form is one event: an incoming message (`Body` present; `MessageSid` is the identity the
//! queue deduplicates on) or a status callback about one we sent (`MessageStatus`, no `Body`).
//! Twilio stamps no time on either, and calls within seconds, so the time of receipt stands in.
//! US carriers (CTIA) require the opt-out and help keywords to work on every message stream:
//! a message that is, apart from surrounding spaces and case, exactly `STOP` or a synonym is an
//! [`InboundContent::OptOut`]; `START`/`YES`/`UNSTOP` opt back in; `HELP`/`INFO` become the text
//! `help`, which the domain answers with its menu. "stop please" is ordinary text: carriers
//! match whole messages only, and so must we, or a customer saying "don't stop" is unsubscribed.
//!
//! Twilio expects TwiML as the answer to a webhook; an empty `<Response>` says "nothing to send
//! inline", because replies go out later through the Messages API, after the queue.
//!
//! **Outbound.** SMS has no buttons, so a set of choices is a numbered list the customer answers
//! by typing the number (the domain resolves it). Every message is billed per *segment*, and the
//! segment size depends on the encoding: 160 GSM-7 characters (153 per part once a message is
//! split), but a single character outside GSM-7 (an emoji, a curly quote, `—`) turns the whole
//! message into UCS-2 at 70 (67). [`segments`] counts this, with the GSM-7 tables as data next to
//! it. The renderer therefore (1) replaces typographic punctuation with its GSM-7 twin when that
//! makes the whole text GSM-7 (what Twilio's "smart encoding" does), and (2) keeps each reply
//! within [`LIMITS`]`.segment_budget`, shortening descriptions first, then choice titles, then
//! the body — never a link, which is the point of a pay message, and never a choice, which the
//! customer could then not pick. Twilio refuses a `Body` over 1600 characters; longer text is
//! split into several messages.
//!
//! **Failures** come back as `{"code":…,"message":…,"status":…}`; [`classify`] goes by the code:
//! an unsubscribed (21610) or unreachable recipient is permanent, 20429 waits, and a bad auth
//! token (20003) or sender is kept for a redrive once ops fix the configuration. Twilio's error
//! messages quote phone numbers, so digits runs are masked before a message reaches a log or a
//! recorded failure.

use crate::signature;
use crate::{
    Acknowledgement, Webhook, WebhookError, WebhookOutcome, WebhookRequest, media_type,
    numbered_line, split_text, transport_failure, truncate_chars,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_domain::reply::{Choice, Reply};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;
use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug)]
pub struct SmsConfig {
    pub auth_token: String,
}

pub struct SmsWebhook {
    pub config: SmsConfig,
}

#[derive(Clone, Debug)]
pub struct SmsSendConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (E.164) or a Messaging Service SID (`MG…`).
    pub from: String,
}

pub struct SmsSender {
    pub client: reqwest::Client,
    pub config: SmsSendConfig,
}

const SIGNATURE_HEADER: &str = "x-twilio-signature";
const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// The answer to every accepted webhook: TwiML that sends nothing inline.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

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
            inbound(&params, unix_now()).into_iter().collect(),
        ))
    }

    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            content_type: "text/xml",
            body: EMPTY_TWIML,
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
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
    // A keyword wins over an attached picture: an opt-out must never be missed.
    let content = match keyword(body) {
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

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// What the renderer keeps each reply within. Sources: Twilio's Messages API (`Body` at most
/// 1600 characters, <https://www.twilio.com/docs/api/errors/21617>); segment sizes from 3GPP
/// TS 23.038 / 23.040 (a
/// concatenated part gives 7 octets to its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Twilio's `Body` limit, in characters: longer text goes out as several messages.
    pub body_chars: usize,
    /// The most segments one reply should cost; menus, links and captions are shortened to it.
    pub segment_budget: usize,
    /// The first cut for a choice's description, in characters, before dropping it.
    pub description_chars: usize,
    /// The cut for a choice's title, in characters, when descriptions are gone and it still
    /// does not fit.
    pub title_chars: usize,
    pub gsm7: SegmentSizes,
    pub ucs2: SegmentSizes,
}

/// Characters (GSM-7 septets, or UCS-2 code units) one segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSizes {
    /// A message that fits one segment.
    pub single: usize,
    /// Each part of a concatenated message (the rest carries the concatenation header).
    pub part: usize,
}

pub const LIMITS: Limits = Limits {
    body_chars: 1600,
    segment_budget: 4,
    description_chars: 40,
    title_chars: 30,
    gsm7: SegmentSizes {
        single: 160,
        part: 153,
    },
    ucs2: SegmentSizes {
        single: 70,
        part: 67,
    },
};

/// The GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1), in code order, without the escape
/// (0x1B) that introduces the extension table: one septet each.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The default extension table (§6.2.1.1): escape plus one septet, two each.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Typographic characters outside GSM-7 and the GSM-7 text that reads the same.
const GSM7_LOOKALIKES: &[(char, &str)] = &[
    ('\u{2018}', "'"),
    ('\u{2019}', "'"),
    ('\u{201C}', "\""),
    ('\u{201D}', "\""),
    ('\u{2013}', "-"),
    ('\u{2014}', "-"),
    ('\u{2026}', "..."),
    ('\u{00A0}', " "),
    ('\u{2022}', "-"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The GSM-7 septets a character takes, if it has a GSM-7 form.
fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text is sent in and how many segments it is billed as: GSM-7 when every
/// character has a GSM-7 form, UCS-2 otherwise. A multi-part message is packed as handsets do:
/// an escaped character or a surrogate pair is never split across two parts. Empty text is
/// zero segments (there is nothing to send).
pub fn segments(text: &str) -> (Encoding, usize) {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (encoding, units, sizes) = match gsm {
        Some(units) => (Encoding::Gsm7, units, LIMITS.gsm7),
        None => (
            Encoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            LIMITS.ucs2,
        ),
    };
    let total: usize = units.iter().sum();
    if total == 0 {
        return (encoding, 0);
    }
    if total <= sizes.single {
        return (encoding, 1);
    }
    let (mut count, mut used) = (1, 0);
    for u in units {
        if used + u > sizes.part {
            count += 1;
            used = 0;
        }
        used += u;
    }
    (encoding, count)
}

/// Replaces typographic punctuation with its GSM-7 twin when that makes the whole text GSM-7,
/// halving its cost; text that needs UCS-2 anyway (Japanese, emoji) keeps its typography.
pub fn gsm_friendly(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match GSM7_LOOKALIKES.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    if out.chars().all(|c| gsm7_septets(c).is_some()) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

fn within_budget(text: &str) -> bool {
    segments(&gsm_friendly(text)).1 <= LIMITS.segment_budget
}

/// The message bodies for one reply, in sending order: usually one, several when text is over
/// Twilio's 1600 characters, none for an empty text (Twilio refuses an empty body).
pub fn render(lang: Lang, reply: &Reply) -> Vec<String> {
    let text = match reply {
        Reply::Text { body } => body.clone(),
        Reply::Choices { body, choices, .. } => render_choices(body, choices, lang),
        Reply::Image { url, caption } => with_url(caption.as_deref().unwrap_or(""), url),
        // The label ("Pay now") is for a button SMS does not have; the link says it.
        Reply::Link { body, url, .. } => with_url(body, url),
    };
    split_text(&gsm_friendly(&text), LIMITS.body_chars)
}

/// Text followed by a link, the text shortened to keep within the budget; the link never is.
fn with_url(text: &str, url: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return url.to_string();
    }
    let compose = |t: &str| format!("{t} {url}");
    let full = compose(text);
    if within_budget(&full) {
        return full;
    }
    match longest_fitting(text, |t| within_budget(&compose(t))) {
        Some(cut) => compose(&cut),
        None => url.to_string(),
    }
}

/// The longest cut of `text` (marked with an ellipsis) that `fits`, or `None` when no non-empty
/// cut does. Shorter cuts never cost more segments, so a binary search finds it.
fn longest_fitting(text: &str, fits: impl Fn(&str) -> bool) -> Option<String> {
    let (mut lo, mut hi) = (1, text.chars().count());
    let mut best = None;
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let cut = truncate_chars(text, mid);
        if fits(&cut) {
            best = Some(cut);
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    best
}

/// How much of each choice a menu shows.
#[derive(Clone, Copy)]
struct Detail {
    /// `None`: descriptions left out; `Some(n)`: cut to `n` characters (`usize::MAX`: whole).
    description: Option<usize>,
    title: usize,
}

/// The body, one numbered line per choice, and how to answer: richest form within the budget.
fn render_choices(body: &str, choices: &[Choice], lang: Lang) -> String {
    if choices.is_empty() {
        return body.to_string();
    }
    let hint = Msg::ReplyWithNumber.text(lang);
    let menu = |body: &str, detail: Detail| {
        let mut text = String::new();
        if !body.trim().is_empty() {
            text.push_str(body.trim_end());
            text.push('\n');
        }
        for (i, c) in choices.iter().enumerate() {
            let title = truncate_chars(&c.title, detail.title);
            let description = detail
                .description
                .and_then(|n| c.description.as_deref().map(|d| truncate_chars(d, n)));
            // Numbered by position: that is what a typed number resolves to.
            text.push_str(&numbered_line(i + 1, &title, description.as_deref()));
            text.push('\n');
        }
        text.push_str(&hint);
        text
    };
    let richest_first = [
        Detail {
            description: Some(usize::MAX),
            title: usize::MAX,
        },
        Detail {
            description: Some(LIMITS.description_chars),
            title: usize::MAX,
        },
        Detail {
            description: None,
            title: usize::MAX,
        },
        Detail {
            description: None,
            title: LIMITS.title_chars,
        },
    ];
    for detail in richest_first {
        let text = menu(body, detail);
        if within_budget(&text) {
            return text;
        }
    }
    let leanest = richest_first[richest_first.len() - 1];
    // Still too long: the body gives way; with very many choices nothing fits, and every
    // choice is still listed, over budget, rather than one the customer could not pick.
    match longest_fitting(body.trim(), |b| within_budget(&menu(b, leanest))) {
        Some(cut) => menu(&cut, leanest),
        None => menu(body, leanest),
    }
}

/// Consecutive text replies that together fit one segment go out as one message: SMS bills
/// per message, and two short texts arriving as one read the same.
fn merge_texts(replies: &[Reply]) -> Vec<(usize, Option<String>)> {
    let mut groups: Vec<(usize, Option<String>)> = Vec::new();
    for reply in replies {
        if let Reply::Text { body } = reply
            && let Some((count, Some(text))) = groups.last_mut()
        {
            let joined = format!("{text}\n\n{body}");
            if segments(&gsm_friendly(&joined)).1 <= 1 {
                *count += 1;
                *text = joined;
                continue;
            }
        }
        let text = match reply {
            Reply::Text { body } if !body.trim().is_empty() => Some(body.clone()),
            _ => None,
        };
        groups.push((1, text));
    }
    groups
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

impl SmsSender {
    pub fn new(client: reqwest::Client, config: SmsSendConfig) -> Self {
        SmsSender { client, config }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.config.api_base.trim_end_matches('/'),
            self.config.account_sid
        )
    }

    /// SMS has nothing to acknowledge.
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    /// No window: a business may text whoever has not opted out, and `STOP` is honoured
    /// upstream, by the domain, before anything reaches this sender.
    pub fn rules(&self) -> SendingRules {
        SendingRules::NO_WINDOW
    }

    /// One reply per call, except short texts merged into one message.
    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        merge_texts(replies).into_iter().map(|(n, _)| n).collect()
    }

    /// Sends every message in order; the first failure stops the rest, so the customer never
    /// gets a later part without an earlier one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let c = out.conversation();
        let mut bodies = Vec::new();
        let mut rest = out.replies;
        for (count, merged) in merge_texts(out.replies) {
            let (group, tail) = rest.split_at(count);
            rest = tail;
            match merged {
                Some(text) => bodies.extend(split_text(&gsm_friendly(&text), LIMITS.body_chars)),
                None => bodies.extend(group.iter().flat_map(|r| render(out.lang(), r))),
            }
        }
        let url = self.messages_url();
        let mut ids = Vec::new();
        for body in bodies {
            ids.extend(self.post(&url, c, &body).await?);
        }
        Ok(Sent::ids(ids))
    }

    async fn post(
        &self,
        url: &str,
        c: &ConversationId,
        body: &str,
    ) -> Result<Option<String>, SendFailure> {
        let from_field = if self.config.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("To", &c.customer)
            .append_pair(from_field, &self.config.from)
            .append_pair("Body", body)
            .finish();
        let response = self
            .client
            .post(url)
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .header(http::header::CONTENT_TYPE, FORM_MEDIA_TYPE)
            .body(form)
            .send()
            .await
            .map_err(|e| transport_failure(&e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            let answer: serde_json::Value =
                response.json().await.unwrap_or(serde_json::Value::Null);
            return Ok(answer["sid"].as_str().map(String::from));
        }
        let retry_after = crate::retry_after_header(response.headers());
        // An unreadable error body still has a status to classify by.
        let bytes = response.bytes().await.unwrap_or_default();
        let failure = classify(status.as_u16(), &bytes, retry_after);
        tracing::warn!(
            conversation = %c.hashed(),
            status = status.as_u16(),
            code = ?crate::failure_code(&failure),
            "Twilio send failed"
        );
        Err(failure)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TwilioError {
    code: Option<i64>,
    message: String,
}

/// Too many requests (the account's concurrency or rate limit).
const RATE_LIMIT_CODES: &[i64] = &[20429];
/// The recipient or the message can never succeed as sent.
const PERMANENT_CODES: &[i64] = &[
    21610, // the recipient replied STOP to this sender
    21211, // invalid To number
    21614, // To is not a mobile number
    21612, // To cannot be reached from this sender
    21408, // sending to the To number's region is not enabled
    21617, // body over 1600 characters
    21602, // body required
    30003, // unreachable handset
    30004, // message blocked
    30005, // unknown handset
    30006, // landline or unreachable carrier
    30007, // filtered by the carrier
];
/// Our configuration, not the message: a wrong auth token or account (20003, 20404), a From
/// number that cannot send SMS (21606, 21212). Kept for a redrive once ops fix it.
const TRANSIENT_CODES: &[i64] = &[20003, 20404, 21606, 21212, 20500, 20503];

/// Classifies a failed Messages API call by Twilio's error code; the HTTP status decides only
/// when the code is missing or unknown.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<TwilioError>(body).unwrap_or_default();
    let code = error.code;
    let detail = describe(status, &error, body);
    let wait = || retry_after.unwrap_or(Duration::from_secs(1));
    match code {
        Some(c) if RATE_LIMIT_CODES.contains(&c) => SendFailure::RateLimited {
            code,
            retry_after: wait(),
        },
        Some(c) if PERMANENT_CODES.contains(&c) => SendFailure::Permanent { code, detail },
        Some(c) if TRANSIENT_CODES.contains(&c) => SendFailure::Transient { code, detail },
        _ if status == 429 => SendFailure::RateLimited {
            code,
            retry_after: wait(),
        },
        // Credentials rejected without a readable code: still a configuration problem.
        _ if status == 401 => SendFailure::Transient { code, detail },
        _ if (400..500).contains(&status) => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

fn describe(status: u16, error: &TwilioError, body: &[u8]) -> String {
    let message = if error.message.is_empty() {
        String::from_utf8_lossy(body).into_owned()
    } else {
        error.message.clone()
    };
    let mut detail = format!("HTTP {status}");
    if let Some(code) = error.code {
        detail.push_str(&format!(" (Twilio {code})"));
    }
    if !message.trim().is_empty() {
        detail.push_str(": ");
        detail.push_str(&mask_numbers(message.trim()));
    }
    truncate_chars(&detail, 300)
}

/// Twilio's messages quote the numbers involved ("The 'To' number +1555… is not…"); phone
/// numbers are never logged, so every run of five or more digits (with a leading `+`) goes.
fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 5 {
            out.push_str("[number]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::SMS`]).
pub fn webhook(values: &crate::registry::Values) -> SmsWebhook {
    use chatdrop_domain::channel_spec::vars;
    SmsWebhook {
        config: SmsConfig {
            auth_token: values.get(vars::TWILIO_AUTH_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &crate::registry::Values, deps: &crate::registry::SenderDeps) -> SmsSender {
    use chatdrop_domain::channel_spec::vars;
    SmsSender {
        client: deps.client.clone(),
        config: SmsSendConfig {
            api_base: values.get(vars::TWILIO_API_BASE),
            account_sid: values.get(vars::TWILIO_ACCOUNT_SID),
            auth_token: values.get(vars::TWILIO_AUTH_TOKEN),
            from: values.get(vars::SMS_FROM),
        },
    }
}

impl crate::outbound::Outbound for SmsSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::SMS
    }

    fn rules(&self) -> SendingRules {
        SmsSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        SmsSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(SmsSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(SmsSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server::single;

    // -----------------------------------------------------------------------------------------
    // Signature vectors: https://github.com/twilio/twilio-python
    // `tests/unit/test_request_validator.py`, recomputed with Python's `hmac`. Token `12345`.
    // -----------------------------------------------------------------------------------------

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const BASE_SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    /// The base parameters signed over the URL written with `:443`.
    const PORT_443_SIGNATURE: &str = "kvajT1Ptam85bY51eRf/AJRuM3w=";
    const DUPLICATE_SIGNATURE: &str = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";
    const DOCS_SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
    /// The JSON-body variant: no parameters, the body's SHA-256 in the URL.
    const BODY_SHA_SIGNATURE: &str = "a9nBmqA0ju/hNViExpshrM61xv4=";
    /// Same test file, `test_validation_adds_port_on_http`: the http URL signed with `:80`.
    const HTTP_PORT_80_SIGNATURE: &str = "0ZXoZLH/DfblKGATFgpif+LLRf4=";
    /// Same test file, `test_validation_removes_port_on_http`: the http URL with `:1234`.
    const HTTP_PORT_1234_SIGNATURE: &str = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=";

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn base_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    fn encode(params: &[(String, String)]) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            form.append_pair(k, v);
        }
        form.finish()
    }

    fn webhook() -> SmsWebhook {
        SmsWebhook::new(SmsConfig {
            auth_token: TOKEN.into(),
        })
    }

    fn form_headers(signature: Option<&str>) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        if let Some(s) = signature {
            headers.insert(SIGNATURE_HEADER, http::HeaderValue::from_str(s).unwrap());
        }
        headers
    }

    fn post_to(
        hook: &SmsWebhook,
        url: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        hook.receive(&WebhookRequest {
            method: &http::Method::POST,
            headers,
            query: url.split_once('?').map(|(_, q)| q),
            url,
            body,
        })
    }

    fn post_signed(url: &str, signature: &str, body: &str) -> Result<WebhookOutcome, WebhookError> {
        post_to(
            &webhook(),
            url,
            &form_headers(Some(signature)),
            body.as_bytes(),
        )
    }

    #[test]
    fn the_signature_matches_every_twilio_python_vector() {
        assert_eq!(
            compute_signature(TOKEN, URL, &base_params()),
            BASE_SIGNATURE
        );
        let with_443 = URL.replace(".com", ".com:443");
        assert_eq!(
            compute_signature(TOKEN, &with_443, &base_params()),
            PORT_443_SIGNATURE
        );
        let duplicates = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            compute_signature(TOKEN, URL, &duplicates),
            DUPLICATE_SIGNATURE
        );
        let docs = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
        ]);
        assert_eq!(compute_signature(TOKEN, URL, &docs), DOCS_SIGNATURE);
        let body_sha = format!(
            "{URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert_eq!(compute_signature(TOKEN, &body_sha, &[]), BODY_SHA_SIGNATURE);
    }

    #[test]
    fn a_signed_form_is_accepted_whatever_the_parameter_order() {
        let mut params = base_params();
        params.reverse();
        assert_eq!(
            post_signed(URL, BASE_SIGNATURE, &encode(&params)),
            Ok(WebhookOutcome::Messages(vec![]))
        );
        let docs = "CallSid=CA1234567890ABCDE&From=%2B12349013030&To=%2B18005551212&Caller=%2B12349013030&Digits=1234";
        assert!(post_signed(URL, DOCS_SIGNATURE, docs).is_ok());
    }

    #[test]
    fn repeated_keys_verify_with_values_sorted_within_the_key() {
        let body = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
        assert!(post_signed(URL, DUPLICATE_SIGNATURE, body).is_ok());
        // The same values the other way round are the same signed text.
        let swapped = "Digits=1234&Sid=CA123&Digits=5678&SidAccount=AC123";
        assert!(post_signed(URL, DUPLICATE_SIGNATURE, swapped).is_ok());
    }

    #[test]
    fn the_default_port_may_be_written_or_not() {
        let body = encode(&base_params());
        // Twilio signed with `:443`, we know the URL without it, and the other way round.
        assert!(post_signed(URL, PORT_443_SIGNATURE, &body).is_ok());
        let with_443 = URL.replace(".com", ".com:443");
        assert!(post_signed(&with_443, BASE_SIGNATURE, &body).is_ok());
        assert!(post_signed(&with_443, PORT_443_SIGNATURE, &body).is_ok());
        // Plain http with `:80`, and a URL with a non-default port as given.
        let http = URL.replace("https", "http");
        assert!(post_signed(&http, HTTP_PORT_80_SIGNATURE, &body).is_ok());
        let http_1234 = http.replace(".com", ".com:1234");
        assert!(post_signed(&http_1234, HTTP_PORT_1234_SIGNATURE, &body).is_ok());
    }

    #[test]
    fn a_non_default_port_is_another_endpoint() {
        // twilio-python strips any port; only the default one is ignored here, so a signature
        // for `https://mycompany.com/…` does not authenticate a call to `:1234`.
        let body = encode(&base_params());
        let other_port = URL.replace(".com", ".com:1234");
        assert_eq!(
            post_signed(&other_port, BASE_SIGNATURE, &body),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
        assert_eq!(
            post_signed(&URL.replace(".com", ".com:80"), BASE_SIGNATURE, &body),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn url_variants_handle_userinfo_ipv6_and_odd_urls() {
        assert_eq!(
            url_variants("https://u:p@h.example/x"),
            vec!["https://u:p@h.example/x", "https://u:p@h.example:443/x"]
        );
        assert_eq!(
            url_variants("http://[::1]:80?a=1"),
            vec!["http://[::1]:80?a=1", "http://[::1]?a=1"]
        );
        assert_eq!(
            url_variants("http://[::1]/x"),
            vec!["http://[::1]/x", "http://[::1]:80/x"]
        );
        assert_eq!(url_variants("not a url"), vec!["not a url"]);
        assert_eq!(url_variants("ftp://h/x"), vec!["ftp://h/x"]);
    }

    #[test]
    fn tampered_missing_or_foreign_signatures_are_unauthorized() {
        let body = encode(&base_params());
        let tampered = body.replace("Digits=1234", "Digits=1235");
        assert_eq!(
            post_signed(URL, BASE_SIGNATURE, &tampered),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
        // A parameter added after signing (Twilio adds parameters, an attacker may too).
        assert_eq!(
            post_signed(URL, BASE_SIGNATURE, &format!("{body}&Body=hi")),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
        // Another URL (the query is signed too).
        assert_eq!(
            post_signed(&URL.replace("foo=1", "foo=2"), BASE_SIGNATURE, &body),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
        assert_eq!(
            post_to(&webhook(), URL, &form_headers(None), body.as_bytes()),
            Err(WebhookError::Unauthorized("missing X-Twilio-Signature"))
        );
        assert_eq!(
            post_signed(URL, "not base64!", &body),
            Err(WebhookError::Unauthorized("signature is not base64"))
        );
        let other = SmsWebhook::new(SmsConfig {
            auth_token: "54321".into(),
        });
        assert_eq!(
            post_to(
                &other,
                URL,
                &form_headers(Some(BASE_SIGNATURE)),
                body.as_bytes()
            ),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn an_unset_auth_token_authenticates_nothing() {
        let hook = SmsWebhook::new(SmsConfig {
            auth_token: String::new(),
        });
        let body = encode(&base_params());
        let signature = compute_signature("", URL, &base_params());
        assert_eq!(
            post_to(&hook, URL, &form_headers(Some(&signature)), body.as_bytes()),
            Err(WebhookError::Unauthorized("auth token not configured"))
        );
    }

    #[test]
    fn only_signed_forms_posted_are_read() {
        let body = encode(&base_params());
        let get = webhook().receive(&WebhookRequest {
            method: &http::Method::GET,
            headers: &form_headers(Some(BASE_SIGNATURE)),
            query: None,
            url: URL,
            body: body.as_bytes(),
        });
        assert_eq!(get, Err(WebhookError::MethodNotAllowed));

        let mut json = form_headers(Some(BASE_SIGNATURE));
        json.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        assert_eq!(
            post_to(&webhook(), URL, &json, b"{}"),
            Err(WebhookError::UnsupportedMediaType(
                "application/json".into()
            ))
        );
        let mut none = form_headers(Some(BASE_SIGNATURE));
        none.remove(http::header::CONTENT_TYPE);
        assert_eq!(
            post_to(&webhook(), URL, &none, body.as_bytes()),
            Err(WebhookError::UnsupportedMediaType("none".into()))
        );
    }

    #[test]
    fn escapes_that_decode_to_invalid_utf8_are_a_bad_request() {
        for body in [
            &b"Body=%FF&MessageSid=SM1"[..],
            b"Body=%E3%81",
            b"Body=\xff",
        ] {
            assert!(
                matches!(
                    post_to(&webhook(), URL, &form_headers(Some("x")), body),
                    Err(WebhookError::BadRequest(_))
                ),
                "{body:?}"
            );
        }
        // A stray `%` is literal text, as form decoding leaves it.
        assert!(decodes_to_utf8(b"Body=100%&x=%zz"));
        assert!(decodes_to_utf8(b"Body=%E3%81%82"));
    }

    // -----------------------------------------------------------------------------------------
    // Parsing
    // -----------------------------------------------------------------------------------------

    const SHOP_URL: &str = "https://shop.example/webhooks/sms";
    const ANA: &str = "+15551234567";

    /// Posts `body` signed as Twilio would sign it, with its parameters as decoded.
    fn receive_form(body: &str) -> Vec<InboundMessage> {
        let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let signature = compute_signature(TOKEN, SHOP_URL, &params);
        match post_signed(SHOP_URL, &signature, body) {
            Ok(WebhookOutcome::Messages(m)) => m,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    fn one(body: &str) -> InboundMessage {
        let mut m = receive_form(body);
        assert_eq!(m.len(), 1, "{m:?}");
        m.remove(0)
    }

    fn text_form(body_param: &str) -> String {
        format!(
            "ToCountry=US&SmsMessageSid=SM1&NumMedia=0&SmsSid=SM1&SmsStatus=received&Body={body_param}&To=%2B15550002222&NumSegments=1&MessageSid=SM1&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15551234567&ApiVersion=2010-04-01"
        )
    }

    fn content(body_param: &str) -> InboundContent {
        one(&text_form(body_param)).content
    }

    // Our own minimal example in the documented shape
    // (https://www.twilio.com/docs/messaging/guides/webhook-request).
    const INBOUND_EXAMPLE: &str = "ToCountry=US&SmsMessageSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&NumMedia=0&SmsSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&SmsStatus=received&Body=BUY+1&To=%2B15550002222&NumSegments=1&MessageSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15551234567&ApiVersion=2010-04-01";

    // Our own minimal example in the documented shape:
    // https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
    const DELIVERED_EXAMPLE: &str = "MessageSid=SM9a8b7c6d5e4f30211a2b3c4d5e6f7081&MessageStatus=delivered&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15550002222&To=%2B15551234567&ApiVersion=2010-04-01&SmsStatus=delivered";

    #[test]
    fn an_incoming_sms_is_text_from_the_sender() {
        let before = unix_now();
        let m = one(INBOUND_EXAMPLE);
        assert_eq!(m.conversation, ConversationId::new(Channel::Sms, ANA));
        assert_eq!(m.event_id, "SM5f1e0b6c2a3d4e5f60718293a4b5c6d7");
        assert_eq!(
            m.content,
            InboundContent::Text {
                body: "BUY 1".into()
            }
        );
        // Twilio stamps no time: the time of receipt stands in.
        assert!(
            m.sent_at >= before && m.sent_at <= unix_now(),
            "{}",
            m.sent_at
        );
        assert_eq!((m.locale, m.ack, m.reply_token), (None, None, None));
    }

    #[test]
    fn plus_escapes_and_utf8_decode_as_twilio_encoded_them() {
        assert_eq!(
            content("1+%2B+1+%3D+2"),
            InboundContent::Text {
                body: "1 + 1 = 2".into()
            }
        );
        assert_eq!(
            content("%E3%81%82%E3%82%8A%E3%81%8C%E3%81%A8%E3%81%86"),
            InboundContent::Text {
                body: "ありがとう".into()
            }
        );
        assert_eq!(
            content("a%26b%3Dc"),
            InboundContent::Text {
                body: "a&b=c".into()
            }
        );
    }

    #[test]
    fn unknown_parameters_are_signed_over_and_ignored() {
        let m = one(&format!(
            "{}&FromCity=SAN+FRANCISCO&AddedNextYear=%F0%9F%98%80",
            text_form("hi")
        ));
        assert_eq!(m.content, InboundContent::Text { body: "hi".into() });
    }

    #[test]
    fn opt_out_keywords_match_whole_messages_in_any_case() {
        for word in [
            "STOP",
            "stop",
            "+Stop+",
            "STOP%0A",
            "stopall",
            "Unsubscribe",
            "cancel",
            "END",
            "quit",
            "OptOut",
            "revoke",
        ] {
            assert_eq!(content(word), InboundContent::OptOut, "{word}");
        }
        for word in ["START", "yes", "+Unstop"] {
            assert_eq!(content(word), InboundContent::OptIn, "{word}");
        }
        for word in ["HELP", "help+", "Info"] {
            assert_eq!(
                content(word),
                InboundContent::Text {
                    body: "help".into()
                },
                "{word}"
            );
        }
        for text in [
            "STOP please",
            "don't stop",
            "stopp",
            "yes please",
            "helpful",
        ] {
            let param = text.replace(' ', "+");
            assert_eq!(
                content(&param),
                InboundContent::Text { body: text.into() },
                "{text}"
            );
        }
    }

    fn mms(body: &str, media_type: &str) -> String {
        format!(
            "MessageSid=MM1&From=%2B15551234567&To=%2B15550002222&Body={body}&NumMedia=1&MediaContentType0={media_type}&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM1%2FMedia%2FME1"
        )
    }

    #[test]
    fn a_picture_is_an_image_with_its_text_as_caption() {
        let media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
        assert_eq!(
            one(&mms("this+one", "image%2Fjpeg")).content,
            InboundContent::Image {
                media_id: media_url.into(),
                caption: Some("this one".into())
            }
        );
        assert_eq!(
            one(&mms("", "image%2Fpng")).content,
            InboundContent::Image {
                media_id: media_url.into(),
                caption: None
            }
        );
        assert_eq!(
            one(&mms("", "video%2Fmp4")).content,
            InboundContent::Unsupported {
                kind: "video".into()
            }
        );
        // An opt-out is never lost to an attachment.
        assert_eq!(
            one(&mms("STOP", "image%2Fjpeg")).content,
            InboundContent::OptOut
        );
    }

    #[test]
    fn status_callbacks_report_on_the_recipient() {
        let m = one(DELIVERED_EXAMPLE);
        assert_eq!(m.conversation, ConversationId::new(Channel::Sms, ANA));
        assert_eq!(
            m.content,
            InboundContent::Status {
                message_id: "SM9a8b7c6d5e4f30211a2b3c4d5e6f7081".into(),
                status: DeliveryStatus::Delivered,
                error_code: None
            }
        );
        assert_eq!(
            m.dedup_identity(),
            "sms#SM9a8b7c6d5e4f30211a2b3c4d5e6f7081#delivered"
        );
        let status = |s: &str, extra: &str| {
            receive_form(&format!(
                "MessageSid=SM2&MessageStatus={s}&From=%2B15550002222&To=%2B15551234567{extra}"
            ))
            .into_iter()
            .map(|m| m.content)
            .collect::<Vec<_>>()
        };
        assert_eq!(
            status("sent", ""),
            vec![InboundContent::Status {
                message_id: "SM2".into(),
                status: DeliveryStatus::Sent,
                error_code: None
            }]
        );
        for failed in ["failed", "undelivered"] {
            assert_eq!(
                status(failed, "&ErrorCode=30007"),
                vec![InboundContent::Status {
                    message_id: "SM2".into(),
                    status: DeliveryStatus::Failed,
                    error_code: Some(30007)
                }]
            );
        }
        for ignored in ["queued", "sending", "accepted", "read", "canceled"] {
            assert!(status(ignored, "").is_empty(), "{ignored}");
        }
    }

    #[test]
    fn events_that_are_not_a_customer_texting_are_ignored() {
        // WhatsApp relayed through the same Twilio account.
        assert!(receive_form("MessageSid=SM3&From=whatsapp%3A%2B15551234567&Body=hi").is_empty());
        assert!(receive_form("From=%2B15551234567&Body=hi").is_empty());
        assert!(receive_form("MessageSid=SM3&Body=hi").is_empty());
    }

    #[test]
    fn the_acknowledgement_is_empty_twiml() {
        let ack = webhook().acknowledgement();
        assert_eq!(ack.content_type, "text/xml");
        assert_eq!(
            ack.body,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
        );
    }

    // -----------------------------------------------------------------------------------------
    // Segments and rendering
    // -----------------------------------------------------------------------------------------

    #[test]
    fn the_gsm7_tables_hold_the_whole_alphabet() {
        // 128 codes less the escape; the extension table's ten characters.
        let basic: std::collections::HashSet<char> = GSM7_BASIC.chars().collect();
        assert_eq!(basic.len(), 127);
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_EXTENSION.chars().all(|c| !basic.contains(&c)));
    }

    #[test]
    fn gsm7_is_160_single_and_153_per_part() {
        assert_eq!(segments(""), (Encoding::Gsm7, 0));
        assert_eq!(segments(&"a".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(161)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(306)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(307)), (Encoding::Gsm7, 3));
        assert_eq!(segments("Héllo @ £5 Ñ ¿ ü"), (Encoding::Gsm7, 1));
    }

    #[test]
    fn extension_characters_count_two_septets_and_stay_whole() {
        assert_eq!(segments(&"€".repeat(80)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&"€".repeat(81)), (Encoding::Gsm7, 2));
        assert_eq!(
            segments(&format!("{}€", "a".repeat(159))),
            (Encoding::Gsm7, 2)
        );
        // 306 septets would be two parts, but the escape and its character cannot be split
        // across the first boundary, so they open the second part and a third is needed.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&text), (Encoding::Gsm7, 3));
    }

    #[test]
    fn anything_outside_gsm7_is_ucs2_at_70_and_67() {
        assert_eq!(segments(&"あ".repeat(70)), (Encoding::Ucs2, 1));
        assert_eq!(segments(&"あ".repeat(71)), (Encoding::Ucs2, 2));
        assert_eq!(segments(&"あ".repeat(134)), (Encoding::Ucs2, 2));
        assert_eq!(segments(&"あ".repeat(135)), (Encoding::Ucs2, 3));
        // An emoji is a surrogate pair: two code units.
        assert_eq!(segments(&"😀".repeat(35)), (Encoding::Ucs2, 1));
        assert_eq!(segments(&"😀".repeat(36)), (Encoding::Ucs2, 2));
        assert_eq!(
            segments(&format!("{}😀", "a".repeat(69))),
            (Encoding::Ucs2, 2)
        );
        assert_eq!(
            segments(&format!("{}😀", "a".repeat(68))),
            (Encoding::Ucs2, 1)
        );
    }

    #[test]
    fn typographic_punctuation_becomes_gsm7_when_that_is_enough() {
        assert_eq!(
            gsm_friendly("Don\u{2019}t \u{2014} wait\u{2026}"),
            "Don't - wait..."
        );
        assert_eq!(
            segments(&gsm_friendly("“Blue” mug — $12")).0,
            Encoding::Gsm7
        );
        // Japanese needs UCS-2 anyway, and keeps its punctuation.
        assert_eq!(gsm_friendly("青いマグ — ¥1200…"), "青いマグ — ¥1200…");
        assert_eq!(gsm_friendly("emoji 😀 — x"), "emoji 😀 — x");
    }

    fn choice(id: &str, title: &str, description: Option<&str>) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: description.map(String::from),
        }
    }

    fn menu(body: &str, choices: Vec<Choice>) -> Reply {
        Reply::Choices {
            body: body.into(),
            menu_label: "Menu".into(),
            choices,
        }
    }

    fn only(mut bodies: Vec<String>) -> String {
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        bodies.remove(0)
    }

    #[test]
    fn choices_are_a_numbered_gsm7_menu() {
        let text = only(render(
            Lang::En,
            &menu(
                "Pick a size:",
                vec![
                    choice("c:s", "Small", Some("$12.00")),
                    choice("c:m", "Medium", None),
                    choice("c:l", "Large", Some("  ")),
                ],
            ),
        ));
        assert_eq!(
            text,
            "Pick a size:\n1. Small - $12.00\n2. Medium\n3. Large\nReply with a number."
        );
        assert_eq!(segments(&text), (Encoding::Gsm7, 1));
    }

    #[test]
    fn a_japanese_menu_answers_in_japanese() {
        let text = only(render(
            Lang::Ja,
            &menu("サイズ", vec![choice("c:s", "S", None)]),
        ));
        assert_eq!(
            text,
            format!("サイズ\n1. S\n{}", Msg::ReplyWithNumber.text(Lang::Ja))
        );
    }

    #[test]
    fn descriptions_give_way_first_then_titles_then_the_body() {
        let long = "d".repeat(100);
        let choices: Vec<Choice> = (1..=6)
            .map(|i| choice(&format!("c:{i}"), &format!("Item {i}"), Some(&long)))
            .collect();
        // Cut descriptions fit: every line keeps 40 characters of its description.
        let text = only(render(Lang::En, &menu("Pick:", choices.clone())));
        assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
        assert!(
            text.contains(&format!("1. Item 1 - {}...", "d".repeat(39))),
            "{text}"
        );

        // Twelve choices: descriptions go entirely.
        let many: Vec<Choice> = (1..=12)
            .map(|i| choice(&format!("c:{i}"), &format!("Item {i}"), Some(&long)))
            .collect();
        let text = only(render(Lang::En, &menu("Pick:", many)));
        assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
        assert!(
            text.contains("\n12. Item 12\n") && !text.contains("ddd"),
            "{text}"
        );

        // Long titles are cut too.
        let titled: Vec<Choice> = (1..=12)
            .map(|i| choice(&format!("c:{i}"), &format!("{i} {}", "t".repeat(60)), None))
            .collect();
        let text = only(render(Lang::En, &menu("Pick:", titled)));
        assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
        assert!(
            text.contains(&format!("\n1. 1 {}...\n", "t".repeat(27))),
            "{text}"
        );

        // A long body is shortened, the menu kept whole.
        let body = "b".repeat(700);
        let text = only(render(
            Lang::En,
            &menu(&body, vec![choice("c:a", "Add to cart", None)]),
        ));
        assert!(segments(&text).1 <= LIMITS.segment_budget, "{text}");
        assert!(
            text.ends_with("...\n1. Add to cart\nReply with a number."),
            "{text}"
        );
    }

    #[test]
    fn every_choice_is_listed_even_over_budget() {
        let choices: Vec<Choice> = (1..=60)
            .map(|i| choice(&format!("c:{i}"), &format!("Choice number {i}"), None))
            .collect();
        let bodies = render(Lang::En, &menu("Pick:", choices));
        let all = bodies.join("\n");
        assert!(all.contains("\n60. Choice number 60"), "{all}");
        assert!(
            bodies
                .iter()
                .all(|b| b.chars().count() <= LIMITS.body_chars)
        );
    }

    #[test]
    fn links_keep_the_url_whole() {
        let url = "https://shop.example/p/Ab3dE";
        let text = only(render(
            Lang::En,
            &Reply::Link {
                body: "Reserved for you for 15 minutes. Total $24.00.\nPay securely with Stripe:"
                    .into(),
                label: "Pay now".into(),
                url: url.into(),
            },
        ));
        assert_eq!(
            text,
            format!(
                "Reserved for you for 15 minutes. Total $24.00.\nPay securely with Stripe: {url}"
            )
        );
        let long = only(render(
            Lang::En,
            &Reply::Link {
                body: "x".repeat(1000),
                label: "Pay".into(),
                url: url.into(),
            },
        ));
        assert!(long.ends_with(&format!("... {url}")), "{long}");
        assert_eq!(segments(&long), (Encoding::Gsm7, LIMITS.segment_budget));
    }

    #[test]
    fn images_are_their_caption_and_url() {
        let url = "https://cdn.example/mug.jpg";
        assert_eq!(
            render(
                Lang::En,
                &Reply::Image {
                    url: url.into(),
                    caption: Some("Blue mug".into())
                }
            ),
            vec![format!("Blue mug {url}")]
        );
        assert_eq!(
            render(
                Lang::En,
                &Reply::Image {
                    url: url.into(),
                    caption: None
                }
            ),
            vec![url.to_string()]
        );
    }

    #[test]
    fn text_over_1600_characters_is_split_and_empty_text_is_nothing() {
        let body = format!("{}\n{}", "a".repeat(1500), "b".repeat(300));
        let parts = render(Lang::En, &Reply::Text { body });
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= 1600));
        assert!(render(Lang::En, &Reply::Text { body: " ".into() }).is_empty());
    }

    // -----------------------------------------------------------------------------------------
    // Classification
    // -----------------------------------------------------------------------------------------

    fn twilio_error(code: i64, status: u16, message: &str) -> Vec<u8> {
        serde_json::json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn unreachable_or_unsubscribed_recipients_are_permanent() {
        for code in [
            21610, 21211, 21614, 21408, 21612, 30003, 30004, 30005, 30006, 30007,
        ] {
            let f = classify(400, &twilio_error(code, 400, "no"), None);
            assert!(
                matches!(f, SendFailure::Permanent { code: Some(c), .. } if c == code),
                "{code}: {f:?}"
            );
        }
    }

    #[test]
    fn too_many_requests_waits_the_advised_or_a_default_delay() {
        assert_eq!(
            classify(429, &twilio_error(20429, 429, "Too Many Requests"), None),
            SendFailure::RateLimited {
                code: Some(20429),
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(
            classify(429, b"", Some(Duration::from_secs(4))),
            SendFailure::RateLimited {
                code: None,
                retry_after: Duration::from_secs(4)
            }
        );
    }

    #[test]
    fn configuration_errors_and_server_errors_are_kept_for_a_redrive() {
        for (status, code) in [(401, 20003), (404, 20404), (400, 21606), (500, 20500)] {
            let f = classify(status, &twilio_error(code, status, "x"), None);
            assert!(
                matches!(f, SendFailure::Transient { code: Some(c), .. } if c == code),
                "{code}: {f:?}"
            );
        }
        assert!(matches!(
            classify(401, b"", None),
            SendFailure::Transient { code: None, .. }
        ));
        assert!(matches!(
            classify(503, b"<html>busy</html>", None),
            SendFailure::Transient { code: None, .. }
        ));
        assert!(matches!(
            classify(400, &twilio_error(99999, 400, "new"), None),
            SendFailure::Permanent {
                code: Some(99999),
                ..
            }
        ));
    }

    #[test]
    fn failure_details_never_quote_phone_numbers() {
        let f = classify(
            400,
            &twilio_error(
                21211,
                400,
                "The 'To' number +15551234567 is not a valid phone number.",
            ),
            None,
        );
        let SendFailure::Permanent { detail, .. } = f else {
            panic!("{f:?}")
        };
        assert_eq!(
            detail,
            "HTTP 400 (Twilio 21211): The 'To' number [number] is not a valid phone number."
        );
        assert_eq!(
            mask_numbers("call 555 1234567 or +1 (555)"),
            "call 555 [number] or +1 (555)"
        );
    }

    // -----------------------------------------------------------------------------------------
    // Sending
    // -----------------------------------------------------------------------------------------

    /// A local Messages API that records each request's raw form body (the shared test server
    /// keeps JSON bodies only) and answers with one canned response.
    mod api {
        use axum::body::Bytes;
        use axum::extract::State;
        use axum::response::{IntoResponse, Response};
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Debug)]
        pub struct Recorded {
            pub path: String,
            pub headers: http::HeaderMap,
            pub form: Vec<(String, String)>,
        }

        #[derive(Clone)]
        struct Shared {
            requests: Arc<Mutex<Vec<Recorded>>>,
            status: u16,
            headers: Vec<(&'static str, String)>,
            body: String,
        }

        pub struct Api {
            pub base: String,
            requests: Arc<Mutex<Vec<Recorded>>>,
        }

        impl Api {
            pub fn requests(&self) -> Vec<Recorded> {
                self.requests.lock().unwrap().clone()
            }
        }

        async fn record(
            State(shared): State<Shared>,
            uri: http::Uri,
            headers: http::HeaderMap,
            body: Bytes,
        ) -> Response {
            shared.requests.lock().unwrap().push(Recorded {
                path: uri.path().to_string(),
                headers,
                form: form_urlencoded::parse(&body).into_owned().collect(),
            });
            let mut response = (
                http::StatusCode::from_u16(shared.status).unwrap(),
                shared.body.clone(),
            )
                .into_response();
            for (name, value) in &shared.headers {
                response
                    .headers_mut()
                    .insert(*name, http::HeaderValue::from_str(value).unwrap());
            }
            response
        }

        pub async fn serve(status: u16, headers: Vec<(&'static str, String)>, body: &str) -> Api {
            let requests = Arc::new(Mutex::new(Vec::new()));
            let shared = Shared {
                requests: requests.clone(),
                status,
                headers,
                body: body.to_string(),
            };
            let app = axum::Router::new().fallback(record).with_state(shared);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Api {
                base: format!("http://{addr}"),
                requests,
            }
        }
    }

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const AUTH: &str = "auth-token-secret";
    const CREATED: &str = r#"{"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01","body":"hi","num_segments":"1","sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+15551234567"}"#;

    fn sender(base: &str, from: &str) -> SmsSender {
        SmsSender::new(
            crate::http_client(Duration::from_secs(5)),
            SmsSendConfig {
                api_base: format!("{base}/"),
                account_sid: ACCOUNT.into(),
                auth_token: AUTH.into(),
                from: from.into(),
            },
        )
    }

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Sms, ANA)
    }

    fn bundle(replies: Vec<Reply>) -> chatdrop_domain::reply::ReplyBundle {
        chatdrop_domain::reply::ReplyBundle {
            id: "bundle-1".into(),
            conversation: ana(),
            lang: Lang::En,
            ack: None,
            reply_token: None,
            update: None,
            replies,
        }
    }

    fn outgoing(b: &chatdrop_domain::reply::ReplyBundle) -> Outgoing<'_> {
        Outgoing {
            bundle: b,
            first: 0,
            replies: &b.replies,
            mode: SendMode::Session,
            now: 0,
        }
    }

    #[tokio::test]
    async fn send_posts_a_form_with_basic_auth_and_returns_the_sid() {
        let api = api::serve(201, vec![], CREATED).await;
        let reply = Reply::Text {
            body: "Thanks — your order is in.".into(),
        };
        let sent = sender(&api.base, "+15550002222")
            .send(&single(&ana(), Lang::En, &reply).out())
            .await
            .expect("sent");
        assert_eq!(
            sent,
            Sent::ids(["SM0123456789abcdef0123456789abcdef".to_string()])
        );
        let requests = api.requests();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(
            r.path,
            format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
        );
        let basic = format!("Basic {}", BASE64.encode(format!("{ACCOUNT}:{AUTH}")));
        assert_eq!(r.headers.get("authorization").unwrap(), basic.as_str());
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            r.form,
            pairs(&[
                ("To", ANA),
                ("From", "+15550002222"),
                ("Body", "Thanks - your order is in."),
            ])
        );
    }

    #[tokio::test]
    async fn a_messaging_service_sends_as_messaging_service_sid() {
        let api = api::serve(201, vec![], CREATED).await;
        let service = "MG0123456789abcdef0123456789abcdef";
        sender(&api.base, service)
            .send(&single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await
            .expect("sent");
        assert_eq!(
            api.requests()[0].form,
            pairs(&[
                ("To", ANA),
                ("MessagingServiceSid", service),
                ("Body", "hi")
            ])
        );
    }

    #[tokio::test]
    async fn short_texts_are_merged_and_others_go_one_by_one() {
        let replies = vec![
            Reply::Text {
                body: "Added to your cart.".into(),
            },
            Reply::Text {
                body: "Cart: 1 item, $12.00.".into(),
            },
            menu("Next?", vec![choice("c:co", "Checkout", None)]),
            Reply::Text {
                body: "l".repeat(158),
            },
            Reply::Text {
                body: "after".into(),
            },
        ];
        let api = api::serve(201, vec![], CREATED).await;
        let s = sender(&api.base, "+15550002222");
        assert_eq!(s.batches(&replies, SendMode::Session), vec![2, 1, 1, 1]);
        let b = bundle(replies);
        let sent = s.send(&outgoing(&b)).await.expect("sent");
        assert_eq!(sent.message_ids.len(), 4);
        let bodies: Vec<String> = api
            .requests()
            .into_iter()
            .map(|r| r.form[2].1.clone())
            .collect();
        assert_eq!(bodies[0], "Added to your cart.\n\nCart: 1 item, $12.00.");
        assert_eq!(bodies[1], "Next?\n1. Checkout\nReply with a number.");
        assert_eq!(bodies[2], "l".repeat(158));
        assert_eq!(bodies[3], "after");
    }

    #[tokio::test]
    async fn send_classifies_twilio_errors_and_stops_at_the_first() {
        let long = Reply::Text {
            body: format!("{}\n{}", "a".repeat(1500), "b".repeat(300)),
        };
        let body = String::from_utf8(twilio_error(
            21610,
            400,
            "Attempt to send to unsubscribed recipient",
        ))
        .unwrap();
        let api = api::serve(400, vec![], &body).await;
        let f = sender(&api.base, "+15550002222")
            .send(&single(&ana(), Lang::En, &long).out())
            .await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(21610),
                    ..
                })
            ),
            "{f:?}"
        );
        assert_eq!(api.requests().len(), 1);

        let body = String::from_utf8(twilio_error(20429, 429, "Too Many Requests")).unwrap();
        let api = api::serve(429, vec![("retry-after", "3".into())], &body).await;
        let f = sender(&api.base, "+15550002222")
            .send(&single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(20429),
                retry_after: Duration::from_secs(3)
            })
        );

        let body = String::from_utf8(twilio_error(20003, 401, "Authenticate")).unwrap();
        let api = api::serve(401, vec![], &body).await;
        let f = sender(&api.base, "+15550002222")
            .send(&single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Transient {
                    code: Some(20003),
                    ..
                })
            ),
            "{f:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_api_is_transient_and_reveals_no_secret() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let f = sender(&base, "+15550002222")
            .send(&single(&ana(), Lang::En, &Reply::Text { body: "hi".into() }).out())
            .await;
        let Err(SendFailure::Transient { code: None, detail }) = f else {
            panic!("{f:?}")
        };
        assert!(
            !detail.contains(AUTH) && !detail.contains(ACCOUNT),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn acknowledge_sends_nothing() {
        let api = api::serve(201, vec![], CREATED).await;
        sender(&api.base, "+15550002222")
            .acknowledge(&ana(), "token")
            .await
            .expect("no-op");
        assert!(api.requests().is_empty());
        assert_eq!(sender(&api.base, "x").rules(), SendingRules::NO_WINDOW);
    }
}
