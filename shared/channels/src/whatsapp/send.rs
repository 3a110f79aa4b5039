//! WhatsApp's sender: each rendered part posted to the Cloud API's messages endpoint, and the
//! Graph error codes that say what a failure means.
//!
//! WhatsApp differs from the [`Outbound`] defaults twice. Its window allows an order update
//! after 24 hours only as an approved template, so the rules narrow the registry's by whether
//! one is configured; and such an update is one template message, whatever replies the
//! domain wrote for it, so it is one batch. Taps arrive as ordinary messages: there is nothing
//! to acknowledge.

use super::render::{marketing_template_message, render, template_message};
use super::{WhatsappSendConfig, WhatsappSender};
use crate::http_send;
use crate::meta::{self, ErrorCodes};
use crate::outbound::{Outbound, SendFuture};
use chatdrop_domain::channel_spec::{self, ChannelSpec};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::reply::Reply;
use serde_json::Value;
use std::time::Duration;

impl WhatsappSender {
    pub fn new(client: reqwest::Client, config: WhatsappSendConfig) -> Self {
        WhatsappSender { client, config }
    }

    /// The Graph API bodies `out` becomes: outside the window an order update is its template,
    /// inside it every reply rendered.
    fn bodies(&self, out: &Outgoing<'_>) -> Vec<Value> {
        let to = &out.conversation().customer;
        // A drop announcement is its approved marketing template, inside the window or not.
        if let Some(template) = out
            .bundle
            .announcement
            .as_ref()
            .and_then(|a| a.template.as_ref())
        {
            return vec![marketing_template_message(to, template)];
        }
        match (
            out.mode,
            &self.config.order_update_template,
            &out.bundle.update,
        ) {
            (SendMode::OrderUpdate, Some(template), Some(update)) => {
                vec![template_message(to, template, update)]
            }
            _ => out
                .replies
                .iter()
                .flat_map(|r| render(to, out.lang(), r))
                .collect(),
        }
    }
}

impl Outbound for WhatsappSender {
    fn spec(&self) -> &'static ChannelSpec {
        &channel_spec::WHATSAPP
    }

    fn rules(&self) -> SendingRules {
        SendingRules {
            updates_after_window: self.config.order_update_template.is_some(),
            ..self.spec().sending
        }
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        // Batches are asked for before an `Outgoing` exists; an announcement bundle has a
        // single reply, so one per call is one template.
        match mode {
            SendMode::OrderUpdate => vec![replies.len()],
            // WhatsApp has no tag for people: `sending_mode` never picks `HumanAgent` here.
            SendMode::Session | SendMode::HumanAgent => vec![1; replies.len()],
        }
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        let config = &self.config;
        let url = meta::messages_url(
            &config.graph_base,
            &config.api_version,
            &config.phone_number_id,
        );
        let c = out.conversation();
        let token = &config.access_token;
        // Every part in order; the first failure stops the rest.
        Box::pin(http_send::in_order(self.bodies(out), move |body| {
            let request = self.client.post(&url).bearer_auth(token).json(&body);
            async move {
                let answer = http_send::call(request, c, "WhatsApp send", classify).await?;
                Ok(answer["messages"][0]["id"].as_str().map(String::from))
            }
        }))
    }
}

/// The Cloud API's error codes, by what a failure with each one means.
const CODES: ErrorCodes = ErrorCodes {
    rate_limited: &[
        // Throughput (130429) and the API-level limits (4, 80007): a short pause is enough.
        (4, Duration::from_secs(1)),
        (80007, Duration::from_secs(1)),
        (130429, Duration::from_secs(1)),
        // Too many messages to one customer: Meta's guidance is about one per six seconds.
        (131056, Duration::from_secs(6)),
    ],
    // The recipient or the message can never succeed as sent.
    permanent: &[
        (131047, None), // more than 24 hours since the customer last wrote: only templates
        (131026, None), // undeliverable (not on WhatsApp, old client, terms not accepted)
        (131051, None), // unsupported message type
        (131021, None), // recipient is the sender
        (133010, None), // phone number not registered
        (100, None),    // invalid parameter
        (131008, None), // required parameter missing
        (131009, None), // parameter value invalid
        (368, None),    // temporarily blocked for policy violations
        // Not delivered "to maintain healthy ecosystem engagement" (the per-user marketing
        // limit): never retried at once; a campaign backs off for hours
        // (`chatdrop_domain::campaign_outcome`,
        // <https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>).
        (131049, None),
        (131050, None), // the customer stopped marketing messages
    ],
    // Worth retrying: Meta-side trouble, or a token ops must rotate (the message is kept for a
    // redrive rather than dropped for a configuration mistake).
    transient: &[190, 131000, 131016, 1, 2],
    unknown_rate_limit_wait: Duration::from_secs(1),
};

/// Classifies a failed Graph API call by its error code; the HTTP status decides only when the
/// code is missing or unknown. WhatsApp's `error_data.details` goes into the failure's text.
pub fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    meta::classify::<meta::Details>(&CODES, status, body, retry_after)
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
