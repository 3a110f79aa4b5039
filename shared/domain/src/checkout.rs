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

use crate::action::{Action, Handler};
use crate::cart::Cart;
use crate::catalog::Catalog;
use crate::channel::{ConversationId, full_hash};
use crate::customization;
use crate::dialogue::{DialogueState, Session};
use crate::draw_flow::DrawStore;
use crate::drops::{self, Drop, DropWindow};
use crate::i18n::{Lang, Msg, OrderState, Voice};
use crate::ids::IdKey;
use crate::inbound::{InboundContent, InboundMessage};
use crate::my_orders::{cancel, list_orders, order_line, remind};
use crate::orders::{LimitTake, Order, OrderLine, OrderStatus, StockTake};
use crate::payment::{CheckoutLine, CheckoutRequest, PaymentError, PaymentGateway};
use crate::payment_method::{CurrencyNotAccepted, PaymentOffer, check_currency};
use crate::ports::{
    CatalogSource, Dispatch, Effect, Marker, MarkerKey, OrderStore, PortError, ReserveError,
    SaleCommit, SessionStore,
};
use crate::process::{Handled, ProcessError};
use crate::reminders::ReminderStore;
use crate::reply::{Choice, Reply, ReplyBundle};
use crate::time_zone::CustomerZone;
use crate::waitlist::WaitlistStore;
use std::collections::BTreeMap;

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

