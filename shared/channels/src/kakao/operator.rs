//! Handing a Kakao chat to the channel's people: the `operator` button.
//!
//! On other platforms a person answers through chatdrop's console and notify sends their
//! words. A Kakao skill cannot: it speaks only in answer to the customer's own message. What
//! Kakao offers instead is the channel's own 1:1 chat (1:1 채팅, answered by the retailer's
//! people in Kakao's partner center) and a button action that moves the chat there:
//! `"action": "operator"` ("상담원 연결"; button actions in the skill response format,
//! <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format>). It
//! is a button action only: quick replies may be `message` or `block`, not `operator`.
//!
//! Where the retailer opened that 1:1 chat (`CHATDROP_KAKAO_OPERATOR=on`), the answer of the
//! turn that hands the chat to a person ([`chatdrop_domain::handoff`]) ends with a card whose
//! one button is that action, labelled [`Msg::TalkToPerson`] in the customer's language:
//! "a person will answer within a few minutes … [상담원 연결]". The conversation is a person's
//! on chatdrop's side as on every platform (the bot stays silent, the agents are alerted); the
//! button is how the customer reaches them.
//!
//! The card is a `textCard` (a description and at most three buttons, no picture). It takes
//! the answer's last text when that fits a card's description, so the promise and the button
//! read as one; otherwise it is an output of its own, and when the answer already has Kakao's
//! three outputs, the last text is cut to a card's description to make room, or a last card
//! with room for a button takes it: the button matters more than the end of a long text.

use super::render::LIMITS;
use crate::registry::Values;
use crate::text::truncate_chars;
use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::i18n::{Lang, Msg};
use serde_json::{Value, json};

/// `CHATDROP_KAKAO_OPERATOR` is neither `on` nor `off`.
#[derive(Debug, thiserror::Error)]
#[error("{var} must be `on` or `off`, not `{0}`", var = vars::KAKAO_OPERATOR)]
pub struct BadOperatorSetting(pub String);

/// Whether the channel's 1:1 chat is open to the `operator` button (the setting defaults to
/// `off`; the spec fills it in).
pub fn operator_chat(values: &Values) -> Result<bool, BadOperatorSetting> {
    match values
        .optional(vars::KAKAO_OPERATOR)
        .as_deref()
        .map(str::trim)
    {
        None | Some("off") => Ok(false),
        Some("on") => Ok(true),
        Some(other) => Err(BadOperatorSetting(other.to_string())),
    }
}

/// The skill `response` (from [`super::render_with_prices`]) ending with the button that moves
/// the chat to the channel's people, labelled in `lang`.
pub fn with_operator(mut response: Value, lang: Lang) -> Value {
    let label = Msg::TalkToPerson.text(lang);
    let button = json!({
        "action": "operator",
        "label": truncate_chars(&label, LIMITS.button_label),
    });
    let card = |description: &str, button: Value| {
        json!({ "textCard": {
            "description": truncate_chars(description, LIMITS.card_description),
            "buttons": [button],
        }})
    };
    let Some(outputs) = response["template"]["outputs"].as_array_mut() else {
        // Not a response this module's renderer made: left as it is.
        return response;
    };
    let last_text = outputs
        .last()
        .and_then(|o| o["simpleText"]["text"].as_str())
        .map(str::to_string);
    match last_text {
        Some(text) if text.chars().count() <= LIMITS.card_description => {
            *outputs.last_mut().expect("there is a last output") = card(&text, button);
        }
        _ if outputs.len() < LIMITS.outputs => outputs.push(card(&label, button)),
        Some(text) => *outputs.last_mut().expect("there is a last output") = card(&text, button),
        None => {
            // Three outputs ending with a card (a pay link, a product): the button joins the
            // card's own while it has room, else the card gives way.
            let last = outputs.last_mut().expect("full, so not empty");
            let buttons = last
                .as_object_mut()
                .and_then(|o| o.values_mut().next())
                .and_then(|card| card.get_mut("buttons"))
                .and_then(Value::as_array_mut)
                .filter(|b| b.len() < LIMITS.card_buttons);
            match buttons {
                Some(buttons) => buttons.push(button),
                None => *last = card(&label, button),
            }
        }
    }
    response
}

#[cfg(test)]
#[path = "operator_tests.rs"]
mod tests;
