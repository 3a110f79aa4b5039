//! Processed-message markers and the commit transaction: a marker records its effect and is
//! created once, a failed session condition creates none, and of concurrent first commits
//! exactly one wins.

use super::*;

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
