//! Following the platform's own inbox for people, where a platform has one beside the bot.
//!
//! Messenger lets several apps of a Page share one conversation, one of them owning the thread
//! at a time (the handover protocol, now Meta's "conversation routing":
//! <https://developers.facebook.com/docs/messenger-platform/handover-protocol/>). A retailer
//! whose people answer in Meta's Page Inbox has two places a conversation can be worked on:
//! the console, through chatdrop, and the Page Inbox, which chatdrop only hears about. The
//! channel adapter reads what it hears into four channel-neutral messages, and this module
//! keeps chatdrop's owner ([`Owner`]) and the sweep's timers true to them:
//!
//! ```text
//!  the inbox passes the thread to us ─ InboxGaveBack ─▶ back to the bot (unless handed over since)
//!  the inbox takes the thread from us ─ InboxTook ───▶ a person's: taken_over, claimed by
//!                                                      PLATFORM_INBOX; nobody alerted or told
//!  the customer writes to the inbox ── Overheard ────▶ nothing moves and nobody answers: the
//!                                                      thread records it (the catalog consumer)
//!                                                      and the platform's window is kept
//!  a person writes from the inbox ──── InboxReplied ─▶ agent activity: a waiting conversation is
//!                                                      claimed by PLATFORM_INBOX, an agent's is
//!                                                      touched, so the sweep's hand back waits
//! ```
//!
//! Each runs before the flows, in the conversation function's queue order, and exactly once
//! per event as every message does (the processed-message marker), so Meta redelivering an
//! event days later cannot undo a newer handoff. An event older than the conversation's
//! current handoff moves nothing (the handoff was made after it). None of them says anything
//! to the customer: while the inbox owns the thread, the bot could not send if it wanted to,
//! and what the customer said there is the inbox's person's to answer.
//!
//! Why an echo counts as activity: the sweep hands a conversation back to the bot after
//! `hand_back_after` without agent activity, taking the thread from the inbox. The console's
//! replies touch that activity ([`crate::inbox::reply`]); a person answering in the Page Inbox
//! never passes the console, and the echo of their message is the only sign of them.

use super::{Claim, HandoffReason, HandoffStore};
use crate::action::Handler;
use crate::channel::ConversationId;
use crate::dialogue::Owner;
use crate::i18n::Lang;
use crate::inbound::{InboundContent, InboundMessage};
use crate::inbox::InboxStore;
use crate::ports::{Effect, MarkerKey, PortError, SessionStore};
use crate::process::{Handled, ProcessError};

/// The agent a conversation is recorded with when a person took it in the platform's own
/// inbox for people ([`HandoffReason::TakenOver`]), or answered it there: not a console user,
/// so the console shows it as taken and none of its agents replies over the person who has
/// the thread (a manager may still reassign it, or hand it back to the bot).
pub const PLATFORM_INBOX: &str = "platform-inbox";

/// What the inbox did, as far as this conversation's owner is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InboxEvent {
    GaveBack,
    Took,
    Overheard,
    Replied,
}

