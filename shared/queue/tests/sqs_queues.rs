//! `SqsQueues` against SQS as played by moto: ingress routing to the catalog and cart FIFO
//! queues, group ids and deduplication ids, and the `Dispatch` side (replies and hand-offs).
//! Run through `cargo xtask test -p chatdrop-queue`, which starts moto.
//!
//! Every test creates its own three queues, so the tests run in parallel against one moto.

mod common;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chatdrop_config::QueueUrls;
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::{DeliveryStatus, InboundContent, InboundMessage};
use chatdrop_domain::ports::Dispatch;
use chatdrop_domain::reply::{Reply, ReplyBundle};
use chatdrop_queue::{SqsQueues, dedup_id, route};
use std::collections::HashMap;

struct Fixture {
    client: aws_sdk_sqs::Client,
    urls: QueueUrls,
    queues: SqsQueues,
}

async fn fixture(test: &str) -> Fixture {
    let aws = common::aws().await;
    let urls = common::create_queues(&aws, &common::unique_prefix(test)).await;
    let client = aws_sdk_sqs::Client::new(&aws);
    Fixture {
        queues: SqsQueues::new(client.clone(), urls.clone()),
        client,
        urls,
    }
}

impl Fixture {
    async fn drain(&self, url: &str) -> Vec<Message> {
        common::drain(&self.client, url).await
    }
}

fn conversations() -> Vec<ConversationId> {
    vec![
        ConversationId::new(Channel::Whatsapp, "5511987654321"),
        ConversationId::new(Channel::Whatsapp, "447700900123"),
        ConversationId::new(Channel::Telegram, "424242"),
        ConversationId::new(Channel::Telegram, "5511987654321"),
        ConversationId::new(Channel::Whatsapp, "819012345678"),
        ConversationId::new(Channel::Telegram, "-100777"),
        ConversationId::new(Channel::Whatsapp, "15550001111"),
    ]
}

fn message(
    conversation: &ConversationId,
    event_id: &str,
    content: InboundContent,
) -> InboundMessage {
    InboundMessage {
        conversation: conversation.clone(),
        event_id: event_id.into(),
        sent_at: 1_700_000_000,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    }
}

fn text(conversation: &ConversationId, event_id: &str, body: &str) -> InboundMessage {
    message(
        conversation,
        event_id,
        InboundContent::Text { body: body.into() },
    )
}

fn tap(conversation: &ConversationId, event_id: &str, payload: &str) -> InboundMessage {
    message(
        conversation,
        event_id,
        InboundContent::Action {
            payload: payload.into(),
            title: Some("Tap".into()),
        },
    )
}

fn decode(m: &Message) -> InboundMessage {
    serde_json::from_str(m.body.as_deref().expect("body")).expect("body is an InboundMessage")
}

fn dedup(m: &Message) -> &str {
    common::attribute(m, MessageSystemAttributeName::MessageDeduplicationId)
        .expect("a FIFO message has a MessageDeduplicationId")
}

fn group(m: &Message) -> &str {
    common::attribute(m, MessageSystemAttributeName::MessageGroupId)
        .expect("a FIFO message has a MessageGroupId")
}

/// 23 messages over 7 conversations: 12 cart taps (`k:`), and 11 for the catalog (text, `c:`
/// taps, an image), so each queue gets more than one SendMessageBatch of ten.
fn webhook_burst() -> Vec<InboundMessage> {
    let convs = conversations();
    (0..23)
        .map(|i| {
            let c = &convs[i % convs.len()];
            let id = format!("wamid.burst-{i:02}");
            match i % 4 {
                0 | 2 => tap(c, &id, &format!("k:o:drop-bag:colour:c{i}")),
                1 => text(c, &id, &format!("hello {i}")),
                _ if i == 7 => message(
                    c,
                    &id,
                    InboundContent::Image {
                        media_id: "media-1".into(),
                        caption: Some("this one".into()),
                    },
                ),
                _ => tap(c, &id, &format!("c:c:cat{i}")),
            }
        })
        .collect()
}

