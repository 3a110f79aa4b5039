//! The SQS consumer shared by the two conversation functions, `catalog` and `cart`.
//!
//! Both functions do the same thing with a different flow: decode each queued
//! [`InboundMessage`], run it through the domain's idempotent [`process`] with their
//! [`Handler`], and report partial batch failures. Only the handler differs, so the code lives
//! here once and each function's `lib.rs` names its handler.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_config::{Config, Secrets};
use chatdrop_domain::action::Handler;
use chatdrop_domain::delivery::DeliveryLog;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::process::{Handled, process};
use chatdrop_queue::Source;
use chatdrop_queue::SqsQueues;
use chatdrop_queue::fifo::{Deadline, RecordResult, process_in_order, receive_count};
use chatdrop_store::DynamoStore;
use tracing::Instrument;

/// A conversation function's adapters, built once per cold start.
pub struct ConversationApp {
    pub store: DynamoStore,
    pub queues: SqsQueues,
    pub default_lang: Lang,
}

impl ConversationApp {
    pub fn new(config: &Config, aws: &aws_config::SdkConfig) -> Self {
        ConversationApp {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone())
                .with_dead_letters(config.dead_letters.clone()),
            default_lang: config.default_lang,
        }
    }

    /// Reads the configuration and the identifier key (queue group ids and log fields name
    /// customers by their keyed pseudonym, which must match ingress's) and builds the AWS
    /// clients (endpoint, region and credentials come from the SDK's usual environment).
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        let config = Config::from_env()?;
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
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
            }
            match process(
                handler,
                &message,
                &app.store,
                &app.store,
                &app.queues,
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
