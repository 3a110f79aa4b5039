//! The channel registry: every fact about a chat platform that is data rather than code.
//!
//! chatdrop speaks seven platforms, and each one brings a handful of facts that several parts of
//! the system need: the secrets a function must load to verify its webhooks or call its API,
//! the public settings a deployment gives it (an API base, a sender number), the pace its API
//! takes, whether the id it gives a customer is a phone number, and its rules for writing to a
//! customer who has gone quiet. Before this module those facts sat in a dozen places (the
//! config crate, the notify function, the checkout, the CDK app) and drifted apart.
//!
//! Now each platform has one [`ChannelSpec`], returned by [`Channel::spec`], and everything
//! else reads it:
//!
//! - `chatdrop-config` loads the [`Setting`]s of the enabled channels (a missing required one
//!   is an error naming its variable) and asks only for the [`SecretSpec`]s of the side a
//!   function plays;
//! - `chatdrop-channels`' registry builds an adapter for each enabled channel and takes its pace
//!   and window from here;
//! - the checkout asks [`ChannelSpec::customer_id_is_phone`] to know when a chat *is* a phone
//!   (the identity a per-customer limit is counted on);
//! - the CDK app reads the same table as JSON (`cargo xtask channels`, written to
//!   `infra/lib/channels.generated.json`), so the deployed secret lists cannot drift.
//!
//! The code that differs per platform (signatures, payloads, rendering, API calls) is each
//! adapter's folder in `shared/channels`; this table is what is left when that is taken away.

use crate::channel::Channel;
use crate::delivery::SendingRules;
use crate::ports::SendRate;
use crate::send_cap::UnansweredCap;
use std::time::Duration;

/// What chatdrop knows about one platform, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSpec {
    pub channel: Channel,
    /// The platform's name as people write it, for docs and the console.
    pub display_name: &'static str,
    /// Secrets, by the side of the conversation that needs each one.
    pub secrets: &'static [SecretSpec],
    /// Public settings, from the environment.
    pub settings: &'static [Setting],
    /// The pace one sender may write at, unless `CHATDROP_SEND_RATES` says otherwise.
    pub default_rate: SendRate,
    /// Whether the platform's customer id is the customer's phone number (E.164 digits):
    /// such a chat's identity is the phone, which every chat sharing it counts against.
    pub customer_id_is_phone: bool,
    /// Whether the platform has a button that sends the customer's own number, vouched for by
    /// the platform (Telegram's `request_contact` keyboard button): asked for a phone, such a
    /// chat is offered it beside typing the number and proving it by a code.
    pub shares_own_contact: bool,
    /// The customer-service window and what may be sent after it. An adapter may narrow
    /// `updates_after_window` by its configuration (WhatsApp needs an approved template).
    pub sending: SendingRules,
}

/// A secret a function loads at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretSpec {
    /// The environment variable locally, the key in the deployment's secret in AWS.
    pub name: &'static str,
    pub side: Side,
}

/// Which function needs a secret: `ingress` verifies webhooks, `notify` calls the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Inbound,
    Outbound,
    /// One credential does both (Twilio signs webhooks with the auth token it takes for API
    /// calls).
    Both,
}

impl Side {
    /// Whether a function playing `side` needs this secret.
    pub fn serves(self, side: Side) -> bool {
        self == Side::Both || self == side
    }
}

