//! KakaoTalk end to end on the local stack: a Korean customer greets the shop through the fake
//! Open Builder, customizes the Atelier Bag by tapping quick replies and list rows, checks out
//! in KRW, pays with Kakao Pay on the fake Stripe, and the order is paid. Every answer is checked
//! as Kakao takes it (shape, size, the 5-second timeout) and timed.
//!
//! Then what Kakao's synchronous skill must also get right: a retried call answered with the
//! same response and nothing applied twice, and every bad input (missing or wrong secret,
//! another bot, an oversized or malformed body) refused with no side effect.
//!
//! After the chat, the payment confirmation can only reach a Kakao customer as AlimTalk: a
//! customer with a verified phone gets the approved template, filled in, through the fake SENS;
//! one without is held for ops with the reason.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::ports::{OrderStore, SessionStore};
use chatdrop_e2e::{Harness, atelier_drop, maison_catalog};
use serde_json::Value;
use std::time::Duration;
use xtask::platform::kakao::{FALLBACK_BLOCK, KakaoUser, OpenBuilder, SkillAnswer};

/// Asserts the answer is what Kakao takes, showing it when not.
fn checked(answer: SkillAnswer) -> SkillAnswer {
    if let Err(why) = answer.check() {
        panic!("{why}: {:#}", answer.body);
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_greeting_to_paid_order() {
    let h = Harness::start_with_catalog("kakao-seoul", &maison_catalog()).await;
    h.stack
        .open_drop(&atelier_drop("atelier", 3, None))
        .await
        .unwrap();
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("3a9f0c2b7d1e4f5a8b6c");
    let mut times: Vec<Duration> = Vec::new();

    let r = checked(bot.say(&user, "안녕하세요").await);
    times.push(r.elapsed);
    assert!(r.shown_text().contains("환영해요"), "{}", r.shown_text());
    let r = to_the_cart(&bot, &user, r, &mut times).await;

    // Checkout, then Kakao's retry of the very same call (same bytes, same request id).
    let tap = r.tap_labelled("주문하기");
    let body = bot.request_body(&user, &tap.message_text, &tap.block_id, tap.extra.clone());
    let request_id = bot.request_id();
    let reserved = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    times.push(reserved.elapsed);
    assert!(
        reserved.shown_text().contains("₩8,150,000"),
        "{}",
        reserved.shown_text()
    );
    let links = reserved.web_links();
    assert_eq!(links.len(), 1, "{:#}", reserved.body);
    let link = &links[0];
    assert!(link.starts_with(&format!("{}/p/", h.stack.url)), "{link}");
    let retried = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    assert_eq!(retried.body, reserved.body, "a retry is answered the same");

    // Reserved once: one Stripe page, one unit held.
    let sessions = h.stack.stripe.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session.currency, "krw");
    assert_eq!(session.amount_total, 8_150_000);
    assert_eq!(session.allowed_payment_method_types, ["kakao_pay", "card"]);
    let store = h.stack.store();
    assert_eq!(
        store.drop_stock("atelier").await.unwrap()[0].1,
        2,
        "one unit reserved, not two"
    );
    let (status, location, _) = h.get_raw(link).await;
    assert_eq!(status, 303, "{link}");
    assert_eq!(location.as_deref(), Some(session.url.as_str()));

    let paid = h
        .stack
        .stripe
        .pay_with(&session.id, "kakao_pay")
        .await
        .unwrap();
    assert!(paid.delivery.succeeded(), "{paid:?}");
    let order_id = session.client_reference_id.clone().unwrap();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        order.conversation,
        ConversationId::new(Channel::Kakao, &user.id)
    );
    assert_eq!(order.lines[0].name, "아틀리에 백 한정판");
    let stock = store.drop_stock("atelier").await.unwrap();
    assert_eq!((stock[0].1, stock[0].2, stock[0].3), (2, 0, 1), "one sold");

    // Kakao takes nothing pushed but AlimTalk, which goes to a phone: this customer verified
    // none, so the confirmation waits for ops on the held list, never sent as free text.
    let held = chatdrop_e2e::eventually(|| async {
        let held = store.held().await.unwrap();
        (!held.is_empty()).then_some(held)
    })
    .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].bundle.conversation, order.conversation);
    assert!(
        held[0].reason.contains("has verified none"),
        "{}",
        held[0].reason
    );
    assert!(
        alimtalks(&h).await.is_empty(),
        "nothing reached the AlimTalk dealer"
    );
    assert!(
        held[0]
            .bundle
            .replies
            .iter()
            .any(|r| format!("{r:?}").contains(&order.number())),
        "{:?}",
        held[0].bundle
    );

    times.sort();
    println!(
        "kakao skill calls: {} answered, median {:?}, slowest {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    h.stack.stop().await;
}

