//! KakaoTalk's Open Builder, played against the local stack.
//!
//! Kakao differs from the other six platforms: there is no send API to fake, because the answer
//! comes back in the skill call's own response. So this file is the other side only: an
//! [`OpenBuilder`] that calls the skill as Kakao's chatbot does (the skill request of
//! <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format>: an
//! utterance typed by the customer, or a quick-reply or list-row tap that sends its
//! `messageText` as the utterance and its `extra` as `action.clientExtra`, to the block it
//! names), with the skill's secret header, and that checks every answer as Kakao would take it:
//! version 2.0, one to three outputs of known components, at most ten quick replies with labels
//! of at most 14 characters, the body within 30,720 bytes, and the answer within the 5-second
//! skill timeout. Each call is timed; [`SkillAnswer::elapsed`] is what the bench measures.

use crate::platform::s;
use chatdrop_channels::kakao::{LIMITS, REQUEST_ID_HEADER, SECRET_HEADER};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Open Builder's skill timeout: "skill timeout: 5sec"
/// (<https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide>).
pub const SKILL_TIMEOUT: Duration = Duration::from_secs(5);

/// The block the local bot routes everything to (its fallback block, calling the skill).
pub const FALLBACK_BLOCK: &str = "64f0fa11b1a2c3d4e5f60001";

/// One KakaoTalk customer of the local bot.
#[derive(Debug, Clone)]
pub struct KakaoUser {
    /// The `botUserKey`: `userRequest.user.id`.
    pub id: String,
    /// `userRequest.lang`.
    pub lang: String,
    /// The Kakao Login app user id the skill request carries when the bot is linked to the
    /// retailer's Kakao Developers app (`userRequest.user.properties.appUserId`).
    pub app_user_id: Option<String>,
}

impl KakaoUser {
    pub fn korean(id: &str) -> Self {
        KakaoUser {
            id: id.into(),
            lang: "ko".into(),
            app_user_id: None,
        }
    }

    /// The same customer, signed in to the retailer's app with Kakao Login.
    pub fn with_app_user_id(mut self, app_user_id: &str) -> Self {
        self.app_user_id = Some(app_user_id.into());
        self
    }
}

/// The chatbot calling one skill URL.
pub struct OpenBuilder {
    pub skill_url: String,
    pub secret: String,
    pub bot_id: String,
    client: reqwest::Client,
    next_request: AtomicU64,
}

/// A skill call's answer, as Kakao received it.
#[derive(Debug, Clone)]
pub struct SkillAnswer {
    pub status: u16,
    /// The body as JSON (`Value::Null` when it is not JSON: refusals are plain text).
    pub body: Value,
    pub bytes: usize,
    pub elapsed: Duration,
    /// The skill's own account of where the time went (its `Server-Timing` header): `parse`,
    /// `turn`, `render`, in milliseconds.
    pub server_timing: Vec<(String, f64)>,
}

/// `Server-Timing: parse;dur=0.021, turn;dur=35.2` as (name, milliseconds) pairs.
fn server_timing(header: Option<&str>) -> Vec<(String, f64)> {
    header
        .unwrap_or_default()
        .split(',')
        .filter_map(|metric| {
            let mut parts = metric.trim().split(';');
            let name = parts.next()?.trim().to_string();
            let dur = parts.find_map(|p| p.trim().strip_prefix("dur=")?.parse().ok())?;
            Some((name, dur))
        })
        .collect()
}

/// What a customer can tap in an answer: its label as shown, the `messageText` it sends and the
/// `extra` it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Tap {
    pub label: String,
    pub message_text: String,
    pub block_id: String,
    pub extra: Value,
}

impl OpenBuilder {
    /// The local stack's bot: its development secret and bot id, calling `/webhooks/kakao`.
    pub fn local(stack_url: &str) -> Self {
        OpenBuilder {
            skill_url: format!("{stack_url}/webhooks/kakao"),
            secret: crate::dev::secrets()[chatdrop_domain::channel_spec::vars::KAKAO_SKILL_SECRET]
                .clone(),
            bot_id: crate::dev::KAKAO_BOT_ID.into(),
            client: crate::local_http::client(),
            next_request: AtomicU64::new(1),
        }
    }

