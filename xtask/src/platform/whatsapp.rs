//! The WhatsApp side of the local stack: a customer who sends signed webhooks, and a fake
//! Cloud API that records what chatdrop sends.
//!
//! **The customer.** Each webhook is what a WhatsApp Business Account subscription delivers:
//! `object: "whatsapp_business_account"`, one entry, one `messages` change whose value names
//! the business number ([`crate::dev::WHATSAPP_PHONE_NUMBER_ID`]), the customer's profile and
//! one message from their `wa_id` ([`envelope`]). It is signed as Meta signs it:
//! `X-Hub-Signature-256: sha256=` + hex HMAC-SHA256 of the exact bytes posted, under the dev app
//! secret ([`signature`]; Messenger's webhooks use the same scheme). A tap is an `interactive`
//! message carrying the button's id and title, in reply to an earlier message of ours.
//!
//! **The fake API** answers `POST /graph/{version}/{phone_number_id}/messages` as Graph does:
//!
//! - the bearer token must be the dev access token, or 401 with Graph's error 190;
//! - what a test injected for `whatsapp` is answered next (a delay, a fault, a storm's 429 with
//!   error 130429 and `Retry-After`: see [`crate::fakes`]);
//! - with a throughput limit ([`crate::fakes::spawn_with_throughput`], a business number's
//!   tier), a send past this second's quota is 400 with error 130429;
//! - only approved templates (the order update's, the drop announcement's) may be sent:
//!   another name is error 132001;
//! - the message is recorded under its `to` (method `messages`) and answered with the contact
//!   and a `wamid`.

use crate::customer::{Customer, Webhook};
use crate::dev;
use crate::fakes::{Fakes, OutboxEntry, now_millis};
use crate::platform::s;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chatdrop_domain::channel_spec::vars;
use chatdrop_domain::clock::{Clock, SystemClock};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

const CHANNEL: &str = "whatsapp";
/// The number the business shows its customers, as Graph puts it in `metadata`.
const DISPLAY_PHONE_NUMBER: &str = "15550001111";

// ---------------------------------------------------------------------------------------------
// The customer's webhooks
// ---------------------------------------------------------------------------------------------

/// `sha256=` + hex HMAC-SHA256 of the body under the app secret, as Meta signs.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A Cloud API webhook envelope around one `messages[]` entry from `customer`.
pub fn envelope(customer: &Customer, message: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "104000000000001", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": dev::WHATSAPP_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": customer.name}, "wa_id": customer.id}],
        "messages": [message]
    }}]}]})
}

/// Any payload, serialised and signed as WhatsApp posts it (a test may build its own: several
/// messages in one post, a delivery status).
pub fn sign(payload: Value) -> Webhook {
    let body = serde_json::to_vec(&payload).expect("JSON values serialize");
    let secret = &dev::secrets()[vars::WHATSAPP_APP_SECRET];
    Webhook {
        path: "/webhooks/whatsapp".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-hub-signature-256", signature(secret, &body)),
        ],
        body,
    }
}

/// One `messages[]` entry from `customer` of type `kind`; `id` makes its `wamid`.
fn message(customer: &Customer, id: u64, kind: &str, detail: Value) -> Value {
    let mut message = json!({
        "from": customer.id, "id": format!("wamid.SIM{id}"), "timestamp": SystemClock.now().to_string(),
        "type": kind,
    });
    message[kind] = detail;
    message
}

/// The customer typing `text`; `id` is unique per call.
pub fn text_webhook(customer: &Customer, id: u64, text: &str) -> Webhook {
    let text = message(customer, id, "text", json!({"body": text}));
    sign(envelope(customer, text))
}

/// The customer tapping the reply button whose id is `payload`: WhatsApp sends the button's id
/// and title, in reply to the message that offered it.
pub fn tap_webhook(customer: &Customer, id: u64, payload: &str, title: &str) -> Option<Webhook> {
    let interactive =
        json!({"type": "button_reply", "button_reply": {"id": payload, "title": title}});
    let mut tap = message(customer, id, "interactive", interactive);
    tap["context"] = json!({"from": DISPLAY_PHONE_NUMBER, "id": "wamid.OUTBOUND"});
    Some(sign(envelope(customer, tap)))
}

// ---------------------------------------------------------------------------------------------
// The fake Cloud API
// ---------------------------------------------------------------------------------------------

