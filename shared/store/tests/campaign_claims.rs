//! A campaign's batch claims and budget counts against moto: a LINE multicast is claimed whole
//! (its record and every member's claim in one transaction) or not at all, and a channel's
//! budget sums the hour buckets of its period only. Run through `cargo xtask test -p
//! chatdrop-store --test campaign_claims`.

mod common;

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_budget::hour_of;
use chatdrop_domain::campaign_fanout::{CampaignStore, Multicast};
use chatdrop_domain::campaign_rules::CampaignLimits;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::Lang;
use std::collections::BTreeMap;

const NOW: i64 = 1_900_000_000;

fn campaign() -> Campaign {
    Campaign {
        id: "line-drop".into(),
        drop: "summer".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([(
            Channel::Line,
            ChannelMessage::LineMulticast {
                body: "Summer drop".into(),
            },
        )]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Running,
        created_at: NOW,
    }
}

#[tokio::test]
async fn a_multicast_is_claimed_whole_or_not_at_all() {
    let store = common::fresh_store("multicast-claims").await;
    assert!(store.create(&campaign()).await.expect("create"));
    let friends: Vec<ConversationId> = (0..99)
        .map(|i| ConversationId::new(Channel::Line, format!("U{i:032}")))
        .collect();
    assert_eq!(
        store
            .add_targets("line-drop", &friends, NOW)
            .await
            .expect("targets"),
        99
    );
    // Another run claimed one member on its own: the whole batch is refused, nothing written.
    assert!(
        store
            .claim("line-drop", &friends[50], "elsewhere", NOW)
            .await
            .expect("claim")
    );
    let batch = Multicast::new("line-drop", Lang::EN, friends.clone());
    assert!(
        !store
            .claim_multicast("line-drop", &batch, NOW)
            .await
            .expect("claim multicast")
    );
    assert_eq!(
        store
            .multicast("line-drop", &batch.bundle)
            .await
            .expect("read"),
        None
    );
    let due = store.due_targets("line-drop", NOW, 200).await.expect("due");
    assert_eq!(due.iter().filter(|t| t.claimed()).count(), 1);

    // The other 98 (and the record): one transaction of 99 items, then readable as claimed.
    let rest: Vec<ConversationId> = friends
        .iter()
        .filter(|c| **c != friends[50])
        .cloned()
        .collect();
    let batch = Multicast::new("line-drop", Lang::parse("th").unwrap(), rest);
    assert!(
        store
            .claim_multicast("line-drop", &batch, NOW)
            .await
            .expect("claim multicast")
    );
    assert_eq!(
        store
            .multicast("line-drop", &batch.bundle)
            .await
            .expect("read")
            .as_ref(),
        Some(&batch)
    );
    let due = store.due_targets("line-drop", NOW, 200).await.expect("due");
    assert_eq!(
        due.iter()
            .filter(|t| t.claim.as_deref() == Some(batch.bundle.as_str()))
            .count(),
        98
    );
    // Claimed once: a second claim of the same batch is refused.
    assert!(
        !store
            .claim_multicast("line-drop", &batch, NOW)
            .await
            .expect("claim multicast")
    );
}

#[tokio::test]
async fn a_budget_sums_the_hours_of_its_period_only() {
    let store = common::fresh_store("campaign-budgets").await;
    let hour = hour_of(NOW);
    store
        .use_budget(Channel::Whatsapp, NOW - 30 * 3600, 100)
        .await
        .expect("count");
    store
        .use_budget(Channel::Whatsapp, NOW - 5 * 3600, 7)
        .await
        .expect("count");
    store
        .use_budget(Channel::Whatsapp, NOW, 2)
        .await
        .expect("count");
    store
        .use_budget(Channel::Whatsapp, NOW + 60, 1)
        .await
        .expect("count");
    store
        .use_budget(Channel::Line, NOW, 40)
        .await
        .expect("count");
    let since = |h| store.budget_used(Channel::Whatsapp, h);
    assert_eq!(
        since(hour - 23).await.expect("read"),
        10,
        "the last 24 hours"
    );
    assert_eq!(since(hour - 40).await.expect("read"), 110);
    assert_eq!(since(hour + 1).await.expect("read"), 0);
    assert_eq!(
        store
            .budget_used(Channel::Line, hour - 23)
            .await
            .expect("read"),
        40
    );
}
