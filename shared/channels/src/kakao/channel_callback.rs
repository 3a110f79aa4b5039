//! The Kakao Talk Channel add/block callback: a customer added or blocked the retailer's
//! channel, which is the customer's consent to hear from it on KakaoTalk.
//!
//! Kakao `POST`s one small JSON object per change to the URL set in the Kakao Developers
//! console ("카카오톡 채널 추가/차단 콜백") and wants a 2xx within 3 seconds; it follows no
//! redirect (<https://developers.kakao.com/docs/latest/en/kakaotalk-channel/callback>):
//!
//! ```text
//! Authorization: KakaoAK ${SERVICE_APP_ADMIN_KEY}
//! X-Kakao-Resource-ID: Rvy1c2dkzBAZ5hGD3rqYbxvr      (unique per callback)
//! User-Agent: KakaoOpenAPI/1.0
//!
//! {"event":"blocked","id":"1234567890","id_type":"app_user_id",
//!  "channel_public_id":"_ZeUTxl","channel_uuid":"@chatdrop","updated_at":"2026-12-04T08:41:00Z"}
//! ```
//!
//! **Authentication** is the app's admin key in the `Authorization` header, compared in constant
//! time before the body is read; nothing else proves the caller is Kakao.
//!
//! **Who.** The callback names the customer by their Kakao Login app user id (`id_type:
//! app_user_id`), never by the chatbot's `botUserKey`. A skill request carries the same app user
//! id in `userRequest.user.properties.appUserId` when the bot is linked to that app, so the
//! `kakao` function stores that link as the customer chats ([`super::SkillCall::app_user_id`])
//! and looks the chat up here. `open_id` is the id of a user who did not agree to share their
//! channel status: it matches nothing we hold, so such a callback is acknowledged and ignored.

use super::KakaoConfig;
use crate::signature;
use crate::{WebhookError, WebhookRequest};
use chatdrop_telemetry::redact;
use serde::Deserialize;

/// The largest callback read: the object above is about 200 bytes.
pub const MAX_CALLBACK_BYTES: usize = 4 * 1024;

/// The header naming one callback: a redelivery carries the same value.
pub const RESOURCE_ID_HEADER: &str = "x-kakao-resource-id";

/// What the customer did to the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRelation {
    Added,
    Blocked,
}

/// One authenticated callback, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCallback {
    pub relation: ChannelRelation,
    /// The Kakao Login app user id, or `None` for an `open_id` (nothing to match it with).
    pub app_user_id: Option<String>,
    /// When the change happened (Unix seconds); the receipt time when Kakao's is unreadable.
    pub at: i64,
    /// What makes a redelivery the same event: the resource id, else the change itself.
    pub event_id: String,
}

#[derive(Deserialize)]
struct Body {
    event: String,
    id: String,
    id_type: String,
    #[serde(default)]
    updated_at: Option<String>,
}

/// Authenticates and reads one channel callback received at `now` (Unix seconds).
pub fn parse_channel_callback(
    config: &KakaoConfig,
    request: &WebhookRequest<'_>,
    now: i64,
) -> Result<ChannelCallback, WebhookError> {
    if *request.method != http::Method::POST {
        return Err(WebhookError::MethodNotAllowed);
    }
    verify_admin_key(config, request.headers)?;
    if request.body.len() > MAX_CALLBACK_BYTES {
        return Err(WebhookError::BadRequest(
            "body over the callback cap".into(),
        ));
    }
    let body: Body = serde_json::from_slice(request.body)
        .map_err(|e| WebhookError::BadRequest(redact::json_error(&e)))?;
    let relation = match body.event.as_str() {
        "added" => ChannelRelation::Added,
        "blocked" => ChannelRelation::Blocked,
        _ => return Err(WebhookError::BadRequest("unknown channel event".into())),
    };
    let id = body.id.trim();
    if id.is_empty() {
        return Err(WebhookError::BadRequest("no user id".into()));
    }
    let app_user_id = match body.id_type.as_str() {
        "app_user_id" => Some(id.to_string()),
        "open_id" => None,
        _ => return Err(WebhookError::BadRequest("unknown id type".into())),
    };
    let at = body
        .updated_at
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(now, |t| t.as_second());
    let event_id = match request
        .headers
        .get(RESOURCE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200)
    {
        Some(resource) => format!("kakao-channel:{resource}"),
        None => format!("kakao-channel:{}:{id}:{at}", body.event),
    };
    Ok(ChannelCallback {
        relation,
        app_user_id,
        at,
        event_id,
    })
}

/// `Authorization: KakaoAK <admin key>`, in constant time; an unset key refuses everything.
fn verify_admin_key(config: &KakaoConfig, headers: &http::HeaderMap) -> Result<(), WebhookError> {
    if config.admin_key.is_empty() {
        return Err(WebhookError::Unauthorized("admin key not configured"));
    }
    let presented = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("KakaoAK "))
        .ok_or(WebhookError::Unauthorized("missing admin key"))?;
    if signature::constant_time_eq(presented.trim().as_bytes(), config.admin_key.as_bytes()) {
        Ok(())
    } else {
        Err(WebhookError::Unauthorized("wrong admin key"))
    }
}

#[cfg(test)]
#[path = "channel_callback_tests.rs"]
mod tests;
