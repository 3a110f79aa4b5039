//! The environment a local stack's functions run with: the deployment's variables pointed at
//! moto's table and queues, the fake platforms and the fake Stripe.

use super::StackOptions;
use crate::dev;
use crate::provision::Provisioned;
use std::collections::HashMap;

/// The functions' environment (`CHATDROP_*`) for a stack listening on `url`, with the fake
/// Stripe at `stripe_base`: what a deployment would set, pointed at the local endpoints and the
/// fakes, then the options' own additions.
pub(super) fn function_env(
    options: &StackOptions,
    provisioned: &Provisioned,
    url: &str,
    stripe_base: &str,
) -> HashMap<String, String> {
    let vars: HashMap<String, String> = [
        ("CHATDROP_TABLE", provisioned.table.clone()),
        (
            "CHATDROP_CATALOG_QUEUE_URL",
            provisioned.queues.catalog.clone(),
        ),
        ("CHATDROP_CART_QUEUE_URL", provisioned.queues.cart.clone()),
        (
            "CHATDROP_PAYMENT_QUEUE_URL",
            provisioned.queues.payment.clone(),
        ),
        (
            "CHATDROP_OUTBOUND_QUEUE_URL",
            provisioned.queues.outbound.clone(),
        ),
        ("CHATDROP_PUBLIC_BASE_URL", url.to_string()),
        (
            "CHATDROP_WHATSAPP_PHONE_NUMBER_ID",
            dev::WHATSAPP_PHONE_NUMBER_ID.into(),
        ),
        (
            "CHATDROP_WHATSAPP_GRAPH_BASE",
            format!("{}/graph", options.fakes_url),
        ),
        (
            "CHATDROP_TELEGRAM_API_BASE",
            format!("{}/telegram", options.fakes_url),
        ),
        (
            "CHATDROP_CHANNELS",
            "whatsapp,telegram,messenger,line,wechat,sms,viber,kakao".into(),
        ),
        (
            "CHATDROP_WHATSAPP_ORDER_TEMPLATE",
            dev::WHATSAPP_ORDER_TEMPLATE.into(),
        ),
        (
            "CHATDROP_MESSENGER_GRAPH_BASE",
            format!("{}/messenger", options.fakes_url),
        ),
        (
            "CHATDROP_LINE_API_BASE",
            format!("{}/line", options.fakes_url),
        ),
        (
            "CHATDROP_WECHAT_API_BASE",
            format!("{}/wechat", options.fakes_url),
        ),
        ("CHATDROP_WECHAT_APP_ID", dev::WECHAT_APP_ID.into()),
        (
            "CHATDROP_TWILIO_API_BASE",
            format!("{}/twilio", options.fakes_url),
        ),
        (
            "CHATDROP_TWILIO_ACCOUNT_SID",
            dev::TWILIO_ACCOUNT_SID.into(),
        ),
        ("CHATDROP_SMS_FROM", dev::SMS_FROM.into()),
        // Twilio Verify's fake beside the Messages API's: chats prove phones by a code.
        (
            "CHATDROP_TWILIO_VERIFY_API_BASE",
            format!("{}/twilio-verify", options.fakes_url),
        ),
        (
            "CHATDROP_TWILIO_VERIFY_SERVICE_SID",
            crate::platform::sms::VERIFY_SERVICE_SID.into(),
        ),
        (
            "CHATDROP_VIBER_API_BASE",
            format!("{}/viber", options.fakes_url),
        ),
        ("CHATDROP_KAKAO_BOT_ID", dev::KAKAO_BOT_ID.into()),
        (
            "CHATDROP_SENS_API_BASE",
            format!("{}/sens", options.fakes_url),
        ),
        (
            "CHATDROP_KAKAO_ALIMTALK_TEMPLATES",
            dev::KAKAO_ALIMTALK_TEMPLATES.into(),
        ),
        (
            "CHATDROP_AGENT_TOPIC_ARN",
            provisioned.agent_topic_arn.clone(),
        ),
        ("CHATDROP_STRIPE_API_BASE", stripe_base.to_string()),
        // The console: moto's Cognito pool, whose keys moto serves beside its API.
        ("CHATDROP_RETAILER", dev::RETAILER.into()),
        (
            "CHATDROP_COGNITO_USER_POOL_ID",
            provisioned.console.user_pool_id.clone(),
        ),
        (
            "CHATDROP_COGNITO_CLIENT_ID",
            provisioned.console.client_id.clone(),
        ),
        (
            "CHATDROP_COGNITO_JWKS_URL",
            format!(
                "{}/{}/.well-known/jwks.json",
                options.aws_endpoint, provisioned.console.user_pool_id
            ),
        ),
        (
            "CHATDROP_RESERVATION_MINUTES",
            options.reservation_minutes.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut vars = vars;
    // As the CDK app does: a consumer that dead-letters records itself is told where.
    for q in chatdrop_config::resources::Resources::load().queues {
        if q.self_dead_letters {
            vars.insert(
                q.url_env.replace("_QUEUE_URL", "_DLQ_URL"),
                provisioned.dead_letters[&q.id].clone(),
            );
        }
    }
    vars.extend(options.env.iter().cloned());
    vars
}
