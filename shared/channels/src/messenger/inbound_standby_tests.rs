//! Messenger's `standby` events (another app owns the thread), beside the other inbound tests
//! in `inbound_tests.rs` and the handover protocol's in `inbound_handover_tests.rs`.

use super::handover_tests::{OURS, PAGE_INBOX, handover_messages};
use super::tests::{ANA, ana};
use super::*;

const PAGE: &str = "102030405060708";

/// A notification whose entry carries `items` in `standby`.
fn standby(items: &[String]) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1767226000456,"standby":[{}]}}]}}"#,
        items.join(",")
    )
}

/// One standby event from the customer (`sender` Ana, `recipient` the Page).
fn from_ana(ms: i64, fields: &str) -> String {
    format!(
        r#"{{"sender":{{"id":"{ANA}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ms},{fields}}}"#
    )
}

/// One standby event from the Page to the customer: an echo (`sender` the Page, `recipient`
/// Ana).
fn to_ana(ms: i64, fields: &str) -> String {
    format!(
        r#"{{"sender":{{"id":"{PAGE}"}},"recipient":{{"id":"{ANA}"}},"timestamp":{ms},{fields}}}"#
    )
}

// Meta's standby example
// (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/standby/)
// with a customer's text message, the event a `messages` subscriber gets, in its place.
const CUSTOMER_IN_STANDBY: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767226000456,"standby":[{
 "sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767226000123,
 "message":{"mid":"m_standby1","text":"are you there?"}}]}]}"#;

// Meta's standby echo example
// (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/):
// the Page's message, from the Page to the customer, with the sending app's id unquoted;
// here the Page Inbox's, with a person's text.
const INBOX_ECHO: &str = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767226100456,"standby":[{
 "sender":{"id":"102030405060708"},"recipient":{"id":"6543210987654321"},"timestamp":1767226100123,
 "message":{"mid":"m_echo1","is_echo":true,"app_id":263902037430900,"text":"Hi, Ana here from the shop"}}]}]}"#;

#[test]
fn a_customers_message_in_standby_is_overheard_never_a_message_to_answer() {
    // No app id needed: whose message it is does not depend on it.
    for app_id in [Some(OURS), None] {
        let m = handover_messages(app_id, CUSTOMER_IN_STANDBY);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].conversation, ana());
        assert_eq!(m[0].event_id, "m_standby1");
        assert_eq!(m[0].sent_at, 1_767_226_000);
        assert_eq!(
            m[0].content,
            InboundContent::Overheard {
                content: Box::new(InboundContent::Text {
                    body: "are you there?".into()
                })
            }
        );
    }
    // A photo and a postback's title (standby postbacks come without the payload).
    let body = standby(&[
        from_ana(
            1767226001000,
            r#""message":{"mid":"m_standby2","attachments":[{"type":"image","payload":{"url":"https://cdn.example/p.jpg"}}]}"#,
        ),
        from_ana(
            1767226002000,
            r#""postback":{"mid":"m_standby3","title":"Track my order"}"#,
        ),
    ]);
    let m = handover_messages(Some(OURS), &body);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        m[0].content,
        InboundContent::Overheard {
            content: Box::new(InboundContent::Image {
                media_id: "https://cdn.example/p.jpg".into(),
                caption: None
            })
        }
    );
    assert_eq!(
        m[1].content,
        InboundContent::Overheard {
            content: Box::new(InboundContent::Action {
                payload: String::new(),
                title: Some("Track my order".into())
            })
        }
    );
    // Ingress routes by the content's kind: an overheard tap is not a tap for the cart.
    assert!(!matches!(m[1].content, InboundContent::Action { .. }));
}

