//! No single bad record stalls a queue or the sweep.
//!
//! Each test puts one record that cannot go through (a Stripe session that answers 404, a
//! queue message no consumer version reads, a platform that keeps saying "slow down", a
//! platform too slow for the invocation's time) among good ones, on the local stack, and
//! checks that the good ones go through in the same pass while the bad one is kept, counted
//! and out of the way.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::sweep::SET_ASIDE_AFTER;
use chatdrop_e2e::{Customer, Harness, bag_drop, button_ids};
use xtask::stack::sqs_event;

/// The order a checkout's replies name (its cancel button).
fn order_of(replies: &[chatdrop_e2e::OutboxEntry]) -> String {
    replies
        .iter()
        .flat_map(button_ids)
        .find_map(|id| id.strip_prefix("p:x:").map(str::to_string))
        .expect("a cancel button naming the order")
}

async fn checkout(h: &Harness, customer: &Customer) -> String {
    h.add_plain_bag(customer).await;
    order_of(&h.tap(customer, "p:c").await)
}

/// The sweep meets a reservation whose Stripe session answers 404 (made with another key, or
/// deleted) at the head of the lapsed ones. It logs and counts the failure, moves the entry
/// to a later attempt and releases the others in the same run; after `SET_ASIDE_AFTER`
/// failures the entry leaves the index for the attention list, its stock still reserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_stripe_does_not_know_does_not_block_the_sweep() {
    let h = Harness::start("stalls-sweep").await;
    h.stack
        .open_drop(&bag_drop("sweep", 5, None))
        .await
        .unwrap();
    let store = h.stack.store();
    let customers = [
        h.whatsapp("5511900000901"),
        h.whatsapp("5511900000902"),
        h.whatsapp("5511900000903"),
    ];
    let mut orders = Vec::new();
    for c in &customers {
        let id = checkout(&h, c).await;
        orders.push(store.order(&id).await.unwrap().unwrap());
    }
    // The oldest, as the index sorts them (expiry, then id).
    orders.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)));
    let bad = orders[0].clone();
    h.stack
        .stripe
        .forget(bad.checkout_session.as_deref().unwrap())
        .await
        .unwrap();

    let lapse = SystemClock.now() + 11 * 60;
    let report = h.stack.sweep_report_at(lapse).await.unwrap();
    println!("sweep with a 404 first: {report:?}");
    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(report.expired, 2, "the later ones released in the same run");
    for good in &orders[1..] {
        let now = store.order(&good.id).await.unwrap().unwrap();
        assert_eq!(now.status, OrderStatus::Expired);
    }
    let held = store.order(&bad.id).await.unwrap().unwrap();
    assert_eq!(held.status, OrderStatus::Reserved, "never released unseen");

    // Not first in line again next minute: its next attempt is a minute after the failure.
    let report = h.stack.sweep_report_at(lapse + 30).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    // Then it is tried, less and less often, and set aside after SET_ASIDE_AFTER failures.
    let mut at = lapse;
    let mut failures = 1;
    while failures < SET_ASIDE_AFTER {
        at += chatdrop_domain::sweep::retry_delay(failures) + 1;
        let report = h.stack.sweep_report_at(at).await.unwrap();
        assert_eq!(report.failed, 1, "attempt {}: {report:?}", failures + 1);
        failures += 1;
        if failures == SET_ASIDE_AFTER {
            assert_eq!(report.set_aside, 1);
        }
    }
    let aside = store.set_aside_reservations().await.unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].0, bad.id);
    assert_eq!(aside[0].1, SET_ASIDE_AFTER);
    assert!(aside[0].2.contains("404"), "the reason: {}", aside[0].2);
    let report = h.stack.sweep_report_at(at + 30 * 24 * 3600).await.unwrap();
    assert_eq!(report, Default::default(), "off the index for good");
    assert_eq!(
        store.order(&bad.id).await.unwrap().unwrap().status,
        OrderStatus::Reserved
    );
    h.stack.stop().await;
}

