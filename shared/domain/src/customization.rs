//! Customizing a product: walking its option groups and enforcing their rules.
//!
//! The customer answers one group at a time, in catalog order. A choice is checked against the
//! options already chosen: an option may exclude others (a gold charm does not go on the canvas
//! strap) or require one of a set (the chain strap needs the leather body). Text groups, such as
//! an engraving, are checked for length and characters. A rejected answer changes nothing; the
//! flow explains the [`ChoiceError`] and asks the same group again.

use crate::catalog::{Charset, GroupKind, OptionGroup, Product, ProductOption};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// One answered group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Selection {
    Option { group: String, option: String },
    Text { group: String, text: String },
    Skipped { group: String },
}

impl Selection {
    pub fn group(&self) -> &str {
        match self {
            Selection::Option { group, .. }
            | Selection::Text { group, .. }
            | Selection::Skipped { group } => group,
        }
    }

    fn option_ref(&self) -> Option<String> {
        match self {
            Selection::Option { group, option } => Some(format!("{group}.{option}")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("that answer is for another step")]
    WrongStep,
    #[error("no such option")]
    UnknownOption,
    #[error("`{option}` cannot be combined with `{other}`")]
    Excluded { option: String, other: String },
    #[error("`{option}` needs one of: {needed}")]
    Requires { option: String, needed: String },
    #[error("this step cannot be skipped")]
    NotOptional,
    #[error("the text is empty")]
    TextEmpty,
    #[error("the text is longer than {max} characters")]
    TextTooLong { max: usize },
    #[error("the text contains `{0}`, which cannot be used")]
    TextCharacter(char),
}

/// The group the customer must answer next, or `None` when every group is answered.
pub fn next_group<'p>(product: &'p Product, selections: &[Selection]) -> Option<&'p OptionGroup> {
    product.option_groups.get(selections.len())
}

fn chosen_refs(selections: &[Selection]) -> Vec<String> {
    selections
        .iter()
        .filter_map(Selection::option_ref)
        .collect()
}

fn option_label(product: &Product, reference: &str, lang: Lang) -> String {
    find_option(product, reference)
        .map(|opt| opt.name.get(lang).to_string())
        .unwrap_or_else(|| reference.to_string())
}

/// Checks `option` of `group` against what is already chosen.
pub fn check_option(
    product: &Product,
    group: &OptionGroup,
    option: &ProductOption,
    selections: &[Selection],
    lang: Lang,
) -> Result<(), ChoiceError> {
    let chosen = chosen_refs(selections);
    let this = format!("{}.{}", group.id, option.id);
    let label = |r: &str| option_label(product, r, lang);
    for c in &chosen {
        let theirs_exclude = find_option(product, c).is_some_and(|o| o.excludes.contains(&this));
        if option.excludes.contains(c) || theirs_exclude {
            return Err(ChoiceError::Excluded {
                option: option.name.get(lang).to_string(),
                other: label(c),
            });
        }
    }
    // `requires` lists alternatives per group: one chosen option of each named group suffices.
    let mut groups: Vec<&str> = option
        .requires
        .iter()
        .map(|r| r.split_once('.').map_or(r.as_str(), |(g, _)| g))
        .collect();
    groups.dedup();
    for g in groups {
        let alternatives: Vec<&String> = option
            .requires
            .iter()
            .filter(|r| r.split_once('.').is_some_and(|(rg, _)| rg == g))
            .collect();
        if !alternatives.iter().any(|r| chosen.contains(r)) {
            let needed: Vec<String> = alternatives.iter().map(|r| label(r)).collect();
            return Err(ChoiceError::Requires {
                option: option.name.get(lang).to_string(),
                needed: needed.join(", "),
            });
        }
    }
    Ok(())
}

fn find_option<'p>(product: &'p Product, reference: &str) -> Option<&'p ProductOption> {
    let (g, o) = reference.split_once('.')?;
    product
        .option_groups
        .iter()
        .find(|grp| grp.id == g)
        .and_then(|grp| match &grp.kind {
            GroupKind::Choice { options } => options.iter().find(|opt| opt.id == o),
            GroupKind::Text { .. } => None,
        })
}

/// Options of the next group that fit what is already chosen: the ones worth offering.
pub fn compatible_options<'p>(
    product: &'p Product,
    group: &'p OptionGroup,
    selections: &[Selection],
) -> Vec<&'p ProductOption> {
    match &group.kind {
        GroupKind::Choice { options } => options
            .iter()
            .filter(|o| check_option(product, group, o, selections, Lang::EN).is_ok())
            .collect(),
        GroupKind::Text { .. } => Vec::new(),
    }
}

