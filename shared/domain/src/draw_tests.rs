use super::*;
use crate::beacon::recorded::{mainnet_72785, quicknet_123};

fn entries(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("entry-{i:03}")).collect()
}

fn seed() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

/// A record as `draw-commit` and the freeze leave it, for `list` on quicknet round 123.
fn committed(list: &[String], units: u32) -> DrawRecord {
    DrawRecord {
        drop: "d1".into(),
        commitment: commitment(&seed()),
        chain: Some(BeaconChain::quicknet()),
        round: 123,
        units,
        committed_at: 1_692_803_000,
        frozen_at: Some(1_692_803_730),
        list_hash: Some(hex::encode(entry_list_hash(list))),
        entries: list.len() as u32,
        ..DrawRecord::default()
    }
}

/// The same draw recomputed by an independent implementation: Python's `hashlib` and the
/// `cryptography` package's ChaCha20, following the module doc step by step
/// (`docs/draw-recompute.py`). If this test fails, the published algorithm changed: every past
/// draw would stop verifying.
#[test]
fn the_draw_matches_an_independent_implementation_of_the_documented_algorithm() {
    assert_eq!(
        commitment(&seed()),
        "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    );
    assert_eq!(
        hex::encode(entry_list_hash(&["a".into(), "b".into()])),
        "911169ddaaf146aff539f58c26c489af3b892dff0fe283c1c264c65ae5aa59a2"
    );
    let list = canonical(entries(50));
    assert_eq!(
        hex::encode(entry_list_hash(&list)),
        "b55c7867eac80a29bc7ed301ebfdbae50a703ff94fed3f04c4472404d2bd9eae"
    );
    let won = draw(
        &committed(&list, 5),
        &hex::encode(seed()),
        &list,
        &quicknet_123(),
    )
    .unwrap();
    assert_eq!(
        won,
        [
            "entry-047",
            "entry-043",
            "entry-007",
            "entry-029",
            "entry-003"
        ]
    );
}

#[test]
fn the_list_is_canonical_whatever_order_entries_were_read_in() {
    let mut shuffled = entries(20);
    shuffled.reverse();
    shuffled.push("entry-004".into());
    assert_eq!(canonical(shuffled), entries(20));
}

#[test]
fn winners_are_distinct_entries_and_never_more_than_units_or_entries() {
    let list = entries(30);
    let key = [7; 32];
    let five = winners(&list, 5, key);
    assert_eq!(five.len(), 5);
    let mut unique = five.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    assert!(five.iter().all(|w| list.contains(w)));
    // The first k of a longer draw are the shorter draw: each winner is drawn in turn.
    assert_eq!(winners(&list, 8, key)[..5], five[..]);
    let everyone = winners(&list, 100, key);
    assert_eq!(
        canonical(everyone),
        list,
        "more units than entries: all win"
    );
    assert!(winners(&[], 3, key).is_empty());
    assert_ne!(
        winners(&list, 5, [8; 32]),
        five,
        "another key, another draw"
    );
}

/// Each entry wins with probability k/n: over 4,000 draws of 3 from 10, every entry's count
/// stays near 1,200 (binomial sd ≈ 29; the bound is over 5 sd).
#[test]
fn every_entry_has_the_same_chance() {
    let list = entries(10);
    let mut counts = [0u32; 10];
    for t in 0..4_000u32 {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&t.to_le_bytes());
        for w in winners(&list, 3, key) {
            counts[list.iter().position(|e| *e == w).unwrap()] += 1;
        }
    }
    for c in counts {
        assert!((1_050..=1_350).contains(&c), "{counts:?}");
    }
}

#[test]
fn a_wrong_seed_list_or_round_is_refused() {
    let list = canonical(entries(12));
    let record = committed(&list, 2);
    let seed_hex = hex::encode(seed());
    let other_seed = hex::encode([9u8; 32]);
    assert_eq!(
        draw(&record, &other_seed, &list, &quicknet_123()),
        Err(DrawError::SeedMismatch)
    );
    assert_eq!(
        draw(&record, "zz", &list, &quicknet_123()),
        Err(DrawError::BadSeed)
    );
    assert_eq!(
        draw(&record, &seed_hex, &list[1..], &quicknet_123()),
        Err(DrawError::ListMismatch)
    );
    assert_eq!(
        draw(&record, &seed_hex, &list, &mainnet_72785()),
        Err(DrawError::WrongRound {
            committed: 123,
            given: 72785
        })
    );
    let mut forged = quicknet_123();
    forged.signature.replace_range(0..2, "a7");
    assert!(matches!(
        draw(&record, &seed_hex, &list, &forged),
        Err(DrawError::Beacon(_))
    ));
}

#[test]
fn verification_recomputes_the_published_winners() {
    let list = canonical(entries(40));
    let mut record = committed(&list, 4);
    record.seed = Some(hex::encode(seed()));
    record.beacon = Some(quicknet_123());
    record.winners = draw(&record, &hex::encode(seed()), &list, &quicknet_123()).unwrap();
    let mut reversed = list.clone();
    reversed.reverse();
    let check = verify(&record, reversed).unwrap();
    assert!(check.matches && check.frozen_in_time);
    assert_eq!(check.winners, record.winners);

    // Published winners that are not the draw's: caught.
    let mut tampered = record.clone();
    tampered.winners.swap(0, 1);
    assert!(!verify(&tampered, list.clone()).unwrap().matches);
    // A list frozen after the round was out: the draw recomputes, but says so.
    let mut late = record.clone();
    late.frozen_at = Some(BeaconChain::quicknet().time_of(123));
    let late = verify(&late, list.clone()).unwrap();
    assert!(late.matches && !late.frozen_in_time);
    // An entry added after the freeze: the list no longer hashes to the published hash.
    let mut grown = list;
    grown.push("entry-999".into());
    assert_eq!(verify(&record, grown), Err(DrawError::ListMismatch));
}
