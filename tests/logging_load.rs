//! Logging never crashes a handler, and a handler that crashes anyway costs one invocation.
//!
//! The whole stack runs in this test process with the production JSON subscriber at TRACE (the
//! most verbose level: every span of ours, the AWS SDK's and hyper's), formatting every line
//! and writing it to a sink. A span guard held across an `.await` leaves a closed span as the
//! current span of a worker thread, and under concurrent load the next span created there
//! panics inside tracing-subscriber ("tried to clone a span that already closed"): in the
//! catalog consumer, which then stopped answering, or in payment-webhook, which dropped a
//! Stripe request unanswered. The load test posts a hundred signed webhooks over all six
//! channels plus signed Stripe events of both kinds, 64 at a time, and requires that nothing
//! panicked, every request was answered 200 and every customer got a reply.
//!
//! That panic needs a narrow race, so the test does not count on meeting it: it watches for
//! its cause, which shows on every request it touches. A layer beside the JSON one counts
//! spans exited on a thread other than the one that entered them (a guard carried across an
//! `.await` to another worker). `.instrument` enters and exits within one poll, on one thread,
//! so the count must be zero. A guard held across an `.await` is seen as soon as its task
//! resumes on another worker, and under this load tasks do: the test counts its own request
//! tasks that resumed on another thread than the one they started on, and requires that some
//! did, so a run too quiet to move tasks fails instead of passing unseen.
//!
//! Why one round of a hundred customers, not three rounds of two hundred (until 2026-12-04):
//! the counter's check does not get stronger with repetition, only with coverage and
//! concurrency. Coverage is every path a request takes (six channels' webhooks, the catalog
//! and notify consumers, both Stripe event kinds, payment-webhook), each taken by many requests
//! here; concurrency is the 64 requests in flight on four workers, unchanged. Three rounds
//! repeated the same paths under the same concurrency and cost six times the time: 423 s of
//! the test command's last run, its longest job (README, Tests: the figures).
//!
//! The poller test makes the catalog handler panic on its first invocation and requires what
//! Lambda gives: that invocation fails, its records come back to the queue, and the consumer
//! keeps answering, the customer of the failed batch included.

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::QueueAttributeName;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_e2e::{Consumers, Customer, Harness, OutboxEntry, Platform};
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use tracing::span;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The poller test's injected panic says this; any other panic in the process is a failure.
const DELIBERATE: &str = "deliberate panic from the poller test";

/// Panics anywhere in this process (any thread, any task) other than the deliberate one.
static UNEXPECTED_PANICS: AtomicUsize = AtomicUsize::new(0);
static DELIBERATE_PANICS: AtomicUsize = AtomicUsize::new(0);

/// The two tests run one after the other: the poller test panics on purpose, and the load
/// test counts panics.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Spans exited on another thread than the one that entered them, by span name.
static CROSS_THREAD_EXITS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

thread_local! {
    /// The spans this thread entered and has not exited yet.
    static ENTERED_HERE: RefCell<Vec<span::Id>> = const { RefCell::new(Vec::new()) };
}

/// A layer that records every exit of a span this thread did not enter.
struct SameThreadExits;

impl<S> Layer<S> for SameThreadExits
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_enter(&self, id: &span::Id, _: Context<'_, S>) {
        ENTERED_HERE.with(|entered| entered.borrow_mut().push(id.clone()));
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        let here = ENTERED_HERE.with(|entered| {
            let mut entered = entered.borrow_mut();
            let at = entered.iter().rposition(|e| e == id);
            at.map(|at| entered.remove(at)).is_some()
        });
        if !here {
            let name = ctx.span(id).map_or("(closed)", |s| s.name());
            CROSS_THREAD_EXITS.lock().unwrap().push(name);
        }
    }
}

