//! What WhatsApp's Cloud API and the Messenger Platform share: both are Meta's Graph API.
//!
//! **Webhooks.** A subscription check is a GET with `hub.mode=subscribe`, our verify token and
//! a challenge to echo; every event is a POST signed with `X-Hub-Signature-256: sha256=<hex
//! HMAC-SHA256 of the raw body under the app secret>`. Only the SHA-256 header is accepted:
//! Meta still sends the legacy SHA-1 `X-Hub-Signature` alongside, and accepting it would let
//! the weaker hash stand in for the stronger. [`receive`] is that flow; each adapter brings
//! only the parser of its own payload, which starts from the `{"object", "entry": [...]}`
//! envelope every notification comes in ([`entries`]) and reads its timestamps leniently
//! ([`timestamp`]).
//!
//! **Sending.** Both Send APIs post to `<graph>/<version>/<node>/messages` ([`messages_url`])
//! and answer a failure with the same error object, which [`classify`] reads by code and
//! subcode through a table each adapter keeps of its platform's codes ([`ErrorCodes`]). The
//! HTTP status decides only when the code is missing or unknown: Meta answers 400 both for
//! "slow down" and for "this can never be sent", and retrying the second is as wrong as
//! dropping the first.

use crate::signature::{self, SignatureError};
use crate::{WebhookError, WebhookOutcome, WebhookRequest, truncate_chars};
use chatdrop_domain::delivery::SendFailure;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_telemetry::redact;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::time::Duration;

const SIGNATURE_HEADER: &str = "x-hub-signature-256";
const SIGNATURE_PREFIX: &str = "sha256=";

