//! What a deployed function refuses to start with.
//!
//! A function is deployed when it reads its secrets from Secrets Manager, i.e. when
//! `CHATDROP_SECRET_ID` is set (the CDK app sets it on every function; the local stack and the
//! tests never do). Two mistakes then stop it at cold start, with an error naming what to fix,
//! instead of running open:
//!
//! - a secret holding one of the README's public development values ([`crate::dev`]), under any
//!   name: anyone could sign webhooks, or compute pay links and customer pseudonyms;
//! - an `http://` URL where customers or the platforms' APIs are reached: the public base (pay
//!   links, QR codes, Twilio's signed URL), the return pages, every platform API base and the
//!   Stripe base. Plain HTTP would carry access tokens and pay links in the clear. Locally they
//!   are `http://127.0.0.1…` on purpose.

use crate::{Config, ConfigError, dev};

/// The variable that marks a deployed function (the ARN of its secret).
pub const SECRET_ID: &str = "CHATDROP_SECRET_ID";

/// Every URL setting a deployed function must reach over HTTPS, by variable name.
fn urls(config: &Config) -> Vec<(&'static str, Option<&str>)> {
    vec![
        ("CHATDROP_PUBLIC_BASE_URL", Some(&config.public_base_url)),
        (
            "CHATDROP_CHECKOUT_SUCCESS_URL",
            Some(&config.payments.success_url),
        ),
        (
            "CHATDROP_CHECKOUT_CANCEL_URL",
            Some(&config.payments.cancel_url),
        ),
        (
            "CHATDROP_WHATSAPP_GRAPH_BASE",
            Some(&config.whatsapp.graph_base),
        ),
        (
            "CHATDROP_TELEGRAM_API_BASE",
            Some(&config.telegram.api_base),
        ),
        (
            "CHATDROP_MESSENGER_GRAPH_BASE",
            Some(&config.messenger.graph_base),
        ),
        ("CHATDROP_LINE_API_BASE", Some(&config.line.api_base)),
        ("CHATDROP_WECHAT_API_BASE", Some(&config.wechat.api_base)),
        ("CHATDROP_TWILIO_API_BASE", Some(&config.sms.api_base)),
        (
            "CHATDROP_STRIPE_API_BASE",
            config.payments.stripe_api_base.as_deref(),
        ),
    ]
}

/// The first URL of a deployed configuration that is not `https://`.
pub(crate) fn check_urls(config: &Config) -> Result<(), ConfigError> {
    for (name, value) in urls(config) {
        if let Some(url) = value
            && !url.to_ascii_lowercase().starts_with("https://")
        {
            return Err(ConfigError::Invalid {
                name,
                problem: format!(
                    "`{url}` is not https://, and a deployed function ({SECRET_ID} is set) \
                     reaches customers and platforms over HTTPS only"
                ),
            });
        }
    }
    Ok(())
}

/// The first secret holding a public development value, named by its secret name.
pub(crate) fn check_secrets<'a>(
    values: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<(), ConfigError> {
    for (name, value) in values {
        let value = value.trim();
        if dev::SECRETS.iter().any(|(_, public)| *public == value) {
            return Err(ConfigError::PublicDevSecret(name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "deployed_tests.rs"]
mod tests;
