//! The AWS secret source against moto: one secret, a JSON object of every secret by name.
//! Run through `cargo xtask test`, which starts moto.

use chatdrop_config::{ConfigError, Secrets, SecretsManager};

#[tokio::test]
async fn secrets_come_from_one_json_secret_and_a_missing_one_is_named() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "run through `cargo xtask test`, which starts moto"
    );
    let aws = chatdrop_config::aws::sdk_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!(
        "chatdrop-test-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let created = client
        .create_secret()
        .name(&name)
        .secret_string(r#"{"CHATDROP_STRIPE_SECRET_KEY":"sk_test_x","OTHER":"y"}"#)
        .send()
        .await
        .unwrap();
    let source = SecretsManager::new(&aws, created.arn().unwrap());
    let secrets = Secrets::load(&source, &["CHATDROP_STRIPE_SECRET_KEY"])
        .await
        .unwrap();
    assert_eq!(
        secrets.get("CHATDROP_STRIPE_SECRET_KEY").expose(),
        "sk_test_x"
    );
    let missing = Secrets::load(&source, &["CHATDROP_TELEGRAM_BOT_TOKEN"])
        .await
        .err()
        .unwrap();
    assert_eq!(
        missing,
        ConfigError::MissingSecret("CHATDROP_TELEGRAM_BOT_TOKEN".into())
    );
}
