//! Telegram Bot API adapter.
//!
//! **Inbound.** Telegram does not sign its webhook bodies. Instead, `setWebhook` registers a
//! `secret_token` and Telegram echoes it in `X-Telegram-Bot-Api-Secret-Token` on every call; that
//! header is the only thing telling Telegram apart from anyone else who found the URL, so it is
//! checked, in constant time, before the body is read.
//!
//! Each request carries one `Update`, whose `update_id` is the event's identity. chatdrop is a
//! one-to-one shop, so only private chats are served: a bot added to a group would otherwise
//! answer everyone in it. A tap on an inline button arrives as a `callback_query` whose id must
//! be answered (`answerCallbackQuery`), or the customer's button keeps spinning; the id travels
//! as the message's `ack` and the delivery answers it before the replies go out.
//!
//! A shared contact is a phone number the customer *chose to send*, and it may be anybody's.
//! It is accepted as the customer's own only when Telegram says the contact is the sender
//! (`contact.user_id == from.id`), which is what the request-contact keyboard button produces.
//!
//! **Outbound.** [`render`] maps a [`Reply`] to Bot API calls. Choices become an inline keyboard,
//! one button per row so long titles stay readable. `callback_data` is limited to 64 *bytes*;
//! a choice whose payload does not fit is never sent truncated (the tap would come back as a
//! payload we never issued) but listed as a numbered line the customer can type instead.
//!
//! **Failures** come back as `{"ok":false,"error_code":…,"parameters":{"retry_after":…}}`;
//! [`classify`] tells "slow down" (429) from "never" (blocked, bad request) from "ops must fix"
//! (a bad token answers 401/404, and those messages are kept for a redrive).

use crate::signature;
use crate::{
    Webhook, WebhookError, WebhookOutcome, WebhookRequest, numbered_line, split_text,
    truncate_chars,
};
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::delivery::{Outgoing, SendFailure, SendMode, SendingRules, Sent};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::reply::{Choice, Reply};
use chatdrop_telemetry::redact;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct TelegramConfig {
    pub secret_token: String,
}

pub struct TelegramWebhook {
    pub config: TelegramConfig,
}

#[derive(Clone, Debug)]
pub struct TelegramSendConfig {
    pub api_base: String,
    pub bot_token: String,
}

pub struct TelegramSender {
    pub client: reqwest::Client,
    pub config: TelegramSendConfig,
}

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

// ---------------------------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------------------------

impl TelegramWebhook {
    pub fn new(config: TelegramConfig) -> Self {
        TelegramWebhook { config }
    }

    fn verify_secret(&self, headers: &http::HeaderMap) -> Result<(), WebhookError> {
        // An unset secret must not match a missing header's empty value.
        if self.config.secret_token.is_empty() {
            return Err(WebhookError::Unauthorized("secret token not configured"));
        }
        let presented = headers
            .get(SECRET_HEADER)
            .ok_or(WebhookError::Unauthorized("missing secret token"))?;
        if signature::constant_time_eq(presented.as_bytes(), self.config.secret_token.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("wrong secret token"))
        }
    }
}

