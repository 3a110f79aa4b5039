//! The table's side of "my data" and "forget me" typed in a chat
//! (`chatdrop_domain::personal_data`): the tags are the retailer's tag item
//! (`customer_tags.rs`), the erasure is [`DynamoStore::erase_records`] (`consent.rs`).

use crate::DynamoStore;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::consent::PersonKey;
use chatdrop_domain::personal_data::PersonalData;
use chatdrop_domain::ports::PortError;
use std::collections::BTreeSet;

impl PersonalData for DynamoStore {
    async fn tags(&self, conversation: &ConversationId) -> Result<BTreeSet<String>, PortError> {
        self.tags_of(conversation).await
    }

    async fn erase(
        &self,
        conversation: &ConversationId,
        person: Option<&PersonKey>,
    ) -> Result<(), PortError> {
        let forgotten = self.erase_records(conversation, person).await?;
        // Counts only: what was erased, never whose.
        tracing::info!(
            channel = %conversation.channel,
            consent_items = forgotten.consent_items,
            person_entries_scrubbed = forgotten.person_entries_scrubbed,
            orders_pseudonymized = forgotten.orders_pseudonymized,
            tags = forgotten.tags,
            kakao_link = forgotten.kakao_link,
            "customer forgotten at their request"
        );
        Ok(())
    }
}
