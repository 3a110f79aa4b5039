//! Rendering: a [`Reply`] as the Bot API calls that show it, within [`LIMITS`].

use crate::text::{numbered_line, split_text, truncate_chars};
use chatdrop_domain::action::Action;
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};

/// Bot API limits the renderer applies. Source: <https://core.telegram.org/bots/api#sendmessage>
/// (as generated into teloxide-core and grammY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `sendMessage.text`, in characters.
    pub text: usize,
    /// `sendPhoto.caption`, in characters.
    pub caption: usize,
    /// `callback_data`, in **bytes** of UTF-8.
    pub callback_data_bytes: usize,
    /// Inline button text, in characters (kept short so it reads on a phone).
    pub button_text: usize,
}

pub const LIMITS: Limits = Limits {
    text: 4096,
    caption: 1024,
    callback_data_bytes: 64,
    button_text: 64,
};

/// One Bot API call: the method name and its JSON parameters.
pub type Call = (&'static str, Value);

/// The Bot API calls for one reply, in sending order: usually one, several when text must be
/// split (the keyboard then rides on the last part), none for an empty text.
pub fn render(chat_id: &str, lang: Lang, reply: &Reply) -> Vec<Call> {
    let chat = chat_id_value(chat_id);
    match reply {
        Reply::Text { body } => text_calls(&chat, body, None),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(&chat, body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(&chat, url, caption.as_deref()),
        Reply::Link { body, label, url } => {
            let label = if label.trim().is_empty() { url } else { label };
            let button = json!({ "text": truncate_chars(label, LIMITS.button_text), "url": url });
            let text = if body.trim().is_empty() { label } else { body };
            text_calls(&chat, text, Some(json!({ "inline_keyboard": [[button]] })))
        }
    }
}

/// Telegram chat ids are integers (negative for groups); a JSON number is what the API
/// documents, while a non-numeric id (a `@channel` username) must stay a string.
fn chat_id_value(chat_id: &str) -> Value {
    chat_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(chat_id))
}

fn text_calls(chat: &Value, text: &str, markup: Option<Value>) -> Vec<Call> {
    let parts = split_text(text, LIMITS.text);
    let last = parts.len().saturating_sub(1);
    let mut markup = markup;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mut params = json!({ "chat_id": chat, "text": part });
            if i == last
                && let Some(m) = markup.take()
            {
                params["reply_markup"] = m;
            }
            ("sendMessage", params)
        })
        .collect()
}

fn fits_callback_data(id: &str) -> bool {
    !id.is_empty() && id.len() <= LIMITS.callback_data_bytes
}

fn render_choices(
    chat: &Value,
    body: &str,
    menu_label: &str,
    choices: &[Choice],
    lang: Lang,
) -> Vec<Call> {
    if choices.iter().any(shares_contact) {
        return contact_keyboard(chat, body, menu_label, choices, lang);
    }
    let mut rows = Vec::new();
    let mut numbered = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        if fits_callback_data(&c.id) {
            rows.push(json!([{ "text": button_text(i + 1, c), "callback_data": c.id }]));
        } else {
            // Numbered by position among all choices: that is what a typed number resolves to.
            numbered.push(numbered_line(i + 1, &c.title, c.description.as_deref()));
        }
    }
    let mut text = body.to_string();
    if !numbered.is_empty() {
        if !text.trim().is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&numbered.join("\n"));
        text.push_str("\n\n");
        text.push_str(&Msg::ReplyWithNumber.text(lang));
    }
    // A keyboard cannot be sent without text.
    if text.trim().is_empty() && !rows.is_empty() {
        text = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
    }
    let markup = (!rows.is_empty()).then(|| json!({ "inline_keyboard": rows }));
    text_calls(chat, &text, markup)
}

/// The choice that asks for the customer's own number ([`Action::VerifyShareContact`]).
fn shares_contact(c: &Choice) -> bool {
    Action::decode(&c.id) == Some(Action::VerifyShareContact)
}

/// Choices with the share button, on the keyboard below the chat: Telegram sends the
/// customer's own contact at a tap on a `request_contact` button, which only a reply keyboard
/// holds (<https://core.telegram.org/bots/api#keyboardbutton>). Other choices there are text
/// buttons, sending their titles as typed words. `one_time_keyboard` folds it away after a
/// tap; `resize_keyboard` keeps it to its one row instead of half the screen.
fn contact_keyboard(
    chat: &Value,
    body: &str,
    menu_label: &str,
    choices: &[Choice],
    lang: Lang,
) -> Vec<Call> {
    let rows: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut button = json!({ "text": button_text(i + 1, c) });
            if shares_contact(c) {
                button["request_contact"] = json!(true);
            }
            json!([button])
        })
        .collect();
    let text = if !body.trim().is_empty() {
        body.to_string()
    } else if !menu_label.trim().is_empty() {
        menu_label.to_string()
    } else {
        Msg::ChooseLabel.text(lang)
    };
    let markup = json!({ "keyboard": rows, "one_time_keyboard": true, "resize_keyboard": true });
    text_calls(chat, &text, Some(markup))
}

fn button_text(n: usize, c: &Choice) -> String {
    let text = match c.description.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{} — {d}", c.title),
        None => c.title.clone(),
    };
    // Telegram rejects a button without text; the number still identifies the choice.
    if text.trim().is_empty() {
        return n.to_string();
    }
    truncate_chars(&text, LIMITS.button_text)
}

fn render_image(chat: &Value, url: &str, caption: Option<&str>) -> Vec<Call> {
    match caption.filter(|c| !c.trim().is_empty()) {
        None => vec![("sendPhoto", json!({ "chat_id": chat, "photo": url }))],
        Some(c) if c.chars().count() <= LIMITS.caption => vec![(
            "sendPhoto",
            json!({ "chat_id": chat, "photo": url, "caption": c }),
        )],
        // Too long to caption: the picture first, then the words, rather than losing them.
        Some(c) => {
            let mut calls = vec![("sendPhoto", json!({ "chat_id": chat, "photo": url }))];
            calls.extend(text_calls(chat, c, None));
            calls
        }
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
