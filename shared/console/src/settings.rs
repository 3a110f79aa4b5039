//! The console's own settings, beside the [`chatdrop_config::Config`] every function reads.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `CHATDROP_RETAILER` | the retailer this deployment serves: a user's `custom:retailer` must equal it | required |
//! | `CHATDROP_COGNITO_USER_POOL_ID` | the agents' user pool (`us-east-1_AbC…`) | required |
//! | `CHATDROP_COGNITO_CLIENT_ID` | the console's app client (the ID token's `aud`) | required |
//! | `CHATDROP_COGNITO_REGION` | the pool's region | the pool id's prefix |
//! | `CHATDROP_COGNITO_JWKS_URL` | where the pool's keys are (moto's server serves them at `<moto>/<pool>/.well-known/jwks.json`) | the issuer's `/.well-known/jwks.json` |
//! | `CHATDROP_CONSOLE_RATE` | requests a second one user may make | `10` |

use crate::auth::Pool;
use chatdrop_config::{ConfigError, Vars};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    pub retailer: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub region: String,
    pub jwks_url: String,
    pub rate_per_second: u32,
}

fn required(vars: &impl Vars, name: &'static str) -> Result<String, ConfigError> {
    vars.var(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

impl ConsoleSettings {
    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let user_pool_id = required(vars, "CHATDROP_COGNITO_USER_POOL_ID")?;
        let region = match vars.var("CHATDROP_COGNITO_REGION") {
            Some(r) => r,
            None => user_pool_id
                .split_once('_')
                .map(|(r, _)| r.to_string())
                .ok_or(ConfigError::Invalid {
                    name: "CHATDROP_COGNITO_USER_POOL_ID",
                    problem: "a pool id is <region>_<id>".into(),
                })?,
        };
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        let rate_per_second = match vars.var("CHATDROP_CONSOLE_RATE") {
            None => 10,
            Some(v) => v
                .parse()
                .ok()
                .filter(|r| *r > 0)
                .ok_or(ConfigError::Invalid {
                    name: "CHATDROP_CONSOLE_RATE",
                    problem: format!("`{v}` is not a positive number"),
                })?,
        };
        Ok(ConsoleSettings {
            retailer: required(vars, "CHATDROP_RETAILER")?,
            client_id: required(vars, "CHATDROP_COGNITO_CLIENT_ID")?,
            jwks_url: vars
                .var("CHATDROP_COGNITO_JWKS_URL")
                .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json")),
            user_pool_id,
            region,
            rate_per_second,
        })
    }

    /// `https://cognito-idp.<region>.amazonaws.com/<pool>`: what the tokens' `iss` must be.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }

    pub fn pool(&self) -> Pool {
        Pool {
            issuer: self.issuer(),
            client_id: self.client_id.clone(),
            retailer: self.retailer.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_issuer_and_keys_follow_the_pool() {
        let vars: HashMap<String, String> = [
            ("CHATDROP_RETAILER", "acme"),
            ("CHATDROP_COGNITO_USER_POOL_ID", "eu-west-1_AbC123"),
            ("CHATDROP_COGNITO_CLIENT_ID", "client"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = ConsoleSettings::from_vars(&vars).unwrap();
        assert_eq!(
            s.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            s.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(s.rate_per_second, 10);
        let mut missing = vars.clone();
        missing.remove("CHATDROP_RETAILER");
        assert!(matches!(
            ConsoleSettings::from_vars(&missing),
            Err(ConfigError::Missing("CHATDROP_RETAILER"))
        ));
    }
}
