//! Renders what the fake platforms received as the customer would see it in the chat.

use crate::fakes::OutboxEntry;
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// One outbound request as chat lines; `None` for requests the customer does not see
/// (Telegram's callback acknowledgements).
pub fn render(entry: &OutboxEntry) -> Option<String> {
    let b = &entry.body;
    match (entry.channel.as_str(), entry.method.as_str()) {
        ("whatsapp", _) => crate::platform::whatsapp::render(entry),
        ("messenger", _) => crate::platform::messenger::render(entry),
        ("line", _) => crate::platform::line::render(entry),
        ("wechat", _) => crate::platform::wechat::render(entry),
        ("sms", _) => crate::platform::sms::render(entry),
        ("telegram", "answerCallbackQuery") => None,
        ("telegram", "sendPhoto") => {
            Some(format!("[photo {}] {}", s(&b["photo"]), s(&b["caption"])))
        }
        ("telegram", _) => {
            let mut out = s(&b["text"]).to_string();
            for row in b["reply_markup"]["inline_keyboard"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let buttons: Vec<String> = row
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|btn| format!("[{}]", s(&btn["text"])))
                    .collect();
                out.push_str(&format!("\n  {}", buttons.join(" ")));
            }
            Some(out)
        }
        _ => None,
    }
}

/// The text a recorded request shows the customer, on any platform.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let b = &entry.body;
    match entry.channel.as_str() {
        "messenger" => crate::platform::messenger::shown_text(entry),
        "line" => crate::platform::line::shown_text(entry),
        "wechat" => crate::platform::wechat::shown_text(entry),
        "sms" => crate::platform::sms::shown_text(entry),
        "whatsapp" => crate::platform::whatsapp::shown_text(entry),
        _ => [
            &b["text"]["body"],
            &b["interactive"]["body"]["text"],
            &b["text"],
            &b["caption"],
            &b["image"]["caption"],
        ]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n"),
    }
}

/// The choices a recorded request offers, in the order shown: the title, and the payload a
/// tap sends where the platform has buttons (`None`: the customer types the choice's number).
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let b = &entry.body;
    match entry.channel.as_str() {
        "messenger" => crate::platform::messenger::choices(entry),
        "line" => crate::platform::line::choices(entry),
        "wechat" => crate::platform::wechat::choices(entry),
        "sms" => crate::platform::sms::choices(entry),
        "whatsapp" => crate::platform::whatsapp::choices(entry),
        "telegram" => b["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().into_iter().flatten())
            .filter_map(|btn| {
                let data = btn["callback_data"].as_str()?;
                Some((s(&btn["text"]).to_string(), Some(data.to_string())))
            })
            .collect(),
        _ => Vec::new(),
    }
}
