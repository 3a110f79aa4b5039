//! The SQS consumer shared by the two conversation functions, `catalog` and `cart`.
//!
//! Both functions do the same thing with a different flow: decode each queued
//! [`InboundMessage`], run it through the domain's idempotent [`process`] with their
//! [`Handler`], and report partial batch failures. Only the handler differs, so the code lives
//! here once and each function's `lib.rs` names its handler.
//!
//! A new customer's language may come from their platform profile (LINE, Messenger, WeChat):
//! the lookups are channel adapters, which this crate does not depend on, so a function hands
//! in the builder ([`ConversationApp::from_env_with_profiles`]) and this crate bounds every
//! lookup by [`PROFILE_DEADLINE`] on top of the adapters' own HTTP limit (a WeChat lookup may
//! first wait for another caller refreshing the access token).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_config::{
    Config, ConfigError, SecretSource, Secrets, channel_secrets, channel_values,
};
use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::channel_spec::Side;
use chatdrop_domain::delivery::DeliveryLog;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::phone_verify::{DynPhoneVerifier, NoVerifier};
use chatdrop_domain::ports::{
    CustomerProfiles, NoProfiles, ProfileError, ProfileFuture, TokenCache,
};
use chatdrop_domain::process::{Handled, Services, process_with_verifier};
use chatdrop_queue::Source;
use chatdrop_queue::SqsQueues;
use chatdrop_queue::fifo::{Deadline, RecordResult, process_in_order, receive_count};
use chatdrop_store::DynamoStore;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

pub use chatdrop_config::VerifySettings;

/// A conversation function's adapters, built once per cold start.
pub struct ConversationApp {
    pub store: DynamoStore,
    pub queues: SqsQueues,
    pub default_lang: Lang,
    /// Where a new customer's locale is looked up; [`NoProfiles`] unless a function adds them.
    pub profiles: Arc<dyn CustomerProfiles>,
    /// The phone verification service for chats proving a phone; [`NoVerifier`] unless a
    /// function adds one (the catalog function, where typed numbers and codes arrive).
    pub verifier: Arc<dyn DynPhoneVerifier>,
}

/// Builds the verifier from its settings and the Twilio auth token:
/// `chatdrop_channels::twilio_verify` (this crate must not depend on channels).
pub type VerifierBuilder = fn(VerifySettings, String) -> Arc<dyn DynPhoneVerifier>;

