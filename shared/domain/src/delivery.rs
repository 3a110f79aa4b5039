//! Delivering a reply bundle: in order, once, within the platform's rules, and with failures
//! told apart.
//!
//! `notify` hands each bundle to [`deliver`]. First the platform's sending rules are applied:
//! where a platform has a customer-service window (WhatsApp and Messenger 24 h after the
//! customer's last message, WeChat 48 h), a bundle outside it goes out only if it is an order
//! update and the platform has a sanctioned form for one (a WhatsApp template, a Messenger
//! message tag); anything else is *held*: recorded with its reason for ops to send or discard,
//! never silently dropped.
//!
//! A bundle a person wrote (`origin` `agent:<id>`, sent by the console) follows the same
//! window, with each platform's own allowance for people: Messenger lets a human agent answer
//! up to 7 days after the customer's last message under the `HUMAN_AGENT` tag, for
//! human-typed replies only
//! (<https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags>);
//! WhatsApp allows only templates after its 24 h
//! (<https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows>), so a
//! person's free text is held like the bot's; WeChat's customer-service messages have the same
//! 48 h for people and bots
//! (<https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html>);
//! KakaoTalk's skill cannot carry one at all (its `operator` action hands the chat to the
//! channel's own 1:1 chat). [`sending_mode`] says which, and why not, so the console can refuse
//! a reply with the reason before queueing it.
//!
//! Then the replies go out in the groups the adapter asks for ([`ChannelSender::batches`]: one
//! reply per call on most platforms, up to five per call on LINE, merged text on WeChat, whose
//! quota counts messages). After each group the progress and the platform's message ids are
//! recorded, so a redelivered bundle resumes where the last attempt stopped instead of
//! repeating what the customer already got, and the conversation's thread shows what was sent.
//! The adapter classifies each failure by the platform's error code, not the HTTP class:
//!
//! - permanent (bad recipient, blocked, outside the messaging window): recorded and dropped,
//!   because retrying cannot help;
//! - rate limited: wait the advised delay here for as long as [`RetryPolicy::wait_budget`]
//!   allows (notify gives it the time its invocation has left); past it, the bundle goes back
//!   to the queue and is retried after the advised delay. Never counted as a failure, never
//!   dead-lettered;
//! - over a platform's cap on messages to a customer who has not replied (Viber: 100 an
//!   hour), counted before each call ([`crate::send_cap`]): deferred, back to the queue to be
//!   looked at again within minutes; never sent into the platform's refusal, never counted as
//!   a failure, never dropped;
//! - transient (5xx, timeouts): returned to notify, which counts the failure in the bundle's
//!   `PROGRESS` item, retries after a backoff and dead-letters the bundle itself after 10
//!   failures (`RETRY_BUDGET`, about half an hour). The outbound queue's `maxReceiveCount`
//!   (1000, `shared/config/resources.json`) only guards against a consumer that crashes on a
//!   bundle every time.

use crate::channel::{Channel, ConversationId, full_hash};
use crate::dialogue::Reachability;
use crate::i18n::Lang;
use crate::inbound::DeliveryStatus;
use crate::ports::PortError;
use crate::reply::{Reply, ReplyBundle, ReplyToken};
use crate::send_cap::{CapAnswer, CapClaim, SendCounts, UnansweredCap, recheck_after};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    #[error("permanent failure (code {code:?}): {detail}")]
    Permanent { code: Option<i64>, detail: String },
    #[error("rate limited (code {code:?}); retry after {retry_after:?}")]
    RateLimited {
        code: Option<i64>,
        retry_after: Duration,
    },
    #[error("transient failure (code {code:?}): {detail}")]
    Transient { code: Option<i64>, detail: String },
}

/// A platform's rules for messages the customer did not just ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendingRules {
    /// The customer-service window after the customer's last message; `None`: no window.
    pub window: Option<Duration>,
    /// Whether an order update may still go out after the window, in the platform's
    /// sanctioned form (a WhatsApp template, a Messenger message tag).
    pub updates_after_window: bool,
    /// How long after the customer's last message a *person's* reply may still go out, in
    /// the platform's form for it (Messenger's `HUMAN_AGENT` tag, 7 days); none: a person is
    /// bound by `window` like the bot.
    pub human_agent_window: Option<Duration>,
    /// At most so many messages to one customer per period while they have not replied
    /// (Viber: 100 an hour); counted before each call and deferred past it
    /// ([`crate::send_cap`]). `None`: no such cap.
    pub unanswered_cap: Option<UnansweredCap>,
}

