//! Which KakaoTalk chat a Kakao Login app user is.
//!
//! | item | pk | sk | TTL |
//! |---|---|---|---|
//! | link (`user`: the chatbot's botUserKey) | `KAKAOAPP#app user id` | `LINK` | 400 days, renewed |
//! | its way back (`app`: the app user id) | `CONV#kakao#botUserKey` | `KAKAOAPP` | 400 days, renewed |
//!
//! The Kakao Talk Channel add/block callback names the customer by app user id; the chat is
//! keyed by the bot's `botUserKey`. Skill requests of a bot linked to the app carry both, so the
//! `kakao` function writes this link as the customer chats and the callback reads it (see
//! `chatdrop_channels::kakao`). Plain puts: the same customer always maps to the same chat, so
//! rewriting them is harmless, and the renewed expiry keeps the link of anyone still chatting.
//!
//! "Forget me" must erase the link too: it names the person (their Kakao account) and ties
//! them to the chat. Erasure starts from the chat, so the link is written with its way back,
//! the chat's own `KAKAOAPP` item, put first: whenever a link exists, the chat can find it.
//! [`DynamoStore::forget_kakao_link`] deletes the link (only if it still names this chat),
//! then the way back, so an erasure cut short is finished by running it again.

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

fn back_key(chat: &ConversationId) -> Item {
    key(format!("CONV#{}", chat.key()), "KAKAOAPP".to_string())
}

impl DynamoStore {
    /// Records that `app_user_id` chats as `chat` (a KakaoTalk conversation), with the way
    /// back from the chat first.
    pub async fn link_kakao_app_user(
        &self,
        app_user_id: &str,
        chat: &ConversationId,
    ) -> Result<(), PortError> {
        let expires = n(self.now_secs() + LINK_TTL);
        let mut back = back_key(chat);
        back.insert("app".into(), s(app_user_id.to_string()));
        back.insert("expires_at".into(), expires.clone());
        self.put("put kakao link back", back).await?;
        let mut item = link_key(app_user_id);
        item.insert("user".into(), s(chat.customer.clone()));
        item.insert("expires_at".into(), expires);
        self.put("put kakao link", item).await
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

    /// Erases `chat`'s Kakao app-user link and its way back ("forget me"); whether a link was
    /// there. Deletes only a link that still names `chat`; running it again finds nothing.
    pub async fn forget_kakao_link(&self, chat: &ConversationId) -> Result<bool, PortError> {
        if chat.channel != Channel::Kakao {
            return Ok(false);
        }
        let back = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(back_key(chat)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get kakao link back", sdk_message(e)))?;
        let Some(AttributeValue::S(app)) = back.item.as_ref().and_then(|i| i.get("app")) else {
            return Ok(false);
        };
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(link_key(app)))
            .condition_expression("#user = :user")
            .expression_attribute_names("#user", "user")
            .expression_attribute_values(":user", s(chat.customer.clone()))
            .send()
            .await;
        let link = match deleted {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                false
            }
            Err(e) => return Err(PortError::new("forget kakao link", sdk_message(e))),
        };
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(back_key(chat)))
            .send()
            .await
            .map_err(|e| PortError::new("forget kakao link back", sdk_message(e)))?;
        Ok(link)
    }
}
