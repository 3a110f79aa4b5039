//! The consent ledger against DynamoDB as played by moto: history once per event, a standing
//! that only moves forward in time, and the conversation's and person's standings read in one
//! request. Run with `cargo xtask test -p chatdrop-store --test consent`, which starts moto.

mod common;

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::{
    self, ConsentChange, ConsentLedger, ConsentSource, PersonKey, Scope, Standing, Subject, Wish,
};
use chatdrop_domain::dialogue::Session;

fn change(wish: Wish, at: i64, event: &str) -> ConsentChange {
    ConsentChange {
        wish,
        scope: Scope::Announcements,
        at,
        source: ConsentSource::Keyword {
            word: if wish == Wish::OptOut {
                "stop"
            } else {
                "start"
            }
            .into(),
        },
        event: event.into(),
    }
}

fn whatsapp() -> ConversationId {
    ConversationId::new(Channel::Whatsapp, "5511987654321")
}

#[tokio::test]
async fn a_redelivered_change_is_recorded_once() {
    let store = common::fresh_store("consent_once").await;
    let subject = Subject::Conversation(whatsapp());
    let stop = change(Wish::OptOut, 1_767_225_600, "whatsapp#wamid.1");
    store.record(&subject, &stop).await.unwrap();
    store.record(&subject, &stop).await.unwrap();
    assert_eq!(store.history(&subject).await.unwrap(), vec![stop.clone()]);
    assert_eq!(
        store.standing(&whatsapp(), None).await.unwrap(),
        Standing::Latest(stop)
    );
}

#[tokio::test]
async fn the_standing_only_moves_forward_and_history_keeps_every_change() {
    let store = common::fresh_store("consent_forward").await;
    let subject = Subject::Conversation(whatsapp());
    let start = change(Wish::OptIn, 100, "e1");
    let stop = change(Wish::OptOut, 200, "e2");
    let restart = change(Wish::OptIn, 300, "e3");
    // Delivered out of order: the stop, then the restart, then the old start arrives late.
    store.record(&subject, &stop).await.unwrap();
    store.record(&subject, &restart).await.unwrap();
    store.record(&subject, &start).await.unwrap();
    assert_eq!(
        store.standing(&whatsapp(), None).await.unwrap(),
        Standing::Latest(restart.clone())
    );
    assert_eq!(
        store.history(&subject).await.unwrap(),
        vec![start, stop, restart],
        "oldest first"
    );
    // A stop and then a start in the same second: the one recorded last stands.
    store
        .record(&subject, &change(Wish::OptOut, 300, "e4"))
        .await
        .unwrap();
    let now = store.standing(&whatsapp(), None).await.unwrap();
    assert!(now.is_opted_out(), "{now:?}");
    store
        .record(&subject, &change(Wish::OptIn, 300, "e5"))
        .await
        .unwrap();
    let now = store.standing(&whatsapp(), None).await.unwrap();
    assert!(now.may_announce(), "{now:?}");
}

/// A stop on WhatsApp is read by the same person's LINE chat, in one request.
#[tokio::test]
async fn a_linked_chat_reads_its_persons_stop() {
    let store = common::fresh_store("consent_person").await;
    let line = ConversationId::new(Channel::Line, "U4af4980629");
    let mut line_session = Session::default();
    line_session.verify_phone("+5511987654321".into());
    let person = PersonKey::of(&whatsapp(), &Session::default()).unwrap();
    assert_eq!(PersonKey::of(&line, &line_session).as_ref(), Some(&person));

    consent::record(
        &store,
        &line,
        Some(&person),
        &change(Wish::OptIn, 100, "l1"),
    )
    .await
    .unwrap();
    assert!(
        consent::may_announce(&store, &line, &line_session)
            .await
            .unwrap()
    );
    consent::record(
        &store,
        &whatsapp(),
        Some(&person),
        &change(Wish::OptOut, 200, "w1"),
    )
    .await
    .unwrap();
    assert!(
        !consent::may_announce(&store, &line, &line_session)
            .await
            .unwrap()
    );
    assert!(
        !consent::may_announce(&store, &whatsapp(), &Session::default())
            .await
            .unwrap()
    );
    assert_eq!(
        store.history(&Subject::Person(person)).await.unwrap().len(),
        2
    );
    // Nobody asked on another chat: announcements are opt-in.
    let stranger = ConversationId::new(Channel::Telegram, "7001234567");
    assert_eq!(
        store.standing(&stranger, None).await.unwrap(),
        Standing::NeverAsked
    );
}

/// Forgetting erases the session and the conversation's consent items, blanks what the
/// customer typed in the person's history, and may be run twice.
#[tokio::test]
async fn forgetting_is_idempotent_and_keeps_the_persons_record() {
    use chatdrop_domain::action::Handler;
    use chatdrop_domain::ports::{Effect, MarkerKey, SessionStore};
    let store = common::fresh_store("consent_forget").await;
    let person = PersonKey::of(&whatsapp(), &Session::default()).unwrap();
    let mut session = Session::default();
    session.verify_phone("+5511987654321".into());
    session.version = 1;
    let marker = MarkerKey {
        handler: Handler::Catalog,
        identity: "whatsapp#wamid.9".into(),
    };
    store
        .commit(&whatsapp(), Some(&session), &marker, &Effect::Nothing)
        .await
        .unwrap();
    consent::record(
        &store,
        &whatsapp(),
        Some(&person),
        &change(Wish::OptOut, 100, "w1"),
    )
    .await
    .unwrap();

    let first = store.forget(&whatsapp(), Some(&person)).await.unwrap();
    assert!(first.session);
    assert_eq!(first.consent_items, 2, "the standing and one history entry");
    assert_eq!(first.person_entries_scrubbed, 1);
    assert_eq!(
        store.session(&whatsapp()).await.unwrap(),
        Session::default()
    );
    assert!(
        store
            .history(&Subject::Conversation(whatsapp()))
            .await
            .unwrap()
            .is_empty()
    );
    let kept = store
        .history(&Subject::Person(person.clone()))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].wish, Wish::OptOut);
    assert_eq!(
        kept[0].source,
        ConsentSource::Keyword {
            word: String::new()
        }
    );
    // The person's stop still holds for every linked chat.
    assert!(
        store
            .standing(&whatsapp(), Some(&person))
            .await
            .unwrap()
            .is_opted_out()
    );

    let again = store.forget(&whatsapp(), Some(&person)).await.unwrap();
    assert_eq!(again, chatdrop_store::Forgotten::default());
}
