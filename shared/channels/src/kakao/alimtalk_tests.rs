//! The SENS adapter against a local server: the signature against vectors computed from NAVER
//! Cloud's documented algorithm, the request SENS documents, and each failure classified.

use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;

const SERVICE: &str = "ncp:kkobizmsg:kr:0000000:chatdrop-dev";

fn config(base: &str) -> SensConfig {
    SensConfig {
        api_base: base.into(),
        access_key: "dev-sens-access-key".into(),
        secret_key: "dev-sens-secret-key".into(),
        service_id: SERVICE.into(),
        plus_friend_id: "@chatdrop-dev".into(),
    }
}

fn message() -> AlimtalkMessage {
    AlimtalkMessage {
        template_code: "CD_PAID_01".into(),
        country_code: "82".into(),
        to: "01012345678".into(),
        content: "[메종] 주문 A1B2C3D4 결제가 완료되었습니다.".into(),
    }
}

fn customer() -> ConversationId {
    ConversationId::new(Channel::Kakao, "3a9f0c2b7d1e4f5a8b6c")
}

/// The answer SENS documents for an accepted send (sens-alimtalk-send, "Response example").
const ACCEPTED_BODY: &str = r#"{"requestId":"RAPI-1a2b3c4d-0001","requestTime":"2026-12-04T19:00:00.000","statusCode":"202","statusName":"success","messages":[{"messageId":"5f6e7d8c-0000-4000-8000-000000000001","countryCode":"82","to":"01012345678","content":"…","requestStatusCode":"A000","requestStatusName":"success","requestStatusDesc":"성공","useSmsFailover":false}]}"#;

#[test]
fn the_signature_is_ncloud_apigw_v2() {
    // Computed from the documented algorithm with NAVER's own shell recipe
    // (<https://api.ncloud-docs.com/docs/en/common-ncpapi>, "makeSignature"):
    //   printf 'GET /photos/puppy.jpg?query1=&query2\n1505290625682\nAKIDEXAMPLE' \
    //     | openssl dgst -sha256 -hmac SECRETKEYEXAMPLE -binary | openssl enc -base64
    assert_eq!(
        signature(
            "SECRETKEYEXAMPLE",
            "GET",
            "/photos/puppy.jpg?query1=&query2",
            "1505290625682",
            "AKIDEXAMPLE"
        ),
        "6rjWbRp0GRVqiu05EbzqCdQaVHsnqnKfehK6gDnUZTo="
    );
    // The local stack's send, computed the same way.
    assert_eq!(
        signature(
            "dev-sens-secret-key",
            "POST",
            &messages_path(SERVICE),
            "1767225600000",
            "dev-sens-access-key"
        ),
        "2aUjk8KBPbqdVl3N0uu8B7907T4VsfXm4ewj5olkmns="
    );
}

#[tokio::test]
async fn one_signed_send_of_the_filled_template() {
    let server = test_server::serve(202, vec![], ACCEPTED_BODY).await;
    let sens = SensAlimtalk::new(
        crate::http_client(Duration::from_secs(5)),
        config(&format!("{}/sens", server.base)),
    );
    let sent = sens
        .send_at(&customer(), &message(), 1_767_225_600_000)
        .await
        .expect("accepted");
    assert_eq!(
        sent,
        Sent::ids(["5f6e7d8c-0000-4000-8000-000000000001".to_string()])
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, http::Method::POST);
    assert_eq!(r.path, format!("/sens{}", messages_path(SERVICE)));
    assert_eq!(r.headers[TIMESTAMP_HEADER], "1767225600000");
    assert_eq!(r.headers[ACCESS_KEY_HEADER], "dev-sens-access-key");
    // Signed over the API's path, not the base URL's prefix.
    assert_eq!(
        r.headers[SIGNATURE_HEADER],
        "2aUjk8KBPbqdVl3N0uu8B7907T4VsfXm4ewj5olkmns="
    );
    assert_eq!(
        r.body,
        json!({
            "plusFriendId": "@chatdrop-dev",
            "templateCode": "CD_PAID_01",
            "messages": [{
                "countryCode": "82",
                "to": "01012345678",
                "content": "[메종] 주문 A1B2C3D4 결제가 완료되었습니다.",
            }],
        })
    );
    // The secret key never travels.
    assert!(!String::from_utf8_lossy(&r.raw).contains("dev-sens-secret-key"));
    assert!(
        r.headers
            .iter()
            .all(|(_, v)| !v.to_str().unwrap_or_default().contains("secret"))
    );
}

#[tokio::test]
async fn a_message_sens_did_not_accept_is_refused() {
    let body = ACCEPTED_BODY
        .replace("\"A000\"", "\"A999\"")
        .replace("성공", "템플릿 불일치");
    let server = test_server::serve(202, vec![], &body).await;
    let sens = SensAlimtalk::new(
        crate::http_client(Duration::from_secs(5)),
        config(&server.base),
    );
    let got = sens.send_at(&customer(), &message(), 0).await;
    match got {
        Err(SendFailure::Permanent { detail, .. }) => {
            assert!(
                detail.contains("A999") && detail.contains("템플릿 불일치"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn failures_are_classified_by_status() {
    let kind = |status: u16| match classify(status, b"{\"error\":{\"message\":\"x\"}}", None) {
        SendFailure::Permanent { .. } => "permanent",
        SendFailure::Transient { .. } => "transient",
        SendFailure::RateLimited { .. } => "rate limited",
    };
    assert_eq!(kind(429), "rate limited");
    // Keys, signature or clock: the deployment's fault, retried and alarmed, never dropped.
    assert_eq!(kind(401), "transient");
    assert_eq!(kind(403), "transient");
    assert_eq!(kind(400), "permanent");
    assert_eq!(kind(404), "permanent");
    assert_eq!(kind(500), "transient");
    assert_eq!(kind(503), "transient");
    match classify(429, b"", Some(Duration::from_secs(7))) {
        SendFailure::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Duration::from_secs(7))
        }
        other => panic!("{other:?}"),
    }
    match classify(
        400,
        br#"{"status":400,"error":"Bad Request","message":"templateCode not found"}"#,
        None,
    ) {
        SendFailure::Permanent { detail, .. } => {
            assert_eq!(detail, "HTTP 400: templateCode not found")
        }
        other => panic!("{other:?}"),
    }
}
