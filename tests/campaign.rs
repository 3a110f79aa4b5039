//! A drop announcement on the local stack, on WhatsApp (its marketing template), Telegram,
//! LINE and SMS: only opted-in customers are targeted, a customer who opts out after the start
//! gets nothing, quiet hours on each customer's clock defer the sends to their morning, and a
//! fan-out that crashes half-way and is run again sends nobody twice and misses nobody.

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{
    self, CampaignStore, CapBucket, ChannelReport, FanOutReport, Multicast, Outcome, Pace, Ports,
    Target,
};
use chatdrop_domain::campaign_rules::{CampaignLimits, Suppression};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::ports::{OrderStore, PortError};
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
    async fn claim_multicast(&self, id: &str, b: &Multicast, at: i64) -> Result<bool, PortError> {
        self.inner.claim_multicast(id, b, at).await
    }
    async fn multicast(&self, id: &str, bundle: &str) -> Result<Option<Multicast>, PortError> {
        self.inner.multicast(id, bundle).await
    }
    async fn use_budget(&self, channel: Channel, at: i64, n: u64) -> Result<(), PortError> {
        self.inner.use_budget(channel, at, n).await
    }
    async fn budget_used(&self, channel: Channel, first_hour: i64) -> Result<u64, PortError> {
        self.inner.budget_used(channel, first_hour).await
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
    fan_out_some(h, campaign, store, now, usize::MAX).await
}

/// One run over at most `limit` due targets.
async fn fan_out_some<S: CampaignStore>(
    h: &Harness,
    campaign: &str,
    store: &S,
    now: i64,
    limit: usize,
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
        limit,
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

/// The WhatsApp id (`wamid`) the fake gave the announcement it recorded for `recipient`.
async fn wamid_to(h: &Harness, recipient: &str) -> Option<String> {
    h.stack
        .outbox()
        .await
        .unwrap()
        .iter()
        .find(|e| e.recipient == recipient && e.body["type"] == "template")
        .map(|e| format!("wamid.FAKE{:08}", e.seq))
}

/// A signed WhatsApp status webhook about `wamid` sent to `recipient`.
fn whatsapp_status(recipient: &str, wamid: &str, status: &str) -> chatdrop_e2e::Webhook {
    xtask::platform::whatsapp::sign(
        serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "104000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": dev::WHATSAPP_PHONE_NUMBER_ID},
            "statuses": [{"id": wamid, "status": status, "timestamp": SystemClock.now().to_string(), "recipient_id": recipient}]
        }}]}]}),
    )
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

