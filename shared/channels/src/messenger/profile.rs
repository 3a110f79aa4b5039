//! The customer's locale from Messenger's User Profile API: `GET /{version}/{PSID}?fields=locale`
//! with the Page access token
//! (<https://developers.facebook.com/docs/messenger-platform/identity/user-profile>).
//!
//! The answer is `{"locale":"pt_BR","id":"<PSID>"}`. `locale` is one of the fields a Page gets
//! only with advanced access to the profile, so a Page without it gets a Graph error (or an
//! answer without the field): both leave the language to the other clues.

use super::MessengerSendConfig;
use crate::profiles::{fetch, non_empty};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::ports::{CustomerProfiles, ProfileError, ProfileFuture};
use serde::Deserialize;

/// Messenger's profile lookup, with the sender's client, Graph base, version and Page token.
pub struct MessengerProfiles {
    pub client: reqwest::Client,
    pub config: MessengerSendConfig,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    locale: Option<String>,
}

/// What a Graph error says, by code: its `message` may name the user, so it is left unread.
#[derive(Deserialize, Default)]
#[serde(default)]
struct GraphErrorBody {
    error: GraphError,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GraphError {
    code: Option<i64>,
    error_subcode: Option<i64>,
}

/// The locale in a profile answer, or the failure by status, Graph code and subcode.
pub(super) fn locale(status: u16, body: &[u8]) -> Result<Option<String>, ProfileError> {
    if !(200..300).contains(&status) {
        let error = serde_json::from_slice::<GraphErrorBody>(body)
            .unwrap_or_default()
            .error;
        let mut detail = format!("Messenger profile: HTTP {status}");
        if let Some(code) = error.code {
            detail.push_str(&format!(", Graph error {code}"));
        }
        if let Some(subcode) = error.error_subcode {
            detail.push_str(&format!("/{subcode}"));
        }
        return Err(ProfileError::Failed(detail));
    }
    let profile: Profile = serde_json::from_slice(body)
        .map_err(|e| ProfileError::Failed(format!("Messenger profile unreadable: {e}")))?;
    Ok(non_empty(profile.locale))
}

impl CustomerProfiles for MessengerProfiles {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        Box::pin(async move {
            let config = &self.config;
            let psid: String =
                url::form_urlencoded::byte_serialize(conversation.customer.as_bytes()).collect();
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("fields", "locale")
                .append_pair("access_token", &config.page_access_token)
                .finish();
            let url = format!(
                "{}/{}/{psid}?{query}",
                config.graph_base.trim_end_matches('/'),
                config.api_version
            );
            let answer = fetch(self.client.get(url)).await?;
            locale(answer.status, &answer.body)
        })
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
