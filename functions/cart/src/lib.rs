//! The `cart` function: customization and the cart. Consumes the cart queue (taps on cart
//! buttons, and text the catalog function handed over while a product is being customized).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_conversation::{ConversationApp, consume};
use chatdrop_domain::action::Handler;
use lambda_runtime::{Error, LambdaEvent};

pub use chatdrop_conversation::ConversationApp as App;

/// The app from config, with the platforms' profile lookups (LINE, Messenger, WeChat) for a new
/// customer's language: built here because the conversation crate must not depend on channels.
pub async fn from_env() -> Result<App, Error> {
    App::from_env_with_profiles(chatdrop_channels::registry::profile_lookups).await
}

pub async fn handle(
    app: &ConversationApp,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(consume(Handler::Cart, app, event.payload, event.context.deadline).await)
}
