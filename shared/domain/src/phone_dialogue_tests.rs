//! The phone dialogue in memory, end to end through both functions: a checkout of a drop that
//! takes one person per phone asks a LINE or Kakao chat for its number, the in-memory Verify
//! texts a code, the code typed resumes the checkout; a second chat proving the same phone
//! meets the same limit. Wrong codes, expiry, too many tries, the ways out, a Telegram contact
//! share, and that the code reaches no reply, session, hand-off or log line.

use crate::channel::{Channel, ConversationId};
use crate::checkout::{self, CheckoutSettings, PaymentPorts};
use crate::dialogue::{DialogueState, Identity, Resume, Session};
use crate::draw::DrawSpec;
use crate::drops::{Drop, DropSku, DropStatus};
use crate::i18n::Lang;
use crate::ids::{IdKey, TEST_KEY};
use crate::inbound::{InboundContent, InboundMessage};
use crate::phone_verify::MemoryVerifier;
use crate::process::{Services, process_with_verifier};
use crate::reply::{Reply, ReplyBundle};
use crate::testing::{Memory, maison_catalog};
use crate::testing_orders::{MemoryGateway, MemoryOrders};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_767_225_600;
const DROP: &str = "silk";
const SCARF: &str = "silk-scarf";
/// The code the in-memory Verify texts first.
const CODE: &str = "482913";

/// Ten scarves, one per person, verified phones only.
fn silk_drop() -> Drop {
    Drop {
        id: DROP.into(),
        name: "Silk drop".into(),
        starts_at: NOW - 3600,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: SCARF.into(),
            stock: 10,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: true,
        draw: None,
    }
}

struct World {
    mem: Memory,
    orders: MemoryOrders,
    gateway: MemoryGateway,
    settings: CheckoutSettings,
    verifier: MemoryVerifier,
}

impl World {
    fn new(drops: Vec<Drop>) -> World {
        let verifier = MemoryVerifier::default();
        // Popped from the end: CODE first.
        *verifier.codes.lock().unwrap() = vec!["777111".into(), "550055".into(), CODE.into()];
        verifier.now.store(NOW, Ordering::Relaxed);
        World {
            mem: Memory::with_catalog(maison_catalog()),
            orders: MemoryOrders::with_drops(drops),
            gateway: MemoryGateway::default(),
            settings: CheckoutSettings {
                hold_minutes: 10,
                public_base_url: "https://shop.example".into(),
                success_url: "https://shop.example/thanks".into(),
                cancel_url: "https://shop.example/back".into(),
                default_lang: Lang::EN,
                ids: IdKey::new(TEST_KEY.as_bytes()),
            },
            verifier,
        }
    }

    fn ports(&self) -> PaymentPorts<'_, Memory, Memory, MemoryOrders, MemoryGateway, Memory> {
        PaymentPorts {
            sessions: &self.mem,
            catalogs: &self.mem,
            orders: &self.orders,
            gateway: &self.gateway,
            dispatch: &self.mem,
        }
    }

    /// Runs `m` as the deployed functions do: routed by payload, hand-offs followed, the
    /// payment function's messages through `checkout::handle`; the bundles sent meanwhile.
    async fn run(&self, m: InboundMessage) -> Vec<ReplyBundle> {
        let before = self.mem.replies.lock().unwrap().len();
        let first = match &m.content {
            InboundContent::Action { payload, .. } => crate::action::route_payload(payload),
            _ => crate::action::Handler::Catalog,
        };
        let mut next = Some((first, m));
        while let Some((handler, m)) = next.take() {
            if handler == crate::action::Handler::Payment {
                checkout::handle(&m, &self.ports(), &self.settings, NOW)
                    .await
                    .unwrap();
            } else {
                let services = Services {
                    profiles: &crate::ports::NoProfiles,
                    verifier: &self.verifier,
                };
                process_with_verifier(
                    handler,
                    &m,
                    &self.mem,
                    &self.mem,
                    &self.mem,
                    services,
                    Lang::EN,
                )
                .await
                .unwrap();
            }
            next = self.mem.handoffs.lock().unwrap().pop();
        }
        self.mem.replies.lock().unwrap()[before..].to_vec()
    }

    /// The text of everything `m` got back.
    async fn say(&self, m: InboundMessage) -> String {
        bodies(&self.run(m).await)
    }

    fn add_scarf(&self, c: &ConversationId) {
        let mut sessions = self.mem.sessions.lock().unwrap();
        let s = sessions.entry(c.key()).or_default();
        s.cart.add(SCARF, Vec::new(), 0).unwrap();
    }

    fn session(&self, c: &ConversationId) -> Session {
        self.mem
            .sessions
            .lock()
            .unwrap()
            .get(&c.key())
            .cloned()
            .unwrap_or_default()
    }

    fn texted(&self) -> Vec<String> {
        self.verifier
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(phone, _)| phone.clone())
            .collect()
    }

    fn phone_record(&self, phone: &str) -> String {
        format!("phone:k1:{}", self.settings.ids.phone(phone))
    }
}

