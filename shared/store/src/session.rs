//! Sessions and processed-message markers: the conversation functions' state.

use crate::{DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::dialogue::Session;
use chatdrop_domain::drops::Drop;
use chatdrop_domain::ports::{CommitError, Effect, Marker, MarkerKey, PortError, SessionStore};
use std::collections::HashMap;

/// A cart survives two weeks of silence; then DynamoDB's TTL removes the session.
const SESSION_TTL: i64 = 14 * 24 * 3600;
/// Platforms redeliver for days; a month of markers covers every documented retry window.
const MARKER_TTL: i64 = 30 * 24 * 3600;

fn session_key(c: &ConversationId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(format!("CONV#{}", c.key()))),
        ("sk".to_string(), s("SESSION")),
    ])
}

fn marker_key(k: &MarkerKey) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            "pk".to_string(),
            s(format!("EVENT#{}#{}", k.handler.as_str(), k.identity)),
        ),
        ("sk".to_string(), s("MARKER")),
    ])
}

/// A stored marker: its effect (JSON) and whether it was dispatched.
fn marker_of(item: HashMap<String, AttributeValue>) -> Result<Marker, PortError> {
    let effect_json = match item.get("effect") {
        Some(AttributeValue::S(j)) => j,
        _ => return Err(PortError::new("get marker", "marker without effect")),
    };
    let effect: Effect =
        serde_json::from_str(effect_json).map_err(|e| PortError::new("decode marker", e))?;
    let done = matches!(item.get("done"), Some(AttributeValue::Bool(true)));
    Ok(Marker { effect, done })
}

fn port(operation: &'static str) -> impl Fn(String) -> PortError {
    move |m| PortError::new(operation, m)
}

impl DynamoStore {
    /// The items of a conversation's commit: the marker, created only if absent, and the
    /// session (when given) only if its stored version is still the one it was read at, with
    /// the handoff list's entry kept in step. One transaction writes them, alone
    /// ([`SessionStore::commit`]) or with a checkout's reservation (`reserve_and_commit`).
    pub(crate) fn commit_items(
        &self,
        c: &ConversationId,
        session: Option<&Session>,
        key: &MarkerKey,
        effect: &Effect,
    ) -> Result<Vec<TransactWriteItem>, PortError> {
        let now = self.now_secs();
        let effect_json =
            serde_json::to_string(effect).map_err(|e| PortError::new("encode effect", e))?;
        let mut marker = marker_key(key);
        marker.insert("effect".into(), s(effect_json));
        marker.insert("done".into(), AttributeValue::Bool(false));
        marker.insert("expires_at".into(), n(now + MARKER_TTL));
        let marker_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| PortError::new("build marker put", e))?;
        let mut items = vec![TransactWriteItem::builder().put(marker_put).build()];

        if let Some(session) = session {
            let mut item: HashMap<String, AttributeValue> =
                serde_dynamo::to_item(session).map_err(|e| PortError::new("encode session", e))?;
            item.extend(session_key(c));
            item.insert("expires_at".into(), n(now + SESSION_TTL));
            let previous = session.version.saturating_sub(1);
            let put = Put::builder().table_name(&self.table).set_item(Some(item));
            let put = if previous == 0 {
                put.condition_expression("attribute_not_exists(pk)")
            } else {
                put.condition_expression("version = :previous")
                    .expression_attribute_values(":previous", n(previous))
            };
            let put = put
                .build()
                .map_err(|e| PortError::new("build session put", e))?;
            items.push(TransactWriteItem::builder().put(put).build());
            // A session a person owns keeps its entry on the handoff list in step with it.
            if let Some(entry) = crate::handoff::entry_update(&self.table, c, session, now)? {
                items.push(entry);
            }
        }

        Ok(items)
    }
}

