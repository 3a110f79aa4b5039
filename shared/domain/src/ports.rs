//! The ports: what the domain needs from the outside world, as small traits.
//!
//! Adapters implement them: `chatdrop-store` on DynamoDB, `chatdrop-queue` on SQS,
//! `chatdrop-channels` on each platform's HTTP API. The domain's tests implement them in memory
//! (`testing.rs`). Methods return `impl Future + Send` so the Lambda runtime's multi-threaded
//! executor can run them without boxing.

use crate::action::Handler;
use crate::catalog::Catalog;
use crate::channel::ConversationId;
use crate::dialogue::Session;
use crate::inbound::InboundMessage;
use crate::reply::ReplyBundle;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;

/// A failure of an adapter's backing service (DynamoDB, SQS): worth retrying later.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct PortError {
    pub operation: &'static str,
    pub message: String,
}

impl PortError {
    pub fn new(operation: &'static str, message: impl std::fmt::Display) -> Self {
        PortError {
            operation,
            message: message.to_string(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CommitError {
    /// The session changed since it was read, or the event was processed meanwhile.
    #[error("the session or marker changed concurrently")]
    Conflict,
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Where the catalog comes from.
pub trait CatalogSource: Send + Sync {
    fn catalog(&self) -> impl Future<Output = Result<Arc<Catalog>, PortError>> + Send;
}

/// Identifies one handler's processing of one inbound event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MarkerKey {
    pub handler: Handler,
    /// [`InboundMessage::dedup_identity`].
    pub identity: String,
}

/// What processing an event decided to do next, kept with its marker so that a redelivery after a
/// crash repeats the same dispatch instead of recomputing it from a newer session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    Reply {
        bundle: ReplyBundle,
    },
    HandOff {
        to: Handler,
        message: InboundMessage,
    },
    Nothing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub effect: Effect,
    /// The effect has been dispatched.
    pub done: bool,
}

/// Sessions and processed-message markers.
pub trait SessionStore: Send + Sync {
    fn marker(
        &self,
        key: &MarkerKey,
    ) -> impl Future<Output = Result<Option<Marker>, PortError>> + Send;

    /// The conversation's session, or a fresh one (version 0).
    fn session(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Session, PortError>> + Send;

    /// Atomically: saves `session` (when given) if its stored version is still
    /// `session.version - 1`, and creates the marker if it does not exist yet.
    fn commit(
        &self,
        conversation: &ConversationId,
        session: Option<&Session>,
        key: &MarkerKey,
        effect: &Effect,
    ) -> impl Future<Output = Result<(), CommitError>> + Send;

    fn mark_done(&self, key: &MarkerKey) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The marker and the session together: one round trip where the store can (DynamoDB's
    /// `BatchGetItem`), two reads otherwise. A handler that reads both anyway saves a call.
    fn marker_and_session(
        &self,
        key: &MarkerKey,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<(Option<Marker>, Session), PortError>> + Send {
        async move {
            let marker = self.marker(key).await?;
            Ok((marker, self.session(conversation).await?))
        }
    }

    /// For a checkout: the marker, the session and the drops not closed, in one round trip
    /// where the store can (DynamoDB: the drops' items by key in the same `BatchGetItem`, while
    /// the store's list of drops is current). `None` for the drops: the store reads only the
    /// two, and the checkout reads the drops itself ([`OrderStore::drops`]).
    #[allow(clippy::type_complexity)]
    fn marker_session_and_drops(
        &self,
        key: &MarkerKey,
        conversation: &ConversationId,
    ) -> impl Future<
        Output = Result<(Option<Marker>, Session, Option<Vec<crate::drops::Drop>>), PortError>,
    > + Send {
        async move {
            let (marker, session) = self.marker_and_session(key, conversation).await?;
            Ok((marker, session, None))
        }
    }
}

/// The queues between functions.
pub trait Dispatch: Send + Sync {
    /// Queues a reply bundle for `notify`, deduplicated on the bundle id.
    fn reply(&self, bundle: &ReplyBundle) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Passes a message to another conversation function's queue.
    fn hand_off(
        &self,
        to: Handler,
        message: &InboundMessage,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What a checkout commits together with its reservation ([`OrderStore::reserve_and_commit`]).
#[derive(Clone, Copy)]
pub struct SaleCommit<'a> {
    pub conversation: &'a ConversationId,
    pub session: &'a Session,
    pub key: &'a MarkerKey,
    pub effect: &'a Effect,
}

/// Why a reservation was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReserveError {
    #[error("sku {sku} of drop {drop} is sold out")]
    SoldOut { drop: String, sku: String },
    #[error("over the per-customer limit of drop {drop}")]
    OverLimit {
        drop: String,
        sku: Option<String>,
        limit: u32,
    },
    /// The order was already reserved (a retry of the same checkout).
    #[error("order already exists")]
    AlreadyExists,
    #[error(transparent)]
    Port(#[from] PortError),
}

/// How a payment was applied to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidOutcome {
    /// The reservation became a sale now.
    Paid,
    /// The reservation had lapsed but the stock was still there: taken again, sold.
    PaidAfterLapse,
    /// The reservation had lapsed and the stock is gone: kept for a refund decision.
    NeedsAttention,
    /// Already applied (duplicate or reordered event): nothing changed.
    Unchanged,
}

/// Drops, stock, orders and reservations.
pub trait OrderStore: Send + Sync {
    /// The drops that are scheduled or open (closed ones sell nothing).
    fn drops(&self) -> impl Future<Output = Result<Vec<crate::drops::Drop>, PortError>> + Send;

    /// Creates the order and takes its stock and limit units, all or nothing.
    fn reserve(
        &self,
        order: &crate::orders::Order,
    ) -> impl Future<Output = Result<(), ReserveError>> + Send;

    /// [`reserve`](Self::reserve), and in the same all-or-nothing write the conversation's
    /// commit ([`SessionStore::commit`]: the session if its version still holds, the marker if
    /// absent). `Ok(true)`: both written; `Ok(false)`: reserved only, the caller commits as
    /// usual (the default, for a store that does not also hold the sessions). A commit whose
    /// own conditions fail writes nothing and is an error, which the queue retries.
    ///
    /// Only a store that is also the conversation's [`SessionStore`] may commit here: a
    /// checkout's sale then costs one write instead of two.
    fn reserve_and_commit(
        &self,
        order: &crate::orders::Order,
        _commit: SaleCommit<'_>,
    ) -> impl Future<Output = Result<bool, ReserveError>> + Send {
        async move { self.reserve(order).await.map(|()| false) }
    }

    fn order(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<crate::orders::Order>, PortError>> + Send;

    /// The order behind a stored pay link (two reads). Customer-facing lookups use
    /// [`pay_link::order_by_pay_token`](crate::pay_link::order_by_pay_token) instead: one read
    /// whatever the token, and a constant-time comparison.
    fn order_by_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<crate::orders::Order>, PortError>> + Send;

    /// Orders placed from this conversation, newest first.
    fn orders_of(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Vec<crate::orders::Order>, PortError>> + Send;

    /// Records the checkout page of a reserved order.
    fn set_checkout(
        &self,
        order_id: &str,
        session_id: &str,
        url: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// `reserved` → `to` (expired or cancelled), returning stock and limit units. `Ok(false)`
    /// when the order had already left `reserved`.
    fn release(
        &self,
        order: &crate::orders::Order,
        to: crate::orders::OrderStatus,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Holds a reserved order's units until `until` (Unix seconds), for a customer paying by
    /// a method that settles later: the order's `expires_at` and its reservation index entry
    /// move together, only later, and only while the order is `reserved`. `Ok(false)` when
    /// nothing changed (not reserved, or already held as long).
    fn hold_until(
        &self,
        order: &crate::orders::Order,
        until: i64,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Applies a payment; see [`PaidOutcome`].
    fn mark_paid(
        &self,
        order: &crate::orders::Order,
    ) -> impl Future<Output = Result<PaidOutcome, PortError>> + Send;

    /// A payment that does not match its order: the order becomes `paid_needs_attention` with
    /// `reason` noted (once per reason). A reservation is released in the same step, as a lapse
    /// releases it (no sale stands behind it); an expired or cancelled order only changes
    /// state; a paid, shipped, refunded or already flagged order keeps its state and gets the
    /// note. [`PaidOutcome::NeedsAttention`] when the state changed, else `Unchanged`.
    fn hold_for_attention(
        &self,
        order: &crate::orders::Order,
        reason: &str,
    ) -> impl Future<Output = Result<PaidOutcome, PortError>> + Send;

    /// Ids of reserved orders whose reservation lapsed before `now`, oldest first.
    fn lapsed_reservations(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;

    /// Links a conversation-only customer record to a phone's record: the limit units it holds
    /// move over, and later releases of its orders count against the phone's record.
    fn link_customer(
        &self,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Whether a payment-provider event was processed already.
    fn event_seen(&self, event_id: &str) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Records a processed payment-provider event (conditional: once).
    fn record_event(&self, event_id: &str) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Whether the customer was already told about `kind` for this order (paid, lapsed, …).
    fn notice_sent(
        &self,
        order_id: &str,
        kind: &str,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    fn record_notice(
        &self,
        order_id: &str,
        kind: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// A boxed future, for the ports that are used as trait objects.
pub type PortFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, PortError>> + Send + 'a>>;

/// A platform access token and when it stops working (Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedToken {
    pub token: String,
    pub expires_at: i64,
}

/// Short-lived platform access tokens, shared by every function and every warm instance.
///
/// WeChat's `access_token` is the case in point: fetching a new one invalidates the previous
/// one, and the daily fetch quota is small, so a token is fetched by one caller, stored with its
/// expiry, and read by everyone else. `lease` lets exactly one caller refresh at a time.
pub trait TokenCache: Send + Sync {
    fn get<'a>(&'a self, key: &'a str) -> PortFuture<'a, Option<CachedToken>>;
    /// Takes the right to refresh `key` until `until` (Unix seconds), if nobody holds it now.
    fn lease<'a>(&'a self, key: &'a str, holder: &'a str, until: i64) -> PortFuture<'a, bool>;
    /// Stores a fresh token (and ends the lease).
    fn put<'a>(&'a self, key: &'a str, token: &'a CachedToken) -> PortFuture<'a, ()>;
}

/// A platform's pace: messages per second from one sender, and to one chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendRate {
    pub per_second: u32,
    /// Some platforms also limit how fast one chat may be written to (Telegram: about 1/s).
    pub per_chat_per_second: Option<u32>,
}

/// A rate shared by every notify instance: one-second windows counted in one place, so forty
/// concurrent instances together still send no faster than the platform takes.
pub trait SendThrottle: Send + Sync {
    /// Takes a slot of `limit` in the current one-second window of `key`; `Some(delay)` until
    /// the next window when this one is full.
    fn admit<'a>(&'a self, key: &'a str, limit: u32)
    -> PortFuture<'a, Option<std::time::Duration>>;
}

/// Why a platform's profile of a customer could not be read. Nothing waits on a profile: the
/// caller logs it and goes on as if the platform had said nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The platform did not answer within the lookup's time limit.
    #[error("the profile lookup timed out")]
    TimedOut,
    /// The platform answered with an error (a token it refused, a permission the page lacks),
    /// or could not be reached.
    #[error("the profile lookup failed: {0}")]
    Failed(String),
}

/// A profile lookup's future: boxed, so the port can be held as a trait object over every
/// enabled channel, as [`TokenCache`] is.
pub type ProfileFuture<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<Option<String>, ProfileError>> + Send + 'a>>;

/// What a platform's profile API tells about a customer that their messages do not: their
/// language, on the platforms whose webhooks carry none (LINE, Messenger, WeChat).
///
/// A lookup is an HTTP call on the way to an answer, so [`crate::process`] makes it once per
/// conversation (its first message) and remembers the result in the session.
pub trait CustomerProfiles: Send + Sync {
    /// The customer's locale in the platform's own spelling (`th`, `pt_BR`, `zh_CN`), or
    /// `Ok(None)` when the platform has none for them (no consent, or no profile API).
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a>;
}

/// No profile API anywhere: every customer's locale is unknown. For deployments and callers
/// that do not look profiles up.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProfiles;

impl CustomerProfiles for NoProfiles {
    fn locale<'a>(&'a self, _conversation: &'a ConversationId) -> ProfileFuture<'a> {
        Box::pin(async { Ok(None) })
    }
}
