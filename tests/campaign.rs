//! A drop announcement on the local stack, on WhatsApp (its marketing template), Telegram,
//! LINE and SMS: only opted-in customers are targeted, a customer who opts out after the start
//! gets nothing, quiet hours on each customer's clock defer the sends to their morning, and a
//! fan-out that crashes half-way and is run again sends nobody twice and misses nobody.

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{
    self, CampaignStore, CapBucket, ChannelReport, FanOutReport, Outcome, Pace, Ports, Target,
};
use chatdrop_domain::campaign_rules::{CampaignLimits, Suppression};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::ports::PortError;
use chatdrop_e2e::{Harness, Platform, bag_drop, eventually};
use chatdrop_store::DynamoStore;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use xtask::dev;

/// The store, failing every `finish` after the first `finishes` of them: a process killed
/// after queueing a bundle and before recording it.
struct Crashing {
    inner: DynamoStore,
    finishes: AtomicUsize,
}

impl CampaignStore for Crashing {
    async fn create(&self, c: &Campaign) -> Result<bool, PortError> {
        self.inner.create(c).await
    }
    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, PortError> {
        self.inner.campaign(id).await
    }
    async fn list(&self) -> Result<Vec<Campaign>, PortError> {
        self.inner.list().await
    }
    async fn set_status(
        &self,
        id: &str,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<bool, PortError> {
        self.inner.set_status(id, from, to).await
    }
    async fn add_targets(
        &self,
        id: &str,
        c: &[ConversationId],
        due: i64,
    ) -> Result<usize, PortError> {
        self.inner.add_targets(id, c, due).await
    }
    async fn due_targets(
        &self,
        id: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Target>, PortError> {
        self.inner.due_targets(id, now, limit).await
    }
    async fn any_pending(&self, id: &str) -> Result<bool, PortError> {
        self.inner.any_pending(id).await
    }
    async fn take_cap(&self, b: &CapBucket, id: &str) -> Result<bool, PortError> {
        self.inner.take_cap(b, id).await
    }
    async fn claim(
        &self,
        id: &str,
        c: &ConversationId,
        bundle: &str,
        at: i64,
    ) -> Result<bool, PortError> {
        self.inner.claim(id, c, bundle, at).await
    }
    async fn defer(&self, id: &str, c: &ConversationId, until: i64) -> Result<(), PortError> {
        self.inner.defer(id, c, until).await
    }
    async fn finish(&self, id: &str, c: &ConversationId, o: Outcome) -> Result<bool, PortError> {
        let left = self.finishes.load(Ordering::SeqCst);
        if left == 0 {
            return Err(PortError::new("finish", "killed"));
        }
        self.finishes.store(left - 1, Ordering::SeqCst);
        self.inner.finish(id, c, o).await
    }
    async fn report(&self, id: &str) -> Result<BTreeMap<Channel, ChannelReport>, PortError> {
        self.inner.report(id).await
    }
}

async fn fan_out<S: CampaignStore>(
    h: &Harness,
    campaign: &str,
    store: &S,
    now: i64,
) -> Result<FanOutReport, PortError> {
    let audience = h.stack.store();
    let queues = h.stack.queues();
    let campaign = store.campaign(campaign).await?.expect("the campaign");
    let ports = Ports {
        store,
        audience: &audience,
        dispatch: &queues,
    };
    campaign_fanout::fan_out(
        &campaign,
        ports,
        &mut Pace::new(0),
        now,
        usize::MAX,
        || 0,
        |ms| async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
            true
        },
    )
    .await
}

/// The announcement's requests to `recipient` the fakes recorded.
async fn announcements_to(h: &Harness, recipient: &str) -> usize {
    h.stack
        .outbox()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.recipient == recipient)
        .filter(|e| {
            let body = e.body.to_string();
            body.contains("Spring drop") || body.contains(dev::WHATSAPP_MARKETING_TEMPLATE)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_reaches_the_opted_in_once_in_their_morning_through_a_crash() {
    let h = Harness::start("campaign").await;
    h.stack
        .open_drop(&bag_drop("spring", 5, None))
        .await
        .unwrap();
    let store = h.stack.store();

    // Ana (WhatsApp, São Paulo), Ken (Telegram), Mei (LINE), Sam (SMS, London) opt in; Bo
    // (WhatsApp) opts in and will opt out after the start; Lee (Telegram) never opts in.
    let ana = h.whatsapp("5511900001601");
    let ken = h.telegram(7000001601, None);
    let mei = h.customer_on(Platform::Line, "Uaaaabbbbccccddddeeeeffff00001601");
    let sam = h.customer_on(Platform::Sms, "+447700901601");
    let bo = h.whatsapp("5511900001602");
    let lee = h.telegram(7000001602, None);
    for c in [&ana, &ken, &mei, &sam, &bo] {
        h.say(c, "start").await;
    }
    h.say(&lee, "hi").await;

    let text = |b: &str| ChannelMessage::Text { body: b.into() };
    let campaign = Campaign {
        id: "spring-e2e".into(),
        drop: "spring".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([
            (
                Channel::Whatsapp,
                ChannelMessage::WhatsappTemplate {
                    name: dev::WHATSAPP_MARKETING_TEMPLATE.into(),
                    language: "en_US".into(),
                    params: vec!["Spring drop".into()],
                },
            ),
            (Channel::Telegram, text("Spring drop opens at 10:00")),
            (
                Channel::Line,
                ChannelMessage::LineMulticast {
                    body: "Spring drop opens at 10:00".into(),
                },
            ),
            (
                Channel::Sms,
                ChannelMessage::Sms {
                    body: "Spring drop opens at 10:00".into(),
                    sender: "+15005550006".into(),
                    registration: "CM00000000000000000000000000000000".into(),
                },
            ),
        ]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: 0,
    };
    campaign.validate().unwrap();
    assert!(store.create(&campaign).await.unwrap());

    // 23:30 UTC tomorrow: 20:30 in São Paulo, 23:30 in London and UTC — quiet for everyone.
    // Always ahead of the real clock, which the stack's own sweep runs on: a night already
    // past (a run after 23:30 UTC today) let that sweep fan out first and count its own.
    let day = jiff::Timestamp::now().as_second().div_euclid(86_400) * 86_400 + 86_400;
    let night = day + 23 * 3600 + 1800;
    let added = campaign_fanout::start("spring-e2e", &store, &store, night)
        .await
        .unwrap();
    assert_eq!(added, 5, "only the opted-in are targeted (not Lee)");

    // Bo opts out after the start.
    h.say(&bo, "stop").await;

    let deferred = fan_out(&h, "spring-e2e", &store, night).await.unwrap();
    assert_eq!(deferred.deferred, 4, "{deferred:?}");
    assert_eq!(deferred.suppressed, 1, "Bo: opted out");
    assert_eq!(deferred.sent, 0);

    // 12:00 UTC the next day: 09:00 in São Paulo, noon in London. The run dies after
    // recording two outcomes; the third bundle is queued but never recorded.
    let noon = day + 86_400 + 12 * 3600;
    let crashing = Crashing {
        inner: h.stack.store(),
        finishes: AtomicUsize::new(2),
    };
    assert!(fan_out(&h, "spring-e2e", &crashing, noon).await.is_err());
    let rerun = fan_out(&h, "spring-e2e", &store, noon).await.unwrap();
    assert_eq!(rerun.requeued, 1, "{rerun:?}");
    assert_eq!(rerun.sent, 1, "{rerun:?}");

    // Every opted-in customer gets exactly one announcement; Bo and Lee none.
    for customer in [&ana, &ken, &mei, &sam] {
        eventually(|| async { (announcements_to(&h, &customer.id).await == 1).then_some(()) })
            .await;
    }
    // A moment more for anything late (a second send would show up now).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    for customer in [&ana, &ken, &mei, &sam] {
        assert_eq!(
            announcements_to(&h, &customer.id).await,
            1,
            "{}",
            customer.id
        );
    }
    assert_eq!(announcements_to(&h, &bo.id).await, 0);
    assert_eq!(announcements_to(&h, &lee.id).await, 0);

    // WhatsApp got the marketing template, the others the text with how to stop.
    let outbox = h.stack.outbox().await.unwrap();
    let to_ana = outbox
        .iter()
        .find(|e| e.recipient == ana.id && e.body["type"] == "template")
        .expect("a template to Ana");
    assert_eq!(
        to_ana.body["template"]["name"],
        dev::WHATSAPP_MARKETING_TEMPLATE
    );
    let to_sam = outbox
        .iter()
        .find(|e| e.recipient == sam.id && e.body.to_string().contains("Spring drop"))
        .unwrap();
    assert!(to_sam.body.to_string().contains("STOP"), "{}", to_sam.body);

    // The report.
    let report = store.report("spring-e2e").await.unwrap();
    let row = |c: Channel| report.get(&c).cloned().unwrap_or_default();
    assert_eq!(row(Channel::Whatsapp).targeted, 2);
    assert_eq!(row(Channel::Whatsapp).queued, 1);
    assert_eq!(
        row(Channel::Whatsapp)
            .suppressed
            .get(&Suppression::OptedOut),
        Some(&1)
    );
    for c in [Channel::Telegram, Channel::Line, Channel::Sms] {
        assert_eq!(
            (row(c).targeted, row(c).queued, row(c).deferred),
            (1, 1, 1),
            "{c}"
        );
    }
    assert_eq!(
        store.campaign("spring-e2e").await.unwrap().unwrap().status,
        CampaignStatus::Done
    );
    // Run again: nothing to do, nothing sent.
    let idle = fan_out(&h, "spring-e2e", &store, noon + 60).await.unwrap();
    assert_eq!(idle, FanOutReport::default());
}
