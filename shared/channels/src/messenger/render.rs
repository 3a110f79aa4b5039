//! Messenger's rendering: a [`Reply`] as Send API `message` objects that fit [`LIMITS`].
//!
//! Choices are quick replies hanging off a text, with the full list numbered in the text when
//! a title would be cut or a choice has a description; links are a button template, which
//! does not vanish after a tap. A payload is never cut to fit: a cut one would come back as an
//! action we never offered.

use crate::text::{Hint, char_count, numbered_text};
use crate::{split_text, truncate_chars};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Messenger's message limits, in characters. Past any of them the Send API rejects the whole
/// message (error 100), so the renderer picks a form that fits instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A text message, with or without quick replies.
    pub text: usize,
    pub quick_replies: usize,
    /// Longer titles are cut by Messenger itself; we cut them first, visibly.
    pub quick_reply_title: usize,
    pub quick_reply_payload: usize,
    /// The button template's text.
    pub button_template_text: usize,
    pub button_title: usize,
}

/// Sources: <https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies>
/// and .../send-messages/template/button (the quick-reply payload limit is assumed equal to the
/// postback button's, unconfirmed) and the Send API's 2000-character text limit
/// (<https://developers.facebook.com/docs/messenger-platform/reference/send-api>).
pub const LIMITS: Limits = Limits {
    text: 2000,
    quick_replies: 13,
    quick_reply_title: 20,
    quick_reply_payload: 1000,
    button_template_text: 640,
    button_title: 20,
};

/// The Send API `message` objects for one reply, in sending order: usually one, several when
/// text must be split or an image has a caption, none when there is nothing to say (an empty
/// text cannot be sent).
pub fn render(lang: Lang, reply: &Reply) -> Vec<Value> {
    match reply {
        Reply::Text { body } => text_messages(body),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    }
}

fn text_messages(text: &str) -> Vec<Value> {
    split_text(text, LIMITS.text)
        .into_iter()
        .map(|text| json!({ "text": text }))
        .collect()
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Value> {
    if choices.is_empty() {
        return text_messages(body);
    }
    // A payload is never cut: a cut one would come back as an action we never offered.
    let mut seen = HashSet::new();
    let tappable = choices.len() <= LIMITS.quick_replies
        && choices.iter().all(|c| {
            (1..=LIMITS.quick_reply_payload).contains(&char_count(&c.id))
                && !c.title.trim().is_empty()
                && seen.insert(c.id.as_str())
        });
    if !tappable {
        return text_messages(&numbered_text(body, choices, lang, Hint::ReplyWithNumber));
    }
    // When a title would be cut or a choice carries a description, the full list goes in the
    // text and each quick reply bears its number, so the customer can match the two.
    let detailed = choices.iter().any(|c| {
        char_count(&c.title) > LIMITS.quick_reply_title
            || c.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
    });
    let text = if detailed {
        numbered_text(body, choices, lang, Hint::None)
    } else if body.trim().is_empty() {
        // Quick replies must hang off a non-empty text.
        if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        }
    } else {
        body.to_string()
    };
    let quick_replies: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let title = if detailed {
                format!("{}. {}", i + 1, c.title)
            } else {
                c.title.clone()
            };
            json!({
                "content_type": "text",
                "title": truncate_chars(&title, LIMITS.quick_reply_title),
                "payload": c.id,
            })
        })
        .collect();
    // A body too long for one message goes out in parts; the buttons ride on the last.
    let mut parts = text_messages(&text);
    match parts.last_mut() {
        Some(last) => last["quick_replies"] = Value::Array(quick_replies),
        None => parts
            .push(json!({ "text": Msg::ChooseLabel.text(lang), "quick_replies": quick_replies })),
    }
    parts
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Value> {
    // `is_reusable` lets Messenger cache the picture: a catalog image is sent again and again.
    let mut out = vec![json!({
        "attachment": { "type": "image", "payload": { "url": url, "is_reusable": true } }
    })];
    // Messenger attachments have no caption: the words follow as their own message.
    if let Some(c) = caption {
        out.extend(text_messages(c));
    }
    out
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Value> {
    let fits = !body.trim().is_empty()
        && char_count(body) <= LIMITS.button_template_text
        && !label.trim().is_empty()
        && !url.trim().is_empty();
    if !fits {
        return text_messages(&format!("{body}\n\n{label}: {url}"));
    }
    vec![json!({
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": body,
                "buttons": [{
                    "type": "web_url",
                    "url": url,
                    "title": truncate_chars(label, LIMITS.button_title),
                }],
            },
        },
    })]
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
