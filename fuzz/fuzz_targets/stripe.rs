//! Stripe webhook: the `Stripe-Signature` header parsed and checked (HMAC-SHA256 of
//! `"{t}.{raw body}"`, any one `v1` matching, the timestamp within tolerance), then the event
//! JSON parsed.
//!
//! The module is `shared/payments/src/webhook.rs` itself, compiled here on its own through
//! `#[path]`: depending on `chatdrop-payments` would build async-stripe's generated API, many
//! minutes of instrumented compiling for code this target never calls. The module uses one
//! other module of its crate, `stripe_amounts.rs`, compiled beside it the same way; if it ever
//! needs more, this target stops compiling and says so.
//!
//! Input: one flags byte, a header line, then the body. The header line is tried as a
//! `Stripe-Signature` of its own (it must be refused) and appended to a genuine one (which must
//! still verify, unless it adds a second `t=`). Flags bit 7 signs with the header line read as
//! the timestamp, when it is a number, instead of now.

#![no_main]

#[path = "../../shared/payments/src/webhook.rs"]
#[allow(dead_code)]
mod webhook;
// What the module reads amounts with (Stripe's minor units per currency), compiled the same way;
// it needs only `chatdrop-domain`, which the channel crate brings anyway.
#[path = "../../shared/payments/src/stripe_amounts.rs"]
#[allow(dead_code)]
mod stripe_amounts;

use chatdrop_fuzz::{STRIPE_SECRET, stripe_signature, unix_now};
use libfuzzer_sys::fuzz_target;
use webhook::SignatureError;

fuzz_target!(|data: &[u8]| {
    let Some((flags, lines, body)) = chatdrop_fuzz::split(data, 1) else {
        return;
    };
    let line = String::from_utf8_lossy(lines[0]);
    let now = unix_now();

    // No header, and the input's own header: refused before anything is parsed.
    assert_eq!(
        webhook::verify(None, body, STRIPE_SECRET, now),
        Err(SignatureError::Missing)
    );
    assert!(webhook::verify(Some(&line), body, STRIPE_SECRET, now).is_err());

    // A genuine header, with the input's items after it: any one v1 matching is enough.
    let genuine = stripe_signature(STRIPE_SECRET, now, body);
    let extended = format!("{genuine},{line}");
    let result = webhook::verify(Some(&extended), body, STRIPE_SECRET, now);
    assert!(
        matches!(result, Ok(()) | Err(SignatureError::Malformed)),
        "{result:?}"
    );

    // Signed as Stripe signs, at now or at the input's time.
    let t = match line.trim().parse::<i64>() {
        Ok(t) if flags & 0x80 != 0 => t,
        _ => now,
    };
    let signed = stripe_signature(STRIPE_SECRET, t, body);
    let result = webhook::verify(Some(&signed), body, STRIPE_SECRET, now);
    if t.abs_diff(now) <= 290 {
        assert_eq!(result, Ok(()));
    } else {
        assert_eq!(result, Err(SignatureError::Expired));
    }
    // Only verified bytes are parsed; any verdict is fine, a panic is not.
    if result.is_ok() {
        let _ = webhook::parse_event(body);
    }
});