impl InboxEvent {
    fn of(content: &InboundContent) -> Option<InboxEvent> {
        Some(match content {
            InboundContent::InboxGaveBack { .. } => InboxEvent::GaveBack,
            InboundContent::InboxTook { .. } => InboxEvent::Took,
            InboundContent::Overheard { .. } => InboxEvent::Overheard,
            InboundContent::InboxReplied { .. } => InboxEvent::Replied,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            InboxEvent::GaveBack => "gave_back",
            InboxEvent::Took => "took",
            InboxEvent::Overheard => "overheard",
            InboxEvent::Replied => "replied",
        }
    }
}

/// Follows what the platform's own inbox for people did or heard (the module doc): `None` for
/// any other message, which the flows then handle.
///
/// - the inbox gave it back: the conversation goes back to the bot as the console's hand back
///   does (session and list entry cleared), unless the bot has it already or its owner is
///   newer than the event. Nothing is queued for notify: the thread is ours already.
/// - the inbox took it: a person has the thread, so the conversation is theirs as if an agent
///   had chosen it ([`HandoffReason::TakenOver`], claimed by [`PLATFORM_INBOX`]): the bot stays
///   silent, nobody is alerted or escalated to, and the customer is told nothing (the person
///   is writing to them). A conversation waiting for a person is claimed the same way; one an
///   agent has stays theirs.
/// - the customer wrote to the inbox: nobody answers and no owner moves; the session records
///   that the customer was heard from (the platform's reply window is the Page's, whichever
///   app answers, and the bot's next message after a hand back goes by it).
/// - a person wrote from the inbox: see [`inbox_replied`].
pub async fn follow_inbox<S: SessionStore + HandoffStore + InboxStore>(
    handler: Handler,
    message: &InboundMessage,
    store: &S,
    default_lang: Lang,
) -> Result<Option<Handled>, ProcessError> {
    let Some(event) = InboxEvent::of(&message.content) else {
        return Ok(None);
    };
    let key = MarkerKey {
        handler,
        identity: message.dedup_identity(),
    };
    if let Some(marker) = store.marker(&key).await? {
        if !marker.done {
            // The move was made before the marker was committed; only the mark is missing.
            store.mark_done(&key).await?;
            return Ok(Some(Handled::Recorded));
        }
        return Ok(Some(Handled::Duplicate));
    }
    let c = &message.conversation;
    let at = message.sent_at;
    let mut session = store.session(c).await?;
    let moved = match event {
        InboxEvent::GaveBack => match &session.owner {
            Owner::Bot => false,
            Owner::Waiting { since, .. } | Owner::Agent { since, .. } if *since > at => {
                tracing::info!(
                    since,
                    at,
                    "the inbox gave back a conversation handed over again since; left as it is"
                );
                false
            }
            _ => store.hand_back(c).await?,
        },
        InboxEvent::Took => match &session.owner {
            Owner::Agent { .. } => false,
            owner => {
                if owner.is_bot() {
                    let lang = session.lang.unwrap_or(default_lang);
                    store
                        .open_handoff(c, HandoffReason::TakenOver, lang, at)
                        .await?;
                }
                matches!(
                    store.claim_handoff(c, PLATFORM_INBOX, at).await?,
                    Claim::Claimed
                )
            }
        },
        InboxEvent::Overheard => {
            if session.owner.is_bot() {
                // The inbox has a thread chatdrop thinks is the bot's (its take event is late,
                // or the Page routes this conversation to the inbox): still not ours to answer.
                tracing::info!(
                    "the customer wrote to the platform's inbox while the bot has the conversation; recorded only"
                );
            }
            session.heard_from(at);
            false
        }
        InboxEvent::Replied => inbox_replied(store, c, &session.owner, at).await?,
    };
    tracing::info!(
        inbox = event.as_str(),
        moved,
        "followed the platform's inbox"
    );
    // Only what was heard changes the session here; the moves above are the store's own
    // conditional writes, which bumped its version (committing the session read before them
    // would conflict, and retry for nothing).
    let heard = (event == InboxEvent::Overheard).then(|| {
        session.version += 1;
        &session
    });
    store.commit(c, heard, &key, &Effect::Nothing).await?;
    store.mark_done(&key).await?;
    Ok(Some(Handled::Recorded))
}

/// A person wrote to the customer from the platform's inbox at `at`: the handoff has agent
/// activity. A conversation waiting for a person is theirs now (claimed by [`PLATFORM_INBOX`],
/// which also stops its escalation); one an agent has is touched for that agent (whoever has
/// it in chatdrop, a person is working on it, so the sweep's hand back waits). `true` if the
/// list entry moved or was touched.
///
/// Nothing moves for a conversation the bot has (the inbox's take event, which makes it a
/// person's, is followed on its own), nor for a handoff made after the message (the echo of an
/// earlier conversation arriving late).
async fn inbox_replied<S: HandoffStore + InboxStore>(
    store: &S,
    c: &ConversationId,
    owner: &Owner,
    at: i64,
) -> Result<bool, PortError> {
    match owner {
        Owner::Bot => {
            tracing::info!(
                "a person wrote from the platform's inbox while the bot has the conversation; left as it is"
            );
            Ok(false)
        }
        Owner::Waiting { since, .. } | Owner::Agent { since, .. } if *since > at => Ok(false),
        Owner::Waiting { .. } => Ok(matches!(
            store.claim_handoff(c, PLATFORM_INBOX, at).await?,
            Claim::Claimed
        )),
        Owner::Agent { agent, .. } => store.touch_agent(c, agent, at).await,
    }
}

#[cfg(test)]
#[path = "inbox_follow_tests.rs"]
mod tests;
