//! SMS through Twilio adapter. (Being written: this skeleton only fixes the shapes the functions wire.)

use crate::{Webhook, WebhookError, WebhookOutcome, WebhookRequest};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::reply::Reply;

#[derive(Clone, Debug)]
pub struct SmsConfig {
    pub auth_token: String,
}

pub struct SmsWebhook {
    pub config: SmsConfig,
}

#[derive(Clone, Debug)]
pub struct SmsSendConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (E.164) or a Messaging Service SID (`MG…`).
    pub from: String,
}

pub struct SmsSender {
    pub client: reqwest::Client,
    pub config: SmsSendConfig,
}

impl Webhook for SmsWebhook {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn receive(&self, _request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        Err(WebhookError::Unauthorized("not implemented yet"))
    }
}

impl SmsSender {
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
