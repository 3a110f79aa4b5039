//! LINE Messaging API webhook: `x-line-signature` (Base64 HMAC-SHA256 of the raw body), then the
//! events JSON, each event read on its own.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::line::{LineConfig, LineWebhook};
use chatdrop_fuzz::*;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "x-line-signature";

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let webhook = LineWebhook::new(LineConfig {
        channel_secret: LINE_SECRET.into(),
    });
    let content_type = content_type(flags, "application/json");

    // Unsigned, signed under another secret, and with the input itself as the header.
    assert_unauthorized(&post(&webhook, &[], content_type, body));
    let wrong = line_signature("another-secret", body);
    assert_unauthorized(&post(
        &webhook,
        &[(HEADER, wrong.as_bytes())],
        content_type,
        body,
    ));
    assert_refused(&post(&webhook, &[(HEADER, body)], content_type, body));

    // Signed as LINE signs: the parser gets the bytes.
    let signature = line_signature(LINE_SECRET, body);
    assert_authorized(&post(
        &webhook,
        &[(HEADER, signature.as_bytes())],
        content_type,
        body,
    ));
});
