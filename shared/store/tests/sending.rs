//! What notify keeps in the table, against moto: the conversation's thread and its delivery
//! statuses, held bundles, the shared platform-token cache with its lease, the send-rate
//! windows and the transient-failure count. Run through `cargo xtask test -p chatdrop-store`.

mod common;

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{DeliveryLog, Outgoing, SendMode, Sent};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::DeliveryStatus;
use chatdrop_domain::ports::{CachedToken, Dispatch, PortError, SendThrottle, TokenCache};
use chatdrop_domain::reply::{Reply, ReplyBundle};
use std::sync::Mutex;

fn bundle(id: &str, text: &str) -> ReplyBundle {
    ReplyBundle {
        id: id.into(),
        conversation: ConversationId::new(Channel::Messenger, "6543210987654321"),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![Reply::Text { body: text.into() }],
    }
}

fn out(b: &ReplyBundle) -> Outgoing<'_> {
    Outgoing {
        bundle: b,
        first: 0,
        replies: &b.replies,
        mode: SendMode::Session,
        now: 0,
    }
}

#[tokio::test]
async fn the_thread_records_each_sent_message_and_statuses_only_move_forward() {
    let store = common::fresh_store("thread").await;
    let b = bundle("b1", "Your order  is\npaid");
    store
        .record_outbound(&out(&b), &Sent::ids(["m_1".to_string()]))
        .await
        .unwrap();
    let c = &b.conversation;
    store
        .record_status(c, "m_1", DeliveryStatus::Read, 10)
        .await
        .unwrap();
    // A late "delivered" after "read" changes nothing; a report about an unknown message is
    // accepted and ignored.
    store
        .record_status(c, "m_1", DeliveryStatus::Delivered, 11)
        .await
        .unwrap();
    store
        .record_status(c, "m_unknown", DeliveryStatus::Delivered, 12)
        .await
        .unwrap();
    let thread = store.thread(c).await.unwrap();
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert_eq!(thread[0].platform_id, "m_1");
    assert_eq!(thread[0].status, "read");
    assert_eq!(thread[0].summary, "Your order is paid");

    // A platform that returns no id still leaves a thread entry, under our own stable id.
    let quiet = bundle("b2", "hi");
    store
        .record_outbound(&out(&quiet), &Sent::default())
        .await
        .unwrap();
    let thread = store.thread(c).await.unwrap();
    assert_eq!(thread.len(), 2);
    assert!(
        thread
            .iter()
            .any(|m| m.platform_id.starts_with("chatdrop:"))
    );
}

#[derive(Default)]
struct Captured(Mutex<Vec<ReplyBundle>>);

impl Dispatch for Captured {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        self.0.lock().unwrap().push(bundle.clone());
        Ok(())
    }
    async fn hand_off(
        &self,
        _: chatdrop_domain::action::Handler,
        _: &chatdrop_domain::inbound::InboundMessage,
    ) -> Result<(), PortError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_held_bundle_is_listed_requeued_under_a_new_id_or_discarded() {
    let store = common::fresh_store("held").await;
    store
        .record_held(&bundle("h1", "shipped"), "outside the 24 h window")
        .await
        .unwrap();
    store
        .record_held(&bundle("h2", "refunded"), "the customer opted out")
        .await
        .unwrap();
    let held = store.held().await.unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].reason, "outside the 24 h window");
    assert_eq!(held[0].bundle, bundle("h1", "shipped"));

    let queue = Captured::default();
    let new_id = store.requeue_held("h1", &queue).await.unwrap().unwrap();
    assert_ne!(new_id, "h1");
    assert_eq!(queue.0.lock().unwrap()[0].id, new_id);
    assert_eq!(store.requeue_held("h1", &queue).await.unwrap(), None);
    assert!(store.release_held("h2").await.unwrap());
    assert!(!store.release_held("h2").await.unwrap());
    assert!(store.held().await.unwrap().is_empty());
}

#[tokio::test]
async fn one_caller_at_a_time_may_refresh_a_platform_token() {
    let store = common::fresh_store("token").await;
    assert_eq!(store.get("wechat#wx1").await.unwrap(), None);
    let far = 4_000_000_000;
    assert!(store.lease("wechat#wx1", "a", far).await.unwrap());
    assert!(
        !store.lease("wechat#wx1", "b", far).await.unwrap(),
        "a holds it"
    );
    assert!(
        store.lease("wechat#wx1", "a", far).await.unwrap(),
        "its holder may renew"
    );
    let token = CachedToken {
        token: "ACCESS".into(),
        expires_at: 1_900_000_000,
    };
    store.put("wechat#wx1", &token).await.unwrap();
    assert_eq!(store.get("wechat#wx1").await.unwrap(), Some(token));
    assert!(
        store.lease("wechat#wx1", "b", far).await.unwrap(),
        "the put ended the lease"
    );
}

#[tokio::test]
async fn a_send_window_admits_its_limit_then_asks_to_wait() {
    let store = common::fresh_store("rate").await;
    // Retried at a second's start, so the three takes fall in one window.
    loop {
        let into = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        if into < 500 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(store.admit("telegram#chat", 2).await.unwrap(), None);
    assert_eq!(store.admit("telegram#chat", 2).await.unwrap(), None);
    let wait = store
        .admit("telegram#chat", 2)
        .await
        .unwrap()
        .expect("full");
    assert!(wait <= std::time::Duration::from_secs(1), "{wait:?}");
    tokio::time::sleep(wait).await;
    assert_eq!(
        store.admit("telegram#chat", 2).await.unwrap(),
        None,
        "a new window"
    );
}

#[tokio::test]
async fn transient_failures_are_counted_per_bundle() {
    let store = common::fresh_store("failures").await;
    assert_eq!(store.record_transient_failure("b1").await.unwrap(), 1);
    assert_eq!(store.record_transient_failure("b1").await.unwrap(), 2);
    assert_eq!(store.record_transient_failure("b2").await.unwrap(), 1);
}
