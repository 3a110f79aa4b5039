//! The console's users: Cognito's user pool holds them, this module creates the pool's parts
//! and its users, for the CLI (`chatdrop agent create`) and the local stack alike.
//!
//! A console user is a Cognito user whose username is their email, with the custom attribute
//! `custom:retailer` naming the retailer they work for (the console refuses a token naming
//! another) and membership of the group `agent` or `manager` (the role; `manager` may refund).
//! The ID token Cognito issues after sign-in carries both (`custom:retailer`,
//! `cognito:groups`).

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, ExplicitAuthFlowsType, MessageActionType, SchemaAttributeType,
};

/// The groups that are the console's roles.
pub const ROLES: [&str; 2] = ["agent", "manager"];

/// A user pool ready for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolePool {
    pub user_pool_id: String,
    pub client_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("unknown role `{0}` (agent or manager)")]
    Role(String),
    #[error("Cognito: {0}")]
    Cognito(String),
}

fn cognito<E>(e: aws_sdk_cognitoidentityprovider::error::SdkError<E>) -> AgentError
where
    E: std::error::Error + aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + 'static,
{
    AgentError::Cognito(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string())
}

/// Creates a user pool with the `retailer` attribute, the console's app client (no secret: a
/// browser cannot keep one; `USER_PASSWORD_AUTH`) and the role groups. What the CDK app
/// deploys in AWS; the local stack calls this against moto.
pub async fn create_pool(client: &Client, name: &str) -> Result<ConsolePool, AgentError> {
    let pool = client
        .create_user_pool()
        .pool_name(name)
        .schema(
            SchemaAttributeType::builder()
                .name("retailer")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .map_err(cognito)?;
    let user_pool_id = pool
        .user_pool
        .and_then(|p| p.id)
        .ok_or_else(|| AgentError::Cognito("the new pool has no id".into()))?;
    let app = client
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name("console")
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .read_attributes("email")
        .read_attributes("custom:retailer")
        .send()
        .await
        .map_err(cognito)?;
    let client_id = app
        .user_pool_client
        .and_then(|c| c.client_id)
        .ok_or_else(|| AgentError::Cognito("the new client has no id".into()))?;
    for role in ROLES {
        client
            .create_group()
            .user_pool_id(&user_pool_id)
            .group_name(role)
            .send()
            .await
            .map_err(cognito)?;
    }
    Ok(ConsolePool {
        user_pool_id,
        client_id,
    })
}

/// Creates a console user with a permanent password (no invitation mail: the operator hands
/// the password over) and puts them in their role's group.
pub async fn create_agent(
    client: &Client,
    user_pool_id: &str,
    email: &str,
    role: &str,
    retailer: &str,
    password: &str,
) -> Result<(), AgentError> {
    if !ROLES.contains(&role) {
        return Err(AgentError::Role(role.into()));
    }
    let attribute = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| AgentError::Cognito(e.to_string()))
    };
    client
        .admin_create_user()
        .user_pool_id(user_pool_id)
        .username(email)
        .user_attributes(attribute("email", email)?)
        .user_attributes(attribute("email_verified", "true")?)
        .user_attributes(attribute("custom:retailer", retailer)?)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .map_err(cognito)?;
    client
        .admin_set_user_password()
        .user_pool_id(user_pool_id)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .map_err(cognito)?;
    client
        .admin_add_user_to_group()
        .user_pool_id(user_pool_id)
        .username(email)
        .group_name(role)
        .send()
        .await
        .map_err(cognito)?;
    Ok(())
}
