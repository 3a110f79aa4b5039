//! What the fuzz targets share: building requests, the verdicts each must reach, and the
//! platforms' signing schemes.
//!
//! Every target runs each input twice over. **Unsigned** (or signed wrongly), the request must be
//! refused before the parser runs: an error, and never `Malformed`, the parser's own verdict.
//! **Signed correctly**, computed here from the platform's published scheme, the request must
//! never be `Unauthorized`, so the fuzzer's bytes reach the parser, which is where the crashes
//! live. The signers are written out from the platforms' documentation rather than borrowed
//! from the adapters, so a bug in an adapter's signing is not copied into the harness that is
//! meant to catch it.
//!
//! Inputs are plain bytes so a seed is an ordinary payload file: a first byte of flags, then for
//! the targets that need more than a body, a few newline-terminated lines (see [`split`]), then
//! the body.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_channels::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use sha1::{Digest, Sha1};

/// The secrets the webhooks under test are configured with.
pub const APP_SECRET: &str = "meta-app-secret-for-fuzzing";
pub const VERIFY_TOKEN: &str = "meta-verify-token-for-fuzzing";
pub const TELEGRAM_SECRET: &str = "telegram-secret-for-fuzzing";
pub const LINE_SECRET: &str = "line-channel-secret-for-fuzzing";
pub const WECHAT_TOKEN: &str = "wechat-token-for-fuzzing";
pub const TWILIO_TOKEN: &str = "twilio-auth-token-for-fuzzing";
pub const VIBER_TOKEN: &str = "viber-auth-token-for-fuzzing";
pub const KAKAO_SECRET: &str = "kakao-skill-secret-for-fuzzing";
/// The bot id the Kakao seeds carry, so the fuzzer starts past the bot check.
pub const KAKAO_BOT: &str = "5f0c0de0a1b2c3d4e5f60718";
pub const STRIPE_SECRET: &str = "whsec_fuzzing";

pub const URL: &str = "https://shop.example.com/webhooks/fuzz";

pub type Outcome = Result<WebhookOutcome, WebhookError>;

/// Splits an input into its flags byte, `lines` newline-terminated lines and the rest (the
/// body). `None` when the input is too short to hold them.
pub fn split(data: &[u8], lines: usize) -> Option<(u8, Vec<&[u8]>, &[u8])> {
    let (&flags, mut rest) = data.split_first()?;
    let mut out = Vec::with_capacity(lines);
    for _ in 0..lines {
        let end = rest.iter().position(|&b| b == b'\n')?;
        out.push(&rest[..end]);
        rest = &rest[end + 1..];
    }
    Some((flags, out, rest))
}

/// The `Content-Type` a flags byte picks: mostly the right one, sometimes another or none, so
/// the media-type checks run too.
pub fn content_type(flags: u8, right: &'static str) -> Option<&'static str> {
    match flags % 8 {
        0 => None,
        1 => Some("text/plain"),
        2 => Some("application/json; charset=UTF-8"),
        3 => Some("application/xml"),
        _ => Some(right),
    }
}

/// A header map from raw pairs. A value HTTP cannot carry (a control byte) is left out, as no
/// server would hand it on.
pub fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
    }
    map
}

pub fn receive(
    webhook: &dyn Webhook,
    method: Method,
    headers: &HeaderMap,
    query: Option<&str>,
    url: &str,
    body: &[u8],
) -> Outcome {
    webhook.receive(&WebhookRequest {
        method: &method,
        headers,
        query,
        url,
        body,
    })
}

/// A POST with these headers (and a content type, if any) to [`URL`].
pub fn post(
    webhook: &dyn Webhook,
    pairs: &[(&str, &[u8])],
    content_type: Option<&str>,
    body: &[u8],
) -> Outcome {
    let mut pairs = pairs.to_vec();
    if let Some(t) = content_type {
        pairs.push(("content-type", t.as_bytes()));
    }
    receive(webhook, Method::POST, &headers(&pairs), None, URL, body)
}

/// The clock the Kakao parsers are given (they take the time as an argument).
pub const KAKAO_NOW: i64 = 1_790_000_000;