fn bodies(bundles: &[ReplyBundle]) -> String {
    bundles
        .iter()
        .flat_map(|b| &b.replies)
        .map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } | Reply::Link { body, .. } => {
                body.clone()
            }
            Reply::Image { url, .. } => url.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn chat(channel: Channel, id: &str) -> ConversationId {
    ConversationId::new(channel, id)
}

fn from(c: &ConversationId, event: &str, content: InboundContent) -> InboundMessage {
    InboundMessage {
        conversation: c.clone(),
        event_id: event.into(),
        sent_at: NOW,
        locale: Some("en".into()),
        ack: None,
        reply_token: None,
        content,
    }
}

fn typed(c: &ConversationId, event: &str, body: &str) -> InboundMessage {
    from(c, event, InboundContent::Text { body: body.into() })
}

fn tapped(c: &ConversationId, event: &str, payload: &str) -> InboundMessage {
    from(
        c,
        event,
        InboundContent::Action {
            payload: payload.into(),
            title: None,
        },
    )
}

/// LINE is the Thai market's channel: "081 234 5678" is a Thai mobile number.
#[tokio::test]
async fn a_line_chat_proves_its_phone_and_the_checkout_resumes() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);

    let asked = w.say(tapped(&line, "e1", "p:c")).await;
    assert!(asked.contains("Silk drop is one per person"), "{asked}");
    assert!(
        matches!(w.session(&line).state, DialogueState::VerifyingPhone(ref v) if v.phone.is_none() && v.resume == Resume::Checkout)
    );
    assert!(
        w.orders.state.lock().unwrap().orders.is_empty(),
        "nothing reserved yet"
    );

    // Not a number of any plan: asked again, nothing texted.
    let again = w.say(typed(&line, "e2", "0812")).await;
    assert!(
        again.contains("doesn't look like a mobile number"),
        "{again}"
    );
    assert!(w.texted().is_empty());

    let sent = w.say(typed(&line, "e3", "081 234 5678")).await;
    assert_eq!(w.texted(), ["+66812345678"]);
    assert!(sent.contains("texted a code to +66 81 234 5678"), "{sent}");
    assert!(sent.contains("10 minutes"), "{sent}");

    let wrong = w.say(typed(&line, "e4", "000000")).await;
    assert!(wrong.contains("isn't right. 4 more tries."), "{wrong}");

    // Not a code either: asked for the code again.
    let nudge = w.say(typed(&line, "e5", "what code?")).await;
    assert!(
        nudge.contains("type the code we texted to +66 81 234 5678"),
        "{nudge}"
    );

    let bundles = w.run(typed(&line, "e6", "482 913")).await;
    let paid = bodies(&bundles);
    assert!(paid.contains("Reserved for you"), "{paid}");
    let session = w.session(&line);
    assert_eq!(session.state, DialogueState::Browsing);
    assert_eq!(session.identity.verified_phone(), Some("+66812345678"));
    assert!(
        session.identity.is_linked(),
        "the checkout merged the chat's record"
    );
    let phone = w.phone_record("+66812345678");
    assert_eq!(w.orders.units(&phone, DROP, None), 1);
}

/// One person, one limit: a second chat (Kakao, the Korean market; then LINE) proving the
/// same phone meets the limit the first one used.
#[tokio::test]
async fn a_second_chat_of_the_same_phone_counts_against_the_same_limit() {
    let w = World::new(vec![silk_drop()]);
    let kakao = chat(Channel::Kakao, "bot-user-1");
    w.add_scarf(&kakao);
    w.run(tapped(&kakao, "k1", "p:c")).await;
    let sent = w.say(typed(&kakao, "k2", "010-1234-5678")).await;
    assert_eq!(w.texted(), ["+821012345678"]);
    assert!(sent.contains("+82 10-1234-5678"), "{sent}");
    w.run(typed(&kakao, "k3", CODE)).await;
    let phone = w.phone_record("+821012345678");
    assert_eq!(w.orders.units(&phone, DROP, None), 1);

    // The same person on LINE (Thai market), typing the number with its country code.
    let line = chat(Channel::Line, "U2");
    w.add_scarf(&line);
    w.run(tapped(&line, "l1", "p:c")).await;
    w.run(typed(&line, "l2", "+82 10 1234 5678")).await;
    let code = w.verifier.sent.lock().unwrap().last().unwrap().1.clone();
    let refused = w.say(typed(&line, "l3", code.expose())).await;
    assert!(refused.contains("allows 1 per customer"), "{refused}");
    assert_eq!(w.orders.units(&phone, DROP, None), 1);
    assert_eq!(
        w.session(&line).identity.verified_phone(),
        Some("+821012345678")
    );
}

