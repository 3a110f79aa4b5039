//! Checkout and reservations: the payment function's logic (the customer's own orders, cancel and
//! "Remind me" are in `my_orders.rs`).
//!
//! Checkout turns the cart into an order in one all-or-nothing reservation (stock of every drop
//! SKU, the customer's limit counters, the order itself), then asks the payment provider for a
//! checkout page and answers in the chat with our own pay link and its QR code. The order id and
//! the pay token are derived from the inbound event under the identifier key
//! ([`CheckoutSettings::ids`], see [`crate::ids`]), so a redelivered "checkout" finds its order
//! already reserved and carries on from there, while nobody without the key can compute another
//! customer's link from the public, sequential event ids; the provider call is idempotent per
//! order id.
//!
//! The pay link itself is [`crate::pay_link`]; what moves an order after checkout (payment
//! events, expiry, the messages about it) is [`crate::order_events`].
//!
//! This file holds the settings and the payment function's handler (dedup marker, dispatch of
//! the action, the commit); its parts are in files of their own: what a cart would become
//! (`checkout_plan.rs`), the reservation and the payment page (`checkout_reserve.rs`) and the
//! chat answers they share (`checkout_replies.rs`).

use crate::action::{Action, Handler};
use crate::channel::full_hash;
use crate::draw_flow::DrawStore;
use crate::i18n::Lang;
use crate::ids::IdKey;
use crate::inbound::{InboundContent, InboundMessage};
use crate::my_orders::{cancel, list_orders, remind};
use crate::orders::OrderStatus;
use crate::payment::{PaymentError, PaymentGateway};
use crate::ports::{
    CatalogSource, Dispatch, Effect, Marker, MarkerKey, OrderStore, PortError, SessionStore,
};
use crate::process::{Handled, ProcessError};
use crate::reminders::ReminderStore;
use crate::reply::{Reply, ReplyBundle};
use crate::waitlist::WaitlistStore;

#[path = "checkout_plan.rs"]
mod planning;
#[path = "checkout_replies.rs"]
mod replies;
#[path = "checkout_reserve.rs"]
mod reserve;

pub(crate) use planning::phone_of;
pub use planning::{CheckoutProblem, customer_id, plan};
pub use replies::reserved_replies;
pub(crate) use replies::{choice, items, money, order_state, problem_reply, sku_label, text};
pub(crate) use reserve::open_payment;
use reserve::{checkout, reorder};

#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// How long a reservation holds.
    pub hold_minutes: i64,
    /// Base of the pay link and QR URLs.
    pub public_base_url: String,
    pub success_url: String,
    pub cancel_url: String,
    pub default_lang: Lang,
    /// The identifier key (`CHATDROP_ID_KEY`): order ids, pay tokens and the customer records
    /// limits count against are derived under it.
    pub ids: IdKey,
}

impl CheckoutSettings {
    pub fn pay_link(&self, token: &str) -> String {
        format!("{}/p/{token}", self.public_base_url)
    }

    pub fn qr_url(&self, token: &str) -> String {
        format!("{}/qr/{token}.png", self.public_base_url)
    }
}

/// The query parameter of the return pages that names the order's language (`?lang=ja`).
pub const RETURN_LANG_PARAM: &str = "lang";

/// A return page's URL (`success_url`, `cancel_url`) with the order's language added as
/// `lang=…` (before any fragment), so the page Stripe sends the customer back to speaks the
/// chat's language.
///
/// Why the language rides in the URL: Stripe sends the browser back to these URLs as given,
/// bar the `{CHECKOUT_SESSION_ID}` placeholder, and the page needs nothing else about the
/// order. Carrying the session id instead would cost a lookup on every visit (Stripe's API, or
/// an index on sessions we do not keep) to learn the same two letters. The language is no
/// secret, and the page only uses the value to pick one of the languages we ship.
pub fn return_url(url: &str, lang: Lang) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    let mut with_lang = format!("{base}{separator}{RETURN_LANG_PARAM}={}", lang.code());
    if let Some(fragment) = fragment {
        with_lang.push('#');
        with_lang.push_str(fragment);
    }
    with_lang
}

/// The ports the payment function works with.
pub struct PaymentPorts<'a, S, C, O, G, D> {
    pub sessions: &'a S,
    pub catalogs: &'a C,
    pub orders: &'a O,
    pub gateway: &'a G,
    pub dispatch: &'a D,
}

