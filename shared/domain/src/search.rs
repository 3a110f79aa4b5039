//! Product search that finds what a person means: "dropbag", "totes", "drop bgs", "canvas tote
//! bag", "how much is the drop bag?", `ドロップバッグの値段は？`, "quanto custa a bolsa?", "red bag".
//!
//! A query and every product are cut into **terms** the same way (after
//! [`crate::intent::clean`]: width, case, accents, emoji):
//!
//! - words of scripts written with spaces (Latin, Hangul), with a plural `s` taken off;
//! - character **bigrams** of Han, kana and Thai runs, which have no spaces: `ドロップバッグ`
//!   is `ドロ ロッ ップ プバ バッ ッグ`, so `ドロップバッグください` still shares all six with the
//!   product (the standard way to index CJK without a dictionary, as Lucene's CJKBigramFilter);
//! - a product also gets its name with the spaces taken out ("dropbag").
//!
//! Before that the query loses the words around a name ([`search_words::AROUND`]: "how much
//! is", `多少钱`, `ราคา`) and gains the English word for a retail word of another language
//! ([`search_words::LEXICON`]: "bolsa" → bag), so an English-only catalog is found in Spanish.
//!
//! A query term matches a product term exactly (1), as a prefix or with a Korean particle after
//! it (0.8), or within a small edit distance (Damerau–Levenshtein as optimal string alignment),
//! 1 from four letters and 2 from eight (0.7, `strsim`); times the field's weight: name 3, tag 2, category and option
//! names 1, so "red bag" finds the bag with a red option before the tote. Products that match
//! every term come first, then those that match some, each by score; ties keep the catalog's
//! order. Nothing matching gives the [`closest`] few by edit similarity of the names.
//!
//! Cost: the products' terms are cut once per catalog ([`crate::search_index`]); a query then
//! scores every product: about 0.1 ms for the demo catalog, a few ms for 200 products
//! (`cargo bench -p chatdrop-domain --bench understand`).

use crate::catalog::{Catalog, Product};
use crate::intent::clean;
use crate::search_index::{self, Field, NAME_WEIGHT, Word};
use crate::search_words::{AROUND, LEXICON};
use std::collections::HashSet;
use std::sync::LazyLock;

/// A product the query found, with how well.
#[derive(Clone, Debug)]
pub struct Hit<'a> {
    pub product: &'a Product,
    pub score: f32,
    /// Every term of the query matched something of this product.
    pub full: bool,
}

/// What to show for a query: the products that match every term, else those that match some,
/// best first; empty if the query names nothing (or only words like "price").
pub fn find<'a>(catalog: &'a Catalog, query: &str) -> Vec<Hit<'a>> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return Vec::new();
    }
    let index = search_index::index(catalog);
    let mut hits: Vec<Hit<'a>> = catalog
        .products
        .iter()
        .zip(&index.entries)
        .filter_map(|(p, entry)| score(p, &entry.fields, &terms))
        .collect();
    hits.sort_by(|a, b| b.full.cmp(&a.full).then(b.score.total_cmp(&a.score)));
    if hits.first().is_some_and(|h| h.full) {
        hits.retain(|h| h.full);
    }
    hits
}

/// The few products whose names are nearest the query, for "nothing found": normalised
/// Levenshtein similarity of the cleaned query to each name in each language (with and
/// without its spaces), above 0.3.
pub fn closest<'a>(catalog: &'a Catalog, query: &str, n: usize) -> Vec<&'a Product> {
    let q = clean(query);
    let index = search_index::index(catalog);
    let mut ranked: Vec<(f64, &Product)> = catalog
        .products
        .iter()
        .zip(&index.entries)
        .map(|(p, entry)| {
            let best = entry
                .fields
                .iter()
                .filter(|f| f.weight >= NAME_WEIGHT)
                .map(|f| strsim::normalized_levenshtein(&q, &f.text))
                .fold(0.0, f64::max);
            (best, p)
        })
        .filter(|(s, _)| *s > 0.3)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().take(n).map(|(_, p)| p).collect()
}