/// A public setting of a channel, read from the environment when the channel is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub env: &'static str,
    pub value: SettingValue,
    /// A base URL: its trailing `/` is dropped, and a deployed function refuses `http://`.
    pub url: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingValue {
    /// Must be set when the channel is enabled.
    Required,
    /// Taken when unset.
    Default(&'static str),
    /// May stay unset: the adapter works without it (in a narrower way it documents).
    Optional,
}

/// The variable names of every channel's secrets and settings, for code that reads one.
pub mod vars {
    pub const WHATSAPP_APP_SECRET: &str = "CHATDROP_WHATSAPP_APP_SECRET";
    pub const WHATSAPP_VERIFY_TOKEN: &str = "CHATDROP_WHATSAPP_VERIFY_TOKEN";
    pub const WHATSAPP_ACCESS_TOKEN: &str = "CHATDROP_WHATSAPP_ACCESS_TOKEN";
    pub const WHATSAPP_GRAPH_BASE: &str = "CHATDROP_WHATSAPP_GRAPH_BASE";
    pub const WHATSAPP_API_VERSION: &str = "CHATDROP_WHATSAPP_API_VERSION";
    pub const WHATSAPP_PHONE_NUMBER_ID: &str = "CHATDROP_WHATSAPP_PHONE_NUMBER_ID";
    pub const WHATSAPP_ORDER_TEMPLATE: &str = "CHATDROP_WHATSAPP_ORDER_TEMPLATE";
    pub const WHATSAPP_ORDER_TEMPLATE_LANG: &str = "CHATDROP_WHATSAPP_ORDER_TEMPLATE_LANG";
    pub const TELEGRAM_SECRET_TOKEN: &str = "CHATDROP_TELEGRAM_SECRET_TOKEN";
    pub const TELEGRAM_BOT_TOKEN: &str = "CHATDROP_TELEGRAM_BOT_TOKEN";
    pub const TELEGRAM_API_BASE: &str = "CHATDROP_TELEGRAM_API_BASE";
    pub const MESSENGER_APP_SECRET: &str = "CHATDROP_MESSENGER_APP_SECRET";
    pub const MESSENGER_VERIFY_TOKEN: &str = "CHATDROP_MESSENGER_VERIFY_TOKEN";
    pub const MESSENGER_PAGE_TOKEN: &str = "CHATDROP_MESSENGER_PAGE_TOKEN";
    pub const MESSENGER_GRAPH_BASE: &str = "CHATDROP_MESSENGER_GRAPH_BASE";
    pub const MESSENGER_API_VERSION: &str = "CHATDROP_MESSENGER_API_VERSION";
    pub const MESSENGER_INBOX_APP_ID: &str = "CHATDROP_MESSENGER_INBOX_APP_ID";
    pub const MESSENGER_APP_ID: &str = "CHATDROP_MESSENGER_APP_ID";
    pub const LINE_CHANNEL_SECRET: &str = "CHATDROP_LINE_CHANNEL_SECRET";
    pub const LINE_ACCESS_TOKEN: &str = "CHATDROP_LINE_ACCESS_TOKEN";
    pub const LINE_API_BASE: &str = "CHATDROP_LINE_API_BASE";
    pub const WECHAT_TOKEN: &str = "CHATDROP_WECHAT_TOKEN";
    pub const WECHAT_APP_SECRET: &str = "CHATDROP_WECHAT_APP_SECRET";
    pub const WECHAT_API_BASE: &str = "CHATDROP_WECHAT_API_BASE";
    pub const WECHAT_APP_ID: &str = "CHATDROP_WECHAT_APP_ID";
    pub const TWILIO_AUTH_TOKEN: &str = "CHATDROP_TWILIO_AUTH_TOKEN";
    pub const TWILIO_API_BASE: &str = "CHATDROP_TWILIO_API_BASE";
    pub const TWILIO_ACCOUNT_SID: &str = "CHATDROP_TWILIO_ACCOUNT_SID";
    pub const SMS_FROM: &str = "CHATDROP_SMS_FROM";
    pub const VIBER_AUTH_TOKEN: &str = "CHATDROP_VIBER_AUTH_TOKEN";
    pub const VIBER_API_BASE: &str = "CHATDROP_VIBER_API_BASE";
    pub const VIBER_SENDER_NAME: &str = "CHATDROP_VIBER_SENDER_NAME";
    pub const KAKAO_SKILL_SECRET: &str = "CHATDROP_KAKAO_SKILL_SECRET";
    pub const KAKAO_BOT_ID: &str = "CHATDROP_KAKAO_BOT_ID";
    pub const KAKAO_ADMIN_KEY: &str = "CHATDROP_KAKAO_ADMIN_KEY";
    pub const SENS_ACCESS_KEY: &str = "CHATDROP_SENS_ACCESS_KEY";
    pub const SENS_SECRET_KEY: &str = "CHATDROP_SENS_SECRET_KEY";
    pub const SENS_SERVICE_ID: &str = "CHATDROP_SENS_SERVICE_ID";
    pub const KAKAO_PLUS_FRIEND_ID: &str = "CHATDROP_KAKAO_PLUS_FRIEND_ID";
    pub const SENS_API_BASE: &str = "CHATDROP_SENS_API_BASE";
    pub const KAKAO_ALIMTALK_TEMPLATES: &str = "CHATDROP_KAKAO_ALIMTALK_TEMPLATES";
    pub const KAKAO_OPERATOR: &str = "CHATDROP_KAKAO_OPERATOR";
}

const fn rate(per_second: u32, per_chat_per_second: Option<u32>) -> SendRate {
    SendRate {
        per_second,
        per_chat_per_second,
    }
}

const fn window(hours: u64, updates_after_window: bool) -> SendingRules {
    SendingRules {
        window: Some(Duration::from_secs(hours * 3600)),
        updates_after_window,
        human_agent_window: None,
        unanswered_cap: None,
    }
}

const fn url(env: &'static str, default: &'static str) -> Setting {
    Setting {
        env,
        value: SettingValue::Default(default),
        url: true,
    }
}

const fn required(env: &'static str) -> Setting {
    Setting {
        env,
        value: SettingValue::Required,
        url: false,
    }
}

const fn secret(name: &'static str, side: Side) -> SecretSpec {
    SecretSpec { name, side }
}

// The paces below are each platform's documented throughput for one sender, or a conservative
// pace where none is published:
// - WhatsApp: 80 messages/s on the default tier, up to 1,000/s on the top one (configure it).
//   <https://developers.facebook.com/docs/whatsapp/cloud-api/overview#throughput>
// - Telegram: about 30 messages/s overall and 1/s per chat.
//   <https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this>
// - Messenger: no number published; 250/s is conservative.
// - LINE: "Other API endpoints: 2,000 requests per second".
//   <https://developers.line.biz/en/reference/messaging-api/#rate-limits>
// - WeChat: no per-second figure published; 100/s is conservative.
// - SMS: a US long code sends one segment per second (10DLC, toll-free and short codes more:
//   configure). <https://help.twilio.com/articles/115002943027>
//
// The windows: WhatsApp's and Messenger's customer-service windows are 24 hours; WeChat's
// customer-service messages may be sent within 48 hours of the customer's last interaction.
// <https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows>
// <https://developers.facebook.com/docs/messenger-platform/policy/policy-overview#24hours_window>
// <https://developers.weixin.qq.com/doc/offiaccount/en/Message_Management/Service_Center_messages.html>

pub const WHATSAPP: ChannelSpec = ChannelSpec {
    channel: Channel::Whatsapp,
    display_name: "WhatsApp",
    secrets: &[
        secret(vars::WHATSAPP_APP_SECRET, Side::Inbound),
        secret(vars::WHATSAPP_VERIFY_TOKEN, Side::Inbound),
        secret(vars::WHATSAPP_ACCESS_TOKEN, Side::Outbound),
    ],
    settings: &[
        url(vars::WHATSAPP_GRAPH_BASE, "https://graph.facebook.com"),
        Setting {
            env: vars::WHATSAPP_API_VERSION,
            value: SettingValue::Default("v21.0"),
            url: false,
        },
        required(vars::WHATSAPP_PHONE_NUMBER_ID),
        // The approved template for order updates outside the window; without it such updates
        // are held for ops.
        Setting {
            env: vars::WHATSAPP_ORDER_TEMPLATE,
            value: SettingValue::Optional,
            url: false,
        },
        Setting {
            env: vars::WHATSAPP_ORDER_TEMPLATE_LANG,
            value: SettingValue::Default("en_US"),
            url: false,
        },
    ],
    default_rate: rate(80, None),
    customer_id_is_phone: true,
    shares_own_contact: false,
    sending: window(24, true),
};

pub const TELEGRAM: ChannelSpec = ChannelSpec {
    channel: Channel::Telegram,
    display_name: "Telegram",
    secrets: &[
        secret(vars::TELEGRAM_SECRET_TOKEN, Side::Inbound),
        secret(vars::TELEGRAM_BOT_TOKEN, Side::Outbound),
    ],
    settings: &[url(vars::TELEGRAM_API_BASE, "https://api.telegram.org")],
    default_rate: rate(30, Some(1)),
    customer_id_is_phone: false,
    // A keyboard button with `request_contact` sends the user's own contact, which the adapter
    // accepts only when `contact.user_id` is the sender's:
    // <https://core.telegram.org/bots/api#keyboardbutton>.
    shares_own_contact: true,
    sending: SendingRules::NO_WINDOW,
};

pub const MESSENGER: ChannelSpec = ChannelSpec {
    channel: Channel::Messenger,
    display_name: "Messenger",
    secrets: &[
        secret(vars::MESSENGER_APP_SECRET, Side::Inbound),
        secret(vars::MESSENGER_VERIFY_TOKEN, Side::Inbound),
        secret(vars::MESSENGER_PAGE_TOKEN, Side::Outbound),
    ],
    settings: &[
        url(vars::MESSENGER_GRAPH_BASE, "https://graph.facebook.com"),
        Setting {
            env: vars::MESSENGER_API_VERSION,
            value: SettingValue::Default("v21.0"),
            url: false,
        },
        // The app a handed-over thread is passed to by the handover protocol (the Page
        // Inbox is 263902037430900); unset: people answer from the console only.
        Setting {
            env: vars::MESSENGER_INBOX_APP_ID,
            value: SettingValue::Optional,
            url: false,
        },
        // This deployment's own app: the handover protocol's webhook events name apps, and
        // only a move to or from this one is followed (the inbox taking the thread, or giving
        // it back); unset: those events are ignored.
        Setting {
            env: vars::MESSENGER_APP_ID,
            value: SettingValue::Optional,
            url: false,
        },
    ],
    default_rate: rate(250, None),
    customer_id_is_phone: false,
    shares_own_contact: false,
    // After the window, an order update goes out with the POST_PURCHASE_UPDATE tag, and a
    // person's reply with the HUMAN_AGENT tag for 7 days after the customer's last message
    // (human-typed only; the Page's app needs the Human Agent permission from App Review):
    // <https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags>.
    sending: SendingRules {
        human_agent_window: Some(Duration::from_secs(7 * 24 * 3600)),
        ..window(24, true)
    },
};

pub const LINE: ChannelSpec = ChannelSpec {
    channel: Channel::Line,
    display_name: "LINE",
    secrets: &[
        secret(vars::LINE_CHANNEL_SECRET, Side::Inbound),
        secret(vars::LINE_ACCESS_TOKEN, Side::Outbound),
    ],
    settings: &[url(vars::LINE_API_BASE, "https://api.line.me")],
    default_rate: rate(2000, None),
    customer_id_is_phone: false,
    shares_own_contact: false,
    sending: SendingRules::NO_WINDOW,
};

pub const WECHAT: ChannelSpec = ChannelSpec {
    channel: Channel::Wechat,
    display_name: "WeChat",
    secrets: &[
        secret(vars::WECHAT_TOKEN, Side::Inbound),
        secret(vars::WECHAT_APP_SECRET, Side::Outbound),
    ],
    settings: &[
        url(vars::WECHAT_API_BASE, "https://api.weixin.qq.com"),
        // The Official Account's AppID (public; its AppSecret is a secret).
        required(vars::WECHAT_APP_ID),
    ],
    default_rate: rate(100, None),
    customer_id_is_phone: false,
    shares_own_contact: false,
    // Nothing may follow the window but an approved template message, which is not built:
    // such updates are held for ops.
    sending: window(48, false),
};

pub const SMS: ChannelSpec = ChannelSpec {
    channel: Channel::Sms,
    display_name: "SMS (Twilio)",
    secrets: &[secret(vars::TWILIO_AUTH_TOKEN, Side::Both)],
    settings: &[
        url(vars::TWILIO_API_BASE, "https://api.twilio.com"),
        // The Twilio Account SID (public; its auth token is a secret).
        required(vars::TWILIO_ACCOUNT_SID),
        // The sending number in E.164, or a Messaging Service SID (`MG…`).
        required(vars::SMS_FROM),
    ],
    default_rate: rate(1, None),
    customer_id_is_phone: true,
    shares_own_contact: false,
    sending: SendingRules::NO_WINDOW,
};

// Viber: `send_message` allows at most 100 messages to one user per hour without a reply
// from that user, and refuses more with status 12
// (<https://developers.viber.com/docs/api/rest-bot-api/#send-message>): `unanswered_cap`, which
// notify counts before each call and defers past (`crate::send_cap`; the adapter's `classify`
// still reads a 12 as a rate limit, the backstop). Viber publishes no per-second figure for
// one-to-one sends; `broadcast_message` takes 500 requests per 10 s, so 50/s is a
// pace Viber's own numbers bear. There is no window: a subscriber may be written to at any
// time; messages outside a 24-hour session are billed, not refused.
// <https://developers.viber.com/docs/api/rest-bot-api/#send-message>
// <https://help.viber.com/hc/en-us/articles/15247629658525-Bot-commercial-model>
pub const VIBER: ChannelSpec = ChannelSpec {
    channel: Channel::Viber,
    display_name: "Viber",
    // One token does both: Viber signs callbacks with the auth token the API takes.
    secrets: &[secret(vars::VIBER_AUTH_TOKEN, Side::Both)],
    settings: &[
        url(vars::VIBER_API_BASE, "https://chatapi.viber.com"),
        // `sender.name` is required on every message, at most 28 characters.
        Setting {
            env: vars::VIBER_SENDER_NAME,
            value: SettingValue::Default("chatdrop"),
            url: false,
        },
    ],
    default_rate: rate(50, None),
    customer_id_is_phone: false,
    shares_own_contact: false,
    sending: SendingRules {
        unanswered_cap: Some(UnansweredCap {
            messages: 100,
            per: Duration::from_secs(3600),
        }),
        ..SendingRules::NO_WINDOW
    },
};

// KakaoTalk (Kakao i Open Builder). Kakao calls the skill and waits at most 5 s for the answer
// in the HTTP response itself (<https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide>,
// "skill timeout: 5sec"); there is no API to write to the chat afterwards except the paid
// Event API and AlimTalk (approved templates through a dealer). So the conversation never goes
// through notify: the `kakao` function answers in the response, and whatever reaches notify
// for a Kakao conversation (payment confirmed, lapsed) is outside a zero-length window. An
// order notice goes out as AlimTalk instead (`crate::alimtalk`), through NAVER Cloud SENS
// (<https://api.ncloud-docs.com/docs/en/sens-alimtalk-send>), as an approved template to the
// customer's verified phone; anything else is held for ops.
// Skill requests carry no signature: the secret is the static header set in the skill's
// "헤더값 입력" field, and the bot id the one bot allowed to call. The one secret serves both
// sides, since the answer travels in the same authenticated exchange (as Twilio's auth token
// does for SMS); `notify` loads it and never uses it.
pub const KAKAO: ChannelSpec = ChannelSpec {
    channel: Channel::Kakao,
    display_name: "KakaoTalk",
    // The admin key of the Kakao Developers app linked to the channel authenticates its
    // add/block callback, the customer's consent signal on KakaoTalk.
    // The SENS API key pair signs notify's AlimTalk calls; the SENS project's service id and
    // the Kakao Talk Channel's id (plusFriendId) name where they go.
    secrets: &[
        secret(vars::KAKAO_SKILL_SECRET, Side::Both),
        secret(vars::KAKAO_ADMIN_KEY, Side::Inbound),
        secret(vars::SENS_ACCESS_KEY, Side::Outbound),
        secret(vars::SENS_SECRET_KEY, Side::Outbound),
        secret(vars::SENS_SERVICE_ID, Side::Outbound),
        secret(vars::KAKAO_PLUS_FRIEND_ID, Side::Outbound),
    ],
    settings: &[
        // The Open Builder bot's id (public: every skill request carries it in `bot.id`).
        required(vars::KAKAO_BOT_ID),
        url(vars::SENS_API_BASE, "https://sens.apigw.ntruss.com"),
        // Which approved AlimTalk template each order notice goes out as (JSON, see
        // `crate::alimtalk::AlimtalkTemplates`); without it every notice is held for ops.
        Setting {
            env: vars::KAKAO_ALIMTALK_TEMPLATES,
            value: SettingValue::Optional,
            url: false,
        },
        // `on` where the channel's 1:1 chat (1:1 채팅) is open in Kakao's partner center: the
        // answer that hands a chat to a person then carries a button with Kakao's `operator`
        // action, which moves the chat to the channel's people there (the skill cannot carry
        // a person's reply). `off`: people answer from the console, which cannot reach Kakao.
        Setting {
            env: vars::KAKAO_OPERATOR,
            value: SettingValue::Default("off"),
            url: false,
        },
    ],
    // No pushed messages: the pace only bounds notify's (held) attempts.
    default_rate: rate(1, None),
    customer_id_is_phone: false,
    shares_own_contact: false,
    sending: window(0, false),
};

impl Channel {
    /// This platform's entry in the registry.
    pub const fn spec(self) -> &'static ChannelSpec {
        match self {
            Channel::Whatsapp => &WHATSAPP,
            Channel::Telegram => &TELEGRAM,
            Channel::Messenger => &MESSENGER,
            Channel::Line => &LINE,
            Channel::Wechat => &WECHAT,
            Channel::Sms => &SMS,
            Channel::Viber => &VIBER,
            Channel::Kakao => &KAKAO,
        }
    }
}

