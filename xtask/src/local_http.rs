//! HTTP clients for the local stack's own plain-HTTP endpoints: the listener, the fakes, the
//! fake Stripe and moto, all on loopback.
//!
//! `reqwest::Client::new()` sets up TLS for the public internet: with the `rustls` feature it
//! builds `rustls-platform-verifier`'s verifier, which loads and parses the system's root
//! certificates. In a debug build that measured 43 ms of CPU per client on this project's
//! 2-core machine (2026-12-04), and the end-to-end tests built one for every poll of the fakes'
//! outbox, every 50 ms while they waited for a reply: most of a core spent loading
//! certificates that a request to `http://127.0.0.1` never uses. A client with an empty root
//! store (`tls_certs_only` with no certificates) builds in well under a millisecond and sends
//! plain HTTP exactly as before; an `https://` URL fails its handshake instead of being trusted.
//!
//! A client is built per call rather than kept in a `static`: a client's pooled connections
//! belong to the Tokio runtime that opened them, and every `#[tokio::test]` has its own.

/// A client for loopback endpoints, following redirects as `reqwest::Client::new()` does.
pub fn client() -> reqwest::Client {
    builder()
        .build()
        .expect("a client with static settings builds")
}

/// A client for loopback endpoints that returns redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with static settings builds")
}

/// The builder behind both, for callers that add settings of their own.
pub fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_certs_only([])
}
