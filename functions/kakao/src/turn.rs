//! One conversation turn run in-process, its replies captured instead of queued.
//!
//! Everywhere else a turn is: ingress queues the message, the catalog or cart function runs
//! `process` (marker, session, flow, one transaction, dispatch), possibly hands the message to
//! another function's queue, and notify sends the reply bundle. Here the same calls run in one
//! invocation, in the same order, against the same DynamoDB table: [`Capture`] is the
//! [`Dispatch`] port, and where the queue would take a hand-off, the loop below runs the next
//! handler at once. What makes a turn exactly-once in effect is untouched, because it lives in
//! the domain and the store: the marker per (handler, event), the session's version condition
//! and the reservation's conditional writes.
//!
//! A redelivered event is the one thing that differs. `process` answers a done marker with
//! [`Handled::Duplicate`] and dispatches nothing, which suits a queue (the first answer was
//! already sent) but not a retried HTTP call, whose first answer may never have arrived. So a
//! duplicate reads its marker's stored effect and answers with that: the same bundle, hand-offs
//! followed the same way, nothing applied twice.

use chatdrop_domain::action::Handler;
use chatdrop_domain::checkout::{self, CheckoutSettings, PaymentPorts};
use chatdrop_domain::consent::ConsentLedger;
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::payment::PaymentGateway;
use chatdrop_domain::personal_data::PersonalData;
use chatdrop_domain::ports::{
    CatalogSource, Dispatch, Effect, MarkerKey, OrderStore, PortError, SessionStore,
};
use chatdrop_domain::process::{Handled, ProcessError};
use chatdrop_domain::reminders::ReminderStore;
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_domain::waitlist::WaitlistStore;
use std::sync::Mutex;

/// The most handlers one turn passes through: catalog hands to cart or payment, cart to
/// payment. More would be a loop between flows; the turn stops there with what it has.
const MAX_HOPS: usize = 4;

/// The [`Dispatch`] port of a synchronous channel: keeps what the queues would have taken.
#[derive(Default)]
pub struct Capture {
    bundles: Mutex<Vec<ReplyBundle>>,
    hand_off: Mutex<Option<(Handler, InboundMessage)>>,
}

impl Capture {
    fn take_hand_off(&self) -> Option<(Handler, InboundMessage)> {
        self.hand_off.lock().ok()?.take()
    }

    fn push(&self, bundle: ReplyBundle) {
        if let Ok(mut bundles) = self.bundles.lock() {
            // A bundle id names one (event, handler): the same one twice is one answer.
            if !bundles.iter().any(|b| b.id == bundle.id) {
                bundles.push(bundle);
            }
        }
    }

    fn into_bundles(self) -> Vec<ReplyBundle> {
        self.bundles.into_inner().unwrap_or_default()
    }
}

impl Dispatch for Capture {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        self.push(bundle.clone());
        Ok(())
    }

    async fn hand_off(&self, to: Handler, message: &InboundMessage) -> Result<(), PortError> {
        if let Ok(mut slot) = self.hand_off.lock() {
            *slot = Some((to, message.clone()));
        }
        Ok(())
    }
}

/// The ports a turn runs against: the conversation's store and catalog, the order store and
/// the payment gateway for a checkout, and the phone verification service for a chat proving
/// its phone (`chatdrop_domain::phone_dialogue`).
pub struct Ports<'a, S, C, O, G> {
    pub sessions: &'a S,
    pub catalogs: &'a C,
    pub orders: &'a O,
    pub gateway: &'a G,
    pub verifier: &'a dyn chatdrop_domain::phone_verify::DynPhoneVerifier,
}

/// Runs `message` from `first` through every handler it is handed to, and returns the reply
/// bundles in the order they were produced.
pub async fn run<S, C, O, G>(
    first: Handler,
    message: &InboundMessage,
    ports: &Ports<'_, S, C, O, G>,
    settings: &CheckoutSettings,
    default_lang: Lang,
    now: i64,
) -> Result<Vec<ReplyBundle>, ProcessError>
where
    S: SessionStore + ConsentLedger + PersonalData,
    C: CatalogSource,
    O: OrderStore + WaitlistStore + ReminderStore + chatdrop_domain::draw_flow::DrawStore,
    G: PaymentGateway,
{
    let capture = Capture::default();
    let mut handler = first;
    let mut message = message.clone();
    for _ in 0..MAX_HOPS {
        let handled = match handler {
            Handler::Payment => {
                let payment = PaymentPorts {
                    sessions: ports.sessions,
                    catalogs: ports.catalogs,
                    orders: ports.orders,
                    gateway: ports.gateway,
                    dispatch: &capture,
                };
                checkout::handle(&message, &payment, settings, now).await?
            }
            _ => {
                let services = chatdrop_domain::process::Services {
                    profiles: &chatdrop_domain::ports::NoProfiles,
                    verifier: ports.verifier,
                };
                chatdrop_domain::process::process_with_verifier(
                    handler,
                    &message,
                    ports.sessions,
                    ports.catalogs,
                    &capture,
                    services,
                    default_lang,
                )
                .await?
            }
        };
        if handled == Handled::Duplicate {
            replay(handler, &message, ports.sessions, &capture).await?;
        }
        match capture.take_hand_off() {
            Some((to, next)) => {
                handler = to;
                message = next;
            }
            None => return Ok(capture.into_bundles()),
        }
    }
    tracing::warn!("a turn was handed off more than {MAX_HOPS} times; answered with what it had");
    Ok(capture.into_bundles())
}

/// A done marker's stored effect, dispatched again into `capture` (see the module docs).
async fn replay<S: SessionStore>(
    handler: Handler,
    message: &InboundMessage,
    sessions: &S,
    capture: &Capture,
) -> Result<(), PortError> {
    let key = MarkerKey {
        handler,
        identity: message.dedup_identity(),
    };
    if let Some(marker) = sessions.marker(&key).await? {
        match marker.effect {
            Effect::Reply { bundle } => capture.reply(&bundle).await?,
            Effect::HandOff { to, message } => capture.hand_off(to, &message).await?,
            Effect::Nothing => {}
        }
    }
    Ok(())
}
