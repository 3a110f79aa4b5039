//! VIPs: a customer whose lifetime paid at this retailer is above the retailer's threshold is
//! handed to a person when a payment of theirs lands.
//!
//! ```text
//!  Stripe ─▶ payment-webhook ─▶ mark_paid: one transaction that also ADDs the order's total to
//!                                 the person's lifetime counter in its currency (exactly once:
//!                                 the transaction is conditional on the order's state)
//!            confirmation ("is paid") as always ─▶ after_payment (this module):
//!              threshold for the order's currency? ─ none: done
//!              told already about this order (NOTICE vip)? ─ yes: done
//!              lifetime paid (one read) > threshold? ─ no: done
//!              open_handoff(reason vip) ─ moved from the bot: queue "thank you … a person will
//!                                          answer …" with bundle.handoff ─▶ notify alerts agents
//!              record NOTICE vip
//! ```
//!
//! **Why at payment, not at the customer's next message.** The total only moves when a
//! payment lands, so that is the moment a customer becomes (or again proves to be) a VIP, and
//! the check costs one read per *payment*. Checking when the customer next writes would cost
//! a read of the counter on every message of every customer (or the counter on the session,
//! whose larger item would make the ADD cost more and collide with the conversation's own
//! versioned writes). And the customer hears from a person right after their confirmation,
//! which is when a thank-you means most. Every paid order of a VIP hands the chat over (each
//! once, by its `vip` notice), unless a person has it already.
//!
//! **Thresholds are per currency, in minor units** (`[support] vip_threshold` for the
//! catalog's own currency, `vip_thresholds = { THB = … }` for other markets'): nothing in
//! chatdrop converts currencies, so the counter is kept per currency too (`paid_USD`,
//! `paid_THB` on one item per person) and a payment counts towards its own currency's
//! threshold only. "Lifetime paid" is what payments confirmed, refunds not deducted: a
//! refunded order was still a customer's trust, and the counter stays one `ADD` in one write.
//!
//! The person is the order's limit key ([`crate::orders::Order::customer`]: their phone where
//! one is known, so chats linked by a phone count together; else the chat).

use crate::catalog::Catalog;
use crate::channel::{ConversationId, full_hash};
use crate::handoff::{HandoffNotice, HandoffReason, HandoffStore, expectation_text};
use crate::i18n::Msg;
use crate::money::Currency;
use crate::orders::{Order, OrderStatus};
use crate::ports::{Dispatch, OrderStore, PortError};
use crate::reply::{Reply, ReplyBundle};
use std::future::Future;

/// The notice kind that records a VIP handoff for an order (once per order).
pub const NOTICE: &str = "vip";

/// What customers paid in total, per currency: counted by the store's `mark_paid`.
pub trait LifetimePaid: Send + Sync {
    /// Minor units of `currency` the person `customer` (an order's limit key) has paid.
    fn lifetime_paid(
        &self,
        customer: &str,
        currency: Currency,
    ) -> impl Future<Output = Result<i64, PortError>> + Send;
}

/// Whether a payment in `currency` bringing the person's total to `lifetime` makes a VIP.
pub fn is_vip(catalog: &Catalog, currency: Currency, lifetime: i64) -> bool {
    catalog
        .support
        .vip_threshold_in(catalog.currency, currency)
        .is_some_and(|threshold| lifetime > threshold)
}

/// The phone to read the customer's clock from, where the chat's id is one.
fn phone_in_id(conversation: &ConversationId) -> Option<String> {
    if !conversation.channel.spec().customer_id_is_phone {
        return None;
    }
    let digits: String = conversation
        .customer
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

/// What a VIP is told: thanks, then when a person answers (the retailer's hours).
pub fn welcome_text(catalog: &Catalog, order: &Order, at: i64) -> String {
    let voice = catalog.voice(order.lang);
    let when = expectation_text(
        catalog,
        order.lang,
        &order.conversation,
        phone_in_id(&order.conversation).as_deref(),
        at,
    );
    format!("{}\n{when}", Msg::VipWelcome.text(voice))
}

/// After a payment was applied to `order` (re-read: its state now): hands a VIP's
/// conversation to a person, tells them, and has the agents alerted. `Ok(true)` when it handed
/// over now. Idempotent: a retried payment event finds the notice recorded.
///
/// A crash between the handoff and the message leaves the conversation waiting without the
/// message; the retry then finds a person owns it and says nothing, and the sweep escalates
/// the handoff to the agents after its delay, as for any handoff whose alert went missing.
pub async fn after_payment<O, L, H, D>(
    order: &Order,
    catalog: &Catalog,
    orders: &O,
    lifetime: &L,
    handoffs: &H,
    dispatch: &D,
    now: i64,
) -> Result<bool, PortError>
where
    O: OrderStore,
    L: LifetimePaid,
    H: HandoffStore,
    D: Dispatch,
{
    if order.status != OrderStatus::Paid
        || catalog
            .support
            .vip_threshold_in(catalog.currency, order.currency)
            .is_none()
        || orders.notice_sent(&order.id, NOTICE).await?
    {
        return Ok(false);
    }
    let paid = lifetime
        .lifetime_paid(&order.customer, order.currency)
        .await?;
    if !is_vip(catalog, order.currency, paid) {
        return Ok(false);
    }
    let reason = HandoffReason::Vip;
    let moved = handoffs
        .open_handoff(&order.conversation, reason, order.lang, now)
        .await?;
    if moved {
        tracing::info!(order = %order.id, "a VIP's payment: handed to a person");
        let bundle = ReplyBundle {
            id: full_hash(&format!("{NOTICE}#{}", order.id)),
            conversation: order.conversation.clone(),
            lang: order.lang,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: Some(HandoffNotice { reason, since: now }),
            take_back: false,
            origin: Default::default(),
            replies: vec![Reply::Text {
                body: welcome_text(catalog, order, now),
            }],
        };
        dispatch.reply(&bundle).await?;
    }
    orders.record_notice(&order.id, NOTICE).await?;
    Ok(moved)
}

#[cfg(test)]
#[path = "vip_tests.rs"]
mod tests;
