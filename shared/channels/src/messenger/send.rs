//! Messenger's sender: each rendered message posted to the Send API as its own request, and
//! the Graph error codes that say what a failure means.
//!
//! The Page access token travels in the query string (`?access_token=`); `crate::http_send`
//! strips the URL from every transport error, so the token cannot reach a log line or an error
//! text.

use super::render::render;
use super::{MessengerSendConfig, MessengerSender};
use crate::http_send;
use crate::meta::{self, ErrorCodes};
use crate::outbound::{Outbound, SendFuture};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, Sent};
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::time::Duration;

/// The message tag order updates carry outside the window. Meta deprecates tags from time to
/// time (several went in 2020): re-check the current list before relying on this one.
pub const ORDER_UPDATE_TAG: &str = "POST_PURCHASE_UPDATE";

/// The tag a person's reply carries between 24 hours and 7 days after the customer's last
/// message: <https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags>.
pub const HUMAN_AGENT_TAG: &str = "HUMAN_AGENT";

/// The Send API request body: who, under which messaging type, what.
fn envelope(psid: &str, mode: SendMode, message: Value) -> Value {
    match mode {
        SendMode::Session => json!({
            "recipient": { "id": psid },
            "messaging_type": "RESPONSE",
            "message": message,
        }),
        SendMode::OrderUpdate => json!({
            "recipient": { "id": psid },
            "messaging_type": "MESSAGE_TAG",
            "tag": ORDER_UPDATE_TAG,
            "message": message,
        }),
        // Only ever chosen for a bundle a person wrote (`delivery::sending_mode`).
        SendMode::HumanAgent => json!({
            "recipient": { "id": psid },
            "messaging_type": "MESSAGE_TAG",
            "tag": HUMAN_AGENT_TAG,
            "message": message,
        }),
    }
}

impl MessengerSender {
    pub fn new(client: reqwest::Client, config: MessengerSendConfig) -> Self {
        MessengerSender { client, config }
    }
}

impl Outbound for MessengerSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::MESSENGER
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        let config = &self.config;
        let token: String =
            url::form_urlencoded::byte_serialize(config.page_access_token.as_bytes()).collect();
        let url = format!(
            "{}?access_token={token}",
            meta::messages_url(&config.graph_base, &config.api_version, "me")
        );
        let c = out.conversation();
        let bodies: Vec<Value> = out
            .replies
            .iter()
            .flat_map(|r| render(out.lang(), r))
            .map(|message| envelope(&c.customer, out.mode, message))
            .collect();
        // Every message in order; the first failure stops the rest.
        Box::pin(http_send::in_order(bodies, move |body| {
            let request = self.client.post(&url).json(&body);
            async move {
                let answer = http_send::call(request, c, "Messenger send", classify).await?;
                Ok(answer["message_id"].as_str().map(String::from))
            }
        }))
    }

    fn pass_to_person<'a>(
        &'a self,
        conversation: &'a ConversationId,
        metadata: &'a str,
    ) -> SendFuture<'a, bool> {
        self.pass(conversation, metadata)
    }

    fn take_back<'a>(&'a self, conversation: &'a ConversationId) -> SendFuture<'a, bool> {
        self.take(conversation)
    }
}

/// The Send API's error codes, by what a failure with each one means.
const CODES: ErrorCodes = ErrorCodes {
    // API-level throttling: application (4), user (17), page (32) and call-rate (613) limits.
    // Meta publishes no retry delay for these; a minute lets an hourly budget recover a little
    // without holding a Lambda long.
    rate_limited: &[
        (4, RATE_LIMIT_WAIT),
        (17, RATE_LIMIT_WAIT),
        (32, RATE_LIMIT_WAIT),
        (613, RATE_LIMIT_WAIT),
    ],
    permanent: &[
        (10, Some(2018278)),  // outside the messaging window and not a tagged update
        (10, Some(2018065)),  // the same, under its older subcode
        (10, Some(2018108)),  // this person isn't receiving messages from the Page right now
        (551, None),          // this person isn't available right now (they turned messages off)
        (100, Some(2018001)), // no matching user: a PSID of another Page, or a deleted account
    ],
    // Meta-side trouble (1, 2, 1200), or a token ops must rotate (190): the message is kept
    // for a redrive rather than dropped for a configuration mistake.
    transient: &[1, 2, 190, 1200],
    unknown_rate_limit_wait: RATE_LIMIT_WAIT,
};

const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Classifies a failed Send API call by its Graph error code and subcode; the HTTP status
/// decides only when the code is missing or not one we know.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    meta::classify::<IgnoredAny>(&CODES, status, body, retry_after)
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
