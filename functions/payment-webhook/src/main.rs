use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chatdrop_telemetry::init();
    let app = payment_webhook::PaymentWebhook::from_env().await?;
    run(service_fn(|request| payment_webhook::handle(&app, request))).await
}
