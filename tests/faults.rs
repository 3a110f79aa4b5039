//! Faults survived: what chatdrop does when a consumer crashes, the store fails, a platform is
//! down, or the whole stack dies in the middle of a drop.
//!
//! Each test drives the real functions on the local stack. Where a fault needs a precise
//! moment (a crash after a side effect, a message given back to SQS), the test plays Lambda's
//! event source mapping itself: it receives from the queue, calls the function's `handle` with
//! the `SqsEvent` Lambda would build, and deletes (or, to model a crash, does not delete) what
//! the handler did not report as failed, exactly as `xtask/src/stack.rs` does.
//!
//! Waiting out the provisioned visibility timeouts (60 s to 270 s, `resources.json`) would make
//! this file take many minutes, so a message given back to the queue is made visible again at
//! once (`ChangeMessageVisibility 0`, "the timeout has passed"), or a test shortens its own
//! queues' timeout with `SetQueueAttributes`. Both only move the moment SQS redelivers; the
//! receive count, the redrive policy and the dead-letter move are SQS's (moto's) own.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use chatdrop_conversation::ConversationApp;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::Drop;
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_e2e::{Customer, Harness, OutboxEntry, Webhook, bag_drop, button_ids, shown_text};
use lambda_runtime::{Context, LambdaEvent};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use xtask::dev::FixedSecrets;
use xtask::stack::{LocalStack, sqs_event};

/// The queue-triggered functions after one cold start, built the way their Lambda mains build
/// them, on the stack's table and queues.
struct Functions {
    conversations: ConversationApp,
    payment: payment::Payment,
    notify: notify::Notify,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Consumer {
    Catalog,
    Cart,
    Payment,
    Notify,
}

const CONSUMERS: [Consumer; 4] = [
    Consumer::Catalog,
    Consumer::Cart,
    Consumer::Payment,
    Consumer::Notify,
];

impl Functions {
    async fn cold_start(stack: &LocalStack) -> Functions {
        let secrets = FixedSecrets(xtask::dev::secrets());
        Functions {
            conversations: ConversationApp::new(&stack.config, &stack.aws),
            payment: payment::Payment::new(&stack.config, &secrets, &stack.aws)
                .await
                .expect("payment starts"),
            notify: notify::Notify::new(&stack.config, &secrets, &stack.aws)
                .await
                .expect("notify starts"),
        }
    }

    /// One invocation with `messages` as the batch. A consumer reports failures per record;
    /// an `Err` would return the whole batch to the queue, which is the crash this file
    /// checks never happens on a store or platform failure.
    async fn invoke(&self, consumer: Consumer, messages: &[Message]) -> SqsBatchResponse {
        let event = LambdaEvent::new(sqs_event(messages), Context::default());
        match consumer {
            Consumer::Catalog => catalog::handle(&self.conversations, event).await,
            Consumer::Cart => cart::handle(&self.conversations, event).await,
            Consumer::Payment => payment::handle(&self.payment, event).await,
            Consumer::Notify => notify::handle(&self.notify, event).await,
        }
        .expect("a consumer reports failed records; it does not fail the batch")
    }
}

fn queue_url(stack: &LocalStack, consumer: Consumer) -> String {
    let q = &stack.provisioned.queues;
    match consumer {
        Consumer::Catalog => q.catalog.clone(),
        Consumer::Cart => q.cart.clone(),
        Consumer::Payment => q.payment.clone(),
        Consumer::Notify => q.outbound.clone(),
    }
}

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, wait_seconds: i32) -> Vec<Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

fn attribute(m: &Message, name: MessageSystemAttributeName) -> String {
    m.attributes
        .as_ref()
        .and_then(|a| a.get(&name))
        .cloned()
        .unwrap_or_default()
}

fn receive_count(m: &Message) -> u32 {
    attribute(m, MessageSystemAttributeName::ApproximateReceiveCount)
        .parse()
        .unwrap_or(0)
}