impl From<PaymentError> for ProcessError {
    fn from(e: PaymentError) -> Self {
        ProcessError::Port(PortError::new("payment provider", e))
    }
}

/// Handles one message routed to the payment function (checkout, cancel, reorder, orders).
pub async fn handle<S, C, O, G, D>(
    message: &InboundMessage,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
) -> Result<Handled, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + WaitlistStore + ReminderStore + DrawStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let key = MarkerKey {
        handler: Handler::Payment,
        identity: message.dedup_identity(),
    };
    let conversation = &message.conversation;
    let action = match &message.content {
        InboundContent::Action { payload, .. } => Action::decode(payload),
        _ => Some(Action::ListOrders),
    };
    // Both in one read: a fresh message needs the session anyway. A sale needs the drops too,
    // which the same read brings where the store can (ARCHITECTURE.md, "What one checkout
    // costs").
    let sells = matches!(action, Some(Action::Checkout | Action::Reorder(_)));
    let (marker, before, drops) = if sells {
        ports
            .sessions
            .marker_session_and_drops(&key, conversation)
            .await?
    } else {
        let (marker, session) = ports
            .sessions
            .marker_and_session(&key, conversation)
            .await?;
        (marker, session, None)
    };
    if let Some(Marker { effect, done }) = marker {
        if done {
            return Ok(Handled::Duplicate);
        }
        if let Some(refused) = page_of_committed_sale(message, ports, settings).await? {
            // The sale was committed but its page refused since: the order is released.
            ports.dispatch.reply(&refused).await?;
            ports.sessions.mark_done(&key).await?;
            return Ok(Handled::Replied);
        }
        if let Effect::Reply { bundle } = &effect {
            ports.dispatch.reply(bundle).await?;
        }
        ports.sessions.mark_done(&key).await?;
        return Ok(Handled::Replied);
    }
    let mut session = before.clone();
    let lang = message
        .locale
        .as_deref()
        .and_then(Lang::from_locale)
        .or(session.lang)
        .unwrap_or(settings.default_lang);
    // Only the customer's own message opens a platform's window again; one the console or a
    // draw made on their behalf does not.
    if crate::inbox::from_customer(message) {
        session.heard_from(message.sent_at);
    }
    if !session.owner.is_bot()
        && crate::handoff::bot_stays_silent(&message.content)
        && crate::inbox::from_customer(message)
    {
        // A person has the conversation: a tap on an old "Checkout" or "My orders" button
        // gets no bot answer (the agent sees it in the thread). Order notices are not
        // answers to a message and still go out; so does what the console or a draw asks for.
        let changed = session != before;
        if changed {
            session.version = before.version + 1;
        }
        ports
            .sessions
            .commit(
                conversation,
                changed.then_some(&session),
                &key,
                &Effect::Nothing,
            )
            .await?;
        ports.sessions.mark_done(&key).await?;
        return Ok(Handled::Recorded);
    }
    let replies = match action {
        Some(Action::Checkout) => {
            let sale = Sale {
                key: &key,
                version: before.version,
                drops: drops.as_deref(),
            };
            match checkout(message, &mut session, lang, ports, settings, now, sale).await? {
                Checkout::Answer(replies) => replies,
                Checkout::Sold => return Ok(Handled::Replied),
            }
        }
        Some(Action::Reorder(id)) => {
            let sale = Sale {
                key: &key,
                version: before.version,
                drops: drops.as_deref(),
            };
            match reorder(&id, message, &mut session, lang, ports, settings, now, sale).await? {
                Checkout::Answer(replies) => replies,
                Checkout::Sold => return Ok(Handled::Replied),
            }
        }
        Some(Action::CancelOrder(id)) => cancel(&id, conversation, lang, ports).await?,
        Some(Action::WaitlistJoin { drop, sku }) => {
            crate::waitlist_flow::join(&drop, sku, message, &session, lang, ports, now).await?
        }
        Some(Action::WaitlistTake { drop, sku }) => {
            crate::waitlist_flow::take(&drop, sku, message, &session, lang, ports, settings, now)
                .await?
        }
        Some(Action::WaitlistPass { drop, sku }) => {
            crate::waitlist_flow::pass(&drop, sku, message, lang, ports, now).await?
        }
        Some(Action::RemindMe(drop)) => {
            remind(&drop, conversation, &session, lang, ports, now).await?
        }
        Some(Action::DrawEnter(drop)) => {
            crate::draw_flow::enter(
                &drop,
                conversation,
                &mut session,
                lang,
                ports,
                settings,
                now,
            )
            .await?
        }
        Some(Action::DrawClaim(drop)) => {
            crate::draw_flow::claim(&drop, message, &session, lang, ports, settings, now).await?
        }
        _ => list_orders(conversation, lang, ports, settings).await?,
    };
    let bundle = payment_bundle(message, &key, lang, replies);
    session.offer(bundle.offered());
    let changed = session != before;
    if changed {
        session.version = before.version + 1;
    }
    let effect = Effect::Reply { bundle };
    ports
        .sessions
        .commit(conversation, changed.then_some(&session), &key, &effect)
        .await?;
    if let Effect::Reply { bundle } = &effect {
        ports.dispatch.reply(bundle).await?;
    }
    // No "done" write, as after a sale: the marker stays pending with its answer, so a
    // redelivery queues the same bundle again, which the outbound queue and notify (one send
    // per bundle id) never deliver twice. That saves a write on every answer of this function,
    // a sold-out one included; the redelivery path above marks it done.
    Ok(Handled::Replied)
}

