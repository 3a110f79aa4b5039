//! The `notify` function: sends reply bundles from the outbound queue through the channel
//! adapters, in order per conversation (the queue is FIFO, grouped by conversation).
//!
//! Each bundle goes through the domain's [`deliver`]: replies already sent by an earlier attempt
//! are skipped, rate limits are waited out in place up to a bound, permanent failures are
//! recorded and dropped, and transient ones return the bundle to the queue, which retries it for
//! about 30 minutes (`resources.json`: receive count × visibility timeout) and then moves it to
//! the dead-letter queue for a redrive.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_channels::telegram::{TelegramSendConfig, TelegramSender};
use chatdrop_channels::whatsapp::{WhatsappSendConfig, WhatsappSender};
use chatdrop_channels::{Senders, http_client};
use chatdrop_config::{Config, SecretSource, Secrets, channel_secrets, secret_names};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::delivery::{Delivered, DeliveryError, RetryPolicy, deliver};
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_queue::fifo::{RecordResult, process_in_order, receive_count};
use chatdrop_store::DynamoStore;
use lambda_runtime::{Error, LambdaEvent};
use std::time::Duration;
use tracing::Instrument;

pub struct Notify {
    store: DynamoStore,
    senders: Senders,
    policy: RetryPolicy,
}

impl Notify {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let secrets = Secrets::load(secrets, &channel_secrets(config, false)).await?;
        let client = http_client(Duration::from_secs(10));
        let whatsapp = config.serves(Channel::Whatsapp).then(|| WhatsappSender {
            client: client.clone(),
            config: WhatsappSendConfig {
                graph_base: config.whatsapp.graph_base.clone(),
                api_version: config.whatsapp.api_version.clone(),
                phone_number_id: config.whatsapp.phone_number_id.clone(),
                access_token: secrets
                    .get(secret_names::WHATSAPP_ACCESS_TOKEN)
                    .expose()
                    .into(),
            },
        });
        let telegram = config.serves(Channel::Telegram).then(|| TelegramSender {
            client: client.clone(),
            config: TelegramSendConfig {
                api_base: config.telegram.api_base.clone(),
                bot_token: secrets
                    .get(secret_names::TELEGRAM_BOT_TOKEN)
                    .expose()
                    .into(),
            },
        });
        Ok(Notify {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            senders: Senders { whatsapp, telegram },
            policy: RetryPolicy::default(),
        })
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Notify::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

pub async fn handle(app: &Notify, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    Ok(
        process_in_order(event.payload, |bundle: ReplyBundle, record| {
            let span = tracing::info_span!(
                "delivery",
                channel = %bundle.conversation.channel,
                customer = %bundle.conversation.hashed(),
                replies = bundle.replies.len(),
                attempt = receive_count(record),
            );
            Box::pin(
                async move {
                    match deliver(
                        &bundle,
                        &app.senders,
                        &app.store,
                        app.policy,
                        tokio::time::sleep,
                    )
                    .await
                    {
                        Ok(Delivered::All) => {
                            tracing::info!("delivered");
                            RecordResult::Done
                        }
                        Ok(Delivered::Undeliverable) => {
                            tracing::warn!("undeliverable; recorded and dropped");
                            RecordResult::Done
                        }
                        Err(DeliveryError::Retry(failure)) => {
                            RecordResult::Retry(failure.to_string())
                        }
                        Err(DeliveryError::Port(e)) => RecordResult::Retry(e.to_string()),
                    }
                }
                .instrument(span),
            )
        })
        .await,
    )
}
