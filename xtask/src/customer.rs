//! A scripted customer, the same on every platform: who they are ([`Customer`]: the platform,
//! the id it knows them by, a name), what they do (type text, tap a button, choose from what
//! they were offered) and the [`Webhook`] that carries it, posted to the stack.
//!
//! How a platform builds and signs its webhooks is that platform's own business, in its file of
//! [`crate::platform`] (`text_webhook`, `tap_webhook`, and whatever else it has); a customer
//! only picks the file by [`Platform`]. So the local stack is driven exactly as the real
//! platforms drive it, and a test reads the same whatever app its customer uses.

use crate::Error;
use crate::platform::{line, messenger, sms, telegram, viber, wechat, whatsapp};
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

/// The chat app a customer writes from: one file of [`crate::platform`] each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Whatsapp,
    Telegram,
    Messenger,
    Line,
    Wechat,
    Sms,
    Viber,
}

/// A signed webhook, ready to post (kept whole so a test can post it twice): the path (with
/// its query, where the platform signs that), the headers and the exact body bytes.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// One simulated customer of the shop, on one platform.
pub struct Customer {
    pub platform: Platform,
    /// The id the platform knows the customer by (wa_id, Telegram chat id, PSID, LINE user id,
    /// OpenID, phone number): the recipient the fakes record replies under.
    pub id: String,
    pub name: String,
    /// The language the customer's app is set to, where the platform tells (Telegram).
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
            http: crate::local_http::client(),
        }
    }

    pub fn telegram(base_url: &str, chat_id: i64, name: &str, language_code: Option<&str>) -> Self {
        Customer {
            platform: Platform::Telegram,
            id: chat_id.to_string(),
            name: name.into(),
            language_code: language_code.map(Into::into),
            base_url: base_url.into(),
            http: crate::local_http::client(),
        }
    }

    /// A customer on `platform`, known there by `id`.
    pub fn on(platform: Platform, base_url: &str, id: &str, name: &str) -> Self {
        Customer {
            platform,
            id: id.into(),
            name: name.into(),
            language_code: None,
            base_url: base_url.into(),
            http: crate::local_http::client(),
        }
    }

    /// The stack's public base URL the customer's platform calls (Twilio signs the full URL).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The webhook for typed text.
    pub fn text_webhook(&self, text: &str) -> Webhook {
        let id = next_id();
        match self.platform {
            Platform::Whatsapp => whatsapp::text_webhook(self, id, text),
            Platform::Telegram => telegram::text_webhook(self, id, text),
            Platform::Messenger => messenger::text_webhook(self, id, text),
            Platform::Line => line::text_webhook(self, id, text),
            Platform::Wechat => wechat::text_webhook(self, id, text),
            Platform::Sms => sms::text_webhook(self, id, text),
            Platform::Viber => viber::text_webhook(self, id, text),
        }
    }

    /// The webhook for a tap on the button whose payload is `payload`, titled `title`; `None`
    /// where the platform has no buttons.
    fn tapped(&self, payload: &str, title: &str) -> Option<Webhook> {
        let id = next_id();
        match self.platform {
            Platform::Whatsapp => whatsapp::tap_webhook(self, id, payload, title),
            Platform::Telegram => telegram::tap_webhook(self, id, payload, title),
            Platform::Messenger => messenger::tap_webhook(self, id, payload, title),
            Platform::Line => line::tap_webhook(self, id, payload, title),
            Platform::Wechat => wechat::tap_webhook(self, id, payload, title),
            Platform::Sms => sms::tap_webhook(self, id, payload, title),
            Platform::Viber => viber::tap_webhook(self, id, payload, title),
        }
    }

    /// The webhook for choosing `payload` (titled `title`, numbered `number` in the list the
    /// customer saw): a tap where the platform has buttons, the number typed where it has not.
    pub fn choose_webhook(&self, payload: &str, title: &str, number: usize) -> Webhook {
        self.tapped(payload, title)
            .unwrap_or_else(|| self.text_webhook(&number.to_string()))
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

    /// The webhook for a tap on a button whose id is `payload`, whether or not the customer was
    /// offered it (a stale or forged tap). Where the platform has no buttons, the customer
    /// types `0`, which no list offers.
    pub fn tap_webhook(&self, payload: &str, title: &str) -> Webhook {
        self.choose_webhook(payload, title, 0)
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
        self.post(&self.tap_webhook(payload, title)).await
    }
}
