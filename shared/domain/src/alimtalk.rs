//! KakaoTalk's AlimTalk (알림톡): how an order notice reaches a Kakao customer after the chat.
//!
//! A Kakao chatbot speaks only inside the customer's own skill request (see
//! `chatdrop_channels::kakao`), so what happens to an order later (paid, lapsed, shipped,
//! refunded) cannot be written into the chat. Kakao's channel for such notices is AlimTalk:
//! informational messages delivered *by phone number*, sent only through a registered dealer
//! and only as a template Kakao approved beforehand, word for word, with `#{variable}` slots
//! (<https://www.infobip.com/docs/kakaotalk/message-types/alim-talk>; the dealer adapter here is
//! NAVER Cloud SENS, <https://api.ncloud-docs.com/docs/en/sens-alimtalk-send>). Hence three
//! rules this module keeps:
//!
//! - **Only an approved template, exactly.** A notice goes out only if the deployment maps its
//!   kind (`paid`, `released`, `shipped`, `refunded`, …) to a template ([`AlimtalkTemplates`]:
//!   the template's code and its approved text), and the message is that text with each
//!   `#{variable}` filled in ([`fill`]) and nothing else. A notice that fits no configured
//!   template is *held* for ops with the reason, as before AlimTalk existed, never sent as free
//!   text (Kakao refuses content that differs from the template anyway).
//! - **A phone the customer proved.** AlimTalk is addressed to a phone number, and a Kakao chat
//!   carries none: the recipient is the phone verified on the conversation's session
//!   (`Identity::verified_phone`). Without one the notice is held, saying so.
//! - **Within AlimTalk's limits.** The filled message is at most [`MAX_CONTENT_CHARS`]
//!   characters; a longer one (a long item list in a variable) fails at the dealer, so it is
//!   held here instead, with the reason.
//!
//! [`deliver`] is notify's path for such a bundle (what [`applies`] picks): the same delivery
//! log as every other send, so a redelivered bundle is not sent twice once recorded, the sent
//! message lands in the conversation's thread, a permanent refusal is recorded and a transient
//! one retried by notify's budget. The dealer is the [`AlimtalkSender`] port; [`MemoryAlimtalk`]
//! is its in-memory double.

use crate::channel::{Channel, ConversationId};
use crate::delivery::{
    Delivered, DeliveryError, DeliveryLog, Moment, Outgoing, SendFailure, SendMode, Sent,
};
use crate::reply::{OrderUpdate, Reply, ReplyBundle};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

/// The longest AlimTalk message, in characters including spaces (Infobip's AlimTalk guide;
/// the dealers' guides agree: kakao-viber-reach.md 1.4).
pub const MAX_CONTENT_CHARS: usize = 1000;

/// The variables a template may use, and what fills each, from the notice's [`OrderUpdate`].
pub const VARIABLES: [&str; 4] = ["order", "amount", "summary", "tracking"];

/// One approved template: Kakao's code for it and its approved text, `#{variable}` slots
/// included, exactly as approved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlimtalkTemplate {
    pub code: String,
    pub text: String,
}

/// Which template each kind of order notice goes out as (`paid`, `released`, `shipped`,
/// `refunded`, `attention`, `awaiting_payment`); kinds not named are held for ops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlimtalkTemplates(BTreeMap<String, AlimtalkTemplate>);

/// A template configuration that cannot be used: refused at start, so a typo never surfaces
/// as a held notice weeks later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the AlimTalk templates are not a JSON object of {{kind: {{code, text}}}}: {0}")]
    Json(String),
    #[error("AlimTalk template for `{kind}` has no code or no text")]
    Empty { kind: String },
    #[error(
        "AlimTalk template for `{kind}` uses #{{{variable}}}, which no notice fills (known: order, amount, summary, tracking)"
    )]
    UnknownVariable { kind: String, variable: String },
    #[error("AlimTalk template for `{kind}` has an unclosed `#{{`")]
    Unclosed { kind: String },
}

