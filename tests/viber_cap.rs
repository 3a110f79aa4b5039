//! Viber's cap of 100 messages an hour to a customer who has not replied, on the local stack:
//! notify counts before sending, so the fake Viber never receives a 101st message, and what is
//! over the cap waits on the outbound queue (deferred), neither sent, dropped nor
//! dead-lettered.

use aws_sdk_sqs::types::QueueAttributeName;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::Dispatch;
use chatdrop_domain::reply::{Reply, ReplyBundle};
use chatdrop_e2e::{Harness, Platform};
use std::time::Duration;

/// Messages on the queue at `url`, visible or in flight.
async fn on_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .filter_map(|a| attrs.get(a).and_then(|v| v.parse::<usize>().ok()))
    .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_without_a_reply_the_rest_wait_on_the_queue() {
    let cap = Channel::Viber
        .spec()
        .sending
        .unanswered_cap
        .expect("Viber's cap")
        .messages as usize;
    let h = Harness::start("viber-cap").await;
    let olena = h.customer_on(Platform::Viber, "0lenaCapViberId0000000A==");
    // Her message subscribes her; its answer is the first of the hour's messages.
    let start = h.stack.last_seq().await.unwrap();
    let answer = h.say(&olena, "hi").await;
    assert!(!answer.is_empty() && answer.len() < cap);

    // Order updates, announcements and answers all reach notify as bundles: queue enough
    // one-message bundles to go three past the cap.
    let conversation = chatdrop_domain::channel::ConversationId::new(Channel::Viber, &olena.id);
    let queues = h.stack.queues();
    let extra = cap - answer.len() + 3;
    for i in 0..extra {
        let bundle = ReplyBundle {
            id: format!("viber-cap-{i}"),
            conversation: conversation.clone(),
            lang: Lang::EN,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies: vec![Reply::Text {
                body: format!("update {i}"),
            }],
        };
        queues.reply(&bundle).await.unwrap();
    }

    let received = async || {
        h.stack
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.seq > start && e.recipient == olena.id)
            .count()
    };
    // A hundred bundles through the local stack: allow a minute.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received().await < cap {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {cap} messages within a minute",
            received().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Nothing more arrives: the 101st waits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(received().await, cap, "the fake Viber got exactly the cap");

    // The three over the cap are still on the outbound queue, deferred (one dropped, held or
    // dead-lettered would have left it).
    let sqs = aws_sdk_sqs::Client::new(&h.stack.aws);
    let outbound = h.stack.provisioned.queues.outbound.clone();
    assert_eq!(on_queue(&sqs, &outbound).await, 3);
}
