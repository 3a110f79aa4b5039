//! No platform user id, and no value quoted from a payload, in the logs at info or above.
//!
//! The whole stack runs in this process with the production JSON subscriber at TRACE writing
//! into a buffer. Authentic (correctly signed) webhooks whose payloads do not parse carry a
//! recognisable customer id exactly where the parser stops, so a parser error that quotes
//! what it could not read would quote the id (serde_json: ``invalid type: integer
//! `5511977770001`, expected a string``; quick-xml names the entity it refused). Then each
//! channel has an ordinary conversation turn. Every line at INFO, WARN or ERROR is searched
//! for every id; lines below info (the SDK's request traces) may carry them and are not
//! shipped at the production level.

use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_e2e::{Harness, Platform, Webhook};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The log buffer every line of this process goes to.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The captured lines at INFO or above, parsed.
    fn info_and_above(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| matches!(line["level"].as_str(), Some("INFO" | "WARN" | "ERROR")))
            .collect()
    }

    fn lines(&self) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|b| **b == b'\n')
            .count()
    }
}

const WA_ID: &str = "5511977770001";
const TELEGRAM_ID: &str = "7000077701";
const PSID: &str = "6543210000077701";
const LINE_ID: &str = "Uaaaabbbbccccddddeeeeffff00077701";
const OPEN_ID: &str = "oPrivacyOpenId0000000077701";
const PHONE: &str = "+15551277701";
/// What a malformed Stripe event carries where its type should be.
const STRIPE_VALUE: &str = "5551237777";

/// `webhook` with its body replaced by `body`, signed again as its platform signs.
fn resigned(platform: Platform, webhook: &Webhook, body: &str) -> Webhook {
    let secrets = xtask::dev::secrets();
    let body = body.as_bytes().to_vec();
    let (header, value) = match platform {
        Platform::Whatsapp => (
            "x-hub-signature-256",
            xtask::platform::whatsapp::signature(&secrets[vars::WHATSAPP_APP_SECRET], &body),
        ),
        Platform::Messenger => (
            "x-hub-signature-256",
            xtask::platform::whatsapp::signature(&secrets[vars::MESSENGER_APP_SECRET], &body),
        ),
        Platform::Line => (
            "x-line-signature",
            xtask::platform::line::signature(&secrets[vars::LINE_CHANNEL_SECRET], &body),
        ),
        Platform::Viber => (
            "x-viber-content-signature",
            xtask::platform::viber::signature(&secrets[vars::VIBER_AUTH_TOKEN], &body),
        ),
        // Telegram's secret header and WeChat's signed query do not cover the body.
        Platform::Telegram | Platform::Wechat => ("", String::new()),
        Platform::Sms => panic!("Twilio's signature covers the parameters: build them signed"),
    };
    let mut webhook = webhook.clone();
    for (name, old) in &mut webhook.headers {
        if *name == header {
            *old = value.clone();
        }
    }
    webhook.body = body;
    webhook
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_customer_id_or_quoted_payload_value_reaches_the_logs_at_info_or_above() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(chatdrop_telemetry::subscriber("trace", move || {
        writer.clone()
    }))
    .expect("no other subscriber in this process");
    let h = Harness::start("privacy").await;

    // Unreadable payloads, each with a customer id where the parser stops.
    let ana = h.customer_on(Platform::Whatsapp, WA_ID);
    let ken = h.customer_on(Platform::Telegram, TELEGRAM_ID);
    let mei = h.customer_on(Platform::Messenger, PSID);
    let kai = h.customer_on(Platform::Line, LINE_ID);
    let wei = h.customer_on(Platform::Wechat, OPEN_ID);
    let sam = h.customer_on(Platform::Sms, PHONE);
    let malformed = [
        (
            &ana,
            format!(
                r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"messages":[{{"from":{WA_ID},"id":"wamid.P1","timestamp":"1","type":"text","text":{{"body":"hi"}}}}]}}}}]}}]}}"#
            ),
        ),
        (
            &ken,
            format!(
                r#"{{"update_id":1,"message":{{"message_id":1,"chat":{{"id":"{TELEGRAM_ID}","type":"private"}},"date":1,"text":"hi"}}}}"#
            ),
        ),
        (
            &mei,
            format!(
                r#"{{"object":"page","entry":[{{"id":"1","time":1,"messaging":[{{"sender":{{"id":{PSID}}},"recipient":{{"id":"1"}},"timestamp":1,"message":{{"mid":"m_P1","text":"hi"}}}}]}}]}}"#
            ),
        ),
        // The whole callback unreadable, and one event of a readable callback.
        (
            &kai,
            format!(r#"{{"destination":"Ubot","events":"{LINE_ID}"}}"#),
        ),
        (
            &kai,
            format!(
                r#"{{"destination":"Ubot","events":[{{"type":"message","timestamp":"{LINE_ID}","webhookEventId":"01P1","source":{{"type":"user","userId":"x"}}}}]}}"#
            ),
        ),
        (
            &wei,
            format!(
                "<xml><ToUserName><![CDATA[gh_chatdrop_dev]]></ToUserName><FromUserName><![CDATA[x]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&{OPEN_ID};</Content><MsgId>1</MsgId></xml>"
            ),
        ),
    ];
    for (customer, body) in &malformed {
        let webhook = resigned(customer.platform, &customer.text_webhook("hi"), body);
        assert_eq!(
            customer.post(&webhook).await.unwrap(),
            200,
            "{:?}: an authentic unreadable payload is acknowledged",
            customer.platform
        );
    }
    // A Stripe event that does not parse.
    let body = format!(
        r#"{{"id":"evt_privacy_1","object":"event","type":{STRIPE_VALUE},"data":{{"object":{{}}}}}}"#
    )
    .into_bytes();
    let secret = &xtask::dev::secrets()[chatdrop_config::secret_names::STRIPE_WEBHOOK_SECRET];
    let (status, _) = h
        .post_raw(
            "/webhooks/stripe",
            &[
                (
                    chatdrop_payments::webhook::SIGNATURE_HEADER,
                    &chatdrop_payments::webhook::sign(&body, secret, SystemClock.now()),
                ),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await;
    assert_eq!(status, 200);

    // Ordinary turns: a greeting on every channel, answered.
    for customer in [&ana, &ken, &mei, &kai, &wei, &sam] {
        let replies = h.say(customer, "hi").await;
        assert!(!replies.is_empty());
    }

    let lines = captured.info_and_above();
    assert!(
        lines.len() > 20 && captured.lines() > lines.len(),
        "the capture works: {} lines at info+, {} in all",
        lines.len(),
        captured.lines()
    );
    let mut leaks = Vec::new();
    for id in [
        WA_ID,
        TELEGRAM_ID,
        PSID,
        LINE_ID,
        OPEN_ID,
        PHONE,
        // Twilio's form and the logs' JSON both escape `+`; the digits are the number.
        &PHONE[1..],
        STRIPE_VALUE,
    ] {
        for line in &lines {
            if line.to_string().contains(id) {
                leaks.push(format!("{id}: {line}"));
            }
        }
    }
    assert!(leaks.is_empty(), "ids at info+:\n{}", leaks.join("\n"));
    // The logs still say what went wrong, by kind.
    let said = |needle: &str| lines.iter().any(|l| l.to_string().contains(needle));
    for kind in ["JSON data error", "XML unrecognized entity"] {
        assert!(said(kind), "no `{kind}` line at info+");
    }
    h.stack.stop().await;
}
