//! `DynamoStore` against DynamoDB as played by moto: the catalog, sessions with their
//! conditional versions, processed-message markers, the commit transaction and delivery
//! progress. Run through `cargo xtask test -p chatdrop-store`, which starts moto.
//!
//! Every test has its own table, so the tests run in parallel against one moto. Reads that must
//! see the table (not the store's warm catalog cache) go through a second `DynamoStore` on the
//! same table or through the raw client.

mod common;

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

fn sample_catalog() -> Catalog {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cli/catalogs/sample.toml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    toml::from_str(&text).expect("the sample catalog parses")
}

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

// ---------------------------------------------------------------------------------------------
// Catalog

#[tokio::test]
async fn catalog_round_trip_keeps_the_seed_and_its_product_order() {
    let store = common::fresh_store("catalog_round_trip").await;
    let sample = sample_catalog();
    let ids: Vec<&str> = sample.products.iter().map(|p| p.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_ne!(
        ids, sorted,
        "the sample's order must differ from key order, or this test proves nothing about order"
    );

    let err = store
        .catalog()
        .await
        .expect_err("an empty table has no catalog");
    assert!(err.message.contains("no catalog loaded"), "{err}");

    let written = store.replace_catalog(&sample).await.expect("load sample");
    assert_eq!(
        written,
        1 + sample.products.len(),
        "header + one item per product"
    );

    let cached = store.catalog().await.expect("catalog");
    assert_eq!(*cached, sample);
    let read = reader(&store)
        .catalog()
        .await
        .expect("catalog from the table");
    assert_eq!(*read, sample, "what the table holds decodes to the seed");
    let read_ids: Vec<&str> = read.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(read_ids, ids);

    // The layout of catalog.rs: the pointer, and one header and one item per product under
    // the version it points to.
    let items = all_items(&store).await;
    assert_eq!(items.len(), 1 + 1 + sample.products.len());
    let pointer = raw_item(&store, "CATALOG", "CURRENT")
        .await
        .expect("the pointer");
    assert_eq!(n_attr(&pointer, "version"), 1);
    assert_eq!(n_attr(&pointer, "products"), sample.products.len() as i64);
    assert!(
        items
            .iter()
            .filter(|i| s_attr(i, "sk") != "CURRENT")
            .all(|i| s_attr(i, "pk") == "CATALOG#v1")
    );
    let product = raw_item(&store, "CATALOG#v1", "PRODUCT#drop-bag")
        .await
        .expect("drop-bag item");
    assert_eq!(n_attr(&product, "price"), 12_000);
    assert_eq!(n_attr(&product, "position"), 0);
}

#[tokio::test]
async fn replacing_with_a_catalog_missing_a_product_deletes_it() {
    let store = common::fresh_store("catalog_replace_deletes").await;
    let sample = sample_catalog();
    store.replace_catalog(&sample).await.expect("load sample");
    // Warm the cache, so the replacement must also invalidate it.
    assert_eq!(*store.catalog().await.unwrap(), sample);

    let mut smaller = sample.clone();
    smaller.products.retain(|p| p.id != "drop-bag");
    smaller.products[0].price += 100;
    assert_eq!(smaller.products.len(), sample.products.len() - 1);
    let written = store.replace_catalog(&smaller).await.expect("replace");
    assert_eq!(written, 1 + smaller.products.len(), "a whole new version");

    assert_eq!(
        *store.catalog().await.unwrap(),
        smaller,
        "cache invalidated"
    );
    assert_eq!(*reader(&store).catalog().await.unwrap(), smaller);
    assert!(
        raw_item(&store, "CATALOG#v2", "PRODUCT#drop-bag")
            .await
            .is_none(),
        "the dropped product is not in the new version"
    );
    assert!(
        raw_item(&store, "CATALOG#v1", "PRODUCT#drop-bag")
            .await
            .expect("the old version stays readable for a while")
            .contains_key("expires_at"),
        "and is deleted by the table's TTL"
    );
    assert_eq!(live_items(&store).await, 1 + 1 + smaller.products.len());
}

/// Items without the TTL attribute: the pointer and the live version.
async fn live_items(store: &DynamoStore) -> usize {
    all_items(store)
        .await
        .iter()
        .filter(|i| !i.contains_key("expires_at"))
        .count()
}

#[tokio::test]
async fn an_invalid_catalog_is_rejected_and_nothing_is_written() {
    let store = common::fresh_store("catalog_invalid").await;
    let mut bad = sample_catalog();
    bad.products[2].id = "Logo Cap!".into();

    match store.replace_catalog(&bad).await {
        Err(CatalogLoadError::Invalid(CatalogError::BadId(id))) => assert_eq!(id, "Logo Cap!"),
        other => panic!("expected BadId, got {other:?}"),
    }
    assert!(
        all_items(&store).await.is_empty(),
        "nothing written to an empty table"
    );

    // Over a loaded catalog, a rejected one leaves the loaded one intact.
    let sample = sample_catalog();
    store.replace_catalog(&sample).await.expect("load sample");
    let before = all_items(&store).await.len();
    let mut unknown_category = sample.clone();
    unknown_category.products[0].category = "shoes".into();
    unknown_category.products.truncate(1);
    assert!(matches!(
        store.replace_catalog(&unknown_category).await,
        Err(CatalogLoadError::Invalid(
            CatalogError::UnknownCategory { .. }
        ))
    ));
    assert!(matches!(
        store.replace_catalog(&bad).await,
        Err(CatalogLoadError::Invalid(CatalogError::BadId(_)))
    ));
    assert_eq!(all_items(&store).await.len(), before);
    assert_eq!(*reader(&store).catalog().await.unwrap(), sample);
}

#[tokio::test]
async fn a_catalog_larger_than_a_batch_and_a_query_page_round_trips() {
    let store = common::fresh_store("catalog_large").await;
    let sample = sample_catalog();
    // 60 products of ~25 KB: 61 writes (three BatchWriteItem calls of at most 25) and ~1.5 MB,
    // more than one 1 MB query page. Listed in reverse key order, so the order is restored
    // across pages.
    let template = sample.product("canvas-tote").expect("canvas-tote").clone();
    let mut large = sample.clone();
    large.products = (0..60)
        .rev()
        .map(|i| {
            let mut p = template.clone();
            p.id = format!("p-{i:02}");
            p.price = 1_000 + i;
            p.description.insert(
                chatdrop_domain::lang::Lang::EN,
                format!("{i:02} {}", "x".repeat(25_000)),
            );
            p
        })
        .collect();
    large.validate().expect("valid");

    let written = store.replace_catalog(&large).await.expect("load large");
    assert_eq!(written, 61);
    let page = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("CATALOG#v1".into()))
        .send()
        .await
        .expect("query");
    assert!(
        page.last_evaluated_key.is_some(),
        "the catalog must span more than one query page for this test to mean anything"
    );
    assert_eq!(*reader(&store).catalog().await.unwrap(), large);

    // Down to five products: a new version of 1 header + 5 products; the old one retired.
    let mut small = large.clone();
    small.products.truncate(5);
    assert_eq!(store.replace_catalog(&small).await.expect("shrink"), 6);
    assert_eq!(*reader(&store).catalog().await.unwrap(), small);
    assert_eq!(live_items(&store).await, 1 + 6);
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn session_versions_are_conditional() {
    let store = common::fresh_store("session_versions").await;
    let c = customer();
    let fresh = store.session(&c).await.expect("session");
    assert_eq!(fresh, Session::default());
    assert_eq!(fresh.version, 0);

    let v1 = session_at(1, "first");
    store
        .commit(
            &c,
            Some(&v1),
            &marker_key(Handler::Catalog, "m1"),
            &Effect::Nothing,
        )
        .await
        .expect("version 1 on a fresh conversation");
    assert_eq!(store.session(&c).await.unwrap(), v1);

    // A second writer that also read version 0 loses, and changes nothing.
    let stale = session_at(1, "stale");
    let err = store
        .commit(
            &c,
            Some(&stale),
            &marker_key(Handler::Catalog, "m2"),
            &Effect::Nothing,
        )
        .await
        .expect_err("stale version 1");
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    assert_eq!(
        store.session(&c).await.unwrap(),
        v1,
        "stored session unchanged"
    );

    let v2 = session_at(2, "second");
    store
        .commit(
            &c,
            Some(&v2),
            &marker_key(Handler::Catalog, "m3"),
            &Effect::Nothing,
        )
        .await
        .expect("version 2 over version 1");
    assert_eq!(store.session(&c).await.unwrap(), v2);

    // Skipping a version is a conflict too: version 4 requires a stored 3.
    let skipped = session_at(4, "skipped");
    let err = store
        .commit(
            &c,
            Some(&skipped),
            &marker_key(Handler::Catalog, "m4"),
            &Effect::Nothing,
        )
        .await
        .expect_err("version 4 over version 2");
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    assert_eq!(store.session(&c).await.unwrap(), v2);

    // Another conversation is untouched by all of this.
    let other = ConversationId::new(Channel::Telegram, "5511987654321");
    assert_eq!(store.session(&other).await.unwrap(), Session::default());
}

#[tokio::test]
async fn a_customizing_session_with_a_cart_round_trips_exactly() {
    let store = common::fresh_store("session_round_trip").await;
    let c = ConversationId::new(Channel::Telegram, "424242");
    let session = Session {
        state: DialogueState::Customizing {
            product: "drop-bag".into(),
            selections: vec![
                Selection::Option {
                    group: "colour".into(),
                    option: "red".into(),
                },
                Selection::Skipped {
                    group: "charm".into(),
                },
                Selection::Text {
                    group: "engraving".into(),
                    text: "ANA & CO".into(),
                },
            ],
        },
        cart: Cart {
            lines: vec![
                CartLine {
                    id: "l1".into(),
                    product: "drop-bag".into(),
                    selections: vec![
                        Selection::Option {
                            group: "colour".into(),
                            option: "black".into(),
                        },
                        Selection::Option {
                            group: "strap".into(),
                            option: "chain".into(),
                        },
                    ],
                    unit_price: 16_000,
                    quantity: 2,
                },
                CartLine {
                    id: "l3".into(),
                    product: "sticker-pack".into(),
                    selections: vec![],
                    unit_price: 600,
                    quantity: 10,
                },
            ],
            next_line: 3,
        },
        lang: Some(Lang::JA),
        lang_source: Some(LangSource::Chosen),
        offered: Offered::new(vec!["k:o:drop-bag:strap:canvas".into(), "k:x".into()]),
        identity: Identity::Linked {
            phone: Some("+5511987654321".into()),
        },
        last_heard_at: Some(1_767_225_600),
        reachability: Reachability::OptedOut,
        owner: chatdrop_domain::dialogue::Owner::Waiting {
            since: 1_767_225_600,
            reason: chatdrop_domain::handoff::HandoffReason::Complaint,
        },
        not_understood: 1,
        version: 1,
    };
    store
        .commit(
            &c,
            Some(&session),
            &marker_key(Handler::Cart, "u1"),
            &Effect::Nothing,
        )
        .await
        .expect("commit");
    assert_eq!(store.session(&c).await.unwrap(), session);
    assert_eq!(reader(&store).session(&c).await.unwrap(), session);

    // The item reads naturally: the dialogue state is a map tagged by `step`.
    let item = raw_item(&store, &format!("CONV#{}", c.key()), "SESSION")
        .await
        .expect("session item");
    let Some(AttributeValue::M(state)) = item.get("state") else {
        panic!("state is not a map: {:?}", item.get("state"));
    };
    assert_eq!(
        state.get("step"),
        Some(&AttributeValue::S("customizing".into()))
    );
    assert_eq!(n_attr(&item, "version"), 1);
    assert!(n_attr(&item, "expires_at") > 0, "sessions expire by TTL");
    // The named sub-states keep the flat attributes every release reads (`dialogue::Stored`).
    let Some(AttributeValue::L(offered)) = item.get("offered") else {
        panic!("offered is not a list: {:?}", item.get("offered"));
    };
    assert_eq!(offered.len(), 2);
    assert_eq!(
        item.get("verified_phone"),
        Some(&AttributeValue::S("+5511987654321".into()))
    );
    assert_eq!(item.get("linked"), Some(&AttributeValue::Bool(true)));
    assert_eq!(item.get("opted_out"), Some(&AttributeValue::Bool(true)));

    // A plain browsing session round-trips too (the unit variant of the tagged enum).
    let browsing = Session {
        state: DialogueState::Browsing,
        version: 2,
        ..session.clone()
    };
    store
        .commit(
            &c,
            Some(&browsing),
            &marker_key(Handler::Cart, "u2"),
            &Effect::Nothing,
        )
        .await
        .expect("commit browsing");
    assert_eq!(store.session(&c).await.unwrap(), browsing);
}

// ---------------------------------------------------------------------------------------------
// Markers and the commit transaction

#[tokio::test]
async fn markers_record_the_effect_and_are_created_once() {
    let store = common::fresh_store("markers").await;
    let c = customer();
    let key = marker_key(Handler::Catalog, "wamid.HBgM1");
    let effect = reply_effect(&c, "bundle-1");
    assert_eq!(store.marker(&key).await.unwrap(), None);

    store
        .commit(&c, Some(&session_at(1, "a")), &key, &effect)
        .await
        .expect("first commit");
    assert_eq!(
        store.marker(&key).await.unwrap(),
        Some(Marker {
            effect: effect.clone(),
            done: false
        })
    );
    // The same identity under the other handler is another marker.
    assert_eq!(
        store
            .marker(&marker_key(Handler::Cart, "wamid.HBgM1"))
            .await
            .unwrap(),
        None
    );

    store.mark_done(&key).await.expect("mark done");
    assert_eq!(
        store.marker(&key).await.unwrap(),
        Some(Marker {
            effect: effect.clone(),
            done: true
        })
    );

    // A redelivery commits again with the same key: refused, with or without a session.
    let err = store
        .commit(&c, None, &key, &Effect::Nothing)
        .await
        .expect_err("marker exists (no session)");
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    let err = store
        .commit(&c, Some(&session_at(2, "b")), &key, &Effect::Nothing)
        .await
        .expect_err("marker exists (valid session version)");
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    assert_eq!(
        store.session(&c).await.unwrap(),
        session_at(1, "a"),
        "the refused commit did not save its session either"
    );
    assert_eq!(
        store.marker(&key).await.unwrap(),
        Some(Marker { effect, done: true }),
        "the refused commit did not overwrite the marker"
    );

    // A hand-off effect and a sessionless commit round-trip too.
    let handoff_key = marker_key(Handler::Catalog, "wamid.HBgM2");
    let handoff = Effect::HandOff {
        to: Handler::Cart,
        message: InboundMessage {
            conversation: c.clone(),
            event_id: "wamid.HBgM2".into(),
            sent_at: 1_700_000_000,
            locale: Some("ja-JP".into()),
            ack: None,
            reply_token: None,
            content: InboundContent::Text {
                body: "ANA & CO".into(),
            },
        },
    };
    store
        .commit(&c, None, &handoff_key, &handoff)
        .await
        .expect("sessionless commit");
    assert_eq!(
        store.marker(&handoff_key).await.unwrap(),
        Some(Marker {
            effect: handoff,
            done: false
        })
    );
}

#[tokio::test]
async fn mark_done_of_an_unknown_marker_fails_and_creates_nothing() {
    let store = common::fresh_store("mark_done_unknown").await;
    let key = marker_key(Handler::Cart, "never-committed");
    store.mark_done(&key).await.expect_err("no marker to mark");
    assert_eq!(store.marker(&key).await.unwrap(), None);
    assert!(all_items(&store).await.is_empty());
}

#[tokio::test]
async fn a_commit_whose_session_condition_fails_creates_no_marker() {
    let store = common::fresh_store("commit_atomicity").await;
    let c = customer();
    let v1 = session_at(1, "winner");
    store
        .commit(
            &c,
            Some(&v1),
            &marker_key(Handler::Catalog, "m1"),
            &Effect::Nothing,
        )
        .await
        .expect("first commit");

    let loser_key = marker_key(Handler::Catalog, "m2");
    let err = store
        .commit(
            &c,
            Some(&session_at(1, "loser")),
            &loser_key,
            &reply_effect(&c, "bundle-2"),
        )
        .await
        .expect_err("stale session");
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    assert_eq!(
        store.marker(&loser_key).await.unwrap(),
        None,
        "the transaction is all-or-nothing: no marker without the session"
    );
    assert_eq!(store.session(&c).await.unwrap(), v1);

    // The retry (after re-reading version 1) succeeds with the same key: nothing was left behind.
    store
        .commit(
            &c,
            Some(&session_at(2, "retry")),
            &loser_key,
            &Effect::Nothing,
        )
        .await
        .expect("retry with the same marker key");
    assert_eq!(store.session(&c).await.unwrap(), session_at(2, "retry"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_twenty_concurrent_first_commits_exactly_one_wins() {
    let store = Arc::new(common::fresh_store("commit_race").await);
    let c = customer();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let c = c.clone();
            tokio::spawn(async move {
                let key = marker_key(Handler::Catalog, &format!("race-{i}"));
                let session = session_at(1, &format!("task-{i}"));
                let result = store
                    .commit(&c, Some(&session), &key, &Effect::Nothing)
                    .await;
                (i, result)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, result) = task.await.expect("task");
        match result {
            Ok(()) => winners.push(i),
            Err(CommitError::Conflict) => {}
            Err(e) => panic!("task {i}: unexpected error {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let winner = winners[0];
    assert_eq!(
        store.session(&c).await.unwrap(),
        session_at(1, &format!("task-{winner}")),
        "the stored session is the winner's"
    );
    for i in 0..20 {
        let marker = store
            .marker(&marker_key(Handler::Catalog, &format!("race-{i}")))
            .await
            .unwrap();
        assert_eq!(
            marker.is_some(),
            i == winner,
            "only the winner's marker exists (task {i})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery progress

#[tokio::test]
async fn delivery_progress_is_recorded_per_bundle() {
    let store = common::fresh_store("delivery_log").await;
    assert_eq!(store.sent_count("unknown-bundle").await.unwrap(), 0);

    store.record_sent("bundle-a", 2).await.expect("record");
    assert_eq!(store.sent_count("bundle-a").await.unwrap(), 2);
    assert_eq!(store.sent_count("bundle-b").await.unwrap(), 0);
    store.record_sent("bundle-a", 3).await.expect("record");
    assert_eq!(store.sent_count("bundle-a").await.unwrap(), 3);
    let item = raw_item(&store, "OUTBOX#bundle-a", "PROGRESS")
        .await
        .expect("progress item");
    assert!(n_attr(&item, "expires_at") > 0, "progress expires by TTL");
}

#[tokio::test]
async fn an_undeliverable_bundle_is_recorded_without_the_customer_number() {
    let store = common::fresh_store("delivery_undeliverable").await;
    let c = customer();
    let Effect::Reply { bundle } = reply_effect(&c, "bundle-u") else {
        unreachable!()
    };
    store.record_sent(&bundle.id, 1).await.expect("record");

    let permanent = SendFailure::Permanent {
        code: Some(131_047),
        detail: "re-engagement message".into(),
    };
    store
        .record_undeliverable(&bundle, &permanent)
        .await
        .expect("record undeliverable");
    let item = raw_item(&store, "OUTBOX#bundle-u", "PROGRESS")
        .await
        .expect("progress item");
    assert_eq!(s_attr(&item, "undeliverable"), permanent.to_string());
    assert_eq!(s_attr(&item, "channel"), "whatsapp");
    assert_eq!(s_attr(&item, "customer"), c.hashed());
    assert_eq!(n_attr(&item, "error_code"), 131_047);
    assert!(
        item.values()
            .all(|v| !format!("{v:?}").contains(&c.customer)),
        "no attribute holds the customer's number: {item:?}"
    );
    assert_eq!(
        store.sent_count(&bundle.id).await.unwrap(),
        1,
        "progress kept"
    );

    // Without a platform code there is no error_code attribute.
    let mut other = bundle.clone();
    other.id = "bundle-v".into();
    store
        .record_undeliverable(
            &other,
            &SendFailure::Transient {
                code: None,
                detail: "timeout".into(),
            },
        )
        .await
        .expect("record undeliverable without code");
    let item = raw_item(&store, "OUTBOX#bundle-v", "PROGRESS")
        .await
        .expect("progress item");
    assert!(!item.contains_key("error_code"), "{item:?}");
    assert!(s_attr(&item, "undeliverable").contains("timeout"));
    assert_eq!(store.sent_count("bundle-v").await.unwrap(), 0);
}
