use super::*;
use crate::test_server;
use chatdrop_domain::channel::Channel;
use std::time::Duration;

const PSID: &str = "24022117694151380";

fn lookup(base: &str) -> MessengerProfiles {
    MessengerProfiles {
        client: crate::http_client(Duration::from_secs(5)),
        config: MessengerSendConfig {
            graph_base: base.into(),
            api_version: "v23.0".into(),
            page_access_token: "page-token-not-for-logs".into(),
            inbox_app_id: None,
        },
    }
}

#[test]
fn the_locale_is_read_as_meta_writes_it() {
    let body = format!(r#"{{"locale":"pt_BR","id":"{PSID}"}}"#);
    assert_eq!(locale(200, body.as_bytes()), Ok(Some("pt_BR".into())));
}

#[test]
fn an_answer_without_the_field_has_no_locale() {
    let body = format!(r#"{{"id":"{PSID}"}}"#);
    assert_eq!(locale(200, body.as_bytes()), Ok(None));
}

#[test]
fn a_graph_error_is_told_by_its_codes_not_its_message() {
    // A Page without advanced access to the field asks for a field it may not read.
    let body = r#"{"error":{"message":"(#100) Tried accessing nonexisting field (locale) on node type (User)","type":"OAuthException","code":100,"fbtrace_id":"AbCdEf"}}"#;
    assert_eq!(
        locale(400, body.as_bytes()),
        Err(ProfileError::Failed(
            "Messenger profile: HTTP 400, Graph error 100".into()
        ))
    );
    let body = r#"{"error":{"message":"No profile available for this user.","type":"OAuthException","code":100,"error_subcode":2018218,"fbtrace_id":"AbCdEf"}}"#;
    assert_eq!(
        locale(400, body.as_bytes()),
        Err(ProfileError::Failed(
            "Messenger profile: HTTP 400, Graph error 100/2018218".into()
        ))
    );
    assert!(
        matches!(locale(502, b"Bad Gateway"), Err(ProfileError::Failed(d)) if d == "Messenger profile: HTTP 502")
    );
}

#[tokio::test]
async fn the_lookup_asks_for_the_locale_field_with_the_page_token() {
    let body = format!(r#"{{"locale":"es_LA","id":"{PSID}"}}"#);
    let server = test_server::serve(200, vec![], &body).await;
    let c = ConversationId::new(Channel::Messenger, PSID);
    assert_eq!(
        lookup(&server.base).locale(&c).await,
        Ok(Some("es_LA".into()))
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, format!("/v23.0/{PSID}"));
    let query = requests[0].query.as_deref().unwrap_or_default();
    assert!(query.contains("fields=locale"), "{query}");
    assert!(
        query.contains("access_token=page-token-not-for-logs"),
        "{query}"
    );
}