/// Telegram answers 429 with `retry_after: 1` for 20 s while 60 bundles for 10 conversations
/// wait on the outbound queue, whose `maxReceiveCount` this test lowers to 3: a bundle received
/// once per advised delay (as notify did when it waited at most three delays in place) would be
/// dead-lettered. notify waits the limit out in place for as long as its invocation has time,
/// so every reply arrives once, in order per conversation, and nothing is dead-lettered. The
/// three-minute version is the `ratelimit` bench (README).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_rate_limit_with_a_backlog_dead_letters_nothing() {
    let h = Harness::start("stalls-storm").await;
    let plan = xtask::storm::Plan {
        storm_seconds: 20,
        retry_after: 1,
        conversations: 10,
        bundles_each: 6,
        replies_each: 2,
        max_receive_count: Some(3),
        first_chat: 7_000_000_950,
        drain_timeout: std::time::Duration::from_secs(90),
    };
    let outcome = xtask::storm::run(&h.stack, &plan).await.unwrap();
    println!("rate-limit storm: {}", outcome.summary());
    assert!(outcome.refused > 0, "the storm refused calls");
    assert_eq!(outcome.dead_lettered, 0, "{}", outcome.summary());
    assert!(outcome.clean(), "{}", outcome.summary());
    h.stack.stop().await;
}

async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str, count: usize) -> Vec<Message> {
    let mut messages = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        messages.extend(out.messages.unwrap_or_default());
        if messages.len() >= count {
            break;
        }
    }
    messages
}

async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default();
    attrs
        .get(&QueueAttributeName::ApproximateNumberOfMessages)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// notify's real bootstrap (debug), which `cargo xtask test` builds before the tests run:
/// `cargo test` holds the build lock while they do.
fn notify_bootstrap() -> std::path::PathBuf {
    let root = xtask::moto::repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let path = target.join("debug").join("notify");
    assert!(
        path.is_file(),
        "{} is missing: run through `cargo xtask test -p chatdrop-e2e` (or `cargo build -p notify`)",
        path.display()
    );
    path
}

/// notify's real bootstrap, under the local Lambda Runtime API, gets a batch of ten bundles
/// with 25 s left before the deadline while Telegram takes 3 s to answer each call. It takes
/// another bundle only while one more worst case (`notify::PER_RECORD`, 15 s) fits, answers
/// before the deadline, and reports the rest as batch item failures (given back at once, so
/// they are receivable again immediately) instead of running past its timeout, which would
/// fail the whole batch and send the finished ones again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stops_at_the_deadline_under_the_real_bootstrap() {
    let h = Harness::start_without_consumers("stalls-deadline").await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let outbound = h.stack.provisioned.queues.outbound.clone();
    let bootstrap = notify_bootstrap();
    let http = xtask::local_http::client();
    http.post(format!("{}/_control/latency", h.stack.fakes_url))
        .json(&serde_json::json!({"channel": "telegram", "ms": 3000}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let queues = h.stack.queues();
    let chats: Vec<String> = (0..10)
        .map(|i| (7_000_000_980_i64 + i).to_string())
        .collect();
    for (i, chat) in chats.iter().enumerate() {
        use chatdrop_domain::ports::Dispatch;
        let bundle = chatdrop_domain::reply::ReplyBundle {
            id: format!("deadline-{i}"),
            conversation: chatdrop_domain::channel::ConversationId::new(
                chatdrop_domain::channel::Channel::Telegram,
                chat,
            ),
            lang: chatdrop_domain::i18n::Lang::EN,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies: vec![chatdrop_domain::reply::Reply::Text {
                body: format!("reply {i}"),
            }],
        };
        queues.reply(&bundle).await.unwrap();
    }
    let messages = receive_all(&sqs, &outbound, 10).await;
    assert_eq!(messages.len(), 10);
    let ids: Vec<String> = messages
        .iter()
        .map(|m| m.message_id.clone().unwrap())
        .collect();

    let (api, mut reports) = xtask::runtime_api::Api::new();
    let addr = xtask::runtime_api::serve(api.clone()).await.unwrap();
    let task_root = std::env::temp_dir();
    let mut env = xtask::runtime_api::environment("notify", &addr, &task_root.to_string_lossy());
    env.extend(h.stack.env.clone());
    env.insert(
        "AWS_ENDPOINT_URL".into(),
        std::env::var("AWS_ENDPOINT_URL").unwrap(),
    );
    env.remove("AWS_MAX_ATTEMPTS");
    let mut child = tokio::process::Command::new(&bootstrap)
        .env_clear()
        .envs(&env)
        .kill_on_drop(true)
        .spawn()
        .expect("the bootstrap starts");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let deadline = now_ms + 25_000;
    api.push_with_deadline(
        serde_json::to_string(&sqs_event(&messages)).unwrap(),
        deadline,
    );
    let body = loop {
        let report = tokio::time::timeout(std::time::Duration::from_secs(90), reports.recv())
            .await
            .expect("the function answers")
            .expect("reports");
        match report {
            xtask::runtime_api::Report::Next(_) => continue,
            xtask::runtime_api::Report::Response(body) => break body,
            other => panic!("expected a response, got {}", other.describe()),
        }
    };
    let answered_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let _ = child.kill().await;
    let response: SqsBatchResponse = serde_json::from_str(&body).unwrap();
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let done = ids.len() - failed.len();
    let sent: Vec<String> = h
        .stack
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.method == "sendMessage")
        .map(|e| e.recipient)
        .collect();
    println!(
        "deadline: {done} of 10 bundles sent at 3 s a call, {} returned unprocessed, answered {:.1} s before the deadline",
        failed.len(),
        (deadline as f64 - answered_ms as f64) / 1000.0
    );
    assert!(
        answered_ms < deadline,
        "answered {} ms after the deadline",
        answered_ms - deadline
    );
    assert!(done >= 1 && !failed.is_empty(), "{done} done, {failed:?}");
    assert_eq!(failed, ids[done..], "the rest of the batch, in order");
    let first_chats: Vec<String> = messages[..done]
        .iter()
        .map(|m| {
            let b: chatdrop_domain::reply::ReplyBundle =
                serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
            b.conversation.customer.clone()
        })
        .collect();
    assert_eq!(sent, first_chats, "exactly the bundles it took were sent");
    assert_eq!(
        queue_depth(&sqs, &outbound).await,
        failed.len(),
        "the returned ones are receivable again at once"
    );
    h.stack.stop().await;
}