/// Builds the profile lookups from the served channels with their outbound values (by variable
/// name) and the shared token cache: `chatdrop_channels::registry::profile_lookups`.
pub type ProfileBuilder = fn(
    Vec<(Channel, Vec<(&'static str, String)>)>,
    Arc<dyn TokenCache>,
) -> Arc<dyn CustomerProfiles>;

/// The longest a profile lookup may hold up a first answer, whatever the adapter does inside.
pub const PROFILE_DEADLINE: Duration = Duration::from_millis(1500);

impl ConversationApp {
    pub fn new(config: &Config, aws: &aws_config::SdkConfig) -> Self {
        ConversationApp {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone())
                .with_dead_letters(config.dead_letters.clone()),
            default_lang: config.default_lang,
            profiles: Arc::new(NoProfiles),
            verifier: Arc::new(NoVerifier),
        }
    }

    /// The app proving phones through `verifier`.
    pub fn with_verifier(mut self, verifier: Arc<dyn DynPhoneVerifier>) -> Self {
        self.verifier = verifier;
        self
    }

    /// The app with the Verify service the configuration names ([`Config::verify`]), built
    /// by `build`; unchanged when none is configured.
    pub async fn with_configured_verifier(
        self,
        config: &Config,
        secrets: &impl SecretSource,
        build: VerifierBuilder,
    ) -> Result<Self, ConfigError> {
        let Some(settings) = config.verify.clone() else {
            return Ok(self);
        };
        let token = Secrets::load(secrets, &[VerifySettings::AUTH_TOKEN]).await?;
        let token = token.get(VerifySettings::AUTH_TOKEN).expose().to_string();
        Ok(self.with_verifier(build(settings, token)))
    }

    /// The app asking `profiles` for new customers' locales, each lookup within
    /// [`PROFILE_DEADLINE`].
    pub fn with_profiles(mut self, profiles: Arc<dyn CustomerProfiles>) -> Self {
        self.profiles = Arc::new(Bounded(profiles));
        self
    }

    /// The app with the profile lookups `build` makes from the served channels' settings and
    /// outbound secrets (the same ones `notify` sends with), read from `secrets`.
    pub async fn with_platform_profiles(
        self,
        config: &Config,
        aws: &aws_config::SdkConfig,
        secrets: &impl SecretSource,
        build: ProfileBuilder,
    ) -> Result<Self, ConfigError> {
        let (secrets, _) =
            Secrets::load_with_id_key(secrets, &channel_secrets(config, Side::Outbound)).await?;
        let channels = config
            .channels
            .iter()
            .map(|&c| (c, channel_values(config, &secrets, c, Side::Outbound)))
            .collect();
        // The token cache is the table's, as notify's is: a WeChat token fetched by either
        // function serves both.
        let tokens: Arc<dyn TokenCache> = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(aws),
            &config.table,
        ));
        Ok(self.with_profiles(build(channels, tokens)))
    }

    /// [`ConversationApp::from_env`] with the platforms' profile lookups.
    pub async fn from_env_with_profiles(
        build: ProfileBuilder,
    ) -> Result<Self, lambda_runtime::Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        let source = chatdrop_config::secret_source(&aws);
        Ok(ConversationApp::new(&config, &aws)
            .with_platform_profiles(&config, &aws, &source, build)
            .await?)
    }

    /// [`ConversationApp::from_env_with_profiles`] with the phone verification service, when
    /// one is configured: the catalog function.
    pub async fn from_env_with_services(
        profiles: ProfileBuilder,
        verifier: VerifierBuilder,
    ) -> Result<Self, lambda_runtime::Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        let source = chatdrop_config::secret_source(&aws);
        Ok(ConversationApp::new(&config, &aws)
            .with_platform_profiles(&config, &aws, &source, profiles)
            .await?
            .with_configured_verifier(&config, &source, verifier)
            .await?)
    }

    /// Reads the configuration and the identifier key (queue group ids and log fields name
    /// customers by their keyed pseudonym, which must match ingress's) and builds the AWS
    /// clients (endpoint, region and credentials come from the SDK's usual environment).
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Secrets::load_with_id_key(&chatdrop_config::secret_source(&aws), &[]).await?;
        Ok(ConversationApp::new(&config, &aws))
    }
}

fn kind(content: &InboundContent) -> &'static str {
    match content {
        InboundContent::Text { .. } => "text",
        InboundContent::Action { .. } => "action",
        InboundContent::Image { .. } => "image",
        InboundContent::Contact { .. } => "contact",
        InboundContent::Status { .. } => "status",
        InboundContent::Unsupported { .. } => "unsupported",
        InboundContent::OptOut => "opt-out",
        InboundContent::OptIn => "opt-in",
        InboundContent::Marketing { .. } => "marketing",
        InboundContent::InboxGaveBack { .. } => "inbox-gave-back",
        InboundContent::InboxTook { .. } => "inbox-took",
        InboundContent::Overheard { .. } => "overheard",
        InboundContent::InboxReplied { .. } => "inbox-replied",
    }
}

/// The longest one message may take: a few DynamoDB calls (a transaction retried on
/// conflict: 6 attempts, up to 320 ms apart) and one SQS send, each under the SDK's own
/// retries. A batch stops taking records when less than this is left before the deadline
/// (the functions' timeout is 10 s, `resources.json`).
pub const PER_RECORD: std::time::Duration = std::time::Duration::from_secs(4);

