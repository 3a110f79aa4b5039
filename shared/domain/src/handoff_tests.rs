use super::*;
use crate::dialogue::Session;
use crate::inbound::InboundMessage;
use crate::reply::ReplyBundle;
use crate::testing::{Memory, conversation, sample_catalog, tap, text};

/// 2026-01-01 00:00 UTC, a Thursday: `testing::message`'s timestamp. In New York it is
/// Wednesday 19:00, after hours.
pub(super) const NEW_YEAR: i64 = 1_767_225_600;
/// Thursday 2026-01-01 09:00 in New York (14:00 UTC).
const NY_OPENS: i64 = 1_767_276_000;

fn ny() -> TimeZone {
    TimeZone::get("America/New_York").unwrap()
}

fn hours(s: &str) -> BusinessHours {
    s.parse().unwrap()
}

pub(super) fn shop_with_hours(h: Option<&str>) -> Memory {
    let mut catalog = sample_catalog();
    catalog.support = Support {
        hours: h.map(hours),
        time_zone: Some("America/New_York".into()),
        ..Support::default()
    };
    Memory::with_catalog(catalog)
}

pub(super) fn session(mem: &Memory) -> Session {
    mem.sessions
        .lock()
        .unwrap()
        .get(&conversation().key())
        .cloned()
        .unwrap_or_default()
}

