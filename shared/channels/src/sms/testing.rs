//! What this folder's tests share: the customer, form pairs and menus.

use chatdrop_domain::reply::{Choice, Reply};

/// The customer every test texts with.
pub(super) const ANA: &str = "+15551234567";

/// Form parameters as the decoder yields them.
pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn choice(id: &str, title: &str, description: Option<&str>) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: description.map(String::from),
    }
}

pub(super) fn menu(body: &str, choices: Vec<Choice>) -> Reply {
    Reply::Choices {
        body: body.into(),
        menu_label: "Menu".into(),
        choices,
    }
}
