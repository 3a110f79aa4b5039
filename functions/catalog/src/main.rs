use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chatdrop_telemetry::init();
    let app =
        catalog::App::from_env_with_profiles(chatdrop_channels::registry::profile_lookups).await?;
    run(service_fn(|event| catalog::handle(&app, event))).await
}