pub(super) fn said(bundles: &[ReplyBundle]) -> String {
    bundles
        .iter()
        .flat_map(|b| &b.replies)
        .map(crate::delivery::summary)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn hours_parse_and_print_back() {
    let h = hours("Mon-Fri 09:00-18:00, Sat 10:00-14:00");
    assert_eq!(
        h.to_string(),
        "Mon+Tue+Wed+Thu+Fri 09:00-18:00, Sat 10:00-14:00"
    );
    assert_eq!(hours(&h.to_string()), h);
    // A range may wrap the week.
    assert_eq!(
        hours("Sat-Mon 10:00-12:00").to_string(),
        "Mon+Sat+Sun 10:00-12:00"
    );
    for bad in [
        "",
        "Mon-Fri",
        "Funday 09:00-10:00",
        "Mon 18:00-09:00",
        "Mon 25:00-26:00",
    ] {
        assert!(bad.parse::<BusinessHours>().is_err(), "{bad}");
    }
    // In the catalog seed it is a string.
    let support: Support = toml::from_str(
        "hours = \"Mon-Fri 09:00-18:00\"\ntime_zone = \"Asia/Tokyo\"\nvip_threshold = 50000\n",
    )
    .unwrap();
    assert_eq!(support.vip_threshold, Some(50_000));
    assert!(
        toml::from_str::<Support>("hours = \"whenever\"")
            .unwrap_err()
            .to_string()
            .contains("not business hours")
    );
}

#[test]
fn open_hours_and_the_next_opening_follow_the_zone() {
    let h = hours("Mon-Fri 09:00-18:00");
    assert!(!h.is_open(&ny(), NEW_YEAR), "Wednesday 19:00 in New York");
    assert_eq!(h.next_open(&ny(), NEW_YEAR), Some(NY_OPENS));
    assert!(h.is_open(&ny(), NY_OPENS));
    assert!(h.is_open(&ny(), NY_OPENS + 8 * 3600 + 59 * 60));
    assert!(!h.is_open(&ny(), NY_OPENS + 9 * 3600));
    // Friday 18:00 → Monday 09:00: 2026-01-02 23:00 UTC → 2026-01-05 14:00 UTC.
    let friday_evening = NY_OPENS + 24 * 3600 + 9 * 3600;
    assert_eq!(
        h.next_open(&ny(), friday_evening),
        Some(NY_OPENS + 4 * 24 * 3600)
    );
    assert_eq!(
        expect_answer(Some(&h), &ny(), friday_evening),
        Expect::From(NY_OPENS + 4 * 24 * 3600)
    );
    assert_eq!(expect_answer(Some(&h), &ny(), NY_OPENS), Expect::Soon);
    assert_eq!(expect_answer(None, &ny(), NEW_YEAR), Expect::Soon);
}

#[tokio::test]
async fn asking_for_a_person_tells_when_and_silences_the_bot_until_handed_back() {
    let mem = shop_with_hours(None);
    let told = mem.run(text("m1", "human")).await;
    assert!(
        said(&told).contains("within a few minutes"),
        "{}",
        said(&told)
    );
    assert_eq!(
        told[0].handoff,
        Some(HandoffNotice {
            reason: HandoffReason::Asked,
            since: NEW_YEAR
        })
    );
    assert_eq!(
        session(&mem).owner,
        Owner::Waiting {
            since: NEW_YEAR,
            reason: HandoffReason::Asked
        }
    );

    // While a person has it: nothing from the bot, taps included; the session still hears.
    let mut later = text("m2", "menu");
    later.sent_at = NEW_YEAR + 60;
    assert!(mem.run(later).await.is_empty());
    assert!(mem.run(tap("m3", "c:c:bags")).await.is_empty());
    assert_eq!(session(&mem).last_heard_at, Some(NEW_YEAR + 60));

    assert_eq!(
        mem.claim_handoff(&conversation(), "ana", NEW_YEAR + 90)
            .await
            .unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        mem.claim_handoff(&conversation(), "bo", NEW_YEAR + 91)
            .await
            .unwrap(),
        Claim::TakenBy("ana".into())
    );
    assert!(mem.run(text("m4", "hello?")).await.is_empty());

    assert!(mem.hand_back(&conversation()).await.unwrap());
    assert!(!mem.hand_back(&conversation()).await.unwrap(), "idempotent");
    let back = mem.run(text("m5", "menu")).await;
    assert!(said(&back).contains("Welcome"), "{}", said(&back));
    assert_eq!(back[0].handoff, None);
}

#[tokio::test]
async fn outside_business_hours_the_customer_reads_the_next_opening_on_their_clock() {
    let mem = shop_with_hours(Some("Mon-Fri 09:00-18:00"));
    let told = mem.run(text("m1", "complaint")).await;
    // Brazil has several clocks and the sample market names none: the customer reads UTC.
    let all = said(&told);
    assert!(all.contains("We're closed right now"), "{all}");
    assert!(all.contains("2:00 PM UTC"), "{all}");
    assert_eq!(told[0].handoff.unwrap().reason, HandoffReason::Complaint);

    // A Japanese phone: 09:00 in New York is 23:00 in Tokyo, written in Japanese.
    let ja = shop_with_hours(Some("Mon-Fri 09:00-18:00"));
    let mut m = text("m1", "担当者");
    m.conversation = ConversationId::new(Channel::Whatsapp, "819012345678");
    m.locale = Some("ja".into());
    let all = said(&ja.run(m).await);
    assert!(all.contains("営業時間外"), "{all}");
    assert!(all.contains("23:00 JST"), "{all}");
}

#[tokio::test]
async fn two_searches_in_a_row_that_find_nothing_hand_over() {
    let mem = shop_with_hours(None);
    // Misunderstood, then understood: the run starts over.
    assert!(said(&mem.run(text("m1", "unicorn")).await).contains("found nothing"));
    assert!(said(&mem.run(text("m2", "tote")).await).contains("Canvas Tote"));
    assert!(said(&mem.run(text("m3", "unicorn")).await).contains("found nothing"));
    assert!(session(&mem).owner.is_bot());
    // A second in a row: a person.
    let told = mem.run(text("m4", "zebra stripes")).await;
    assert!(said(&told).contains("a person"), "{}", said(&told));
    assert_eq!(
        told[0].handoff.map(|h| h.reason),
        Some(HandoffReason::NotUnderstood)
    );
    assert_eq!(session(&mem).not_understood, 0);
}

#[tokio::test]
async fn nobody_claiming_escalates_once_and_silence_hands_back() {
    let mem = shop_with_hours(None);
    let alerts = MemoryAlerts::default();
    let timers = HandoffTimers::default();
    mem.run(text("m1", "agent")).await;

    // Before five minutes: nothing.
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 299)
        .await
        .unwrap();
    assert_eq!(run, HandoffSweep::default());

    // A failed alert gives the claim back; the next run escalates; later runs do not again.
    alerts.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 300)
        .await
        .unwrap();
    assert_eq!(run.failed, 1);
    alerts
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 360)
        .await
        .unwrap();
    assert_eq!(run.escalated, 1);
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 420)
        .await
        .unwrap();
    assert_eq!(run.escalated, 0);
    let published = alerts.published.lock().unwrap().clone();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kind, AlertKind::Escalated);
    assert_eq!(published[0].reason, HandoffReason::Asked);
    assert_eq!(published[0].customer, conversation().hashed());
    assert!(published[0].subject().contains("STILL waiting"));

    // Claimed, then nobody acts for the timeout: back to the bot.
    mem.claim_handoff(&conversation(), "ana", NEW_YEAR + 600)
        .await
        .unwrap();
    let listed = mem.list_handoffs(HandoffFilter::Agent).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        mem.list_handoffs(HandoffFilter::Waiting)
            .await
            .unwrap()
            .is_empty()
    );
    let day = 24 * 3600;
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 600 + day - 1)
        .await
        .unwrap();
    assert_eq!(run.handed_back, 0);
    let run = sweep(&mem, &alerts, &mem, timers, NEW_YEAR + 600 + day)
        .await
        .unwrap();
    assert_eq!(run.handed_back, 1);
    assert!(session(&mem).owner.is_bot());
    // The platform's thread is taken back too: a bundle with nothing to say, for notify.
    let queued = mem.replies.lock().unwrap().last().cloned().unwrap();
    assert!(queued.take_back, "{queued:?}");
    assert!(queued.replies.is_empty());
    assert_eq!(queued.conversation, conversation());
    assert!(
        mem.list_handoffs(HandoffFilter::All)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_order_needing_attention_hands_over_from_outside_the_flows() {
    let mem = shop_with_hours(None);
    assert!(
        mem.open_handoff(&conversation(), HandoffReason::NeedsAttention, Lang::EN, 5)
            .await
            .unwrap()
    );
    assert!(
        !mem.open_handoff(&conversation(), HandoffReason::Vip, Lang::EN, 6)
            .await
            .unwrap(),
        "already with a person"
    );
    assert!(mem.run(text("m1", "hi")).await.is_empty());
}

#[test]
fn every_reason_reads_back_from_its_name() {
    for r in HandoffReason::ALL {
        assert_eq!(HandoffReason::parse(r.as_str()), Some(r));
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::json!(r.as_str())
        );
    }
}

