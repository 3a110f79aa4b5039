//! Which KakaoTalk chat a Kakao Login app user is.
//!
//! | item | pk | sk | TTL |
//! |---|---|---|---|
//! | link (`user`: the chatbot's botUserKey) | `KAKAOAPP#app user id` | `LINK` | 400 days, renewed |
//!
//! The Kakao Talk Channel add/block callback names the customer by app user id; the chat is
//! keyed by the bot's `botUserKey`. Skill requests of a bot linked to the app carry both, so the
//! `kakao` function writes this link as the customer chats and the callback reads it (see
//! `chatdrop_channels::kakao`). A plain put: the same customer always maps to the same chat, so
//! rewriting it is harmless, and the renewed expiry keeps the link of anyone still chatting.

use crate::orders::{Item, key};
use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::ports::PortError;

/// How long a link outlives the customer's last chat: longer than a year of silence, after
/// which a channel block has nobody to stop anyway.
const LINK_TTL: i64 = 400 * 24 * 3600;

fn link_key(app_user_id: &str) -> Item {
    key(format!("KAKAOAPP#{app_user_id}"), "LINK".to_string())
}

impl DynamoStore {
    /// Records that `app_user_id` chats as `chat` (a KakaoTalk conversation).
    pub async fn link_kakao_app_user(
        &self,
        app_user_id: &str,
        chat: &ConversationId,
    ) -> Result<(), PortError> {
        let mut item = link_key(app_user_id);
        item.insert("user".into(), s(chat.customer.clone()));
        item.insert("expires_at".into(), n(self.now_secs() + LINK_TTL));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| PortError::new("put kakao link", sdk_message(e)))?;
        Ok(())
    }

    /// The KakaoTalk chat of `app_user_id`, if the customer ever chatted with a linked bot.
    pub async fn kakao_chat_of(
        &self,
        app_user_id: &str,
    ) -> Result<Option<ConversationId>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(link_key(app_user_id)))
            .send()
            .await
            .map_err(|e| PortError::new("get kakao link", sdk_message(e)))?;
        Ok(out.item.and_then(|item| match item.get("user") {
            Some(AttributeValue::S(user)) => Some(ConversationId::new(Channel::Kakao, user)),
            _ => None,
        }))
    }
}
