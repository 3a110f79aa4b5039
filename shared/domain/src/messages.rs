//! The words behind every [`Msg`](crate::i18n::Msg): Fluent message files, shipped and overridden.
//!
//! chatdrop ships one [Fluent](https://projectfluent.org/fluent/guide/) file per locale in
//! `shared/domain/locales/<tag>.ftl`, compiled into the binary ([`SHIPPED_FILES`]) and parsed
//! once per process into [`Messages::shipped`]. `en.ftl` is the source: it defines every message
//! id and the variables each message takes, and every other file translates it.
//!
//! A retailer may reword any message, and may add a language chatdrop does not ship, without a
//! release: their files (`messages/<tag>.ftl` beside the catalog seed) are checked by
//! `chatdrop catalog check`, stored in the catalog ([`Catalog::messages`]) by `chatdrop catalog
//! load`, and read back with it. Text lives with the catalog because every function already
//! reloads the versioned catalog atomically and caches it: new wording goes live with the next
//! load, no redeploy, and products and text always switch together.
//! [`Messages::with_overrides`] lays those files over the shipped ones (a shipped locale's file
//! needs only the messages it changes; an added locale must have them all) and
//! [`Catalog::voice`] builds that set once per catalog version.
//!
//! [`Messages::format`] looks a message up in the customer's language, then in each shorter tag
//! (`zh-Hant-TW` → `zh-Hant` → `zh`), then in the nearest locale it has (`pt-PT` → `pt-BR`),
//! then in the default language, then in English, so a missing translation shows English
//! rather than nothing.
//!
//! Overrides are checked before they are stored ([`MessagesError`]): a file must parse; it may
//! only define ids (and attributes) that `en.ftl` has, because a typo would otherwise be
//! silently ignored; and each message must use exactly the variables the English one uses, since
//! a dropped `{ $total }` hides the amount to pay and a misspelt one prints `{$totl}`.
//!
//! How to add a shipped locale: write `locales/<tag>.ftl` from `en.ftl`, add a row to
//! [`SHIPPED_FILES`], and run `cargo test -p chatdrop-domain` (the tests compare its keys and
//! variables with English).
//!
//! [`Catalog::messages`]: crate::catalog::Catalog::messages
//! [`Catalog::voice`]: crate::catalog::Catalog::voice

use crate::catalog::Catalog;
use crate::lang::Lang;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

/// The locale files chatdrop ships, compiled in. A translator adds a row here.
pub const SHIPPED_FILES: &[(Lang, &str)] = &[
    (Lang::EN, include_str!("../locales/en.ftl")),
    (Lang::ES, include_str!("../locales/es.ftl")),
    (Lang::PT_BR, include_str!("../locales/pt-BR.ftl")),
    (Lang::ZH_HANS, include_str!("../locales/zh-Hans.ftl")),
    (Lang::ZH_HANT, include_str!("../locales/zh-Hant.ftl")),
    (Lang::JA, include_str!("../locales/ja.ftl")),
    (Lang::KO, include_str!("../locales/ko.ftl")),
    (Lang::TH, include_str!("../locales/th.ftl")),
    (Lang::ID, include_str!("../locales/id.ftl")),
];

type Bundle = FluentBundle<Arc<FluentResource>>;

/// Parsed once: the overrides of every catalog share these resources.
static SHIPPED_RESOURCES: LazyLock<Vec<(Lang, Arc<FluentResource>)>> = LazyLock::new(|| {
    SHIPPED_FILES
        .iter()
        .map(|(lang, source)| {
            // A shipped file that does not parse fails the tests; here, keep what parsed.
            let resource =
                FluentResource::try_new((*source).to_string()).unwrap_or_else(|(r, _)| r);
            (*lang, Arc::new(resource))
        })
        .collect()
});

static SHIPPED: LazyLock<Messages> = LazyLock::new(|| Messages::with_default(Lang::EN));

/// One bundle per locale: the shipped text, with a retailer's overrides laid over it.
pub struct Messages {
    bundles: BTreeMap<Lang, Bundle>,
    /// Tried after the customer's language and its shorter tags, before English.
    default: Lang,
}

