use super::*;
use crate::sms::testing::{ANA, pairs};

// -----------------------------------------------------------------------------------------
// Signature vectors: https://github.com/twilio/twilio-python
// `tests/unit/test_request_validator.py`, recomputed with Python's `hmac`. Token `12345`.
// -----------------------------------------------------------------------------------------

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const BASE_SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
/// The base parameters signed over the URL written with `:443`.
const PORT_443_SIGNATURE: &str = "kvajT1Ptam85bY51eRf/AJRuM3w=";
const DUPLICATE_SIGNATURE: &str = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";
const DOCS_SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
/// The JSON-body variant: no parameters, the body's SHA-256 in the URL.
const BODY_SHA_SIGNATURE: &str = "a9nBmqA0ju/hNViExpshrM61xv4=";
/// Same test file, `test_validation_adds_port_on_http`: the http URL signed with `:80`.
const HTTP_PORT_80_SIGNATURE: &str = "0ZXoZLH/DfblKGATFgpif+LLRf4=";
/// Same test file, `test_validation_removes_port_on_http`: the http URL with `:1234`.
const HTTP_PORT_1234_SIGNATURE: &str = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=";

fn base_params() -> Vec<(String, String)> {
    pairs(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ])
}

fn encode(params: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        form.append_pair(k, v);
    }
    form.finish()
}

fn webhook() -> SmsWebhook {
    SmsWebhook::new(SmsConfig {
        auth_token: TOKEN.into(),
    })
}

fn form_headers(signature: Option<&str>) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
    );
    if let Some(s) = signature {
        headers.insert(SIGNATURE_HEADER, http::HeaderValue::from_str(s).unwrap());
    }
    headers
}

fn post_to(
    hook: &SmsWebhook,
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    hook.receive(&WebhookRequest {
        method: &http::Method::POST,
        headers,
        query: url.split_once('?').map(|(_, q)| q),
        url,
        body,
    })
}

fn post_signed(url: &str, signature: &str, body: &str) -> Result<WebhookOutcome, WebhookError> {
    post_to(
        &webhook(),
        url,
        &form_headers(Some(signature)),
        body.as_bytes(),
    )
}

#[test]
fn the_signature_matches_every_twilio_python_vector() {
    assert_eq!(
        compute_signature(TOKEN, URL, &base_params()),
        BASE_SIGNATURE
    );
    let with_443 = URL.replace(".com", ".com:443");
    assert_eq!(
        compute_signature(TOKEN, &with_443, &base_params()),
        PORT_443_SIGNATURE
    );
    let duplicates = pairs(&[
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
    ]);
    assert_eq!(
        compute_signature(TOKEN, URL, &duplicates),
        DUPLICATE_SIGNATURE
    );
    let docs = pairs(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
    ]);
    assert_eq!(compute_signature(TOKEN, URL, &docs), DOCS_SIGNATURE);
    let body_sha = format!(
        "{URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    );
    assert_eq!(compute_signature(TOKEN, &body_sha, &[]), BODY_SHA_SIGNATURE);
}

#[test]
fn a_signed_form_is_accepted_whatever_the_parameter_order() {
    let mut params = base_params();
    params.reverse();
    assert_eq!(
        post_signed(URL, BASE_SIGNATURE, &encode(&params)),
        Ok(WebhookOutcome::Messages(vec![]))
    );
    let docs = "CallSid=CA1234567890ABCDE&From=%2B12349013030&To=%2B18005551212&Caller=%2B12349013030&Digits=1234";
    assert!(post_signed(URL, DOCS_SIGNATURE, docs).is_ok());
}

#[test]
fn repeated_keys_verify_with_values_sorted_within_the_key() {
    let body = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
    assert!(post_signed(URL, DUPLICATE_SIGNATURE, body).is_ok());
    // The same values the other way round are the same signed text.
    let swapped = "Digits=1234&Sid=CA123&Digits=5678&SidAccount=AC123";
    assert!(post_signed(URL, DUPLICATE_SIGNATURE, swapped).is_ok());
}

#[test]
fn the_default_port_may_be_written_or_not() {
    let body = encode(&base_params());
    // Twilio signed with `:443`, we know the URL without it, and the other way round.
    assert!(post_signed(URL, PORT_443_SIGNATURE, &body).is_ok());
    let with_443 = URL.replace(".com", ".com:443");
    assert!(post_signed(&with_443, BASE_SIGNATURE, &body).is_ok());
    assert!(post_signed(&with_443, PORT_443_SIGNATURE, &body).is_ok());
    // Plain http with `:80`, and a URL with a non-default port as given.
    let http = URL.replace("https", "http");
    assert!(post_signed(&http, HTTP_PORT_80_SIGNATURE, &body).is_ok());
    let http_1234 = http.replace(".com", ".com:1234");
    assert!(post_signed(&http_1234, HTTP_PORT_1234_SIGNATURE, &body).is_ok());
}

