//! The `kakao` function: KakaoTalk's Open Builder skill, answered in the HTTP response.
//!
//! Kakao calls the skill and waits at most 5 seconds for the conversation's answer in the
//! response body, so this function does in one invocation what ingress, the conversation
//! functions and notify do across queues for the other channels: authenticate and read the
//! skill request (`chatdrop_channels::kakao`), run the turn through the same domain code
//! against the same table ([`turn`]), and render the replies as the skill response. Why this
//! design and not "queue and wait" is in ARCHITECTURE.md ("KakaoTalk: a synchronous channel").
//!
//! | outcome                                   | status |
//! |-------------------------------------------|--------|
//! | a turn answered (or replayed for a retry) | 200, `{"version":"2.0","template":…}` |
//! | missing or wrong skill secret header      | 401, nothing read further |
//! | another bot's request                     | 403 |
//! | body over [`MAX_BODY_BYTES`]              | 413, not read |
//! | not JSON, or not a skill request          | 400 / 415 |
//! | not POST                                  | 405 |
//! | KakaoTalk not in `CHATDROP_CHANNELS`      | 404 |
//! | the store or Stripe failing               | 500: nothing half-applied (the marker and the session commit together); Kakao shows its fallback |
//!
//! Every refusal happens before any store call, so it has no side effect.
//!
//! After the turn, beside the thread's writes ([`thread`]), a turn that handed the chat to a
//! person alerts the agents' topic ([`alert`]): notify does that for the queued channels, and a
//! Kakao answer never passes through notify.
//!
//! The same function takes the Kakao Talk Channel add/block callback on
//! `/webhooks/kakao/channel` ([`channel_callback`]): the admin key checked (401), the customer's
//! chat found through the app-user link the skill calls store, and the change recorded in the
//! consent ledger, inside Kakao's 3-second budget (a read of the link, one of the session, the
//! ledger's conditional puts).

pub mod alert;
pub mod channel_callback;
pub mod thread;
pub mod turn;

