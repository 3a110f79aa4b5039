//! What one webhook costs the ingress function in CPU, per channel, without the network.
//!
//! A webhook's answer time is what the platforms watch, and a flash crowd arrives at ingress
//! first, so its in-process work must stay small next to the one SQS call it makes. For a
//! typical one-message webhook of each channel (a customer typing a short question), three
//! figures:
//!
//! - `<channel>/handler`: what [`ingress::handle`] computes, minus the `SendMessageBatch` call:
//!   the public URL the platform signed, the adapter's [`Webhook::receive`] (signature check on
//!   the raw bytes, then parsing into [`InboundMessage`]s), and the queue batch that
//!   `SqsQueues::enqueue_inbound` builds before it calls SQS: per message the route, the JSON
//!   body, the group id (hashed conversation) and the deduplication id (a SHA-256), as SDK
//!   `SendMessageBatchRequestEntry` values. **Goal: median under 20 µs.**
//! - `<channel>/event+handler`: the same, starting one step earlier from the API Gateway
//!   (HTTP API, payload 2.0) event JSON that the Lambda runtime hands `lambda_http`, which
//!   decodes it into a request. This is everything a warm invocation computes but the log line
//!   and the response JSON.
//! - `<channel>/signature`: the raw cost of the platform's authentication alone, as the adapter
//!   does it: HMAC-SHA256 of the body (WhatsApp, Messenger: hex; LINE: Base64), a constant-time
//!   compare of the secret token (Telegram), SHA-1 over the sorted token, timestamp and nonce
//!   (WeChat), HMAC-SHA1 over the URL and the sorted form parameters (SMS, Twilio), HMAC-SHA256 of the body in hex (Viber).
//!
//! The payloads are built and signed the way the local stack's simulated customers do it
//! (`xtask/src/platform/*.rs`, one file per platform), with the development secrets; each
//! one is checked to verify and yield exactly one message before it is measured, so a bench
//! can never time a fast rejection.
//!
//! ```sh
//! cargo bench -p ingress --bench webhooks                  # release settings (fat LTO), as deployed
//! cargo bench -p ingress --bench webhooks --profile ci     # CI's profile: quicker to build
//! cargo bench -p ingress --bench webhooks -- whatsapp/     # one channel
//! ```
//!
//! Criterion prints a confidence interval of the mean; the goal is on the median, which it writes
//! to `$CARGO_TARGET_DIR/criterion/<channel>/<bench>/new/estimates.json` (nanoseconds):
//!
//! ```sh
//! cd "$CARGO_TARGET_DIR/criterion" && for c in whatsapp telegram messenger line wechat sms viber; do
//!   for b in handler event+handler signature; do
//!     jq -r --arg n "$c/$b" '"\($n)\t\(.median.point_estimate / 1000) µs"' "$c/$b/new/estimates.json"
//!   done; done
//! ```
//!
//! The batch is rebuilt here from `chatdrop_queue`'s public pieces (`route`, `dedup_id`,
//! `ConversationId::hashed`) because `SqsQueues` builds its entries inside `enqueue_inbound`,
//! next to the client; [`batch_entries`] repeats that code step for step and must follow it.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_channels::line::{LineConfig, LineWebhook};
use chatdrop_channels::messenger::{MessengerConfig, MessengerWebhook};
use chatdrop_channels::signature::{constant_time_eq, hmac_sha256, verify_hmac_sha256_hex};
use chatdrop_channels::sms::{SmsConfig, SmsWebhook};
use chatdrop_channels::telegram::{TelegramConfig, TelegramWebhook};
use chatdrop_channels::viber::{ViberConfig, ViberWebhook};
use chatdrop_channels::wechat::{WechatConfig, WechatWebhook};
use chatdrop_channels::whatsapp::{WhatsappConfig, WhatsappWebhook};
use chatdrop_channels::{Webhook, WebhookOutcome, WebhookRequest};
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::inbound::InboundMessage;
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;

