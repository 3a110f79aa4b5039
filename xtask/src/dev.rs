//! Development defaults: secrets and ids that only the local stack and the tests apply.
//!
//! They are public on purpose (the README lists them) so anyone can sign a webhook with curl
//! against `cargo xtask serve`. A deployed function never sees them: it reads its secrets from
//! Secrets Manager, and a missing one, or one of these public values, stops it at start.

use std::collections::HashMap;

// The secrets' public values are defined once, in `chatdrop_config::dev`, so that a deployed
// function can refuse them.
pub use chatdrop_config::dev::{
    ID_KEY_VALUE, LINE_ACCESS_TOKEN_VALUE, LINE_CHANNEL_SECRET_VALUE, MESSENGER_APP_SECRET_VALUE,
    MESSENGER_PAGE_TOKEN_VALUE, MESSENGER_VERIFY_TOKEN_VALUE, STRIPE_SECRET_KEY_VALUE,
    STRIPE_WEBHOOK_SECRET_VALUE, TELEGRAM_BOT_TOKEN_VALUE, TELEGRAM_SECRET_TOKEN_VALUE,
    TWILIO_AUTH_TOKEN_VALUE, VIBER_AUTH_TOKEN_VALUE, WECHAT_APP_SECRET_VALUE, WECHAT_TOKEN_VALUE,
    WHATSAPP_ACCESS_TOKEN_VALUE, WHATSAPP_APP_SECRET_VALUE, WHATSAPP_VERIFY_TOKEN_VALUE,
};

pub const WHATSAPP_PHONE_NUMBER_ID: &str = "106000000000002";
/// The order-update template the fake Graph API knows as approved.
pub const WHATSAPP_ORDER_TEMPLATE: &str = "order_update";
/// The marketing template the fake approves for drop announcements (campaigns name it).
pub const WHATSAPP_MARKETING_TEMPLATE: &str = "drop_announcement";
pub const WECHAT_APP_ID: &str = "wx0123456789abcdef";
pub const TWILIO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const SMS_FROM: &str = "+15550002222";
/// The local Open Builder bot's id (public: every skill request carries it in `bot.id`).
pub const KAKAO_BOT_ID: &str = "5f0c0de0a1b2c3d4e5f60718";
/// The AlimTalk templates the local SENS fake knows as approved, and notify is configured with
/// (`CHATDROP_KAKAO_ALIMTALK_TEMPLATES`): each order notice's template code and its approved
/// text. `attention` and `awaiting_payment` have none, so those notices are held for ops.
pub const KAKAO_ALIMTALK_TEMPLATES: &str = r##"{
  "paid": {"code": "CHATDROP_PAID", "text": "[chatdrop] 주문 #{order} 결제가 완료되었습니다.\n결제 금액: #{amount}"},
  "released": {"code": "CHATDROP_RELEASED", "text": "[chatdrop] 주문 #{order}의 결제 기한이 지나 예약이 취소되었습니다."},
  "shipped": {"code": "CHATDROP_SHIPPED", "text": "[chatdrop] 주문 #{order} 상품이 발송되었습니다.\n운송장 번호: #{tracking}"},
  "refunded": {"code": "CHATDROP_REFUNDED", "text": "[chatdrop] 주문 #{order} 결제 금액 #{amount}이(가) 환불되었습니다."}
}"##;
/// The retailer the local stack serves (`CHATDROP_RETAILER`): console users carry it in
/// `custom:retailer`.
pub const RETAILER: &str = "chatdrop-local";

/// Every dev secret, overridden by an environment variable of the same name when set.
pub fn secrets() -> HashMap<String, String> {
    chatdrop_config::dev::SECRETS
        .into_iter()
        .map(|(name, default)| {
            let value = std::env::var(name).unwrap_or_else(|_| default.to_string());
            (name.to_string(), value)
        })
        .collect()
}

/// The identifier key the local stack's functions install (`CHATDROP_ID_KEY`, dev value or
/// override), for code that calls the payment logic directly.
pub fn id_key() -> chatdrop_domain::ids::IdKey {
    chatdrop_domain::ids::IdKey::new(secrets()[chatdrop_config::secret_names::ID_KEY].as_bytes())
}

/// Secrets from a fixed map: the local stack's stand-in for the parameter store.
pub struct FixedSecrets(pub HashMap<String, String>);

impl chatdrop_config::SecretSource for FixedSecrets {
    async fn fetch(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, String>, chatdrop_config::ConfigError> {
        Ok(names
            .iter()
            .filter_map(|n| self.0.get(*n).map(|v| (n.to_string(), v.clone())))
            .collect())
    }
}
