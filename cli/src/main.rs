//! `chatdrop`: the retailer's and operator's command line.
//!
//! `chatdrop catalog check FILE` validates a seed file offline; `chatdrop catalog load FILE`
//! validates it and replaces the catalog in the table named by `--table` / `CHATDROP_TABLE`.
//! AWS credentials, region and endpoint come from the SDK's usual environment, so the same
//! command loads the local stack (`AWS_ENDPOINT_URL`) and a deployed one.

use chatdrop_domain::catalog::Catalog;
use chatdrop_store::DynamoStore;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "chatdrop", about = "Operate a chatdrop deployment")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The product catalog.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Validate a seed file (TOML) without touching any table.
    Check { file: PathBuf },
    /// Validate a seed file and replace the stored catalog with it.
    Load {
        file: PathBuf,
        #[arg(long, env = "CHATDROP_TABLE")]
        table: String,
    },
}

fn read(file: &Path) -> Result<Catalog, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let catalog: Catalog =
        toml::from_str(&text).map_err(|e| format!("{} is not a catalog: {e}", file.display()))?;
    catalog
        .validate()
        .map_err(|e| format!("{} is invalid: {e}", file.display()))?;
    Ok(catalog)
}

async fn run(cli: Cli) -> Result<String, String> {
    match cli.command {
        Command::Catalog { action } => match action {
            CatalogAction::Check { file } => {
                let c = read(&file)?;
                Ok(format!(
                    "{}: {} categories, {} products, valid",
                    file.display(),
                    c.categories.len(),
                    c.products.len()
                ))
            }
            CatalogAction::Load { file, table } => {
                let c = read(&file)?;
                let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), &table);
                let items = store
                    .replace_catalog(&c)
                    .await
                    .map_err(|e| format!("loading into {table} failed: {e}"))?;
                Ok(format!(
                    "loaded {} products in {} categories into {table} ({items} writes)",
                    c.products.len(),
                    c.categories.len()
                ))
            }
        },
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chatdrop: {message}");
            ExitCode::FAILURE
        }
    }
}
