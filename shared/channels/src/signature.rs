//! Webhook authentication primitives shared by the adapters.
//!
//! A webhook endpoint is a public URL: anyone can POST to it, so nothing in a request may be
//! trusted until the request proves it came from the platform. Platforms prove it in two ways:
//! a keyed hash of the raw body (WhatsApp's `X-Hub-Signature-256`, Stripe's `v1=`), or a shared
//! secret echoed in a header (Telegram's secret token). Both come down to comparing a value the
//! caller controls with one we know, and that comparison must not leak, through its timing, how
//! many leading bytes matched — otherwise an attacker can recover the expected value one byte
//! at a time. Every comparison here therefore goes through [`subtle`].
//!
//! The hash is always computed over the raw bytes as received. Re-serialising a parsed body
//! changes whitespace, key order and unicode escaping, and the signature stops matching.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a presented signature was rejected. Callers map both to "unauthorized"; the distinction
/// only helps the log say whether a sender is broken (bad encoding) or wrong (bad key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature is not valid hex (or has the wrong length once decoded).
    #[error("signature is not a hex-encoded SHA-256 MAC")]
    Encoding,
    /// Well-formed, but computed with another key or over other bytes.
    #[error("signature does not match")]
    Mismatch,
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC hashes keys longer than a block and pads shorter ones, so every key length is
    // valid: `new_from_slice` cannot fail for HMAC, whatever the configuration holds.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Compares two byte strings without an early exit on the first difference.
///
/// The lengths are not secret (a MAC's length is public, a secret token's length is not worth
/// hiding), so unequal lengths return `false` at once.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Checks a hex-encoded HMAC-SHA256 of `message` under `key`.
///
/// The presented hex is decoded first and the raw MAC bytes are compared, so upper- or
/// lower-case hex both verify and the comparison never depends on string formatting.
pub fn verify_hmac_sha256_hex(
    key: &[u8],
    message: &[u8],
    presented_hex: &str,
) -> Result<(), SignatureError> {
    let presented = hex::decode(presented_hex).map_err(|_| SignatureError::Encoding)?;
    if presented.len() != 32 {
        return Err(SignatureError::Encoding);
    }
    let expected = hmac_sha256(key, message);
    if constant_time_eq(&expected, &presented) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Third-party vector: hexdocs whatsapp_sdk `compute_signature("test", "secret")`
    // (https://hexdocs.pm/whatsapp_sdk), recomputed with Python's `hmac`. Meta publishes no
    // official vector.
    const WHATSAPP_SDK_VECTOR: &str =
        "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";

    // https://github.com/arlyon/async-stripe `async-stripe-webhook/src/webhook.rs`,
    // `test_webhook_construct_event`: Stripe signs "{t}.{raw body}" with HMAC-SHA256, hex
    // (https://github.com/stripe/stripe-go `webhook/client.go`).
    const STRIPE_SECRET: &str = "secret";
    const STRIPE_T: &str = "1533204620";
    const STRIPE_BODY: &str = r#"{"account":"acct_123","api_version":"2017-05-25","created":1533204620,"data":{"object":{"amount":1000,"currency":"usd","customer":"cus_123","date":1533204620,"description":"Test Invoice Item","discountable":false,"id":"ii_123","invoice":"in_123","livemode":false,"metadata":{},"object":"invoiceitem","period":{"end":1533204620,"start":1533204620},"proration":false,"quantity":3,"quantity_decimal":"0"}},"id":"evt_123","livemode":false,"object":"event","pending_webhooks":1,"request":{"id":"req_123","idempotency_key":"idempotency-key-123"},"type":"invoiceitem.created"}"#;
    const STRIPE_V1: &str = "d7373bc68f4bd320b253cd7461f87af6e1cdf1b4d7db1614d8d1d746972d2d0a";

    #[test]
    fn hmac_matches_the_whatsapp_sdk_vector() {
        assert_eq!(
            hex::encode(hmac_sha256(b"secret", b"test")),
            WHATSAPP_SDK_VECTOR
        );
        assert_eq!(
            verify_hmac_sha256_hex(b"secret", b"test", WHATSAPP_SDK_VECTOR),
            Ok(())
        );
    }

    #[test]
    fn hmac_matches_the_async_stripe_vector() {
        let signed = format!("{STRIPE_T}.{STRIPE_BODY}");
        assert_eq!(
            hex::encode(hmac_sha256(STRIPE_SECRET.as_bytes(), signed.as_bytes())),
            STRIPE_V1
        );
        assert_eq!(
            verify_hmac_sha256_hex(STRIPE_SECRET.as_bytes(), signed.as_bytes(), STRIPE_V1),
            Ok(())
        );
    }

    #[test]
    fn uppercase_hex_verifies_too() {
        let upper = WHATSAPP_SDK_VECTOR.to_ascii_uppercase();
        assert_eq!(verify_hmac_sha256_hex(b"secret", b"test", &upper), Ok(()));
    }

    #[test]
    fn wrong_key_or_body_is_a_mismatch() {
        assert_eq!(
            verify_hmac_sha256_hex(b"other", b"test", WHATSAPP_SDK_VECTOR),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_hmac_sha256_hex(b"secret", b"test ", WHATSAPP_SDK_VECTOR),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn bad_hex_and_wrong_lengths_are_rejected() {
        for bad in [
            "",
            "zz",
            "0329a06b",
            &WHATSAPP_SDK_VECTOR[1..],
            &format!("{WHATSAPP_SDK_VECTOR}00"),
            "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        ] {
            assert_eq!(
                verify_hmac_sha256_hex(b"secret", b"test", bad),
                Err(SignatureError::Encoding),
                "{bad}"
            );
        }
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
