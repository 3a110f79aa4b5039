//! The catalog: a seed round-trips with its product order, a replacement deletes what it left
//! out, an invalid catalog writes nothing, and one larger than a batch and a query page
//! round-trips.

use super::*;

fn sample_catalog() -> Catalog {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cli/catalogs/sample.toml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    toml::from_str(&text).expect("the sample catalog parses")
}

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
