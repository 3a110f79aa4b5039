//! AlimTalk through NAVER Cloud SENS: the dealer behind the domain's
//! [`AlimtalkSender`] port (what is sent and when is `chatdrop_domain::alimtalk`).
//!
//! **The call** (<https://api.ncloud-docs.com/docs/en/sens-alimtalk-send>):
//! `POST {base}/alimtalk/v2/services/{serviceId}/messages` with
//! `{"plusFriendId", "templateCode", "messages": [{"countryCode", "to", "content"}]}` (up to 100
//! messages a call; chatdrop sends one: each notice is its own delivery). SENS answers 202
//! with a `requestId` and, per message, a `messageId` and a `requestStatusCode` (`A000`:
//! accepted). Delivery itself is asynchronous: SENS then hands the message to Kakao, which
//! compares the content with the approved template.
//!
//! **Authentication** is NAVER Cloud's API Gateway signature
//! (<https://api.ncloud-docs.com/docs/en/common-ncpapi>; headers in
//! <https://api.ncloud-docs.com/docs/en/sens-overview>): three headers,
//! `x-ncp-apigw-timestamp` (Unix milliseconds; the gateway refuses a clock 5 minutes off),
//! `x-ncp-iam-access-key`, and `x-ncp-apigw-signature-v2`, the Base64 HMAC-SHA256, under the
//! secret key, of `"{METHOD} {path and query}\n{timestamp}\n{access key}"` ([`signature`]).
//! The path is the request's own, without the host: the base URL (a gateway, or the local
//! fake under `/sens`) only says where to send it, so the signed path is the API's path.
//!
//! **Failures**, by status: 429 is a rate limit; 401 and 403 (a wrong key or signature, a
//! clock that drifted, a project without AlimTalk) are the deployment's fault, not the
//! message's, so they are transient: retried until notify's budget dead-letters the bundle,
//! which alarms, and a redrive sends it once the keys are fixed; any other 4xx (a template code
//! SENS does not know, a malformed number) is permanent; 5xx and no answer are transient. A 202
//! whose message is not `A000` is refused for that message: permanent, with SENS's reason.

use crate::http_send::{self, error_detail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chatdrop_domain::alimtalk::{AlimtalkMessage, AlimtalkSender};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::delivery::{SendFailure, Sent};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;

pub const TIMESTAMP_HEADER: &str = "x-ncp-apigw-timestamp";
pub const ACCESS_KEY_HEADER: &str = "x-ncp-iam-access-key";
pub const SIGNATURE_HEADER: &str = "x-ncp-apigw-signature-v2";

/// SENS's code for a message it accepted.
pub const ACCEPTED: &str = "A000";

/// No `Debug`: it holds the secret key.
#[derive(Clone)]
pub struct SensConfig {
    /// `https://sens.apigw.ntruss.com`, or the local fake.
    pub api_base: String,
    pub access_key: String,
    pub secret_key: String,
    /// The SENS project's Biz Message service id (`ncp:kkobizmsg:kr:…`).
    pub service_id: String,
    /// The Kakao Talk Channel's id, `@…`.
    pub plus_friend_id: String,
}

/// `x-ncp-apigw-signature-v2` for a `method` call of `path` (with its query, if any) at
/// `timestamp` (Unix milliseconds, as sent in its header).
pub fn signature(
    secret_key: &str,
    method: &str,
    path: &str,
    timestamp: &str,
    access_key: &str,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("any key length");
    mac.update(format!("{method} {path}\n{timestamp}\n{access_key}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The path of the send call for `service_id`.
pub fn messages_path(service_id: &str) -> String {
    format!("/alimtalk/v2/services/{service_id}/messages")
}

/// The SENS AlimTalk API.
pub struct SensAlimtalk {
    client: reqwest::Client,
    config: SensConfig,
}

impl SensAlimtalk {
    pub fn new(client: reqwest::Client, config: SensConfig) -> Self {
        SensAlimtalk { client, config }
    }

    /// The send, signed at `timestamp_ms` (a test fixes it; [`AlimtalkSender::send`] uses now).
    pub async fn send_at(
        &self,
        conversation: &ConversationId,
        message: &AlimtalkMessage,
        timestamp_ms: i64,
    ) -> Result<Sent, SendFailure> {
        let path = messages_path(&self.config.service_id);
        let timestamp = timestamp_ms.to_string();
        let body = json!({
            "plusFriendId": self.config.plus_friend_id,
            "templateCode": message.template_code,
            "messages": [{
                "countryCode": message.country_code,
                "to": message.to,
                "content": message.content,
            }],
        });
        let request = self
            .client
            .post(format!("{}{path}", self.config.api_base))
            .header("content-type", "application/json; charset=utf-8")
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(ACCESS_KEY_HEADER, &self.config.access_key)
            .header(
                SIGNATURE_HEADER,
                signature(
                    &self.config.secret_key,
                    "POST",
                    &path,
                    &timestamp,
                    &self.config.access_key,
                ),
            )
            .body(body.to_string());
        let answer = http_send::call(request, conversation, "SENS AlimTalk send", classify).await?;
        accepted(&answer)
    }
}

impl AlimtalkSender for SensAlimtalk {
    async fn send(
        &self,
        conversation: &ConversationId,
        message: &AlimtalkMessage,
    ) -> Result<Sent, SendFailure> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        self.send_at(conversation, message, now).await
    }
}

/// A 2xx answer: the message's id if SENS accepted it, else its refusal.
fn accepted(answer: &Value) -> Result<Sent, SendFailure> {
    let message = &answer["messages"][0];
    let code = message["requestStatusCode"].as_str().unwrap_or_default();
    if code != ACCEPTED {
        let said = message["requestStatusDesc"]
            .as_str()
            .or_else(|| message["requestStatusName"].as_str())
            .unwrap_or_default();
        return Err(SendFailure::Permanent {
            code: None,
            detail: format!("SENS refused the message ({code}): {said}"),
        });
    }
    let id = message["messageId"]
        .as_str()
        .or_else(|| answer["requestId"].as_str())
        .unwrap_or_default();
    Ok(Sent::ids(
        [id.to_string()].into_iter().filter(|i| !i.is_empty()),
    ))
}

/// A SENS error answer by its status; see the module docs. SENS's error body is
/// `{"error": {"errorCode", "message", "details"}}` (the NAVER Cloud API gateway's) or
/// `{"status", "error", "message"}` (the service's own).
pub(crate) fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let said = parsed["error"]["message"]
        .as_str()
        .or_else(|| parsed["message"].as_str())
        .unwrap_or_default();
    let detail = error_detail(status, said, body);
    let code = Some(i64::from(status));
    match status {
        429 => SendFailure::RateLimited {
            code,
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        401 | 403 => SendFailure::Transient { code, detail },
        400..=499 => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

#[cfg(test)]
#[path = "alimtalk_tests.rs"]
mod tests;
