//! Messenger Platform webhook: `X-Hub-Signature-256` over the raw body, then the page event
//! JSON; and the GET subscription check, with the input as its query.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::messenger::{MessengerConfig, MessengerWebhook};
use chatdrop_fuzz::*;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "x-hub-signature-256";
/// Our Meta app id, so that handover events naming it (`pass_thread_control`,
/// `take_thread_control`) reach their parser too.
const APP_ID: &str = "263902037430900";

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let webhook = MessengerWebhook::new(MessengerConfig {
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: Some(APP_ID.into()),
    });
    let content_type = content_type(flags, "application/json");

    // Unsigned, signed under another secret, and with the input itself as the header.
    assert_unauthorized(&post(&webhook, &[], content_type, body));
    let wrong = meta_signature("another-secret", body);
    assert_unauthorized(&post(
        &webhook,
        &[(HEADER, wrong.as_bytes())],
        content_type,
        body,
    ));
    assert_refused(&post(&webhook, &[(HEADER, body)], content_type, body));

    // Signed as Meta signs: the parser gets the bytes.
    let signature = meta_signature(APP_SECRET, body);
    assert_authorized(&post(
        &webhook,
        &[(HEADER, signature.as_bytes())],
        content_type,
        body,
    ));

    check_subscription(&webhook, &String::from_utf8_lossy(body));
});
