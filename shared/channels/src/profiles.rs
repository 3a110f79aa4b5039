//! Customer profiles: what a platform's profile API says about a customer, starting with the
//! language their app is set to.
//!
//! Telegram sends the customer's `language_code` with every message; LINE, Messenger and
//! WeChat send none, but each answers a profile lookup by the customer's id:
//!
//! | platform | call | locale field |
//! |---|---|---|
//! | LINE | `GET /v2/bot/profile/{userId}` | `language`, BCP 47 (`th`, `zh-TW`), absent without the user's consent (<https://developers.line.biz/en/reference/messaging-api/#get-profile>) |
//! | Messenger | `GET /{version}/{PSID}?fields=locale` | `locale` (`pt_BR`), needs the page's advanced access (<https://developers.facebook.com/docs/messenger-platform/identity/user-profile>) |
//! | WeChat | `GET /cgi-bin/user/info?openid=…&lang=zh_CN` | `language` (`zh_CN`), only while subscribed (<https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html>) |
//!
//! Each platform's lookup sits in its folder (`profile.rs`) and implements the domain's
//! [`CustomerProfiles`] port for its own channel; [`Profiles`] holds the enabled ones and
//! answers "unknown" for every other channel. The domain asks once per conversation, on the
//! way to the first answer, so every lookup has [`PROFILE_TIMEOUT`]: a slow profile API costs
//! the customer less than a second and then the language comes from the other clues.
//!
//! A failure's text names the HTTP status and the platform's error code, never the platform's
//! message or the URL: both may carry the customer's id or the access token.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::ports::{CustomerProfiles, ProfileError, ProfileFuture};
use std::collections::HashMap;
use std::time::Duration;

/// The longest a profile lookup may take before the answer goes out without it.
pub const PROFILE_TIMEOUT: Duration = Duration::from_millis(800);

/// The profile lookups of the enabled channels.
#[derive(Default)]
pub struct Profiles {
    lookups: HashMap<Channel, Box<dyn CustomerProfiles>>,
}

impl Profiles {
    pub fn new(lookups: impl IntoIterator<Item = (Channel, Box<dyn CustomerProfiles>)>) -> Self {
        Profiles {
            lookups: lookups.into_iter().collect(),
        }
    }

    /// The channels whose customers' profiles are looked up.
    pub fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        self.lookups.keys().copied()
    }
}

impl CustomerProfiles for Profiles {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        match self.lookups.get(&conversation.channel) {
            Some(lookup) => lookup.locale(conversation),
            None => Box::pin(async { Ok(None) }),
        }
    }
}

/// What a profile API answered: the status and the raw body.
pub(crate) struct ProfileAnswer {
    pub status: u16,
    pub body: bytes::Bytes,
}

/// Sends a profile lookup within [`PROFILE_TIMEOUT`]; a transport error is told without its
/// URL (which carries the customer's id, and on Messenger and WeChat the token).
pub(crate) async fn fetch(request: reqwest::RequestBuilder) -> Result<ProfileAnswer, ProfileError> {
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            ProfileError::TimedOut
        } else {
            ProfileError::Failed(e.without_url().to_string())
        }
    };
    let response = request
        .timeout(PROFILE_TIMEOUT)
        .send()
        .await
        .map_err(failed)?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(failed)?;
    Ok(ProfileAnswer { status, body })
}

/// A locale as a platform spells it, or `None` for an empty one.
pub(crate) fn non_empty(locale: Option<String>) -> Option<String> {
    locale
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str);

    impl CustomerProfiles for Fixed {
        fn locale<'a>(&'a self, _: &'a ConversationId) -> ProfileFuture<'a> {
            let locale = self.0.to_string();
            Box::pin(async move { Ok(Some(locale)) })
        }
    }

    #[tokio::test]
    async fn each_channel_asks_its_own_lookup_and_the_others_know_nothing() {
        let profiles = Profiles::new([(Channel::Line, Box::new(Fixed("th")) as Box<_>)]);
        let line = ConversationId::new(Channel::Line, "U1");
        let sms = ConversationId::new(Channel::Sms, "+15551234567");
        assert_eq!(profiles.locale(&line).await, Ok(Some("th".into())));
        assert_eq!(profiles.locale(&sms).await, Ok(None));
    }

    #[tokio::test]
    async fn a_lookup_slower_than_the_limit_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // Accepts the connection and never answers.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let client = crate::http_client(Duration::from_secs(10));
        let started = std::time::Instant::now();
        let answer = fetch(client.get(format!("{base}/v2/bot/profile/U1"))).await;
        assert!(matches!(answer, Err(ProfileError::TimedOut)));
        let took = started.elapsed();
        assert!(
            took >= PROFILE_TIMEOUT && took < PROFILE_TIMEOUT * 3,
            "{took:?}"
        );
    }
}
