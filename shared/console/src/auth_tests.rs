//! Tokens signed with a test key (`tests/keys/`, made for these tests only) against a verifier
//! that trusts its public half, on a clock the tests set.

use super::*;
use chatdrop_domain::clock::ManualClock;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

const NOW: i64 = 1_767_225_600;
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test";

fn verifier() -> Verifier {
    let set: JwkSet = serde_json::from_str(include_str!("../tests/keys/jwks.json")).unwrap();
    Verifier::new(
        Pool {
            issuer: ISSUER.into(),
            client_id: "console-client".into(),
            retailer: "acme".into(),
        },
        KeySource::Fixed(set),
        ManualClock::at(NOW),
    )
}

fn claims() -> Value {
    json!({
        "sub": "user-1",
        "email": "ana@example.com",
        "iss": ISSUER,
        "aud": "console-client",
        "token_use": "id",
        "exp": NOW + 3600,
        "iat": NOW,
        "cognito:groups": ["agent"],
        "custom:retailer": "acme",
    })
}

fn sign_with(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(
        include_str!("../tests/keys/trusted.pem"),
        "test-key-1",
        claims,
    )
}

fn with(mut base: Value, name: &str, value: Value) -> Value {
    base[name] = value;
    base
}

async fn verdict(token: &str) -> Result<Agent, AuthError> {
    verifier().verify(token).await
}

#[tokio::test]
async fn a_good_token_gives_the_user_and_the_highest_role() {
    let agent = verdict(&sign(&claims())).await.unwrap();
    assert_eq!(
        agent,
        Agent {
            sub: "user-1".into(),
            email: "ana@example.com".into(),
            role: Role::Agent,
            retailer: "acme".into(),
        }
    );
    let both = with(claims(), "cognito:groups", json!(["agent", "manager"]));
    assert_eq!(verdict(&sign(&both)).await.unwrap().role, Role::Manager);
}

#[tokio::test]
async fn tokens_we_do_not_believe_are_401() {
    let forged = sign_with(
        include_str!("../tests/keys/forger.pem"),
        "test-key-1",
        &claims(),
    );
    let unknown_kid = sign_with(
        include_str!("../tests/keys/forger.pem"),
        "forger",
        &claims(),
    );
    // A good token whose payload was swapped for one that grants more: the signature no
    // longer matches.
    let good = sign(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let richer = with(claims(), "cognito:groups", json!(["manager"]));
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        base64_url(&serde_json::to_vec(&richer).unwrap()),
        parts[2]
    );
    let unsigned = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT","kid":"test-key-1"}"#),
        base64_url(&serde_json::to_vec(&claims()).unwrap())
    );
    let cases: [(&str, String); 11] = [
        ("forged signature", forged),
        ("unknown key", unknown_kid),
        ("payload swapped", swapped),
        ("alg none", unsigned),
        ("garbage", "not.a.token".into()),
        (
            "expired",
            sign(&with(claims(), "exp", json!(NOW - LEEWAY_SECONDS))),
        ),
        (
            "wrong audience",
            sign(&with(claims(), "aud", json!("another-client"))),
        ),
        (
            "wrong issuer",
            sign(&with(
                claims(),
                "iss",
                json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
            )),
        ),
        (
            "access token",
            sign(&with(claims(), "token_use", json!("access"))),
        ),
        ("no exp", {
            let mut c = claims();
            c.as_object_mut().unwrap().remove("exp");
            sign(&c)
        }),
        ("no aud", {
            let mut c = claims();
            c.as_object_mut().unwrap().remove("aud");
            sign(&c)
        }),
    ];
    for (what, token) in cases {
        let err = verdict(&token).await.expect_err(what);
        assert_eq!(err.status(), 401, "{what}: {err}");
    }
    assert_eq!(
        verdict(&sign(&with(claims(), "exp", json!(NOW - LEEWAY_SECONDS))))
            .await
            .unwrap_err(),
        AuthError::Expired
    );
    // Still inside the leeway.
    assert!(
        verdict(&sign(&with(claims(), "exp", json!(NOW - 1))))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn users_we_believe_but_do_not_serve_are_403() {
    for (what, claims) in [
        (
            "other retailer",
            with(claims(), "custom:retailer", json!("globex")),
        ),
        ("no retailer", {
            let mut c = claims();
            c.as_object_mut().unwrap().remove("custom:retailer");
            c
        }),
        (
            "no group",
            with(claims(), "cognito:groups", json!(["viewers"])),
        ),
    ] {
        let err = verdict(&sign(&claims)).await.expect_err(what);
        assert_eq!(err.status(), 403, "{what}: {err}");
    }
}

#[tokio::test]
async fn the_header_must_carry_a_bearer_token() {
    let v = verifier();
    for header in [None, Some(""), Some("Basic abc"), Some("Bearer ")] {
        assert_eq!(
            v.verify_header(header).await.unwrap_err(),
            AuthError::Missing,
            "{header:?}"
        );
    }
    let token = sign(&claims());
    assert!(
        v.verify_header(Some(&format!("Bearer {token}")))
            .await
            .is_ok()
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