    /// A skill request body as Open Builder builds it.
    pub fn request_body(
        &self,
        user: &KakaoUser,
        utterance: &str,
        block_id: &str,
        extra: Value,
    ) -> Vec<u8> {
        let mut properties =
            json!({"plusfriendUserKey": format!("pf-{}", user.id), "isFriend": true});
        if let Some(app_user_id) = &user.app_user_id {
            properties["appUserId"] = json!(app_user_id);
        }
        json!({
            "intent": {"id": block_id, "name": "폴백 블록"},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "lang": user.lang,
                "utterance": utterance,
                "block": {"id": block_id, "name": "폴백 블록"},
                "params": {"surface": "Kakaotalk.plusfriend"},
                "user": {"id": user.id, "type": "botUserKey", "properties": properties}
            },
            "bot": {"id": self.bot_id, "name": "chatdrop local"},
            "action": {"id": "skill-chatdrop", "name": "chatdrop", "params": {},
                       "detailParams": {}, "clientExtra": extra},
            "contexts": []
        })
        .to_string()
        .into_bytes()
    }

    /// A fresh request id, as Kakao gives each call.
    pub fn request_id(&self) -> String {
        format!(
            "local-{}-{}",
            std::process::id(),
            self.next_request.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The customer types `utterance`.
    pub async fn say(&self, user: &KakaoUser, utterance: &str) -> SkillAnswer {
        let body = self.request_body(user, utterance, FALLBACK_BLOCK, Value::Null);
        self.call(&body, Some(&self.request_id()), Some(&self.secret))
            .await
    }

    /// The customer taps `tap`: its `messageText` becomes the utterance, its `extra` the
    /// `clientExtra`, sent to the block it names.
    pub async fn tap(&self, user: &KakaoUser, tap: &Tap) -> SkillAnswer {
        let body = self.request_body(user, &tap.message_text, &tap.block_id, tap.extra.clone());
        self.call(&body, Some(&self.request_id()), Some(&self.secret))
            .await
    }

    /// Posts `body` as a skill call with the given request id and secret header (either left out
    /// when `None`), timed.
    pub async fn call(
        &self,
        body: &[u8],
        request_id: Option<&str>,
        secret: Option<&str>,
    ) -> SkillAnswer {
        let mut request = self
            .client
            .post(&self.skill_url)
            .header("content-type", "application/json;charset=UTF-8")
            .timeout(SKILL_TIMEOUT)
            .body(body.to_vec());
        if let Some(id) = request_id {
            request = request.header(REQUEST_ID_HEADER, id);
        }
        if let Some(secret) = secret {
            request = request.header(SECRET_HEADER, secret);
        }
        let started = Instant::now();
        let response = request.send().await.expect("the skill answers within 5 s");
        let status = response.status().as_u16();
        let timing = server_timing(
            response
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok()),
        );
        let bytes = response.bytes().await.expect("the skill's body reads");
        let elapsed = started.elapsed();
        SkillAnswer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            bytes: bytes.len(),
            elapsed,
            server_timing: timing,
        }
    }
}

impl SkillAnswer {
    /// Everything the answer shows as text: simple texts, card titles and descriptions, list
    /// headers and rows, image alt texts, button and quick-reply labels.
    pub fn shown_text(&self) -> String {
        let mut out = Vec::new();
        collect_text(&self.body["template"], &mut out);
        out.join("\n")
    }