/// The answer the payment function queues for `message`: one bundle per message, its id from
/// the message's identity, so a redelivery queues the same bundle and notify, which records
/// what it sent per bundle, does not send it twice.
fn payment_bundle(
    message: &InboundMessage,
    key: &MarkerKey,
    lang: Lang,
    replies: Vec<Reply>,
) -> ReplyBundle {
    ReplyBundle {
        id: full_hash(&format!("payment#{}", key.identity)),
        conversation: message.conversation.clone(),
        lang,
        ack: message.ack.clone(),
        reply_token: message.reply_token.clone(),
        update: None,
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies,
    }
}

/// What a checkout needs to commit the conversation with its reservation.
#[derive(Clone, Copy)]
struct Sale<'a> {
    key: &'a MarkerKey,
    /// The stored session's version, which the commit requires.
    version: u64,
    /// The drops not closed, when the first read brought them; else the checkout reads them.
    drops: Option<&'a [crate::drops::Drop]>,
}

/// How a checkout ended: an answer still to commit and send, or a sale committed with its
/// reservation and answered already.
enum Checkout {
    Answer(Vec<Reply>),
    Sold,
}

/// A redelivered checkout whose sale was committed with its reservation (pending marker): its
/// payment page may not exist yet (the function stopped between the two), so it is opened now.
/// `Some`: the provider refused it and the order was released; the bundle says so instead of
/// the stored pay link.
async fn page_of_committed_sale<S, C, O, G, D>(
    message: &InboundMessage,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
) -> Result<Option<ReplyBundle>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let is_checkout = matches!(
        &message.content,
        InboundContent::Action { payload, .. }
            if matches!(Action::decode(payload), Some(Action::Checkout | Action::Reorder(_)))
    );
    if !is_checkout {
        return Ok(None);
    }
    let identity = message.dedup_identity();
    let Some(order) = ports
        .orders
        .order(&settings.ids.order_id(&identity))
        .await?
    else {
        return Ok(None);
    };
    if order.status != OrderStatus::Reserved || order.checkout_session.is_some() {
        return Ok(None);
    }
    let catalog = ports.catalogs.catalog().await?;
    let key = MarkerKey {
        handler: Handler::Payment,
        identity,
    };
    let lang = order.lang;
    let opened = open_payment(order, ports, settings, &catalog).await?;
    Ok((!opened.opened).then(|| refused_bundle(message, &key, lang, opened.replies)))
}

/// The answer when the provider refused a committed sale's page: its own bundle id, since the
/// marker's bundle (the pay link) may have been queued already.
fn refused_bundle(
    message: &InboundMessage,
    key: &MarkerKey,
    lang: Lang,
    replies: Vec<Reply>,
) -> ReplyBundle {
    let mut bundle = payment_bundle(message, key, lang, replies);
    bundle.id = full_hash(&format!("payment#{}#refused", key.identity));
    bundle
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
