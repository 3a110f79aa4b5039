//! The platforms' published signing schemes, written out independently of the adapters (a
//! test that borrowed the adapters' own helpers would agree with any bug in them).

use super::*;

/// HMAC-SHA256: Meta's `X-Hub-Signature-256` (hex) and LINE's `x-line-signature` (Base64).
pub fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Meta's header value: `sha256=` and the lowercase hex MAC of the raw body.
pub fn meta_signature(body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(APP_SECRET, body)))
}

/// LINE's header value: the standard Base64 of the MAC of the raw body.
pub fn line_signature(body: &[u8]) -> String {
    BASE64.encode(hmac_sha256(LINE_SECRET, body))
}

/// What WeChat hashes: the token, timestamp and nonce sorted and concatenated.
pub fn wechat_signed_text(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    parts.concat()
}

/// WeChat's `signature` query parameter: the lowercase hex SHA-1 of the signed text.
pub fn wechat_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    hex::encode(Sha1::digest(
        wechat_signed_text(token, timestamp, nonce).as_bytes(),
    ))
}

/// The query WeChat calls with: signature, timestamp and nonce, percent-encoded.
pub fn wechat_query(signature: &str, timestamp: &str, nonce: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("signature", signature)
        .append_pair("timestamp", timestamp)
        .append_pair("nonce", nonce)
        .finish()
}

/// What Twilio signs: the URL, then every parameter as name+value, sorted by name and then by
/// value (byte order).
pub fn twilio_signed_text(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.as_bytes().to_vec();
    for (name, value) in sorted {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(value.as_bytes());
    }
    text
}

/// `X-Twilio-Signature`: Base64 of HMAC-SHA1 of the signed text under the auth token.
pub fn twilio_signature(url: &str, params: &[(String, String)]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(&twilio_signed_text(url, params));
    BASE64.encode(mac.finalize().into_bytes())
}

/// A form body as Twilio encodes one.
pub fn form(params: &[(String, String)]) -> Vec<u8> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    serializer.finish().into_bytes()
}

pub fn viber_signature(body: &[u8]) -> String {
    hex::encode(hmac_sha256(VIBER_TOKEN, body))
}