impl Webhook for TelegramWebhook {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn receive(&self, request: &WebhookRequest<'_>) -> Result<WebhookOutcome, WebhookError> {
        if *request.method != http::Method::POST {
            return Err(WebhookError::MethodNotAllowed);
        }
        self.verify_secret(request.headers)?;
        let update: Update = serde_json::from_slice(request.body)
            .map_err(|e| WebhookError::Malformed(redact::json_error(&e)))?;
        Ok(WebhookOutcome::Messages(
            inbound(update).into_iter().collect(),
        ))
    }
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    #[serde(default)]
    message: Option<TgMessage>,
    #[serde(default)]
    callback_query: Option<CallbackQuery>,
    /// Every other key: the update kinds we ignore (edited_message, my_chat_member, …), kept
    /// by name only so the log can say what was skipped.
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TgMessage {
    from: Option<User>,
    chat: Option<Chat>,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    contact: Option<Contact>,
    photo: Option<Vec<PhotoSize>>,
    /// The remaining fields, by name: what kind of unsupported message this is.
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct User {
    id: i64,
    language_code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contact {
    phone_number: String,
    user_id: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PhotoSize {
    file_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackQuery {
    id: String,
    from: Option<User>,
    /// The message carrying the tapped button; absent for inline-mode messages.
    message: Option<CallbackMessage>,
    /// Absent for game buttons.
    data: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackMessage {
    chat: Option<Chat>,
    date: i64,
}

/// Message content fields we recognise but do not handle, most specific first: an animation
/// also carries `document`, a venue also carries `location`.
const UNSUPPORTED_KINDS: &[&str] = &[
    "sticker",
    "voice",
    "video_note",
    "video",
    "audio",
    "animation",
    "document",
    "venue",
    "location",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
    "successful_payment",
];

fn inbound(update: Update) -> Option<InboundMessage> {
    let event_id = update.update_id.to_string();
    if let Some(message) = update.message {
        return inbound_message(event_id, message);
    }
    if let Some(query) = update.callback_query {
        return inbound_callback(event_id, query);
    }
    let kind = update.other.keys().find(|k| k.as_str() != "update_id");
    tracing::debug!(kind = ?kind, "ignoring a Telegram update kind we do not serve");
    None
}

fn inbound_message(event_id: String, m: TgMessage) -> Option<InboundMessage> {
    let chat = match m.chat {
        Some(chat) if chat.kind == "private" => chat,
        other => {
            let kind = other.map(|c| c.kind);
            tracing::debug!(chat_type = ?kind, "ignoring a message outside a private chat");
            return None;
        }
    };
    let conversation = ConversationId::new(Channel::Telegram, chat.id.to_string());
    let sender_id = m.from.as_ref().map(|u| u.id);
    let content = if let Some(text) = m.text {
        // Commands such as "/start" stay text: the flows decide what they mean.
        InboundContent::Text { body: text }
    } else if let Some(contact) = m.contact {
        match (contact.user_id, sender_id) {
            (Some(owner), Some(sender)) if owner == sender => match normalize_phone(&contact) {
                Some(phone) => InboundContent::Contact { phone },
                None => unsupported("contact"),
            },
            _ => unsupported("foreign_contact"),
        }
    } else if let Some(photo) = m.photo {
        // Sizes come smallest first; the last is the original resolution.
        match photo.into_iter().last().filter(|p| !p.file_id.is_empty()) {
            Some(largest) => InboundContent::Image {
                media_id: largest.file_id,
                caption: m.caption.filter(|c| !c.is_empty()),
            },
            None => unsupported("photo"),
        }
    } else {
        let kind = UNSUPPORTED_KINDS
            .iter()
            .find(|k| m.other.contains_key(**k))
            .copied()
            .unwrap_or("unknown");
        if kind == "unknown" {
            tracing::info!(conversation = %conversation.hashed(), "unknown Telegram message kind");
        }
        unsupported(kind)
    };
    Some(InboundMessage {
        conversation,
        event_id,
        sent_at: m.date,
        locale: locale(m.from.as_ref()),
        ack: None,
        reply_token: None,
        content,
    })
}

fn inbound_callback(event_id: String, q: CallbackQuery) -> Option<InboundMessage> {
    let chat_id = q
        .message
        .as_ref()
        .and_then(|m| m.chat.as_ref())
        .map(|c| c.id)
        .or_else(|| q.from.as_ref().map(|u| u.id));
    let Some(chat_id) = chat_id else {
        tracing::warn!("skipping a Telegram callback query with neither chat nor sender");
        return None;
    };
    let content = match q.data {
        Some(data) if !data.is_empty() => InboundContent::Action {
            payload: data,
            title: None,
        },
        // A game button: nothing to do, but the answer still has to stop the spinner.
        _ => unsupported("callback_without_data"),
    };
    Some(InboundMessage {
        conversation: ConversationId::new(Channel::Telegram, chat_id.to_string()),
        event_id,
        // Telegram stamps no time on a tap; the tapped message's date is the nearest it gives.
        sent_at: q.message.as_ref().map_or(0, |m| m.date),
        locale: locale(q.from.as_ref()),
        ack: (!q.id.is_empty()).then_some(q.id),
        reply_token: None,
        content,
    })
}

fn locale(from: Option<&User>) -> Option<String> {
    from.and_then(|u| u.language_code.clone())
        .filter(|l| !l.is_empty())
}

/// Telegram sends the number as the user's account holds it, with or without `+`, sometimes
/// with spaces; the domain wants E.164-like `+<digits>`.
fn normalize_phone(contact: &Contact) -> Option<String> {
    let digits: String = contact
        .phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}

fn unsupported(kind: &str) -> InboundContent {
    InboundContent::Unsupported {
        kind: kind.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Bot API limits the renderer applies. Source: <https://core.telegram.org/bots/api#sendmessage>
/// (as generated into teloxide-core and grammY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `sendMessage.text`, in characters.
    pub text: usize,
    /// `sendPhoto.caption`, in characters.
    pub caption: usize,
    /// `callback_data`, in **bytes** of UTF-8.
    pub callback_data_bytes: usize,
    /// Inline button text, in characters (kept short so it reads on a phone).
    pub button_text: usize,
}

pub const LIMITS: Limits = Limits {
    text: 4096,
    caption: 1024,
    callback_data_bytes: 64,
    button_text: 64,
};

/// One Bot API call: the method name and its JSON parameters.
pub type Call = (&'static str, Value);

/// The Bot API calls for one reply, in sending order: usually one, several when text must be
/// split (the keyboard then rides on the last part), none for an empty text.
pub fn render(chat_id: &str, lang: Lang, reply: &Reply) -> Vec<Call> {
    let chat = chat_id_value(chat_id);
    match reply {
        Reply::Text { body } => text_calls(&chat, body, None),
        Reply::Choices {
            body,
            menu_label,
            choices,
        } => render_choices(&chat, body, menu_label, choices, lang),
        Reply::Image { url, caption } => render_image(&chat, url, caption.as_deref()),
        Reply::Link { body, label, url } => {
            let label = if label.trim().is_empty() { url } else { label };
            let button = json!({ "text": truncate_chars(label, LIMITS.button_text), "url": url });
            let text = if body.trim().is_empty() { label } else { body };
            text_calls(&chat, text, Some(json!({ "inline_keyboard": [[button]] })))
        }
    }
}

/// Telegram chat ids are integers (negative for groups); a JSON number is what the API
/// documents, while a non-numeric id (a `@channel` username) must stay a string.
fn chat_id_value(chat_id: &str) -> Value {
    chat_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(chat_id))
}

fn text_calls(chat: &Value, text: &str, markup: Option<Value>) -> Vec<Call> {
    let parts = split_text(text, LIMITS.text);
    let last = parts.len().saturating_sub(1);
    let mut markup = markup;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mut params = json!({ "chat_id": chat, "text": part });
            if i == last
                && let Some(m) = markup.take()
            {
                params["reply_markup"] = m;
            }
            ("sendMessage", params)
        })
        .collect()
}

fn fits_callback_data(id: &str) -> bool {
    !id.is_empty() && id.len() <= LIMITS.callback_data_bytes
}

fn render_choices(
    chat: &Value,
    body: &str,
    menu_label: &str,
    choices: &[Choice],
    lang: Lang,
) -> Vec<Call> {
    let mut rows = Vec::new();
    let mut numbered = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        if fits_callback_data(&c.id) {
            rows.push(json!([{ "text": button_text(i + 1, c), "callback_data": c.id }]));
        } else {
            // Numbered by position among all choices: that is what a typed number resolves to.
            numbered.push(numbered_line(i + 1, &c.title, c.description.as_deref()));
        }
    }
    let mut text = body.to_string();
    if !numbered.is_empty() {
        if !text.trim().is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&numbered.join("\n"));
        text.push_str("\n\n");
        text.push_str(&Msg::ReplyWithNumber.text(lang));
    }
    // A keyboard cannot be sent without text.
    if text.trim().is_empty() && !rows.is_empty() {
        text = if menu_label.trim().is_empty() {
            Msg::ChooseLabel.text(lang)
        } else {
            menu_label.to_string()
        };
    }
    let markup = (!rows.is_empty()).then(|| json!({ "inline_keyboard": rows }));
    text_calls(chat, &text, markup)
}

fn button_text(n: usize, c: &Choice) -> String {
    let text = match c.description.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{} — {d}", c.title),
        None => c.title.clone(),
    };
    // Telegram rejects a button without text; the number still identifies the choice.
    if text.trim().is_empty() {
        return n.to_string();
    }
    truncate_chars(&text, LIMITS.button_text)
}

fn render_image(chat: &Value, url: &str, caption: Option<&str>) -> Vec<Call> {
    match caption.filter(|c| !c.trim().is_empty()) {
        None => vec![("sendPhoto", json!({ "chat_id": chat, "photo": url }))],
        Some(c) if c.chars().count() <= LIMITS.caption => vec![(
            "sendPhoto",
            json!({ "chat_id": chat, "photo": url, "caption": c }),
        )],
        // Too long to caption: the picture first, then the words, rather than losing them.
        Some(c) => {
            let mut calls = vec![("sendPhoto", json!({ "chat_id": chat, "photo": url }))];
            calls.extend(text_calls(chat, c, None));
            calls
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

impl TelegramSender {
    pub fn new(client: reqwest::Client, config: TelegramSendConfig) -> Self {
        TelegramSender { client, config }
    }

    /// A bot may write to anyone who started it and has not blocked it: no window.
    pub fn rules(&self) -> SendingRules {
        SendingRules::NO_WINDOW
    }

    pub fn batches(&self, replies: &[Reply], _mode: SendMode) -> Vec<usize> {
        vec![1; replies.len()]
    }

    /// Answers a callback query so the customer's button stops spinning.
    pub async fn acknowledge(&self, c: &ConversationId, token: &str) -> Result<(), SendFailure> {
        if token.is_empty() {
            return Ok(());
        }
        self.call(
            c,
            "answerCallbackQuery",
            &json!({ "callback_query_id": token }),
        )
        .await
        .map(drop)
    }

    /// Makes every rendered call in order; the first failure stops the rest, so the customer
    /// never gets a later part without an earlier one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Sent, SendFailure> {
        let c = out.conversation();
        let mut ids = Vec::new();
        for reply in out.replies {
            for (method, params) in render(&c.customer, out.lang(), reply) {
                let result = self.call(c, method, &params).await?;
                ids.extend(result["message_id"].as_i64().map(|id| id.to_string()));
            }
        }
        Ok(Sent::ids(ids))
    }

    async fn call(
        &self,
        c: &ConversationId,
        method: &'static str,
        params: &Value,
    ) -> Result<Value, SendFailure> {
        // The token is part of the URL, so neither the URL nor a reqwest error (which quotes
        // it) may reach a log or a recorded failure.
        let url = format!(
            "{}/bot{}/{}",
            self.config.api_base.trim_end_matches('/'),
            self.config.bot_token,
            method
        );
        let request = self.client.post(url).json(params);
        let answer =
            crate::http_send::call(request, c, &format!("Telegram {method}"), |s, b, _| {
                classify(s, b)
            })
            .await?;
        Ok(answer["result"].clone())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    error_code: Option<i64>,
    description: String,
    parameters: ErrorParameters,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorParameters {
    retry_after: Option<u64>,
}

/// Classifies a failed Bot API call. Telegram's `error_code` mirrors the HTTP status; the body's
/// code is preferred when present, the status otherwise.
pub fn classify(status: u16, body: &[u8]) -> SendFailure {
    let error = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
    let code = error.error_code;
    let effective = code.unwrap_or(i64::from(status));
    let detail = if error.description.is_empty() {
        format!("HTTP {status}")
    } else {
        truncate_chars(&format!("HTTP {status}: {}", error.description), 500)
    };
    match effective {
        429 => SendFailure::RateLimited {
            code,
            retry_after: Duration::from_secs(error.parameters.retry_after.unwrap_or(1)),
        },
        // Blocked by the user, user deactivated, chat not found, bad request: retrying the
        // same call cannot change the answer.
        400 | 403 => SendFailure::Permanent { code, detail },
        // A wrong or revoked bot token: a configuration error ops must fix, after which the
        // kept message can be redriven.
        401 | 404 => SendFailure::Transient { code, detail },
        500..=599 => SendFailure::Transient { code, detail },
        400..=499 => SendFailure::Permanent { code, detail },
        _ => SendFailure::Transient { code, detail },
    }
}

// ---------------------------------------------------------------------------------------------
// The registry's entry points

/// The webhook, from its inbound secrets ([`chatdrop_domain::channel_spec::TELEGRAM`]).
pub fn webhook(values: &crate::registry::Values) -> TelegramWebhook {
    use chatdrop_domain::channel_spec::vars;
    TelegramWebhook {
        config: TelegramConfig {
            secret_token: values.get(vars::TELEGRAM_SECRET_TOKEN),
        },
    }
}

/// The sender, from its settings and outbound secrets.
pub fn sender(
    values: &crate::registry::Values,
    deps: &crate::registry::SenderDeps,
) -> TelegramSender {
    use chatdrop_domain::channel_spec::vars;
    TelegramSender {
        client: deps.client.clone(),
        config: TelegramSendConfig {
            api_base: values.get(vars::TELEGRAM_API_BASE),
            bot_token: values.get(vars::TELEGRAM_BOT_TOKEN),
        },
    }
}

impl crate::outbound::Outbound for TelegramSender {
    fn spec(&self) -> &'static chatdrop_domain::channel_spec::ChannelSpec {
        &chatdrop_domain::channel_spec::TELEGRAM
    }

    fn rules(&self) -> SendingRules {
        TelegramSender::rules(self)
    }

    fn batches(&self, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        TelegramSender::batches(self, replies, mode)
    }

    fn acknowledge<'a>(
        &'a self,
        conversation: &'a ConversationId,
        token: &'a str,
    ) -> crate::outbound::SendFuture<'a, ()> {
        Box::pin(TelegramSender::acknowledge(self, conversation, token))
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> crate::outbound::SendFuture<'a, Sent> {
        Box::pin(TelegramSender::send(self, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server;

    const SECRET: &str = "s3cr3t_T0ken-abc";
    const CHAT: &str = "7001234567";
    const BOT_TOKEN: &str = "8000000001:AAH-test-token";

    fn webhook() -> TelegramWebhook {
        TelegramWebhook::new(TelegramConfig {
            secret_token: SECRET.into(),
        })
    }

    fn post_with(secret: Option<&str>, body: &str) -> Result<WebhookOutcome, WebhookError> {
        let mut headers = http::HeaderMap::new();
        if let Some(s) = secret {
            headers.insert(SECRET_HEADER, http::HeaderValue::from_str(s).unwrap());
        }
        webhook().receive(&WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/test",
            headers: &headers,
            query: None,
            body: body.as_bytes(),
        })
    }

    fn messages(body: &str) -> Vec<InboundMessage> {
        match post_with(Some(SECRET), body) {
            Ok(WebhookOutcome::Messages(m)) => m,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    fn one(body: &str) -> InboundMessage {
        let mut m = messages(body);
        assert_eq!(m.len(), 1, "{m:?}");
        m.remove(0)
    }

    // Our own minimal examples in the shape of https://core.telegram.org/bots/api#update.
    const SHOP_COMMAND: &str = r#"{"update_id":912345678,"message":{"message_id":41,"from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},
 "chat":{"id":7001234567,"type":"private","first_name":"Ana"},"date":1767225600,"text":"/shop"}}"#;

    const CALLBACK: &str = r#"{"update_id":912345679,"callback_query":{"id":"4382749283749823","from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},
 "message":{"message_id":42,"from":{"id":8000000001,"is_bot":true,"first_name":"MugShop"},"chat":{"id":7001234567,"type":"private"},"date":1767225610,"text":"Blue mug — $12.00"},
 "chat_instance":"-1234567890123456789","data":"buy:blue_mug:1"}}"#;

    /// A private-chat message update with `fields` as its content, shaped like the above.
    fn private_message(fields: &str) -> String {
        format!(
            r#"{{"update_id":912345680,"message":{{"message_id":43,"from":{{"id":7001234567,"is_bot":false,"first_name":"Ana","language_code":"ja"}},"chat":{{"id":7001234567,"type":"private","first_name":"Ana"}},"date":1767225700,{fields}}}}}"#
        )
    }

    // --- verification ---------------------------------------------------------------------

    #[test]
    fn the_right_secret_is_accepted() {
        assert!(matches!(
            post_with(Some(SECRET), SHOP_COMMAND),
            Ok(WebhookOutcome::Messages(_))
        ));
    }

    #[test]
    fn a_missing_or_wrong_secret_is_unauthorized() {
        for secret in [
            None,
            Some("wrong"),
            Some(""),
            Some("s3cr3t_T0ken-ab"),
            Some("s3cr3t_T0ken-abcd"),
        ] {
            assert!(
                matches!(
                    post_with(secret, SHOP_COMMAND),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{secret:?}"
            );
        }
    }

    #[test]
    fn the_secret_is_checked_before_the_body_is_parsed() {
        assert!(matches!(
            post_with(Some("wrong"), "not json"),
            Err(WebhookError::Unauthorized(_))
        ));
    }

    #[test]
    fn an_unset_secret_authenticates_nothing() {
        let webhook = TelegramWebhook::new(TelegramConfig {
            secret_token: String::new(),
        });
        let mut headers = http::HeaderMap::new();
        headers.insert(SECRET_HEADER, http::HeaderValue::from_static(""));
        let r = webhook.receive(&WebhookRequest {
            method: &http::Method::POST,
            url: "https://shop.example/webhooks/test",
            headers: &headers,
            query: None,
            body: SHOP_COMMAND.as_bytes(),
        });
        assert!(matches!(r, Err(WebhookError::Unauthorized(_))));
    }

    #[test]
    fn only_post_is_served() {
        for method in [http::Method::GET, http::Method::PUT, http::Method::DELETE] {
            let r = webhook().receive(&WebhookRequest {
                method: &method,
                url: "https://shop.example/webhooks/test",
                headers: &http::HeaderMap::new(),
                query: None,
                body: b"",
            });
            assert_eq!(r, Err(WebhookError::MethodNotAllowed));
        }
    }

    // --- parsing --------------------------------------------------------------------------

    #[test]
    fn parses_a_command_as_text() {
        assert_eq!(
            one(SHOP_COMMAND),
            InboundMessage {
                conversation: ConversationId::new(Channel::Telegram, CHAT),
                event_id: "912345678".into(),
                sent_at: 1_767_225_600,
                locale: None,
                ack: None,
                reply_token: None,
                content: InboundContent::Text {
                    body: "/shop".into()
                },
            }
        );
        let start = one(&SHOP_COMMAND.replace("/shop", "/start"));
        assert_eq!(
            start.content,
            InboundContent::Text {
                body: "/start".into()
            }
        );
    }

    #[test]
    fn parses_text_with_the_language_as_locale() {
        let m = one(&private_message(r#""text":"blue mug""#));
        assert_eq!(
            m.content,
            InboundContent::Text {
                body: "blue mug".into()
            }
        );
        assert_eq!(m.locale.as_deref(), Some("ja"));
        assert_eq!(m.event_id, "912345680");
        assert_eq!(m.sent_at, 1_767_225_700);
    }

    #[test]
    fn parses_a_callback_query_with_its_ack() {
        let m = one(CALLBACK);
        assert_eq!(
            m,
            InboundMessage {
                conversation: ConversationId::new(Channel::Telegram, CHAT),
                event_id: "912345679".into(),
                sent_at: 1_767_225_610,
                locale: None,
                ack: Some("4382749283749823".into()),
                reply_token: None,
                content: InboundContent::Action {
                    payload: "buy:blue_mug:1".into(),
                    title: None
                },
            }
        );
    }

    #[test]
    fn a_callback_without_message_uses_the_sender_and_one_without_data_is_still_acked() {
        let inline = r#"{"update_id":5,"callback_query":{"id":"99","from":{"id":7001234567,"is_bot":false,"first_name":"Ana","language_code":"en"},"inline_message_id":"AAA","chat_instance":"1","data":"c:m"}}"#;
        let m = one(inline);
        assert_eq!(m.conversation, ConversationId::new(Channel::Telegram, CHAT));
        assert_eq!(m.locale.as_deref(), Some("en"));
        assert_eq!(m.ack.as_deref(), Some("99"));

        let game = CALLBACK.replace(r#","data":"buy:blue_mug:1""#, r#","game_short_name":"g""#);
        let m = one(&game);
        assert_eq!(m.ack.as_deref(), Some("4382749283749823"));
        assert_eq!(
            m.content,
            InboundContent::Unsupported {
                kind: "callback_without_data".into()
            }
        );
    }

    #[test]
    fn the_senders_own_contact_is_accepted_with_a_plus() {
        let own = private_message(
            r#""contact":{"phone_number":"5511987654321","first_name":"Ana","user_id":7001234567}"#,
        );
        assert_eq!(
            one(&own).content,
            InboundContent::Contact {
                phone: "+5511987654321".into()
            }
        );
        let plus = private_message(
            r#""contact":{"phone_number":"+81 90 1234 5678","first_name":"Ana","user_id":7001234567}"#,
        );
        assert_eq!(
            one(&plus).content,
            InboundContent::Contact {
                phone: "+819012345678".into()
            }
        );
    }

    #[test]
    fn someone_elses_contact_is_not_the_customers_number() {
        for contact in [
            r#""contact":{"phone_number":"447700900123","first_name":"Bob","user_id":42}"#,
            r#""contact":{"phone_number":"447700900123","first_name":"Bob"}"#,
        ] {
            assert_eq!(
                one(&private_message(contact)).content,
                InboundContent::Unsupported {
                    kind: "foreign_contact".into()
                }
            );
        }
    }

    #[test]
    fn a_photo_is_the_largest_size_with_its_caption() {
        let photo = private_message(
            r#""photo":[{"file_id":"small","file_unique_id":"s","width":90,"height":90,"file_size":1000},{"file_id":"large","file_unique_id":"l","width":1280,"height":1280,"file_size":90000}],"caption":"this one""#,
        );
        assert_eq!(
            one(&photo).content,
            InboundContent::Image {
                media_id: "large".into(),
                caption: Some("this one".into())
            }
        );
    }

    #[test]
    fn other_message_kinds_are_unsupported_by_name() {
        for (fields, kind) in [
            (r#""sticker":{"file_id":"s","emoji":"😀"}"#, "sticker"),
            (r#""voice":{"file_id":"v","duration":3}"#, "voice"),
            (
                r#""location":{"latitude":35.6,"longitude":139.7}"#,
                "location",
            ),
            (
                r#""venue":{"title":"Shop"},"location":{"latitude":35.6,"longitude":139.7}"#,
                "venue",
            ),
            (
                r#""animation":{"file_id":"a"},"document":{"file_id":"a"}"#,
                "animation",
            ),
            (r#""hologram":{"id":1}"#, "unknown"),
        ] {
            assert_eq!(
                one(&private_message(fields)).content,
                InboundContent::Unsupported { kind: kind.into() },
                "{fields}"
            );
        }
    }

    #[test]
    fn group_chats_are_ignored() {
        let group = r#"{"update_id":7,"message":{"message_id":1,"from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},"chat":{"id":-1001234567890,"type":"supergroup","title":"Mug fans"},"date":1767225600,"text":"/shop"}}"#;
        assert_eq!(messages(group), vec![]);
        let channel = r#"{"update_id":8,"channel_post":{"message_id":1,"chat":{"id":-1009,"type":"channel"},"date":1767225600,"text":"hi"}}"#;
        assert_eq!(messages(channel), vec![]);
    }

    #[test]
    fn edited_messages_and_membership_updates_are_ignored() {
        let edited = SHOP_COMMAND.replace(r#""message":"#, r#""edited_message":"#);
        assert_eq!(messages(&edited), vec![]);
        let member = r#"{"update_id":9,"my_chat_member":{"chat":{"id":7001234567,"type":"private"},"from":{"id":7001234567,"is_bot":false,"first_name":"Ana"},"date":1767225600,"old_chat_member":{"status":"member"},"new_chat_member":{"status":"kicked"}}}"#;
        assert_eq!(messages(member), vec![]);
    }

    #[test]
    fn malformed_updates_are_malformed_without_panicking() {
        for body in [
            "{\"update_id\":",
            "[]",
            "null",
            "{}",
            r#"{"update_id":"x"}"#,
            r#"{"update_id":1,"message":"text"}"#,
        ] {
            assert!(
                matches!(
                    post_with(Some(SECRET), body),
                    Err(WebhookError::Malformed(_))
                ),
                "{body}"
            );
        }
        // Authentic and readable, but nothing we can use.
        assert_eq!(messages(r#"{"update_id":1,"message":{}}"#), vec![]);
    }

    // --- rendering ------------------------------------------------------------------------

    fn choice(id: &str, title: &str) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn choices_reply(body: &str, choices: Vec<Choice>) -> Reply {
        Reply::Choices {
            body: body.into(),
            menu_label: "Menu".into(),
            choices,
        }
    }

    fn single(mut calls: Vec<Call>) -> Call {
        assert_eq!(calls.len(), 1, "{calls:?}");
        calls.remove(0)
    }

    #[test]
    fn text_is_send_message_with_a_numeric_chat_id() {
        let (method, params) = single(render(CHAT, Lang::En, &Reply::Text { body: "hi".into() }));
        assert_eq!(method, "sendMessage");
        assert_eq!(params, json!({ "chat_id": 7001234567_i64, "text": "hi" }));
        let (_, params) = single(render(
            "@mugshop",
            Lang::En,
            &Reply::Text { body: "hi".into() },
        ));
        assert_eq!(params["chat_id"], json!("@mugshop"));
    }

    #[test]
    fn long_text_is_split_at_4096_characters() {
        let exact = render(
            CHAT,
            Lang::En,
            &Reply::Text {
                body: "é".repeat(4096),
            },
        );
        assert_eq!(exact.len(), 1);
        let over = render(
            CHAT,
            Lang::En,
            &Reply::Text {
                body: "é".repeat(4097),
            },
        );
        assert_eq!(over.len(), 2);
        assert!(over.iter().all(|(m, _)| *m == "sendMessage"));
    }

    #[test]
    fn choices_are_an_inline_keyboard_one_button_per_row() {
        let mut list = vec![
            choice("c:p:blue_mug", "Blue mug"),
            choice("k:v", "View cart"),
        ];
        list[0].description = Some("$12.00".into());
        let (method, params) = single(render(CHAT, Lang::En, &choices_reply("Pick one", list)));
        assert_eq!(method, "sendMessage");
        assert_eq!(
            params,
            json!({
                "chat_id": 7001234567_i64,
                "text": "Pick one",
                "reply_markup": { "inline_keyboard": [
                    [{ "text": "Blue mug — $12.00", "callback_data": "c:p:blue_mug" }],
                    [{ "text": "View cart", "callback_data": "k:v" }],
                ]},
            })
        );
    }

    #[test]
    fn callback_data_is_limited_in_bytes_not_characters() {
        let exactly_64 = "é".repeat(32); // 32 characters, 64 bytes
        let bytes_65 = format!("a{}", "é".repeat(32)); // 33 characters, 65 bytes
        assert_eq!((exactly_64.len(), bytes_65.len()), (64, 65));
        let list = vec![
            choice(&exactly_64, "Fits"),
            choice(&bytes_65, "Too long"),
            choice("k:v", "View cart"),
        ];
        let (_, params) = single(render(CHAT, Lang::En, &choices_reply("Pick one", list)));
        let rows = params["reply_markup"]["inline_keyboard"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0]["callback_data"], json!(exactly_64));
        assert_eq!(rows[1][0]["callback_data"], json!("k:v"));
        // The oversized one is listed under its position among all choices, never sent.
        assert_eq!(
            params["text"],
            json!("Pick one\n\n2. Too long\n\nReply with a number.")
        );
        assert!(!params.to_string().contains(&bytes_65));
    }

    #[test]
    fn when_no_payload_fits_the_reply_is_plain_numbered_text() {
        let long = "x".repeat(65);
        let list = vec![choice(&long, "One"), choice(&format!("{long}2"), "Two")];
        let (_, params) = single(render(CHAT, Lang::Ja, &choices_reply("選んで", list)));
        assert!(params.get("reply_markup").is_none());
        assert_eq!(
            params["text"],
            json!(format!(
                "選んで\n\n1. One\n2. Two\n\n{}",
                Msg::ReplyWithNumber.text(Lang::Ja)
            ))
        );
    }

    #[test]
    fn button_text_is_cut_to_64_characters() {
        let mut c = choice("c:p:x", &"t".repeat(50));
        c.description = Some("d".repeat(50));
        let (_, params) = single(render(CHAT, Lang::En, &choices_reply("Pick", vec![c])));
        let text = params["reply_markup"]["inline_keyboard"][0][0]["text"]
            .as_str()
            .unwrap();
        assert_eq!(text.chars().count(), 64);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn a_keyboard_always_has_text() {
        let (_, params) = single(render(
            CHAT,
            Lang::En,
            &choices_reply("", vec![choice("c:m", "Menu")]),
        ));
        assert_eq!(params["text"], json!("Menu"));
    }

    #[test]
    fn a_long_body_carries_the_keyboard_on_its_last_part() {
        let body = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
        let calls = render(
            CHAT,
            Lang::En,
            &choices_reply(&body, vec![choice("c:m", "Menu")]),
        );
        assert_eq!(calls.len(), 2);
        assert!(calls[0].1.get("reply_markup").is_none());
        assert!(calls[1].1.get("reply_markup").is_some());
    }

    #[test]
    fn images_are_send_photo_with_caption() {
        let (method, params) = single(render(
            CHAT,
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("Blue mug".into()),
            },
        ));
        assert_eq!(method, "sendPhoto");
        assert_eq!(
            params,
            json!({ "chat_id": 7001234567_i64, "photo": "https://cdn.example/mug.jpg", "caption": "Blue mug" })
        );
        let calls = render(
            CHAT,
            Lang::En,
            &Reply::Image {
                url: "https://cdn.example/mug.jpg".into(),
                caption: Some("c".repeat(1025)),
            },
        );
        assert_eq!(calls.len(), 2);
        assert!(calls[0].1.get("caption").is_none());
        assert_eq!(calls[1].0, "sendMessage");
    }

    #[test]
    fn links_are_url_buttons() {
        let (method, params) = single(render(
            CHAT,
            Lang::En,
            &Reply::Link {
                body: "Ready to pay.".into(),
                label: "Pay".into(),
                url: "https://checkout.stripe.com/c/pay/cs_test".into(),
            },
        ));
        assert_eq!(method, "sendMessage");
        assert_eq!(
            params,
            json!({
                "chat_id": 7001234567_i64,
                "text": "Ready to pay.",
                "reply_markup": { "inline_keyboard": [[
                    { "text": "Pay", "url": "https://checkout.stripe.com/c/pay/cs_test" }
                ]]},
            })
        );
    }

    // --- classification -------------------------------------------------------------------

    fn error(code: u16, description: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"ok":false,"error_code":{code},"description":"{description}"{extra}}}"#)
            .into_bytes()
    }

    #[test]
    fn too_many_requests_waits_the_advised_delay() {
        assert_eq!(
            classify(
                429,
                &error(
                    429,
                    "Too Many Requests: retry after 3",
                    r#","parameters":{"retry_after":3}"#
                )
            ),
            SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(3)
            }
        );
        assert_eq!(
            classify(429, b""),
            SendFailure::RateLimited {
                code: None,
                retry_after: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn blocked_users_and_bad_requests_are_permanent() {
        for (status, description) in [
            (403, "Forbidden: bot was blocked by the user"),
            (403, "Forbidden: user is deactivated"),
            (400, "Bad Request: chat not found"),
            (400, "Bad Request: message text is empty"),
        ] {
            let f = classify(status, &error(status, description, ""));
            assert!(
                matches!(&f, SendFailure::Permanent { code: Some(c), detail } if *c == i64::from(status) && detail.contains(description)),
                "{f:?}"
            );
        }
    }

    #[test]
    fn bad_tokens_and_server_errors_are_transient() {
        for status in [401, 404, 500, 502] {
            let f = classify(status, &error(status, "Unauthorized", ""));
            assert!(
                matches!(f, SendFailure::Transient { .. }),
                "{status}: {f:?}"
            );
        }
        assert!(matches!(
            classify(502, b"<html>Bad Gateway</html>"),
            SendFailure::Transient { code: None, .. }
        ));
    }

    // --- sending --------------------------------------------------------------------------

    fn sender(base: &str) -> TelegramSender {
        TelegramSender::new(
            crate::http_client(Duration::from_secs(5)),
            TelegramSendConfig {
                api_base: base.into(),
                bot_token: BOT_TOKEN.into(),
            },
        )
    }

    fn ana() -> ConversationId {
        ConversationId::new(Channel::Telegram, CHAT)
    }

    #[tokio::test]
    async fn send_posts_each_call_to_its_method() {
        let server = test_server::serve(200, vec![], r#"{"ok":true,"result":{}}"#).await;
        let reply = Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("c".repeat(1025)),
        };
        sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await
            .expect("sent");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].method, http::Method::POST);
        assert_eq!(requests[0].path, format!("/bot{BOT_TOKEN}/sendPhoto"));
        assert_eq!(requests[1].path, format!("/bot{BOT_TOKEN}/sendMessage"));
        for (request, (_, params)) in requests.iter().zip(render(CHAT, Lang::En, &reply)) {
            assert_eq!(request.body, params);
            assert_eq!(
                request.headers.get("content-type").unwrap(),
                "application/json"
            );
        }
    }

    #[tokio::test]
    async fn acknowledge_answers_the_callback_query() {
        let server = test_server::serve(200, vec![], r#"{"ok":true,"result":true}"#).await;
        sender(&server.base)
            .acknowledge(&ana(), "4382749283749823")
            .await
            .expect("answered");
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].path,
            format!("/bot{BOT_TOKEN}/answerCallbackQuery")
        );
        assert_eq!(
            requests[0].body,
            json!({ "callback_query_id": "4382749283749823" })
        );
    }

    #[tokio::test]
    async fn send_classifies_api_errors() {
        let reply = Reply::Text { body: "hi".into() };
        let server = test_server::serve(
            429,
            vec![],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
        )
        .await;
        assert_eq!(
            sender(&server.base)
                .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
                .await,
            Err(SendFailure::RateLimited {
                code: Some(429),
                retry_after: Duration::from_secs(3)
            })
        );

        let server = test_server::serve(
            403,
            vec![],
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
        )
        .await;
        let f = sender(&server.base)
            .send(&crate::test_server::single(&ana(), Lang::En, &reply).out())
            .await;
        assert!(
            matches!(
                f,
                Err(SendFailure::Permanent {
                    code: Some(403),
                    ..
                })
            ),
            "{f:?}"
        );
    }

    #[tokio::test]
    async fn transport_failures_are_transient_and_never_reveal_the_token() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let f = sender(&base)
            .send(
                &crate::test_server::single(&ana(), Lang::En, &Reply::Text { body: "hi".into() })
                    .out(),
            )
            .await;
        let Err(SendFailure::Transient { code: None, detail }) = f else {
            panic!("{f:?}");
        };
        assert!(!detail.contains(BOT_TOKEN), "{detail}");
        assert!(!detail.contains("AAH-test-token"), "{detail}");
    }
}
