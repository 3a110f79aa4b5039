//! `DynamoStore` against DynamoDB as played by moto: the catalog, sessions with their
//! conditional versions, processed-message markers, the commit transaction and delivery
//! progress. Run through `cargo xtask test -p chatdrop-store`, which starts moto.
//!
//! Every test has its own table, so the tests run in parallel against one moto. Reads that must
//! see the table (not the store's warm catalog cache) go through a second `DynamoStore` on the
//! same table or through the raw client.
//!
//! One file per part of the store: `catalog.rs`, `sessions.rs`, `markers.rs` (with the commit
//! transaction) and `delivery.rs`; the raw-item helpers they share are here.

#[path = "../common/mod.rs"]
mod common;

mod catalog;
mod delivery;
mod markers;
mod sessions;

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::action::Handler;
use chatdrop_domain::cart::{Cart, CartLine};
use chatdrop_domain::catalog::{Catalog, CatalogError};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::customization::Selection;
use chatdrop_domain::delivery::{DeliveryLog, SendFailure};
use chatdrop_domain::dialogue::{DialogueState, Identity, Offered, Reachability, Session};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::language::LangSource;
use chatdrop_domain::ports::{CatalogSource, CommitError, Effect, Marker, MarkerKey, SessionStore};
use chatdrop_domain::reply::{Choice, Reply, ReplyBundle};
use chatdrop_store::{CatalogLoadError, DynamoStore};
use std::collections::HashMap;
use std::sync::Arc;

type Item = HashMap<String, AttributeValue>;

/// A second store on the same table: its catalog cache is cold, so it reads the table.
fn reader(store: &DynamoStore) -> DynamoStore {
    DynamoStore::new(store.client().clone(), store.table())
}

fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ])
}

async fn raw_item(store: &DynamoStore, pk: &str, sk: &str) -> Option<Item> {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(key(pk, sk)))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
}

/// Every item in the table (small test tables: one scan page is plenty, but follow pages).
async fn all_items(store: &DynamoStore) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return items,
        }
    }
}

fn s_attr<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v,
        other => panic!("attribute {name} is not a string: {other:?}"),
    }
}

fn n_attr(item: &Item, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().expect("number"),
        other => panic!("attribute {name} is not a number: {other:?}"),
    }
}

fn customer() -> ConversationId {
    ConversationId::new(Channel::Whatsapp, "5511987654321")
}

fn marker_key(handler: Handler, event: &str) -> MarkerKey {
    MarkerKey {
        handler,
        identity: format!("whatsapp#{event}"),
    }
}

fn session_at(version: u64, offered: &str) -> Session {
    Session {
        version,
        lang: Some(Lang::EN),
        offered: Offered::new(vec![offered.to_string()]),
        ..Session::default()
    }
}

fn reply_effect(c: &ConversationId, id: &str) -> Effect {
    Effect::Reply {
        bundle: ReplyBundle {
            id: id.into(),
            conversation: c.clone(),
            lang: Lang::JA,
            ack: Some("cbq-77".into()),
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies: vec![
                Reply::Text {
                    body: "ようこそ".into(),
                },
                Reply::Choices {
                    body: "Pick one".into(),
                    menu_label: "Menu".into(),
                    choices: vec![Choice {
                        id: "c:c:bags".into(),
                        title: "Bags".into(),
                        description: Some("Drop bags".into()),
                    }],
                },
                Reply::Image {
                    url: "https://cdn.chatdrop.example/drop-bag.jpg".into(),
                    caption: None,
                },
                Reply::Link {
                    body: "Pay here".into(),
                    label: "Pay".into(),
                    url: "https://shop.example/pay/1".into(),
                },
            ],
        },
    }
}
