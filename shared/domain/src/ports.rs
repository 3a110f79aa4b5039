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
