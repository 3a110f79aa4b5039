//! The demo's reach act (part of the `cargo xtask` binary, not of the `xtask` library): the next
//! drop is announced to the customers who asked for announcements, and only to them, in the form
//! each platform allows for a promotion.
//!
//! On act 1's stack, after its drop: Ana (WhatsApp) and Ken (Telegram) type "start" and are
//! told they will hear of drops; Mia (WhatsApp) never asks. The retailer tags Ana and Ken `vip`
//! (as `chatdrop customer tag` does) and writes a campaign for the "Autumn drop" to the `vip`
//! segment: a WhatsApp marketing template, a Telegram text. `start` takes the audience (Mia is
//! not in it: she never opted in), and one fan-out run sends at each customer's allowed hour:
//! it runs on a stepped clock, at 13:00 UTC tomorrow (10:00 in São Paulo), as act 1 stepped the
//! sweep past Ken's lapse, so the demo shows sends at any hour it is run. The report per
//! channel closes the act. What the rules refuse (quiet hours, caps, opted out) is in
//! `tests/campaign.rs`; the CLI's commands for the same are in the README ("Announcing a drop").

use crate::show_replies;
use crate::{Step, play};
use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{self, CampaignStore, Pace, Ports};
use chatdrop_domain::campaign_rules::CampaignLimits;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use std::collections::{BTreeMap, BTreeSet};
use xtask::Error;
use xtask::customer::{Customer, Platform};
use xtask::dev;
use xtask::stack::LocalStack;

const CAMPAIGN: &str = "autumn-vip";

/// Plays the act on act 1's stack; `ana`, `ken` and `mia` are act 1's customers.
pub async fn run(
    stack: &LocalStack,
    ana: &Customer,
    ken: &Customer,
    mia: &Customer,
) -> Result<(), Error> {
    println!("\n\n##### The next drop, announced to those who asked #####");
    let store = stack.store();
    let day = SystemClock.now().div_euclid(86_400) * 86_400 + 86_400;
    let opens = day + 10 * 3600;
    let autumn = Drop {
        id: "autumn".into(),
        name: "Autumn drop".into(),
        starts_at: opens,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: 50,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&autumn).await?;
    println!("\nThe “Autumn drop” is created: it opens tomorrow at 10:00 UTC.");

    // Only a customer's own words opt them in.
    play(stack, ana, &[Step::Say("start")]).await?;
    play(stack, ken, &[Step::Say("start")]).await?;

    println!("\n=== The retailer tags its best customers and writes the campaign ===");
    let vip = BTreeSet::from(["vip".to_string()]);
    for customer in [ana, ken, mia] {
        let channel = match customer.platform {
            Platform::Telegram => Channel::Telegram,
            _ => Channel::Whatsapp,
        };
        let chat = ConversationId::new(channel, &customer.id);
        store.tag_customer(&chat, &vip, &BTreeSet::new()).await?;
        println!(
            "$ chatdrop customer tag {} {} --add vip",
            chat.channel, chat.customer
        );
    }
    let campaign = Campaign {
        id: CAMPAIGN.into(),
        drop: autumn.id.clone(),
        segment: Segment {
            tags: vec!["vip".into()],
            ..Segment::default()
        },
        messages: BTreeMap::from([
            (
                Channel::Whatsapp,
                ChannelMessage::WhatsappTemplate {
                    name: dev::WHATSAPP_MARKETING_TEMPLATE.into(),
                    language: "en_US".into(),
                    params: vec!["Autumn drop".into()],
                },
            ),
            (
                Channel::Telegram,
                ChannelMessage::Text {
                    body: "秋のドロップは明日 19:00（日本時間）に公開です。".into(),
                },
            ),
        ]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: SystemClock.now(),
    };
    campaign.validate()?;
    store.create(&campaign).await?;
    println!("$ chatdrop campaign create --file autumn-vip.toml   # segment: tags = [\"vip\"]");

    // 13:00 UTC tomorrow: 10:00 in São Paulo, Ana's clock (her phone's region). Ken's chat
    // has no phone, so the market's zone is his clock; quiet there, his send waits for his
    // morning (the report says so).
    let at = day + 13 * 3600;
    let targeted = campaign_fanout::start(CAMPAIGN, &store, &store, at).await?;
    println!(
        "$ chatdrop campaign start {CAMPAIGN}\n  {targeted} customers targeted: tagged vip AND \
         opted in (Mia is tagged, never asked: not targeted)"
    );
    let before = stack.last_seq().await?;
    let queues = stack.queues();
    let ports = Ports {
        store: &store,
        audience: &store,
        dispatch: &queues,
    };
    let running = store
        .campaign(CAMPAIGN)
        .await?
        .ok_or("the campaign is missing")?;
    let run = campaign_fanout::fan_out(
        &running,
        ports,
        &mut Pace::new(0),
        at,
        usize::MAX,
        || 0,
        |ms| async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
            true
        },
    )
    .await?;
    println!(
        "\n(the sweep's fan-out, run as if it were 13:00 UTC tomorrow: {} sent, {} deferred to \
         the customer's morning, {} suppressed)",
        run.sent, run.deferred, run.suppressed
    );
    // The stack's own sweep (real clock) fans out running campaigns too, and may have sent
    // some first: the report counts what was handed to notify, by either.
    let queued: u64 = store
        .report(CAMPAIGN)
        .await?
        .values()
        .map(|r| r.queued)
        .sum();
    // notify delivers from the queue: wait for the announcements queued to reach the chats
    // (what the fakes recorded since, without waiting on a chat that gets nothing).
    let arrived_for = |outbox: &[xtask::fakes::OutboxEntry], c: &Customer| {
        outbox.iter().any(|e| e.seq > before && e.recipient == c.id)
    };
    for _ in 0..100 {
        let outbox = stack.outbox().await?;
        let arrived = [ana, ken, mia]
            .into_iter()
            .filter(|c| arrived_for(&outbox, c))
            .count();
        if arrived as u64 >= queued {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let outbox = stack.outbox().await?;
    for customer in [ana, ken, mia] {
        println!("\n{} receives:", customer.name);
        if arrived_for(&outbox, customer) {
            show_replies(stack, customer, before).await?;
        } else {
            println!("  (nothing)");
        }
    }

    println!("\n$ chatdrop campaign status {CAMPAIGN}");
    for (channel, row) in store.report(CAMPAIGN).await? {
        println!(
            "  {channel}: targeted {}, queued {}, sent {}, deferred {}, suppressed {}",
            row.targeted,
            row.queued,
            row.sent,
            row.deferred,
            row.suppressed.values().sum::<u64>()
        );
    }
    Ok(())
}