#[tokio::test]
async fn enqueue_inbound_routes_every_message_to_its_queue_grouped_by_conversation() {
    let f = fixture("enqueue_inbound").await;
    let sent = webhook_burst();
    let is_cart = |m: &InboundMessage| matches!(&m.content, InboundContent::Action { payload, .. } if payload.starts_with("k:"));
    let expected_cart: Vec<&InboundMessage> = sent.iter().filter(|m| is_cart(m)).collect();
    let expected_catalog: Vec<&InboundMessage> = sent.iter().filter(|m| !is_cart(m)).collect();
    assert_eq!((expected_cart.len(), expected_catalog.len()), (12, 11));
    for m in &sent {
        let want = if is_cart(m) {
            Handler::Cart
        } else {
            Handler::Catalog
        };
        assert_eq!(route(m), want, "{:?}", m.content);
    }

    f.queues.enqueue_inbound(&sent).await.expect("enqueue");

    for (handler, url, expected) in [
        (Handler::Catalog, &f.urls.catalog, &expected_catalog),
        (Handler::Cart, &f.urls.cart, &expected_cart),
    ] {
        let received = f.drain(url).await;
        assert_eq!(
            received.len(),
            expected.len(),
            "{handler:?} queue: every message exactly once"
        );
        let mut by_group: HashMap<String, Vec<InboundMessage>> = HashMap::new();
        for r in &received {
            let m = decode(r);
            assert_eq!(
                group(r),
                m.conversation.hashed(),
                "group is the conversation"
            );
            assert!(
                !group(r).contains(&m.conversation.customer),
                "no customer id in queue metadata"
            );
            assert_eq!(dedup(r), dedup_id(handler, &m));
            by_group.entry(group(r).to_string()).or_default().push(m);
        }
        // The same messages, and within each conversation in the order they were sent.
        let mut expected_by_group: HashMap<String, Vec<InboundMessage>> = HashMap::new();
        for m in expected.iter() {
            expected_by_group
                .entry(m.conversation.hashed())
                .or_default()
                .push((*m).clone());
        }
        assert_eq!(by_group, expected_by_group, "{handler:?} queue contents");
    }
    assert!(
        f.drain(&f.urls.outbound).await.is_empty(),
        "nothing outbound"
    );
}

#[tokio::test]
async fn a_redelivered_webhook_is_queued_once() {
    let f = fixture("dedup").await;
    let c = &conversations()[0];
    let hello = text(c, "wamid.dup-1", "hello");
    let add = tap(c, "wamid.dup-2", "k:a:drop-bag");

    // The platform redelivers the whole webhook, and then one message of it again.
    f.queues
        .enqueue_inbound(&[hello.clone(), add.clone()])
        .await
        .expect("first delivery");
    f.queues
        .enqueue_inbound(&[hello.clone(), add.clone()])
        .await
        .expect("redelivery");
    f.queues
        .enqueue_inbound(std::slice::from_ref(&hello))
        .await
        .expect("third delivery");
    // Same text, new event: not a duplicate (deduplication is by event, not by content).
    let hello_again = text(c, "wamid.dup-3", "hello");
    f.queues
        .enqueue_inbound(std::slice::from_ref(&hello_again))
        .await
        .expect("new event");

    let catalog: Vec<InboundMessage> = f.drain(&f.urls.catalog).await.iter().map(decode).collect();
    assert_eq!(catalog, vec![hello.clone(), hello_again]);
    let cart: Vec<InboundMessage> = f.drain(&f.urls.cart).await.iter().map(decode).collect();
    assert_eq!(cart, vec![add]);

    // Status reports about one message share its id; the status keeps them apart.
    let status = |s| {
        message(
            c,
            "wamid.status",
            InboundContent::Status {
                message_id: "wamid.out-1".into(),
                status: s,
                error_code: None,
            },
        )
    };
    f.queues
        .enqueue_inbound(&[
            status(DeliveryStatus::Sent),
            status(DeliveryStatus::Delivered),
            status(DeliveryStatus::Sent),
        ])
        .await
        .expect("statuses");
    let statuses: Vec<InboundMessage> = f.drain(&f.urls.catalog).await.iter().map(decode).collect();
    assert_eq!(
        statuses,
        vec![
            status(DeliveryStatus::Sent),
            status(DeliveryStatus::Delivered)
        ]
    );
}

