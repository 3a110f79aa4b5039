use super::recorded::{mainnet_72785, quicknet_123};
use super::*;

#[test]
fn recorded_quicknet_and_mainnet_rounds_verify_against_the_real_keys() {
    BeaconChain::quicknet().verify(&quicknet_123()).unwrap();
    BeaconChain::mainnet().verify(&mainnet_72785()).unwrap();
}

#[test]
fn a_round_under_another_number_chain_or_signature_is_refused() {
    let quicknet = BeaconChain::quicknet();
    let mut renumbered = quicknet_123();
    renumbered.round = 124;
    assert_eq!(
        quicknet.verify(&renumbered),
        Err(BeaconError::BadSignature { round: 124 })
    );
    // mainnet's round presented as quicknet's: a G2 signature where G1 is expected.
    assert!(quicknet.verify(&mainnet_72785()).is_err());
    let mut chained = mainnet_72785();
    chained.previous_signature = None;
    assert_eq!(
        BeaconChain::mainnet().verify(&chained),
        Err(BeaconError::Malformed)
    );
    let mut flipped = quicknet_123();
    flipped.signature.replace_range(0..2, "a7");
    assert!(quicknet.verify(&flipped).is_err());
}

/// drand-verify's README prints mainnet round 1337's randomness for this signature.
#[test]
fn randomness_is_sha256_of_the_signature() {
    let round = BeaconRound {
        round: 1337,
        signature: "945b08dcb30e24da281ccf14a646f0630ceec515af5c5895e18cc1b19edd65d156b71c776a369af3487f1bc6af1062500b059e01095cc0eedce91713977d7735cac675554edfa0d0481bb991ed93d333d08286192c05bf6b65d20f23a37fc7bb".into(),
        previous_signature: Some("80d95247ddf1bb3acf5738497a5f10406be283144603f63d714bb1a44ff6b93285ae2697fffeb50c68862bd9fbecd4b204b1798d2686b4ac5d573615031d9d67e6168bde9a7adf1161430a498ca701a25c216aee3e38ffd5290369034fa050a2".into()),
    };
    BeaconChain::mainnet().verify(&round).unwrap();
    assert_eq!(
        hex::encode(round.randomness().unwrap()),
        "2660664f8d4bc401194d80d81da20a1e79480f65b8e2d205aecbd143b5bfb0d3"
    );
}

#[test]
fn rounds_follow_genesis_and_period() {
    let q = BeaconChain::quicknet();
    assert_eq!(q.time_of(1), q.genesis_time);
    assert_eq!(q.time_of(123), 1_692_803_367 + 122 * 3);
    // The round after a moment is emitted strictly after it.
    for at in [
        q.genesis_time,
        q.genesis_time + 1,
        q.genesis_time + 2,
        1_796_119_200,
    ] {
        for margin in [0, 60] {
            let r = q.round_after(at, margin);
            assert!(q.time_of(r) > at + margin, "{at}+{margin} → {r}");
            assert!(q.time_of(r - 1) <= at + margin, "{at}+{margin} → {r}");
        }
    }
    assert_eq!(q.round_after(0, 0), 1);
    assert_eq!(BeaconChain::named("quicknet"), Some(q));
    assert_eq!(BeaconChain::named("nope"), None);
}

#[tokio::test]
async fn the_recorded_beacon_answers_what_it_recorded_and_not_yet_otherwise() {
    let beacon = recorded::beacon();
    let q = BeaconChain::quicknet();
    assert_eq!(beacon.round(&q, 123).await, Ok(quicknet_123()));
    assert_eq!(
        beacon.round(&q, 124).await,
        Err(BeaconError::NotYet { round: 124 })
    );
}