/// Installs the JSON subscriber at TRACE for the whole process (with [`SameThreadExits`]
/// beside it), and a panic hook that counts.
fn trace_everything_and_count_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber =
            chatdrop_telemetry::subscriber("trace", std::io::sink).with(SameThreadExits);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber in this process");
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if message.contains(DELIBERATE) {
                DELIBERATE_PANICS.fetch_add(1, Ordering::SeqCst);
            } else {
                UNEXPECTED_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

/// How many customers of each platform write (SMS is paced at one message a second per
/// sending number, so it gets fewer): 100 webhooks, more than the requests in flight, so the
/// gate stays full while the consumers work.
const ROUND: &[(Platform, usize)] = &[
    (Platform::Whatsapp, 20),
    (Platform::Telegram, 20),
    (Platform::Messenger, 20),
    (Platform::Line, 20),
    (Platform::Wechat, 15),
    (Platform::Sms, 5),
];
const STRIPE_EVENTS_PER_ROUND: usize = 30;
const ROUNDS: usize = 1;
/// Requests in flight at once.
const CONCURRENCY: usize = 64;

/// A distinct platform id for customer `n` of `round` on `platform`.
fn customer_id(platform: Platform, round: usize, n: usize) -> String {
    let k = round * 1000 + n;
    match platform {
        Platform::Whatsapp => format!("55119{k:08}"),
        Platform::Telegram => format!("71{k:08}"),
        Platform::Messenger => format!("65432{k:011}"),
        Platform::Line => format!("U{k:032x}"),
        Platform::Wechat => format!("oLogLoad_{k:019}"),
        Platform::Sms => format!("+1555{k:07}"),
        Platform::Viber => format!("LogLoad{k:017}=="),
    }
}

/// A signed Stripe event about an order this stack never made: payment-webhook verifies it,
/// looks the order up, records the event and answers 200.
fn stripe_event(round: usize, n: usize) -> (Vec<u8>, String) {
    let kind = if n.is_multiple_of(2) {
        "checkout.session.expired"
    } else {
        "checkout.session.completed"
    };
    let body = serde_json::json!({
        "id": format!("evt_logload_{round}_{n}_{}", std::process::id()),
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": format!("cs_test_logload_{round}_{n}"),
            "object": "checkout.session",
            "client_reference_id": format!("no-such-order-{round}-{n}"),
            "payment_status": "paid",
            "amount_total": 4200
        }}
    })
    .to_string()
    .into_bytes();
    let secret = &xtask::dev::secrets()[chatdrop_config::secret_names::STRIPE_WEBHOOK_SECRET];
    let signature = chatdrop_payments::webhook::sign(&body, secret, SystemClock.now());
    (body, signature)
}

