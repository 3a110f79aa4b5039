use super::memory::{MemoryAudience, MemoryCampaigns};
use super::*;
use crate::campaign::tests::{campaign, recipient};
use crate::consent::Standing;
use crate::testing::Memory;
use std::collections::HashSet;

/// 2026-12-04 12:00 UTC.
const NOON: i64 = 1_796_385_600;

fn people() -> Vec<Recipient> {
    let mut all = Vec::new();
    for i in 0..20 {
        let mut wa = recipient(Channel::Whatsapp, &format!("55119876{i:05}"));
        let mut tg = recipient(Channel::Telegram, &format!("{}", 1000 + i));
        let mut line = recipient(Channel::Line, &format!("U{i:032}"));
        let mut sms = recipient(Channel::Sms, &format!("+44770090{i:04}"));
        for r in [&mut wa, &mut tg, &mut line, &mut sms] {
            r.last_heard_at = Some(NOON - 3600);
            r.zone = "Europe/London".into();
        }
        all.extend([wa, tg, line, sms]);
    }
    all
}

async fn started(recipients: Vec<Recipient>) -> (Campaign, MemoryCampaigns, MemoryAudience) {
    let c = Campaign {
        status: CampaignStatus::Running,
        ..campaign()
    };
    let store = MemoryCampaigns::default();
    let source = MemoryAudience {
        recipients: std::sync::Mutex::new(recipients),
    };
    store.create(&c).await.unwrap();
    let targets: Vec<_> = audience(&c, &source)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.conversation)
        .collect();
    store.add_targets(&c.id, &targets, 0).await.unwrap();
    (c, store, source)
}

async fn run(
    c: &Campaign,
    store: &MemoryCampaigns,
    source: &MemoryAudience,
    queue: &Memory,
    now: i64,
) -> Result<FanOutReport, PortError> {
    run_paced(c, store, source, queue, now, Pace::new(0)).await
}

async fn run_paced(
    c: &Campaign,
    store: &MemoryCampaigns,
    source: &MemoryAudience,
    queue: &Memory,
    now: i64,
    mut pace: Pace,
) -> Result<FanOutReport, PortError> {
    // A clock that moves a second per call: the pace never keeps anyone waiting for long.
    let ms = std::cell::Cell::new(0i64);
    fan_out(
        c,
        Ports {
            store,
            audience: source,
            dispatch: queue,
        },
        &mut pace,
        now,
        usize::MAX,
        || {
            ms.set(ms.get() + 1000);
            ms.get()
        },
        |_| async { true },
    )
    .await
}

/// Everyone a queued bundle goes to: its conversation, or a multicast's whole audience.
fn sent_to(queue: &Memory) -> Vec<ConversationId> {
    queue
        .replies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| match b.announcement.as_ref().map(|a| &a.audience) {
            Some(audience) if !audience.is_empty() => audience.clone(),
            _ => vec![b.conversation.clone()],
        })
        .collect()
}

/// Everyone the customers receive a message from the queue: each bundle id once (FIFO
/// deduplication, notify's progress record, LINE's retry key), its audience expanded.
fn delivered(queue: &Memory) -> Vec<ConversationId> {
    let mut seen = HashSet::new();
    queue
        .replies
        .lock()
        .unwrap()
        .iter()
        .filter(|b| seen.insert(b.id.clone()))
        .flat_map(|b| match b.announcement.as_ref().map(|a| &a.audience) {
            Some(audience) if !audience.is_empty() => audience.clone(),
            _ => vec![b.conversation.clone()],
        })
        .collect()
}

#[tokio::test]
async fn opted_out_and_never_asked_customers_are_not_even_targeted() {
    let mut all = people();
    all[0].consent = Standing::NeverAsked;
    let (c, store, source) = started(all.clone()).await;
    let queue = Memory::default();
    run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert!(!sent_to(&queue).contains(&all[0].conversation));
    assert_eq!(sent_to(&queue).len(), all.len() - 1);
}

