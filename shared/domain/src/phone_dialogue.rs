//! Proving a phone in the chat: one person, one limit and one draw entry across their chats.
//!
//! A drop can take one person per phone number ([`Drop::requires_verified_phone`]). WhatsApp
//! and SMS customers *are* their phone numbers, and a Telegram customer who shared their
//! contact has one the platform vouched for; everyone else (Messenger, LINE, WeChat, Kakao,
//! Viber, Telegram before a share) proves one here, by a code texted to it through the
//! [`crate::phone_verify`] port (Twilio Verify; the rules of codes, checks and sends are the
//! service's, written once there). Once proved, the phone is on the session
//! ([`Session::verify_phone`], as a Telegram contact share puts it), and from there purchase
//! limits ([`crate::checkout::customer_id`]), draw entries and the consent ledger
//! ([`crate::consent::PersonKey`]) count the person, not the chat; the chat's own limit units
//! join the phone's at the next checkout, as for a contact share.
//!
//! ```text
//!  checkout / "Enter the draw" of such a drop, from a chat with no phone (payment function)
//!     │  ask: "send your number"                 ┌── wrong code: "n more tries"
//!     ▼                                          ▼   │
//!  VerifyingPhone { phone: none } ── a number ──▶ VerifyingPhone { phone, sent_at, checks }
//!     ▲   (parsed in the market's country;          │  the right code (or a Telegram contact)
//!     │    the service texts a code)                ▼
//!     └──── "Another number" ────────────────── Browsing, phone verified ──▶ the checkout or
//!                                                   entry resumes (hand-off to payment)
//!  "cancel", the menu, any other intent or tap: Browsing, answered as usual
//!  Telegram: the ask also offers the keyboard button that shares the customer's own contact
//!  expired: "New code"; 5 wrong codes: told when a new one can be asked for
//! ```
//!
//! Typed text goes to the catalog function (ingress routes by payload alone), so the dialogue
//! runs there, before the catalog flow ([`crate::process`]), with the verifier the function
//! holds. The resumed action is handed to the payment function as a tap of its own (the
//! event's id, so its order id and marker are this message's); the code itself never leaves
//! this turn: it is not in the session, not in the hand-off, not in any log line
//! ([`OneTimeCode`] prints nothing), and the thread keeps a placeholder for it
//! ([`crate::phone_verify::thread_text`]).
//!
//! A retried turn runs again against the service: a second start within the code's life texts
//! the same code (Twilio's rule), and a check after an approval whose commit was lost finds
//! nothing pending, which the customer reads as an expired code and a "New code" away.

use crate::action::{Action, Handler};
use crate::catalog::Catalog;
use crate::channel::Channel;
use crate::dialogue::{DialogueState, Resume, Session, Verifying};
use crate::drops::Drop;
use crate::i18n::{Lang, Msg, Voice};
use crate::inbound::{InboundContent, InboundMessage};
use crate::keywords::{self, Meaning};
use crate::phone_number::{default_region, display, typed_phone};
use crate::phone_verify::{
    CODE_TTL_SECONDS, CheckOutcome, DynPhoneVerifier, MAX_CHECKS, OneTimeCode, VerifyError,
};
use crate::process::Outcome;
use crate::reply::{Choice, Reply};
use crate::time_zone::CustomerZone;

/// Whether a chat must prove a phone before taking part in `drop`: the drop asks for one and
/// the chat's customer record is not a phone's (`customer`, [`crate::checkout::customer_id`]).
pub fn must_verify(drop: &Drop, customer: &str) -> bool {
    drop.requires_verified_phone() && !customer.starts_with("phone:")
}

/// Starts the dialogue for `drop` (its name), to `resume` once the phone is proved; a chat
/// already waiting for a live code is asked for that code again instead of a new number.
pub fn ask(
    session: &mut Session,
    resume: Resume,
    drop: &str,
    channel: Channel,
    voice: Voice<'_>,
    now: i64,
) -> Vec<Reply> {
    if let DialogueState::VerifyingPhone(v) = &mut session.state
        && let Some(phone) = v.phone.clone()
        && now < v.sent_at + CODE_TTL_SECONDS
    {
        v.resume = resume;
        let body = Msg::PhoneTypeCode(&display(&phone)).text(voice);
        return vec![code_prompt(body, voice)];
    }
    session.state = DialogueState::VerifyingPhone(Verifying::ask(resume, drop));
    number_prompt(Msg::PhoneAsk(drop).text(voice), channel, voice)
}

/// What the customer's message means to the dialogue.
enum Step {
    /// Typed text: the number, or the code.
    Typed(String),
    /// The platform vouched for this phone (a Telegram contact share).
    Proved(String),
    NewCode,
    OtherNumber,
    /// "cancel": out, with the menu.
    Cancel,
    /// Anything else the flows understand (the menu, the cart, a tap): out, answered by them.
    Leave,
}

