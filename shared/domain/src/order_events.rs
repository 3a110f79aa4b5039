//! What moves an order after checkout, and what the customer is told about it.
//!
//! Three things move an order once it is reserved: the payment provider's events
//! ([`apply_payment_event`]: paid, lapsed, and for methods that settle later the hold and its
//! failure in [`crate::delayed_payment`]), our own expiry of lapsed reservations
//! ([`expire_order`], run by the sweep in [`crate::sweep`] and on access to a pay link), and the
//! customer (cancel, reorder: [`crate::checkout`]). Each transition is conditional in the store
//! on the state it leaves, so a redelivered or reordered event applies at most once.
//!
//! What the customer hears follows from the order's state, not from the event that moved it
//! ([`tell_customer`]), and each kind of message is sent once ([`notify_once`], recorded with
//! [`OrderStore::record_notice`]): a retry after a crash between the transition and the message
//! still tells, and a duplicate event never tells twice.

use crate::action::Action;
use crate::channel::full_hash;
use crate::checkout::{choice, items, money, text};
use crate::i18n::Msg;
use crate::orders::{Order, OrderStatus};
use crate::payment::{ExpireOutcome, PaidSession, PaymentGateway, check_payment};
use crate::ports::{Dispatch, OrderStore, PaidOutcome, PortError};
use crate::process::ProcessError;
use crate::reply::{OrderUpdate, Reply, ReplyBundle};

/// Sends a message about an order once, to the chat the order came from.
pub(crate) async fn notify_once<O: OrderStore, D: Dispatch>(
    orders: &O,
    dispatch: &D,
    order: &Order,
    kind: &str,
    replies: Vec<Reply>,
) -> Result<(), PortError> {
    if orders.notice_sent(&order.id, kind).await? {
        return Ok(());
    }
    let summary = replies
        .iter()
        .find_map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } => Some(body.as_str()),
            _ => None,
        })
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let bundle = ReplyBundle {
        id: full_hash(&format!("notice#{}#{kind}", order.id)),
        conversation: order.conversation.clone(),
        lang: order.lang,
        ack: None,
        reply_token: None,
        update: Some(OrderUpdate {
            order_number: order.number(),
            kind: kind.to_string(),
            summary,
            details: [
                Some(("amount".to_string(), money(order, order.total))),
                order
                    .tracking
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| ("tracking".to_string(), t)),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }),
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies,
    };
    dispatch.reply(&bundle).await?;
    orders.record_notice(&order.id, kind).await
}

fn lapsed_replies(order: &Order) -> Vec<Reply> {
    released_replies(order, Msg::Lapsed(&order.number()).text(order.lang))
}

/// An order's stock went back on sale: `body` says why, then the way back (check out the same
/// items again, or keep shopping).
pub(crate) fn released_replies(order: &Order, body: String) -> Vec<Reply> {
    let lang = order.lang;
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(lang),
        choices: vec![
            choice(
                Action::Reorder(order.id.clone()),
                Msg::CheckoutAgain.text(lang),
            ),
            choice(Action::Menu, Msg::KeepShopping.text(lang)),
        ],
    }]
}

/// A payment-provider event about an order, in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentEvent {
    /// Paid, on the page and for the amount in `paid`: a sale only if they are the order's.
    Paid { order_id: String, paid: PaidSession },
    /// Failed or expired on the provider's side: the reservation ends.
    Lapsed { order_id: String },
    /// The customer chose a method that settles later on page `session_id` at `chosen_at`
    /// (Unix seconds): the reservation is held to its deadline (see
    /// [`crate::delayed_payment`]).
    AwaitingPayment {
        order_id: String,
        session_id: String,
        chosen_at: i64,
    },
    /// A payment that settles later did not arrive: the reservation ends, and the customer is
    /// told why.
    PaymentFailed { order_id: String },
}