/// Why a retailer's message file cannot be used. Lines count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessagesError {
    #[error("{lang}.ftl line {line}: {problem}")]
    Syntax {
        lang: Lang,
        line: usize,
        problem: String,
    },
    #[error("{lang}.ftl line {line}: `{key}` is not a chatdrop message (en.ftl lists them)")]
    UnknownKey {
        lang: Lang,
        line: usize,
        key: String,
    },
    #[error(
        "{lang}.ftl line {line}: `{key}` must use the variables of en.ftl ({}); missing: {}; unknown: {}",
        variables_list(.expected), variables_list(.missing), variables_list(.unknown)
    )]
    Placeables {
        lang: Lang,
        line: usize,
        key: String,
        expected: Vec<String>,
        missing: Vec<String>,
        unknown: Vec<String>,
    },
    #[error(
        "{lang}.ftl is a language chatdrop does not ship, so it needs every message; missing: {}",
        .missing.join(", ")
    )]
    Incomplete { lang: Lang, missing: Vec<String> },
    #[error("{lang}.ftl: `{key}` overrides only part of the message; also give: {}", .missing.join(", "))]
    PartialMessage {
        lang: Lang,
        key: String,
        missing: Vec<String>,
    },
}

/// `$a, $b`, or `none`.
fn variables_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let dollars: Vec<String> = names.iter().map(|n| format!("${n}")).collect();
    dollars.join(", ")
}

/// A language and the messages to speak it with: what [`Msg::text`](crate::i18n::Msg::text)
/// needs. A bare [`Lang`] converts into the shipped voice; the conversation flows use the
/// catalog's ([`Catalog::voice`](crate::catalog::Catalog::voice)). Channel renderers and the
/// payment pages speak with the shipped voice: they have no catalog at hand.
#[derive(Clone, Copy, Debug)]
pub struct Voice<'a> {
    pub lang: Lang,
    pub messages: &'a Messages,
}

impl From<Lang> for Voice<'static> {
    fn from(lang: Lang) -> Self {
        Voice {
            lang,
            messages: Messages::shipped(),
        }
    }
}

impl Voice<'_> {
    /// A message's value in this voice.
    pub fn say(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        self.messages.format(self.lang, id, args)
    }

    /// One of a message's attributes (`product-detail.options`) in this voice.
    pub fn say_attribute(
        &self,
        id: &str,
        attribute: &str,
        args: Option<&FluentArgs<'_>>,
    ) -> String {
        self.messages
            .format_part(self.lang, id, Some(attribute), args)
    }
}

impl Messages {
    /// The text chatdrop ships, with English as the default.
    pub fn shipped() -> &'static Messages {
        &SHIPPED
    }

    /// The shipped text with a retailer's files (FTL source by locale) laid over it, or every
    /// problem found in them. `default` is tried before English when a language lacks a
    /// message (a catalog's main market's language).
    pub fn with_overrides(
        files: &BTreeMap<Lang, String>,
        default: Lang,
    ) -> Result<Messages, Vec<MessagesError>> {
        let mut problems = Vec::new();
        let mut overrides = BTreeMap::new();
        for (lang, source) in files {
            match check(*lang, source) {
                Ok(resource) => {
                    overrides.insert(*lang, Arc::new(resource));
                }
                Err(mut found) => problems.append(&mut found),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut bundles = BTreeMap::new();
        for (lang, shipped) in SHIPPED_RESOURCES.iter() {
            let mut resources = vec![shipped.clone()];
            resources.extend(overrides.remove(lang));
            bundles.insert(*lang, bundle(*lang, resources));
        }
        for (lang, resource) in overrides {
            bundles.insert(lang, bundle(lang, [resource]));
        }
        Ok(Messages { bundles, default })
    }

    /// The shipped text with another default language (tried before English).
    pub fn with_default(default: Lang) -> Messages {
        let bundles = SHIPPED_RESOURCES
            .iter()
            .map(|(lang, resource)| (*lang, bundle(*lang, [resource.clone()])))
            .collect();
        Messages { bundles, default }
    }

    /// The locales that have text, shipped or added.
    pub fn locales(&self) -> impl Iterator<Item = Lang> + '_ {
        self.bundles.keys().copied()
    }

    /// Whether chatdrop ships a file for `lang`.
    pub fn is_shipped(lang: Lang) -> bool {
        SHIPPED_FILES.iter().any(|(l, _)| *l == lang)
    }

    /// A message's value in `lang`, or in the first fallback that has it (see the module
    /// docs); the id itself when no locale has it, as Fluent does.
    pub fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        self.format_part(lang, id, None, args)
    }

    fn format_part(
        &self,
        lang: Lang,
        id: &str,
        attribute: Option<&str>,
        args: Option<&FluentArgs<'_>>,
    ) -> String {
        // Only when the tag and its prefixes miss: the nearest locale we have (`pt-PT` finds
        // `pt-BR`), as the session's language negotiation would pick.
        let nearest = std::iter::once_with(|| {
            let available: Vec<Lang> = self.bundles.keys().copied().collect();
            Lang::negotiate(lang.code(), &available)
        })
        .flatten();
        let chain = lang
            .fallbacks()
            .chain(nearest)
            .chain(self.default.fallbacks())
            .chain([Lang::EN]);
        for candidate in chain {
            let Some(bundle) = self.bundles.get(&candidate) else {
                continue;
            };
            let Some(message) = bundle.get_message(id) else {
                continue;
            };
            let pattern = match attribute {
                Some(name) => message.get_attribute(name).map(|a| a.value()),
                None => message.value(),
            };
            let Some(pattern) = pattern else { continue };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                // Fluent still gives the text, with `{$name}` where a value was missing.
                tracing::warn!(%candidate, id, ?errors, "message formatted with errors");
            }
            return text.into_owned();
        }
        tracing::warn!(%lang, id, "no locale has this message");
        id.to_string()
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("locales", &self.bundles.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .finish()
    }
}

