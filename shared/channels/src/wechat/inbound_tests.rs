use super::*;
use crate::wechat::WechatSendConfig;
use crate::wechat::testing::ANA;

const TOKEN: &str = "chatdrop-token";
const NOW: i64 = 1_767_225_600;

// --- signature ------------------------------------------------------------------------

#[test]
fn signature_matches_the_wechatpy_vector() {
    // https://github.com/wechatpy/wechatpy tests/test_utils.py: sorted order is
    // ["1410685589", "test", "test"].
    assert_eq!(
        signature("test", "1410685589", "test"),
        "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    );
}

#[test]
fn signature_matches_the_silenceper_vector() {
    // https://github.com/silenceper/wechat util/signature_test.go: sha1("abc"), and the
    // order of the arguments does not matter because they are sorted first.
    assert_eq!(
        signature("a", "b", "c"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        signature("c", "a", "b"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

fn webhook() -> WechatWebhook {
    WechatWebhook::new(WechatConfig {
        token: TOKEN.into(),
    })
}

fn signed_query(timestamp: i64, nonce: &str) -> String {
    let ts = timestamp.to_string();
    format!(
        "signature={}&timestamp={ts}&nonce={nonce}&openid={ANA}",
        signature(TOKEN, &ts, nonce)
    )
}

fn call(
    method: http::Method,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    let mut headers = http::HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
    }
    let url = format!("https://shop.example/webhooks/wechat?{query}");
    webhook().receive_at(
        &WebhookRequest {
            method: &method,
            headers: &headers,
            query: Some(query),
            url: &url,
            body,
        },
        NOW,
    )
}

fn post(body: &str) -> Result<WebhookOutcome, WebhookError> {
    call(
        http::Method::POST,
        &signed_query(NOW, "nonce1"),
        Some("text/xml"),
        body.as_bytes(),
    )
}

fn one(outcome: Result<WebhookOutcome, WebhookError>) -> InboundMessage {
    match outcome {
        Ok(WebhookOutcome::Messages(mut m)) if m.len() == 1 => m.remove(0),
        other => panic!("expected one message, got {other:?}"),
    }
}

fn nothing(outcome: Result<WebhookOutcome, WebhookError>) {
    assert_eq!(outcome, Ok(WebhookOutcome::Messages(vec![])));
}

#[test]
fn get_with_a_good_signature_echoes_echostr() {
    let query = format!("{}&echostr=5837397520665436492", signed_query(NOW, "n1"));
    assert_eq!(
        call(http::Method::GET, &query, None, b""),
        Ok(WebhookOutcome::Challenge("5837397520665436492".into()))
    );
}

#[test]
fn get_without_echostr_is_a_bad_request() {
    assert!(matches!(
        call(http::Method::GET, &signed_query(NOW, "n1"), None, b""),
        Err(WebhookError::BadRequest(_))
    ));
}

#[test]
fn tampered_missing_or_foreign_signatures_are_unauthorized() {
    let ts = NOW.to_string();
    let good = signature(TOKEN, &ts, "n1");
    let mut tampered = good.clone().into_bytes();
    tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    let queries = [
        // one hex digit changed
        format!("signature={tampered}&timestamp={ts}&nonce=n1&echostr=x"),
        // signed for another nonce or timestamp
        format!("signature={good}&timestamp={ts}&nonce=n2&echostr=x"),
        format!("signature={good}&timestamp={}&nonce=n1&echostr=x", NOW + 1),
        // under another token
        format!(
            "signature={}&timestamp={ts}&nonce=n1&echostr=x",
            signature("other-token", &ts, "n1")
        ),
        // missing pieces
        format!("timestamp={ts}&nonce=n1&echostr=x"),
        format!("signature={good}&nonce=n1&echostr=x"),
        format!("signature={good}&timestamp={ts}&echostr=x"),
        String::new(),
        // not hex, or the wrong length
        format!(
            "signature=zz{}&timestamp={ts}&nonce=n1&echostr=x",
            &good[2..]
        ),
        format!(
            "signature={}&timestamp={ts}&nonce=n1&echostr=x",
            &good[..38]
        ),
    ];
    for query in &queries {
        for method in [http::Method::GET, http::Method::POST] {
            let outcome = call(method.clone(), query, Some("text/xml"), b"<xml></xml>");
            assert!(
                matches!(outcome, Err(WebhookError::Unauthorized(_))),
                "{method} {query}: {outcome:?}"
            );
        }
    }
}

#[test]
fn a_repeated_parameter_cannot_override_the_signed_one() {
    let query = format!(
        "{}&timestamp={}&echostr=x",
        signed_query(NOW, "n1"),
        NOW + 9
    );
    assert!(call(http::Method::GET, &query, None, b"").is_ok());
    let query = format!(
        "timestamp={}&{}&echostr=x",
        NOW + 9,
        signed_query(NOW, "n1")
    );
    assert!(matches!(
        call(http::Method::GET, &query, None, b""),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn an_unset_token_verifies_nothing() {
    let hook = WechatWebhook::new(WechatConfig {
        token: String::new(),
    });
    let ts = NOW.to_string();
    let query = format!(
        "signature={}&timestamp={ts}&nonce=n&echostr=x",
        signature("", &ts, "n")
    );
    let headers = http::HeaderMap::new();
    let outcome = hook.receive_at(
        &WebhookRequest {
            method: &http::Method::GET,
            headers: &headers,
            query: Some(&query),
            url: "https://shop.example/webhooks/wechat",
            body: b"",
        },
        NOW,
    );
    assert_eq!(
        outcome,
        Err(WebhookError::Unauthorized("token not configured"))
    );
}

#[test]
fn timestamps_more_than_five_minutes_off_are_refused() {
    for (offset, ok) in [
        (0, true),
        (-300, true),
        (300, true),
        (-301, false),
        (301, false),
    ] {
        let query = format!("{}&echostr=x", signed_query(NOW + offset, "n1"));
        let outcome = call(http::Method::GET, &query, None, b"");
        assert_eq!(outcome.is_ok(), ok, "offset {offset}: {outcome:?}");
    }
    let query = format!(
        "signature={}&timestamp=soon&nonce=n1&echostr=x",
        signature(TOKEN, "soon", "n1")
    );
    assert!(matches!(
        call(http::Method::GET, &query, None, b""),
        Err(WebhookError::Unauthorized(_))
    ));
}

/// Found by `cargo fuzz run wechat`: a signed timestamp of `i64::MIN` overflowed the skew
/// check's subtraction (a panic in a debug build, and in release `i64::MIN + now` wrapped to
/// a difference whose absolute value is negative, which passed).
#[test]
fn extreme_timestamps_are_refused_without_overflow() {
    for timestamp in [i64::MIN, i64::MIN + NOW, i64::MAX, -NOW] {
        let query = format!("{}&echostr=x", signed_query(timestamp, "n1"));
        assert_eq!(
            call(http::Method::GET, &query, None, b""),
            Err(WebhookError::Unauthorized(
                "timestamp outside the accepted window"
            )),
            "timestamp {timestamp}"
        );
    }
}

#[test]
fn other_methods_are_not_allowed() {
    assert_eq!(
        call(http::Method::PUT, &signed_query(NOW, "n"), None, b""),
        Err(WebhookError::MethodNotAllowed)
    );
}

// --- payloads -------------------------------------------------------------------------

fn push(fields: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_1a2b3c4d5e6f]]></ToUserName>\
         <FromUserName><![CDATA[{ANA}]]></FromUserName>\
         <CreateTime>1767225600</CreateTime>{fields}</xml>"
    )
}

#[test]
fn text_is_text_keyed_by_msg_id() {
    let m = one(post(&push(
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[blue mug <3 & more]]></Content>\
         <MsgId>24700000000000001</MsgId>",
    )));
    assert_eq!(
        m,
        InboundMessage {
            conversation: ConversationId::new(Channel::Wechat, ANA),
            event_id: "24700000000000001".into(),
            sent_at: 1_767_225_600,
            locale: None,
            ack: None,
            reply_token: None,
            content: InboundContent::Text {
                body: "blue mug <3 & more".into()
            },
        }
    );
}

#[test]
fn escaped_text_without_cdata_is_unescaped() {
    let m = one(post(&push(
        "<MsgType>text</MsgType><Content>1 &lt; 2 &amp; 3</Content><MsgId>7</MsgId>",
    )));
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "1 < 2 & 3".into()
        }
    );
}

#[test]
fn a_menu_click_is_the_tap_of_its_key() {
    let m = one(post(&push(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>\
         <EventKey><![CDATA[c:p:tee]]></EventKey>",
    )));
    assert_eq!(
        m.content,
        InboundContent::Action {
            payload: "c:p:tee".into(),
            title: None
        }
    );
    // WeChat's dedup rule for events: sender and CreateTime (and the event, here).
    assert_eq!(m.event_id, format!("{ANA}#1767225600#CLICK"));
    assert_eq!(m.sent_at, 1_767_225_600);
}

#[test]
fn follow_and_unfollow_are_opt_in_and_opt_out() {
    let m = one(post(&push(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
         <EventKey><![CDATA[qrscene_123]]></EventKey>",
    )));
    assert_eq!(m.content, InboundContent::OptIn);
    assert_eq!(m.event_id, format!("{ANA}#1767225600#subscribe"));
    let m = one(post(&push(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>",
    )));
    assert_eq!(m.content, InboundContent::OptOut);
    assert_eq!(m.event_id, format!("{ANA}#1767225600#unsubscribe"));
}

#[test]
fn other_events_are_not_the_customer_talking() {
    for event in [
        "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://shop.example]]></EventKey>",
        "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey>",
        "<Event><![CDATA[LOCATION]]></Event><Latitude>23.1</Latitude>",
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><Status>success</Status>",
        // A click without a key has nothing to act on.
        "<Event><![CDATA[CLICK]]></Event>",
    ] {
        nothing(post(&push(&format!(
            "<MsgType><![CDATA[event]]></MsgType>{event}"
        ))));
    }
}

#[test]
fn an_image_carries_its_media_id() {
    let m = one(post(&push(
        "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>\
         <MediaId><![CDATA[media_id_1]]></MediaId><MsgId>24700000000000002</MsgId>",
    )));
    assert_eq!(
        m.content,
        InboundContent::Image {
            media_id: "media_id_1".into(),
            caption: None
        }
    );
    assert_eq!(m.event_id, "24700000000000002");
}

#[test]
fn voice_video_location_and_link_are_unsupported() {
    for kind in ["voice", "video", "location", "link", "something_new"] {
        let m = one(post(&push(&format!(
            "<MsgType><![CDATA[{kind}]]></MsgType><MediaId>m</MediaId><MsgId>9</MsgId>"
        ))));
        assert_eq!(m.content, InboundContent::Unsupported { kind: kind.into() });
        assert_eq!(m.event_id, "9");
    }
}

#[test]
fn a_push_without_a_sender_is_skipped() {
    nothing(post(
        "<xml><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
    ));
}

#[test]
fn authentic_but_unreadable_xml_is_malformed() {
    for body in [
        "<xml><MsgType>text</MsgType>",
        "not xml at all <",
        "{\"json\":1}",
    ] {
        let outcome = post(body);
        assert!(
            matches!(outcome, Err(WebhookError::Malformed(_))),
            "{body}: {outcome:?}"
        );
    }
}

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><FromUserName>oX</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"#;

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><FromUserName>oX</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol4;</Content><MsgId>1</MsgId></xml>"#;

#[test]
fn external_entities_and_billion_laughs_are_refused_before_parsing() {
    for body in [XXE, BILLION_LAUGHS] {
        assert!(
            matches!(post(body), Err(WebhookError::BadRequest(_))),
            "{body}"
        );
    }
    // Lower-case spellings and a bare entity declaration too.
    for body in [
        "<!doctype xml><xml/>",
        "<xml><!ENTITY a \"b\"></xml>",
        "<xml><!entity a \"b\"></xml>",
    ] {
        assert!(
            matches!(post(body), Err(WebhookError::BadRequest(_))),
            "{body}"
        );
    }
}

#[test]
fn the_parser_itself_expands_no_custom_entity() {
    // Belt and braces: even past the guard, quick-xml resolves only the predefined entities
    // and refuses the rest, so neither attack yields a file's contents or a billion "lol"s.
    for (body, entity) in [(XXE, "`xxe`"), (BILLION_LAUGHS, "`lol4`")] {
        match parse_message(body) {
            // The error says what kind of failure it was, not the entity it refused: its
            // name came from the push, and this text is logged.
            Err(WebhookError::Malformed(e)) => {
                assert_eq!(e, "XML unrecognized entity");
                assert!(!e.contains(entity), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn non_utf8_bodies_are_bad_requests() {
    let mut body = push("<MsgType>text</MsgType><Content>").into_bytes();
    body.extend_from_slice(&[0xC4, 0xE3, 0xBA, 0xC3]); // 你好 in GBK
    body.extend_from_slice(b"</Content><MsgId>1</MsgId></xml>");
    let outcome = call(
        http::Method::POST,
        &signed_query(NOW, "n"),
        Some("text/xml"),
        &body,
    );
    assert!(
        matches!(outcome, Err(WebhookError::BadRequest(_))),
        "{outcome:?}"
    );
}

#[test]
fn xml_content_types_or_none_are_accepted_and_others_refused() {
    let body = push("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>");
    for ct in [
        None,
        Some("text/xml"),
        Some("text/xml; charset=utf-8"),
        Some("application/xml"),
    ] {
        let outcome = call(
            http::Method::POST,
            &signed_query(NOW, "n"),
            ct,
            body.as_bytes(),
        );
        assert!(one(outcome).event_id == "1", "{ct:?}");
    }
    let outcome = call(
        http::Method::POST,
        &signed_query(NOW, "n"),
        Some("application/json"),
        body.as_bytes(),
    );
    assert_eq!(
        outcome,
        Err(WebhookError::UnsupportedMediaType(
            "application/json".into()
        ))
    );
}

#[test]
fn the_acknowledgement_is_success() {
    assert_eq!(
        webhook().acknowledgement(),
        Acknowledgement {
            content_type: "text/plain",
            body: "success"
        }
    );
}

#[test]
fn debug_output_hides_the_secrets() {
    let hook = format!("{:?}", webhook().config);
    assert!(!hook.contains(TOKEN), "{hook}");
    let send = format!(
        "{:?}",
        WechatSendConfig {
            api_base: "https://api.weixin.qq.com".into(),
            app_id: "wx123".into(),
            app_secret: "very-secret".into(),
        }
    );
    assert!(
        !send.contains("very-secret") && send.contains("wx123"),
        "{send}"
    );
}
