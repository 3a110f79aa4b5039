use super::*;
use crate::campaign::tests::{campaign, recipient};
use crate::campaign::{Campaign, CampaignStatus};
use crate::campaign_fanout::memory::{MemoryAudience, MemoryCampaigns};
use crate::campaign_fanout::{FanOutReport, Pace, Ports, audience, fan_out};
use crate::orders::StockTake;
use crate::testing::Memory;

/// 2026-12-04 12:00 UTC.
const NOON: i64 = 1_796_385_600;

async fn one_recipient(
    channel: Channel,
    customer: &str,
) -> (Campaign, MemoryCampaigns, MemoryAudience) {
    let mut r = recipient(channel, customer);
    r.last_heard_at = Some(NOON - 3600);
    r.zone = "Europe/London".into();
    let c = Campaign {
        status: CampaignStatus::Running,
        ..campaign()
    };
    let store = MemoryCampaigns::default();
    let source = MemoryAudience {
        recipients: std::sync::Mutex::new(vec![r]),
    };
    store.create(&c).await.unwrap();
    let targets: Vec<_> = audience(&c, &source)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.conversation)
        .collect();
    assert_eq!(store.add_targets(&c.id, &targets, 0).await.unwrap(), 1);
    (c, store, source)
}

async fn run(
    c: &Campaign,
    store: &MemoryCampaigns,
    source: &MemoryAudience,
    queue: &Memory,
    now: i64,
) -> FanOutReport {
    let c = store
        .campaign(&c.id)
        .await
        .unwrap()
        .unwrap_or_else(|| c.clone());
    fan_out(
        &c,
        Ports {
            store,
            audience: source,
            dispatch: queue,
        },
        &mut Pace::new(0),
        now,
        usize::MAX,
        || 0,
        |_| async { true },
    )
    .await
    .unwrap()
}

fn last_bundle(queue: &Memory) -> ReplyBundle {
    queue
        .replies
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("a queued bundle")
}

fn refusal(code: i64) -> Delivered {
    Delivered::Undeliverable(SendFailure::Permanent {
        code: Some(code),
        detail: "refused".into(),
    })
}

#[test]
fn whatsapp_131049_backs_off_six_hours_then_doubles_and_other_codes_are_final() {
    assert_eq!(
        refused(Channel::Whatsapp, Some(131049), 0, NOON),
        PlatformOutcome::BackedOff {
            reason: "131049".into(),
            retry_at: NOON + 6 * 3600
        }
    );
    assert_eq!(
        refused(Channel::Whatsapp, Some(131049), 1, NOON),
        PlatformOutcome::BackedOff {
            reason: "131049".into(),
            retry_at: NOON + 12 * 3600
        }
    );
    // After the third back-off it is given up, and reported as refused with its code.
    assert_eq!(
        refused(Channel::Whatsapp, Some(131049), 3, NOON),
        PlatformOutcome::Refused {
            reason: "131049".into()
        }
    );
    assert_eq!(
        refused(Channel::Whatsapp, Some(131026), 0, NOON),
        PlatformOutcome::Refused {
            reason: "131026".into()
        }
    );
    assert_eq!(
        refused(Channel::Line, None, 0, NOON),
        PlatformOutcome::Refused {
            reason: "unknown".into()
        }
    );
}