#[tokio::test]
async fn a_customer_who_opts_out_after_start_gets_nothing() {
    let all = people();
    let (c, store, source) = started(all.clone()).await;
    // Opted out between start and the run: the run reads the standing again.
    source.recipients.lock().unwrap()[1].consent =
        Standing::Latest(crate::consent::ConsentChange {
            wish: crate::consent::Wish::OptOut,
            scope: crate::consent::Scope::Announcements,
            at: NOON - 10,
            source: crate::consent::ConsentSource::MenuEntry,
            event: "stop".into(),
        });
    let queue = Memory::default();
    run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert!(!sent_to(&queue).contains(&all[1].conversation));
    let report = store.report(&c.id).await.unwrap();
    assert_eq!(
        report[&Channel::Telegram].suppressed[&Suppression::OptedOut],
        1
    );
    assert_eq!(report[&Channel::Telegram].queued, 19);
    assert_eq!(report[&Channel::Telegram].targeted, 20);
}

#[tokio::test]
async fn a_crash_between_queueing_and_recording_sends_nobody_twice_and_misses_nobody() {
    let all = people();
    let (c, store, source) = started(all.clone()).await;
    let queue = Memory::default();
    store.crash_after(33);
    assert!(run(&c, &store, &source, &queue, NOON).await.is_err());
    store.recover();
    let second = run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert_eq!(
        second.requeued, 1,
        "the one queued but not recorded is queued again"
    );
    // The queue (FIFO deduplication, then notify's progress per bundle id) delivers each
    // bundle id once: what a customer receives is one message per distinct id.
    let bundles = queue.replies.lock().unwrap().clone();
    let ids: HashSet<_> = bundles.iter().map(|b| b.id.clone()).collect();
    let reached = delivered(&queue);
    let people: HashSet<_> = reached.iter().cloned().collect();
    assert_eq!(reached.len(), all.len(), "nobody twice");
    assert_eq!(people.len(), all.len(), "nobody missed");
    assert_eq!(
        bundles.len(),
        ids.len() + 1,
        "the requeued one carries the same id"
    );
    let report = store.report(&c.id).await.unwrap();
    assert_eq!(
        report.values().map(|r| r.queued).sum::<u64>(),
        all.len() as u64
    );
    assert_eq!(
        store.campaign(&c.id).await.unwrap().unwrap().status,
        CampaignStatus::Done
    );
    // A third run has nothing to do.
    let third = run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert_eq!(third, FanOutReport::default());
}

#[tokio::test]
async fn a_customer_who_opts_out_after_a_crash_is_not_queued_again() {
    let all = people();
    let (c, store, source) = started(all.clone()).await;
    let queue = Memory::default();
    store.crash_after(33);
    assert!(run(&c, &store, &source, &queue, NOON).await.is_err());
    store.recover();
    // The bundle queued last was claimed but its outcome never recorded.
    let claimed = queue
        .replies
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .conversation
        .clone();
    let index = all.iter().position(|r| r.conversation == claimed).unwrap();
    source.recipients.lock().unwrap()[index].consent =
        Standing::Latest(crate::consent::ConsentChange {
            wish: crate::consent::Wish::OptOut,
            scope: crate::consent::Scope::Announcements,
            at: NOON - 5,
            source: crate::consent::ConsentSource::MenuEntry,
            event: "stop-after-crash".into(),
        });
    let queued_before = queue.replies.lock().unwrap().len();
    let second = run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert_eq!(second.requeued, 0, "{second:?}");
    assert_eq!(second.suppressed, 1, "{second:?}");
    let requeued_to_them = queue.replies.lock().unwrap()[queued_before..]
        .iter()
        .any(|b| b.conversation == claimed);
    assert!(!requeued_to_them, "not queued again after their stop");
}

