//! Twilio Verify behind the domain's [`PhoneVerifier`]: a code texted to a phone and checked
//! (<https://www.twilio.com/docs/verify/api>). Not a chat channel: the SMS it sends is the
//! service's own, from Twilio's pool, so it needs no sender of ours and no window.
//!
//! - start: `POST {base}/v2/Services/{service}/Verifications`, form `To`, `Channel=sms`;
//! - check: `POST {base}/v2/Services/{service}/VerificationCheck`, form `To`, `Code`; 200 with
//!   `status` `approved` (right) or `pending` (wrong);
//! - errors by Twilio's code: 60200 / 21211 a number it cannot text, 60202 five checks used
//!   (429), 60203 five sends (429), 404 (20404) no verification pending (expired, approved).
//!
//! Basic auth with the account SID and auth token, as the Messages API. The base is
//! configurable (`https://verify.twilio.com`, or the local fake). The code goes in one request
//! body and nowhere else: never in a log line, never in an error (a failed request is
//! reported by status and Twilio's code only).

use chatdrop_domain::phone_verify::{
    CheckOutcome, DynPhoneVerifier, OneTimeCode, PhoneVerifier, VerifyError,
};
use std::time::Duration;

/// Where and as whom to call Verify.
#[derive(Clone, Debug)]
pub struct TwilioVerifyConfig {
    /// `https://verify.twilio.com` in production.
    pub api_base: String,
    /// The Verify service (`VA…`).
    pub service_sid: String,
    pub account_sid: String,
    pub auth_token: String,
}

pub struct TwilioVerify {
    client: reqwest::Client,
    config: TwilioVerifyConfig,
}

impl TwilioVerify {
    pub fn new(client: reqwest::Client, config: TwilioVerifyConfig) -> Self {
        TwilioVerify { client, config }
    }

    /// The adapter behind the domain's dyn port, for a function that holds it for its life
    /// (the catalog function, the kakao function).
    pub fn shared(config: TwilioVerifyConfig) -> std::sync::Arc<dyn DynPhoneVerifier> {
        std::sync::Arc::new(TwilioVerify::new(
            chatdrop_tls::http_client_builder()
                .build()
                .unwrap_or_default(),
            config,
        ))
    }

    fn url(&self, resource: &str) -> String {
        format!(
            "{}/v2/Services/{}/{resource}",
            self.config.api_base.trim_end_matches('/'),
            self.config.service_sid
        )
    }

    async fn post(
        &self,
        resource: &str,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, VerifyError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .client
            .post(self.url(resource))
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .header("content-type", "application/x-www-form-urlencoded")
            .timeout(Duration::from_secs(10))
            .body(body)
            .send()
            .await
            // The request's text is not in a reqwest error's message beyond the URL (which
            // carries no code), so it is safe to report.
            .map_err(|e| VerifyError::Unavailable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let json: serde_json::Value = response.json().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let code = json["code"].as_i64();
        Err(match (status, code) {
            (_, Some(60200 | 21211 | 21614)) => VerifyError::InvalidNumber,
            (_, Some(60202)) => VerifyError::TooManyChecks,
            (_, Some(60203)) => VerifyError::TooManySends,
            (404, _) => VerifyError::NoPending,
            _ => VerifyError::Unavailable(format!(
                "Verify {resource}: HTTP {status}, code {}",
                code.map_or_else(|| "none".into(), |c| c.to_string())
            )),
        })
    }
}

impl PhoneVerifier for TwilioVerify {
    async fn start(&self, phone: &str) -> Result<(), VerifyError> {
        self.post("Verifications", &[("To", phone), ("Channel", "sms")])
            .await
            .map(|_| ())
    }

    async fn check(&self, phone: &str, code: &OneTimeCode) -> Result<CheckOutcome, VerifyError> {
        let json = self
            .post(
                "VerificationCheck",
                &[("To", phone), ("Code", code.expose())],
            )
            .await?;
        Ok(match json["status"].as_str() {
            Some("approved") => CheckOutcome::Approved,
            _ => CheckOutcome::Wrong,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server::serve;

    fn verifier(base: &str) -> TwilioVerify {
        TwilioVerify::new(
            chatdrop_tls::http_client_builder().build().unwrap(),
            TwilioVerifyConfig {
                api_base: base.into(),
                service_sid: "VA00000000000000000000000000000001".into(),
                account_sid: "AC00000000000000000000000000000001".into(),
                auth_token: "token".into(),
            },
        )
    }

    fn form(raw: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(raw).into_owned().collect()
    }

    #[tokio::test]
    async fn start_posts_the_number_with_basic_auth() {
        let server = serve(201, vec![], r#"{"sid":"VE1","status":"pending"}"#).await;
        verifier(&server.base).start("+818012345678").await.unwrap();
        let request = &server.requests()[0];
        assert_eq!(
            request.path,
            "/v2/Services/VA00000000000000000000000000000001/Verifications"
        );
        assert!(
            request.headers["authorization"]
                .to_str()
                .unwrap()
                .starts_with("Basic ")
        );
        assert_eq!(
            form(&request.raw),
            [
                ("To".to_string(), "+818012345678".to_string()),
                ("Channel".to_string(), "sms".to_string())
            ]
        );
    }

    #[tokio::test]
    async fn check_reads_approved_and_pending() {
        let code = OneTimeCode::parse("424242").unwrap();
        let approved = serve(200, vec![], r#"{"status":"approved","valid":true}"#).await;
        assert_eq!(
            verifier(&approved.base).check("+818012345678", &code).await,
            Ok(CheckOutcome::Approved)
        );
        let request = &approved.requests()[0];
        assert!(request.path.ends_with("/VerificationCheck"));
        assert!(form(&request.raw).contains(&("Code".into(), "424242".into())));
        let pending = serve(200, vec![], r#"{"status":"pending","valid":false}"#).await;
        assert_eq!(
            verifier(&pending.base).check("+818012345678", &code).await,
            Ok(CheckOutcome::Wrong)
        );
    }

    #[tokio::test]
    async fn twilio_errors_map_to_what_the_customer_is_told_and_never_quote_the_code() {
        let code = OneTimeCode::parse("987654").unwrap();
        for (status, body, expected) in [
            (
                429,
                r#"{"code":60202,"status":429}"#,
                VerifyError::TooManyChecks,
            ),
            (
                429,
                r#"{"code":60203,"status":429}"#,
                VerifyError::TooManySends,
            ),
            (
                404,
                r#"{"code":20404,"status":404}"#,
                VerifyError::NoPending,
            ),
            (
                400,
                r#"{"code":60200,"status":400}"#,
                VerifyError::InvalidNumber,
            ),
        ] {
            let server = serve(status, vec![], body).await;
            assert_eq!(
                verifier(&server.base).check("+818012345678", &code).await,
                Err(expected)
            );
        }
        let broken = serve(500, vec![], "oops").await;
        let error = verifier(&broken.base)
            .check("+818012345678", &code)
            .await
            .unwrap_err();
        assert!(matches!(error, VerifyError::Unavailable(_)));
        assert!(!error.to_string().contains("987654"), "{error}");
    }
}
