//! Button payloads: what a tap means, and which function handles it.
//!
//! Every button and list row we send carries an encoded [`Action`]. The encoding is short
//! (Telegram's `callback_data` holds 64 bytes) and starts with the handler's letter, `c:` for the
//! catalog function, `k:` for the cart function and `p:` for the payment function, so ingress can route a tap to its queue
//! without reading any state. Ids in the catalog are limited to 16 characters of `[a-z0-9_-]`
//! ([`crate::catalog::valid_id`]), which keeps the longest payload at 56 bytes.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};

/// The conversation function that handles a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Handler {
    /// Browsing: menu, categories, products, search.
    Catalog,
    /// Customization and the cart.
    Cart,
    /// Checkout, reservations and orders.
    Payment,
}

impl Handler {
    pub fn as_str(self) -> &'static str {
        match self {
            Handler::Catalog => "catalog",
            Handler::Cart => "cart",
            Handler::Payment => "payment",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Menu,
    Category(String),
    Product(String),
    /// Start adding a product: customization first when it has option groups.
    Add(String),
    Pick {
        product: String,
        group: String,
        option: String,
    },
    Skip {
        product: String,
        group: String,
    },
    CancelCustomizing,
    ViewCart,
    EditLine(String),
    SetQuantity {
        line: String,
        quantity: u32,
    },
    Remove(String),
    Empty,
    /// Reserve the cart and get a pay link.
    Checkout,
    /// Cancel an unpaid reservation.
    CancelOrder(String),
    /// Put a lapsed order's items back in the cart and check out again.
    Reorder(String),
    ListOrders,
    /// Show the languages the customer can switch to.
    Languages,
    /// Speak this language from now on (a tag of at most 16 bytes: the payload stays short).
    SetLang(Lang),
    /// Join the waitlist of a drop's SKU (its place in the drop's list: ids stay short).
    WaitlistJoin {
        drop: String,
        sku: u16,
    },
    /// Check out the unit the waitlist holds for this customer, in one tap.
    WaitlistTake {
        drop: String,
        sku: u16,
    },
    /// "No thanks": the held unit goes to the next in line.
    WaitlistPass {
        drop: String,
        sku: u16,
    },
    /// Tell me when this drop opens.
    RemindMe(String),
    /// The menu entry "Stop announcements": the customer opts out of drop announcements
    /// (order updates go on; [`crate::consent`]).
    StopAnnouncements,
    /// The entry shown instead once they opted out: announcements again.
    StartAnnouncements,
    /// Enter this drop's draw ([`crate::draw_flow`]).
    DrawEnter(String),
    /// A draw's winner takes their unit: sent by the draw run itself, never shown as a button,
    /// and refused for anyone the draw did not pick.
    DrawClaim(String),
    /// While proving a phone: text another code to the number given ([`crate::phone_dialogue`]).
    VerifyNewCode,
    /// While proving a phone: give another number.
    VerifyOtherNumber,
    /// While proving a phone: the platform's button that sends the customer's own number
    /// (Telegram's `request_contact`). A tap on it arrives as the contact, never as this
    /// payload; the payload only names the choice so an adapter can draw that button.
    VerifyShareContact,
}

/// The largest payload Telegram accepts in `callback_data`.
pub const MAX_PAYLOAD_BYTES: usize = 64;

impl Action {
    pub fn encode(&self) -> String {
        match self {
            Action::Menu => "c:m".into(),
            Action::Category(id) => format!("c:c:{id}"),
            Action::Product(id) => format!("c:p:{id}"),
            Action::Add(id) => format!("k:a:{id}"),
            Action::Pick {
                product,
                group,
                option,
            } => format!("k:o:{product}:{group}:{option}"),
            Action::Skip { product, group } => format!("k:s:{product}:{group}"),
            Action::CancelCustomizing => "k:x".into(),
            Action::ViewCart => "k:v".into(),
            Action::EditLine(line) => format!("k:e:{line}"),
            Action::SetQuantity { line, quantity } => format!("k:q:{line}:{quantity}"),
            Action::Remove(line) => format!("k:r:{line}"),
            Action::Empty => "k:z".into(),
            Action::Checkout => "p:c".into(),
            Action::CancelOrder(id) => format!("p:x:{id}"),
            Action::Reorder(id) => format!("p:r:{id}"),
            Action::ListOrders => "p:l".into(),
            Action::Languages => "c:l".into(),
            Action::SetLang(lang) => format!("c:g:{lang}"),
            Action::WaitlistJoin { drop, sku } => format!("p:wj:{drop}:{sku}"),
            Action::WaitlistTake { drop, sku } => format!("p:wt:{drop}:{sku}"),
            Action::WaitlistPass { drop, sku } => format!("p:wn:{drop}:{sku}"),
            Action::RemindMe(drop) => format!("p:rm:{drop}"),
            Action::StopAnnouncements => "c:a:off".into(),
            Action::StartAnnouncements => "c:a:on".into(),
            Action::DrawEnter(drop) => format!("p:de:{drop}"),
            Action::DrawClaim(drop) => format!("p:dw:{drop}"),
            Action::VerifyNewCode => "c:v:new".into(),
            Action::VerifyOtherNumber => "c:v:num".into(),
            Action::VerifyShareContact => "c:v:share".into(),
        }
    }

