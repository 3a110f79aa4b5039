//! WeChat Official Account webhook (plaintext mode): the SHA-1 `signature` over the token,
//! `timestamp` and `nonce` in the query, the clock-skew check, then the XML push (POST) or the
//! `echostr` echo (GET).
//!
//! Input: one flags byte, a nonce line, a timestamp line, then the body. Flags: bit 7 signs the
//! timestamp line as given (reaching the timestamp parser and the skew check) instead of now;
//! bit 6 makes the request a GET with the body as `echostr`; the low bits pick the content type.

#![no_main]

use chatdrop_channels::WebhookOutcome;
use chatdrop_channels::wechat::{WechatConfig, WechatWebhook};
use chatdrop_fuzz::*;
use http::{HeaderMap, Method};
use libfuzzer_sys::fuzz_target;

/// A margin under the adapter's five minutes, for the second that may tick between the two
/// clocks read.
const SURELY_WITHIN_SKEW: u64 = 290;

fn query(signature: &str, timestamp: &str, nonce: &str, echostr: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("signature", signature)
        .append_pair("timestamp", timestamp)
        .append_pair("nonce", nonce);
    if let Some(echostr) = echostr {
        query.append_pair("echostr", echostr);
    }
    query.finish()
}

fuzz_target!(|data: &[u8]| {
    let Some((flags, lines, body)) = split(data, 2) else {
        return;
    };
    let webhook = WechatWebhook::new(WechatConfig {
        token: WECHAT_TOKEN.into(),
    });
    let nonce = String::from_utf8_lossy(lines[0]);
    let now = unix_now();
    let timestamp = if flags & 0x80 != 0 {
        String::from_utf8_lossy(lines[1]).into_owned()
    } else {
        now.to_string()
    };
    let get = flags & 0x40 != 0;
    let echostr = get.then(|| String::from_utf8_lossy(body).into_owned());
    let method = if get { Method::GET } else { Method::POST };
    let mut headers = HeaderMap::new();
    if let Some(t) = content_type(flags, "text/xml") {
        headers.insert(http::header::CONTENT_TYPE, t.parse().unwrap());
    }
    let send = |query: &str| receive(&webhook, method.clone(), &headers, Some(query), URL, body);

    // Signed with another token, and the input itself as the whole query.
    let wrong = wechat_signature("another-token", &timestamp, &nonce);
    assert_unauthorized(&send(&query(
        &wrong,
        &timestamp,
        &nonce,
        echostr.as_deref(),
    )));
    assert_refused(&send(&String::from_utf8_lossy(body)));

    // Signed as WeChat signs. Refused only for a timestamp outside the accepted window.
    let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
    let result = send(&query(&signature, &timestamp, &nonce, echostr.as_deref()));
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|at| at.abs_diff(now) <= SURELY_WITHIN_SKEW);
    if fresh {
        assert_authorized(&result);
    }
    if let (Ok(WebhookOutcome::Challenge(echo)), Some(echostr)) = (&result, &echostr) {
        assert_eq!(echo, echostr);
    }
});
