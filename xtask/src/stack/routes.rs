//! The stack's HTTP side: one axum listener in front of the HTTP functions, turning each
//! request into the `lambda_http::Request` API Gateway would deliver and each answer (or panic:
//! a 502, as API Gateway answers for a crashed function) back.

use super::fetch_outbox;
use super::lambda::{Panicked, invoke};
use crate::console_web::ConsoleWeb;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use std::sync::Arc;

/// What the listener's routes share: the HTTP functions and where the fakes are.
#[derive(Clone)]
pub(super) struct HttpState {
    pub ingress: Arc<ingress::Ingress>,
    pub payment_webhook: Arc<payment_webhook::PaymentWebhook>,
    /// KakaoTalk's skill, on `/webhooks/kakao` as API Gateway routes it in the CDK app.
    pub kakao: Arc<kakao::Kakao>,
    pub fakes_url: String,
    pub stripe_url: String,
    pub http: reqwest::Client,
}

/// The listener's routes: webhooks, the payment pages, the local outbox and Stripe control,
/// and the console.
pub(super) fn router(state: HttpState, console: ConsoleWeb) -> Router {
    Router::new()
        .route("/webhooks/{*rest}", any(webhook))
        .route("/p/{token}", get(payment_route))
        .route("/qr/{file}", get(payment_route))
        .route("/paid", get(payment_route))
        .route("/cancelled", get(payment_route))
        .route("/_local/outbox", get(local_outbox))
        .route("/_local/stripe/{*rest}", any(stripe_control))
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state)
        .merge(crate::console_web::router(console))
}

/// The request as Lambda's HTTP integration would deliver it.
async fn lambda_request(request: axum::extract::Request) -> Option<lambda_http::Request> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX).await.ok()?;
    let mut lambda_request = lambda_http::Request::new(lambda_http::Body::from(bytes.to_vec()));
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    Some(lambda_request)
}

async fn webhook(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let path = request.uri().path().trim_end_matches('/');
    let stripe = path.ends_with("/webhooks/stripe");
    let kakao = path.ends_with("/webhooks/kakao") || path.ends_with("/webhooks/kakao/channel");
    let Some(lambda_request) = lambda_request(request).await else {
        return http::StatusCode::BAD_REQUEST.into_response();
    };
    let result = if stripe {
        let app = state.payment_webhook.clone();
        invoke(async move { payment_webhook::handle(&app, lambda_request).await }).await
    } else if kakao {
        let app = state.kakao.clone();
        invoke(async move { kakao::handle(&app, lambda_request).await }).await
    } else {
        let app = state.ingress.clone();
        invoke(async move { ingress::handle(&app, lambda_request).await }).await
    };
    to_axum(result)
}

async fn payment_route(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let Some(lambda_request) = lambda_request(request).await else {
        return http::StatusCode::BAD_REQUEST.into_response();
    };
    let app = state.payment_webhook.clone();
    to_axum(invoke(async move { payment_webhook::handle(&app, lambda_request).await }).await)
}

/// `/_local/stripe/…` on the stack's listener reaches the fake Stripe's control routes, so a
/// session can be paid or expired by hand: `POST /_local/stripe/sessions/{id}/pay`.
async fn stripe_control(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let url = format!("{}{}", state.stripe_url, request.uri());
    let method = request.method().clone();
    let forwarded = state.http.request(method, url).send().await;
    match forwarded {
        Ok(response) => {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            (status, body).into_response()
        }
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

fn to_axum(
    result: Result<Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>, Panicked>,
) -> axum::response::Response {
    match result {
        Err(panic) => {
            // What API Gateway answers when the function crashed; the platform retries.
            tracing::error!(%panic, "HTTP handler panicked");
            http::StatusCode::BAD_GATEWAY.into_response()
        }
        Ok(Ok(response)) => {
            let (parts, body) = response.into_parts();
            let bytes = match body {
                lambda_http::Body::Empty => Vec::new(),
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "HTTP handler failed");
            http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn local_outbox(State(state): State<HttpState>) -> axum::response::Response {
    match fetch_outbox(&state.http, &state.fakes_url).await {
        Ok(entries) => axum::Json(entries).into_response(),
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::invoke;

    /// A crashed HTTP function is answered as API Gateway answers it, so the platform (or
    /// Stripe) retries, instead of the connection closing with no answer.
    #[tokio::test]
    async fn a_panicking_http_handler_is_answered_502_and_the_next_request_is_served() {
        let crashed = invoke(async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok(lambda_http::Response::new(lambda_http::Body::Empty))
        })
        .await;
        assert!(
            matches!(&crashed, Err(Panicked(m)) if m == "boom"),
            "{crashed:?}"
        );
        assert_eq!(to_axum(crashed).status(), http::StatusCode::BAD_GATEWAY);

        let served = invoke(async { Ok(lambda_http::Response::new(lambda_http::Body::Empty)) });
        assert_eq!(to_axum(served.await).status(), http::StatusCode::OK);
    }
}
