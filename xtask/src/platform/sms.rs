//! The SMS (Twilio) side of the local stack: a customer whose texts arrive signed as Twilio
//! signs them, and a fake Messages API that records what chatdrop sends.
//!
//! **The customer.** Twilio posts a form and signs the *URL it called* plus every parameter
//! (`X-Twilio-Signature`, see `chatdrop_channels::sms`), so the simulated customer must know
//! the public URL the ingress reconstructs: the stack's own base URL, which the customer posts
//! to, followed by `/webhooks/sms`. The form carries the fields Twilio sends for an incoming
//! SMS (`MessageSid`, `From`, `To`, `Body`, `NumMedia`, `NumSegments`, …). SMS has no buttons:
//! a customer picks a choice by typing its number, so [`tap_webhook`] is `None`; `STOP`, `START`
//! and `HELP` are just texts.
//!
//! **The API.** `POST /twilio/2010-04-01/Accounts/{AccountSid}/Messages.json` (the stack points
//! `CHATDROP_TWILIO_API_BASE` at `/twilio`), as Twilio answers it:
//!
//! - HTTP Basic auth must be the dev account SID and auth token, or 401 with Twilio's error
//!   20003 ("Authenticate"); a path naming another account is 20404;
//! - what a test injected for `sms` is answered next (a delay, a fault, a storm's 20429: see
//!   [`crate::fakes`]);
//! - the form is checked as Twilio checks it: `To` (21604, 21211 when not E.164), `From` or
//!   `MessagingServiceSid` (21603; a `From` that is not the account's number is 21606), `Body`
//!   (21602, at most 1600 characters: 21617);
//! - the message is recorded under its `To` (method `Messages`) and answered 201 with Twilio's
//!   message resource: an `SM…` sid, `status` `queued` (`accepted` through a Messaging
//!   Service) and the segment count Twilio would bill.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry};
use crate::platform::numbered_titles;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chatdrop_channels::sms::{compute_signature, segments};
use chatdrop_domain::channel_spec::vars;
use serde_json::{Map, Value, json};

/// The webhook path the ingress serves SMS on.
const WEBHOOK_PATH: &str = "/webhooks/sms";
/// Twilio's `Body` limit, in characters.
const BODY_LIMIT_CHARS: usize = 1600;
/// The method outbox entries of sent messages carry.
const METHOD: &str = "Messages";

// ---------------------------------------------------------------------------------------------
// Forms
// ---------------------------------------------------------------------------------------------

/// `application/x-www-form-urlencoded` encoding of one name or value, as Twilio writes it:
/// unreserved characters stay, a space is `+`, every other byte is `%XX`.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes one form component: `+` is a space, `%XX` a byte (a `%` without two hex digits stays
/// literal); invalid UTF-8 is replaced, as a web framework would.
fn form_decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let hex = |i: usize| {
        bytes
            .get(i)
            .and_then(|&b| (b as char).to_digit(16))
            .map(|d| d as u8)
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The customer
// ---------------------------------------------------------------------------------------------

/// The public base URL the ingress signs against: the stack's base URL, which the customer
/// posts to.
fn public_base_url(customer: &Customer) -> String {
    customer.base_url().to_string()
}

/// An incoming SMS from `customer`, posted to `{public_base_url}/webhooks/sms` and signed as
/// Twilio signs it.
pub fn signed_text_webhook(
    public_base_url: &str,
    customer: &Customer,
    id: u64,
    text: &str,
) -> Webhook {
    let sid = format!("SM{id:032x}");
    let params: Vec<(String, String)> = [
        ("ToCountry", "US"),
        ("SmsMessageSid", &sid),
        ("NumMedia", "0"),
        ("SmsSid", &sid),
        ("SmsStatus", "received"),
        ("Body", text),
        ("To", dev::SMS_FROM),
        ("NumSegments", &segments(text).1.max(1).to_string()),
        ("MessageSid", &sid),
        ("AccountSid", dev::TWILIO_ACCOUNT_SID),
        ("From", &customer.id),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let url = format!("{}{WEBHOOK_PATH}", public_base_url.trim_end_matches('/'));
    let token = &dev::secrets()[vars::TWILIO_AUTH_TOKEN];
    Webhook {
        path: WEBHOOK_PATH.to_string(),
        headers: vec![
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8".into(),
            ),
            (
                "x-twilio-signature",
                compute_signature(token, &url, &params),
            ),
        ],
        body: form(&params).into_bytes(),
    }
}

/// The customer typing `text`; `id` makes the message's `MessageSid`.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    signed_text_webhook(&public_base_url(customer), customer, id, text)
}

