//! The seven chat platforms of the local stack, one file each holding both sides of it: the
//! customer's signed webhooks and the fake API that records what chatdrop sends.
//!
//! Every file reads alike, in three parts:
//!
//! - **The customer's webhooks**: `text_webhook(customer, id, text)` and
//!   `tap_webhook(customer, id, payload, title)` (`None` where the platform has no buttons and
//!   a choice is typed by its number), built as the platform builds them and signed as it
//!   signs them, for [`crate::customer::Customer`] to post; plus what else the platform sends
//!   that a test needs (WhatsApp's [`whatsapp::envelope`], WeChat's
//!   [`wechat::event_webhook`], each scheme's `signature` or `sign`).
//! - **The fake API**: `routes()`, mounted by [`crate::fakes::router`] on the one recorder,
//!   [`crate::fakes::Fakes`]. Each handler checks credentials as the platform does, then lets
//!   [`crate::fakes::Fakes::injected`] answer what a test set up (latency, a fault, a storm,
//!   answered with the platform's own `rate_limited` error), then checks the request against
//!   the platform's documented limits and [`crate::fakes::Fakes::record`]s what it accepts.
//! - **What the customer sees**: `render`, `shown_text` and `choices` of a recorded request,
//!   which [`crate::transcript`] picks by channel.
//!
//! Each file's tests drive both sides with the real adapter from `chatdrop_channels`, so a
//! fake that drifts from the platform, or an adapter that drifts from the fake, shows up here.

pub mod kakao;
pub mod kakao_channel;
pub mod line;
pub mod messenger;
pub mod sens;
pub mod sms;
pub mod telegram;
pub mod viber;
pub mod wechat;
pub mod whatsapp;

use serde_json::Value;

/// A JSON string's text, or `""` for anything else: what a renderer reads where a field may be
/// absent.
pub(crate) fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The titles of the last numbered list in a text (`1. Title — description`), in order: how a
/// platform offers choices to type when it has no buttons, or too many choices for them.
///
/// A line numbered `1` starts the list afresh, since a text may hold more than one (a cart's
/// lines, then the choices) and the domain resolves a typed number against the last one
/// offered; a line numbered out of turn is not a choice. A title ends at the first of
/// `separators`.
pub(crate) fn numbered_titles(text: &str, separators: &[&str]) -> Vec<String> {
    let mut titles: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some((number, rest)) = line.split_once(". ") else {
            continue;
        };
        let Ok(n) = number.trim().parse::<usize>() else {
            continue;
        };
        if n == 1 {
            titles.clear();
        } else if n != titles.len() + 1 {
            continue;
        }
        let title = separators.iter().fold(rest, |title, separator| {
            title.split(separator).next().unwrap_or(title)
        });
        titles.push(title.to_string());
    }
    titles
}

