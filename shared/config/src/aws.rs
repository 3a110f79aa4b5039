//! The AWS SDK's configuration on rustls with ring, the one TLS and crypto provider of every
//! function (`chatdrop-tls` says why).
//!
//! [`sdk_config`] is what `aws_config::load_defaults(BehaviorVersion::latest())` gives, with the
//! same hyper 1.x client the SDK's `default-https-client` feature builds (`aws-smithy-runtime`'s
//! `default_https_client`: each client's connector settings and sleep, the proxy from the
//! environment for current behavior versions), only with `CryptoMode::Ring` in place of
//! `CryptoMode::AwsLc`. The workspace builds the SDK without that feature, so a function whose
//! clients came from `aws_config::load_defaults` would have no HTTP client at all.

use aws_config::{BehaviorVersion, SdkConfig};
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

/// `aws_config::load_defaults(BehaviorVersion::latest())` on [`https_client`].
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}
