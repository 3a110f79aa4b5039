//! Which language a customer reads: a BCP 47 tag, and how one tag falls back to another.
//!
//! A [`Lang`] is a language tag in canonical case (`en`, `pt-BR`, `zh-Hant`, `zh-Hant-TW`), small
//! enough to copy like an integer: it travels in every reply bundle and session. The languages
//! chatdrop ships text for are [`Lang::SHIPPED`]; a retailer may add others by file, so a `Lang`
//! is any well-formed tag, not a closed list.
//!
//! Platforms hand us locales in their own spelling (`zh_TW` from WeChat, `pt-BR` from Telegram,
//! `ja-JP` from a browser). [`Lang::negotiate`] maps such a locale onto the languages we have,
//! with Unicode's likely-subtags data (through `fluent-langneg`): `zh-TW` and `zh-HK` are
//! Traditional Chinese, `zh-CN` and a bare `zh` Simplified, `pt-PT` still finds `pt-BR` when it is
//! the only Portuguese we have.
//!
//! Text written for a region falls back to its script, then its language
//! ([`Lang::fallbacks`]): `zh-Hant-TW` → `zh-Hant` → `zh`. The catalog's and the message files'
//! own default closes every chain.

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use tinystr::TinyAsciiStr;
use unic_langid::LanguageIdentifier;

/// The longest tag we keep: language, script, region (`zh-Hant-TW` is 10 bytes) with room for a
/// variant. Longer tags are refused at parse time rather than cut.
const MAX_TAG: usize = 16;

/// A BCP 47 language tag in canonical case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang(TinyAsciiStr<MAX_TAG>);

/// Why a string is not a language tag we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LangError {
    #[error("`{0}` is not a BCP 47 language tag (examples: en, pt-BR, zh-Hant)")]
    Malformed(String),
    #[error("`{0}` is longer than {MAX_TAG} characters")]
    TooLong(String),
}

macro_rules! tag {
    ($s:literal) => {
        match TinyAsciiStr::try_from_str($s) {
            Ok(t) => Lang(t),
            Err(_) => panic!("a shipped tag fits"),
        }
    };
}

impl Lang {
    pub const EN: Lang = tag!("en");
    pub const ES: Lang = tag!("es");
    pub const PT_BR: Lang = tag!("pt-BR");
    pub const ZH_HANS: Lang = tag!("zh-Hans");
    pub const ZH_HANT: Lang = tag!("zh-Hant");
    pub const JA: Lang = tag!("ja");
    pub const KO: Lang = tag!("ko");
    pub const TH: Lang = tag!("th");
    pub const ID: Lang = tag!("id");

    /// Every language chatdrop ships complete text for, English first (the last fallback).
    pub const SHIPPED: [Lang; 9] = [
        Lang::EN,
        Lang::ES,
        Lang::PT_BR,
        Lang::ZH_HANS,
        Lang::ZH_HANT,
        Lang::JA,
        Lang::KO,
        Lang::TH,
        Lang::ID,
    ];

    /// The tag: its serialized form, and its value in `<html lang>`.
    pub fn code(&self) -> &str {
        self.0.as_str()
    }

    /// The language subtag alone: `zh` for `zh-Hant-TW`.
    pub fn primary(&self) -> &str {
        self.code().split('-').next().unwrap_or("")
    }

    /// Parses and canonicalizes a tag: `ZH-hant-tw` and `zh_Hant_TW` give `zh-Hant-TW`.
    pub fn parse(tag: &str) -> Result<Lang, LangError> {
        let id: LanguageIdentifier = tag
            .trim()
            .replace('_', "-")
            .parse()
            .map_err(|_| LangError::Malformed(tag.into()))?;
        if id.language.is_empty() {
            return Err(LangError::Malformed(tag.into()));
        }
        Lang::from_identifier(&id).ok_or_else(|| LangError::TooLong(tag.into()))
    }

    fn from_identifier(id: &LanguageIdentifier) -> Option<Lang> {
        TinyAsciiStr::try_from_str(&id.to_string()).ok().map(Lang)
    }

    fn identifier(&self) -> LanguageIdentifier {
        self.code().parse().unwrap_or_default()
    }

    /// The shipped language closest to a platform's locale (`ja_JP`, `zh-TW`, `pt`), if any.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        Lang::negotiate(locale, &Lang::SHIPPED)
    }

    /// The language of `available` that best serves `locale`, if any does.
    ///
    /// Exact tags win, then the same language and script (likely subtags fill in the script a
    /// region implies: Taiwan writes Traditional Chinese), then the same language in another
    /// region. A locale in no available language gives `None`, so the caller's default applies.
    pub fn negotiate(locale: &str, available: &[Lang]) -> Option<Lang> {
        let requested = Lang::parse(locale).ok()?.identifier();
        let offered: Vec<LanguageIdentifier> = available.iter().map(Lang::identifier).collect();
        let picked = negotiate_languages(&[requested], &offered, None, NegotiationStrategy::Lookup);
        let id = picked.first()?;
        available.iter().copied().find(|l| l.identifier() == **id)
    }

    /// This tag, then each shorter tag it falls back to: `zh-Hant-TW`, `zh-Hant`, `zh`.
    pub fn fallbacks(self) -> impl Iterator<Item = Lang> {
        let code = self.0;
        let parts = code.as_str().matches('-').count() + 1;
        (1..=parts).rev().filter_map(move |n| {
            let prefix: Vec<&str> = code.as_str().split('-').take(n).collect();
            TinyAsciiStr::try_from_str(&prefix.join("-")).ok().map(Lang)
        })
    }

    /// The shipped language a browser's `Accept-Language` header prefers, if it names one.
    ///
    /// Ranges count by weight (`q`, 1 when absent; a tie keeps the header's order). A range with
    /// `q=0` ("not this one"), a malformed weight, or no shipped language (`*` included) is
    /// skipped. `None` leaves the choice to the caller's default.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for range in header.split(',') {
            let mut params = range.split(';');
            let tag = params.next().unwrap_or("").trim();
            let mut weight = Some(1000);
            for param in params {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    weight = qvalue(value.trim());
                }
            }
            let (Some(weight), Some(lang)) = (weight, Lang::from_locale(tag)) else {
                continue;
            };
            if weight > 0 && best.is_none_or(|(top, _)| weight > top) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

impl Default for Lang {
    fn default() -> Self {
        Lang::EN
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lang({})", self.code())
    }
}

impl FromStr for Lang {
    type Err = LangError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s)
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(d)?;
        Lang::parse(&tag).map_err(serde::de::Error::custom)
    }
}

/// An HTTP weight (RFC 9110 `qvalue`: `0` to `1`, at most three decimals) in thousandths.
fn qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
#[path = "lang_tests.rs"]
mod tests;
