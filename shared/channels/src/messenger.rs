//! Messenger Platform adapter. (Being written: this skeleton only fixes the shapes the functions wire.)

use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::reply::Reply;

#[derive(Clone, Debug)]
pub struct MessengerConfig {
    pub app_secret: String,
    pub verify_token: String,
}

pub struct MessengerWebhook {
    pub config: MessengerConfig,
}

#[derive(Clone, Debug)]
pub struct MessengerSendConfig {
    pub graph_base: String,
    pub api_version: String,
    pub page_access_token: String,
}

pub struct MessengerSender {
    pub client: reqwest::Client,
    pub config: MessengerSendConfig,
}

impl Webhook for MessengerWebhook {
    fn channel(&self) -> Channel {
        Channel::Messenger
    }

    fn receive(&self, _request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        Err(WebhookError::Unauthorized("not implemented yet"))
    }
}

impl MessengerSender {
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