    /// Parses a payload; `None` for anything we did not produce (a forged or stale payload).
    pub fn decode(payload: &str) -> Option<Action> {
        let parts: Vec<&str> = payload.split(':').collect();
        let owned = |s: &str| s.to_string();
        Some(match parts.as_slice() {
            ["c", "m"] => Action::Menu,
            ["c", "c", id] => Action::Category(owned(id)),
            ["c", "p", id] => Action::Product(owned(id)),
            ["k", "a", id] => Action::Add(owned(id)),
            ["k", "o", p, g, o] => Action::Pick {
                product: owned(p),
                group: owned(g),
                option: owned(o),
            },
            ["k", "s", p, g] => Action::Skip {
                product: owned(p),
                group: owned(g),
            },
            ["k", "x"] => Action::CancelCustomizing,
            ["k", "v"] => Action::ViewCart,
            ["k", "e", line] => Action::EditLine(owned(line)),
            ["k", "q", line, q] => Action::SetQuantity {
                line: owned(line),
                quantity: q.parse().ok()?,
            },
            ["k", "r", line] => Action::Remove(owned(line)),
            ["k", "z"] => Action::Empty,
            ["p", "c"] => Action::Checkout,
            ["p", "x", id] => Action::CancelOrder(owned(id)),
            ["p", "r", id] => Action::Reorder(owned(id)),
            ["p", "l"] => Action::ListOrders,
            ["c", "l"] => Action::Languages,
            ["c", "g", tag] => Action::SetLang(Lang::parse(tag).ok()?),
            ["p", "wj", drop, sku] => Action::WaitlistJoin {
                drop: owned(drop),
                sku: sku.parse().ok()?,
            },
            ["p", "wt", drop, sku] => Action::WaitlistTake {
                drop: owned(drop),
                sku: sku.parse().ok()?,
            },
            ["p", "wn", drop, sku] => Action::WaitlistPass {
                drop: owned(drop),
                sku: sku.parse().ok()?,
            },
            ["p", "rm", drop] => Action::RemindMe(owned(drop)),
            ["c", "a", "off"] => Action::StopAnnouncements,
            ["c", "a", "on"] => Action::StartAnnouncements,
            ["p", "de", drop] => Action::DrawEnter(owned(drop)),
            ["p", "dw", drop] => Action::DrawClaim(owned(drop)),
            ["c", "v", "new"] => Action::VerifyNewCode,
            ["c", "v", "num"] => Action::VerifyOtherNumber,
            ["c", "v", "share"] => Action::VerifyShareContact,
            _ => return None,
        })
    }

    /// The function that handles this action: the letter its encoding starts with.
    pub fn handler(&self) -> Handler {
        let encoded = self.encode();
        if encoded.starts_with("k:") {
            Handler::Cart
        } else if encoded.starts_with("p:") {
            Handler::Payment
        } else {
            Handler::Catalog
        }
    }
}

/// Routing by payload alone, for ingress: taps on cart buttons go to the cart function, taps on
/// payment buttons to the payment function, everything else to the catalog function (which
/// hands typed text on when the session needs it).
///
/// A payload that does not decode goes to the catalog whatever its prefix (`k:` in a shape an
/// older release used, another bot's `p:…`): the catalog answers it with an apology and the
/// menu, where the cart or payment function could only show the cart or the orders.
pub fn route_payload(payload: &str) -> Handler {
    Action::decode(payload).map_or(Handler::Catalog, |action| action.handler())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_routes_by_prefix() {
        let long = "abcdefghijklmnop"; // 16 chars, the id limit
        let actions = vec![
            Action::Menu,
            Action::Category("bags".into()),
            Action::Product(long.into()),
            Action::Add(long.into()),
            Action::Pick {
                product: long.into(),
                group: long.into(),
                option: long.into(),
            },
            Action::Skip {
                product: long.into(),
                group: long.into(),
            },
            Action::CancelCustomizing,
            Action::ViewCart,
            Action::EditLine("l12".into()),
            Action::SetQuantity {
                line: "l12".into(),
                quantity: 3,
            },
            Action::Remove("l12".into()),
            Action::Empty,
            Action::Checkout,
            Action::CancelOrder("0123456789abcdef".into()),
            Action::Reorder("0123456789abcdef".into()),
            Action::ListOrders,
            Action::Languages,
            Action::SetLang(Lang::ZH_HANT),
            Action::SetLang(Lang::parse("ca-ES-valencia").unwrap()),
            Action::WaitlistJoin {
                drop: long.into(),
                sku: u16::MAX,
            },
            Action::WaitlistTake {
                drop: long.into(),
                sku: 0,
            },
            Action::WaitlistPass {
                drop: long.into(),
                sku: 7,
            },
            Action::RemindMe(long.into()),
            Action::StopAnnouncements,
            Action::StartAnnouncements,
            Action::DrawEnter(long.into()),
            Action::DrawClaim(long.into()),
            Action::VerifyNewCode,
            Action::VerifyOtherNumber,
            Action::VerifyShareContact,
        ];
        for action in actions {
            let encoded = action.encode();
            assert!(encoded.len() <= MAX_PAYLOAD_BYTES, "{encoded} too long");
            assert_eq!(Action::decode(&encoded), Some(action.clone()));
            assert_eq!(route_payload(&encoded), action.handler());
        }
    }

    #[test]
    fn payloads_that_do_not_decode_route_to_the_catalog_whatever_their_prefix() {
        for p in [
            "k:w:drop-bag:2",
            "k:q:l1:many",
            "p:zz",
            "p:c:extra",
            "buy:blue_mug:1",
            "",
        ] {
            assert_eq!(route_payload(p), Handler::Catalog, "{p}");
        }
    }

    #[test]
    fn foreign_payloads_are_rejected() {
        for p in [
            "",
            "buy:blue_mug:1",
            "c:p",
            "k:q:l1:many",
            "k:o:a:b",
            "x:m",
            "c:g:",
            "c:g:not a tag",
        ] {
            assert_eq!(Action::decode(p), None, "{p}");
        }
    }
}