#[test]
fn a_persons_echo_from_the_inbox_is_the_inboxs_reply_to_the_customer() {
    let m = handover_messages(Some(OURS), INBOX_ECHO);
    assert_eq!(m.len(), 1, "{m:?}");
    // The customer is the echo's recipient, not its sender (the Page).
    assert_eq!(m[0].conversation, ana());
    assert_eq!(m[0].event_id, "m_echo1");
    assert_eq!(m[0].sent_at, 1_767_226_100);
    assert_eq!(
        m[0].content,
        InboundContent::InboxReplied {
            text: Some("Hi, Ana here from the shop".into())
        }
    );
    // The id as a string, another app's, or none at all, and an attachment without text:
    // a person wrote from somewhere else than this app.
    let body = standby(&[
        to_ana(
            1767226200000,
            &format!(
                r#""message":{{"mid":"m_echo2","is_echo":true,"app_id":"{PAGE_INBOX}","text":"ok"}}"#
            ),
        ),
        to_ana(
            1767226300000,
            r#""message":{"mid":"m_echo3","is_echo":true,"attachments":[{"type":"image","payload":{"url":"https://cdn.example/r.jpg"}}]}"#,
        ),
    ]);
    let m = handover_messages(Some(OURS), &body);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        m[0].content,
        InboundContent::InboxReplied {
            text: Some("ok".into())
        }
    );
    assert_eq!(m[1].content, InboundContent::InboxReplied { text: None });
    assert!(m.iter().all(|m| m.conversation == ana()));
}

#[test]
fn our_own_echoes_and_standby_events_we_do_not_follow_are_ignored() {
    // Our own app's echo, with the id as a number and as a string.
    let ours = standby(&[
        to_ana(
            1767226400000,
            &format!(r#""message":{{"mid":"m_ours1","is_echo":true,"app_id":{OURS},"text":"a"}}"#),
        ),
        to_ana(
            1767226500000,
            &format!(
                r#""message":{{"mid":"m_ours2","is_echo":true,"app_id":"{OURS}","text":"b"}}"#
            ),
        ),
    ]);
    assert!(handover_messages(Some(OURS), &ours).is_empty());
    // Without our app id, nobody's echo can be told from ours: not followed.
    assert!(handover_messages(None, INBOX_ECHO).is_empty());
    // Receipts, reactions, a postback without a title, and an event without its customer.
    let body = standby(&[
        from_ana(
            1767226600000,
            r#""read":{"watermark":1767226500000}"#,
        ),
        from_ana(
            1767226600001,
            r#""delivery":{"mids":["m_echo1"],"watermark":1767226500000}"#,
        ),
        from_ana(
            1767226600002,
            r#""reaction":{"mid":"m_echo1","action":"react","reaction":"love"}"#,
        ),
        from_ana(1767226600003, r#""postback":{"mid":"m_pb","title":""}"#),
        r#"{"recipient":{"id":"102030405060708"},"timestamp":1767226600004,"message":{"mid":"m_x","text":"who?"}}"#.to_string(),
        r#"{"sender":{"id":"102030405060708"},"timestamp":1767226600005,"message":{"mid":"m_y","is_echo":true,"text":"to whom?"}}"#.to_string(),
    ]);
    assert!(handover_messages(Some(OURS), &body).is_empty());
}

#[test]
fn odd_standby_shapes_are_read_safely() {
    // Empty objects, nulls and unknown fields degrade to nothing, never to a failed webhook
    // (Meta would redeliver it) nor a panic.
    let body = standby(&[
        "{}".to_string(),
        from_ana(1767226700000, r#""message":null"#),
        from_ana(1767226700001, r#""message":{}"#),
        to_ana(
            1767226700002,
            r#""message":{"is_echo":true,"app_id":null,"metadata":"x","new_field":[1,2]}"#,
        ),
        from_ana(1767226700003, r#""something_new":{"a":1}"#),
    ]);
    let m = handover_messages(Some(OURS), &body);
    // The empty message reads as a message we do not handle, overheard; the echo without an
    // id or text is a person's (not ours) with nothing to show.
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        m[0].content,
        InboundContent::Overheard {
            content: Box::new(InboundContent::unsupported("message"))
        }
    );
    assert!(!m[0].event_id.contains(ANA), "the PSID goes in hashed");
    assert_eq!(m[1].content, InboundContent::InboxReplied { text: None });
    // An entry with both arrays: the owner's events and the standby ones are both read.
    let both = r#"{"object":"page","entry":[{"id":"102030405060708","time":1767226800000,
 "messaging":[{"sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767226800000,"message":{"mid":"m_own","text":"menu"}}],
 "standby":[{"sender":{"id":"6543210987654321"},"recipient":{"id":"102030405060708"},"timestamp":1767226800001,"message":{"mid":"m_sb","text":"hello?"}}]}]}"#;
    let m = handover_messages(Some(OURS), both);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        m[0].content,
        InboundContent::Text {
            body: "menu".into()
        }
    );
    assert!(matches!(m[1].content, InboundContent::Overheard { .. }));
}
