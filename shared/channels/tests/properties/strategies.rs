//! The generated inputs: header values, queries, JSON documents and bodies shaped like what the
//! webhooks read, so more of each parser runs, and whole unsigned requests ([`Garbage`]).

use super::*;
use proptest::prelude::*;

/// Every header any webhook reads, so garbage lands where it is looked at.
const HEADER_NAMES: &[&str] = &[
    "x-hub-signature-256",
    "x-hub-signature",
    "x-line-signature",
    "x-line-retry-key",
    "x-telegram-bot-api-secret-token",
    "x-twilio-signature",
    "x-chatdrop-skill-secret",
    "content-type",
];

/// A header value: raw bytes, or something shaped like what a webhook expects (a hex or
/// Base64 MAC of the wrong key, a content type it accepts), which gets further in.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..100),
        "sha256=[0-9a-fA-F]{64}".prop_map(String::into_bytes),
        "[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{43}=".prop_map(String::into_bytes),
        prop::sample::select(vec![
            "application/json",
            "text/xml",
            "application/xml",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-8",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// A query: arbitrary text, or the parameters WeChat and Meta's subscription check read, with
/// arbitrary values.
fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<String>(),
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>()
        )
            .prop_map(|(s, t, n, e)| {
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("signature", &s)
                    .append_pair("timestamp", &t)
                    .append_pair("nonce", &n)
                    .append_pair("echostr", &e)
                    .finish()
            }),
        (any::<String>(), any::<String>()).prop_map(|(token, challenge)| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("hub.mode", "subscribe")
                .append_pair("hub.verify_token", &token)
                .append_pair("hub.challenge", &challenge)
                .finish()
        }),
    ])
}

/// Any JSON document, nested a few levels: closer to what the JSON parsers expect than raw
/// bytes, so more of them runs.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec![
            "whatsapp_business_account",
            "page",
            "messages",
            "text",
            "user",
            "message",
            "private",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    any::<String>(),
                    prop::sample::select(vec![
                        "object",
                        "entry",
                        "changes",
                        "field",
                        "value",
                        "messages",
                        "from",
                        "id",
                        "type",
                        "text",
                        "body",
                        "update_id",
                        "message",
                        "chat",
                        "events",
                        "source",
                        "messaging",
                        "sender",
                        "timestamp",
                    ])
                    .prop_map(String::from),
                ],
                inner,
                0..8,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: raw bytes, or a JSON document.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

/// A whole request nobody signed.
#[derive(Debug)]
pub struct Garbage {
    pub method: Method,
    pub headers: Vec<(&'static str, Vec<u8>)>,
    pub query: Option<String>,
    pub url: String,
    pub body: Vec<u8>,
}

pub fn garbage() -> impl Strategy<Value = Garbage> {
    (
        prop::sample::select(vec![Method::POST, Method::GET, Method::PUT, Method::DELETE]),
        prop::collection::vec((prop::sample::select(HEADER_NAMES), header_value()), 0..6),
        query(),
        prop_oneof![any::<String>(), Just(URL.to_string())],
        body(),
    )
        .prop_map(|(method, headers, query, url, body)| Garbage {
            method,
            headers,
            query,
            url,
            body,
        })
}
