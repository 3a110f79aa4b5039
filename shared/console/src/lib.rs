//! The retailer's console API (`functions/console`, `/console/api/*`).
//!
//! Agents and managers sign in with the retailer's Cognito user pool; the web console in
//! `console/` calls this API with the ID token. The pieces, one concept each:
//!
//! - [`auth`]: verifying the token (signature by the pool's keys, issuer, audience,
//!   `token_use`, expiry) and reading the role and the retailer from it;
//! - [`api`]: the request's path (size, auth, per-user rate, route, audit) and the routes;
//! - [`live`]: the live drop view, built from reads of what the checkout already writes;
//! - [`orders`]: an order as the console shows it;
//! - [`conversation`]: a conversation as the inbox shows it (the inbox's routes are in
//!   `inbox_api.rs`, its rules in `chatdrop_domain::inbox`);
//! - [`settings`]: the console's environment.
//!
//! Order operations the CLI also performs (CSV export, refund) are `chatdrop_ops`'s, so both
//! front ends do the same thing.

pub mod api;
pub mod auth;
pub mod conversation;
pub mod live;
pub mod orders;
pub mod settings;

pub use api::Console;
pub use settings::ConsoleSettings;
