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
