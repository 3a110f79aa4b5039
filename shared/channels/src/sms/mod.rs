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
//! [`InboundContent::OptOut`](chatdrop_domain::inbound::InboundContent::OptOut);
//! `START`/`YES`/`UNSTOP` opt back in; `HELP`/`INFO` become the text `help`, which the domain
//! answers with its menu. "stop please" is ordinary text: carriers
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
//! split into several messages, and consecutive short texts that fit one segment together go
//! out as one.
//!
//! SMS has no customer-service window (the registry's
//! [`SMS`](chatdrop_domain::channel_spec::SMS) spec): a business may text whoever has not opted
//! out, and `STOP` is honoured upstream, by the domain, before anything reaches the sender.
//!
//! **Failures** come back as `{"code":…,"message":…,"status":…}`; [`classify`] goes by the code:
//! an unsubscribed (21610) or unreachable recipient is permanent, 20429 waits, and a bad auth
//! token (20003) or sender is kept for a redrive once ops fix the configuration. Twilio's error
//! messages quote phone numbers, so digits runs are masked before a message reaches a log or a
//! recorded failure.
//!
//! **Where things are.** `inbound.rs` verifies and reads Twilio's forms ([`SmsWebhook`],
//! [`compute_signature`]), `render.rs` counts segments and renders within [`LIMITS`]
//! ([`segments`], [`render()`]), and `send.rs` posts the messages ([`SmsSender`], [`classify`]).
//! This file holds the configuration and the registry's entry points.

mod inbound;
mod render;
mod send;
#[cfg(test)]
mod testing;

pub use inbound::{EMPTY_TWIML, SmsWebhook, compute_signature};
pub use render::{Encoding, LIMITS, Limits, SegmentSizes, gsm_friendly, render, segments};
pub use send::{SmsSender, classify};

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct SmsConfig {
    pub auth_token: String,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct SmsSendConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (E.164) or a Messaging Service SID (`MG…`).
    pub from: String,
}

/// What Twilio posts to a webhook, and what we post to the Messages API.
const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::SMS`]).
pub fn webhook(values: &Values) -> SmsWebhook {
    SmsWebhook {
        config: SmsConfig {
            auth_token: values.get(vars::TWILIO_AUTH_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> SmsSender {
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
