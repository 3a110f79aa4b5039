//! A deployed function refuses the public dev secrets and plain-HTTP URLs; a local one does not.

use super::*;
use crate::{SecretSource, Secrets, Vars, secret_names};
use std::collections::HashMap;

/// A local stack's environment (`infra/events/local.env`'s URLs): plain HTTP everywhere.
fn local() -> HashMap<String, String> {
    [
        ("CHATDROP_TABLE", "t"),
        ("CHATDROP_CATALOG_QUEUE_URL", "https://sqs/catalog"),
        ("CHATDROP_CART_QUEUE_URL", "https://sqs/cart"),
        ("CHATDROP_PAYMENT_QUEUE_URL", "https://sqs/payment"),
        ("CHATDROP_OUTBOUND_QUEUE_URL", "https://sqs/out"),
        ("CHATDROP_PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
        (
            "CHATDROP_CHANNELS",
            "whatsapp,telegram,messenger,line,wechat,sms",
        ),
        ("CHATDROP_WHATSAPP_PHONE_NUMBER_ID", "106000000000002"),
        ("CHATDROP_WECHAT_APP_ID", "wx1"),
        ("CHATDROP_TWILIO_ACCOUNT_SID", "AC1"),
        ("CHATDROP_SMS_FROM", "+15550002222"),
        ("CHATDROP_WHATSAPP_GRAPH_BASE", "http://127.0.0.1:9/graph"),
        ("CHATDROP_TELEGRAM_API_BASE", "http://127.0.0.1:9/telegram"),
        (
            "CHATDROP_MESSENGER_GRAPH_BASE",
            "http://127.0.0.1:9/messenger",
        ),
        ("CHATDROP_LINE_API_BASE", "http://127.0.0.1:9/line"),
        ("CHATDROP_WECHAT_API_BASE", "http://127.0.0.1:9/wechat"),
        ("CHATDROP_TWILIO_API_BASE", "http://127.0.0.1:9/twilio"),
        ("CHATDROP_STRIPE_API_BASE", "http://127.0.0.1:9/stripe"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The same, deployed: the secret's ARN set and every URL on HTTPS.
fn deployed() -> HashMap<String, String> {
    let mut v = local();
    v.insert(
        SECRET_ID.into(),
        "arn:aws:secretsmanager:us-east-1:1:secret:chatdrop-prod/secrets".into(),
    );
    for (name, url) in v.clone() {
        if let Some(rest) = url.strip_prefix("http://127.0.0.1") {
            v.insert(name, format!("https://api.example{rest}"));
        }
    }
    v
}

fn refused_name(vars: &HashMap<String, String>) -> Option<&'static str> {
    match Config::from_vars(vars) {
        Err(ConfigError::Invalid { name, problem }) => {
            assert!(problem.contains("https://"), "{problem}");
            Some(name)
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => None,
    }
}

#[test]
fn a_local_stack_may_use_http_everywhere() {
    assert!(Config::from_vars(&local()).is_ok());
    assert!(Config::from_vars(&deployed()).is_ok());
}

#[test]
fn a_deployed_function_refuses_each_http_url_by_name() {
    for name in [
        "CHATDROP_PUBLIC_BASE_URL",
        "CHATDROP_CHECKOUT_SUCCESS_URL",
        "CHATDROP_CHECKOUT_CANCEL_URL",
        "CHATDROP_WHATSAPP_GRAPH_BASE",
        "CHATDROP_TELEGRAM_API_BASE",
        "CHATDROP_MESSENGER_GRAPH_BASE",
        "CHATDROP_LINE_API_BASE",
        "CHATDROP_WECHAT_API_BASE",
        "CHATDROP_TWILIO_API_BASE",
        "CHATDROP_STRIPE_API_BASE",
    ] {
        let mut v = deployed();
        v.insert(name.into(), "http://shop.example".into());
        assert_eq!(refused_name(&v), Some(name));
    }
    // A channel the deployment does not serve is never called: its URL does not matter.
    let mut v = deployed();
    v.insert("CHATDROP_CHANNELS".into(), "telegram".into());
    v.insert(
        "CHATDROP_LINE_API_BASE".into(),
        "http://shop.example".into(),
    );
    assert_eq!(refused_name(&v), None);
    // The public base reaches the return pages' defaults too: still named as itself.
    let mut v = deployed();
    v.insert(
        "CHATDROP_PUBLIC_BASE_URL".into(),
        "HTTP://shop.example".into(),
    );
    assert_eq!(refused_name(&v), Some("CHATDROP_PUBLIC_BASE_URL"));
    // A platform default (no variable set) is HTTPS already.
    let mut v = deployed();
    v.remove("CHATDROP_LINE_API_BASE");
    v.remove("CHATDROP_STRIPE_API_BASE");
    let c = Config::from_vars(&v).unwrap();
    assert_eq!(
        c.settings(chatdrop_domain::channel::Channel::Line)
            .get("CHATDROP_LINE_API_BASE"),
        Some("https://api.line.me")
    );
    assert!(v.var(SECRET_ID).is_some());
}

/// A secret source, deployed or not.
struct Source {
    values: HashMap<String, String>,
    deployed: bool,
}

impl SecretSource for Source {
    async fn fetch(&self, _: &[&str]) -> Result<HashMap<String, String>, ConfigError> {
        Ok(self.values.clone())
    }

    fn deployed(&self) -> bool {
        self.deployed
    }
}

fn real_values() -> HashMap<String, String> {
    dev::SECRETS
        .iter()
        .map(|(name, _)| {
            (
                name.to_string(),
                format!("real-{name}-0123456789abcdef0123"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_deployed_function_refuses_every_public_dev_secret_by_name() {
    let names: Vec<&str> = dev::SECRETS.iter().map(|(n, _)| *n).collect();
    let real = Source {
        values: real_values(),
        deployed: true,
    };
    assert!(Secrets::load(&real, &names).await.is_ok());
    for (name, public) in dev::SECRETS {
        let mut values = real_values();
        values.insert(name.into(), format!(" {public}\n"));
        let source = Source {
            values: values.clone(),
            deployed: true,
        };
        let err = Secrets::load(&source, &names).await.err();
        assert_eq!(err, Some(ConfigError::PublicDevSecret(name.into())));
        assert!(err.unwrap().to_string().contains(name));
        // The local stack runs on exactly these values.
        let local = Source {
            values,
            deployed: false,
        };
        assert!(Secrets::load(&local, &names).await.is_ok(), "{name}");
    }
    // A dev value under another secret's name is as public.
    let mut values = real_values();
    values.insert(
        secret_names::STRIPE_SECRET_KEY.into(),
        dev::TELEGRAM_SECRET_TOKEN_VALUE.into(),
    );
    let source = Source {
        values,
        deployed: true,
    };
    assert_eq!(
        Secrets::load(&source, &[secret_names::STRIPE_SECRET_KEY])
            .await
            .err(),
        Some(ConfigError::PublicDevSecret(
            secret_names::STRIPE_SECRET_KEY.into()
        ))
    );
}

#[tokio::test]
async fn the_id_key_must_be_long_enough() {
    let source = Source {
        values: [(secret_names::ID_KEY.to_string(), "short".to_string())].into(),
        deployed: false,
    };
    let secrets = Secrets::load(&source, &[secret_names::ID_KEY])
        .await
        .unwrap();
    assert!(matches!(
        secrets.install_id_key(),
        Err(ConfigError::InvalidSecret {
            name: secret_names::ID_KEY,
            ..
        })
    ));
}
