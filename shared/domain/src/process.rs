//! Processing one inbound message, exactly once in effect.
//!
//! Platforms redeliver for days and SQS FIFO deduplicates for only five minutes, so every
//! conversation function runs a message through the same outbox-style sequence:
//!
//! 1. Look up the marker for (handler, event). Done: a redelivery, drop it. Present but not done:
//!    an earlier attempt crashed after committing, so dispatch the stored effect again.
//! 2. Otherwise load the session and the catalog and run the flow, a pure function. On a
//!    conversation's first message, the platform's profile of the customer is asked for their
//!    locale first ([`CustomerProfiles`], see [`crate::language::asks_profile`]); a lookup that
//!    fails only leaves the language to the other clues.
//! 3. Commit the new session and the marker (holding the effect) in one transaction, conditional
//!    on the session version and on the marker's absence.
//! 4. Dispatch the effect (queue the reply, or hand the message to the other function); the
//!    outbound queue deduplicates on the bundle id, so a repeat of this step is harmless.
//! 5. Mark the marker done.
//!
//! A crash between any two steps leaves a state that the redelivery finishes; a concurrent
//! handler of the same conversation loses the conditional write and is retried by SQS.

use crate::action::Handler;
use crate::browse;
use crate::catalog::Catalog;
use crate::channel::full_hash;
use crate::consent::{self, ConsentLedger, PersonKey};
use crate::dialogue::{Owner, Session};
use crate::handoff::{self, HandoffNotice};
use crate::i18n::Lang;
use crate::inbound::{InboundContent, InboundMessage};
use crate::language::{self, Clues};
use crate::personal_data::{self, Held, PersonalData};
use crate::phone_dialogue;
use crate::phone_verify::{DynPhoneVerifier, NoVerifier};
use crate::ports::{
    CatalogSource, CommitError, CustomerProfiles, Dispatch, Effect, Marker, MarkerKey, NoProfiles,
    PortError, SessionStore,
};
use crate::reply::{Reply, ReplyBundle};
use crate::shopping;

/// What a flow decided for one message.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Reply(Vec<Reply>),
    /// The other function should handle this (possibly rewritten) message.
    HandOff(Handler, InboundMessage),
    /// Nothing to say (a delivery report).
    Silent,
    /// The customer asked to be forgotten and the flow reset the session: what the store holds
    /// elsewhere is erased ([`PersonalData::erase`]) before these replies go.
    Forget(Vec<Reply>),
}

/// Everything a flow reads for one turn; it writes only `session`.
pub struct Turn<'a> {
    pub catalog: &'a Catalog,
    pub lang: Lang,
    pub session: &'a mut Session,
    pub message: &'a InboundMessage,
    /// The customer's announcement standing and tags, read only for a message that asks what
    /// we hold about them ([`consent::reads_standing`]); `None` otherwise.
    pub held: Option<&'a Held>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Replied,
    HandedOff,
    /// Processed with nothing to send.
    Recorded,
    /// A redelivery of an event already processed.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("concurrent update of the same conversation; retry")]
    Conflict,
    #[error(transparent)]
    Port(#[from] PortError),
}

impl From<CommitError> for ProcessError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Conflict => ProcessError::Conflict,
            CommitError::Port(p) => ProcessError::Port(p),
        }
    }
}

/// Runs `message` through `handler`'s flow with the sequence described above, with no
/// platform profiles to ask ([`process_with_profiles`] has them).
pub async fn process<S, C, D>(
    handler: Handler,
    message: &InboundMessage,
    store: &S,
    catalogs: &C,
    dispatch: &D,
    default_lang: Lang,
) -> Result<Handled, ProcessError>
where
    S: SessionStore + ConsentLedger + PersonalData,
    C: CatalogSource,
    D: Dispatch,
{
    process_with_profiles(
        handler,
        message,
        store,
        catalogs,
        dispatch,
        &NoProfiles,
        default_lang,
    )
    .await
}

/// [`process`], asking `profiles` for a new customer's locale where the platform has one,
/// with no phone verification service (a chat asked for a code is told codes cannot be sent:
/// [`process_with_verifier`] has one).
pub async fn process_with_profiles<S, C, D, P>(
    handler: Handler,
    message: &InboundMessage,
    store: &S,
    catalogs: &C,
    dispatch: &D,
    profiles: &P,
    default_lang: Lang,
) -> Result<Handled, ProcessError>
where
    S: SessionStore + ConsentLedger + PersonalData,
    C: CatalogSource,
    D: Dispatch,
    P: CustomerProfiles + ?Sized,
{
    let services = Services {
        profiles,
        verifier: &NoVerifier,
    };
    process_with_verifier(
        handler,
        message,
        store,
        catalogs,
        dispatch,
        services,
        default_lang,
    )
    .await
}

