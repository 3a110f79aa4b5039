//! The customer's language from LINE's profile API: `GET /v2/bot/profile/{userId}` with the
//! channel access token (<https://developers.line.biz/en/reference/messaging-api/#get-profile>).
//!
//! The answer's `language` is a BCP 47 tag (`th`, `ja`, `zh-TW`) and is absent when the user
//! has not consented to share it. A user who is not (or no longer) a friend gets 404.

use super::LineSendConfig;
use crate::profiles::{fetch, non_empty};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::ports::{CustomerProfiles, ProfileError, ProfileFuture};
use serde::Deserialize;

/// LINE's profile lookup, with the sender's client, base URL and token.
pub struct LineProfiles {
    pub client: reqwest::Client,
    pub config: LineSendConfig,
}

/// The part of LINE's profile chatdrop reads; `displayName`, `pictureUrl` and
/// `statusMessage` are left unread.
#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    language: Option<String>,
}

/// The locale in a profile answer; an error answer is told by its status alone (LINE's
/// `message` may quote the request).
pub(super) fn locale(status: u16, body: &[u8]) -> Result<Option<String>, ProfileError> {
    if !(200..300).contains(&status) {
        return Err(ProfileError::Failed(format!("LINE profile: HTTP {status}")));
    }
    let profile: Profile = serde_json::from_slice(body)
        .map_err(|e| ProfileError::Failed(format!("LINE profile unreadable: {e}")))?;
    Ok(non_empty(profile.language))
}

impl CustomerProfiles for LineProfiles {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        Box::pin(async move {
            let user: String =
                url::form_urlencoded::byte_serialize(conversation.customer.as_bytes()).collect();
            let url = format!(
                "{}/v2/bot/profile/{user}",
                self.config.api_base.trim_end_matches('/')
            );
            let answer = fetch(
                self.client
                    .get(url)
                    .bearer_auth(&self.config.channel_access_token),
            )
            .await?;
            locale(answer.status, &answer.body)
        })
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
