use super::memory::MemoryLedger;
use super::*;
use crate::channel::{Channel, ConversationId};
use crate::dialogue::Session;
use crate::inbound::{DeliveryStatus, InboundContent, InboundMessage};

fn message(
    channel: Channel,
    customer: &str,
    event: &str,
    content: InboundContent,
) -> InboundMessage {
    InboundMessage {
        conversation: ConversationId::new(channel, customer),
        event_id: event.into(),
        sent_at: 1_767_225_600,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    }
}

fn typed(body: &str) -> InboundMessage {
    message(
        Channel::Whatsapp,
        "5511987654321",
        "wamid.1",
        InboundContent::Text { body: body.into() },
    )
}

fn change(wish: Wish, at: i64, event: &str) -> ConsentChange {
    ConsentChange {
        wish,
        scope: Scope::Announcements,
        at,
        source: ConsentSource::Keyword {
            word: "stop".into(),
        },
        event: event.into(),
    }
}

/// STOP and its equivalents in every shipped language opt out of announcements only.
#[test]
fn stop_words_in_every_language_opt_out_of_announcements() {
    let words = [
        "STOP",
        "Unsubscribe",
        "parar",
        "cancelar suscripción",
        "退订",
        "停止",
        "配信停止",
        "수신거부",
        "ยกเลิกครับ",
        "berhenti",
        "取消訂閱",
    ];
    for word in words {
        let c = signal(&typed(word)).unwrap_or_else(|| panic!("{word}"));
        assert_eq!(
            (c.wish, c.scope),
            (Wish::OptOut, Scope::Announcements),
            "{word}"
        );
        assert!(matches!(c.source, ConsentSource::Keyword { .. }), "{word}");
        assert_eq!(c.event, "whatsapp#wamid.1");
    }
    for word in [
        "START",
        "alta",
        "voltar",
        "订阅",
        "訂閱",
        "配信再開",
        "수신동의",
        "รับข่าวสาร",
        "langganan",
    ] {
        let c = signal(&typed(word)).unwrap_or_else(|| panic!("{word}"));
        assert_eq!(c.wish, Wish::OptIn, "{word}");
    }
    // A sentence that mentions stopping is a search, not a wish.
    assert_eq!(signal(&typed("stop bag black")), None);
    assert_eq!(signal(&typed("hello")), None);
}

#[test]
fn the_menu_entry_and_platform_signals_are_changes_with_their_source() {
    let tap = message(
        Channel::Telegram,
        "7001234567",
        "42",
        InboundContent::Action {
            payload: Action::StopAnnouncements.encode(),
            title: None,
        },
    );
    let c = signal(&tap).unwrap();
    assert_eq!((c.wish, c.source), (Wish::OptOut, ConsentSource::MenuEntry));

    let unfollow = message(Channel::Line, "U4af4980629", "ev1", InboundContent::OptOut);
    let c = signal(&unfollow).unwrap();
    assert_eq!(c.scope, Scope::Channel);
    assert_eq!(
        c.source,
        ConsentSource::Platform {
            signal: "line_opt_out".into()
        }
    );

    let status = |channel, code| {
        message(
            channel,
            "5511987654321",
            "s1",
            InboundContent::Status {
                message_id: "m1".into(),
                status: DeliveryStatus::Failed,
                error_code: Some(code),
            },
        )
    };
    let marketing = signal(&status(Channel::Whatsapp, 131050)).unwrap();
    assert_eq!(
        (marketing.wish, marketing.scope),
        (Wish::OptOut, Scope::Announcements)
    );
    let carrier = signal(&status(Channel::Sms, 21610)).unwrap();
    assert_eq!(
        (carrier.wish, carrier.scope),
        (Wish::OptOut, Scope::Channel)
    );
    let stopped = message(
        Channel::Messenger,
        "6543210987654321",
        "optin:1",
        InboundContent::Marketing { opted_in: false },
    );
    let c = signal(&stopped).unwrap();
    assert_eq!((c.wish, c.scope), (Wish::OptOut, Scope::Announcements));
    assert_eq!(
        c.source,
        ConsentSource::Platform {
            signal: "messenger_marketing_stopped".into()
        }
    );
    // Any other failure says nothing about consent.
    assert_eq!(signal(&status(Channel::Whatsapp, 131047)), None);
}

