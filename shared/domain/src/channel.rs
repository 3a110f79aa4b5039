//! Channels and conversations.
//!
//! A conversation is one customer on one channel. Its identity is the pair (channel, the
//! platform's id for the customer): a WhatsApp number's wa_id, a Telegram chat id. Those ids can
//! be phone numbers, so they never go into logs: [`ConversationId::hashed`] gives a stable,
//! keyed stand-in for log fields and queue group ids ([`crate::ids`]: without the key, not even
//! trying every number of a country recovers one).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A chat platform chatdrop speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Whatsapp,
    Telegram,
    Messenger,
    Line,
    Wechat,
    Sms,
    Viber,
    /// KakaoTalk through a Kakao i Open Builder skill: answered in the skill call's own HTTP
    /// response, not through notify.
    Kakao,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Whatsapp,
        Channel::Telegram,
        Channel::Messenger,
        Channel::Line,
        Channel::Wechat,
        Channel::Sms,
        Channel::Viber,
        Channel::Kakao,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Whatsapp => "whatsapp",
            Channel::Telegram => "telegram",
            Channel::Messenger => "messenger",
            Channel::Line => "line",
            Channel::Wechat => "wechat",
            Channel::Sms => "sms",
            Channel::Viber => "viber",
            Channel::Kakao => "kakao",
        }
    }

    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One customer on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConversationId {
    pub channel: Channel,
    /// The platform's id for the customer (wa_id, Telegram chat id, Messenger PSID, LINE user
    /// id, WeChat OpenID, the SMS sender's number, the Viber user id). May be a phone number.
    pub customer: String,
}

impl ConversationId {
    pub fn new(channel: Channel, customer: impl Into<String>) -> Self {
        ConversationId {
            channel,
            customer: customer.into(),
        }
    }

    /// The storage key: `whatsapp#5511987654321`.
    pub fn key(&self) -> String {
        format!("{}#{}", self.channel, self.customer)
    }

    /// A stable pseudonym for logs, queue group ids and stored `customer` attributes: 16 hex
    /// digits of HMAC-SHA-256 over the key, under the process's identifier key
    /// ([`ids::installed`](crate::ids::installed), which panics if the process installed none).
    /// Enough to follow one customer through the logs, useless to recover the number.
    pub fn hashed(&self) -> String {
        crate::ids::installed().conversation(self)
    }
}

/// First 16 hex digits of SHA-256: a compact, deterministic identifier of something public
/// (a shard choice, a bundle id). Not for anything a person could be found from: see [`crate::ids`].
pub fn short_hash(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    hex::encode(&digest[..8])
}

/// Full SHA-256 in hex: used where an identifier must fit a length limit but stay unique
/// (SQS deduplication ids allow 128 characters; platform message ids can be long).
pub fn full_hash(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_id_is_stable_and_hides_the_number() {
        let id = ConversationId::new(Channel::Whatsapp, "5511987654321");
        assert_eq!(id.hashed(), id.hashed());
        assert_eq!(id.hashed().len(), 16);
        assert!(!id.hashed().contains("5511987654321"));
        assert_ne!(
            id.hashed(),
            short_hash(&id.key()),
            "keyed, not the bare SHA-256"
        );
        let other = ConversationId::new(Channel::Telegram, "5511987654321");
        assert_ne!(id.hashed(), other.hashed());
    }

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
