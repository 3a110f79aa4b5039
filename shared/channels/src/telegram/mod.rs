//! Telegram Bot API adapter.
//!
//! **Inbound.** Telegram does not sign its webhook bodies. Instead, `setWebhook` registers a
//! `secret_token` and Telegram echoes it in `X-Telegram-Bot-Api-Secret-Token` on every call; that
//! header is the only thing telling Telegram apart from anyone else who found the URL, so it is
//! checked, in constant time, before the body is read.
//!
//! Each request carries one `Update`, whose `update_id` is the event's identity. chatdrop is a
//! one-to-one shop, so only private chats are served: a bot added to a group would otherwise
//! answer everyone in it. A tap on an inline button arrives as a `callback_query` whose id must
//! be answered (`answerCallbackQuery`), or the customer's button keeps spinning; the id travels
//! as the message's `ack` and the delivery answers it before the replies go out.
//!
//! A shared contact is a phone number the customer *chose to send*, and it may be anybody's.
//! It is accepted as the customer's own only when Telegram says the contact is the sender
//! (`contact.user_id == from.id`), which is what the request-contact keyboard button produces.
//!
//! **Outbound.** [`render()`] maps a [`Reply`] to Bot API calls. Choices become an inline keyboard,
//! one button per row so long titles stay readable. `callback_data` is limited to 64 *bytes*;
//! a choice whose payload does not fit is never sent truncated (the tap would come back as a
//! payload we never issued) but listed as a numbered line the customer can type instead.
//!
//! **Failures** come back as `{"ok":false,"error_code":…,"parameters":{"retry_after":…}}`;
//! [`classify`] tells "slow down" (429) from "never" (blocked, bad request) from "ops must fix"
//! (a bad token answers 401/404, and those messages are kept for a redrive).
//!
//! The adapter is three parts, each beside its tests: `inbound.rs` (the secret token and the
//! `Update` parsing), `render.rs` (the limits and the Bot API calls a reply becomes) and
//! `send.rs` (making those calls, answering callback queries, classifying failures); this file
//! holds the configuration and what the registry builds from it.
//!
//! [`Reply`]: chatdrop_domain::reply::Reply

mod inbound;
mod render;
mod send;

pub use render::{Call, LIMITS, Limits, render};
pub use send::classify;

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct TelegramConfig {
    pub secret_token: String,
}

/// Telegram's webhook: checks the secret token, then reads the `Update`.
pub struct TelegramWebhook {
    pub config: TelegramConfig,
}

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct TelegramSendConfig {
    pub api_base: String,
    pub bot_token: String,
}

/// Telegram's sender: one Bot API call per rendered message, and the callback-query answers.
pub struct TelegramSender {
    pub client: reqwest::Client,
    pub config: TelegramSendConfig,
}

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::TELEGRAM`]).
pub fn webhook(values: &Values) -> TelegramWebhook {
    TelegramWebhook::new(TelegramConfig {
        secret_token: values.get(vars::TELEGRAM_SECRET_TOKEN),
    })
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> TelegramSender {
    TelegramSender::new(
        deps.client.clone(),
        TelegramSendConfig {
            api_base: values.get(vars::TELEGRAM_API_BASE),
            bot_token: values.get(vars::TELEGRAM_BOT_TOKEN),
        },
    )
}
