//! Telegram Bot API webhook: the `X-Telegram-Bot-Api-Secret-Token` header (Telegram signs
//! nothing, it echoes the secret registered with `setWebhook`), then the `Update` JSON.
//!
//! Input: one flags byte (the content type sent), then the body.

#![no_main]

use chatdrop_channels::telegram::{TelegramConfig, TelegramWebhook};
use chatdrop_fuzz::*;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "x-telegram-bot-api-secret-token";

fuzz_target!(|data: &[u8]| {
    let Some((flags, _, body)) = split(data, 0) else {
        return;
    };
    let webhook = TelegramWebhook::new(TelegramConfig {
        secret_token: TELEGRAM_SECRET.into(),
    });
    let content_type = content_type(flags, "application/json");

    // No secret, the input as the secret, and a near miss.
    assert_unauthorized(&post(&webhook, &[], content_type, body));
    if body != TELEGRAM_SECRET.as_bytes() {
        assert_unauthorized(&post(&webhook, &[(HEADER, body)], content_type, body));
    }
    let near_miss = format!("{TELEGRAM_SECRET}x");
    assert_unauthorized(&post(
        &webhook,
        &[(HEADER, near_miss.as_bytes())],
        content_type,
        body,
    ));

    // The right secret: the parser gets the bytes.
    let secret = TELEGRAM_SECRET.as_bytes();
    assert_authorized(&post(&webhook, &[(HEADER, secret)], content_type, body));
});