#[tokio::test]
async fn quiet_hours_defer_and_the_morning_run_sends() {
    let mut all = people();
    for r in &mut all {
        r.zone = "Asia/Tokyo".into(); // 21:00 at NOON UTC
    }
    let (c, store, source) = started(all.clone()).await;
    let queue = Memory::default();
    let night = run(&c, &store, &source, &queue, NOON).await.unwrap();
    assert_eq!(night.deferred, all.len());
    assert!(sent_to(&queue).is_empty());
    // An hour later nothing is due yet.
    let later = run(&c, &store, &source, &queue, NOON + 3600).await.unwrap();
    assert_eq!(later, FanOutReport::default());
    // 08:00 in Tokyo.
    let morning = run(&c, &store, &source, &queue, NOON + 11 * 3600)
        .await
        .unwrap();
    assert_eq!(morning.sent, all.len());
    let report = store.report(&c.id).await.unwrap();
    assert_eq!(report[&Channel::Line].deferred, 20);
    assert_eq!(report[&Channel::Line].queued, 20);
}

#[tokio::test]
async fn the_weekly_cap_counts_campaigns_not_retries() {
    let all = people();
    let queue = Memory::default();
    let store = MemoryCampaigns::default();
    let source = MemoryAudience {
        recipients: std::sync::Mutex::new(all.clone()),
    };
    let mut sent = Vec::new();
    for id in ["one", "two", "three"] {
        let c = Campaign {
            id: id.into(),
            status: CampaignStatus::Running,
            ..campaign()
        };
        store.create(&c).await.unwrap();
        let targets: Vec<_> = all.iter().map(|r| r.conversation.clone()).collect();
        store.add_targets(id, &targets, 0).await.unwrap();
        sent.push(run(&c, &store, &source, &queue, NOON).await.unwrap().sent);
    }
    assert_eq!(sent, [all.len(), all.len(), 0]);
    let report = store.report("three").await.unwrap();
    assert_eq!(report[&Channel::Sms].suppressed[&Suppression::Cap], 20);
}

#[tokio::test]
async fn whatsapp_goes_as_its_template_and_text_says_how_to_stop() {
    let all = people();
    let (c, store, source) = started(all).await;
    let queue = Memory::default();
    run(&c, &store, &source, &queue, NOON).await.unwrap();
    let bundles = queue.replies.lock().unwrap().clone();
    let wa = bundles
        .iter()
        .find(|b| b.conversation.channel == Channel::Whatsapp)
        .unwrap();
    let template = wa.announcement.as_ref().unwrap().template.as_ref().unwrap();
    assert_eq!(template.name, "drop_open");
    let tg = bundles
        .iter()
        .find(|b| b.conversation.channel == Channel::Telegram)
        .unwrap();
    let Reply::Choices { body, .. } = &tg.replies[0] else {
        panic!("{tg:?}")
    };
    assert!(
        body.starts_with("The bag is here") && body.contains("STOP"),
        "{body}"
    );
}

#[tokio::test]
async fn an_empty_pace_bucket_leaves_targets_for_the_next_run() {
    let all = people();
    let (c, store, source) = started(all.clone()).await;
    let queue = Memory::default();
    // A frozen clock and a caller that will not wait: one second's worth per channel goes.
    let mut pace = Pace::new(0).with_rate(Channel::Telegram, 5, 0);
    let ports = Ports {
        store: &store,
        audience: &source,
        dispatch: &queue,
    };
    let report = fan_out(
        &c,
        ports,
        &mut pace,
        NOON,
        usize::MAX,
        || 0,
        |_| async { false },
    )
    .await
    .unwrap();
    // Telegram at 5/s: 5 of 20; SMS at its registry pace of 1/s: 1 of 20.
    assert_eq!(report.paced, 15 + 19);
    let on = |channel| {
        sent_to(&queue)
            .iter()
            .filter(|c| c.channel == channel)
            .count()
    };
    assert_eq!(on(Channel::Telegram), 5);
    assert_eq!(on(Channel::Sms), 1);
    assert_eq!(on(Channel::Line), 20);
    assert!(store.any_pending(&c.id).await.unwrap());
}

#[test]
fn preview_counts_what_the_rules_would_do() {
    let mut all = people();
    all[0].conversation.customer = "14155550100".into(); // +1: no WhatsApp marketing
    let c = campaign();
    let report = preview(&c, &all, NOON);
    assert_eq!(report[&Channel::Whatsapp].targeted, 20);
    assert_eq!(report[&Channel::Whatsapp].queued, 19);
    assert_eq!(
        report[&Channel::Whatsapp].suppressed[&Suppression::PlusOneNumber],
        1
    );
}

