//! Delivery progress: recorded per bundle, and an undeliverable bundle without the customer's
//! number.

use super::*;

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
