//! `chatdrop dlq redrive` and `chatdrop held …`: the messages the queues kept back, a
//! dead-letter queue's failures to move back to their source, and the replies the platforms'
//! rules held (outside a customer-service window, opted out) to send again or discard.

use crate::Fallible;
use chatdrop_config::QueueUrls;
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum DlqAction {
    /// Move every message of a dead-letter queue back to its source queue, in order.
    Redrive {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
pub enum HeldAction {
    /// Every held message, oldest first.
    List,
    /// Queue a held message again; the sending rules are applied afresh (it is held again if
    /// they still forbid it).
    Send {
        id: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
    },
    /// Drop a held message for good.
    Discard { id: String },
}

/// The queue URLs of a command that only sends customers messages.
pub fn outbound_only(url: String) -> QueueUrls {
    QueueUrls {
        catalog: String::new(),
        cart: String::new(),
        payment: String::new(),
        outbound: url,
    }
}

/// Runs one `dlq` command.
pub async fn dlq(aws: &aws_config::SdkConfig, action: DlqAction) -> Fallible<String> {
    match action {
        DlqAction::Redrive { from, to } => redrive(aws, &from, &to).await,
    }
}

/// Moves a dead-letter queue's messages back to their source queue (see
/// [`chatdrop_queue::redrive`]).
async fn redrive(aws: &aws_config::SdkConfig, from: &str, to: &str) -> Fallible<String> {
    let moved = chatdrop_queue::redrive(&aws_sdk_sqs::Client::new(aws), from, to, |moved| {
        if moved % 50 == 0 {
            eprintln!("redrive: {moved} moved…");
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(format!("moved {moved} messages from the dead-letter queue"))
}

/// Runs one `held` command.
pub async fn held(
    store: &DynamoStore,
    aws: &aws_config::SdkConfig,
    action: HeldAction,
) -> Fallible<String> {
    let err = |e: chatdrop_domain::ports::PortError| e.to_string();
    match action {
        HeldAction::List => {
            let mut out = String::from("id\tchannel\tcustomer\theld_at\treason\tfirst reply");
            for h in store.held().await.map_err(err)? {
                let first = h
                    .bundle
                    .replies
                    .first()
                    .map(chatdrop_domain::delivery::summary)
                    .unwrap_or_default();
                out.push_str(&format!(
                    "\n{}\t{}\t{}\t{}\t{}\t{}",
                    h.bundle.id,
                    h.bundle.conversation.channel,
                    h.bundle.conversation.hashed(),
                    h.held_at,
                    h.reason,
                    first
                ));
            }
            Ok(out)
        }
        HeldAction::Send {
            id,
            outbound_queue_url,
        } => {
            let queues = SqsQueues::new(
                aws_sdk_sqs::Client::new(aws),
                outbound_only(outbound_queue_url),
            );
            match store.requeue_held(&id, &queues).await.map_err(err)? {
                Some(new_id) => Ok(format!("queued {id} again as {new_id}")),
                None => Err(format!("no held message {id}")),
            }
        }
        HeldAction::Discard { id } => {
            if store.release_held(&id).await.map_err(err)? {
                Ok(format!("discarded {id}"))
            } else {
                Err(format!("no held message {id}"))
            }
        }
    }
}
