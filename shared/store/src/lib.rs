//! The DynamoDB store: sessions, processed-message markers, the catalog and delivery progress,
//! in one table.
//!
//! Single-table design, keys from `resources.json` (`pk`, `sk`, TTL attribute `expires_at`):
//!
//! | item                  | pk                              | sk          | expires |
//! |-----------------------|---------------------------------|-------------|---------|
//! | catalog pointer       | `CATALOG`                       | `CURRENT`   | never   |
//! | catalog header        | `CATALOG#v{n}`                  | `META`      | retired |
//! | product               | `CATALOG#v{n}`                  | `PRODUCT#id`| retired |
//! | session (state+cart)  | `CONV#channel#customer`         | `SESSION`   | 14 days |
//! | processed marker      | `EVENT#handler#identity`        | `MARKER`    | 30 days |
//! | delivery progress     | `OUTBOX#bundle`                 | `PROGRESS`  | 7 days  |
//! | sent message, held bundle, platform token: see [`thread`] |||
//! | messages counted against a platform's cap on an unanswered customer: see `send_counts.rs` |||
//! | consent standing and history (never expire): see `consent.rs` |||
//! | handoff list: see `handoff.rs`; inbox notes and console users: see `inbox.rs` |||
//!
//! Every write that can race is conditional: a session save requires the version it read, a
//! marker is created only if absent, and both go in one transaction. Items are mapped with
//! `serde_dynamo`, so they read naturally in the console.

pub mod capacity;
mod catalog;
mod consent;
mod customer_tags;
mod delivery;
mod draw;
mod forget_orders;
mod handoff;
mod inbox;
mod kakao_link;
mod lifetime;
mod orders;
mod partition_query;
mod pay_link_opens;
mod personal_data;
mod reminders;
mod send_counts;
mod session;
mod sweep;
mod thread;
mod waitlist;
// Campaigns (issue 16).
mod campaign;
mod campaign_outcome;
mod console;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::clock::Clock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use catalog::{CatalogLoadError, CatalogLoadHook};
pub use consent::Forgotten;
pub use console::{AuditRecord, SkuCounters};
pub use customer_tags::TagRefused;
pub use thread::{HeldBundle, ThreadMessage, requeue_id};

/// How long a warm function reuses the catalog it read before asking again.
const CATALOG_CACHE: Duration = Duration::from_secs(30);

/// The DynamoDB adapter for the domain's store ports.
pub struct DynamoStore {
    client: Client,
    table: String,
    catalog_cache: Mutex<Option<(Instant, Arc<Catalog>)>>,
    /// What time it is, for expiries and TTLs written to the table.
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            catalog_cache: Mutex::new(None),
            clock: chatdrop_domain::clock::system(),
        }
    }

    /// The store with another clock (tests step time past an expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Unix seconds now, by the store's clock.
    pub(crate) fn now_secs(&self) -> i64 {
        self.clock.now()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Renders an SDK error with its service detail (`DisplayErrorContext`), for PortError.
pub(crate) fn sdk_message<E: std::error::Error>(e: E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()
}

/// Whether a request failed only because its condition did not hold (the item was already
/// there, or not in the state expected): the answer "no" of a conditional write, not an error.
pub(crate) fn conditional_failed<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some("ConditionalCheckFailedException"))
}
