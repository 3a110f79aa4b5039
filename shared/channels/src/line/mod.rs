//! LINE Messaging API adapter.
//!
//! **Inbound.** LINE signs every webhook: `x-line-signature` is the standard Base64 of
//! HMAC-SHA256 of the raw body under the channel secret. LINE publishes no source IP ranges, so
//! that signature is the only thing telling LINE apart from anyone who found the URL; it is
//! checked, in constant time, on the bytes as received and before anything is parsed.
//!
//! One request carries zero or more `events`. An empty list is the console's "Verify" button
//! checking that the URL answers 200, and is answered with nothing queued. Each event's
//! `webhookEventId` is its identity: LINE keeps it when it redelivers an event
//! (`deliveryContext.isRedelivery`), so the queue deduplicates redeliveries on it.
//!
//! chatdrop is a one-to-one shop, so only events from a `user` source are served: a bot invited
//! into a group or room would otherwise answer everyone in it. Events in `standby` mode are ignored
//! too: another module channel owns the chat then, and answering would talk over it. `follow` (the
//! customer added the shop as a friend, or unblocked it) and `unfollow` (blocked it) are the
//! customer opting in and out. A follow therefore becomes [`InboundContent::OptIn`] rather than a
//! made-up "hi": the domain both clears a previous opt-out and greets with the menu, which is what
//! a new or returning friend should see.
//!
//! Replyable events carry a `replyToken`. A reply with it is free, while a push counts toward
//! the LINE Official Account plan's monthly message quota; but the token is single-use and good
//! for about a minute
//! (<https://developers.line.biz/en/reference/messaging-api/#send-reply-message>). It travels
//! with the message as a [`ReplyToken`] valid for [`REPLY_TOKEN_SECONDS`] after the event, a
//! margin under LINE's minute for clock skew and the reply's own flight time.
//!
//! **Outbound.** [`render()`] maps a [`Reply`] to LINE message objects within [`LIMITS`]. Choices
//! become quick-reply buttons whose postback `data` is the choice payload, so a tap comes back as
//! exactly that payload; when they do not fit (more than 13, or a payload over 300 characters) the
//! reply degrades to numbered text, which always works because the domain resolves a typed number
//! against the choices offered last. Links become a Flex bubble with one URI button. LINE counts
//! text in UTF-16 code units (developers.line.biz, "Counting the number of characters in text"), so
//! an emoji counts twice and text is split by that measure.
//!
//! One API call carries at most five messages, so the sender's
//! [`batches`](crate::Outbound::batches) groups replies by their rendered message count, and its
//! [`send`](crate::Outbound::send) still splits whatever it is given into calls of five. The first
//! call of a bundle uses the reply token while it is good; a token LINE refuses (expired, or
//! already used) falls back to a push in the same attempt. Every push carries `X-Line-Retry-Key`, a
//! UUID derived from the call's idempotency key, so a push retried after a timeout is not delivered
//! twice: LINE answers the repeat with 409, which counts as sent. A reply has no such key, so a
//! reply whose answer was lost and is then retried after the token died goes out again as a push;
//! that rare duplicate is the price of not losing the answer.
//!
//! LINE has no customer-service window: a shop may push to any friend who has not blocked it
//! ([`SendingRules::NO_WINDOW`]). The constraint is money instead: pushes (never replies) count
//! toward the plan's monthly quota, and past it LINE answers 429 "You have reached your monthly
//! limit". That is not a slow-down but a plan ops must raise, so it is classified transient and the
//! message kept for a redrive.
//!
//! **Failures** carry no numeric code, only the HTTP status and a message; [`classify`] tells
//! "slow down" (429) from "never" (400, a bad request or recipient) from "ops must fix" (401 or
//! 403, a bad channel access token or a plan without the API, kept for a redrive).
//!
//! The adapter is three parts, each beside its tests: `inbound.rs` (the signature and the events),
//! `render.rs` (the limits and the message objects a reply becomes) and `send.rs` (reply or push,
//! five messages a call, failures classified); this file holds the configuration and what the
//! registry builds from it.
//!
//! [`InboundContent::OptIn`]: chatdrop_domain::inbound::InboundContent::OptIn
//! [`ReplyToken`]: chatdrop_domain::inbound::ReplyToken
//! [`Reply`]: chatdrop_domain::reply::Reply
//! [`SendingRules::NO_WINDOW`]: chatdrop_domain::delivery::SendingRules::NO_WINDOW

mod inbound;
mod profile;
mod render;
mod send;

pub use inbound::REPLY_TOKEN_SECONDS;
pub use profile::LineProfiles;
pub use render::{LIMITS, Limits, render};
pub use send::{classify, retry_key};

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct LineConfig {
    pub channel_secret: String,
}

/// LINE's webhook: checks the signature, then reads each event on its own.
pub struct LineWebhook {
    pub config: LineConfig,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct LineSendConfig {
    pub api_base: String,
    pub channel_access_token: String,
}

/// LINE's sender: a free reply while the bundle's token is good, keyed pushes otherwise.
pub struct LineSender {
    pub client: reqwest::Client,
    pub config: LineSendConfig,
}

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::LINE`]).
pub fn webhook(values: &Values) -> LineWebhook {
    LineWebhook::new(LineConfig {
        channel_secret: values.get(vars::LINE_CHANNEL_SECRET),
    })
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> LineSender {
    LineSender::new(
        deps.client.clone(),
        LineSendConfig {
            api_base: values.get(vars::LINE_API_BASE),
            channel_access_token: values.get(vars::LINE_ACCESS_TOKEN),
        },
    )
}

/// The profile lookup, from the sender's settings and outbound secrets.
pub fn profiles(values: &Values, deps: &SenderDeps) -> LineProfiles {
    LineProfiles {
        client: deps.client.clone(),
        config: sender(values, deps).config,
    }
}