fn bundle(lang: Lang, resources: impl IntoIterator<Item = Arc<FluentResource>>) -> Bundle {
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode bidi isolation marks (U+2068/U+2069) around placeables: some chat clients show
    // them as odd characters, and on SMS one non-GSM character turns the whole message into
    // UCS-2, where a segment holds 70 characters instead of 160, doubling the cost. Our values
    // (names, prices, numbers) sit in text of the same direction.
    bundle.set_use_isolating(false);
    for resource in resources {
        // Later files override earlier ones: the retailer's words win over the shipped ones.
        bundle.add_resource_overriding(resource);
    }
    bundle
}

/// A message's parts: its value (key `id`) and attributes (key `id.attr`), each with the
/// variables it uses and the line it starts on.
pub(crate) type Parts = BTreeMap<String, (usize, BTreeSet<String>)>;

/// The parts of every message of a resource, keyed `id` and `id.attribute`.
pub(crate) fn parts(resource: &FluentResource, source: &str) -> Parts {
    let mut parts = Parts::new();
    for entry in resource.entries() {
        let ast::Entry::Message(message) = entry else {
            continue;
        };
        let id = message.id.name;
        let line = line_of(source, id);
        if let Some(value) = &message.value {
            parts.insert(id.to_string(), (line, variables(value)));
        }
        for attribute in &message.attributes {
            let key = format!("{id}.{}", attribute.id.name);
            parts.insert(key, (line, variables(&attribute.value)));
        }
    }
    parts
}

/// The line where message `id` is defined (1 when not found).
fn line_of(source: &str, id: &str) -> usize {
    source
        .lines()
        .position(|l| {
            l.strip_prefix(id)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |n| n + 1)
}

/// The `$variables` a pattern uses, in selectors and variants included.
pub(crate) fn variables(pattern: &ast::Pattern<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect_pattern(pattern, &mut found);
    found
}

fn collect_pattern(pattern: &ast::Pattern<&str>, found: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_expression(expression, found);
        }
    }
}

fn collect_expression(expression: &ast::Expression<&str>, found: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => collect_inline(inline, found),
        ast::Expression::Select { selector, variants } => {
            collect_inline(selector, found);
            for variant in variants {
                collect_pattern(&variant.value, found);
            }
        }
    }
}

fn collect_inline(inline: &ast::InlineExpression<&str>, found: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            found.insert(id.name.to_string());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                collect_inline(argument, found);
            }
            for argument in &arguments.named {
                collect_inline(&argument.value, found);
            }
        }
        ast::InlineExpression::Placeable { expression } => collect_expression(expression, found),
        // A term's arguments are the term's own variables, and a message reference brings in
        // the other message's variables: neither is this message's.
        _ => {}
    }
}

