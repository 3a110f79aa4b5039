//! Which language a customer gets, decided once per message from every clue we have.
//!
//! The clues, strongest first:
//!
//! 1. **The customer's own choice**: a tap on the language list ([`Action::SetLang`]), this
//!    message or any earlier one. It is remembered in the session and nothing overrides it: a
//!    customer who picked English on a phone set to Japanese reads English.
//! 2. **The platform's signal**: the locale the platform sends with the message (Telegram's
//!    `language_code`), the one its profile API gives for a new customer (LINE's profile
//!    `language`, Messenger's and WeChat's user profile, asked once per conversation: see
//!    [`asks_profile`]), or one it told us earlier for this customer.
//! 3. **The customer's words**: a keyword that belongs to one language ("hola", "สวัสดี",
//!    "哈囉") at any time, or, while nothing better is known, the language a detector finds in
//!    the first words (`whatlang`, <https://docs.rs/whatlang/0.18>) when it is sure: its
//!    `is_reliable()` and enough letters for the script. A short or ambiguous message
//!    ("menu" is English, Portuguese and Indonesian; "bag" is anything) never moves a language
//!    already found.
//! 4. **The market's default**: the language of the market serving the channel
//!    ([`crate::market::Market::lang`]).
//! 5. **The deployment's default**.
//!
//! Chinese needs one more step: a detector or a greeting says "Chinese", and chatdrop ships
//! Simplified and Traditional. The characters decide when they differ (a few of the most
//! common pairs from Unihan's `kSimplifiedVariant`/`kTraditionalVariant`,
//! <https://www.unicode.org/reports/tr38/>), else the market's or deployment's Chinese, else
//! Simplified (CLDR's likely subtags: `zh` → `zh-Hans-CN`).
//!
//! The decision ([`decide`]) is a pure function of [`Clues`], so the whole table is tested
//! without a conversation; [`crate::process`] gathers the clues and stores the result with its
//! [`LangSource`], which is how firmly it holds next time.

use crate::action::Action;
use crate::dialogue::{DialogueState, Session};
use crate::inbound::{InboundContent, InboundMessage};
use crate::keywords;
use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// Where a customer's language came from, weakest first: a later clue overrides it only if
/// stronger (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LangSource {
    /// Nothing told us: the market's or deployment's default, decided again every message.
    Default,
    /// The customer's words: a keyword of one language or a confident detection.
    Words,
    /// The platform's locale for this customer.
    Platform,
    /// The customer picked it from the language list.
    Chosen,
}

/// Everything that can tell us a customer's language, for one message.
#[derive(Clone, Debug, Default)]
pub struct Clues<'a> {
    /// A language picked by this very message (a tap on the list).
    pub picked: Option<Lang>,
    /// What the session remembers, with where it came from. A session saved before sources
    /// were recorded has none and counts as a default.
    pub remembered: Option<(Lang, Option<LangSource>)>,
    /// The platform's locale sent with this message, in the platform's spelling.
    pub platform_locale: Option<&'a str>,
    /// What the customer typed.
    pub words: Option<&'a str>,
    /// The language of the market serving the channel.
    pub market: Option<Lang>,
    /// The deployment's default language.
    pub deployment: Lang,
}

/// The language to answer in, and how firmly it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub lang: Lang,
    pub source: LangSource,
}

impl<'a> Clues<'a> {
    /// The clues of `message` in `session`; the market's language and the deployment's
    /// default come from the caller.
    pub fn of(
        message: &'a InboundMessage,
        session: &Session,
        market: Option<Lang>,
        deployment: Lang,
    ) -> Clues<'a> {
        let (picked, words) = match &message.content {
            InboundContent::Action { payload, .. } => match Action::decode(payload) {
                Some(Action::SetLang(lang)) => (Some(lang), None),
                _ => (None, None),
            },
            // A number typed for the language list is a tap on it, as the catalog flow reads it.
            InboundContent::Text { body } => {
                let tapped = keywords::typed_number(body)
                    .and_then(|n| session.offered.pick(n))
                    .and_then(Action::decode);
                // While customizing, text answers an option group in the catalog's words (an
                // option's name, an engraving): it says nothing of the customer's language.
                let customizing = matches!(session.state, DialogueState::Customizing { .. });
                match tapped {
                    Some(Action::SetLang(lang)) => (Some(lang), None),
                    _ if customizing => (None, None),
                    _ => (None, Some(body.as_str())),
                }
            }
            _ => (None, None),
        };
        Clues {
            picked,
            remembered: session.lang.map(|l| (l, session.lang_source)),
            platform_locale: message.locale.as_deref(),
            words,
            market,
            deployment,
        }
    }
}

/// Whether to ask the platform's profile of the customer for their locale before deciding:
/// only on the conversation's first message (a session never saved, so the lookup is made once
/// and its answer remembered with the session as [`LangSource::Platform`]), only when the
/// message brings no locale and picks no language itself, and never for a customer leaving.
///
/// A profile with no usable locale, or a lookup that failed, is not asked again: the language
/// then comes from the customer's words and the market, as it would on a platform without
/// profiles.
pub fn asks_profile(message: &InboundMessage, session: &Session, clues: &Clues<'_>) -> bool {
    let firm = matches!(
        clues.remembered,
        Some((_, Some(LangSource::Chosen | LangSource::Platform)))
    );
    session.version == 0
        && !firm
        && clues.picked.is_none()
        && clues.platform_locale.is_none()
        && !matches!(message.content, InboundContent::OptOut)
}