/// What a conversation function asks outside the table and the queues while it answers.
pub struct Services<'a, P: ?Sized> {
    /// The platforms' profiles, for a new customer's locale.
    pub profiles: &'a P,
    /// The phone verification service, for a chat proving its phone
    /// ([`crate::phone_dialogue`]).
    pub verifier: &'a dyn DynPhoneVerifier,
}

/// [`process`] with the platforms' profiles and the phone verification service.
pub async fn process_with_verifier<S, C, D, P>(
    handler: Handler,
    message: &InboundMessage,
    store: &S,
    catalogs: &C,
    dispatch: &D,
    services: Services<'_, P>,
    default_lang: Lang,
) -> Result<Handled, ProcessError>
where
    S: SessionStore + ConsentLedger + PersonalData,
    C: CatalogSource,
    D: Dispatch,
    P: CustomerProfiles + ?Sized,
{
    let Services { profiles, verifier } = services;
    // Delivery reports answer nothing; the log line is their record, and the ledger's when
    // the platform says the customer stopped us (WhatsApp 131050, Twilio 21610). The ledger's
    // writes are idempotent, so no marker is needed.
    if let InboundContent::Status { .. } = message.content {
        if let Some(change) = consent::signal(message) {
            let session = store.session(&message.conversation).await?;
            let person = PersonKey::of(&message.conversation, &session);
            consent::record(store, &message.conversation, person.as_ref(), &change).await?;
        }
        return Ok(Handled::Recorded);
    }
    let key = MarkerKey {
        handler,
        identity: message.dedup_identity(),
    };
    if let Some(Marker { effect, done }) = store.marker(&key).await? {
        if done {
            return Ok(Handled::Duplicate);
        }
        let handled = dispatch_effect(&effect, dispatch).await?;
        store.mark_done(&key).await?;
        return Ok(handled);
    }

    let catalog = catalogs.catalog().await?;
    let mut session = store.session(&message.conversation).await?;
    let before = session.clone();
    let market_lang = catalog.market_for(message.conversation.channel).lang;
    let mut clues = Clues::of(message, &session, market_lang, default_lang);
    let profile_locale = if language::asks_profile(message, &session, &clues) {
        profile_locale(profiles, message).await
    } else {
        None
    };
    if clues.platform_locale.is_none() {
        clues.platform_locale = profile_locale.as_deref();
    }
    // A change of consent goes into the ledger before the session commits: the write is
    // idempotent (keyed by the event), so a retry after a lost commit records nothing twice,
    // and a crash after it leaves the redelivery to answer.
    let person = PersonKey::of(&message.conversation, &session);
    if let Some(change) = consent::signal(message) {
        consent::record(store, &message.conversation, person.as_ref(), &change).await?;
    }
    let held = if consent::reads_standing(message) {
        Some(Held {
            standing: store
                .standing(&message.conversation, person.as_ref())
                .await?,
            tags: store.tags(&message.conversation).await?,
        })
    } else {
        None
    };
    let decision = language::decide(&clues);
    let lang = decision.lang;
    session.speak(decision);
    session.heard_from(message.sent_at);

    let silent = !session.owner.is_bot() && handoff::bot_stays_silent(&message.content);
    // A chat proving its phone: typed text is the number or the code (the catalog function
    // gets all typed text), unless it leads elsewhere.
    let verifying = if handler == Handler::Catalog && !silent {
        phone_dialogue::answer(&catalog, lang, &mut session, message, verifier).await
    } else {
        None
    };
    let outcome = if let Some(outcome) = verifying {
        outcome
    } else {
        let turn = Turn {
            catalog: &catalog,
            lang,
            session: &mut session,
            message,
            held: held.as_ref(),
        };
        if silent {
            // A person has the conversation: the bot says nothing; the message is in the
            // thread for them, and `heard_from` above keeps the platform's window right.
            Outcome::Silent
        } else {
            match handler {
                Handler::Catalog => browse::handle(turn),
                Handler::Cart => shopping::handle(turn),
                // The payment function runs `checkout::handle`, not this sequence; a message
                // misrouted here is passed on rather than dropped.
                Handler::Payment => Outcome::HandOff(Handler::Payment, message.clone()),
            }
        }
    };
    // "Forget me": the rest of what is held goes before the reset session commits, so a crash
    // in between leaves the redelivery to erase again (`crate::personal_data`).
    if let Outcome::Forget(_) = outcome {
        store.erase(&message.conversation, person.as_ref()).await?;
        if let Some(person) = &person {
            let change = personal_data::forgotten(message.sent_at, message.dedup_identity());
            store
                .record(&consent::Subject::Person(person.clone()), &change)
                .await?;
        }
    }
    // Any message the flow did not count as misunderstood breaks the run of them.
    if session.not_understood <= before.not_understood {
        session.understood();
    }
    // The owner left the bot in this turn: the bundle telling the customer alerts the agents.
    let handed_over = match (&before.owner, &session.owner) {
        (Owner::Bot, Owner::Waiting { since, reason }) => Some(HandoffNotice {
            reason: *reason,
            since: *since,
        }),
        _ => None,
    };
    let effect = match outcome {
        Outcome::Reply(replies) | Outcome::Forget(replies) => {
            let bundle = ReplyBundle {
                id: full_hash(&format!("{}#{}", handler.as_str(), key.identity)),
                conversation: message.conversation.clone(),
                lang,
                ack: message.ack.clone(),
                reply_token: message.reply_token.clone(),
                update: None,
                announcement: None,
                handoff: handed_over,
                take_back: false,
                origin: Default::default(),
                replies,
            };
            session.offer(bundle.offered());
            Effect::Reply { bundle }
        }
        Outcome::HandOff(to, message) => Effect::HandOff { to, message },
        Outcome::Silent => Effect::Nothing,
    };

    let changed = session != before;
    if changed {
        session.version = before.version + 1;
    }
    store
        .commit(
            &message.conversation,
            changed.then_some(&session),
            &key,
            &effect,
        )
        .await?;
    let handled = dispatch_effect(&effect, dispatch).await?;
    store.mark_done(&key).await?;
    Ok(handled)
}

