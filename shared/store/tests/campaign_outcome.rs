//! What notify writes about an announcement the platform refused, against moto: a back-off
//! (WhatsApp's 131049) makes the target pending again with the next attempt and moves it from
//! `queued` to `backed_off_131049` in one transaction; a redelivery of the same refusal counts
//! nothing twice; a refusal that overtakes the fan-out's own bookkeeping leaves `queued` alone.
//!
//! Both counters are on the channel's one report item, which is why they move in one update:
//! DynamoDB refuses a transaction that names an item twice, and the memory double cannot show
//! that. Run through `cargo xtask test -p chatdrop-store --test campaign_outcome`.

mod common;

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{CampaignStore, ChannelReport, Outcome};
use chatdrop_domain::campaign_outcome::{AnnouncementLog, PlatformOutcome};
use chatdrop_domain::campaign_rules::CampaignLimits;
use chatdrop_domain::channel::{Channel, ConversationId};
use std::collections::BTreeMap;

const NOW: i64 = 1_900_000_000;

fn campaign(id: &str) -> Campaign {
    Campaign {
        id: id.into(),
        drop: "summer".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([(
            Channel::Whatsapp,
            ChannelMessage::WhatsappTemplate {
                name: "drop_announcement".into(),
                language: "en_US".into(),
                params: vec!["Summer drop".into()],
            },
        )]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Running,
        created_at: NOW,
    }
}

fn backed_off(retry_at: i64) -> PlatformOutcome {
    PlatformOutcome::BackedOff {
        reason: "131049".into(),
        retry_at,
    }
}

async fn report(store: &chatdrop_store::DynamoStore, id: &str) -> ChannelReport {
    store.report(id).await.expect("report")[&Channel::Whatsapp].clone()
}

/// A store with one campaign and one pending WhatsApp target, due now.
async fn one_target(test: &str) -> (chatdrop_store::DynamoStore, ConversationId) {
    let store = common::fresh_store(test).await;
    let ana = ConversationId::new(Channel::Whatsapp, "5511900001621".to_string());
    assert!(store.create(&campaign("summer")).await.expect("create"));
    assert_eq!(
        store
            .add_targets("summer", std::slice::from_ref(&ana), NOW)
            .await
            .expect("targets"),
        1
    );
    (store, ana)
}

#[tokio::test]
async fn a_back_off_after_the_fan_out_moves_the_target_from_queued_to_pending() {
    let (store, ana) = one_target("backoff-after-finish").await;
    assert!(
        store
            .claim("summer", &ana, "b-0", NOW)
            .await
            .expect("claim")
    );
    assert!(
        store
            .finish("summer", &ana, Outcome::Queued)
            .await
            .expect("finish")
    );
    assert_eq!(report(&store, "summer").await.queued, 1);

    let retry_at = NOW + 6 * 3600;
    assert!(
        store
            .record_refused("summer", &ana, 0, &backed_off(retry_at))
            .await
            .expect("record")
    );
    let r = report(&store, "summer").await;
    assert_eq!(r.queued, 0, "{r:?}");
    assert_eq!(r.backed_off, BTreeMap::from([("131049".to_string(), 1)]));
    let due = store
        .due_targets("summer", i64::MAX, 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(
        (due[0].due, due[0].attempt, due[0].claimed()),
        (retry_at, 1, false)
    );
    assert!(
        store
            .due_targets("summer", retry_at - 1, 10)
            .await
            .expect("due")
            .is_empty(),
        "not due before its time"
    );

    // notify's redelivery of the same refusal: nothing counted twice.
    assert!(
        !store
            .record_refused("summer", &ana, 0, &backed_off(retry_at))
            .await
            .expect("record again")
    );
    assert_eq!(report(&store, "summer").await, r);
}

#[tokio::test]
async fn a_back_off_before_the_fan_out_finished_leaves_queued_alone() {
    let (store, ana) = one_target("backoff-before-finish").await;
    assert!(
        store
            .claim("summer", &ana, "b-0", NOW)
            .await
            .expect("claim")
    );
    // notify answered before the fan-out recorded the target as queued.
    assert!(
        store
            .record_refused("summer", &ana, 0, &backed_off(NOW + 60))
            .await
            .expect("record")
    );
    // The fan-out's finish then finds no claim and leaves the target pending.
    assert!(
        !store
            .finish("summer", &ana, Outcome::Queued)
            .await
            .expect("finish")
    );
    let r = report(&store, "summer").await;
    assert_eq!(
        (r.queued, r.backed_off.get("131049")),
        (0, Some(&1)),
        "{r:?}"
    );
    let due = store
        .due_targets("summer", NOW + 60, 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].attempt, 1);
}
