//! What a person's reply may do on each platform once the customer-service window closed,
//! against the registry's real rules.

use super::*;
use crate::channel::{Channel, ConversationId};
use crate::reply::{OrderUpdate, Origin};

const NOW: i64 = 1_767_225_600;
const HOUR: i64 = 3600;

fn bundle(channel: Channel, origin: Origin) -> ReplyBundle {
    ReplyBundle {
        id: "b1".into(),
        conversation: ConversationId::new(channel, "c1"),
        lang: Lang::EN,
        ack: None,
        reply_token: None,
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin,
        replies: vec![Reply::Text {
            body: "Hi, Ana here from the shop".into(),
        }],
    }
}

fn agent() -> Origin {
    Origin::Agent("ana".into())
}

fn heard(hours_ago: i64) -> Moment {
    Moment {
        now: NOW,
        last_heard_at: Some(NOW - hours_ago * HOUR),
        reachability: Reachability::Reachable,
    }
}

fn mode(channel: Channel, origin: Origin, hours_ago: i64) -> Result<SendMode, String> {
    sending_mode(
        channel.spec().sending,
        &bundle(channel, origin),
        heard(hours_ago),
    )
}

#[test]
fn inside_the_window_a_person_writes_like_the_bot() {
    for channel in [
        Channel::Whatsapp,
        Channel::Messenger,
        Channel::Wechat,
        Channel::Telegram,
        Channel::Line,
    ] {
        assert_eq!(
            mode(channel, agent(), 1),
            Ok(SendMode::Session),
            "{channel}"
        );
    }
}

#[test]
fn messenger_lets_a_person_answer_for_seven_days_with_the_human_agent_tag() {
    assert_eq!(
        mode(Channel::Messenger, agent(), 25),
        Ok(SendMode::HumanAgent)
    );
    assert_eq!(
        mode(Channel::Messenger, agent(), 7 * 24 - 1),
        Ok(SendMode::HumanAgent)
    );
    let late = mode(Channel::Messenger, agent(), 7 * 24).unwrap_err();
    assert!(late.contains("more than 7 days"), "{late}");
    // The bot never gets the tag: its answer after 24 h is held as before.
    assert!(mode(Channel::Messenger, Origin::Bot, 25).is_err());
    // Nor a customer who never wrote.
    let never = Moment {
        now: NOW,
        last_heard_at: None,
        reachability: Reachability::Reachable,
    };
    assert!(
        sending_mode(
            Channel::Messenger.spec().sending,
            &bundle(Channel::Messenger, agent()),
            never
        )
        .is_err()
    );
}

#[test]
fn whatsapp_takes_only_templates_after_24_hours_even_from_a_person() {
    // A deployment with an order template: order updates go, a person's text does not.
    let rules = SendingRules {
        updates_after_window: true,
        ..Channel::Whatsapp.spec().sending
    };
    let held = sending_mode(rules, &bundle(Channel::Whatsapp, agent()), heard(25)).unwrap_err();
    assert!(held.contains("only an approved template"), "{held}");
    let mut update = bundle(Channel::Whatsapp, Origin::Bot);
    update.update = Some(OrderUpdate {
        order_number: "#A1".into(),
        kind: "paid".into(),
        summary: "Paid".into(),
        ..Default::default()
    });
    assert_eq!(
        sending_mode(rules, &update, heard(25)),
        Ok(SendMode::OrderUpdate)
    );
}

#[test]
fn wechat_gives_a_person_the_same_48_hours() {
    assert_eq!(mode(Channel::Wechat, agent(), 47), Ok(SendMode::Session));
    let held = mode(Channel::Wechat, agent(), 48).unwrap_err();
    assert!(held.contains("48 h"), "{held}");
}

#[test]
fn platforms_without_a_window_take_a_person_any_time() {
    for channel in [
        Channel::Telegram,
        Channel::Line,
        Channel::Sms,
        Channel::Viber,
    ] {
        assert_eq!(
            mode(channel, agent(), 24 * 30),
            Ok(SendMode::Session),
            "{channel}"
        );
    }
}

#[test]
fn kakao_cannot_carry_a_persons_reply_and_says_how_to_hand_over() {
    let why = mode(Channel::Kakao, agent(), 0).unwrap_err();
    assert!(why.contains("operator"), "{why}");
}

#[test]
fn an_opted_out_customer_gets_nothing_from_a_person_either() {
    let at = Moment {
        reachability: Reachability::OptedOut,
        ..heard(1)
    };
    assert!(
        sending_mode(
            Channel::Messenger.spec().sending,
            &bundle(Channel::Messenger, agent()),
            at
        )
        .is_err()
    );
}

#[test]
fn the_origin_is_stored_as_bot_or_agent_and_id() {
    let b = bundle(Channel::Line, agent());
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["origin"], serde_json::json!("agent:ana"));
    let back: ReplyBundle = serde_json::from_value(json).unwrap();
    assert_eq!(back.origin, agent());
    // The bot's bundles keep their old shape, and old bundles read as the bot's.
    let bot = serde_json::to_value(bundle(Channel::Line, Origin::Bot)).unwrap();
    assert_eq!(bot.get("origin"), None);
    assert!(serde_json::from_value::<Origin>(serde_json::json!("agent:")).is_err());
}