/// The customer's locale from the platform's profile; a failed lookup is logged (the customer
/// by pseudonym) and counts as no locale, so the answer goes out in the next clue's language.
async fn profile_locale<P: CustomerProfiles + ?Sized>(
    profiles: &P,
    message: &InboundMessage,
) -> Option<String> {
    match profiles.locale(&message.conversation).await {
        Ok(locale) => locale,
        Err(e) => {
            tracing::warn!(
                channel = %message.conversation.channel,
                customer = %message.conversation.hashed(),
                error = %e,
                "profile lookup failed; the language comes from the other clues"
            );
            None
        }
    }
}

async fn dispatch_effect<D: Dispatch>(effect: &Effect, dispatch: &D) -> Result<Handled, PortError> {
    Ok(match effect {
        Effect::Reply { bundle } => {
            dispatch.reply(bundle).await?;
            Handled::Replied
        }
        Effect::HandOff { to, message } => {
            dispatch.hand_off(*to, message).await?;
            Handled::HandedOff
        }
        Effect::Nothing => Handled::Recorded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customization::Selection;
    use crate::dialogue::{DialogueState, Offered};
    use crate::inbound::{DeliveryStatus, InboundContent};
    use crate::testing::{Memory, conversation, message, tap, text};

    async fn run(mem: &Memory, msg: InboundMessage) -> Vec<Reply> {
        mem.run(msg)
            .await
            .into_iter()
            .flat_map(|b| b.replies)
            .collect()
    }

    fn bodies(replies: &[Reply]) -> String {
        replies
            .iter()
            .map(|r| match r {
                Reply::Text { body } | Reply::Choices { body, .. } | Reply::Link { body, .. } => {
                    body.clone()
                }
                Reply::Image { url, .. } => url.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn session(mem: &Memory) -> crate::dialogue::Session {
        mem.sessions
            .lock()
            .unwrap()
            .get(&conversation().key())
            .cloned()
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn hello_to_a_customized_bag_in_the_cart() {
        let mem = Memory::with_sample();
        let r = run(&mem, text("m1", "hi")).await;
        assert!(bodies(&r).contains("Welcome"));
        run(&mem, tap("m2", "c:c:bags")).await;
        let r = run(&mem, tap("m3", "c:p:drop-bag")).await;
        assert!(bodies(&r).contains("Drop Bag — $120.00~"), "{}", bodies(&r));
        let r = run(&mem, tap("m4", "k:a:drop-bag")).await;
        assert!(bodies(&r).contains("choose the colour"));
        run(&mem, tap("m5", "k:o:drop-bag:colour:red")).await;
        run(&mem, tap("m6", "k:o:drop-bag:strap:leather")).await;
        run(&mem, tap("m7", "k:o:drop-bag:charm:gold")).await;
        // The engraving is typed: it reaches the catalog function, which hands it to the cart.
        let r = run(&mem, text("m8", "ANA & CO")).await;
        let all = bodies(&r);
        assert!(all.contains("Added to your cart"), "{all}");
        // 120 + 10 (red) + 25 (leather) + 30 (gold) + 10 (engraving)
        assert!(all.contains("$195.00"), "{all}");
        let s = session(&mem);
        assert_eq!(s.state, DialogueState::Browsing);
        assert_eq!(s.cart.lines.len(), 1);
        assert_eq!(s.cart.lines[0].unit_price, 19_500);
        assert_eq!(
            s.cart.lines[0].selections[3],
            Selection::Text {
                group: "engraving".into(),
                text: "ANA & CO".into()
            }
        );

        // A second product without options, then the cart with its total.
        run(&mem, tap("m9", "k:a:sticker-pack")).await;
        let r = run(&mem, text("m10", "cart")).await;
        let all = bodies(&r);
        assert!(all.contains("Total: $201.00"), "{all}");
        assert!(all.contains("Sticker pack × 1 — $6.00"), "{all}");
    }

    #[tokio::test]
    async fn a_rule_breaking_choice_is_explained_and_asked_again() {
        let mem = Memory::with_sample();
        run(&mem, tap("m1", "k:a:drop-bag")).await;
        run(&mem, tap("m2", "k:o:drop-bag:colour:sand")).await;
        // The chain strap requires a black or red body.
        let r = run(&mem, tap("m3", "k:o:drop-bag:strap:chain")).await;
        let all = bodies(&r);
        assert!(
            all.contains("Chain strap is only available with Black, Signal red"),
            "{all}"
        );
        assert!(all.contains("choose the strap"), "{all}");
        let s = session(&mem);
        let DialogueState::Customizing { selections, .. } = &s.state else {
            panic!("still customizing")
        };
        assert_eq!(selections.len(), 1, "nothing half-written");
        // The options offered now leave the chain out.
        let Reply::Choices { choices, .. } = r.last().unwrap() else {
            panic!()
        };
        assert!(choices.iter().all(|c| !c.id.ends_with(":chain")));

        run(&mem, tap("m4", "k:o:drop-bag:strap:canvas")).await;
        let r = run(&mem, tap("m5", "k:o:drop-bag:charm:gold")).await;
        assert!(bodies(&r).contains("Gold charm can't be combined with Canvas strap"));
        // An engraving with a character the engraver cannot cut.
        run(&mem, tap("m6", "k:s:drop-bag:charm")).await;
        let r = run(&mem, text("m7", "ANA ♥")).await;
        assert!(bodies(&r).contains("“♥” can't be used"), "{}", bodies(&r));
        let r = run(&mem, text("m8", "THIRTEEN CHAR")).await;
        assert!(bodies(&r).contains("longer than 12"), "{}", bodies(&r));
        assert!(session(&mem).cart.is_empty());
    }

    #[tokio::test]
    async fn typed_numbers_pick_the_offered_choices() {
        let mem = Memory::with_sample();
        run(&mem, text("m1", "menu")).await;
        // 1 = first category (bags), then 1 = first product (the bag).
        run(&mem, text("m2", "1")).await;
        let r = run(&mem, text("m3", "1")).await;
        assert!(bodies(&r).contains("Drop Bag"), "{}", bodies(&r));
    }

    #[tokio::test]
    async fn unknown_product_and_forged_payloads_get_a_polite_answer() {
        let mem = Memory::with_sample();
        let r = run(&mem, tap("m1", "c:p:no-such-thing")).await;
        assert!(bodies(&r).contains("no longer available"));
        let r = run(&mem, tap("m2", "k:a:no-such-thing")).await;
        assert!(bodies(&r).contains("no longer available"));
        let r = run(&mem, tap("m3", "buy:blue_mug:1")).await;
        assert!(bodies(&r).contains("no longer works"));
        assert!(session(&mem).cart.is_empty());
    }

    /// Every tap gets an answer: a payload that does not decode, whatever function its prefix
    /// names, and whether it arrives as a tap or as a typed number for a stale choice, gets
    /// the apology and the menu.
    #[tokio::test]
    async fn taps_we_cannot_read_get_an_apology_and_the_menu() {
        let mem = Memory::with_sample();
        let payloads = [
            "buy:blue_mug:1",
            "c:old:7",
            "k:w:drop-bag:2",
            "p:zz",
            "k:q:l1:x",
        ];
        for (i, payload) in payloads.iter().enumerate() {
            let r = run(&mem, tap(&format!("t{i}"), payload)).await;
            assert!(r.iter().any(is_menu), "{payload}: {r:?}");
            assert!(bodies(&r).contains("no longer works"), "{payload}: {r:?}");
        }
        for (i, payload) in payloads.iter().enumerate() {
            mem.sessions
                .lock()
                .unwrap()
                .get_mut(&conversation().key())
                .unwrap()
                .offered = Offered::new(vec![payload.to_string()]);
            let r = run(&mem, text(&format!("n{i}"), "1")).await;
            assert!(r.iter().any(is_menu), "typed 1 for {payload}: {r:?}");
            assert!(
                bodies(&r).contains("no longer works"),
                "typed 1 for {payload}"
            );
        }
        // A cart-prefixed payload queued to the cart function before routing changed.
        let stale = tap("q1", "k:w:drop-bag:2");
        let handled = process(Handler::Cart, &stale, &mem, &mem, &mem, Lang::EN)
            .await
            .unwrap();
        assert_eq!(handled, Handled::Replied);
        let r = mem.replies.lock().unwrap().last().unwrap().replies.clone();
        assert!(r.iter().any(is_menu), "{r:?}");
        assert!(bodies(&r).contains("no longer works"));
    }

    fn is_menu(reply: &Reply) -> bool {
        matches!(reply, Reply::Choices { choices, .. } if choices.iter().any(|c| c.id == "c:c:bags"))
    }

    #[tokio::test]
    async fn search_finds_by_name_and_tag() {
        let mem = Memory::with_sample();
        let r = run(&mem, text("m1", "tote")).await;
        assert!(
            bodies(&r).contains("Canvas Tote — $35.00"),
            "{}",
            bodies(&r)
        );
        let r = run(&mem, text("m2", "bag")).await;
        let Reply::Choices { choices, .. } = r.last().unwrap() else {
            panic!()
        };
        assert_eq!(choices.len(), 3, "two bags and the menu");
        let r = run(&mem, text("m3", "unicorn")).await;
        assert!(bodies(&r).contains("found nothing"));
    }

    #[tokio::test]
    async fn a_redelivered_message_is_answered_once() {
        let mem = Memory::with_sample();
        run(&mem, tap("m1", "k:a:sticker-pack")).await;
        let again = run(&mem, tap("m1", "k:a:sticker-pack")).await;
        assert!(again.is_empty());
        assert_eq!(session(&mem).cart.units(), 1);
    }

    #[tokio::test]
    async fn a_crash_after_commit_is_finished_by_the_redelivery() {
        let mem = Memory::with_sample();
        *mem.fail_dispatch.lock().unwrap() = true;
        let msg = tap("m1", "k:a:sticker-pack");
        assert!(
            process(Handler::Cart, &msg, &mem, &mem, &mem, Lang::EN)
                .await
                .is_err()
        );
        assert!(mem.replies.lock().unwrap().is_empty());
        let handled = process(Handler::Cart, &msg, &mem, &mem, &mem, Lang::EN)
            .await
            .unwrap();
        assert_eq!(handled, Handled::Replied);
        assert_eq!(mem.replies.lock().unwrap().len(), 1);
        assert_eq!(session(&mem).cart.units(), 1, "added once");
    }

    #[tokio::test]
    async fn statuses_are_silent_and_locale_picks_the_language() {
        let mem = Memory::with_sample();
        let status = message(
            "s1",
            InboundContent::Status {
                message_id: "wamid.X".into(),
                status: DeliveryStatus::Read,
                error_code: None,
            },
        );
        assert_eq!(
            process(Handler::Catalog, &status, &mem, &mem, &mem, Lang::EN)
                .await
                .unwrap(),
            Handled::Recorded
        );
        let mut hi = text("m1", "こんにちは");
        hi.locale = Some("ja".into());
        let r = run(&mem, hi).await;
        assert!(bodies(&r).contains("ようこそ"));
        assert!(bodies(&run(&mem, text("m2", "menu")).await).contains("カテゴリー"));
    }
}