#[tokio::test]
async fn history_is_append_only_and_once_per_event() {
    let ledger = MemoryLedger::default();
    let subject = Subject::Conversation(ConversationId::new(Channel::Whatsapp, "5511987654321"));
    let out = change(Wish::OptOut, 100, "e1");
    ledger.record(&subject, &out).await.unwrap();
    ledger.record(&subject, &out).await.unwrap();
    ledger
        .record(&subject, &change(Wish::OptIn, 200, "e2"))
        .await
        .unwrap();
    let history = ledger.history(&subject).await.unwrap();
    assert_eq!(
        history.iter().map(|c| (c.wish, c.at)).collect::<Vec<_>>(),
        [(Wish::OptOut, 100), (Wish::OptIn, 200)]
    );
}

/// Platforms stamp whole seconds: a "start" typed in the second of the "stop" wins, as it
/// was processed after it.
#[tokio::test]
async fn in_the_same_second_the_change_recorded_last_stands() {
    let ledger = MemoryLedger::default();
    let conversation = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let subject = Subject::Conversation(conversation.clone());
    ledger
        .record(&subject, &change(Wish::OptOut, 100, "e1"))
        .await
        .unwrap();
    ledger
        .record(&subject, &change(Wish::OptIn, 100, "e2"))
        .await
        .unwrap();
    assert!(
        ledger
            .standing(&conversation, None)
            .await
            .unwrap()
            .may_announce()
    );
}

#[tokio::test]
async fn a_late_event_never_undoes_a_newer_one() {
    let ledger = MemoryLedger::default();
    let conversation = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let subject = Subject::Conversation(conversation.clone());
    ledger
        .record(&subject, &change(Wish::OptOut, 200, "e2"))
        .await
        .unwrap();
    ledger
        .record(&subject, &change(Wish::OptIn, 100, "e1"))
        .await
        .unwrap();
    let standing = ledger.standing(&conversation, None).await.unwrap();
    assert!(standing.is_opted_out());
    assert_eq!(ledger.history(&subject).await.unwrap().len(), 2);
}

#[tokio::test]
async fn announcements_are_opt_in_only() {
    let ledger = MemoryLedger::default();
    let conversation = ConversationId::new(Channel::Telegram, "7001234567");
    let session = Session::default();
    assert!(
        !may_announce(&ledger, &conversation, &session)
            .await
            .unwrap()
    );
    record(
        &ledger,
        &conversation,
        None,
        &change(Wish::OptIn, 100, "e1"),
    )
    .await
    .unwrap();
    assert!(
        may_announce(&ledger, &conversation, &session)
            .await
            .unwrap()
    );
}

/// A stop on WhatsApp reaches the same person's LINE chat, linked by a verified phone.
#[tokio::test]
async fn opting_out_on_one_channel_stops_every_linked_channel() {
    let ledger = MemoryLedger::default();
    let whatsapp = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let line = ConversationId::new(Channel::Line, "U4af4980629");
    let mut line_session = Session::default();
    line_session.verify_phone("+55 11 98765-4321".into());
    let person = PersonKey::of(&whatsapp, &Session::default()).unwrap();
    assert_eq!(PersonKey::of(&line, &line_session), Some(person.clone()));

    // LINE opted in first; WhatsApp says stop later.
    record(
        &ledger,
        &line,
        Some(&person),
        &change(Wish::OptIn, 100, "l1"),
    )
    .await
    .unwrap();
    assert!(may_announce(&ledger, &line, &line_session).await.unwrap());
    record(
        &ledger,
        &whatsapp,
        Some(&person),
        &change(Wish::OptOut, 200, "w1"),
    )
    .await
    .unwrap();
    assert!(!may_announce(&ledger, &line, &line_session).await.unwrap());
    // Without its phone the LINE chat is known only by its own standing: still opted in, as
    // nothing links it to the WhatsApp stop.
    assert!(
        may_announce(&ledger, &line, &Session::default())
            .await
            .unwrap()
    );
    // Start on WhatsApp opts the person back in everywhere.
    record(
        &ledger,
        &whatsapp,
        Some(&person),
        &change(Wish::OptIn, 300, "w2"),
    )
    .await
    .unwrap();
    assert!(may_announce(&ledger, &line, &line_session).await.unwrap());
}

#[test]
fn a_tie_goes_to_the_opt_out() {
    let a = Standing::Latest(change(Wish::OptIn, 100, "a"));
    let b = Standing::Latest(change(Wish::OptOut, 100, "b"));
    assert!(a.clone().later(b.clone()).is_opted_out());
    assert!(b.later(a).is_opted_out());
}