impl AlimtalkTemplates {
    /// Reads `{"paid": {"code": "…", "text": "… #{order} … #{amount}"}, …}` and checks each
    /// template's variables.
    pub fn parse(json: &str) -> Result<AlimtalkTemplates, TemplateError> {
        let map: BTreeMap<String, AlimtalkTemplate> =
            serde_json::from_str(json).map_err(|e| TemplateError::Json(e.to_string()))?;
        for (kind, template) in &map {
            if template.code.trim().is_empty() || template.text.trim().is_empty() {
                return Err(TemplateError::Empty { kind: kind.clone() });
            }
            for variable in variables(&template.text)
                .map_err(|()| TemplateError::Unclosed { kind: kind.clone() })?
            {
                if !VARIABLES.contains(&variable) {
                    return Err(TemplateError::UnknownVariable {
                        kind: kind.clone(),
                        variable: variable.to_string(),
                    });
                }
            }
        }
        Ok(AlimtalkTemplates(map))
    }

    /// The template for notices of `kind`, if one is configured.
    pub fn for_kind(&self, kind: &str) -> Option<&AlimtalkTemplate> {
        self.0.get(kind)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `#{name}` slots of `text`, in order; `Err` for a `#{` never closed.
fn variables(text: &str) -> Result<Vec<&str>, ()> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(())?;
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// `text` with each `#{name}` replaced by `values[name]`: the approved words, untouched, around
/// the values. `Err(name)` for a slot the values lack.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // `parse` refuses such a template; the words are kept as they are.
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        match values.get(name) {
            Some(value) => out.push_str(value),
            None => return Err(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// What a notice fills a template's variables with; a variable without a value is absent.
pub fn values(update: &OrderUpdate) -> BTreeMap<&'static str, String> {
    let mut values = BTreeMap::from([
        ("order", update.order_number.clone()),
        ("summary", update.summary.clone()),
    ]);
    for name in ["amount", "tracking"] {
        if let Some(value) = update.details.get(name).filter(|v| !v.is_empty()) {
            values.insert(name, value.clone());
        }
    }
    values
}

/// One AlimTalk message, ready for the dealer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlimtalkMessage {
    /// The approved template's code.
    pub template_code: String,
    /// The recipient's country calling code (`82`).
    pub country_code: String,
    /// The recipient's number in its national form, digits only (`01012345678`).
    pub to: String,
    /// The template's text, filled in.
    pub content: String,
}

/// A verified phone (E.164) as AlimTalk addresses it: country code and national digits.
pub fn recipient(e164: &str) -> Option<(String, String)> {
    let number = phonenumber::parse(None, e164).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let national: String = number
        .format()
        .mode(phonenumber::Mode::National)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    Some((number.code().value().to_string(), national))
}

/// The message `bundle`'s notice goes out as, to `phone`; `Err` with the reason it is held.
pub fn plan(
    bundle: &ReplyBundle,
    phone: Option<&str>,
    templates: &AlimtalkTemplates,
) -> Result<AlimtalkMessage, String> {
    let Some(update) = &bundle.update else {
        return Err("only an order notice may go out as AlimTalk".into());
    };
    let Some(template) = templates.for_kind(&update.kind) else {
        return Err(format!(
            "no approved AlimTalk template is configured for `{}` notices (CHATDROP_KAKAO_ALIMTALK_TEMPLATES); never sent as free text",
            update.kind
        ));
    };
    let Some(phone) = phone else {
        return Err(
            "AlimTalk goes to a phone number, and this KakaoTalk customer has verified none".into(),
        );
    };
    let Some((country_code, to)) = recipient(phone) else {
        return Err("the customer's verified phone is not a valid number for AlimTalk".into());
    };
    let content = fill(&template.text, &values(update)).map_err(|missing| {
        format!(
            "AlimTalk template `{}` needs #{{{missing}}}, which this `{}` notice does not have",
            template.code, update.kind
        )
    })?;
    let length = content.chars().count();
    if length > MAX_CONTENT_CHARS {
        return Err(format!(
            "AlimTalk template `{}` filled in is {length} characters, over AlimTalk's {MAX_CONTENT_CHARS}",
            template.code
        ));
    }
    Ok(AlimtalkMessage {
        template_code: template.code.clone(),
        country_code,
        to,
        content,
    })
}

/// Whether notify sends `bundle` through AlimTalk: a KakaoTalk order notice the bot wrote
/// (a person's reply or a drop announcement is never an approved informational template).
pub fn applies(bundle: &ReplyBundle) -> bool {
    bundle.conversation.channel == Channel::Kakao
        && bundle.update.is_some()
        && bundle.announcement.is_none()
        && bundle.origin.is_bot()
}

/// A registered AlimTalk dealer (NAVER Cloud SENS in `chatdrop_channels::kakao`).
pub trait AlimtalkSender: Send + Sync {
    /// Sends one message for `conversation` (which a failure's log line names, as a
    /// pseudonym); the dealer's message id on success.
    fn send(
        &self,
        conversation: &ConversationId,
        message: &AlimtalkMessage,
    ) -> impl Future<Output = Result<Sent, SendFailure>> + Send;
}

/// Sends `bundle`'s order notice as AlimTalk to `phone` (the session's verified phone), or
/// holds it with the reason; see the module docs.
pub async fn deliver<A: AlimtalkSender, L: DeliveryLog>(
    bundle: &ReplyBundle,
    phone: Option<&str>,
    templates: &AlimtalkTemplates,
    sender: &A,
    log: &L,
    at: Moment,
) -> Result<Delivered, DeliveryError> {
    if log.sent_count(&bundle.id).await? >= bundle.replies.len().max(1) {
        return Ok(Delivered::All);
    }
    if at.reachability.is_opted_out() {
        let reason = "the customer opted out of messages".to_string();
        log.record_held(bundle, &reason).await?;
        return Ok(Delivered::Held(reason));
    }
    let message = match plan(bundle, phone, templates) {
        Ok(message) => message,
        Err(reason) => {
            log.record_held(bundle, &reason).await?;
            return Ok(Delivered::Held(reason));
        }
    };
    let sent = match sender.send(&bundle.conversation, &message).await {
        Ok(sent) => sent,
        Err(failure @ SendFailure::Permanent { .. }) => {
            log.record_undeliverable(bundle, &failure).await?;
            return Ok(Delivered::Undeliverable(failure));
        }
        Err(failure) => return Err(DeliveryError::Retry(failure)),
    };
    // The thread shows what the customer got: the filled template, not the chat's replies.
    let shown = [Reply::Text {
        body: message.content,
    }];
    let out = Outgoing {
        bundle,
        first: 0,
        replies: &shown,
        mode: SendMode::OrderUpdate,
        now: at.now,
    };
    log.record_outbound(&out, &sent).await?;
    log.record_sent(&bundle.id, bundle.replies.len().max(1))
        .await?;
    Ok(Delivered::All)
}

/// The dealer in memory: records what it is given, answers from a script, then succeeds.
#[derive(Default)]
pub struct MemoryAlimtalk {
    pub sent: Mutex<Vec<AlimtalkMessage>>,
    pub answers: Mutex<std::collections::VecDeque<SendFailure>>,
}

impl AlimtalkSender for MemoryAlimtalk {
    async fn send(
        &self,
        _conversation: &ConversationId,
        message: &AlimtalkMessage,
    ) -> Result<Sent, SendFailure> {
        if let Some(failure) = self.answers.lock().expect("lock").pop_front() {
            return Err(failure);
        }
        let mut sent = self.sent.lock().expect("lock");
        sent.push(message.clone());
        Ok(Sent::ids([format!("alimtalk-{}", sent.len())]))
    }
}

#[cfg(test)]
#[path = "alimtalk_tests.rs"]
mod tests;
