//! The chat answers checkout and the order flows share: the pay link with its QR code and
//! buttons ([`reserved_replies`]), why a cart cannot be checked out, and the small builders
//! (text, buttons, amounts, item lists) the other payment flows use too.

use super::{CheckoutProblem, CheckoutSettings, phone_of};
use crate::action::Action;
use crate::catalog::Catalog;
use crate::channel::ConversationId;
use crate::customization;
use crate::dialogue::Session;
use crate::i18n::{Lang, Msg, OrderState, Voice};
use crate::orders::{Order, OrderStatus};
use crate::reply::{Choice, Reply};
use crate::time_zone::CustomerZone;

pub(crate) fn text(body: String) -> Reply {
    Reply::Text { body }
}

pub(crate) fn choice(action: Action, title: String) -> Choice {
    Choice {
        id: action.encode(),
        title,
        description: None,
    }
}

pub(crate) fn money(order: &Order, minor: i64) -> String {
    crate::money::Money::new(minor, order.currency).format(order.lang, false)
}

pub(crate) fn items(order: &Order) -> String {
    order
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} × {} — {}",
                l.quantity,
                l.item,
                money(order, l.unit_price * i64::from(l.quantity))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn order_state(status: OrderStatus) -> OrderState {
    match status {
        OrderStatus::Reserved => OrderState::AwaitingPayment,
        OrderStatus::Paid => OrderState::Paid,
        OrderStatus::Expired => OrderState::Lapsed,
        OrderStatus::Cancelled => OrderState::Cancelled,
        OrderStatus::PaidNeedsAttention => OrderState::UnderReview,
        OrderStatus::Shipped => OrderState::Shipped,
        OrderStatus::Refunded => OrderState::Refunded,
    }
}

/// The replies to a successful reservation: pay link, QR code, and what else can be done,
/// spoken in the order's language with the catalog's wording (`catalog.voice(order.lang)`).
pub fn reserved_replies(
    order: &Order,
    settings: &CheckoutSettings,
    voice: Voice<'_>,
) -> Vec<Reply> {
    let minutes = ((order.expires_at - order.created_at) / 60).max(1);
    vec![
        Reply::Link {
            body: format!(
                "{}\n{}",
                items(order),
                Msg::Reserved {
                    minutes,
                    total: &money(order, order.total),
                }
                .text(voice)
            ),
            label: Msg::PayNow.text(voice),
            url: settings.pay_link(&order.pay_token),
        },
        Reply::Image {
            url: settings.qr_url(&order.pay_token),
            caption: Some(Msg::QrCaption.text(voice)),
        },
        Reply::Choices {
            body: format!("#{}", order.number()),
            menu_label: Msg::ChooseLabel.text(voice),
            choices: vec![
                choice(
                    Action::CancelOrder(order.id.clone()),
                    Msg::CancelReservation.text(voice),
                ),
                choice(Action::Menu, Msg::KeepShopping.text(voice)),
            ],
        },
    ]
}

pub(crate) fn problem_reply(
    problem: &CheckoutProblem,
    voice: Voice<'_>,
    conversation: &ConversationId,
    session: &Session,
    market_zone: Option<&str>,
) -> Reply {
    let body = match problem {
        CheckoutProblem::EmptyCart => Msg::CheckoutEmpty.text(voice),
        CheckoutProblem::NotYet { drop, starts_at } => {
            let phone = phone_of(conversation, session);
            let zone = CustomerZone::resolve(phone.as_deref(), market_zone, *starts_at);
            Msg::DropNotYet {
                drop,
                when: &zone.format(*starts_at, voice.lang),
            }
            .text(voice)
        }
        CheckoutProblem::Over { drop } => Msg::DropOver(drop).text(voice),
        CheckoutProblem::OverLimit { limit } => Msg::OverLimit(*limit).text(voice),
        CheckoutProblem::PaymentMethodCurrency(_) => Msg::PaymentUnavailable.text(voice),
    };
    text(body)
}

/// The name a customer knows a SKU by.
pub(crate) fn sku_label(catalog: &Catalog, sku: &str, lang: Lang) -> String {
    let mut parts = sku.split('.');
    let product = parts.next().and_then(|p| catalog.product(p));
    match (product, parts.next(), parts.next()) {
        (Some(p), Some(group), Some(option)) => {
            let selection = [customization::Selection::Option {
                group: group.into(),
                option: option.into(),
            }];
            customization::describe(p, &selection, lang)
        }
        (Some(p), _, _) => p.name.get(lang).to_string(),
        _ => sku.to_string(),
    }
}
