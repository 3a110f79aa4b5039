//! A customer who asks for a person ("I want to talk to a human", `atendente`, `人工客服`,
//! `担当者と話したい`, `상담원 연결`, `ขอคุยกับพนักงาน`, "mau bicara dengan admin") or complains
//! ("my bag arrived broken", `我要投诉`): the one place the conversation flows send them.
//!
//! [`crate::intent`] recognises both ([`Meaning::Human`](crate::keywords::Meaning::Human),
//! [`Meaning::Complaint`](crate::keywords::Meaning::Complaint)) and [`crate::browse`] routes them
//! here. Handing the conversation to an agent (telling agents, the customer's expected wait,
//! the bot's silence while a person owns the chat, each platform's rules) is the handoff's
//! work (`crate::handoff`, `HandoffReason::Asked` / `HandoffReason::Complaint`), built on its
//! own branch; until it is connected here, the customer gets the menu as before.

use crate::browse;
use crate::process::{Outcome, Turn};

/// The answer to a request for a person (`complaint`: they complained rather than asked).
///
/// The handoff branch connects this function: `complaint` selects `HandoffReason::Complaint`,
/// otherwise `HandoffReason::Asked`. For now it answers with the menu, as before intents.
pub fn asked_for_person(turn: Turn<'_>, complaint: bool) -> Outcome {
    let _ = complaint;
    Outcome::Reply(browse::menu(turn.catalog, turn.lang, false))
}
