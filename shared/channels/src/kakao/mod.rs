//! KakaoTalk adapter: a Kakao i Open Builder skill server.
//!
//! **The first synchronous channel.** On every other platform chatdrop acknowledges a webhook
//! at once and writes to the customer later through the platform's send API. Kakao has no such
//! API for a chatbot conversation: Open Builder calls the skill URL and waits at most 5 seconds
//! for the answer *in the HTTP response itself*, `{"version":"2.0","template":{"outputs":[…],
//! "quickReplies":[…]}}` (skill timeout 5 s:
//! <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide>;
//! response format: <https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format>).
//! So this adapter has the usual inbound half ([`KakaoWebhook`]: authenticate, parse into the
//! channel-neutral `InboundMessage`) and, instead of a sender, a renderer ([`render_response`])
//! that turns the domain's reply bundles into that response body. The `kakao` function runs
//! the conversation in between (see its crate docs and ARCHITECTURE.md).
//!
//! **Authentication.** Skill requests carry no signature; what Open Builder offers is a static
//! header configured in the skill's settings ("헤더값 입력"), sent with every call. chatdrop puts
//! a shared secret in [`SECRET_HEADER`] and checks it in constant time before reading the body
//! (401 when missing or wrong), then checks that `bot.id` is the configured bot's (403): the
//! secret proves the caller knows our configuration, the bot id that the call is for our bot.
//!
//! **Identity.** The customer is `userRequest.user.id`, the `botUserKey` (scoped to the bot).
//! A request has no message id, so the event id is derived (see [`inbound`]'s docs).
//!
//! **Consent.** Adding or blocking the retailer's Kakao Talk Channel reaches a second endpoint,
//! the channel callback ([`parse_channel_callback`]), which names the customer by their Kakao
//! Login app user id; skill requests carry that id too when the bot is linked to the app, which
//! is how the callback finds the chat.
//!
//! **Taps.** Quick replies and list items are `block` actions back to the block that called
//! the skill, carrying the choice's payload in `extra`; Kakao returns it as
//! `action.clientExtra`, and the button's label as the utterance, so a tap comes back as exactly
//! the payload chatdrop issued and the chat shows the customer's choice in words.
//!
//! **A person.** Where the channel's 1:1 chat is open, the answer that hands the chat to a
//! person carries Kakao's `operator` button, which moves the chat to the channel's people
//! ([`with_operator`]).
//!
//! **After the conversation** (payment confirmed, lapsed, shipped, refunded) Kakao takes only
//! AlimTalk (approved templates through a registered dealer) or the paid Event API. An order
//! notice goes out as AlimTalk through NAVER Cloud SENS ([`SensAlimtalk`], built by
//! [`alimtalk`]; notify decides with `chatdrop_domain::alimtalk`); anything else is held for
//! ops by the registry's zero-length window, and [`KakaoSender`] refuses whatever still reaches
//! it as permanent, never sending free text.

mod alimtalk;
mod channel_callback;
mod inbound;
mod operator;
mod render;

pub use alimtalk::{
    ACCEPTED, ACCESS_KEY_HEADER, SIGNATURE_HEADER, SensAlimtalk, SensConfig, TIMESTAMP_HEADER,
    messages_path, signature,
};

pub use channel_callback::{
    ChannelCallback, ChannelRelation, MAX_CALLBACK_BYTES, RESOURCE_ID_HEADER,
    parse_channel_callback,
};
pub use inbound::{MAX_BODY_BYTES, REQUEST_ID_HEADER, SECRET_HEADER, SkillCall, parse};
pub use operator::{BadOperatorSetting, operator_chat, with_operator};
pub use render::{LIMITS, Limits, PricesInWon, render_response, render_with_prices};

use crate::SendFuture;
use crate::outbound::Outbound;
use crate::registry::{SenderDeps, Values};
use chatdrop_domain::alimtalk::{AlimtalkTemplates, TemplateError};
use chatdrop_domain::channel_spec::{ChannelSpec, KAKAO, vars};
use chatdrop_domain::delivery::{Outgoing, SendFailure, Sent};

/// No `Debug`: it holds a secret, which must never reach a log line.
#[derive(Clone)]
pub struct KakaoConfig {
    /// The value of [`SECRET_HEADER`] configured in the skill's settings.
    pub skill_secret: String,
    /// The Open Builder bot allowed to call (`bot.id`).
    pub bot_id: String,
    /// The Kakao Developers app's admin key, which the channel add/block callback presents
    /// ([`parse_channel_callback`]).
    pub admin_key: String,
}

/// Kakao's skill endpoint: the secret header, the bot id, then the skill request.
pub struct KakaoWebhook {
    pub config: KakaoConfig,
}

/// The webhook, from its secret and setting ([`chatdrop_domain::channel_spec::KAKAO`]).
pub fn webhook(values: &Values) -> KakaoWebhook {
    KakaoWebhook::new(KakaoConfig {
        skill_secret: values.get(vars::KAKAO_SKILL_SECRET),
        bot_id: values.get(vars::KAKAO_BOT_ID),
        admin_key: values.get(vars::KAKAO_ADMIN_KEY),
    })
}

/// What notify holds for a Kakao conversation: nothing can be pushed into a Kakao chat, and an
/// order notice goes out as AlimTalk ([`alimtalk`]) before this sender is asked. The
/// registry's window holds every other bundle for ops before a send is tried; this sender is
/// the backstop, refusing permanently rather than pretending to deliver.
pub struct KakaoSender;

/// The sender (see [`KakaoSender`]); it needs no settings.
pub fn sender(values: &Values, deps: &SenderDeps) -> KakaoSender {
    let _ = (values, deps);
    KakaoSender
}

impl Outbound for KakaoSender {
    fn spec(&self) -> &'static ChannelSpec {
        &KAKAO
    }

    fn send<'a>(&'a self, out: &'a Outgoing<'_>) -> SendFuture<'a, Sent> {
        let _ = out;
        Box::pin(async {
            Err(SendFailure::Permanent {
                code: None,
                detail: "KakaoTalk answers only inside the skill response; only order notices go out, as AlimTalk"
                    .into(),
            })
        })
    }
}

/// The AlimTalk dealer and the deployment's approved templates, from Kakao's outbound secrets
/// and settings; a template setting that cannot be used is an error at start.
pub fn alimtalk(
    values: &Values,
    deps: &SenderDeps,
) -> Result<(AlimtalkTemplates, SensAlimtalk), TemplateError> {
    let templates = match values.optional(vars::KAKAO_ALIMTALK_TEMPLATES) {
        Some(json) => AlimtalkTemplates::parse(&json)?,
        None => AlimtalkTemplates::default(),
    };
    let sender = SensAlimtalk::new(
        deps.client.clone(),
        SensConfig {
            api_base: values.get(vars::SENS_API_BASE),
            access_key: values.get(vars::SENS_ACCESS_KEY),
            secret_key: values.get(vars::SENS_SECRET_KEY),
            service_id: values.get(vars::SENS_SERVICE_ID),
            plus_friend_id: values.get(vars::KAKAO_PLUS_FRIEND_ID),
        },
    );
    Ok((templates, sender))
}