/// Answers a Meta webhook request: a GET is the subscription check, a POST is read by `parse`
/// once its signature holds, so an unauthenticated body never reaches a parser.
pub(crate) fn receive(
    request: &WebhookRequest<'_>,
    app_secret: &str,
    verify_token: &str,
    parse: impl FnOnce(&WebhookRequest<'_>) -> Result<Vec<InboundMessage>, WebhookError>,
) -> Result<WebhookOutcome, WebhookError> {
    match *request.method {
        http::Method::GET => verify_subscription(request.query, verify_token),
        http::Method::POST => {
            verify_signature(request.headers, request.body, app_secret)?;
            parse(request).map(WebhookOutcome::Messages)
        }
        _ => Err(WebhookError::MethodNotAllowed),
    }
}

/// The GET subscription check: echo the challenge only to someone who knows our token.
fn verify_subscription(
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
fn verify_signature(
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

/// Every Meta notification: which product it is about, and its entries.
#[derive(Deserialize, Default)]
#[serde(default, bound = "E: Deserialize<'de> + Default")]
struct Notification<E> {
    object: String,
    entry: Vec<E>,
}

/// The entries of a notification about `object` (`whatsapp_business_account`, `page`). A
/// notification about another product, subscribed to this URL by mistake, has nothing for us:
/// it is logged with `ignoring` as the message, and yields no entries.
pub(crate) fn entries<E: DeserializeOwned + Default>(
    body: &[u8],
    object: &str,
    ignoring: &str,
) -> Result<Vec<E>, WebhookError> {
    let notification: Notification<E> = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
    if notification.object != object {
        tracing::info!(object = %redact::kind(&notification.object), "{ignoring}");
        return Ok(Vec::new());
    }
    Ok(notification.entry)
}

/// A payload timestamp, for `#[serde(deserialize_with)]`. WhatsApp sends unix seconds as
/// strings, Messenger unix milliseconds as numbers; a missing or odd one is not worth losing
/// the event over: it becomes 0, which nothing orders on.
pub(crate) fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// The Send API endpoint of `node`: WhatsApp's business phone number id, or Messenger's `me`
/// (the Page the token belongs to).
pub(crate) fn messages_url(graph_base: &str, api_version: &str, node: &str) -> String {
    format!(
        "{}/{api_version}/{node}/messages",
        graph_base.trim_end_matches('/')
    )
}

/// One platform's Graph error codes, by what a failure with each one should lead to.
pub(crate) struct ErrorCodes {
    /// "Slow down", with the pause to take when Meta advises none.
    pub rate_limited: &'static [(i64, Duration)],
    /// (code, subcode) pairs that can never succeed as sent; `None` matches any subcode.
    pub permanent: &'static [(i64, Option<i64>)],
    /// Worth retrying.
    pub transient: &'static [i64],
    /// The pause after a 429 without a code we know (a proxy, a new limit): it still means
    /// "later", not "never".
    pub unknown_rate_limit_wait: Duration,
}

/// What a platform reads of a Graph error's `error_data`.
pub(crate) trait ErrorData: DeserializeOwned + Default {
    /// The sentence that says more than the error's message, where there is one.
    fn details(&self) -> &str;
}

/// WhatsApp's `error_data`: `details` says what exactly was wrong with the message.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Details {
    details: String,
}

impl ErrorData for Details {
    fn details(&self) -> &str {
        &self.details
    }
}

/// Reading nothing of `error_data` (Messenger): the message and subcode say what there is to
/// say, and a field left unread cannot fail the parse the code depends on.
impl ErrorData for IgnoredAny {
    fn details(&self) -> &str {
        ""
    }
}

// A bound of our own: serde's inferred one would not ask `D` for the `Default` that
// `#[serde(default)]` needs.
#[derive(Deserialize, Default)]
#[serde(default, bound = "D: ErrorData")]
struct GraphErrorBody<D> {
    error: GraphError<D>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "D: ErrorData")]
struct GraphError<D> {
    message: String,
    code: Option<i64>,
    error_subcode: Option<i64>,
    error_data: D,
}

/// Classifies a failed Graph API call by its error code and subcode, as `codes` sorts them;
/// the HTTP status decides only when the code is missing or not one of them.
pub(crate) fn classify<D: ErrorData>(
    codes: &ErrorCodes,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> SendFailure {
    let error = serde_json::from_slice::<GraphErrorBody<D>>(body)
        .map(|b| b.error)
        .unwrap_or_default();
    let code = error.code;
    let rate_limited = |wait| SendFailure::RateLimited {
        code,
        retry_after: retry_after.unwrap_or(wait),
    };
    let detail = describe(status, &error, body);
    if let Some(c) = code {
        if let Some(&(_, wait)) = codes.rate_limited.iter().find(|&&(r, _)| r == c) {
            return rate_limited(wait);
        }
        let permanent = codes
            .permanent
            .iter()
            .any(|&(p, sub)| p == c && (sub.is_none() || sub == error.error_subcode));
        if permanent {
            return SendFailure::Permanent { code, detail };
        }
        if codes.transient.contains(&c) {
            return SendFailure::Transient { code, detail };
        }
    }
    match status {
        429 => rate_limited(codes.unknown_rate_limit_wait),
        400..=499 => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

/// The failure's text for ops: the status, then Meta's message, subcode and details, or the
/// start of a body that is not a Graph error (a proxy's page, say).
fn describe<D: ErrorData>(status: u16, error: &GraphError<D>, body: &[u8]) -> String {
    let details = error.error_data.details();
    let mut detail = format!("HTTP {status}");
    if error.message.is_empty() && details.is_empty() {
        if !body.is_empty() {
            detail.push_str(": ");
            detail.push_str(&truncate_chars(&String::from_utf8_lossy(body), 200));
        }
        return detail;
    }
    if !error.message.is_empty() {
        detail.push_str(": ");
        detail.push_str(&error.message);
    }
    if let Some(sub) = error.error_subcode {
        detail.push_str(&format!(" (subcode {sub})"));
    }
    if !details.is_empty() {
        detail.push_str(": ");
        detail.push_str(details);
    }
    truncate_chars(&detail, 500)
}

/// Requests to a Meta webhook as Meta makes them, and the checks every Meta webhook must pass,
/// for the tests of both adapters.
#[cfg(test)]
pub(crate) mod test_requests {
    use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};

    /// The verify token the tests configure, so the checks below know what is right.
    pub(crate) const VERIFY_TOKEN: &str = "verify-me";

    /// `X-Hub-Signature-256` as Meta computes it: `body` under `secret`.
    pub(crate) fn signature_for(secret: &str, body: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(crate::signature::hmac_sha256(secret.as_bytes(), body))
        )
    }

    /// A request of any method; the URL plays no part in Meta's signature.
    pub(crate) fn request(
        webhook: &dyn Webhook,
        method: http::Method,
        headers: &http::HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        webhook.receive(&WebhookRequest {
            method: &method,
            url: "https://shop.example/webhooks/meta",
            headers,
            query,
            body,
        })
    }

    /// A POST with `signature` as its `X-Hub-Signature-256` and `content_type`, where given.
    pub(crate) fn post(
        webhook: &dyn Webhook,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(s) = signature {
            headers.insert(
                "x-hub-signature-256",
                http::HeaderValue::from_str(s).unwrap(),
            );
        }
        if let Some(t) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_str(t).unwrap(),
            );
        }
        request(webhook, http::Method::POST, &headers, None, body)
    }

    /// The GET subscription check with `query`.
    pub(crate) fn get(
        webhook: &dyn Webhook,
        query: Option<&str>,
    ) -> Result<WebhookOutcome, WebhookError> {
        request(
            webhook,
            http::Method::GET,
            &http::HeaderMap::new(),
            query,
            b"",
        )
    }

    /// The subscription check echoes the challenge to a caller with our token, however the
    /// query orders and encodes it.
    pub(crate) fn assert_echoes_the_challenge(webhook: &dyn Webhook) {
        assert_eq!(
            get(
                webhook,
                Some("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me")
            ),
            Ok(WebhookOutcome::Challenge("1158201444".into()))
        );
        // Percent-encoding is decoded before comparing.
        assert_eq!(
            get(
                webhook,
                Some("hub.verify_token=verify%2Dme&hub.mode=subscribe&hub.challenge=abc")
            ),
            Ok(WebhookOutcome::Challenge("abc".into()))
        );
    }

    /// Any other subscription check is forbidden.
    pub(crate) fn assert_refuses_wrong_subscriptions(webhook: &dyn Webhook) {
        for query in [
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
            "hub.mode=subscribe&hub.challenge=1",
            "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me",
            "hub.challenge=1&hub.verify_token=verify-me",
            "hub.mode=subscribe&hub.verify_token=verify-me",
            // A repeated parameter cannot override the first, checked one.
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong&hub.verify_token=verify-me",
            "",
        ] {
            assert!(
                matches!(get(webhook, Some(query)), Err(WebhookError::Forbidden(_))),
                "{query}"
            );
        }
        assert!(matches!(
            get(webhook, None),
            Err(WebhookError::Forbidden(_))
        ));
    }

    /// A signature that is not `sha256=<hex>` is refused, even the right HMAC under the legacy
    /// `sha1=` prefix or without a prefix.
    pub(crate) fn assert_refuses_malformed_signatures(
        webhook: &dyn Webhook,
        secret: &str,
        body: &[u8],
    ) {
        let hex_part = signature_for(secret, body)[7..].to_string();
        for sig in [
            format!("sha1={hex_part}"),
            hex_part.clone(),
            "sha256=not-hex".to_string(),
            "sha256=".to_string(),
        ] {
            assert!(
                matches!(
                    post(webhook, Some(&sig), Some("application/json"), body),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{sig}"
            );
        }
    }

    /// A webhook serves GET and POST only.
    pub(crate) fn assert_serves_only_get_and_post(webhook: &dyn Webhook) {
        for method in [http::Method::PUT, http::Method::DELETE, http::Method::PATCH] {
            assert_eq!(
                request(
                    webhook,
                    method.clone(),
                    &http::HeaderMap::new(),
                    None,
                    b"{}"
                ),
                Err(WebhookError::MethodNotAllowed),
                "{method}"
            );
        }
    }
}

/// What every Meta sender's classifier does with an answer that is not a Graph error it knows,
/// for the tests of both adapters.
#[cfg(test)]
pub(crate) mod test_failures {
    use crate::http_send::Classify;
    use chatdrop_domain::delivery::SendFailure;

    /// Without a code in `classify`'s table the status decides: a server error is worth
    /// retrying, any other 4xx can never succeed, and a 429 means later. `unknown` is a Graph
    /// error body with a code no table lists.
    pub(crate) fn assert_the_status_decides(classify: Classify, unknown: &[u8]) {
        assert!(matches!(
            classify(500, b"", None),
            SendFailure::Transient { code: None, .. }
        ));
        assert!(matches!(
            classify(503, unknown, None),
            SendFailure::Transient { code: Some(_), .. }
        ));
        assert!(matches!(
            classify(400, unknown, None),
            SendFailure::Permanent { code: Some(_), .. }
        ));
        assert!(matches!(
            classify(404, b"<html>not found</html>", None),
            SendFailure::Permanent { code: None, .. }
        ));
        assert!(matches!(
            classify(429, b"", None),
            SendFailure::RateLimited { code: None, .. }
        ));
    }
}
