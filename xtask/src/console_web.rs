//! The console on the local stack's listener, as the CDK app lays it out in AWS.
//!
//! | route | AWS | here |
//! |---|---|---|
//! | `/console/api/*` | HTTP API route with a JWT authorizer → the `console` function | the same handler, called in-process (it verifies the token itself) |
//! | `/console/*` | CloudFront → the S3 bucket of `console/` | the files of `console/` in the repository, read per request (edit and reload) |
//! | `/console/config.json` | written into the bucket by the deploy | made here: moto's Cognito through `/_local/cognito`, the app client |
//! | Cognito's `InitiateAuth` | `https://cognito-idp.<region>.amazonaws.com/` (CORS allowed) | `POST /_local/cognito`, passed to moto, so the page stays on one origin |
//!
//! Every console page is served with a Content Security Policy that allows scripts from this
//! origin only: customer text is inserted as text by the console's code, and the policy stops
//! an inline script even if some future code forgot.

use crate::Error;
use crate::stack::invoke;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use http::{HeaderMap, StatusCode, header};
use std::sync::Arc;

/// Requests larger than this are refused here, as API Gateway refuses what exceeds its own
/// limit; the function's own bound (16 KiB) is smaller.
const MAX_FORWARDED: usize = 1024 * 1024;

/// What the browser needs to sign in and call the API.
#[derive(Clone)]
pub struct ConsoleWeb {
    pub console: Arc<chatdrop_console::Console>,
    /// moto's endpoint (Cognito's API).
    pub aws_endpoint: String,
    pub client_id: String,
    pub http: reqwest::Client,
}

pub fn router(web: ConsoleWeb) -> Router {
    Router::new()
        .route("/console/api/{*rest}", any(api))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/config.json", get(config))
        .route("/console/{*file}", get(file))
        .route("/_local/cognito", post(cognito))
        .with_state(web)
}

async fn api(State(web): State<ConsoleWeb>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORWARDED).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut lambda_request = lambda_http::Request::new(lambda_http::Body::from(bytes.to_vec()));
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    let console = web.console.clone();
    match invoke(async move { console::handle(&console, lambda_request).await }).await {
        Ok(Ok(response)) => {
            let (parts, body) = response.into_parts();
            let bytes = match body {
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "console failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(panic) => {
            tracing::error!(%panic, "console panicked");
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
}

async fn config(State(web): State<ConsoleWeb>) -> Response {
    axum::Json(serde_json::json!({
        "cognitoEndpoint": "/_local/cognito",
        "clientId": web.client_id,
        "apiBase": "/console/api",
    }))
    .into_response()
}

/// `InitiateAuth` (and any other unauthenticated Cognito call the page makes) to moto.
async fn cognito(State(web): State<ConsoleWeb>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Only what a signed-out browser may call: signing in and refreshing.
    if target != "AWSCognitoIdentityProviderService.InitiateAuth" {
        return (StatusCode::FORBIDDEN, "only InitiateAuth").into_response();
    }
    let forwarded = web
        .http
        .post(format!("{}/", web.aws_endpoint))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(body)
        .send()
        .await;
    match forwarded {
        Ok(r) => {
            let status = r.status();
            let body = r.bytes().await.unwrap_or_default();
            (
                status,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
                body,
            )
                .into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn index() -> Response {
    serve("index.html")
}

async fn file(Path(file): Path<String>) -> Response {
    serve(&file)
}

/// A file of `console/`, if the path names one plainly (no `..`, no hidden files).
fn serve(path: &str) -> Response {
    let plain = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if !plain {
        return StatusCode::NOT_FOUND.into_response();
    }
    let full = crate::moto::repo_root().join("console").join(path);
    let Ok(bytes) = std::fs::read(&full) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = match full.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Creates a console user on the stack's pool, as `chatdrop agent create` does.
pub async fn create_agent(
    aws: &aws_config::SdkConfig,
    user_pool_id: &str,
    email: &str,
    role: &str,
    password: &str,
) -> Result<(), Error> {
    chatdrop_ops::agents::create_agent(
        &aws_sdk_cognitoidentityprovider::Client::new(aws),
        user_pool_id,
        email,
        role,
        crate::dev::RETAILER,
        password,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped locale of the web console has exactly English's keys, each with the same
    /// `{placeholders}`, and no key is empty.
    #[test]
    fn every_console_locale_has_every_key_and_placeholder() {
        let dir = crate::moto::repo_root().join("console").join("locales");
        let read = |tag: &str| -> serde_json::Map<String, serde_json::Value> {
            let text = std::fs::read_to_string(dir.join(format!("{tag}.json"))).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let placeholders = |text: &str| -> Vec<String> {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            found.sort();
            found
        };
        let en = read("en");
        for tag in chatdrop_domain::i18n::Lang::SHIPPED {
            let tag = tag.to_string();
            let words = read(&tag);
            let keys = |m: &serde_json::Map<String, serde_json::Value>| {
                m.keys().cloned().collect::<Vec<_>>()
            };
            assert_eq!(keys(&words), keys(&en), "{tag}");
            for (key, english) in &en {
                let text = words[key].as_str().unwrap();
                assert!(!text.trim().is_empty(), "{tag} {key}");
                assert_eq!(
                    placeholders(text),
                    placeholders(english.as_str().unwrap()),
                    "{tag} {key}"
                );
            }
        }
    }

    #[test]
    fn only_plain_paths_of_the_console_folder_are_served() {
        for bad in [
            "../Cargo.toml",
            "pages/../../README.md",
            ".git/config",
            "",
            "a//b",
        ] {
            assert_eq!(serve(bad).status(), StatusCode::NOT_FOUND, "{bad:?}");
        }
        assert_eq!(serve("index.html").status(), StatusCode::OK);
        assert_eq!(serve("locales/ja.json").status(), StatusCode::OK);
    }
}