#[tokio::test]
async fn a_duplicate_sent_while_the_original_is_in_flight_is_dropped() {
    let f = fixture("dedup_in_flight").await;
    let c = &conversations()[2];
    let hello = text(c, "7001", "hello");
    f.queues
        .enqueue_inbound(std::slice::from_ref(&hello))
        .await
        .expect("enqueue");
    let out = f
        .client
        .receive_message()
        .queue_url(&f.urls.catalog)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let received = out.messages.unwrap_or_default();
    assert_eq!(received.len(), 1);
    // The consumer is still working on it when the platform redelivers.
    f.queues
        .enqueue_inbound(std::slice::from_ref(&hello))
        .await
        .expect("redelivery");
    f.client
        .delete_message()
        .queue_url(&f.urls.catalog)
        .receipt_handle(received[0].receipt_handle.as_deref().unwrap())
        .send()
        .await
        .expect("delete");
    assert!(
        f.drain(&f.urls.catalog).await.is_empty(),
        "the redelivery within the deduplication window was dropped"
    );
}

fn bundle(c: &ConversationId, id: &str) -> ReplyBundle {
    ReplyBundle {
        id: id.into(),
        conversation: c.clone(),
        lang: Lang::JA,
        ack: Some("cbq-1".into()),
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![
            Reply::Text {
                body: "ようこそ".into(),
            },
            Reply::Image {
                url: "https://cdn.chatdrop.example/drop-bag.jpg".into(),
                caption: Some("Drop Bag".into()),
            },
        ],
    }
}

#[tokio::test]
async fn reply_queues_the_bundle_on_the_outbound_queue() {
    let f = fixture("dispatch_reply").await;
    let c = &conversations()[1];
    let first = bundle(c, "b-0001");
    let second = bundle(c, "b-0002");
    f.queues.reply(&first).await.expect("reply");
    f.queues.reply(&second).await.expect("reply");
    f.queues.reply(&first).await.expect("repeated reply");

    let received = f.drain(&f.urls.outbound).await;
    let bundles: Vec<ReplyBundle> = received
        .iter()
        .map(|m| serde_json::from_str(m.body.as_deref().unwrap()).expect("a ReplyBundle"))
        .collect();
    assert_eq!(
        bundles,
        vec![first.clone(), second],
        "in order, the repeat deduplicated on the bundle id"
    );
    for m in &received {
        assert_eq!(group(m), c.hashed());
    }
    assert_eq!(dedup(&received[0]), first.id);
    assert_eq!(dedup(&received[1]), "b-0002");
    assert!(f.drain(&f.urls.catalog).await.is_empty());
    assert!(f.drain(&f.urls.cart).await.is_empty());
}

#[tokio::test]
async fn hand_off_lands_on_the_named_handlers_queue() {
    let f = fixture("dispatch_hand_off").await;
    let c = &conversations()[3];
    // The catalog function hands typed engraving text to the cart function.
    let engraving = text(c, "9001", "ANA & CO");
    f.queues
        .hand_off(Handler::Cart, &engraving)
        .await
        .expect("hand off to cart");

    let cart = f.drain(&f.urls.cart).await;
    assert_eq!(cart.len(), 1);
    assert_eq!(decode(&cart[0]), engraving);
    assert_eq!(group(&cart[0]), c.hashed());
    assert_eq!(dedup(&cart[0]), dedup_id(Handler::Cart, &engraving));
    assert!(f.drain(&f.urls.catalog).await.is_empty());
    assert!(f.drain(&f.urls.outbound).await.is_empty());

    // And the other way: a cart tap handed back to the catalog lands there.
    let menu = tap(c, "9002", "k:x");
    f.queues
        .hand_off(Handler::Catalog, &menu)
        .await
        .expect("hand off to catalog");
    let catalog = f.drain(&f.urls.catalog).await;
    assert_eq!(catalog.iter().map(decode).collect::<Vec<_>>(), vec![menu]);
    assert!(f.drain(&f.urls.cart).await.is_empty());
}
