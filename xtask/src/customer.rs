//! A scripted customer: builds each platform's real webhook payloads and signs them as the
//! platform does, so the local stack is driven exactly as WhatsApp and Telegram drive it.

use crate::Error;
use crate::dev;
use chatdrop_config::secret_names;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// Event ids unique across every customer in the process (and across runs, seeded by time).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn next_id() -> u64 {
    if NEXT_ID.load(Ordering::Relaxed) == 0 {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64 % 1_000_000_000);
        let _ = NEXT_ID.compare_exchange(0, seed * 1000, Ordering::Relaxed, Ordering::Relaxed);
    }
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Unix seconds now: webhooks carry the time the customer wrote, and the customer-service
/// windows (WhatsApp, Messenger, WeChat) count from it, so a simulated customer writes now.
pub fn now() -> i64 {
    (crate::fakes::now_millis() / 1000) as i64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Whatsapp,
    Telegram,
    Messenger,
    Line,
    Wechat,
    Sms,
}

/// A signed webhook, ready to post (kept whole so a test can post it twice).
#[derive(Clone, Debug)]
pub struct Webhook {
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

pub struct Customer {
    pub platform: Platform,
    /// wa_id or Telegram chat id: the recipient the fakes record replies under.
    pub id: String,
    pub name: String,
    pub language_code: Option<String>,
    base_url: String,
    http: reqwest::Client,
}

impl Customer {
    pub fn whatsapp(base_url: &str, wa_id: &str, name: &str) -> Self {
        Customer {
            platform: Platform::Whatsapp,
            id: wa_id.into(),
            name: name.into(),
            language_code: None,
            base_url: base_url.into(),
            http: reqwest::Client::new(),
        }
    }

    pub fn telegram(base_url: &str, chat_id: i64, name: &str, language_code: Option<&str>) -> Self {
        Customer {
            platform: Platform::Telegram,
            id: chat_id.to_string(),
            name: name.into(),
            language_code: language_code.map(Into::into),
            base_url: base_url.into(),
            http: reqwest::Client::new(),
        }
    }

    /// A customer on one of the platforms in [`crate::platform`], known there by `id` (PSID,
    /// LINE user id, OpenID, phone number).
    pub fn on(platform: Platform, base_url: &str, id: &str, name: &str) -> Self {
        Customer {
            platform,
            id: id.into(),
            name: name.into(),
            language_code: None,
            base_url: base_url.into(),
            http: reqwest::Client::new(),
        }
    }