/// From the greeting's answer `r`, the Atelier Bag customized and the cart shown: calfskin,
/// black, gold-plated hardware, the star charm (it needs the gold), no initials: ₩7,200,000 +
/// ₩600,000 + ₩350,000 (cli/catalogs/maison.toml's kr prices). Each answer timed into `times`.
async fn to_the_cart(
    bot: &OpenBuilder,
    user: &KakaoUser,
    mut r: SkillAnswer,
    times: &mut Vec<Duration>,
) -> SkillAnswer {
    for label in [
        "가방",
        "아틀리에",
        "옵션 선택 후 담기",
        "송아지 가죽",
        "블랙",
        "금도금",
        "별 참",
        "건너뛰기",
        "장바구니 보기",
    ] {
        let tap = r.tap_labelled(label);
        r = checked(bot.tap(user, &tap).await);
        times.push(r.elapsed);
        if label == "아틀리에" {
            // The product's page: a commerceCard with its base price in won (maison.toml).
            let card = &r.body["template"]["outputs"][0]["commerceCard"];
            assert_eq!(card["price"], 7_200_000, "{:#}", r.body);
            assert_eq!(card["currency"], "won");
        }
    }
    assert!(r.shown_text().contains("₩8,150,000"), "{}", r.shown_text());
    r
}

/// What the fake SENS accepted: KakaoTalk's AlimTalk messages.
async fn alimtalks(h: &Harness) -> Vec<xtask::fakes::OutboxEntry> {
    h.stack
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.channel == "kakao" && e.method == "alimtalk")
        .collect()
}

/// Gives the chat the phone the customer proved, as the verification dialogue does
/// (`Session::verify_phone`, committed as any turn's session is).
async fn verify_phone(h: &Harness, chat: &ConversationId, phone: &str) {
    use chatdrop_domain::action::Handler;
    use chatdrop_domain::ports::{Effect, MarkerKey};
    let store = h.stack.store();
    let mut session = store.session(chat).await.unwrap();
    session.verify_phone(phone.into());
    session.version += 1;
    let key = MarkerKey {
        handler: Handler::Catalog,
        identity: format!("test-verify#{}", chat.key()),
    };
    store
        .commit(chat, Some(&session), &key, &Effect::Nothing)
        .await
        .unwrap();
}

/// A Kakao customer who verified their phone pays, and the confirmation reaches them as the
/// approved AlimTalk template, filled in exactly, through the fake SENS (which checks the
/// gateway signature and the content against the approved text); nothing is held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_payment_confirmed_by_alimtalk_to_the_verified_phone() {
    let h = Harness::start_with_catalog("kakao-alimtalk", &maison_catalog()).await;
    h.stack
        .open_drop(&atelier_drop("atelier", 3, None))
        .await
        .unwrap();
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("a1170a1k0000verified1");
    let chat = ConversationId::new(Channel::Kakao, &user.id);
    let r = checked(bot.say(&user, "안녕하세요").await);
    verify_phone(&h, &chat, "+821012345678").await;
    let r = to_the_cart(&bot, &user, r, &mut Vec::new()).await;
    let reserved = checked(bot.tap(&user, &r.tap_labelled("주문하기")).await);
    assert_eq!(reserved.web_links().len(), 1, "{:#}", reserved.body);

    let sessions = h.stack.stripe.sessions().await.unwrap();
    let paid = h
        .stack
        .stripe
        .pay_with(&sessions[0].id, "kakao_pay")
        .await
        .unwrap();
    assert!(paid.delivery.succeeded(), "{paid:?}");
    let store = h.stack.store();
    let order_id = sessions[0].client_reference_id.clone().unwrap();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);

    let sent = chatdrop_e2e::eventually(|| async {
        let sent = alimtalks(&h).await;
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].recipient, "01012345678");
    assert_eq!(sent[0].body["templateCode"], "CHATDROP_PAID");
    assert_eq!(sent[0].body["messages"][0]["countryCode"], "82");
    // The approved text (xtask's dev templates), each variable filled, nothing else.
    assert_eq!(
        xtask::platform::sens::shown_text(&sent[0]),
        format!(
            "[chatdrop] 주문 {} 결제가 완료되었습니다.\n결제 금액: ₩8,150,000",
            order.number()
        )
    );
    assert!(store.held().await.unwrap().is_empty(), "nothing held");
    h.stack.stop().await;
}

