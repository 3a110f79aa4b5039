//! Starting the fake ([`spawn`]), its routes, and the [`FakeStripe`] handle whose helpers call
//! the control routes.

use super::control::{
    control_async_failed, control_async_succeeded, control_expire, control_forget, control_pay,
    control_resend, list_events, list_sessions,
};
use super::page::{page, page_pay, page_settle};
use super::refunds::api_refund;
use super::sessions::{api_create, api_expire, api_retrieve};
use super::state::{Delivery, Emitted, Fake, FakeEvent, FakeSession};
use super::transitions::expire_lapsed_sessions;
use crate::Error;
use axum::Router;
use axum::http::Method;
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;

/// How long a webhook delivery may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on a running fake Stripe, with helpers that call its control routes.
#[derive(Clone, Debug)]
pub struct FakeStripe {
    base: String,
    http: reqwest::Client,
    server: tokio::task::AbortHandle,
}

/// Serves a fake Stripe on `addr` that sends its events to `webhook_url`, signed with
/// `webhook_secret`. Returns the base URL for `StripeGateway::new` and a handle; the server
/// runs until the runtime ends or [`FakeStripe::abort`].
pub async fn spawn(
    addr: &str,
    webhook_url: String,
    webhook_secret: String,
) -> Result<(String, FakeStripe), Error> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let http = crate::local_http::builder()
        .timeout(DELIVERY_TIMEOUT)
        .build()?;
    let fake = Fake {
        records: Arc::default(),
        base: base.clone(),
        webhook_url,
        webhook_secret,
        http: http.clone(),
    };
    let app = router(fake.clone());
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = expire_lapsed_sessions(fake) => {}
        }
    });
    let handle = FakeStripe {
        base: base.clone(),
        http,
        server: task.abort_handle(),
    };
    Ok((base, handle))
}

fn router(fake: Fake) -> Router {
    Router::new()
        .route("/v1/checkout/sessions", post(api_create))
        .route("/v1/checkout/sessions/{id}", get(api_retrieve))
        .route("/v1/checkout/sessions/{id}/expire", post(api_expire))
        .route("/v1/refunds", post(api_refund))
        .route("/pay/{id}", get(page).post(page_pay))
        .route("/pay/{id}/settle", post(page_settle))
        .route("/_local/stripe/sessions", get(list_sessions))
        .route("/_local/stripe/sessions/{id}/pay", post(control_pay))
        .route("/_local/stripe/sessions/{id}/expire", post(control_expire))
        .route(
            "/_local/stripe/sessions/{id}/async_payment_succeeded",
            post(control_async_succeeded),
        )
        .route(
            "/_local/stripe/sessions/{id}/async_payment_failed",
            post(control_async_failed),
        )
        .route("/_local/stripe/sessions/{id}/forget", post(control_forget))
        .route("/_local/stripe/events", get(list_events))
        .route("/_local/stripe/events/{id}/resend", post(control_resend))
        .with_state(fake)
}

impl FakeStripe {
    /// The base URL, as `StripeGateway::new` takes it.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Stops the server.
    pub fn abort(&self) {
        self.server.abort();
    }

    async fn control<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<T, Error> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("fake Stripe {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Pays an open session (a card payment): it becomes `complete`/`paid` and
    /// `checkout.session.completed` is delivered before this returns.
    pub async fn pay(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay");
        self.control(Method::POST, &path).await
    }

    /// Completes an open session with a delayed method: `complete`/`unpaid`, and a
    /// `checkout.session.completed` whose payment is still pending.
    pub async fn pay_delayed(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay?delayed=true");
        self.control(Method::POST, &path).await
    }

    /// Pays an open session with `method` (a Stripe name among its allowed types): `paid`, or
    /// `unpaid` with the payment pending for a method that settles later (Konbini, Pix).
    pub async fn pay_with(&self, session_id: &str, method: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/pay?method={method}");
        self.control(Method::POST, &path).await
    }

    /// Settles a delayed payment: `checkout.session.async_payment_succeeded`.
    pub async fn async_payment_succeeded(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/async_payment_succeeded");
        self.control(Method::POST, &path).await
    }

    /// Fails a delayed payment: `checkout.session.async_payment_failed`.
    pub async fn async_payment_failed(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/async_payment_failed");
        self.control(Method::POST, &path).await
    }

    /// Expires an open session; `checkout.session.expired` is delivered before this returns.
    pub async fn expire(&self, session_id: &str) -> Result<Emitted, Error> {
        let path = format!("/_local/stripe/sessions/{session_id}/expire");
        self.control(Method::POST, &path).await
    }

    /// Delivers a sent event again (same id and body, a fresh signature).
    pub async fn resend(&self, event_id: &str) -> Result<Delivery, Error> {
        let path = format!("/_local/stripe/events/{event_id}/resend");
        self.control(Method::POST, &path).await
    }

    /// Forgets a session: the API answers 404 about it from now on (a session created with
    /// another key, or deleted).
    pub async fn forget(&self, session_id: &str) -> Result<(), Error> {
        self.http
            .post(format!(
                "{}/_local/stripe/sessions/{session_id}/forget",
                self.base
            ))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    pub async fn sessions(&self) -> Result<Vec<FakeSession>, Error> {
        self.control(Method::GET, "/_local/stripe/sessions").await
    }

    pub async fn events(&self) -> Result<Vec<FakeEvent>, Error> {
        self.control(Method::GET, "/_local/stripe/events").await
    }
}