fn conversation_customer(ids: &IdKey, conversation: &ConversationId) -> String {
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
    // Both in one read: a fresh message needs the session anyway.
    let (marker, before) = ports
        .sessions
        .marker_and_session(&key, conversation)
        .await?;
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
    let action = match &message.content {
        InboundContent::Action { payload, .. } => Action::decode(payload),
        _ => Some(Action::ListOrders),
    };
    let replies = match action {
        Some(Action::Checkout) => {
            let sale = Sale {
                key: &key,
                version: before.version,
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
    ports.sessions.mark_done(&key).await?;
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

#[allow(clippy::too_many_arguments)]
async fn checkout<S, C, O, G, D>(
    message: &InboundMessage,
    session: &mut Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
    sale: Sale<'_>,
) -> Result<Checkout, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let conversation = &message.conversation;
    let customer = customer_id(&settings.ids, conversation, session);
    // A chat that counted on its own until its phone was shared: its units join the phone's
    // record once, so a limit cannot be dodged by buying before linking.
    if !conversation.channel.spec().customer_id_is_phone
        && customer.starts_with("phone:")
        && !session.identity.is_linked()
    {
        let own = conversation_customer(&settings.ids, conversation);
        ports.orders.link_customer(&own, &customer).await?;
        session.link_to_phone();
    }
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let drops_now = ports.orders.drops().await?;
    // A drop sold by draw never sells from a cart: its units are the winners'.
    if let Some((drop, spec)) = session.cart.lines.iter().find_map(|line| {
        let drop = crate::drops::drop_for(&drops_now, line)?;
        Some((drop, drop.draw.as_ref()?))
    }) {
        let market = catalog.market_for(conversation.channel);
        let phone = phone_of(conversation, session);
        let zone = crate::time_zone::CustomerZone::resolve(
            phone.as_deref(),
            market.time_zone.as_deref(),
            spec.entries_close_at,
        );
        return Ok(Checkout::Answer(vec![crate::draw_flow::invite(
            drop, spec, &zone, voice,
        )]));
    }
    // A drop that takes one person per phone, from a chat with none: the phone first, then
    // this checkout again ([`crate::phone_dialogue`]).
    if let Some(drop) = session
        .cart
        .lines
        .iter()
        .filter_map(|line| crate::drops::drop_for(&drops_now, line))
        .find(|drop| crate::phone_dialogue::must_verify(drop, &customer))
    {
        let name = drop.name.clone();
        let resume = crate::dialogue::Resume::Checkout;
        return Ok(Checkout::Answer(crate::phone_dialogue::ask(
            session,
            resume,
            &name,
            conversation.channel,
            voice,
            now,
        )));
    }
    let identity = message.dedup_identity();
    let order_id = settings.ids.order_id(&identity);
    let pay_token = settings.ids.pay_token(&order_id, &identity);
    let planned = plan(
        &catalog,
        &drops_now,
        &session.cart,
        conversation,
        &customer,
        lang,
        now,
        settings.hold_minutes,
        &order_id,
        &pay_token,
    );
    let mut order = match planned {
        Ok(order) => order,
        Err(problem) => {
            if let CheckoutProblem::PaymentMethodCurrency(why) = &problem {
                tracing::error!(channel = ?conversation.channel, reason = %why, "the market's payment methods do not fit its currency; nothing reserved, nothing sent to Stripe");
            }
            let market = catalog.market_for(conversation.channel);
            let zone = market.time_zone.as_deref();
            let reply = problem_reply(&problem, voice, conversation, session, zone);
            if let CheckoutProblem::NotYet { drop, .. } = &problem {
                let drop = drops_now.iter().find(|d| &d.name == drop);
                return Ok(Checkout::Answer(vec![
                    crate::reminders::with_remind_button(reply, drop, voice),
                ]));
            }
            return Ok(Checkout::Answer(vec![reply]));
        }
    };
    // The answer to a sale is known before the provider is asked (the pay link and its QR are
    // ours), so the conversation's commit rides in the reservation's transaction where the
    // store can: one write for the stock, the limits, the order, the session and the marker.
    let sold = payment_bundle(
        message,
        sale.key,
        lang,
        reserved_replies(&order, settings, voice),
    );
    let mut after = session.clone();
    after.cart.clear();
    after.state = DialogueState::Browsing;
    after.offer(sold.offered());
    after.version = sale.version + 1;
    let effect = Effect::Reply { bundle: sold };
    let commit = SaleCommit {
        conversation,
        session: &after,
        key: sale.key,
        effect: &effect,
    };
    match ports.orders.reserve_and_commit(&order, commit).await {
        Ok(true) => {
            let Effect::Reply { bundle } = &effect else {
                unreachable!("built above as a reply")
            };
            let opened = open_payment(order, ports, settings, &catalog).await?;
            if opened.opened {
                ports.dispatch.reply(bundle).await?;
            } else {
                // Refused and released: say so under a bundle of its own, and close the
                // marker so a redelivery does not send the pay link it holds.
                let refused = refused_bundle(message, sale.key, lang, opened.replies);
                ports.dispatch.reply(&refused).await?;
                ports.sessions.mark_done(sale.key).await?;
            }
            // The marker stays pending: a redelivery sends the same bundle again, which
            // notify does not deliver twice; marking it done would cost a write per sale.
            return Ok(Checkout::Sold);
        }
        Ok(false) => {}
        Err(ReserveError::AlreadyExists) => {
            order = ports
                .orders
                .order(&order_id)
                .await?
                .ok_or_else(|| PortError::new("reserve", "order exists but cannot be read"))?;
        }
        Err(ReserveError::SoldOut { drop, sku }) => {
            let label = sku_label(&catalog, &sku, lang);
            let drop = drops_now.iter().find(|d| d.id == drop);
            return Ok(Checkout::Answer(vec![crate::waitlist::sold_out_reply(
                drop, &sku, &label, voice,
            )]));
        }
        Err(ReserveError::OverLimit { limit, .. }) => {
            return Ok(Checkout::Answer(vec![text(
                Msg::OverLimit(limit).text(voice),
            )]));
        }
        Err(ReserveError::Port(e)) => return Err(e.into()),
    }
    let replies = open_payment(order, ports, settings, &catalog).await?;
    if replies.opened {
        // The cart's lines now live in the order.
        session.cart.clear();
        session.state = DialogueState::Browsing;
    }
    Ok(Checkout::Answer(replies.replies))
}

/// What [`open_payment`] answers, and whether the order is reserved with its page open.
pub(crate) struct Opened {
    pub replies: Vec<Reply>,
    pub opened: bool,
}

/// After a reservation: the payment page (once), then the pay link, QR and buttons. A refused
/// page releases the reservation.
pub(crate) async fn open_payment<S, C, O, G, D>(
    mut order: Order,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    catalog: &Catalog,
) -> Result<Opened, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let voice = catalog.voice(order.lang);
    if order.status != OrderStatus::Reserved {
        return Ok(Opened {
            replies: vec![order_line(&order)],
            opened: false,
        });
    }
    if order.checkout_session.is_none() {
        let request = CheckoutRequest {
            order_id: order.id.clone(),
            currency: order.currency,
            lines: order
                .lines
                .iter()
                .map(|l| CheckoutLine {
                    name: l.name.clone(),
                    description: (l.item != l.name).then(|| l.item.clone()),
                    unit_amount: l.unit_price,
                    quantity: l.quantity,
                })
                .collect(),
            expires_at: order.expires_at,
            success_url: return_url(&settings.success_url, order.lang),
            cancel_url: return_url(&settings.cancel_url, order.lang),
            collect_shipping: true,
            payment_offer: order.payment_offer.clone(),
        };
        match ports.gateway.create_checkout(&request).await {
            Ok(checkout) => {
                ports
                    .orders
                    .set_checkout(&order.id, &checkout.id, &checkout.url)
                    .await?;
                order.checkout_session = Some(checkout.id);
                order.checkout_url = Some(checkout.url);
            }
            Err(PaymentError::Refused(why)) => {
                tracing::error!(order = %order.id, reason = %why, "payment provider refused the checkout; reservation released");
                ports.orders.release(&order, OrderStatus::Cancelled).await?;
                return Ok(Opened {
                    replies: vec![text(Msg::PaymentUnavailable.text(voice))],
                    opened: false,
                });
            }
            // The reservation stands; the queue retries this message and finds it.
            Err(e @ PaymentError::Unavailable(_)) => return Err(e.into()),
        }
    }
    Ok(Opened {
        replies: reserved_replies(&order, settings, voice),
        opened: true,
    })
}

#[allow(clippy::too_many_arguments)]
async fn reorder<S, C, O, G, D>(
    order_id: &str,
    message: &InboundMessage,
    session: &mut Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
    sale: Sale<'_>,
) -> Result<Checkout, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let answer = |replies| Ok(Checkout::Answer(replies));
    let Some(order) = ports.orders.order(order_id).await? else {
        return answer(vec![text(Msg::NotYourOrder.text(lang))]);
    };
    if order.conversation != message.conversation {
        return answer(vec![text(Msg::NotYourOrder.text(lang))]);
    }
    if !order.status.released() {
        return answer(vec![order_line(&order)]);
    }
    for line in &order.lines {
        for _ in 0..line.quantity {
            // A full cart keeps what fits; checkout then reports the limits as usual.
            let _ = session
                .cart
                .add(&line.product, line.selections.clone(), line.unit_price);
        }
    }
    checkout(message, session, lang, ports, settings, now, sale).await
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
