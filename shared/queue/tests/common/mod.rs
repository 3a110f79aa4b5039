//! Shared setup for the queue crate's integration tests: an SDK config aimed at the local moto
//! that `cargo xtask test` starts, fresh queues per test created from `resources.json`, and a
//! receiver that drains a queue.
//!
//! The queue crate cannot depend on xtask (xtask depends on the workspace's crates), so the
//! queues are created here with the SDK, from the same definitions `xtask::provision` uses.

#![allow(dead_code)]

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use chatdrop_config::QueueUrls;
use chatdrop_config::resources::Resources;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The SDK config for the local moto; panics when the tests were not started by xtask.
pub async fn aws() -> aws_config::SdkConfig {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none_or(|v| v.is_empty()) {
        panic!(
            "AWS_ENDPOINT_URL is not set: run through `cargo xtask test`, which starts moto \
             (e.g. `cargo xtask test -p chatdrop-queue`)"
        );
    }
    chatdrop_config::aws::sdk_config().await
}

/// A queue-name prefix unique to this process and call (time, process id, counter) plus the
/// test's name, short enough for SQS's 80-character queue names.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(20)
        .collect();
    format!("t{:x}-{:x}-{n}-{name}-", nanos, std::process::id())
}

/// The queues of `resources.json`, created as `{prefix}{name}` with their FIFO flag and
/// visibility timeout (no dead-letter queues: nothing here is retried).
pub async fn create_queues(aws: &aws_config::SdkConfig, prefix: &str) -> QueueUrls {
    let client = aws_sdk_sqs::Client::new(aws);
    let mut urls = HashMap::new();
    for q in Resources::load().queues {
        let name = format!("{prefix}{}", q.name);
        assert!(name.len() <= 80, "queue name too long: {name}");
        let mut request = client.create_queue().queue_name(&name).attributes(
            QueueAttributeName::VisibilityTimeout,
            q.visibility_timeout_seconds.to_string(),
        );
        if q.fifo {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
        }
        let out = request.send().await.unwrap_or_else(|e| {
            panic!(
                "create queue {name}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        });
        urls.insert(q.id.clone(), out.queue_url.expect("queue url"));
    }
    let mut take = |id: &str| {
        urls.remove(id)
            .unwrap_or_else(|| panic!("no queue `{id}` in resources.json"))
    };
    QueueUrls {
        catalog: take("catalog"),
        cart: take("cart"),
        payment: take("payment"),
        outbound: take("outbound"),
    }
}

/// Receives and deletes everything on `url` until a receive comes back empty, in the order the
/// queue gave it. Every message is deleted before the next receive, so no FIFO group is left
/// blocked by an in-flight message.
pub async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<Message> {
    let mut all = Vec::new();
    loop {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "receive from {url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            });
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return all;
        }
        for m in &messages {
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.as_deref().expect("receipt handle"))
                .send()
                .await
                .expect("delete message");
        }
        all.extend(messages);
        assert!(all.len() <= 1_000, "{url} does not drain");
    }
}

/// A system attribute of a received message.
pub fn attribute(m: &Message, name: MessageSystemAttributeName) -> Option<&str> {
    m.attributes
        .as_ref()
        .and_then(|a| a.get(&name))
        .map(String::as_str)
}
