//! Configuration: environment variables parsed once into typed structs, and secrets behind
//! one small trait.
//!
//! Each function calls [`Config::from_env`] once at cold start, before the runtime loop, so a
//! missing variable stops the function at start with an error naming it, instead of failing
//! the first customer. Secrets (app secrets, tokens) never come from `Config`: they come from a
//! [`SecretSource`], environment variables locally and a parameter store read once in AWS, and
//! are held in [`Secret`] values whose `Debug` output is redacted so they cannot reach a log.
//!
//! A deployed function (one whose secrets come from Secrets Manager, `CHATDROP_SECRET_ID`)
//! refuses the public development secrets and plain-HTTP URLs at start: [`deployed`].
//!
//! [`resources`] is the single definition of the table and queues, shared with the local stack
//! and the CDK app.

pub mod aws;
pub mod deployed;
pub mod dev;
pub mod resources;
mod secrets_manager;

pub use secrets_manager::{AnySecrets, SecretsManager, secret_source};

use chatdrop_domain::channel::Channel;
use chatdrop_domain::channel_spec::{ChannelSpec, SettingValue, Side};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ids::{self, IdKey};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("missing secret {0}")]
    MissingSecret(String),
    #[error("could not read secrets: {0}")]
    SecretStore(String),
    #[error(
        "secret {0} holds a public development value (README); a deployed function needs a real one"
    )]
    PublicDevSecret(String),
    #[error("secret {name} is unusable: {problem}")]
    InvalidSecret { name: &'static str, problem: String },
}

/// Reads environment-like variables; a trait so tests need not mutate the process environment.
fn parse_rates(value: Option<&str>) -> Result<Vec<(Channel, u32)>, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name: "CHATDROP_SEND_RATES",
        problem,
    };
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, rate) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("`{pair}` is not channel=rate")))?;
            let channel = Channel::parse(name.trim())
                .ok_or_else(|| invalid(format!("unknown channel `{name}`")))?;
            let rate = rate
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|r| *r > 0)
                .ok_or_else(|| invalid(format!("`{rate}` is not a positive number")))?;
            Ok((channel, rate))
        })
        .collect()
}

pub trait Vars {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Vars for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

fn required(vars: &impl Vars, name: &'static str) -> Result<String, ConfigError> {
    vars.var(name).ok_or(ConfigError::Missing(name))
}

fn or_default(vars: &impl Vars, name: &str, default: &str) -> String {
    vars.var(name).unwrap_or_else(|| default.to_string())
}

/// Everything non-secret a function needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `CHATDROP_TABLE`.
    pub table: String,
    pub queues: QueueUrls,
    /// `CHATDROP_PUBLIC_BASE_URL`: every link we send, and signatures covering our URL, use it.
    pub public_base_url: String,
    /// `CHATDROP_DEFAULT_LANG` (default `en`): the language when the platform gives no locale.
    pub default_lang: Lang,
    /// `CHATDROP_CHANNELS` (default `whatsapp,telegram`): the channels this deployment serves.
    pub channels: Vec<Channel>,
    /// Each served channel's public settings, as its registry entry lists them
    /// ([`ChannelSpec::settings`]).
    pub channel_settings: HashMap<Channel, ChannelSettings>,
    pub payments: PaymentSettings,
    pub delivery: DeliverySettings,
    /// Where agents are told of handoffs, and the handoff timers.
    pub handoff: HandoffSettings,
    /// Each consumed queue's dead-letter queue, where a consumer puts a record it cannot read.
    pub dead_letters: DeadLetterUrls,
    /// Twilio Verify for chats proving a phone, when configured.
    pub verify: Option<VerifySettings>,
}

/// `CHATDROP_{CATALOG,CART,PAYMENT,OUTBOUND}_DLQ_URL`: set for every queue whose
/// `resources.json` entry says `self_dead_letters` (the CDK app grants the send too). A consumer
/// without one returns an undecodable record to the queue instead, for the redrive policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadLetterUrls {
    pub catalog: Option<String>,
    pub cart: Option<String>,
    pub payment: Option<String>,
    pub outbound: Option<String>,
}

