//! The catalog as [`crate::search`] reads it: every product's texts cut into terms once per
//! catalog, not once per message.
//!
//! The catalog reaches a flow as `&Catalog` (the store caches the loaded catalog), so the index
//! is kept here, keyed by a 64-bit hash of exactly the texts it is built from: the same
//! catalog finds its index at the price of hashing its texts, and a reloaded catalog with other texts can never be answered from
//! an old index. One index is kept per process: a deployment serves one retailer's catalog.

use crate::catalog::{Catalog, GroupKind, Product};
use crate::intent::clean;
use crate::search::{Term, terms};
use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// One field of a product: its words and bigrams, its text (cleaned, for substring matches)
/// and weight.
pub(crate) struct Field {
    pub words: Vec<Word>,
    pub grams: HashSet<String>,
    pub text: String,
    pub weight: f32,
}

/// A word of a field, with what matching asks of it every time.
pub(crate) struct Word {
    pub word: String,
    pub chars: usize,
    pub hangul: bool,
}

impl Field {
    fn new(text: &str, weight: f32) -> Field {
        let mut words = Vec::new();
        let mut grams = HashSet::new();
        for term in terms(text) {
            match term {
                Term::Word(word) => words.push(Word {
                    chars: word.chars().count(),
                    hangul: word.chars().any(|c| matches!(c as u32, 0xAC00..=0xD7A3)),
                    word,
                }),
                Term::Gram(gram) => {
                    grams.insert(gram);
                }
                Term::Any(_) => {}
            }
        }
        Field {
            words,
            grams,
            text: clean(text),
            weight,
        }
    }
}

/// One product's fields, and the words of its names and tags (for
/// [`crate::search::names_a_product`]).
pub(crate) struct Entry {
    pub fields: Vec<Field>,
    pub words: HashSet<String>,
}

/// Every product's entry, in the catalog's order.
pub(crate) struct Index {
    pub entries: Vec<Entry>,
}

static CACHE: Mutex<Option<(u64, Arc<Index>)>> = Mutex::new(None);

/// The index of `catalog`, built on first use and whenever its texts change.
pub(crate) fn index(catalog: &Catalog) -> Arc<Index> {
    let key = fingerprint(catalog);
    // A poisoned lock only means another thread panicked while building: build again.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, index)) = cache.as_ref()
        && *k == key
    {
        return index.clone();
    }
    let index = Arc::new(build(catalog));
    *cache = Some((key, index.clone()));
    index
}

/// The weight of a product's name (and of the name without its spaces).
pub(crate) const NAME_WEIGHT: f32 = 3.0;

/// The texts the index is built from, in order, with the field they belong to.
fn texts<'a>(catalog: &'a Catalog, p: &'a Product) -> Vec<(&'a str, f32, bool)> {
    // (text, weight, a name or tag: counts for `names_a_product`)
    let mut out = Vec::new();
    for name in p.name.all() {
        out.push((name, NAME_WEIGHT, true));
    }
    for tag in &p.tags {
        out.push((tag.as_str(), 2.0, true));
    }
    if let Some(category) = catalog.category(&p.category) {
        for name in category.name.all() {
            out.push((name, 1.0, false));
        }
    }
    for group in &p.option_groups {
        if let GroupKind::Choice { options } = &group.kind {
            for o in options {
                for name in o.name.all() {
                    out.push((name, 1.0, false));
                }
            }
        }
    }
    out
}

fn fingerprint(catalog: &Catalog) -> u64 {
    let mut h = DefaultHasher::new();
    for p in &catalog.products {
        p.id.hash(&mut h);
        for (text, weight, _) in texts(catalog, p) {
            text.hash(&mut h);
            weight.to_bits().hash(&mut h);
        }
    }
    h.finish()
}

fn build(catalog: &Catalog) -> Index {
    let entries = catalog
        .products
        .iter()
        .map(|p| {
            let mut fields = Vec::new();
            let mut words = HashSet::new();
            for (text, weight, named) in texts(catalog, p) {
                let field = Field::new(text, weight);
                if named {
                    words.extend(field.words.iter().map(|w| w.word.clone()));
                }
                fields.push(field);
                if weight >= NAME_WEIGHT {
                    // The name without its spaces: "dropbag".
                    fields.push(Field::new(&text.replace(' ', ""), weight));
                }
            }
            Entry { fields, words }
        })
        .collect();
    Index { entries }
}