impl SendingRules {
    /// A platform that lets a business write whenever the customer has not blocked it.
    pub const NO_WINDOW: SendingRules = SendingRules {
        window: None,
        updates_after_window: true,
        human_agent_window: None,
        unanswered_cap: None,
    };
}

/// How a group of replies may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// Inside the customer-service window, or on a platform without one: any message.
    Session,
    /// Outside the window, an order update: the adapter uses its template or message tag.
    OrderUpdate,
    /// Outside the window, a reply a person typed, within the platform's longer window for
    /// people (Messenger's `HUMAN_AGENT` tag). Never for anything the bot wrote.
    HumanAgent,
}

/// One platform call's worth of a bundle.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub bundle: &'a ReplyBundle,
    /// The position of `replies[0]` in the bundle.
    pub first: usize,
    pub replies: &'a [Reply],
    pub mode: SendMode,
    /// Unix seconds, for the reply token's expiry.
    pub now: i64,
}

impl<'a> Outgoing<'a> {
    pub fn conversation(&self) -> &'a ConversationId {
        &self.bundle.conversation
    }

    pub fn lang(&self) -> Lang {
        self.bundle.lang
    }

    /// The inbound event's reply token, offered only to the bundle's first call and only while
    /// it is still good: it is single-use, so a later call or a retry after a use must push.
    pub fn reply_token(&self) -> Option<&'a ReplyToken> {
        self.bundle
            .reply_token
            .as_ref()
            .filter(|t| self.first == 0 && self.now < t.use_before)
    }

    /// A key the same for every attempt at this call and different for every other call: for
    /// platforms that deduplicate retried sends (LINE's `X-Line-Retry-Key`).
    pub fn idempotency_key(&self) -> String {
        full_hash(&format!("{}#{}", self.bundle.id, self.first))
    }
}

/// What a platform call produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The platform's ids of the messages sent, when it returns them (status reports refer to
    /// them).
    pub message_ids: Vec<String>,
}

impl Sent {
    pub fn ids(ids: impl IntoIterator<Item = String>) -> Sent {
        Sent {
            message_ids: ids.into_iter().collect(),
        }
    }
}