/// The language for this message; see the module documentation for the order.
pub fn decide(clues: &Clues<'_>) -> Decision {
    let decision = |lang, source| Decision { lang, source };
    if let Some(lang) = clues.picked {
        return decision(lang, LangSource::Chosen);
    }
    let remembered = clues
        .remembered
        .map(|(lang, source)| (lang, source.unwrap_or(LangSource::Default)));
    if let Some((lang, LangSource::Chosen)) = remembered {
        return decision(lang, LangSource::Chosen);
    }
    if let Some(lang) = clues.platform_locale.and_then(Lang::from_locale) {
        return decision(lang, LangSource::Platform);
    }
    if let Some((lang, LangSource::Platform)) = remembered {
        return decision(lang, LangSource::Platform);
    }
    let words = clues.words.unwrap_or("");
    if let Some(lang) = keyword_language(words, clues) {
        return decision(lang, LangSource::Words);
    }
    if let Some((lang, LangSource::Words)) = remembered {
        return decision(lang, LangSource::Words);
    }
    if let Some(lang) = detected_language(words, clues) {
        return decision(lang, LangSource::Words);
    }
    decision(
        clues.market.unwrap_or(clues.deployment),
        LangSource::Default,
    )
}

/// The language a keyword belongs to, when only one (or only Chinese) lists it.
fn keyword_language(words: &str, clues: &Clues<'_>) -> Option<Lang> {
    let heard = keywords::understand(words)?;
    match heard.langs.as_slice() {
        [only] => Some(*only),
        langs if !langs.is_empty() && langs.iter().all(|l| l.primary() == "zh") => {
            Some(chinese(words, clues))
        }
        _ => None,
    }
}

/// Fewest letters of a Latin-script message before a detection counts: below this, product
/// names and single words are detected as anything.
const MIN_LATIN_LETTERS: usize = 12;
/// Fewest Han characters before "Mandarin" counts: kanji-only Japanese ("注文履歴") reads as
/// Mandarin too, and only longer text tells them apart reliably.
const MIN_HAN_LETTERS: usize = 6;
/// Fewest letters of a script only one shipped language writes (Hangul, Thai, kana).
const MIN_OWN_SCRIPT_LETTERS: usize = 2;

/// The shipped language a detector is sure the words are in.
fn detected_language(words: &str, clues: &Clues<'_>) -> Option<Lang> {
    let letters = words.chars().filter(|c| c.is_alphabetic()).count();
    let info = whatlang::detect(words)?;
    use whatlang::Lang as W;
    let (lang, min_letters, needs_reliable) = match info.lang() {
        W::Kor => (Lang::KO, MIN_OWN_SCRIPT_LETTERS, false),
        W::Tha => (Lang::TH, MIN_OWN_SCRIPT_LETTERS, false),
        W::Jpn => (Lang::JA, MIN_OWN_SCRIPT_LETTERS, false),
        W::Cmn => (chinese(words, clues), MIN_HAN_LETTERS, true),
        W::Eng => (Lang::EN, MIN_LATIN_LETTERS, true),
        W::Spa => (Lang::ES, MIN_LATIN_LETTERS, true),
        W::Por => (Lang::PT_BR, MIN_LATIN_LETTERS, true),
        W::Ind => (Lang::ID, MIN_LATIN_LETTERS, true),
        _ => return None,
    };
    let sure = letters >= min_letters && (info.is_reliable() || !needs_reliable);
    sure.then_some(lang)
}

/// Common characters written differently in the two scripts: (Simplified, Traditional).
const HAN_PAIRS: [(char, char); 16] = [
    ('们', '們'),
    ('这', '這'),
    ('个', '個'),
    ('么', '麼'),
    ('说', '說'),
    ('买', '買'),
    ('东', '東'),
    ('来', '來'),
    ('时', '時'),
    ('会', '會'),
    ('对', '對'),
    ('发', '發'),
    ('没', '沒'),
    ('还', '還'),
    ('吗', '嗎'),
    ('钱', '錢'),
];

/// Simplified or Traditional Chinese for text known to be Chinese.
fn chinese(words: &str, clues: &Clues<'_>) -> Lang {
    let simplified = words
        .chars()
        .filter(|c| HAN_PAIRS.iter().any(|(s, _)| s == c))
        .count();
    let traditional = words
        .chars()
        .filter(|c| HAN_PAIRS.iter().any(|(_, t)| t == c))
        .count();
    if simplified != traditional {
        return if simplified > traditional {
            Lang::ZH_HANS
        } else {
            Lang::ZH_HANT
        };
    }
    [clues.market, Some(clues.deployment)]
        .into_iter()
        .flatten()
        .filter(|l| l.primary() == "zh")
        .find_map(|l| Lang::negotiate(l.code(), &[Lang::ZH_HANS, Lang::ZH_HANT]))
        .unwrap_or(Lang::ZH_HANS)
}

/// The languages a customer can switch to, in the order the list shows them.
pub fn offered() -> &'static [Lang] {
    &Lang::SHIPPED
}

/// A language's name in itself, as CLDR writes it (its `localeDisplayNames` for the language
/// in its own locale, <https://github.com/unicode-org/cldr-json>): a customer who cannot read
/// the current language still finds their own in the list.
pub fn autonym(lang: Lang) -> Option<&'static str> {
    Some(match lang.code() {
        "en" => "English",
        "es" => "Español",
        "pt-BR" => "Português (Brasil)",
        "zh-Hans" => "简体中文",
        "zh-Hant" => "繁體中文",
        "ja" => "日本語",
        "ko" => "한국어",
        "th" => "ไทย",
        "id" => "Bahasa Indonesia",
        _ => return None,
    })
}

#[cfg(test)]
#[path = "language_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "language_flow_tests.rs"]
mod flow_tests;

#[cfg(test)]
#[path = "profile_language_tests.rs"]
mod profile_tests;