/// What every platform's tests do alike: hand a simulated webhook to the real adapter, send a
/// bundle through the real sender, read the fakes' record and set up their trouble.
#[cfg(test)]
pub(crate) mod harness {
    use crate::customer::Webhook;
    use crate::fakes::OutboxEntry;
    use chatdrop_channels::{WebhookError, WebhookOutcome, WebhookRequest};
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode};
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::inbound::InboundMessage;
    use chatdrop_domain::reply::{Choice, Reply, ReplyBundle};
    use serde_json::{Value, json};

    /// Where the adapters think the simulated webhooks were posted, unless a test says.
    pub const BASE_URL: &str = "http://127.0.0.1";

    /// What `adapter` makes of `webhook` as the ingress function hands it over, posted to
    /// `base_url` (the query, where the path has one, is passed apart as well).
    pub fn receive_at(
        adapter: &impl chatdrop_channels::Webhook,
        base_url: &str,
        webhook: &Webhook,
    ) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &webhook.headers {
            headers.insert(*name, value.parse().expect("a header value"));
        }
        adapter.receive(&WebhookRequest {
            method: &http::Method::POST,
            headers: &headers,
            query: webhook.path.split_once('?').map(|(_, query)| query),
            url: &format!("{base_url}{}", webhook.path),
            body: &webhook.body,
        })
    }

    /// The messages `adapter` reads in `webhook`; panics if it refuses it.
    pub fn receive(
        adapter: &impl chatdrop_channels::Webhook,
        webhook: &Webhook,
    ) -> Vec<InboundMessage> {
        match receive_at(adapter, BASE_URL, webhook) {
            Ok(WebhookOutcome::Messages(m)) => m,
            other => panic!("the adapter refused the webhook: {other:?}"),
        }
    }

    /// Whether `adapter` refuses `webhook` as not coming from the platform.
    pub fn refused(adapter: &impl chatdrop_channels::Webhook, webhook: &Webhook) -> bool {
        matches!(
            receive_at(adapter, BASE_URL, webhook),
            Err(WebhookError::Unauthorized(_))
        )
    }

    /// `webhook` with `from` changed to `to` in its body and its signature left alone, as a
    /// forger would change it.
    pub fn tampered(webhook: &Webhook, from: &str, to: &str) -> Webhook {
        let body = String::from_utf8_lossy(&webhook.body).replace(from, to);
        Webhook {
            body: body.into_bytes(),
            ..webhook.clone()
        }
    }

    /// A bundle of `replies` to `customer` on `channel`, as the domain hands notify one.
    pub fn bundle(channel: Channel, customer: &str, id: &str, replies: Vec<Reply>) -> ReplyBundle {
        ReplyBundle {
            id: id.into(),
            conversation: ConversationId::new(channel, customer),
            lang: Lang::EN,
            ack: None,
            reply_token: None,
            update: None,
            announcement: None,
            handoff: None,
            take_back: false,
            origin: Default::default(),
            replies,
        }
    }

    /// All of `bundle` sent now, inside the customer-service window.
    pub fn session(bundle: &ReplyBundle) -> Outgoing<'_> {
        Outgoing {
            bundle,
            first: 0,
            replies: &bundle.replies,
            mode: SendMode::Session,
            now: chatdrop_domain::clock::Clock::now(&chatdrop_domain::clock::SystemClock),
        }
    }

    /// A failed send as its kind and code, to compare without the detail or the wait; panics
    /// if the send went through.
    pub fn failure<T: std::fmt::Debug>(
        sent: &Result<T, SendFailure>,
    ) -> (&'static str, Option<i64>) {
        match sent {
            Err(SendFailure::Permanent { code, .. }) => ("permanent", *code),
            Err(SendFailure::Transient { code, .. }) => ("transient", *code),
            Err(SendFailure::RateLimited { code, .. }) => ("rate limited", *code),
            Ok(sent) => panic!("the send went through: {sent:?}"),
        }
    }

    /// A menu offering `titles`, the choices' ids `c:p:0`, `c:p:1`, … in order.
    pub fn menu(titles: &[&str]) -> Reply {
        Reply::Choices {
            body: "Pick one".into(),
            menu_label: "Menu".into(),
            choices: titles
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    id: format!("c:p:{i}"),
                    title: (*t).into(),
                    description: None,
                })
                .collect(),
        }
    }

    /// What the fakes at `base` have recorded.
    pub async fn outbox(base: &str) -> Vec<OutboxEntry> {
        crate::stack::fetch_outbox(&crate::local_http::client(), base)
            .await
            .expect("the outbox")
    }

    /// Queues `faults` (a JSON array of [`crate::fakes::Fault`]s) on the fakes at `base`.
    pub async fn queue_faults(base: &str, faults: Value) {
        control(base, "faults", faults).await;
    }

    /// Makes `channel` refuse every call for a minute, advising a wait of `retry_after` seconds.
    pub async fn storm(base: &str, channel: &str, retry_after: u64) {
        let storm = json!({"channel": channel, "seconds": 60, "retry_after": retry_after});
        control(base, "storm", storm).await;
    }

    /// Sets what `channel`'s profile API says of `user`: `Some(locale)`, `None` (no language),
    /// or a failed lookup (`fail`).
    pub async fn set_profile(
        base: &str,
        channel: &str,
        user: &str,
        locale: Option<&str>,
        fail: bool,
    ) {
        let profile = json!({"channel": channel, "user": user, "locale": locale, "fail": fail});
        control(base, "profile", profile).await;
    }

    async fn control(base: &str, what: &str, body: Value) {
        let status = crate::local_http::client()
            .post(format!("{base}/_control/{what}"))
            .json(&body)
            .send()
            .await
            .expect("the fakes answer")
            .status();
        assert_eq!(status, 204, "POST /_control/{what}");
    }
}