pub use chatdrop_channels::kakao::MAX_BODY_BYTES;
use chatdrop_channels::kakao::{self, KakaoWebhook, SkillCall};
use chatdrop_channels::registry::Values;
use chatdrop_channels::{WebhookError, WebhookRequest};
use chatdrop_config::{Config, SecretSource, Secrets, channel_values, secret_names};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::channel_spec::{KAKAO, Side};
use chatdrop_domain::checkout::CheckoutSettings;
use chatdrop_domain::clock::Clock;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::{CatalogSource, SessionStore};
use chatdrop_domain::process::ProcessError;
use chatdrop_domain::reply::Reply;
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::alerts::SnsAlerts;
use chatdrop_store::DynamoStore;
use lambda_http::{Body, Error, Request, Response, http::StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

pub struct Kakao {
    /// `None` when this deployment does not serve KakaoTalk.
    webhook: Option<KakaoWebhook>,
    store: DynamoStore,
    gateway: StripeGateway,
    settings: CheckoutSettings,
    default_lang: Lang,
    /// What time it is (a test steps it).
    clock: Arc<dyn Clock>,
    /// Twilio Verify, for a chat proving its phone; refuses every call when not configured.
    verifier: Arc<dyn chatdrop_domain::phone_verify::DynPhoneVerifier>,
    /// Whether Twilio Verify is configured (chats here may prove a phone).
    verifies_phones: bool,
    /// Whether the channel's 1:1 chat takes a handed-over chat (`CHATDROP_KAKAO_OPERATOR`):
    /// the answer that hands a chat to a person then carries Kakao's `operator` button.
    operator: bool,
    /// The agents' topic (`CHATDROP_AGENT_TOPIC_ARN`): a turn that hands the chat to a person
    /// alerts them here, as notify does for the queued channels ([`alert`]).
    alerts: SnsAlerts,
    /// Kakao Login app users whose link to their chat this instance has written already: one
    /// put per customer per instance, not one per turn.
    linked: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Kakao {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        // The CDK app deploys every function; a deployment that does not serve KakaoTalk
        // still starts this one, which then answers 404 and loads no Kakao secret.
        let served = config.channels.contains(&Channel::Kakao);
        let mut names: Vec<&str> = Vec::new();
        if served {
            names.extend(KAKAO.secrets_for(Side::Inbound));
        }
        names.push(secret_names::STRIPE_SECRET_KEY);
        let verify = config.verify.clone();
        if verify.is_some() {
            names.push(chatdrop_config::VerifySettings::AUTH_TOKEN);
        }
        let (secrets, ids) = Secrets::load_with_id_key(secrets, &names).await?;
        let verifies_phones = verify.is_some();
        let verifier: Arc<dyn chatdrop_domain::phone_verify::DynPhoneVerifier> = match verify {
            Some(v) => chatdrop_channels::twilio_verify::TwilioVerify::shared(
                chatdrop_channels::twilio_verify::TwilioVerifyConfig {
                    api_base: v.api_base,
                    service_sid: v.service_sid,
                    account_sid: v.account_sid,
                    auth_token: secrets
                        .get(chatdrop_config::VerifySettings::AUTH_TOKEN)
                        .expose()
                        .to_string(),
                },
            ),
            None => Arc::new(chatdrop_domain::phone_verify::NoVerifier),
        };
        let values = served.then(|| {
            Values::new(channel_values(
                config,
                &secrets,
                Channel::Kakao,
                Side::Inbound,
            ))
        });
        let operator = match &values {
            Some(values) => kakao::operator_chat(values)?,
            None => false,
        };
        let webhook = values.as_ref().map(kakao::webhook);
        let gateway = StripeGateway::new(
            secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
            config.payments.stripe_api_base.as_deref(),
        )?;
        Ok(Kakao {
            webhook,
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            gateway,
            settings: config.checkout_settings(ids),
            default_lang: config.default_lang,
            clock: chatdrop_domain::clock::system(),
            verifier,
            verifies_phones,
            operator,
            alerts: SnsAlerts::new(
                aws_sdk_sns::Client::new(aws),
                config.handoff.agent_topic_arn.clone(),
            ),
            linked: Default::default(),
        })
    }

    /// What the deployed bootstrap starts beside its init (`main.rs`): when chats prove phones
    /// here, loading libphonenumber's metadata on a thread of its own. The metadata loads on
    /// first use, once per process (11 s unoptimized here: README, Performance), and the first use
    /// would otherwise be inside the 5-second answer of the first customer on this instance
    /// who types a number; by then the thread has long finished.
    pub fn load_phone_metadata_in_background(&self) {
        if self.verifies_phones {
            std::thread::spawn(chatdrop_domain::phone_number::load_metadata);
        }
    }

    /// The function with another clock, for tests that step past a lapse.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Kakao::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

pub(crate) fn respond(status: StatusCode, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::Text(body.to_string()))
        .expect("static response parts are valid")
}

/// A turn that lost a race with another call of the same conversation (Kakao's retry arriving
/// while the first call still runs) is run again: the second run finds the winner's marker and
/// replays its answer. Three tries, a short pause between, well inside Kakao's 5 s.
const CONFLICT_TRIES: usize = 3;
const CONFLICT_PAUSE: Duration = Duration::from_millis(50);

pub async fn handle(app: &Kakao, request: Request) -> Result<Response<Body>, Error> {
    if request
        .uri()
        .path()
        .trim_end_matches('/')
        .ends_with("/channel")
    {
        let span = tracing::info_span!("channel_callback", channel = "kakao");
        return channel_callback::handle(app, request)
            .instrument(span)
            .await;
    }
    let span = tracing::info_span!("skill", channel = "kakao");
    answer(app, request).instrument(span).await
}

async fn answer(app: &Kakao, request: Request) -> Result<Response<Body>, Error> {
    let Some(webhook) = &app.webhook else {
        return Ok(respond(StatusCode::NOT_FOUND, "channel not served here"));
    };
    let (parts, body) = request.into_parts();
    let body: &[u8] = body.as_ref();
    if body.len() > MAX_BODY_BYTES {
        tracing::warn!(bytes = body.len(), "skill request too large; refused");
        return Ok(respond(StatusCode::PAYLOAD_TOO_LARGE, "payload too large"));
    }
    let webhook_request = WebhookRequest {
        method: &parts.method,
        headers: &parts.headers,
        query: parts.uri.query(),
        url: parts.uri.path(),
        body,
    };
    let now = app.clock.now();
    let started = Instant::now();
    let call: SkillCall = match kakao::parse(webhook, &webhook_request, now) {
        Ok(call) => call,
        Err(e) => return Ok(refusal(e)),
    };
    let message = &call.message;
    let customer = message.conversation.hashed();
    let forget_me = asks_to_be_forgotten(message);
    if let Some(app_user) = call.app_user_id.as_ref().filter(|_| !forget_me) {
        link_app_user(app, app_user, &message.conversation).await;
    }
    let first = chatdrop_queue::route(message);
    let ports = turn::Ports {
        sessions: &app.store,
        catalogs: &app.store,
        orders: &app.store,
        gateway: &app.gateway,
        verifier: app.verifier.as_ref(),
    };
    let parsed = started.elapsed();
    let mut tries = 0;
    let bundles = loop {
        tries += 1;
        match turn::run(first, message, &ports, &app.settings, app.default_lang, now).await {
            Ok(bundles) => break bundles,
            Err(ProcessError::Conflict) if tries < CONFLICT_TRIES => {
                tokio::time::sleep(CONFLICT_PAUSE).await;
            }
            Err(e) => {
                tracing::error!(%customer, error = %e, "turn failed; nothing half-applied");
                return Ok(respond(StatusCode::INTERNAL_SERVER_ERROR, "try again"));
            }
        }
    };
    if forget_me {
        forget_app_user(app, call.app_user_id.as_deref(), &message.conversation).await;
    }
    let turned = started.elapsed();
    let mut lang = bundles.last().map(|b| b.lang).unwrap_or(app.default_lang);
    let mut with_a_person = bundles.iter().any(|b| b.handoff.is_some());
    // The thread's writes and, after a handoff, the agents' alert: side by side.
    tokio::join!(
        thread::record(&app.store, message, &bundles),
        alert::handed_over(&app.store, &app.alerts, &bundles, now),
    );
    let recorded = started.elapsed();
    let mut replies: Vec<Reply> = bundles.into_iter().flat_map(|b| b.replies).collect();
    // A product's page shows as a commerceCard when its price is in won: the catalog the turn
    // read (cached in the store) knows it.
    let catalog = app.store.catalog().await.ok();
    if replies.is_empty()
        && let Some(catalog) = &catalog
        && let Some((person_lang, reply)) = while_with_a_person(app, catalog, message, now).await
    {
        (lang, replies, with_a_person) = (person_lang, vec![reply], true);
    }
    let prices = |product: &str| -> Option<i64> {
        let catalog = catalog.as_ref()?;
        let price = catalog.price(
            &catalog.market_for(Channel::Kakao),
            catalog.product(product)?,
        )?;
        (price.currency.code() == "KRW").then_some(price.minor)
    };
    let mut response = kakao::render_with_prices(lang, call.block_id.as_deref(), &replies, &prices);
    if with_a_person && app.operator {
        // The chat is a person's now; the button is how the customer reaches them.
        response = kakao::with_operator(response, lang);
    }
    let rendered = started.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    tracing::info!(
        %customer,
        route = first.as_str(),
        replies = replies.len(),
        turn_ms = ms(turned - parsed),
        "answered"
    );
    // Where the answer's time went (W3C Server Timing; Kakao ignores it, the bench reads it).
    let timing = format!(
        "parse;dur={:.3}, turn;dur={:.3}, thread;dur={:.3}, render;dur={:.3}",
        ms(parsed),
        ms(turned - parsed),
        ms(recorded - turned),
        ms(rendered - recorded)
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json; charset=utf-8")
        .header("server-timing", timing)
        .body(Body::Text(response.to_string()))
        .expect("static response parts are valid"))
}

/// The answer to a call the bot left silent because a person has the chat (a handoff waiting
/// or claimed): who has it and when to expect an answer, in the customer's language. Another
/// channel's webhook gets no reply then; a Kakao call must be answered, and an empty answer
/// shows Kakao's fallback ("선택하기"), which tells the customer nothing. `None` when the bot
/// has the chat (a silent turn of its own: a status, an opt-out).
async fn while_with_a_person(
    app: &Kakao,
    catalog: &chatdrop_domain::catalog::Catalog,
    message: &chatdrop_domain::inbound::InboundMessage,
    now: i64,
) -> Option<(Lang, Reply)> {
    let session = app.store.session(&message.conversation).await.ok()?;
    if session.owner.is_bot() {
        return None;
    }
    let lang = session.lang.unwrap_or(app.default_lang);
    let body = chatdrop_domain::handoff::expectation_text(
        catalog,
        lang,
        &message.conversation,
        session.identity.verified_phone(),
        now,
    );
    Some((lang, Reply::Text { body }))
}

/// Stores which chat `app_user` is, once per instance: the channel callback's only way to the
/// chat. A failure costs the turn nothing (the next instance or turn writes it).
async fn link_app_user(
    app: &Kakao,
    app_user: &str,
    chat: &chatdrop_domain::channel::ConversationId,
) {
    let known = app
        .linked
        .lock()
        .map(|l| l.contains(app_user))
        .unwrap_or(false);
    if known {
        return;
    }
    match app.store.link_kakao_app_user(app_user, chat).await {
        Ok(()) => {
            if let Ok(mut linked) = app.linked.lock() {
                linked.insert(app_user.to_string());
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not link the Kakao app user to the chat"),
    }
}

/// Whether the customer typed "forget me" (in any shipped language), which the turn answers by
/// forgetting the session ([`chatdrop_domain::dialogue::Session::forget`]).
fn asks_to_be_forgotten(message: &chatdrop_domain::inbound::InboundMessage) -> bool {
    use chatdrop_domain::inbound::InboundContent;
    use chatdrop_domain::keywords::{Meaning, understand};
    matches!(&message.content, InboundContent::Text { body }
        if understand(body).is_some_and(|heard| heard.meaning == Meaning::ForgetMe))
}

/// "Forget me" on KakaoTalk also erases the chat's link to the customer's Kakao account (the
/// way the channel callback finds the chat), and this instance forgets it wrote it. A customer
/// who chats on is linked again by their next turn, as any customer is; a failure is logged and
/// `chatdrop customer forget` erases the link as well.
async fn forget_app_user(
    app: &Kakao,
    app_user: Option<&str>,
    chat: &chatdrop_domain::channel::ConversationId,
) {
    if let (Some(app_user), Ok(mut linked)) = (app_user, app.linked.lock()) {
        linked.remove(app_user);
    }
    match app.store.forget_kakao_link(chat).await {
        Ok(erased) => tracing::info!(erased, "forget me: the Kakao account link"),
        Err(e) => tracing::warn!(error = %e, "could not erase the Kakao account link"),
    }
}

/// The status of a refused skill call; logged by category, never the payload.
pub(crate) fn refusal(e: WebhookError) -> Response<Body> {
    let (status, body) = match &e {
        WebhookError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        WebhookError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        WebhookError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        WebhookError::UnsupportedMediaType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported media type")
        }
        WebhookError::BadRequest(_) | WebhookError::Malformed(_) => {
            (StatusCode::BAD_REQUEST, "bad request")
        }
    };
    tracing::warn!(status = status.as_u16(), reason = %e, "skill call refused");
    respond(status, body)
}