/// A business number's throughput tier: at most `limit` sends a second.
struct Throughput {
    limit: u32,
    /// Sends accepted in the current second: (the second, how many).
    window: Mutex<(u64, u32)>,
}

impl Throughput {
    /// Takes one send from this second's quota; `false` when it is spent.
    fn take(&self) -> bool {
        let second = now_millis() / 1000;
        let mut window = self.window.lock().expect("throughput lock");
        if window.0 != second {
            *window = (second, 0);
        }
        if window.1 >= self.limit {
            return false;
        }
        window.1 += 1;
        true
    }
}

/// What the fake checks calls against: the access token, and the tier if one is set.
struct Api {
    authorization: String,
    throughput: Option<Throughput>,
}

/// Routes of the fake API, merged into the fakes server (paths under `/graph/`), accepting at
/// most `per_second` sends a second when set.
pub fn routes(per_second: Option<u32>) -> Router<Fakes> {
    let api = Arc::new(Api {
        authorization: format!("Bearer {}", dev::secrets()[vars::WHATSAPP_ACCESS_TOKEN]),
        throughput: per_second.map(|limit| Throughput {
            limit,
            window: Mutex::default(),
        }),
    });
    Router::new().route(
        "/graph/{version}/{phone}/messages",
        post(
            move |state: State<Fakes>,
                  path: Path<(String, String)>,
                  headers: HeaderMap,
                  body: Json<Value>| messages(api.clone(), state, path, headers, body),
        ),
    )
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    let error = json!({"error": {"message": message, "type": "OAuthException", "code": code}});
    (status, Json(error)).into_response()
}

/// Graph's throttling error, with the storm's advised delay.
fn rate_limited(retry_after: u64) -> Response {
    let mut response = graph_error(
        StatusCode::TOO_MANY_REQUESTS,
        130429,
        "(#130429) Rate limit hit",
    );
    response.headers_mut().insert(
        "retry-after",
        retry_after.to_string().parse().expect("digits"),
    );
    response
}

