//! A public randomness beacon: drand, the League of Entropy's threshold BLS beacon
//! (<https://drand.love/>), as the draw's source of randomness nobody controls.
//!
//! drand emits a *round* every `period` seconds from its chain's `genesis_time`: round 1 at
//! genesis, round `r` at `genesis + (r - 1) · period` (drand's own client computes the current
//! round this way: `common/time.go` in <https://github.com/drand/drand>). Each round is a BLS
//! signature by a threshold of the network's nodes over the round number (and, on a *chained*
//! network, the previous round's signature); the round's randomness is `SHA-256(signature)`. A
//! signature can be checked against the chain's public key by anyone, offline: that is what
//! makes a draw that uses it verifiable. The check here is the `drand-verify` crate's
//! (<https://docs.rs/drand-verify>), on its BLS12-381 implementation.
//!
//! Two chains are known by name ([`BeaconChain::quicknet`], [`BeaconChain::mainnet`]), with
//! their public `info` values as drand publishes them; any other can be given in full. Because
//! a round's number is fixed before entries close ([`BeaconChain::round_after`]), and nobody,
//! chatdrop included, can know its signature before the network emits it, the operator cannot
//! pick a convenient one.
//!
//! [`Beacon`] is the port that fetches a round; [`RecordedBeacon`] answers from rounds recorded
//! earlier (the tests, and a verification done offline), and the CLI has an HTTP adapter for a
//! drand relay's `GET {base}/{chain hash}/public/{round}`.

use drand_verify::{G1Pubkey, G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::future::Future;

/// How a chain signs, as drand's `schemeID` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    /// `pedersen-bls-chained`: the League of Entropy's 30-second "default" network. The message
    /// signed is SHA-256(previous signature ‖ round as 8 bytes big-endian); keys on G1.
    #[serde(rename = "pedersen-bls-chained")]
    PedersenBlsChained,
    /// `bls-unchained-g1-rfc9380`: quicknet. The message is SHA-256(round, 8 bytes big-endian);
    /// signatures on G1 (48 bytes) hashed to the curve per RFC 9380, keys on G2.
    #[serde(rename = "bls-unchained-g1-rfc9380")]
    BlsUnchainedG1Rfc9380,
}

/// A drand chain's public `info`: what a round is checked against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconChain {
    /// The chain hash: the path a relay serves it under.
    pub hash: String,
    /// The group public key, hex.
    pub public_key: String,
    /// Seconds between rounds.
    pub period: u64,
    /// Unix seconds of round 1.
    pub genesis_time: i64,
    pub scheme: Scheme,
}

impl BeaconChain {
    /// quicknet, a round every 3 s since 2023-08-23, as served at
    /// `https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/info`
    /// (the same values in drand's timelock library, `src/drand/defaults.ts` of
    /// <https://github.com/drand/tlock-js>; launch: <https://drand.love/blog/2023/10/16/quicknet-is-live/>).
    pub fn quicknet() -> BeaconChain {
        BeaconChain {
            hash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971".into(),
            public_key: "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a".into(),
            period: 3,
            genesis_time: 1_692_803_367,
            scheme: Scheme::BlsUnchainedG1Rfc9380,
        }
    }

    /// The League of Entropy's original chained network, a round every 30 s since 2020-07-22,
    /// as served at `https://api.drand.sh/info` (the public key is the one `drand-verify`
    /// documents for it; period and genesis as in `types/networks/src/drand.rs` of
    /// <https://github.com/ChainSafe/forest>).
    pub fn mainnet() -> BeaconChain {
        BeaconChain {
            hash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce".into(),
            public_key: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31".into(),
            period: 30,
            genesis_time: 1_595_431_050,
            scheme: Scheme::PedersenBlsChained,
        }
    }

    /// A chain by its name (`quicknet`, `mainnet`).
    pub fn named(name: &str) -> Option<BeaconChain> {
        match name {
            "quicknet" => Some(BeaconChain::quicknet()),
            "mainnet" | "default" => Some(BeaconChain::mainnet()),
            _ => None,
        }
    }

    /// Unix seconds at which `round` is emitted.
    pub fn time_of(&self, round: u64) -> i64 {
        let elapsed = round.saturating_sub(1).saturating_mul(self.period);
        self.genesis_time
            .saturating_add(i64::try_from(elapsed).unwrap_or(i64::MAX))
    }

    /// The first round emitted strictly after `at` plus `margin` seconds: the round a draw
    /// closing at `at` commits to. Unknown to anyone when fixed, public soon after.
    pub fn round_after(&self, at: i64, margin: i64) -> u64 {
        let t = at.saturating_add(margin);
        if t < self.genesis_time {
            return 1;
        }
        let since = u64::try_from(t - self.genesis_time).unwrap_or(0);
        since / self.period.max(1) + 2
    }

