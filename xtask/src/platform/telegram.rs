//! The Telegram side of the local stack: a customer whose updates arrive as the Bot API
//! delivers them, and a fake Bot API that records what chatdrop sends.
//!
//! **The customer.** Each webhook is one `Update`: a `message` in the customer's private chat
//! when they type, a `callback_query` carrying the button's `callback_data` when they tap an
//! inline button (the button's text is not sent). Telegram signs nothing: it sends the secret
//! token given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`, so [`sign`] adds the dev
//! secret token. The customer's `User` ([`user`]) carries their `language_code` when they have
//! one, which the adapter reads as their locale.
//!
//! **The fake API** answers `POST /telegram/bot{token}/{method}` as the Bot API does:
//!
//! - the token in the path must be the dev bot token, or 401 `Unauthorized`;
//! - what a test injected for `telegram` is answered next (a delay, a fault, a storm's 429
//!   with `parameters.retry_after`: see [`crate::fakes`]);
//! - the call is recorded under its `chat_id` (or, for `answerCallbackQuery`, the callback
//!   query's id) with the method's name, and answered `{"ok":true,"result":…}`: `true` for an
//!   acknowledged callback, otherwise a `Message` whose `message_id` is the record's sequence
//!   number.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry};
use crate::platform::s;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::{Value, json};
use std::sync::Arc;

const CHANNEL: &str = "telegram";

// ---------------------------------------------------------------------------------------------
// The customer's webhooks
// ---------------------------------------------------------------------------------------------

/// The customer's chat id: a Telegram customer's id is their private chat's number.
fn chat_id(customer: &Customer) -> i64 {
    customer.id.parse().unwrap_or_default()
}

/// The Bot API `User` object of `customer`.
pub fn user(customer: &Customer) -> Value {
    let mut user = json!({"id": chat_id(customer), "is_bot": false, "first_name": customer.name});
    if let Some(code) = &customer.language_code {
        user["language_code"] = json!(code);
    }
    user
}

/// Any update, serialised and sent with the secret token as Telegram posts it (a test may build
/// its own: a shared contact, a tap with a chosen `update_id`).
pub fn sign(update: Value) -> Webhook {
    let body = serde_json::to_vec(&update).expect("JSON values serialize");
    Webhook {
        path: "/webhooks/telegram".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            (
                "x-telegram-bot-api-secret-token",
                dev::secrets()[vars::TELEGRAM_SECRET_TOKEN].clone(),
            ),
        ],
        body,
    }
}

/// The customer typing `text`; `id` is the `update_id`.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    sign(json!({"update_id": id, "message": {
        "message_id": id % 1_000_000, "from": user(customer),
        "chat": {"id": chat_id(customer), "type": "private", "first_name": customer.name},
        "date": SystemClock.now(), "text": text
    }}))
}

/// The customer tapping the inline button whose `callback_data` is `payload`: Telegram sends
/// the data and the message the button was on, not the button's text.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    let _ = title;
    Some(sign(json!({"update_id": id, "callback_query": {
        "id": format!("cb{id}"), "from": user(customer),
        "message": {"message_id": 42, "from": {"id": 8000000001i64, "is_bot": true, "first_name": "Shop"},
            "chat": {"id": chat_id(customer), "type": "private"}, "date": SystemClock.now(), "text": "…"},
        "chat_instance": "-1234567890123456789", "data": payload
    }})))
}

// ---------------------------------------------------------------------------------------------
// The fake Bot API
// ---------------------------------------------------------------------------------------------

/// Routes of the fake API, merged into the fakes server (paths under `/telegram/`).
pub fn routes() -> Router<Fakes> {
    let token: Arc<str> = dev::secrets()[vars::TELEGRAM_BOT_TOKEN].as_str().into();
    Router::new().route(
        // `bot{token}` is one path segment, as the Bot API spells it.
        "/telegram/{bot}/{method}",
        post(
            move |state: State<Fakes>, path: Path<(String, String)>, body: Json<Value>| {
                method(token.clone(), state, path, body)
            },
        ),
    )
}

