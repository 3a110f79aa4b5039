//! Pay links cannot be derived, and a wrong one costs no more than a right one.
//!
//! A pay link (`/p/{token}`, and its QR image `/qr/{token}.png`) is the only thing between a
//! stranger and a customer's Stripe page. Its token used to be SHA-256 over the channel and the
//! checkout's event id, and Telegram numbers its updates one after another: the customer after
//! you had the token you could compute from your own `update_id` + 1. These tests check out two
//! Telegram customers back to back, then try every token a customer could build from the
//! public ids around their own (update ids, message ids, order ids and numbers, with or without
//! the channel prefix, under the old scheme and mixed into the new token's shape): every one
//! must answer 404 on both routes, while the two real links work.
//!
//! How much a lookup costs is checked by structure, not by timing (a statistical timing test on
//! a shared 2-core machine against moto would be flaky): the store client counts the DynamoDB
//! requests, and a wrong token must cause exactly the requests a right one does (one `GetItem`
//! of the order its token names), or none at all when it is not even shaped like a token. What
//! follows the read is a constant-time comparison (`subtle`), so the compare does not leak how
//! many leading characters were right either.

use chatdrop_domain::channel::{Channel, ConversationId, full_hash, short_hash};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::pay_link::{self, PayLinkVisit};
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::reply::{Reply, ReplyBundle};
use chatdrop_e2e::{Customer, Harness, OutboxEntry, all_text, bag_drop, button_ids};
use serde_json::json;
use xtask::crowd::Captured;
use xtask::dynamo_calls::{RecordCalls, ops};

/// The checkout tap of a Telegram customer, with the `update_id` the platform would give it.
fn checkout_tap(customer: &Customer, update_id: u64) -> chatdrop_e2e::Webhook {
    let chat: i64 = customer.id.parse().unwrap();
    xtask::platform::telegram::sign(json!({"update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"),
        "from": {"id": chat, "is_bot": false, "first_name": "Ken"},
        "message": {"message_id": 42, "from": {"id": 8000000001i64, "is_bot": true, "first_name": "Shop"},
            "chat": {"id": chat, "type": "private"}, "date": SystemClock.now(), "text": "…"},
        "chat_instance": "-1234567890123456789", "data": "p:c"
    }}))
}

/// What a customer sees of their checkout: the pay token, the order id (in the cancel
/// button's payload) and the order number (in the text).
struct Seen {
    token: String,
    order_id: String,
    number: String,
}