#[tokio::test]
async fn a_131049_refusal_is_never_retried_at_once_and_is_tried_again_after_its_time() {
    let (c, store, source) = one_recipient(Channel::Whatsapp, "5511900000001").await;
    let queue = Memory::default();
    assert_eq!(run(&c, &store, &source, &queue, NOON).await.sent, 1);
    let first = last_bundle(&queue);
    assert_eq!(first.announcement.as_ref().unwrap().attempt, 0);
    assert_eq!(
        store.campaign(&c.id).await.unwrap().unwrap().status,
        CampaignStatus::Done
    );

    // notify: WhatsApp refuses it with 131049.
    let outcome = outcome_of(&first, &refusal(131049), vec![], NOON + 5).unwrap();
    assert!(record(&store, &first, &outcome, NOON + 5).await.unwrap());
    // A redelivered bundle records nothing twice.
    assert!(!record(&store, &first, &outcome, NOON + 5).await.unwrap());
    let conv = &first.conversation;
    let retry_at = NOON + 5 + 6 * 3600;
    assert_eq!(
        store.send_record(&c.id, conv),
        Some((Some(retry_at), None, 1)),
        "backed off with the time after which it may be tried again"
    );
    let report = store.report(&c.id).await.unwrap()[&Channel::Whatsapp].clone();
    assert_eq!(report.backed_off.get("131049"), Some(&1));
    assert_eq!((report.queued, report.sent), (0, 0));
    assert_eq!(
        store.campaign(&c.id).await.unwrap().unwrap().status,
        CampaignStatus::Running,
        "running again, for the retry"
    );

    // Runs before its time send nothing.
    for later in [NOON + 60, NOON + 3 * 3600, retry_at - 1] {
        let idle = run(&c, &store, &source, &queue, later).await;
        assert_eq!(idle.sent + idle.requeued, 0, "{idle:?}");
    }
    assert_eq!(queue.replies.lock().unwrap().len(), 1);

    // At its time: a new attempt, a new bundle id (no deduplication swallows it).
    assert_eq!(run(&c, &store, &source, &queue, retry_at).await.sent, 1);
    let second = last_bundle(&queue);
    assert_eq!(second.announcement.as_ref().unwrap().attempt, 1);
    assert_ne!(second.id, first.id);
    // The platform accepts it; a late report about the first attempt changes nothing.
    let sent = outcome_of(&second, &Delivered::All, vec!["wamid.2".into()], retry_at).unwrap();
    assert!(record(&store, &second, &sent, retry_at).await.unwrap());
    assert!(!record(&store, &first, &outcome, retry_at).await.unwrap());
    let report = store.report(&c.id).await.unwrap()[&Channel::Whatsapp].clone();
    assert_eq!((report.queued, report.sent), (1, 1));
    assert_eq!(report.backed_off.get("131049"), Some(&1));
}

#[tokio::test]
async fn other_refusals_are_counted_by_their_code_and_not_retried() {
    let (c, store, source) = one_recipient(Channel::Whatsapp, "5511900000002").await;
    let queue = Memory::default();
    run(&c, &store, &source, &queue, NOON).await;
    let b = last_bundle(&queue);
    let outcome = outcome_of(&b, &refusal(131026), vec![], NOON).unwrap();
    assert!(record(&store, &b, &outcome, NOON).await.unwrap());
    let report = store.report(&c.id).await.unwrap()[&Channel::Whatsapp].clone();
    assert_eq!(report.refused.get("131026"), Some(&1));
    assert!(report.backed_off.is_empty());
    assert_eq!(
        run(&c, &store, &source, &queue, NOON + 86_400).await,
        FanOutReport::default()
    );
    // A held bundle (no window) was never the platform's to refuse: not recorded here.
    assert_eq!(
        outcome_of(&b, &Delivered::Held("no window".into()), vec![], NOON),
        None
    );
}

#[tokio::test]
async fn status_reports_count_delivered_and_read_once_each_and_a_failed_131049_backs_off() {
    let (c, store, source) = one_recipient(Channel::Whatsapp, "5511900000003").await;
    let queue = Memory::default();
    run(&c, &store, &source, &queue, NOON).await;
    let b = last_bundle(&queue);
    let conv = b.conversation.clone();
    let sent = outcome_of(&b, &Delivered::All, vec!["wamid.1".into()], NOON).unwrap();
    record(&store, &b, &sent, NOON).await.unwrap();

    // Read before delivered (WhatsApp may skip it), then delivered late, then read again.
    for status in [
        DeliveryStatus::Read,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
    ] {
        on_status(&store, &conv, "wamid.1", status, None, NOON + 10)
            .await
            .unwrap();
    }
    // A report about a message that was not an announcement counts nothing.
    assert!(
        !on_status(
            &store,
            &conv,
            "wamid.other",
            DeliveryStatus::Read,
            None,
            NOON
        )
        .await
        .unwrap()
    );
    let row = store.report(&c.id).await.unwrap()[&Channel::Whatsapp].clone();
    assert_eq!((row.sent, row.delivered, row.read), (1, 1, 1));

    // Another recipient whose accepted send fails later with 131049 (Meta's usual way).
    let (c2, store2, source2) = one_recipient(Channel::Whatsapp, "5511900000004").await;
    run(&c2, &store2, &source2, &queue, NOON).await;
    let b2 = last_bundle(&queue);
    let sent = outcome_of(&b2, &Delivered::All, vec!["wamid.9".into()], NOON).unwrap();
    record(&store2, &b2, &sent, NOON).await.unwrap();
    assert!(
        on_status(
            &store2,
            &b2.conversation,
            "wamid.9",
            DeliveryStatus::Failed,
            Some(131049),
            NOON + 30
        )
        .await
        .unwrap()
    );
    let (retry_at, _, attempt) = store2.send_record(&c2.id, &b2.conversation).unwrap();
    assert_eq!((retry_at, attempt), (Some(NOON + 30 + 6 * 3600), 1));
}

