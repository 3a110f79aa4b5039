//! NAVER Cloud SENS's AlimTalk API, played on the local stack: where notify sends a KakaoTalk
//! customer's order notices (`chatdrop_domain::alimtalk`).
//!
//! `POST /sens/alimtalk/v2/services/{serviceId}/messages` answers as SENS does
//! (<https://api.ncloud-docs.com/docs/en/sens-alimtalk-send>), checking what SENS and Kakao
//! check, in the order they would:
//!
//! - **The API gateway's signature** (<https://api.ncloud-docs.com/docs/en/common-ncpapi>):
//!   the access key is the local one, the timestamp within 5 minutes of now, and
//!   `x-ncp-apigw-signature-v2` the Base64 HMAC-SHA256 under the secret key of
//!   `"POST {path}\n{timestamp}\n{access key}"`, computed here independently of the adapter,
//!   over the API's path (without this fake's `/sens` prefix). Else 401, the gateway's error.
//! - Then what a test injected for `kakao` (a storm is HTTP 429).
//! - **The request**: the service id and `plusFriendId` are the local ones, the template code
//!   is one of the approved templates ([`crate::dev::KAKAO_ALIMTALK_TEMPLATES`]), 1 to 100
//!   messages, each with digits-only `to`, content of at most 1,000 characters that is the
//!   approved text with each `#{variable}` filled by something. Else 400. (Kakao checks the
//!   content against the template after SENS accepted the request and reports a mismatch in
//!   the delivery result; the fake refuses at once so a test sees it.)
//!
//! An accepted request is recorded (channel `kakao`, method `alimtalk`, recipient the `to`
//! number) and answered 202 with a `messageId` per message, `requestStatusCode` `A000`.

use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, now_millis};
use crate::platform::s;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chatdrop_channels::kakao::{
    ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, messages_path,
};
use chatdrop_domain::channel_spec::vars;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;

const CHANNEL: &str = "kakao";
/// The API gateway refuses a timestamp further than this from its clock.
const CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// Messages per request (sens-alimtalk-send: "Up to 100 entries allowed").
const MAX_MESSAGES: usize = 100;
/// AlimTalk's longest message, characters including spaces.
const MAX_CONTENT_CHARS: usize = 1000;

