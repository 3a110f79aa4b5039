//! Catalog text in many languages: a map of BCP 47 tags to text, read along a fallback chain.
//!
//! A retailer writes each name and description once per language they sell in:
//!
//! ```toml
//! name = { en = "Drop Bag", ja = "ドロップバッグ", "zh-Hans" = "限量包", "pt-BR" = "Bolsa Drop" }
//! ```
//!
//! Stored items keep the same shape as JSON (`{"en": "Drop Bag", "ja": "…"}`), so catalogs stored
//! when only `en` and `ja` existed read unchanged. A tag that is not BCP 47 fails to parse, and
//! the parse error names the field.
//!
//! [`Localized::get`] answers a customer's language with the nearest text written for it: the
//! tag itself, then each shorter tag it falls back to ([`Lang::fallbacks`]: `zh-Hant-TW` →
//! `zh-Hant` → `zh`), then the catalog's `default_lang`. The catalog's validation guarantees that
//! every text has the default, so the chain always ends in text the retailer wrote.
//!
//! The default is the catalog's, not each text's, yet `get` takes only the customer's language:
//! the catalog hands its default to every text when it is built ([`Localized::default_lang`] is
//! set by `Catalog`'s deserializer and by `Catalog::with_default_lang`), so call sites that ask
//! `product.name.get(lang)` need nothing else.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Text by language; see the module documentation for how a language is answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized {
    texts: BTreeMap<Lang, String>,
    /// The catalog's default language, the end of every fallback chain. Not stored: it is the
    /// catalog's, handed down when the catalog is built.
    #[serde(skip)]
    default: Lang,
}

impl Localized {
    /// Text in the given languages, falling back to `default`.
    pub fn new(default: Lang, texts: impl IntoIterator<Item = (Lang, String)>) -> Localized {
        Localized {
            texts: texts.into_iter().collect(),
            default,
        }
    }

    /// The text for `lang`: its own, a shorter tag's, else the catalog default's.
    ///
    /// A text without the default (possible only in a catalog that failed validation) gives its
    /// first language's text, and an empty text gives `""`: a reply is never refused for it.
    pub fn get(&self, lang: Lang) -> &str {
        lang.fallbacks()
            .chain(std::iter::once(self.default))
            .find_map(|l| self.texts.get(&l))
            .or_else(|| self.texts.values().next())
            .map_or("", String::as_str)
    }

    /// The text written for exactly `lang`, without falling back.
    pub fn exact(&self, lang: Lang) -> Option<&str> {
        self.texts.get(&lang).map(String::as_str)
    }

    /// Sets the text for `lang`, replacing any there was.
    pub fn insert(&mut self, lang: Lang, text: impl Into<String>) {
        self.texts.insert(lang, text.into());
    }

    /// The languages this text is written in, in tag order.
    pub fn langs(&self) -> impl Iterator<Item = Lang> + '_ {
        self.texts.keys().copied()
    }

    /// Every language's text (search looks through all of them).
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.texts.values().map(String::as_str)
    }

    /// The language `get` falls back to last.
    pub fn default_lang(&self) -> Lang {
        self.default
    }

    pub(crate) fn set_default_lang(&mut self, lang: Lang) {
        self.default = lang;
    }
}