#[tokio::test]
async fn the_first_alert_goes_once_and_a_failed_publish_is_retried() {
    let mem = shop_with_hours(None);
    let alerts = MemoryAlerts::default();
    let told = mem.run(text("m1", "human")).await;
    let notice = told[0].handoff.unwrap();
    let c = conversation();
    alerts.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        alert_once(
            &mem,
            &alerts,
            AlertKind::New,
            &c,
            notice,
            Lang::EN,
            NEW_YEAR
        )
        .await
        .is_err()
    );
    alerts
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..2 {
        alert_once(
            &mem,
            &alerts,
            AlertKind::New,
            &c,
            notice,
            Lang::EN,
            NEW_YEAR,
        )
        .await
        .unwrap();
    }
    let published = alerts.published.lock().unwrap().clone();
    assert_eq!(published.len(), 1, "once: {published:?}");
    assert_eq!(published[0].kind, AlertKind::New);
    // The escalation is its own alert, claimed separately.
    assert!(
        alert_once(
            &mem,
            &alerts,
            AlertKind::Escalated,
            &c,
            notice,
            Lang::EN,
            NEW_YEAR
        )
        .await
        .unwrap()
    );
    // Taken by an agent: no more alerts for it.
    mem.claim_handoff(&c, "ana", NEW_YEAR).await.unwrap();
    mem.alert_marks.lock().unwrap().clear();
    assert!(
        !alert_once(
            &mem,
            &alerts,
            AlertKind::New,
            &c,
            notice,
            Lang::EN,
            NEW_YEAR
        )
        .await
        .unwrap()
    );
}

pub(super) async fn entry_of(mem: &Memory) -> HandoffEntry {
    let listed = mem.list_handoffs(HandoffFilter::All).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    listed[0].clone()
}

#[tokio::test]
async fn handing_back_queues_the_take_back_first_and_once_per_handoff() {
    let mem = shop_with_hours(None);
    mem.run(text("m1", "agent")).await;
    let entry = entry_of(&mem).await;
    let before = mem.replies.lock().unwrap().len();

    // The queue refuses: nothing moved, and the conversation is still on the list to retry.
    *mem.fail_dispatch.lock().unwrap() = true;
    assert!(hand_back(&mem, &mem, &entry).await.is_err());
    assert!(!session(&mem).owner.is_bot());
    assert_eq!(
        mem.list_handoffs(HandoffFilter::All).await.unwrap().len(),
        1
    );

    // The retry: queued, then moved; a second hand back queues the same bundle (the queue
    // drops it by its id) and moves nothing.
    assert!(hand_back(&mem, &mem, &entry).await.unwrap());
    assert!(session(&mem).owner.is_bot());
    assert!(!hand_back(&mem, &mem, &entry).await.unwrap());
    let queued: Vec<ReplyBundle> = mem.replies.lock().unwrap()[before..].to_vec();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0], queued[1]);
    assert_eq!(queued[0], take_back_bundle(&entry));
    assert!(queued[0].take_back && queued[0].replies.is_empty());
    assert!(queued[0].handoff.is_none());
    // Another handoff is another take-back.
    mem.run(InboundMessage {
        sent_at: NEW_YEAR + 60,
        ..text("m2", "agent")
    })
    .await;
    assert_ne!(take_back_bundle(&entry_of(&mem).await).id, queued[0].id);
}
