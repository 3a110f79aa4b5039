//! "Remind me" in memory: the button under the not-yet answer, one reminder per chat and drop,
//! told once when the drop opens, in the customer's language and on their clock, even when the
//! sweep runs twice or the queue fails once.

use super::*;
use crate::channel::Channel;
use crate::checkout::{CheckoutSettings, PaymentPorts, handle};
use crate::drops::{DropSku, DropStatus};
use crate::ids::{IdKey, TEST_KEY};
use crate::inbound::InboundMessage;
use crate::testing::{Memory, tap};
use crate::testing_orders::{MemoryGateway, MemoryOrders};

/// 2026-01-01 00:00 UTC.
const NOW: i64 = 1_767_225_600;

fn spring(status: DropStatus) -> Drop {
    Drop {
        id: "spring".into(),
        name: "Spring drop".into(),
        starts_at: NOW + 3600,
        ends_at: None,
        per_customer_limit: None,
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: 5,
            per_customer_limit: None,
            shards: None,
        }],
        status,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    }
}

fn in_chat(c: &ConversationId, event: &str, payload: &str) -> InboundMessage {
    InboundMessage {
        conversation: c.clone(),
        ..tap(event, payload)
    }
}

fn body(reply: &Reply) -> &str {
    match reply {
        Reply::Text { body } | Reply::Choices { body, .. } => body,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn remind_me_is_recorded_once_and_told_once_when_the_drop_opens() {
    let mem = Memory::with_sample();
    let orders = MemoryOrders::with_drops(vec![spring(DropStatus::Scheduled)]);
    let gateway = MemoryGateway::default();
    let settings = CheckoutSettings {
        hold_minutes: 10,
        public_base_url: "https://shop.example".into(),
        success_url: "https://shop.example/thanks".into(),
        cancel_url: "https://shop.example/back".into(),
        default_lang: Lang::EN,
        ids: IdKey::new(TEST_KEY.as_bytes()),
    };
    let ports = PaymentPorts {
        sessions: &mem,
        catalogs: &mem,
        orders: &orders,
        gateway: &gateway,
        dispatch: &mem,
    };
    // A Japanese phone on WhatsApp: its clock is Tokyo's.
    let aki = ConversationId::new(Channel::Whatsapp, "819012345678");
    mem.sessions
        .lock()
        .unwrap()
        .entry(aki.key())
        .or_default()
        .cart
        .add("drop-bag", Vec::new(), 0)
        .unwrap();
    let last = || mem.replies.lock().unwrap().last().unwrap().replies.clone();
    let mut ja = in_chat(&aki, "a1", "p:c");
    ja.locale = Some("ja".into());
    handle(&ja, &ports, &settings, NOW).await.unwrap();
    let not_yet = last();
    let Reply::Choices { choices, .. } = &not_yet[0] else {
        panic!("{not_yet:?}")
    };
    assert_eq!(choices[0].id, "p:rm:spring");
    assert_eq!(choices[0].title, "開始時に通知");
    for event in ["a2", "a3"] {
        let mut tap = in_chat(&aki, event, "p:rm:spring");
        tap.locale = Some("ja".into());
        handle(&tap, &ports, &settings, NOW).await.unwrap();
        assert!(body(&last()[0]).contains("10:00"), "{:?}", last());
    }
    assert_eq!(orders.state.lock().unwrap().waitlist.reminders.len(), 1);
    assert_eq!(
        orders.state.lock().unwrap().waitlist.reminders[0].zone,
        "Asia/Tokyo"
    );
    // Typed "remind me" (handed on by the catalog as `p:rm:`, naming no drop) is the next drop.
    let mut typed = in_chat(&aki, "a4", &Action::RemindMe(String::new()).encode());
    typed.locale = Some("ja".into());
    handle(&typed, &ports, &settings, NOW).await.unwrap();
    assert!(
        body(&last()[0]).starts_with("承知しました。Spring drop"),
        "{:?}",
        last()
    );
    assert_eq!(orders.state.lock().unwrap().waitlist.reminders.len(), 1);

    // Not open yet: the sweep tells nobody.
    let drops = [spring(DropStatus::Open)];
    let sent = mem.replies.lock().unwrap().len();
    let report = tell_reminders(NOW + 60, &drops, &orders, &mem, 100)
        .await
        .unwrap();
    assert_eq!(report, ReminderReport::default());
    // The queue fails once at the opening: the claim is given back, the next run tells.
    *mem.fail_dispatch.lock().unwrap() = true;
    let report = tell_reminders(NOW + 3600, &drops, &orders, &mem, 100)
        .await
        .unwrap();
    assert_eq!((report.told, report.failed), (0, 1));
    let report = tell_reminders(NOW + 3660, &drops, &orders, &mem, 100)
        .await
        .unwrap();
    assert_eq!(report.told, 1);
    let again = tell_reminders(NOW + 3720, &drops, &orders, &mem, 100)
        .await
        .unwrap();
    assert_eq!(again, ReminderReport::default(), "told once");
    let told: Vec<ReplyBundle> = mem.replies.lock().unwrap()[sent..].to_vec();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].conversation, aki);
    let text = body(&told[0].replies[0]);
    assert!(
        text.starts_with("Spring dropの販売が始まりました"),
        "{text}"
    );
    assert!(text.contains("10:00"), "Tokyo's clock: {text}");
}