    /// Every tappable choice: quick replies, then list rows (in every card of a carousel),
    /// then the `block` buttons of commerce cards.
    pub fn taps(&self) -> Vec<Tap> {
        let template = &self.body["template"];
        let mut taps: Vec<Tap> = template["quickReplies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| tap_of(q, "label"))
            .collect();
        for output in template["outputs"].as_array().into_iter().flatten() {
            let cards: Vec<&Value> = match (&output["listCard"], &output["carousel"]) {
                (card, _) if card.is_object() => vec![card],
                (_, carousel) if carousel["type"] == "listCard" => {
                    carousel["items"].as_array().into_iter().flatten().collect()
                }
                _ => Vec::new(),
            };
            for card in cards {
                for item in card["items"].as_array().into_iter().flatten() {
                    taps.push(tap_of(item, "title"));
                }
            }
            for button in output["commerceCard"]["buttons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["action"] == "block")
            {
                taps.push(tap_of(button, "label"));
            }
        }
        taps
    }

    /// The tap whose label (or the text it sends) contains `words`, if one is offered.
    pub fn find_tap(&self, words: &str) -> Option<Tap> {
        self.taps()
            .into_iter()
            .find(|t| t.label.contains(words) || t.message_text.contains(words))
    }

    /// The tap whose label contains `words`; panics naming what was offered.
    pub fn tap_labelled(&self, words: &str) -> Tap {
        self.find_tap(words)
            .unwrap_or_else(|| panic!("no tap labelled {words:?} in {:#?}", self.taps()))
    }

    /// Every `webLink` button's URL (the pay link).
    pub fn web_links(&self) -> Vec<String> {
        let mut links = Vec::new();
        collect_links(&self.body["template"], &mut links);
        links
    }

    /// Checks the answer as Kakao takes it (module docs); `Err` says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.status != 200 {
            return Err(format!("status {}", self.status));
        }
        if self.elapsed > SKILL_TIMEOUT {
            return Err(format!("answered after {:?}", self.elapsed));
        }
        if self.bytes > LIMITS.response_bytes {
            return Err(format!("{} bytes", self.bytes));
        }
        if self.body["version"] != "2.0" {
            return Err("no version 2.0".into());
        }
        let outputs = self.body["template"]["outputs"]
            .as_array()
            .ok_or("no outputs")?;
        if outputs.is_empty() || outputs.len() > LIMITS.outputs {
            return Err(format!("{} outputs", outputs.len()));
        }
        for o in outputs {
            let known = [
                "simpleText",
                "simpleImage",
                "basicCard",
                "textCard",
                "commerceCard",
                "listCard",
                "itemCard",
                "carousel",
            ];
            let kinds: Vec<&String> = o
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            if kinds.len() != 1 || !known.contains(&kinds[0].as_str()) {
                return Err(format!("unknown output {o}"));
            }
            if let Some(text) = o["simpleText"]["text"].as_str()
                && (text.is_empty() || text.chars().count() > LIMITS.simple_text)
            {
                return Err(format!("simpleText of {} characters", text.chars().count()));
            }
            if let Some(url) = o["simpleImage"]["imageUrl"].as_str()
                && !url.starts_with("https://")
            {
                return Err(format!("image not over HTTPS: {url}"));
            }
            if o["commerceCard"].is_object() {
                check_commerce_card(&o["commerceCard"])?;
            }
            for card in ["basicCard", "textCard"] {
                if o[card].is_object() {
                    check_card(card, &o[card])?;
                }
            }
        }
        let quick = self.body["template"]["quickReplies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if quick.len() > LIMITS.quick_replies {
            return Err(format!("{} quick replies", quick.len()));
        }
        for q in &quick {
            let label = q["label"].as_str().unwrap_or_default();
            if label.is_empty() || label.chars().count() > LIMITS.quick_reply_label {
                return Err(format!("quick reply label {label:?}"));
            }
            if !matches!(q["action"].as_str(), Some("message" | "block")) {
                return Err(format!("quick reply action {}", q["action"]));
            }
            if q["action"] == "block" && q["blockId"].as_str().unwrap_or_default().is_empty() {
                return Err("a block quick reply without blockId".into());
            }
        }
        Ok(())
    }
}

/// A `commerceCard` as Kakao takes it: its price a whole number of won, exactly one HTTPS
/// thumbnail, 1 to 3 buttons with labels of at most 14 characters, title and description
/// within the card's limits (`chatdrop_channels::kakao::LIMITS`, each pinned with its source).
fn check_commerce_card(card: &Value) -> Result<(), String> {
    if !card["price"].is_i64() || card["currency"] != "won" {
        return Err(format!(
            "commerceCard price {} {}",
            card["price"], card["currency"]
        ));
    }
    let thumbnails = card["thumbnails"].as_array().cloned().unwrap_or_default();
    if thumbnails.len() != 1 || !s(&thumbnails[0]["imageUrl"]).starts_with("https://") {
        return Err(format!("commerceCard thumbnails {}", card["thumbnails"]));
    }
    if s(&card["description"]).chars().count() > LIMITS.card_description
        || s(&card["title"]).chars().count() > LIMITS.card_title
    {
        return Err("commerceCard title or description too long".into());
    }
    let buttons = card["buttons"].as_array().cloned().unwrap_or_default();
    if buttons.is_empty() || buttons.len() > LIMITS.card_buttons {
        return Err(format!("commerceCard with {} buttons", buttons.len()));
    }
    for b in &buttons {
        let label = s(&b["label"]);
        if label.is_empty() || label.chars().count() > LIMITS.button_label {
            return Err(format!("commerceCard button label {label:?}"));
        }
    }
    Ok(())
}