    /// Checks `round` against this chain's key: the signature is the network's over the
    /// round's message. A round of another number, chain or with a forged signature fails.
    pub fn verify(&self, round: &BeaconRound) -> Result<(), BeaconError> {
        let signature = hex::decode(&round.signature).map_err(|_| BeaconError::Malformed)?;
        let key = hex::decode(&self.public_key).map_err(|_| BeaconError::Malformed)?;
        let valid = match self.scheme {
            Scheme::PedersenBlsChained => {
                let previous = round
                    .previous_signature
                    .as_deref()
                    .map(hex::decode)
                    .transpose()
                    .map_err(|_| BeaconError::Malformed)?
                    .ok_or(BeaconError::Malformed)?;
                G1Pubkey::from_variable(&key)
                    .map_err(|_| BeaconError::Malformed)?
                    .verify(round.round, &previous, &signature)
            }
            Scheme::BlsUnchainedG1Rfc9380 => G2PubkeyRfc::from_variable(&key)
                .map_err(|_| BeaconError::Malformed)?
                .verify(round.round, b"", &signature),
        };
        match valid {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(BeaconError::BadSignature { round: round.round }),
        }
    }
}

/// One round as a drand relay serves it (`/public/{round}`), hex fields as drand writes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconRound {
    pub round: u64,
    pub signature: String,
    /// Chained networks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_signature: Option<String>,
}

impl BeaconRound {
    /// The round's randomness: SHA-256 of its signature (drand's definition; the relay's
    /// `randomness` field is this and is not trusted, it is recomputed).
    pub fn randomness(&self) -> Result<[u8; 32], BeaconError> {
        let signature = hex::decode(&self.signature).map_err(|_| BeaconError::Malformed)?;
        Ok(Sha256::digest(signature).into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    /// Not emitted yet (a draw run too early): try again after its time.
    #[error("round {round} is not out yet")]
    NotYet { round: u64 },
    #[error("round {round}'s signature does not verify against the chain's key")]
    BadSignature { round: u64 },
    #[error("the round or the chain's key is not valid hex or not a curve point")]
    Malformed,
    /// The relay could not be reached or answered something else: worth retrying.
    #[error("beacon relay: {0}")]
    Unavailable(String),
}

/// Where rounds come from.
pub trait Beacon: Send + Sync {
    /// `round` of `chain`, as emitted (not yet verified: see [`BeaconChain::verify`]).
    fn round(
        &self,
        chain: &BeaconChain,
        round: u64,
    ) -> impl Future<Output = Result<BeaconRound, BeaconError>> + Send;
}

/// Rounds recorded earlier, by chain hash and number: stands in for the network in tests and
/// answers a recomputation done offline from published values.
#[derive(Clone, Debug, Default)]
pub struct RecordedBeacon {
    rounds: BTreeMap<(String, u64), BeaconRound>,
}

impl RecordedBeacon {
    pub fn with(mut self, chain: &BeaconChain, round: BeaconRound) -> Self {
        self.rounds.insert((chain.hash.clone(), round.round), round);
        self
    }
}

impl Beacon for RecordedBeacon {
    async fn round(&self, chain: &BeaconChain, round: u64) -> Result<BeaconRound, BeaconError> {
        self.rounds
            .get(&(chain.hash.clone(), round))
            .cloned()
            .ok_or(BeaconError::NotYet { round })
    }
}

/// Real rounds, recorded from the public relays, for tests and the local stack: they verify
/// against the real chains' keys, so a test exercises the real check.
pub mod recorded {
    use super::{BeaconChain, BeaconRound, RecordedBeacon};

    /// quicknet round 123 (`/52db9ba7…/public/123`), as recorded in `drand-verify`'s own tests
    /// (`src/verify.rs` of <https://github.com/noislabs/drand-verify>, v0.6.2).
    pub fn quicknet_123() -> BeaconRound {
        BeaconRound {
            round: 123,
            signature: "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92".into(),
            previous_signature: None,
        }
    }

    /// mainnet (chained) round 72785 (`/public/72785`), from the same tests.
    pub fn mainnet_72785() -> BeaconRound {
        BeaconRound {
            round: 72785,
            signature: "82f5d3d2de4db19d40a6980e8aa37842a0e55d1df06bd68bddc8d60002e8e959eb9cfa368b3c1b77d18f02a54fe047b80f0989315f83b12a74fd8679c4f12aae86eaf6ab5690b34f1fddd50ee3cc6f6cdf59e95526d5a5d82aaa84fa6f181e42".into(),
            previous_signature: Some("a609e19a03c2fcc559e8dae14900aaefe517cb55c840f6e69bc8e4f66c8d18e8a609685d9917efbfb0c37f058c2de88f13d297c7e19e0ab24813079efe57a182554ff054c7638153f9b26a60e7111f71a0ff63d9571704905d3ca6df0b031747".into()),
        }
    }

    /// Both rounds, on their chains.
    pub fn beacon() -> RecordedBeacon {
        RecordedBeacon::default()
            .with(&BeaconChain::quicknet(), quicknet_123())
            .with(&BeaconChain::mainnet(), mainnet_72785())
    }
}

#[cfg(test)]
#[path = "beacon_tests.rs"]
mod tests;