#[test]
fn forgetting_a_source_drops_only_what_was_typed() {
    let typed = ConsentSource::Keyword {
        word: "stop".into(),
    };
    assert_eq!(
        typed.without_personal_fields(),
        ConsentSource::Keyword {
            word: String::new()
        }
    );
    let import = ConsentSource::Import {
        source: "shop signup form 2026-11".into(),
    };
    assert_eq!(import.without_personal_fields(), import);
}

mod in_the_chat {
    use super::*;
    use crate::reply::Reply;
    use crate::testing::{Memory, conversation, tap, text};

    async fn say(mem: &Memory, msg: InboundMessage) -> String {
        mem.run(msg)
            .await
            .into_iter()
            .flat_map(|b| b.replies)
            .map(|r| match r {
                Reply::Text { body } | Reply::Choices { body, .. } | Reply::Link { body, .. } => {
                    body
                }
                Reply::Image { url, .. } => url,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn session(mem: &Memory) -> Session {
        mem.sessions
            .lock()
            .unwrap()
            .get(&conversation().key())
            .cloned()
            .unwrap_or_default()
    }

    /// A message `later` seconds after the others, as real messages come.
    fn later(mut msg: InboundMessage, later: i64) -> InboundMessage {
        msg.sent_at += later;
        msg
    }

    async fn standing(mem: &Memory) -> Standing {
        let person = PersonKey::of(&conversation(), &session(mem));
        assert!(person.is_some(), "a WhatsApp id is a phone");
        mem.standing(&conversation(), person.as_ref())
            .await
            .unwrap()
    }

    /// "stop" on WhatsApp is not a search: it is confirmed, recorded, and leaves order updates
    /// (the session's reachability) alone; "start" opts back in.
    #[tokio::test]
    async fn stop_and_start_typed_on_whatsapp() {
        let mem = Memory::with_sample();
        let r = say(&mem, text("m1", "stop")).await;
        assert!(r.contains("won't get drop announcements"), "{r}");
        assert!(!r.contains("found nothing"), "{r}");
        assert!(standing(&mem).await.is_opted_out());
        assert!(
            !session(&mem).reachability.is_opted_out(),
            "order updates go on"
        );

        let r = say(&mem, later(text("m2", "START"), 60)).await;
        assert!(r.contains("hear about our drops again"), "{r}");
        assert!(standing(&mem).await.may_announce());

        // In Japanese, the same, answered in Japanese.
        let r = say(&mem, later(text("m3", "配信停止"), 120)).await;
        assert!(r.contains("お知らせを停止しました"), "{r}");
        assert!(standing(&mem).await.is_opted_out());
        let history = mem
            .history(&Subject::Conversation(conversation()))
            .await
            .unwrap();
        assert_eq!(history.len(), 3);
    }

    #[tokio::test]
    async fn the_menu_has_a_stop_announcements_entry() {
        let mem = Memory::with_sample();
        let replies: Vec<Reply> = mem
            .run(text("m1", "menu"))
            .await
            .into_iter()
            .flat_map(|b| b.replies)
            .collect();
        let entry = Action::StopAnnouncements.encode();
        assert!(
            replies
                .iter()
                .any(|r| matches!(r, Reply::Choices { choices, .. }
                if choices.iter().any(|c| c.id == entry && c.title == "Stop announcements"))),
            "{replies:?}"
        );
        let r = say(&mem, tap("m2", &entry)).await;
        assert!(r.contains("won't get drop announcements"), "{r}");
        let history = mem
            .history(&Subject::Conversation(conversation()))
            .await
            .unwrap();
        assert_eq!(history[0].source, ConsentSource::MenuEntry);
    }

    #[tokio::test]
    async fn what_we_hold_and_forget_me() {
        let mem = Memory::with_sample();
        say(&mem, tap("m1", "k:a:sticker-pack")).await;
        say(&mem, text("m2", "stop")).await;
        let r = say(&mem, text("m3", "my data")).await;
        assert!(r.contains("1 item in your cart"), "{r}");
        assert!(r.contains("announcements off"), "{r}");

        assert!(r.contains("labels from our team none"), "{r}");

        let r = say(&mem, text("m4", "forget me")).await;
        assert!(r.contains("forgotten this chat"), "{r}");
        let s = session(&mem);
        assert!(s.cart.is_empty());
        assert_eq!(s.lang, None);
        assert!(s.version > 1, "the save stays conditional");
        assert!(
            s.last_heard_at.is_some(),
            "the messaging window stays, or the confirmation could not be sent"
        );
        // The conversation's entries go; the phone's history keeps an opt-out.
        assert!(standing(&mem).await.is_opted_out());
    }

    /// "Forget me" in the chat erases what the ledger and the retailer's tags hold, not only
    /// the session: an opted-in customer is announced nothing afterwards, and "my data" shows
    /// the tags before and nothing after.
    #[tokio::test]
    async fn forget_me_erases_the_opt_in_and_the_tags() {
        let mem = Memory::with_sample();
        mem.tags.lock().unwrap().insert(
            conversation().key(),
            ["vip".to_string(), "tokyo-popup-2026".to_string()].into(),
        );
        say(&mem, text("m1", "start")).await;
        assert!(standing(&mem).await.may_announce());
        let r = say(&mem, text("m2", "my data")).await;
        assert!(r.contains("announcements on"), "{r}");
        assert!(
            r.contains("labels from our team tokyo-popup-2026, vip"),
            "{r}"
        );

        let r = say(&mem, text("m3", "forget me")).await;
        assert!(r.contains("labels and announcement choices"), "{r}");
        // The phone's standing, which its other chats share, now says no.
        assert!(standing(&mem).await.is_opted_out());
        assert!(
            mem.history(&Subject::Conversation(conversation()))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(mem.tags.lock().unwrap().is_empty());

        let r = say(&mem, text("m4", "my data")).await;
        assert!(r.contains("announcements off"), "{r}");
        assert!(r.contains("labels from our team none"), "{r}");
    }

    /// An SMS `STOP` lives in the session's reachability, which "forget me" keeps: the chat is
    /// not written to again because the customer also asked to be forgotten.
    #[tokio::test]
    async fn forget_me_keeps_the_channel_opt_out() {
        let mem = Memory::with_sample();
        let mut stop = text("m1", "hi");
        stop.content = InboundContent::OptOut;
        say(&mem, stop).await;
        say(&mem, text("m2", "forget me")).await;
        assert_eq!(
            session(&mem).reachability,
            crate::dialogue::Reachability::OptedOut
        );
    }

    /// WhatsApp's "user stopped marketing messages" on a delivery report opts out of
    /// announcements without a word to the customer.
    #[tokio::test]
    async fn whatsapp_131050_is_recorded() {
        let mem = Memory::with_sample();
        let report = crate::testing::message(
            "s1",
            InboundContent::Status {
                message_id: "wamid.X".into(),
                status: DeliveryStatus::Failed,
                error_code: Some(131050),
            },
        );
        assert!(say(&mem, report).await.is_empty());
        let history = mem
            .history(&Subject::Conversation(conversation()))
            .await
            .unwrap();
        assert_eq!(
            history[0].source,
            ConsentSource::Platform {
                signal: "whatsapp_error_131050".into()
            }
        );
        assert!(standing(&mem).await.is_opted_out());
    }
}

/// The send refusals that mean "the customer stopped us", and near misses that do not.
#[test]
fn send_refusals_that_mean_a_stop() {
    let permanent = |code, detail: &str| SendFailure::Permanent {
        code: Some(code),
        detail: detail.into(),
    };
    let cases = [
        // Telegram's descriptions, as its Bot API sends them.
        (
            Channel::Telegram,
            permanent(403, "HTTP 403: Forbidden: bot was blocked by the user"),
            true,
        ),
        (
            Channel::Telegram,
            permanent(403, "Forbidden: user is deactivated"),
            true,
        ),
        (
            Channel::Telegram,
            permanent(
                403,
                "Forbidden: bot can't initiate conversation with a user",
            ),
            false,
        ),
        (
            Channel::Telegram,
            permanent(400, "Bad Request: chat not found"),
            false,
        ),
        (
            Channel::Viber,
            permanent(6, "status 6 receiverNotSubscribed"),
            true,
        ),
        (
            Channel::Viber,
            permanent(5, "status 5 receiverNotRegistered"),
            false,
        ),
        (
            Channel::Sms,
            permanent(21610, "HTTP 400: Attempt to send to unsubscribed recipient"),
            true,
        ),
        (
            Channel::Sms,
            permanent(21211, "HTTP 400: Invalid 'To' Phone Number"),
            false,
        ),
        // The same code on another channel means something else.
        (Channel::Line, permanent(403, "blocked by the user"), false),
    ];
    for (channel, failure, stop) in cases {
        assert_eq!(
            refused_by_customer(channel, &failure),
            stop,
            "{channel} {failure}"
        );
    }
    let transient = SendFailure::Transient {
        code: Some(403),
        detail: "Forbidden: bot was blocked by the user".into(),
    };
    assert!(!refused_by_customer(Channel::Telegram, &transient));
}
