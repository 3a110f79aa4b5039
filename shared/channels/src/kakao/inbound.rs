//! Inbound: the skill's secret header, the bot id, then one skill request read into one
//! message.
//!
//! **The event id.** Every other platform names its events (`wamid`, `update_id`), and the
//! domain's processed-message marker keys on that name, which is what makes a redelivery replay
//! its stored answer instead of applying the turn twice. A skill request has no such field
//! (`userRequest` carries the utterance, the block, the user and parameters, never a message
//! id or a timestamp: <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format>),
//! so the id is derived from what the call carries:
//!
//! - the `X-Request-Id` header, when Kakao sends one (reported by one integration guide, not in
//!   Kakao's own text): a retry of the call carries the same id, a new turn a new one;
//! - otherwise SHA-256 of the raw body together with the minute it arrived in. The body alone
//!   would not do: the same customer typing the same word twice sends identical bytes, and a
//!   marker keyed on the bytes would answer the second turn with the first one's stored reply
//!   forever. A retry comes within Open Builder's 5-second timeout, so the minute it arrives in
//!   is the first call's unless the two straddle a minute boundary (then the retry is a new
//!   turn: for a tap that is idempotent in the domain, such as checkout, the same answer; for
//!   "add one more", one more). Identical requests within one minute are one turn: the customer
//!   sees the same answer again, which for an identical request is the answer.

use super::{KakaoConfig, KakaoWebhook};
use crate::signature;
use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_telemetry::redact;
use serde::Deserialize;

/// The header the skill's settings ("헤더값 입력") are configured to send, holding the skill
/// secret. HTTP header names are case-insensitive; `http` stores them lowercased.
pub const SECRET_HEADER: &str = "x-chatdrop-skill-secret";

/// The request id some integrations report Kakao sending with every skill call
/// (unconfirmed in Kakao's own documentation: see the module docs for the fallback).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The largest skill request read. A skill request is a few kilobytes (an utterance is at most
/// 1,000 characters, a quick reply's `messageText` too); 32 KiB is the cap the integration
/// guides test against, and anything larger is not Open Builder speaking.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// One authenticated skill call, read.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillCall {
    pub message: InboundMessage,
    /// The block that called the skill: quick replies go back to it (`action: "block"`), so a
    /// tap reaches this skill again with its payload.
    pub block_id: Option<String>,
    /// The customer's Kakao Login app user id (`userRequest.user.properties.appUserId`), present
    /// only when the bot is linked to a Kakao Developers app: what the channel add/block
    /// callback names the customer by ([`super::parse_channel_callback`]).
    pub app_user_id: Option<String>,
}

#[derive(Deserialize)]
struct SkillRequest {
    #[serde(rename = "userRequest")]
    user_request: UserRequest,
    bot: Bot,
    #[serde(default)]
    action: Option<SkillAction>,
    #[serde(default)]
    intent: Option<Named>,
}

#[derive(Deserialize)]
struct UserRequest {
    #[serde(default)]
    utterance: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    block: Option<Named>,
    user: User,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    properties: Option<UserProperties>,
}

#[derive(Deserialize)]
struct UserProperties {
    #[serde(default, rename = "appUserId")]
    app_user_id: Option<String>,
}

#[derive(Deserialize)]
struct Bot {
    id: String,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct SkillAction {
    /// What a `block` button or quick reply carried in `extra` (null when none).
    #[serde(default, rename = "clientExtra")]
    client_extra: Option<ClientExtra>,
}

#[derive(Deserialize)]
struct ClientExtra {
    #[serde(default)]
    payload: Option<String>,
}

impl KakaoWebhook {
    pub fn new(config: KakaoConfig) -> Self {
        KakaoWebhook { config }
    }