/// A `basicCard` or `textCard` as Kakao takes it: a description within the card's limit, at
/// most three buttons, each with a label of at most 14 characters and one of the button
/// actions (`operator` among them; quick replies have fewer).
fn check_card(kind: &str, card: &Value) -> Result<(), String> {
    if s(&card["description"]).chars().count() > LIMITS.card_description {
        return Err(format!("{kind} description too long"));
    }
    let buttons = card["buttons"].as_array().cloned().unwrap_or_default();
    if buttons.len() > LIMITS.card_buttons {
        return Err(format!("{kind} with {} buttons", buttons.len()));
    }
    for b in &buttons {
        let label = s(&b["label"]);
        if label.is_empty() || label.chars().count() > LIMITS.button_label {
            return Err(format!("{kind} button label {label:?}"));
        }
        let actions = [
            "webLink", "message", "block", "phone", "osLink", "share", "operator",
        ];
        if !actions.contains(&s(&b["action"])) {
            return Err(format!("{kind} button action {}", b["action"]));
        }
    }
    Ok(())
}

fn tap_of(v: &Value, label_field: &str) -> Tap {
    Tap {
        label: v[label_field].as_str().unwrap_or_default().to_string(),
        message_text: v["messageText"].as_str().unwrap_or_default().to_string(),
        block_id: v["blockId"].as_str().unwrap_or(FALLBACK_BLOCK).to_string(),
        extra: v["extra"].clone(),
    }
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("text" | "title" | "description" | "label" | "altText", Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => collect_text(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        _ => {}
    }
}

fn collect_links(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if map.get("action").and_then(Value::as_str) == Some("webLink")
                && let Some(url) = map.get("webLinkUrl").and_then(Value::as_str)
            {
                out.push(url.to_string());
            }
            map.values().for_each(|x| collect_links(x, out));
        }
        Value::Array(items) => items.iter().for_each(|i| collect_links(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::reply::{Choice, Reply};

    /// The real renderer's answer passes the fake's checks, and its taps are found: a fake
    /// that drifted from the adapter (or the other way) fails here.
    #[test]
    fn the_adapters_answers_pass_the_checks_and_offer_their_taps() {
        let replies = [
            Reply::Link {
                body: "아틀리에 백 × 1".into(),
                label: "결제하기".into(),
                url: "https://shop.example/p/tok".into(),
            },
            Reply::Choices {
                body: "#A1B2".into(),
                menu_label: "메뉴".into(),
                choices: vec![Choice {
                    id: "p:x:1".into(),
                    title: "예약 취소".into(),
                    description: None,
                }],
            },
        ];
        let body =
            chatdrop_channels::kakao::render_response(Lang::KO, Some(FALLBACK_BLOCK), &replies);
        let answer = SkillAnswer {
            status: 200,
            bytes: body.to_string().len(),
            body,
            elapsed: Duration::from_millis(20),
            server_timing: server_timing(Some("parse;dur=0.021, turn;dur=35.2")),
        };
        assert_eq!(
            answer.server_timing,
            [("parse".to_string(), 0.021), ("turn".to_string(), 35.2)]
        );
        assert_eq!(answer.check(), Ok(()));
        assert_eq!(answer.web_links(), ["https://shop.example/p/tok"]);
        let tap = answer.tap_labelled("예약 취소");
        assert_eq!(tap.extra, json!({"payload": "p:x:1"}));
        assert_eq!(tap.block_id, FALLBACK_BLOCK);
        assert!(answer.shown_text().contains("아틀리에 백"));

        let mut late = answer.clone();
        late.elapsed = Duration::from_secs(6);
        assert!(late.check().is_err());
        let mut bare = answer;
        bare.body["template"]["outputs"] = json!([]);
        assert_eq!(bare.check(), Err("0 outputs".into()));
    }
}
