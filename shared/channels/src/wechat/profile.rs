//! The customer's language from WeChat's user information API:
//! `GET /cgi-bin/user/info?access_token=…&openid=…&lang=zh_CN`
//! (<https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html>).
//!
//! A subscribed user's answer carries `language` (`zh_CN`, `zh_TW`, `en`); an unsubscribed
//! one's carries only `subscribe: 0` and the OpenID. Failures come, as everywhere on WeChat, in
//! an HTTP 200 with an `errcode` (40003: not an OpenID of this account). The call uses the
//! sender's access token (`token.rs`): a token WeChat refuses is dropped so the next caller
//! fetches a fresh one, and this lookup gives up rather than make the customer wait for it.

use super::WechatSender;
use super::send::TOKEN_CODES;
use crate::profiles::{fetch, non_empty};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::ports::{CustomerProfiles, ProfileError, ProfileFuture};
use serde::Deserialize;

/// WeChat's profile lookup, sharing the sender's client, configuration and access token.
pub struct WechatProfiles {
    pub sender: WechatSender,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserInfo {
    errcode: i64,
    subscribe: Option<i64>,
    language: Option<String>,
}

/// The locale in a user information answer; a failure by status or `errcode` (its `errmsg`
/// is left out: WeChat's hints may quote the request).
pub(super) fn locale(status: u16, body: &[u8]) -> Result<Option<String>, ProfileError> {
    if !(200..300).contains(&status) {
        return Err(ProfileError::Failed(format!(
            "WeChat user info: HTTP {status}"
        )));
    }
    let info: UserInfo = serde_json::from_slice(body)
        .map_err(|e| ProfileError::Failed(format!("WeChat user info unreadable: {e}")))?;
    if info.errcode != 0 {
        return Err(ProfileError::Failed(format!(
            "WeChat user info: errcode {}",
            info.errcode
        )));
    }
    // An unsubscribed user's answer has no profile to read.
    if info.subscribe == Some(0) {
        return Ok(None);
    }
    Ok(non_empty(info.language))
}

/// Whether an answer is WeChat refusing the access token itself.
pub(super) fn refuses_token(body: &[u8]) -> bool {
    serde_json::from_slice::<UserInfo>(body).is_ok_and(|info| TOKEN_CODES.contains(&info.errcode))
}

impl CustomerProfiles for WechatProfiles {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        Box::pin(async move {
            let sender = &self.sender;
            let token = sender.access_token().await.map_err(|f| {
                ProfileError::Failed(format!("no WeChat access token: {}", failure_text(&f)))
            })?;
            let url = sender.api(
                "/cgi-bin/user/info",
                &[
                    ("access_token", token.as_str()),
                    ("openid", conversation.customer.as_str()),
                    ("lang", "zh_CN"),
                ],
            );
            let answer = fetch(sender.client.get(url)).await?;
            if refuses_token(&answer.body) {
                sender.drop_token(&token).await;
            }
            locale(answer.status, &answer.body)
        })
    }
}

/// A token failure's kind: its detail is for the sender's own log line, not this one.
fn failure_text(f: &chatdrop_domain::delivery::SendFailure) -> &'static str {
    use chatdrop_domain::delivery::SendFailure;
    match f {
        SendFailure::RateLimited { .. } => "rate limited",
        SendFailure::Transient { .. } => "transient failure",
        SendFailure::Permanent { .. } => "permanent failure",
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
