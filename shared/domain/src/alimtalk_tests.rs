//! AlimTalk in memory: templates read and checked, filled exactly, every held case with its
//! reason, and delivery recorded as any other send.

use super::*;
use crate::delivery::DeliveryLog;
use crate::dialogue::Reachability;
use crate::i18n::Lang;
use crate::inbound::DeliveryStatus;
use crate::ports::PortError;

const TEMPLATES: &str = r##"{
  "paid": {"code": "CD_PAID_01", "text": "[메종] 주문 #{order} 결제가 완료되었습니다.\n결제 금액: #{amount}"},
  "shipped": {"code": "CD_SHIP_01", "text": "[메종] 주문 #{order} 발송: 운송장 #{tracking}"}
}"##;

const PHONE: &str = "+821012345678";

fn templates() -> AlimtalkTemplates {
    AlimtalkTemplates::parse(TEMPLATES).expect("valid templates")
}

fn notice(kind: &str) -> ReplyBundle {
    ReplyBundle {
        id: format!("notice-{kind}"),
        conversation: ConversationId::new(Channel::Kakao, "3a9f0c2b7d1e4f5a8b6c"),
        lang: Lang::KO,
        ack: None,
        reply_token: None,
        update: Some(OrderUpdate {
            order_number: "A1B2C3D4".into(),
            kind: kind.into(),
            summary: "주문 A1B2C3D4 결제 완료".into(),
            details: BTreeMap::from([("amount".to_string(), "₩8,150,000".to_string())]),
        }),
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![Reply::Text {
            body: "결제가 확인되었습니다".into(),
        }],
    }
}

#[test]
fn a_template_is_filled_exactly_and_nothing_else_changes() {
    let message = plan(&notice("paid"), Some(PHONE), &templates()).unwrap();
    assert_eq!(
        message,
        AlimtalkMessage {
            template_code: "CD_PAID_01".into(),
            country_code: "82".into(),
            to: "01012345678".into(),
            content: "[메종] 주문 A1B2C3D4 결제가 완료되었습니다.\n결제 금액: ₩8,150,000".into(),
        }
    );
}

#[test]
fn a_shipped_notice_fills_its_tracking_number() {
    let mut shipped = notice("shipped");
    shipped
        .update
        .as_mut()
        .unwrap()
        .details
        .insert("tracking".into(), "1Z999AA10123456784".into());
    let message = plan(&shipped, Some(PHONE), &templates()).unwrap();
    assert_eq!(message.template_code, "CD_SHIP_01");
    assert_eq!(
        message.content,
        "[메종] 주문 A1B2C3D4 발송: 운송장 1Z999AA10123456784"
    );
}

#[test]
fn fill_replaces_each_slot_and_names_a_missing_one() {
    let values = BTreeMap::from([("order", "X1".to_string())]);
    assert_eq!(fill("#{order}/#{order}.", &values).unwrap(), "X1/X1.");
    assert_eq!(fill("no slots", &values).unwrap(), "no slots");
    // A value that looks like a slot is inserted as it is, never filled again.
    let tricky = BTreeMap::from([("order", "#{amount}".to_string())]);
    assert_eq!(fill("#{order}!", &tricky).unwrap(), "#{amount}!");
    assert_eq!(
        fill("#{order} #{amount}", &values).unwrap_err(),
        "amount".to_string()
    );
}

