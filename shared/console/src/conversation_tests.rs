//! The inbox's views from plain values: who wrote what, the consent, the cart, the row.

use super::*;
use chatdrop_domain::cart::CartLine;
use chatdrop_domain::channel::Channel;
use chatdrop_domain::consent::{ConsentChange, ConsentSource, Scope};
use chatdrop_domain::dialogue::Reachability;
use chatdrop_domain::handoff::HandoffReason;

fn catalog() -> Catalog {
    toml::from_str(include_str!("../../../cli/catalogs/sample.toml")).expect("sample parses")
}

fn message(direction: &str, origin: &str, text: &str) -> ThreadMessage {
    ThreadMessage {
        direction: direction.into(),
        platform_id: "wamid.1".into(),
        at: 100,
        summary: text.into(),
        status: if direction == "in" {
            "received"
        } else {
            "delivered"
        }
        .into(),
        bundle_id: "b".into(),
        origin: origin.into(),
    }
}

fn agents() -> Vec<AgentCard> {
    vec![AgentCard {
        id: "sub-ana".into(),
        email: "ana@example.com".into(),
    }]
}

#[test]
fn each_message_says_who_wrote_it() {
    let thread = [
        message("in", "bot", "<script>x</script>"),
        message("out", "bot", "A person will answer"),
        message("out", "agent:sub-ana", "Hi, Ana here"),
        message("out", "agent:sub-gone", "Old reply"),
    ];
    let views: Vec<MessageView> = thread
        .iter()
        .map(|m| MessageView::of(m, &agents()))
        .collect();
    let from: Vec<&str> = views.iter().map(|v| v.from).collect();
    assert_eq!(from, ["customer", "bot", "agent", "agent"]);
    assert_eq!(
        views[0].text, "<script>x</script>",
        "kept as typed; the page shows it as text"
    );
    assert_eq!(views[2].agent_email.as_deref(), Some("ana@example.com"));
    assert_eq!(views[3].agent_email.as_deref(), Some("sub-gone"));
    assert_eq!(views[2].status, "delivered");
}

#[test]
fn a_row_names_the_conversation_by_pseudonym_and_the_agent_by_email() {
    let c = ConversationId::new(Channel::Whatsapp, "819012345678");
    let entry = HandoffEntry {
        conversation: c.clone(),
        owner: Owner::Agent {
            agent: "sub-ana".into(),
            since: 50,
        },
        reason: HandoffReason::Complaint,
        lang: Lang::JA,
        agent_active_at: Some(60),
        escalated_at: Some(55),
    };
    let row = ConversationRow::of(&entry, "sub-ana", &agents());
    assert_eq!(row.id, c.hashed());
    assert!(
        !serde_json::to_string(&row)
            .unwrap()
            .contains("819012345678")
    );
    assert_eq!(row.state, "agent");
    assert!(row.mine);
    assert_eq!(row.agent_email.as_deref(), Some("ana@example.com"));
    assert_eq!(
        (row.reason, row.since, row.escalated),
        ("complaint", 50, true)
    );
    assert!(!ConversationRow::of(&entry, "sub-bo", &agents()).mine);
}

#[test]
fn the_opened_conversation_shows_cart_consent_and_the_reply_rule() {
    let c = ConversationId::new(Channel::Whatsapp, "819012345678");
    let mut session = Session {
        lang: Some(Lang::EN),
        last_heard_at: Some(90),
        ..Session::default()
    };
    session.cart.lines.push(CartLine {
        id: "1".into(),
        product: "drop-bag".into(),
        selections: vec![],
        unit_price: 19_500,
        quantity: 2,
    });
    let entry = HandoffEntry {
        conversation: c.clone(),
        owner: Owner::Waiting {
            since: 80,
            reason: HandoffReason::Asked,
        },
        reason: HandoffReason::Asked,
        lang: Lang::EN,
        agent_active_at: None,
        escalated_at: None,
    };
    let stop = Standing::Latest(ConsentChange {
        wish: Wish::OptOut,
        scope: Scope::Announcements,
        at: 70,
        source: ConsentSource::MenuEntry,
        event: "e".into(),
    });
    let catalog = catalog();
    let build = |session: &Session, standing: &Standing| {
        ConversationView::build(Parts {
            row: ConversationRow::of(&entry, "me", &[]),
            conversation: &c,
            session,
            catalog: &catalog,
            thread: &[],
            orders: vec![],
            standing,
            notes: vec![],
            agents: &[],
            reply_refused: Some("outside the 24 h customer-service window".into()),
            default_lang: Lang::EN,
        })
    };
    let view = build(&session, &stop);
    assert_eq!(view.cart.len(), 1);
    assert_eq!(view.cart[0].quantity, 2);
    assert!(
        view.cart[0].item.contains("Drop Bag"),
        "{}",
        view.cart[0].item
    );
    assert!(
        view.cart_total.as_deref().unwrap().contains("390"),
        "{:?}",
        view.cart_total
    );
    assert_eq!(
        view.consent,
        ConsentView {
            reachable: true,
            announcements: "opted_out",
            announcements_since: Some(70)
        }
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["state"], "waiting", "the row's fields sit at the top");
    assert_eq!(
        json["reply_refused"],
        "outside the 24 h customer-service window"
    );

    session.reachability = Reachability::OptedOut;
    session.cart.lines.clear();
    let view = build(&session, &Standing::NeverAsked);
    assert!(!view.consent.reachable);
    assert_eq!(view.consent.announcements, "never_asked");
    assert_eq!(view.cart_total, None);
}
