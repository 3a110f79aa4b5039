//! Bad input gets a clear outcome (a status code or a polite chat reply), no panic, and nothing
//! half-written.

use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_e2e::{Harness, all_text};
use serde_json::json;
use xtask::platform::{telegram, whatsapp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_missing_signatures_are_refused_with_no_side_effect() {
    let h = Harness::start("forged").await;
    let ana = h.whatsapp("5511900000010");
    let ken = h.telegram(7000000010, None);
    let before = h.stack.last_seq().await.unwrap();

    let genuine = ana.text_webhook("hi");
    let forged_signature = format!("sha256={}", "0".repeat(64));
    for signature in [Some(forged_signature.as_str()), None, Some("sha1=abc")] {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(s) = signature {
            headers.push(("x-hub-signature-256", s));
        }
        let (status, _) = h
            .post_raw("/webhooks/whatsapp", &headers, genuine.body.clone())
            .await;
        assert_eq!(status, 401, "signature {signature:?}");
    }
    // A body changed after signing.
    let mut tampered = ana.text_webhook("hi");
    tampered.body = String::from_utf8(tampered.body)
        .unwrap()
        .replace("hi", "yo")
        .into_bytes();
    assert_eq!(ana.post(&tampered).await.unwrap(), 401);

    let tg = ken.text_webhook("/start");
    let (status, _) = h
        .post_raw(
            "/webhooks/telegram",
            &[("x-telegram-bot-api-secret-token", "wrong")],
            tg.body.clone(),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = h.post_raw("/webhooks/telegram", &[], tg.body).await;
    assert_eq!(status, 401);

    h.assert_silence(&ana.id, before).await;
    h.assert_silence(&ken.id, before).await;
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_subscription_check() {
    let h = Harness::start("verify").await;
    let (status, body) = h
        .get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=dev-verify-token&hub.challenge=1158201444")
        .await;
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, _) = h
        .get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
        .await;
    assert_eq!(status, 403);
    let (status, _) = h.get("/webhooks/fax").await;
    assert_eq!(status, 404);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_huge_bodies_get_a_status_and_no_reply() {
    let h = Harness::start("malformed").await;
    let ana = h.whatsapp("5511900000011");
    let before = h.stack.last_seq().await.unwrap();

    // Authentic (correctly signed) but not JSON: acknowledged, since a redelivery cannot fix it.
    let broken = b"{\"object\":\"whatsapp_business_account\",\"entry\":[".to_vec();
    let signature = whatsapp::signature("dev-whatsapp-app-secret", &broken);
    let (status, _) = h
        .post_raw(
            "/webhooks/whatsapp",
            &[("x-hub-signature-256", signature.as_str())],
            broken,
        )
        .await;
    assert_eq!(status, 200);

    // Ten megabytes: refused before anything is read further.
    let huge = vec![b'a'; 10 * 1024 * 1024];
    let signature = whatsapp::signature("dev-whatsapp-app-secret", &huge);
    let (status, _) = h
        .post_raw(
            "/webhooks/whatsapp",
            &[("x-hub-signature-256", signature.as_str())],
            huge,
        )
        .await;
    assert_eq!(status, 413);

    h.assert_silence(&ana.id, before).await;
    // The stack still answers afterwards.
    assert!(all_text(&h.say(&ana, "hi").await).contains("Welcome"));
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_types_products_and_rule_breaking_choices_get_polite_replies() {
    let h = Harness::start("polite").await;
    let ana = h.whatsapp("5511900000012");

    // A voice note: a kind we cannot read.
    let audio = whatsapp::sign(whatsapp::envelope(
        &ana,
        json!({
            "from": ana.id, "id": "wamid.AUDIO1", "timestamp": SystemClock.now().to_string(),
            "type": "audio", "audio": {"id": "1234", "mime_type": "audio/ogg; codecs=opus"}
        }),
    ));
    let replies = h.exchange(&ana, &audio).await;
    assert_eq!(
        all_text(&replies),
        "Sorry, I can't read that kind of message. Type “menu” to browse the shop."
    );

    // A button payload naming a product that does not exist.
    let replies = h.tap(&ana, "c:p:no-such-bag").await;
    assert!(all_text(&replies).starts_with("Sorry, that product is no longer available."));
    let replies = h.tap(&ana, "k:a:no-such-bag").await;
    assert!(all_text(&replies).starts_with("Sorry, that product is no longer available."));

    // A customization choice that breaks a rule: the chain strap needs a black or red body.
    h.tap(&ana, "k:a:drop-bag").await;
    h.tap(&ana, "k:o:drop-bag:colour:sand").await;
    let replies = h.tap(&ana, "k:o:drop-bag:strap:chain").await;
    assert_eq!(
        all_text(&replies),
        "Chain strap is only available with Black, Signal red. Please choose again.\nDrop Bag (2/4): choose the strap."
    );
    // A gold charm on canvas, and an engraving the engraver cannot cut.
    h.tap(&ana, "k:o:drop-bag:strap:canvas").await;
    let replies = h.tap(&ana, "k:o:drop-bag:charm:gold").await;
    assert!(all_text(&replies).starts_with("Gold charm can't be combined with Canvas strap."));
    h.tap(&ana, "k:s:drop-bag:charm").await;
    let replies = h.say(&ana, "ANA ♥").await;
    assert!(all_text(&replies).starts_with("“♥” can't be used here"));

    // Nothing half-written: the cart is still empty.
    let replies = h.say(&ana, "cart").await;
    assert!(all_text(&replies).contains("Your cart is empty."));

    // A delivery report is recorded and answered with silence.
    let before = h.stack.last_seq().await.unwrap();
    let status = whatsapp::sign(
        json!({"object": "whatsapp_business_account", "entry": [{"id": "104000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106000000000002"},
            "statuses": [{"id": "wamid.FAKE00000001", "status": "read", "timestamp": "1767312100", "recipient_id": ana.id}]
        }}]}]}),
    );
    assert_eq!(ana.post(&status).await.unwrap(), 200);
    h.assert_silence(&ana.id, before).await;
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_contact_is_linked_only_when_it_is_the_senders_own() {
    let h = Harness::start("contact").await;
    let ken = h.telegram(7000000020, None);
    let share = |user_id: i64| {
        telegram::sign(json!({"update_id": 880000000 + user_id % 1000, "message": {
            "message_id": 77, "from": telegram::user(&ken),
            "chat": {"id": 7000000020i64, "type": "private"}, "date": SystemClock.now(),
            "contact": {"phone_number": "+81 90 1234 5678", "first_name": "Ken", "user_id": user_id}
        }}))
    };
    let replies = h.exchange(&ken, &share(7000000020)).await;
    assert_eq!(
        all_text(&replies),
        "Thanks! Your phone number is now linked to this chat."
    );
    let replies = h.exchange(&ken, &share(7000000999)).await;
    assert!(all_text(&replies).starts_with("Sorry, I can't read that kind of message."));
    h.stack.stop().await;
}

/// The four channels added after WhatsApp and Telegram: forgeries are refused, bodies no
/// platform sends get a clear status, the platforms' own checks are answered, and nothing is
/// queued or sent for any of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_added_channels_refuse_forgeries_and_bodies_no_platform_sends() {
    use chatdrop_e2e::Platform;
    let h = Harness::start("bad-four").await;
    let mei = h.customer_on(Platform::Messenger, "6543210987654399");
    let kai = h.customer_on(Platform::Line, "Uaaaabbbbccccddddeeeeffff00009999");
    let wei = h.customer_on(Platform::Wechat, "oUpF8uMuAJO_M2pxb1Q9zNjWeS99");
    let sam = h.customer_on(Platform::Sms, "+15551239999");
    let before = h.stack.last_seq().await.unwrap();

    // A body changed after signing: refused on every platform.
    for customer in [&mei, &kai, &sam] {
        let mut tampered = customer.text_webhook("hi");
        tampered.body = String::from_utf8(tampered.body)
            .unwrap()
            .replace("hi", "yo")
            .into_bytes();
        assert_eq!(
            customer.post(&tampered).await.unwrap(),
            401,
            "{:?}",
            customer.platform
        );
    }
    // WeChat signs the query: a forged signature is refused.
    let genuine = wei.text_webhook("hi");
    let (path, query) = genuine.path.split_once('?').unwrap();
    let forged: String = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some(("signature", _)) => format!("signature={}", "0".repeat(40)),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    let (status, _) = h
        .post_raw(
            &format!("{path}?{forged}"),
            &[("content-type", "text/xml")],
            genuine.body.clone(),
        )
        .await;
    assert_eq!(status, 401);

    // XML with an external entity or a billion laughs, under a genuine signature: refused
    // before any parsing.
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>"#;
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">{}]><xml><Content>&lol9;</Content></xml>"#,
        (1..10)
            .map(|i| format!(
                "<!ENTITY lol{i} \"{}\">",
                format!(
                    "&lol{};",
                    if i == 1 {
                        String::new()
                    } else {
                        (i - 1).to_string()
                    }
                )
                .repeat(10)
            ))
            .collect::<String>()
    );
    for body in [xxe.to_string(), laughs] {
        let (status, _) = h
            .post_raw(
                &genuine.path,
                &[("content-type", "text/xml")],
                body.into_bytes(),
            )
            .await;
        assert_eq!(status, 400);
    }
    // Not valid UTF-8.
    let (status, _) = h
        .post_raw(
            &genuine.path,
            &[("content-type", "text/xml")],
            vec![b'<', 0xff, 0xfe, b'>'],
        )
        .await;
    assert_eq!(status, 400);

    // Wrong content types: JSON to Twilio's form endpoint, a form to LINE.
    let sms = sam.text_webhook("hi");
    let mut headers: Vec<(&str, &str)> = sms
        .headers
        .iter()
        .filter(|(k, _)| *k != "content-type")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    headers.push(("content-type", "application/json"));
    let (status, _) = h
        .post_raw("/webhooks/sms", &headers, sms.body.clone())
        .await;
    assert_eq!(status, 415);

    // The platforms' own checks: LINE's verification request (no events) and Messenger's
    // subscription check.
    let verify = br#"{"destination":"U0123456789abcdef0123456789abcdef","events":[]}"#.to_vec();
    let signature = xtask::platform::line::signature(
        &xtask::dev::secrets()[chatdrop_domain::channel_spec::vars::LINE_CHANNEL_SECRET],
        &verify,
    );
    let (status, _) = h
        .post_raw(
            "/webhooks/line",
            &[
                ("content-type", "application/json"),
                ("x-line-signature", &signature),
            ],
            verify,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .get("/webhooks/messenger?hub.mode=subscribe&hub.verify_token=dev-messenger-verify-token&hub.challenge=8080")
        .await;
    assert_eq!((status, body.as_str()), (200, "8080"));
    let (status, _) = h
        .get("/webhooks/messenger?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
        .await;
    assert_eq!(status, 403);

    // WeChat's server check echoes `echostr` when signed, and only then.
    let timestamp = SystemClock.now().to_string();
    let token = &xtask::dev::secrets()[chatdrop_domain::channel_spec::vars::WECHAT_TOKEN];
    let signature = chatdrop_channels::wechat::signature(token, &timestamp, "n1");
    let (status, body) = h
        .get(&format!(
            "/webhooks/wechat?signature={signature}&timestamp={timestamp}&nonce=n1&echostr=hello123"
        ))
        .await;
    assert_eq!((status, body.as_str()), (200, "hello123"));
    let (status, _) = h
        .get(&format!(
            "/webhooks/wechat?signature={}&timestamp={timestamp}&nonce=n1&echostr=x",
            "0".repeat(40)
        ))
        .await;
    assert_eq!(status, 401);

    for customer in [&mei, &kai, &wei, &sam] {
        h.assert_silence(&customer.id, before).await;
    }
    h.stack.stop().await;
}

/// Viber: a forged or missing `X-Viber-Content-Signature` is 401 with nothing queued or sent; a
/// signed body that is not JSON is acknowledged (a redelivery cannot fix it); an oversized body
/// is 413; Viber's set-up check is answered 200; a redelivered message (same `message_token`)
/// is answered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viber_refuses_forgeries_and_answers_a_redelivery_once() {
    use chatdrop_e2e::Platform;
    use xtask::platform::viber;
    let h = Harness::start("bad-viber").await;
    let olena = h.customer_on(Platform::Viber, "BadInputViber00000000A==");
    let token =
        xtask::dev::secrets()[chatdrop_domain::channel_spec::vars::VIBER_AUTH_TOKEN].clone();
    let before = h.stack.last_seq().await.unwrap();

    let genuine = olena.text_webhook("hi");
    let forged = "0".repeat(64);
    let wrong_key = viber::signature("not-the-auth-token", &genuine.body);
    for signature in [
        Some(forged.as_str()),
        Some(wrong_key.as_str()),
        Some("zz"),
        None,
    ] {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(s) = signature {
            headers.push(("x-viber-content-signature", s));
        }
        let (status, _) = h
            .post_raw("/webhooks/viber", &headers, genuine.body.clone())
            .await;
        assert_eq!(status, 401, "signature {signature:?}");
    }
    // A body changed after signing.
    let mut tampered = olena.text_webhook("hi");
    tampered.body = String::from_utf8(tampered.body)
        .unwrap()
        .replace("\"hi\"", "\"yo\"")
        .into_bytes();
    assert_eq!(olena.post(&tampered).await.unwrap(), 401);

    // Signed but not JSON: acknowledged, nothing queued.
    let broken = b"{\"event\":\"message\",".to_vec();
    let signature = viber::signature(&token, &broken);
    let (status, _) = h
        .post_raw(
            "/webhooks/viber",
            &[("x-viber-content-signature", signature.as_str())],
            broken,
        )
        .await;
    assert_eq!(status, 200);
    // Ten megabytes: refused before anything is read further.
    let huge = vec![b'a'; 10 * 1024 * 1024];
    let signature = viber::signature(&token, &huge);
    let (status, _) = h
        .post_raw(
            "/webhooks/viber",
            &[("x-viber-content-signature", signature.as_str())],
            huge,
        )
        .await;
    assert_eq!(status, 413);
    // The set-up check.
    assert_eq!(olena.post(&viber::setup_webhook(1)).await.unwrap(), 200);
    h.assert_silence(&olena.id, before).await;

    // A redelivery: Viber retries an unanswered callback with the same token; one answer.
    let hi = olena.text_webhook("hi");
    let replies = h.exchange(&olena, &hi).await;
    assert!(all_text(&replies).contains("Welcome"));
    let after = h.stack.last_seq().await.unwrap();
    assert_eq!(olena.post(&hi).await.unwrap(), 200);
    h.assert_silence(&olena.id, after).await;
    h.stack.stop().await;
}