    /// The stack's public base URL the customer's platform calls (Twilio signs the full URL).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Bot API `User` object of this customer.
    pub fn telegram_user(&self) -> Value {
        let mut user = json!({"id": self.id.parse::<i64>().unwrap_or_default(), "is_bot": false, "first_name": self.name});
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    /// The webhook for typed text.
    pub fn text_webhook(&self, text: &str) -> Webhook {
        let id = next_id();
        match self.platform {
            Platform::Whatsapp => crate::platform::whatsapp::text_webhook(self, id, text),
            Platform::Telegram => self.sign(json!({"update_id": id, "message": {
                "message_id": id % 1_000_000, "from": self.telegram_user(),
                "chat": {"id": self.id.parse::<i64>().unwrap_or_default(), "type": "private", "first_name": self.name},
                "date": now(), "text": text
            }})),
            Platform::Messenger => crate::platform::messenger::text_webhook(self, id, text),
            Platform::Line => crate::platform::line::text_webhook(self, id, text),
            Platform::Wechat => crate::platform::wechat::text_webhook(self, id, text),
            Platform::Sms => crate::platform::sms::text_webhook(self, id, text),
        }
    }

    /// The webhook for choosing `payload` (titled `title`, numbered `number` in the list the
    /// customer saw): a tap where the platform has buttons, the number typed where it has not.
    pub fn choose_webhook(&self, payload: &str, title: &str, number: usize) -> Webhook {
        let tapped = match self.platform {
            Platform::Whatsapp | Platform::Telegram => {
                Some(self.tap_webhook(payload, title, false))
            }
            Platform::Messenger => {
                crate::platform::messenger::tap_webhook(self, next_id(), payload, title)
            }
            Platform::Line => crate::platform::line::tap_webhook(self, next_id(), payload, title),
            Platform::Wechat => {
                crate::platform::wechat::tap_webhook(self, next_id(), payload, title)
            }
            Platform::Sms => crate::platform::sms::tap_webhook(self, next_id(), payload, title),
        };
        tapped.unwrap_or_else(|| self.text_webhook(&number.to_string()))
    }

    /// The webhook choosing the choice whose title contains `title` (ignoring case) from the
    /// last of `replies` that offers one, as the customer would: a tap where the platform has
    /// buttons, the choice's number typed where it has not. `None` if nothing matches.
    pub fn choice_webhook(
        &self,
        replies: &[crate::fakes::OutboxEntry],
        title: &str,
    ) -> Option<Webhook> {
        let wanted = title.to_lowercase();
        replies.iter().rev().find_map(|entry| {
            let choices = crate::transcript::choices(entry);
            let index = choices
                .iter()
                .position(|(t, _)| t.to_lowercase().contains(&wanted))?;
            let (shown, payload) = &choices[index];
            Some(self.choose_webhook(payload.as_deref().unwrap_or(""), shown, index + 1))
        })
    }

    /// The webhook for a tap on a button or list row whose id is `payload`.
    pub fn tap_webhook(&self, payload: &str, title: &str, from_list: bool) -> Webhook {
        let id = next_id();
        match self.platform {
            Platform::Whatsapp => {
                let _ = from_list;
                crate::platform::whatsapp::tap_webhook(self, id, payload, title)
                    .expect("WhatsApp has buttons")
            }
            Platform::Telegram => self.sign(json!({"update_id": id, "callback_query": {
                "id": format!("cb{id}"), "from": self.telegram_user(),
                "message": {"message_id": 42, "from": {"id": 8000000001i64, "is_bot": true, "first_name": "Shop"},
                    "chat": {"id": self.id.parse::<i64>().unwrap_or_default(), "type": "private"}, "date": now(), "text": "…"},
                "chat_instance": "-1234567890123456789", "data": payload
            }})),
            _ => self.choose_webhook(payload, title, 0),
        }
    }

    /// Signs a payload as the platform would.
    pub fn sign(&self, payload: Value) -> Webhook {
        let body = serde_json::to_vec(&payload).expect("JSON values serialize");
        let secrets = dev::secrets();
        match self.platform {
            Platform::Whatsapp => crate::platform::whatsapp::sign(payload),
            Platform::Telegram => Webhook {
                path: "/webhooks/telegram".into(),
                headers: vec![
                    ("content-type", "application/json".into()),
                    (
                        "x-telegram-bot-api-secret-token",
                        secrets[secret_names::TELEGRAM_SECRET_TOKEN].clone(),
                    ),
                ],
                body,
            },
            other => panic!("{other:?} webhooks are signed by crate::platform, not here"),
        }
    }

    /// Posts a webhook; returns the HTTP status.
    pub async fn post(&self, webhook: &Webhook) -> Result<u16, Error> {
        let mut request = self
            .http
            .post(format!("{}{}", self.base_url, webhook.path))
            .body(webhook.body.clone());
        for (name, value) in &webhook.headers {
            request = request.header(*name, value);
        }
        Ok(request.send().await?.status().as_u16())
    }

    pub async fn say(&self, text: &str) -> Result<u16, Error> {
        self.post(&self.text_webhook(text)).await
    }

    pub async fn tap(&self, payload: &str, title: &str) -> Result<u16, Error> {
        self.post(&self.tap_webhook(payload, title, false)).await
    }
}
