//! `chatdrop drop draw-commit / draw-run / draw-publish / verify-draw`: a drop's verifiable
//! draw from the command line (the rules and the algorithm: `chatdrop_domain::draw`).
//!
//! `draw-run` fetches the committed drand round from a relay (`--beacon-url`, default
//! `https://api.drand.sh`, the League of Entropy's; `drand.cloudflare.com` serves the same
//! chains): `GET {base}/{chain hash}/public/{round}` answers the round's signature, which is
//! verified against the chain's public key before it is used, so a relay cannot bend the draw
//! (it can only withhold the round). `verify-draw` needs no network: the round's signature is
//! part of what the draw publishes.

use chatdrop_domain::beacon::{Beacon, BeaconChain, BeaconError, BeaconRound};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::draw::{self, DrawRecord};
use chatdrop_domain::draw_flow::{self, DrawStore, RunReport};
use chatdrop_domain::drops::Drop;
use chatdrop_store::DynamoStore;
use serde::{Deserialize, Serialize};
use std::time::Duration;

type Fallible<T> = Result<T, String>;

/// A drand relay over HTTP.
pub struct HttpBeacon {
    client: reqwest::Client,
    base: String,
}

impl HttpBeacon {
    pub fn new(base: &str) -> Fallible<HttpBeacon> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpBeacon {
            client,
            base: base.trim_end_matches('/').to_string(),
        })
    }
}

impl Beacon for HttpBeacon {
    async fn round(&self, chain: &BeaconChain, round: u64) -> Result<BeaconRound, BeaconError> {
        let url = format!("{}/{}/public/{round}", self.base, chain.hash);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| BeaconError::Unavailable(e.to_string()))?;
        let status = response.status();
        // A relay answers a round from the future with an error status (drand's HTTP API
        // refuses it); asked after the round's time, that is the relay being behind or down.
        if !status.is_success() {
            return if chain.time_of(round) > SystemClock.now() {
                Err(BeaconError::NotYet { round })
            } else {
                Err(BeaconError::Unavailable(format!("{url}: HTTP {status}")))
            };
        }
        let got: BeaconRound = response
            .json()
            .await
            .map_err(|e| BeaconError::Unavailable(format!("{url}: {e}")))?;
        if got.round != round {
            return Err(BeaconError::Unavailable(format!(
                "{url}: answered round {}",
                got.round
            )));
        }
        Ok(got)
    }
}

/// What a draw publishes, as one JSON document: the record and the entry list it hashed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Published {
    pub record: DrawRecord,
    pub entries: Vec<String>,
}

async fn draw_drop(store: &DynamoStore, id: &str) -> Fallible<Drop> {
    store
        .all_drops()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|d| d.id == id && d.draw.is_some())
        .ok_or_else(|| format!("drop {id} does not exist or is not a draw"))
}

pub async fn commit(
    store: &DynamoStore,
    id: &str,
    chain: &str,
    margin_seconds: i64,
    now: i64,
) -> Fallible<String> {
    let drop = draw_drop(store, id).await?;
    let chain = BeaconChain::named(chain)
        .ok_or_else(|| format!("unknown beacon chain `{chain}` (quicknet, mainnet)"))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no OS randomness: {e}"))?;
    let record = draw_flow::commit(store, &drop, chain, margin_seconds, &seed, now)
        .await
        .map_err(|e| e.to_string())?;
    let chain = record.chain.as_ref().map(|c| c.hash.as_str()).unwrap_or("");
    Ok(format!(
        "drop {id}: draw committed; publish before entries close:\n\
         seed commitment (SHA-256)\t{}\n\
         drand chain\t{chain}\n\
         drand round\t{} (emitted at Unix {})\n\
         units\t{}",
        record.commitment,
        record.round,
        record.chain.as_ref().map_or(0, |c| c.time_of(record.round)),
        record.units
    ))
}

pub async fn run<D: chatdrop_domain::ports::Dispatch>(
    store: &DynamoStore,
    beacon: &impl Beacon,
    dispatch: &D,
    id: &str,
    now: i64,
) -> Fallible<String> {
    let drop = draw_drop(store, id).await?;
    match draw_flow::run(store, beacon, dispatch, &drop, now)
        .await
        .map_err(|e| e.to_string())?
    {
        RunReport::Waiting {
            round,
            at,
            list_hash,
        } => Ok(format!(
            "drop {id}: entry list frozen, hash {list_hash} (publish it now); drand round \
             {round} is not out yet (Unix {at}): run again after it"
        )),
        RunReport::Drawn {
            record,
            won,
            lost,
            failed,
        } => Ok(format!(
            "drop {id}: drawn {} winners of {} entries (round {}); told now: {won} winners, \
             {lost} others{}. `chatdrop drop draw-publish {id}` prints what to publish.",
            record.winners.len(),
            record.entries,
            record.round,
            if failed > 0 {
                format!(", {failed} not queued (run again)")
            } else {
                String::new()
            }
        )),
    }
}

