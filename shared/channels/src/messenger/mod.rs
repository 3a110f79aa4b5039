//! Messenger Platform adapter (a Facebook Page talking to its customers).
//!
//! **Inbound** (`inbound.rs`). Messenger is Meta's other chat API and authenticates exactly like
//! WhatsApp's: a GET subscription check proves we own the URL by echoing `hub.challenge`, but only
//! to a caller who knows the verify token we chose; every POST is signed with `X-Hub-Signature-256:
//! sha256=<hex HMAC-SHA256(raw body, app secret)>`. The signature is checked on the bytes as
//! received, before the content type is looked at or anything parsed, so an unauthenticated request
//! learns nothing and never reaches the JSON parser.
//!
//! One POST can batch several `entry[]` items, each with several `messaging[]` events, and Meta
//! redelivers until it gets a 200; every event comes back in payload order, with the platform's
//! message id (`mid`) as `event_id` so the queue deduplicates. The customer is the event's
//! `sender.id`, a page-scoped id (PSID): the same person has a different PSID on every Page, and it
//! is never a phone number, but it is still a customer id and is logged only hashed. The Page hears
//! its own sends back as `is_echo` messages; answering them would have the shop talk to itself
//! forever, so they are dropped first.
//!
//! Delivery and read receipts are *watermarks*: "everything sent before this millisecond". A
//! delivery receipt usually also lists the `mids` it covers, and each becomes one `Delivered`
//! status about that message. A read receipt never does, so it becomes a single `Read` status whose
//! `message_id` is `watermark:<ms>`: it matches none of our message ids, records that the customer
//! read up to that moment, and stays unique per receipt.
//!
//! **Rendering** ([`render()`]) turns a channel-neutral [`Reply`](chatdrop_domain::reply::Reply)
//! into Send API `message` objects that fit Messenger's limits ([`LIMITS`]). Choices become *quick
//! replies*, not the button template, although both carry a payload back: quick replies take 13
//! choices to the template's 3 and 2000 characters of text to its 640, so one form serves nearly
//! every menu instead of two forms with a seam between them; and they disappear once the customer
//! answers, so a week-old menu cannot be tapped out of context, while the tapped title shows in the
//! thread as the customer's own words. A title longer than a quick reply shows (20 characters), or
//! a choice with a description (a price, say), lists every choice in full as numbered lines above
//! the buttons, so nothing the customer should read is cut off. Past 13 choices, or with a payload
//! quick replies cannot carry, the menu is numbered text, which always works because the domain
//! accepts a typed number for any choice offered. Links use the button template's `web_url` button,
//! which does not vanish, since a payment link must stay usable.
//!
//! **Sending** ([`MessengerSender`]). Inside the 24-hour window every message goes out as
//! `messaging_type: RESPONSE`. An order update after the window goes out with the
//! `POST_PURCHASE_UPDATE` message tag, the one sanctioned way to tell a customer about their
//! purchase later. The window is the registry's (`chatdrop_domain::channel_spec::MESSENGER`); the
//! Send API takes one message per call and there is nothing to acknowledge, so the sender keeps the
//! [`Outbound`](crate::Outbound) defaults for both.
//!
//! **Handover** (`handover.rs`). Where the retailer named an inbox app, a conversation handed to
//! a person is passed to it with the handover protocol and taken back when the bot has it
//! again; the inbox passing it back to us hands it back to the bot.
//!
//! **Failures** are classified by the Graph error code and subcode, not the HTTP status
//! ([`classify`]), because Meta answers 400 both for "slow down" (613) and for "this person can
//! never get this message" (10/2018278, outside the window), and retrying the second is as wrong as
//! dropping the first.

mod handover;
mod inbound;
mod profile;
mod render;
mod send;

pub use profile::MessengerProfiles;
pub use render::{LIMITS, Limits, render};
pub use send::{ORDER_UPDATE_TAG, classify};

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct MessengerConfig {
    pub app_secret: String,
    pub verify_token: String,
    /// This deployment's own Meta app (`CHATDROP_MESSENGER_APP_ID`): the handover protocol's
    /// events name apps, and only a move to or from this one is ours to follow
    /// (`handover.rs`), as only a standby echo from another app is a person's answer
    /// (`inbound.rs`); none: neither is followed.
    pub app_id: Option<String>,
}

pub struct MessengerWebhook {
    pub config: MessengerConfig,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct MessengerSendConfig {
    pub graph_base: String,
    pub api_version: String,
    pub page_access_token: String,
    /// Where a handed-over thread goes (`CHATDROP_MESSENGER_INBOX_APP_ID`): the Page Inbox or
    /// another app of the Page's; none: threads stay ours (`handover.rs`).
    pub inbox_app_id: Option<String>,
}

pub struct MessengerSender {
    pub client: reqwest::Client,
    pub config: MessengerSendConfig,
}

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::MESSENGER`]).
pub fn webhook(values: &Values) -> MessengerWebhook {
    MessengerWebhook::new(MessengerConfig {
        app_secret: values.get(vars::MESSENGER_APP_SECRET),
        verify_token: values.get(vars::MESSENGER_VERIFY_TOKEN),
        app_id: values
            .optional(vars::MESSENGER_APP_ID)
            .filter(|id| !id.trim().is_empty()),
    })
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> MessengerSender {
    MessengerSender::new(
        deps.client.clone(),
        MessengerSendConfig {
            graph_base: values.get(vars::MESSENGER_GRAPH_BASE),
            api_version: values.get(vars::MESSENGER_API_VERSION),
            page_access_token: values.get(vars::MESSENGER_PAGE_TOKEN),
            inbox_app_id: values
                .optional(vars::MESSENGER_INBOX_APP_ID)
                .filter(|id| !id.trim().is_empty()),
        },
    )
}

/// The profile lookup, from the sender's settings and outbound secrets.
pub fn profiles(values: &Values, deps: &SenderDeps) -> MessengerProfiles {
    MessengerProfiles {
        client: deps.client.clone(),
        config: sender(values, deps).config,
    }
}