/// Handles one SQS batch for `handler`; `deadline_ms` is the invocation's deadline
/// (`lambda_runtime::Context::deadline`, 0 when unknown).
pub async fn consume(
    handler: Handler,
    app: &ConversationApp,
    event: SqsEvent,
    deadline_ms: u64,
) -> SqsBatchResponse {
    let source = Source::Conversation(handler);
    let deadline = Deadline::new(deadline_ms, PER_RECORD);
    let poison = app.queues.poison_sink(source);
    let processed = process_in_order(event, &deadline, &poison, |message: InboundMessage, record| {
        let span = tracing::info_span!(
            "message",
            handler = handler.as_str(),
            channel = %message.conversation.channel,
            customer = %message.conversation.hashed(),
            kind = kind(&message.content),
            attempt = receive_count(record),
        );
        // Boxed: the SDK futures nest deeply enough to overflow the compiler's layout depth.
        Box::pin(async move {
            if let InboundContent::Status {
                message_id,
                status,
                error_code,
            } = &message.content
            {
                tracing::info!(status = status.as_str(), error_code = ?error_code, "delivery report");
                // The thread shows where each message got to; a redelivered report is harmless.
                if let Err(e) = app
                    .store
                    .record_status(&message.conversation, message_id, *status, message.sent_at)
                    .await
                {
                    return RecordResult::Retry(e.into());
                }
                // An announcement's report counts in its campaign (delivered, read; a WhatsApp
                // `failed` with 131049 backs off): conditional writes, so a redelivery is
                // harmless too.
                if let Err(e) = chatdrop_domain::campaign_outcome::on_status(
                    &app.store,
                    &message.conversation,
                    message_id,
                    *status,
                    *error_code,
                    message.sent_at,
                )
                .await
                {
                    return RecordResult::Retry(e.into());
                }
            }
            // The customer's side of the thread, so a person taking over reads both sides, and
            // what was said in the platform's own inbox for people (Messenger's `standby`),
            // so the console shows it too. Every customer message reaches the catalog function
            // first (taps go elsewhere only with their label); the put is keyed by the event,
            // so a retry repeats it.
            if handler == Handler::Catalog
                && let Err(e) = app.store.record_inbound(&message).await
            {
                return RecordResult::Retry(e.into());
            }
            // The platform's inbox for people took the conversation, gave it back, heard the
            // customer or answered them (Messenger's handover protocol): the owner and the
            // handoff's activity follow, exactly once per event, and no flow runs
            // ([`chatdrop_domain::handoff::follow_inbox`]).
            match chatdrop_domain::handoff::follow_inbox(
                handler,
                &message,
                &app.store,
                app.default_lang,
            )
            .await
            {
                Ok(Some(handled)) => {
                    tracing::info!(duplicate = handled == Handled::Duplicate, "inbox followed");
                    return RecordResult::Done;
                }
                Ok(None) => {}
                Err(e) => return RecordResult::Retry(e),
            }
            let services = Services {
                profiles: app.profiles.as_ref(),
                verifier: app.verifier.as_ref(),
            };
            match process_with_verifier(
                handler,
                &message,
                &app.store,
                &app.store,
                &app.queues,
                services,
                app.default_lang,
            )
            .await
            {
                Ok(handled) => {
                    let outcome = match handled {
                        Handled::Replied => "replied",
                        Handled::HandedOff => "handed_off",
                        Handled::Recorded => "recorded",
                        Handled::Duplicate => "duplicate",
                    };
                    tracing::info!(outcome, "processed");
                    RecordResult::Done
                }
                Err(e) => RecordResult::Retry(e),
            }
        }
        .instrument(span))
    })
    .await;
    app.queues.give_back(source, &processed.skipped).await;
    processed.response
}

/// Profile lookups cut off at [`PROFILE_DEADLINE`].
struct Bounded(Arc<dyn CustomerProfiles>);

impl CustomerProfiles for Bounded {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        Box::pin(async move {
            tokio::time::timeout(PROFILE_DEADLINE, self.0.locale(conversation))
                .await
                .unwrap_or(Err(ProfileError::TimedOut))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform that takes `delay` to answer `locale`.
    struct Slow {
        delay: Duration,
        locale: &'static str,
    }

    impl CustomerProfiles for Slow {
        fn locale<'a>(&'a self, _: &'a ConversationId) -> ProfileFuture<'a> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                Ok(Some(self.locale.to_string()))
            })
        }
    }

    // Real time (tokio's paused clock needs its `test-util` feature, which every workspace
    // build would then compile in): a second and a half.
    #[tokio::test]
    async fn a_lookup_past_the_deadline_is_a_timeout() {
        let line = ConversationId::new(Channel::Line, "U1");
        let quick = Bounded(Arc::new(Slow {
            delay: Duration::from_millis(200),
            locale: "th",
        }));
        assert_eq!(quick.locale(&line).await, Ok(Some("th".into())));
        let stuck = Bounded(Arc::new(Slow {
            delay: PROFILE_DEADLINE * 10,
            locale: "th",
        }));
        let started = std::time::Instant::now();
        assert_eq!(stuck.locale(&line).await, Err(ProfileError::TimedOut));
        let took = started.elapsed();
        assert!(
            took >= PROFILE_DEADLINE && took < PROFILE_DEADLINE * 2,
            "{took:?}"
        );
    }
}
