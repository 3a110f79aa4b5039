//! The `payment` function: checkout and orders, from the payment queue.
//!
//! Consumes what customers tap or type about paying: checkout (reserve the cart all or nothing,
//! create the Stripe Checkout Session, answer with the pay link and its QR code), cancel a
//! reservation, check out a lapsed order again, list orders. The logic is
//! `chatdrop_domain::checkout::handle`; this crate builds its adapters once per cold start and
//! runs each queue record through it in order.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_config::{Config, SecretSource, Secrets, secret_names};
use chatdrop_domain::action::Handler;
use chatdrop_domain::checkout::{self, CheckoutSettings, PaymentPorts};
use chatdrop_domain::clock::Clock;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::process::Handled;
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::fifo::{Deadline, RecordResult, process_in_order, receive_count};
use chatdrop_queue::{Source, SqsQueues};
use chatdrop_store::DynamoStore;
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use tracing::Instrument;

pub struct Payment {
    /// What time it is (a test steps it).
    clock: Arc<dyn Clock>,
    store: DynamoStore,
    queues: SqsQueues,
    gateway: StripeGateway,
    settings: CheckoutSettings,
}

impl Payment {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, ids) =
            Secrets::load_with_id_key(secrets, &[secret_names::STRIPE_SECRET_KEY]).await?;
        let gateway = StripeGateway::new(
            secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
            config.payments.stripe_api_base.as_deref(),
        )?;
        Ok(Payment {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone())
                .with_dead_letters(config.dead_letters.clone()),
            gateway,
            settings: config.checkout_settings(ids),
            clock: chatdrop_domain::clock::system(),
        })
    }

    /// The function with another clock, for tests that step past a lapse.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        Payment::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

/// The longest one message may take: a Stripe call (20 s timeout per attempt,
/// `chatdrop_payments::stripe`) and the reservation's store calls around it. The function's
/// timeout is 30 s (`resources.json`), so a batch takes another record only while 25 s are
/// left.
pub const PER_RECORD: std::time::Duration = std::time::Duration::from_secs(25);

pub async fn handle(
    app: &Payment,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let ports = PaymentPorts {
        sessions: &app.store,
        catalogs: &app.store,
        orders: &app.store,
        gateway: &app.gateway,
        dispatch: &app.queues,
    };
    let ports = &ports;
    let source = Source::Conversation(Handler::Payment);
    let deadline = Deadline::new(event.context.deadline, PER_RECORD);
    let poison = app.queues.poison_sink(source);
    let processed = process_in_order(
        event.payload,
        &deadline,
        &poison,
        |message: InboundMessage, record| {
            let span = tracing::info_span!(
                "message",
                handler = "payment",
                channel = %message.conversation.channel,
                customer = %message.conversation.hashed(),
                attempt = receive_count(record),
            );
            Box::pin(
                async move {
                    match checkout::handle(&message, ports, &app.settings, app.clock.now()).await {
                        Ok(handled) => {
                            tracing::info!(duplicate = handled == Handled::Duplicate, "processed");
                            RecordResult::Done
                        }
                        Err(e) => RecordResult::Retry(e),
                    }
                }
                .instrument(span),
            )
        },
    )
    .await;
    app.queues.give_back(source, &processed.skipped).await;
    Ok(processed.response)
}
