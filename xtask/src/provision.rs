//! Creating the table and queues of `resources.json` on the local endpoint, and the console's
//! Cognito user pool (its app client and role groups: `chatdrop_ops::agents::create_pool`).
//!
//! Names get a prefix so that parallel tests each have their own resources on one moto.

use crate::Error;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use chatdrop_config::QueueUrls;
use chatdrop_config::resources::Resources;
use chatdrop_ops::agents::{self, ConsolePool};
use std::collections::HashMap;

/// What was created.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub table: String,
    pub queues: QueueUrls,
    /// Dead-letter queue URLs by queue id.
    pub dead_letters: HashMap<String, String>,
    /// The SNS topic agents are alerted on (`CHATDROP_AGENT_TOPIC_ARN`), and a standard SQS
    /// queue subscribed to it: the local stand-in for the mail or pager subscription, where a
    /// test reads what was published.
    pub agent_topic_arn: String,
    pub agent_inbox_url: String,
    /// The console's user pool and app client (moto's Cognito).
    pub console: ConsolePool,
}

pub async fn create(aws: &aws_config::SdkConfig, prefix: &str) -> Result<Provisioned, Error> {
    let resources = Resources::load();
    let dynamo = aws_sdk_dynamodb::Client::new(aws);
    let t = &resources.table;
    let table = format!("{prefix}{}", t.name);
    let created = dynamo
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(&t.partition_key)?)
        .attribute_definitions(attribute(&t.sort_key)?)
        .key_schema(key(&t.partition_key, KeyType::Hash)?)
        .key_schema(key(&t.sort_key, KeyType::Range)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // A stack started again on the same moto (a bench's restart) finds its table, with
        // what it held; the queues' creation is idempotent already.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => {
            return Err(format!(
                "create table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
            .into());
        }
    }
    dynamo
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(&t.ttl_attribute)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "enable TTL: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;

    let sqs = aws_sdk_sqs::Client::new(aws);
    let mut urls = HashMap::new();
    let mut dead_letters = HashMap::new();
    for q in &resources.queues {
        let dlq_url = create_queue(
            &sqs,
            &format!("{prefix}{}", q.dead_letter_name),
            q.fifo,
            None,
            q.visibility_timeout_seconds,
        )
        .await?;
        let dlq_arn = sqs
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .ok_or("dead-letter queue has no ARN")?;
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": q.max_receive_count,
        })
        .to_string();
        let url = create_queue(
            &sqs,
            &format!("{prefix}{}", q.name),
            q.fifo,
            Some(redrive),
            q.visibility_timeout_seconds,
        )
        .await?;
        urls.insert(q.id.clone(), url);
        dead_letters.insert(q.id.clone(), dlq_url);
    }
    let mut take = |id: &str| {
        urls.remove(id)
            .ok_or_else(|| format!("no queue `{id}` in resources.json"))
    };
    let (agent_topic_arn, agent_inbox_url) = agent_topic(aws, &sqs, prefix).await?;
    Ok(Provisioned {
        agent_topic_arn,
        agent_inbox_url,
        table,
        queues: QueueUrls {
            catalog: take("catalog")?,
            cart: take("cart")?,
            payment: take("payment")?,
            outbound: take("outbound")?,
        },
        dead_letters,
        console: agents::create_pool(
            &aws_sdk_cognitoidentityprovider::Client::new(aws),
            &format!("{prefix}chatdrop-console"),
        )
        .await?,
    })
}

/// The agents' topic and the queue subscribed to it (raw delivery: each SQS message body is
/// the published JSON, message attributes included).
async fn agent_topic(
    aws: &aws_config::SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
) -> Result<(String, String), Error> {
    let sns = aws_sdk_sns::Client::new(aws);
    let topic = sns
        .create_topic()
        .name(format!("{prefix}chatdrop-agents"))
        .send()
        .await
        .map_err(|e| {
            format!(
                "create topic: {}",
                aws_sdk_sns::error::DisplayErrorContext(e)
            )
        })?
        .topic_arn
        .ok_or("topic has no ARN")?;
    let inbox = create_queue(
        sqs,
        &format!("{prefix}chatdrop-agents-inbox"),
        false,
        None,
        30,
    )
    .await?;
    let inbox_arn = sqs
        .get_queue_attributes()
        .queue_url(&inbox)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or("agent inbox has no ARN")?;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(inbox_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .map_err(|e| {
            format!(
                "subscribe agent inbox: {}",
                aws_sdk_sns::error::DisplayErrorContext(e)
            )
        })?;
    Ok((topic, inbox))
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    fifo: bool,
    redrive: Option<String>,
    visibility: u32,
) -> Result<String, Error> {
    let mut request = sqs.create_queue().queue_name(name).attributes(
        QueueAttributeName::VisibilityTimeout,
        visibility.to_string(),
    );
    if fifo {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    if let Some(policy) = redrive {
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let out = request.send().await.map_err(|e| {
        format!(
            "create queue {name}: {}",
            aws_sdk_sqs::error::DisplayErrorContext(e)
        )
    })?;
    out.queue_url
        .ok_or_else(|| format!("queue {name} has no URL").into())
}

fn attribute(name: &str) -> Result<AttributeDefinition, Error> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()?)
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, Error> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()?)
}
