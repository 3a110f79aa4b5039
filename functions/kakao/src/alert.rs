//! Telling the agents that a Kakao customer waits for a person.
//!
//! On the queued channels the bundle that promises a person also alerts the agents: notify
//! publishes it to the agents' SNS topic before it sends (`alert_once`, claimed on the handoff
//! list so it goes once per handoff). A Kakao answer never passes through notify, so this
//! function does the same itself, with the same claim: a Kakao retry of the call replays the
//! turn's answer, finds the alert claimed and publishes nothing more.
//!
//! Why in the request rather than on a queue: the publish is one SNS call (a few milliseconds
//! of Kakao's 5 seconds), run beside the thread's writes, and the function has no queue to hand
//! it to. A failed publish gives its claim back and is logged; the answer still goes out (the
//! customer's turn is committed, and the customer is the one waiting). Kakao's retry of the
//! call, if any, publishes it then; otherwise the sweep's escalation of a handoff nobody took
//! (`HANDOFF_ESCALATE_MINUTES`) is the backstop, as it is for every channel.

use chatdrop_domain::handoff::{AgentAlerts, AlertKind, alert_once};
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_store::DynamoStore;

/// Publishes the one "new" alert of each handoff among `bundles` (usually none, one after a
/// handoff). Returns how many were published now.
pub async fn handed_over<A: AgentAlerts>(
    store: &DynamoStore,
    alerts: &A,
    bundles: &[ReplyBundle],
    now: i64,
) -> usize {
    let mut published = 0;
    for bundle in bundles {
        let Some(notice) = bundle.handoff else {
            continue;
        };
        let customer = bundle.conversation.hashed();
        match alert_once(
            store,
            alerts,
            AlertKind::New,
            &bundle.conversation,
            notice,
            bundle.lang,
            now,
        )
        .await
        {
            Ok(true) => {
                published += 1;
                tracing::info!(%customer, reason = notice.reason.as_str(), "agents alerted");
            }
            Ok(false) => {}
            Err(e) => tracing::error!(
                %customer,
                error = %e,
                "could not alert the agents; the sweep escalates the handoff if nobody takes it"
            ),
        }
    }
    published
}
