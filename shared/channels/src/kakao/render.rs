//! Rendering: the replies of one turn as one Open Builder skill response (version 2.0), within
//! [`LIMITS`].
//!
//! Other adapters render each reply into its own platform messages and send them in order; here
//! every reply of the turn (all the bundles a hand-off chain produced) must fit one response of
//! at most three outputs, so the renderer first maps each reply to an output, then merges and
//! degrades until it fits:
//!
//! - text is a `simpleText` (split at 1,000 characters; adjacent texts merged);
//! - a link is a `basicCard` whose one button is a `webLink` (a body over the card's 230
//!   characters goes before it as text); the QR image that follows a pay link becomes the same
//!   card's thumbnail, so the pay link and its QR are one output;
//! - an image is a `simpleImage` (HTTPS only: anything else is shown as its address);
//! - the turn's last choices are `quickReplies` (≤ 10, labels cut to 14 characters and listed
//!   in full in the text when cut, as LINE's renderer does) going back to the calling block with
//!   the payload in `extra`; choices that cannot be quick replies (more than 10, or with
//!   descriptions worth reading: prices) are `listCard`s of five, in a `carousel` when more than
//!   one, each row a `block` action carrying the payload;
//! - past three outputs, the rest is folded into one last `simpleText`, and a response over
//!   Kakao's size cap becomes numbered text (which the domain resolves: a typed number picks from
//!   the choices offered last).
//!
//! - a product's page (its picture, then its words and at most three choices, one of them "add
//!   to cart") is a `commerceCard` when the caller knows its price in won
//!   ([`render_with_prices`]; the `kakao` function looks it up in the catalog, since the
//!   channel-neutral `Reply` carries the price only as words): the picture as its one
//!   thumbnail, the name as its title, the price as Kakao's number with `currency` `won`, the
//!   choices as its `block` buttons. Without a price in won (another market's currency), over
//!   HTTP, with more than three choices or no block to return to, the page degrades to what
//!   any picture and choices become above; a description over the card's 230 characters goes
//!   before the card as text, as a link card's does.

use crate::text::{Hint, numbered_text, split_text, truncate_chars};
use chatdrop_domain::action::Action;
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use serde_json::{Value, json};

/// Open Builder's limits. Sources: the skill response format
/// <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format> (the
/// component list and fields; its numbers could not be read in full), the numbers as listed by
/// yes506/kakao-chatbot-docs `kakao-skill-response-types.md` and matching third-party SDK
/// constants (secondary sources; each is pinned in `render_tests.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `template.outputs`: 1 to 3.
    pub outputs: usize,
    pub quick_replies: usize,
    /// A quick reply's `label`, in characters.
    pub quick_reply_label: usize,
    /// A quick reply's `messageText`, in characters.
    pub message_text: usize,
    /// `simpleText.text`, in characters.
    pub simple_text: usize,
    /// A card's `title`.
    pub card_title: usize,
    /// A card's `description`.
    pub card_description: usize,
    /// A `basicCard` or `commerceCard` button's `label`.
    pub button_label: usize,
    /// A `basicCard`'s or `commerceCard`'s buttons.
    pub card_buttons: usize,
    /// A `listCard`'s items.
    pub list_items: usize,
    /// A `carousel`'s items.
    pub carousel_items: usize,
    /// The whole response body, in bytes: larger ones may not render (Nuff integration guide).
    pub response_bytes: usize,
}

pub const LIMITS: Limits = Limits {
    outputs: 3,
    quick_replies: 10,
    quick_reply_label: 14,
    message_text: 1000,
    simple_text: 1000,
    card_title: 50,
    card_description: 230,
    button_label: 14,
    card_buttons: 3,
    list_items: 5,
    carousel_items: 10,
    response_bytes: 30_720,
};

/// What one reply becomes before the outputs are counted.
#[derive(Debug, Clone, PartialEq)]
enum Output {
    Text(String),
    Image {
        url: String,
        alt: String,
    },
    /// A `basicCard` with one `webLink` button.
    Link {
        description: String,
        label: String,
        url: String,
        thumbnail: Option<String>,
    },
    /// A `commerceCard`: a product with its price in won and up to three `block` buttons.
    Commerce {
        title: String,
        description: String,
        /// Whole won.
        price: i64,
        thumbnail: String,
        buttons: Vec<Choice>,
    },
    /// Tappable rows: `listCard`s of [`Limits::list_items`].
    List {
        header: String,
        choices: Vec<Choice>,
        /// The number of the first row among the choices offered (for the text fallback).
        first: usize,
    },
}