/// During a deploy ingress can be newer than catalog: a message with a content kind catalog
/// does not know yet reaches it. It is not deleted (the customer's message would be lost) and
/// does not hold the conversation: it goes to the catalog dead-letter queue with its body and
/// a `reason` attribute, and the customer's next message is answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_from_a_newer_producer_is_dead_lettered_not_lost() {
    let h = Harness::start("stalls-poison").await;
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let ana = h.whatsapp("5511900000960");
    let conversation = chatdrop_domain::channel::ConversationId::new(
        chatdrop_domain::channel::Channel::Whatsapp,
        "5511900000960",
    );
    let future = serde_json::json!({
        "conversation": {"channel": "whatsapp", "customer": "5511900000960"},
        "content": {"type": "sticker", "sticker_id": "st-1"},
        "event_id": "wamid.FUTURE1",
        "sent_at": SystemClock.now(),
    })
    .to_string();
    sqs.send_message()
        .queue_url(&h.stack.provisioned.queues.catalog)
        .message_body(&future)
        .message_group_id(conversation.hashed())
        .message_deduplication_id("future-1")
        .send()
        .await
        .unwrap();
    let replies = h.exchange(&ana, &ana.text_webhook("hi")).await;
    assert!(!replies.is_empty(), "the conversation goes on");

    let dead_letters = &h.stack.provisioned.dead_letters["catalog"];
    let out = sqs
        .receive_message()
        .queue_url(dead_letters)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let kept = out.messages.unwrap_or_default();
    assert_eq!(kept.len(), 1, "kept on the dead-letter queue: {kept:?}");
    assert_eq!(kept[0].body.as_deref(), Some(future.as_str()), "whole");
    let reason = kept[0]
        .message_attributes
        .as_ref()
        .and_then(|a| a.get("reason"))
        .and_then(|v| v.string_value())
        .unwrap_or_default()
        .to_string();
    println!("dead-lettered with reason: {reason}");
    assert!(reason.starts_with("undecodable: "), "{reason}");
    let group = kept[0]
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .cloned();
    assert_eq!(
        group,
        Some(conversation.hashed()),
        "its conversation's group"
    );
    h.stack.stop().await;
}
