//! `chatdrop orders …`: the orders as the retailer works them: list and export them, ship
//! and refund one (telling the customer in their chat), and list the payments to look at.

use crate::Fallible;
use crate::queues::outbound_only;
use chatdrop_domain::money::Money;
use chatdrop_domain::order_events;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::OrderStore;
use chatdrop_ops::{export, refund};
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum OrdersAction {
    /// Every order, oldest first.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// All orders as CSV, to a file or `-` for standard output; cells a spreadsheet would run
    /// as formulas (`=`, `+`, `-`, `@`, tab, CR first) start with `'`.
    Export {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Mark a paid order shipped and tell the customer in their chat.
    Ship {
        id: String,
        #[arg(long)]
        tracking: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
    },
    /// Refund a paid, shipped or paid_needs_attention order in full through Stripe (idempotent)
    /// and tell the customer; any other order is refused before Stripe is asked.
    Refund {
        id: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
        #[arg(long, env = "CHATDROP_STRIPE_SECRET_KEY", hide_env_values = true)]
        stripe_secret_key: String,
        #[arg(long, env = "CHATDROP_STRIPE_API_BASE")]
        stripe_api_base: Option<String>,
    },
    /// Payments to look at: orders paid after their stock was resold, or by a payment that
    /// does not match them (another Stripe page, amount or currency), with why.
    Attention,
}

/// An amount of `order`'s currency, written in the customer's language.
pub fn money(order: &Order, minor: i64) -> String {
    Money::new(minor, order.currency).format(order.lang, false)
}

/// Reads the order as it is now and sends the customer the message its state owes them.
async fn tell_customer(
    store: &DynamoStore,
    aws: &aws_config::SdkConfig,
    id: &str,
    outbound_queue_url: String,
) -> Fallible<Order> {
    let order = store
        .order(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("order vanished")?;
    let queues = SqsQueues::new(
        aws_sdk_sqs::Client::new(aws),
        outbound_only(outbound_queue_url),
    );
    order_events::tell_customer(&order, store, &queues)
        .await
        .map_err(|e| e.to_string())?;
    Ok(order)
}

/// Runs one `orders` command.
pub async fn run(
    store: &DynamoStore,
    aws: &aws_config::SdkConfig,
    action: OrdersAction,
) -> Fallible<String> {
    let err = |e: chatdrop_domain::ports::PortError| e.to_string();
    match action {
        OrdersAction::List { status } => {
            let wanted = status
                .as_deref()
                .map(|s| OrderStatus::parse(s).ok_or_else(|| format!("unknown status `{s}`")))
                .transpose()?;
            let mut out = String::from("order\tnumber\tstatus\ttotal\tchannel\tunits\tattention");
            for o in store.all_orders().await.map_err(err)? {
                if wanted.is_some_and(|w| w != o.status) {
                    continue;
                }
                out.push_str(&format!(
                    "\n{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.number(),
                    o.status.as_str(),
                    money(&o, o.total),
                    o.conversation.channel,
                    o.units(),
                    o.attention.len()
                ));
            }
            Ok(out)
        }
        OrdersAction::Export { file } => {
            let orders = store.all_orders().await.map_err(err)?;
            if file == "-" {
                export::write_orders(&orders, std::io::stdout().lock())
                    .map_err(|e| e.to_string())?;
                Ok(String::new())
            } else {
                let out = std::fs::File::create(&file)
                    .map_err(|e| format!("cannot write {file}: {e}"))?;
                export::write_orders(&orders, std::io::BufWriter::new(out))
                    .map_err(|e| format!("cannot write {file}: {e}"))?;
                Ok(format!("wrote {} orders to {file}", orders.len()))
            }
        }
        OrdersAction::Ship {
            id,
            tracking,
            outbound_queue_url,
        } => {
            if !store.mark_shipped(&id, &tracking).await.map_err(err)? {
                return Err(format!("order {id} is not paid (or does not exist)"));
            }
            let order = tell_customer(store, aws, &id, outbound_queue_url).await?;
            Ok(format!(
                "order {} shipped; the customer is told",
                order.number()
            ))
        }
        OrdersAction::Refund {
            id,
            outbound_queue_url,
            stripe_secret_key,
            stripe_api_base,
        } => {
            let gateway = StripeGateway::new(&stripe_secret_key, stripe_api_base.as_deref())
                .map_err(|e| e.to_string())?;
            let (_, refund) = refund::refund(store, &gateway, &id)
                .await
                .map_err(|e| e.to_string())?;
            let order = tell_customer(store, aws, &id, outbound_queue_url).await?;
            Ok(format!("order {} refunded ({refund})", order.number()))
        }
        OrdersAction::Attention => {
            let mut out = String::from("order\tnumber\tstatus\ttotal\tchannel\twhy");
            for o in store.all_orders().await.map_err(err)? {
                if o.status == OrderStatus::PaidNeedsAttention || !o.attention.is_empty() {
                    let why = if o.attention.is_empty() {
                        "paid after its reservation lapsed and the stock was resold".into()
                    } else {
                        o.attention.join(" | ")
                    };
                    out.push_str(&format!(
                        "\n{}\t{}\t{}\t{}\t{}\t{why}",
                        o.id,
                        o.number(),
                        o.status.as_str(),
                        money(&o, o.total),
                        o.conversation.channel
                    ));
                }
            }
            Ok(out)
        }
    }
}
