//! What a short sentence asks for: "where is my order?", "can I talk to a person please",
//! `我的订单在哪里`, `担当者と話したい`, `ขอคุยกับพนักงาน`.
//!
//! [`crate::keywords`] knows the words that are a whole message ("cart", `注文履歴`); customers
//! also wrap them in a sentence. This module finds the phrases of [`crate::intent_phrases`]
//! inside the message and decides by how much of the message they explain:
//!
//! 1. **Fold** as keywords do ([`keywords::fold`]: width, case, Latin accents), then replace
//!    emoji and punctuation by spaces.
//! 2. **Find** every occurrence of every phrase and filler of every language. A phrase in a
//!    script written with spaces (Latin, Hangul) must start at a word's start; a Latin one must
//!    end at a word's end too, give or take two letters on a word of four or more ("orders",
//!    "cancelar"), while Korean particles attach freely (`상담원이랑`). Han, kana and Thai are
//!    written without spaces, so their phrases are found anywhere.
//! 3. **Claim** characters longest occurrence first, so a phrase beats the shorter ones inside it
//!    ("cancel subscription" over "cancel", `取消订单` over `订单`), and a phrase beats a filler
//!    of the same length.
//! 4. **Decide**: the meaning that claimed the most characters, if either it is one customers
//!    say inside longer sentences about other things ([`decisive`]: cancel, checkout, orders,
//!    a person, a complaint) or it explains at least [`MIN_COVERAGE`] of what the fillers left.
//!    So "hi, do you have the bag in red?" is a search, and "cart is missing a bag" too.
//!
//! Why not a model: the catalog function answers in a few milliseconds on 128 MB, fetches
//! nothing at run time, and must answer the same way every time and in every shipped language
//! (CJK and Thai included, where tokenisers and small models are weakest). A language identifier
//! plus intent model would be larger than the function and still need phrase lists for the
//! retail words. Tables are cheap (tens of microseconds a message, see the `understand` bench),
//! reviewable by a native speaker, and fixed by adding a line; the labelled set in
//! `tests/utterances.tsv` measures them.

use crate::catalog::Catalog;
use crate::intent_phrases::PHRASES;
use crate::keywords::{self, Heard, Meaning};
use crate::lang::Lang;
use crate::search;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The share of the message's content (fillers aside) a non-decisive meaning must explain.
pub const MIN_COVERAGE: f32 = 0.6;

/// What a sentence was understood to ask for.
#[derive(Clone, Debug, PartialEq)]
pub struct Understood {
    pub meaning: Meaning,
    /// The languages whose phrases matched, a clue like [`Heard::langs`].
    pub langs: Vec<Lang>,
    /// The words the meaning's phrases covered, as folded (a product search checks them:
    /// a product named "Secret Agent Tee" is not a request for an agent).
    pub said: Vec<String>,
    /// How much of the content the meaning explains, 0 to 1.
    pub coverage: f32,
    /// What neither phrases nor fillers explained, as folded ("awesome" in "awesome thanks").
    pub residue: String,
}

/// A meaning customers state inside sentences about something else ("my bag arrived broken",
/// "where is my drop bag"): found at all, it wins.
pub fn decisive(meaning: Meaning) -> bool {
    matches!(
        meaning,
        Meaning::Cancel | Meaning::Checkout | Meaning::Orders | Meaning::Human | Meaning::Complaint
    )
}

/// One phrase or filler, folded, with what it means (`None`: a filler) and its language.
struct Entry {
    chars: Vec<char>,
    meaning: Option<Meaning>,
    lang: Lang,
    /// Starts in a script written with spaces: must start at a word's start.
    spaced: bool,
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let mut entries = Vec::new();
    for table in PHRASES {
        let mut push = |text: &str, meaning| {
            let chars: Vec<char> = clean(text).chars().collect();
            if let Some(&first) = chars.first() {
                entries.push(Entry {
                    spaced: spaced_script(first),
                    chars,
                    meaning,
                    lang: table.lang,
                });
            }
        };
        for (meaning, list) in table.by_meaning {
            for phrase in *list {
                push(phrase, Some(*meaning));
            }
        }
        for filler in table.fillers {
            push(filler, None);
        }
    }
    // Longest first; at equal length a phrase before a filler (step 3).
    entries.sort_by_key(|e| (std::cmp::Reverse(e.chars.len()), e.meaning.is_none()));
    entries
});

