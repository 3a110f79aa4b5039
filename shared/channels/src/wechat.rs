//! WeChat Official Account (plaintext mode) adapter. (Being written: this skeleton only fixes the shapes the functions wire.)

use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::ports::TokenCache;
use chatdrop_domain::reply::Reply;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct WechatConfig {
    pub token: String,
}

pub struct WechatWebhook {
    pub config: WechatConfig,
}

#[derive(Clone, Debug)]
pub struct WechatSendConfig {
    pub api_base: String,
    pub app_id: String,
    pub app_secret: String,
}

pub struct WechatSender {
    pub client: reqwest::Client,
    pub config: WechatSendConfig,
    pub tokens: Arc<dyn TokenCache>,
}

impl Webhook for WechatWebhook {
    fn channel(&self) -> Channel {
        Channel::Wechat
    }

    fn receive(&self, _request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        Err(WebhookError::Unauthorized("not implemented yet"))
    }
}

impl WechatSender {
    pub async fn acknowledge(&self, _c: &ConversationId, _token: &str) -> Result<(), SendFailure> {
        Ok(())
    }

    pub fn rules(&self) -> SendingRules {
        SendingRules::NO_WINDOW
    }

    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        vec![1; replies.len()]
    }

    pub async fn send(&self, _out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        Err(SendFailure::Permanent {
            code: None,
            detail: "not implemented yet".into(),
        })
    }
}