#[test]
fn a_non_default_port_is_another_endpoint() {
    // twilio-python strips any port; only the default one is ignored here, so a signature
    // for `https://mycompany.com/…` does not authenticate a call to `:1234`.
    let body = encode(&base_params());
    let other_port = URL.replace(".com", ".com:1234");
    assert_eq!(
        post_signed(&other_port, BASE_SIGNATURE, &body),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    assert_eq!(
        post_signed(&URL.replace(".com", ".com:80"), BASE_SIGNATURE, &body),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn url_variants_handle_userinfo_ipv6_and_odd_urls() {
    assert_eq!(
        url_variants("https://u:p@h.example/x"),
        vec!["https://u:p@h.example/x", "https://u:p@h.example:443/x"]
    );
    assert_eq!(
        url_variants("http://[::1]:80?a=1"),
        vec!["http://[::1]:80?a=1", "http://[::1]?a=1"]
    );
    assert_eq!(
        url_variants("http://[::1]/x"),
        vec!["http://[::1]/x", "http://[::1]:80/x"]
    );
    assert_eq!(url_variants("not a url"), vec!["not a url"]);
    assert_eq!(url_variants("ftp://h/x"), vec!["ftp://h/x"]);
}

#[test]
fn tampered_missing_or_foreign_signatures_are_unauthorized() {
    let body = encode(&base_params());
    let tampered = body.replace("Digits=1234", "Digits=1235");
    assert_eq!(
        post_signed(URL, BASE_SIGNATURE, &tampered),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    // A parameter added after signing (Twilio adds parameters, an attacker may too).
    assert_eq!(
        post_signed(URL, BASE_SIGNATURE, &format!("{body}&Body=hi")),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    // Another URL (the query is signed too).
    assert_eq!(
        post_signed(&URL.replace("foo=1", "foo=2"), BASE_SIGNATURE, &body),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
    assert_eq!(
        post_to(&webhook(), URL, &form_headers(None), body.as_bytes()),
        Err(WebhookError::Unauthorized("missing X-Twilio-Signature"))
    );
    assert_eq!(
        post_signed(URL, "not base64!", &body),
        Err(WebhookError::Unauthorized("signature is not base64"))
    );
    let other = SmsWebhook::new(SmsConfig {
        auth_token: "54321".into(),
    });
    assert_eq!(
        post_to(
            &other,
            URL,
            &form_headers(Some(BASE_SIGNATURE)),
            body.as_bytes()
        ),
        Err(WebhookError::Unauthorized("signature mismatch"))
    );
}

#[test]
fn an_unset_auth_token_authenticates_nothing() {
    let hook = SmsWebhook::new(SmsConfig {
        auth_token: String::new(),
    });
    let body = encode(&base_params());
    let signature = compute_signature("", URL, &base_params());
    assert_eq!(
        post_to(&hook, URL, &form_headers(Some(&signature)), body.as_bytes()),
        Err(WebhookError::Unauthorized("auth token not configured"))
    );
}

#[test]
fn only_signed_forms_posted_are_read() {
    let body = encode(&base_params());
    let get = webhook().receive(&WebhookRequest {
        method: &http::Method::GET,
        headers: &form_headers(Some(BASE_SIGNATURE)),
        query: None,
        url: URL,
        body: body.as_bytes(),
    });
    assert_eq!(get, Err(WebhookError::MethodNotAllowed));

    let mut json = form_headers(Some(BASE_SIGNATURE));
    json.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    assert_eq!(
        post_to(&webhook(), URL, &json, b"{}"),
        Err(WebhookError::UnsupportedMediaType(
            "application/json".into()
        ))
    );
    let mut none = form_headers(Some(BASE_SIGNATURE));
    none.remove(http::header::CONTENT_TYPE);
    assert_eq!(
        post_to(&webhook(), URL, &none, body.as_bytes()),
        Err(WebhookError::UnsupportedMediaType("none".into()))
    );
}

#[test]
fn escapes_that_decode_to_invalid_utf8_are_a_bad_request() {
    for body in [
        &b"Body=%FF&MessageSid=SM1"[..],
        b"Body=%E3%81",
        b"Body=\xff",
    ] {
        assert!(
            matches!(
                post_to(&webhook(), URL, &form_headers(Some("x")), body),
                Err(WebhookError::BadRequest(_))
            ),
            "{body:?}"
        );
    }
    // A stray `%` is literal text, as form decoding leaves it.
    assert!(decodes_to_utf8(b"Body=100%&x=%zz"));
    assert!(decodes_to_utf8(b"Body=%E3%81%82"));
}

// -----------------------------------------------------------------------------------------
// Parsing
// -----------------------------------------------------------------------------------------

const SHOP_URL: &str = "https://shop.example/webhooks/sms";

/// Posts `body` signed as Twilio would sign it, with its parameters as decoded.
fn receive_form(body: &str) -> Vec<InboundMessage> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let signature = compute_signature(TOKEN, SHOP_URL, &params);
    match post_signed(SHOP_URL, &signature, body) {
        Ok(WebhookOutcome::Messages(m)) => m,
        other => panic!("expected messages, got {other:?}"),
    }
}

fn one(body: &str) -> InboundMessage {
    let mut m = receive_form(body);
    assert_eq!(m.len(), 1, "{m:?}");
    m.remove(0)
}

fn text_form(body_param: &str) -> String {
    format!(
        "ToCountry=US&SmsMessageSid=SM1&NumMedia=0&SmsSid=SM1&SmsStatus=received&Body={body_param}&To=%2B15550002222&NumSegments=1&MessageSid=SM1&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15551234567&ApiVersion=2010-04-01"
    )
}

fn content(body_param: &str) -> InboundContent {
    one(&text_form(body_param)).content
}

// Our own minimal example in the documented shape
// (https://www.twilio.com/docs/messaging/guides/webhook-request).
const INBOUND_EXAMPLE: &str = "ToCountry=US&SmsMessageSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&NumMedia=0&SmsSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&SmsStatus=received&Body=BUY+1&To=%2B15550002222&NumSegments=1&MessageSid=SM5f1e0b6c2a3d4e5f60718293a4b5c6d7&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15551234567&ApiVersion=2010-04-01";

// Our own minimal example in the documented shape:
// https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
const DELIVERED_EXAMPLE: &str = "MessageSid=SM9a8b7c6d5e4f30211a2b3c4d5e6f7081&MessageStatus=delivered&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15550002222&To=%2B15551234567&ApiVersion=2010-04-01&SmsStatus=delivered";

#[test]
fn an_incoming_sms_is_text_from_the_sender() {
    let before = SystemClock.now();
    let m = one(INBOUND_EXAMPLE);
    assert_eq!(m.conversation, ConversationId::new(Channel::Sms, ANA));
    assert_eq!(m.event_id, "SM5f1e0b6c2a3d4e5f60718293a4b5c6d7");
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "BUY 1".into()
        }
    );
    // Twilio stamps no time: the time of receipt stands in.
    assert!(
        m.sent_at >= before && m.sent_at <= SystemClock.now(),
        "{}",
        m.sent_at
    );
    assert_eq!((m.locale, m.ack, m.reply_token), (None, None, None));
}

#[test]
fn plus_escapes_and_utf8_decode_as_twilio_encoded_them() {
    assert_eq!(
        content("1+%2B+1+%3D+2"),
        InboundContent::Text {
            body: "1 + 1 = 2".into()
        }
    );
    assert_eq!(
        content("%E3%81%82%E3%82%8A%E3%81%8C%E3%81%A8%E3%81%86"),
        InboundContent::Text {
            body: "ありがとう".into()
        }
    );
    assert_eq!(
        content("a%26b%3Dc"),
        InboundContent::Text {
            body: "a&b=c".into()
        }
    );
}

#[test]
fn unknown_parameters_are_signed_over_and_ignored() {
    let m = one(&format!(
        "{}&FromCity=SAN+FRANCISCO&AddedNextYear=%F0%9F%98%80",
        text_form("hi")
    ));
    assert_eq!(m.content, InboundContent::Text { body: "hi".into() });
}

#[test]
fn opt_out_keywords_match_whole_messages_in_any_case() {
    for word in [
        "STOP",
        "stop",
        "+Stop+",
        "STOP%0A",
        "stopall",
        "Unsubscribe",
        "cancel",
        "END",
        "quit",
        "OptOut",
        "revoke",
    ] {
        assert_eq!(content(word), InboundContent::OptOut, "{word}");
    }
    for word in ["START", "yes", "+Unstop"] {
        assert_eq!(content(word), InboundContent::OptIn, "{word}");
    }
    for word in ["HELP", "help+", "Info"] {
        assert_eq!(
            content(word),
            InboundContent::Text {
                body: "help".into()
            },
            "{word}"
        );
    }
    for text in [
        "STOP please",
        "don't stop",
        "stopp",
        "yes please",
        "helpful",
    ] {
        let param = text.replace(' ', "+");
        assert_eq!(
            content(&param),
            InboundContent::Text { body: text.into() },
            "{text}"
        );
    }
}

fn mms(body: &str, media_type: &str) -> String {
    format!(
        "MessageSid=MM1&From=%2B15551234567&To=%2B15550002222&Body={body}&NumMedia=1&MediaContentType0={media_type}&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM1%2FMedia%2FME1"
    )
}

#[test]
fn a_picture_is_an_image_with_its_text_as_caption() {
    let media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
    assert_eq!(
        one(&mms("this+one", "image%2Fjpeg")).content,
        InboundContent::Image {
            media_id: media_url.into(),
            caption: Some("this one".into())
        }
    );
    assert_eq!(
        one(&mms("", "image%2Fpng")).content,
        InboundContent::Image {
            media_id: media_url.into(),
            caption: None
        }
    );
    assert_eq!(
        one(&mms("", "video%2Fmp4")).content,
        InboundContent::Unsupported {
            kind: "video".into()
        }
    );
    // An opt-out is never lost to an attachment.
    assert_eq!(
        one(&mms("STOP", "image%2Fjpeg")).content,
        InboundContent::OptOut
    );
}

#[test]
fn status_callbacks_report_on_the_recipient() {
    let m = one(DELIVERED_EXAMPLE);
    assert_eq!(m.conversation, ConversationId::new(Channel::Sms, ANA));
    assert_eq!(
        m.content,
        InboundContent::Status {
            message_id: "SM9a8b7c6d5e4f30211a2b3c4d5e6f7081".into(),
            status: DeliveryStatus::Delivered,
            error_code: None
        }
    );
    assert_eq!(
        m.dedup_identity(),
        "sms#SM9a8b7c6d5e4f30211a2b3c4d5e6f7081#delivered"
    );
    let status = |s: &str, extra: &str| {
        receive_form(&format!(
            "MessageSid=SM2&MessageStatus={s}&From=%2B15550002222&To=%2B15551234567{extra}"
        ))
        .into_iter()
        .map(|m| m.content)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        status("sent", ""),
        vec![InboundContent::Status {
            message_id: "SM2".into(),
            status: DeliveryStatus::Sent,
            error_code: None
        }]
    );
    for failed in ["failed", "undelivered"] {
        assert_eq!(
            status(failed, "&ErrorCode=30007"),
            vec![InboundContent::Status {
                message_id: "SM2".into(),
                status: DeliveryStatus::Failed,
                error_code: Some(30007)
            }]
        );
    }
    for ignored in ["queued", "sending", "accepted", "read", "canceled"] {
        assert!(status(ignored, "").is_empty(), "{ignored}");
    }
}

#[test]
fn events_that_are_not_a_customer_texting_are_ignored() {
    // WhatsApp relayed through the same Twilio account.
    assert!(receive_form("MessageSid=SM3&From=whatsapp%3A%2B15551234567&Body=hi").is_empty());
    assert!(receive_form("From=%2B15551234567&Body=hi").is_empty());
    assert!(receive_form("MessageSid=SM3&Body=hi").is_empty());
}

#[test]
fn the_acknowledgement_is_empty_twiml() {
    let ack = webhook().acknowledgement();
    assert_eq!(ack.content_type, "text/xml");
    assert_eq!(
        ack.body,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
    );
}

/// Advanced Opt-Out names the keyword's kind in `OptOutType`, also for the sender's own
/// localized keywords (https://help.twilio.com/articles/360034798533): "PARAR" is a STOP here.
#[test]
fn twilios_opt_out_type_wins_over_our_keyword_list() {
    let stop = format!("{}&OptOutType=STOP", text_form("PARAR"));
    assert_eq!(one(&stop).content, InboundContent::OptOut);
    let start = format!("{}&OptOutType=START", text_form("VOLTAR"));
    assert_eq!(one(&start).content, InboundContent::OptIn);
    // Without it, an unknown word is text, as before.
    assert_eq!(
        content("PARAR"),
        InboundContent::Text {
            body: "PARAR".into()
        }
    );
}
