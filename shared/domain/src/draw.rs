//! A verifiable draw: when more people want a drop than it has units, winners are drawn from
//! the entries instead of the fastest thumbs winning, and anyone can check the draw was fair.
//!
//! # What is published, and when
//!
//! A drop in draw mode ([`DrawSpec`] on the drop) takes entries during a window, one per person
//! (the chat flow), then draws as many winners as it has units. Its record
//! ([`DrawRecord`]) is published in three steps:
//!
//! 1. **Before entries close** (`chatdrop drop draw-commit`): `commitment = SHA-256(seed)` of a
//!    32-byte secret seed, and the drand `round` the draw will use, fixed as the first round
//!    after the close (plus a margin; [`crate::beacon::BeaconChain::round_after`]), on a named
//!    chain. Nobody knows that round's randomness yet, chatdrop included.
//! 2. **At close** (`chatdrop drop draw-run`, first part): the entry list is frozen and
//!    `list_hash` published: [`entry_list_hash`] of the entries made before the close.
//! 3. **After the round is out** (`draw-run`, second part): the round's signature is fetched
//!    and verified against the chain's public key, and the winners drawn; the seed, the round's
//!    signature and the winners are published. `chatdrop drop verify-draw` recomputes all of it.
//!
//! The seed keeps the beacon from deciding alone (a beacon known in advance would make the
//! draw predictable to whoever saw it first); the beacon keeps chatdrop from choosing a seed
//! that favours anyone (the seed was committed to before the round existed); the list hash
//! keeps chatdrop from adding or dropping entries once the randomness is known. What it does
//! not prove is that the list was complete: an entrant checks their own entry id (told when
//! they entered) is in the published list.
//!
//! # The algorithm, exactly (recompute it with any ChaCha20 and SHA-256)
//!
//! - **Entry id**: a string per person (a keyed pseudonym of the person).
//! - **Entry list**: the entry ids sorted by their UTF-8 bytes (ascending), duplicates removed.
//!   `list_hash = SHA-256(id₁ ‖ "\n" ‖ id₂ ‖ "\n" ‖ … ‖ idₙ ‖ "\n")`.
//! - **Randomness**: `SHA-256(signature)` of the drand round (drand's own definition).
//! - **Key**: `SHA-256(seed ‖ list_hash ‖ randomness)`, 32 + 32 + 32 bytes in, 32 out.
//! - **Stream**: ChaCha20 (20 rounds, the original Bernstein layout: 64-bit block counter from
//!   0, 64-bit nonce 0) keyed by the key; its keystream read as little-endian `u64`s, in order.
//!   This is `rand_chacha`'s `ChaCha20Rng::from_seed(key)` and its `next_u64`.
//! - **Uniform below m**: take the next `x`; with `r = 2⁶⁴ mod m`, reject `x ≥ 2⁶⁴ − r` and take
//!   the next; answer `x mod m` (no bias).
//! - **Winners**: a partial Fisher–Yates shuffle of the list `L` (n entries) for
//!   `k = min(units, n)` steps: for `i` in `0..k`, `j = i + uniform(n − i)`, swap `L[i]` and
//!   `L[j]`. Winners are `L[0..k]`, in that order (the first drawn first).

use crate::beacon::{BeaconChain, BeaconError, BeaconRound};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A drop sold by draw, as created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawSpec {
    /// Unix seconds: entries are taken from the drop's start until then.
    pub entries_close_at: i64,
    /// Minutes a winner's reservation holds, from the draw.
    pub pay_within_minutes: u32,
    /// One entry per verified phone; a chat without one is asked to verify first.
    #[serde(default)]
    pub verified_phone: bool,
}

impl DrawSpec {
    /// Whether an entry made at `at` counts.
    pub fn open_at(&self, starts_at: i64, at: i64) -> bool {
        at >= starts_at && at < self.entries_close_at
    }
}

/// What a draw publishes; each step fills more (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    pub drop: String,
    /// SHA-256 of the seed, hex.
    pub commitment: String,
    pub chain: Option<BeaconChain>,
    pub round: u64,
    /// Units to draw.
    pub units: u32,
    /// Unix seconds the record was committed.
    pub committed_at: i64,
    /// Unix seconds the list was frozen, and its hash (hex) and size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_hash: Option<String>,
    #[serde(default)]
    pub entries: u32,
    /// Revealed after the draw: the seed (hex), the verified round, the winners' entry ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<BeaconRound>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub winners: Vec<String>,
}