/// Answers the next group with an option; on success returns the new selection.
pub fn choose(
    product: &Product,
    selections: &[Selection],
    group_id: &str,
    option_id: &str,
    lang: Lang,
) -> Result<Selection, ChoiceError> {
    let group = next_group(product, selections).ok_or(ChoiceError::WrongStep)?;
    if group.id != group_id {
        return Err(ChoiceError::WrongStep);
    }
    let GroupKind::Choice { options } = &group.kind else {
        return Err(ChoiceError::WrongStep);
    };
    let option = options
        .iter()
        .find(|o| o.id == option_id)
        .ok_or(ChoiceError::UnknownOption)?;
    check_option(product, group, option, selections, lang)?;
    Ok(Selection::Option {
        group: group.id.clone(),
        option: option.id.clone(),
    })
}

/// Answers the next group by typing: the text of a text group, or an option's name.
pub fn answer_text(
    product: &Product,
    selections: &[Selection],
    text: &str,
    lang: Lang,
) -> Result<Selection, ChoiceError> {
    let group = next_group(product, selections).ok_or(ChoiceError::WrongStep)?;
    match &group.kind {
        GroupKind::Text {
            max_chars, charset, ..
        } => {
            let text = text.trim();
            if text.is_empty() {
                return Err(ChoiceError::TextEmpty);
            }
            if let Some(bad) = text.chars().find(|c| !allowed(*charset, *c)) {
                return Err(ChoiceError::TextCharacter(bad));
            }
            if text.chars().count() > *max_chars {
                return Err(ChoiceError::TextTooLong { max: *max_chars });
            }
            Ok(Selection::Text {
                group: group.id.clone(),
                text: text.to_string(),
            })
        }
        GroupKind::Choice { options } => {
            let wanted = text.trim().to_lowercase();
            let option = options
                .iter()
                // A typed name in any of the catalog's languages picks the option.
                .find(|o| o.name.all().any(|n| n.to_lowercase() == wanted) || o.id == wanted)
                .ok_or(ChoiceError::UnknownOption)?;
            choose(product, selections, &group.id, &option.id, lang)
        }
    }
}

/// Skips the next group when it is optional.
pub fn skip(
    product: &Product,
    selections: &[Selection],
    group_id: &str,
) -> Result<Selection, ChoiceError> {
    let group = next_group(product, selections).ok_or(ChoiceError::WrongStep)?;
    if group.id != group_id {
        return Err(ChoiceError::WrongStep);
    }
    if group.required {
        return Err(ChoiceError::NotOptional);
    }
    Ok(Selection::Skipped {
        group: group.id.clone(),
    })
}

fn allowed(charset: Charset, c: char) -> bool {
    match charset {
        Charset::LatinBasic => c.is_ascii_alphanumeric() || " .,'&-!".contains(c),
        Charset::Printable => !c.is_control(),
    }
}

/// What a customization adds to the base price: each chosen option, and each text group
/// answered. Its price deltas are read per market by [`crate::catalog::Catalog::unit_price`].
#[derive(Clone, Copy, Debug)]
pub enum Priced<'p> {
    Option(&'p ProductOption),
    Text(&'p OptionGroup),
}

/// The priced parts of `selections`, in order.
pub fn priced<'p>(
    product: &'p Product,
    selections: &'p [Selection],
) -> impl Iterator<Item = Priced<'p>> + 'p {
    selections.iter().filter_map(move |s| match s {
        Selection::Option { .. } => s
            .option_ref()
            .and_then(|r| find_option(product, &r))
            .map(Priced::Option),
        Selection::Text { group, .. } => product
            .option_groups
            .iter()
            .find(|g| &g.id == group)
            .filter(|g| matches!(g.kind, GroupKind::Text { .. }))
            .map(Priced::Text),
        Selection::Skipped { .. } => None,
    })
}

/// Base price plus every chosen option's delta, in minor units of the first market's currency
/// (`Catalog.currency`). What a customer pays is [`crate::catalog::Catalog::unit_price`], in the
/// market of their conversation.
pub fn unit_price(product: &Product, selections: &[Selection]) -> i64 {
    product.price
        + priced(product, selections)
            .map(|p| match p {
                Priced::Option(o) => o.price_delta,
                Priced::Text(g) => match g.kind {
                    GroupKind::Text { price_delta, .. } => price_delta,
                    GroupKind::Choice { .. } => 0,
                },
            })
            .sum::<i64>()
}

/// "Red, Leather strap, engraving “ANA”": the customer-facing summary of the choices.
pub fn describe(product: &Product, selections: &[Selection], lang: Lang) -> String {
    let parts: Vec<String> = selections
        .iter()
        .filter_map(|s| match s {
            Selection::Option { .. } => s.option_ref().map(|r| option_label(product, &r, lang)),
            Selection::Text { group, text } => {
                let name = product
                    .option_groups
                    .iter()
                    .find(|g| &g.id == group)
                    .map_or(group.as_str(), |g| g.name.get(lang));
                Some(format!("{name} “{text}”"))
            }
            Selection::Skipped { .. } => None,
        })
        .collect();
    if parts.is_empty() {
        product.name.get(lang).to_string()
    } else {
        format!("{} ({})", product.name.get(lang), parts.join(", "))
    }
}
