//! The AWS SDK's configuration on rustls with ring, the one TLS and crypto provider of every
//! function (`chatdrop-tls` says why).
//!
//! [`https_client`] is the same hyper 1.x client the SDK's `default-https-client` feature
//! builds (`aws-smithy-runtime`'s `default_https_client`: each client's connector settings and
//! sleep, the proxy from the environment for current behavior versions), only with
//! `CryptoMode::Ring` in place of `CryptoMode::AwsLc`. The workspace builds the SDK without that feature, so a function whose
//! clients came from `aws_config::load_defaults` would have no HTTP client at all.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The AWS SDK's HTTPS client on rustls with ring.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, runtime_components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The functions' SDK configuration, from the environment Lambda gives every function:
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`), the execution role's credentials in
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>),
/// and `AWS_ENDPOINT_URL` where one is set (moto locally), on [`https_client`].
///
/// Not `aws_config::load_defaults`: its loader links every provider of the default chains
/// (profile files, SSO, STS web identity, ECS and EC2 metadata) whether or not they are asked,
/// and a Lambda never gets past the environment. Retries, timeouts and stalled-stream
/// protection are each client's defaults for the behavior version, as they are under
/// `load_defaults`. Ops' CLI keeps `load_defaults`, for profiles and SSO.
pub async fn sdk_config() -> SdkConfig {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .time_source(SharedTimeSource::default());
    if let Some(sleep) = default_async_sleep() {
        config = config.sleep_impl(sleep);
    }
    if let Some(region) = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")) {
        config = config.region(Region::new(region));
    }
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    config.build()
}
