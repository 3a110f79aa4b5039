//! Messenger's `messaging_handovers` events (the handover protocol), beside the other inbound
//! tests in `inbound_tests.rs`.

use super::tests::{ANA, SECRET, ana, event, notification};
use super::*;
use crate::meta::test_requests::{self, VERIFY_TOKEN, signature_for};

// --- handover protocol --------------------------------------------------------------------

/// This deployment's app, and Meta's Page Inbox.
pub(super) const OURS: &str = "1517776481860111";
pub(super) const PAGE_INBOX: &str = "263902037430900";

fn webhook_of(app_id: Option<&str>) -> MessengerWebhook {
    MessengerWebhook::new(MessengerConfig {
        app_secret: SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: app_id.map(String::from),
    })
}

pub(super) fn handover_messages(app_id: Option<&str>, body: &str) -> Vec<InboundMessage> {
    let signature = signature_for(SECRET, body.as_bytes());
    match test_requests::post(
        &webhook_of(app_id),
        Some(&signature),
        Some("application/json"),
        body.as_bytes(),
    ) {
        Ok(WebhookOutcome::Messages(m)) => m,
        other => panic!("expected messages, got {other:?}"),
    }
}

// The `messaging_handovers` events in the shape Meta documents
// (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_handovers/),
// with the placeholders filled in: the Page Inbox passing a thread back to our app when its
// person marks the conversation done, and taking one from our app when its person replies.
const PASSED_BACK_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767229200456,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767229200123,
 "pass_thread_control":{"previous_owner_app_id":"263902037430900","new_owner_app_id":"1517776481860111",
 "metadata":"Conversation marked as done"}}]}]}"#;

const TAKEN_EXAMPLE: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767225900456,"messaging":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767225900123,
 "take_thread_control":{"previous_owner_app_id":"1517776481860111","new_owner_app_id":"263902037430900",
 "metadata":"Page admin replied from the inbox"}}]}]}"#;

#[test]
fn the_inbox_passing_the_thread_to_us_gives_the_conversation_back() {
    let m = handover_messages(Some(OURS), PASSED_BACK_EXAMPLE);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].conversation, ana());
    assert_eq!(
        m[0].content,
        InboundContent::InboxGaveBack {
            note: Some("Conversation marked as done".into())
        }
    );
    assert_eq!(m[0].sent_at, 1_767_229_200);
    // No mid: the kind, the hashed sender and the millisecond, stable across redeliveries.
    assert_eq!(
        m[0].event_id,
        format!("pass_thread_control:{}:1767229200123", ana().hashed())
    );
    assert!(!m[0].event_id.contains(ANA), "the PSID goes in hashed");
    assert_eq!(
        handover_messages(Some(OURS), PASSED_BACK_EXAMPLE)[0].event_id,
        m[0].event_id
    );
}

#[test]
fn the_inbox_taking_the_thread_from_us_is_a_person_taking_over() {
    let m = handover_messages(Some(OURS), TAKEN_EXAMPLE);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        m[0].content,
        InboundContent::InboxTook {
            note: Some("Page admin replied from the inbox".into())
        }
    );
    assert_eq!(
        m[0].event_id,
        format!("take_thread_control:{}:1767225900123", ana().hashed())
    );
}

#[test]
fn handover_events_about_other_apps_or_without_our_app_id_are_ignored() {
    // Another app of the Page is this webhook's: neither event is about it.
    assert!(handover_messages(Some("999000111222333"), PASSED_BACK_EXAMPLE).is_empty());
    assert!(handover_messages(Some("999000111222333"), TAKEN_EXAMPLE).is_empty());
    // Without our app id nothing can be told apart: not followed.
    assert!(handover_messages(None, PASSED_BACK_EXAMPLE).is_empty());
    assert!(handover_messages(None, TAKEN_EXAMPLE).is_empty());
    // Our own moves, as the other apps hear of them: our pass to the inbox, our take back.
    let ours_passed = notification(&[event(
        1767225700000,
        &format!(
            r#""pass_thread_control":{{"previous_owner_app_id":"{OURS}","new_owner_app_id":"{PAGE_INBOX}","metadata":"chatdrop: asked"}}"#
        ),
    )]);
    let ours_taken = notification(&[event(
        1767225800000,
        &format!(
            r#""take_thread_control":{{"previous_owner_app_id":"{PAGE_INBOX}","new_owner_app_id":"{OURS}","metadata":"chatdrop: back to the bot"}}"#
        ),
    )]);
    assert!(handover_messages(Some(OURS), &ours_passed).is_empty());
    assert!(handover_messages(Some(OURS), &ours_taken).is_empty());
}

#[test]
fn a_thread_passed_from_idle_with_numeric_ids_and_no_metadata_reads() {
    // `previous_owner_app_id` is null for an idle thread; the take example shows an id
    // unquoted, so numbers read as the same id.
    let body = notification(&[
        event(
            1767229300000,
            r#""pass_thread_control":{"previous_owner_app_id":null,"new_owner_app_id":1517776481860111}"#,
        ),
        event(
            1767229400000,
            r#""take_thread_control":{"previous_owner_app_id":1517776481860111,"new_owner_app_id":263902037430900,"metadata":""}"#,
        ),
    ]);
    let m = handover_messages(Some(OURS), &body);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].content, InboundContent::InboxGaveBack { note: None });
    assert_eq!(m[1].content, InboundContent::InboxTook { note: None });
}
