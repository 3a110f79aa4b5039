//! WeChat Official Account adapter (plaintext mode).
//!
//! **Inbound.** WeChat calls one URL two ways, and both carry `signature`, `timestamp` and
//! `nonce` in the query: the signature is the SHA-1 of the token we set in the console,
//! the timestamp and the nonce, sorted and concatenated. A GET is the console's server check and
//! is answered by echoing `echostr`; a POST carries one XML message or event.
//!
//! Plaintext mode's signature covers the query only, **not the body**: whoever captures one
//! signed URL can POST any XML with it. Two things bound that. The timestamp must be within
//! [`MAX_CLOCK_SKEW`] of our clock (WeChat's docs do not ask for it, but its retries all come
//! within a few seconds, so an honest request is never refused), which turns a captured URL
//! into a five-minute risk instead of a permanent one; and the queue's deduplication drops a
//! replayed message id. Safe mode (`msg_signature` plus AES over the body) would close the gap
//! and is the thing to switch to if that risk matters; it is out of scope here.
//!
//! The body is XML, the format with the worst history of parser attacks: external entities
//! read local files (XXE) and nested entities expand a kilobyte into gigabytes ("billion
//! laughs"). WeChat never sends a document type declaration, so any body with `<!DOCTYPE` or
//! `<!ENTITY` is refused before a parser sees it; `quick-xml` would not expand custom entities
//! anyway, but refusing costs nothing and does not depend on a parser's defaults staying safe.
//!
//! Each POST is one event. Messages carry a `MsgId`; events do not, and WeChat's documented
//! deduplication key for them is the sender plus `CreateTime`, so that (plus the event name) is
//! the `event_id`. Following the account is an opt-in, unfollowing an opt-out, a custom-menu
//! `CLICK` is the tap of a button whose payload is the menu key; anything else an account
//! receives (scans, location reports, template-send reports) is not the customer talking.
//!
//! **Acknowledgement.** WeChat waits five seconds for an answer and then retries, three times in
//! all. We answer `success` at once and send every reply through the customer-service API,
//! never as a passive reply in the HTTP response.
//!
//! **Outbound.** The customer-service API sends text to anyone who wrote within 48 hours, but
//! counts: the current rules allow five messages per customer message (older rules said 20).
//! So replies are *merged*: the sender's [`batches`](crate::Outbound::batches) groups
//! consecutive replies whose text fits one message ([`LIMITS`]), and each group goes out as one
//! message. WeChat has no buttons in a chat, so choices are numbered lines (the domain resolves
//! a typed number), links are the `<a href>` that WeChat text messages render, and an image is
//! its URL: an image message needs a `media_id` from a prior upload, which is a second API and
//! a second quota for little gain. Outside the window only template messages may be sent, and
//! those need a template approved for the account, so order updates outside the window are held
//! (the registry's [`WECHAT`](chatdrop_domain::channel_spec::WECHAT): a 48-hour window, no
//! updates after it).
//!
//! **The access token** is the awkward part. Each fetch invalidates the previous token (after a
//! short grace period) and the daily fetch quota is small, so one token is shared by every
//! function and warm instance, and fetched by one caller at a time (`token.rs`). A token the
//! API calls invalid (another deployment fetched a new one, ops rotated the secret) is dropped
//! and fetched again, once per send.
//!
//! **Failures** come back as `{"errcode":…,"errmsg":…}` in an HTTP **200**, so the status alone
//! says nothing; [`classify`] reads the code.
//!
//! **Where things are.** `inbound.rs` verifies and reads webhook calls ([`WechatWebhook`]),
//! `render.rs` turns replies into texts within [`LIMITS`] and packs them ([`render()`],
//! [`messages`]), `send.rs` posts them ([`WechatSender`], [`classify`]), and `token.rs` keeps
//! the access token. This file holds the configuration and the registry's entry points.

mod inbound;
mod profile;
mod render;
mod send;
#[cfg(test)]
mod testing;
mod token;

pub use inbound::{MAX_CLOCK_SKEW, WechatWebhook, signature};
pub use profile::WechatProfiles;
pub use render::{LIMITS, Limits, messages, render};
pub use send::{WechatSender, classify};

use crate::registry::{SenderDeps, Values};
use chatdrop_domain::channel_spec::vars;

#[derive(Clone)]
pub struct WechatConfig {
    /// The token set in the Official Account console (Basic configuration → Server).
    pub token: String,
}

#[derive(Clone)]
pub struct WechatSendConfig {
    /// `https://api.weixin.qq.com` in production.
    pub api_base: String,
    pub app_id: String,
    pub app_secret: String,
}

// Secrets stay out of debug output: a config printed in a log line must not leak them.
impl std::fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for WechatSendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatSendConfig")
            .field("api_base", &self.api_base)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::WECHAT`]).
pub fn webhook(values: &Values) -> WechatWebhook {
    WechatWebhook {
        config: WechatConfig {
            token: values.get(vars::WECHAT_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(values: &Values, deps: &SenderDeps) -> WechatSender {
    WechatSender::new(
        deps.client.clone(),
        WechatSendConfig {
            api_base: values.get(vars::WECHAT_API_BASE),
            app_id: values.get(vars::WECHAT_APP_ID),
            app_secret: values.get(vars::WECHAT_APP_SECRET),
        },
        deps.tokens.clone(),
    )
    .with_clock(deps.clock.clone())
}

/// The profile lookup, from the sender's settings and outbound secrets: a sender of its own,
/// sharing the access token through `deps.tokens`.
pub fn profiles(values: &Values, deps: &SenderDeps) -> WechatProfiles {
    WechatProfiles {
        sender: sender(values, deps),
    }
}