/// The code the fake Twilio Verify last texted `phone` (E.164): the last word of the SMS.
async fn texted_code(h: &Harness, phone: &str) -> String {
    let outbox = h.stack.outbox().await.unwrap();
    let sms = outbox
        .iter()
        .rev()
        .find(|e| e.channel == "sms" && e.recipient == phone && e.method == "verify")
        .unwrap_or_else(|| panic!("no code texted to {phone}: {outbox:#?}"));
    let body = sms.body["Body"].as_str().expect("an SMS body");
    body.rsplit(' ').next().unwrap().to_string()
}

/// A drop of one per person, verified phones only, sold on KakaoTalk: the checkout asks for
/// the number, the customer types it as a Korean mobile number is written at home, the fake
/// Verify texts a code, a wrong code leaves tries, the right one resumes the checkout and the
/// same answer carries the pay link. The whole dialogue runs in the synchronous skill answers
/// (the catalog's dialogue, then the hand-off to the checkout, in one call), and Kakao's retry
/// of the code's call is answered the same without a second reservation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_checkout_proves_the_phone_by_a_texted_code() {
    use chatdrop_domain::i18n::Msg;
    let h = Harness::start_with_catalog("kakao-phone", &maison_catalog()).await;
    let mut drop = atelier_drop("atelier", 3, None);
    drop.verified_phone = true;
    h.stack.open_drop(&drop).await.unwrap();
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("0a0b0c0d0e0f0phone01");
    let chat = ConversationId::new(Channel::Kakao, &user.id);
    let store = h.stack.store();

    let r = checked(bot.say(&user, "안녕하세요").await);
    let r = to_the_cart(&bot, &user, r, &mut Vec::new()).await;
    let asked = checked(bot.tap(&user, &r.tap_labelled("주문하기")).await);
    let lang = store
        .session(&chat)
        .await
        .unwrap()
        .lang
        .expect("a language");
    assert!(
        asked
            .shown_text()
            .contains(&Msg::PhoneAsk(&drop.name).text(lang)),
        "{}",
        asked.shown_text()
    );
    assert!(asked.web_links().is_empty(), "no pay link before the phone");
    assert!(h.stack.stripe.sessions().await.unwrap().is_empty());

    // The deployed function loads libphonenumber's metadata on a thread from its start
    // (`functions/kakao/src/main.rs`), which the in-process stack leaves out: unoptimized, as
    // here, it takes seconds of CPU that would slow every other test's calls. Loaded now, as a
    // deployed instance has it by the time a customer types a number.
    tokio::task::spawn_blocking(chatdrop_domain::phone_number::load_metadata)
        .await
        .unwrap();

    // As a Korean mobile number is written at home (the kr market's country decides).
    let sent = checked(bot.say(&user, "010-1234-5678").await);
    let shown = chatdrop_domain::phone_number::display("+821012345678");
    let code_sent = Msg::PhoneCodeSent {
        phone: &shown,
        minutes: 10,
    };
    assert!(
        sent.shown_text().contains(&code_sent.text(lang)),
        "{}",
        sent.shown_text()
    );
    let code = texted_code(&h, "+821012345678").await;
    assert_eq!(code.len(), 6, "{code}");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let again = checked(bot.say(&user, wrong).await);
    assert!(
        again
            .shown_text()
            .contains(&Msg::PhoneCodeWrong(4).text(lang)),
        "{}",
        again.shown_text()
    );

    // The right code, and Kakao's retry of that very call: one answer, one reservation.
    let body = bot.request_body(&user, &code, FALLBACK_BLOCK, Value::Null);
    let request_id = bot.request_id();
    let reserved = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    let links = reserved.web_links();
    assert_eq!(links.len(), 1, "{:#}", reserved.body);
    assert!(
        links[0].starts_with(&format!("{}/p/", h.stack.url)),
        "{links:?}"
    );
    assert!(
        reserved.shown_text().contains("₩8,150,000"),
        "{}",
        reserved.shown_text()
    );
    let retried = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    assert_eq!(retried.body, reserved.body, "a retry is answered the same");
    let session = store.session(&chat).await.unwrap();
    assert_eq!(session.identity.verified_phone(), Some("+821012345678"));
    assert_eq!(h.stack.stripe.sessions().await.unwrap().len(), 1);
    assert_eq!(
        store.drop_stock("atelier").await.unwrap()[0].1,
        2,
        "one unit reserved, not two"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_bad_inputs_are_refused_with_no_side_effect() {
    let h = Harness::start_with_catalog("kakao-bad", &maison_catalog()).await;
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("bad0input0user0000001");
    let body = bot.request_body(&user, "안녕하세요", "blk", Value::Null);
    let id = bot.request_id();

    assert_eq!(
        bot.call(&body, Some(&id), None).await.status,
        401,
        "missing secret"
    );
    assert_eq!(
        bot.call(&body, Some(&id), Some("dev-kakao-skill-secreT"))
            .await
            .status,
        401,
        "wrong secret"
    );
    let mut other = OpenBuilder::local(&h.stack.url);
    other.bot_id = "another-bot-0000".into();
    let foreign = other.request_body(&user, "안녕하세요", "blk", Value::Null);
    assert_eq!(
        bot.call(&foreign, Some(&id), Some(&bot.secret))
            .await
            .status,
        403
    );
    let oversized = vec![b' '; chatdrop_channels::kakao::MAX_BODY_BYTES + 1];
    assert_eq!(
        bot.call(&oversized, Some(&id), Some(&bot.secret))
            .await
            .status,
        413
    );
    assert_eq!(
        bot.call(b"{\"userRequest\":", Some(&id), Some(&bot.secret))
            .await
            .status,
        400
    );
    assert_eq!(
        bot.call(b"{\"bot\":{\"id\":\"x\"}}", Some(&id), Some(&bot.secret))
            .await
            .status,
        400
    );

    // Nothing was applied: no session, no marker for the event the refused calls carried.
    let store = h.stack.store();
    let conversation = ConversationId::new(Channel::Kakao, &user.id);
    assert_eq!(store.session(&conversation).await.unwrap().version, 0);
    let key = chatdrop_domain::ports::MarkerKey {
        handler: chatdrop_domain::action::Handler::Catalog,
        identity: format!("kakao#r:{id}"),
    };
    assert!(store.marker(&key).await.unwrap().is_none());

    // The same call, authenticated, is answered, and then its marker exists.
    let answered = checked(bot.call(&body, Some(&id), Some(&bot.secret)).await);
    assert!(
        answered.shown_text().contains("환영해요"),
        "{}",
        answered.shown_text()
    );
    assert!(store.marker(&key).await.unwrap().is_some());
    h.stack.stop().await;
}

/// The Kakao Talk Channel add/block callback is the customer's consent on KakaoTalk: a customer
/// signed in with Kakao Login chats (which links their app user id to the chat), blocks the
/// channel (opted out in the ledger), Kakao redelivers (recorded once), adds it back (opted
/// in). A wrong or missing admin key is refused with nothing recorded, and a callback for
/// someone who never chatted is acknowledged and changes nothing. Each answer within 3 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_channel_block_and_add_are_recorded_as_consent() {
    use chatdrop_domain::consent::{ConsentLedger, ConsentSource, Subject, Wish};
    use xtask::platform::kakao_channel::{CALLBACK_TIMEOUT, ChannelCallbacks};

    let h = Harness::start_with_catalog("kakao-channel", &maison_catalog()).await;
    let bot = OpenBuilder::local(&h.stack.url);
    let callbacks = ChannelCallbacks::local(&h.stack.url);
    let user = KakaoUser::korean("c0ffee0channel0user01").with_app_user_id("2837465910");
    let chat = ConversationId::new(Channel::Kakao, &user.id);
    let store = h.stack.store();
    let history = || async {
        store
            .history(&Subject::Conversation(chat.clone()))
            .await
            .unwrap()
    };
    checked(bot.say(&user, "안녕하세요").await);

    // Refused before anything is read: no key, a wrong key.
    let (status, _) = callbacks
        .send(
            "blocked",
            "2837465910",
            "2026-12-04T08:41:00Z",
            "res-0",
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = callbacks
        .send(
            "blocked",
            "2837465910",
            "2026-12-04T08:41:00Z",
            "res-0",
            Some("guess"),
        )
        .await;
    assert_eq!(status, 401);
    assert!(history().await.is_empty());

    let key = Some(callbacks.admin_key.as_str());
    let (status, took) = callbacks
        .send(
            "blocked",
            "2837465910",
            "2026-12-04T08:41:00Z",
            "res-1",
            key,
        )
        .await;
    assert_eq!(status, 200);
    assert!(took < CALLBACK_TIMEOUT, "{took:?}");
    // Kakao's redelivery of the same callback.
    let (status, _) = callbacks
        .send(
            "blocked",
            "2837465910",
            "2026-12-04T08:41:00Z",
            "res-1",
            key,
        )
        .await;
    assert_eq!(status, 200);
    let after_block = history().await;
    assert_eq!(after_block.len(), 1, "{after_block:?}");
    assert_eq!(after_block[0].wish, Wish::OptOut);
    assert_eq!(
        after_block[0].source,
        ConsentSource::Platform {
            signal: "kakao_channel_blocked".into()
        }
    );
    assert!(store.standing(&chat, None).await.unwrap().is_opted_out());

    let (status, _) = callbacks
        .send("added", "2837465910", "2026-12-04T09:02:00Z", "res-2", key)
        .await;
    assert_eq!(status, 200);
    let wishes: Vec<Wish> = history().await.iter().map(|c| c.wish).collect();
    assert_eq!(wishes, [Wish::OptOut, Wish::OptIn]);
    assert!(!store.standing(&chat, None).await.unwrap().is_opted_out());

    // An app user who never chatted with the bot: acknowledged, nothing to record.
    let (status, _) = callbacks
        .send(
            "blocked",
            "9999999999",
            "2026-12-04T09:03:00Z",
            "res-3",
            key,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(history().await.len(), 2);
    h.stack.stop().await;
}

/// "Forget me" erases the chat's link to the customer's Kakao account too (`KAKAOAPP#…` and
/// its way back from the chat): typed in the chat, and by `chatdrop customer forget`. After
/// it, the channel callback finds no chat for that account, so nothing is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_forget_me_erases_the_app_user_link() {
    use chatdrop_domain::consent::{ConsentLedger, Subject};
    use xtask::platform::kakao_channel::ChannelCallbacks;

    let h = Harness::start_with_catalog("kakao-forget", &maison_catalog()).await;
    let bot = OpenBuilder::local(&h.stack.url);
    let callbacks = ChannelCallbacks::local(&h.stack.url);
    let key = Some(callbacks.admin_key.as_str());
    let store = h.stack.store();

    // Typed in the chat ("내 정보 삭제": forget me, in Korean).
    let ji = KakaoUser::korean("f0f0f0forget0me00001").with_app_user_id("5550001111");
    let chat = ConversationId::new(Channel::Kakao, &ji.id);
    checked(bot.say(&ji, "안녕하세요").await);
    assert_eq!(
        store.kakao_chat_of("5550001111").await.unwrap(),
        Some(chat.clone())
    );
    let r = checked(bot.say(&ji, "내 정보 삭제").await);
    assert!(
        r.shown_text().contains("삭제했습니다"),
        "{}",
        r.shown_text()
    );
    assert_eq!(store.kakao_chat_of("5550001111").await.unwrap(), None);
    assert!(
        !store.forget_kakao_link(&chat).await.unwrap(),
        "nothing left"
    );
    let (status, _) = callbacks
        .send(
            "blocked",
            "5550001111",
            "2026-12-04T10:00:00Z",
            "res-f1",
            key,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        store
            .history(&Subject::Conversation(chat.clone()))
            .await
            .unwrap()
            .is_empty(),
        "the callback no longer reaches the chat"
    );

    // By the operator (`chatdrop customer forget`), for a customer still linked.
    let min = KakaoUser::korean("f0f0f0forget0me00002").with_app_user_id("5550002222");
    let chat = ConversationId::new(Channel::Kakao, &min.id);
    checked(bot.say(&min, "안녕하세요").await);
    assert_eq!(
        store.kakao_chat_of("5550002222").await.unwrap(),
        Some(chat.clone())
    );
    let forgotten = store.forget(&chat, None).await.unwrap();
    assert!(forgotten.kakao_link && forgotten.session, "{forgotten:?}");
    assert_eq!(store.kakao_chat_of("5550002222").await.unwrap(), None);
    let again = store.forget(&chat, None).await.unwrap();
    assert!(!again.kakao_link, "a second run finds nothing");
    h.stack.stop().await;
}
