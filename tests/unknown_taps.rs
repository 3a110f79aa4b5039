//! Every tap gets an answer. A tap whose payload we cannot use (a button from an old catalog,
//! another bot's payload, a product since removed) gets a short apology in the customer's
//! language and the menu, on every channel, instead of silence or a screen that does not say
//! what happened.
//!
//! A "tap" is what each platform sends for one: a reply-button or list-row id (WhatsApp), a
//! callback query (Telegram), a quick reply (Messenger), a postback (LINE), a custom-menu
//! `CLICK` (WeChat). On the numbered channels (WeChat, SMS) a choice is also picked by typing
//! its number, and the number resolves to the payload offered last: an old payload left in
//! the session is the numbered form of a stale button, so that is tested too.

use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_e2e::{Customer, Harness, OutboxEntry, Platform};
use xtask::transcript::{choices, shown_text};

/// The apology for a button we cannot read (`Msg::UnknownTap`), as the customer reads it.
const UNKNOWN_EN: &str = "Sorry, that button no longer works.";
const UNKNOWN_JA: &str = "申し訳ありません。そのボタンは使えなくなりました。";
/// A product removed from the catalog since its button was sent (`Msg::UnknownProduct`).
const REMOVED_EN: &str = "Sorry, that product is no longer available.";

/// Payloads no current button carries, and the apology each should get.
const CASES: &[(&str, &str)] = &[
    // Another bot's payload on the same account.
    ("buy:blue_mug:1", UNKNOWN_EN),
    // Our prefixes, in shapes an older release used: catalog, cart, payment.
    ("c:old:7", UNKNOWN_EN),
    ("k:w:drop-bag:2", UNKNOWN_EN),
    ("p:zz", UNKNOWN_EN),
    // A product since removed, from the catalog and from the cart's "add".
    ("c:p:retired-bag", REMOVED_EN),
    ("k:a:retired-bag", REMOVED_EN),
];

fn text_of(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the replies carry `apology` and then the menu (every category and the cart).
fn assert_apology_and_menu(
    replies: &[OutboxEntry],
    apology: &str,
    categories: &[&str],
    what: &str,
) {
    let shown = text_of(replies);
    assert!(
        shown.contains(apology),
        "{what}: no apology `{apology}` in\n{shown}\n{replies:#?}"
    );
    let offered: Vec<String> = replies
        .iter()
        .flat_map(choices)
        .map(|(title, _)| title)
        .collect();
    for category in categories {
        assert!(
            offered.iter().any(|t| t.contains(category)),
            "{what}: the menu (category {category}) is not offered: {offered:?}\n{shown}"
        );
    }
}

/// The platform's own form of a tap on a button carrying `payload`.
fn tap(customer: &Customer, payload: &str, n: u64) -> chatdrop_e2e::Webhook {
    match customer.platform {
        Platform::Wechat => {
            xtask::platform::wechat::event_webhook(customer, n, "CLICK", Some(payload))
        }
        Platform::Sms => panic!("SMS has no buttons: a choice is typed"),
        _ => customer.tap_webhook(payload, "Old button"),
    }
}

/// Leaves `payload` in the session as the only choice offered, as an older release or an
/// older catalog would have: typing "1" then sends it.
async fn offer_stale(h: &Harness, customer: &Customer, channel: Channel, payload: &str) {
    let conversation = ConversationId::new(channel, &customer.id);
    let store = h.stack.store();
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key(
            "pk",
            AttributeValue::S(format!("CONV#{}", conversation.key())),
        )
        .key("sk", AttributeValue::S("SESSION".into()))
        .update_expression("SET offered = :o")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(
            ":o",
            AttributeValue::L(vec![AttributeValue::S(payload.into())]),
        )
        .send()
        .await
        .expect("the session exists and takes the stale choice");
}

async fn every_unknown_tap_is_answered(platform: Platform, test: &str, id: &str) {
    let h = Harness::start(test).await;
    let customer = h.customer_on(platform, id);
    let categories = ["Drop bags", "Accessories"];
    if platform != Platform::Sms {
        for (n, (payload, apology)) in CASES.iter().enumerate() {
            let replies = h
                .exchange(&customer, &tap(&customer, payload, n as u64 + 1))
                .await;
            assert_apology_and_menu(
                &replies,
                apology,
                &categories,
                &format!("{platform:?} tap {payload}"),
            );
        }
    }
    if matches!(platform, Platform::Wechat | Platform::Sms) {
        let channel = if platform == Platform::Sms {
            Channel::Sms
        } else {
            Channel::Wechat
        };
        h.say(&customer, "hi").await;
        for (payload, apology) in CASES {
            offer_stale(&h, &customer, channel, payload).await;
            let replies = h.say(&customer, "1").await;
            assert_apology_and_menu(
                &replies,
                apology,
                &categories,
                &format!("{platform:?} typed 1 for {payload}"),
            );
        }
    }
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_unknown_taps_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(Platform::Whatsapp, "whatsapp-unknown", "5511955550031").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_unknown_taps_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(Platform::Telegram, "telegram-unknown", "7000000131").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_unknown_taps_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(Platform::Messenger, "messenger-unknown", "6543210987654331")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_unknown_taps_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(
        Platform::Line,
        "line-unknown",
        "Uaaaabbbbccccddddeeeeffff00003131",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_unknown_taps_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(
        Platform::Wechat,
        "wechat-unknown",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS31",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_unknown_choices_get_an_apology_and_the_menu() {
    every_unknown_tap_is_answered(Platform::Sms, "sms-unknown", "+15551230031").await;
}

/// The apology is in the customer's language, like the menu after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_tap_is_answered_in_the_customers_language() {
    let h = Harness::start("telegram-unknown-ja").await;
    let ken = h.telegram(7000000132, Some("ja"));
    for payload in ["buy:blue_mug:1", "k:w:drop-bag:2", "p:zz"] {
        let replies = h.tap(&ken, payload).await;
        assert_apology_and_menu(
            &replies,
            UNKNOWN_JA,
            &["ドロップバッグ", "アクセサリー"],
            &format!("Japanese tap {payload}"),
        );
    }
    h.stack.stop().await;
}
