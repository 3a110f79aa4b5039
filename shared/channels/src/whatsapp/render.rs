//! WhatsApp's rendering: a [`Reply`] as Graph API message bodies that fit [`LIMITS`].
//!
//! Every body is one envelope (`messaging_product`, recipient, `type`) around one content
//! object named by its type. A choice is the richest form that fits: reply buttons, then a
//! list, then numbered text; an id is never cut to make it fit, because a cut id would come
//! back as a payload we never issued.

use super::OrderUpdateTemplate;
use crate::text::{Hint, char_count, numbered_text};
use crate::{split_text, truncate_chars};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, MarketingTemplate, OrderUpdate, Reply};
use serde_json::{Map, Value, json};
use std::collections::HashSet;

/// WhatsApp's message limits, in characters. Past any of them the Graph API rejects the whole
/// message (error 100 or 131009), so the renderer picks a form that fits instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub text_body: usize,
    pub interactive_body: usize,
    pub reply_buttons: usize,
    pub button_title: usize,
    pub button_id: usize,
    pub list_rows: usize,
    pub row_title: usize,
    pub row_description: usize,
    pub row_id: usize,
    pub list_button: usize,
    pub cta_display_text: usize,
    pub image_caption: usize,
    /// A template's text parameter (Meta's limit for body parameters is 1024 less the
    /// template's own text; 200 keeps every approved template within it).
    pub template_parameter: usize,
}

/// Sources: Meta's interactive-message docs,
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages>
/// and .../interactive-list-messages (the list row limits are consistent across SDKs, e.g.
/// whatsapp-api-js, but not seen in a doc excerpt).
pub const LIMITS: Limits = Limits {
    text_body: 4096,
    interactive_body: 1024,
    reply_buttons: 3,
    button_title: 20,
    button_id: 256,
    list_rows: 10,
    row_title: 24,
    row_description: 72,
    row_id: 200,
    list_button: 20,
    cta_display_text: 20,
    image_caption: 1024,
    template_parameter: 200,
};

/// The Graph API request bodies for one reply, in sending order: usually one, several when text
/// must be split, none when there is nothing to say (an empty text cannot be sent).
pub fn render(to: &str, lang: Lang, reply: &Reply) -> Vec<Value> {
    let contents = match reply {
        Reply::Text { body } => text_messages(body),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(url, caption.as_deref()),
        Reply::Link { body, label, url } => render_link(body, label, url),
    };
    contents
        .into_iter()
        .map(|(kind, payload)| envelope(to, kind, payload))
        .collect()
}

fn envelope(to: &str, kind: &'static str, payload: Value) -> Value {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    body.insert("to".into(), json!(to));
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), payload);
    Value::Object(body)
}

type Content = (&'static str, Value);

fn text_messages(text: &str) -> Vec<Content> {
    split_text(text, LIMITS.text_body)
        .into_iter()
        .map(|body| ("text", json!({ "body": body, "preview_url": false })))
        .collect()
}

/// Interactive messages need a non-empty body that fits; otherwise only text can carry it.
fn fits_interactive_body(body: &str) -> bool {
    !body.trim().is_empty() && char_count(body) <= LIMITS.interactive_body
}

fn all_unique<'a>(items: impl IntoIterator<Item = &'a str>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|i| seen.insert(i))
}

