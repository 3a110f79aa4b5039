//! Properties of the Stripe webhook verifier and parser, over arbitrary input: bytes never
//! panic either; a signature computed as Stripe documents it (`hex(HMAC-SHA256(secret,
//! "{t}.{body}"))`, written out here rather than taken from the crate) verifies over any body;
//! and any single changed byte of the body or the signature, or a timestamp outside the
//! tolerance, is refused.

use chatdrop_payments::webhook::{SignatureError, TOLERANCE_SECS, parse_event, verify};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

const SECRET: &str = "whsec_property_test";
const NOW: i64 = 1_767_225_600;

fn stripe_header(body: &[u8], t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_input_never_panics(header in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = verify(Some(&header), &body, SECRET, NOW);
        let _ = parse_event(&body);
    }

    #[test]
    fn a_genuine_signature_verifies_over_any_body(body in proptest::collection::vec(any::<u8>(), 0..2048), skew in -TOLERANCE_SECS..=TOLERANCE_SECS) {
        let header = stripe_header(&body, NOW + skew);
        prop_assert_eq!(verify(Some(&header), &body, SECRET, NOW), Ok(()));
    }

    #[test]
    fn any_changed_byte_is_refused(body in proptest::collection::vec(any::<u8>(), 1..1024), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let header = stripe_header(&body, NOW);
        let mut changed = body.clone();
        let i = at.index(changed.len());
        changed[i] ^= flip;
        prop_assert_eq!(verify(Some(&header), &changed, SECRET, NOW), Err(SignatureError::Mismatch));

        // One hex digit of the signature changed to another hex digit.
        let mut forged = header.clone().into_bytes();
        let digits = forged.len() - 64;
        let j = digits + at.index(64);
        forged[j] = if forged[j] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).expect("ASCII");
        prop_assert_eq!(verify(Some(&forged), &body, SECRET, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_replay_outside_the_tolerance_is_refused(body in proptest::collection::vec(any::<u8>(), 0..256), late in (TOLERANCE_SECS + 1)..100_000) {
        let header = stripe_header(&body, NOW - late);
        prop_assert_eq!(verify(Some(&header), &body, SECRET, NOW), Err(SignatureError::Expired));
    }
}
