//! The Twilio Verify adapter against the local fake: a code texted, a wrong code, the right
//! one, and the limits (5 checks, nothing pending once approved).

use chatdrop_channels::twilio_verify::{TwilioVerify, TwilioVerifyConfig};
use chatdrop_domain::phone_verify::{CheckOutcome, OneTimeCode, PhoneVerifier, VerifyError};
use xtask::platform::sms::VERIFY_SERVICE_SID;

async fn verifier() -> (TwilioVerify, String) {
    let (url, _server) = xtask::fakes::spawn("127.0.0.1:0").await.unwrap();
    let token =
        xtask::dev::secrets()[chatdrop_domain::channel_spec::vars::TWILIO_AUTH_TOKEN].clone();
    let verifier = TwilioVerify::new(
        reqwest::Client::new(),
        TwilioVerifyConfig {
            api_base: format!("{url}/twilio-verify"),
            service_sid: VERIFY_SERVICE_SID.into(),
            account_sid: xtask::dev::TWILIO_ACCOUNT_SID.into(),
            auth_token: token,
        },
    );
    (verifier, url)
}

/// The code in the last SMS the fake texted `phone`.
async fn texted(url: &str, phone: &str) -> OneTimeCode {
    let outbox = xtask::stack::fetch_outbox(&reqwest::Client::new(), url)
        .await
        .unwrap();
    let sms = outbox
        .iter()
        .rev()
        .find(|e| e.recipient == phone && e.method == "verify")
        .expect("a code was texted");
    let body = sms.body["Body"].as_str().unwrap();
    OneTimeCode::parse(body.rsplit(' ').next().unwrap()).unwrap()
}

#[tokio::test]
async fn a_texted_code_approves_the_phone_once() {
    let (v, url) = verifier().await;
    let phone = "+818012345678";
    assert_eq!(v.start("080-1234").await, Err(VerifyError::InvalidNumber));
    v.start(phone).await.unwrap();
    let code = texted(&url, phone).await;
    let wrong = OneTimeCode::parse(if code.expose() == "000000" {
        "111111"
    } else {
        "000000"
    })
    .unwrap();
    assert_eq!(v.check(phone, &wrong).await, Ok(CheckOutcome::Wrong));
    assert_eq!(v.check(phone, &code).await, Ok(CheckOutcome::Approved));
    assert_eq!(v.check(phone, &code).await, Err(VerifyError::NoPending));
}

#[tokio::test]
async fn five_wrong_codes_lock_the_verification() {
    let (v, url) = verifier().await;
    let phone = "+14155550123";
    v.start(phone).await.unwrap();
    let code = texted(&url, phone).await;
    let wrong = OneTimeCode::parse(if code.expose() == "000000" {
        "111111"
    } else {
        "000000"
    })
    .unwrap();
    for _ in 0..5 {
        assert_eq!(v.check(phone, &wrong).await, Ok(CheckOutcome::Wrong));
    }
    assert_eq!(v.check(phone, &code).await, Err(VerifyError::TooManyChecks));
}
