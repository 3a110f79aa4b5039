//! The `cart` function: customization and the cart. Consumes the cart queue (taps on cart
//! buttons, and text the catalog function handed over while a product is being customized).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chatdrop_conversation::{ConversationApp, consume};
use chatdrop_domain::action::Handler;
use lambda_runtime::{Error, LambdaEvent};

pub use chatdrop_conversation::ConversationApp as App;

pub async fn handle(
    app: &ConversationApp,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(consume(Handler::Cart, app, event.payload, event.context.deadline).await)
}