/// SMS has no buttons: a choice is picked by typing its number.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    let _ = (customer, id, payload, title);
    None
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

/// One recorded request as the text the customer's phone shows.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    (entry.method == METHOD).then(|| shown_text(entry))
}

/// The text of a sent message.
pub fn shown_text(entry: &OutboxEntry) -> String {
    entry.body["Body"].as_str().unwrap_or_default().to_string()
}

/// The numbered lines of the last choice list in a message (`1. Title - description`; ` — `
/// in text that is UCS-2 anyway): every choice is typed by its number.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    numbered_titles(&shown_text(entry), &[" - ", " — "])
        .into_iter()
        .map(|title| (title, None))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The fake API
// ---------------------------------------------------------------------------------------------

/// Routes of the fake API, merged into the fakes server (paths under `/twilio/`).
pub fn routes() -> Router<Fakes> {
    Router::new()
        .route(
            "/twilio/2010-04-01/Accounts/{account}/Messages.json",
            post(create_message),
        )
        .route(
            "/twilio-verify/v2/Services/{service}/Verifications",
            post(start_verification),
        )
        .route(
            "/twilio-verify/v2/Services/{service}/VerificationCheck",
            post(check_verification),
        )
}

/// The Verify service's SID on the local stack.
pub const VERIFY_SERVICE_SID: &str = "VA0123456789abcdef0123456789abcdef";

/// The fake Verify service's checks before either call: credentials and the service.
fn verify_refused(headers: &HeaderMap, service: &str) -> Option<Response> {
    let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
    if presented.is_none() || presented.map(String::from) != expected_authorization() {
        return Some(twilio_error(
            StatusCode::UNAUTHORIZED,
            20003,
            "Authenticate",
        ));
    }
    (service != VERIFY_SERVICE_SID).then(|| {
        twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )
    })
}

/// Start a verification (Twilio Verify v2): texts a 6-digit code to `To`, the same code again
/// within its 10 minutes (at most 5 sends), under the domain's `Verification` rules. The text
/// is recorded as an SMS to the phone, where a test reads it as the customer would.
async fn start_verification(
    State(fakes): State<Fakes>,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    use chatdrop_domain::phone_verify::{OneTimeCode, Verification};
    if let Some(refused) = verify_refused(&headers, &service) {
        return refused;
    }
    let params = parse_form(&body);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(to) = param("To").filter(|to| is_e164(to)) else {
        return twilio_error(StatusCode::BAD_REQUEST, 60200, "Invalid parameter: To");
    };
    if param("Channel").as_deref() != Some("sms") {
        return twilio_error(StatusCode::BAD_REQUEST, 60200, "Invalid parameter: Channel");
    }
    let now = now_secs();
    let code = fakes.verifications(|pending| {
        if let Some(v) = pending.get_mut(&to).filter(|v| !v.expired(now)) {
            return v.resend().map(|c| c.expose().to_string());
        }
        // Not a secret worth a CSPRNG: the fake's codes only have to differ.
        let digits = format!("{:06}", (now_millis_nanos() ^ 0x5DEE_CE66) % 1_000_000);
        let code = OneTimeCode::parse(&digits).expect("six digits");
        pending.insert(to.clone(), Verification::new(code, now));
        Ok(digits)
    });
    let Ok(code) = code else {
        return twilio_error(
            StatusCode::TOO_MANY_REQUESTS,
            60203,
            "Max send attempts reached",
        );
    };
    fakes.record(
        "sms",
        to.clone(),
        "verify",
        json!({ "Body": format!("Your verification code is: {code}") }),
    );
    (
        StatusCode::CREATED,
        Json(json!({ "sid": format!("VE{:032x}", now), "to": to, "channel": "sms", "status": "pending", "valid": false })),
    )
        .into_response()
}

