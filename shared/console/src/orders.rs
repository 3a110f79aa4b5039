//! An order as the console shows it.
//!
//! The customer appears by their keyed pseudonym, as everywhere outside the chat (the CSV
//! export, logs): the console shows what was bought, not who bought it. Item texts carry what
//! the customer typed (an engraving), so the web console inserts every field as text.

use chatdrop_domain::money::Money;
use chatdrop_domain::orders::Order;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: String,
    pub number: String,
    pub status: &'static str,
    pub created_at: i64,
    pub channel: String,
    pub customer: String,
    pub currency: String,
    pub total: i64,
    /// The total in the order's language (`$195.00`, `¥42,800.00`).
    pub total_text: String,
    pub items: Vec<ItemView>,
    pub drops: Vec<String>,
    pub tracking: Option<String>,
    pub attention: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub item: String,
    pub quantity: u32,
}

impl OrderView {
    pub fn of(o: &Order) -> OrderView {
        let mut drops: Vec<String> = o.stock.iter().map(|t| t.drop.clone()).collect();
        drops.dedup();
        OrderView {
            id: o.id.clone(),
            number: o.number(),
            status: o.status.as_str(),
            created_at: o.created_at,
            channel: o.conversation.channel.to_string(),
            customer: o.conversation.hashed(),
            currency: o.currency.code().to_string(),
            total: o.total,
            total_text: Money::new(o.total, o.currency).format(o.lang, false),
            items: o
                .lines
                .iter()
                .map(|l| ItemView {
                    item: l.item.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            drops,
            tracking: o.tracking.clone(),
            attention: o.attention.clone(),
        }
    }
}
