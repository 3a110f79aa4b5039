//! What an SMS customer reads, and what it costs: replies as GSM-7-friendly text within a
//! segment budget, choices as a numbered menu, and short texts merged into one message.
//!
//! The cost is the point. A message is billed per segment, and one character outside GSM-7
//! halves what a segment holds, so [`segments`] counts as the carrier will, [`gsm_friendly`]
//! swaps typography for its GSM-7 twin where that is enough, and the renderers shorten what can
//! give way (descriptions, titles, then the body) to stay within [`LIMITS`], never a link or a
//! choice.

use crate::text::{numbered_line, split_text, truncate_chars};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::reply::{Choice, Reply};
use std::borrow::Cow;

/// What the renderer keeps each reply within. Sources: Twilio's Messages API (`Body` at most
/// 1600 characters, <https://www.twilio.com/docs/api/errors/21617>); segment sizes from 3GPP
/// TS 23.038 / 23.040 (a
/// concatenated part gives 7 octets to its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Twilio's `Body` limit, in characters: longer text goes out as several messages.
    pub body_chars: usize,
    /// The most segments one reply should cost; menus, links and captions are shortened to it.
    pub segment_budget: usize,
    /// The first cut for a choice's description, in characters, before dropping it.
    pub description_chars: usize,
    /// The cut for a choice's title, in characters, when descriptions are gone and it still
    /// does not fit.
    pub title_chars: usize,
    pub gsm7: SegmentSizes,
    pub ucs2: SegmentSizes,
}

/// Characters (GSM-7 septets, or UCS-2 code units) one segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSizes {
    /// A message that fits one segment.
    pub single: usize,
    /// Each part of a concatenated message (the rest carries the concatenation header).
    pub part: usize,
}

pub const LIMITS: Limits = Limits {
    body_chars: 1600,
    segment_budget: 4,
    description_chars: 40,
    title_chars: 30,
    gsm7: SegmentSizes {
        single: 160,
        part: 153,
    },
    ucs2: SegmentSizes {
        single: 70,
        part: 67,
    },
};