fn seen(h: &Harness, replies: &[OutboxEntry]) -> Seen {
    let prefix = format!("{}/p/", h.stack.url);
    let raw: String = replies.iter().map(|r| r.body.to_string()).collect();
    let at = raw.find(&prefix).expect("a pay link") + prefix.len();
    let token: String = raw[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let order_id = replies
        .iter()
        .flat_map(button_ids)
        .find_map(|id| id.strip_prefix("p:x:").map(str::to_string))
        .expect("a cancel button naming the order");
    let text = all_text(replies);
    let hash = text.find('#').expect("the order number");
    let number = text[hash + 1..hash + 9].to_string();
    Seen {
        token,
        order_id,
        number,
    }
}

/// Every token a customer could try from public ids near their own.
fn guesses(public: &[String], own: &Seen, other_order_id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for x in public {
        for input in [x.clone(), format!("telegram#{x}")] {
            // The old scheme, and its parts.
            let old_token = full_hash(&format!("pay#{input}"))[..32].to_string();
            let old_order = short_hash(&format!("order#{input}"));
            out.push(old_token.clone());
            out.push(old_order.clone());
            out.push(full_hash(&input));
            out.push(full_hash(&input)[..32].to_string());
            out.push(short_hash(&input));
            out.push(input.clone());
            // The new token's shape (order id, then 32 hex digits) filled from the old scheme,
            // and from the customer's own order id: these cost a read, and must still fail.
            out.push(format!("{old_order}{old_token}"));
            out.push(format!("{}{old_token}", own.order_id));
            out.push(format!("{other_order_id}{old_token}"));
        }
    }
    // Someone else's order id (learnt somehow) with the customer's own secret part.
    out.push(format!("{other_order_id}{}", &own.token[16..]));
    out.push(own.number.to_lowercase());
    out.push(own.order_id.clone());
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbours_pay_links_cannot_be_derived_from_public_ids() {
    let h = Harness::start("paylinks").await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    // Two customers check out one after the other: consecutive update ids, as Telegram sends.
    let ken = h.telegram(7001, None);
    let mia = h.telegram(7002, None);
    h.add_plain_bag(&ken).await;
    h.add_plain_bag(&mia).await;
    let first: u64 = 600_000_001;
    let ken_seen = seen(&h, &h.exchange(&ken, &checkout_tap(&ken, first)).await);
    let mia_seen = seen(&h, &h.exchange(&mia, &checkout_tap(&mia, first + 1)).await);
    assert_ne!(ken_seen.token, mia_seen.token);

    // Both real links work.
    for s in [&ken_seen, &mia_seen] {
        let (status, _, _) = h.get_raw(&format!("{}/p/{}", h.stack.url, s.token)).await;
        assert_eq!(status, 303, "the real link goes to Stripe");
        let (status, _, _) = h
            .get_raw(&format!("{}/qr/{}.png", h.stack.url, s.token))
            .await;
        assert_eq!(status, 200, "the real QR renders");
    }

    // What Ken knows: update ids around his own, the message ids and callback ids Telegram
    // shows, his order's id and number, and (say) Mia's order number.
    let mut public: Vec<String> = (first - 3..=first + 4)
        .flat_map(|u| [u.to_string(), (u % 1_000_000).to_string(), format!("cb{u}")])
        .collect();
    public.extend(["42".into(), "7001".into(), "7002".into()]);
    for s in [&ken_seen, &mia_seen] {
        public.extend([
            s.order_id.clone(),
            s.number.clone(),
            s.number.to_lowercase(),
        ]);
    }
    let candidates = guesses(&public, &ken_seen, &mia_seen.order_id);
    assert!(candidates.len() > 300, "{}", candidates.len());
    // What the unkeyed scheme gave Mia is among the guesses: before the key, this loop opened
    // her Stripe page (so the test fails on that code, and checks something here).
    let unkeyed_mia = full_hash(&format!("pay#telegram#{}", first + 1))[..32].to_string();
    assert!(candidates.contains(&unkeyed_mia));
    for token in &candidates {
        let (status, _, _) = h.get_raw(&format!("{}/p/{token}", h.stack.url)).await;
        assert_eq!(status, 404, "/p/{token} must not open an order");
        let (status, _, _) = h.get_raw(&format!("{}/qr/{token}.png", h.stack.url)).await;
        assert_eq!(status, 404, "/qr/{token}.png must not render a link");
    }
}

/// Telegram's checkout tap as the payment function receives it: the crowd's tap, with the
/// update id as its event id, as Telegram's parser gives it.
fn checkout_message(chat: &str, update_id: u64) -> InboundMessage {
    let conversation = ConversationId::new(Channel::Telegram, chat);
    InboundMessage {
        event_id: update_id.to_string(),
        ..xtask::crowd::checkout_message(&conversation, 0, SystemClock.now())
    }
}

fn link_of(bundle: &ReplyBundle) -> String {
    bundle
        .replies
        .iter()
        .find_map(|r| match r {
            Reply::Link { url, .. } => Some(url.clone()),
            _ => None,
        })
        .expect("a pay link")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_costs_the_same_single_read_as_a_right_one() {
    let h = Harness::start_without_consumers("paycost").await;
    h.stack
        .open_drop(&bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    let recorder = RecordCalls::default();
    let requests = recorder.unscoped.clone();
    let store =
        chatdrop_store::DynamoStore::new(recorder.client(&h.stack.aws), &h.stack.provisioned.table);
    let gateway = h.stack.gateway().unwrap();
    let captured = Captured::default();
    let settings = h.stack.config.checkout_settings(xtask::dev::id_key());
    let ports = PaymentPorts {
        sessions: &store,
        catalogs: &store,
        orders: &store,
        gateway: &gateway,
        dispatch: &captured,
    };

    let chat = "7101";
    let conversation = ConversationId::new(Channel::Telegram, chat);
    let seed = || async {
        xtask::crowd::seed_cart(
            &store,
            &conversation,
            "drop-bag",
            xtask::crowd::plain_bag(),
            None,
        )
        .await
        .unwrap()
    };
    seed().await;
    let message = checkout_message(chat, 700_000_001);
    checkout::handle(&message, &ports, &settings, SystemClock.now())
        .await
        .unwrap();
    let link = link_of(&captured.0.lock().unwrap()[0]);
    let token = link.rsplit('/').next().unwrap().to_string();

    // A retry after a crash between the reservation and the marker (the session, written with
    // the marker, still holds the cart) derives the same order and answers the same link.
    let marker = aws_sdk_dynamodb::types::AttributeValue::S(format!(
        "EVENT#payment#{}",
        message.dedup_identity()
    ));
    store_client(&h)
        .delete_item()
        .table_name(&h.stack.provisioned.table)
        .key("pk", marker)
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("MARKER".into()),
        )
        .send()
        .await
        .unwrap();
    seed().await;
    checkout::handle(&message, &ports, &settings, SystemClock.now())
        .await
        .unwrap();
    assert_eq!(link_of(&captured.0.lock().unwrap()[1]), link, "same link");

    let order_id = &token[..16];
    let wrong_tag = format!("{order_id}{}", "0".repeat(32));
    let one_off = {
        let mut t = token.clone().into_bytes();
        let last = t.len() - 1;
        t[last] = if t[last] == b'0' { b'1' } else { b'0' };
        String::from_utf8(t).unwrap()
    };
    let no_such_order = format!("{}{}", "f".repeat(16), &token[16..]);
    let old_scheme = full_hash(&format!("pay#{}", message.dedup_identity()))[..32].to_string();

    requests.take();
    let right = pay_link::order_by_pay_token(&token, &store).await.unwrap();
    assert!(right.is_some());
    let right_requests = requests.take();
    assert_eq!(right_requests.len(), 1, "{right_requests:?}");
    assert_eq!(right_requests[0].op, "GetItem");
    assert!(
        right_requests[0]
            .body_text()
            .contains(&format!("ORDER#{order_id}"))
    );

    for wrong in [&wrong_tag, &one_off, &no_such_order] {
        assert!(
            pay_link::order_by_pay_token(wrong, &store)
                .await
                .unwrap()
                .is_none()
        );
        let wrong_requests = requests.take();
        assert_eq!(
            ops(&wrong_requests),
            ops(&right_requests),
            "{wrong}: the same single read"
        );
    }
    // Not shaped like a token (the old scheme's 32 digits, say): no read at all.
    assert!(
        pay_link::order_by_pay_token(&old_scheme, &store)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(requests.take(), []);

    // The whole visit, as `/p/` runs it. The first visit to the right token also notes the
    // opening on the order (one conditional write; its response says the token was right
    // anyway, and tells a guesser nothing about a near miss).
    let queues = h.stack.queues();
    let opened_at = SystemClock.now();
    let visit = pay_link::visit_pay_link(&token, opened_at, &store, &gateway, &queues)
        .await
        .unwrap();
    assert!(matches!(visit, PayLinkVisit::Redirect(_)), "{visit:?}");
    let first_visit = requests.take();
    assert_eq!(ops(&first_visit), ["GetItem", "UpdateItem"]);
    let noted = store.order(order_id).await.unwrap().unwrap();
    assert_eq!(noted.opened_at, Some(opened_at));
    requests.take();
    // Later visits write nothing and keep the first time: the right token and a wrong one
    // cost the same.
    let visit = pay_link::visit_pay_link(&token, opened_at + 60, &store, &gateway, &queues)
        .await
        .unwrap();
    assert!(matches!(visit, PayLinkVisit::Redirect(_)), "{visit:?}");
    let right_visit = requests.take().len();
    assert_eq!(right_visit, 1);
    let noted = store.order(order_id).await.unwrap().unwrap();
    assert_eq!(noted.opened_at, Some(opened_at));
    requests.take();
    let visit = pay_link::visit_pay_link(&one_off, SystemClock.now(), &store, &gateway, &queues)
        .await
        .unwrap();
    assert_eq!(visit, PayLinkVisit::NotFound);
    assert_eq!(requests.take().len(), right_visit);
}

fn store_client(h: &Harness) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&h.stack.aws)
}
