//! What a cart would become: the order [`plan`] builds at today's prices, with the stock and
//! the limit counters it takes, checked against the drops' windows and limits before anything
//! is reserved; and whose record the limits count against ([`customer_id`]).

use crate::cart::Cart;
use crate::catalog::Catalog;
use crate::channel::ConversationId;
use crate::customization;
use crate::dialogue::Session;
use crate::drops::{self, Drop, DropWindow};
use crate::i18n::Lang;
use crate::ids::IdKey;
use crate::orders::{LimitTake, Order, OrderLine, OrderStatus, StockTake};
use crate::payment_method::{CurrencyNotAccepted, PaymentOffer, check_currency};
use std::collections::BTreeMap;

/// Why a cart cannot be checked out as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckoutProblem {
    EmptyCart,
    NotYet {
        drop: String,
        starts_at: i64,
    },
    Over {
        drop: String,
    },
    OverLimit {
        limit: u32,
    },
    /// The market offers a payment method Stripe does not take in the order's currency: a
    /// configuration error, refused before anything is reserved or sent to Stripe.
    PaymentMethodCurrency(CurrencyNotAccepted),
}

/// The customer record limits count against: a verified phone number (WhatsApp ids and SMS
/// senders are phone numbers; Telegram shares one through the contact button), else the
/// conversation alone (Messenger, LINE and WeChat ids are app-scoped and say nothing of a phone).
///
/// Both are keyed pseudonyms; `k1` marks the keyed form, so records of the unkeyed form that came
/// before it can be told apart and removed (ARCHITECTURE.md, Identifiers).
pub fn customer_id(ids: &IdKey, conversation: &ConversationId, session: &Session) -> String {
    match phone_of(conversation, session) {
        Some(phone) => format!("phone:k1:{}", ids.phone(&phone)),
        None => conversation_customer(ids, conversation),
    }
}

pub(super) fn conversation_customer(ids: &IdKey, conversation: &ConversationId) -> String {
    format!("conv:k1:{}", ids.conversation(conversation))
}

pub(crate) fn phone_of(conversation: &ConversationId, session: &Session) -> Option<String> {
    // The registry says which platforms' customer ids are phone numbers; elsewhere a phone is
    // known only once the platform vouched for one (a shared contact).
    let raw = if conversation.channel.spec().customer_id_is_phone {
        &conversation.customer
    } else {
        session.identity.verified_phone()?
    };
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

/// Builds the order a cart would become, checking drop windows and limits.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    catalog: &Catalog,
    drops_now: &[Drop],
    cart: &Cart,
    conversation: &ConversationId,
    customer: &str,
    lang: Lang,
    now: i64,
    hold_minutes: i64,
    order_id: &str,
    pay_token: &str,
) -> Result<Order, CheckoutProblem> {
    if cart.is_empty() {
        return Err(CheckoutProblem::EmptyCart);
    }
    let mut stock: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut drop_units: BTreeMap<String, u32> = BTreeMap::new();
    let mut lines = Vec::new();
    let mut total = 0;
    // The conversation's market sets the currency and which price list applies.
    let market = catalog.market_for(conversation.channel);
    for line in &cart.lines {
        let Some(product) = catalog.product(&line.product) else {
            continue; // Removed from the catalog since: not for sale any more.
        };
        // The price is the catalog's now: a cart kept for days must not pay an old price.
        let Some(unit_price) = catalog.unit_price(&market, product, &line.selections) else {
            continue; // No price in this market: not for sale here.
        };
        let unit_price = unit_price.minor;
        if let Some(d) = drops::drop_for(drops_now, line) {
            match d.window(now) {
                DropWindow::NotYet { starts_at } => {
                    return Err(CheckoutProblem::NotYet {
                        drop: d.name.clone(),
                        starts_at,
                    });
                }
                DropWindow::Over => {
                    return Err(CheckoutProblem::Over {
                        drop: d.name.clone(),
                    });
                }
                DropWindow::Selling => {}
            }
            for sku in d.skus_of(&line.product, &line.selections) {
                *stock.entry((d.id.clone(), sku)).or_default() += line.quantity;
            }
            *drop_units.entry(d.id.clone()).or_default() += line.quantity;
        }
        total += unit_price * i64::from(line.quantity);
        lines.push(OrderLine {
            product: product.id.clone(),
            name: product.name.get(lang).to_string(),
            item: customization::describe(product, &line.selections, lang),
            selections: line.selections.clone(),
            unit_price,
            quantity: line.quantity,
        });
    }
    if lines.is_empty() {
        return Err(CheckoutProblem::EmptyCart);
    }
    let mut limits = Vec::new();
    for (drop_id, units) in &drop_units {
        let Some(d) = drops_now.iter().find(|d| &d.id == drop_id) else {
            continue;
        };
        if let Some(limit) = d.per_customer_limit {
            limits.push(LimitTake {
                drop: drop_id.clone(),
                sku: None,
                quantity: *units,
                limit,
            });
        }
        for ((sd, sku), quantity) in &stock {
            if sd != drop_id {
                continue;
            }
            if let Some(limit) = d.sku(sku).and_then(|s| s.per_customer_limit) {
                limits.push(LimitTake {
                    drop: drop_id.clone(),
                    sku: Some(sku.clone()),
                    quantity: *quantity,
                    limit,
                });
            }
        }
    }
    if let Some(l) = limits.iter().find(|l| l.quantity > l.limit) {
        return Err(CheckoutProblem::OverLimit { limit: l.limit });
    }
    // What Stripe offers: the market's methods, those that settle later only if every drop
    // here may wait for them (see `crate::delayed_payment`).
    let market = catalog.market_for(conversation.channel);
    let drops_here = drop_units
        .keys()
        .filter_map(|id| drops_now.iter().find(|d| &d.id == id));
    let payment_offer = PaymentOffer::new(
        &market.payment_methods,
        crate::delayed_payment::pay_within_days(drops_here),
    );
    let order = Order {
        id: order_id.to_string(),
        conversation: conversation.clone(),
        lang,
        customer: customer.to_string(),
        lines,
        currency: market.currency,
        total,
        status: OrderStatus::Reserved,
        created_at: now,
        expires_at: now + hold_minutes * 60,
        pay_token: pay_token.to_string(),
        stock: stock
            .into_iter()
            .map(|((drop, sku), quantity)| StockTake {
                drop,
                sku,
                quantity,
            })
            .collect(),
        limits,
        checkout_session: None,
        checkout_url: None,
        tracking: None,
        attention: Vec::new(),
        payment_offer,
        market_zone: market.time_zone.clone(),
        opened_at: None,
    };
    // Stripe would refuse the page; refused here, before anything is reserved.
    check_currency(order.payment_offer.methods(), order.currency.code())
        .map_err(CheckoutProblem::PaymentMethodCurrency)?;
    Ok(order)
}
