//! Rendering: a [`Reply`] as LINE message objects, within [`LIMITS`] and counted as LINE counts.

use crate::text::{Hint, numbered_text, split_text, truncate_chars};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};

/// Messaging API limits the renderer applies. Sources: <https://github.com/line/line-openapi>
/// `messaging-api.yml` (messages per call, quick-reply items, postback data, URI and image URL
/// lengths) and <https://developers.line.biz/en/reference/messaging-api/> (text, labels,
/// `displayText`, `altText`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages in one reply or push call.
    pub messages_per_call: usize,
    /// A text message, in UTF-16 code units.
    pub text_utf16: usize,
    pub quick_reply_items: usize,
    /// An action's `label`, in characters (LINE counts grapheme clusters, never more).
    pub action_label: usize,
    /// A postback action's `data`, in characters.
    pub postback_data: usize,
    /// A postback action's `displayText`, in characters.
    pub display_text: usize,
    /// A Flex message's `altText`, in UTF-16 code units.
    pub alt_text: usize,
    /// A URI action's `uri`, in characters.
    pub uri: usize,
    /// An image message's `originalContentUrl` and `previewImageUrl`, in characters.
    pub image_url: usize,
    /// Ours, not LINE's: the longest body put in a Flex bubble before the link goes as text
    /// instead (a bubble is for a short call to action, and Flex caps a message's size).
    pub flex_body: usize,
}

pub const LIMITS: Limits = Limits {
    messages_per_call: 5,
    text_utf16: 5000,
    quick_reply_items: 13,
    action_label: 20,
    postback_data: 300,
    display_text: 300,
    alt_text: 1500,
    uri: 1000,
    image_url: 2000,
    flex_body: 2000,
};

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// [`split_text`], measured in UTF-16 code units: the window shrinks until every part fits.
fn split_utf16(text: &str, max_units: usize) -> Vec<String> {
    let mut max_chars = max_units.max(1);
    loop {
        let parts = split_text(text, max_chars);
        let worst = parts.iter().map(|p| utf16_len(p)).max().unwrap_or(0);
        if worst <= max_units || max_chars <= 1 {
            return parts;
        }
        // Shrink in proportion to the overshoot, and always by at least one character.
        max_chars = (max_chars * max_units / worst).clamp(1, max_chars - 1);
    }
}

/// [`truncate_chars`], measured in UTF-16 code units.
fn truncate_utf16(text: &str, max_units: usize) -> String {
    if utf16_len(text) <= max_units {
        return text.to_string();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > max_units.saturating_sub(1) {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    if max_units > 0 {
        out.push('…');
    }
    out
}

/// The LINE message objects for one reply, in sending order: usually one, several when text
/// must be split or an image has a caption, none for an empty text.
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

/// Text messages; a quick reply rides on the last one, the only place LINE shows it.
fn text_messages(text: &str, quick_reply: Option<Value>) -> Vec<Value> {
    let mut messages: Vec<Value> = split_utf16(text, LIMITS.text_utf16)
        .into_iter()
        .map(|part| json!({ "type": "text", "text": part }))
        .collect();
    if let (Some(last), Some(q)) = (messages.last_mut(), quick_reply) {
        last["quickReply"] = q;
    }
    messages
}

fn fits_postback_data(id: &str) -> bool {
    (1..=LIMITS.postback_data).contains(&id.chars().count())
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Value> {
    if choices.is_empty() {
        return text_messages(body, None);
    }
    // A payload is never cut to fit: the tap would bring back one we never issued.
    let fits = choices.len() <= LIMITS.quick_reply_items
        && choices.iter().all(|c| fits_postback_data(&c.id));
    if !fits {
        return text_messages(
            &numbered_text(body, choices, lang, Hint::ReplyWithNumber),
            None,
        );
    }
    let items: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| quick_reply_item(i + 1, c))
        .collect();
    // Quick-reply buttons show 20 characters and no description, and they vanish once the
    // customer answers; when a button cannot show all of a choice, the message lists it too.
    let hidden = choices.iter().any(|c| {
        c.title.chars().count() > LIMITS.action_label
            || c.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
    });
    // No "reply with a number" under the list: the buttons below it are the way to answer.
    let mut text = if hidden {
        numbered_text(body, choices, lang, Hint::None)
    } else {
        body.to_string()
    };
    // A quick reply must ride on a message, and a text message cannot be empty.
    if text.trim().is_empty() {
        text = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
    }
    text_messages(&text, Some(json!({ "items": items })))
}

fn quick_reply_item(n: usize, c: &Choice) -> Value {
    // LINE rejects an empty label; the number still identifies the choice.
    let title = if c.title.trim().is_empty() {
        n.to_string()
    } else {
        c.title.clone()
    };
    json!({
        "type": "action",
        "action": {
            "type": "postback",
            "label": truncate_chars(&title, LIMITS.action_label),
            "data": c.id,
            // Shown in the chat as the customer's own message, so the thread reads naturally.
            "displayText": truncate_chars(&title, LIMITS.display_text),
        },
    })
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Value> {
    let caption = caption.filter(|c| !c.trim().is_empty());
    if url.is_empty() || url.chars().count() > LIMITS.image_url {
        // LINE would refuse the image; the words and the address still reach the customer.
        let text = match caption {
            Some(c) => format!("{c}\n{url}"),
            None => url.to_string(),
        };
        return text_messages(&text, None);
    }
    // LINE images have no caption field: the picture first, then the words.
    let mut messages = vec![json!({
        "type": "image",
        "originalContentUrl": url,
        "previewImageUrl": url,
    })];
    if let Some(c) = caption {
        messages.extend(text_messages(c, None));
    }
    messages
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Value> {
    let label = if label.trim().is_empty() { url } else { label };
    if url.is_empty() || url.chars().count() > LIMITS.uri || body.chars().count() > LIMITS.flex_body
    {
        let text = if body.trim().is_empty() {
            format!("{label}: {url}")
        } else {
            format!("{body}\n\n{label}: {url}")
        };
        return text_messages(&text, None);
    }
    let button = json!({
        "type": "button",
        "style": "primary",
        "action": {
            "type": "uri",
            "label": truncate_chars(label, LIMITS.action_label),
            "uri": url,
        },
    });
    let mut bubble = json!({
        "type": "bubble",
        "footer": { "type": "box", "layout": "vertical", "contents": [button] },
    });
    if !body.trim().is_empty() {
        bubble["body"] = json!({
            "type": "box",
            "layout": "vertical",
            "contents": [{ "type": "text", "text": body, "wrap": true }],
        });
    }
    // What notifications and clients that cannot draw Flex show instead.
    let alt = if body.trim().is_empty() { label } else { body };
    vec![json!({
        "type": "flex",
        "altText": truncate_utf16(alt, LIMITS.alt_text),
        "contents": bubble,
    })]
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
