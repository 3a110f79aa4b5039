//! "Remind me": a customer who finds a drop not open yet asks to be told when it opens, and is
//! told once, in their language and on their clock.
//!
//! The answer to a checkout before the drop's start ([`crate::checkout::CheckoutProblem::NotYet`])
//! carries a "Remind me" button ([`Action::RemindMe`]). A tap records a [`Reminder`] with a
//! conditional put (one per conversation and drop, [`ReminderStore::remind`]), with the
//! customer's language and the time zone their start time was shown in
//! ([`crate::time_zone::CustomerZone`]: their phone's region, else the market's).
//!
//! The sweep (every minute) tells them ([`tell_reminders`]): for every drop selling now, it
//! takes the reminders not yet told, a page at a time, and for each first *claims* the notice
//! ([`ReminderStore::claim`], a conditional write: `told` from false to true) and only then
//! queues the message. A retried or concurrent sweep finds the claim taken and tells nobody
//! twice; a message that could not be queued gives its claim back for the next run.

use crate::action::Action;
use crate::channel::{ConversationId, full_hash};
use crate::checkout::choice;
use crate::drops::{Drop, DropWindow};
use crate::i18n::{Lang, Msg, Voice};
use crate::ports::{Dispatch, PortError};
use crate::reply::{Reply, ReplyBundle};
use crate::time_zone::CustomerZone;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A customer waiting for a drop to open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub drop: String,
    pub conversation: ConversationId,
    pub lang: Lang,
    /// The IANA zone the customer's times are shown in.
    pub zone: String,
    pub created_at: i64,
    /// Whether the opening notice was claimed (and sent).
    #[serde(default)]
    pub told: bool,
}

/// Where reminders are kept.
pub trait ReminderStore: Send + Sync {
    /// Records the reminder unless the conversation has one for the drop: `Ok(false)` then.
    fn remind(&self, reminder: &Reminder) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Up to `limit` reminders of `drop` not told yet.
    fn untold(
        &self,
        drop: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Reminder>, PortError>> + Send;

    /// Claims the opening notice (`told`: false → true); `Ok(false)` if already claimed.
    fn claim(&self, reminder: &Reminder) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Gives a claim back (the message could not be queued): the next sweep tries again.
    fn unclaim(&self, reminder: &Reminder) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The "Remind me" button, for a drop whose id fits a button's payload.
pub fn remind_button(drop: &Drop, voice: Voice<'_>) -> Option<crate::reply::Choice> {
    let action = Action::RemindMe(drop.id.clone());
    let encoded = action.encode();
    (encoded.len() <= crate::action::MAX_PAYLOAD_BYTES
        && Action::decode(&encoded).as_ref() == Some(&action))
    .then(|| choice(action, Msg::RemindMeButton.text(voice)))
}

/// The not-yet answer with its "Remind me" button (and the way back to the menu).
pub fn with_remind_button(reply: Reply, drop: Option<&Drop>, voice: Voice<'_>) -> Reply {
    let (Reply::Text { body }, Some(button)) = (&reply, drop.and_then(|d| remind_button(d, voice)))
    else {
        return reply;
    };
    Reply::Choices {
        body: body.clone(),
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![button, choice(Action::Menu, Msg::KeepShopping.text(voice))],
    }
}

/// Records a reminder for the conversation and answers when the drop opens, on their clock.
pub async fn remind_me<R: ReminderStore>(
    store: &R,
    drop: &Drop,
    conversation: &ConversationId,
    phone: Option<&str>,
    market_zone: Option<&str>,
    voice: Voice<'_>,
    now: i64,
) -> Result<Reply, PortError> {
    let zone = CustomerZone::resolve(phone, market_zone, drop.starts_at);
    let reminder = Reminder {
        drop: drop.id.clone(),
        conversation: conversation.clone(),
        lang: voice.lang,
        zone: zone.name.clone(),
        created_at: now,
        told: false,
    };
    store.remind(&reminder).await?;
    Ok(Reply::Text {
        body: Msg::ReminderSet {
            drop: &drop.name,
            when: &zone.format(drop.starts_at, voice.lang),
        }
        .text(voice),
    })
}

/// What one pass told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderReport {
    pub told: usize,
    pub failed: usize,
}

/// Tells the customers waiting for each drop that is selling at `now`, at most `limit` a run.
pub async fn tell_reminders<R: ReminderStore, D: Dispatch>(
    now: i64,
    drops: &[Drop],
    store: &R,
    dispatch: &D,
    limit: usize,
) -> Result<ReminderReport, PortError> {
    let mut report = ReminderReport::default();
    for drop in drops {
        if drop.window(now) != DropWindow::Selling {
            continue;
        }
        let room = limit.saturating_sub(report.told + report.failed);
        if room == 0 {
            break;
        }
        for reminder in store.untold(&drop.id, room).await? {
            if !store.claim(&reminder).await? {
                continue;
            }
            let zone = CustomerZone::resolve(None, Some(&reminder.zone), drop.starts_at);
            let lang = reminder.lang;
            let bundle = ReplyBundle {
                id: full_hash(&format!(
                    "reminder#{}#{}",
                    drop.id,
                    reminder.conversation.key()
                )),
                conversation: reminder.conversation.clone(),
                lang,
                ack: None,
                reply_token: None,
                update: None,
                announcement: None,
                handoff: None,
                take_back: false,
                origin: Default::default(),
                replies: vec![Reply::Choices {
                    body: Msg::DropOpened {
                        drop: &drop.name,
                        when: &zone.format(drop.starts_at, lang),
                    }
                    .text(lang),
                    menu_label: Msg::ChooseLabel.text(lang),
                    choices: vec![choice(Action::Menu, Msg::Menu.text(lang))],
                }],
            };
            match dispatch.reply(&bundle).await {
                Ok(()) => report.told += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(drop = %drop.id, error = %e, "a drop reminder could not be queued; the next sweep tries again");
                    store.unclaim(&reminder).await?;
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
#[path = "reminders_tests.rs"]
mod tests;