/// The Kakao configuration of both Kakao targets: the skill secret and bot id above, and
/// `admin_key` for the channel callback.
pub fn kakao_config(admin_key: &str) -> chatdrop_channels::kakao::KakaoConfig {
    chatdrop_channels::kakao::KakaoConfig {
        skill_secret: KAKAO_SECRET.into(),
        bot_id: KAKAO_BOT.into(),
        admin_key: admin_key.into(),
    }
}

/// Hands `parse` a POST to [`URL`] with header `name` set to `value` (none when `None`), the
/// content type if any, and `body`: for parsers that take the request itself rather than a
/// [`Webhook`] (KakaoTalk's skill and channel callback).
pub fn with_post<T>(
    name: &str,
    value: Option<&[u8]>,
    content_type: Option<&str>,
    body: &[u8],
    parse: impl FnOnce(&WebhookRequest<'_>) -> T,
) -> T {
    let mut pairs: Vec<(&str, &[u8])> = Vec::new();
    if let Some(v) = value {
        pairs.push((name, v));
    }
    if let Some(t) = content_type {
        pairs.push(("content-type", t.as_bytes()));
    }
    let headers = headers(&pairs);
    parse(&WebhookRequest {
        method: &Method::POST,
        headers: &headers,
        query: None,
        url: URL,
        body,
    })
}

/// An unsigned or wrongly signed request: refused, and before the parser.
#[track_caller]
pub fn assert_refused(result: &Outcome) {
    assert!(
        matches!(result, Err(e) if !matches!(e, WebhookError::Malformed(_))),
        "an unauthenticated request got past verification: {result:?}"
    );
}

/// A request whose only fault is its signature: exactly `Unauthorized`.
#[track_caller]
pub fn assert_unauthorized(result: &Outcome) {
    assert!(
        matches!(result, Err(WebhookError::Unauthorized(_))),
        "a wrongly signed request was not refused as unauthorized: {result:?}"
    );
}

/// A correctly signed request: anything but `Unauthorized`.
#[track_caller]
pub fn assert_authorized(result: &Outcome) {
    assert!(
        !matches!(result, Err(WebhookError::Unauthorized(_))),
        "a correctly signed request was refused: {result:?}"
    );
}

pub fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Meta's `X-Hub-Signature-256` (WhatsApp, Messenger): `sha256=` and the hex HMAC-SHA256 of the
/// raw body under the app secret.
pub fn meta_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret, body)))
}

/// LINE's `x-line-signature`: the Base64 HMAC-SHA256 of the raw body under the channel secret.
pub fn line_signature(secret: &str, body: &[u8]) -> String {
    BASE64.encode(hmac_sha256(secret, body))
}

/// Viber's `X-Viber-Content-Signature`: the lowercase hex HMAC-SHA256 of the raw body under the
/// bot's auth token.
pub fn viber_signature(token: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(token, body))
}

/// WeChat's `signature`: the hex SHA-1 of the token, timestamp and nonce, sorted and
/// concatenated.
pub fn wechat_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// Twilio's `X-Twilio-Signature`: Base64 HMAC-SHA1, under the auth token, of the URL followed by
/// every POST parameter as name+value, sorted by name, then value.
pub fn twilio_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Stripe's `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`.
pub fn stripe_signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={t},v1={}", hex::encode(hmac_sha256(secret, &signed)))
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The first value of `name` in a query, as the webhooks read one.
pub fn first_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Meta's GET subscription check with `query`: a challenge is echoed only to a caller who
/// presented the verify token.
pub fn check_subscription(webhook: &dyn Webhook, query: &str) {
    let result = receive(
        webhook,
        Method::GET,
        &HeaderMap::new(),
        Some(query),
        URL,
        b"",
    );
    if let Ok(WebhookOutcome::Challenge(challenge)) = &result {
        assert_eq!(
            first_param(query, "hub.verify_token").as_deref(),
            Some(VERIFY_TOKEN)
        );
        assert_eq!(
            first_param(query, "hub.challenge").as_ref(),
            Some(challenge)
        );
    } else {
        assert!(
            matches!(result, Err(WebhookError::Forbidden(_))),
            "{result:?}"
        );
    }
}