/// The entries by their first character.
static BY_FIRST: LazyLock<HashMap<char, Vec<usize>>> = LazyLock::new(|| {
    let mut by_first: HashMap<char, Vec<usize>> = HashMap::new();
    for (i, entry) in ENTRIES.iter().enumerate() {
        by_first.entry(entry.chars[0]).or_default().push(i);
    }
    by_first
});

/// Whether a character belongs to a script written with spaces between words.
fn spaced_script(c: char) -> bool {
    !(is_han_kana(c) || is_thai(c))
}

fn is_han_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

fn is_thai(c: char) -> bool {
    ('\u{0E00}'..='\u{0E7F}').contains(&c)
}

fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F)
}

/// [`keywords::fold`], then everything that is not a letter, a digit or a Thai sign becomes a
/// space (emoji, punctuation, the apostrophe in "where's"), spaces collapsed.
pub fn clean(text: &str) -> String {
    // ASCII needs no Unicode normalisation: the common case, and the index's, kept cheap.
    let folded = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        keywords::fold(text)
    };
    let spaced: String = folded
        .chars()
        .map(|c| {
            if c == '\'' || c == '’' {
                '\u{0}'
            } else if c.is_alphanumeric() || is_thai(c) {
                c
            } else {
                ' '
            }
        })
        .filter(|c| *c != '\u{0}')
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message understood: a whole keyword first ([`keywords::understand`], coverage 1), then
/// the phrases of a sentence. `None` when nothing explains enough of it (a search, an answer).
pub fn understand(text: &str) -> Option<Understood> {
    if let Some(Heard { meaning, langs }) = keywords::understand(text) {
        return Some(Understood {
            meaning,
            langs,
            said: clean(text).split(' ').map(str::to_string).collect(),
            coverage: 1.0,
            residue: String::new(),
        });
    }
    classify(text)
}

/// The phrases of a sentence only (steps 1 to 4 above), without a catalog: a non-decisive
/// meaning must explain [`MIN_COVERAGE`] of the message.
pub fn classify(text: &str) -> Option<Understood> {
    analyse(text).filter(|u| decisive(u.meaning) || u.coverage >= MIN_COVERAGE)
}

