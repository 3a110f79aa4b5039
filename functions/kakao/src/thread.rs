//! The conversation's thread, both sides, for the person who takes a Kakao chat over.
//!
//! On the other channels the thread fills up on the way: the catalog consumer records what the
//! customer wrote (`record_inbound`) and notify what was sent (`record_outbound`). A Kakao turn
//! meets neither: it is answered in the skill response. So this function records both after
//! the turn, with the same items and keys: the customer's message by its event id
//! (a retried call derives the same id), each bundle of the answer as one sent message under
//! `chatdrop:<hash of bundle id>` (Kakao returns no message ids), so Kakao's retry of a call
//! rewrites the same items. The console shows them as for any platform, which is what lets a
//! person see what a Kakao customer asked before they answer in Kakao's 1:1 chat.
//!
//! A failure here is logged and costs the answer nothing: the customer's turn is committed
//! already, and a thread is a convenience for people, not state the conversation reads.
//! The items go in one `BatchWriteItem` (`DynamoStore::record_turn`), after the turn and before
//! the response: a few milliseconds of the 5-second budget, reported as `thread` in the response's
//! Server-Timing header beside `parse`, `turn` and `render` (after a handoff, `thread` also
//! covers the agents' alert, published beside these writes: `crate::alert`).

use chatdrop_domain::delivery::{Outgoing, SendMode};
use chatdrop_domain::inbound::InboundMessage;
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_store::DynamoStore;

/// Records `message` and the `bundles` answering it in the conversation's thread.
pub async fn record(store: &DynamoStore, message: &InboundMessage, bundles: &[ReplyBundle]) {
    let customer = message.conversation.hashed();
    // Usually one bundle, two after a hand-off: every item in one request with the customer's.
    let answers: Vec<Outgoing<'_>> = bundles
        .iter()
        .filter(|b| !b.replies.is_empty())
        .map(|bundle| Outgoing {
            bundle,
            first: 0,
            replies: &bundle.replies,
            mode: SendMode::Session,
            now: message.sent_at,
        })
        .collect();
    if let Err(e) = store.record_turn(message, &answers).await {
        tracing::warn!(%customer, error = %e, "could not record the Kakao turn in the thread");
    }
}
