//! `chatdrop agent create`: a console user in the agents' Cognito user pool (the console and
//! its roles: README, "The console"; the pool calls: `chatdrop_ops::agents`).

use crate::Fallible;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum AgentAction {
    /// Create a console user with a permanent password, in the `agent` or `manager` group.
    Create {
        #[arg(long)]
        email: String,
        /// `agent` (dashboard, orders, shipping) or `manager` (also refunds).
        #[arg(long)]
        role: String,
        /// The password to hand over (Cognito's policy: 8+ characters, upper, lower, digit,
        /// symbol by default).
        #[arg(long, env = "CHATDROP_AGENT_PASSWORD")]
        password: String,
        /// The user pool (output `ConsoleUserPoolId` of the deploy; printed by `cargo xtask serve`).
        #[arg(long, env = "CHATDROP_COGNITO_USER_POOL_ID")]
        pool: String,
        /// The retailer the deployment serves (`CHATDROP_RETAILER`).
        #[arg(long, env = "CHATDROP_RETAILER")]
        retailer: String,
    },
}

pub async fn run(aws: &aws_config::SdkConfig, action: AgentAction) -> Fallible<String> {
    let AgentAction::Create {
        email,
        role,
        password,
        pool,
        retailer,
    } = action;
    chatdrop_ops::agents::create_agent(
        &aws_sdk_cognitoidentityprovider::Client::new(aws),
        &pool,
        &email,
        &role,
        &retailer,
        &password,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(format!("{email} can sign in to the console as {role}"))
}
