//! WhatsApp Cloud API adapter.
//!
//! **Inbound** (`inbound.rs`). Meta calls one webhook URL two ways. A GET is the subscription check
//! made when the webhook is configured: it proves we own the URL by echoing `hub.challenge`, but
//! only if the caller knows the verify token we chose, or anyone could point our endpoint at their
//! app. A POST carries notifications and is signed: `X-Hub-Signature-256` is HMAC-SHA256 of the raw
//! body under the app secret. The signature is checked on the bytes as received, before any
//! parsing, so an unauthenticated request never reaches the JSON parser. Messenger authenticates
//! the same way, so both use `crate::meta`.
//!
//! One POST can carry several entries, changes, messages and delivery statuses, and Meta redelivers
//! and reorders them freely; every one is returned in payload order with the platform's id as
//! `event_id`, and the queue deduplicates. The payload structs default every field, because Meta
//! adds fields and message types without notice and a new one must degrade to "unsupported", not to
//! a failed webhook that Meta keeps retrying.
//!
//! **Rendering** ([`render()`]) turns a channel-neutral [`Reply`](chatdrop_domain::reply::Reply)
//! into the richest message that fits WhatsApp's limits ([`LIMITS`]): up to three reply buttons,
//! else a list of up to ten rows, else numbered text, which always works because the domain accepts
//! a typed number for any offered choice. Rendering is pure so every limit is tested without a
//! network.
//!
//! **Sending** ([`WhatsappSender`]) posts each rendered part in order. Free-form messages may only
//! go out within 24 hours of the customer's last message (the window is in
//! `chatdrop_domain::channel_spec::WHATSAPP`); after it, an order update can only be an approved
//! template ([`OrderUpdateTemplate`]), and without one configured such updates are held for ops.
//!
//! **Failures** are classified by the Graph error code, not the HTTP status ([`classify`]): Meta
//! answers 400 both for "this recipient can never get this message" (131047, outside the 24-hour
//! window) and for "slow down" (130429), and retrying the first is as wrong as dropping the second.

mod inbound;
mod render;
mod send;

pub use render::{LIMITS, Limits, render};
pub use send::classify;

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct WhatsappConfig {
    pub app_secret: String,
    pub verify_token: String,
}

pub struct WhatsappWebhook {
    pub config: WhatsappConfig,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct WhatsappSendConfig {
    pub graph_base: String,
    pub api_version: String,
    pub phone_number_id: String,
    pub access_token: String,
    /// The approved template order updates use outside the 24-hour window; without one, such
    /// updates are held.
    pub order_update_template: Option<OrderUpdateTemplate>,
}

/// A pre-approved message template for order updates. Its body must take two text
/// parameters, in this order: the order number and a one-line summary of what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderUpdateTemplate {
    pub name: String,
    /// The template's language code as approved (`en_US`, `ja`).
    pub language: String,
}

pub struct WhatsappSender {
    pub client: reqwest::Client,
    pub config: WhatsappSendConfig,
}

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::WHATSAPP`]).
pub fn webhook(values: &Values) -> WhatsappWebhook {
    WhatsappWebhook::new(WhatsappConfig {
        app_secret: values.get(vars::WHATSAPP_APP_SECRET),
        verify_token: values.get(vars::WHATSAPP_VERIFY_TOKEN),
    })
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> WhatsappSender {
    let template = values
        .optional(vars::WHATSAPP_ORDER_TEMPLATE)
        .map(|name| OrderUpdateTemplate {
            name,
            language: values.get(vars::WHATSAPP_ORDER_TEMPLATE_LANG),
        });
    WhatsappSender::new(
        deps.client.clone(),
        WhatsappSendConfig {
            graph_base: values.get(vars::WHATSAPP_GRAPH_BASE),
            api_version: values.get(vars::WHATSAPP_API_VERSION),
            phone_number_id: values.get(vars::WHATSAPP_PHONE_NUMBER_ID),
            access_token: values.get(vars::WHATSAPP_ACCESS_TOKEN),
            order_update_template: template,
        },
    )
}
