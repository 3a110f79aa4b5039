use super::*;
use crate::customer::Platform;
use crate::platform::harness::{self, failure, receive, receive_at, refused, tampered};
use chatdrop_channels::viber::{ViberConfig, ViberWebhook};
use chatdrop_channels::{Outbound, WebhookOutcome};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::inbound::InboundContent;
use chatdrop_domain::reply::Reply;

const USER: &str = "5TfrBcnNLSpt8IpzW0pqbA==";

fn customer() -> Customer {
    Customer::on(Platform::Viber, "http://127.0.0.1:1", USER, "Olena")
}

/// The adapter as the ingress function configures it with the dev secrets.
fn adapter() -> ViberWebhook {
    ViberWebhook {
        config: ViberConfig {
            auth_token: dev::secrets()[vars::VIBER_AUTH_TOKEN].clone(),
            sender_name: "chatdrop".into(),
        },
    }
}

#[test]
fn the_signature_matches_the_official_sdk_vector() {
    // Viber/viber-bot-python `tests/api/test_api.py`, `test_verify_signature`.
    assert_eq!(
        signature(
            "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3",
            br#"{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}"#
        ),
        "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"
    );
}

#[test]
fn the_adapter_reads_text_taps_and_consent_and_refuses_a_forgery() {
    let m = receive(&adapter(), &text_webhook(&customer(), 7, "show menu"));
    assert_eq!(m[0].conversation.customer, USER);
    assert_eq!(
        m[0].content,
        InboundContent::Text {
            body: "show menu".into()
        }
    );
    let tap = tap_webhook(&customer(), 8, "c:p:tee", "Tee").expect("Viber has buttons");
    assert_eq!(
        receive(&adapter(), &tap)[0].content,
        InboundContent::Action {
            payload: "c:p:tee".into(),
            title: None
        }
    );
    let sub = receive(&adapter(), &subscription_webhook(&customer(), 9, true));
    assert_eq!(sub[0].content, InboundContent::OptIn);
    let unsub = receive(&adapter(), &subscription_webhook(&customer(), 10, false));
    assert_eq!(unsub[0].content, InboundContent::OptOut);
    assert!(receive(&adapter(), &setup_webhook(11)).is_empty());
    let started = conversation_started_webhook(&customer(), 12);
    assert!(matches!(
        receive_at(&adapter(), harness::BASE_URL, &started),
        Ok(WebhookOutcome::Respond { .. })
    ));
    // Another customer's id under the same signature: refused.
    assert!(refused(&adapter(), &tampered(&tap, USER, "another==")));
}

fn sender(base: &str) -> chatdrop_channels::viber::ViberSender {
    chatdrop_channels::viber::ViberSender::new(
        crate::local_http::client(),
        chatdrop_channels::viber::ViberSendConfig {
            api_base: format!("{base}/viber"),
            auth_token: dev::secrets()[vars::VIBER_AUTH_TOKEN].clone(),
            sender_name: "chatdrop".into(),
        },
    )
}

#[tokio::test]
async fn the_sender_and_the_fake_agree_and_the_fake_reads_what_it_recorded() {
    let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
    let b = harness::bundle(
        Channel::Viber,
        USER,
        "b1",
        vec![
            harness::menu(&["Drop bags", "Caps"]),
            Reply::Image {
                url: "https://shop.example/qr/t.png".into(),
                caption: None,
            },
        ],
    );
    let sent = sender(&base)
        .send(&harness::session(&b))
        .await
        .expect("sent");
    assert_eq!(sent.message_ids.len(), 2);
    let outbox = harness::outbox(&base).await;
    let entries: Vec<_> = outbox.iter().filter(|e| e.channel == CHANNEL).collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(shown_text(entries[0]), "Pick one");
    assert_eq!(
        choices(entries[0]),
        vec![
            ("Drop bags".to_string(), Some(format!("{TAP_PREFIX}c:p:0"))),
            ("Caps".to_string(), Some(format!("{TAP_PREFIX}c:p:1"))),
        ]
    );
    assert!(
        render(entries[1])
            .unwrap()
            .contains("[picture https://shop.example/qr/t.png]")
    );

    // A storm is Viber's status 12: the sender reads it as a rate limit.
    harness::storm(&base, CHANNEL, 1).await;
    let refused = sender(&base).send(&harness::session(&b)).await;
    assert_eq!(failure(&refused), ("rate limited", Some(12)));
}

#[tokio::test]
async fn a_wrong_token_and_an_unsubscribed_receiver_are_refused_as_viber_refuses_them() {
    let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
    let b = harness::bundle(
        Channel::Viber,
        USER,
        "b1",
        vec![Reply::Text { body: "hi".into() }],
    );
    let mut wrong = sender(&base);
    wrong.config.auth_token = "not-the-token".into();
    assert_eq!(
        failure(&wrong.send(&harness::session(&b)).await),
        ("transient", Some(2))
    );
    let status = crate::local_http::client()
        .post(format!("{base}/viber/_control/unsubscribed"))
        .json(&USER)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert_eq!(
        failure(&sender(&base).send(&harness::session(&b)).await),
        ("permanent", Some(6))
    );
}
