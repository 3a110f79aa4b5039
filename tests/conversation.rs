//! A customer's conversation from "hi" to a cart with a customized bag and a second product, on
//! each channel, through ingress, catalog, cart and notify on the local stack. The assertions
//! are on the exact requests the fake platforms received.

use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_e2e::{Harness, all_text, button_ids};
use serde_json::json;
use xtask::platform::whatsapp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_hi_to_a_cart_with_a_customized_bag_and_a_sticker_pack() {
    let h = Harness::start("wa-cart").await;
    let ana = h.whatsapp("5511987654321");

    let replies = h.say(&ana, "hi").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].method, "messages");
    assert_eq!(
        replies[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "interactive",
            "interactive": {
                // Five choices (the categories, the cart, the languages, stop announcements) are more than
                // WhatsApp's three reply buttons: a list.
                "type": "list",
                "body": {"text": "Hi! Welcome to our shop. What would you like to see?\nChoose a category:"},
                "action": {
                    "button": "Menu",
                    "sections": [{"rows": [
                        {"id": "c:c:bags", "title": "Drop bags"},
                        {"id": "c:c:accessories", "title": "Accessories"},
                        {"id": "k:v", "title": "View cart"},
                        {"id": "c:l", "title": "🌐 Language"},
                        {"id": "c:a:off", "title": "Stop announcements"}
                    ]}]
                }
            }
        })
    );

    let replies = h.tap(&ana, "c:c:bags").await;
    assert_eq!(
        button_ids(&replies[0]),
        ["c:p:drop-bag", "c:p:canvas-tote", "c:m"]
    );

    // The product: its picture first, then the detail with what to do next.
    let replies = h.tap(&ana, "c:p:drop-bag").await;
    assert_eq!(replies.len(), 2);
    assert_eq!(
        replies[0].body["image"],
        json!({"link": "https://cdn.chatdrop.example/drop-bag.jpg", "caption": "Drop Bag"})
    );
    assert_eq!(button_ids(&replies[1]), ["k:a:drop-bag", "c:c:bags", "k:v"]);

    // Customization: four option groups, so four choices with a cancel button become a list.
    let replies = h.tap(&ana, "k:a:drop-bag").await;
    assert_eq!(replies[0].body["interactive"]["type"], "list");
    assert_eq!(
        replies[0].body["interactive"]["body"]["text"],
        "Drop Bag (1/4): choose the colour."
    );
    assert_eq!(
        replies[0].body["interactive"]["action"]["sections"][0]["rows"][2],
        json!({"id": "k:o:drop-bag:colour:red", "title": "Signal red", "description": "+$10.00"})
    );
    h.tap(&ana, "k:o:drop-bag:colour:red").await;
    h.tap(&ana, "k:o:drop-bag:strap:leather").await;
    let replies = h.tap(&ana, "k:o:drop-bag:charm:gold").await;
    assert_eq!(
        all_text(&replies),
        "Drop Bag (4/4): type the engraving, up to 12 characters. (+$10.00)"
    );

    // The engraving is typed text: ingress routes it to the catalog function, which hands it
    // to the cart function because the session is customizing.
    let replies = h.say(&ana, "ANA").await;
    assert_eq!(
        all_text(&replies),
        "Added to your cart: Drop Bag (Signal red, Leather strap, Gold charm, engraving “ANA”) — $195.00.\nYour cart: 1 item, $195.00."
    );

    // A second product, found by search, added without options.
    let replies = h.say(&ana, "sticker").await;
    assert!(all_text(&replies).starts_with("Sticker pack — $6.00"));
    h.tap(&ana, "k:a:sticker-pack").await;

    let replies = h.say(&ana, "cart").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(
        all_text(&replies),
        "Your cart:\n1. Drop Bag (Signal red, Leather strap, Gold charm, engraving “ANA”) × 1 — $195.00\n2. Sticker pack × 1 — $6.00\nTotal: $201.00"
    );
    assert_eq!(
        button_ids(&replies[0]),
        ["p:c", "k:e:l1", "k:e:l2", "c:m", "k:z"]
    );

    // Changing a quantity from the cart.
    h.tap(&ana, "k:e:l2").await;
    let replies = h.tap(&ana, "k:q:l2:3").await;
    assert!(all_text(&replies).contains("Quantity set to 3."));
    assert!(all_text(&replies).contains("Total: $213.00"));
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_customer_in_japanese_fills_a_cart_and_every_tap_is_acknowledged() {
    let h = Harness::start("tg-cart").await;
    let ken = h.telegram(7001234567, Some("ja"));

    let replies = h.say(&ken, "/start").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].method, "sendMessage");
    assert_eq!(
        replies[0].body,
        json!({
            "chat_id": 7001234567i64,
            "text": "こんにちは！ショップへようこそ。何をご覧になりますか？\nカテゴリーを選んでください：",
            "reply_markup": {"inline_keyboard": [
                [{"text": "ドロップバッグ", "callback_data": "c:c:bags"}],
                [{"text": "アクセサリー", "callback_data": "c:c:accessories"}],
                [{"text": "カートを見る", "callback_data": "k:v"}],
                [{"text": "🌐 言語 / Language", "callback_data": "c:l"}],
                [{"text": "お知らせを停止", "callback_data": "c:a:off"}]
            ]}
        })
    );

    // A tap: the callback query is answered (the spinner stops) before the reply goes out.
    let before = h.stack.last_seq().await.unwrap();
    let tap = ken.tap_webhook("c:c:bags", "ドロップバッグ");
    assert_eq!(ken.post(&tap).await.unwrap(), 200);
    let replies = h.stack.replies_after("7001234567", before).await.unwrap();
    let outbox = h.stack.outbox().await.unwrap();
    let ack = outbox
        .iter()
        .find(|e| e.seq > before && e.method == "answerCallbackQuery")
        .expect("callback answered");
    assert!(ack.seq < replies[0].seq, "acknowledged before the reply");
    assert!(
        ack.body["callback_query_id"]
            .as_str()
            .unwrap()
            .starts_with("cb")
    );

    let replies = h.tap(&ken, "c:p:drop-bag").await;
    assert_eq!(replies[0].method, "sendPhoto");
    assert_eq!(
        replies[0].body,
        json!({"chat_id": 7001234567i64, "photo": "https://cdn.chatdrop.example/drop-bag.jpg", "caption": "ドロップバッグ"})
    );
    h.tap(&ken, "k:a:drop-bag").await;
    h.tap(&ken, "k:o:drop-bag:colour:black").await;
    let replies = h.tap(&ken, "k:o:drop-bag:strap:chain").await;
    assert!(all_text(&replies).contains("チャーム"));
    h.tap(&ken, "k:s:drop-bag:charm").await;
    let replies = h.say(&ken, "KEN").await;
    assert!(
        all_text(&replies).starts_with(
            "カートに追加しました：ドロップバッグ (ブラック, チェーンストラップ, 刻印 “KEN”) — $170.00"
        ),
        "{}",
        all_text(&replies)
    );

    // Typed numbers pick from the choices offered last: 1 = View cart in the "added" reply.
    h.say(&ken, "tote").await;
    h.tap(&ken, "k:a:canvas-tote").await;
    let replies = h.say(&ken, "1").await;
    assert_eq!(
        all_text(&replies),
        "カートの中身：\n1. ドロップバッグ (ブラック, チェーンストラップ, 刻印 “KEN”) × 1 — $170.00\n2. キャンバストート × 1 — $35.00\n合計：$205.00"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_webhook_is_answered_once() {
    let h = Harness::start("redeliver").await;
    let ana = h.whatsapp("5511900000001");
    let ken = h.telegram(7009999999, None);

    for customer in [&ana, &ken] {
        let webhook = customer.tap_webhook("k:a:sticker-pack", "Add to cart");
        let first = h.exchange(customer, &webhook).await;
        assert!(all_text(&first).contains("Added to your cart"));
        let after = h.stack.last_seq().await.unwrap();
        // The platform redelivers: at once (inside SQS's deduplication window) and again.
        assert_eq!(customer.post(&webhook).await.unwrap(), 200);
        assert_eq!(customer.post(&webhook).await.unwrap(), 200);
        h.assert_silence(&customer.id, after).await;
    }
    // The cart holds one sticker pack, not three.
    let replies = h.say(&ana, "cart").await;
    assert!(all_text(&replies).contains("Sticker pack × 1 — $6.00"));
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_messages_in_one_post_are_all_answered_in_order() {
    let h = Harness::start("batch").await;
    let ana = h.whatsapp("5511900000002");
    let mut envelope = whatsapp::envelope(
        &ana,
        json!({
            "from": ana.id, "id": "wamid.BATCH1", "timestamp": SystemClock.now().to_string(),
            "type": "text", "text": {"body": "hi"}
        }),
    );
    let messages = &mut envelope["entry"][0]["changes"][0]["value"]["messages"];
    messages.as_array_mut().unwrap().push(json!({
        "from": ana.id, "id": "wamid.BATCH2", "timestamp": (SystemClock.now() + 1).to_string(),
        "type": "text", "text": {"body": "tote"}
    }));
    let webhook = whatsapp::sign(envelope);
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(ana.post(&webhook).await.unwrap(), 200);
    let mut replies = Vec::new();
    for _ in 0..20 {
        replies = h.stack.replies_after(&ana.id, before).await.unwrap();
        if replies.len() >= 2 {
            break;
        }
    }
    let text = all_text(&replies);
    let welcome = text.find("Welcome").expect("greeting answered");
    let tote = text.find("Canvas Tote — $35.00").expect("search answered");
    assert!(welcome < tote, "answered in the order sent: {text}");
    h.stack.stop().await;
}