/// Applies a provider event once; duplicates and reordered events change nothing.
///
/// A payment that is not the order's (another checkout page, amount or currency; see
/// [`check_payment`]) never makes a sale: the order becomes `paid_needs_attention` with the
/// difference noted, for ops (`chatdrop orders attention`). A reservation it ends gives its
/// stock back, after the order's own page is expired, so nobody pays for stock we returned.
pub async fn apply_payment_event<O: OrderStore, G: PaymentGateway, D: Dispatch>(
    event_id: &str,
    event: &PaymentEvent,
    orders: &O,
    gateway: &G,
    dispatch: &D,
) -> Result<Option<OrderStatus>, PortError> {
    if orders.event_seen(event_id).await? {
        return Ok(None);
    }
    let order_id = match event {
        PaymentEvent::Paid { order_id, .. }
        | PaymentEvent::Lapsed { order_id }
        | PaymentEvent::AwaitingPayment { order_id, .. }
        | PaymentEvent::PaymentFailed { order_id } => order_id,
    };
    let Some(order) = orders.order(order_id).await? else {
        // Not ours (another environment sharing the provider account): recorded and ignored.
        orders.record_event(event_id).await?;
        return Ok(None);
    };
    match event {
        PaymentEvent::Paid { paid, .. } => match check_payment(&order, paid) {
            Ok(()) => {
                orders.mark_paid(&order).await?;
            }
            Err(mismatch) => {
                tracing::error!(
                    order = %order.id,
                    event = event_id,
                    %mismatch,
                    "a payment does not match its order; kept for ops, not sold"
                );
                if order.status == OrderStatus::Reserved
                    && let Some(own) = &order.checkout_session
                    && *own != paid.session_id
                {
                    let outcome = gateway
                        .expire_checkout(own)
                        .await
                        .map_err(|e| PortError::new("payment provider", e))?;
                    if outcome == ExpireOutcome::AlreadyComplete {
                        // The customer paid their own page meanwhile: its event makes the sale,
                        // and this one, retried by the provider, is noted on the paid order.
                        return Err(PortError::new(
                            "apply payment",
                            "the order's own page was paid meanwhile; retry after its event",
                        ));
                    }
                }
                orders
                    .hold_for_attention(&order, &format!("{event_id}: {mismatch}"))
                    .await?;
            }
        },
        PaymentEvent::Lapsed { .. } => {
            orders.release(&order, OrderStatus::Expired).await?;
        }
        PaymentEvent::AwaitingPayment {
            session_id,
            chosen_at,
            ..
        } => {
            crate::delayed_payment::hold_for_payment(
                &order, session_id, *chosen_at, orders, dispatch,
            )
            .await?;
        }
        PaymentEvent::PaymentFailed { .. } => {
            orders.release(&order, OrderStatus::Expired).await?;
            let now = orders.order(order_id).await?.unwrap_or(order);
            if now.status == OrderStatus::Expired {
                // Said instead of the plain lapse: the same notice kind, sent once.
                let replies = crate::delayed_payment::failed_replies(&now);
                notify_once(orders, dispatch, &now, "released", replies).await?;
            }
        }
    }
    // Tell the customer from the order's state now, so a retry after a crash still tells them.
    let now = orders
        .order(order_id)
        .await?
        .ok_or_else(|| PortError::new("apply payment", "order vanished"))?;
    tell_customer(&now, orders, dispatch).await?;
    orders.record_event(event_id).await?;
    Ok(Some(now.status))
}

/// The one message each state owes the customer.
pub async fn tell_customer<O: OrderStore, D: Dispatch>(
    order: &Order,
    orders: &O,
    dispatch: &D,
) -> Result<(), PortError> {
    let lang = order.lang;
    let number = order.number();
    match order.status {
        OrderStatus::Paid => {
            let replies = vec![Reply::Choices {
                body: Msg::Confirmation {
                    number: &number,
                    items: &items(order),
                    total: &money(order, order.total),
                }
                .text(lang),
                menu_label: Msg::ChooseLabel.text(lang),
                choices: vec![
                    choice(Action::ListOrders, Msg::MyOrders.text(lang)),
                    choice(Action::Menu, Msg::KeepShopping.text(lang)),
                ],
            }];
            notify_once(orders, dispatch, order, "paid", replies).await
        }
        OrderStatus::PaidNeedsAttention => {
            let message = if order.attention.is_empty() {
                Msg::LatePayment(&number)
            } else {
                Msg::PaymentUnderReview(&number)
            };
            let replies = vec![text(message.text(lang))];
            notify_once(orders, dispatch, order, "attention", replies).await
        }
        OrderStatus::Expired | OrderStatus::Cancelled => {
            notify_once(orders, dispatch, order, "released", lapsed_replies(order)).await
        }
        OrderStatus::Shipped => {
            let tracking = order.tracking.clone().unwrap_or_default();
            let replies = vec![text(
                Msg::Shipped {
                    number: &number,
                    tracking: &tracking,
                }
                .text(lang),
            )];
            notify_once(orders, dispatch, order, "shipped", replies).await
        }
        OrderStatus::Refunded => {
            let replies = vec![text(Msg::Refunded(&number).text(lang))];
            notify_once(orders, dispatch, order, "refunded", replies).await
        }
        OrderStatus::Reserved => Ok(()),
    }
}

/// Ends one lapsed reservation: the provider's page first, then the stock.
pub async fn expire_order<O: OrderStore, G: PaymentGateway, D: Dispatch>(
    order: &Order,
    orders: &O,
    gateway: &G,
    dispatch: &D,
) -> Result<OrderStatus, ProcessError> {
    if order.status != OrderStatus::Reserved {
        return Ok(order.status);
    }
    if let Some(session_id) = &order.checkout_session
        && gateway.expire_checkout(session_id).await? == ExpireOutcome::AlreadyComplete
    {
        // Paid at the last moment: the completed event will turn it into a sale.
        return Ok(order.status);
    }
    orders.release(order, OrderStatus::Expired).await?;
    let now = orders
        .order(&order.id)
        .await?
        .ok_or_else(|| PortError::new("expire", "order vanished"))?;
    tell_customer(&now, orders, dispatch).await?;
    Ok(now.status)
}

/// Re-exported for the functions' logs.
pub fn outcome_name(outcome: PaidOutcome) -> &'static str {
    match outcome {
        PaidOutcome::Paid => "paid",
        PaidOutcome::PaidAfterLapse => "paid_after_lapse",
        PaidOutcome::NeedsAttention => "paid_needs_attention",
        PaidOutcome::Unchanged => "unchanged",
    }
}
