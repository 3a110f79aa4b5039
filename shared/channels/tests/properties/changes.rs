//! Property 3: any single change is caught. One byte of a signed body, of the signature, or of
//! the signed URL and parameters (Twilio) or query (WeChat) changed: `Unauthorized`. Telegram
//! signs nothing and echoes a secret instead, so any other header value is refused.

use super::signing::*;
use super::strategies::body;
use super::*;
use proptest::prelude::*;

/// Whether a form body's `%XX` escapes decode to UTF-8, as Twilio's always do.
fn percent_decodes_to_utf8(body: &[u8]) -> bool {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match (body[i], hex(body.get(i + 1)), hex(body.get(i + 2))) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// A byte other than `b`: `b` with some bits flipped.
fn flip(b: u8, bits: u8) -> u8 {
    b ^ bits.max(1)
}

/// A printable ASCII character other than `c`, chosen by `pick`.
fn other_printable(c: u8, pick: u8) -> u8 {
    let candidate = 0x21 + pick % 94;
    if candidate == c {
        if c == 0x7e { 0x21 } else { c + 1 }
    } else {
        candidate
    }
}

/// `s` with its character at `at` replaced by a different one.
fn replace_char(s: &str, at: Index, with: char) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let i = at.index(chars.len());
    if chars[i] == with {
        return None;
    }
    let mut out = chars;
    out[i] = with;
    Some(out.into_iter().collect())
}

/// Which part of a signed request a mutation changes.
#[derive(Debug, Clone, Copy)]
enum Part {
    Body,
    /// The MAC bytes the signature encodes.
    Mac,
    /// The signature header as text, prefix included.
    HeaderText,
}

fn part() -> impl Strategy<Value = Part> {
    prop::sample::select(vec![Part::Body, Part::Mac, Part::HeaderText])
}