impl ChannelSpec {
    /// The secrets a function playing `side` loads for this channel.
    pub fn secrets_for(&self, side: Side) -> impl Iterator<Item = &'static str> + use<> {
        self.secrets
            .iter()
            .filter(move |s| s.side.serves(side))
            .map(|s| s.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_channel_has_its_own_spec_and_names_are_unique() {
        let mut secrets = HashSet::new();
        let mut settings = HashSet::new();
        for channel in Channel::ALL {
            let spec = channel.spec();
            assert_eq!(spec.channel, channel);
            let prefix = "CHATDROP_";
            for s in spec.secrets {
                assert!(s.name.starts_with(prefix), "{}", s.name);
                assert!(secrets.insert(s.name), "{} declared twice", s.name);
            }
            for s in spec.settings {
                assert!(s.env.starts_with(prefix), "{}", s.env);
                assert!(settings.insert(s.env), "{} declared twice", s.env);
                if s.url {
                    assert!(
                        matches!(s.value, SettingValue::Default(d) if d.starts_with("https://")),
                        "{}: a platform's API is reached over HTTPS by default",
                        s.env
                    );
                }
            }
            assert!(spec.default_rate.per_second > 0);
            // Both sides of every conversation need a credential.
            for side in [Side::Inbound, Side::Outbound] {
                assert!(spec.secrets_for(side).count() > 0, "{channel} {side:?}");
            }
        }
        assert!(secrets.is_disjoint(&settings));
    }

    #[test]
    fn the_phone_channels_are_the_ones_whose_ids_are_numbers() {
        let phones: Vec<Channel> = Channel::ALL
            .into_iter()
            .filter(|c| c.spec().customer_id_is_phone)
            .collect();
        assert_eq!(phones, [Channel::Whatsapp, Channel::Sms]);
    }

    /// Viber's `send_message`: "maximum of 100 messages per hour" to one user who has not
    /// replied (<https://developers.viber.com/docs/api/rest-bot-api/#send-message>); no other
    /// platform caps an unanswered customer this way.
    #[test]
    fn only_viber_caps_the_messages_to_a_customer_who_has_not_replied() {
        let capped: Vec<(Channel, UnansweredCap)> = Channel::ALL
            .into_iter()
            .filter_map(|c| c.spec().sending.unanswered_cap.map(|cap| (c, cap)))
            .collect();
        assert_eq!(
            capped,
            [(
                Channel::Viber,
                UnansweredCap {
                    messages: 100,
                    per: Duration::from_secs(3600),
                }
            )]
        );
    }
}