#[tokio::test]
async fn start_snapshots_a_draft_once_and_resumes_a_paused_campaign() {
    let all = people();
    let store = MemoryCampaigns::default();
    let source = MemoryAudience {
        recipients: std::sync::Mutex::new(all.clone()),
    };
    store.create(&campaign()).await.unwrap();
    assert_eq!(
        start("spring-bag", &store, &source, NOON).await.unwrap(),
        all.len()
    );
    assert!(matches!(
        start("spring-bag", &store, &source, NOON).await,
        Err(StartError::NotStartable {
            status: "running",
            ..
        })
    ));
    store
        .set_status(
            "spring-bag",
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
        )
        .await
        .unwrap();
    assert_eq!(start("spring-bag", &store, &source, NOON).await.unwrap(), 0);
    let report = store.report("spring-bag").await.unwrap();
    assert_eq!(
        report.values().map(|r| r.targeted).sum::<u64>(),
        all.len() as u64
    );
}

#[tokio::test]
async fn wechat_takes_one_of_four_mass_sends_a_month_per_campaign() {
    let mut r = recipient(Channel::Wechat, "openid");
    r.zone = "Asia/Shanghai".into();
    r.last_heard_at = Some(NOON - 60);
    let store = MemoryCampaigns::default();
    let source = MemoryAudience {
        recipients: std::sync::Mutex::new(vec![r]),
    };
    let queue = Memory::default();
    let mut outcomes = Vec::new();
    for i in 0..5 {
        let mut c = campaign();
        c.id = format!("c{i}");
        c.created_at = NOON;
        c.limits.per_week = 100;
        c.messages.insert(
            Channel::Wechat,
            ChannelMessage::WechatMassSend { body: "new".into() },
        );
        store.create(&c).await.unwrap();
        start(&c.id, &store, &source, NOON).await.unwrap();
        let c = store.campaign(&c.id).await.unwrap().unwrap();
        // 12:00 UTC is 20:00 in Shanghai: run at 08:00 the next morning.
        outcomes.push(
            run(&c, &store, &source, &queue, NOON + 12 * 3600)
                .await
                .unwrap()
                .sent,
        );
    }
    assert_eq!(outcomes, [1, 1, 1, 1, 0]);
    let report = store.report("c4").await.unwrap();
    assert_eq!(
        report[&Channel::Wechat].suppressed[&Suppression::WechatMonthlyQuota],
        1
    );
}

mod multicasts {
    use super::*;
    use crate::i18n::Lang;

    fn friends(n: usize, lang: &str, from: usize) -> Vec<Recipient> {
        (from..from + n)
            .map(|i| {
                let mut r = recipient(Channel::Line, &format!("U{i:032}"));
                r.last_heard_at = Some(NOON - 3600);
                r.zone = "Europe/London".into();
                r.lang = Lang::parse(lang).unwrap();
                r
            })
            .collect()
    }

