//! `chatdrop`: the retailer's and operator's command line, on the same store code as the
//! functions.
//!
//! AWS credentials, region and endpoint come from the SDK's usual environment and profile
//! settings, so the same commands work on the local stack (`AWS_ENDPOINT_URL`) and on AWS. The
//! table is `--table` / `CHATDROP_TABLE`; commands that message customers need the outbound
//! queue (`CHATDROP_OUTBOUND_QUEUE_URL`); refunds need the Stripe key
//! (`CHATDROP_STRIPE_SECRET_KEY`, and `CHATDROP_STRIPE_API_BASE` for a fake); commands that
//! name customers need the identifier key (`CHATDROP_ID_KEY`, or `CHATDROP_SECRET_ID`).

mod agent;
mod campaign;
mod campaign_report;
mod catalog;
mod customer;
mod customer_tags;
mod draw;
mod drops;
mod messages;
mod orders;
mod queues;

use chatdrop_store::DynamoStore;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "chatdrop", about = "Operate a chatdrop deployment")]
struct Cli {
    /// The DynamoDB table.
    #[arg(
        long,
        env = "CHATDROP_TABLE",
        global = true,
        default_value = "chatdrop"
    )]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The product catalog.
    Catalog {
        #[command(subcommand)]
        action: catalog::CatalogAction,
    },
    /// Limited drops: stock, windows, limits.
    Drop {
        #[command(subcommand)]
        action: drops::DropAction,
    },
    /// Orders: list, export, ship, refund.
    Orders {
        #[command(subcommand)]
        action: orders::OrdersAction,
    },
    /// Dead-letter queues.
    Dlq {
        #[command(subcommand)]
        action: queues::DlqAction,
    },
    /// Messages the platforms' rules kept back (outside a customer-service window, opted out).
    Held {
        #[command(subcommand)]
        action: queues::HeldAction,
    },
    /// What chatdrop holds about a customer, and erasing it (access and erasure requests).
    Customer {
        #[command(subcommand)]
        action: customer::CustomerAction,
    },
    /// What a conversation was sent, with each message's delivery status.
    Thread {
        /// whatsapp, telegram, messenger, line, wechat or sms.
        channel: String,
        /// The platform's id for the customer (wa_id, chat id, PSID, user id, OpenID, phone).
        customer: String,
    },
    /// Console users (the agents' Cognito user pool).
    Agent {
        #[command(subcommand)]
        action: agent::AgentAction,
    },
    /// Drop announcements to opted-in customers: create, preview, start, pause, status.
    Campaign {
        #[command(subcommand)]
        action: campaign::CampaignAction,
    },
}

type Fallible<T> = Result<T, String>;

/// Loads the AWS settings and the identifier key, then runs the command.
async fn run(cli: Cli) -> Fallible<String> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    // Customers are named by keyed pseudonyms (the export, held messages, queue group ids):
    // `CHATDROP_ID_KEY`, or the deployment's secret when `CHATDROP_SECRET_ID` is set. Commands
    // that name nobody run without it; the others stop saying which secret to set.
    match chatdrop_config::Secrets::load_with_id_key(&chatdrop_config::secret_source(&aws), &[])
        .await
    {
        Ok(_) | Err(chatdrop_config::ConfigError::MissingSecret(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), &cli.table);
    match cli.command {
        Command::Catalog { action } => catalog::run(&store, &cli.table, action).await,
        Command::Drop { action } => drops::run(&store, &aws, action).await,
        Command::Orders { action } => orders::run(&store, &aws, action).await,
        Command::Dlq { action } => queues::dlq(&aws, action).await,
        Command::Held { action } => queues::held(&store, &aws, action).await,
        Command::Customer { action } => customer::run(&store, action).await,
        Command::Thread { channel, customer } => customer::thread(&store, &channel, customer).await,
        Command::Campaign { action } => campaign::run(&store, action).await,
        Command::Agent { action } => agent::run(&aws, action).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chatdrop: {message}");
            ExitCode::FAILURE
        }
    }
}
