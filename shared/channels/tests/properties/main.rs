//! Property tests for every webhook: what holds for *all* inputs, not only for the examples in
//! each adapter's unit tests (issue 7, "Bad input, beyond unit cases").
//!
//! Three properties per platform, each checked on a few hundred generated requests:
//!
//! 1. **Garbage is refused, never a panic.** Arbitrary bytes as the body and arbitrary header,
//!    query and URL values: `receive` returns, and since nothing was signed the answer is an
//!    error, and never `Malformed` — that verdict comes from the parser, and the parser must not
//!    run on a request nobody authenticated.
//! 2. **A genuine signature always verifies.** The test signs the way the platform does, from
//!    the published scheme rather than the adapter's own helpers (a test that borrowed them
//!    would agree with any bug in them), over any body: the outcome may be messages or a
//!    complaint about the body, never `Unauthorized`. A well-formed text message signed so
//!    comes back as exactly that text, whatever the text.
//! 3. **Any single change is caught.** One byte of a signed body, of the signature, or of the
//!    signed URL and parameters (Twilio) or query (WeChat) changed: `Unauthorized`. Telegram
//!    signs nothing and echoes a secret instead, so any other header value is refused.
//!
//! WeChat's plaintext mode signs the query, not the body, so a body changed under a valid query
//! is accepted: property 2 shows it over arbitrary bodies, a reminder of the gap the `wechat`
//! module docs describe.
//!
//! One file per property (`garbage.rs`, `genuine.rs`, `changes.rs`) and one for KakaoTalk,
//! whose webhook signs nothing (`kakao.rs`); the signing schemes and the generated inputs they
//! share are `signing.rs` and `strategies.rs`, the webhooks and request helpers this file.
//!
//! Case counts stay at 256 so the file runs in seconds in a debug build; the coverage-guided
//! fuzzers in `fuzz/` (see its README) go much deeper into the parsers.

mod changes;
mod garbage;
mod genuine;
mod kakao;
mod signing;
mod strategies;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_channels::line::{LineConfig, LineWebhook};
use chatdrop_channels::messenger::{MessengerConfig, MessengerWebhook};
use chatdrop_channels::sms::{SmsConfig, SmsWebhook};
use chatdrop_channels::telegram::{TelegramConfig, TelegramWebhook};
use chatdrop_channels::viber::{ViberConfig, ViberWebhook};
use chatdrop_channels::wechat::{WechatConfig, WechatWebhook};
use chatdrop_channels::whatsapp::{WhatsappConfig, WhatsappWebhook};
use chatdrop_channels::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::InboundContent;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::sample::Index;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

const CASES: u32 = 256;

// The secrets each webhook is configured with. Long enough that a generated value never hits
// one by chance, which property 1 relies on.
const APP_SECRET: &str = "meta-app-secret-for-properties";
const VERIFY_TOKEN: &str = "meta-verify-token-for-properties";
const TELEGRAM_SECRET: &str = "telegram-secret-token-for-properties";
const LINE_SECRET: &str = "line-channel-secret-for-properties";
const WECHAT_TOKEN: &str = "wechat-token-for-properties";
const TWILIO_TOKEN: &str = "twilio-auth-token-for-properties";
const VIBER_TOKEN: &str = "viber-auth-token-for-properties";

const URL: &str = "https://shop.example.com/webhooks/test";
const JSON: &[u8] = b"application/json";
const XML: &[u8] = b"text/xml";
const FORM: &[u8] = b"application/x-www-form-urlencoded";

fn whatsapp() -> WhatsappWebhook {
    WhatsappWebhook::new(WhatsappConfig {
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
    })
}

fn telegram() -> TelegramWebhook {
    TelegramWebhook::new(TelegramConfig {
        secret_token: TELEGRAM_SECRET.into(),
    })
}

fn messenger() -> MessengerWebhook {
    MessengerWebhook::new(MessengerConfig {
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        app_id: None,
    })
}

fn line() -> LineWebhook {
    LineWebhook::new(LineConfig {
        channel_secret: LINE_SECRET.into(),
    })
}

fn viber() -> ViberWebhook {
    ViberWebhook::new(ViberConfig {
        auth_token: VIBER_TOKEN.into(),
        sender_name: "shop".into(),
    })
}

fn wechat() -> WechatWebhook {
    WechatWebhook::new(WechatConfig {
        token: WECHAT_TOKEN.into(),
    })
}

fn sms() -> SmsWebhook {
    SmsWebhook::new(SmsConfig {
        auth_token: TWILIO_TOKEN.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// A header map from raw name/value pairs. A value HTTP cannot carry (a control byte) is left
/// out, as a server would never hand it on.
fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
    }
    map
}

fn receive(
    webhook: &dyn Webhook,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    url: &str,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    webhook.receive(&WebhookRequest {
        method,
        headers,
        query,
        url,
        body,
    })
}

fn post(
    webhook: &dyn Webhook,
    pairs: &[(&str, &[u8])],
    query: Option<&str>,
    url: &str,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    receive(webhook, &Method::POST, &headers(pairs), query, url, body)
}

fn is_unauthorized(result: &Result<WebhookOutcome, WebhookError>) -> bool {
    matches!(result, Err(WebhookError::Unauthorized(_)))
}

/// The single message a signed text event must come back as.
fn only_message(
    result: Result<WebhookOutcome, WebhookError>,
) -> chatdrop_domain::inbound::InboundMessage {
    match result {
        Ok(WebhookOutcome::Messages(mut messages)) if messages.len() == 1 => messages.remove(0),
        other => panic!("expected exactly one message, got {other:?}"),
    }
}
