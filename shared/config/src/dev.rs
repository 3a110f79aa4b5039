//! The development secrets: public on purpose (the README lists them) so anyone can sign a
//! webhook with curl against the local stack.
//!
//! They are defined here, not only in the local stack (`xtask`), so that a deployed function can
//! recognise and refuse them ([`crate::deployed`]): a copy of `infra/events/local.env` pasted
//! into the production secret would otherwise let anyone forge webhooks and derive pay links.

use crate::secret_names::*;
use chatdrop_domain::channel_spec::vars::*;

pub const WHATSAPP_APP_SECRET_VALUE: &str = "dev-whatsapp-app-secret";
pub const WHATSAPP_VERIFY_TOKEN_VALUE: &str = "dev-verify-token";
pub const WHATSAPP_ACCESS_TOKEN_VALUE: &str = "dev-whatsapp-access-token";
pub const TELEGRAM_SECRET_TOKEN_VALUE: &str = "dev-telegram-secret";
pub const TELEGRAM_BOT_TOKEN_VALUE: &str = "123456:dev-telegram-bot-token";
pub const MESSENGER_APP_SECRET_VALUE: &str = "dev-messenger-app-secret";
pub const MESSENGER_VERIFY_TOKEN_VALUE: &str = "dev-messenger-verify-token";
pub const MESSENGER_PAGE_TOKEN_VALUE: &str = "dev-messenger-page-token";
pub const LINE_CHANNEL_SECRET_VALUE: &str = "dev-line-channel-secret";
pub const LINE_ACCESS_TOKEN_VALUE: &str = "dev-line-access-token";
pub const WECHAT_TOKEN_VALUE: &str = "devwechattoken";
pub const WECHAT_APP_SECRET_VALUE: &str = "dev-wechat-app-secret";
pub const TWILIO_AUTH_TOKEN_VALUE: &str = "dev-twilio-auth-token";
pub const VIBER_AUTH_TOKEN_VALUE: &str = "dev0viber0auth00-0token0000000000-00000000000000dev";
pub const KAKAO_SKILL_SECRET_VALUE: &str = "dev-kakao-skill-secret";
pub const KAKAO_ADMIN_KEY_VALUE: &str = "dev-kakao-admin-key";
pub const SENS_ACCESS_KEY_VALUE: &str = "dev-sens-access-key";
pub const SENS_SECRET_KEY_VALUE: &str = "dev-sens-secret-key";
pub const SENS_SERVICE_ID_VALUE: &str = "ncp:kkobizmsg:kr:0000000:chatdrop-dev";
pub const KAKAO_PLUS_FRIEND_ID_VALUE: &str = "@chatdrop-dev";
pub const STRIPE_SECRET_KEY_VALUE: &str = "sk_test_chatdrop_dev";
pub const STRIPE_WEBHOOK_SECRET_VALUE: &str = "whsec_chatdrop_dev";
pub const ID_KEY_VALUE: &str = "dev-chatdrop-id-key-public-never-deploy-0123456789";

/// Every secret with its development value.
pub const SECRETS: [(&str, &str); 23] = [
    (WHATSAPP_APP_SECRET, WHATSAPP_APP_SECRET_VALUE),
    (WHATSAPP_VERIFY_TOKEN, WHATSAPP_VERIFY_TOKEN_VALUE),
    (WHATSAPP_ACCESS_TOKEN, WHATSAPP_ACCESS_TOKEN_VALUE),
    (TELEGRAM_SECRET_TOKEN, TELEGRAM_SECRET_TOKEN_VALUE),
    (TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_VALUE),
    (MESSENGER_APP_SECRET, MESSENGER_APP_SECRET_VALUE),
    (MESSENGER_VERIFY_TOKEN, MESSENGER_VERIFY_TOKEN_VALUE),
    (MESSENGER_PAGE_TOKEN, MESSENGER_PAGE_TOKEN_VALUE),
    (LINE_CHANNEL_SECRET, LINE_CHANNEL_SECRET_VALUE),
    (LINE_ACCESS_TOKEN, LINE_ACCESS_TOKEN_VALUE),
    (WECHAT_TOKEN, WECHAT_TOKEN_VALUE),
    (WECHAT_APP_SECRET, WECHAT_APP_SECRET_VALUE),
    (TWILIO_AUTH_TOKEN, TWILIO_AUTH_TOKEN_VALUE),
    (VIBER_AUTH_TOKEN, VIBER_AUTH_TOKEN_VALUE),
    (KAKAO_SKILL_SECRET, KAKAO_SKILL_SECRET_VALUE),
    (KAKAO_ADMIN_KEY, KAKAO_ADMIN_KEY_VALUE),
    (SENS_ACCESS_KEY, SENS_ACCESS_KEY_VALUE),
    (SENS_SECRET_KEY, SENS_SECRET_KEY_VALUE),
    (SENS_SERVICE_ID, SENS_SERVICE_ID_VALUE),
    (KAKAO_PLUS_FRIEND_ID, KAKAO_PLUS_FRIEND_ID_VALUE),
    (STRIPE_SECRET_KEY, STRIPE_SECRET_KEY_VALUE),
    (STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET_VALUE),
    (ID_KEY, ID_KEY_VALUE),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_secret_has_one_development_value() {
        let names = crate::all_secret_names();
        assert_eq!(names.len(), super::SECRETS.len());
        for name in names {
            assert!(
                super::SECRETS.iter().any(|(n, _)| *n == name),
                "{name} has no development value"
            );
        }
    }
}