impl DynamoStore {
    /// One `BatchGetItem` of the marker, the session and `more` keys (strongly consistent, as
    /// the single reads are): the marker, the session and the other items found. `None` when
    /// DynamoDB left keys unprocessed (under load): the caller then reads one by one.
    async fn marker_session_with(
        &self,
        key: &MarkerKey,
        c: &ConversationId,
        more: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<
        Option<(
            Option<Marker>,
            Session,
            Vec<HashMap<String, AttributeValue>>,
        )>,
        PortError,
    > {
        let (marker_key, session_key) = (marker_key(key), session_key(c));
        let mut keys = vec![marker_key.clone(), session_key.clone()];
        keys.extend(more);
        let keys = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| PortError::new("build batch get", e))?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.table, keys)
            .send()
            .await
            .map_err(|e| PortError::new("get marker and session", sdk_message(e)))?;
        let unprocessed = out
            .unprocessed_keys
            .as_ref()
            .and_then(|u| u.get(&self.table))
            .is_some_and(|k| !k.keys.is_empty());
        if unprocessed {
            return Ok(None);
        }
        let items = out
            .responses
            .and_then(|mut r| r.remove(&self.table))
            .unwrap_or_default();
        let same = |item: &HashMap<String, AttributeValue>, k: &HashMap<String, AttributeValue>| {
            item.get("pk") == k.get("pk") && item.get("sk") == k.get("sk")
        };
        let mut marker = None;
        let mut session = Session::default();
        let mut rest = Vec::new();
        for item in items {
            if same(&item, &marker_key) {
                marker = Some(marker_of(item)?);
            } else if same(&item, &session_key) {
                session = serde_dynamo::from_item(item)
                    .map_err(|e| port("decode session")(e.to_string()))?;
            } else {
                rest.push(item);
            }
        }
        Ok(Some((marker, session, rest)))
    }
}

impl SessionStore for DynamoStore {
    async fn marker(&self, key: &MarkerKey) -> Result<Option<Marker>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(marker_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get marker", sdk_message(e)))?;
        out.item.map(marker_of).transpose()
    }

    async fn marker_and_session(
        &self,
        key: &MarkerKey,
        c: &ConversationId,
    ) -> Result<(Option<Marker>, Session), PortError> {
        let read = self.marker_session_with(key, c, Vec::new()).await?;
        match read {
            Some((marker, session, _)) => Ok((marker, session)),
            None => Ok((self.marker(key).await?, self.session(c).await?)),
        }
    }

    async fn marker_session_and_drops(
        &self,
        key: &MarkerKey,
        c: &ConversationId,
    ) -> Result<(Option<Marker>, Session, Option<Vec<Drop>>), PortError> {
        // The drops ride in the same read while this process's list of them is current
        // (`orders/drop_list.rs`); otherwise `drops_from` queries them.
        let read = self
            .marker_session_with(key, c, self.drop_list_keys())
            .await?;
        let (marker, session, rest, complete) = match read {
            Some((marker, session, rest)) => (marker, session, rest, true),
            None => (
                self.marker(key).await?,
                self.session(c).await?,
                Vec::new(),
                false,
            ),
        };
        let drops = self.drops_from(rest, complete).await?;
        Ok((marker, session, Some(drops)))
    }

    async fn session(&self, c: &ConversationId) -> Result<Session, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(session_key(c)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("get session", sdk_message(e)))?;
        match out.item {
            None => Ok(Session::default()),
            Some(item) => {
                serde_dynamo::from_item(item).map_err(|e| port("decode session")(e.to_string()))
            }
        }
    }

    async fn commit(
        &self,
        c: &ConversationId,
        session: Option<&Session>,
        key: &MarkerKey,
        effect: &Effect,
    ) -> Result<(), CommitError> {
        let items = self.commit_items(c, session, key, effect)?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                // A cancelled transaction here means a condition failed: the session moved on
                // or the marker exists. Either way the queue retries and the marker decides.
                Err(CommitError::Conflict)
            }
            Err(e) => Err(PortError::new("commit session", sdk_message(e)).into()),
        }
    }

    async fn mark_done(&self, key: &MarkerKey) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(marker_key(key)))
            .update_expression("SET done = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| PortError::new("mark done", sdk_message(e)))?;
        Ok(())
    }
}
