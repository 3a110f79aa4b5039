//! Messenger's handover protocol: passing a conversation's thread to the Page's inbox for
//! people, and taking it back.
//!
//! A Page can have several apps; the handover protocol decides which one owns a thread
//! (<https://developers.facebook.com/docs/messenger-platform/handover-protocol/>). When the
//! retailer names an inbox app (`CHATDROP_MESSENGER_INBOX_APP_ID`: Meta's Page Inbox is
//! `263902037430900`, or a helpdesk app subscribed to the Page), a conversation handed to a
//! person is passed to it, so the Page's people answer it where they already work, and taken
//! back when the bot has it again:
//!
//! ```text
//!  handoff: notify, after the bundle "a person will answer …" (bundle.handoff)
//!     POST /{version}/me/pass_thread_control  {recipient: {id: PSID}, target_app_id, metadata}
//!  hand back: console, sweep ─▶ handoff::hand_back queues a bundle with take_back ─▶ notify
//!     POST /{version}/me/take_thread_control  {recipient: {id: PSID}, metadata}
//!  messaging_handovers webhook (inbound.rs, read against CHATDROP_MESSENGER_APP_ID):
//!     pass_thread_control, new_owner_app_id = ours      ─▶ InboxGaveBack: back to the bot
//!     take_thread_control, previous_owner_app_id = ours ─▶ InboxTook: a person's (taken_over)
//!  standby webhook, while another app owns the thread (inbound.rs):
//!     the customer's message (or a postback's title)    ─▶ Overheard: thread only, no answer
//!     an echo, app_id not ours (a person in the inbox)  ─▶ InboxReplied: agent activity
//!     (all followed by the catalog function: chatdrop_domain::handoff::follow_inbox)
//! ```
//!
//! Pass thread control: <https://developers.facebook.com/docs/messenger-platform/handover-protocol/pass-thread-control>;
//! take thread control and the conversation-control guide:
//! <https://developers.facebook.com/docs/messenger-platform/handover-protocol/conversation-control>;
//! the webhook events: <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_handovers>,
//! <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/standby>
//! and the echoes' `app_id`:
//! <https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes>.
//! The calls answer `{"success": true}`; failures carry the Graph error object the Send API's
//! do, read by the same codes (`send.rs`). Meta says Conversation Routing will replace the
//! handover protocol; its pass and take calls are the same endpoints.

use super::MessengerSender;
use super::send::classify;
use crate::http_send;
use crate::outbound::SendFuture;
use chatdrop_domain::channel::ConversationId;
use serde_json::{Value, json};

/// What `metadata` carries: why the thread moved, for the inbox (Meta allows 1,000 characters).
const METADATA_LIMIT: usize = 1000;

/// The `pass_thread_control` request body.
pub(crate) fn pass_body(psid: &str, target_app_id: &str, metadata: &str) -> Value {
    json!({
        "recipient": { "id": psid },
        "target_app_id": target_app_id,
        "metadata": crate::truncate_chars(metadata, METADATA_LIMIT),
    })
}

/// The `take_thread_control` request body.
pub(crate) fn take_body(psid: &str, metadata: &str) -> Value {
    json!({
        "recipient": { "id": psid },
        "metadata": crate::truncate_chars(metadata, METADATA_LIMIT),
    })
}

impl MessengerSender {
    fn control_url(&self, call: &str) -> String {
        let config = &self.config;
        let token: String =
            url::form_urlencoded::byte_serialize(config.page_access_token.as_bytes()).collect();
        format!(
            "{}/{}/me/{call}?access_token={token}",
            config.graph_base.trim_end_matches('/'),
            config.api_version
        )
    }

    async fn control(
        &self,
        conversation: &ConversationId,
        call: &'static str,
        body: Value,
    ) -> Result<bool, chatdrop_domain::delivery::SendFailure> {
        let request = self.client.post(self.control_url(call)).json(&body);
        http_send::call(request, conversation, call, classify).await?;
        tracing::info!(call, "Messenger thread control");
        Ok(true)
    }

    pub(crate) fn pass<'a>(
        &'a self,
        conversation: &'a ConversationId,
        metadata: &'a str,
    ) -> SendFuture<'a, bool> {
        Box::pin(async move {
            let Some(target) = self.config.inbox_app_id.as_deref() else {
                return Ok(false);
            };
            let body = pass_body(&conversation.customer, target, metadata);
            self.control(conversation, "pass_thread_control", body)
                .await
        })
    }

    pub(crate) fn take<'a>(&'a self, conversation: &'a ConversationId) -> SendFuture<'a, bool> {
        Box::pin(async move {
            if self.config.inbox_app_id.is_none() {
                return Ok(false);
            }
            let body = take_body(&conversation.customer, "chatdrop: back to the bot");
            self.control(conversation, "take_thread_control", body)
                .await
        })
    }
}
