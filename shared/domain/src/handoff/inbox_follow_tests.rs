//! Following the platform's own inbox for people ([`super::follow_inbox`]), in memory: the
//! Page inbox giving back, taking, hearing the customer and answering them.

use super::super::tests::{NEW_YEAR, entry_of, said, session, shop_with_hours};
use super::super::*;
use crate::action::Handler;
use crate::inbound::{InboundContent, InboundMessage};
use crate::testing::{Memory, conversation, text};

/// A move of the platform's inbox (Messenger's handover protocol) at `at`, event `id`.
fn inbox_move(id: &str, at: i64, gave_back: bool) -> InboundMessage {
    let note = Some("done in the Page inbox".to_string());
    let content = if gave_back {
        InboundContent::InboxGaveBack { note }
    } else {
        InboundContent::InboxTook { note }
    };
    InboundMessage {
        sent_at: at,
        ..crate::testing::message(id, content)
    }
}

#[tokio::test]
async fn the_inbox_giving_the_thread_back_returns_the_conversation_to_the_bot_once() {
    let mem = shop_with_hours(None);
    mem.run(text("m1", "agent")).await;
    let before = mem.replies.lock().unwrap().len();

    // The Page inbox is done: the bot has it again, off the list, with nothing queued (the
    // thread is ours already) and nothing said.
    assert!(
        mem.run(inbox_move("h1", NEW_YEAR + 60, true))
            .await
            .is_empty()
    );
    assert!(session(&mem).owner.is_bot());
    assert!(
        mem.list_handoffs(HandoffFilter::All)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(mem.replies.lock().unwrap().len(), before);
    let answered = mem
        .run(InboundMessage {
            sent_at: NEW_YEAR + 90,
            ..text("m2", "tote")
        })
        .await;
    assert!(
        said(&answered).contains("Canvas Tote"),
        "{}",
        said(&answered)
    );

    // Handed over again; Meta redelivering the old event, or an event older than the new
    // handoff, undoes nothing.
    mem.run(InboundMessage {
        sent_at: NEW_YEAR + 120,
        ..text("m3", "agent")
    })
    .await;
    mem.run(inbox_move("h1", NEW_YEAR + 60, true)).await;
    mem.run(inbox_move("h0", NEW_YEAR + 100, true)).await;
    assert!(
        matches!(session(&mem).owner, Owner::Waiting { since, .. } if since == NEW_YEAR + 120),
        "{:?}",
        session(&mem).owner
    );
    // A later one does.
    mem.run(inbox_move("h2", NEW_YEAR + 180, true)).await;
    assert!(session(&mem).owner.is_bot());
}

#[tokio::test]
async fn the_inbox_taking_the_thread_gives_the_conversation_to_a_person_silently() {
    let mem = shop_with_hours(None);
    let alerts = MemoryAlerts::default();
    mem.run(text("m1", "hi")).await;
    let before = mem.replies.lock().unwrap().len();

    assert!(
        mem.run(inbox_move("t1", NEW_YEAR + 30, false))
            .await
            .is_empty()
    );
    assert_eq!(
        session(&mem).owner,
        Owner::Agent {
            agent: PLATFORM_INBOX.into(),
            since: NEW_YEAR + 30
        }
    );
    let listed = mem.list_handoffs(HandoffFilter::Agent).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reason, HandoffReason::TakenOver);
    // Nobody is told: not the customer (no bundle), not the agents (no alert, no escalation:
    // a person has it).
    assert_eq!(mem.replies.lock().unwrap().len(), before);
    let run = sweep(
        &mem,
        &alerts,
        &mem,
        HandoffTimers::default(),
        NEW_YEAR + 3600,
    )
    .await
    .unwrap();
    assert_eq!(run, HandoffSweep::default());
    assert!(alerts.published.lock().unwrap().is_empty());
    // The bot keeps quiet while the person writes from the Page inbox.
    assert!(
        mem.run(InboundMessage {
            sent_at: NEW_YEAR + 60,
            ..text("m2", "tote")
        })
        .await
        .is_empty()
    );
    // A redelivery changes nothing; the inbox giving it back ends it.
    mem.run(inbox_move("t1", NEW_YEAR + 30, false)).await;
    assert_eq!(
        mem.list_handoffs(HandoffFilter::All).await.unwrap().len(),
        1
    );
    mem.run(inbox_move("g1", NEW_YEAR + 90, true)).await;
    assert!(session(&mem).owner.is_bot());
}