impl DrawRecord {
    /// Whether the winners are drawn (and the seed revealed).
    pub fn drawn(&self) -> bool {
        self.seed.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("the seed is not 32 bytes of hex")]
    BadSeed,
    #[error("the seed does not match the commitment published before the draw")]
    SeedMismatch,
    #[error("the entry list does not hash to the published list hash")]
    ListMismatch,
    #[error("the round is not the one committed to ({committed}), but {given}")]
    WrongRound { committed: u64, given: u64 },
    #[error("the draw has no beacon chain")]
    NoChain,
    #[error("round {round} comes before entries close: it was known while entries were taken")]
    RoundTooEarly { round: u64 },
    #[error(transparent)]
    Beacon(#[from] BeaconError),
}

/// `SHA-256(seed)`, hex: the commitment published before entries close.
pub fn commitment(seed: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(seed))
}

/// Decodes a revealed seed and checks it against its commitment.
pub fn open_seed(seed_hex: &str, commitment_hex: &str) -> Result<[u8; 32], DrawError> {
    let seed: [u8; 32] = hex::decode(seed_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(DrawError::BadSeed)?;
    if commitment(&seed) != commitment_hex.to_ascii_lowercase() {
        return Err(DrawError::SeedMismatch);
    }
    Ok(seed)
}

/// The canonical entry list: sorted by bytes, each id once.
pub fn canonical(mut entries: Vec<String>) -> Vec<String> {
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// SHA-256 over the canonical list, each id followed by `\n`. The list must be canonical.
pub fn entry_list_hash(canonical: &[String]) -> [u8; 32] {
    let mut h = Sha256::new();
    for id in canonical {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

/// The ChaCha20 key: `SHA-256(seed ‖ list_hash ‖ randomness)`.
pub fn draw_key(seed: &[u8; 32], list_hash: &[u8; 32], randomness: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(list_hash);
    h.update(randomness);
    h.finalize().into()
}

/// A uniform value below `m` (≥ 1) from the stream, without modulo bias.
fn uniform_below(rng: &mut ChaCha20Rng, m: u64) -> u64 {
    // r = 2^64 mod m; the top r values of the u64 range would favour the low residues.
    let r = (u64::MAX % m + 1) % m;
    loop {
        let x = rng.next_u64();
        if r == 0 || x < 0u64.wrapping_sub(r) {
            return x % m;
        }
    }
}

/// The winners, in draw order: a partial Fisher–Yates shuffle of the canonical list keyed by
/// [`draw_key`] (module doc).
pub fn winners(canonical: &[String], units: u32, key: [u8; 32]) -> Vec<String> {
    let mut list: Vec<&String> = canonical.iter().collect();
    let n = list.len();
    let k = n.min(units as usize);
    let mut rng = ChaCha20Rng::from_seed(key);
    for i in 0..k {
        let j = i + uniform_below(&mut rng, (n - i) as u64) as usize;
        list.swap(i, j);
    }
    list.into_iter().take(k).cloned().collect()
}

/// Draws from published values: the seed checked against the commitment, the list against its
/// hash, the round against the chain's key and the commitment's round number. The one
/// function both the draw and its verification run.
pub fn draw(
    record: &DrawRecord,
    seed_hex: &str,
    canonical_list: &[String],
    round: &BeaconRound,
) -> Result<Vec<String>, DrawError> {
    let seed = open_seed(seed_hex, &record.commitment)?;
    let list_hash = entry_list_hash(canonical_list);
    if record.list_hash.as_deref() != Some(hex::encode(list_hash).as_str()) {
        return Err(DrawError::ListMismatch);
    }
    if round.round != record.round {
        return Err(DrawError::WrongRound {
            committed: record.round,
            given: round.round,
        });
    }
    let chain = record.chain.as_ref().ok_or(DrawError::NoChain)?;
    chain.verify(round)?;
    let randomness = round.randomness()?;
    Ok(winners(
        canonical_list,
        record.units,
        draw_key(&seed, &list_hash, &randomness),
    ))
}

/// What a recomputation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub winners: Vec<String>,
    /// The recomputed winners are the published ones, in order.
    pub matches: bool,
    /// The list was frozen before the round was emitted (else whoever froze it could have seen
    /// the randomness first).
    pub frozen_in_time: bool,
}

/// Recomputes a published draw from its record and the published entry list.
pub fn verify(record: &DrawRecord, entries: Vec<String>) -> Result<Verification, DrawError> {
    let seed = record.seed.as_deref().ok_or(DrawError::BadSeed)?;
    let round = record
        .beacon
        .as_ref()
        .ok_or(DrawError::Beacon(BeaconError::NotYet {
            round: record.round,
        }))?;
    let chain = record.chain.as_ref().ok_or(DrawError::NoChain)?;
    let winners = draw(record, seed, &canonical(entries), round)?;
    Ok(Verification {
        matches: winners == record.winners,
        frozen_in_time: record
            .frozen_at
            .is_some_and(|at| at < chain.time_of(record.round)),
        winners,
    })
}

#[cfg(test)]
#[path = "draw_tests.rs"]
mod tests;