/// Whether a product's name or tags hold one of these words as a word (not a typo away):
/// the check that a sentence's intent phrase is not a product's name ("Secret Agent Tee").
pub fn names_a_product(catalog: &Catalog, words: &[String]) -> bool {
    let wanted: Vec<String> = words
        .iter()
        .flat_map(|w| terms(w))
        .filter_map(|t| match t {
            Term::Word(w) => Some(w),
            Term::Gram(_) | Term::Any(_) => None,
        })
        .collect();
    !wanted.is_empty()
        && search_index::index(catalog)
            .entries
            .iter()
            .any(|e| wanted.iter().any(|w| e.words.contains(w)))
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Term {
    Word(String),
    Gram(String),
    /// A lexicon word: matched as written (a substring for CJK and Thai) or by its English.
    Any(Vec<String>),
}

/// The lexicon folded, longest foreign word first.
static FOLDED_LEXICON: LazyLock<Vec<(String, &'static [&'static str])>> = LazyLock::new(|| {
    let mut all: Vec<(String, &'static [&'static str])> = LEXICON
        .iter()
        .flat_map(|(foreign, english)| foreign.iter().map(move |f| (clean(f), *english)))
        .collect();
    all.sort_by_key(|(f, _)| std::cmp::Reverse(f.chars().count()));
    all
});

static FOLDED_AROUND: LazyLock<(HashSet<String>, Vec<String>)> = LazyLock::new(|| {
    let mut words = HashSet::new();
    let mut unspaced = Vec::new();
    for a in AROUND {
        let a = clean(a);
        if a.chars().any(unspaced_char) {
            unspaced.push(a);
        } else {
            words.insert(a);
        }
    }
    unspaced.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
    (words, unspaced)
});

/// The words around a name that are several words, longest first, with spaces around.
static AROUND_PHRASES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut phrases: Vec<String> = FOLDED_AROUND
        .0
        .iter()
        .filter(|w| w.contains(' '))
        .map(|p| format!(" {p} "))
        .collect();
    phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
    phrases
});

fn unspaced_char(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x0E00..=0x0E7F)
}

/// A query's terms: the words around a name dropped, lexicon words made [`Term::Any`].
fn query_terms(query: &str) -> Vec<Term> {
    let (around_words, around_unspaced) = &*FOLDED_AROUND;
    let mut out = Vec::new();
    let cleaned = clean(query);
    // Multi-word "around" phrases first ("how much is").
    let mut text = format!(" {cleaned} ");
    for p in AROUND_PHRASES.iter() {
        if text.contains(p.as_str()) {
            text = text.replace(p.as_str(), "  ");
        }
    }
    for word in text.split_whitespace() {
        if around_words.contains(word) {
            continue;
        }
        if !word.chars().any(unspaced_char) {
            out.push(lexicon_or_word(word));
            continue;
        }
        // Unspaced runs: lexicon words out first, then the words around names, then bigrams.
        let mut rest = word.to_string();
        for (foreign, english) in FOLDED_LEXICON.iter() {
            if foreign.chars().any(unspaced_char) && rest.contains(foreign.as_str()) {
                rest = rest.replace(foreign.as_str(), " ");
                let mut alts = vec![foreign.clone()];
                alts.extend(english.iter().map(|e| e.to_string()));
                out.push(Term::Any(alts));
            }
        }
        for a in around_unspaced {
            rest = rest.replace(a.as_str(), " ");
        }
        out.extend(rest.split_whitespace().flat_map(terms));
    }
    out.dedup();
    out
}

fn lexicon_or_word(word: &str) -> Term {
    match FOLDED_LEXICON.iter().find(|(f, _)| f == word) {
        Some((f, english)) => {
            let mut alts = vec![stem(f)];
            alts.extend(english.iter().map(|e| e.to_string()));
            Term::Any(alts)
        }
        None => Term::Word(stem(word)),
    }
}