/// Sends to one platform; implemented by each channel adapter (and, dispatching on the
/// conversation's channel, by the set of all of them).
pub trait ChannelSender: Send + Sync {
    /// Acknowledges a platform token (Telegram's callback query) so the client stops waiting.
    fn acknowledge(
        &self,
        conversation: &ConversationId,
        token: &str,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;

    /// The platform's sending rules.
    fn rules(&self, channel: Channel) -> SendingRules;

    /// How `replies` are grouped into platform calls, as the length of each group in order
    /// (they sum to `replies.len()`). One reply per call unless the platform counts messages
    /// or takes several per call.
    fn batches(&self, channel: Channel, replies: &[Reply], mode: SendMode) -> Vec<usize> {
        let _ = (channel, mode);
        vec![1; replies.len()]
    }

    fn send(&self, out: &Outgoing<'_>) -> impl Future<Output = Result<Sent, SendFailure>> + Send;

    /// How many platform messages `send` makes of `out`: what a platform's cap on messages
    /// to a customer who has not replied counts ([`crate::send_cap`]). One per reply unless
    /// the adapter renders a reply as several (Viber: a pay link is its text and a `url`).
    fn messages(&self, out: &Outgoing<'_>) -> usize {
        out.replies.len()
    }

    /// Takes a slot under the platform's send rate for the next call to `conversation`;
    /// `Some(delay)` when the rate is used up for now. Unpaced by default.
    fn pace(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Option<Duration>, PortError>> + Send {
        let _ = conversation;
        std::future::ready(Ok(None))
    }
}

/// Where delivery progress, held and undeliverable bundles and the sent thread are recorded.
pub trait DeliveryLog: Send + Sync {
    /// How many replies of the bundle were already sent.
    fn sent_count(&self, bundle_id: &str) -> impl Future<Output = Result<usize, PortError>> + Send;
    fn record_sent(
        &self,
        bundle_id: &str,
        count: usize,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn record_undeliverable(
        &self,
        bundle: &ReplyBundle,
        failure: &SendFailure,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Keeps a bundle the rules do not allow to send now, whole, with the reason.
    fn record_held(
        &self,
        bundle: &ReplyBundle,
        reason: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Adds what one call sent to the conversation's thread.
    fn record_outbound(
        &self,
        out: &Outgoing<'_>,
        sent: &Sent,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Records a platform's delivery report against the sent message it names; a report that
    /// would move the status backwards (delivered after read) changes nothing.
    fn record_status(
        &self,
        conversation: &ConversationId,
        message_id: &str,
        status: DeliveryStatus,
        at: i64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What a reply says, in one short line: the thread's record of a sent message.
pub fn summary(reply: &Reply) -> String {
    let text = match reply {
        Reply::Text { body } | Reply::Choices { body, .. } => body.clone(),
        Reply::Image { url, caption } => {
            format!("[image {url}] {}", caption.as_deref().unwrap_or(""))
        }
        Reply::Link { body, url, .. } => format!("{body} {url}"),
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// How long a delivery may wait in place for the platform instead of going back to the queue.
///
/// Every return to the queue is a receive, and SQS counts receives towards the queue's
/// `maxReceiveCount` whatever the reason; so the longer a delivery can wait out a platform's
/// "slow down" inside one invocation, the fewer receives a long rate limit costs. notify sets
/// [`RetryPolicy::wait_budget`] from the time its invocation has left.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The longest advised delay waited in place; longer ones go back to the queue.
    pub max_wait: Duration,
    /// The total time one delivery may spend waiting in place: advised delays and send-rate
    /// windows together. Past it, the bundle goes back to the queue, rate limited.
    pub wait_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_wait: Duration::from_secs(10),
            wait_budget: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Every reply has been sent (now or by an earlier attempt).
    All,
    /// A permanent failure: recorded, the rest dropped. The failure says whether the customer
    /// stopped us ([`crate::consent::refused_by_customer`]).
    Undeliverable(SendFailure),
    /// Not allowed to go out now: recorded with this reason for ops to send or discard.
    Held(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later through the queue.
    #[error("retry later: {0}")]
    Retry(SendFailure),
    /// Over the platform's cap on messages to a customer who has not replied
    /// ([`crate::send_cap`]): back to the queue to look again after `retry_after`; the cap
    /// has room at `resume_at` (Unix seconds), or as soon as the customer replies. Not a
    /// failure: never counted, never dead-lettered.
    #[error(
        "deferred: {} messages per {} s to a customer who has not replied; room at {resume_at}",
        cap.messages,
        cap.per.as_secs()
    )]
    Deferred {
        cap: UnansweredCap,
        resume_at: i64,
        retry_after: Duration,
    },
    #[error(transparent)]
    Port(#[from] PortError),
}

/// When the delivery happens, relative to the customer's last message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Unix seconds.
    pub now: i64,
    /// When the customer last wrote, if ever (the session's `last_heard_at`).
    pub last_heard_at: Option<i64>,
    /// Whether the customer lets us write (the session's `reachability`): once they opted out
    /// (SMS `STOP`), nothing goes out, order updates included.
    pub reachability: Reachability,
}

/// The mode a bundle may go out in now, or why it may not.
pub fn sending_mode(
    rules: SendingRules,
    bundle: &ReplyBundle,
    at: Moment,
) -> Result<SendMode, String> {
    if at.reachability.is_opted_out() {
        return Err("the customer opted out of messages".into());
    }
    let Some(window) = rules.window else {
        return Ok(SendMode::Session);
    };
    let open = at
        .last_heard_at
        .is_some_and(|t| at.now.saturating_sub(t) < window.as_secs() as i64);
    let person = !bundle.origin.is_bot();
    if open {
        Ok(SendMode::Session)
    } else if person
        && let Some(longer) = rules.human_agent_window
        && at
            .last_heard_at
            .is_some_and(|t| at.now.saturating_sub(t) < longer.as_secs() as i64)
    {
        Ok(SendMode::HumanAgent)
    } else if person && window.is_zero() {
        // KakaoTalk: a skill answers only inside the customer's own request, and a person
        // takes over through Kakao's own tools (the `operator` button hands the chat to the
        // channel's 1:1 chat, `CHATDROP_KAKAO_OPERATOR`; 상담톡 through a partner), not
        // through this bot.
        Err(format!(
            "{} cannot carry a person's reply: hand the chat over with Kakao's `operator` action and answer in the channel's own 1:1 chat",
            bundle.conversation.channel
        ))
    } else if person {
        let hours = window.as_secs() / 3600;
        Err(match rules.human_agent_window {
            Some(longer) => format!(
                "a person's reply more than {} days after the customer's last message",
                longer.as_secs() / 86_400
            ),
            None if rules.updates_after_window => format!(
                "outside the {hours} h customer-service window: only an approved template may go out now"
            ),
            None => format!("outside the {hours} h customer-service window"),
        })
    } else if let Some(announcement) = &bundle.announcement {
        // A promotion outside the window: only an approved marketing template may carry it
        // (WhatsApp); never a message tag, which Messenger forbids for promotions.
        match announcement.template {
            Some(_) => Ok(SendMode::Session),
            None => Err(format!(
                "no window: an announcement outside the {} h customer-service window",
                window.as_secs() / 3600
            )),
        }
    } else if bundle.update.is_some() && rules.updates_after_window {
        Ok(SendMode::OrderUpdate)
    } else if window.is_zero() {
        // A platform answered only inside the conversation's own request (KakaoTalk's skill):
        // nothing may be pushed, and ops should read why rather than "a 0 h window".
        Err(format!(
            "{} takes no message outside the conversation's own answer, and no sanctioned form (a template) is built for it",
            bundle.conversation.channel
        ))
    } else {
        let hours = window.as_secs() / 3600;
        Err(match bundle.update {
            Some(_) => format!(
                "outside the {hours} h customer-service window and no template or tag is configured for order updates on {}",
                bundle.conversation.channel
            ),
            None => format!("outside the {hours} h customer-service window"),
        })
    }
}

/// Delivers `bundle`: see the module's documentation. `counts` is where the platform's cap on
/// messages to a customer who has not replied is counted, on the platforms that have one.
pub async fn deliver<S, L, C, W, F>(
    bundle: &ReplyBundle,
    sender: &S,
    log: &L,
    counts: &C,
    policy: RetryPolicy,
    wait: W,
    at: Moment,
) -> Result<Delivered, DeliveryError>
where
    S: ChannelSender,
    L: DeliveryLog,
    C: SendCounts,
    W: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let channel = bundle.conversation.channel;
    let already = log.sent_count(&bundle.id).await?;
    if already >= bundle.replies.len() {
        return Ok(Delivered::All);
    }
    let rules = sender.rules(channel);
    let mode = match sending_mode(rules, bundle, at) {
        Ok(mode) => mode,
        Err(reason) => {
            log.record_held(bundle, &reason).await?;
            return Ok(Delivered::Held(reason));
        }
    };
    if already == 0
        && let Some(token) = &bundle.ack
    {
        // A lost acknowledgement only leaves a spinner running; never hold replies for it.
        let _ = sender.acknowledge(&bundle.conversation, token).await;
    }
    let remaining = &bundle.replies[already..];
    let mut first = already;
    // Groups that do not cover every reply leave the rest to go one by one.
    let mut sizes = sender.batches(channel, remaining, mode).into_iter();
    // Time spent waiting in place so far, against the policy's budget.
    let mut waited = Duration::ZERO;
    while first < bundle.replies.len() {
        let size = sizes.next().unwrap_or(1).max(1);
        let end = (first + size).min(bundle.replies.len());
        let out = Outgoing {
            bundle,
            first,
            replies: &bundle.replies[first..end],
            mode,
            now: at.now,
        };
        // The platform's pace first, shared by every instance: waiting here is cheaper than
        // a rate-limit error, and a platform that keeps erroring may block the sender.
        while let Some(delay) = sender.pace(&bundle.conversation).await? {
            if waited + delay > policy.wait_budget {
                return Err(DeliveryError::Retry(SendFailure::RateLimited {
                    code: None,
                    retry_after: delay,
                }));
            }
            waited += delay;
            wait(delay).await;
        }
        // Then the customer's own cap, counted just before the call, so that a count is
        // followed by the call it was for (a retry of it counts nothing more).
        if let Some(cap) = rules.unanswered_cap {
            let call = out.idempotency_key();
            let claim = CapClaim {
                conversation: &bundle.conversation,
                since: at.last_heard_at.unwrap_or(0),
                call: &call,
                messages: u32::try_from(sender.messages(&out)).unwrap_or(u32::MAX),
                now: at.now,
            };
            if let CapAnswer::Full { retry_at } = counts.count(cap, &claim).await? {
                return Err(DeliveryError::Deferred {
                    cap,
                    resume_at: retry_at,
                    retry_after: recheck_after(retry_at, at.now),
                });
            }
        }
        let sent = loop {
            match sender.send(&out).await {
                Ok(sent) => break sent,
                Err(SendFailure::RateLimited { retry_after, .. })
                    if retry_after <= policy.max_wait
                        && waited + retry_after <= policy.wait_budget =>
                {
                    waited += retry_after;
                    wait(retry_after).await;
                }
                Err(failure @ SendFailure::Permanent { .. }) => {
                    log.record_undeliverable(bundle, &failure).await?;
                    return Ok(Delivered::Undeliverable(failure));
                }
                Err(failure) => return Err(DeliveryError::Retry(failure)),
            }
        };
        log.record_outbound(&out, &sent).await?;
        log.record_sent(&bundle.id, end).await?;
        first = end;
    }
    Ok(Delivered::All)
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "delivery_agent_tests.rs"]
mod agent_tests;