// The local stack's development secrets and ids (`xtask/src/dev.rs`).
const WHATSAPP_APP_SECRET: &str = "dev-whatsapp-app-secret";
const WHATSAPP_VERIFY_TOKEN: &str = "dev-verify-token";
const WHATSAPP_PHONE_NUMBER_ID: &str = "106000000000002";
const TELEGRAM_SECRET_TOKEN: &str = "dev-telegram-secret";
const MESSENGER_APP_SECRET: &str = "dev-messenger-app-secret";
const MESSENGER_VERIFY_TOKEN: &str = "dev-messenger-verify-token";
const MESSENGER_PAGE_ID: &str = "102030405060708";
const LINE_CHANNEL_SECRET: &str = "dev-line-channel-secret";
const LINE_BOT_USER_ID: &str = "U0123456789abcdef0123456789abcdef";
const WECHAT_TOKEN: &str = "devwechattoken";
const WECHAT_ACCOUNT_ID: &str = "gh_chatdrop_dev";
const TWILIO_AUTH_TOKEN: &str = "dev-twilio-auth-token";
const VIBER_AUTH_TOKEN: &str = chatdrop_config::dev::VIBER_AUTH_TOKEN_VALUE;
const TWILIO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const SMS_FROM: &str = "+15550002222";

/// The deployment's public base URL: Twilio signs the full URL it called.
const PUBLIC_BASE_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com";
/// What the customer types: a short question, the common case in a drop.
const TEXT: &str = "hi! is the blue mug still available in large?";

/// The six adapters, configured as `Ingress::new` configures them.
struct Adapters {
    whatsapp: WhatsappWebhook,
    telegram: TelegramWebhook,
    messenger: MessengerWebhook,
    line: LineWebhook,
    wechat: WechatWebhook,
    sms: SmsWebhook,
    viber: ViberWebhook,
}

impl Adapters {
    fn dev() -> Self {
        Adapters {
            whatsapp: WhatsappWebhook {
                config: WhatsappConfig {
                    app_secret: WHATSAPP_APP_SECRET.into(),
                    verify_token: WHATSAPP_VERIFY_TOKEN.into(),
                },
            },
            telegram: TelegramWebhook {
                config: TelegramConfig {
                    secret_token: TELEGRAM_SECRET_TOKEN.into(),
                },
            },
            messenger: MessengerWebhook {
                config: MessengerConfig {
                    app_secret: MESSENGER_APP_SECRET.into(),
                    verify_token: MESSENGER_VERIFY_TOKEN.into(),
                    app_id: None,
                },
            },
            line: LineWebhook {
                config: LineConfig {
                    channel_secret: LINE_CHANNEL_SECRET.into(),
                },
            },
            wechat: WechatWebhook {
                config: WechatConfig {
                    token: WECHAT_TOKEN.into(),
                },
            },
            sms: SmsWebhook {
                config: SmsConfig {
                    auth_token: TWILIO_AUTH_TOKEN.into(),
                },
            },
            viber: ViberWebhook {
                config: ViberConfig {
                    auth_token: VIBER_AUTH_TOKEN.into(),
                    sender_name: "chatdrop".into(),
                },
            },
        }
    }

    fn webhook(&self, channel: Channel) -> &dyn Webhook {
        match channel {
            Channel::Whatsapp => &self.whatsapp,
            Channel::Telegram => &self.telegram,
            Channel::Messenger => &self.messenger,
            Channel::Line => &self.line,
            Channel::Wechat => &self.wechat,
            Channel::Sms => &self.sms,
            Channel::Viber => &self.viber,
            Channel::Kakao => unreachable!("{}", NOT_INGRESS),
        }
    }
}

/// A webhook as the platform posts it.
struct Signed {
    channel: Channel,
    /// Path and query, as API Gateway passes them (`rawPath`, `rawQueryString`).
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Signed {
    fn new(
        channel: Channel,
        query: Option<String>,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Self {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).expect("static header names"),
                    HeaderValue::from_str(value).expect("ASCII header values"),
                )
            })
            .collect();
        Signed {
            channel,
            path: format!("/webhooks/{}", channel.as_str()),
            query,
            headers,
            body,
        }
    }

    /// The HTTP API (payload 2.0) event Lambda hands the function for this request.
    fn apigw_event(&self) -> String {
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    json!(v.to_str().unwrap_or_default()),
                )
            })
            .chain([(
                "host".to_string(),
                json!("abc123.execute-api.us-east-1.amazonaws.com"),
            )])
            .collect();
        json!({
            "version": "2.0",
            "routeKey": "POST /webhooks/{channel}",
            "rawPath": self.path,
            "rawQueryString": self.query.clone().unwrap_or_default(),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": "POST",
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "198.51.100.7",
                    "userAgent": "platform"
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "POST /webhooks/{channel}",
                "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000",
                "timeEpoch": 1767225600000i64
            },
            "pathParameters": { "channel": self.channel.as_str() },
            "isBase64Encoded": false,
            "body": String::from_utf8(self.body.clone()).expect("every sample body is text"),
        })
        .to_string()
    }
}

fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), body))
    )
}

/// `application/x-www-form-urlencoded`, as Twilio writes it (`xtask/src/platform/sms.rs`).
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

/// A customer typing [`TEXT`] on `channel`, built and signed as the local stack's simulated
/// customer on that platform does it.
fn typical_webhook(channel: Channel) -> Signed {
    let id: u64 = 1_764_000_000_123;
    let now = SystemClock.now();
    let json_body = |value: serde_json::Value| serde_json::to_vec(&value).expect("JSON values");
    match channel {
        Channel::Kakao => unreachable!("{}", NOT_INGRESS),
        Channel::Whatsapp => {
            let body = json_body(json!({"object": "whatsapp_business_account", "entry": [{
                "id": "104000000000001", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550001111", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID},
                    "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511987654321"}],
                    "messages": [{
                        "from": "5511987654321", "id": format!("wamid.SIM{id}"),
                        "timestamp": now.to_string(), "type": "text", "text": {"body": TEXT}
                    }]
                }}]
            }]}));
            let signature = hmac_sha256_hex(WHATSAPP_APP_SECRET, &body);
            Signed::new(
                channel,
                None,
                &[
                    ("content-type", "application/json".into()),
                    ("x-hub-signature-256", signature),
                ],
                body,
            )
        }
        Channel::Telegram => {
            let body = json_body(json!({"update_id": id % 1_000_000_000, "message": {
                "message_id": id % 1_000_000,
                "from": {"id": 700000001, "is_bot": false, "first_name": "Ken", "language_code": "en"},
                "chat": {"id": 700000001, "type": "private", "first_name": "Ken"},
                "date": now, "text": TEXT
            }}));
            Signed::new(
                channel,
                None,
                &[
                    ("content-type", "application/json".into()),
                    (
                        "x-telegram-bot-api-secret-token",
                        TELEGRAM_SECRET_TOKEN.into(),
                    ),
                ],
                body,
            )
        }
        Channel::Messenger => {
            let ms = now * 1000;
            let body = json_body(json!({"object": "page", "entry": [{
                "id": MESSENGER_PAGE_ID, "time": ms, "messaging": [{
                    "sender": {"id": "6789012345678901"},
                    "recipient": {"id": MESSENGER_PAGE_ID},
                    "timestamp": ms,
                    "message": {"mid": format!("m_SIM{id}"), "text": TEXT}
                }]
            }]}));
            let signature = hmac_sha256_hex(MESSENGER_APP_SECRET, &body);
            Signed::new(
                channel,
                None,
                &[
                    ("content-type", "application/json".into()),
                    ("x-hub-signature-256", signature),
                ],
                body,
            )
        }
        Channel::Line => {
            let millis = now * 1000;
            let user = "U4af4980629a0b1c2d3e4f5a6b7c8d9e0";
            let body = json_body(json!({"destination": LINE_BOT_USER_ID, "events": [{
                "type": "message",
                "mode": "active",
                "timestamp": millis,
                "webhookEventId": format!("01JSM{id:021}"),
                "deliveryContext": {"isRedelivery": false},
                "source": {"type": "user", "userId": user},
                "replyToken": format!("{id:x}.{now}.{user}"),
                "message": {"id": id.to_string(), "type": "text", "quoteToken": format!("q{id}"), "text": TEXT}
            }]}));
            let signature = BASE64.encode(hmac_sha256(LINE_CHANNEL_SECRET.as_bytes(), &body));
            Signed::new(
                channel,
                None,
                &[
                    ("content-type", "application/json; charset=utf-8".into()),
                    ("x-line-signature", signature),
                ],
                body,
            )
        }
        Channel::Wechat => {
            let openid = "oABC123def456GHI789jkl012mno";
            let timestamp = now.to_string();
            let nonce = format!("{}", 100_000_000 + id % 900_000_000);
            let signature = chatdrop_channels::wechat::signature(WECHAT_TOKEN, &timestamp, &nonce);
            let cdata = |t: &str| format!("<![CDATA[{t}]]>");
            let body = format!(
                "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
                 <CreateTime>{timestamp}</CreateTime><MsgType>{}</MsgType>\
                 <Content>{}</Content><MsgId>{id}</MsgId></xml>",
                cdata(WECHAT_ACCOUNT_ID),
                cdata(openid),
                cdata("text"),
                cdata(TEXT),
            );
            Signed::new(
                channel,
                Some(format!(
                    "signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={openid}"
                )),
                &[("content-type", "text/xml".into())],
                body.into_bytes(),
            )
        }
        Channel::Sms => {
            let sid = format!("SM{id:032x}");
            let params: Vec<(String, String)> = [
                ("ToCountry", "US"),
                ("SmsMessageSid", &sid),
                ("NumMedia", "0"),
                ("SmsSid", &sid),
                ("SmsStatus", "received"),
                ("Body", TEXT),
                ("To", SMS_FROM),
                ("NumSegments", "1"),
                ("MessageSid", &sid),
                ("AccountSid", TWILIO_ACCOUNT_SID),
                ("From", "+15551234567"),
                ("ApiVersion", "2010-04-01"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let url = format!("{PUBLIC_BASE_URL}/webhooks/sms");
            let signature =
                chatdrop_channels::sms::compute_signature(TWILIO_AUTH_TOKEN, &url, &params);
            let body = params
                .iter()
                .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            Signed::new(
                channel,
                None,
                &[
                    (
                        "content-type",
                        "application/x-www-form-urlencoded; charset=UTF-8".into(),
                    ),
                    ("x-twilio-signature", signature),
                ],
                body.into_bytes(),
            )
        }
        Channel::Viber => {
            let body = json_body(json!({
                "event": "message", "timestamp": now * 1000, "chat_hostname": "SN-376_",
                "message_token": id, "silent": false,
                "sender": {"id": "01234567890A=", "name": "Jane", "language": "en", "country": "GB", "api_version": 10},
                "message": {"type": "text", "text": TEXT}
            }));
            let signature = hmac_sha256_hex(VIBER_AUTH_TOKEN, &body);
            Signed::new(
                channel,
                None,
                &[
                    ("content-type", "application/json".into()),
                    ("x-viber-content-signature", signature),
                ],
                body,
            )
        }
    }
}