/// The Bot API's flood-control error, which carries the delay in the body.
fn rate_limited(retry_after: u64) -> Response {
    let error = json!({"ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after}});
    (StatusCode::TOO_MANY_REQUESTS, Json(error)).into_response()
}

async fn method(
    token: Arc<str>,
    State(fakes): State<Fakes>,
    Path((bot, method)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if bot.strip_prefix("bot") != Some(&*token) {
        let error = json!({"ok": false, "error_code": 401, "description": "Unauthorized"});
        return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
    }
    if let Some(answer) = fakes.injected(CHANNEL, rate_limited).await {
        return answer;
    }
    let recipient = match (&body["chat_id"], &body["callback_query_id"]) {
        (Value::Number(n), _) => n.to_string(),
        (Value::String(s), _) => s.clone(),
        (_, Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let seq = fakes.record(CHANNEL, recipient, &method, body.clone());
    let result = if method == "answerCallbackQuery" {
        json!(true)
    } else {
        json!({"message_id": seq, "date": 1767225600, "chat": {"id": body["chat_id"], "type": "private"}})
    };
    Json(json!({"ok": true, "result": result})).into_response()
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

/// The inline keyboard's rows of buttons.
fn keyboard(body: &Value) -> impl Iterator<Item = &Vec<Value>> {
    body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
}

/// One recorded request as the chat lines the customer sees: the text, then each keyboard row
/// as `[text]`s. Acknowledging a callback shows nothing.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    let b = &entry.body;
    match entry.method.as_str() {
        "answerCallbackQuery" => None,
        "sendPhoto" => Some(format!("[photo {}] {}", s(&b["photo"]), s(&b["caption"]))),
        _ => {
            let mut out = s(&b["text"]).to_string();
            for row in keyboard(b) {
                let buttons: Vec<String> = row
                    .iter()
                    .map(|btn| format!("[{}]", s(&btn["text"])))
                    .collect();
                out.push_str(&format!("\n  {}", buttons.join(" ")));
            }
            Some(out)
        }
    }
}

/// The text a recorded request shows: a message's text or a photo's caption.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let b = &entry.body;
    [&b["text"], &b["caption"]]
        .into_iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The choices a recorded request offers: the inline buttons that send `callback_data`, row by
/// row (a link button opens a page instead).
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    keyboard(&entry.body)
        .flatten()
        .filter_map(|btn| {
            let data = btn["callback_data"].as_str()?;
            Some((s(&btn["text"]).to_string(), Some(data.to_string())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::harness::{self, failure, menu, receive, refused, session};
    use chatdrop_channels::Outbound as _;
    use chatdrop_channels::telegram::{
        TelegramConfig, TelegramSendConfig, TelegramSender, TelegramWebhook,
    };
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::inbound::InboundContent;
    use chatdrop_domain::reply::{Reply, ReplyBundle};
    use std::time::Duration;

    const CHAT: i64 = 7001234567;

    fn ken() -> Customer {
        Customer::telegram("http://127.0.0.1:9", CHAT, "Ken", Some("ja"))
    }

    /// The ingress function's Telegram webhook, with the dev secret token.
    fn adapter() -> TelegramWebhook {
        TelegramWebhook::new(TelegramConfig {
            secret_token: dev::secrets()[vars::TELEGRAM_SECRET_TOKEN].clone(),
        })
    }

    #[test]
    fn the_adapter_accepts_the_simulated_text_webhook() {
        let webhook = text_webhook(&ken(), 41, "こんにちは");
        assert_eq!(webhook.path, "/webhooks/telegram");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].conversation,
            ConversationId::new(Channel::Telegram, CHAT.to_string())
        );
        assert_eq!(m[0].event_id, "41");
        assert_eq!(
            m[0].content,
            InboundContent::Text {
                body: "こんにちは".into()
            }
        );
        assert_eq!(m[0].locale.as_deref(), Some("ja"));
    }

    #[test]
    fn the_adapter_reads_the_simulated_tap_as_the_action_to_acknowledge() {
        let webhook = tap_webhook(&ken(), 42, "c:p:tee", "Tee").expect("Telegram has buttons");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m[0].event_id, "42");
        assert_eq!(m[0].ack.as_deref(), Some("cb42"));
        assert_eq!(
            m[0].content,
            InboundContent::Action {
                payload: "c:p:tee".into(),
                title: None
            }
        );
    }

    #[test]
    fn a_wrong_secret_token_is_refused() {
        let mut webhook = text_webhook(&ken(), 43, "hi");
        webhook.headers[1].1 = "not-the-secret".into();
        assert!(refused(&adapter(), &webhook));
    }

    fn entry(method: &str, body: Value) -> OutboxEntry {
        OutboxEntry {
            seq: 1,
            at_ms: 0,
            channel: CHANNEL.into(),
            recipient: CHAT.to_string(),
            method: method.into(),
            body,
        }
    }

    #[test]
    fn an_inline_keyboard_renders_and_offers_its_callback_buttons() {
        let e = entry(
            "sendMessage",
            json!({"chat_id": CHAT, "text": "Pick one", "reply_markup": {"inline_keyboard": [
                [{"text": "Tee", "callback_data": "c:p:tee"}, {"text": "Mug", "callback_data": "c:p:mug"}],
                [{"text": "Pay", "url": "https://pay.example/x"}]
            ]}}),
        );
        assert_eq!(render(&e).unwrap(), "Pick one\n  [Tee] [Mug]\n  [Pay]");
        assert_eq!(shown_text(&e), "Pick one");
        assert_eq!(
            choices(&e),
            vec![
                ("Tee".into(), Some("c:p:tee".into())),
                ("Mug".into(), Some("c:p:mug".into()))
            ]
        );
    }

    #[test]
    fn photos_show_their_caption_and_acknowledgements_nothing() {
        let photo = entry(
            "sendPhoto",
            json!({"chat_id": CHAT, "photo": "https://cdn.example/mug.jpg", "caption": "Blue mug"}),
        );
        assert_eq!(
            render(&photo).unwrap(),
            "[photo https://cdn.example/mug.jpg] Blue mug"
        );
        assert_eq!(shown_text(&photo), "Blue mug");
        let ack = entry("answerCallbackQuery", json!({"callback_query_id": "cb42"}));
        assert_eq!(render(&ack), None);
    }

    // --- the fake API, driven by the real sender ----------------------------------------------

    fn sender(base: &str, token: &str) -> TelegramSender {
        TelegramSender::new(
            chatdrop_channels::http_client(Duration::from_secs(5)),
            TelegramSendConfig {
                api_base: format!("{base}/telegram"),
                bot_token: token.into(),
            },
        )
    }

    fn dev_token() -> String {
        dev::secrets()[vars::TELEGRAM_BOT_TOKEN].clone()
    }

    fn bundle(replies: Vec<Reply>) -> ReplyBundle {
        harness::bundle(Channel::Telegram, &CHAT.to_string(), "b1", replies)
    }

    #[tokio::test]
    async fn the_fake_records_sends_and_acknowledgements() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let s = sender(&base, &dev_token());
        let b = bundle(vec![menu(&["Tee"])]);
        let sent = s.send(&session(&b)).await.expect("sent");
        assert_eq!(sent.message_ids, vec!["1"]);
        s.acknowledge(&b.conversation, "cb42")
            .await
            .expect("acknowledged");
        let recorded = harness::outbox(&base).await;
        let calls: Vec<(&str, &str)> = recorded
            .iter()
            .map(|e| (e.method.as_str(), e.recipient.as_str()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("sendMessage", "7001234567"),
                ("answerCallbackQuery", "cb42")
            ]
        );
        assert_eq!(
            choices(&recorded[0]),
            vec![("Tee".into(), Some("c:p:0".into()))]
        );
    }

    #[tokio::test]
    async fn the_fake_refuses_a_wrong_token_and_storms_as_telegram_does() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&base, "8000000001:wrong").send(&session(&b)).await;
        assert_eq!(failure(&f), ("transient", Some(401)));
        harness::storm(&base, CHANNEL, 7).await;
        let f = sender(&base, &dev_token()).send(&session(&b)).await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(7)
            })
        );
        assert!(harness::outbox(&base).await.is_empty());
    }
}
