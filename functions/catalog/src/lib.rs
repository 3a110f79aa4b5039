//! The `catalog` function: browsing. Consumes the catalog queue (everything customers send,
//! except taps on cart buttons) and answers with categories, products, details and search
//! results; hands customization text and cart actions to the cart queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_conversation::{ConversationApp, consume};
use chatdrop_domain::action::Handler;
use lambda_runtime::{Error, LambdaEvent};

pub use chatdrop_conversation::ConversationApp as App;

/// The app from config, with the platforms' profile lookups (LINE, Messenger, WeChat) for a new
/// customer's language and Twilio Verify for chats proving a phone (typed numbers and codes
/// arrive here): built here because the conversation crate must not depend on channels.
pub async fn from_env() -> Result<App, Error> {
    App::from_env_with_services(chatdrop_channels::registry::profile_lookups, twilio_verify).await
}

/// Twilio Verify from its settings and the auth token (what the local stack builds too).
pub fn twilio_verify(
    settings: chatdrop_conversation::VerifySettings,
    auth_token: String,
) -> std::sync::Arc<dyn chatdrop_domain::phone_verify::DynPhoneVerifier> {
    use chatdrop_channels::twilio_verify::{TwilioVerify, TwilioVerifyConfig};
    TwilioVerify::shared(TwilioVerifyConfig {
        api_base: settings.api_base,
        service_sid: settings.service_sid,
        account_sid: settings.account_sid,
        auth_token,
    })
}

pub async fn handle(
    app: &ConversationApp,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(consume(Handler::Catalog, app, event.payload, event.context.deadline).await)
}