/// Every recipient among `ids` with at least one request recorded after `after`.
fn answered(outbox: &[OutboxEntry], after: usize, ids: &HashSet<String>) -> HashSet<String> {
    outbox
        .iter()
        .filter(|e| e.seq > after && ids.contains(&e.recipient))
        .map(|e| e.recipient.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_webhooks_and_stripe_events_with_trace_logging_panic_nothing() {
    let _serial = SERIAL.lock().await;
    trace_everything_and_count_panics();
    let panics_before = UNEXPECTED_PANICS.load(Ordering::SeqCst);
    let h = Arc::new(Harness::start("logload").await);
    let http = xtask::local_http::client();
    let stripe_url = format!("{}/webhooks/stripe", h.stack.url);
    for round in 0..ROUNDS {
        let started = Instant::now();
        let before = h.stack.last_seq().await.unwrap();
        let customers: Vec<Arc<Customer>> = ROUND
            .iter()
            .flat_map(|&(platform, count)| {
                let h = h.clone();
                (0..count).map(move |n| {
                    Arc::new(h.customer_on(platform, &customer_id(platform, round, n)))
                })
            })
            .collect();
        let ids: HashSet<String> = customers.iter().map(|c| c.id.clone()).collect();
        let gate = Arc::new(Semaphore::new(CONCURRENCY));
        // Request tasks that resumed on another worker than the one they started on.
        let moved = Arc::new(AtomicUsize::new(0));
        let mut requests = tokio::task::JoinSet::new();
        // Webhooks and Stripe events interleaved, so both functions run at once.
        for (i, customer) in customers.iter().enumerate() {
            let (customer, permits) = (customer.clone(), gate.clone());
            let moved = moved.clone();
            requests.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let started_on = std::thread::current().id();
                let status = customer.say("hi").await;
                if std::thread::current().id() != started_on {
                    moved.fetch_add(1, Ordering::SeqCst);
                }
                (
                    format!("{:?} {}", customer.platform, customer.id),
                    status.map_err(|e| e.to_string()),
                )
            });
            if i.is_multiple_of((customers.len() / STRIPE_EVENTS_PER_ROUND).max(1)) {
                let (http, url, permits) = (http.clone(), stripe_url.clone(), gate.clone());
                let n = i;
                requests.spawn(async move {
                    let _permit = permits.acquire_owned().await.unwrap();
                    let (body, signature) = stripe_event(round, n);
                    let status = http
                        .post(url)
                        .header(chatdrop_payments::webhook::SIGNATURE_HEADER, signature)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .map_err(|e| e.to_string());
                    (format!("Stripe event {round}/{n}"), status)
                });
            }
        }
        let mut sent = 0;
        while let Some(joined) = requests.join_next().await {
            let (what, status) = joined.expect("the request task ran");
            // A dropped connection (a panicked handler) is an error here, not a status.
            assert_eq!(status, Ok(200), "round {round}: {what}");
            sent += 1;
        }
        // Every customer gets the menu, however long the queues take on moto.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let outbox = h.stack.outbox().await.unwrap();
            let got = answered(&outbox, before, &ids);
            if got.len() == ids.len() {
                break;
            }
            if Instant::now() > deadline {
                let mut missing: Vec<_> = ids.difference(&got).cloned().collect();
                missing.sort();
                panic!(
                    "round {round}: {} of {} customers unanswered after 180 s (panics so far: {}): {missing:?}",
                    missing.len(),
                    ids.len(),
                    UNEXPECTED_PANICS.load(Ordering::SeqCst)
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let crossed = CROSS_THREAD_EXITS.lock().unwrap().clone();
        let moved = moved.load(Ordering::SeqCst);
        eprintln!(
            "round {round}: {sent} requests ({} webhooks) answered 200 and every customer answered in {:.1} s; {moved} webhook tasks resumed on another thread; {} spans exited on another thread",
            ids.len(),
            started.elapsed().as_secs_f64(),
            crossed.len()
        );
        // The counter below sees a guard carried across an `.await` only when its task moves;
        // if none of ours did, the load did not move tasks and the zero would prove nothing.
        assert!(
            moved > 0,
            "round {round}: no request task resumed on another worker thread"
        );
        assert_eq!(
            UNEXPECTED_PANICS.load(Ordering::SeqCst) - panics_before,
            0,
            "round {round}: something panicked (see the output above)"
        );
        let mut names: Vec<&str> = crossed.clone();
        names.sort_unstable();
        names.dedup();
        assert!(
            crossed.is_empty(),
            "round {round}: {} spans were exited on another thread than the one that entered them (a guard held across an `.await`): {names:?}",
            crossed.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_fails_one_invocation_and_the_consumer_keeps_answering() {
    let _serial = SERIAL.lock().await;
    trace_everything_and_count_panics();
    // The catalog queue is polled by this test, with a handler that panics once; notify runs
    // as usual and sends what the catalog function queues.
    let h = Harness::start_consuming("poller-panic", Consumers::NotifyOnly, Vec::new()).await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let catalog_url = h.stack.provisioned.queues.catalog.clone();
    // Records of a failed invocation come back when their visibility timeout ends (60 s in
    // `resources.json`); a short one keeps the test short without changing what happens.
    sqs.set_queue_attributes()
        .queue_url(&catalog_url)
        .attributes(QueueAttributeName::VisibilityTimeout, "2")
        .send()
        .await
        .unwrap();

    let app = Arc::new(chatdrop_conversation::ConversationApp::new(
        &h.stack.config,
        &h.stack.aws,
    ));
    let invocations = Arc::new(AtomicUsize::new(0));
    let counted = invocations.clone();
    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(xtask::stack::poll(
        sqs,
        catalog_url,
        stopped,
        move |event: SqsEvent| {
            let app = app.clone();
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    panic!("{DELIBERATE}");
                }
                catalog::handle(
                    &app,
                    lambda_runtime::LambdaEvent::new(event, Default::default()),
                )
                .await
            }
        },
    ));

    let ana = h.whatsapp("5511955550041");
    let bob = h.whatsapp("5511955550042");
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(ana.say("hi").await.unwrap(), 200);
    // Ana's message is in the invocation that panics.
    chatdrop_e2e::eventually(|| async {
        (DELIBERATE_PANICS.load(Ordering::SeqCst) >= 1).then_some(())
    })
    .await;
    assert!(!poller.is_finished(), "the poller survived the panic");

    // The consumer keeps answering: Bob, in another conversation, right away.
    let replies = h.say(&bob, "hi").await;
    assert!(
        chatdrop_e2e::all_text(&replies).contains("Welcome"),
        "{replies:#?}"
    );
    // And Ana: her record came back to the queue and was handled by a later invocation,
    // once (the failed invocation committed nothing).
    let replies = h.stack.replies_after(&ana.id, before).await.unwrap();
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        chatdrop_e2e::all_text(&replies).contains("Welcome"),
        "{replies:#?}"
    );
    assert_eq!(DELIBERATE_PANICS.load(Ordering::SeqCst), 1);
    assert!(invocations.load(Ordering::SeqCst) >= 3);

    let _ = stop.send(true);
    poller
        .await
        .expect("the poller ended cleanly, not by a panic");
    h.stack.stop().await;
}