/// The queue batch ingress would send (`chatdrop_queue::batch_entries`, the same code).
fn batch_entries(messages: &[InboundMessage]) -> Vec<(Handler, Vec<SendMessageBatchRequestEntry>)> {
    chatdrop_queue::batch_entries(messages).expect("messages encode")
}

/// `ingress::handle` from the decoded request to the batch it would send: the signed URL,
/// verification and parsing, and the queue entries.
fn handler_compute(
    webhook: &dyn Webhook,
    method: &Method,
    headers: &HeaderMap,
    name: &str,
    query: Option<&str>,
    body: &[u8],
) -> Vec<(Handler, Vec<SendMessageBatchRequestEntry>)> {
    let url = match query {
        Some(q) => format!("{PUBLIC_BASE_URL}/webhooks/{name}?{q}"),
        None => format!("{PUBLIC_BASE_URL}/webhooks/{name}"),
    };
    let request = WebhookRequest {
        method,
        headers,
        query,
        url: &url,
        body,
    };
    match webhook.receive(&request) {
        Ok(WebhookOutcome::Messages(messages)) => batch_entries(&messages),
        other => panic!("a typical webhook must yield messages, not {other:?}"),
    }
}

/// The same, from the API Gateway event's JSON: what `lambda_http` decodes before the handler.
fn event_and_handler_compute(
    adapters: &Adapters,
    event: &str,
) -> Vec<(Handler, Vec<SendMessageBatchRequestEntry>)> {
    let request = lambda_http::request::from_str(event).expect("a valid HTTP API event");
    let path = request.uri().path();
    let name = path.rsplit('/').next().unwrap_or_default();
    let channel = Channel::parse(name).expect("a known channel");
    handler_compute(
        adapters.webhook(channel),
        request.method(),
        request.headers(),
        name,
        request.uri().query(),
        request.body().as_ref(),
    )
}

