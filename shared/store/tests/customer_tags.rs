//! A customer's tags against moto: added and removed in place (a string set's `ADD` and
//! `DELETE`, no read first), repeated without effect, capped, erased by "forget", and read for
//! a campaign's recipient only when its segment selects by tags. Run through
//! `cargo xtask test -p chatdrop-store --test customer_tags`.

mod common;

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::Audience;
use chatdrop_domain::campaign_rules::CampaignLimits;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::customer_tags::MAX_TAGS;
use chatdrop_store::TagRefused;
use std::collections::{BTreeMap, BTreeSet};

fn set(tags: &[&str]) -> BTreeSet<String> {
    tags.iter().map(|t| t.to_string()).collect()
}

fn campaign(tags: &[&str]) -> Campaign {
    Campaign {
        id: "spring".into(),
        drop: "summer".into(),
        segment: Segment {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Segment::default()
        },
        messages: BTreeMap::from([(
            Channel::Telegram,
            ChannelMessage::Text {
                body: "The drop is open".into(),
            },
        )]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: 1_900_000_000,
    }
}

#[tokio::test]
async fn tags_are_added_removed_and_repeated_without_effect() {
    let store = common::fresh_store("tags_set").await;
    let ana = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let none = BTreeSet::new();

    // Tagging a customer who never wrote: a CRM list before the drop.
    assert!(store.tags_of(&ana).await.unwrap().is_empty());
    let tags = store
        .tag_customer(&ana, &set(&["vip", "tokyo-popup"]), &none)
        .await
        .unwrap();
    assert_eq!(tags, set(&["tokyo-popup", "vip"]));
    // Again: the same set.
    let again = store
        .tag_customer(&ana, &set(&["vip"]), &none)
        .await
        .unwrap();
    assert_eq!(again, set(&["tokyo-popup", "vip"]));

    // Removing one, and one she never had.
    let tags = store
        .tag_customer(&ana, &none, &set(&["tokyo-popup", "never"]))
        .await
        .unwrap();
    assert_eq!(tags, set(&["vip"]));
    assert_eq!(store.tags_of(&ana).await.unwrap(), set(&["vip"]));

    // Removing the last: none left, and a removal from nobody writes nothing.
    let tags = store
        .tag_customer(&ana, &none, &set(&["vip"]))
        .await
        .unwrap();
    assert!(tags.is_empty());
    let ken = ConversationId::new(Channel::Telegram, "4242");
    let tags = store
        .tag_customer(&ken, &none, &set(&["vip"]))
        .await
        .unwrap();
    assert!(tags.is_empty());
    assert!(!store.forget_tags(&ken).await.unwrap(), "no item was made");

    // Another conversation's tags are its own.
    store
        .tag_customer(&ken, &set(&["staff"]), &none)
        .await
        .unwrap();
    assert!(store.tags_of(&ana).await.unwrap().is_empty());
    assert_eq!(store.tags_of(&ken).await.unwrap(), set(&["staff"]));
}

#[tokio::test]
async fn a_customer_carries_at_most_the_cap_and_forget_erases_them() {
    let store = common::fresh_store("tags_cap").await;
    let mei = ConversationId::new(Channel::Line, "U4af4980629");
    let none = BTreeSet::new();
    let many: BTreeSet<String> = (0..MAX_TAGS).map(|i| format!("t{i:02}")).collect();
    let tags = store.tag_customer(&mei, &many, &none).await.unwrap();
    assert_eq!(tags.len(), MAX_TAGS);
    // One more is refused, and nothing changed.
    let over = store.tag_customer(&mei, &set(&["one-more"]), &none).await;
    assert!(matches!(over, Err(TagRefused::TooMany)), "{over:?}");
    assert_eq!(store.tags_of(&mei).await.unwrap(), many);

    assert!(store.forget_tags(&mei).await.unwrap());
    assert!(store.tags_of(&mei).await.unwrap().is_empty());
    // Forgetting again finds nothing.
    assert!(!store.forget_tags(&mei).await.unwrap());
}

#[tokio::test]
async fn a_recipient_carries_its_tags_when_the_segment_selects_by_them() {
    let store = common::fresh_store("tags_recipient").await;
    let ken = ConversationId::new(Channel::Telegram, "4343");
    store
        .tag_customer(&ken, &set(&["vip", "staff"]), &BTreeSet::new())
        .await
        .unwrap();
    let by_tag = campaign(&["vip"]);
    let recipient = store.recipient(&by_tag, &ken).await.unwrap();
    assert_eq!(recipient.tags, ["staff", "vip"]);
    assert!(by_tag.segment.matches(&recipient));

    let other = campaign(&["newcomer"]);
    let recipient = store.recipient(&other, &ken).await.unwrap();
    assert!(!other.segment.matches(&recipient));

    // A segment that does not select by tags does not read them (and admits by the rest).
    let everyone = campaign(&[]);
    let recipient = store.recipient(&everyone, &ken).await.unwrap();
    assert!(recipient.tags.is_empty());
    assert!(everyone.segment.matches(&recipient));
}
