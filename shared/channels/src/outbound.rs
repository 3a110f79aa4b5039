//! The outbound side of every adapter: one trait, and the set of enabled senders behind it.
//!
//! Each platform's sender implements [`Outbound`]; [`Senders`] holds the enabled ones by
//! channel and is what the domain's `deliver` sees (`ChannelSender`), adding the one thing no
//! single sender can do: pacing every notify instance together under the platform's rate.
//!
//! The trait is object-safe (boxed futures, as the domain's `TokenCache` port is), so the
//! registry can hold `Box<dyn Outbound>` for whichever channels a deployment enables, and a
//! new platform is one more implementation rather than one more field and match arm in every
//! place that sends. It follows the shape of Rasa's output channels and Chatwoot's provider
//! base service: one interface per platform, defaults for what most platforms do the same
//! way (no acknowledgement, one reply per call, the window from the registry), and each
//! platform overriding only where it differs.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::channel_spec::ChannelSpec;
use chatdrop_domain::delivery::{
    ChannelSender, Outgoing, SendFailure, SendMode, SendingRules, Sent,
};
use chatdrop_domain::ports::{PortError, SendRate, SendThrottle};
use chatdrop_domain::reply::Reply;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A platform call's future.
pub type SendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SendFailure>> + Send + 'a>>;

/// Sends to one platform.
pub trait Outbound: Send + Sync {
    /// The platform's registry entry: its name, window and pace.
    fn spec(&self) -> &'static ChannelSpec;

    /// The platform's sending rules; the registry's, unless configuration narrows them.
    fn rules(&self) -> SendingRules {
        self.spec().sending
    }

    /// How `replies` are grouped into platform calls (see `ChannelSender::batches`): one reply
    /// per call unless the platform counts messages or takes several per call.
    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        let _ = mode;
        vec![1; replies.len()]
    }

    /// Acknowledges a platform token (Telegram's callback query) so the client stops waiting;
    /// nothing to do on platforms without one.
    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> SendFuture<'a, ()> {
        let _ = (conversation, token);
        Box::pin(async { Ok(()) })
    }

    /// Sends one group of replies, returning the platform's message ids.
    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent>;

    /// Sends one group of replies to many of the platform's users in one call (LINE's
    /// multicast), `to` being their user ids, every attempt at it under the same idempotency
    /// key. A platform without such a call refuses it.
    fn multicast<'a>(&'a self, out: &'a Outgoing<'_>, to: &'a [String]) -> SendFuture<'a, Sent> {
        let _ = (out, to);
        let channel = self.spec().channel;
        Box::pin(async move {
            Err(SendFailure::Permanent {
                code: None,
                detail: format!("{channel} has no multicast"),
            })
        })
    }

    /// How many platform messages `send` makes of `out` (see `ChannelSender::messages`): one
    /// per reply unless the adapter renders a reply as several.
    fn messages(&self, out: &Outgoing<'_>) -> usize {
        out.replies.len()
    }

    /// Gives the conversation's thread to the platform's own inbox for people, where the
    /// platform has a protocol for it and the retailer configured one (Messenger's handover
    /// protocol): `true` if a call was made. `metadata` says why, for the inbox. Elsewhere a
    /// person answers from the console through `send`, and there is nothing to pass.
    fn pass_to_person<'a>(
        &'a self,
        conversation: &'a ConversationId,
        metadata: &'a str,
    ) -> SendFuture<'a, bool> {
        let _ = (conversation, metadata);
        Box::pin(async { Ok(false) })
    }

    /// Takes the thread back from the platform's inbox when the bot has the conversation
    /// again: `true` if a call was made.
    fn take_back<'a>(&'a self, conversation: &'a ConversationId) -> SendFuture<'a, bool> {
        let _ = conversation;
        Box::pin(async { Ok(false) })
    }
}

/// The senders of every enabled channel, and the pace each platform takes.
#[derive(Default)]
pub struct Senders {
    senders: HashMap<Channel, Box<dyn Outbound>>,
    /// Where the send-rate windows are counted, shared by every instance; `None`: unpaced.
    throttle: Option<Arc<dyn SendThrottle>>,
    /// Per-channel messages per second overriding the registry's default pace (a WhatsApp
    /// number's tier, say).
    rates: HashMap<Channel, u32>,
}

impl Senders {
    pub fn new(senders: impl IntoIterator<Item = Box<dyn Outbound>>) -> Self {
        Senders {
            senders: senders.into_iter().map(|s| (s.spec().channel, s)).collect(),
            ..Senders::default()
        }
    }

    /// Paces every send through `throttle`, at the registry's rate or `overrides`' messages
    /// per second.
    pub fn paced(
        mut self,
        throttle: Arc<dyn SendThrottle>,
        overrides: impl IntoIterator<Item = (Channel, u32)>,
    ) -> Self {
        self.throttle = Some(throttle);
        self.rates = overrides.into_iter().collect();
        self
    }

    /// The enabled channels.
    pub fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        self.senders.keys().copied()
    }

    /// The pace for `channel`: the registry's, with the per-sender figure overridden.
    pub fn rate(&self, channel: Channel) -> SendRate {
        let default = channel.spec().default_rate;
        match self.rates.get(&channel) {
            Some(&per_second) => SendRate {
                per_second,
                ..default
            },
            None => default,
        }
    }

    /// The enabled sender of `channel`; also for the calls that are not sends (thread control).
    pub fn sender(&self, channel: Channel) -> Result<&dyn Outbound, SendFailure> {
        self.senders
            .get(&channel)
            .map(|s| s.as_ref())
            .ok_or_else(|| SendFailure::Permanent {
                code: None,
                detail: format!("channel {channel} is not configured in this deployment"),
            })
    }
}

impl ChannelSender for Senders {
    async fn acknowledge(&self, c: &ConversationId, token: &str) -> Result<(), SendFailure> {
        self.sender(c.channel)?.acknowledge(c, token).await
    }

    fn rules(&self, channel: Channel) -> SendingRules {
        self.sender(channel)
            .map(|s| s.rules())
            .unwrap_or(SendingRules::NO_WINDOW)
    }

    fn batches(&self, channel: Channel, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        match self.sender(channel) {
            Ok(s) => s.batches(replies, mode),
            Err(_) => vec![1; replies.len()],
        }
    }

    async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        self.sender(out.conversation().channel)?.send(out).await
    }

    fn messages(&self, out: &Outgoing<'_>) -> usize {
        match self.sender(out.conversation().channel) {
            Ok(s) => s.messages(out),
            Err(_) => out.replies.len(),
        }
    }

    async fn pace(&self, c: &ConversationId) -> Result<Option<Duration>, PortError> {
        let Some(throttle) = &self.throttle else {
            return Ok(None);
        };
        let rate = self.rate(c.channel);
        if let Some(delay) = throttle.admit(c.channel.as_str(), rate.per_second).await? {
            return Ok(Some(delay));
        }
        match rate.per_chat_per_second {
            Some(limit) => {
                let key = format!("{}#{}", c.channel, c.hashed());
                throttle.admit(&key, limit).await
            }
            None => Ok(None),
        }
    }
}