/// The gateway's signature, computed as NAVER's documentation computes it.
fn expected_signature(secret_key: &str, path: &str, timestamp: &str, access_key: &str) -> String {
    use base64::Engine;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("any key length");
    mac.update(format!("POST {path}\n{timestamp}\n{access_key}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The approved templates, code → text.
fn approved() -> BTreeMap<String, String> {
    let parsed: BTreeMap<String, Value> =
        serde_json::from_str(dev::KAKAO_ALIMTALK_TEMPLATES).expect("the dev templates are JSON");
    parsed
        .values()
        .map(|t| (s(&t["code"]).to_string(), s(&t["text"]).to_string()))
        .collect()
}

/// Whether `content` is `template` with each `#{variable}` replaced by some non-empty text.
pub fn fills(template: &str, content: &str) -> bool {
    // The approved words between the slots, in order.
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("#{") {
        literals.push(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => return template == content,
        }
    }
    literals.push(rest);
    if literals.len() == 1 {
        return template == content;
    }
    let Some(mut at) = content.strip_prefix(literals[0]).map(|_| literals[0].len()) else {
        return false;
    };
    let last = literals.len() - 1;
    for (i, literal) in literals.iter().enumerate().skip(1) {
        // Each slot takes at least one character.
        let Some(next) = content[at..].char_indices().nth(1).map(|(k, _)| at + k) else {
            return false;
        };
        if i == last {
            return content.len() >= next + literal.len() && content.ends_with(literal);
        }
        match content[next..].find(literal) {
            Some(k) => at = next + k + literal.len(),
            None => return false,
        }
    }
    false
}

fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"errorCode": code, "message": message, "details": message}});
    (status, axum::Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    let body = json!({"status": 400, "error": "Bad Request", "message": message});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

async fn send(
    State(fakes): State<Fakes>,
    Path(service_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secrets = dev::secrets();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (timestamp, access_key, signature) = (
        header(TIMESTAMP_HEADER),
        header(ACCESS_KEY_HEADER),
        header(SIGNATURE_HEADER),
    );
    let fresh = timestamp
        .parse::<u64>()
        .is_ok_and(|t| t.abs_diff(now_millis()) <= CLOCK_SKEW_MS);
    let expected = expected_signature(
        &secrets[vars::SENS_SECRET_KEY],
        &messages_path(&service_id),
        &timestamp,
        &secrets[vars::SENS_ACCESS_KEY],
    );
    if access_key != secrets[vars::SENS_ACCESS_KEY] || !fresh || signature != expected {
        return gateway_error(StatusCode::UNAUTHORIZED, "200", "Authentication Failed");
    }
    let rate_limited = |_retry_after: u64| {
        gateway_error(StatusCode::TOO_MANY_REQUESTS, "429", "Too Many Requests")
    };
    if let Some(answer) = fakes.injected(CHANNEL, rate_limited).await {
        return answer;
    }
    if service_id != secrets[vars::SENS_SERVICE_ID] {
        return gateway_error(StatusCode::FORBIDDEN, "210", "Permission Denied");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("body is not JSON");
    };
    if s(&request["plusFriendId"]) != secrets[vars::KAKAO_PLUS_FRIEND_ID] {
        return bad_request("plusFriendId is not this project's channel");
    }
    let code = s(&request["templateCode"]);
    let Some(text) = approved().remove(code) else {
        return bad_request(&format!("templateCode {code} is not an approved template"));
    };
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() || messages.len() > MAX_MESSAGES {
        return bad_request("messages: 1 to 100 entries");
    }
    for m in &messages {
        let to = s(&m["to"]);
        if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) {
            return bad_request("messages[].to: digits only");
        }
        let content = s(&m["content"]);
        if content.chars().count() > MAX_CONTENT_CHARS {
            return bad_request("messages[].content: over 1,000 characters");
        }
        if !fills(&text, content) {
            return bad_request(&format!(
                "messages[].content does not match template {code} (Kakao 3016)"
            ));
        }
    }
    let mut answered = Vec::new();
    for m in &messages {
        let seq = fakes.record(
            CHANNEL,
            s(&m["to"]).to_string(),
            "alimtalk",
            request.clone(),
        );
        answered.push(json!({
            "messageId": format!("sens-{seq:08}"),
            "countryCode": m["countryCode"],
            "to": m["to"],
            "content": m["content"],
            "requestStatusCode": "A000",
            "requestStatusName": "success",
            "requestStatusDesc": "성공",
            "useSmsFailover": false,
        }));
    }
    let answer = json!({
        "requestId": format!("RAPI-{}", now_millis()),
        "requestTime": "2026-12-04T00:00:00.000",
        "statusCode": "202",
        "statusName": "success",
        "messages": answered,
    });
    (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
}

/// SENS's AlimTalk send, under `/sens`.
pub fn routes() -> Router<Fakes> {
    Router::new().route(
        "/sens/alimtalk/v2/services/{service_id}/messages",
        post(send),
    )
}

/// What an AlimTalk request shows the customer: its one message's text.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let messages = entry.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    messages
        .iter()
        .find(|m| s(&m["to"]) == entry.recipient)
        .map(|m| s(&m["content"]).to_string())
        .unwrap_or_default()
}

/// The request as a chat line: the template's code, then the message.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    Some(format!(
        "[AlimTalk {}] {}",
        s(&entry.body["templateCode"]),
        shown_text(entry)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_channels::kakao::{SensAlimtalk, SensConfig};
    use chatdrop_domain::alimtalk::{AlimtalkMessage, AlimtalkSender, AlimtalkTemplates};
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;

    #[test]
    fn content_fills_the_template_or_does_not() {
        let t = "[shop] 주문 #{order} 결제 완료\n금액: #{amount}";
        assert!(fills(t, "[shop] 주문 A1 결제 완료\n금액: ₩1,000"));
        assert!(
            !fills(t, "[shop] 주문  결제 완료\n금액: ₩1,000"),
            "empty slot"
        );
        assert!(
            !fills(t, "[shop] 주문 A1 결제 완료!\n금액: ₩1,000"),
            "words changed"
        );
        assert!(
            !fills(t, "[shop] 주문 A1 결제 완료\n금액: "),
            "empty last slot"
        );
        assert!(fills("no slots", "no slots"));
        assert!(!fills("no slots", "no slots."));
        assert!(fills("#{order}", "A1"));
        assert!(fills("#{order} end", "A1 end"));
    }

    async fn fake() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, crate::fakes::router()).await;
        });
        url
    }

    fn sens(base: &str, secret: &str) -> SensAlimtalk {
        let secrets = dev::secrets();
        SensAlimtalk::new(
            crate::local_http::client(),
            SensConfig {
                api_base: format!("{base}/sens"),
                access_key: secrets[vars::SENS_ACCESS_KEY].clone(),
                secret_key: secret.into(),
                service_id: secrets[vars::SENS_SERVICE_ID].clone(),
                plus_friend_id: secrets[vars::KAKAO_PLUS_FRIEND_ID].clone(),
            },
        )
    }

    /// The real adapter against the fake: a filled approved template is accepted and
    /// recorded; a wrong secret, a changed word or an unknown template is refused.
    #[tokio::test]
    async fn the_adapter_and_the_fake_agree() {
        let base = fake().await;
        let who = ConversationId::new(Channel::Kakao, "u1");
        let templates = AlimtalkTemplates::parse(dev::KAKAO_ALIMTALK_TEMPLATES).unwrap();
        let paid = templates.for_kind("paid").unwrap();
        let content = paid
            .text
            .replace("#{order}", "A1B2C3D4")
            .replace("#{amount}", "₩8,150,000");
        let message = AlimtalkMessage {
            template_code: paid.code.clone(),
            country_code: "82".into(),
            to: "01012345678".into(),
            content,
        };
        let secret = dev::secrets()[vars::SENS_SECRET_KEY].clone();
        let sent = sens(&base, &secret).send(&who, &message).await.unwrap();
        assert_eq!(sent.message_ids.len(), 1);
        let outbox = crate::platform::harness::outbox(&base).await;
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].recipient, "01012345678");
        assert_eq!(shown_text(&outbox[0]), message.content);

        let forged = sens(&base, "guess").send(&who, &message).await;
        assert!(matches!(
            forged,
            Err(SendFailure::Transient {
                code: Some(401),
                ..
            })
        ));
        let mut changed = message.clone();
        changed.content = changed.content.replace("완료되었습니다", "완료!");
        let refused = sens(&base, &secret).send(&who, &changed).await;
        assert!(matches!(
            refused,
            Err(SendFailure::Permanent {
                code: Some(400),
                ..
            })
        ));
        let mut unknown = message.clone();
        unknown.template_code = "NOT_APPROVED".into();
        let refused = sens(&base, &secret).send(&who, &unknown).await;
        assert!(matches!(
            refused,
            Err(SendFailure::Permanent {
                code: Some(400),
                ..
            })
        ));
        assert_eq!(crate::platform::harness::outbox(&base).await.len(), 1);
    }
}
