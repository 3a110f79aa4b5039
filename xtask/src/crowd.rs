//! A crowd of buyers at checkout, for the contention tests and the flash-crowd bench: each
//! buyer gets a session whose cart already holds the product, then sends "Checkout" straight
//! to the payment function's logic (`checkout::handle`), and every answer is captured instead
//! of queued, so the figures measure the reservation path and nothing else.

use chatdrop_domain::action::Handler;
use chatdrop_domain::cart::Cart;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::customization::Selection;
use chatdrop_domain::dialogue::{Identity, Session};
use chatdrop_domain::inbound::{InboundContent, InboundMessage};
use chatdrop_domain::ports::{Dispatch, Effect, MarkerKey, PortError, SessionStore};
use chatdrop_domain::reply::{Reply, ReplyBundle};
use std::sync::Mutex;

/// Keeps every reply instead of queueing it.
#[derive(Default)]
pub struct Captured(pub Mutex<Vec<ReplyBundle>>);

impl Dispatch for Captured {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        self.0
            .lock()
            .map_err(|_| PortError::new("capture reply", "poisoned"))?
            .push(bundle.clone());
        Ok(())
    }
    async fn hand_off(&self, _: Handler, _: &InboundMessage) -> Result<(), PortError> {
        Ok(())
    }
}

/// The sample catalog's Drop Bag in black with a canvas strap, no charm, no engraving.
pub fn plain_bag() -> Vec<Selection> {
    vec![
        Selection::Option {
            group: "colour".into(),
            option: "black".into(),
        },
        Selection::Option {
            group: "strap".into(),
            option: "canvas".into(),
        },
        Selection::Skipped {
            group: "charm".into(),
        },
        Selection::Skipped {
            group: "engraving".into(),
        },
    ]
}

/// Gives `conversation` a session whose cart holds one of `product` (replacing any session),
/// with `verified_phone` as the platform vouched for it.
pub async fn seed_cart(
    store: &impl SessionStore,
    conversation: &ConversationId,
    product: &str,
    selections: Vec<Selection>,
    verified_phone: Option<&str>,
) -> Result<(), crate::Error> {
    let mut cart = Cart::default();
    cart.add(product, selections, 12_000)
        .map_err(|e| format!("seeding a cart: {e:?}"))?;
    let stored = store.session(conversation).await?;
    // A chat linked before stays linked, as a checkout would leave it.
    let identity = match (
        verified_phone.map(String::from),
        stored.identity.is_linked(),
    ) {
        (phone, true) => Identity::Linked { phone },
        (Some(phone), false) => Identity::PhoneVerified { phone },
        (None, false) => Identity::ChatOnly,
    };
    let session = Session {
        cart,
        identity,
        version: stored.version + 1,
        ..Session::default()
    };
    let key = MarkerKey {
        handler: Handler::Cart,
        identity: format!("seed#{}#{}", conversation.key(), session.version),
    };
    store
        .commit(conversation, Some(&session), &key, &Effect::Nothing)
        .await
        .map_err(|e| format!("seeding a session: {e:?}"))?;
    Ok(())
}

/// The buyer's tap on "Checkout"; `n` makes its event id unique.
pub fn checkout_message(conversation: &ConversationId, n: usize, sent_at: i64) -> InboundMessage {
    InboundMessage {
        conversation: conversation.clone(),
        event_id: format!("checkout-{n}-{}", conversation.customer),
        sent_at,
        locale: None,
        ack: None,
        reply_token: None,
        content: InboundContent::Action {
            payload: "p:c".into(),
            title: None,
        },
    }
}

/// Whether an answer carries a pay link (the buyer got a reservation).
pub fn got_pay_link(bundle: &ReplyBundle) -> bool {
    bundle
        .replies
        .iter()
        .any(|r| matches!(r, Reply::Link { url, .. } if url.contains("/p/")))
}

/// The text of an answer that is not a pay link: a limit notice (plain text), or a sold-out
/// notice (its body; the "Join the waitlist" button comes with it).
pub fn text_of(bundle: &ReplyBundle) -> String {
    if got_pay_link(bundle) {
        return String::new();
    }
    bundle
        .replies
        .iter()
        .filter_map(|r| match r {
            Reply::Text { body } | Reply::Choices { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect()
}