#[tokio::test]
async fn an_expired_code_is_replaced_by_a_new_one() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);
    w.run(tapped(&line, "e1", "p:c")).await;
    w.run(typed(&line, "e2", "0812345678")).await;
    w.verifier.now.store(NOW + 601, Ordering::Relaxed);
    let expired = w.say(typed(&line, "e3", CODE)).await;
    assert!(expired.contains("has expired"), "{expired}");
    // The "New code" button, typed as its number: a new verification, a new code.
    let offered = w.session(&line).offered.payloads().to_vec();
    let n = offered.iter().position(|p| p == "c:v:new").unwrap() + 1;
    w.run(typed(&line, "e4", &n.to_string())).await;
    assert_eq!(w.texted(), ["+66812345678", "+66812345678"]);
    let reserved = w.say(typed(&line, "e5", "550055")).await;
    assert!(reserved.contains("Reserved for you"), "{reserved}");
}

#[tokio::test]
async fn five_wrong_codes_and_the_customer_is_told_when_to_ask_again() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);
    w.run(tapped(&line, "e1", "p:c")).await;
    w.run(typed(&line, "e2", "0812345678")).await;
    let mut last = String::new();
    for (i, left) in (1..=5).zip([4, 3, 2, 1, 0]) {
        last = w.say(typed(&line, &format!("w{i}"), "111111")).await;
        match left {
            0 => {}
            1 => assert!(last.contains("One more try"), "{last}"),
            _ => assert!(last.contains(&format!("{left} more tries")), "{last}"),
        }
    }
    assert!(last.contains("Too many wrong codes"), "{last}");
    // The service refuses a sixth check, even of the right code; told the same.
    let sixth = w.say(typed(&line, "w6", CODE)).await;
    assert!(sixth.contains("Too many wrong codes"), "{sixth}");
    assert_eq!(w.session(&line).identity, Identity::ChatOnly);
    assert!(w.orders.state.lock().unwrap().orders.is_empty());
}

#[tokio::test]
async fn cancel_or_the_menu_leaves_the_dialogue() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);
    w.run(tapped(&line, "e1", "p:c")).await;
    w.run(typed(&line, "e2", "0812345678")).await;
    w.say(typed(&line, "e3", "cancel")).await;
    assert_eq!(w.session(&line).state, DialogueState::Browsing);
    // The code typed now is a search like any text, checked against nothing.
    w.run(typed(&line, "e4", CODE)).await;
    assert_eq!(w.session(&line).identity, Identity::ChatOnly);

    w.run(tapped(&line, "e5", "p:c")).await;
    let menu = w.say(typed(&line, "e6", "menu")).await;
    assert_eq!(w.session(&line).state, DialogueState::Browsing);
    assert!(!menu.is_empty());
    // The cart is kept for when the customer comes back.
    assert_eq!(w.session(&line).cart.units(), 1);
}

/// "Another number" while a code is awaited, and a number typed instead of the code.
#[tokio::test]
async fn another_number_can_be_given() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);
    w.run(tapped(&line, "e1", "p:c")).await;
    w.run(typed(&line, "e2", "0812345678")).await;
    let asked = w.say(tapped(&line, "e3", "c:v:num")).await;
    assert!(asked.contains("Send your number"), "{asked}");
    w.run(typed(&line, "e4", "0898765432")).await;
    w.run(typed(&line, "e5", "+66 81 111 2222")).await;
    assert_eq!(w.texted(), ["+66812345678", "+66898765432", "+66811112222"]);
    w.run(typed(&line, "e6", "777111")).await;
    assert_eq!(
        w.session(&line).identity.verified_phone(),
        Some("+66811112222")
    );
}

