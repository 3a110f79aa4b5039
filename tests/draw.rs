//! A draw end to end, on WhatsApp and Telegram: a checkout of the drop's bag is answered with
//! the draw's rules and an "Enter the draw" button, four people enter (one twice), the draw
//! runs on the recorded drand quicknet round 123, both winners get a reservation and a pay
//! link in their chat and the others are told and offered the waitlist; a second run draws the
//! same winners and sends nothing; the published values recompute the winners.
//!
//! The recorded round was emitted in 2023, before this test's entries: the record is committed
//! to it directly (`commit_draw`), where `chatdrop drop draw-commit` would pick the first round
//! after the close, and the verification says the list was frozen after the round.

use chatdrop_domain::beacon::{BeaconChain, recorded};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::draw::{self, DrawRecord, DrawSpec};
use chatdrop_domain::draw_flow::{self, DrawStore, RunReport};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::OrderStore;
use chatdrop_e2e::{Harness, all_text, bag_drop, button_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_then_a_verifiable_draw_winners_get_a_pay_link_the_others_the_waitlist() {
    let h = Harness::start("draw").await;
    let now = SystemClock.now();
    let close = now + 3600;
    let mut drop = bag_drop("dr", 2, Some(1));
    drop.draw = Some(DrawSpec {
        entries_close_at: close,
        pay_within_minutes: 30,
        verified_phone: false,
    });
    h.stack.open_drop(&drop).await.unwrap();
    let store = h.stack.store();
    let seed = [7u8; 32];
    let record = DrawRecord {
        drop: "dr".into(),
        commitment: draw::commitment(&seed),
        chain: Some(BeaconChain::quicknet()),
        round: 123,
        units: 2,
        committed_at: now,
        ..DrawRecord::default()
    };
    assert!(
        store
            .commit_draw(&record, &hex::encode(seed))
            .await
            .unwrap()
    );
    assert!(
        !store
            .commit_draw(&record, &hex::encode([8u8; 32]))
            .await
            .unwrap(),
        "a draw is committed once"
    );

    let people = [
        h.whatsapp("5511900000931"),
        h.whatsapp("5511900000932"),
        h.telegram(7000000931, None),
        h.telegram(7000000932, None),
    ];
    // A checkout of the bag: the draw's rules and the way in, nothing reserved.
    h.add_plain_bag(&people[0]).await;
    let invite = h.tap(&people[0], "p:c").await;
    assert!(
        all_text(&invite).contains("Winter drop goes to a draw"),
        "{}",
        all_text(&invite)
    );
    assert_eq!(button_ids(&invite[0]), ["p:de:dr", "c:m"]);
    for person in &people {
        let entered = h.tap(person, "p:de:dr").await;
        assert!(
            all_text(&entered).starts_with("You're in the draw for Winter drop. Your entry id is "),
            "{}",
            all_text(&entered)
        );
    }
    let twice = h.tap(&people[2], "p:de:dr").await;
    assert_eq!(
        all_text(&twice),
        "You're already in the draw for Winter drop: one entry per person."
    );
    assert_eq!(store.entries("dr").await.unwrap().len(), 4);

    // The run after the close (its clock moved past it; the entries were made before).
    let before = h.stack.last_seq().await.unwrap();
    let queues = h.stack.queues();
    let report = draw_flow::run(&store, &recorded::beacon(), &queues, &drop, close + 5)
        .await
        .unwrap();
    let RunReport::Drawn {
        record,
        won: 2,
        lost: 2,
        failed: 0,
    } = report
    else {
        panic!("{report:?}")
    };
    let (mut winners, mut others) = (0, 0);
    for person in &people {
        let told = all_text(&h.stack.replies_after(&person.id, before).await.unwrap());
        if told.contains("You won the draw for Winter drop!") {
            winners += 1;
            assert!(told.contains("reserved until"), "{told}");
        } else {
            others += 1;
            assert!(told.contains("you weren't drawn this time"), "{told}");
        }
    }
    assert_eq!((winners, others), (2, 2));
    let orders = store.all_orders().await.unwrap();
    let reserved: Vec<_> = orders
        .iter()
        .filter(|o| o.status == OrderStatus::Reserved)
        .collect();
    assert_eq!(reserved.len(), 2, "one reservation per winner");
    assert!(reserved.iter().all(|o| o.expires_at >= now + 29 * 60));
    assert_eq!(
        store.drop_stock("dr").await.unwrap(),
        [("drop-bag".to_string(), 0, 2, 0)]
    );

    // Again, as after a crash: the same winners, nobody told twice.
    let quiet = h.stack.last_seq().await.unwrap();
    let again = draw_flow::run(&store, &recorded::beacon(), &queues, &drop, close + 60)
        .await
        .unwrap();
    let RunReport::Drawn {
        record: same,
        won: 0,
        lost: 0,
        ..
    } = again
    else {
        panic!("{again:?}")
    };
    assert_eq!(same.winners, record.winners);
    for person in &people {
        h.assert_silence(&person.id, quiet).await;
    }
    assert_eq!(store.all_orders().await.unwrap().len(), 2);

    // Anyone recomputes the winners from what was published.
    let list = draw_flow::published_list(&store, drop.draw.as_ref().unwrap(), "dr")
        .await
        .unwrap();
    assert_eq!(list.len(), 4);
    let check = draw::verify(&record, list).unwrap();
    assert!(check.matches);
    assert!(
        !check.frozen_in_time,
        "the recorded round predates the freeze"
    );
    assert!(store.drops().await.unwrap().iter().any(|d| d.id == "dr"));
}