/// What a campaign did after the fan-out, on the local stack: WhatsApp accepts one customer's
/// announcement, its status webhooks say delivered and read (twice: counted once), the customer
/// buys from the drop, opens the pay link and pays (attributed to the campaign); the other customer's send is
/// refused with 131049, recorded as backed off with the time it may be tried again, not retried
/// by a run before then, and sent as a new attempt by a run after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaigns_report_counts_what_the_platform_said_and_what_was_paid() {
    let h = Harness::start("campaign-outcomes").await;
    h.stack
        .open_drop(&bag_drop("summer", 5, None))
        .await
        .unwrap();
    let store = h.stack.store();
    let ana = h.whatsapp("5511900001621");
    let bo = h.whatsapp("5511900001622");
    for c in [&ana, &bo] {
        h.say(c, "start").await;
    }
    let campaign = Campaign {
        id: "summer-e2e".into(),
        drop: "summer".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([(
            Channel::Whatsapp,
            ChannelMessage::WhatsappTemplate {
                name: dev::WHATSAPP_MARKETING_TEMPLATE.into(),
                language: "en_US".into(),
                params: vec!["Summer drop".into()],
            },
        )]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: 0,
    };
    assert!(store.create(&campaign).await.unwrap());
    // Tomorrow 15:00 UTC, noon in São Paulo: due after the stack's own sweep's clock, so only
    // the runs below send.
    let now = SystemClock.now();
    let day = |t: i64| t.div_euclid(86_400) * 86_400;
    let at = day(now) + 86_400 + 15 * 3600;
    assert_eq!(
        campaign_fanout::start("summer-e2e", &store, &store, at)
            .await
            .unwrap(),
        2
    );

    // One send at a time, so the refusal below meets the second.
    assert_eq!(
        fan_out_some(&h, "summer-e2e", &store, at, 1)
            .await
            .unwrap()
            .sent,
        1
    );
    let (first, second) = eventually(|| async {
        if wamid_to(&h, &ana.id).await.is_some() {
            Some((&ana, &bo))
        } else if wamid_to(&h, &bo.id).await.is_some() {
            Some((&bo, &ana))
        } else {
            None
        }
    })
    .await;
    let row = || async { store.report("summer-e2e").await.unwrap()[&Channel::Whatsapp].clone() };
    eventually(|| async { (row().await.sent == 1).then_some(()) }).await;

    // WhatsApp refuses the second with 131049.
    h.inject_fault(
        "whatsapp",
        400,
        serde_json::json!({"error": {"message": "(#131049) This message was not delivered to maintain healthy ecosystem engagement.", "type": "OAuthException", "code": 131049}}),
        None,
    )
    .await;
    assert_eq!(
        fan_out_some(&h, "summer-e2e", &store, at, 1)
            .await
            .unwrap()
            .sent,
        1
    );
    eventually(|| async { (row().await.backed_off.get("131049") == Some(&1)).then_some(()) }).await;
    let refused_at = SystemClock.now();
    // Backed off: pending again, due about six hours after the refusal, as attempt 1.
    let waiting = store.due_targets("summer-e2e", i64::MAX, 10).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].conversation.customer, second.id);
    assert_eq!(waiting[0].attempt, 1);
    let retry_at = waiting[0].due;
    assert!(
        (refused_at - 60 + 6 * 3600..=refused_at + 6 * 3600).contains(&retry_at),
        "retry at {retry_at}, refused at {refused_at}"
    );
    assert_eq!(
        store.campaign("summer-e2e").await.unwrap().unwrap().status,
        CampaignStatus::Running
    );

    // Delivered and read, from the platform's status webhooks; the read twice.
    let wamid = wamid_to(&h, &first.id).await.unwrap();
    for status in ["delivered", "read", "read"] {
        assert_eq!(
            first
                .post(&whatsapp_status(&first.id, &wamid, status))
                .await
                .unwrap(),
            200
        );
    }
    eventually(|| async {
        let r = row().await;
        (r.delivered == 1 && r.read == 1).then_some(())
    })
    .await;

    // Not retried at once: a run a minute after the refusal sends nothing to the second.
    let before = announcements_to(&h, &second.id).await;
    let idle = fan_out(&h, "summer-e2e", &store, refused_at + 60)
        .await
        .unwrap();
    assert_eq!(idle.sent + idle.requeued, 0, "{idle:?}");

    // The first buys from the drop and pays.
    h.add_plain_bag(first).await;
    let took = h.tap(first, "p:c").await;
    assert!(
        chatdrop_e2e::all_text(&took).contains("Reserved"),
        "{}",
        chatdrop_e2e::all_text(&took)
    );
    let order = store
        .orders_of(&ConversationId::new(Channel::Whatsapp, first.id.clone()))
        .await
        .unwrap()
        .remove(0);
    // They open the pay link (twice: counted once).
    for _ in 0..2 {
        let (status, _, _) = h
            .get_raw(&format!("{}/p/{}", h.stack.url, order.pay_token))
            .await;
        assert_eq!(status, 303);
    }
    let emitted = h
        .stack
        .stripe
        .pay(&order.checkout_session.clone().expect("a Stripe page"))
        .await
        .unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    eventually(|| async {
        let o = store.order(&order.id).await.unwrap().unwrap();
        (o.status == chatdrop_domain::orders::OrderStatus::Paid).then_some(())
    })
    .await;

    // At its time (noon in São Paulo after it), the second is tried again: a new message.
    let later = day(retry_at) + 86_400 + 15 * 3600;
    let retry = fan_out(&h, "summer-e2e", &store, later).await.unwrap();
    assert_eq!(retry.sent, 1, "{retry:?}");
    eventually(|| async { (announcements_to(&h, &second.id).await == before + 1).then_some(()) })
        .await;
    eventually(|| async { (row().await.sent == 2).then_some(()) }).await;

    let report = chatdrop_domain::campaign_outcome::report_with_orders(
        &store,
        &store,
        "summer-e2e",
        "summer",
    )
    .await
    .unwrap();
    let r = &report[&Channel::Whatsapp];
    assert_eq!(
        (
            r.targeted,
            r.queued,
            r.sent,
            r.delivered,
            r.read,
            r.reserved,
            r.opened,
            r.paid
        ),
        (2, 2, 2, 1, 1, 1, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.backed_off, BTreeMap::from([("131049".to_string(), 1)]));
    assert!(r.refused.is_empty(), "{r:?}");
    h.stack.stop().await;
}

