//! Rendering: a [`Reply`] as Viber `send_message` bodies, within [`LIMITS`].
//!
//! A rendered body is the message alone (`type` and its fields, a keyboard): the sender adds
//! `receiver` and `sender`, and the welcome message goes without a `receiver`.

use crate::text::{Hint, numbered_text, split_text, truncate_chars};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};

/// What starts the `ActionBody` of every chatdrop `reply` button: a tap comes back as a text
/// message holding exactly the `ActionBody`, and this prefix is how the webhook tells a tap
/// from typed text. The buttons are `Silent`, so the customer does not see it.
pub const TAP_PREFIX: &str = "chatdrop:";

/// REST Bot API limits the renderer applies. Sources: the message data model
/// (<https://developers.viber.com/docs/api/rest-bot-api/#message-types>; the same text in
/// `docs/bots-api/data-models/message.md` of <https://github.com/Viber/creators-hub>), the
/// keyboard reference (<https://developers.viber.com/docs/tools/keyboards/>;
/// `docs/bots-api/resources/messaging/keyboards.mdx`) and `send_message`
/// (`docs/bots-api/resources/messaging/send-message.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A text message's `text`, in characters.
    pub text: usize,
    /// A picture message's `text` (its caption), in characters.
    pub picture_text: usize,
    /// A button's `Text`: longer is cropped by Viber and shown with "...".
    pub button_text: usize,
    /// One message's JSON, in bytes ("Maximum message size is 30KB").
    pub message_bytes: usize,
    /// Cards of a `rich_media` carousel.
    pub carousel_cards: usize,
    /// A card's grid: columns (1–6) and rows (1–7) of a `rich_media` button group.
    pub card_columns: u8,
    pub card_rows: u8,
    /// `sender.name`, in characters.
    pub sender_name: usize,
    /// Ours, not Viber's: buttons in one keyboard, one per row. Viber publishes no count; its
    /// FAQ shows up to 12 rows in portrait before the keyboard scrolls
    /// (<https://developers.viber.com/docs/faq/>), and a longer list reads better numbered.
    pub keyboard_buttons: usize,
    /// Ours, not Viber's: a button's `ActionBody`, in characters. A tap comes back as a text
    /// message, so it must stay far under `text`; our payloads are a few dozen characters.
    pub action_body: usize,
    /// A `url` message's `media`, in characters; also the longest picture URL we send.
    pub url: usize,
}

pub const LIMITS: Limits = Limits {
    text: 7000,
    picture_text: 768,
    button_text: 250,
    message_bytes: 30 * 1024,
    carousel_cards: 6,
    card_columns: 6,
    card_rows: 7,
    sender_name: 28,
    keyboard_buttons: 12,
    action_body: 300,
    url: 2000,
};

/// The picture formats Viber shows: "The URL must have a resource with a .jpeg, .png or .gif
/// file extension as the last path segment".
const PICTURE_EXTENSIONS: [&str; 4] = [".jpeg", ".jpg", ".png", ".gif"];

/// The `send_message` bodies for one reply, in sending order: usually one, several when text
/// must be split or a carousel follows its words, none for an empty text.
pub fn render(lang: Lang, reply: &Reply) -> Vec<Value> {
    match reply {
        Reply::Text { body } => text_messages(body, None),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    }
}

/// Text messages; a keyboard rides on the last one (the app shows the latest keyboard).
fn text_messages(text: &str, keyboard: Option<Value>) -> Vec<Value> {
    let mut messages: Vec<Value> = split_text(text, LIMITS.text)
        .into_iter()
        .map(|part| json!({ "type": "text", "text": part }))
        .collect();
    if let (Some(last), Some(k)) = (messages.last_mut(), keyboard) {
        last["keyboard"] = k;
    }
    messages
}

/// Button text is a small HTML subset (`<b>`, `<br>`, `<font>`): a title's own `<`, `>` and
/// `&` are escaped so they show as written.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `ActionBody` of a tap on `payload`.
pub(crate) fn tap_body(payload: &str) -> String {
    format!("{TAP_PREFIX}{payload}")
}

fn fits_action_body(id: &str) -> bool {
    !id.is_empty() && tap_body(id).chars().count() <= LIMITS.action_body
}

/// A full-width `reply` button for one choice.
fn reply_button(n: usize, c: &Choice) -> Value {
    json!({
        "Columns": 6,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": tap_body(&c.id),
        "Text": escape_html(&truncate_chars(&title_or_number(n, c), LIMITS.button_text)),
        "TextSize": "regular",
        "Silent": true,
    })
}

