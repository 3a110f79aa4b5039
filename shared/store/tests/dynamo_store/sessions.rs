//! Sessions: versions are conditional, and a customizing session with a cart round-trips
//! exactly.

use super::*;

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
