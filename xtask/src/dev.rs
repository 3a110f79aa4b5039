//! Development defaults: secrets and ids that only the local stack and the tests apply.
//!
//! They are public on purpose (the README lists them) so anyone can sign a webhook with curl
//! against `cargo xtask serve`. A deployed function never sees them: it reads its secrets from
//! the parameter store, and a missing one stops it at start.

use chatdrop_config::secret_names::*;
use std::collections::HashMap;

pub const WHATSAPP_APP_SECRET_VALUE: &str = "dev-whatsapp-app-secret";
pub const WHATSAPP_VERIFY_TOKEN_VALUE: &str = "dev-verify-token";
pub const WHATSAPP_ACCESS_TOKEN_VALUE: &str = "dev-whatsapp-access-token";
pub const TELEGRAM_SECRET_TOKEN_VALUE: &str = "dev-telegram-secret";
pub const TELEGRAM_BOT_TOKEN_VALUE: &str = "123456:dev-telegram-bot-token";
pub const WHATSAPP_PHONE_NUMBER_ID: &str = "106000000000002";
/// The order-update template the fake Graph API knows as approved.
pub const WHATSAPP_ORDER_TEMPLATE: &str = "order_update";
pub const MESSENGER_APP_SECRET_VALUE: &str = "dev-messenger-app-secret";
pub const MESSENGER_VERIFY_TOKEN_VALUE: &str = "dev-messenger-verify-token";
pub const MESSENGER_PAGE_TOKEN_VALUE: &str = "dev-messenger-page-token";
pub const LINE_CHANNEL_SECRET_VALUE: &str = "dev-line-channel-secret";
pub const LINE_ACCESS_TOKEN_VALUE: &str = "dev-line-access-token";
pub const WECHAT_TOKEN_VALUE: &str = "devwechattoken";
pub const WECHAT_APP_SECRET_VALUE: &str = "dev-wechat-app-secret";
pub const WECHAT_APP_ID: &str = "wx0123456789abcdef";
pub const TWILIO_AUTH_TOKEN_VALUE: &str = "dev-twilio-auth-token";
pub const TWILIO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const SMS_FROM: &str = "+15550002222";
pub const STRIPE_SECRET_KEY_VALUE: &str = "sk_test_chatdrop_dev";
pub const STRIPE_WEBHOOK_SECRET_VALUE: &str = "whsec_chatdrop_dev";

/// Every dev secret, overridden by an environment variable of the same name when set.
pub fn secrets() -> HashMap<String, String> {
    [
        (WHATSAPP_APP_SECRET, WHATSAPP_APP_SECRET_VALUE),
        (WHATSAPP_VERIFY_TOKEN, WHATSAPP_VERIFY_TOKEN_VALUE),
        (WHATSAPP_ACCESS_TOKEN, WHATSAPP_ACCESS_TOKEN_VALUE),
        (TELEGRAM_SECRET_TOKEN, TELEGRAM_SECRET_TOKEN_VALUE),
        (TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_VALUE),
        (MESSENGER_APP_SECRET, MESSENGER_APP_SECRET_VALUE),
        (MESSENGER_VERIFY_TOKEN, MESSENGER_VERIFY_TOKEN_VALUE),
        (MESSENGER_PAGE_TOKEN, MESSENGER_PAGE_TOKEN_VALUE),
        (LINE_CHANNEL_SECRET, LINE_CHANNEL_SECRET_VALUE),
        (LINE_ACCESS_TOKEN, LINE_ACCESS_TOKEN_VALUE),
        (WECHAT_TOKEN, WECHAT_TOKEN_VALUE),
        (WECHAT_APP_SECRET, WECHAT_APP_SECRET_VALUE),
        (TWILIO_AUTH_TOKEN, TWILIO_AUTH_TOKEN_VALUE),
        (STRIPE_SECRET_KEY, STRIPE_SECRET_KEY_VALUE),
        (STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET_VALUE),
    ]
    .into_iter()
    .map(|(name, default)| {
        let value = std::env::var(name).unwrap_or_else(|_| default.to_string());
        (name.to_string(), value)
    })
    .collect()
}

/// Secrets from a fixed map: the local stack's stand-in for the parameter store.
pub struct FixedSecrets(pub HashMap<String, String>);

impl chatdrop_config::SecretSource for FixedSecrets {
    async fn fetch(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, String>, chatdrop_config::ConfigError> {
        Ok(names
            .iter()
            .filter_map(|n| self.0.get(*n).map(|v| (n.to_string(), v.clone())))
            .collect())
    }
}