/// Stripe closes a Checkout Session at most this long after creating it (and refuses a longer
/// `expires_at`).
const STRIPE_MAX_SESSION_MINUTES: i64 = 24 * 60;
/// How long chatdrop keeps a Stripe page open past the reservation's end: Stripe's 30-minute
/// minimum plus one minute of margin (`chatdrop_payments::stripe::stripe_expires_at`).
const SESSION_PAST_HOLD_MINUTES: i64 = 31;
/// Between our clock and Stripe's, and for the create request's way there.
const CLOCK_SKEW_MINUTES: i64 = 1;

/// The longest reservation whose Stripe page Stripe still accepts: a checkout creates the page
/// right after it reserves, asking for an `expires_at` of hold + 31 minutes from about now,
/// which must stay within Stripe's 24 hours with a minute to spare:
/// 1440 − 31 − 1 = 1408 minutes. Anything longer makes every checkout fail.
pub const MAX_RESERVATION_MINUTES: i64 =
    STRIPE_MAX_SESSION_MINUTES - SESSION_PAST_HOLD_MINUTES - CLOCK_SKEW_MINUTES;

/// `CHATDROP_RESERVATION_MINUTES`: 1 to [`MAX_RESERVATION_MINUTES`], 10 when unset.
fn reservation_minutes(vars: &impl Vars) -> Result<i64, ConfigError> {
    let Some(v) = vars.var("CHATDROP_RESERVATION_MINUTES") else {
        return Ok(10);
    };
    v.trim()
        .parse()
        .ok()
        .filter(|m| (1..=MAX_RESERVATION_MINUTES).contains(m))
        .ok_or(ConfigError::Invalid {
            name: "CHATDROP_RESERVATION_MINUTES",
            problem: format!(
                "`{v}` is not a number of minutes from 1 to {MAX_RESERVATION_MINUTES} (Stripe closes a checkout page within 24 hours, and chatdrop keeps it open {SESSION_PAST_HOLD_MINUTES} minutes past the reservation)"
            ),
        })
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentSettings {
    /// `CHATDROP_RESERVATION_MINUTES` (default 10, at most [`MAX_RESERVATION_MINUTES`]): how
    /// long a checkout holds the stock.
    pub reservation_minutes: i64,
    /// `CHATDROP_STRIPE_API_BASE`: unset in AWS (Stripe's own), the fake's URL locally.
    pub stripe_api_base: Option<String>,
    /// `CHATDROP_CHECKOUT_SUCCESS_URL` (default `{public}/paid`). Each checkout adds the
    /// order's language to it as `lang=…` (`chatdrop_domain::checkout::return_url`).
    pub success_url: String,
    /// `CHATDROP_CHECKOUT_CANCEL_URL` (default `{public}/cancelled`), with `lang=…` likewise.
    pub cancel_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueUrls {
    pub catalog: String,
    pub cart: String,
    pub payment: String,
    pub outbound: String,
}

/// How notify retries a bundle the platform could not take.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySettings {
    /// `CHATDROP_OUTBOUND_DLQ_URL`: where notify itself dead-letters a bundle whose retry
    /// budget is spent. Without it, the queue's own receive count does (and rate-limit
    /// retries then count against it too).
    pub dead_letter_url: Option<String>,
    /// `CHATDROP_SEND_RATES`, e.g. `whatsapp=1000,sms=3`: messages per second per channel,
    /// overriding each platform's default pace (a WhatsApp number's tier, a 10DLC campaign's
    /// throughput).
    pub send_rates: Vec<(Channel, u32)>,
    /// `CHATDROP_RETRY_BASE_SECONDS`: the first retry's delay after a transient send failure;
    /// each further one doubles, up to the outbound queue's visibility timeout (0: retry at
    /// once, for tests).
    pub retry_base_seconds: u64,
}

/// Handoffs to a person (`chatdrop_domain::handoff`).
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffSettings {
    /// `CHATDROP_AGENT_TOPIC_ARN`: the SNS topic agents subscribe to (mail, chat, paging).
    /// Unset: alerts are logged at warn only, which a deployment should not rely on.
    pub agent_topic_arn: Option<String>,
    /// `CHATDROP_HANDOFF_ESCALATE_MINUTES` (default 5) and `CHATDROP_HANDOFF_TIMEOUT_MINUTES`
    /// (default 1440, a day without agent activity), for the sweep.
    pub timers: chatdrop_domain::handoff::HandoffTimers,
}

fn minutes_var(
    vars: &impl Vars,
    name: &'static str,
    default: u64,
) -> Result<std::time::Duration, ConfigError> {
    let minutes = match vars.var(name) {
        None => default,
        Some(v) => {
            v.parse()
                .ok()
                .filter(|m| (1..=43_200).contains(m))
                .ok_or(ConfigError::Invalid {
                    name,
                    problem: format!("`{v}` is not a number of minutes from 1 to 43200"),
                })?
        }
    };
    Ok(std::time::Duration::from_secs(minutes * 60))
}

/// One served channel's public settings, by variable name: each [`Setting`] of its
/// [`ChannelSpec`] that has a value (a required one always does; a default fills an unset one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelSettings(BTreeMap<&'static str, String>);

impl ChannelSettings {
    /// Reads `spec`'s settings; a required one missing is an error naming its variable.
    fn from_vars(spec: &ChannelSpec, vars: &impl Vars) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for setting in spec.settings {
            let value = match (vars.var(setting.env), setting.value) {
                (Some(v), _) => v,
                (None, SettingValue::Default(d)) => d.to_string(),
                (None, SettingValue::Optional) => continue,
                (None, SettingValue::Required) => return Err(ConfigError::Missing(setting.env)),
            };
            let value = if setting.url {
                value.trim_end_matches('/').to_string()
            } else {
                value
            };
            values.insert(setting.env, value);
        }
        Ok(ChannelSettings(values))
    }

    /// The value of the setting named `env`, if it has one.
    pub fn get(&self, env: &str) -> Option<&str> {
        self.0.get(env).map(String::as_str)
    }

    /// Every setting with its value, by variable name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&ProcessEnv)
    }

    pub fn from_vars(vars: &impl Vars) -> Result<Config, ConfigError> {
        let channels = or_default(vars, "CHATDROP_CHANNELS", "whatsapp,telegram")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Channel::parse(name).ok_or_else(|| ConfigError::Invalid {
                    name: "CHATDROP_CHANNELS",
                    problem: format!("unknown channel `{name}`"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lang_code = or_default(vars, "CHATDROP_DEFAULT_LANG", "en");
        // The default closes every fallback chain, so it must be a language we ship whole.
        let default_lang = Lang::parse(&lang_code)
            .map_err(|e| e.to_string())
            .and_then(|lang| {
                Lang::SHIPPED
                    .contains(&lang)
                    .then_some(lang)
                    .ok_or_else(|| {
                        let shipped: Vec<&str> = Lang::SHIPPED.iter().map(Lang::code).collect();
                        format!("`{lang}` is not one of {}", shipped.join(", "))
                    })
            })
            .map_err(|problem| ConfigError::Invalid {
                name: "CHATDROP_DEFAULT_LANG",
                problem,
            })?;
        let public_base_url = required(vars, "CHATDROP_PUBLIC_BASE_URL")?;
        if !public_base_url.starts_with("https://") && !public_base_url.starts_with("http://") {
            return Err(ConfigError::Invalid {
                name: "CHATDROP_PUBLIC_BASE_URL",
                problem: "must start with https:// (or http:// locally)".into(),
            });
        }
        let channel_settings = channels
            .iter()
            .map(|&c| Ok((c, ChannelSettings::from_vars(c.spec(), vars)?)))
            .collect::<Result<HashMap<_, _>, ConfigError>>()?;
        let deployed = vars.var(deployed::SECRET_ID).is_some();
        let config = Config {
            verify: VerifySettings::from_vars(vars)?,
            table: required(vars, "CHATDROP_TABLE")?,
            queues: QueueUrls {
                catalog: required(vars, "CHATDROP_CATALOG_QUEUE_URL")?,
                cart: required(vars, "CHATDROP_CART_QUEUE_URL")?,
                payment: required(vars, "CHATDROP_PAYMENT_QUEUE_URL")?,
                outbound: required(vars, "CHATDROP_OUTBOUND_QUEUE_URL")?,
            },
            dead_letters: DeadLetterUrls {
                catalog: vars.var("CHATDROP_CATALOG_DLQ_URL"),
                cart: vars.var("CHATDROP_CART_DLQ_URL"),
                payment: vars.var("CHATDROP_PAYMENT_DLQ_URL"),
                outbound: vars.var("CHATDROP_OUTBOUND_DLQ_URL"),
            },
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            default_lang,
            channels,
            channel_settings,
            delivery: DeliverySettings {
                dead_letter_url: vars.var("CHATDROP_OUTBOUND_DLQ_URL"),
                send_rates: parse_rates(vars.var("CHATDROP_SEND_RATES").as_deref())?,
                retry_base_seconds: match vars.var("CHATDROP_RETRY_BASE_SECONDS") {
                    None => 30,
                    Some(v) => v.parse().ok().filter(|s| (0..=900).contains(s)).ok_or(
                        ConfigError::Invalid {
                            name: "CHATDROP_RETRY_BASE_SECONDS",
                            problem: format!("`{v}` is not a number of seconds from 0 to 900"),
                        },
                    )?,
                },
            },
            handoff: HandoffSettings {
                agent_topic_arn: vars.var("CHATDROP_AGENT_TOPIC_ARN"),
                timers: chatdrop_domain::handoff::HandoffTimers {
                    escalate_after: minutes_var(vars, "CHATDROP_HANDOFF_ESCALATE_MINUTES", 5)?,
                    hand_back_after: minutes_var(vars, "CHATDROP_HANDOFF_TIMEOUT_MINUTES", 1440)?,
                },
            },
            payments: PaymentSettings {
                reservation_minutes: reservation_minutes(vars)?,
                stripe_api_base: vars.var("CHATDROP_STRIPE_API_BASE"),
                success_url: vars
                    .var("CHATDROP_CHECKOUT_SUCCESS_URL")
                    .unwrap_or_else(|| format!("{}/paid", public_base_url.trim_end_matches('/'))),
                cancel_url: vars.var("CHATDROP_CHECKOUT_CANCEL_URL").unwrap_or_else(|| {
                    format!("{}/cancelled", public_base_url.trim_end_matches('/'))
                }),
            },
        };
        if deployed {
            deployed::check_urls(&config)?;
        }
        Ok(config)
    }

    pub fn serves(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// A served channel's settings; empty for a channel this deployment does not serve.
    pub fn settings(&self, channel: Channel) -> &ChannelSettings {
        static NONE: std::sync::OnceLock<ChannelSettings> = std::sync::OnceLock::new();
        self.channel_settings
            .get(&channel)
            .unwrap_or_else(|| NONE.get_or_init(ChannelSettings::default))
    }

    /// What the payment-side functions share: reservation length, pay-link base, return URLs,
    /// and the identifier key order ids and pay tokens are derived under
    /// ([`Secrets::install_id_key`]).
    pub fn checkout_settings(&self, ids: IdKey) -> chatdrop_domain::checkout::CheckoutSettings {
        chatdrop_domain::checkout::CheckoutSettings {
            hold_minutes: self.payments.reservation_minutes,
            public_base_url: self.public_base_url.clone(),
            success_url: self.payments.success_url.clone(),
            cancel_url: self.payments.cancel_url.clone(),
            default_lang: self.default_lang,
            ids,
        }
    }
}

/// A secret value; `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The names of the secrets that belong to no channel, as environment variables and keys of
/// the deployment's secret. Each channel's own are in its registry entry
/// ([`ChannelSpec::secrets`], names in `chatdrop_domain::channel_spec::vars`).
pub mod secret_names {
    pub const STRIPE_SECRET_KEY: &str = "CHATDROP_STRIPE_SECRET_KEY";
    pub const STRIPE_WEBHOOK_SECRET: &str = "CHATDROP_STRIPE_WEBHOOK_SECRET";
    /// Keys customer pseudonyms, order ids and pay tokens (`chatdrop_domain::ids`): every function.
    pub const ID_KEY: &str = "CHATDROP_ID_KEY";

    /// The secrets of no channel.
    pub const GENERAL: [&str; 3] = [STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, ID_KEY];
}

/// Every secret a deployment's secret may hold: each channel's, then the general ones. The CDK
/// app lists these as the secret's keys (through `cargo xtask channels`).
pub fn all_secret_names() -> Vec<&'static str> {
    Channel::ALL
        .iter()
        .flat_map(|c| c.spec().secrets.iter().map(|s| s.name))
        .chain(secret_names::GENERAL)
        .collect()
}

/// Where secrets come from: one batched read at cold start.
pub trait SecretSource: Send + Sync {
    fn fetch(
        &self,
        names: &[&str],
    ) -> impl Future<Output = Result<HashMap<String, String>, ConfigError>> + Send;

    /// Whether these are a deployment's secrets (Secrets Manager), which must not be the public
    /// development values.
    fn deployed(&self) -> bool {
        false
    }
}

/// Secrets from environment variables (local stack and tests).
#[derive(Debug, Clone, Copy)]
pub struct EnvSecrets;

impl SecretSource for EnvSecrets {
    async fn fetch(&self, names: &[&str]) -> Result<HashMap<String, String>, ConfigError> {
        Ok(names
            .iter()
            .filter_map(|n| ProcessEnv.var(n).map(|v| (n.to_string(), v)))
            .collect())
    }
}

/// Secrets read at start, each required one checked.
pub struct Secrets(HashMap<String, String>);

impl Secrets {
    /// Fetches `names` in one call; any missing one is an error naming it, and so, from a
    /// deployment's source, is any holding a public development value.
    pub async fn load(source: &impl SecretSource, names: &[&str]) -> Result<Secrets, ConfigError> {
        let values = source.fetch(names).await?;
        for name in names {
            if values.get(*name).is_none_or(|v| v.trim().is_empty()) {
                return Err(ConfigError::MissingSecret(name.to_string()));
            }
        }
        if source.deployed() {
            deployed::check_secrets(names.iter().filter_map(|n| values.get_key_value(*n)))?;
        }
        Ok(Secrets(values))
    }

    /// [`load`](Secrets::load) of `names` and the identifier key, which it installs as this
    /// process's pseudonym key ([`install_id_key`](Secrets::install_id_key)): what every function
    /// does first at cold start.
    pub async fn load_with_id_key(
        source: &impl SecretSource,
        names: &[&str],
    ) -> Result<(Secrets, IdKey), ConfigError> {
        let mut all = names.to_vec();
        all.push(secret_names::ID_KEY);
        let secrets = Secrets::load(source, &all).await?;
        let key = secrets.install_id_key()?;
        Ok((secrets, key))
    }

    /// The identifier key (`CHATDROP_ID_KEY`, which `load` must have been asked for), installed
    /// as this process's pseudonym key (`chatdrop_domain::ids::install`) and returned for
    /// [`Config::checkout_settings`]. At least 32 characters: `openssl rand -hex 32` makes one.
    pub fn install_id_key(&self) -> Result<IdKey, ConfigError> {
        let name = secret_names::ID_KEY;
        let value = self.get(name);
        if value.expose().len() < 32 {
            return Err(ConfigError::InvalidSecret {
                name,
                problem: "shorter than 32 characters".into(),
            });
        }
        let key = IdKey::new(value.expose().as_bytes());
        ids::install(key.clone()).map_err(|e| ConfigError::InvalidSecret {
            name,
            problem: e.to_string(),
        })?;
        Ok(key)
    }

    pub fn get(&self, name: &str) -> Secret {
        // `load` checked every name the caller asked for; a name it did not ask for is a bug.
        Secret::new(
            self.0
                .get(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default(),
        )
    }
}

/// Twilio Verify, for chats proving a phone by a texted code (`chatdrop_domain::phone_dialogue`):
/// set only where a drop may take one person per phone. The account and its auth token are the
/// SMS channel's (`CHATDROP_TWILIO_ACCOUNT_SID`, the `CHATDROP_TWILIO_AUTH_TOKEN` secret).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifySettings {
    /// `CHATDROP_TWILIO_VERIFY_SERVICE_SID`: the Verify service (`VA…`).
    pub service_sid: String,
    /// `CHATDROP_TWILIO_VERIFY_API_BASE` (default `https://verify.twilio.com`; the fake locally).
    pub api_base: String,
    /// `CHATDROP_TWILIO_ACCOUNT_SID`.
    pub account_sid: String,
}

impl VerifySettings {
    /// The secret the verifier authenticates with.
    pub const AUTH_TOKEN: &str = chatdrop_domain::channel_spec::vars::TWILIO_AUTH_TOKEN;

    /// The settings, when a Verify service is configured; a service without the account is
    /// an error (codes could never be sent).
    pub fn from_vars(vars: &impl Vars) -> Result<Option<VerifySettings>, ConfigError> {
        let Some(service_sid) = vars.var("CHATDROP_TWILIO_VERIFY_SERVICE_SID") else {
            return Ok(None);
        };
        Ok(Some(VerifySettings {
            service_sid,
            api_base: or_default(
                vars,
                "CHATDROP_TWILIO_VERIFY_API_BASE",
                "https://verify.twilio.com",
            )
            .trim_end_matches('/')
            .to_string(),
            account_sid: required(
                vars,
                chatdrop_domain::channel_spec::vars::TWILIO_ACCOUNT_SID,
            )?,
        }))
    }
}

/// What a channel's adapter is built from on `side`: the channel's settings and the secrets
/// that side needs, by variable name (`chatdrop_channels::registry::Values`).
pub fn channel_values(
    config: &Config,
    secrets: &Secrets,
    channel: Channel,
    side: Side,
) -> Vec<(&'static str, String)> {
    let settings = config
        .settings(channel)
        .iter()
        .map(|(k, v)| (k, v.to_string()));
    let secrets = channel
        .spec()
        .secrets_for(side)
        .map(|name| (name, secrets.get(name).expose().to_string()));
    settings.chain(secrets).collect()
}

/// The secrets a function playing `side` needs for the channels this deployment serves.
pub fn channel_secrets(config: &Config, side: Side) -> Vec<&'static str> {
    config
        .channels
        .iter()
        .flat_map(|c| c.spec().secrets_for(side))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::channel_spec::vars;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn full() -> HashMap<String, String> {
        vars(&[
            ("CHATDROP_TABLE", "t"),
            ("CHATDROP_CATALOG_QUEUE_URL", "http://q/catalog"),
            ("CHATDROP_CART_QUEUE_URL", "http://q/cart"),
            ("CHATDROP_PAYMENT_QUEUE_URL", "http://q/payment"),
            ("CHATDROP_OUTBOUND_QUEUE_URL", "http://q/out"),
            ("CHATDROP_PUBLIC_BASE_URL", "https://shop.example/"),
            ("CHATDROP_WHATSAPP_PHONE_NUMBER_ID", "106000000000002"),
        ])
    }

    #[test]
    fn parses_with_defaults() {
        let c = Config::from_vars(&full()).unwrap();
        assert_eq!(c.public_base_url, "https://shop.example");
        assert_eq!(c.default_lang, Lang::EN);
        assert_eq!(c.channels, vec![Channel::Whatsapp, Channel::Telegram]);
        assert_eq!(
            c.settings(Channel::Whatsapp).get(vars::WHATSAPP_GRAPH_BASE),
            Some("https://graph.facebook.com")
        );
        assert_eq!(
            c.settings(Channel::Whatsapp)
                .get(vars::WHATSAPP_ORDER_TEMPLATE),
            None
        );
        assert_eq!(
            c.settings(Channel::Line).get(vars::LINE_API_BASE),
            None,
            "not served"
        );
        assert_eq!(c.payments.reservation_minutes, 10);
        assert_eq!(c.payments.success_url, "https://shop.example/paid");
    }

    #[test]
    fn each_added_channel_names_what_it_needs_and_rates_parse() {
        let mut v = full();
        v.insert("CHATDROP_CHANNELS".into(), "whatsapp,wechat,sms".into());
        assert_eq!(
            Config::from_vars(&v),
            Err(ConfigError::Missing("CHATDROP_WECHAT_APP_ID"))
        );
        v.insert("CHATDROP_WECHAT_APP_ID".into(), "wx1".into());
        assert_eq!(
            Config::from_vars(&v),
            Err(ConfigError::Missing("CHATDROP_TWILIO_ACCOUNT_SID"))
        );
        v.insert("CHATDROP_TWILIO_ACCOUNT_SID".into(), "AC1".into());
        v.insert("CHATDROP_SMS_FROM".into(), "+15550002222".into());
        v.insert(
            "CHATDROP_SEND_RATES".into(),
            " whatsapp=1000, sms=3 ".into(),
        );
        let c = Config::from_vars(&v).unwrap();
        assert_eq!(
            c.delivery.send_rates,
            [(Channel::Whatsapp, 1000), (Channel::Sms, 3)]
        );
        assert_eq!(
            c.settings(Channel::Wechat).get(vars::WECHAT_API_BASE),
            Some("https://api.weixin.qq.com")
        );
        for bad in ["whatsapp", "fax=3", "sms=0", "sms=x"] {
            v.insert("CHATDROP_SEND_RATES".into(), bad.into());
            assert!(
                matches!(
                    Config::from_vars(&v),
                    Err(ConfigError::Invalid {
                        name: "CHATDROP_SEND_RATES",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_missing_variable_is_named() {
        let mut v = full();
        v.remove("CHATDROP_CART_QUEUE_URL");
        assert_eq!(
            Config::from_vars(&v),
            Err(ConfigError::Missing("CHATDROP_CART_QUEUE_URL"))
        );
        let mut v = full();
        v.remove("CHATDROP_WHATSAPP_PHONE_NUMBER_ID");
        assert_eq!(
            Config::from_vars(&v),
            Err(ConfigError::Missing("CHATDROP_WHATSAPP_PHONE_NUMBER_ID"))
        );
        v.insert("CHATDROP_CHANNELS".into(), "telegram".into());
        assert!(Config::from_vars(&v).is_ok(), "not needed without WhatsApp");
    }

    #[test]
    fn reservation_minutes_stay_within_what_stripe_accepts() {
        let with = |value: &str| {
            let mut v = full();
            v.insert("CHATDROP_RESERVATION_MINUTES".into(), value.into());
            Config::from_vars(&v).map(|c| c.payments.reservation_minutes)
        };
        assert_eq!(MAX_RESERVATION_MINUTES, 1408);
        assert_eq!(with("1"), Ok(1));
        assert_eq!(with("1408"), Ok(1408));
        assert_eq!(with(" 45 "), Ok(45));
        // 1409 asks Stripe for an expiry 24 h 0 min after the reservation starts: refused.
        for bad in ["0", "-5", "1409", "1440", "2000", "ten", ""] {
            match with(bad) {
                Err(ConfigError::Invalid { name, problem }) => {
                    assert_eq!(name, "CHATDROP_RESERVATION_MINUTES", "{bad}");
                    assert!(problem.contains("from 1 to 1408"), "{problem}");
                }
                other => panic!("`{bad}` gave {other:?}"),
            }
        }
    }

    #[test]
    fn bad_values_are_rejected() {
        let mut v = full();
        v.insert("CHATDROP_CHANNELS".into(), "whatsapp,fax".into());
        assert!(matches!(
            Config::from_vars(&v),
            Err(ConfigError::Invalid {
                name: "CHATDROP_CHANNELS",
                ..
            })
        ));
        let mut v = full();
        v.insert("CHATDROP_DEFAULT_LANG".into(), "xx".into());
        assert!(Config::from_vars(&v).is_err());
    }

    struct Fixed(HashMap<String, String>);
    impl SecretSource for Fixed {
        async fn fetch(&self, _: &[&str]) -> Result<HashMap<String, String>, ConfigError> {
            Ok(self.0.clone())
        }
    }

    #[tokio::test]
    async fn a_missing_secret_is_named_and_secrets_never_print() {
        let source = Fixed(vars(&[("A", "s3cr3t")]));
        let err = Secrets::load(&source, &["A", "B"]).await.err().unwrap();
        assert_eq!(err, ConfigError::MissingSecret("B".into()));
        let secrets = Secrets::load(&source, &["A"]).await.unwrap();
        let s = secrets.get("A");
        assert_eq!(s.expose(), "s3cr3t");
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}