#[tokio::test]
async fn the_inbox_taking_claims_a_waiting_conversation_but_not_an_agents() {
    let mem = shop_with_hours(None);
    mem.run(text("m1", "agent")).await;
    mem.run(inbox_move("t1", NEW_YEAR + 30, false)).await;
    assert!(
        matches!(&session(&mem).owner, Owner::Agent { agent, .. } if agent == PLATFORM_INBOX),
        "{:?}",
        session(&mem).owner
    );
    // The reason the customer gave stays the entry's.
    let listed = mem.list_handoffs(HandoffFilter::All).await.unwrap();
    assert_eq!(listed[0].reason, HandoffReason::Asked);

    let other = Memory::with_sample();
    other.run(text("m1", "agent")).await;
    other
        .claim_handoff(&conversation(), "ana", NEW_YEAR + 10)
        .await
        .unwrap();
    other.run(inbox_move("t1", NEW_YEAR + 30, false)).await;
    assert!(
        matches!(&session(&other).owner, Owner::Agent { agent, .. } if agent == "ana"),
        "{:?}",
        session(&other).owner
    );
}

/// What the customer wrote to the platform's inbox (Messenger's `standby`) at `at`.
fn overheard(id: &str, at: i64, body: &str) -> InboundMessage {
    InboundMessage {
        sent_at: at,
        ..crate::testing::message(
            id,
            InboundContent::Overheard {
                content: Box::new(InboundContent::Text { body: body.into() }),
            },
        )
    }
}

/// A person's message from the platform's inbox (Messenger's echo in `standby`) at `at`.
fn inbox_replied(id: &str, at: i64) -> InboundMessage {
    InboundMessage {
        sent_at: at,
        ..crate::testing::message(
            id,
            InboundContent::InboxReplied {
                text: Some("Hi, Ana here from the shop".into()),
            },
        )
    }
}

#[tokio::test]
async fn what_the_customer_tells_the_inbox_is_heard_but_never_answered() {
    let mem = shop_with_hours(None);
    mem.run(text("m1", "agent")).await;
    let waiting = session(&mem).owner.clone();
    let before = mem.replies.lock().unwrap().len();

    // Words the bot would answer ("tote" finds a product), said to the Page inbox: nobody
    // answers, nobody moves, and the customer was heard (the platform's window moves).
    assert!(
        mem.run(overheard("s1", NEW_YEAR + 40, "tote"))
            .await
            .is_empty()
    );
    assert_eq!(session(&mem).owner, waiting);
    assert_eq!(session(&mem).last_heard_at, Some(NEW_YEAR + 40));
    assert_eq!(mem.replies.lock().unwrap().len(), before);
    // Exactly once: a redelivery is a duplicate, not a second hearing.
    let key = crate::ports::MarkerKey {
        handler: Handler::Catalog,
        identity: overheard("s1", NEW_YEAR + 40, "tote").dedup_identity(),
    };
    assert!(mem.markers.lock().unwrap()[&(key.handler, key.identity)].done);
    let followed = follow_inbox(
        Handler::Catalog,
        &overheard("s1", NEW_YEAR + 40, "tote"),
        &mem,
        Lang::EN,
    )
    .await
    .unwrap();
    assert_eq!(followed, Some(crate::process::Handled::Duplicate));

    // Even while chatdrop thinks the bot has the chat (the inbox's take event is late), the
    // bot does not answer what was said to the inbox.
    let bot = Memory::with_sample();
    assert!(bot.run(overheard("s2", NEW_YEAR, "tote")).await.is_empty());
    assert!(session(&bot).owner.is_bot());
    assert!(bot.replies.lock().unwrap().is_empty());
    // And the same words said to us are answered: the silence above is the inbox's, not a
    // broken flow.
    let answered = bot
        .run(InboundMessage {
            sent_at: NEW_YEAR + 10,
            ..text("m2", "tote")
        })
        .await;
    assert!(
        said(&answered).contains("Canvas Tote"),
        "{}",
        said(&answered)
    );
}