pub async fn publish(store: &DynamoStore, id: &str) -> Fallible<String> {
    let drop = draw_drop(store, id).await?;
    let record = store
        .draw_record(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("drop {id} has no committed draw"))?;
    let spec = drop.draw.as_ref().ok_or("not a draw")?;
    // The list is published once frozen; before, only the commitment is public.
    let entries = if record.list_hash.is_some() {
        draw_flow::published_list(store, spec, id)
            .await
            .map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    serde_json::to_string_pretty(&Published { record, entries }).map_err(|e| e.to_string())
}

/// Recomputes the winners from published values: a file `draw-publish` wrote (anyone can do
/// this, offline), or the table's record.
pub async fn verify(
    store: &DynamoStore,
    id: Option<&str>,
    file: Option<&std::path::Path>,
) -> Fallible<(bool, String)> {
    let published: Published = match (file, id) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, Some(id)) => serde_json::from_str(&publish(store, id).await?)
            .map_err(|e: serde_json::Error| e.to_string())?,
        (None, None) => return Err("name a drop or give --published FILE".into()),
    };
    verify_published(published)
}

/// Recomputes a published draw: `(matches, what to print)`.
pub fn verify_published(published: Published) -> Fallible<(bool, String)> {
    let check = draw::verify(&published.record, published.entries).map_err(|e| e.to_string())?;
    Ok(report(&published.record, &check))
}

fn report(record: &DrawRecord, check: &draw::Verification) -> (bool, String) {
    let mut out = format!(
        "drop {}: seed matches its commitment, the entry list ({} entries) its hash, drand \
         round {} verifies against the chain's key\nrecomputed winners: {}",
        record.drop,
        record.entries,
        record.round,
        check.winners.join(", ")
    );
    if check.matches {
        out.push_str("\nMATCH: the published winners are the draw's");
    } else {
        out.push_str(&format!(
            "\nMISMATCH: published winners were {}",
            record.winners.join(", ")
        ));
    }
    if !check.frozen_in_time {
        out.push_str("\nwarning: the entry list was frozen after the round was emitted");
    }
    (check.matches, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::beacon::recorded;

    /// A published draw on the recorded quicknet round, as `draw-publish` prints it.
    fn published() -> Published {
        let entries: Vec<String> = (0..30).map(|i| format!("conv:k1:{i:016x}")).collect();
        let seed = [5u8; 32];
        let list = draw::canonical(entries.clone());
        let mut record = DrawRecord {
            drop: "hype".into(),
            commitment: draw::commitment(&seed),
            chain: Some(BeaconChain::quicknet()),
            round: 123,
            units: 3,
            frozen_at: Some(1_692_803_700),
            list_hash: Some(hex::encode(draw::entry_list_hash(&list))),
            entries: 30,
            seed: Some(hex::encode(seed)),
            beacon: Some(recorded::quicknet_123()),
            ..DrawRecord::default()
        };
        record.winners = draw::draw(
            &record,
            &hex::encode(seed),
            &list,
            &recorded::quicknet_123(),
        )
        .unwrap();
        Published { record, entries }
    }

    #[test]
    fn verify_draw_says_match_for_the_published_winners_and_mismatch_otherwise() {
        let json = serde_json::to_string_pretty(&published()).unwrap();
        let (ok, out) = verify_published(serde_json::from_str(&json).unwrap()).unwrap();
        assert!(ok, "{out}");
        assert!(out.contains("MATCH"));

        let mut tampered = published();
        tampered.record.winners[0] = "conv:k1:ffffffffffffffff".into();
        let (ok, out) = verify_published(tampered).unwrap();
        assert!(!ok);
        assert!(out.contains("MISMATCH"), "{out}");

        let mut padded = published();
        padded.entries.push("conv:k1:0000000000000bad".into());
        assert!(verify_published(padded).unwrap_err().contains("hash"));
    }
}
