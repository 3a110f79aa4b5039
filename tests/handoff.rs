//! Handing a conversation to a person, end to end on the local stack, per platform: the
//! customer asks for a person and is told when to expect one; the agents' SNS topic gets the
//! alert; the bot says nothing to the next message (which the thread still records); the
//! order confirmation still reaches the customer; an agent answers from the console's inbox
//! API (her reply claims the conversation and reaches the customer's chat on that platform;
//! another agent's reply is refused) and hands it back, and the bot answers again; a handoff nobody claims is escalated once, and one
//! nobody acts on goes back to the bot after the timeout. A VIP (lifetime paid above the
//! retailer's threshold) is handed over when the payment that makes them one lands.

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::dialogue::Owner;
use chatdrop_domain::handoff::{self, Claim, HandoffFilter, HandoffReason, HandoffStore};
use chatdrop_domain::money::Currency;
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::ports::SessionStore;
use chatdrop_domain::vip::LifetimePaid;
use chatdrop_e2e::{Customer, Harness, OutboxEntry, Platform, all_text, bag_drop, eventually};
use serde_json::{Value, json};
use xtask::platform::messenger;
use xtask::transcript::shown_text;

// The console API's helpers, shared with `console.rs`; this file uses some of them.
#[allow(dead_code)]
#[path = "console_api.rs"]
mod api;
use api::{call, create_user, id_token};

/// The password of the console users these tests create in the stack's Cognito.
const PASSWORD: &str = "Handoff-Test-1!";

fn text_of(replies: &[OutboxEntry]) -> String {
    let shown: Vec<String> = replies.iter().map(shown_text).collect();
    format!("{}\n{}", shown.join("\n"), all_text(replies))
}

/// Waits for the alerts published on the stack's topic until one of `kind` arrives.
async fn alert_of(h: &Harness, kind: &str) -> Value {
    eventually(|| async {
        h.stack
            .agent_alerts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a["kind"] == kind)
    })
    .await
}