fn is_https(url: &str) -> bool {
    url.starts_with("https://")
}

/// A product's price in whole won by product id, for its `commerceCard`; `None`: no card.
pub type PricesInWon<'a> = &'a dyn Fn(&str) -> Option<i64>;

/// The skill response answering one turn: `replies` in order, spoken in `lang`; taps return to
/// `block_id` (without one, choices are numbered text: a tap would reach no skill). No product
/// is shown as a `commerceCard` (see [`render_with_prices`]).
pub fn render_response(lang: Lang, block_id: Option<&str>, replies: &[Reply]) -> Value {
    render_with_prices(lang, block_id, replies, &|_| None)
}

/// The product a page of `image` then `next` shows as a `commerceCard`, if it can be one: an
/// HTTPS picture, at most [`Limits::card_buttons`] choices, one adding a product whose price
/// in won `prices` knows.
fn commerce(
    image: &str,
    caption: Option<&str>,
    next: Option<&Reply>,
    prices: PricesInWon<'_>,
) -> Option<(Output, Option<String>)> {
    let Some(Reply::Choices { body, choices, .. }) = next else {
        return None;
    };
    if !is_https(image) || choices.is_empty() || choices.len() > LIMITS.card_buttons {
        return None;
    }
    let price = choices.iter().find_map(|c| match Action::decode(&c.id) {
        Some(Action::Add(product)) => prices(&product),
        _ => None,
    })?;
    let title = caption
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string)
        .or_else(|| body.lines().next().map(str::to_string))
        .unwrap_or_default();
    // The words the card cannot hold go before it, whole.
    let (description, before) = if body.chars().count() > LIMITS.card_description {
        (title.clone(), Some(body.clone()))
    } else {
        (body.clone(), None)
    };
    Some((
        Output::Commerce {
            title,
            description,
            price,
            thumbnail: image.to_string(),
            buttons: choices.clone(),
        },
        before,
    ))
}

/// [`render_response`], showing a product's page as a `commerceCard` when `prices` knows the
/// product's price in won.
pub fn render_with_prices(
    lang: Lang,
    block_id: Option<&str>,
    replies: &[Reply],
    prices: PricesInWon<'_>,
) -> Value {
    let last_choices = replies
        .iter()
        .rposition(|r| matches!(r, Reply::Choices { choices, .. } if !choices.is_empty()));
    let mut outputs = Vec::new();
    let mut quick: Vec<Choice> = Vec::new();
    let mut i = 0;
    while i < replies.len() {
        match &replies[i] {
            Reply::Text { body } => outputs.push(Output::Text(body.clone())),
            Reply::Link { body, label, url } if url.is_empty() => {
                // No address, no button: the words alone.
                outputs.push(Output::Text(
                    format!("{body}\n\n{label}").trim().to_string(),
                ));
            }
            Reply::Link { body, label, url } => {
                // A card cuts its description at 230 characters; a longer body (a cart of many
                // lines above the total) is its own text, and the card carries the button.
                let description = if body.chars().count() > LIMITS.card_description {
                    outputs.push(Output::Text(body.clone()));
                    label.clone()
                } else {
                    body.clone()
                };
                // The pay link's QR follows it: one card, the code as its picture.
                let thumbnail = match replies.get(i + 1) {
                    Some(Reply::Image { url: image, .. }) if is_https(image) => {
                        i += 1;
                        Some(image.clone())
                    }
                    _ => None,
                };
                outputs.push(Output::Link {
                    description,
                    label: label.clone(),
                    url: url.clone(),
                    thumbnail,
                });
            }
            Reply::Image { url, caption } => {
                if block_id.is_some()
                    && let Some((card, before)) =
                        commerce(url, caption.as_deref(), replies.get(i + 1), prices)
                {
                    // The page's choices are the card's buttons, never quick replies as well.
                    i += 2;
                    outputs.extend(before.map(Output::Text));
                    outputs.push(card);
                    continue;
                }
                let caption = caption.clone().unwrap_or_default();
                if is_https(url) {
                    outputs.push(Output::Image {
                        url: url.clone(),
                        alt: caption.clone(),
                    });
                    outputs.push(Output::Text(caption));
                } else {
                    // Kakao shows HTTPS images only; the address still reaches the customer.
                    outputs.push(Output::Text(format!("{caption}\n{url}").trim().to_string()));
                }
            }
            Reply::Choices {
                body,
                menu_label,
                choices,
            } => {
                let last = Some(i) == last_choices;
                outputs.extend(choice_outputs(
                    body, menu_label, choices, lang, block_id, last,
                ));
                if last && block_id.is_some() && fits_quick_replies(choices) {
                    quick = choices.clone();
                }
            }
        }
        i += 1;
    }
    let mut outputs = merge_texts(outputs);
    if outputs.is_empty() {
        // Kakao needs at least one output, and quick replies ride on one.
        outputs.push(Output::Text(Msg::ChooseLabel.text(lang)));
    }
    let outputs = fold_overflow(outputs, lang);
    let rich = response(&outputs, &quick, block_id);
    if rich.to_string().len() <= LIMITS.response_bytes {
        return rich;
    }
    // Over the size cap (a very long catalog list): everything as text, which always fits.
    let text = outputs
        .iter()
        .map(|o| as_text(o, lang))
        .collect::<Vec<_>>()
        .join("\n\n");
    let parts = split_text(&text, LIMITS.simple_text);
    let outputs: Vec<Output> = parts
        .into_iter()
        .take(LIMITS.outputs)
        .map(Output::Text)
        .collect();
    response(&outputs, &[], block_id)
}

