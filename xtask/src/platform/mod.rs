//! The four platforms added after WhatsApp and Telegram, each in one file holding both sides
//! of it for the local stack: the customer's signed webhooks and the fake API.

pub mod line;
pub mod messenger;
pub mod sms;
pub mod wechat;
