//! Twilio SMS webhook: the form body decoded, `X-Twilio-Signature` (Base64 HMAC-SHA1 over the
//! URL and the sorted parameters) checked against the URL and its default-port twin, then the
//! message or status callback read.
//!
//! Input: one flags byte (the content type sent), the URL line (the public URL Twilio called),
//! then the form body.

#![no_main]

use chatdrop_channels::WebhookError;
use chatdrop_channels::sms::{SmsConfig, SmsWebhook};
use chatdrop_fuzz::*;
use http::Method;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "x-twilio-signature";
const FORM: &str = "application/x-www-form-urlencoded";

fuzz_target!(|data: &[u8]| {
    let Some((flags, lines, body)) = split(data, 1) else {
        return;
    };
    let webhook = SmsWebhook::new(SmsConfig {
        auth_token: TWILIO_TOKEN.into(),
    });
    let url = String::from_utf8_lossy(lines[0]);
    let content_type = content_type(flags, FORM);
    let send = |signature: Option<&[u8]>| {
        let mut pairs: Vec<(&str, &[u8])> = Vec::new();
        if let Some(s) = signature {
            pairs.push((HEADER, s));
        }
        if let Some(t) = content_type {
            pairs.push(("content-type", t.as_bytes()));
        }
        receive(&webhook, Method::POST, &headers(&pairs), None, &url, body)
    };
    // Twilio signs what the form decodes to. (Lossy decoding stands in for a body that is not
    // UTF-8, which the adapter refuses as a bad request whatever the signature.)
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();

    // Unsigned, signed with another token, and with the URL line as the header.
    assert_refused(&send(None));
    let wrong = twilio_signature("another-token", &url, &params);
    assert_refused(&send(Some(wrong.as_bytes())));
    assert_refused(&send(Some(lines[0])));

    // Signed as Twilio signs: the parser gets the parameters.
    let signature = twilio_signature(TWILIO_TOKEN, &url, &params);
    let result = send(Some(signature.as_bytes()));
    assert_authorized(&result);
    if content_type == Some(FORM) && !matches!(result, Err(WebhookError::BadRequest(_))) {
        assert!(result.is_ok(), "{result:?}");
    }
});