async fn messages(
    api: Arc<Api>,
    State(fakes): State<Fakes>,
    Path((_version, _phone)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(api.authorization.as_str())
    {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    if let Some(answer) = fakes.injected(CHANNEL, rate_limited).await {
        return answer;
    }
    if api.throughput.as_ref().is_some_and(|t| !t.take()) {
        return graph_error(StatusCode::BAD_REQUEST, 130429, "(#130429) Rate limit hit");
    }
    // Only approved templates may be sent; an unknown name is Graph's error 132001.
    let approved = [
        dev::WHATSAPP_ORDER_TEMPLATE,
        dev::WHATSAPP_MARKETING_TEMPLATE,
    ];
    if body["type"] == "template"
        && !approved
            .iter()
            .any(|name| body["template"]["name"] == *name)
    {
        return graph_error(
            StatusCode::BAD_REQUEST,
            132001,
            "(#132001) Template name does not exist in the translation",
        );
    }
    let to = body["to"].as_str().unwrap_or_default().to_string();
    let seq = fakes.record(CHANNEL, to.clone(), "messages", body);
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": format!("wamid.FAKE{seq:08}")}],
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// What the customer sees
// ---------------------------------------------------------------------------------------------

/// One recorded request as the chat lines the customer sees: reply buttons as `[title]`, a
/// list as its button and rows, a link button with where it goes.
pub fn render(entry: &OutboxEntry) -> Option<String> {
    let b = &entry.body;
    Some(match s(&b["type"]) {
        "text" => s(&b["text"]["body"]).to_string(),
        "image" => format!(
            "[image {}] {}",
            s(&b["image"]["link"]),
            s(&b["image"]["caption"])
        ),
        "interactive" => {
            let i = &b["interactive"];
            let body = s(&i["body"]["text"]);
            match s(&i["type"]) {
                "button" => {
                    let buttons: Vec<String> = i["action"]["buttons"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|btn| format!("[{}]", s(&btn["reply"]["title"])))
                        .collect();
                    format!("{body}\n  {}", buttons.join(" "))
                }
                "list" => {
                    let mut out = format!("{body}\n  ≡ {}", s(&i["action"]["button"]));
                    for row in rows(&i["action"]) {
                        out.push_str(&format!("\n    • {}", s(&row["title"])));
                        if let Some(d) = row["description"].as_str() {
                            out.push_str(&format!(" ({d})"));
                        }
                    }
                    out
                }
                "cta_url" => format!(
                    "{body}\n  [{} → {}]",
                    s(&i["action"]["parameters"]["display_text"]),
                    s(&i["action"]["parameters"]["url"])
                ),
                other => format!("({other} message)"),
            }
        }
        other => format!("({other} message)"),
    })
}

/// The rows of an interactive list's sections, in order.
fn rows(action: &Value) -> impl Iterator<Item = &Value> {
    action["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|section| section["rows"].as_array().into_iter().flatten())
}

/// The text a recorded request shows: a text's body, an interactive message's body, an
/// image's caption.
pub fn shown_text(entry: &OutboxEntry) -> String {
    let b = &entry.body;
    [
        &b["text"]["body"],
        &b["interactive"]["body"]["text"],
        &b["image"]["caption"],
    ]
    .into_iter()
    .filter_map(Value::as_str)
    .collect::<Vec<_>>()
    .join("\n")
}

/// The choices a recorded request offers: its reply buttons, then its list rows, each with
/// the id a tap sends.
pub fn choices(entry: &OutboxEntry) -> Vec<(String, Option<String>)> {
    let action = &entry.body["interactive"]["action"];
    let buttons = action["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|btn| &btn["reply"]);
    buttons
        .chain(rows(action))
        .map(|c| {
            (
                s(&c["title"]).to_string(),
                c["id"].as_str().map(String::from),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::harness::{self, failure, menu, receive, refused, session, tampered};
    use chatdrop_channels::Outbound as _;
    use chatdrop_channels::whatsapp::{
        WhatsappConfig, WhatsappSendConfig, WhatsappSender, WhatsappWebhook,
    };
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::delivery::SendFailure;
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::inbound::InboundContent;
    use chatdrop_domain::reply::{Reply, ReplyBundle};
    use std::time::Duration;

    const WA_ID: &str = "5511987654321";

    fn ana() -> Customer {
        Customer::whatsapp("http://127.0.0.1:9", WA_ID, "Ana")
    }

    /// The ingress function's WhatsApp webhook, with the dev secrets.
    fn adapter() -> WhatsappWebhook {
        let secrets = dev::secrets();
        WhatsappWebhook::new(WhatsappConfig {
            app_secret: secrets[vars::WHATSAPP_APP_SECRET].clone(),
            verify_token: secrets[vars::WHATSAPP_VERIFY_TOKEN].clone(),
        })
    }

    #[test]
    fn the_adapter_accepts_the_simulated_text_webhook() {
        let webhook = text_webhook(&ana(), 41, "hello");
        assert_eq!(webhook.path, "/webhooks/whatsapp");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].conversation,
            ConversationId::new(Channel::Whatsapp, WA_ID)
        );
        assert_eq!(m[0].event_id, "wamid.SIM41");
        assert_eq!(
            m[0].content,
            InboundContent::Text {
                body: "hello".into()
            }
        );
        let age = SystemClock.now() - m[0].sent_at;
        assert!((0..5).contains(&age), "{age}");
    }

    #[test]
    fn the_adapter_reads_the_simulated_tap_as_the_action() {
        let webhook = tap_webhook(&ana(), 42, "c:p:tee", "Tee").expect("WhatsApp has buttons");
        let m = receive(&adapter(), &webhook);
        assert_eq!(m[0].event_id, "wamid.SIM42");
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

    fn rendered(reply: &Reply) -> Vec<OutboxEntry> {
        chatdrop_channels::whatsapp::render(WA_ID, Lang::EN, reply)
            .into_iter()
            .map(|body| OutboxEntry {
                seq: 1,
                at_ms: 0,
                channel: CHANNEL.into(),
                recipient: WA_ID.into(),
                method: "messages".into(),
                body,
            })
            .collect()
    }

    #[test]
    fn reply_buttons_are_tappable_choices() {
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
    fn a_longer_menu_is_a_list_whose_rows_are_tappable() {
        let e = &rendered(&menu(&["Tee", "Mug", "Cap", "Tote"]))[0];
        assert_eq!(
            render(e).unwrap(),
            "Pick one\n  ≡ Menu\n    • Tee\n    • Mug\n    • Cap\n    • Tote"
        );
        let offered = choices(e);
        assert_eq!(offered.len(), 4);
        assert_eq!(offered[3], ("Tote".into(), Some("c:p:3".into())));
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
        assert!(choices(&link[0]).is_empty());
        let image = rendered(&Reply::Image {
            url: "https://cdn.example/mug.jpg".into(),
            caption: Some("Blue mug".into()),
        });
        assert_eq!(
            render(&image[0]).unwrap(),
            "[image https://cdn.example/mug.jpg] Blue mug"
        );
        assert_eq!(shown_text(&image[0]), "Blue mug");
    }

    // --- the fake API, driven by the real sender ----------------------------------------------

    fn sender(base: &str, token: &str) -> WhatsappSender {
        WhatsappSender::new(
            chatdrop_channels::http_client(Duration::from_secs(5)),
            WhatsappSendConfig {
                graph_base: format!("{base}/graph"),
                api_version: "v21.0".into(),
                phone_number_id: dev::WHATSAPP_PHONE_NUMBER_ID.into(),
                access_token: token.into(),
                order_update_template: None,
            },
        )
    }

    fn dev_token() -> String {
        dev::secrets()[vars::WHATSAPP_ACCESS_TOKEN].clone()
    }

    fn bundle(replies: Vec<Reply>) -> ReplyBundle {
        harness::bundle(Channel::Whatsapp, WA_ID, "b1", replies)
    }

    fn hi() -> ReplyBundle {
        bundle(vec![Reply::Text { body: "hi".into() }])
    }

    #[tokio::test]
    async fn the_fake_records_accepted_sends_and_answers_with_wamids() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let b = bundle(vec![menu(&["Tee", "Mug"])]);
        let sent = sender(&base, &dev_token()).send(&session(&b)).await;
        assert_eq!(sent.expect("sent").message_ids, vec!["wamid.FAKE00000001"]);
        let recorded = harness::outbox(&base).await;
        assert_eq!(recorded.len(), 1);
        let e = &recorded[0];
        assert_eq!(
            (e.channel.as_str(), e.recipient.as_str(), e.method.as_str()),
            (CHANNEL, WA_ID, "messages")
        );
        assert_eq!(render(e).unwrap(), "Pick one\n  [Tee] [Mug]");
    }

    #[tokio::test]
    async fn the_fake_refuses_a_wrong_token_as_graph_does() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let f = sender(&base, "not-the-token").send(&session(&hi())).await;
        assert_eq!(failure(&f), ("transient", Some(190)));
        assert!(harness::outbox(&base).await.is_empty());
    }

    #[tokio::test]
    async fn a_storm_is_graphs_130429_with_the_advised_delay() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        harness::storm(&base, CHANNEL, 7).await;
        let f = sender(&base, &dev_token()).send(&session(&hi())).await;
        assert_eq!(
            f,
            Err(SendFailure::RateLimited {
                code: Some(130429),
                retry_after: Duration::from_secs(7)
            })
        );
        assert!(harness::outbox(&base).await.is_empty());
    }

    #[tokio::test]
    async fn a_spent_throughput_quota_is_graphs_130429() {
        // A tier of nothing a second: every send is past the quota, whatever the clock says.
        let (base, _task) = crate::fakes::spawn_with_throughput("127.0.0.1:0", Some(0))
            .await
            .unwrap();
        let f = sender(&base, &dev_token()).send(&session(&hi())).await;
        assert_eq!(failure(&f), ("rate limited", Some(130429)));
        assert!(harness::outbox(&base).await.is_empty());
    }

    #[tokio::test]
    async fn only_the_approved_template_is_sent() {
        let (base, _task) = crate::fakes::spawn("127.0.0.1:0").await.unwrap();
        let send = |name: &'static str| {
            let url = format!(
                "{base}/graph/v21.0/{}/messages",
                dev::WHATSAPP_PHONE_NUMBER_ID
            );
            async move {
                let template = json!({"messaging_product": "whatsapp", "to": WA_ID,
                    "type": "template", "template": {"name": name, "language": {"code": "en_US"}}});
                let response = crate::local_http::client()
                    .post(url)
                    .bearer_auth(dev_token())
                    .json(&template)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body["error"]["code"].as_i64())
            }
        };
        assert_eq!(send("spring_sale").await, (400, Some(132001)));
        assert_eq!(send(dev::WHATSAPP_ORDER_TEMPLATE).await, (200, None));
        assert_eq!(harness::outbox(&base).await.len(), 1);
    }
}