/// The platform's authentication alone, done as the adapter does it.
fn signature_only(signed: &Signed) -> bool {
    let header = |name: &str| {
        signed
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    match signed.channel {
        Channel::Kakao => unreachable!("{}", NOT_INGRESS),
        Channel::Whatsapp | Channel::Messenger => {
            let secret = if signed.channel == Channel::Whatsapp {
                WHATSAPP_APP_SECRET
            } else {
                MESSENGER_APP_SECRET
            };
            let presented = header("x-hub-signature-256");
            let presented = presented.strip_prefix("sha256=").unwrap_or(presented);
            verify_hmac_sha256_hex(secret.as_bytes(), &signed.body, presented).is_ok()
        }
        Channel::Telegram => constant_time_eq(
            TELEGRAM_SECRET_TOKEN.as_bytes(),
            header("x-telegram-bot-api-secret-token").as_bytes(),
        ),
        Channel::Line => {
            let presented = BASE64
                .decode(header("x-line-signature"))
                .unwrap_or_default();
            let expected = hmac_sha256(LINE_CHANNEL_SECRET.as_bytes(), &signed.body);
            constant_time_eq(&expected, &presented)
        }
        Channel::Wechat => {
            let query = signed.query.as_deref().unwrap_or_default();
            let field = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                    .unwrap_or_default()
            };
            let presented = hex::decode(field("signature")).unwrap_or_default();
            let expected = hex::decode(chatdrop_channels::wechat::signature(
                WECHAT_TOKEN,
                field("timestamp"),
                field("nonce"),
            ))
            .unwrap_or_default();
            constant_time_eq(&expected, &presented)
        }
        Channel::Viber => verify_hmac_sha256_hex(
            VIBER_AUTH_TOKEN.as_bytes(),
            &signed.body,
            header("x-viber-content-signature"),
        )
        .is_ok(),
        Channel::Sms => {
            // The form is decoded before the signature is checked; that part is parsing.
            let params = sms_params(&signed.body);
            let url = format!("{PUBLIC_BASE_URL}/webhooks/sms");
            let presented = BASE64
                .decode(header("x-twilio-signature"))
                .unwrap_or_default();
            let expected = BASE64
                .decode(chatdrop_channels::sms::compute_signature(
                    TWILIO_AUTH_TOKEN,
                    &url,
                    &params,
                ))
                .unwrap_or_default();
            constant_time_eq(&expected, &presented)
        }
    }
}

/// The SMS form's parameters, decoded once outside the timed signature check.
fn sms_params(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(Ok(b)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8(out).expect("UTF-8 form")
    };
    std::str::from_utf8(body)
        .expect("UTF-8 form")
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// KakaoTalk waits for its answer in the response: the `kakao` function serves it (its own
/// bench is `kakaoload`), so ingress's bench never builds a Kakao call.
const NOT_INGRESS: &str = "KakaoTalk is served by the kakao function";

fn webhooks(c: &mut Criterion) {
    let adapters = Adapters::dev();
    // KakaoTalk's skill calls are answered by the `kakao` function, not ingress.
    for channel in Channel::ALL.into_iter().filter(|c| *c != Channel::Kakao) {
        // Built per channel, just before it is measured: WeChat refuses a timestamp older than
        // five minutes.
        let signed = typical_webhook(channel);
        let webhook = adapters.webhook(channel);
        let name = channel.as_str();
        let event = signed.apigw_event();
        let run = || {
            handler_compute(
                webhook,
                &Method::POST,
                &signed.headers,
                name,
                signed.query.as_deref(),
                &signed.body,
            )
        };
        let batches = run();
        assert_eq!(batches.len(), 1, "{name}: one batch");
        assert_eq!(batches[0].1.len(), 1, "{name}: one entry");
        assert_eq!(
            event_and_handler_compute(&adapters, &event),
            batches,
            "{name}: the event decodes to the same request"
        );
        assert!(signature_only(&signed), "{name}: the signature verifies");

        let mut group = c.benchmark_group(name);
        group.measurement_time(Duration::from_secs(3));
        group.warm_up_time(Duration::from_secs(1));
        group.bench_function("handler", |b| b.iter(|| black_box(run())));
        group.bench_function("event+handler", |b| {
            b.iter(|| black_box(event_and_handler_compute(&adapters, black_box(&event))))
        });
        group.bench_function("signature", |b| {
            b.iter(|| black_box(signature_only(black_box(&signed))))
        });
        group.finish();
    }
}

criterion_group!(benches, webhooks);
criterion_main!(benches);