/// The GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1), in code order, without the escape
/// (0x1B) that introduces the extension table: one septet each.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The default extension table (§6.2.1.1): escape plus one septet, two each.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Typographic characters outside GSM-7 and the GSM-7 text that reads the same.
const GSM7_LOOKALIKES: &[(char, &str)] = &[
    ('\u{2018}', "'"),
    ('\u{2019}', "'"),
    ('\u{201C}', "\""),
    ('\u{201D}', "\""),
    ('\u{2013}', "-"),
    ('\u{2014}', "-"),
    ('\u{2026}', "..."),
    ('\u{00A0}', " "),
    ('\u{2022}', "-"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The GSM-7 septets a character takes, if it has a GSM-7 form.
fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text is sent in and how many segments it is billed as: GSM-7 when every
/// character has a GSM-7 form, UCS-2 otherwise. A multi-part message is packed as handsets do:
/// an escaped character or a surrogate pair is never split across two parts. Empty text is
/// zero segments (there is nothing to send).
pub fn segments(text: &str) -> (Encoding, usize) {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (encoding, units, sizes) = match gsm {
        Some(units) => (Encoding::Gsm7, units, LIMITS.gsm7),
        None => (
            Encoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            LIMITS.ucs2,
        ),
    };
    let total: usize = units.iter().sum();
    if total == 0 {
        return (encoding, 0);
    }
    if total <= sizes.single {
        return (encoding, 1);
    }
    let (mut count, mut used) = (1, 0);
    for u in units {
        if used + u > sizes.part {
            count += 1;
            used = 0;
        }
        used += u;
    }
    (encoding, count)
}

/// Replaces typographic punctuation with its GSM-7 twin when that makes the whole text GSM-7,
/// halving its cost; text that needs UCS-2 anyway (Japanese, emoji) keeps its typography.
pub fn gsm_friendly(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match GSM7_LOOKALIKES.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    if out.chars().all(|c| gsm7_septets(c).is_some()) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

fn within_budget(text: &str) -> bool {
    segments(&gsm_friendly(text)).1 <= LIMITS.segment_budget
}

/// The message bodies for one reply, in sending order: usually one, several when text is over
/// Twilio's 1600 characters, none for an empty text (Twilio refuses an empty body).
pub fn render(lang: Lang, reply: &Reply) -> Vec<String> {
    let text = match reply {
        Reply::Text { body } => body.clone(),
        Reply::Choices { body, choices, .. } => render_choices(body, choices, lang),
        Reply::Image { url, caption } => with_url(caption.as_deref().unwrap_or(""), url),
        // The label ("Pay now") is for a button SMS does not have; the link says it.
        Reply::Link { body, url, .. } => with_url(body, url),
    };
    split_text(&gsm_friendly(&text), LIMITS.body_chars)
}

/// Text followed by a link, the text shortened to keep within the budget; the link never is.
fn with_url(text: &str, url: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return url.to_string();
    }
    let compose = |t: &str| format!("{t} {url}");
    let full = compose(text);
    if within_budget(&full) {
        return full;
    }
    match longest_fitting(text, |t| within_budget(&compose(t))) {
        Some(cut) => compose(&cut),
        None => url.to_string(),
    }
}

/// The longest cut of `text` (marked with an ellipsis) that `fits`, or `None` when no non-empty
/// cut does. Shorter cuts never cost more segments, so a binary search finds it.
fn longest_fitting(text: &str, fits: impl Fn(&str) -> bool) -> Option<String> {
    let (mut lo, mut hi) = (1, text.chars().count());
    let mut best = None;
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let cut = truncate_chars(text, mid);
        if fits(&cut) {
            best = Some(cut);
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    best
}

/// How much of each choice a menu shows.
#[derive(Clone, Copy)]
struct Detail {
    /// `None`: descriptions left out; `Some(n)`: cut to `n` characters (`usize::MAX`: whole).
    description: Option<usize>,
    title: usize,
}

/// The body, one numbered line per choice, and how to answer: richest form within the budget.
fn render_choices(body: &str, choices: &[Choice], lang: Lang) -> String {
    if choices.is_empty() {
        return body.to_string();
    }
    let hint = Msg::ReplyWithNumber.text(lang);
    let menu = |body: &str, detail: Detail| {
        let mut text = String::new();
        if !body.trim().is_empty() {
            text.push_str(body.trim_end());
            text.push('\n');
        }
        for (i, c) in choices.iter().enumerate() {
            let title = truncate_chars(&c.title, detail.title);
            let description = detail
                .description
                .and_then(|n| c.description.as_deref().map(|d| truncate_chars(d, n)));
            // Numbered by position: that is what a typed number resolves to.
            text.push_str(&numbered_line(i + 1, &title, description.as_deref()));
            text.push('\n');
        }
        text.push_str(&hint);
        text
    };
    let richest_first = [
        Detail {
            description: Some(usize::MAX),
            title: usize::MAX,
        },
        Detail {
            description: Some(LIMITS.description_chars),
            title: usize::MAX,
        },
        Detail {
            description: None,
            title: usize::MAX,
        },
        Detail {
            description: None,
            title: LIMITS.title_chars,
        },
    ];
    for detail in richest_first {
        let text = menu(body, detail);
        if within_budget(&text) {
            return text;
        }
    }
    let leanest = richest_first[richest_first.len() - 1];
    // Still too long: the body gives way; with very many choices nothing fits, and every
    // choice is still listed, over budget, rather than one the customer could not pick.
    match longest_fitting(body.trim(), |b| within_budget(&menu(b, leanest))) {
        Some(cut) => menu(&cut, leanest),
        None => menu(body, leanest),
    }
}

/// Consecutive text replies that together fit one segment go out as one message: SMS bills
/// per message, and two short texts arriving as one read the same.
pub(super) fn merge_texts(replies: &[Reply]) -> Vec<(usize, Option<String>)> {
    let mut groups: Vec<(usize, Option<String>)> = Vec::new();
    for reply in replies {
        if let Reply::Text { body } = reply
            && let Some((count, Some(text))) = groups.last_mut()
        {
            let joined = format!("{text}\n\n{body}");
            if segments(&gsm_friendly(&joined)).1 <= 1 {
                *count += 1;
                *text = joined;
                continue;
            }
        }
        let text = match reply {
            Reply::Text { body } if !body.trim().is_empty() => Some(body.clone()),
            _ => None,
        };
        groups.push((1, text));
    }
    groups
}

/// The message bodies a group of replies goes out as, in order: each run of merged texts
/// ([`merge_texts`]) as one body, every other reply as [`render`] shows it.
pub(super) fn bodies(lang: Lang, replies: &[Reply]) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut rest = replies;
    for (count, merged) in merge_texts(replies) {
        let (group, tail) = rest.split_at(count);
        rest = tail;
        match merged {
            Some(text) => bodies.extend(split_text(&gsm_friendly(&text), LIMITS.body_chars)),
            None => bodies.extend(group.iter().flat_map(|r| render(lang, r))),
        }
    }
    bodies
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
