//! The platform's profile as a language clue: asked once per conversation, remembered, never
//! in the way of an answer, and never above the customer's own choice.

use crate::action::{Action, Handler, route_payload};
use crate::channel::{Channel, ConversationId};
use crate::dialogue::Session;
use crate::inbound::{InboundContent, InboundMessage};
use crate::lang::Lang;
use crate::language::{Clues, LangSource, asks_profile};
use crate::ports::ProfileError;
use crate::process::process_with_profiles;
use crate::reply::ReplyBundle;
use crate::testing::{Memory, ProfileBook, maison_catalog, tap, text};

/// A LINE customer: the maison catalog serves LINE in its Thai market.
fn line_customer() -> ConversationId {
    ConversationId::new(Channel::Line, "U4af4980629a0b2c5e3f6b9e1d8c7a6b5")
}

fn on_line(mut msg: InboundMessage) -> InboundMessage {
    msg.conversation = line_customer();
    msg
}

/// Runs a message as the deployed functions do, hand-offs included, asking `profiles`.
async fn run(mem: &Memory, profiles: &ProfileBook, msg: InboundMessage) -> Vec<ReplyBundle> {
    let handler = match &msg.content {
        InboundContent::Action { payload, .. } => route_payload(payload),
        _ => Handler::Catalog,
    };
    let before = mem.replies.lock().unwrap().len();
    process_with_profiles(handler, &msg, mem, mem, mem, profiles, Lang::EN)
        .await
        .unwrap();
    loop {
        let next = mem.handoffs.lock().unwrap().pop();
        let Some((to, m)) = next else { break };
        process_with_profiles(to, &m, mem, mem, mem, profiles, Lang::EN)
            .await
            .unwrap();
    }
    mem.replies.lock().unwrap()[before..].to_vec()
}

fn langs(bundles: &[ReplyBundle]) -> Vec<Lang> {
    bundles.iter().map(|b| b.lang).collect()
}

fn session(mem: &Memory) -> Session {
    mem.sessions
        .lock()
        .unwrap()
        .get(&line_customer().key())
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_profile_language_answers_the_first_message_and_is_remembered() {
    let mem = Memory::with_catalog(maison_catalog());
    // A customer of the Thai market whose LINE app is in Traditional Chinese (LINE's `zh-TW`).
    let profiles = ProfileBook::with(&line_customer(), "zh-TW");
    let sent = run(&mem, &profiles, on_line(text("m1", "hi"))).await;
    assert_eq!(langs(&sent), [Lang::ZH_HANT]);
    let s = session(&mem);
    assert_eq!(
        (s.lang, s.lang_source),
        (Some(Lang::ZH_HANT), Some(LangSource::Platform))
    );

    // Later messages read the session: no more lookups, and a short English word does not
    // move a platform's language.
    let sent = run(&mem, &profiles, on_line(text("m2", "menu"))).await;
    assert_eq!(langs(&sent), [Lang::ZH_HANT]);
    run(&mem, &profiles, on_line(tap("m3", "c:c:bags"))).await;
    assert_eq!(profiles.lookups(), 1);
}

#[tokio::test]
async fn a_profile_without_a_language_leaves_the_words_and_the_market() {
    let mem = Memory::with_catalog(maison_catalog());
    let profiles = ProfileBook::default();
    let sent = run(&mem, &profiles, on_line(text("m1", "menu"))).await;
    // "menu" is English, Portuguese and Indonesian: the Thai market's default holds.
    assert_eq!(langs(&sent), [Lang::TH]);
    assert_eq!(session(&mem).lang_source, Some(LangSource::Default));
    let sent = run(&mem, &profiles, on_line(text("m2", "hola"))).await;
    assert_eq!(langs(&sent), [Lang::ES]);
    assert_eq!(profiles.lookups(), 1, "asked on the first message only");
}

#[tokio::test]
async fn a_failed_lookup_answers_in_the_next_clue_and_is_not_repeated() {
    for failure in [
        ProfileError::TimedOut,
        ProfileError::Failed("HTTP 403: (#230) Requires pages_messaging permission".into()),
    ] {
        let mem = Memory::with_catalog(maison_catalog());
        let profiles = ProfileBook::failing(failure.clone());
        let sent = run(&mem, &profiles, on_line(text("m1", "hola"))).await;
        assert_eq!(langs(&sent), [Lang::ES], "{failure}");
        assert_eq!(session(&mem).lang_source, Some(LangSource::Words));
        let sent = run(&mem, &profiles, on_line(text("m2", "bag"))).await;
        assert_eq!(langs(&sent), [Lang::ES]);
        assert_eq!(profiles.lookups(), 1, "{failure}");
    }
}

#[tokio::test]
async fn the_customers_choice_outlasts_the_profile() {
    let mem = Memory::with_catalog(maison_catalog());
    let profiles = ProfileBook::with(&line_customer(), "ja");
    let sent = run(&mem, &profiles, on_line(text("m1", "hi"))).await;
    assert_eq!(langs(&sent), [Lang::JA]);
    let english = Action::SetLang(Lang::EN).encode();
    let sent = run(&mem, &profiles, on_line(tap("m2", &english))).await;
    assert_eq!(langs(&sent), [Lang::EN]);
    let sent = run(&mem, &profiles, on_line(text("m3", "hi"))).await;
    assert_eq!(langs(&sent), [Lang::EN]);
    assert_eq!(session(&mem).lang_source, Some(LangSource::Chosen));
    assert_eq!(profiles.lookups(), 1);
}

#[tokio::test]
async fn a_first_tap_on_a_language_is_not_second_guessed() {
    let mem = Memory::with_catalog(maison_catalog());
    let profiles = ProfileBook::with(&line_customer(), "ja");
    let korean = Action::SetLang(Lang::KO).encode();
    let sent = run(&mem, &profiles, on_line(tap("m1", &korean))).await;
    assert_eq!(langs(&sent), [Lang::KO]);
    assert_eq!(profiles.lookups(), 0);
}

#[test]
fn only_a_new_conversation_without_a_locale_of_its_own_asks() {
    let fresh = Session::default();
    let saved = Session {
        version: 3,
        ..Session::default()
    };
    let ask = |msg: &InboundMessage, session: &Session| {
        asks_profile(msg, session, &Clues::of(msg, session, None, Lang::EN))
    };
    let hi = on_line(text("m1", "hi"));
    assert!(ask(&hi, &fresh));
    assert!(
        !ask(&hi, &saved),
        "a session already saved was asked before"
    );
    let mut telegram = hi.clone();
    telegram.locale = Some("pt-br".into());
    assert!(
        !ask(&telegram, &fresh),
        "the message's own locale is enough"
    );
    let leaving = on_line(crate::testing::message("m2", InboundContent::OptOut));
    assert!(!ask(&leaving, &fresh), "nobody to answer");
}
