//! Viber REST Bot API adapter.
//!
//! **Inbound.** Viber signs every callback: `X-Viber-Content-Signature` is the lowercase hex
//! HMAC-SHA256 of the raw body under the bot's auth token, the same token the API takes
//! (<https://developers.viber.com/docs/api/rest-bot-api/#callbacks>; the official SDK computes it
//! as `hmac.new(auth_token, raw_body, sha256).hexdigest()`, `viber/api/api.py` in
//! <https://github.com/Viber/viber-bot-python>). It is checked in constant time on the bytes as
//! received and before anything is parsed, for every event, the set-up check included. The
//! official Node SDK reads the signature from a `sig` query parameter when the header is absent
//! (`lib/middleware.js` in <https://github.com/Viber/viber-bot-node>), so that is accepted too;
//! either way the HMAC is over the raw body.
//!
//! One callback is one event, named by `event`:
//!
//! - `webhook`: Viber checking the URL when it is set (`set_webhook`); answered 200, nothing queued.
//! - `conversation_started`: the customer opened the chat. They are not a subscriber yet, so
//!   nothing may be sent to them with `send_message`; Viber allows exactly one *welcome
//!   message*, written as a `send_message` body without `receiver` in the HTTP response
//!   (<https://developers.viber.com/docs/api/rest-bot-api/#welcome-message>). The webhook answers
//!   [`WebhookOutcome::Respond`](crate::WebhookOutcome::Respond) with the shop's greeting in the
//!   customer's language and one keyboard button that opens the menu; nothing is queued, so
//!   the ingress still makes no database call. The tap is the customer's first message, which
//!   subscribes them.
//! - `subscribed` / `unsubscribed`: the customer's consent, as
//!   [`InboundContent::OptIn`] / [`InboundContent::OptOut`], which the domain records on the
//!   session the way an SMS `STOP` or a LINE unfollow is recorded. A first message also
//!   subscribes without a `subscribed` event, and needs nothing recorded.
//! - `message`: text, or a keyboard tap. A `reply` button sends its `ActionBody` back as the
//!   customer's text, so chatdrop's buttons carry [`TAP_PREFIX`] and the choice payload there
//!   and are `Silent` (the payload is not shown in the chat): a text with the prefix is read as
//!   [`InboundContent::Action`], anything else as typed text.
//! - `delivered`, `seen`, `failed`: delivery reports about a message we sent, by its
//!   `message_token`, read as [`InboundContent::Status`] as WhatsApp's statuses are.
//!
//! Each event's `message_token` is its identity; Viber retries a callback that was not answered
//! 200 for up to an hour, with the same token, so the queue deduplicates on it.
//!
//! **Outbound.** [`render()`] maps a [`Reply`] to `send_message` bodies within [`LIMITS`]: text,
//! choices as a keyboard of `reply` buttons (numbered text when they do not fit), a choice
//! list whose every entry has a description as a `rich_media` carousel (a product list), the pay
//! link as a `url` message after its words (not an `open-url` button, whose tap Viber also sends
//! to the bot as the customer's message), and the QR code as a `picture`.
//!
//! **Failures** come as HTTP 200 with a non-zero `status`
//! (<https://developers.viber.com/docs/api/rest-bot-api/#error-codes>): [`classify`] reads 12
//! (too many requests: the 100-messages-an-hour-without-a-reply cap, which notify counts before
//! sending, `chatdrop_domain::send_cap`, so a 12 is only the backstop) as a rate limit, the
//! recipient's 5/6/11 (not registered, not subscribed, no suitable device) as permanent, and a
//! bad auth token (2) and account problems as transient and logged at error for ops.
//!
//! Viber has no customer-service window: a subscriber may be written to at any time, and
//! messages outside a 24-hour session are billed rather than refused
//! (<https://help.viber.com/hc/en-us/articles/15247629658525-Bot-commercial-model>).
//!
//! [`InboundContent::OptIn`]: chatdrop_domain::inbound::InboundContent::OptIn
//! [`InboundContent::OptOut`]: chatdrop_domain::inbound::InboundContent::OptOut
//! [`InboundContent::Action`]: chatdrop_domain::inbound::InboundContent::Action
//! [`InboundContent::Status`]: chatdrop_domain::inbound::InboundContent::Status
//! [`Reply`]: chatdrop_domain::reply::Reply

mod inbound;
mod render;
mod send;

pub use inbound::welcome;
pub use render::{LIMITS, Limits, TAP_PREFIX, render};
pub use send::classify;

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct ViberConfig {
    /// The bot's auth token: the key of every callback's signature.
    pub auth_token: String,
    /// `sender.name` of the welcome message.
    pub sender_name: String,
}

/// Viber's webhook: checks the signature, then reads the one event.
pub struct ViberWebhook {
    pub config: ViberConfig,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct ViberSendConfig {
    /// `https://chatapi.viber.com` in production; `/pa/send_message` is appended.
    pub api_base: String,
    pub auth_token: String,
    /// `sender.name` of every message (required by Viber, at most 28 characters).
    pub sender_name: String,
}

/// Viber's sender: one `send_message` call per rendered message.
pub struct ViberSender {
    pub client: reqwest::Client,
    pub config: ViberSendConfig,
}

/// The webhook, from its inbound secret ([`chatdrop_domain::channel_spec::VIBER`]).
pub fn webhook(values: &Values) -> ViberWebhook {
    ViberWebhook::new(ViberConfig {
        auth_token: values.get(vars::VIBER_AUTH_TOKEN),
        sender_name: values.get(vars::VIBER_SENDER_NAME),
    })
}

/// The sender, from its settings and outbound secret.
pub fn sender(values: &Values, deps: &SenderDeps) -> ViberSender {
    ViberSender::new(
        deps.client.clone(),
        ViberSendConfig {
            api_base: values.get(vars::VIBER_API_BASE),
            auth_token: values.get(vars::VIBER_AUTH_TOKEN),
            sender_name: values.get(vars::VIBER_SENDER_NAME),
        },
    )
}
