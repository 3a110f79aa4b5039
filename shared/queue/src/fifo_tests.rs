use super::*;
use chatdrop_domain::clock::ManualClock;
use std::sync::Mutex;

fn record(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.into());
    m.receipt_handle = Some(format!("receipt-{id}"));
    m.body = Some(body.into());
    m
}

fn event(records: &[(&str, &str)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records.iter().map(|(id, body)| record(id, body)).collect();
    event
}

/// A dead-letter queue that keeps what it is sent, or refuses everything.
#[derive(Default)]
struct Sink {
    taken: Mutex<Vec<(String, String)>>,
    refuse: bool,
}

impl PoisonSink for Sink {
    async fn dead_letter(&self, record: &SqsMessage, reason: &str) -> Result<(), String> {
        if self.refuse {
            return Err("no dead-letter queue".into());
        }
        self.taken
            .lock()
            .unwrap()
            .push((record.body.clone().unwrap_or_default(), reason.to_string()));
        Ok(())
    }
}

fn failed(processed: &Processed) -> Vec<&str> {
    processed
        .response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

fn no_deadline() -> Deadline {
    Deadline::new(0, Duration::from_secs(20))
}

#[tokio::test]
async fn a_failure_returns_it_and_everything_after_it() {
    let event = event(&[("a", "1"), ("b", "not json"), ("c", "2"), ("d", "3")]);
    let sink = Sink::default();
    let mut seen = Vec::new();
    let processed = process_in_order::<u32, String, _, _>(event, &no_deadline(), &sink, |n, _| {
        seen.push(n);
        async move {
            if n == 2 {
                RecordResult::Retry("boom".to_string())
            } else {
                RecordResult::Done
            }
        }
    })
    .await;
    assert_eq!(
        failed(&processed),
        ["c", "d"],
        "b is dead-lettered and acknowledged"
    );
    assert_eq!(seen, [1, 2], "d never ran");
    assert_eq!(
        processed.skipped,
        ["receipt-d"],
        "only d is given back at once: c ran and failed"
    );
    assert_eq!(processed.out_of_time, 0);
}

#[tokio::test]
async fn an_undecodable_record_goes_to_the_dead_letters_with_its_reason_not_away() {
    // A newer producer's message (an enum variant this consumer does not know yet).
    let event = event(&[("a", "1"), ("b", r#"{"kind":"future"}"#), ("c", "2")]);
    let sink = Sink::default();
    let processed =
        process_in_order::<u32, String, _, _>(event, &no_deadline(), &sink, |_, _| async {
            RecordResult::Done
        })
        .await;
    assert!(failed(&processed).is_empty(), "the group moves on");
    let taken = sink.taken.lock().unwrap().clone();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].0, r#"{"kind":"future"}"#, "the body, whole");
    assert!(taken[0].1.starts_with("undecodable: "), "{}", taken[0].1);

    // Without a dead-letter queue it is never acknowledged: it returns (at once, so the
    // redrive policy takes it after a few receives), and so does what came after it.
    let event = self::event(&[("a", "1"), ("b", "not json"), ("c", "2")]);
    let refusing = Sink {
        refuse: true,
        ..Sink::default()
    };
    let mut seen = Vec::new();
    let processed =
        process_in_order::<u32, String, _, _>(event, &no_deadline(), &refusing, |n, _| {
            seen.push(n);
            async { RecordResult::Done }
        })
        .await;
    assert_eq!(failed(&processed), ["b", "c"]);
    assert_eq!(processed.skipped, ["receipt-b", "receipt-c"]);
    assert_eq!(seen, [1]);
}

#[tokio::test]
async fn records_stop_when_the_deadline_cannot_fit_another_worst_case() {
    // A clock the handler moves: each record takes 7 s; the worst case is 10 s; 30 s left.
    let now = ManualClock::at(1_000);
    let deadline = Deadline::new(1_030_000, Duration::from_secs(10)).with_clock(now.clone());
    let event = event(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]);
    let mut seen = Vec::new();
    let processed =
        process_in_order::<u32, String, _, _>(event, &deadline, &Sink::default(), |n, _| {
            seen.push(n);
            now.advance(7);
            async { RecordResult::Done }
        })
        .await;
    // 30 s left: a runs (23 left), b runs (16), c runs (9 < 10): d and e do not start.
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(failed(&processed), ["d", "e"]);
    assert_eq!(
        processed.skipped,
        ["receipt-d", "receipt-e"],
        "given back at once: they never ran"
    );
    assert_eq!(processed.out_of_time, 2);
}

#[tokio::test]
async fn the_first_record_runs_even_when_the_deadline_is_short() {
    // 5 s left and a 10 s worst case: the first record still runs, so the queue moves.
    let deadline =
        Deadline::new(1_005_000, Duration::from_secs(10)).with_clock(ManualClock::at(1_000));
    let event = event(&[("a", "1"), ("b", "2")]);
    let mut seen = Vec::new();
    let processed =
        process_in_order::<u32, String, _, _>(event, &deadline, &Sink::default(), |n, _| {
            seen.push(n);
            async { RecordResult::Done }
        })
        .await;
    assert_eq!(seen, [1]);
    assert_eq!(failed(&processed), ["b"]);
    assert_eq!(processed.out_of_time, 1);
}

#[test]
fn an_unknown_deadline_runs_everything_and_spare_time_is_what_is_left_after_one_record() {
    let deadline = Deadline::new(0, Duration::from_secs(10));
    assert!(deadline.fits_another());
    assert_eq!(deadline.time_left(), None);
    let deadline = Deadline::new(50_000, Duration::from_secs(10)).with_clock(ManualClock::at(20));
    assert_eq!(deadline.time_left(), Some(Duration::from_secs(30)));
    assert_eq!(deadline.spare(), Some(Duration::from_secs(20)));
    let past = Deadline::new(50_000, Duration::from_secs(10)).with_clock(ManualClock::at(60));
    assert!(!past.fits_another());
    assert_eq!(past.spare(), Some(Duration::ZERO));
}
