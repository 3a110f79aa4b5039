//! The channel registry's code half: builds the adapters of the enabled channels.
//!
//! The facts about each platform (secrets, settings, pace, window, whether its ids are phones)
//! are data in `chatdrop_domain::channel_spec`. This module is where a channel's name meets its
//! code: given the values of the settings and secrets its spec lists, it builds the channel's
//! [`Webhook`] (for `ingress`) or its [`Outbound`] sender (for `notify`). The two functions
//! below match on every [`Channel`], so the compiler names the one place a new channel's
//! adapter must be added.
//!
//! Functions never build an adapter by hand: they load the config and secrets, then call
//! [`webhook`] or [`sender`] for the channels the deployment serves.

use crate::outbound::Outbound;
use crate::{Webhook, kakao, line, messenger, sms, telegram, wechat, whatsapp};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::clock::Clock;
use chatdrop_domain::ports::TokenCache;
use std::collections::HashMap;
use std::sync::Arc;

/// One channel's settings and secrets by variable name (`CHATDROP_…`), as its spec lists them.
#[derive(Debug, Default, Clone)]
pub struct Values(HashMap<&'static str, String>);

impl Values {
    pub fn new(values: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        Values(values.into_iter().collect())
    }

    /// A value the config required (a required setting, a loaded secret); empty if absent,
    /// which every adapter refuses to verify or authenticate with.
    pub(crate) fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// A setting the spec marks optional.
    pub(crate) fn optional(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// What a sender is built with besides its values: the one HTTP client whose connection pools
/// every platform shares, and the token cache and clock for platforms whose access tokens
/// expire (WeChat).
pub struct SenderDeps {
    pub client: reqwest::Client,
    pub tokens: Arc<dyn TokenCache>,
    /// What time it is, for platforms whose tokens expire.
    pub clock: Arc<dyn Clock>,
}

/// The webhook of `channel`, from its inbound secrets.
pub fn webhook(channel: Channel, values: &Values) -> Box<dyn Webhook> {
    match channel {
        Channel::Whatsapp => Box::new(whatsapp::webhook(values)),
        Channel::Telegram => Box::new(telegram::webhook(values)),
        Channel::Messenger => Box::new(messenger::webhook(values)),
        Channel::Line => Box::new(line::webhook(values)),
        Channel::Wechat => Box::new(wechat::webhook(values)),
        Channel::Sms => Box::new(sms::webhook(values)),
        Channel::Kakao => Box::new(kakao::webhook(values)),
    }
}

/// The sender of `channel`, from its settings and outbound secrets.
pub fn sender(channel: Channel, values: &Values, deps: &SenderDeps) -> Box<dyn Outbound> {
    match channel {
        Channel::Whatsapp => Box::new(whatsapp::sender(values, deps)),
        Channel::Telegram => Box::new(telegram::sender(values, deps)),
        Channel::Messenger => Box::new(messenger::sender(values, deps)),
        Channel::Line => Box::new(line::sender(values, deps)),
        Channel::Wechat => Box::new(wechat::sender(values, deps)),
        Channel::Sms => Box::new(sms::sender(values, deps)),
        Channel::Kakao => Box::new(kakao::sender(values, deps)),
    }
}