/// Check a code: `approved` (the verification ends) or `pending`; 429 60202 after 5 checks;
/// 404 20404 with nothing pending (expired, approved, never started).
async fn check_verification(
    State(fakes): State<Fakes>,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    use chatdrop_domain::phone_verify::{CheckOutcome, OneTimeCode, VerifyError};
    if let Some(refused) = verify_refused(&headers, &service) {
        return refused;
    }
    let params = parse_form(&body);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(to), Some(code)) = (
        param("To"),
        param("Code").and_then(|c| OneTimeCode::parse(&c)),
    ) else {
        return twilio_error(StatusCode::BAD_REQUEST, 60200, "Invalid parameter");
    };
    let now = now_secs();
    let outcome = fakes.verifications(|pending| {
        let result = match pending.get_mut(&to) {
            Some(v) => v.check(&code, now),
            None => Err(VerifyError::NoPending),
        };
        if matches!(
            result,
            Ok(CheckOutcome::Approved) | Err(VerifyError::NoPending)
        ) {
            pending.remove(&to);
        }
        result
    });
    let status = match outcome {
        Ok(CheckOutcome::Approved) => "approved",
        Ok(CheckOutcome::Wrong) => "pending",
        Err(VerifyError::TooManyChecks) => {
            return twilio_error(
                StatusCode::TOO_MANY_REQUESTS,
                60202,
                "Max check attempts reached",
            );
        }
        Err(_) => {
            return twilio_error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            );
        }
    };
    Json(json!({ "to": to, "channel": "sms", "status": status, "valid": status == "approved" }))
        .into_response()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now_millis_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs())
}

/// Twilio's error body: `{code, message, more_info, status}`.
fn twilio_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            "www-authenticate",
            axum::http::HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
    }
    response
}

/// Twilio's answer past the account's concurrency or rate: 429, error 20429.
fn rate_limited(_retry_after: u64) -> Response {
    twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
}

/// The `Authorization` header a client with the dev account's credentials sends.
fn expected_authorization() -> Option<String> {
    let token = &dev::secrets()[vars::TWILIO_AUTH_TOKEN];
    let request = crate::local_http::client()
        .post("http://twilio.invalid/")
        .basic_auth(dev::TWILIO_ACCOUNT_SID, Some(token))
        .build()
        .ok()?;
    let value = request.headers().get("authorization")?.to_str().ok()?;
    Some(value.to_string())
}

/// E.164: `+`, a non-zero digit, at most 15 digits in all.
fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

