//! Customer tags: the retailer's own labels on a customer (`vip`, `tokyo-popup-2026`, `staff`),
//! which a campaign's segment selects (`campaign::Segment::tags`: a recipient carrying at least
//! one of the segment's tags).
//!
//! Tags are set by ops, never by the customer: `chatdrop customer tag` for one conversation,
//! `chatdrop customer import-tags` for a CSV a CRM exported. A tag may be set before the
//! customer ever writes (a pre-registration list), so tagging never requires a conversation to
//! exist. What a tag may look like is decided here, once, so that the tags the CLI stores and
//! the tags a campaign file names compare equal: [`normalize`] lowercases (Unicode, so `東京`
//! and `VIP` both work) and refuses what would make two spellings of one tag differ or a CSV
//! cell ambiguous (whitespace, commas, control characters).
//!
//! Tags are personal data about a customer (they say who is a VIP, who came to which event):
//! `chatdrop customer export` lists them and `forget` erases them with the rest.

use std::collections::BTreeSet;
use thiserror::Error;

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// The most tags one customer carries: segments select by a few labels, and the whole set is
/// read for every recipient of a segment by tags, so it stays one small item.
pub const MAX_TAGS: usize = 50;

/// Why a tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TagError {
    #[error("an empty tag")]
    Empty,
    #[error("tag `{tag}` is longer than {MAX_TAG_CHARS} characters")]
    TooLong { tag: String },
    #[error(
        "tag `{tag}` has `{found}`: tags are letters and digits in any script, and `-`, `_`, `.`, `:` \
         (no spaces: a CSV cell separates tags by spaces)"
    )]
    BadCharacter { tag: String, found: char },
}

/// A tag as stored and compared: trimmed, lowercased, checked.
pub fn normalize(raw: &str) -> Result<String, TagError> {
    let tag = raw.trim().to_lowercase();
    if tag.is_empty() {
        return Err(TagError::Empty);
    }
    if let Some(found) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(TagError::BadCharacter { tag, found });
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(TagError::TooLong { tag });
    }
    Ok(tag)
}

/// The tags in a list a person typed (a CSV cell, a campaign file's segment): separated by
/// spaces, each normalized, duplicates once. Every bad tag is reported, not only the first.
pub fn parse_list<'a>(
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeSet<String>, Vec<TagError>> {
    let mut tags = BTreeSet::new();
    let mut errors = Vec::new();
    for word in raw.into_iter().flat_map(str::split_whitespace) {
        match normalize(word) {
            Ok(tag) => {
                tags.insert(tag);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(tags)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_trimmed_and_lowercased_in_any_script() {
        assert_eq!(normalize("  VIP ").unwrap(), "vip");
        assert_eq!(normalize("Tokyo-PopUp_2026").unwrap(), "tokyo-popup_2026");
        assert_eq!(normalize("東京").unwrap(), "東京");
        assert_eq!(normalize("ÉTÉ").unwrap(), "été");
        assert_eq!(normalize("src:crm.v2").unwrap(), "src:crm.v2");
    }

    #[test]
    fn what_would_make_two_spellings_differ_is_refused() {
        assert_eq!(normalize("   "), Err(TagError::Empty));
        assert!(matches!(
            normalize("tokyo popup"),
            Err(TagError::BadCharacter { found: ' ', .. })
        ));
        assert!(matches!(
            normalize("a,b"),
            Err(TagError::BadCharacter { found: ',', .. })
        ));
        assert!(matches!(
            normalize("vip\u{7}"),
            Err(TagError::BadCharacter { .. })
        ));
        assert!(normalize(&"x".repeat(MAX_TAG_CHARS)).is_ok());
        assert!(matches!(
            normalize(&"x".repeat(MAX_TAG_CHARS + 1)),
            Err(TagError::TooLong { .. })
        ));
        // Counted in characters, not bytes: 40 kanji are 120 bytes and still one tag.
        assert!(normalize(&"東".repeat(MAX_TAG_CHARS)).is_ok());
    }

    #[test]
    fn a_list_is_split_on_spaces_and_every_bad_tag_reported() {
        let tags = parse_list(["VIP  staff", "vip"]).unwrap();
        assert_eq!(tags.into_iter().collect::<Vec<_>>(), ["staff", "vip"]);
        let errors = parse_list(["ok bad,one worse;two"]).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(parse_list([""]).unwrap().is_empty());
    }
}