async fn handoff_on(platform: Platform, channel: Channel, test: &str, id: &str) {
    let h = Harness::start(test).await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let customer = h.customer_on(platform, id);
    let store = h.stack.store();

    // A reservation first, so there is an order to be told about while a person has the chat.
    h.say(&customer, "hi").await;
    for payload in [
        "k:a:drop-bag",
        "k:o:drop-bag:colour:black",
        "k:o:drop-bag:strap:canvas",
        "k:s:drop-bag:charm",
    ] {
        h.tap(&customer, payload).await;
    }
    let r = h.tap(&customer, "k:s:drop-bag:engraving").await;
    assert!(
        text_of(&r).contains("Drop Bag (Black, Canvas strap)"),
        "{}",
        text_of(&r)
    );
    let r = h.tap(&customer, "p:c").await;
    assert!(text_of(&r).contains("Reserved for you"), "{}", text_of(&r));
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);

    // Asking for a person: told when, and the agents are alerted.
    let told = h.say(&customer, "human").await;
    assert!(
        text_of(&told).contains("A person") || text_of(&told).contains("a person"),
        "{}",
        text_of(&told)
    );
    assert!(
        text_of(&told).contains("within a few minutes"),
        "{}",
        text_of(&told)
    );
    let alert = alert_of(&h, "new").await;
    assert_eq!(alert["reason"], "asked");
    assert_eq!(alert["channel"], channel.as_str());
    assert!(alert["alert_id"].is_string(), "{alert}");
    // Mail and pagers get the pseudonym, never the customer's id.
    assert!(!alert.to_string().contains(id), "{alert}");

    let waiting = store.list_handoffs(HandoffFilter::Waiting).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let conversation = waiting[0].conversation.clone();
    assert_eq!(conversation.channel, channel);

    // The bot is silent now; what the customer wrote is in the thread for the agent.
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(
        customer
            .post(&customer.text_webhook("where is my bag?"))
            .await
            .unwrap(),
        200
    );
    h.assert_silence(&customer.id, before).await;
    let thread = store.thread(&conversation).await.unwrap();
    assert!(
        thread
            .iter()
            .any(|m| m.direction == "in" && m.summary == "where is my bag?"),
        "{thread:#?}"
    );
    assert!(thread.iter().any(|m| m.direction == "out"), "{thread:#?}");

    // An order notice still goes out: the payment's confirmation.
    let before = h.stack.last_seq().await.unwrap();
    let emitted = h.stack.stripe.pay(&sessions[0].id).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    let confirmation = h.stack.replies_after(&customer.id, before).await.unwrap();
    assert!(
        text_of(&confirmation).contains("is paid"),
        "{}",
        text_of(&confirmation)
    );

    // An agent takes it in the console: her reply claims the conversation and reaches the
    // customer's chat on this platform (through notify and the platform's rules); another
    // agent's reply is refused with who has it; the claim itself is idempotent.
    create_user(&h, "ana@example.com", "agent", xtask::dev::RETAILER).await;
    create_user(&h, "bo@example.com", "agent", xtask::dev::RETAILER).await;
    let ana = id_token(&h, "ana@example.com").await;
    let bo = id_token(&h, "bo@example.com").await;
    let (status, body) = call(
        &h,
        reqwest::Method::GET,
        "/console/api/conversations?view=waiting",
        Some(&ana),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["channel"], channel.as_str());
    let one = format!(
        "/console/api/conversations/{}",
        rows[0]["id"]
            .as_str()
            .expect("a row names its conversation")
    );
    let reply = |token: String, text: &'static str| {
        let (h, one) = (&h, &one);
        async move {
            call(
                h,
                reqwest::Method::POST,
                &format!("{one}/reply"),
                Some(&token),
                Some(json!({ "text": text }).to_string().into_bytes()),
            )
            .await
        }
    };
    let before = h.stack.last_seq().await.unwrap();
    let (status, body) = reply(ana.clone(), "Hi, Ana here: your bag is paid and packed.").await;
    assert_eq!(status, 202, "{body}");
    let answered = h.stack.replies_after(&customer.id, before).await.unwrap();
    assert!(
        text_of(&answered).contains("Ana here: your bag is paid and packed."),
        "{}",
        text_of(&answered)
    );
    let mine = store.list_handoffs(HandoffFilter::Agent).await.unwrap();
    let Owner::Agent { agent, .. } = &mine[0].owner else {
        panic!("{mine:?}");
    };
    let agent = agent.clone();
    let now = chatdrop_domain::clock::Clock::now(&chatdrop_domain::clock::SystemClock);
    assert_eq!(
        store
            .claim_handoff(&conversation, &agent, now)
            .await
            .unwrap(),
        Claim::Claimed,
        "idempotent"
    );
    let (status, body) = reply(bo, "Bo here").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("another agent"), "{body}");

    // The bot stays silent while she has it; her hand-back gives the chat to the bot again.
    let before = h.stack.last_seq().await.unwrap();
    customer
        .post(&customer.text_webhook("hello?"))
        .await
        .unwrap();
    h.assert_silence(&customer.id, before).await;
    let (status, body) = call(
        &h,
        reqwest::Method::POST,
        &format!("{one}/hand-back"),
        Some(&ana),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!store.hand_back(&conversation).await.unwrap(), "idempotent");
    assert!(
        store
            .list_handoffs(HandoffFilter::All)
            .await
            .unwrap()
            .is_empty()
    );

    // The bot answers again.
    let back = h.say(&customer, "menu").await;
    assert!(!back.is_empty());
    assert!(!text_of(&back).contains("a person"), "{}", text_of(&back));

    // Nobody claims the next handoff: escalated once after five minutes, back to the bot
    // after a day without an agent.
    h.say(&customer, "agent").await;
    alert_of(&h, "new").await;
    let since = store.list_handoffs(HandoffFilter::Waiting).await.unwrap()[0].since();
    assert_eq!(
        h.stack
            .handoff_sweep_at(since + 299)
            .await
            .unwrap()
            .escalated,
        0
    );
    assert_eq!(
        h.stack
            .handoff_sweep_at(since + 300)
            .await
            .unwrap()
            .escalated,
        1
    );
    let escalated = alert_of(&h, "escalated").await;
    assert_eq!(escalated["reason"], "asked");
    assert_eq!(
        h.stack
            .handoff_sweep_at(since + 360)
            .await
            .unwrap()
            .escalated,
        0,
        "once"
    );
    assert_eq!(
        h.stack
            .handoff_sweep_at(since + 24 * 3600)
            .await
            .unwrap()
            .handed_back,
        1
    );
    assert!(!h.say(&customer, "menu").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_customer_gets_a_person_and_back() {
    handoff_on(
        Platform::Whatsapp,
        Channel::Whatsapp,
        "whatsapp-handoff",
        "5511955550101",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_customer_gets_a_person_and_back() {
    handoff_on(
        Platform::Telegram,
        Channel::Telegram,
        "telegram-handoff",
        "4242101",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_customer_gets_a_person_and_back() {
    handoff_on(
        Platform::Messenger,
        Channel::Messenger,
        "messenger-handoff",
        "6543210987654321",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_customer_gets_a_person_and_back() {
    handoff_on(
        Platform::Line,
        Channel::Line,
        "line-handoff",
        "U4af4980629f5e7a1b2c3d4e5f6a7b8c9",
    )
    .await;
}

/// Checks out one plain Drop Bag ($120.00) and pays it on the fake Stripe: the outbox
/// position before the payment.
async fn buy_a_bag(h: &Harness, customer: &Customer) -> usize {
    h.add_plain_bag(customer).await;
    let r = h.tap(customer, "p:c").await;
    assert!(text_of(&r).contains("Reserved for you"), "{}", text_of(&r));
    let session = h.stack.stripe.sessions().await.unwrap().pop().unwrap();
    let before = h.stack.last_seq().await.unwrap();
    let emitted = h.stack.stripe.pay(&session.id).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");
    let confirmation = h.stack.replies_after(&customer.id, before).await.unwrap();
    assert!(
        text_of(&confirmation).contains("is paid"),
        "{}",
        text_of(&confirmation)
    );
    before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_is_handed_to_a_person_when_the_payment_that_makes_them_one_lands() {
    // A VIP has paid more than $120.00 in all: one bag is not enough, two are.
    let mut catalog: Catalog = toml::from_str(include_str!("../cli/catalogs/sample.toml")).unwrap();
    catalog.support.vip_threshold = Some(12_000);
    let h = Harness::start_with_catalog("vip-handoff", &catalog).await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let customer = h.customer_on(Platform::Whatsapp, "5511955550177");
    let store = h.stack.store();
    h.say(&customer, "hi").await;

    // The first bag: confirmed, and the bot keeps the chat.
    let before = buy_a_bag(&h, &customer).await;
    let orders = store
        .orders_of(&chatdrop_domain::channel::ConversationId::new(
            Channel::Whatsapp,
            "5511955550177",
        ))
        .await
        .unwrap();
    let person = orders[0].customer.clone();
    assert_eq!(
        store.lifetime_paid(&person, Currency::USD).await.unwrap(),
        12_000,
        "the sale counted once"
    );
    let after_first = h.stack.replies_after(&customer.id, before).await.unwrap();
    assert!(
        !text_of(&after_first).contains("a person"),
        "{}",
        text_of(&after_first)
    );
    assert!(
        store
            .list_handoffs(HandoffFilter::All)
            .await
            .unwrap()
            .is_empty()
    );

    // The second: $240.00 in all. Confirmed, then thanked and told a person will answer.
    let before = buy_a_bag(&h, &customer).await;
    let told = eventually(|| async {
        let replies = h.stack.replies_after(&customer.id, before).await.ok()?;
        text_of(&replies)
            .contains("most valued customers")
            .then_some(replies)
    })
    .await;
    let text = text_of(&told);
    assert!(text.contains("within a few minutes"), "{text}");
    let paid_at = text.find("is paid").expect("confirmation first");
    assert!(paid_at < text.find("most valued").unwrap(), "{text}");
    assert_eq!(
        store.lifetime_paid(&person, Currency::USD).await.unwrap(),
        24_000
    );

    // On the agents' list with its reason, and the agents alerted as for any handoff.
    let waiting = store.list_handoffs(HandoffFilter::Waiting).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].reason, HandoffReason::Vip);
    let alert = alert_of(&h, "new").await;
    assert_eq!(alert["reason"], "vip");
    assert_eq!(alert["channel"], "whatsapp");
    assert!(!alert.to_string().contains("5511955550177"), "{alert}");

    // The bot is silent now, as for any handoff.
    let before = h.stack.last_seq().await.unwrap();
    customer
        .post(&customer.text_webhook("hello?"))
        .await
        .unwrap();
    h.assert_silence(&customer.id, before).await;
}

/// A Page that named an inbox app (Meta's Page Inbox here): the handed-over thread is passed
/// to it with the handover protocol, after the customer was told a person will answer; the
/// inbox giving it back returns the conversation to the bot; the console's hand back and the
/// sweep's take the thread back; the inbox taking a thread gives the conversation to a person,
/// whose answers there (heard in `standby`) keep the sweep from taking it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_handoff_passes_the_thread_to_the_pages_inbox() {
    const PAGE_INBOX: &str = "263902037430900";
    const OUR_APP: &str = "1517776481860111";
    let h = Harness::start_with_env(
        "messenger-inbox",
        &[
            ("CHATDROP_MESSENGER_INBOX_APP_ID", PAGE_INBOX),
            ("CHATDROP_MESSENGER_APP_ID", OUR_APP),
        ],
    )
    .await;
    let psid = "6543210987650001";
    let customer = h.customer_on(Platform::Messenger, psid);
    h.say(&customer, "hi").await;
    let before = h.stack.last_seq().await.unwrap();
    let told = h.say(&customer, "I want to talk to a human").await;
    assert!(
        text_of(&told).contains("within a few minutes"),
        "{}",
        text_of(&told)
    );
    let pass = eventually(|| async {
        h.stack
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.seq > before && e.method == "pass_thread_control")
    })
    .await;
    assert_eq!(pass.recipient, psid);
    assert_eq!(pass.body["target_app_id"], PAGE_INBOX);
    assert_eq!(pass.body["metadata"], "chatdrop: asked");
    let told_at = told
        .iter()
        .filter(|e| e.method == "messages")
        .map(|e| e.seq)
        .max()
        .unwrap();
    assert!(pass.seq > told_at, "passed after the customer was told");
    alert_of(&h, "new").await;
    // Once: the thread is the inbox's now.
    let passes = h
        .stack
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.method == "pass_thread_control")
        .count();
    assert_eq!(passes, 1);

    let store = h.stack.store();
    let conversation = ConversationId::new(Channel::Messenger, psid);
    let thread_calls = |method: &'static str| {
        let h = &h;
        async move {
            h.stack
                .outbox()
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.method == method)
                .collect::<Vec<_>>()
        }
    };
    let listed = || async { store.list_handoffs(HandoffFilter::All).await.unwrap() };

    // The person marks it done in the Page inbox, which passes the thread back to our app:
    // the bot has the conversation again, and nothing is taken (the thread is ours).
    let done = messenger::handover_webhook(
        &customer,
        "pass_thread_control",
        json!({
            "previous_owner_app_id": PAGE_INBOX,
            "new_owner_app_id": OUR_APP,
            "metadata": "Conversation marked as done",
        }),
    );
    assert_eq!(customer.post(&done).await.unwrap(), 200);
    eventually(|| async { listed().await.is_empty().then_some(()) }).await;
    let back = h.say(&customer, "menu").await;
    assert!(!back.is_empty());
    assert!(!text_of(&back).contains("a person"), "{}", text_of(&back));
    assert!(thread_calls("take_thread_control").await.is_empty());

    // Handed over again, then handed back from the console: the thread is taken back, after
    // the customer was told about the handoff and before the bot's next answer.
    let told = h.say(&customer, "human").await;
    assert!(text_of(&told).contains("a person"), "{}", text_of(&told));
    eventually(|| async { (thread_calls("pass_thread_control").await.len() == 2).then_some(()) })
        .await;
    let entry = listed().await.remove(0);
    assert!(
        handoff::hand_back(&store, &h.stack.queues(), &entry)
            .await
            .unwrap()
    );
    let take = eventually(|| async { thread_calls("take_thread_control").await.pop() }).await;
    assert_eq!(take.recipient, psid);
    assert!(take.body.get("target_app_id").is_none());
    let back = h.say(&customer, "menu").await;
    assert!(!text_of(&back).contains("a person"), "{}", text_of(&back));
    // Handing back the same handoff again queues the same take-back, which the queue drops.
    assert!(
        !handoff::hand_back(&store, &h.stack.queues(), &entry)
            .await
            .unwrap()
    );

    // A person replies from the Page inbox, which takes the thread from our app: the
    // conversation is theirs, nobody is alerted, and the bot keeps quiet.
    let taken = messenger::handover_webhook(
        &customer,
        "take_thread_control",
        json!({
            "previous_owner_app_id": OUR_APP,
            "new_owner_app_id": PAGE_INBOX,
            "metadata": "Page admin replied from the inbox",
        }),
    );
    assert_eq!(customer.post(&taken).await.unwrap(), 200);
    // Opened, then claimed by the inbox: waited for until both are done.
    let entry = eventually(|| async {
        listed()
            .await
            .pop()
            .filter(|e| matches!(e.owner, Owner::Agent { .. }))
    })
    .await;
    assert_eq!(entry.reason, HandoffReason::TakenOver);
    assert!(
        matches!(&entry.owner, Owner::Agent { agent, .. } if agent == handoff::PLATFORM_INBOX),
        "{:?}",
        entry.owner
    );
    let before = h.stack.last_seq().await.unwrap();
    customer
        .post(&customer.text_webhook("are you there?"))
        .await
        .unwrap();
    h.assert_silence(&customer.id, before).await;
    assert!(
        h.stack
            .agent_alerts()
            .await
            .unwrap()
            .iter()
            .all(|a| a["reason"] != "taken_over")
    );

    // While the inbox has the thread, Meta sends this app the customer's messages and the
    // echoes of what the Page's people write in `standby`: the thread shows both, the bot
    // says nothing, and the person's answer is activity the sweep's hand back waits for.
    // (A second apart, so the answer's time is after the take's.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let before = h.stack.last_seq().await.unwrap();
    let asked = messenger::standby_text_webhook(&customer, 1, "is the black bag back?");
    assert_eq!(customer.post(&asked).await.unwrap(), 200);
    let answer = messenger::standby_echo_webhook(&customer, 2, PAGE_INBOX, "Yes, since today!");
    assert_eq!(customer.post(&answer).await.unwrap(), 200);
    let active = eventually(|| async {
        listed()
            .await
            .pop()
            .and_then(|e| e.agent_active_at)
            .filter(|&at| at > entry.since())
    })
    .await;
    eventually(|| async {
        let thread = store.thread(&conversation).await.unwrap();
        let shown = |direction: &str, origin: &str, text: &str| {
            thread
                .iter()
                .any(|m| m.direction == direction && m.origin == origin && m.summary == text)
        };
        (shown("in", "bot", "is the black bag back?")
            && shown("out", "agent:platform-inbox", "Yes, since today!"))
        .then_some(())
    })
    .await;
    h.assert_silence(&customer.id, before).await;
    let takes = thread_calls("take_thread_control").await;
    assert_eq!(
        h.stack
            .handoff_sweep_at(entry.since() + 24 * 3600)
            .await
            .unwrap()
            .handed_back,
        0,
        "a person answered in the inbox since"
    );
    assert!(!store.session(&conversation).await.unwrap().owner.is_bot());

    // Nobody acts on it for a day after that: the sweep hands it back and the thread is taken
    // again.
    let swept = h.stack.handoff_sweep_at(active + 24 * 3600).await.unwrap();
    assert_eq!(swept.handed_back, 1);
    let take = eventually(|| async {
        let last = thread_calls("take_thread_control").await.pop()?;
        (takes.iter().all(|t| t.seq < last.seq)).then_some(last)
    })
    .await;
    assert_eq!(take.recipient, psid, "{takes:?}");
    assert!(listed().await.is_empty());
    assert!(store.session(&conversation).await.unwrap().owner.is_bot());
}
