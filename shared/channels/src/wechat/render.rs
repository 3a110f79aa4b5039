//! What a WeChat customer reads: every reply as plain text within the byte limit, and
//! consecutive replies packed into as few messages as fit.
//!
//! WeChat counts customer-service messages against a small quota, so packing is the renderer's
//! main job: [`messages`] joins a group's pieces in order, and `merge_groups` decides which
//! replies share a group (the sender's `batches`), so that a group never costs more messages
//! than its replies would on their own.

use crate::text::{Hint, numbered_text, split_bytes};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::reply::Reply;

/// WeChat's customer-service text limit, in **bytes** of UTF-8 (a Chinese character is three):
/// longer content is refused (45002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub text_bytes: usize,
}

/// Source: the customer-service message docs state 2048 bytes for text; the figure is older
/// than the current page and treated as the limit, not a target.
/// <https://developers.weixin.qq.com/doc/service/en/api/customer/message/api_sendcustommessage>
pub const LIMITS: Limits = Limits { text_bytes: 2048 };

/// What goes between two replies merged into one message.
const MERGE_SEPARATOR: &str = "\n\n";

/// The texts one reply shows, each within [`LIMITS`]; none when there is nothing to say.
pub fn render(lang: Lang, reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Text { body } => split_bytes(body, LIMITS.text_bytes),
        Reply::Choices { body, choices, .. } => split_bytes(
            &numbered_text(body, choices, lang, Hint::ReplyWithNumber),
            LIMITS.text_bytes,
        ),
        Reply::Image { url, caption } => {
            let mut parts: Vec<String> = caption
                .as_deref()
                .map(|c| split_bytes(c, LIMITS.text_bytes))
                .unwrap_or_default();
            parts.extend(split_bytes(url, LIMITS.text_bytes));
            parts
        }
        Reply::Link { body, label, url } => {
            let mut parts = split_bytes(body, LIMITS.text_bytes);
            parts.extend(split_bytes(&anchor(label, url), LIMITS.text_bytes));
            parts
        }
    }
}

/// A link WeChat shows as tappable text. A label or URL that would break the tag is shown as
/// plain `label: url` instead (WeChat links bare URLs too, just less nicely).
fn anchor(label: &str, url: &str) -> String {
    let breaks_tag = |s: &str| s.contains(['"', '<', '>']);
    let label = label.trim();
    if label.is_empty() || breaks_tag(label) || breaks_tag(url) {
        return if label.is_empty() {
            url.to_string()
        } else {
            format!("{label}: {url}")
        };
    }
    format!("<a href=\"{url}\">{label}</a>")
}

/// Joins consecutive pieces into as few messages as fit the limit, in order.
fn pack(pieces: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    for piece in pieces {
        match messages.last_mut() {
            Some(last) if last.len() + MERGE_SEPARATOR.len() + piece.len() <= LIMITS.text_bytes => {
                last.push_str(MERGE_SEPARATOR);
                last.push_str(&piece);
            }
            _ => messages.push(piece),
        }
    }
    messages
}

/// The messages a group of replies goes out as.
pub fn messages(lang: Lang, replies: &[Reply]) -> Vec<String> {
    pack(replies.iter().flat_map(|r| render(lang, r)))
}

/// Groups consecutive replies so that each group costs as few messages as its replies would
/// alone: a reply joins the group when adding it does not add a message.
pub(super) fn merge_groups(lang: Lang, replies: &[Reply]) -> Vec<usize> {
    let mut groups = Vec::new();
    let mut start = 0;
    for end in 1..replies.len() {
        let current = messages(lang, &replies[start..end]).len();
        let extended = messages(lang, &replies[start..=end]).len();
        if extended > current.max(1) {
            groups.push(end - start);
            start = end;
        }
    }
    if start < replies.len() {
        groups.push(replies.len() - start);
    }
    groups
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
