use super::*;
use crate::campaign_rules::CampaignLimits;
use crate::consent::{ConsentChange, ConsentSource, Scope, Wish};

pub(crate) fn opted_in(at: i64) -> Standing {
    Standing::Latest(ConsentChange {
        wish: Wish::OptIn,
        scope: Scope::Announcements,
        at,
        source: ConsentSource::MenuEntry,
        event: format!("e{at}"),
    })
}

pub(crate) fn recipient(channel: Channel, customer: &str) -> Recipient {
    Recipient {
        conversation: ConversationId::new(channel, customer),
        person: None,
        consent: opted_in(1_000),
        lang: Lang::EN,
        zone: "UTC".into(),
        country: Some("JP".into()),
        tags: vec!["vip".into()],
        bought_before: true,
        on_waitlist: false,
        reminded: true,
        last_heard_at: Some(1_000),
        unreachable: false,
    }
}

pub(crate) fn campaign() -> Campaign {
    let text = |b: &str| ChannelMessage::Text { body: b.into() };
    Campaign {
        id: "spring-bag".into(),
        drop: "drop-1".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([
            (
                Channel::Whatsapp,
                ChannelMessage::WhatsappTemplate {
                    name: "drop_open".into(),
                    language: "en_US".into(),
                    params: vec!["Atelier Bag".into()],
                },
            ),
            (Channel::Telegram, text("The bag is here")),
            (Channel::Messenger, text("The bag is here")),
            (
                Channel::Line,
                ChannelMessage::LineMulticast {
                    body: "The bag is here".into(),
                },
            ),
            (
                Channel::Sms,
                ChannelMessage::Sms {
                    body: "The bag is here".into(),
                    sender: "+15005550006".into(),
                    registration: "CM0123".into(),
                },
            ),
        ]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: 0,
    }
}

#[test]
fn an_empty_segment_takes_everyone() {
    assert!(Segment::default().matches(&recipient(Channel::Line, "U1")));
}

#[test]
fn each_criterion_narrows() {
    let r = recipient(Channel::Line, "U1");
    let cases: Vec<(Segment, bool)> = vec![
        (
            Segment {
                tags: vec!["vip".into()],
                ..Default::default()
            },
            true,
        ),
        (
            Segment {
                tags: vec!["new".into()],
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                channels: vec![Channel::Sms],
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                languages: vec![Lang::JA],
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                countries: vec!["jp".into()],
                ..Default::default()
            },
            true,
        ),
        (
            Segment {
                countries: vec!["TH".into()],
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                opted_in_since: Some(1_000),
                ..Default::default()
            },
            true,
        ),
        (
            Segment {
                opted_in_since: Some(1_001),
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                bought_before: Some(false),
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                on_waitlist: true,
                ..Default::default()
            },
            false,
        ),
        (
            Segment {
                reminded: true,
                ..Default::default()
            },
            true,
        ),
    ];
    for (segment, expected) in cases {
        assert_eq!(segment.matches(&r), expected, "{segment:?}");
    }
}

#[test]
fn a_never_asked_customer_has_no_opt_in_time() {
    let mut r = recipient(Channel::Line, "U1");
    r.consent = Standing::NeverAsked;
    let since = Segment {
        opted_in_since: Some(0),
        ..Default::default()
    };
    assert!(!since.matches(&r));
}

#[test]
fn a_valid_campaign_passes() {
    assert_eq!(campaign().validate(), Ok(()));
}

#[test]
fn whatsapp_takes_only_a_template() {
    let mut c = campaign();
    c.messages.insert(
        Channel::Whatsapp,
        ChannelMessage::Text { body: "hi".into() },
    );
    assert!(matches!(
        c.validate(),
        Err(CampaignError::WrongForm {
            channel: Channel::Whatsapp,
            ..
        })
    ));
}

#[test]
fn sms_needs_its_registration() {
    let mut c = campaign();
    c.messages.insert(
        Channel::Sms,
        ChannelMessage::Sms {
            body: "hi".into(),
            sender: "+15005550006".into(),
            registration: String::new(),
        },
    );
    assert!(matches!(
        c.validate(),
        Err(CampaignError::WrongForm {
            channel: Channel::Sms,
            ..
        })
    ));
}

#[test]
fn line_and_wechat_take_their_broadcast_forms_only() {
    let mut c = campaign();
    c.messages
        .insert(Channel::Line, ChannelMessage::Text { body: "hi".into() });
    assert!(c.validate().is_err());
    let mut c = campaign();
    c.messages.insert(
        Channel::Wechat,
        ChannelMessage::WechatMassSend { body: "hi".into() },
    );
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn kakao_cannot_be_announced_to() {
    let mut c = campaign();
    c.messages
        .insert(Channel::Kakao, ChannelMessage::Text { body: "hi".into() });
    assert!(matches!(
        c.validate(),
        Err(CampaignError::WrongForm {
            channel: Channel::Kakao,
            ..
        })
    ));
}

#[test]
fn ids_and_bodies_are_checked() {
    let mut c = campaign();
    c.id = "Spring Bag".into();
    assert!(matches!(c.validate(), Err(CampaignError::BadId(_))));
    let mut c = campaign();
    c.messages.insert(
        Channel::Telegram,
        ChannelMessage::Text { body: "  ".into() },
    );
    assert_eq!(
        c.validate(),
        Err(CampaignError::Empty {
            channel: Channel::Telegram
        })
    );
    let mut c = campaign();
    c.messages.clear();
    assert_eq!(c.validate(), Err(CampaignError::NoMessage));
}

#[test]
fn a_campaign_round_trips_as_json() {
    let c = campaign();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<Campaign>(&json).unwrap(), c);
}
