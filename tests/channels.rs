//! Every channel, from the greeting to the paid order's confirmation, on the local stack: the
//! customer chooses as the platform lets them (a tap on WhatsApp, Telegram, Messenger, LINE and Viber;
//! the number typed on WeChat and SMS), checks out, pays on the (fake) Stripe page, and reads
//! the confirmation in the same chat. Then the sending rules: a message outside the platform's
//! customer-service window goes out as the approved template or is held for ops, and a
//! platform's rate-limit answer is waited out and the reply sent once.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::OrderStore;
use chatdrop_e2e::{Customer, Harness, OutboxEntry, Platform, bag_drop};
use xtask::transcript::shown_text;

/// Every text the replies show, joined.
fn text_of(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The pay link in the replies, wherever the platform puts it (a button, a template, text).
fn pay_link(h: &Harness, replies: &[OutboxEntry]) -> String {
    let prefix = format!("{}/p/", h.stack.url);
    for r in replies {
        let raw = r.body.to_string();
        if let Some(at) = raw.find(&prefix) {
            let token: String = raw[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            return format!("{prefix}{token}");
        }
    }
    panic!("no pay link in {replies:#?}");
}

/// Greeting → product → customization → checkout → payment → confirmation.
async fn greeting_to_paid_order(platform: Platform, test: &str, id: &str) -> (Harness, Customer) {
    let h = Harness::start(test).await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let customer = h.customer_on(platform, id);

    let r = h.say(&customer, "hi").await;
    assert!(text_of(&r).contains("Welcome"), "{}", text_of(&r));
    let r = h.choose(&customer, &r, "Drop bags").await;
    let r = h.choose(&customer, &r, "Drop Bag").await;
    let r = h.choose(&customer, &r, "Customize").await;
    assert!(text_of(&r).contains("choose the colour"), "{}", text_of(&r));
    let r = h.choose(&customer, &r, "Black").await;
    let r = h.choose(&customer, &r, "Canvas").await;
    let r = h.choose(&customer, &r, "Skip").await;
    let r = h.choose(&customer, &r, "Skip").await;
    assert!(
        text_of(&r).contains("Drop Bag (Black, Canvas strap)"),
        "{}",
        text_of(&r)
    );
    let r = h.choose(&customer, &r, "View cart").await;
    let r = h.choose(&customer, &r, "Checkout").await;
    assert!(text_of(&r).contains("Reserved for you"), "{}", text_of(&r));
    let link = pay_link(&h, &r);

    // The link leads to the Stripe page of this order.
    let (status, location, _) = h.get_raw(&link).await;
    assert_eq!(status, 303, "{link}");
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(location.as_deref(), Some(sessions[0].url.as_str()));
    let order_id = sessions[0].client_reference_id.clone().unwrap();

    let before = h.stack.last_seq().await.unwrap();
    let emitted = h.stack.stripe.pay(&sessions[0].id).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    let confirmation = h.stack.replies_after(&customer.id, before).await.unwrap();
    let order = h.stack.store().order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        order.conversation.channel.as_str(),
        test.split('-').next().unwrap()
    );
    let shown = text_of(&confirmation);
    assert!(
        shown.contains(&format!("Order {} is paid", order.number())),
        "{shown}"
    );
    assert_eq!(
        h.stack.store().drop_stock("winter").await.unwrap(),
        [("drop-bag".to_string(), 4, 0, 1)]
    );
    (h, customer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_greeting_to_paid_order() {
    greeting_to_paid_order(Platform::Whatsapp, "whatsapp-six", "5511955550001").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_greeting_to_paid_order() {
    greeting_to_paid_order(Platform::Telegram, "telegram-six", "7000000101").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_greeting_to_paid_order() {
    greeting_to_paid_order(Platform::Messenger, "messenger-six", "6543210987654321").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_greeting_to_paid_order() {
    greeting_to_paid_order(
        Platform::Line,
        "line-six",
        "Uaaaabbbbccccddddeeeeffff00001111",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_greeting_to_paid_order() {
    greeting_to_paid_order(
        Platform::Wechat,
        "wechat-six",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_greeting_to_paid_order() {
    greeting_to_paid_order(Platform::Sms, "sms-six", "+15551234567").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viber_greeting_to_paid_order() {
    let (h, olena) =
        greeting_to_paid_order(Platform::Viber, "viber-seven", "5TfrBcnNLSpt8IpzW0pqbA==").await;
    // The confirmation went out through send_message, as a subscriber's messages do.
    let sent = h.stack.replies_after(&olena.id, 0).await.unwrap();
    assert!(sent.iter().all(|r| r.method == "send_message"), "{sent:#?}");
}

/// Viber: opening the chat is answered with the welcome message in the HTTP response (the
/// customer is no subscriber yet, so nothing may be sent), nothing is queued; its button opens
/// the menu; unsubscribing is recorded and silences the shop until the customer writes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viber_welcome_then_consent() {
    let h = Harness::start("viber-welcome").await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let olena = h.customer_on(Platform::Viber, "0lenaViberId000000000A==");
    let before = h.stack.last_seq().await.unwrap();
    let started = xtask::platform::viber::conversation_started_webhook(&olena, 1);
    let headers: Vec<(&str, &str)> = started
        .headers
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let (status, body) = h
        .post_raw(&started.path, &headers, started.body.clone())
        .await;
    assert_eq!(status, 200);
    let welcome: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        welcome["text"].as_str().unwrap().contains("Welcome"),
        "{body}"
    );
    assert!(welcome.get("receiver").is_none());
    let menu = welcome["keyboard"]["Buttons"][0]["ActionBody"]
        .as_str()
        .unwrap()
        .to_string();
    h.assert_silence(&olena.id, before).await;

    // The welcome's button: the first message, which subscribes, opens the menu.
    let r = h.tap(&olena, &menu).await;
    let offered: Vec<String> = r
        .iter()
        .flat_map(xtask::transcript::choices)
        .map(|(title, _)| title)
        .collect();
    assert!(offered.iter().any(|t| t == "Drop bags"), "{offered:?}");

    // Unsubscribed: recorded, and nothing is answered.
    let before = h.stack.last_seq().await.unwrap();
    let unsubscribed = xtask::platform::viber::subscription_webhook(&olena, 2, false);
    assert_eq!(olena.post(&unsubscribed).await.unwrap(), 200);
    h.assert_silence(&olena.id, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_whatsapp_window_an_order_update_uses_the_approved_template() {
    let (h, ana) =
        greeting_to_paid_order(Platform::Whatsapp, "whatsapp-window", "5511955550002").await;
    let conversation = ConversationId::new(Channel::Whatsapp, &ana.id);
    h.went_quiet(&conversation, 30).await;

    // The retailer ships a day and a half later: WhatsApp allows only the approved template.
    let store = h.stack.store();
    let order = store.orders_of(&conversation).await.unwrap().remove(0);
    let before = h.stack.last_seq().await.unwrap();
    h.ship(&order.id, "1Z999").await;
    let sent = h.stack.replies_after(&ana.id, before).await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].body["type"], "template");
    assert_eq!(sent[0].body["template"]["name"], "order_update");
    let parameters = &sent[0].body["template"]["components"][0]["parameters"];
    assert_eq!(parameters[0]["text"], order.number());
    assert!(
        parameters[1]["text"].as_str().unwrap().contains("1Z999"),
        "{parameters}"
    );

    // The thread records the template with its platform id.
    let thread = store.thread(&conversation).await.unwrap();
    let shipped = thread
        .iter()
        .find(|m| m.summary.contains("1Z999"))
        .expect("the shipping update is in the thread");
    assert!(shipped.platform_id.starts_with("wamid."), "{shipped:?}");
    assert_eq!(shipped.status, "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_messenger_window_an_order_update_carries_the_post_purchase_tag() {
    let (h, mei) =
        greeting_to_paid_order(Platform::Messenger, "messenger-window", "6543210987654322").await;
    let conversation = ConversationId::new(Channel::Messenger, &mei.id);
    h.went_quiet(&conversation, 30).await;
    let store = h.stack.store();
    let order = store.orders_of(&conversation).await.unwrap().remove(0);
    let before = h.stack.last_seq().await.unwrap();
    h.ship(&order.id, "1Z777").await;
    let sent = h.stack.replies_after(&mei.id, before).await.unwrap();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|s| s.body["messaging_type"] == "MESSAGE_TAG"
                && s.body["tag"] == "POST_PURCHASE_UPDATE"),
        "{sent:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_outside_the_window_holds_the_update_for_ops() {
    let (h, wei) = greeting_to_paid_order(
        Platform::Wechat,
        "wechat-window",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p",
    )
    .await;
    let conversation = ConversationId::new(Channel::Wechat, &wei.id);
    h.went_quiet(&conversation, 49).await;
    let store = h.stack.store();
    let order = store.orders_of(&conversation).await.unwrap().remove(0);
    let before = h.stack.last_seq().await.unwrap();
    h.ship(&order.id, "SF123").await;

    // Nothing goes out; the update waits on the held list with its reason.
    let held = chatdrop_e2e::eventually(|| async {
        let held = store.held().await.unwrap();
        (!held.is_empty()).then_some(held)
    })
    .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].bundle.conversation, conversation);
    assert!(held[0].reason.contains("48 h"), "{}", held[0].reason);
    h.assert_silence(&wei.id, before).await;

    // The customer writes again: the window reopens and ops send the held update.
    h.say(&wei, "hello").await;
    let before = h.stack.last_seq().await.unwrap();
    h.send_held(&held[0].bundle.id).await;
    let sent = h.stack.replies_after(&wei.id, before).await.unwrap();
    assert!(text_of(&sent).contains("SF123"), "{}", text_of(&sent));
    assert!(store.held().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_send_is_retried_after_the_advised_delay_and_sent_once() {
    let h = Harness::start("line-429").await;
    let kai = h.customer_on(Platform::Line, "Uaaaabbbbccccddddeeeeffff00002222");
    // LINE answers the next call with 429 and Retry-After: 1.
    h.inject_fault(
        "line",
        429,
        serde_json::json!({"message": "The API rate limit has been exceeded. Try again later."}),
        Some(1),
    )
    .await;
    let started = std::time::Instant::now();
    let r = h.say(&kai, "hi").await;
    assert!(text_of(&r).contains("Welcome"), "{}", text_of(&r));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    // Sent once: the refused attempt was not recorded, the retry was.
    let all: Vec<_> = h
        .stack
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.recipient == kai.id)
        .collect();
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_customer_who_texts_stop_hears_nothing_until_start() {
    let (h, sam) = greeting_to_paid_order(Platform::Sms, "sms-stop", "+15551234568").await;
    let conversation = ConversationId::new(Channel::Sms, &sam.id);

    // STOP: the carrier confirms it; chatdrop answers nothing, and sends nothing after.
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(sam.say("STOP").await.unwrap(), 200);
    h.assert_silence(&sam.id, before).await;
    let store = h.stack.store();
    let order = store.orders_of(&conversation).await.unwrap().remove(0);
    h.ship(&order.id, "1Z555").await;
    let held = chatdrop_e2e::eventually(|| async {
        let held = store.held().await.unwrap();
        (!held.is_empty()).then_some(held)
    })
    .await;
    assert!(held[0].reason.contains("opted out"), "{}", held[0].reason);
    h.assert_silence(&sam.id, before).await;

    // START: welcomed back with the menu; the held update stays for ops to decide.
    let r = h.say(&sam, "start").await;
    assert!(text_of(&r).contains("Welcome"), "{}", text_of(&r));
    assert_eq!(store.held().await.unwrap().len(), 1);
}