fn title_or_number(n: usize, c: &Choice) -> String {
    if c.title.trim().is_empty() {
        n.to_string()
    } else {
        c.title.clone()
    }
}

pub(crate) fn keyboard(buttons: Vec<Value>) -> Value {
    json!({ "Type": "keyboard", "DefaultHeight": false, "Buttons": buttons })
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Value> {
    if choices.is_empty() {
        return text_messages(body, None);
    }
    // A payload is never cut to fit: the tap would bring back one we never issued.
    let payloads_fit = choices.iter().all(|c| fits_action_body(&c.id));
    let described = choices.iter().all(|c| {
        c.description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    });
    if payloads_fit && described && choices.len() <= LIMITS.carousel_cards {
        let mut messages = text_messages(body, None);
        messages.push(carousel(choices));
        return messages;
    }
    if !payloads_fit || choices.len() > LIMITS.keyboard_buttons {
        return text_messages(
            &numbered_text(body, choices, lang, Hint::ReplyWithNumber),
            None,
        );
    }
    let buttons = choices
        .iter()
        .enumerate()
        .map(|(i, c)| reply_button(i + 1, c))
        .collect();
    // A button shows its title only; when a choice says more, the message lists it too.
    let hidden = choices.iter().any(|c| {
        c.title.chars().count() > LIMITS.button_text
            || c.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
    });
    let mut text = if hidden {
        numbered_text(body, choices, lang, Hint::None)
    } else {
        body.to_string()
    };
    // A keyboard must ride on a message, and a text message cannot be empty.
    if text.trim().is_empty() {
        text = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
    }
    text_messages(&text, Some(keyboard(buttons)))
}

/// A `rich_media` carousel: one card per choice, its title and description above a button
/// that picks it. Rich media needs Viber 6.7 (API version 2) and cannot be forwarded.
fn carousel(choices: &[Choice]) -> Value {
    let mut buttons = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        let title = escape_html(&title_or_number(i + 1, c));
        let description = escape_html(c.description.as_deref().unwrap_or_default());
        buttons.push(json!({
            "Columns": LIMITS.card_columns,
            "Rows": 4,
            "ActionType": "none",
            "ActionBody": "none",
            "Text": truncate_chars(&format!("<b>{title}</b><br>{description}"), LIMITS.button_text),
            "TextVAlign": "top",
            "TextHAlign": "left",
        }));
        let mut pick = reply_button(i + 1, c);
        pick["Rows"] = json!(1);
        buttons.push(pick);
    }
    json!({
        "type": "rich_media",
        "min_api_version": 2,
        "rich_media": {
            "Type": "rich_media",
            "ButtonsGroupColumns": LIMITS.card_columns,
            "ButtonsGroupRows": 5,
            "BgColor": "#FFFFFF",
            "Buttons": buttons,
        },
    })
}

/// Whether Viber would show `url` as a picture: HTTPS or HTTP, not too long, and a picture
/// extension ending its path.
fn is_picture_url(url: &str) -> bool {
    if url.is_empty() || url.chars().count() > LIMITS.url {
        return false;
    }
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    (path.starts_with("https://") || path.starts_with("http://"))
        && PICTURE_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Value> {
    let caption = caption.filter(|c| !c.trim().is_empty());
    if !is_picture_url(url) {
        // Viber would refuse the picture; the words and the address still reach the customer.
        let text = match caption {
            Some(c) => format!("{c}\n{url}"),
            None => url.to_string(),
        };
        return text_messages(&text, None);
    }
    match caption {
        Some(c) if c.chars().count() > LIMITS.picture_text => {
            let mut messages = vec![json!({ "type": "picture", "text": "", "media": url })];
            messages.extend(text_messages(c, None));
            messages
        }
        // A picture's `text` is required and may be empty.
        _ => vec![json!({ "type": "picture", "text": caption.unwrap_or_default(), "media": url })],
    }
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Value> {
    let label = if label.trim().is_empty() { url } else { label };
    if url.is_empty() || url.chars().count() > LIMITS.url {
        let text = if body.trim().is_empty() {
            format!("{label}: {url}")
        } else {
            format!("{body}\n\n{label}: {url}")
        };
        return text_messages(&text, None);
    }
    // The words, then the link as a `url` message, which the chat shows as a tappable preview
    // and keeps (a keyboard is replaced by the next one). Not an `open-url` button: Viber
    // "sends the URL as reply to the bot" when one is tapped, which would reach the
    // conversation as a message the customer never typed.
    let text = if body.trim().is_empty() {
        label.to_string()
    } else {
        format!("{body}\n\n{label}:")
    };
    let mut messages = text_messages(&text, None);
    messages.push(json!({ "type": "url", "media": url }));
    messages
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