    fn multicasts(queue: &Memory) -> Vec<ReplyBundle> {
        queue
            .replies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| {
                b.announcement
                    .as_ref()
                    .is_some_and(|a| !a.audience.is_empty())
            })
            .cloned()
            .collect()
    }

    #[tokio::test]
    async fn line_friends_go_in_multicasts_of_one_language_and_at_most_99() {
        let mut all = friends(200, "en", 0);
        all.extend(friends(50, "ja", 200));
        let (c, store, source) = started(all.clone()).await;
        let queue = Memory::default();
        let report = run(&c, &store, &source, &queue, NOON).await.unwrap();
        assert_eq!(report.sent, 250, "{report:?}");
        let sent = multicasts(&queue);
        let sizes: Vec<(String, usize)> = sent
            .iter()
            .map(|b| {
                (
                    b.lang.code().to_string(),
                    b.announcement.as_ref().unwrap().audience.len(),
                )
            })
            .collect();
        assert_eq!(
            sizes,
            [
                ("en".into(), 99),
                ("en".into(), 99),
                ("en".into(), 2),
                ("ja".into(), 50)
            ],
            "four requests instead of 250"
        );
        for b in &sent {
            let audience = &b.announcement.as_ref().unwrap().audience;
            assert_eq!(audience[0], b.conversation, "addressed to its first member");
            let lang = all
                .iter()
                .find(|r| r.conversation == audience[0])
                .unwrap()
                .lang;
            assert!(
                audience
                    .iter()
                    .all(|m| all.iter().any(|r| &r.conversation == m && r.lang == lang))
            );
        }
        let reached = delivered(&queue);
        assert_eq!(reached.len(), 250);
        assert_eq!(reached.iter().collect::<HashSet<_>>().len(), 250);
        assert_eq!(
            store.report(&c.id).await.unwrap()[&Channel::Line].queued,
            250
        );
    }

    #[tokio::test]
    async fn a_crash_after_a_multicast_is_claimed_queues_the_same_batch_again() {
        let all = friends(150, "en", 0);
        let (c, store, source) = started(all.clone()).await;
        let queue = Memory::default();
        // The first batch of 99 is claimed and queued; the run dies after recording ten.
        store.crash_after(10);
        assert!(run(&c, &store, &source, &queue, NOON).await.is_err());
        store.recover();
        let first = multicasts(&queue);
        assert_eq!(first.len(), 1);
        let second = run(&c, &store, &source, &queue, NOON).await.unwrap();
        assert_eq!((second.requeued, second.sent), (89, 51), "{second:?}");
        let sent = multicasts(&queue);
        assert_eq!(sent.len(), 3);
        // The same request again: same id, same members, so the same retry key.
        let again = sent
            .iter()
            .find(|b| b.id == first[0].id && !std::ptr::eq(*b, &sent[0]));
        assert_eq!(again.map(|b| &b.announcement), Some(&first[0].announcement));
        let reached = delivered(&queue);
        assert_eq!(reached.len(), 150, "nobody twice");
        assert_eq!(
            reached.iter().collect::<HashSet<_>>().len(),
            150,
            "nobody missed"
        );
        assert_eq!(
            store.report(&c.id).await.unwrap()[&Channel::Line].queued,
            150
        );
        assert_eq!(
            store.campaign(&c.id).await.unwrap().unwrap().status,
            CampaignStatus::Done
        );
    }

    #[tokio::test]
    async fn a_target_claimed_on_its_own_is_sent_alone_and_the_rest_batched() {
        let all = friends(30, "en", 0);
        let (c, store, source) = started(all.clone()).await;
        // A run before multicasts claimed one of them on its own (and may have queued it).
        let taken = all[7].conversation.clone();
        let own = bundle_id(&c.id, &taken, 0);
        assert!(store.claim(&c.id, &taken, &own, NOON).await.unwrap());
        let queue = Memory::default();
        let report = run(&c, &store, &source, &queue, NOON).await.unwrap();
        assert_eq!((report.sent, report.requeued), (29, 1), "{report:?}");
        assert!(queue.replies.lock().unwrap().iter().any(|b| b.id == own));
        let reached = delivered(&queue);
        assert_eq!(reached.len(), 30);
        assert_eq!(reached.iter().collect::<HashSet<_>>().len(), 30);
    }

    #[tokio::test]
    async fn a_multicast_is_claimed_whole_or_not_at_all() {
        let all = friends(5, "en", 0);
        let (c, store, _) = started(all.clone()).await;
        let members: Vec<_> = all.iter().map(|r| r.conversation.clone()).collect();
        // Another run claimed the fourth member between our read and our claim.
        assert!(
            store
                .claim(&c.id, &members[3], "elsewhere", NOON)
                .await
                .unwrap()
        );
        let batch = Multicast::new(&c.id, Lang::EN, members.clone());
        assert!(!store.claim_multicast(&c.id, &batch, NOON).await.unwrap());
        assert_eq!(store.multicast(&c.id, &batch.bundle).await.unwrap(), None);
        let due = store.due_targets(&c.id, NOON, 10).await.unwrap();
        let claimed: Vec<_> = due.iter().filter(|t| t.claimed()).collect();
        assert_eq!(claimed.len(), 1, "only the other run's claim: {due:?}");
        // Without the conflict it takes all five, and the record names them.
        let rest = Multicast::new(&c.id, Lang::EN, [&members[..3], &members[4..]].concat());
        assert!(store.claim_multicast(&c.id, &rest, NOON).await.unwrap());
        assert_eq!(
            store.multicast(&c.id, &rest.bundle).await.unwrap(),
            Some(rest.clone())
        );
        assert!(
            !store.claim_multicast(&c.id, &rest, NOON).await.unwrap(),
            "once"
        );
    }
}

