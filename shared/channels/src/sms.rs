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
/// 1600 characters, platform-facts §6.3); segment sizes from 3GPP TS 23.038 / 23.040 (a
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
        let retry_after = retry_after_header(response.headers());
        // An unreadable error body still has a status to classify by.
        let bytes = response.bytes().await.unwrap_or_default();
        let failure = classify(status.as_u16(), &bytes, retry_after);
        tracing::warn!(
            conversation = %c.hashed(),
            status = status.as_u16(),
            code = ?failure_code(&failure),
            "Twilio send failed"
        );
        Err(failure)
    }
}

fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn failure_code(f: &SendFailure) -> Option<i64> {
    match f {
        SendFailure::Permanent { code, .. }
        | SendFailure::RateLimited { code, .. }
        | SendFailure::Transient { code, .. } => *code,
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