#[test]
fn templates_with_unknown_variables_or_no_code_are_refused_at_start() {
    assert_eq!(
        AlimtalkTemplates::parse(r##"{"paid": {"code": "C", "text": "#{orderr}"}}"##),
        Err(TemplateError::UnknownVariable {
            kind: "paid".into(),
            variable: "orderr".into()
        })
    );
    assert_eq!(
        AlimtalkTemplates::parse(r#"{"paid": {"code": " ", "text": "x"}}"#),
        Err(TemplateError::Empty {
            kind: "paid".into()
        })
    );
    assert_eq!(
        AlimtalkTemplates::parse(r##"{"paid": {"code": "C", "text": "#{order"}}"##),
        Err(TemplateError::Unclosed {
            kind: "paid".into()
        })
    );
    assert!(matches!(
        AlimtalkTemplates::parse(r#"{"paid": {"code": "C", "text": "x", "button": 1}}"#),
        Err(TemplateError::Json(_))
    ));
    assert!(AlimtalkTemplates::parse("{}").unwrap().is_empty());
}

#[test]
fn held_without_a_template_a_phone_or_a_value_and_when_too_long() {
    let t = templates();
    let reason = plan(&notice("refunded"), Some(PHONE), &t).unwrap_err();
    assert!(reason.contains("no approved AlimTalk template"), "{reason}");
    assert!(reason.contains("never sent as free text"), "{reason}");

    let reason = plan(&notice("paid"), None, &t).unwrap_err();
    assert!(reason.contains("verified none"), "{reason}");

    let reason = plan(&notice("paid"), Some("+8210"), &t).unwrap_err();
    assert!(reason.contains("not a valid number"), "{reason}");

    // Shipped without a tracking number: the template needs one.
    let reason = plan(&notice("shipped"), Some(PHONE), &t).unwrap_err();
    assert!(reason.contains("needs #{tracking}"), "{reason}");

    // AlimTalk: at most 1,000 characters including spaces (Infobip's AlimTalk guide).
    let mut long = notice("paid");
    long.update
        .as_mut()
        .unwrap()
        .details
        .insert("amount".into(), "가".repeat(MAX_CONTENT_CHARS));
    let reason = plan(&long, Some(PHONE), &t).unwrap_err();
    assert!(reason.contains("over AlimTalk's 1000"), "{reason}");
    assert_eq!(MAX_CONTENT_CHARS, 1000);

    let mut chat = notice("paid");
    chat.update = None;
    assert!(plan(&chat, Some(PHONE), &t).is_err());
}

#[test]
fn a_number_outside_korea_keeps_its_country_code() {
    assert_eq!(
        recipient("+818012345678"),
        Some(("81".into(), "08012345678".into()))
    );
    assert_eq!(
        recipient("+14155552671"),
        Some(("1".into(), "4155552671".into()))
    );
    assert_eq!(recipient("not a phone"), None);
}

#[test]
fn only_the_bots_kakao_order_notices_go_as_alimtalk() {
    assert!(applies(&notice("paid")));
    let mut reply = notice("paid");
    reply.update = None;
    assert!(!applies(&reply));
    let mut person = notice("paid");
    person.origin = crate::reply::Origin::Agent("a1".into());
    assert!(!applies(&person));
    let mut other = notice("paid");
    other.conversation = ConversationId::new(Channel::Line, "U1");
    assert!(!applies(&other));
}

#[derive(Default)]
struct Log {
    sent: Mutex<usize>,
    held: Mutex<Vec<String>>,
    undeliverable: Mutex<Vec<SendFailure>>,
    thread: Mutex<Vec<(String, Vec<String>)>>,
}

impl DeliveryLog for Log {
    async fn sent_count(&self, _: &str) -> Result<usize, PortError> {
        Ok(*self.sent.lock().unwrap())
    }
    async fn record_sent(&self, _: &str, count: usize) -> Result<(), PortError> {
        *self.sent.lock().unwrap() = count;
        Ok(())
    }
    async fn record_undeliverable(
        &self,
        _: &ReplyBundle,
        f: &SendFailure,
    ) -> Result<(), PortError> {
        self.undeliverable.lock().unwrap().push(f.clone());
        Ok(())
    }
    async fn record_held(&self, _: &ReplyBundle, reason: &str) -> Result<(), PortError> {
        self.held.lock().unwrap().push(reason.into());
        Ok(())
    }
    async fn record_outbound(&self, out: &Outgoing<'_>, sent: &Sent) -> Result<(), PortError> {
        let text = out.replies.iter().map(crate::delivery::summary).collect();
        self.thread
            .lock()
            .unwrap()
            .push((text, sent.message_ids.clone()));
        Ok(())
    }
    async fn record_status(
        &self,
        _: &ConversationId,
        _: &str,
        _: DeliveryStatus,
        _: i64,
    ) -> Result<(), PortError> {
        Ok(())
    }
}

fn now() -> Moment {
    Moment {
        now: 1_767_225_600,
        last_heard_at: Some(1_767_225_000),
        reachability: Reachability::Reachable,
    }
}

#[tokio::test]
async fn delivered_once_and_recorded_in_the_thread() {
    let dealer = MemoryAlimtalk::default();
    let log = Log::default();
    let bundle = notice("paid");
    let t = templates();
    let got = deliver(&bundle, Some(PHONE), &t, &dealer, &log, now()).await;
    assert_eq!(got.unwrap(), Delivered::All);
    // Redelivered by the queue: recorded as sent, so not sent again.
    let again = deliver(&bundle, Some(PHONE), &t, &dealer, &log, now()).await;
    assert_eq!(again.unwrap(), Delivered::All);
    let sent = dealer.sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    let thread = log.thread.lock().unwrap();
    assert_eq!(
        *thread,
        vec![(
            "[메종] 주문 A1B2C3D4 결제가 완료되었습니다. 결제 금액: ₩8,150,000".to_string(),
            vec!["alimtalk-1".to_string()]
        )]
    );
}

#[tokio::test]
async fn held_cases_are_recorded_and_nothing_is_sent() {
    let dealer = MemoryAlimtalk::default();
    let t = templates();
    let log = Log::default();
    let got = deliver(&notice("paid"), None, &t, &dealer, &log, now()).await;
    assert!(matches!(got.unwrap(), Delivered::Held(r) if r.contains("verified none")));
    let got = deliver(&notice("released"), Some(PHONE), &t, &dealer, &log, now()).await;
    assert!(matches!(got.unwrap(), Delivered::Held(r) if r.contains("`released`")));
    let stopped = Moment {
        reachability: Reachability::OptedOut,
        ..now()
    };
    let got = deliver(&notice("paid"), Some(PHONE), &t, &dealer, &log, stopped).await;
    assert!(matches!(got.unwrap(), Delivered::Held(r) if r.contains("opted out")));
    assert_eq!(log.held.lock().unwrap().len(), 3);
    assert!(dealer.sent.lock().unwrap().is_empty());
    assert_eq!(*log.sent.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_refusal_is_recorded_and_a_transient_failure_retried() {
    let t = templates();
    let dealer = MemoryAlimtalk::default();
    dealer
        .answers
        .lock()
        .unwrap()
        .push_back(SendFailure::Permanent {
            code: None,
            detail: "template mismatch".into(),
        });
    let log = Log::default();
    let got = deliver(&notice("paid"), Some(PHONE), &t, &dealer, &log, now()).await;
    assert!(matches!(got.unwrap(), Delivered::Undeliverable(_)));
    assert_eq!(log.undeliverable.lock().unwrap().len(), 1);

    let dealer = MemoryAlimtalk::default();
    dealer
        .answers
        .lock()
        .unwrap()
        .push_back(SendFailure::Transient {
            code: Some(500),
            detail: "HTTP 500".into(),
        });
    let log = Log::default();
    let got = deliver(&notice("paid"), Some(PHONE), &t, &dealer, &log, now()).await;
    assert!(matches!(got, Err(DeliveryError::Retry(_))));
    assert_eq!(*log.sent.lock().unwrap(), 0, "not recorded as sent");
    let got = deliver(&notice("paid"), Some(PHONE), &t, &dealer, &log, now()).await;
    assert_eq!(got.unwrap(), Delivered::All);
}
