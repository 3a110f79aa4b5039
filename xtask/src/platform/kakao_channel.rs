//! Kakao Developers' Kakao Talk Channel add/block callback, played against the local stack.
//!
//! When a customer adds or blocks the retailer's channel, Kakao posts one small JSON object to
//! the callback URL with the app's admin key, a resource id per callback and its user agent,
//! and wants a 2xx within 3 seconds
//! (<https://developers.kakao.com/docs/latest/en/kakaotalk-channel/callback>). [`ChannelCallbacks`]
//! sends exactly that, timed, so a test can check the answer and its time.

use chatdrop_channels::kakao::RESOURCE_ID_HEADER;
use serde_json::json;
use std::time::{Duration, Instant};

/// Kakao's budget for the answer.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(3);

/// The callbacks of the local stack's Kakao Developers app.
pub struct ChannelCallbacks {
    pub url: String,
    pub admin_key: String,
    client: reqwest::Client,
}

impl ChannelCallbacks {
    /// The local stack's app: its development admin key, calling `/webhooks/kakao/channel`.
    pub fn local(stack_url: &str) -> Self {
        ChannelCallbacks {
            url: format!("{stack_url}/webhooks/kakao/channel"),
            admin_key: crate::dev::secrets()[chatdrop_domain::channel_spec::vars::KAKAO_ADMIN_KEY]
                .clone(),
            client: crate::local_http::client(),
        }
    }

    /// Kakao reports that `app_user_id` did `event` (`added` or `blocked`) at `updated_at`
    /// (RFC 3339), as callback `resource_id`, with `admin_key` (`None`: the header left out).
    /// Returns the status and how long the answer took.
    pub async fn send(
        &self,
        event: &str,
        app_user_id: &str,
        updated_at: &str,
        resource_id: &str,
        admin_key: Option<&str>,
    ) -> (u16, Duration) {
        let body = json!({
            "event": event, "id": app_user_id, "id_type": "app_user_id",
            "channel_public_id": "_ZeUTxl", "channel_uuid": "@chatdrop",
            "updated_at": updated_at
        });
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("user-agent", "KakaoOpenAPI/1.0")
            .header(RESOURCE_ID_HEADER, resource_id)
            .timeout(CALLBACK_TIMEOUT)
            .body(body.to_string());
        if let Some(key) = admin_key {
            request = request.header("authorization", format!("KakaoAK {key}"));
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .expect("the callback answers within 3 s");
        (response.status().as_u16(), started.elapsed())
    }
}
