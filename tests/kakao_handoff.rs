//! A KakaoTalk customer asks for a person, on the local stack. A skill cannot carry a person's
//! reply, so where the channel's 1:1 chat is open (`CHATDROP_KAKAO_OPERATOR=on`) the answer
//! that hands the chat over ends with Kakao's `operator` button, labelled in the customer's
//! language, which moves the chat to the channel's people; the conversation is on the agents'
//! list as on every platform. Without the setting, the same request is answered without it.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::handoff::{HandoffFilter, HandoffStore};
use chatdrop_e2e::Harness;
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

    // A retried call is answered the same, button included.
    let again = checked(bot.say(&user, "상담원 연결해 주세요").await);
    assert!(operator_buttons(&again).len() <= 1, "{:#}", again.body);
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
