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

/// Every URL setting a deployed function must reach over HTTPS, by variable name: the public
/// base and return pages, the Stripe base, and each served channel's API base (the settings
/// its registry entry marks `url`).
fn urls(config: &Config) -> Vec<(&'static str, Option<&str>)> {
    let mut urls = vec![
        (
            "CHATDROP_PUBLIC_BASE_URL",
            Some(config.public_base_url.as_str()),
        ),
        (
            "CHATDROP_CHECKOUT_SUCCESS_URL",
            Some(config.payments.success_url.as_str()),
        ),
        (
            "CHATDROP_CHECKOUT_CANCEL_URL",
            Some(config.payments.cancel_url.as_str()),
        ),
        (
            "CHATDROP_STRIPE_API_BASE",
            config.payments.stripe_api_base.as_deref(),
        ),
    ];
    for &channel in &config.channels {
        let settings = config.settings(channel);
        for setting in channel.spec().settings.iter().filter(|s| s.url) {
            urls.push((setting.env, settings.get(setting.env)));
        }
    }
    urls
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
