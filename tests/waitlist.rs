//! The waitlist end to end: stock 1, Ken reserves the last unit, Ana meets sold out and joins
//! the waitlist, Ken's reservation lapses (the sweep), the unit is held for Ana and offered in
//! her chat, nobody else can buy it meanwhile, and Ana checks out with one tap and pays.

use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::waitlist::{self, AuditEvent, WaitlistSettings, WaitlistStore};
use chatdrop_e2e::{Harness, all_text, bag_drop, button_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_unit_is_offered_to_the_first_in_line_who_takes_it_in_one_tap_and_pays() {
    let h = Harness::start("waitlist").await;
    h.stack.open_drop(&bag_drop("wl", 1, None)).await.unwrap();
    let store = h.stack.store();

    // Ken reserves the only unit.
    let ken = h.telegram(7000000901, None);
    h.add_plain_bag(&ken).await;
    let reserved = h.tap(&ken, "p:c").await;
    assert!(
        all_text(&reserved).contains("Reserved for you"),
        "{}",
        all_text(&reserved)
    );

    // Ana meets sold out, with a "Join the waitlist" button, and joins.
    let ana = h.whatsapp("5511900000901");
    h.add_plain_bag(&ana).await;
    let sold_out = h.tap(&ana, "p:c").await;
    assert_eq!(
        all_text(&sold_out),
        "Sorry, Drop Bag is sold out. Your cart is unchanged."
    );
    assert_eq!(button_ids(&sold_out[0]), ["p:wj:wl:0", "c:m"]);
    let joined = h.tap(&ana, "p:wj:wl:0").await;
    assert_eq!(
        all_text(&joined),
        "You are on the waitlist for Drop Bag. If one comes back, we will hold it for you and write here."
    );

    // Ken's reservation lapses; the same sweep holds the unit for Ana and offers it.
    let later = SystemClock.now() + 11 * 60;
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(h.stack.sweep_at(later).await.unwrap(), 1);
    let drops = store.drops().await.unwrap();
    // On the real clock: the reservation lapsed on the stepped one, but the hold starts now.
    let report = waitlist::sweep_waitlist(
        SystemClock.now(),
        &drops,
        &store,
        &h.stack.queues(),
        WaitlistSettings::default(),
    )
    .await
    .unwrap();
    // The stack runs the sweep function every 2 s on the real clock, and its waitlist step may
    // have offered the returned unit before this call: either way it is offered once.
    assert!(report.offered <= 1, "{report:?}");
    let offer = chatdrop_e2e::eventually(|| async {
        let replies = h.stack.replies_after(&ana.id, before).await.unwrap();
        (!replies.is_empty()).then_some(replies)
    })
    .await;
    assert_eq!(
        all_text(&offer),
        "A Drop Bag came back and is held for you for 10 minutes. Check out with one tap."
    );
    assert_eq!(button_ids(&offer[0]), ["p:wt:wl:0", "p:wn:wl:0"]);
    // Held: not on open sale. Ken's "check out again" hears sold out.
    assert_eq!(
        store.drop_stock("wl").await.unwrap(),
        [("drop-bag".to_string(), 0, 0, 0)]
    );
    h.add_plain_bag(&ken).await;
    assert!(all_text(&h.tap(&ken, "p:c").await).contains("sold out"));
    // A second sweep tells nobody again.
    let quiet = h.stack.last_seq().await.unwrap();
    let again = waitlist::sweep_waitlist(
        SystemClock.now() + 30,
        &drops,
        &store,
        &h.stack.queues(),
        WaitlistSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(again, waitlist::WaitlistReport::default());
    h.assert_silence(&ana.id, quiet).await;

    // One tap: the reservation and its pay link; then Ana pays.
    let took = h.tap(&ana, "p:wt:wl:0").await;
    assert!(
        all_text(&took).contains("Reserved for you"),
        "{}",
        all_text(&took)
    );
    assert_eq!(
        store.drop_stock("wl").await.unwrap(),
        [("drop-bag".to_string(), 0, 1, 0)]
    );
    let order = store
        .orders_of(&chatdrop_domain::channel::ConversationId::new(
            chatdrop_domain::channel::Channel::Whatsapp,
            ana.id.clone(),
        ))
        .await
        .unwrap()
        .remove(0);
    let session = order.checkout_session.clone().expect("a Stripe page");
    let paying = h.stack.last_seq().await.unwrap();
    let emitted = h.stack.stripe.pay(&session).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    let confirmation = h.stack.replies_after(&ana.id, paying).await.unwrap();
    assert!(all_text(&confirmation).starts_with("Thank you!"));
    assert_eq!(
        store.order(&order.id).await.unwrap().unwrap().status,
        OrderStatus::Paid
    );
    assert_eq!(
        store.drop_stock("wl").await.unwrap(),
        [("drop-bag".to_string(), 0, 0, 1)]
    );
    // One record per step of Ana's entry (in the order of its life: the sweep ran on a
    // stepped clock, the tap on the real one).
    let mut audit: Vec<AuditEvent> = store
        .audit("wl")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    audit.sort_by_key(|e| *e as u8);
    assert_eq!(
        audit,
        [
            AuditEvent::Joined,
            AuditEvent::Offered,
            AuditEvent::Accepted
        ]
    );
    h.stack.stop().await;
}

/// "Remind me" before the drop opens: recorded once, told once when the drop opens, in the
/// customer's language and on their clock (a Brazilian WhatsApp number: São Paulo's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_me_is_told_once_when_the_drop_opens() {
    use chatdrop_domain::reminders;
    let h = Harness::start("remind-me").await;
    let opens = SystemClock.now() + 3600;
    let mut drop = bag_drop("later", 5, None);
    drop.starts_at = opens;
    h.stack.open_drop(&drop).await.unwrap();
    let store = h.stack.store();
    let bia = h.whatsapp("5511900000902");
    h.add_plain_bag(&bia).await;
    let not_yet = h.tap(&bia, "p:c").await;
    assert!(
        all_text(&not_yet).contains("opens at"),
        "{}",
        all_text(&not_yet)
    );
    assert_eq!(button_ids(&not_yet[0]), ["p:rm:later", "c:m"]);
    let set = h.tap(&bia, "p:rm:later").await;
    assert!(
        all_text(&set).starts_with("Done. We will write here when Winter drop opens at"),
        "{}",
        all_text(&set)
    );
    // A second tap keeps one reminder.
    h.tap(&bia, "p:rm:later").await;

    let drops = store.drops().await.unwrap();
    let queues = h.stack.queues();
    let before = h.stack.last_seq().await.unwrap();
    let early = reminders::tell_reminders(opens - 60, &drops, &store, &queues, 100)
        .await
        .unwrap();
    assert_eq!(early, reminders::ReminderReport::default(), "not open yet");
    let report = reminders::tell_reminders(opens + 30, &drops, &store, &queues, 100)
        .await
        .unwrap();
    assert_eq!(report.told, 1);
    let told = h.stack.replies_after(&bia.id, before).await.unwrap();
    let expected_when =
        chatdrop_domain::time_zone::CustomerZone::resolve(Some("+5511900000902"), None, opens)
            .format(opens, chatdrop_domain::i18n::Lang::EN);
    assert_eq!(
        all_text(&told),
        format!("Winter drop is open now (since {expected_when}). Tap Menu to shop.")
    );
    let quiet = h.stack.last_seq().await.unwrap();
    let again = reminders::tell_reminders(opens + 90, &drops, &store, &queues, 100)
        .await
        .unwrap();
    assert_eq!(again, reminders::ReminderReport::default(), "told once");
    h.assert_silence(&bia.id, quiet).await;
    h.stack.stop().await;
}
