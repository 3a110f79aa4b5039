//! The `console` function: the retailer's console API on `/console/api/*` (HTTP API, JSON).
//!
//! Everything it does is in [`chatdrop_console`]: verifying the agent's Cognito token (API
//! Gateway's JWT authorizer checks it too in AWS; the function checks again so the same code
//! runs on the local stack), roles, the size and rate bounds, the audit trail, the live drop
//! view and the orders. This crate only names the handler the runtime calls.

pub use chatdrop_console::Console;
use lambda_http::{Body, Error, Request, Response};

/// One request: always an answer (an error is a JSON status, never a failed invocation).
pub async fn handle(app: &Console, request: Request) -> Result<Response<Body>, Error> {
    Ok(app.handle(request).await)
}
