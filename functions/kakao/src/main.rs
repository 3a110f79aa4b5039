use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chatdrop_telemetry::init();
    let app = kakao::Kakao::from_env().await?;
    app.load_phone_metadata_in_background();
    run(service_fn(|request| kakao::handle(&app, request))).await
}
