//! Text every renderer needs: cutting to a platform's length (in characters or in bytes), and
//! the numbered-choice fallback.
//!
//! Every platform can show plain text, and the domain resolves a typed number against the
//! choices offered last, so a numbered list is the one rendering of a choice that works
//! everywhere: what a renderer falls back to when buttons cannot carry the choice (too many,
//! too long, or a platform without them). It lives here once so it reads the same on every
//! channel.
//!
//! Renderers speak chatdrop's shipped text (a `Lang` is the shipped voice): they see a reply
//! bundle, not the catalog, so a retailer's override of `reply-with-number` or `choose-label`
//! does not reach them.

use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::Choice;

/// Splits text into pieces of at most `max_chars` characters, for platforms that cap a message's
/// length. Cuts prefer a line break, then a space, in the second half of the window, so a long
/// list is split between lines rather than inside a word; a run without either is cut hard.
/// Whitespace-only text yields nothing: every platform rejects an empty message, and sending
/// nothing is the only faithful rendering of it.
pub(crate) fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    split_where(text, |rest| {
        rest.char_indices().nth(max_chars).map(|(cut, _)| cut)
    })
}

/// [`split_text`] for a platform that counts UTF-8 **bytes** (WeChat: a Chinese character is
/// three): pieces of at most `max_bytes` bytes, cut the same way, and never inside a character.
pub(crate) fn split_bytes(text: &str, max_bytes: usize) -> Vec<String> {
    // Room for the widest character, so that every hard cut makes progress.
    let max_bytes = max_bytes.max(4);
    split_where(text, |rest| {
        (rest.len() > max_bytes).then(|| floor_char_boundary(rest, max_bytes))
    })
}

/// The splitting both measures share. `hard_cut` says where a piece must end at the latest (a
/// byte offset past zero), or `None` when the rest fits whole.
fn split_where(text: &str, hard_cut: impl Fn(&str) -> Option<usize>) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    if hard_cut(text).is_none() {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(cut) = hard_cut(rest) else {
            parts.push(rest.to_string());
            break;
        };
        let window = &rest[..cut];
        let half = window.len() / 2;
        let at = window
            .rfind('\n')
            .filter(|&i| i >= half && i > 0)
            .or_else(|| {
                window
                    .rfind(char::is_whitespace)
                    .filter(|&i| i >= half && i > 0)
            })
            .unwrap_or(cut);
        let (head, tail) = rest.split_at(at);
        parts.push(head.trim_end().to_string());
        rest = tail.trim_start();
    }
    parts
}

/// The largest char boundary of `s` at or below `max` bytes (`str::floor_char_boundary`, which
/// is newer than this crate's minimum Rust).
fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut at = max.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Shortens `text` to at most `max_chars` characters, marking a cut with `…` so the reader
/// knows there was more.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    if max_chars > 0 {
        out.push('…');
    }
    out
}

/// The length platforms count their limits in: characters, not bytes (a 20-character title
/// in Japanese is 60 bytes and still fits).
pub(crate) fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// A payload's text field where empty means absent (a tapped button's title): `None` rather
/// than an empty string the domain would show.
pub(crate) fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// One line of a numbered choice list: what a customer reads when a platform's buttons cannot
/// carry the choice. `n` is the choice's position among all offered choices, because that is
/// the number the domain resolves a typed answer against.
pub(crate) fn numbered_line(n: usize, title: &str, description: Option<&str>) -> String {
    match description.filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{n}. {title} — {d}"),
        None => format!("{n}. {title}"),
    }
}

/// Whether a numbered list ends with "reply with a number". Leave it off only where the
/// same message still offers tappable buttons for the same choices (Messenger's quick
/// replies under a list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    ReplyWithNumber,
    None,
}

/// The body, a blank line, the choices numbered from 1, and the hint in the customer's
/// language. Without choices it is the body alone: there is nothing to number.
pub(crate) fn numbered_text(body: &str, choices: &[Choice], lang: Lang, hint: Hint) -> String {
    if choices.is_empty() {
        return body.to_string();
    }
    let lines: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| numbered_line(i + 1, &c.title, c.description.as_deref()))
        .collect();
    let mut text = String::new();
    if !body.trim().is_empty() {
        text.push_str(body);
        text.push_str("\n\n");
    }
    text.push_str(&lines.join("\n"));
    if hint == Hint::ReplyWithNumber {
        text.push_str("\n\n");
        text.push_str(&Msg::ReplyWithNumber.text(lang));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_as_is_and_blank_text_dropped() {
        assert_eq!(split_text(" hi ", 10), vec![" hi ".to_string()]);
        assert!(split_text("  \n ", 10).is_empty());
        assert!(split_text("", 10).is_empty());
    }

    #[test]
    fn long_text_splits_on_lines_then_spaces_then_hard() {
        assert_eq!(split_text("aaaa\nbbbb\ncc", 10), vec!["aaaa\nbbbb", "cc"]);
        assert_eq!(split_text("aaaa bbbb cc", 10), vec!["aaaa bbbb", "cc"]);
        assert_eq!(split_text("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        // Characters, not bytes: multibyte text is cut on character boundaries.
        let parts = split_text(&"é".repeat(11), 5);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 5));
    }

    #[test]
    fn byte_splits_cut_the_same_way_and_never_inside_a_character() {
        assert_eq!(split_bytes("aaaa\nbbbb\ncc", 10), vec!["aaaa\nbbbb", "cc"]);
        assert_eq!(split_bytes("  \n ", 10), Vec::<String>::new());
        // Three bytes a character: ten bytes hold three of them.
        assert_eq!(split_bytes(&"好".repeat(4), 10), vec!["好好好", "好"]);
        // Below four bytes the widest character would never fit: four it is.
        assert_eq!(split_bytes("好好", 1), vec!["好", "好"]);
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        assert_eq!(truncate_chars("ééééé", 4), "ééé…");
        assert_eq!(truncate_chars("abc", 0), "");
    }

    fn choice(title: &str, description: Option<&str>) -> Choice {
        Choice {
            id: format!("p:{title}"),
            title: title.into(),
            description: description.map(String::from),
        }
    }

    #[test]
    fn numbered_text_numbers_from_one_with_descriptions_and_the_hint() {
        let choices = [choice("Tote", Some("$12.00")), choice("Mug", None)];
        assert_eq!(
            numbered_text("Pick one", &choices, Lang::EN, Hint::ReplyWithNumber),
            format!(
                "Pick one\n\n1. Tote — $12.00\n2. Mug\n\n{}",
                Msg::ReplyWithNumber.text(Lang::EN)
            )
        );
        assert_eq!(
            numbered_text(" ", &choices, Lang::EN, Hint::None),
            "1. Tote — $12.00\n2. Mug"
        );
        assert_eq!(
            numbered_text("Hi", &[], Lang::EN, Hint::ReplyWithNumber),
            "Hi"
        );
    }
}