/// Signs `body` with `sign`, changes one byte of `part`, and returns the header and body sent.
fn mutated_hmac_request(
    body: &[u8],
    part: Part,
    at: Index,
    bits: u8,
    mac: impl Fn(&[u8]) -> Vec<u8>,
    encode: impl Fn(&[u8]) -> String,
    case_insensitive_from: Option<usize>,
) -> Option<(String, Vec<u8>)> {
    let mut body = body.to_vec();
    let mut mac_bytes = mac(&body);
    match part {
        Part::Body => {
            let i = at.index(body.len());
            body[i] = flip(body[i], bits);
            Some((encode(&mac_bytes), body))
        }
        Part::Mac => {
            let i = at.index(mac_bytes.len());
            mac_bytes[i] = flip(mac_bytes[i], bits);
            Some((encode(&mac_bytes), body))
        }
        Part::HeaderText => {
            let mut header = encode(&mac_bytes).into_bytes();
            let i = at.index(header.len());
            let replacement = other_printable(header[i], bits);
            // Hex is case-insensitive: `A` for `a` is the same signature, not a changed one.
            if case_insensitive_from.is_some_and(|from| i >= from)
                && replacement.eq_ignore_ascii_case(&header[i])
            {
                return None;
            }
            header[i] = replacement;
            Some((String::from_utf8(header).unwrap(), body))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| format!("sha256={}", hex::encode(mac));
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(APP_SECRET, b), encode, Some(7),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&whatsapp(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn messenger_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| format!("sha256={}", hex::encode(mac));
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(APP_SECRET, b), encode, Some(7),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&messenger(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn line_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| BASE64.encode(mac);
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(LINE_SECRET, b), encode, None,
        );
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&line(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn viber_any_change_is_unauthorized(
        body in prop::collection::vec(any::<u8>(), 1..300),
        part in part(),
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let encode = |mac: &[u8]| hex::encode(mac);
        let mutated = mutated_hmac_request(
            &body, part, at, bits, |b| hmac_sha256(VIBER_TOKEN, b), encode, Some(0),
        );
        prop_assume!(mutated.is_some());
        let (signature, body) = mutated.unwrap();
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&viber(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{part:?}: {result:?}");
    }

    #[test]
    fn telegram_any_other_secret_is_unauthorized(
        presented in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            // The secret with one byte changed: a near miss is a miss.
            (any::<Index>(), any::<u8>()).prop_map(|(at, bits)| {
                let mut secret = TELEGRAM_SECRET.as_bytes().to_vec();
                let i = at.index(secret.len());
                secret[i] = other_printable(secret[i], bits);
                secret
            }),
        ],
        body in body(),
    ) {
        prop_assume!(presented != TELEGRAM_SECRET.as_bytes());
        let pairs = [("x-telegram-bot-api-secret-token", presented.as_slice())];
        // A value HTTP cannot carry is dropped by `headers`: then the header is missing, which
        // must be refused just the same.
        let result = post(&telegram(), &pairs, None, URL, &body);
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn wechat_any_change_to_the_signed_query_is_unauthorized(
        nonce in "[A-Za-z0-9]{1,20}",
        which in 0..3_usize,
        at in any::<Index>(),
        bits in any::<u8>(),
    ) {
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let replacement = char::from(other_printable(0, bits));
        let (signature2, timestamp2, nonce2) = match which {
            0 => {
                let mutated = replace_char(&signature, at, replacement);
                // Hex is case-insensitive: `A` for `a` is the same signature.
                prop_assume!(mutated.as_ref().is_some_and(|m| !m.eq_ignore_ascii_case(&signature)));
                (mutated.unwrap(), timestamp.clone(), nonce.clone())
            }
            1 => {
                let mutated = replace_char(&timestamp, at, replacement);
                prop_assume!(mutated.is_some());
                (signature.clone(), mutated.unwrap(), nonce.clone())
            }
            _ => {
                let mutated = replace_char(&nonce, at, replacement);
                prop_assume!(mutated.is_some());
                (signature.clone(), timestamp.clone(), mutated.unwrap())
            }
        };
        // Only what WeChat hashes counts: a change that re-sorts into the same text is no
        // change (the adapter cannot tell, and neither could WeChat's own check).
        prop_assume!(
            which == 0
                || wechat_signed_text(WECHAT_TOKEN, &timestamp2, &nonce2)
                    != wechat_signed_text(WECHAT_TOKEN, &timestamp, &nonce)
        );
        let query = wechat_query(&signature2, &timestamp2, &nonce2);
        let body = b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType></xml>";
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, body);
        prop_assert!(is_unauthorized(&result), "{result:?}");
        // GET, the console's check, goes through the same verification.
        let result = receive(
            &wechat(), &Method::GET, &HeaderMap::new(), Some(&format!("{query}&echostr=e")), URL,
            b"",
        );
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn wechat_another_token_is_unauthorized(token in "[A-Za-z0-9]{1,32}", nonce in "[0-9]{1,10}") {
        prop_assume!(token != WECHAT_TOKEN);
        let timestamp = SystemClock.now().to_string();
        let query = wechat_query(&wechat_signature(&token, &timestamp, &nonce), &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, b"<xml/>");
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn sms_any_change_to_what_twilio_signed_is_unauthorized(
        url in "https://[a-z]{1,12}\\.example\\.com(:443)?/sms(\\?[a-z]{1,5}=[a-z0-9]{1,5})?",
        params in prop::collection::vec(("[A-Za-z][A-Za-z0-9]{0,12}", any::<String>()), 1..6),
        which in 0..4_usize,
        at in any::<Index>(),
        pick in any::<Index>(),
        replacement in any::<char>(),
        bits in any::<u8>(),
    ) {
        let signature = twilio_signature(&url, &params);
        let (url2, params2, signature2, body2) = match which {
            // The URL Twilio called.
            0 => {
                let mutated = replace_char(&url, at, char::from(other_printable(0, bits)));
                prop_assume!(mutated.is_some());
                (mutated.unwrap(), params.clone(), signature.clone(), form(&params))
            }
            // One character of one parameter's name or value.
            1 => {
                let mut params2 = params.clone();
                let p = &mut params2[pick.index(params.len())];
                let field = if bits % 2 == 0 { &mut p.0 } else { &mut p.1 };
                let mutated = replace_char(field, at, replacement);
                prop_assume!(mutated.is_some());
                *field = mutated.unwrap();
                let body = form(&params2);
                (url.clone(), params2, signature.clone(), body)
            }
            // One character of the signature.
            2 => {
                let mutated = replace_char(&signature, at, char::from(other_printable(0, bits)));
                prop_assume!(mutated.is_some());
                (url.clone(), params.clone(), mutated.unwrap(), form(&params))
            }
            // One byte of the raw form: what it decodes to is what counts.
            _ => {
                let mut body = form(&params);
                let i = at.index(body.len());
                body[i] = other_printable(body[i], bits);
                // A byte that breaks a multi-byte escape is refused as a bad request before
                // the signature is looked at; that path has property 1.
                prop_assume!(percent_decodes_to_utf8(&body));
                let decoded: Vec<(String, String)> =
                    form_urlencoded::parse(&body).into_owned().collect();
                (url.clone(), decoded, signature.clone(), body)
            }
        };
        prop_assume!(
            which == 2 || twilio_signed_text(&url2, &params2) != twilio_signed_text(&url, &params)
        );
        let pairs = [("x-twilio-signature", signature2.as_bytes()), ("content-type", FORM)];
        let result = post(&sms(), &pairs, None, &url2, &body2);
        prop_assert!(is_unauthorized(&result), "{result:?}");
    }
}
