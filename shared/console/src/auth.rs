//! Who is asking: a Cognito ID token, verified here.
//!
//! The console signs in with Cognito's `USER_PASSWORD_AUTH` flow and sends the **ID token** it
//! gets as `Authorization: Bearer …`. The ID token is the one that carries what the console
//! needs: the user's groups (`cognito:groups`, our roles) and custom attributes
//! (`custom:retailer`); the access token has the groups but no attributes
//! (<https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html>).
//!
//! In AWS, API Gateway's JWT authorizer checks the same token before the function runs. The
//! function checks it again, fully, so that the local stack (which has no authorizer) runs the
//! same code and a misconfigured route cannot open the API. What AWS documents for verifying a
//! Cognito token
//! (<https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html>),
//! in order:
//!
//! 1. the header's `kid` names a key of the pool's JWKS
//!    (`https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`; moto's server
//!    serves its own at `<moto>/<pool>/.well-known/jwks.json`), and the signature is RS256 by
//!    that key (the `jsonwebtoken` crate; `none` and HMAC algorithms are refused because only
//!    RS256 is allowed);
//! 2. `iss` is the pool (`https://cognito-idp.<region>.amazonaws.com/<pool>`, moto writes the
//!    same), `aud` is our app client, `token_use` is `id`;
//! 3. `exp` has not passed, on the function's [`Clock`] (so a test can move it).
//!
//! Then what is ours: the groups give the [`Role`] (`manager` over `agent`; neither → 403), and
//! `custom:retailer` must name the deployment's retailer (one deployment serves one retailer,
//! README: Configuration), else 403. Nothing is written before all of this passed: a bad token
//! costs a signature check and nothing else.
//!
//! The keys are fetched once and kept; a token signed by a key we do not know makes one fresh
//! fetch (Cognito rotates keys rarely), at most every [`REFETCH_AFTER`], so a flood of forged
//! `kid`s cannot turn into a flood of JWKS requests.

use chatdrop_domain::clock::Clock;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The least time between two JWKS fetches caused by unknown key ids.
pub const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// Seconds a token is still accepted after its `exp`, for clocks a little apart.
const LEEWAY_SECONDS: i64 = 5;

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the dashboard and the orders, ships.
    Agent,
    /// Everything an agent does, and refunds.
    Manager,
}

/// A verified console user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agent {
    /// Cognito's subject: stable for the user's life.
    pub sub: String,
    pub email: String,
    pub role: Role,
    pub retailer: String,
}

/// Why a request is refused before anything else happens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not a JWT we accept: {0}")]
    Malformed(String),
    #[error("the token is signed by a key the user pool does not have")]
    UnknownKey,
    #[error("the token's signature or claims do not verify: {0}")]
    Invalid(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not an ID token")]
    WrongTokenUse,
    #[error("the user is in neither the agent nor the manager group")]
    NoRole,
    #[error("the user belongs to another retailer")]
    WrongRetailer,
    #[error("the user pool's keys could not be read: {0}")]
    Keys(String),
}

impl AuthError {
    /// 401 for a token we do not believe, 403 for a user we believe but do not serve, 503
    /// when we could not tell.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::NoRole | AuthError::WrongRetailer => 403,
            AuthError::Keys(_) => 503,
            _ => 401,
        }
    }
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The pool's JWKS URL.
    Url(String),
    /// Fixed keys (tests).
    Fixed(JwkSet),
}

/// The user pool a deployment trusts.
#[derive(Debug, Clone)]
pub struct Pool {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub issuer: String,
    /// The console's app client id: the ID token's `aud`.
    pub client_id: String,
    /// The deployment's retailer: `custom:retailer` must equal it.
    pub retailer: String,
}

/// Verifies console tokens.
pub struct Verifier {
    pool: Pool,
    source: KeySource,
    keys: RwLock<Option<(JwkSet, Instant)>>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(rename = "cognito:username", default)]
    username: Option<String>,
    token_use: String,
    exp: i64,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
    #[serde(rename = "custom:retailer", default)]
    retailer: Option<String>,
}

impl Verifier {
    pub fn new(pool: Pool, source: KeySource, clock: Arc<dyn Clock>) -> Self {
        let keys = match &source {
            KeySource::Fixed(set) => Some((set.clone(), Instant::now())),
            KeySource::Url(_) => None,
        };
        Verifier {
            pool,
            source,
            keys: RwLock::new(keys),
            http: chatdrop_tls::http_client_builder()
                .timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default(),
            clock,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The user behind `Authorization: Bearer <token>`, or why not.
    pub async fn verify_header(&self, authorization: Option<&str>) -> Result<Agent, AuthError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        self.verify(token).await
    }

    /// The user behind `token`, or why not.
    pub async fn verify(&self, token: &str) -> Result<Agent, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Malformed(format!("algorithm {:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Malformed("no key id".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.pool.issuer]);
        validation.set_audience(&[&self.pool.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below on our clock, which tests can move.
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?
            .claims;
        if claims.exp + LEEWAY_SECONDS <= self.clock.now() {
            return Err(AuthError::Expired);
        }
        if claims.token_use != "id" {
            return Err(AuthError::WrongTokenUse);
        }
        let role = if claims.groups.iter().any(|g| g == "manager") {
            Role::Manager
        } else if claims.groups.iter().any(|g| g == "agent") {
            Role::Agent
        } else {
            return Err(AuthError::NoRole);
        };
        match claims.retailer {
            Some(r) if r == self.pool.retailer => {}
            _ => return Err(AuthError::WrongRetailer),
        }
        Ok(Agent {
            email: claims.email.or(claims.username).unwrap_or_default(),
            sub: claims.sub,
            role,
            retailer: self.pool.retailer.clone(),
        })
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let (known, fetched_at) = {
            let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
            match keys.as_ref() {
                Some((set, at)) => (set.find(kid).cloned(), Some(*at)),
                None => (None, None),
            }
        };
        if let Some(jwk) = known {
            return DecodingKey::from_jwk(&jwk).map_err(|e| AuthError::Keys(e.to_string()));
        }
        let KeySource::Url(url) = &self.source else {
            return Err(AuthError::UnknownKey);
        };
        if fetched_at.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
            return Err(AuthError::UnknownKey);
        }
        let set: JwkSet = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| AuthError::Keys(e.to_string()))?
            .json()
            .await
            .map_err(|e| AuthError::Keys(e.to_string()))?;
        let found = set.find(kid).cloned();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some((set, Instant::now()));
        let jwk = found.ok_or(AuthError::UnknownKey)?;
        DecodingKey::from_jwk(&jwk).map_err(|e| AuthError::Keys(e.to_string()))
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