/// Parses a retailer's file and checks it against English.
fn check(lang: Lang, source: &str) -> Result<FluentResource, Vec<MessagesError>> {
    // What parsed is still checked, so one run lists every problem of the file.
    let (resource, mut problems) = match FluentResource::try_new(source.to_string()) {
        Ok(resource) => (resource, Vec::new()),
        Err((resource, errors)) => {
            let syntax = errors
                .into_iter()
                .map(|e| {
                    // The entry that failed (its slice) starts the line a person would look at;
                    // the error's own position may be past its end.
                    let at = e.slice.as_ref().map_or(e.pos.start, |s| s.start);
                    MessagesError::Syntax {
                        lang,
                        line: source[..at.min(source.len())].matches('\n').count() + 1,
                        problem: e.to_string(),
                    }
                })
                .collect();
            (resource, syntax)
        }
    };
    let english = english_parts();
    let theirs = parts(&resource, source);
    for (key, (line, used)) in &theirs {
        let Some((_, expected)) = english.get(key) else {
            problems.push(MessagesError::UnknownKey {
                lang,
                line: *line,
                key: key.clone(),
            });
            continue;
        };
        if used != expected {
            problems.push(MessagesError::Placeables {
                lang,
                line: *line,
                key: key.clone(),
                expected: expected.iter().cloned().collect(),
                missing: expected.difference(used).cloned().collect(),
                unknown: used.difference(expected).cloned().collect(),
            });
        }
    }
    let absent = |key: &&String| !theirs.contains_key(*key);
    if Messages::is_shipped(lang) {
        // An override replaces the whole message: it must bring the value and every attribute.
        let ids: BTreeSet<&str> = theirs.keys().map(|k| message_id(k)).collect();
        for id in ids {
            let missing: Vec<String> = english
                .keys()
                .filter(|k| message_id(k) == id)
                .filter(absent)
                .cloned()
                .collect();
            if !missing.is_empty() {
                problems.push(MessagesError::PartialMessage {
                    lang,
                    key: id.to_string(),
                    missing,
                });
            }
        }
    } else {
        let missing: Vec<String> = english.keys().filter(absent).cloned().collect();
        if !missing.is_empty() {
            problems.push(MessagesError::Incomplete { lang, missing });
        }
    }
    if problems.is_empty() {
        Ok(resource)
    } else {
        Err(problems)
    }
}

fn message_id(key: &str) -> &str {
    key.split('.').next().unwrap_or(key)
}

/// The parts of `en.ftl`: the ids and variables every locale follows.
pub(crate) fn english_parts() -> &'static Parts {
    static ENGLISH: LazyLock<Parts> = LazyLock::new(|| {
        let (_, source) = SHIPPED_FILES[0];
        let resource = &SHIPPED_RESOURCES[0].1;
        parts(resource, source)
    });
    &ENGLISH
}

/// A catalog's messages built into bundles, kept with the catalog so each loaded version builds
/// them once, on first use. Built lazily rather than when the catalog is read: reading stays
/// infallible and cheap for the functions that never speak (the sweeper), and the catalog is
/// validated when loaded, so a failure here means a file older than a check; it then speaks
/// with the shipped text. A clone starts empty, since its `messages` may then change.
#[derive(Default)]
pub struct CompiledMessages(OnceLock<Messages>);

impl Clone for CompiledMessages {
    fn clone(&self) -> Self {
        CompiledMessages::default()
    }
}

/// The cache says nothing about the catalog's content.
impl PartialEq for CompiledMessages {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for CompiledMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "built"
        } else {
            "not built"
        })
    }
}

impl Catalog {
    /// The language tried before English when a message is missing: the first market's.
    pub fn default_lang(&self) -> Lang {
        self.markets
            .first()
            .and_then(|m| m.lang)
            .unwrap_or(Lang::EN)
    }

    /// How the flows speak to a customer in `lang`: with this catalog's wording (the shipped
    /// text with its message files over it, built on first use and kept with the catalog).
    pub fn voice(&self, lang: Lang) -> Voice<'_> {
        let messages = self.compiled_messages.0.get_or_init(|| {
            let default = self.default_lang();
            if self.messages.is_empty() {
                return Messages::with_default(default);
            }
            Messages::with_overrides(&self.messages, default).unwrap_or_else(|problems| {
                tracing::error!(?problems, "catalog messages invalid; using shipped text");
                Messages::with_default(default)
            })
        });
        Voice { lang, messages }
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
