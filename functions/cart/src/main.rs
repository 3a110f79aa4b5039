use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chatdrop_telemetry::init();
    let app = cart::from_env().await?;
    run(service_fn(|event| cart::handle(&app, event))).await
}