/// Telegram before a contact share: sharing the contact while asked proves the phone at once.
/// The choices of every reply sent, by payload.
fn offered(bundles: &[ReplyBundle]) -> Vec<String> {
    bundles
        .iter()
        .flat_map(|b| &b.replies)
        .filter_map(|r| match r {
            Reply::Choices { choices, .. } => Some(choices.iter().map(|c| c.id.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn a_telegram_contact_share_proves_the_phone_without_a_code() {
    let w = World::new(vec![silk_drop()]);
    let telegram = chat(Channel::Telegram, "42");
    w.add_scarf(&telegram);
    // Asked, with Telegram's button that sends the customer's own number, in a message of its
    // own after the ask (the renderer draws it on the reply keyboard).
    let asked = w.run(tapped(&telegram, "t1", "p:c")).await;
    let share = crate::action::Action::VerifyShareContact.encode();
    assert_eq!(
        offered(&asked),
        vec![crate::action::Action::Menu.encode(), share],
        "{asked:?}"
    );
    assert!(
        bodies(&asked).contains("share this account's number"),
        "{}",
        bodies(&asked)
    );
    let shared = InboundContent::Contact {
        phone: "+14155550123".into(),
    };
    let reserved = w.say(from(&telegram, "t2", shared)).await;
    assert!(reserved.contains("Reserved for you"), "{reserved}");
    assert!(w.texted().is_empty());
    assert_eq!(
        w.session(&telegram).identity.verified_phone(),
        Some("+14155550123")
    );
}

/// A WhatsApp customer is their phone: never asked.
#[tokio::test]
async fn a_whatsapp_customer_is_never_asked() {
    let w = World::new(vec![silk_drop()]);
    let whatsapp = chat(Channel::Whatsapp, "5511987654321");
    w.add_scarf(&whatsapp);
    let reserved = w.say(tapped(&whatsapp, "w1", "p:c")).await;
    assert!(reserved.contains("Reserved for you"), "{reserved}");
    assert!(w.texted().is_empty());
}

/// Where the platform has no button that sends the customer's number, none is offered, and
/// the share's payload, typed by its number where it was shown, asks for the number again.
#[tokio::test]
async fn only_a_platform_that_shares_the_customers_number_offers_the_button() {
    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U4af4980629");
    w.add_scarf(&line);
    let asked = w.run(tapped(&line, "l1", "p:c")).await;
    assert_eq!(
        offered(&asked),
        vec![crate::action::Action::Menu.encode()],
        "{asked:?}"
    );

    let telegram = chat(Channel::Telegram, "43");
    w.add_scarf(&telegram);
    w.run(tapped(&telegram, "t1", "p:c")).await;
    // The share message's choice is the last offered: "1" picks it.
    let again = w.say(typed(&telegram, "t2", "1")).await;
    assert!(again.contains("one per person"), "{again}");
    assert!(w.texted().is_empty());
}

/// A draw that takes one entry per verified phone: the entry resumes after the code.
#[tokio::test]
async fn a_draw_entry_resumes_after_the_code() {
    let mut drop = silk_drop();
    drop.verified_phone = false;
    drop.draw = Some(DrawSpec {
        entries_close_at: NOW + 3600,
        pay_within_minutes: 60,
        verified_phone: true,
    });
    let w = World::new(vec![drop]);
    let line = chat(Channel::Line, "U1");
    w.run(tapped(&line, "d1", "p:de:silk")).await;
    assert!(matches!(
        w.session(&line).state,
        DialogueState::VerifyingPhone(ref v) if v.resume == Resume::DrawEntry { drop: DROP.into() }
    ));
    w.run(typed(&line, "d2", "0812345678")).await;
    let entered = w.say(typed(&line, "d3", CODE)).await;
    assert!(
        entered.contains("You're in the draw for Silk drop"),
        "{entered}"
    );
    let entries = crate::draw_flow::DrawStore::entries(&w.orders, DROP)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry, w.phone_record("+66812345678"));
}

/// A log sink for one test: every line the dialogue writes, as JSON.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The code goes to the service and nowhere else: not in a reply, the session, a hand-off,
/// a marker's stored effect or a log line.
#[tokio::test]
async fn the_code_is_never_logged_or_stored() {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let w = World::new(vec![silk_drop()]);
    let line = chat(Channel::Line, "U1");
    w.add_scarf(&line);
    w.run(tapped(&line, "e1", "p:c")).await;
    w.run(typed(&line, "e2", "0812345678")).await;
    w.run(typed(&line, "e3", "550055")).await; // wrong
    w.run(typed(&line, "e4", CODE)).await;
    assert_eq!(
        w.session(&line).identity.verified_phone(),
        Some("+66812345678")
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("phone verification: approved"), "{logged}");
    for secret in [CODE, "550055"] {
        assert!(!logged.contains(secret), "a code in the logs: {logged}");
        let replies = serde_json::to_string(&*w.mem.replies.lock().unwrap()).unwrap();
        assert!(!replies.contains(secret));
        let session = serde_json::to_string(&w.session(&line)).unwrap();
        assert!(!session.contains(secret));
        for marker in w.mem.markers.lock().unwrap().values() {
            let effect = serde_json::to_string(&marker.effect).unwrap();
            assert!(!effect.contains(secret), "{effect}");
        }
    }
    // The phone itself is not logged either (customers are pseudonyms in logs).
    assert!(!logged.contains("812345678"), "{logged}");
}