fn failed_ids(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// Deletes what the handler did not report as failed: the event source mapping's half.
async fn delete_done(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    messages: &[Message],
    response: &SqsBatchResponse,
) {
    let failed = failed_ids(response);
    for m in messages {
        if !failed.contains(m.message_id.as_ref().unwrap()) {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// "The visibility timeout has passed": the message is receivable again now.
async fn give_back(sqs: &aws_sdk_sqs::Client, url: &str, m: &Message) {
    sqs.change_message_visibility()
        .queue_url(url)
        .receipt_handle(m.receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .expect("change visibility");
}

async fn set_visibility_timeout(sqs: &aws_sdk_sqs::Client, url: &str, seconds: u32) {
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string())
        .send()
        .await
        .expect("set visibility timeout");
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes");
    let attrs = out.attributes.unwrap_or_default();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|n| {
        attrs
            .get(n)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    })
    .sum()
}

/// Runs `consumer` over its queue until it is empty; returns the bodies it handled.
async fn drain(f: &Functions, stack: &LocalStack, consumer: Consumer) -> Vec<String> {
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let url = queue_url(stack, consumer);
    let mut handled = Vec::new();
    loop {
        let messages = receive(&sqs, &url, 0).await;
        if messages.is_empty() {
            return handled;
        }
        let response = f.invoke(consumer, &messages).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "{consumer:?} failed on a healthy stack: {response:?}"
        );
        delete_done(&sqs, &url, &messages, &response).await;
        handled.extend(messages.iter().filter_map(|m| m.body.clone()));
    }
}

/// Drains every queue until a whole pass handles nothing; returns the reply bundles notify
/// delivered.
async fn settle(f: &Functions, stack: &LocalStack) -> Vec<ReplyBundle> {
    let mut bundles = Vec::new();
    loop {
        let mut handled = 0;
        for consumer in CONSUMERS {
            let bodies = drain(f, stack, consumer).await;
            handled += bodies.len();
            if consumer == Consumer::Notify {
                bundles.extend(
                    bodies
                        .iter()
                        .map(|b| serde_json::from_str::<ReplyBundle>(b).expect("a reply bundle")),
                );
            }
        }
        if handled == 0 {
            return bundles;
        }
    }
}

/// Lambda's event source mapping for every queue, as background tasks that can be killed:
/// aborting a task drops its handler at whatever await it had reached, as SIGKILL would.
fn spawn_consumers(f: Arc<Functions>, stack: &LocalStack) -> Vec<JoinHandle<()>> {
    CONSUMERS
        .iter()
        .map(|&consumer| {
            let f = f.clone();
            let sqs = aws_sdk_sqs::Client::new(&stack.aws);
            let url = queue_url(stack, consumer);
            tokio::spawn(async move {
                loop {
                    let messages = receive(&sqs, &url, 1).await;
                    if messages.is_empty() {
                        continue;
                    }
                    let response = f.invoke(consumer, &messages).await;
                    delete_done(&sqs, &url, &messages, &response).await;
                }
            })
        })
        .collect()
}

async fn post(customer: &Customer, webhook: &Webhook) {
    assert_eq!(
        customer.post(webhook).await.unwrap(),
        200,
        "webhook accepted"
    );
}

fn tap(customer: &Customer, payload: &str) -> Webhook {
    customer.tap_webhook(payload, "tap")
}

/// What the fakes sent `recipient` after sequence number `after`.
async fn sent_to(stack: &LocalStack, recipient: &str, after: usize) -> Vec<OutboxEntry> {
    stack
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.seq > after && e.recipient == recipient)
        .collect()
}

fn texts(entries: &[OutboxEntry]) -> String {
    entries
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A drop of the sample's sticker pack: it has no options, so one tap puts it in a cart.
fn sticker_drop(id: &str, stock: u32) -> Drop {
    let mut drop = bag_drop(id, stock, None);
    drop.skus[0].sku = "sticker-pack".into();
    drop
}

/// What must not change when a message is processed again.
#[derive(Debug, PartialEq)]
struct Effects {
    stock: Vec<(String, i64, i64, i64)>,
    orders: usize,
    stripe_sessions: usize,
    sent_to_customer: usize,
}

async fn effects(h: &Harness, drop: &str, customer: &Customer) -> Effects {
    let store = h.stack.store();
    Effects {
        stock: store.drop_stock(drop).await.unwrap(),
        orders: store.all_orders().await.unwrap().len(),
        stripe_sessions: h.stack.stripe.sessions().await.unwrap().len(),
        sent_to_customer: sent_to(&h.stack, &customer.id, 0).await.len(),
    }
}

/// Fault 1: the payment function reserves stock, creates the order and the Stripe session,
/// queues the pay link, and then dies before SQS hears that the message is done. SQS hands the
/// same message over again after its visibility timeout, and a platform may redeliver the
/// webhook after SQS's five-minute deduplication has forgotten it (a new SQS message, same
/// body). Both times the processed-message marker recognises it: no second reservation, no
/// second order or Stripe session, no second pay link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_dies_before_deleting_its_message_does_nothing_twice() {
    let h = Harness::start_without_consumers("faults-crash").await;
    h.stack.open_drop(&sticker_drop("crash", 3)).await.unwrap();
    let f = Functions::cold_start(&h.stack).await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let ana = h.whatsapp("5511900000701");

    post(&ana, &tap(&ana, "k:a:sticker-pack")).await;
    settle(&f, &h.stack).await;
    assert!(texts(&sent_to(&h.stack, &ana.id, 0).await).contains("Added to your cart"));

    let before = h.stack.last_seq().await.unwrap();
    post(&ana, &tap(&ana, "p:c")).await;
    let queue = queue_url(&h.stack, Consumer::Payment);
    let first = receive(&sqs, &queue, 1).await;
    assert_eq!(first.len(), 1, "the checkout is queued");
    let response = f.invoke(Consumer::Payment, &first).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    // The crash: the message is not deleted.
    let bundles = settle(&f, &h.stack).await;
    assert_eq!(bundles.len(), 1, "one reply bundle for the checkout");
    let pay_link = sent_to(&h.stack, &ana.id, before).await;
    assert!(
        texts(&pay_link).contains("Reserved for you"),
        "{pay_link:#?}"
    );
    let done = effects(&h, "crash", &ana).await;
    assert_eq!(done.stock, [("sticker-pack".to_string(), 2, 1, 0)]);
    assert_eq!((done.orders, done.stripe_sessions), (1, 1));

    // SQS redelivers the message the dead consumer held.
    give_back(&sqs, &queue, &first[0]).await;
    let again = receive(&sqs, &queue, 1).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, first[0].message_id, "the same message");
    assert_eq!(receive_count(&again[0]), 2);
    let response = f.invoke(Consumer::Payment, &again).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    delete_done(&sqs, &queue, &again, &response).await;
    // A committed sale keeps no "done" marker (ARCHITECTURE.md, a sale's calls): its
    // redelivery may queue the same reply bundle again, which notify's progress record sends
    // once. Anything queued must be that bundle, and the customer gets nothing more.
    let first_bundle = bundles[0].id.clone();
    let requeued = settle(&f, &h.stack).await;
    assert!(
        requeued.iter().all(|b| b.id == first_bundle),
        "only the same reply again: {requeued:#?}"
    );
    assert_eq!(effects(&h, "crash", &ana).await, done);

    // The same body again, past SQS's deduplication window: a new message id and dedup id.
    let group = attribute(&first[0], MessageSystemAttributeName::MessageGroupId);
    sqs.send_message()
        .queue_url(&queue)
        .message_body(first[0].body.clone().unwrap())
        .message_group_id(group)
        .message_deduplication_id("redelivered-after-the-dedup-window")
        .send()
        .await
        .unwrap();
    let late = receive(&sqs, &queue, 1).await;
    assert_eq!(late.len(), 1);
    assert_ne!(late[0].message_id, first[0].message_id, "a new SQS message");
    let response = f.invoke(Consumer::Payment, &late).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    delete_done(&sqs, &queue, &late, &response).await;
    let requeued = settle(&f, &h.stack).await;
    assert!(
        requeued.iter().all(|b| b.id == first_bundle),
        "only the same reply again: {requeued:#?}"
    );
    assert_eq!(effects(&h, "crash", &ana).await, done);
    println!(
        "crash: checkout handled 3 times (first, SQS redelivery, late duplicate): 1 order, 1 Stripe session, stock {:?}, {} requests to the customer",
        done.stock, done.sent_to_customer
    );
    h.stack.stop().await;
}