#[tokio::test]
async fn a_person_answering_in_the_inbox_keeps_the_sweep_from_handing_back() {
    let mem = shop_with_hours(None);
    let alerts = MemoryAlerts::default();
    let day = HandoffTimers::default().hand_back_after.as_secs() as i64;
    mem.run(text("m1", "agent")).await;
    let since = entry_of(&mem).await.since();

    // A person answers in the Page inbox the thread was passed to: the waiting conversation
    // is theirs (no escalation for a conversation somebody answers), with nothing said by
    // the bot.
    assert!(mem.run(inbox_replied("e1", since + 60)).await.is_empty());
    let entry = entry_of(&mem).await;
    assert!(
        matches!(&entry.owner, Owner::Agent { agent, .. } if agent == PLATFORM_INBOX),
        "{:?}",
        entry.owner
    );
    assert_eq!(entry.agent_active_at, Some(since + 60));
    let run = sweep(&mem, &alerts, &mem, HandoffTimers::default(), since + 600)
        .await
        .unwrap();
    assert_eq!(run, HandoffSweep::default());
    assert!(alerts.published.lock().unwrap().is_empty());

    // They keep answering there, the last time 20 hours later: a day after the first answer
    // the sweep leaves it; a day after the last it hands it back.
    mem.run(inbox_replied("e2", since + 20 * 3600)).await;
    assert_eq!(
        entry_of(&mem).await.agent_active_at,
        Some(since + 20 * 3600)
    );
    let run = sweep(
        &mem,
        &alerts,
        &mem,
        HandoffTimers::default(),
        since + 60 + day,
    )
    .await
    .unwrap();
    assert_eq!(run.handed_back, 0);
    assert!(!session(&mem).owner.is_bot());
    let run = sweep(
        &mem,
        &alerts,
        &mem,
        HandoffTimers::default(),
        since + 20 * 3600 + day,
    )
    .await
    .unwrap();
    assert_eq!(run.handed_back, 1);
    assert!(session(&mem).owner.is_bot());

    // With the bot, an echo moves nothing (the take event does); nor does a late echo of a
    // message older than the conversation's handoff.
    mem.run(inbox_replied("e3", since + 21 * 3600)).await;
    assert!(session(&mem).owner.is_bot());
    mem.run(InboundMessage {
        sent_at: since + 30 * 3600,
        ..text("m2", "agent")
    })
    .await;
    mem.run(inbox_replied("e4", since + 29 * 3600)).await;
    assert!(
        matches!(session(&mem).owner, Owner::Waiting { .. }),
        "{:?}",
        session(&mem).owner
    );
}

#[tokio::test]
async fn a_person_answering_in_the_inbox_touches_the_console_agents_handoff() {
    let mem = shop_with_hours(None);
    mem.run(text("m1", "agent")).await;
    mem.claim_handoff(&conversation(), "ana", NEW_YEAR + 10)
        .await
        .unwrap();
    mem.run(inbox_replied("e1", NEW_YEAR + 3600)).await;
    let entry = entry_of(&mem).await;
    // Still Ana's in chatdrop; somebody is working on it, so its activity moved.
    assert!(
        matches!(&entry.owner, Owner::Agent { agent, .. } if agent == "ana"),
        "{:?}",
        entry.owner
    );
    assert_eq!(entry.agent_active_at, Some(NEW_YEAR + 3600));
}