/// The dialogue's answer to `message` while the session is in it; `None` when the message
/// is not for it (the session then left the step where the message leads elsewhere, and the
/// catalog flow answers as usual).
pub async fn answer(
    catalog: &Catalog,
    lang: Lang,
    session: &mut Session,
    message: &InboundMessage,
    verifier: &dyn DynPhoneVerifier,
) -> Option<Outcome> {
    let DialogueState::VerifyingPhone(v) = &session.state else {
        return None;
    };
    let mut v = v.clone();
    let step = match &message.content {
        InboundContent::Contact { phone } => Step::Proved(phone.clone()),
        InboundContent::Action { payload, .. } => tapped(payload),
        InboundContent::Text { body } => read(body, session),
        // A picture, a sticker: the catalog flow answers it; the step stays.
        _ => return None,
    };
    let voice = catalog.voice(lang);
    let now = message.sent_at;
    let channel = message.conversation.channel;
    let market = catalog.market_for(channel);
    let replies = match step {
        Step::Leave => {
            session.state = DialogueState::Browsing;
            return None;
        }
        Step::Cancel => {
            session.state = DialogueState::Browsing;
            return Some(Outcome::Reply(crate::browse::menu(catalog, lang, false)));
        }
        Step::Proved(phone) => return Some(proved(session, &v.resume, phone, message)),
        Step::OtherNumber => {
            v.phone = None;
            number_prompt(Msg::PhoneAsk(&v.drop).text(voice), channel, voice)
        }
        Step::NewCode => match v.phone.clone() {
            Some(phone) => send(&mut v, phone, verifier, voice, now).await,
            None => number_prompt(Msg::PhoneAsk(&v.drop).text(voice), channel, voice),
        },
        Step::Typed(text) => match (v.phone.clone(), OneTimeCode::parse(&text)) {
            (Some(phone), Some(code)) => match verifier.check_boxed(&phone, &code).await {
                Ok(CheckOutcome::Approved) => {
                    return Some(proved(session, &v.resume, phone, message));
                }
                Ok(CheckOutcome::Wrong) => {
                    v.checks = (v.checks + 1).min(MAX_CHECKS);
                    let left = MAX_CHECKS - v.checks;
                    tracing::info!(left, "phone verification: wrong code");
                    if left == 0 {
                        vec![too_many_tries(&v, &phone, &market, voice)]
                    } else {
                        vec![code_prompt(Msg::PhoneCodeWrong(left).text(voice), voice)]
                    }
                }
                Err(e) => failed(&mut v, e, &market, voice),
            },
            (phone, _) => match typed_phone(&text, default_region(&market)) {
                // A number, whether asked for or typed instead of the code: text it a code.
                Some(e164) => send(&mut v, e164, verifier, voice, now).await,
                None => match phone {
                    Some(phone) => {
                        let body = Msg::PhoneTypeCode(&display(&phone)).text(voice);
                        vec![code_prompt(body, voice)]
                    }
                    None => vec![retry_prompt(Msg::PhoneNotANumber.text(voice), voice)],
                },
            },
        },
    };
    session.state = DialogueState::VerifyingPhone(v);
    Some(Outcome::Reply(replies))
}

fn tapped(payload: &str) -> Step {
    match Action::decode(payload) {
        Some(Action::VerifyNewCode) => Step::NewCode,
        // The share button's payload never comes back from Telegram (a tap sends the contact);
        // picked by its number where it was offered, it asks for the number again.
        Some(Action::VerifyOtherNumber | Action::VerifyShareContact) => Step::OtherNumber,
        _ => Step::Leave,
    }
}

/// Typed text: a number picking a choice shown, a word that leads out, else the number or code.
fn read(body: &str, session: &Session) -> Step {
    let text = body.trim();
    if let Some(payload) = keywords::typed_number(text).and_then(|n| session.offered.pick(n)) {
        return tapped(payload);
    }
    let meaning = keywords::understand(text)
        .map(|heard| heard.meaning)
        .or_else(|| {
            // Only a sentence that is wholly an intent ("I want to cancel"); digits never are.
            crate::intent::classify(text)
                .filter(|u| u.coverage >= 1.0)
                .map(|u| u.meaning)
        });
    match meaning {
        Some(Meaning::Cancel) => Step::Cancel,
        Some(_) => Step::Leave,
        None => Step::Typed(text.to_owned()),
    }
}