/// Runs `chatdrop dlq redrive`'s own code.
async fn redrive(sqs: &aws_sdk_sqs::Client, from: &str, to: &str) -> String {
    let moved = chatdrop_queue::redrive(sqs, from, to, |_| {})
        .await
        .unwrap();
    format!("chatdrop dlq redrive: moved {moved} messages")
}

/// Fault 2: DynamoDB answers 500 for a while. The catalog function reports each record as
/// failed (the second one unprocessed, behind the first of its conversation) instead of
/// failing the invocation; SQS redelivers until the queue's `maxReceiveCount`, then moves both
/// messages to the dead-letter queue. Once the store is back, `chatdrop dlq redrive` returns
/// them and each is answered exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_dead_letters_messages_and_a_redrive_answers_each_once() {
    let h = Harness::start_without_consumers("faults-store").await;
    let f = Functions::cold_start(&h.stack).await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let table = h.stack.provisioned.table.clone();
    let queue = queue_url(&h.stack, Consumer::Catalog);
    let dead_letters = h.stack.provisioned.dead_letters["catalog"].clone();
    let policy = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::RedrivePolicy]
        .clone();
    let max_receives =
        serde_json::from_str::<serde_json::Value>(&policy).unwrap()["maxReceiveCount"]
            .as_u64()
            .unwrap() as u32;

    let ana = h.whatsapp("5511900000702");
    xtask::moto::fail_dynamodb(&endpoint, &table, 1_000_000)
        .await
        .unwrap();
    post(&ana, &ana.text_webhook("hi")).await;
    post(&ana, &ana.text_webhook("sticker")).await;
    for attempt in 1..=max_receives {
        let batch = receive(&sqs, &queue, 1).await;
        assert_eq!(
            batch.len(),
            2,
            "attempt {attempt}: the conversation's two messages"
        );
        assert!(batch.iter().all(|m| receive_count(m) == attempt));
        let response = f.invoke(Consumer::Catalog, &batch).await;
        let ids: Vec<String> = batch
            .iter()
            .map(|m| m.message_id.clone().unwrap())
            .collect();
        assert_eq!(
            failed_ids(&response),
            ids,
            "attempt {attempt}: both returned"
        );
        for m in &batch {
            give_back(&sqs, &queue, m).await;
        }
    }
    assert!(
        receive(&sqs, &queue, 1).await.is_empty(),
        "past maxReceiveCount SQS stops delivering"
    );
    assert_eq!(depth(&sqs, &queue).await, 0);
    assert_eq!(depth(&sqs, &dead_letters).await, 2, "both dead-lettered");
    let failed_requests = xtask::moto::dynamodb_failures_answered(&endpoint, &table)
        .await
        .unwrap();
    xtask::moto::fail_dynamodb(&endpoint, &table, 0)
        .await
        .unwrap();
    assert!(sent_to(&h.stack, &ana.id, 0).await.is_empty());
    assert_eq!(depth(&sqs, &queue_url(&h.stack, Consumer::Notify)).await, 0);

    let how = redrive(&sqs, &dead_letters, &queue).await;
    assert_eq!(depth(&sqs, &dead_letters).await, 0);
    let bundles = settle(&f, &h.stack).await;
    assert_eq!(bundles.len(), 2, "one answer per message: {bundles:#?}");
    let sent = sent_to(&h.stack, &ana.id, 0).await;
    let expected: usize = bundles.iter().map(|b| b.replies.len()).sum();
    assert_eq!(sent.len(), expected, "every reply once: {sent:#?}");
    // In the order they were written: the welcome answers "hi", the search "sticker".
    assert!(
        shown_text(&sent[0]).contains("Welcome to our shop"),
        "{sent:#?}"
    );
    let last = seen(sent.last().unwrap()).to_lowercase();
    assert!(last.contains("sticker"), "{last}");
    println!(
        "store outage: {failed_requests} DynamoDB requests failed, {max_receives} receives each, 2 dead-lettered, redrive by {how}, {} requests to the customer",
        sent.len()
    );
    h.stack.stop().await;
}