fn render_choices(body: &str, menu_label: &str, choices: &[Choice], lang: Lang) -> Vec<Content> {
    if choices.is_empty() {
        return text_messages(body);
    }
    let body_fits = fits_interactive_body(body);
    let ids_unique = all_unique(choices.iter().map(|c| c.id.as_str()));
    let titles_present = choices.iter().all(|c| !c.title.trim().is_empty());

    // Reply buttons are one tap and always visible, so they are preferred; Meta also requires
    // their titles to be distinct.
    let buttons_fit = body_fits
        && ids_unique
        && titles_present
        && choices.len() <= LIMITS.reply_buttons
        && all_unique(choices.iter().map(|c| c.title.as_str()))
        && choices.iter().all(|c| {
            char_count(&c.title) <= LIMITS.button_title
                && (1..=LIMITS.button_id).contains(&char_count(&c.id))
        });
    if buttons_fit {
        let buttons: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "type": "reply", "reply": { "id": c.id, "title": c.title } }))
            .collect();
        return vec![(
            "interactive",
            json!({
                "type": "button",
                "body": { "text": body },
                "action": { "buttons": buttons },
            }),
        )];
    }

    // A list truncates what does not fit (titles, descriptions) but never an id: a cut id
    // would send back a payload we never issued.
    let list_fits = body_fits
        && ids_unique
        && titles_present
        && choices.len() <= LIMITS.list_rows
        && choices
            .iter()
            .all(|c| (1..=LIMITS.row_id).contains(&char_count(&c.id)));
    if list_fits {
        let rows: Vec<Value> = choices.iter().map(list_row).collect();
        let label = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
        return vec![(
            "interactive",
            json!({
                "type": "list",
                "body": { "text": body },
                "action": {
                    "button": truncate_chars(&label, LIMITS.list_button),
                    "sections": [{ "rows": rows }],
                },
            }),
        )];
    }

    text_messages(&numbered_text(body, choices, lang, Hint::ReplyWithNumber))
}

fn list_row(choice: &Choice) -> Value {
    let title = truncate_chars(&choice.title, LIMITS.row_title);
    // A cut title moves in full to the description, so the customer still reads all of it.
    let description = if title != choice.title {
        Some(match choice.description.as_deref() {
            Some(d) if !d.trim().is_empty() => format!("{} — {d}", choice.title),
            _ => choice.title.clone(),
        })
    } else {
        choice.description.clone().filter(|d| !d.trim().is_empty())
    };
    let mut row = json!({ "id": choice.id, "title": title });
    if let Some(d) = description {
        row["description"] = json!(truncate_chars(&d, LIMITS.row_description));
    }
    row
}

fn render_image(url: &str, caption: Option<&str>) -> Vec<Content> {
    match caption.filter(|c| !c.trim().is_empty()) {
        None => vec![("image", json!({ "link": url }))],
        Some(c) if char_count(c) <= LIMITS.image_caption => {
            vec![("image", json!({ "link": url, "caption": c }))]
        }
        // Too long to caption: the picture first, then the words, rather than losing them.
        Some(c) => {
            let mut out = vec![("image", json!({ "link": url }))];
            out.extend(text_messages(c));
            out
        }
    }
}

fn render_link(body: &str, label: &str, url: &str) -> Vec<Content> {
    if !fits_interactive_body(body) || label.trim().is_empty() {
        return text_messages(&format!("{body}\n\n{label}: {url}"));
    }
    vec![(
        "interactive",
        json!({
            "type": "cta_url",
            "body": { "text": body },
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": truncate_chars(label, LIMITS.cta_display_text),
                    "url": url,
                },
            },
        }),
    )]
}

/// A template message: WhatsApp refuses parameters with line breaks, tabs or more than four
/// spaces in a row, so the summary is flattened first.
pub(super) fn template_message(
    to: &str,
    template: &OrderUpdateTemplate,
    update: &OrderUpdate,
) -> Value {
    let flat = |text: &str| {
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        truncate_chars(&one_line, LIMITS.template_parameter)
    };
    envelope(
        to,
        "template",
        json!({
            "name": template.name,
            "language": { "code": template.language },
            "components": [{
                "type": "body",
                "parameters": [
                    { "type": "text", "text": flat(&update.order_number) },
                    { "type": "text", "text": flat(&update.summary) },
                ],
            }],
        }),
    )
}

/// A drop announcement: an approved MARKETING template with its body parameters, flattened as
/// WhatsApp requires (<https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates>).
pub(super) fn marketing_template_message(to: &str, template: &MarketingTemplate) -> Value {
    let parameters: Vec<Value> = template
        .params
        .iter()
        .map(|p| {
            let one_line = p.split_whitespace().collect::<Vec<_>>().join(" ");
            json!({ "type": "text", "text": truncate_chars(&one_line, LIMITS.template_parameter) })
        })
        .collect();
    let components = if parameters.is_empty() {
        json!([])
    } else {
        json!([{ "type": "body", "parameters": parameters }])
    };
    envelope(
        to,
        "template",
        json!({
            "name": template.name,
            "language": { "code": template.language },
            "components": components,
        }),
    )
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