/// Texts a code to `phone` and says so; the verification's clock starts over only when the
/// service started a new one (another number, or the last code lapsed).
async fn send(
    v: &mut Verifying,
    phone: String,
    verifier: &dyn DynPhoneVerifier,
    voice: Voice<'_>,
    now: i64,
) -> Vec<Reply> {
    match verifier.start_boxed(&phone).await {
        Ok(()) => {
            if v.phone.as_deref() != Some(phone.as_str()) || now >= v.sent_at + CODE_TTL_SECONDS {
                v.sent_at = now;
                v.checks = 0;
            }
            v.phone = Some(phone);
            let phone = display(v.phone.as_deref().unwrap_or_default());
            tracing::info!("phone verification: code texted");
            let body = Msg::PhoneCodeSent {
                phone: &phone,
                minutes: CODE_TTL_SECONDS / 60,
            }
            .text(voice);
            vec![code_prompt(body, voice)]
        }
        Err(VerifyError::InvalidNumber) => {
            v.phone = None;
            vec![retry_prompt(Msg::PhoneNotANumber.text(voice), voice)]
        }
        Err(VerifyError::TooManySends) => {
            v.phone = Some(phone);
            vec![code_prompt(Msg::PhoneTooManyCodes.text(voice), voice)]
        }
        Err(e) => {
            tracing::warn!(error = %e, "phone verification: could not text a code");
            vec![Reply::Text {
                body: Msg::PhoneVerifyUnavailable.text(voice),
            }]
        }
    }
}

/// A check the service refused.
fn failed(
    v: &mut Verifying,
    e: VerifyError,
    market: &crate::market::Market,
    voice: Voice<'_>,
) -> Vec<Reply> {
    match e {
        VerifyError::NoPending => {
            vec![code_prompt(Msg::PhoneCodeExpired.text(voice), voice)]
        }
        VerifyError::TooManyChecks => {
            v.checks = MAX_CHECKS;
            let phone = v.phone.clone().unwrap_or_default();
            vec![too_many_tries(v, &phone, market, voice)]
        }
        VerifyError::TooManySends => vec![code_prompt(Msg::PhoneTooManyCodes.text(voice), voice)],
        VerifyError::InvalidNumber => {
            v.phone = None;
            vec![retry_prompt(Msg::PhoneNotANumber.text(voice), voice)]
        }
        VerifyError::Unavailable(why) => {
            tracing::warn!(error = %why, "phone verification: could not check a code");
            vec![Reply::Text {
                body: Msg::PhoneVerifyUnavailable.text(voice),
            }]
        }
    }
}

/// Five wrong codes: a new one once this one lapses, on the customer's clock.
fn too_many_tries(
    v: &Verifying,
    phone: &str,
    market: &crate::market::Market,
    voice: Voice<'_>,
) -> Reply {
    let at = v.sent_at + CODE_TTL_SECONDS;
    let zone = CustomerZone::resolve(Some(phone), market.time_zone.as_deref(), at);
    let body = Msg::PhoneTooManyTries(&zone.format(at, voice.lang)).text(voice);
    code_prompt(body, voice)
}

/// The phone is the customer's: on the session, out of the step, and on to what they were
/// doing, handed to the payment function as its own tap.
fn proved(
    session: &mut Session,
    resume: &Resume,
    phone: String,
    message: &InboundMessage,
) -> Outcome {
    session.verify_phone(phone);
    session.state = DialogueState::Browsing;
    tracing::info!("phone verification: approved");
    let action = match resume {
        Resume::Checkout => Action::Checkout,
        Resume::DrawEntry { drop } => Action::DrawEnter(drop.clone()),
    };
    let mut forwarded = message.clone();
    forwarded.content = InboundContent::Action {
        payload: action.encode(),
        title: None,
    };
    Outcome::HandOff(Handler::Payment, forwarded)
}

fn choice(action: Action, title: String) -> Choice {
    Choice {
        id: action.encode(),
        title,
        description: None,
    }
}

/// Asking for the number, with a way out; where the platform has a button that sends the
/// customer's own number (Telegram), a second message offers it. It is a message of its own
/// because Telegram draws that button on the keyboard below the chat (a reply keyboard), and a
/// message carries either that or buttons under it, not both: the ask keeps its "Cancel" tap.
fn number_prompt(body: String, channel: Channel, voice: Voice<'_>) -> Vec<Reply> {
    let mut replies = vec![retry_prompt(body, voice)];
    if channel.spec().shares_own_contact {
        replies.push(Reply::Choices {
            body: Msg::PhoneShareHint.text(voice),
            menu_label: Msg::ChooseLabel.text(voice),
            choices: vec![choice(
                Action::VerifyShareContact,
                Msg::PhoneShareButton.text(voice),
            )],
        });
    }
    replies
}

/// Asking for the number again (what was typed was not one), with a way out; the share
/// button, where there is one, stays on the keyboard from the ask.
fn retry_prompt(body: String, voice: Voice<'_>) -> Reply {
    Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![choice(Action::Menu, Msg::Cancel.text(voice))],
    }
}

/// Asking for the code: a new one, another number, or out.
fn code_prompt(body: String, voice: Voice<'_>) -> Reply {
    Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![
            choice(Action::VerifyNewCode, Msg::PhoneNewCodeButton.text(voice)),
            choice(
                Action::VerifyOtherNumber,
                Msg::PhoneOtherNumberButton.text(voice),
            ),
            choice(Action::Menu, Msg::Cancel.text(voice)),
        ],
    }
}

#[cfg(test)]
#[path = "phone_dialogue_tests.rs"]
mod tests;
