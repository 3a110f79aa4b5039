//! One TLS stack for every function: rustls on ring.
//!
//! reqwest's `rustls` feature brings aws-lc-rs as rustls's crypto provider, and so does the AWS
//! SDK's `default-https-client`. aws-lc-rs is a large C library, and each function is a
//! bootstrap Lambda downloads and maps on every cold start (the 8 MB goal, README
//! "Performance"), so the workspace builds reqwest with `rustls-no-provider` and the SDK without
//! its default client, and ring does the cryptography for both:
//!
//! - reqwest takes the provider rustls has installed as the process default, and panics when
//!   building a client without one: [`http_client_builder`] installs ring first
//!   ([`install_ring`]), which is how rustls documents choosing a provider
//!   (<https://docs.rs/rustls/0.23/rustls/crypto/struct.CryptoProvider.html#using-the-per-process-default-cryptoprovider>).
//! - The AWS SDK's client names its provider itself: `chatdrop_config::aws` builds it with
//!   `CryptoMode::Ring`.
//!
//! The CLI, xtask and the end-to-end tests are not deployed and keep reqwest's and the SDK's
//! defaults; where they share a build with the functions, the installed ring provider is used
//! by every reqwest client built after it.

/// Installs ring as rustls's process-wide default provider, once; later calls do nothing.
pub fn install_ring() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // `Err` only when another provider was installed first (a test harness that chose its
        // own): that one stays, as rustls intends.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `reqwest::Client::builder()`, with ring installed first.
#[allow(clippy::disallowed_methods)] // the one place allowed to: ring is installed first
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_ring();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_on_ring() {
        http_client_builder().build().expect("client");
        let installed = rustls::crypto::CryptoProvider::get_default().expect("installed");
        let ring = rustls::crypto::ring::default_provider();
        let names = |p: &rustls::crypto::CryptoProvider| {
            p.cipher_suites
                .iter()
                .map(|s| format!("{:?}", s.suite()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(installed), names(&ring));
    }
}