/// A product text's (or a plain query word's) terms: words, and bigrams of unspaced runs.
pub(crate) fn terms(text: &str) -> Vec<Term> {
    let cleaned = clean(text);
    let mut out = Vec::new();
    for word in cleaned.split_whitespace() {
        let mut run = String::new();
        let mut spaced = String::new();
        let flush_run = |run: &mut String, out: &mut Vec<Term>| {
            let chars: Vec<char> = run.chars().collect();
            match chars.len() {
                0 => {}
                1 => out.push(Term::Gram(run.clone())),
                _ => out.extend(chars.windows(2).map(|w| Term::Gram(w.iter().collect()))),
            }
            run.clear();
        };
        for c in word.chars() {
            if unspaced_char(c) {
                if !spaced.is_empty() {
                    out.push(Term::Word(stem(&spaced)));
                    spaced.clear();
                }
                run.push(c);
            } else {
                flush_run(&mut run, &mut out);
                spaced.push(c);
            }
        }
        flush_run(&mut run, &mut out);
        if !spaced.is_empty() {
            out.push(Term::Word(stem(&spaced)));
        }
    }
    out
}

/// A plural `s` off a word of four letters or more ("totes", "bolsas", "caps" stays "caps"
/// only below that: "bags" → "bag").
fn stem(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(rest) if word.chars().count() >= 4 && !rest.ends_with('s') => rest.to_string(),
        _ => word.to_string(),
    }
}

fn score<'a>(p: &'a Product, fields: &[Field], query: &[Term]) -> Option<Hit<'a>> {
    let mut total = 0.0;
    let mut matched = 0;
    for q in query {
        let best = fields
            .iter()
            .map(|f| quality(q, f) * f.weight)
            .fold(0.0, f32::max);
        if best > 0.0 {
            matched += 1;
            total += best;
        }
    }
    (matched > 0).then_some(Hit {
        product: p,
        score: total,
        full: matched == query.len(),
    })
}

/// How well one query term matches a field, 0 to 1.
fn quality(q: &Term, field: &Field) -> f32 {
    match q {
        Term::Gram(g) => {
            if field.grams.contains(g) {
                1.0
            } else {
                0.0
            }
        }
        Term::Word(w) => word_in_field(w, field),
        Term::Any(alts) => alts
            .iter()
            .map(|a| {
                if a.chars().any(unspaced_char) {
                    if field.text.contains(a.as_str()) {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    word_in_field(a, field)
                }
            })
            .fold(0.0, f32::max),
    }
}

/// The best match of a query word among a field's words.
fn word_in_field(q: &str, field: &Field) -> f32 {
    let ql = q.chars().count();
    let mut best: f32 = 0.0;
    for w in &field.words {
        best = best.max(word_quality(q, ql, w));
        if best >= 1.0 {
            break;
        }
    }
    best
}

fn word_quality(q: &str, ql: usize, f: &Word) -> f32 {
    if q == f.word {
        return 1.0;
    }
    let fl = f.chars;
    // Typing the start of a name ("stick"), or a Korean particle after it (`가방이`).
    if (ql >= 4 && f.word.starts_with(q))
        || (f.hangul && fl >= 2 && q.starts_with(f.word.as_str()) && ql - fl <= 2)
    {
        return 0.8;
    }
    let allowed = match ql.max(fl) {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    // Optimal string alignment (Damerau–Levenshtein without re-editing a transposed pair):
    // the length difference rules most words out before any distance is computed.
    if allowed > 0 && ql.abs_diff(fl) <= allowed && osa_distance(q, &f.word) <= allowed {
        return 0.7;
    }
    0.0
}

/// Optimal string alignment distance: on the stack for short ASCII words (most catalog
/// words; this runs for thousands of word pairs a query), else `strsim`'s.
fn osa_distance(a: &str, b: &str) -> usize {
    const MAX: usize = 31;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if !(a.is_ascii() && b.is_ascii()) || a.len() > MAX || b.len() > MAX {
        return strsim::osa_distance(
            std::str::from_utf8(a).unwrap_or_default(),
            std::str::from_utf8(b).unwrap_or_default(),
        );
    }
    // Three rows of the dynamic-programming table: two back (for transpositions), previous,
    // current.
    let mut two_back = [0usize; MAX + 1];
    let mut prev: [usize; MAX + 1] = std::array::from_fn(|j| j);
    let mut cur = [0usize; MAX + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            cur[j] = d;
        }
        two_back = prev;
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
