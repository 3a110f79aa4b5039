//! A KakaoTalk customer asks for a person, on the local stack. A skill cannot carry a person's
//! reply, so where the channel's 1:1 chat is open (`CHATDROP_KAKAO_OPERATOR=on`) the answer
//! that hands the chat over ends with Kakao's `operator` button, labelled in the customer's
//! language, which moves the chat to the channel's people; the conversation is on the agents'
//! list as on every platform, and its thread (what the console shows) has both sides of the
//! chat. Without the setting, the same request is answered without the button.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::handoff::{HandoffFilter, HandoffStore};
use chatdrop_e2e::{Harness, eventually};
use serde_json::Value;
use xtask::platform::kakao::{KakaoUser, OpenBuilder, SkillAnswer};

fn checked(answer: SkillAnswer) -> SkillAnswer {
    if let Err(why) = answer.check() {
        panic!("{why}: {:#}", answer.body);
    }
    answer
}

/// Every button with Kakao's `operator` action in the answer's outputs.
fn operator_buttons(answer: &SkillAnswer) -> Vec<Value> {
    answer.body["template"]["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_object()?.values().next()?.get("buttons")?.as_array())
        .flatten()
        .filter(|b| b["action"] == "operator")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kakao_customer_asking_for_a_person_gets_the_operator_button() {
    let h = Harness::start_with_env("kakao-operator", &[("CHATDROP_KAKAO_OPERATOR", "on")]).await;
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("0a1b2c3d4e5f60718293");
    checked(bot.say(&user, "안녕하세요").await);

    let asked = checked(bot.say(&user, "상담원 연결해 주세요").await);
    let buttons = operator_buttons(&asked);
    assert_eq!(buttons.len(), 1, "{:#}", asked.body);
    assert_eq!(buttons[0]["label"], "상담원 연결");
    // The promise and the button are one card.
    let card = asked.body["template"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["textCard"].is_object())
        .expect("a textCard");
    assert!(
        !card["textCard"]["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{card}"
    );

    // On the agents' list, waiting, like a handoff on any other platform.
    let chat = ConversationId::new(Channel::Kakao, &user.id);
    let waiting = h
        .stack
        .store()
        .list_handoffs(HandoffFilter::Waiting)
        .await
        .unwrap();
    assert!(
        waiting.iter().any(|e| e.conversation == chat),
        "{waiting:?}"
    );
    // The agents are alerted at once, as on every platform: notify does it for the queued
    // channels, the kakao function itself here. The alert names the customer by pseudonym.
    let alerts = eventually(|| async {
        let alerts = h.stack.agent_alerts().await.unwrap();
        (!alerts.is_empty()).then_some(alerts)
    })
    .await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["kind"], "new");
    assert_eq!(alerts[0]["reason"], "asked");
    assert_eq!(alerts[0]["channel"], "kakao");
    assert!(!alerts[0].to_string().contains(&user.id), "{}", alerts[0]);

    // Writing again while waiting: the bot stays silent, but a Kakao call must be answered
    // (an empty answer shows Kakao's fallback): who has the chat and when to expect an answer,
    // with the button again.
    let again = checked(bot.say(&user, "언제 답해 주시나요?").await);
    assert!(
        again.shown_text().contains("상담원에게 대화를 연결했어요"),
        "{}",
        again.shown_text()
    );
    assert_eq!(operator_buttons(&again).len(), 1, "{:#}", again.body);

    // The thread a person opens in the console has both sides of the chat: what the customer
    // typed and what the skill answered (the kakao function records them, as the catalog
    // consumer and notify do for the queued channels).
    let thread = h.stack.store().thread(&chat).await.unwrap();
    let mut typed: Vec<&str> = thread
        .iter()
        .filter(|m| m.direction == "in")
        .map(|m| m.summary.as_str())
        .collect();
    typed.sort();
    assert_eq!(
        typed,
        ["상담원 연결해 주세요", "안녕하세요", "언제 답해 주시나요?"],
        "{thread:#?}"
    );
    let answered = thread.iter().filter(|m| m.direction == "out").count();
    assert!(answered >= 2, "{thread:#?}");

    // Kakao's retry of that call (same body, same request id) is answered the same and writes
    // the same thread items, not new ones.
    let body = bot.request_body(
        &user,
        "상담원 연결해 주세요",
        xtask::platform::kakao::FALLBACK_BLOCK,
        Value::Null,
    );
    let request_id = bot.request_id();
    let first = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    let after_first = h.stack.store().thread(&chat).await.unwrap().len();
    let retried = checked(bot.call(&body, Some(&request_id), Some(&bot.secret)).await);
    assert_eq!(retried.body, first.body);
    assert_eq!(
        h.stack.store().thread(&chat).await.unwrap().len(),
        after_first
    );
    // Neither the message while waiting nor the retries alerted the agents again: one alert
    // per handoff (claimed on the handoff list).
    let again = h.stack.agent_alerts().await.unwrap();
    assert!(again.is_empty(), "{again:#?}");
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_one_to_one_chat_there_is_no_operator_button() {
    let h = Harness::start_with_env("kakao-no-operator", &[]).await;
    let bot = OpenBuilder::local(&h.stack.url);
    let user = KakaoUser::korean("0a1b2c3d4e5f60718294");
    checked(bot.say(&user, "안녕하세요").await);
    let asked = checked(bot.say(&user, "상담원 연결해 주세요").await);
    assert!(operator_buttons(&asked).is_empty(), "{:#}", asked.body);
    assert!(!asked.shown_text().is_empty());
    h.stack.stop().await;
}