mod budgets {
    use super::*;
    use crate::campaign_budget::{BudgetPeriod, ChannelBudget};

    async fn run_budgeted(
        c: &Campaign,
        store: &MemoryCampaigns,
        source: &MemoryAudience,
        queue: &Memory,
        budgets: &[ChannelBudget],
        now: i64,
    ) -> FanOutReport {
        let mut pace = Pace::new(0);
        for (channel, left) in budgets_left(store, budgets, now).await.unwrap() {
            pace = pace.with_budget(channel, left);
        }
        run_paced(c, store, source, queue, now, pace).await.unwrap()
    }

    #[tokio::test]
    async fn whatsapp_spends_its_tier_only_outside_the_window_and_the_rest_waits() {
        let mut all = Vec::new();
        for i in 0..20 {
            let mut r = recipient(Channel::Whatsapp, &format!("55119876{i:05}"));
            r.zone = "Europe/London".into();
            // Half wrote an hour ago (inside the window), half never.
            r.last_heard_at = (i % 2 == 0).then_some(NOON - 3600);
            all.push(r);
        }
        let (c, store, source) = started(all).await;
        let tier = [ChannelBudget {
            channel: Channel::Whatsapp,
            limit: 4,
            period: BudgetPeriod::Rolling24h,
        }];
        let queue = Memory::default();
        let first = run_budgeted(&c, &store, &source, &queue, &tier, NOON).await;
        assert_eq!((first.sent, first.over_budget), (14, 6), "{first:?}");
        let used = store
            .budget_used(Channel::Whatsapp, tier[0].first_hour(NOON))
            .await
            .unwrap();
        assert_eq!(used, 4, "only the sends outside the window count");
        // The next minute: the tier is spent, nothing goes, nobody is suppressed.
        let second = run_budgeted(&c, &store, &source, &queue, &tier, NOON + 60).await;
        assert_eq!((second.sent, second.over_budget), (0, 6), "{second:?}");
        assert_eq!(second.suppressed, 0);
        // A day later the window has room again.
        let later = NOON + 24 * 3600 + 60;
        let third = run_budgeted(&c, &store, &source, &queue, &tier, later).await;
        assert_eq!((third.sent, third.over_budget), (4, 2), "{third:?}");
        assert_eq!(sent_to(&queue).len(), 18);
        assert_eq!(
            store.campaign(&c.id).await.unwrap().unwrap().status,
            CampaignStatus::Running,
            "two still wait"
        );
    }

    #[tokio::test]
    async fn line_multicasts_stop_at_the_months_quota() {
        let mut all = Vec::new();
        for i in 0..150 {
            let mut r = recipient(Channel::Line, &format!("U{i:032}"));
            r.zone = "Europe/London".into();
            all.push(r);
        }
        let (c, store, source) = started(all).await;
        let quota = [ChannelBudget {
            channel: Channel::Line,
            limit: 120,
            period: BudgetPeriod::Month,
        }];
        let queue = Memory::default();
        let report = run_budgeted(&c, &store, &source, &queue, &quota, NOON).await;
        assert_eq!((report.sent, report.over_budget), (120, 30), "{report:?}");
        let sizes: Vec<usize> = queue
            .replies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b.announcement.as_ref().unwrap().audience.len())
            .collect();
        assert_eq!(sizes, [99, 21]);
        let used = store
            .budget_used(Channel::Line, quota[0].first_hour(NOON))
            .await
            .unwrap();
        assert_eq!(used, 120);
    }
}
