//! The Messenger side of the local stack: a customer who sends signed webhooks, and a fake
//! Send API that records what chatdrop sends.
//!
//! **The customer.** Each webhook is the payload a Facebook Page subscription delivers
//! (`object: "page"`, one entry, one `messaging[]` event from the customer's PSID), signed as
//! Meta signs it: `X-Hub-Signature-256: sha256=` + hex HMAC-SHA256 of the exact bytes posted,
//! under the dev app secret. A tap is what Messenger sends when a quick reply is tapped: a
//! message whose `text` is the button's title and whose `quick_reply.payload` is the payload we
//! gave it, since quick replies are how the adapter offers choices.
//!
//! **The fake API** answers `POST /messenger/{version}/me/messages?access_token=…` the way the
//! Graph API does, so the adapter's error handling meets the real shapes: a missing token is
//! Graph's error 2500 and a wrong one error 190, both HTTP 400 with an `OAuthException`;
//! a request the real Send API refuses (no recipient, an unknown messaging type, a tagged
//! message without its tag, past a documented limit) is error 100; success is
//! `{recipient_id, message_id}`. What a test injected for `messenger` (a delay, a fault, a
//! storm's error 613: see [`crate::fakes`]) is answered after the token check, as a real outage
//! would be, and only accepted requests are recorded, with the PSID as the recipient.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, ProfileAnswer, now_millis};
use crate::platform::{numbered_titles, s, whatsapp};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chatdrop_domain::channel_spec::vars;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The id of the dev Page every simulated customer writes to.
pub const PAGE_ID: &str = "102030405060708";

/// Send API limits the fake enforces, as the real API does
/// (<https://developers.facebook.com/docs/messenger-platform/reference/send-api>).
const MAX_TEXT: usize = 2000;
const MAX_QUICK_REPLIES: usize = 13;
const MAX_BUTTON_TEXT: usize = 640;
const MAX_BUTTONS: usize = 3;

/// Routes of the fake API, merged into the fakes server (paths under `/messenger/`).
pub fn routes() -> Router<Fakes> {
    let token: Arc<str> = dev::secrets()[vars::MESSENGER_PAGE_TOKEN].as_str().into();
    let for_profile = token.clone();
    let for_control = token.clone();
    Router::new()
        .route(
            // `me` is how the adapter names the Page; the Page's own id works too.
            "/messenger/{version}/{node}/messages",
            post(
                move |state: State<Fakes>,
                      path: Path<(String, String)>,
                      query: Query<HashMap<String, String>>,
                      body: Json<Value>| {
                    send_api(token.clone(), state, path, query, body)
                },
            ),
        )
        .route(
            // The handover protocol's calls: recorded as `pass_thread_control` /
            // `take_thread_control`, with the PSID as the recipient.
            "/messenger/{version}/{node}/{call}",
            post(
                move |state: State<Fakes>,
                      path: Path<(String, String, String)>,
                      query: Query<HashMap<String, String>>,
                      body: Json<Value>| {
                    thread_control(for_control.clone(), state, path, query, body)
                },
            ),
        )
        .route(
            "/messenger/{version}/{psid}",
            get(
                move |state: State<Fakes>,
                      path: Path<(String, String)>,
                      query: Query<HashMap<String, String>>| {
                    user_profile(for_profile.clone(), state, path, query)
                },
            ),
        )
}