/// A failure a platform answers with, in its own error format: a 5xx, or a gateway timeout.
fn platform_fault(channel: &str, n: usize) -> serde_json::Value {
    let (status, why) = [
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
    ][n % 4];
    let body = match channel {
        "whatsapp" => serde_json::json!({"error": {
            "message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException", "code": 2, "fbtrace_id": why}}),
        _ => serde_json::json!({"ok": false, "error_code": status, "description": why}),
    };
    serde_json::json!({"channel": channel, "status": status, "body": body})
}

async fn inject(h: &Harness, faults: Vec<serde_json::Value>) {
    let response = xtask::local_http::client()
        .post(format!("{}/_control/faults", h.stack.fakes_url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

/// One reply as the customer sees it, without the recipient.
fn seen(entry: &OutboxEntry) -> String {
    format!(
        "{} {} {:?}",
        entry.method,
        shown_text(entry),
        button_ids(entry)
    )
}

const SCRIPT: [(&str, &str); 4] = [
    ("say", "hi"),
    ("tap", "c:p:drop-bag"),
    ("tap", "k:a:sticker-pack"),
    ("say", "cart"),
];

fn step(customer: &Customer, (kind, value): (&str, &str)) -> Webhook {
    match kind {
        "say" => customer.text_webhook(value),
        _ => tap(customer, value),
    }
}

/// Waits until `recipient` has been sent `count` requests in all, then a little longer to catch
/// any extra one.
async fn wait_for(h: &Harness, recipient: &str, count: usize) -> Vec<OutboxEntry> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent = sent_to(&h.stack, recipient, 0).await;
        if sent.len() >= count {
            tokio::time::sleep(Duration::from_millis(800)).await;
            return sent_to(&h.stack, recipient, 0).await;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{recipient} got {} of {count} requests: {sent:#?}",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The script against a platform that fails: before each step one failure is queued for the
/// step's first call, and one more as soon as its first reply is through, so that it lands
/// between the replies of a bundle that has several (when this test is quicker than notify's
/// next call; otherwise it hits the next step's first call). `per_step` is how many replies
/// each step gets on a healthy platform. Returns the failures injected and how many bundles
/// visibly resumed mid-way (their last reply came after a queue redelivery, over 0.8 s later).
async fn play_through_outage(
    h: &Harness,
    customer: &Customer,
    channel: &str,
    per_step: &[usize],
) -> (usize, usize) {
    let (mut injected, mut resumed) = (0, 0);
    for (s, &replies) in SCRIPT.into_iter().zip(per_step) {
        let before = sent_to(&h.stack, &customer.id, 0).await.len();
        inject(h, vec![platform_fault(channel, injected)]).await;
        injected += 1;
        post(customer, &step(customer, s)).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while sent_to(&h.stack, &customer.id, 0).await.len() == before {
            assert!(tokio::time::Instant::now() < deadline, "no reply to {s:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        inject(h, vec![platform_fault(channel, injected)]).await;
        injected += 1;
        let first_reply = tokio::time::Instant::now();
        while sent_to(&h.stack, &customer.id, 0).await.len() < before + replies {
            assert!(tokio::time::Instant::now() < deadline, "{s:?} unanswered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if replies > 1 && first_reply.elapsed() > Duration::from_millis(800) {
            resumed += 1;
        }
    }
    (injected, resumed)
}

/// Fault 3: WhatsApp and Telegram answer 5xx and gateway timeouts for a while. notify returns
/// each failed bundle to the queue; when it is redelivered, the delivery progress recorded per
/// call makes it resume after the last reply that went through. Every reply arrives, in order,
/// and none twice: the conversation reads exactly as it does on a healthy platform.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_outage_delays_replies_but_never_repeats_one() {
    // notify retries a failed bundle after 30 s, doubling, in AWS; after 1 s, doubling, here.
    // One poller handles the queue at a time, so a short delay cannot cause a concurrent
    // second delivery.
    let h =
        Harness::start_with_env("faults-platform", &[("CHATDROP_RETRY_BASE_SECONDS", "1")]).await;

    let mut report = Vec::new();
    let channels = [
        (
            "whatsapp",
            h.whatsapp("5511900000703"),
            h.whatsapp("5511900000704"),
        ),
        (
            "telegram",
            h.telegram(7000000703, None),
            h.telegram(7000000704, None),
        ),
    ];
    // The conversation on a healthy platform.
    let mut healthy = HashMap::new();
    let mut per_step = HashMap::new();
    for (channel, reference, _) in &channels {
        let mut counts = Vec::new();
        for s in SCRIPT {
            counts.push(h.exchange(reference, &step(reference, s)).await.len());
        }
        per_step.insert(*channel, counts);
        let sent: Vec<String> = sent_to(&h.stack, &reference.id, 0)
            .await
            .iter()
            .map(seen)
            .collect();
        healthy.insert(*channel, sent);
    }
    // The same conversation through the outage, on both platforms at once.
    let (wa, tg) = tokio::join!(
        play_through_outage(&h, &channels[0].2, "whatsapp", &per_step["whatsapp"]),
        play_through_outage(&h, &channels[1].2, "telegram", &per_step["telegram"]),
    );
    for ((channel, _, customer), (injected, resumed)) in channels.iter().zip([wa, tg]) {
        let expected = &healthy[channel];
        let sent: Vec<String> = wait_for(&h, &customer.id, expected.len())
            .await
            .iter()
            .map(seen)
            .collect();
        let mut counts: HashMap<&String, i64> = HashMap::new();
        for s in &sent {
            *counts.entry(s).or_default() += 1;
        }
        for s in expected {
            *counts.entry(s).or_default() -= 1;
        }
        let duplicates: i64 = counts.values().filter(|c| **c > 0).sum();
        let missing: i64 = -counts.values().filter(|c| **c < 0).sum::<i64>();
        report.push(format!(
            "{channel}: {injected} failures injected, {resumed} bundles resumed mid-way, {} replies sent, {duplicates} duplicates, {missing} missing",
            sent.len()
        ));
        assert_eq!(duplicates, 0, "{channel}: {sent:#?}");
        assert_eq!(
            &sent, expected,
            "{channel}: the same conversation, in order"
        );
    }
    println!("platform outage: {}", report.join("; "));
    h.stack.stop().await;
}

/// Fault 4: the whole consumer side dies in the middle of a drop (every poller aborted at
/// whatever await it had reached, handlers included), and a new generation cold-starts on the
/// same table and queues while customers keep paying. After the sweep passes the reservation
/// hold: every order Stripe took money for is paid, every other reservation is released, and
/// the stock adds up.
///
/// In process, not `cargo xtask serve` killed with SIGKILL: `serve` starts its own moto, fakes
/// and resources with an empty prefix, so a restarted one cannot reattach to the drop (see the
/// report of issue 7 for the flags it would need). Here the HTTP side (ingress, the Stripe
/// webhook) and the fake Stripe stay up, as separate Lambdas and Stripe itself would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_killed_mid_drop_and_restarted_loses_no_paid_order() {
    const STOCK: i64 = 4;
    let h = Arc::new(Harness::start_without_consumers("faults-restart").await);
    h.stack
        .open_drop(&sticker_drop("restart", STOCK as u32))
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    // A killed consumer's messages come back after 2 s instead of 60–270 s.
    for consumer in CONSUMERS {
        set_visibility_timeout(&sqs, &queue_url(&h.stack, consumer), 2).await;
    }
    let first = spawn_consumers(Arc::new(Functions::cold_start(&h.stack).await), &h.stack);

    let customers: Arc<Vec<Customer>> = Arc::new(
        (0..6)
            .map(|i| match i % 2 {
                0 => h.whatsapp(&format!("55119000008{i:02}")),
                _ => h.telegram(7000000800 + i, None),
            })
            .collect(),
    );
    let mut carts = Vec::new();
    for i in 0..customers.len() {
        let (h, customers) = (h.clone(), customers.clone());
        carts.push(tokio::spawn(async move {
            let c = &customers[i];
            h.exchange(c, &tap(c, "k:a:sticker-pack")).await;
        }));
    }
    for cart in carts {
        cart.await.unwrap();
    }

    // Everyone checks out; the first two Stripe sessions are paid as soon as they exist, outage
    // or not, so a payment can even overtake the checkout's own commit.
    let before = h.stack.last_seq().await.unwrap();
    for c in customers.iter() {
        post(c, &tap(c, "p:c")).await;
    }
    let payer = {
        let h = h.clone();
        tokio::spawn(async move {
            let mut paid = Vec::new();
            loop {
                for s in h.stack.stripe.sessions().await.unwrap() {
                    // Half the customers pay; the other half let the reservation lapse.
                    if s.status == "open" && !paid.contains(&s.id) && paid.len() < 2 {
                        h.stack.stripe.pay(&s.id).await.unwrap();
                        paid.push(s.id);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // The kill, as soon as the first checkout has reached Stripe: the rest of the batch is
    // mid-flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while h.stack.stripe.sessions().await.unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no checkout reached Stripe"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for task in &first {
        task.abort();
    }
    let at_kill = h.stack.stripe.sessions().await.unwrap().len();
    let mut in_flight = 0;
    for consumer in CONSUMERS {
        in_flight += depth(&sqs, &queue_url(&h.stack, consumer)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = spawn_consumers(Arc::new(Functions::cold_start(&h.stack).await), &h.stack);

    // Every customer is answered.
    for c in customers.iter() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            let text = texts(&sent_to(&h.stack, &c.id, before).await);
            // A pay link, "sold out", or, when Stripe's payment overtook a checkout the kill
            // interrupted, the paid order itself.
            if ["Reserved for you", "sold out", "paid"]
                .iter()
                .any(|t| text.contains(t))
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} never answered: {text}",
                c.id
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The last payments go through, and then the hold passes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h
        .stack
        .stripe
        .sessions()
        .await
        .unwrap()
        .iter()
        .filter(|s| s.payment_status == "paid")
        .count()
        < 2
    {
        assert!(tokio::time::Instant::now() < deadline, "payments stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    payer.abort();
    let released = h.stack.sweep_at(SystemClock.now() + 11 * 60).await.unwrap();

    let store = h.stack.store();
    let sessions = h.stack.stripe.sessions().await.unwrap();
    let mut paid_orders = 0;
    for s in sessions.iter().filter(|s| s.payment_status == "paid") {
        let id = s.client_reference_id.clone().unwrap();
        let order = store
            .order(&id)
            .await
            .unwrap()
            .expect("the paid order exists");
        assert_eq!(order.status, OrderStatus::Paid, "order {id} was paid for");
        paid_orders += 1;
    }
    let orders = store.all_orders().await.unwrap();
    for o in &orders {
        assert!(
            o.status == OrderStatus::Paid || o.status.released(),
            "order {} still {:?} after the hold",
            o.id,
            o.status
        );
    }
    let sold = orders
        .iter()
        .filter(|o| o.status == OrderStatus::Paid)
        .count() as i64;
    assert_eq!(
        sold, paid_orders as i64,
        "only what Stripe took money for is sold"
    );
    assert_eq!(
        store.drop_stock("restart").await.unwrap(),
        [("sticker-pack".to_string(), STOCK - sold, 0, sold)],
        "stock = initial − sold, nothing held"
    );
    assert_eq!(
        orders.len(),
        sessions.len(),
        "one Stripe session per order, none twice"
    );
    println!(
        "restart: {} customers, {} orders ({at_kill} at Stripe and {in_flight} messages queued or held when killed), {sold} paid, {released} released by the sweep, stock {:?}",
        customers.len(),
        orders.len(),
        store.drop_stock("restart").await.unwrap()
    );
    for task in &second {
        task.abort();
    }
    if let Ok(h) = Arc::try_unwrap(h) {
        h.stack.stop().await;
    }
}

/// A rate limit longer than notify waits in place: the bundle comes back after the platform's
/// advised delay (its visibility is set to it) and is sent once, and the wait is not counted
/// against the retry budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_rate_limit_delays_a_reply_without_spending_its_retry_budget() {
    let h = Harness::start("faults-ratelimit").await;
    let kai = h.customer_on(
        chatdrop_e2e::Platform::Line,
        "Uaaaabbbbccccddddeeeeffff00007777",
    );
    // Beyond notify's 10-second in-place bound: back to the queue, due again in 12 s.
    h.inject_fault(
        "line",
        429,
        serde_json::json!({"message": "The API rate limit has been exceeded. Try again later."}),
        Some(12),
    )
    .await;
    let started = std::time::Instant::now();
    let before = h.stack.last_seq().await.unwrap();
    post(&kai, &kai.text_webhook("hi")).await;
    let sent = wait_for(&h, &kai.id, 1).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(12), "{waited:?}");
    assert!(
        waited < Duration::from_secs(60),
        "back after the advised delay, not the 270-second visibility timeout: {waited:?}"
    );
    let shown: String = sent.iter().map(xtask::transcript::shown_text).collect();
    assert!(shown.contains("Welcome"), "{shown}");
    h.assert_silence(&kai.id, sent.last().unwrap().seq).await;
    assert_eq!(
        sent_to(&h.stack, &kai.id, before).await.len(),
        1,
        "sent once"
    );

    // No transient failure was counted for it.
    let store = h.stack.store();
    let progress = store
        .client()
        .scan()
        .table_name(store.table())
        .filter_expression("begins_with(pk, :p) AND attribute_exists(failures)")
        .expression_attribute_values(":p", AttributeValue::S("OUTBOX#".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(progress.count(), 0, "{:?}", progress.items());
    h.stack.stop().await;
}

/// A platform failing every try: notify counts the failures, backs off between them, and at the
/// tenth moves the bundle to the outbound dead-letter queue itself (before the queue's own
/// backstop of thirty receives); a redrive once the platform is back delivers it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_retry_budget_dead_letters_a_reply_and_a_redrive_sends_it_once() {
    // Retries at once instead of backing off from thirty seconds.
    let h = Harness::start_with_env("faults-budget", &[("CHATDROP_RETRY_BASE_SECONDS", "0")]).await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let outbound = queue_url(&h.stack, Consumer::Notify);
    let dead_letters = h.stack.provisioned.dead_letters["outbound"].clone();
    let faults = (0..notify::RETRY_BUDGET as usize)
        .map(|n| platform_fault("telegram", n))
        .collect();
    inject(&h, faults).await;

    let ken = h.telegram(7000000777, None);
    let before = h.stack.last_seq().await.unwrap();
    post(&ken, &ken.text_webhook("/start")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while depth(&sqs, &dead_letters).await == 0 {
        assert!(std::time::Instant::now() < deadline, "never dead-lettered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(sent_to(&h.stack, &ken.id, before).await.is_empty());

    let moved = redrive(&sqs, &dead_letters, &outbound).await;
    assert!(moved.ends_with("moved 1 messages"), "{moved}");
    let sent = wait_for(&h, &ken.id, 1).await;
    assert!(texts(&sent).contains("Welcome"), "{}", texts(&sent));
    h.assert_silence(&ken.id, sent.last().unwrap().seq).await;
    h.stack.stop().await;
}
