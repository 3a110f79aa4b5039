//! Secrets in AWS: one Secrets Manager secret holding a JSON object of every secret by name.
//!
//! The CDK app creates the secret and passes its ARN as `CHATDROP_SECRET_ID`; a function reads
//! it once at cold start (one `GetSecretValue` call for all its secrets) and keeps the values in
//! memory for its lifetime. Without `CHATDROP_SECRET_ID` (the local stack, tests) secrets come
//! from environment variables instead.

use crate::{ConfigError, EnvSecrets, ProcessEnv, SecretSource, Vars};
use std::collections::HashMap;

pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManager {
    pub fn new(aws: &aws_config::SdkConfig, secret_id: impl Into<String>) -> Self {
        SecretsManager {
            client: aws_sdk_secretsmanager::Client::new(aws),
            secret_id: secret_id.into(),
        }
    }
}

impl SecretSource for SecretsManager {
    async fn fetch(&self, names: &[&str]) -> Result<HashMap<String, String>, ConfigError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                ConfigError::SecretStore(
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
                )
            })?;
        let text = out
            .secret_string()
            .ok_or_else(|| ConfigError::SecretStore("the secret has no string value".into()))?;
        let all: HashMap<String, String> = serde_json::from_str(text).map_err(|_| {
            // Never echo the parse error: it could quote part of a secret.
            ConfigError::SecretStore("the secret is not a JSON object of strings".into())
        })?;
        Ok(all
            .into_iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .collect())
    }
    fn deployed(&self) -> bool {
        true
    }
}

/// Where a function reads its secrets: Secrets Manager when `CHATDROP_SECRET_ID` is set,
/// else the environment.
pub enum AnySecrets {
    Aws(SecretsManager),
    Env(EnvSecrets),
}

pub fn secret_source(aws: &aws_config::SdkConfig) -> AnySecrets {
    match ProcessEnv.var(crate::deployed::SECRET_ID) {
        Some(id) => AnySecrets::Aws(SecretsManager::new(aws, id)),
        None => AnySecrets::Env(EnvSecrets),
    }
}

impl SecretSource for AnySecrets {
    async fn fetch(&self, names: &[&str]) -> Result<HashMap<String, String>, ConfigError> {
        match self {
            AnySecrets::Aws(s) => s.fetch(names).await,
            AnySecrets::Env(s) => s.fetch(names).await,
        }
    }
    fn deployed(&self) -> bool {
        matches!(self, AnySecrets::Aws(_))
    }
}
