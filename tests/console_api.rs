//! The console API's side of its tests: users in the stack's Cognito (moto), their ID tokens
//! through the console's own sign-in route, one call to the API, and the table's keys (to show a
//! refused request wrote nothing).

use super::PASSWORD;
use chatdrop_e2e::Harness;
use serde_json::{Value, json};

/// An ID token for `email` from the stack's Cognito, through the console's sign-in route.
pub(crate) async fn sign_in(h: &Harness, client_id: &str, email: &str) -> Value {
    let response = xtask::local_http::client()
        .post(format!("{}/_local/cognito", h.stack.url))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .json(&json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    body["AuthenticationResult"].clone()
}

pub(crate) async fn id_token(h: &Harness, email: &str) -> String {
    let client = h.stack.provisioned.console.client_id.clone();
    sign_in(h, &client, email).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn create_user(h: &Harness, email: &str, role: &str, retailer: &str) {
    chatdrop_ops::agents::create_agent(
        &aws_sdk_cognitoidentityprovider::Client::new(&h.stack.aws),
        &h.stack.provisioned.console.user_pool_id,
        email,
        role,
        retailer,
        PASSWORD,
    )
    .await
    .unwrap();
}

/// `(status, body)` of a console API call with `token`.
pub(crate) async fn call(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> (u16, String) {
    let mut request = xtask::local_http::client().request(method, format!("{}{path}", h.stack.url));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.header("content-type", "application/json").body(b);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Every item of the stack's table, by key (the proof that a refusal wrote nothing).
/// [`table_keys`] without the per-second request windows (`RATE#…`): the open inbox page
/// refreshes every few seconds with the agent's token, and each request counts in a window.
pub(crate) async fn table_keys_but_rate_windows(h: &Harness) -> Vec<String> {
    let mut keys = table_keys(h).await;
    keys.retain(|k| !k.starts_with("RATE#"));
    keys
}

pub(crate) async fn table_keys(h: &Harness) -> Vec<String> {
    let out = aws_sdk_dynamodb::Client::new(&h.stack.aws)
        .scan()
        .table_name(&h.stack.provisioned.table)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = out
        .items
        .unwrap_or_default()
        .iter()
        .map(|i| {
            format!(
                "{}|{}",
                i["pk"].as_s().unwrap(),
                i["sk"].as_s().unwrap_or(&String::new())
            )
        })
        .collect();
    keys.sort();
    keys
}
