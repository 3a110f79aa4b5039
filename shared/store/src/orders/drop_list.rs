//! The drops a checkout needs, in the checkout's first read.
//!
//! A checkout needs the open drops (windows, limits, the sold-out flags) before it plans the
//! order, and it reads its marker and its session first anyway, in one `BatchGetItem`. The drops
//! are the items of one partition (`DROPS`), which only a `Query` lists: a `BatchGetItem` takes
//! keys, not a key condition. So this process remembers which drops are not closed (their ids),
//! and the checkout's one `BatchGetItem` fetches the marker, the session and each remembered
//! drop item by its key: one round trip instead of two, the drop items read as fresh as the
//! `Query` read them (strongly consistent), status and sold-out flags included.
//!
//! What the remembered list cannot see is a drop it does not name: one created, or reopened,
//! since. So every write that changes which drops are not closed (`create_drop`,
//! `set_drop_status`) also adds 1 to a counter, `DROPLIST`/`GENERATION`, in the same
//! transaction, and the counter is one more key of the same `BatchGetItem`. The list is used
//! only when it was made at the generation just read; otherwise the drops are listed by the
//! `Query` as before (a second call), and the list is remembered under the generation read
//! *before* that query. A change between the two reads leaves the list remembered under an
//! older generation than the table's, so the next checkout queries again rather than trust a
//! list that may have missed it: a list is never older than the generation it is kept under.
//!
//! A table from before the counter has none: every checkout queries, as before, until the
//! first `drop create`, `drop open` or `drop close` writes it. A remembered drop missing from
//! the answer (drops are never deleted today) or keys left unprocessed (DynamoDB under load)
//! also fall back to the query. `tests/sale_calls.rs` holds a sale to its calls.

use super::keys::{Item, key};
use super::transact::{tx_update, update};
use crate::{DynamoStore, n};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chatdrop_domain::drops::{Drop, DropStatus};
use chatdrop_domain::ports::PortError;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

/// The most drops the checkout's read fetches by key: DynamoDB takes 100 keys in one
/// `BatchGetItem`, and the marker, the session and the counter take three. With more drops
/// open than this, the checkout queries them.
const MAX_REMEMBERED: usize = 97;

/// A list of drops: the generation it was made at, and the ids of the drops not closed.
type DropList = (i64, Vec<String>);

/// This process's list of drops, by table.
static DROP_LISTS: LazyLock<RwLock<HashMap<String, DropList>>> = LazyLock::new(Default::default);

fn generation_key() -> Item {
    key("DROPLIST", "GENERATION".to_string())
}

fn drop_key(id: &str) -> Item {
    key("DROPS", format!("DROP#{id}"))
}

/// The transaction item that moves the drops' generation on, for every write that changes
/// which drops are not closed.
pub(super) fn bump_generation(table: &str) -> Result<TransactWriteItem, PortError> {
    tx_update(
        table,
        update(generation_key(), "ADD generation :one").expression_attribute_values(":one", n(1)),
    )
}

impl DynamoStore {
    /// The keys a checkout's first read adds for its drops: the counter, then the remembered
    /// drops (whatever their generation: the answer says whether they are the list).
    pub(crate) fn drop_list_keys(&self) -> Vec<Item> {
        let lists = DROP_LISTS.read().unwrap_or_else(|e| e.into_inner());
        let remembered = lists.get(&self.table).map(|(_, ids)| ids.as_slice());
        std::iter::once(generation_key())
            .chain(remembered.unwrap_or_default().iter().map(|id| drop_key(id)))
            .collect()
    }

    /// The drops not closed, from the items the read of [`DynamoStore::drop_list_keys`]
    /// returned (`items`: the ones not the marker's or the session's) when the remembered list
    /// is current and the read `complete`; else from the drops `Query`, remembered for the
    /// next checkout under the generation read.
    pub(crate) async fn drops_from(
        &self,
        items: Vec<Item>,
        complete: bool,
    ) -> Result<Vec<Drop>, PortError> {
        let mut generation = None;
        let mut drop_items: HashMap<String, Item> = HashMap::new();
        for item in items {
            match (item.get("pk"), item.get("sk")) {
                (Some(AttributeValue::S(pk)), _) if pk == "DROPLIST" => {
                    generation = match item.get("generation") {
                        Some(AttributeValue::N(g)) => g.parse::<i64>().ok(),
                        _ => None,
                    };
                }
                (_, Some(AttributeValue::S(sk))) if sk.starts_with("DROP#") => {
                    let id = sk.trim_start_matches("DROP#").to_string();
                    drop_items.insert(id, item);
                }
                _ => {}
            }
        }
        let current = generation.filter(|_| complete).and_then(|generation| {
            let lists = DROP_LISTS.read().unwrap_or_else(|e| e.into_inner());
            let (at, ids) = lists.get(&self.table)?;
            (*at == generation && ids.iter().all(|id| drop_items.contains_key(id)))
                .then(|| ids.clone())
        });
        let Some(ids) = current else {
            let drops = self.open_drops().await?;
            self.remember_drops(if complete { generation } else { None }, &drops);
            return Ok(drops);
        };
        let mut drops = Vec::with_capacity(ids.len());
        for id in ids {
            let item = drop_items.remove(&id).expect("checked present above");
            drops.push(self.drop_of(item)?);
        }
        Ok(drops
            .into_iter()
            .filter(|d| d.status != DropStatus::Closed)
            .collect())
    }

    fn remember_drops(&self, generation: Option<i64>, drops: &[Drop]) {
        let mut lists = DROP_LISTS.write().unwrap_or_else(|e| e.into_inner());
        match generation {
            Some(generation) if drops.len() <= MAX_REMEMBERED => {
                let ids = drops.iter().map(|d| d.id.clone()).collect();
                lists.insert(self.table.clone(), (generation, ids));
            }
            _ => {
                lists.remove(&self.table);
            }
        }
    }
}
