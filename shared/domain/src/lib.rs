//! The chatdrop domain: what a customer can do in a chat, with no AWS or platform types.
//!
//! A customer's message arrives as an [`InboundMessage`](inbound::InboundMessage): the channel
//! adapters have already turned a WhatsApp, Telegram, Messenger, LINE, WeChat or SMS payload
//! (the six [`Channel`](channel::Channel)s) into plain Rust. The conversation flows
//! ([`browse`] for the catalog, [`shopping`] for customization and the cart) are pure functions
//! from (session, catalog, message) to (new session, replies). The replies are
//! channel-neutral [`Reply`](reply::Reply) values that each adapter renders into its platform's
//! richest fitting form.
//!
//! Everything with side effects sits behind the small traits in [`ports`]: the DynamoDB store, the
//! SQS queues and the channel senders are adapters in other crates, and the tests here use
//! in-memory stand-ins. [`process`] is the one place that strings a message through those ports
//! idempotently, so both conversation functions (catalog and cart) share it.

pub mod action;
pub mod alimtalk;
pub mod beacon;
pub mod browse;
pub mod campaign;
pub mod campaign_budget;
pub mod campaign_fanout;
pub mod campaign_outcome;
pub mod campaign_pace;
pub mod campaign_rules;
pub mod cart;
pub mod catalog;
pub mod channel;
pub mod channel_spec;
pub mod checkout;
pub mod clock;
pub mod consent;
pub mod customer_tags;
pub mod customization;
pub mod delayed_payment;
pub mod delivery;
pub mod dialogue;
pub mod draw;
pub mod draw_flow;
pub mod draw_memory;
pub mod drops;
pub mod handoff;
pub mod i18n;
pub mod ids;
pub mod inbound;
pub mod inbox;
pub mod intent;
mod intent_phrases;
pub mod keywords;
pub mod lang;
pub mod language;
pub mod local_time;
pub mod localized;
pub mod market;
pub mod messages;
pub mod money;
mod my_orders;
pub mod order_events;
pub mod orders;
pub mod pay_link;
pub mod payment;
pub mod payment_method;
pub mod personal_data;
pub mod phone_dialogue;
pub mod phone_number;
pub mod phone_verify;
pub mod ports;
pub mod process;
pub mod reminders;
pub mod reply;
pub mod search;
mod search_index;
mod search_words;
pub mod send_cap;
pub mod shopping;
pub mod sweep;
pub mod time_zone;
pub mod vip;
pub mod waitlist;
pub mod waitlist_flow;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
pub(crate) mod testing_handoff;
#[cfg(test)]
pub(crate) mod testing_inbox;
#[cfg(test)]
pub(crate) mod testing_orders;
#[cfg(test)]
pub(crate) mod testing_waitlist;
