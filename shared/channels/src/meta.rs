//! What WhatsApp's Cloud API and the Messenger Platform share: both are Meta webhooks.
//!
//! A subscription check is a GET with `hub.mode=subscribe`, our verify token and a challenge
//! to echo; every event is a POST signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
//! the raw body under the app secret>`. Only the SHA-256 header is accepted: Meta still sends
//! the legacy SHA-1 `X-Hub-Signature` alongside, and accepting it would let the weaker hash
//! stand in for the stronger.

use crate::signature::{self, SignatureError};
use crate::{WebhookError, WebhookOutcome};

const SIGNATURE_HEADER: &str = "x-hub-signature-256";
const SIGNATURE_PREFIX: &str = "sha256=";

/// The GET subscription check: echo the challenge only to someone who knows our token.
pub(crate) fn verify_subscription(
    query: Option<&str>,
    verify_token: &str,
) -> Result<WebhookOutcome, WebhookError> {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        // The first occurrence wins, so a repeated parameter cannot override a checked one.
        let slot = match key.as_ref() {
            "hub.mode" => &mut mode,
            "hub.verify_token" => &mut token,
            "hub.challenge" => &mut challenge,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(WebhookError::Forbidden("hub.mode is not subscribe"));
    }
    // An unset verify token must not verify an empty one: that would let anyone subscribe.
    if verify_token.is_empty() {
        return Err(WebhookError::Forbidden("verify token not configured"));
    }
    let token = token.unwrap_or_default();
    if !signature::constant_time_eq(token.as_bytes(), verify_token.as_bytes()) {
        return Err(WebhookError::Forbidden("wrong verify token"));
    }
    match challenge {
        Some(c) if !c.is_empty() => Ok(WebhookOutcome::Challenge(c)),
        _ => Err(WebhookError::Forbidden("missing hub.challenge")),
    }
}

/// Checks `X-Hub-Signature-256` over the raw body.
pub(crate) fn verify_signature(
    headers: &http::HeaderMap,
    body: &[u8],
    app_secret: &str,
) -> Result<(), WebhookError> {
    // An HMAC under an empty key is one anybody can compute.
    if app_secret.is_empty() {
        return Err(WebhookError::Unauthorized("app secret not configured"));
    }
    let header = headers
        .get(SIGNATURE_HEADER)
        .ok_or(WebhookError::Unauthorized("missing X-Hub-Signature-256"))?
        .to_str()
        .map_err(|_| WebhookError::Unauthorized("unreadable X-Hub-Signature-256"))?;
    let presented = header
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(WebhookError::Unauthorized("signature is not sha256="))?;
    signature::verify_hmac_sha256_hex(app_secret.as_bytes(), body, presented).map_err(|e| match e {
        SignatureError::Encoding => WebhookError::Unauthorized("signature is not hex"),
        SignatureError::Mismatch => WebhookError::Unauthorized("signature mismatch"),
    })
}
