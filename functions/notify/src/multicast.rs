//! A campaign's LINE multicast: one bundle for up to 99 friends
//! (`chatdrop_domain::campaign_fanout::multicast`), sent as one request.
//!
//! What the per-conversation path does for one customer, this does for the batch: every
//! member's consent is read again as the message leaves (a "stop" since the fan-out withdraws
//! that member only), the platform's pace admits the call, the call carries the bundle's retry
//! key (a redelivered bundle repeats the same request, which LINE answers "already accepted"),
//! and each member's send record is written. LINE has no window for a push and answers a
//! multicast without per-user results: a friend who blocked the account is skipped by LINE
//! silently (and told us with an `unfollow` event, which opted them out already).

use crate::{Notify, transient};
use chatdrop_domain::campaign_outcome::{self, AnnouncementLog};
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::consent;
use chatdrop_domain::delivery::{ChannelSender, Outgoing, SendFailure, SendMode};
use chatdrop_domain::ports::SessionStore;
use chatdrop_domain::reply::{Announcement, ReplyBundle};
use chatdrop_queue::fifo::RecordResult;

/// How many times notify waits in place for the platform's pace before giving the bundle back
/// to the queue.
const MOST_PACE_WAITS: usize = 20;

/// Delivers a multicast bundle whose audience is `announcement.audience`.
pub(crate) async fn deliver(
    app: &Notify,
    bundle: &ReplyBundle,
    announcement: &Announcement,
    receipt: Option<&str>,
) -> RecordResult<String> {
    let mut agreeing: Vec<&ConversationId> = Vec::new();
    for member in &announcement.audience {
        let session = match app.store.session(member).await {
            Ok(session) => session,
            Err(e) => return RecordResult::Retry(e.to_string()),
        };
        match consent::may_announce(app.store.as_ref(), member, &session).await {
            Ok(true) => agreeing.push(member),
            Ok(false) => {}
            Err(e) => return RecordResult::Retry(e.to_string()),
        }
    }
    let withdrawn = announcement.audience.len() - agreeing.len();
    if agreeing.is_empty() {
        tracing::info!(
            withdrawn,
            "multicast withdrawn: nobody in it agrees any more"
        );
        return RecordResult::Done;
    }
    // The channel's shared pace: one call, one token; without one after the waits, the call
    // is not made and the bundle comes back.
    let mut admitted = false;
    for _ in 0..MOST_PACE_WAITS {
        match app.senders.pace(&bundle.conversation).await {
            Ok(None) => {
                admitted = true;
                break;
            }
            Ok(Some(delay)) => tokio::time::sleep(delay).await,
            Err(e) => return RecordResult::Retry(e.to_string()),
        }
    }
    if !admitted {
        tracing::info!("multicast paced out; back on the queue");
        return RecordResult::Retry("paced".to_string());
    }
    let sender = match app.senders.sender(bundle.conversation.channel) {
        Ok(sender) => sender,
        Err(failure) => {
            tracing::error!(error = %failure, "multicast for a channel this deployment lacks");
            return RecordResult::Done;
        }
    };
    let to: Vec<String> = agreeing.iter().map(|c| c.customer.clone()).collect();
    let now = app.clock.now();
    let out = Outgoing {
        bundle,
        first: 0,
        replies: &bundle.replies,
        mode: SendMode::Session,
        now,
    };
    let campaign = announcement.campaign.as_str();
    match sender.multicast(&out, &to).await {
        Ok(_) => {
            for member in &agreeing {
                if let Err(e) = app
                    .store
                    .record_sent(campaign, member, announcement.attempt, &[], now)
                    .await
                {
                    // Back on the queue: the call is repeated under the same retry key, which
                    // LINE answers as already accepted, and the records are written then.
                    return RecordResult::Retry(e.to_string());
                }
            }
            tracing::info!(recipients = to.len(), withdrawn, "multicast sent");
            RecordResult::Done
        }
        Err(SendFailure::RateLimited { retry_after, .. }) => {
            tracing::info!(
                ?retry_after,
                "multicast rate limited; retried after the delay"
            );
            if let Some(handle) = receipt
                && let Err(e) = app.queues.delay_outbound(handle, retry_after).await
            {
                tracing::warn!(error = %e, "could not set the retry delay");
            }
            RecordResult::Retry("rate limited".to_string())
        }
        Err(failure @ SendFailure::Transient { .. }) => {
            transient(app, bundle, failure, receipt).await
        }
        Err(SendFailure::Permanent { code, detail }) => {
            tracing::warn!(?code, %detail, "multicast refused by the platform");
            let channel = bundle.conversation.channel;
            let outcome = campaign_outcome::refused(channel, code, announcement.attempt, now);
            for member in &agreeing {
                if let Err(e) = app
                    .store
                    .record_refused(campaign, member, announcement.attempt, &outcome)
                    .await
                {
                    tracing::error!(error = %e, "could not record the refusal of a multicast");
                    break;
                }
            }
            RecordResult::Done
        }
    }
}
