//! What a log line may say about a payload.
//!
//! A customer's platform id (a phone number, a PSID, a LINE user id, an OpenID) is personal
//! data; logs carry `ConversationId::hashed()` instead. Parser errors are the subtle leak:
//! serde_json's message quotes the value it could not read (`invalid type: string
//! "+15551234567", expected i64`), so an unreadable webhook would put whatever the customer or
//! the platform sent into the logs. These functions keep the part that helps an operator (what
//! kind of failure, where in the body) and drop the rest.

use std::borrow::Cow;

/// A serde_json error as its category and position, e.g. `JSON data error at line 1 column
/// 48` (no position for an error from a `Value`, which has none).
pub fn json_error(e: &serde_json::Error) -> String {
    let category = match e.classify() {
        serde_json::error::Category::Io => "I/O",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Eof => "truncated",
    };
    if e.line() == 0 {
        return format!("JSON {category} error");
    }
    format!(
        "JSON {category} error at line {} column {}",
        e.line(),
        e.column()
    )
}

/// The longest type name logged as sent (`interactive.button_reply` is 24).
const MAX_KIND_CHARS: usize = 32;

/// A payload's type name (a message type, a notification `object`, a status) as sent when it
/// looks like one, `(unrecognised)` otherwise. A type name is letters with `_ . -`; anything
/// with a digit or longer than a type name could be an id, so it is not repeated.
pub fn kind(value: &str) -> Cow<'_, str> {
    let looks_like_a_name = !value.is_empty()
        && value.chars().count() <= MAX_KIND_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '.' | '-'));
    if looks_like_a_name {
        Cow::Borrowed(value)
    } else {
        Cow::Borrowed("(unrecognised)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_keep_their_category_and_position_but_not_the_value() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Update {
            update_id: i64,
        }
        // A data error quotes the value it could not read; the others name no value, and
        // the logged form is the same shape for all three.
        let quoted =
            serde_json::from_str::<Update>(r#"{"update_id": "+15551234567"}"#).unwrap_err();
        assert!(quoted.to_string().contains("+15551234567"), "{quoted}");
        assert_eq!(json_error(&quoted), "JSON data error at line 1 column 28");
        let syntax = serde_json::from_str::<Update>(r#"{"update_id": 5 "x"}"#).unwrap_err();
        assert_eq!(json_error(&syntax), "JSON syntax error at line 1 column 17");
        let truncated = serde_json::from_str::<Update>(r#"{"update_id": "+1555"#).unwrap_err();
        assert!(json_error(&truncated).starts_with("JSON truncated error at line 1"));
        assert!(!json_error(&truncated).contains("1555"));
        let from_value =
            serde_json::from_value::<Update>(serde_json::json!({"update_id": "+15551234567"}))
                .unwrap_err();
        assert_eq!(json_error(&from_value), "JSON data error");
    }

    #[test]
    fn only_type_names_are_repeated() {
        for name in [
            "audio",
            "interactive.nfm_reply",
            "page",
            "event.CLICK",
            "deleted",
        ] {
            assert_eq!(kind(name), name);
        }
        for value in [
            "",
            "15551234567",
            "Uaaaabbbbccccddddeeeeffff00001111",
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "a name with spaces",
            "abcdefghijklmnopqrstuvwxyzabcdefghij",
        ] {
            assert_eq!(kind(value), "(unrecognised)", "{value}");
        }
    }
}