fn order(conversation: &ConversationId, drop: &str, created_at: i64, status: OrderStatus) -> Order {
    Order {
        id: format!("o-{created_at}"),
        conversation: conversation.clone(),
        lang: crate::i18n::Lang::EN,
        customer: "conv:42".into(),
        lines: Vec::new(),
        currency: crate::money::Currency::USD,
        total: 100,
        status,
        created_at,
        expires_at: created_at + 600,
        pay_token: "tok".into(),
        stock: vec![StockTake {
            drop: drop.into(),
            sku: "bag".into(),
            quantity: 1,
        }],
        limits: Vec::new(),
        checkout_session: None,
        checkout_url: None,
        tracking: None,
        attention: Vec::new(),
        payment_offer: Default::default(),
        market_zone: None,
        opened_at: None,
    }
}

#[test]
fn orders_count_for_the_campaign_within_seven_days_of_the_send_and_for_its_drop() {
    let conv = ConversationId::new(Channel::Telegram, "42");
    let sent = NOON;
    let paid = |at| order(&conv, "spring", at, OrderStatus::Paid);
    let nothing = Attribution::default();
    let reserved = Attribution {
        reserved: true,
        ..nothing
    };
    let opened = Attribution {
        opened: true,
        ..reserved
    };
    assert_eq!(
        attribute("spring", sent, &[paid(sent + 60)]),
        Attribution {
            paid: true,
            ..reserved
        }
    );
    let waiting = order(&conv, "spring", sent + 60, OrderStatus::Reserved);
    assert_eq!(
        attribute("spring", sent, std::slice::from_ref(&waiting)),
        reserved
    );
    // The pay link's first visit, noted on the order.
    let visited = Order {
        opened_at: Some(sent + 90),
        ..waiting
    };
    assert_eq!(attribute("spring", sent, &[visited]), opened);
    // Before the announcement, after the week, or another drop: not the campaign's.
    assert_eq!(attribute("spring", sent, &[paid(sent - 1)]), nothing);
    assert_eq!(
        attribute("spring", sent, &[paid(sent + ATTRIBUTION_SECS)]),
        nothing
    );
    assert_eq!(
        attribute(
            "spring",
            sent,
            &[order(&conv, "autumn", sent + 60, OrderStatus::Paid)]
        ),
        nothing
    );
}

#[tokio::test]
async fn a_back_off_that_comes_before_the_fan_out_records_the_send_still_holds() {
    // notify can answer between the fan-out's queueing and its `finish`.
    let (c, store, _) = one_recipient(Channel::Whatsapp, "5511900000005").await;
    let conv = ConversationId::new(Channel::Whatsapp, "5511900000005");
    assert!(store.claim(&c.id, &conv, "b0", NOON).await.unwrap());
    let backed = refused(Channel::Whatsapp, Some(131049), 0, NOON);
    assert!(
        store
            .record_refused(&c.id, &conv, 0, &backed)
            .await
            .unwrap()
    );
    // The fan-out's finish finds no claim: the target stays pending for its retry.
    assert!(
        !store
            .finish(&c.id, &conv, crate::campaign_fanout::Outcome::Queued)
            .await
            .unwrap()
    );
    let due = store.due_targets(&c.id, NOON + 6 * 3600, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].attempt, due[0].claimed()), (1, false));
    let row = store.report(&c.id).await.unwrap()[&Channel::Whatsapp].clone();
    assert_eq!((row.queued, row.backed_off.get("131049")), (0, Some(&1)));
    assert!(
        store
            .due_targets(&c.id, NOON + 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