    fn verify_secret(&self, headers: &http::HeaderMap) -> Result<(), WebhookError> {
        // An unset secret must not match a missing header's empty value.
        if self.config.skill_secret.is_empty() {
            return Err(WebhookError::Unauthorized("skill secret not configured"));
        }
        let presented = headers
            .get(SECRET_HEADER)
            .ok_or(WebhookError::Unauthorized("missing skill secret"))?;
        if signature::constant_time_eq(presented.as_bytes(), self.config.skill_secret.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("wrong skill secret"))
        }
    }
}

/// Authenticates and reads one skill call received at `now` (Unix seconds). Nothing is parsed
/// before the secret matches; a body that is not a skill request is a 400
/// ([`WebhookError::BadRequest`]), since Kakao waits for an answer and a wrong one cannot be
/// "acknowledged"; a request for another bot is [`WebhookError::Forbidden`].
pub fn parse(
    webhook: &KakaoWebhook,
    request: &WebhookRequest<'_>,
    now: i64,
) -> Result<SkillCall, WebhookError> {
    if *request.method != http::Method::POST {
        return Err(WebhookError::MethodNotAllowed);
    }
    webhook.verify_secret(request.headers)?;
    if request.body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::BadRequest(
            "body over the skill request cap".into(),
        ));
    }
    match crate::media_type(request.headers).as_deref() {
        Some("application/json") => {}
        other => {
            return Err(WebhookError::UnsupportedMediaType(
                other.unwrap_or("none").to_string(),
            ));
        }
    }
    let skill: SkillRequest = serde_json::from_slice(request.body)
        .map_err(|e| WebhookError::BadRequest(redact::json_error(&e)))?;
    if webhook.config.bot_id.is_empty()
        || !signature::constant_time_eq(skill.bot.id.as_bytes(), webhook.config.bot_id.as_bytes())
    {
        return Err(WebhookError::Forbidden("another bot's skill request"));
    }
    let user = skill.user_request.user.id.trim();
    if user.is_empty() {
        return Err(WebhookError::BadRequest("no user id".into()));
    }
    let event_id = event_id(request, now);
    let app_user_id = skill
        .user_request
        .user
        .properties
        .and_then(|p| p.app_user_id)
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty() && id.len() <= 64);
    let utterance = skill.user_request.utterance.trim().to_string();
    let payload = skill
        .action
        .and_then(|a| a.client_extra)
        .and_then(|e| e.payload)
        .filter(|p| !p.is_empty());
    let content = match payload {
        Some(payload) => InboundContent::Action {
            payload,
            title: crate::text::non_empty(utterance),
        },
        None if utterance.is_empty() => InboundContent::unsupported("empty"),
        None => InboundContent::Text { body: utterance },
    };
    let block_id = skill
        .user_request
        .block
        .and_then(|b| b.id)
        .or_else(|| skill.intent.and_then(|i| i.id))
        .filter(|id| !id.is_empty());
    Ok(SkillCall {
        message: InboundMessage {
            conversation: ConversationId::new(Channel::Kakao, user),
            event_id,
            sent_at: now,
            locale: skill.user_request.lang.filter(|l| !l.is_empty()),
            ack: None,
            reply_token: None,
            content,
        },
        block_id,
        app_user_id,
    })
}

/// The call's identity (module docs): Kakao's request id, else the body and its minute.
fn event_id(request: &WebhookRequest<'_>, now: i64) -> String {
    let header = request
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200);
    match header {
        Some(id) => format!("r:{id}"),
        None => {
            let mut input = format!("{}#", now.div_euclid(60)).into_bytes();
            input.extend_from_slice(request.body);
            format!("b:{}", full_hash_bytes(&input))
        }
    }
}

fn full_hash_bytes(input: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(input))
}

impl Webhook for KakaoWebhook {
    fn channel(&self) -> Channel {
        Channel::Kakao
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        parse(self, request, now).map(|call| WebhookOutcome::Messages(vec![call.message]))
    }

    /// Kakao waits for the answer in the response: ingress must not take these calls (it
    /// would queue the turn and answer nothing); the `kakao` function does.
    fn answers_in_response(&self) -> bool {
        true
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
