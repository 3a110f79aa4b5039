//! Orders and their states.
//!
//! ```text
//!                 pay (Stripe completed / async succeeded)
//!   reserved ───────────────────────────────────────────▶ paid ──▶ shipped
//!     │  │                                                 │
//!     │  └─ cancel (customer) ─▶ cancelled ─┐              └──────▶ refunded
//!     └──── lapse (sweep, Stripe expired,   │ late payment:
//!           async payment failed) ─▶ expired┤  stock still there ─▶ paid
//!                                           └  stock resold ──────▶ paid_needs_attention ─▶ refunded | paid
//! ```
//!
//! A payment that is not the order's (another checkout page, amount or currency:
//! [`crate::payment::check_payment`]) is never a sale: the order becomes `paid_needs_attention`
//! with the difference in [`Order::attention`], releasing a reservation as a lapse would.
//!
//! Leaving `reserved` for `expired` or `cancelled` returns the stock and the customer's limit at
//! once, in the same transaction that changes the status; `paid` turns the reservation into a
//! sale. Every transition is conditional on the state it leaves, so duplicate or reordered
//! events cannot apply twice.

use crate::channel::ConversationId;
use crate::customization::Selection;
use crate::i18n::Lang;
use crate::money::Currency;
use crate::payment_method::PaymentOffer;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Reserved,
    Paid,
    Expired,
    Cancelled,
    PaidNeedsAttention,
    Shipped,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Reserved => "reserved",
            OrderStatus::Paid => "paid",
            OrderStatus::Expired => "expired",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PaidNeedsAttention => "paid_needs_attention",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        use OrderStatus::*;
        [
            Reserved,
            Paid,
            Expired,
            Cancelled,
            PaidNeedsAttention,
            Shipped,
            Refunded,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    /// Whether the order's units are released (no longer held for the customer).
    pub fn released(self) -> bool {
        matches!(self, OrderStatus::Expired | OrderStatus::Cancelled)
    }
}

/// One unit of stock per ordered unit is taken from each of these SKUs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockTake {
    pub drop: String,
    pub sku: String,
    pub quantity: u32,
}

/// A per-customer limit counter the order counts against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitTake {
    pub drop: String,
    /// `None` for the drop-wide limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub quantity: u32,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product: String,
    pub name: String,
    /// The customization as shown to the customer.
    pub item: String,
    #[serde(default)]
    pub selections: Vec<Selection>,
    pub unit_price: i64,
    pub quantity: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    /// Where the customer bought: every update about the order goes back to this chat.
    pub conversation: ConversationId,
    pub lang: Lang,
    /// The customer record the limits count against (a verified phone, else the conversation).
    pub customer: String,
    pub lines: Vec<OrderLine>,
    pub currency: Currency,
    pub total: i64,
    pub status: OrderStatus,
    pub created_at: i64,
    /// When the reservation lapses (unix seconds).
    pub expires_at: i64,
    /// The secret part of the pay link `{public}/p/{token}`.
    pub pay_token: String,
    #[serde(default)]
    pub stock: Vec<StockTake>,
    #[serde(default)]
    pub limits: Vec<LimitTake>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// Why ops must look at the order, one entry per payment that did not match it (another
    /// checkout page, amount or currency): set with `paid_needs_attention`, or on an order
    /// that was already paid when a second, odd payment arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attention: Vec<String>,
    /// The payment methods the checkout offered, and the days a method that settles later
    /// leaves the customer (see [`crate::payment_method`]).
    #[serde(default, skip_serializing_if = "PaymentOffer::is_unset")]
    pub payment_offer: PaymentOffer,
    /// The time zone of the market the order sold in (IANA name), for the times the customer
    /// reads about it when their phone does not tell their own (see [`crate::time_zone`]).
    /// Absent in orders written before markets had zones, and for markets without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_zone: Option<String>,
    /// When the customer first opened the pay link (unix seconds), noted by
    /// [`crate::pay_link::visit_pay_link`]: a campaign's report counts "pay link opened" from
    /// it. Absent until then, and in orders written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<i64>,
}

impl Order {
    /// A short number customers and support can read out: the first 8 characters, upper-case.
    pub fn number(&self) -> String {
        self.id.chars().take(8).collect::<String>().to_uppercase()
    }

    pub fn units(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}
