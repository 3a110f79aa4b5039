//! Identifiers derived under a secret key: customer pseudonyms, order ids and pay tokens.
//!
//! Every identifier here used to be a plain SHA-256 of public inputs, and so could be computed
//! by anyone who knew the inputs: a pay token from the channel and Telegram's sequential
//! `update_id` (so a customer could open a neighbour's Stripe page), a customer pseudonym from a
//! phone number (a country's whole number range is hashed in seconds, so the "hashed" id in logs,
//! queue group ids and limit keys named the phone). They are now HMAC-SHA-256 under one secret,
//! `CHATDROP_ID_KEY` ([`IdKey`]): the same inputs still give the same outputs (a redelivered
//! checkout finds its order, a customer's logs still join up), but without the key nothing can
//! be derived or confirmed, not even by trying every phone number. Each kind of identifier has
//! its own label inside the MAC, so one kind never equals another.
//!
//! ## Two ways the key reaches the code, and why
//!
//! - Explicitly, where the identifier is money: the payment side gets the key in
//!   [`CheckoutSettings`](crate::checkout::CheckoutSettings) and derives order ids, pay tokens
//!   and the customer keys limits count against from it.
//! - Process-wide, for [`ConversationId::hashed`]: the pseudonym goes into log fields, SQS group
//!   ids and stored `customer` attributes from some forty places in every adapter crate (channel
//!   parsers, queue, store, functions, CLI). Threading a key through all of them would put a
//!   secret-derived value into crates that otherwise hold none, for a value that is one per
//!   deployment and never changes while a process lives, like the tracing subscriber. So each
//!   function installs the key once at cold start ([`install`], done by
//!   `chatdrop_config::Secrets::install_id_key` right after it reads its secrets), and
//!   [`installed`] panics with a message naming the fix if a process forgot to: a process that
//!   would otherwise log an unkeyed pseudonym stops at its first customer instead, in the tests
//!   and the local stack long before production. Tests of crates that never start a function opt
//!   into a fixed, public test key with the `test-key` feature in their `[dev-dependencies]`; a
//!   release build never has it.
//!
//! The key never leaves this module: `Debug` prints `IdKey(***)`, and no identifier reveals it.

use crate::channel::ConversationId;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::OnceLock;

/// The secret all derived identifiers are keyed with (`CHATDROP_ID_KEY`).
///
/// Holds the HMAC state already keyed, so deriving an identifier costs two SHA-256 blocks.
#[derive(Clone)]
pub struct IdKey {
    mac: Hmac<Sha256>,
}

/// The key the `test-key` feature (and this crate's own tests) fall back to. Public: it keys
/// nothing real.
pub const TEST_KEY: &str = "chatdrop-test-id-key: public, never deployed";

/// Hex digits of a pseudonym or an order id (64 bits of the MAC).
const SHORT: usize = 8;
/// Bytes of a pay token's secret part (128 bits of the MAC).
const TOKEN_TAG: usize = 16;

impl IdKey {
    pub fn new(secret: &[u8]) -> IdKey {
        IdKey {
            mac: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length"),
        }
    }

    /// HMAC over `label`, a NUL, then `input`: one label per kind of identifier.
    fn tag(&self, label: &str, input: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A conversation's pseudonym (16 hex digits): what [`ConversationId::hashed`] returns.
    pub fn conversation(&self, conversation: &ConversationId) -> String {
        hex::encode(&self.tag("conv", &conversation.key())[..SHORT])
    }

    /// A phone number's pseudonym (16 hex digits), for the customer record limits count on.
    pub fn phone(&self, e164: &str) -> String {
        hex::encode(&self.tag("phone", e164)[..SHORT])
    }

    /// The order id of a checkout (16 hex digits), from the checkout message's identity: a
    /// redelivery gets the same id, nobody without the key can compute it.
    pub fn order_id(&self, identity: &str) -> String {
        hex::encode(&self.tag("order", identity)[..SHORT])
    }

    /// A pay token: the order id, then 128 bits of MAC (48 hex digits in all). The order id
    /// lets the pay link find its order with one read; the MAC part is what makes it a secret.
    pub fn pay_token(&self, order_id: &str, identity: &str) -> String {
        format!(
            "{order_id}{}",
            hex::encode(&self.tag("pay", identity)[..TOKEN_TAG])
        )
    }

    /// A value that changes with the key and reveals nothing of it: two keys are the same key
    /// when their fingerprints are equal.
    fn fingerprint(&self) -> [u8; 32] {
        self.tag("fingerprint", "")
    }
}

impl fmt::Debug for IdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdKey(***)")
    }
}

/// The order id a pay token names, if the token has a pay token's shape.
pub fn order_id_in_token(token: &str) -> Option<&str> {
    let well_formed = token.len() == 2 * (SHORT + TOKEN_TAG)
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    well_formed.then(|| &token[..2 * SHORT])
}

static INSTALLED: OnceLock<IdKey> = OnceLock::new();

/// A second, different key for the same process: a configuration mix-up worth stopping for.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("a different identifier key is already installed in this process")]
pub struct OtherKeyInstalled;

/// Makes `key` the process's pseudonym key. Installing the same key again is harmless (the
/// local stack starts every function in one process); a different one is refused.
pub fn install(key: IdKey) -> Result<(), OtherKeyInstalled> {
    let fingerprint = key.fingerprint();
    let installed = INSTALLED.get_or_init(|| key);
    if installed.fingerprint() == fingerprint {
        Ok(())
    } else {
        Err(OtherKeyInstalled)
    }
}

/// The process's pseudonym key.
///
/// # Panics
/// If no key was installed (and the `test-key` feature is off): the process started without
/// reading `CHATDROP_ID_KEY`.
pub fn installed() -> &'static IdKey {
    require(INSTALLED.get().or_else(fallback))
}

#[cfg(any(test, feature = "test-key"))]
fn fallback() -> Option<&'static IdKey> {
    static TEST: OnceLock<IdKey> = OnceLock::new();
    Some(TEST.get_or_init(|| IdKey::new(TEST_KEY.as_bytes())))
}

#[cfg(not(any(test, feature = "test-key")))]
fn fallback() -> Option<&'static IdKey> {
    None
}

fn require(key: Option<&'static IdKey>) -> &'static IdKey {
    key.unwrap_or_else(|| {
        panic!(
            "no identifier key installed: this process must read the secret CHATDROP_ID_KEY at \
             start (chatdrop_config::Secrets::install_id_key) before it names a customer; \
             tests that start no function enable chatdrop-domain's `test-key` feature"
        )
    })
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
