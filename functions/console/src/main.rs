use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chatdrop_telemetry::init();
    let app = console::Console::from_env().await?;
    run(service_fn(|request| console::handle(&app, request))).await
}
