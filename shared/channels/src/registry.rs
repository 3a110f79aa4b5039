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
//! [`webhook`] or [`sender`] for the channels the deployment serves, and the conversation
//! functions [`profiles`] for the channels whose profile API tells a customer's language.

use crate::outbound::Outbound;
use crate::{Webhook, kakao, line, messenger, sms, telegram, viber, wechat, whatsapp};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::clock::Clock;
use chatdrop_domain::ports::{CustomerProfiles, TokenCache};
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
        Channel::Viber => Box::new(viber::webhook(values)),
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
        Channel::Viber => Box::new(viber::sender(values, deps)),
        Channel::Kakao => Box::new(kakao::sender(values, deps)),
    }
}

/// The profile lookup of `channel`, from the same settings and outbound secrets as its sender;
/// `None` for a platform whose webhook already says the customer's language (Telegram's
/// `language_code`) or whose API has no profile language (WhatsApp, SMS).
pub fn profiles(
    channel: Channel,
    values: &Values,
    deps: &SenderDeps,
) -> Option<Box<dyn CustomerProfiles>> {
    match channel {
        Channel::Line => Some(Box::new(line::profiles(values, deps))),
        Channel::Messenger => Some(Box::new(messenger::profiles(values, deps))),
        Channel::Wechat => Some(Box::new(wechat::profiles(values, deps))),
        // Viber's callbacks carry the sender's `language` themselves.
        // A Kakao skill request carries no language, and Open Builder offers no profile lookup.
        Channel::Whatsapp | Channel::Telegram | Channel::Sms | Channel::Viber | Channel::Kakao => {
            None
        }
    }
}

/// Every profile lookup of `channels` (each with its outbound values, by variable name), on one
/// HTTP client of their own and the shared token cache: what a conversation function asks a new
/// customer's locale of. Channels without a profile API answer "unknown".
pub fn profile_lookups(
    channels: Vec<(Channel, Vec<(&'static str, String)>)>,
    tokens: Arc<dyn TokenCache>,
) -> Arc<dyn CustomerProfiles> {
    let deps = SenderDeps {
        // Each lookup has its own shorter limit (`profiles::PROFILE_TIMEOUT`).
        client: crate::http_client(std::time::Duration::from_secs(10)),
        tokens,
        clock: chatdrop_domain::clock::system(),
    };
    Arc::new(crate::Profiles::new(channels.into_iter().filter_map(
        |(channel, values)| {
            profiles(channel, &Values::new(values), &deps).map(|lookup| (channel, lookup))
        },
    )))
}
