//! Renders what the fake platforms received as the customer would see it in the chat.
//!
//! Each platform reads its own requests (`render`, `shown_text`, `choices` in its file of
//! [`crate::platform`]); this module picks the platform by the channel an entry was recorded
//! under, so a transcript or a test reads any platform's replies alike.

use crate::fakes::OutboxEntry;
use crate::platform::{line, messenger, sms, telegram, viber, wechat, whatsapp};

/// One outbound request as chat lines; `None` for requests the customer does not see
/// (Telegram's callback acknowledgements, WeChat's token fetches).
pub fn render(entry: &OutboxEntry) -> Option<String> {
    match entry.channel.as_str() {
        "whatsapp" => whatsapp::render(entry),
        "telegram" => telegram::render(entry),
        "messenger" => messenger::render(entry),
        "line" => line::render(entry),
        "wechat" => wechat::render(entry),
        "sms" => sms::render(entry),
        "viber" => viber::render(entry),
        "kakao" => crate::platform::sens::render(entry),
        _ => None,
    }
}

/// The text a recorded request shows the customer, on any platform.
pub fn shown_text(entry: &OutboxEntry) -> String {
    match entry.channel.as_str() {
        "whatsapp" => whatsapp::shown_text(entry),
        "telegram" => telegram::shown_text(entry),
        "messenger" => messenger::shown_text(entry),
        "line" => line::shown_text(entry),
        "wechat" => wechat::shown_text(entry),
        "sms" => sms::shown_text(entry),
        "viber" => viber::shown_text(entry),
        "kakao" => crate::platform::sens::shown_text(entry),
        _ => String::new(),
    }
}

/// The choices a recorded request offers, in the order shown: the title, and the payload a
/// tap sends where the platform has buttons (`None`: the customer types the choice's number).
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    match entry.channel.as_str() {
        "whatsapp" => whatsapp::choices(entry),
        "telegram" => telegram::choices(entry),
        "messenger" => messenger::choices(entry),
        "line" => line::choices(entry),
        "wechat" => wechat::choices(entry),
        "sms" => sms::choices(entry),
        "viber" => viber::choices(entry),
        _ => Vec::new(),
    }
}