/// Whether choices can be quick replies: few enough, and nothing in a description that a
/// button would hide.
fn fits_quick_replies(choices: &[Choice]) -> bool {
    choices.len() <= LIMITS.quick_replies && !has_descriptions(choices)
}

fn has_descriptions(choices: &[Choice]) -> bool {
    choices.iter().any(|c| {
        c.description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    })
}

fn choice_outputs(
    body: &str,
    menu_label: &str,
    choices: &[Choice],
    lang: Lang,
    block_id: Option<&str>,
    last: bool,
) -> Vec<Output> {
    if choices.is_empty() {
        return vec![Output::Text(body.to_string())];
    }
    if block_id.is_none() {
        let hint = if last {
            Hint::ReplyWithNumber
        } else {
            Hint::None
        };
        return vec![Output::Text(numbered_text(body, choices, lang, hint))];
    }
    if last && fits_quick_replies(choices) {
        // A label cut to 14 characters hides the choice: list them in full above the buttons.
        let cut = choices
            .iter()
            .any(|c| c.title.chars().count() > LIMITS.quick_reply_label);
        let text = if cut {
            numbered_text(body, choices, lang, Hint::None)
        } else {
            body.to_string()
        };
        return vec![Output::Text(text)];
    }
    let rows = LIMITS.list_items * LIMITS.carousel_items;
    if choices.len() > rows {
        let hint = if last {
            Hint::ReplyWithNumber
        } else {
            Hint::None
        };
        return vec![Output::Text(numbered_text(body, choices, lang, hint))];
    }
    // The body heads the list when it fits a card's title; otherwise it is its own text.
    let mut out = Vec::new();
    let header = if body.chars().count() <= LIMITS.card_title && !body.trim().is_empty() {
        body.to_string()
    } else {
        if !body.trim().is_empty() {
            out.push(Output::Text(body.to_string()));
        }
        menu_label.to_string()
    };
    out.push(Output::List {
        header,
        choices: choices.to_vec(),
        first: 1,
    });
    out
}

/// Adjacent texts as one `simpleText` while they fit; blank texts dropped; longer texts split.
fn merge_texts(outputs: Vec<Output>) -> Vec<Output> {
    let mut merged: Vec<Output> = Vec::new();
    for output in outputs {
        match output {
            Output::Text(text) if text.trim().is_empty() => {}
            Output::Text(text) => {
                if let Some(Output::Text(previous)) = merged.last_mut() {
                    let joined = previous.chars().count() + 2 + text.chars().count();
                    if joined <= LIMITS.simple_text {
                        previous.push_str("\n\n");
                        previous.push_str(&text);
                        continue;
                    }
                }
                merged.extend(
                    split_text(&text, LIMITS.simple_text)
                        .into_iter()
                        .map(Output::Text),
                );
            }
            other => merged.push(other),
        }
    }
    merged
}

/// At most [`Limits::outputs`]: the first ones as they are, the rest as one text.
fn fold_overflow(mut outputs: Vec<Output>, lang: Lang) -> Vec<Output> {
    if outputs.len() <= LIMITS.outputs {
        return outputs;
    }
    let rest = outputs.split_off(LIMITS.outputs - 1);
    let text = rest
        .iter()
        .map(|o| as_text(o, lang))
        .collect::<Vec<_>>()
        .join("\n\n");
    outputs.push(Output::Text(truncate_chars(&text, LIMITS.simple_text)));
    outputs
}