/// Creates a campaign of `drop` with one channel's message, for everyone opted in, and starts
/// it at noon UTC tomorrow (ahead of the stack's own sweep, which runs on the real clock):
/// that noon, and how many were targeted.
async fn started(
    store: &DynamoStore,
    id: &str,
    drop: &str,
    channel: Channel,
    message: ChannelMessage,
) -> (i64, usize) {
    let campaign = Campaign {
        id: id.into(),
        drop: drop.into(),
        segment: Segment::default(),
        messages: BTreeMap::from([(channel, message)]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: 0,
    };
    campaign.validate().unwrap();
    assert!(store.create(&campaign).await.unwrap());
    let noon = jiff::Timestamp::now().as_second().div_euclid(86_400) * 86_400 + 86_400 + 12 * 3600;
    let added = campaign_fanout::start(id, store, store, noon)
        .await
        .unwrap();
    (noon, added)
}

/// LINE friends are announced to by multicast on the local stack: one request for the batch
/// (the fake LINE records each friend's copy), and a fan-out killed after queueing the batch
/// and recording one member queues the same batch again, which reaches nobody twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_friends_get_one_multicast_through_a_crash() {
    let h = Harness::start("campaign-multicast").await;
    h.stack
        .open_drop(&bag_drop("autumn", 5, None))
        .await
        .unwrap();
    let store = h.stack.store();
    let friends: Vec<_> = (1..=3)
        .map(|i| {
            h.customer_on(
                Platform::Line,
                &format!("Uaaaabbbbccccddddeeeeffff0000170{i}"),
            )
        })
        .collect();
    for f in &friends {
        h.say(f, "start").await;
    }
    let message = ChannelMessage::LineMulticast {
        body: "Spring drop: the autumn bag opens at 10:00".into(),
    };
    let (noon, added) = started(&store, "autumn-line", "autumn", Channel::Line, message).await;
    assert_eq!(added, 3);

    let crashing = Crashing {
        inner: h.stack.store(),
        finishes: AtomicUsize::new(1),
    };
    assert!(fan_out(&h, "autumn-line", &crashing, noon).await.is_err());
    let rerun = fan_out(&h, "autumn-line", &store, noon).await.unwrap();
    assert_eq!((rerun.requeued, rerun.sent), (2, 0), "{rerun:?}");

    for f in &friends {
        eventually(|| async { (announcements_to(&h, &f.id).await == 1).then_some(()) }).await;
    }
    // The report counts the three as sent once notify recorded them.
    eventually(|| async {
        let report = store.report("autumn-line").await.unwrap();
        let line = report.get(&Channel::Line).cloned().unwrap_or_default();
        ((line.queued, line.sent) == (3, 3)).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let outbox = h.stack.outbox().await.unwrap();
    for f in &friends {
        let theirs: Vec<_> = outbox
            .iter()
            .filter(|e| e.recipient == f.id && e.body.to_string().contains("autumn bag"))
            .collect();
        assert_eq!(theirs.len(), 1, "{}: {theirs:?}", f.id);
        assert_eq!(
            theirs[0].method, "multicast",
            "one request for the batch, not a push"
        );
        assert!(
            theirs[0].body.to_string().contains("stop"),
            "says how to stop"
        );
    }
    assert_eq!(
        store.campaign("autumn-line").await.unwrap().unwrap().status,
        CampaignStatus::Done
    );
}

/// Viber and KakaoTalk in a campaign on the local stack: an opted-in Viber subscriber gets the
/// text with how to stop; one who opted in and then unsubscribed in Viber itself (the
/// platform's `unsubscribed` event) is not even targeted; an opted-in KakaoTalk customer is
/// never messaged (a skill cannot push), suppressed with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viber_subscribers_are_announced_to_and_kakao_is_suppressed_with_why() {
    use xtask::platform::kakao::{KakaoUser, OpenBuilder};
    let h = Harness::start("campaign-viber-kakao").await;
    h.stack
        .open_drop(&bag_drop("winter", 5, None))
        .await
        .unwrap();
    let store = h.stack.store();
    let olena = h.customer_on(Platform::Viber, "0lenaCampaignViber0000A==");
    let dmytro = h.customer_on(Platform::Viber, "DmytroCampaignViber000A==");
    for c in [&olena, &dmytro] {
        h.say(c, "start").await;
    }
    let left = xtask::platform::viber::subscription_webhook(&dmytro, 90, false);
    assert_eq!(dmytro.post(&left).await.unwrap(), 200);
    let bot = OpenBuilder::local(&h.stack.url);
    let minji = KakaoUser::korean("c0ffee0campaign0user1");
    let agreed = bot.say(&minji, "수신동의").await;
    assert!(agreed.check().is_ok(), "{:#}", agreed.body);

    let message = ChannelMessage::Text {
        body: "Spring drop: the winter bag opens at 10:00".into(),
    };
    let (noon, added) = started(&store, "winter-viber", "winter", Channel::Viber, message).await;
    assert_eq!(added, 2, "Olena and Minji; Dmytro left the bot");
    let run = fan_out(&h, "winter-viber", &store, noon).await.unwrap();
    assert_eq!((run.sent, run.suppressed), (1, 1), "{run:?}");

    eventually(|| async { (announcements_to(&h, &olena.id).await == 1).then_some(()) }).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let outbox = h.stack.outbox().await.unwrap();
    let to_olena: Vec<_> = outbox
        .iter()
        .filter(|e| e.recipient == olena.id && e.body.to_string().contains("winter bag"))
        .collect();
    assert_eq!(to_olena.len(), 1, "{to_olena:?}");
    assert!(
        to_olena[0].body.to_string().contains("STOP"),
        "says how to stop"
    );
    assert_eq!(announcements_to(&h, &dmytro.id).await, 0);
    assert!(
        !outbox.iter().any(|e| e.recipient.contains(&minji.id)
            || e.body.to_string().contains("winter bag") && e.channel != "viber"),
        "nothing but Olena's Viber message"
    );
    let report = store.report("winter-viber").await.unwrap();
    let kakao = report.get(&Channel::Kakao).cloned().unwrap_or_default();
    assert_eq!(
        kakao.suppressed.get(&Suppression::NoSanctionedForm),
        Some(&1),
        "{kakao:?}"
    );
    eventually(|| async {
        let report = store.report("winter-viber").await.unwrap();
        let viber = report.get(&Channel::Viber).cloned().unwrap_or_default();
        ((viber.targeted, viber.queued, viber.sent) == (1, 1, 1)).then_some(())
    })
    .await;
}
