//! `drawbench`: a draw of 500 winners from 50,000 entries, and its recomputation.
//!
//! ```text
//! cargo run --release -p xtask --bin drawbench -- --entries 50000 --units 500
//! ```
//!
//! Runs the draw as `chatdrop drop draw-run` does (`chatdrop_domain::draw_flow::run`) on the
//! in-memory store, against the recorded quicknet round 123 (its BLS signature verified as a
//! relay's answer would be), with a dispatcher that only counts what it would queue. It prints
//! the time to freeze and hash the list, to verify the round, to draw, and the whole run, then
//! recomputes the winners from the published values alone (`draw::verify`, what
//! `chatdrop drop verify-draw` runs) and says whether they match. The table and the queues are
//! left out on purpose: their cost per entry is the store's (one query page per ~1 MB of
//! entries, one conditional update and one queue message per entry told), measured elsewhere.

use chatdrop_domain::action::Handler;
use chatdrop_domain::beacon::{BeaconChain, recorded};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::draw::{self, DrawSpec};
use chatdrop_domain::draw_flow::{self, DrawEntry, DrawStore, RunReport};
use chatdrop_domain::draw_memory::MemoryDraws;
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::ports::{Dispatch, PortError};
use chatdrop_domain::reply::ReplyBundle;
use clap::Parser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Draw winners from many entries and recompute them")]
struct Args {
    #[arg(long, default_value_t = 50_000)]
    entries: usize,
    #[arg(long, default_value_t = 500)]
    units: u32,
}

/// quicknet round 123 is emitted at genesis + 366 s: entries close just before.
const CLOSE: i64 = 1_692_803_367 + 363;

#[derive(Default)]
struct Counting {
    winners: AtomicUsize,
    others: AtomicUsize,
}

impl Dispatch for Counting {
    async fn reply(&self, _: &ReplyBundle) -> Result<(), PortError> {
        self.others.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    async fn hand_off(&self, _: Handler, _: &InboundMessage) -> Result<(), PortError> {
        self.winners.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn ms(since: Instant) -> String {
    format!("{:.1} ms", since.elapsed().as_secs_f64() * 1e3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let drop = Drop {
        id: "bench".into(),
        name: "Bench drop".into(),
        starts_at: CLOSE - 86_400,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: args.units,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: Some(DrawSpec {
            entries_close_at: CLOSE,
            pay_within_minutes: 60,
            verified_phone: false,
        }),
    };
    let store = MemoryDraws::default();
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    draw_flow::commit(
        &store,
        &drop,
        BeaconChain::quicknet(),
        0,
        &seed,
        CLOSE - 3600,
    )
    .await
    .map_err(|e| e.to_string())?;
    for i in 0..args.entries {
        // Entry ids shaped as the real ones: a keyed pseudonym's 16 hex digits.
        let person = format!(
            "conv:k1:{:016x}",
            (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
        store
            .enter(&DrawEntry {
                drop: drop.id.clone(),
                entry: person,
                conversation: ConversationId::new(Channel::Telegram, i.to_string()),
                lang: Lang::EN,
                zone: "UTC".into(),
                entered_at: CLOSE - 60,
                told: false,
            })
            .await
            .map_err(|e| e.to_string())?;
    }

    // The parts, alone.
    let list = draw::canonical(
        store
            .entries(&drop.id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|e| e.entry)
            .collect(),
    );
    let t = Instant::now();
    let list_hash = draw::entry_list_hash(&list);
    let hash_time = ms(t);
    let t = Instant::now();
    BeaconChain::quicknet()
        .verify(&recorded::quicknet_123())
        .map_err(|e| e.to_string())?;
    let verify_time = ms(t);
    let randomness = recorded::quicknet_123()
        .randomness()
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let alone = draw::winners(
        &list,
        args.units,
        draw::draw_key(&seed, &list_hash, &randomness),
    );
    let shuffle_time = ms(t);

    // The whole run, as `draw-run` does it.
    let dispatch = Counting::default();
    let t = Instant::now();
    let report = draw_flow::run(&store, &recorded::beacon(), &dispatch, &drop, CLOSE + 10)
        .await
        .map_err(|e| e.to_string())?;
    let run_time = ms(t);
    let RunReport::Drawn { record, .. } = report else {
        return Err(format!("not drawn: {report:?}"));
    };

    // The recomputation from published values only.
    let published = draw_flow::published_list(&store, drop.draw.as_ref().unwrap(), &drop.id)
        .await
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let check = draw::verify(&record, published).map_err(|e| e.to_string())?;
    let recompute_time = ms(t);

    println!(
        "entries {}, units {}, winners {}",
        record.entries,
        args.units,
        record.winners.len()
    );
    println!("list hash (SHA-256 of {} ids): {hash_time}", list.len());
    println!("drand round 123 signature (BLS12-381, quicknet): {verify_time}");
    println!("winners (ChaCha20 partial Fisher-Yates): {shuffle_time}");
    println!(
        "whole run (freeze, fetch + verify round, draw, tell {} winners and {} others): {run_time}",
        dispatch.winners.load(Ordering::Relaxed),
        dispatch.others.load(Ordering::Relaxed)
    );
    println!("recompute from published values: {recompute_time}");
    println!(
        "recomputation matches: {} (and the parts alone agree: {})",
        check.matches,
        alone == record.winners
    );
    if !check.matches || alone != record.winners {
        return Err("the recomputation does not match".into());
    }
    Ok(())
}