/// An output as plain text: what it says, with its address.
fn as_text(output: &Output, lang: Lang) -> String {
    match output {
        Output::Text(text) => text.clone(),
        Output::Image { url, alt } => format!("{alt}\n{url}").trim().to_string(),
        Output::Link {
            description,
            label,
            url,
            ..
        } => format!("{description}\n\n{label}: {url}")
            .trim()
            .to_string(),
        Output::List {
            header, choices, ..
        } => numbered_text(header, choices, lang, Hint::ReplyWithNumber),
        Output::Commerce {
            description,
            thumbnail,
            buttons,
            ..
        } => numbered_text(
            &format!("{thumbnail}\n{description}"),
            buttons,
            lang,
            Hint::ReplyWithNumber,
        ),
    }
}

fn response(outputs: &[Output], quick: &[Choice], block_id: Option<&str>) -> Value {
    let block_id = block_id.unwrap_or_default();
    let outputs: Vec<Value> = outputs.iter().map(|o| output(o, block_id)).collect();
    let mut template = json!({ "outputs": outputs });
    if !quick.is_empty() {
        template["quickReplies"] = quick
            .iter()
            .enumerate()
            .map(|(i, c)| quick_reply(i + 1, c, block_id))
            .collect();
    }
    json!({ "version": "2.0", "template": template })
}

fn title_or_number(n: usize, c: &Choice) -> String {
    // Kakao refuses an empty label; the number still identifies the choice.
    if c.title.trim().is_empty() {
        n.to_string()
    } else {
        c.title.clone()
    }
}

fn quick_reply(n: usize, c: &Choice, block_id: &str) -> Value {
    let title = title_or_number(n, c);
    json!({
        "label": truncate_chars(&title, LIMITS.quick_reply_label),
        "action": "block",
        "blockId": block_id,
        // Shown in the chat as the customer's own words, and sent back as the utterance.
        "messageText": truncate_chars(&title, LIMITS.message_text),
        "extra": { "payload": c.id },
    })
}

fn output(o: &Output, block_id: &str) -> Value {
    match o {
        Output::Text(text) => json!({ "simpleText": { "text": text } }),
        Output::Image { url, alt } => {
            json!({ "simpleImage": { "imageUrl": url, "altText": truncate_chars(alt, LIMITS.simple_text) } })
        }
        Output::Link {
            description,
            label,
            url,
            thumbnail,
        } => {
            let mut card = json!({
                "description": truncate_chars(description, LIMITS.card_description),
                "buttons": [{
                    "action": "webLink",
                    "label": truncate_chars(label, LIMITS.button_label),
                    "webLinkUrl": url,
                }],
            });
            if let Some(image) = thumbnail {
                card["thumbnail"] = json!({ "imageUrl": image });
            }
            json!({ "basicCard": card })
        }
        Output::Commerce {
            title,
            description,
            price,
            thumbnail,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let title = title_or_number(k + 1, c);
                    json!({
                        "action": "block",
                        "label": truncate_chars(&title, LIMITS.button_label),
                        "blockId": block_id,
                        "messageText": truncate_chars(&title, LIMITS.message_text),
                        "extra": { "payload": c.id },
                    })
                })
                .collect();
            json!({ "commerceCard": {
                "title": truncate_chars(title, LIMITS.card_title),
                "description": truncate_chars(description, LIMITS.card_description),
                "price": price,
                "currency": "won",
                "thumbnails": [{ "imageUrl": thumbnail }],
                "buttons": buttons,
            }})
        }
        Output::List {
            header,
            choices,
            first,
        } => {
            let cards: Vec<Value> = choices
                .chunks(LIMITS.list_items)
                .enumerate()
                .map(|(k, rows)| list_card(header, rows, first + k * LIMITS.list_items, block_id))
                .collect();
            if cards.len() == 1 {
                json!({ "listCard": cards[0] })
            } else {
                json!({ "carousel": { "type": "listCard", "items": cards } })
            }
        }
    }
}

fn list_card(header: &str, rows: &[Choice], first: usize, block_id: &str) -> Value {
    let items: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let title = title_or_number(first + k, c);
            let mut item = json!({
                "title": truncate_chars(&title, LIMITS.card_title),
                "action": "block",
                "blockId": block_id,
                "messageText": truncate_chars(&title, LIMITS.message_text),
                "extra": { "payload": c.id },
            });
            if let Some(d) = c.description.as_deref().filter(|d| !d.trim().is_empty()) {
                item["description"] = json!(truncate_chars(d, LIMITS.card_description));
            }
            item
        })
        .collect();
    json!({
        "header": { "title": truncate_chars(header, LIMITS.card_title) },
        "items": items,
    })
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
