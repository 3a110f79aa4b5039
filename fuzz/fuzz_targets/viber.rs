//! Viber REST Bot API callback: `X-Viber-Content-Signature` (lowercase hex HMAC-SHA256 of the raw
//! body under the auth token) or the `sig` query parameter, then the one event's JSON; a
//! `conversation_started` is answered with the welcome message, never queued.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::WebhookOutcome;
use chatdrop_channels::viber::{ViberConfig, ViberWebhook};
use chatdrop_fuzz::*;
use http::{HeaderMap, Method};
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "x-viber-content-signature";

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let webhook = ViberWebhook::new(ViberConfig {
        auth_token: VIBER_TOKEN.into(),
        sender_name: "fuzz".into(),
    });
    let content_type = content_type(flags, "application/json");

    // Unsigned, signed under another token, and with the input itself as the header.
    assert_unauthorized(&post(&webhook, &[], content_type, body));
    let wrong = viber_signature("another-token", body);
    assert_unauthorized(&post(
        &webhook,
        &[(HEADER, wrong.as_bytes())],
        content_type,
        body,
    ));
    assert_refused(&post(&webhook, &[(HEADER, body)], content_type, body));

    // Signed as Viber signs: the parser gets the bytes, in the header or in the query.
    let signature = viber_signature(VIBER_TOKEN, body);
    let result = post(
        &webhook,
        &[(HEADER, signature.as_bytes())],
        content_type,
        body,
    );
    assert_authorized(&result);
    if let Ok(WebhookOutcome::Respond { body: welcome, .. }) = &result {
        // The welcome is a JSON message Viber can read.
        assert!(serde_json::from_str::<serde_json::Value>(welcome).is_ok());
    }
    let query = format!("sig={signature}");
    let mut headers = HeaderMap::new();
    if let Some(t) = content_type {
        headers.insert("content-type", t.parse().unwrap());
    }
    assert_authorized(&receive(
        &webhook,
        Method::POST,
        &headers,
        Some(&query),
        URL,
        body,
    ));
});