async fn create_message(
    State(fakes): State<Fakes>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
    if presented.is_none() || presented.map(String::from) != expected_authorization() {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if account != dev::TWILIO_ACCOUNT_SID {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            &format!(
                "The requested resource /2010-04-01/Accounts/{account}/Messages.json was not found"
            ),
        );
    }
    if let Some(answer) = fakes.injected("sms", rate_limited).await {
        return answer;
    }
    let params = parse_form(&body);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(to) = param("To") else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    if !is_e164(to) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("Invalid 'To' Phone Number: {to}"),
        );
    }
    let service = param("MessagingServiceSid");
    let from = param("From");
    match (from, service) {
        (None, None) => {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21603,
                "A 'From' phone number is required.",
            );
        }
        (Some(f), None) if f != dev::SMS_FROM => {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21606,
                &format!(
                    "The From phone number {f} is not a valid, SMS-capable inbound phone number or short code for your account."
                ),
            );
        }
        _ => {}
    }
    let Some(text) = param("Body") else {
        return twilio_error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    };
    if text.chars().count() > BODY_LIMIT_CHARS {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    let recorded: Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let seq = fakes.record("sms", to.to_string(), METHOD, Value::Object(recorded));
    let sid = format!("SM{seq:032x}");
    let uri = format!("/2010-04-01/Accounts/{account}/Messages/{sid}");
    let resource = json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": text,
        "date_sent": null,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": if service.is_some() { Value::Null } else { json!(from) },
        "messaging_service_sid": service,
        "num_media": "0",
        "num_segments": segments(text).1.to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": if service.is_some() { "accepted" } else { "queued" },
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": to,
        "uri": format!("{uri}.json"),
    });
    (StatusCode::CREATED, Json(resource)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Platform;
    use crate::platform::harness::{self, failure, receive_at, session};
    use chatdrop_channels::sms::{SmsConfig, SmsSendConfig, SmsSender, SmsWebhook};
    use chatdrop_channels::{Outbound as _, WebhookError, WebhookOutcome};
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::inbound::{InboundContent, InboundMessage};
    use chatdrop_domain::reply::{Choice, Reply, ReplyBundle};
    use std::time::Duration;

    const ANA: &str = "+15551234567";
    const BASE: &str = "http://127.0.0.1:4567";

    fn customer() -> Customer {
        Customer::on(Platform::Sms, BASE, ANA, "Ana")
    }

    /// The ingress function's SMS webhook, with the dev auth token.
    fn adapter() -> SmsWebhook {
        SmsWebhook {
            config: SmsConfig {
                auth_token: dev::secrets()[vars::TWILIO_AUTH_TOKEN].clone(),
            },
        }
    }

    fn one(webhook: &Webhook) -> InboundMessage {
        match receive_at(&adapter(), BASE, webhook) {
            Ok(WebhookOutcome::Messages(mut m)) if m.len() == 1 => m.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_adapter_accepts_the_signed_text_webhook() {
        let text = "1 + 1 = 2 & 100% ありがとう";
        let webhook = signed_text_webhook(BASE, &customer(), 42, text);
        assert_eq!(webhook.path, "/webhooks/sms");
        let m = one(&webhook);
        assert_eq!(m.conversation, ConversationId::new(Channel::Sms, ANA));
        assert_eq!(m.event_id, format!("SM{:032x}", 42));
        assert_eq!(m.content, InboundContent::Text { body: text.into() });
    }

    #[test]
    fn keywords_are_just_texts_the_adapter_reads() {
        let stop = signed_text_webhook(BASE, &customer(), 43, " Stop ");
        assert_eq!(one(&stop).content, InboundContent::OptOut);
        let start = signed_text_webhook(BASE, &customer(), 44, "START");
        assert_eq!(one(&start).content, InboundContent::OptIn);
    }

    #[test]
    fn a_tampered_body_or_another_url_is_refused() {
        let webhook = signed_text_webhook(BASE, &customer(), 45, "one");
        let mut tampered = webhook.clone();
        tampered.body = String::from_utf8(webhook.body.clone())
            .unwrap()
            .replace("Body=one", "Body=two")
            .into_bytes();
        assert_eq!(
            receive_at(&adapter(), BASE, &tampered),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
        assert_eq!(
            receive_at(&adapter(), "http://127.0.0.1:4568", &webhook),
            Err(WebhookError::Unauthorized("signature mismatch"))
        );
    }

    #[test]
    fn sms_has_no_taps() {
        assert!(tap_webhook(&customer(), 1, "c:p:tee", "Tee").is_none());
    }

    #[test]
    fn forms_round_trip() {
        let params: Vec<(String, String)> = [("Body", "a+b & c=d %ZZ ありがとう 😀"), ("To", ANA)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let encoded = form(&params);
        assert!(encoded.contains("To=%2B15551234567"), "{encoded}");
        assert_eq!(parse_form(encoded.as_bytes()), params);
        assert_eq!(form_decode("100%+sure%2"), "100% sure%2");
    }

    #[test]
    fn choices_are_the_numbered_lines_of_the_last_list() {
        let entry = OutboxEntry {
            seq: 1,
            at_ms: 0,
            channel: "sms".into(),
            recipient: ANA.into(),
            method: METHOD.into(),
            body: json!({"To": ANA, "From": dev::SMS_FROM, "Body": "Sizes:\n1. Small - $12.00\n2. Medium\nReply with a number."}),
        };
        assert_eq!(
            choices(&entry),
            vec![("Small".to_string(), None), ("Medium".to_string(), None)]
        );
        assert_eq!(
            render(&entry).as_deref(),
            Some("Sizes:\n1. Small - $12.00\n2. Medium\nReply with a number.")
        );
        let ja = OutboxEntry {
            body: json!({"Body": "サイズ\n1. S — ¥1200\n2. M\n番号で返信してください。"}),
            ..entry
        };
        assert_eq!(
            choices(&ja),
            vec![("S".to_string(), None), ("M".to_string(), None)]
        );
    }

    // --- the fake API, through the real sender ---------------------------------------------

    fn sender(fakes_url: &str, auth_token: &str, from: &str) -> SmsSender {
        SmsSender {
            client: chatdrop_channels::http_client(Duration::from_secs(5)),
            config: SmsSendConfig {
                api_base: format!("{fakes_url}/twilio"),
                account_sid: dev::TWILIO_ACCOUNT_SID.into(),
                auth_token: auth_token.into(),
                from: from.into(),
            },
        }
    }

    fn dev_token() -> String {
        dev::secrets()[vars::TWILIO_AUTH_TOKEN].clone()
    }

    fn bundle(replies: Vec<Reply>) -> ReplyBundle {
        harness::bundle(Channel::Sms, ANA, "b1", replies)
    }

    fn menu() -> Reply {
        Reply::Choices {
            body: "Pick a size:".into(),
            menu_label: "Sizes".into(),
            choices: ["Small", "Medium"]
                .iter()
                .map(|t| Choice {
                    id: format!("c:s:{t}"),
                    title: t.to_string(),
                    description: None,
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn the_fake_records_what_the_sender_sends_and_answers_with_a_sid() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![menu()]);
        let sent = sender(&url, &dev_token(), dev::SMS_FROM)
            .send(&session(&b))
            .await
            .expect("sent");
        assert_eq!(sent.message_ids, vec![format!("SM{:032x}", 1)]);
        let entries = harness::outbox(&url).await;
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(
            (e.channel.as_str(), e.recipient.as_str(), e.method.as_str()),
            ("sms", ANA, "Messages")
        );
        assert_eq!(e.body["From"], json!(dev::SMS_FROM));
        assert_eq!(
            shown_text(e),
            "Pick a size:\n1. Small\n2. Medium\nReply with a number."
        );
        assert_eq!(
            choices(e),
            vec![("Small".to_string(), None), ("Medium".to_string(), None)]
        );
    }

    #[tokio::test]
    async fn a_messaging_service_is_accepted() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        sender(&url, &dev_token(), "MG0123456789abcdef0123456789abcdef")
            .send(&session(&b))
            .await
            .expect("sent");
        assert_eq!(
            harness::outbox(&url).await[0].body["MessagingServiceSid"],
            json!("MG0123456789abcdef0123456789abcdef")
        );
    }

    #[tokio::test]
    async fn a_wrong_auth_token_is_twilios_20003_and_kept_for_a_redrive() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&url, "wrong-token", dev::SMS_FROM)
            .send(&session(&b))
            .await;
        assert_eq!(failure(&f), ("transient", Some(20003)));
        assert!(harness::outbox(&url).await.is_empty());
    }

    #[tokio::test]
    async fn an_injected_fault_is_answered_once() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let fault = json!([{"channel": "sms", "status": 429, "retry_after": 2,
            "body": {"code": 20429, "message": "Too Many Requests", "status": 429}}]);
        harness::queue_faults(&url, fault).await;
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let s = sender(&url, &dev_token(), dev::SMS_FROM);
        assert_eq!(
            s.send(&session(&b)).await,
            Err(SendFailure::RateLimited {
                code: Some(20429),
                retry_after: Duration::from_secs(2)
            })
        );
        assert!(s.send(&session(&b)).await.is_ok());
        assert_eq!(harness::outbox(&url).await.len(), 1);
    }

    #[tokio::test]
    async fn a_storm_is_twilios_20429() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        harness::storm(&url, "sms", 7).await;
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&url, &dev_token(), dev::SMS_FROM)
            .send(&session(&b))
            .await;
        assert_eq!(failure(&f), ("rate limited", Some(20429)));
        assert!(harness::outbox(&url).await.is_empty());
    }

    #[tokio::test]
    async fn the_fake_checks_the_form_as_twilio_does() {
        let (url, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let post = |params: Vec<(&'static str, String)>| {
            let url = url.clone();
            async move {
                let params: Vec<(String, String)> = params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                let response = crate::local_http::client()
                    .post(format!(
                        "{url}/twilio/2010-04-01/Accounts/{}/Messages.json",
                        dev::TWILIO_ACCOUNT_SID
                    ))
                    .basic_auth(dev::TWILIO_ACCOUNT_SID, Some(dev_token()))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&params))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body["code"].as_i64())
            }
        };
        let from = || ("From", dev::SMS_FROM.to_string());
        let to = || ("To", ANA.to_string());
        let body = || ("Body", "hi".to_string());
        assert_eq!(post(vec![from(), body()]).await, (400, Some(21604)));
        assert_eq!(
            post(vec![("To", "5551234567".into()), from(), body()]).await,
            (400, Some(21211))
        );
        assert_eq!(post(vec![to(), body()]).await, (400, Some(21603)));
        assert_eq!(
            post(vec![to(), ("From", "+15559999999".into()), body()]).await,
            (400, Some(21606))
        );
        assert_eq!(post(vec![to(), from()]).await, (400, Some(21602)));
        assert_eq!(
            post(vec![to(), from(), ("Body", "x".repeat(1601))]).await,
            (400, Some(21617))
        );
        assert_eq!(post(vec![to(), from(), body()]).await, (201, None));
        assert_eq!(harness::outbox(&url).await.len(), 1);
    }
}