/// The best meaning of a sentence and how much of it that explains, however little.
fn analyse(text: &str) -> Option<Understood> {
    let cleaned = clean(text);
    let chars: Vec<char> = cleaned.chars().collect();
    if chars.is_empty() {
        return None;
    }
    // Who claimed each character: None yet, Some(None) a filler, Some(Some(i)) entry i.
    let mut owner: Vec<Option<Option<usize>>> = vec![None; chars.len()];
    // Every occurrence of every entry, in claiming order: the entries' order (longest first),
    // then left to right. Entries are looked up by their first character.
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (start, c) in chars.iter().enumerate() {
        for &i in BY_FIRST.get(c).map_or(&[][..], Vec::as_slice) {
            let entry = &ENTRIES[i];
            let n = entry.chars.len();
            if start + n <= chars.len()
                && chars[start..start + n] == entry.chars[..]
                && fits(&chars, start, n, entry)
            {
                found.push((i, start));
            }
        }
    }
    found.sort_unstable();
    for (i, start) in found {
        let entry = &ENTRIES[i];
        let span = start..start + entry.chars.len();
        // Free characters, or (for a phrase) ones a phrase of the same meaning holds:
        // "메시지 그만" and "그만 보내" together explain "메시지 그만 보내".
        let free = |o: &Option<Option<usize>>| match o {
            None => true,
            Some(Some(j)) => entry.meaning.is_some() && ENTRIES[*j].meaning == entry.meaning,
            Some(None) => false,
        };
        if owner[span.clone()].iter().all(free) && owner[span.clone()].iter().any(Option::is_none) {
            let claim = entry.meaning.map(|_| i);
            owner[span]
                .iter_mut()
                .filter(|o| o.is_none())
                .for_each(|o| *o = Some(claim));
        }
    }
    let content = |c: &char| !c.is_whitespace();
    let mut covered = [0usize; MEANINGS.len()];
    let mut unexplained = 0usize;
    for (c, o) in chars.iter().zip(&owner) {
        if !content(c) {
            continue;
        }
        match o {
            Some(Some(i)) => covered[slot(ENTRIES[*i].meaning?)] += 1,
            Some(None) => {}
            None => unexplained += 1,
        }
    }
    let (best, &count) = covered
        .iter()
        .enumerate()
        .max_by_key(|(slot, n)| (**n, std::cmp::Reverse(*slot)))?;
    if count == 0 {
        return None;
    }
    // What is done to an order beats the order it is done to: "cancel my order", "pay my
    // order" (the order's words are often longer than the verb's).
    let best = if MEANINGS[best] == Meaning::Orders {
        [Meaning::Cancel, Meaning::Checkout]
            .into_iter()
            .map(slot)
            .find(|s| covered[*s] > 0)
            .unwrap_or(best)
    } else {
        best
    };
    let meaning = MEANINGS[best];
    let explained: usize = covered.iter().sum::<usize>() + unexplained;
    let coverage = covered[best] as f32 / explained as f32;
    let residue = chars
        .iter()
        .zip(&owner)
        .map(|(c, o)| if o.is_none() { *c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut langs = Vec::new();
    let mut said = Vec::new();
    let mut last = None;
    for o in owner.iter().flatten().flatten() {
        let entry = &ENTRIES[*o];
        if entry.meaning == Some(meaning) && last != Some(*o) {
            if !langs.contains(&entry.lang) {
                langs.push(entry.lang);
            }
            said.push(entry.chars.iter().collect());
        }
        last = Some(*o);
    }
    langs.sort_by_key(|l| Lang::SHIPPED.iter().position(|s| s == l));
    Some(Understood {
        meaning,
        langs,
        said,
        coverage,
        residue,
    })
}

/// [`classify`] for a catalog: a sentence whose intent words name one of its products is a
/// search ("secret agent tee" when a product is called that), except stop and start, which the
/// consent ledger records from the words alone ([`crate::consent::signal`]).
///
/// With the catalog at hand a non-decisive meaning needs less of the message: from
/// [`MIN_COVERAGE_NO_PRODUCT`], if what it leaves unexplained is short and finds no product
/// ("awesome thanks", "장바구니 열어주세요"). "hi, do you have the bag in red?" stays a search.
pub fn classify_for(catalog: &Catalog, text: &str) -> Option<Understood> {
    let understood = analyse(text)?;
    let consent = matches!(
        understood.meaning,
        Meaning::StopAnnouncements | Meaning::StartAnnouncements
    );
    if consent {
        return (understood.coverage >= MIN_COVERAGE).then_some(understood);
    }
    if search::names_a_product(catalog, &understood.said) {
        return None;
    }
    let enough = decisive(understood.meaning)
        || understood.coverage >= MIN_COVERAGE
        || (understood.coverage >= MIN_COVERAGE_NO_PRODUCT
            && understood.residue.split(' ').count() <= MAX_RESIDUE_WORDS
            && search::find(catalog, &understood.residue).is_empty());
    enough.then_some(understood)
}

/// The least a non-decisive meaning explains when the rest names no product.
pub const MIN_COVERAGE_NO_PRODUCT: f32 = 0.3;
/// The most words left unexplained for [`MIN_COVERAGE_NO_PRODUCT`] ("awesome", "열어주세요").
const MAX_RESIDUE_WORDS: usize = 2;

/// Whether an occurrence at `start` respects word boundaries for its script (step 2).
fn fits(chars: &[char], start: usize, n: usize, entry: &Entry) -> bool {
    if !entry.spaced {
        return true;
    }
    let before = start.checked_sub(1).map(|i| chars[i]);
    if before.is_some_and(|c| !c.is_whitespace() && spaced_script(c)) {
        return false;
    }
    let last = entry.chars[n - 1];
    if is_hangul(last) {
        return true;
    }
    // Latin (and digits): the word ends here, or at most two letters later on a long word.
    let tail = chars[start + n..]
        .iter()
        .take_while(|c| !c.is_whitespace() && spaced_script(**c) && !is_hangul(**c))
        .count();
    let last_word = entry
        .chars
        .rsplit(|c| c.is_whitespace())
        .next()
        .map_or(0, <[char]>::len);
    tail == 0 || (tail <= 2 && last_word >= 4)
}

/// The meanings sentences carry, in the order ties go (the more specific first).
const MEANINGS: [Meaning; 12] = [
    Meaning::Human,
    Meaning::Complaint,
    Meaning::Cancel,
    Meaning::StopAnnouncements,
    Meaning::StartAnnouncements,
    Meaning::Checkout,
    Meaning::Orders,
    Meaning::Cart,
    Meaning::Language,
    Meaning::Thanks,
    Meaning::Menu,
    Meaning::Greeting,
];

fn slot(meaning: Meaning) -> usize {
    MEANINGS
        .iter()
        .position(|m| *m == meaning)
        .expect("every phrase table meaning is in MEANINGS")
}

#[cfg(test)]
#[path = "intent_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "intent_flow_tests.rs"]
mod flow_tests;