/// `GET /{version}/{PSID}?fields=locale`
/// (<https://developers.facebook.com/docs/messenger-platform/identity/user-profile>): the
/// fields asked for that the fake knows (`locale` when a test set one, `first_name`), with the
/// `id`; Graph's error 100 for a lookup a test made fail, as a Page without advanced access
/// gets it.
async fn user_profile(
    token: Arc<str>,
    State(fakes): State<Fakes>,
    Path((_version, psid)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.get("access_token").map(String::as_str) != Some(&*token) {
        return graph_error(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let fields: Vec<&str> = query
        .get("fields")
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    match fakes.profile_locale("messenger", &psid) {
        ProfileAnswer::Failed => graph_error(
            100,
            "(#100) Tried accessing nonexisting field (locale) on node type (User)",
        ),
        ProfileAnswer::Found(locale) => {
            let mut body = json!({ "id": psid });
            if fields.contains(&"first_name") {
                body["first_name"] = json!("Ana");
            }
            if let (true, Some(locale)) = (fields.contains(&"locale"), locale) {
                body["locale"] = json!(locale);
            }
            Json(body).into_response()
        }
    }
}

/// `POST /{version}/me/pass_thread_control` and `…/take_thread_control`
/// (<https://developers.facebook.com/docs/messenger-platform/handover-protocol/conversation-control>):
/// the token as the Send API checks it; a pass needs the recipient and a `target_app_id`, a take
/// the recipient; metadata is at most 1,000 characters. Success is `{"success": true}`.
async fn thread_control(
    token: Arc<str>,
    State(fakes): State<Fakes>,
    Path((_version, node, call)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    if query.get("access_token").map(String::as_str) != Some(&*token) {
        return graph_error(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    if node != "me" && node != PAGE_ID {
        return graph_error(100, "(#100) Unsupported post request");
    }
    let psid = s(&body["recipient"]["id"]).to_string();
    let refused = match call.as_str() {
        _ if psid.is_empty() => Some("recipient.id is required"),
        "pass_thread_control" if s(&body["target_app_id"]).is_empty() => {
            Some("target_app_id is required")
        }
        "pass_thread_control" | "take_thread_control" => None,
        _ => return graph_error(100, "(#100) Unsupported post request"),
    };
    if let Some(why) = refused {
        return graph_error(100, &format!("(#100) {why}"));
    }
    if chars(&body["metadata"]) > 1000 {
        return graph_error(100, "(#100) metadata is longer than 1000 characters");
    }
    if let Some(answer) = fakes.injected("messenger", rate_limited).await {
        return answer;
    }
    fakes.record("messenger", psid, &call, body);
    Json(json!({"success": true})).into_response()
}

fn graph_error(code: i64, message: &str) -> Response {
    let error = json!({"error": {
        "message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AFakeTrace1"
    }});
    (StatusCode::BAD_REQUEST, Json(error)).into_response()
}

/// Graph's "too many calls" for a Page (error 613); Meta advises no delay.
fn rate_limited(_retry_after: u64) -> Response {
    graph_error(
        613,
        "(#613) Calls to this api have exceeded the rate limit.",
    )
}

async fn send_api(
    token: Arc<str>,
    State(fakes): State<Fakes>,
    Path((_version, node)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    match query.get("access_token").map(String::as_str) {
        None | Some("") => {
            return graph_error(
                2500,
                "An active access token must be used to query information about the current user.",
            );
        }
        Some(t) if t != &*token => {
            return graph_error(
                190,
                "Invalid OAuth access token - Cannot parse access token",
            );
        }
        Some(_) => {}
    }
    if node != "me" && node != PAGE_ID {
        return graph_error(
            100,
            "(#100) Unsupported post request. Object does not exist or does not support this operation",
        );
    }
    if let Some(answer) = fakes.injected("messenger", rate_limited).await {
        return answer;
    }
    if let Err(why) = validate(&body) {
        return graph_error(100, &format!("(#100) {why}"));
    }
    let psid = body["recipient"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let seq = fakes.record("messenger", psid.clone(), "messages", body);
    Json(json!({"recipient_id": psid, "message_id": format!("m_FAKE{seq:08}")})).into_response()
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// What the real Send API refuses, with its error text.
fn validate(body: &Value) -> Result<(), String> {
    if body["recipient"]["id"].as_str().is_none_or(str::is_empty) {
        return Err("The parameter recipient is required".into());
    }
    match body["messaging_type"].as_str() {
        Some("RESPONSE" | "UPDATE") => {}
        Some("MESSAGE_TAG") => {
            if body["tag"].as_str().is_none_or(str::is_empty) {
                return Err("Param tag must be a valid message tag".into());
            }
        }
        _ => {
            return Err(
                "Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}".into(),
            );
        }
    }
    let message = &body["message"];
    let text = &message["text"];
    let attachment = &message["attachment"];
    match (text.is_string(), attachment.is_object()) {
        (true, false) => {
            if text.as_str().is_some_and(|t| t.trim().is_empty()) {
                return Err("The parameter message[text] is required".into());
            }
            if chars(text) > MAX_TEXT {
                return Err(format!(
                    "Length of param message[text] must be less than or equal to {MAX_TEXT}"
                ));
            }
        }
        (false, true) => {
            let payload = &attachment["payload"];
            if payload["template_type"] == "button" {
                if chars(&payload["text"]) > MAX_BUTTON_TEXT {
                    return Err(format!(
                        "Length of param message[attachment][payload][text] must be less than or equal to {MAX_BUTTON_TEXT}"
                    ));
                }
                let buttons = payload["buttons"].as_array().map_or(0, Vec::len);
                if !(1..=MAX_BUTTONS).contains(&buttons) {
                    return Err("Param message[attachment][payload][buttons] must be an array with 1 to 3 items".into());
                }
            }
        }
        _ => return Err("Must send either message text or an attachment".into()),
    }
    if let Some(replies) = message["quick_replies"].as_array()
        && replies.len() > MAX_QUICK_REPLIES
    {
        return Err(format!(
            "param message[quick_replies] must have at most {MAX_QUICK_REPLIES} items"
        ));
    }
    Ok(())
}

/// One Page event from `customer`, in the envelope a Page subscription delivers, signed.
fn signed_event(customer: &Customer, event: Value) -> Webhook {
    signed(customer, "messaging", false, event)
}

/// One Page event about `customer` under the entry's `array` (`messaging` for the thread's
/// owner, `standby` for the Page's other apps), signed. `from_page`: the Page's own message
/// (an echo), which goes from the Page to the customer.
fn signed(customer: &Customer, array: &str, from_page: bool, event: Value) -> Webhook {
    let ms = now_millis();
    let (sender, recipient) = if from_page {
        (PAGE_ID, customer.id.as_str())
    } else {
        (customer.id.as_str(), PAGE_ID)
    };
    let mut item = json!({
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": ms,
    });
    if let (Some(item), Value::Object(fields)) = (item.as_object_mut(), event) {
        item.extend(fields);
    }
    let payload = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": ms, array: [item]}]});
    let body = serde_json::to_vec(&payload).expect("JSON values serialize");
    let secret = &dev::secrets()[vars::MESSENGER_APP_SECRET];
    Webhook {
        path: "/webhooks/messenger".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            // Meta signs every webhook alike: Messenger's are WhatsApp's scheme.
            ("x-hub-signature-256", whatsapp::signature(secret, &body)),
        ],
        body,
    }
}

/// The customer typing `text` while another app (the Page inbox) owns the thread: Meta
/// delivers it to this app in `standby`
/// (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/standby/>);
/// `id` is unique per call and makes the message id.
pub fn standby_text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    signed(
        customer,
        "standby",
        false,
        json!({"message": {"mid": format!("m_SB{id}"), "text": text}}),
    )
}

/// A person's `text` to the customer from the app `app_id` (the Page inbox), as this app hears
/// it in `standby`: the echo of the Page's message
/// (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/>).
pub fn standby_echo_webhook(customer: &Customer, id: u64, app_id: &str, text: &str) -> Webhook {
    signed(
        customer,
        "standby",
        true,
        json!({"message": {
            "mid": format!("m_ECHO{id}"), "is_echo": true, "app_id": app_id, "text": text
        }}),
    )
}

/// A `messaging_handovers` event about `customer`'s thread, as the Page's other apps cause
/// them (<https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_handovers/>):
/// `kind` is `pass_thread_control` or `take_thread_control`, `control` its object
/// (`previous_owner_app_id`, `new_owner_app_id`, `metadata`).
pub fn handover_webhook(customer: &Customer, kind: &str, control: Value) -> Webhook {
    signed_event(customer, json!({ kind: control }))
}

/// The customer typing `text`; `id` is unique per call and makes the message id.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    signed_event(
        customer,
        json!({"message": {"mid": format!("m_SIM{id}"), "text": text}}),
    )
}

/// The customer tapping the quick reply whose payload is `payload`: Messenger sends the title
/// as the message text and the payload beside it.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    Some(signed_event(
        customer,
        json!({"message": {
            "mid": format!("m_SIM{id}"), "text": title, "quick_reply": {"payload": payload}
        }}),
    ))
}

/// One recorded request as the chat lines the customer sees: the text, then the quick replies
/// or the template's buttons as `[title]` (a link button with where it goes).
pub fn render(entry: &OutboxEntry) -> Option<String> {
    let message = &entry.body["message"];
    if !message.is_object() {
        // A sender action (typing indicator, mark seen) shows no message.
        return None;
    }
    let attachment = &message["attachment"];
    let mut out = match s(&attachment["type"]) {
        "image" => format!("[image {}]", s(&attachment["payload"]["url"])),
        "template" => {
            let payload = &attachment["payload"];
            let buttons: Vec<String> = payload["buttons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| match s(&b["type"]) {
                    "web_url" => format!("[{} → {}]", s(&b["title"]), s(&b["url"])),
                    _ => format!("[{}]", s(&b["title"])),
                })
                .collect();
            format!("{}\n  {}", s(&payload["text"]), buttons.join(" "))
        }
        "" => s(&message["text"]).to_string(),
        other => format!("({other} attachment)"),
    };
    let replies: Vec<String> = message["quick_replies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| format!("[{}]", s(&q["title"])))
        .collect();
    if !replies.is_empty() {
        out.push_str(&format!("\n  {}", replies.join(" ")));
    }
    Some(out)
}

/// The text a recorded request shows (a text message's text, a template's text).
pub fn shown_text(entry: &OutboxEntry) -> String {
    let message = &entry.body["message"];
    [&message["text"], &message["attachment"]["payload"]["text"]]
        .into_iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The choices a recorded request offers: quick replies are tappable; numbered lines without
/// them must be typed. When the adapter lists the choices in full above numbered quick
/// replies (titles too long for a button), the full titles are returned with the payloads.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let message = &entry.body["message"];
    let listed = numbered_titles(s(&message["text"]), &[" — "]);
    let replies: Vec<&Value> = message["quick_replies"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if replies.is_empty() {
        return listed.into_iter().map(|t| (t, None)).collect();
    }
    let full = listed.len() == replies.len();
    replies
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let title = if full {
                listed[i].clone()
            } else {
                s(&q["title"]).to_string()
            };
            (title, q["payload"].as_str().map(String::from))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Platform;
    use crate::platform::harness::{self, failure, menu, receive, refused, session, tampered};
    use chatdrop_channels::Outbound as _;
    use chatdrop_channels::messenger::{
        MessengerConfig, MessengerSendConfig, MessengerSender, MessengerWebhook,
    };
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::inbound::InboundContent;
    use chatdrop_domain::reply::{Reply, ReplyBundle};
    use std::time::Duration;

    const PSID: &str = "6543210987654321";

    fn ana() -> Customer {
        Customer::on(Platform::Messenger, "http://127.0.0.1:9", PSID, "Ana")
    }

    /// The ingress function's Messenger webhook, with the dev secrets.
    fn adapter() -> MessengerWebhook {
        let secrets = dev::secrets();
        MessengerWebhook::new(MessengerConfig {
            app_secret: secrets[vars::MESSENGER_APP_SECRET].clone(),
            verify_token: secrets[vars::MESSENGER_VERIFY_TOKEN].clone(),
            app_id: None,
        })
    }

    #[test]
    fn the_adapter_accepts_the_simulated_text_webhook() {
        let webhook = text_webhook(&ana(), 41, "hello");
        assert_eq!(webhook.path, "/webhooks/messenger");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].conversation,
            ConversationId::new(Channel::Messenger, PSID)
        );
        assert_eq!(m[0].event_id, "m_SIM41");
        assert_eq!(
            m[0].content,
            InboundContent::Text {
                body: "hello".into()
            }
        );
        let age =
            chatdrop_domain::clock::Clock::now(&chatdrop_domain::clock::SystemClock) - m[0].sent_at;
        assert!((0..5).contains(&age), "{age}");
    }

    #[test]
    fn the_adapter_reads_the_simulated_tap_as_the_action() {
        let webhook = tap_webhook(&ana(), 42, "c:p:tee", "Tee").expect("Messenger has taps");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m[0].event_id, "m_SIM42");
        assert_eq!(
            m[0].content,
            InboundContent::Action {
                payload: "c:p:tee".into(),
                title: Some("Tee".into())
            }
        );
    }

    #[test]
    fn a_tampered_simulated_webhook_is_refused() {
        let webhook = text_webhook(&ana(), 43, "hello");
        assert!(refused(&adapter(), &tampered(&webhook, "hello", "hullo")));
    }

    fn entry(message: Value) -> OutboxEntry {
        OutboxEntry {
            seq: 1,
            at_ms: 0,
            channel: "messenger".into(),
            recipient: PSID.into(),
            method: "messages".into(),
            body: json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": message}),
        }
    }

    fn rendered(reply: &Reply) -> Vec<OutboxEntry> {
        chatdrop_channels::messenger::render(Lang::EN, reply)
            .into_iter()
            .map(entry)
            .collect()
    }

    #[test]
    fn quick_replies_are_tappable_choices() {
        let e = &rendered(&menu(&["Tee", "Mug"]))[0];
        assert_eq!(render(e).unwrap(), "Pick one\n  [Tee] [Mug]");
        assert_eq!(shown_text(e), "Pick one");
        assert_eq!(
            choices(e),
            vec![
                ("Tee".into(), Some("c:p:0".into())),
                ("Mug".into(), Some("c:p:1".into()))
            ]
        );
    }

    #[test]
    fn cut_quick_reply_titles_come_back_in_full() {
        let long = "Extra large stoneware mug, glazed blue";
        let e = &rendered(&menu(&[long, "Tee"]))[0];
        assert_eq!(
            choices(e),
            vec![
                (long.into(), Some("c:p:0".into())),
                ("Tee".into(), Some("c:p:1".into()))
            ]
        );
    }

    #[test]
    fn numbered_text_choices_must_be_typed() {
        let titles: Vec<String> = (1..=14).map(|i| format!("Item {i}")).collect();
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        let e = &rendered(&menu(&refs))[0];
        let offered = choices(e);
        assert_eq!(offered.len(), 14);
        assert_eq!(offered[13], ("Item 14".into(), None));
    }

    #[test]
    fn links_and_images_render_as_the_customer_sees_them() {
        let link = rendered(&Reply::Link {
            body: "Ready to pay.".into(),
            label: "Pay".into(),
            url: "https://pay.example/x".into(),
        });
        assert_eq!(
            render(&link[0]).unwrap(),
            "Ready to pay.\n  [Pay → https://pay.example/x]"
        );
        assert_eq!(shown_text(&link[0]), "Ready to pay.");
        let image = rendered(&Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        });
        assert_eq!(
            render(&image[0]).unwrap(),
            "[image https://cdn.example/mug.jpg]"
        );
        assert_eq!(shown_text(&image[1]), "Blue mug");
    }

    // --- the fake API, driven by the real sender ----------------------------------------------

    fn sender(base: &str, token: &str) -> MessengerSender {
        MessengerSender::new(
            chatdrop_channels::http_client(Duration::from_secs(5)),
            MessengerSendConfig {
                graph_base: format!("{base}/messenger"),
                api_version: "v21.0".into(),
                page_access_token: token.into(),
                inbox_app_id: None,
            },
        )
    }

    fn bundle(replies: Vec<Reply>) -> ReplyBundle {
        harness::bundle(Channel::Messenger, PSID, "bundle-1", replies)
    }

    #[tokio::test]
    async fn the_fake_records_accepted_sends_and_answers_with_message_ids() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let token = dev::secrets()[vars::MESSENGER_PAGE_TOKEN].clone();
        let b = bundle(vec![menu(&["Tee", "Mug"])]);
        let sent = sender(&base, &token)
            .send(&session(&b))
            .await
            .expect("sent");
        assert_eq!(sent.message_ids, vec!["m_FAKE00000001".to_string()]);
        let recorded = harness::outbox(&base).await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].channel, "messenger");
        assert_eq!(recorded[0].recipient, PSID);
        assert_eq!(render(&recorded[0]).unwrap(), "Pick one\n  [Tee] [Mug]");
    }

    #[tokio::test]
    async fn the_fake_refuses_a_wrong_token_as_graph_does() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&base, "not-the-page-token").send(&session(&b)).await;
        assert_eq!(failure(&f), ("transient", Some(190)));
        assert!(harness::outbox(&base).await.is_empty());
    }

    #[tokio::test]
    async fn the_fake_answers_an_injected_fault_once() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let fault = json!([{"channel": "messenger", "status": 400, "retry_after": 3, "body": {"error": {
            "message": "(#613) Calls to this api have exceeded the rate limit.", "type": "OAuthException", "code": 613
        }}}]);
        harness::queue_faults(&base, fault).await;
        let token = dev::secrets()[vars::MESSENGER_PAGE_TOKEN].clone();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&base, &token).send(&session(&b)).await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(613),
                retry_after: Duration::from_secs(3)
            })
        );
        sender(&base, &token)
            .send(&session(&b))
            .await
            .expect("the fault is spent");
        assert_eq!(harness::outbox(&base).await.len(), 1);
    }

    #[tokio::test]
    async fn a_storm_is_graphs_rate_limit_error() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        harness::storm(&base, "messenger", 7).await;
        let token = dev::secrets()[vars::MESSENGER_PAGE_TOKEN].clone();
        let b = bundle(vec![Reply::Text { body: "hi".into() }]);
        let f = sender(&base, &token).send(&session(&b)).await;
        assert_eq!(failure(&f), ("rate limited", Some(613)));
        assert!(harness::outbox(&base).await.is_empty());
    }

    #[test]
    fn the_fake_refuses_what_the_send_api_refuses() {
        let ok = json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "hi"}});
        assert_eq!(validate(&ok), Ok(()));
        let mut untagged = ok.clone();
        untagged["messaging_type"] = json!("MESSAGE_TAG");
        assert!(validate(&untagged).is_err());
        untagged["tag"] = json!("POST_PURCHASE_UPDATE");
        assert_eq!(validate(&untagged), Ok(()));
        let mut long = ok.clone();
        long["message"]["text"] = json!("x".repeat(2001));
        assert!(validate(&long).is_err());
        let mut many = ok.clone();
        many["message"]["quick_replies"] = json!(vec![
            json!({"content_type": "text", "title": "t", "payload": "p"});
            14
        ]);
        assert!(validate(&many).is_err());
        let mut nobody = ok;
        nobody["recipient"] = json!({});
        assert!(validate(&nobody).is_err());
    }

    #[tokio::test]
    async fn the_fake_profile_api_answers_the_adapter_as_graph_does() {
        use chatdrop_channels::messenger::MessengerProfiles;
        use chatdrop_domain::channel::ConversationId;
        use chatdrop_domain::ports::CustomerProfiles as _;
        let (base, _server) = crate::fakes::spawn("127.0.0.1:0").await.expect("fakes");
        let lookup = |token: &str| MessengerProfiles {
            client: chatdrop_channels::http_client(Duration::from_secs(5)),
            config: sender(&base, token).config,
        };
        let good = lookup(&dev::secrets()[vars::MESSENGER_PAGE_TOKEN]);
        let ana = ConversationId::new(Channel::Messenger, PSID);
        assert_eq!(good.locale(&ana).await, Ok(None));
        harness::set_profile(&base, "messenger", PSID, Some("pt_BR"), false).await;
        assert_eq!(good.locale(&ana).await, Ok(Some("pt_BR".into())));
        harness::set_profile(&base, "messenger", PSID, None, true).await;
        assert!(good.locale(&ana).await.is_err());
        assert!(lookup("wrong").locale(&ana).await.is_err());
    }
}
