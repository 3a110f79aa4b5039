//! The `catalog` function: browsing. Consumes the catalog queue (everything customers send,
//! except taps on cart buttons) and answers with categories, products, details and search
//! results; hands customization text and cart actions to the cart queue.

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
    Ok(consume(Handler::Catalog, app, event.payload, event.context.deadline).await)
}
