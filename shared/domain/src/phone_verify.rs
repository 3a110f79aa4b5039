//! Phone verification by a one-time code: how a chat whose platform does not vouch for a phone
//! (Messenger, LINE, WeChat, Kakao, Viber) proves one, so that one person holds one draw entry
//! and one purchase limit across their chats.
//!
//! The port, [`PhoneVerifier`], has the shape of Twilio's Verify API
//! (<https://www.twilio.com/docs/verify/api>): *start* a verification (the service texts a code
//! to the number), then *check* a code the customer typed. Its rules are Twilio's own, written
//! once in [`Verification`] so the in-memory double ([`MemoryVerifier`]) and the local fake of
//! the Verify API (`xtask/src/platform/sms.rs`) behave as the service does:
//!
//! - a code is valid for 10 minutes, and a second start within them texts the same code
//!   (<https://www.twilio.com/docs/verify/api/rate-limits-and-timeouts>);
//! - at most 5 checks per verification (error 60202, HTTP 429,
//!   <https://www.twilio.com/docs/api/errors/60202>) and 5 sends (60203,
//!   <https://www.twilio.com/docs/api/errors/60203>); after that, only the code's expiry opens a
//!   new verification;
//! - a check with no verification pending (expired, approved, never started) is 404 (20404).
//!
//! A code is a secret for its 10 minutes: [`OneTimeCode`] has no `Display` and its `Debug`
//! prints nothing of it, so it cannot reach a log line by a stray `{:?}`.
//!
//! A phone verified on one chat is recorded on its session (`Session::verify_phone`, as a
//! Telegram contact share is), from where limits, draw entries and the consent ledger find the
//! person ([`crate::consent::PersonKey`], [`crate::checkout::customer_id`]).

use std::fmt;
use std::future::Future;

/// How long a code is valid (Twilio's default).
pub const CODE_TTL_SECONDS: i64 = 600;
/// Checks allowed per verification.
pub const MAX_CHECKS: u32 = 5;
/// Sends allowed per verification.
pub const MAX_SENDS: u32 = 5;

/// A code the customer typed, or one a verifier generated: digits only, never shown in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// The code in what the customer typed: 4 to 10 digits, spaces and dashes ignored
    /// (`123 456`, `123-456`); `None` for anything else.
    pub fn parse(typed: &str) -> Option<OneTimeCode> {
        let digits: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        ((4..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(OneTimeCode(digits))
    }

    /// The digits, for the one place that sends them (the verifier's request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(redacted)")
    }
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The code is right: the phone is the customer's.
    Approved,
    /// Wrong code; the verification stays pending (fewer checks left).
    Wrong,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a number the service can text (Twilio 60200 / 21211).
    #[error("not a phone number the service can text")]
    InvalidNumber,
    /// 5 checks used (60202): wait for the code to expire, then start again.
    #[error("too many wrong codes")]
    TooManyChecks,
    /// 5 sends without a check (60203).
    #[error("too many codes sent")]
    TooManySends,
    /// No verification pending: expired, approved already, or never started (20404).
    #[error("no code pending for this number")]
    NoPending,
    /// The service failed or could not be reached: worth retrying.
    #[error("verification service: {0}")]
    Unavailable(String),
}

/// The verification service.
pub trait PhoneVerifier: Send + Sync {
    /// Texts a code to `phone` (E.164).
    fn start(&self, phone: &str) -> impl Future<Output = Result<(), VerifyError>> + Send;

    /// Checks `code` for `phone`.
    fn check(
        &self,
        phone: &str,
        code: &OneTimeCode,
    ) -> impl Future<Output = Result<CheckOutcome, VerifyError>> + Send;
}

/// A boxed future of a verifier call, for [`DynPhoneVerifier`].
pub type VerifyFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, VerifyError>> + Send + 'a>>;

/// [`PhoneVerifier`] behind a pointer: what a function that builds its service at start-up
/// (the conversation functions, from crates that must not depend on the adapters) holds. Every
/// [`PhoneVerifier`] is one.
pub trait DynPhoneVerifier: Send + Sync {
    fn start_boxed<'a>(&'a self, phone: &'a str) -> VerifyFuture<'a, ()>;
    fn check_boxed<'a>(
        &'a self,
        phone: &'a str,
        code: &'a OneTimeCode,
    ) -> VerifyFuture<'a, CheckOutcome>;
}

impl<V: PhoneVerifier> DynPhoneVerifier for V {
    fn start_boxed<'a>(&'a self, phone: &'a str) -> VerifyFuture<'a, ()> {
        Box::pin(self.start(phone))
    }

    fn check_boxed<'a>(
        &'a self,
        phone: &'a str,
        code: &'a OneTimeCode,
    ) -> VerifyFuture<'a, CheckOutcome> {
        Box::pin(self.check(phone, code))
    }
}

/// No verification service configured: every call is [`VerifyError::Unavailable`], so a chat
/// asked for a code is told codes cannot be sent now rather than left waiting for one.
pub struct NoVerifier;

impl PhoneVerifier for NoVerifier {
    async fn start(&self, _: &str) -> Result<(), VerifyError> {
        Err(VerifyError::Unavailable(
            "no verification service configured".into(),
        ))
    }

    async fn check(&self, _: &str, _: &OneTimeCode) -> Result<CheckOutcome, VerifyError> {
        Err(VerifyError::Unavailable(
            "no verification service configured".into(),
        ))
    }
}

/// What the conversation's thread keeps of a customer's text: a message that is nothing but a
/// code-shaped number (4 to 10 digits, what [`OneTimeCode::parse`] takes) is kept as a
/// placeholder, since it may be a code typed while proving a phone, and the thread is read by
/// agents and kept for months. Anything else is kept as typed.
pub fn thread_text(body: &str) -> &str {
    if OneTimeCode::parse(body).is_some() {
        "[a code-like number, not kept]"
    } else {
        body
    }
}

/// One pending verification under the service's rules (module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    code: OneTimeCode,
    started_at: i64,
    sends: u32,
    checks: u32,
}

impl Verification {
    pub fn new(code: OneTimeCode, now: i64) -> Verification {
        Verification {
            code,
            started_at: now,
            sends: 1,
            checks: 0,
        }
    }

    pub fn expired(&self, now: i64) -> bool {
        now >= self.started_at + CODE_TTL_SECONDS
    }

    /// Another start within the validity: the same code again, counted.
    pub fn resend(&mut self) -> Result<&OneTimeCode, VerifyError> {
        if self.sends >= MAX_SENDS {
            return Err(VerifyError::TooManySends);
        }
        self.sends += 1;
        Ok(&self.code)
    }

    /// A check: `Ok(Approved)` ends the verification (the caller removes it).
    pub fn check(&mut self, code: &OneTimeCode, now: i64) -> Result<CheckOutcome, VerifyError> {
        if self.expired(now) {
            return Err(VerifyError::NoPending);
        }
        if self.checks >= MAX_CHECKS {
            return Err(VerifyError::TooManyChecks);
        }
        self.checks += 1;
        // Constant time: a code is a short secret, and a timing leak would shorten a guess.
        if subtle::ConstantTimeEq::ct_eq(self.code.0.as_bytes(), code.0.as_bytes()).into() {
            Ok(CheckOutcome::Approved)
        } else {
            Ok(CheckOutcome::Wrong)
        }
    }
}

/// The service in memory, under the same rules; codes come from `codes` in turn and what was
/// "texted" is kept in `sent` (what the tests read as the customer's SMS).
#[derive(Default)]
pub struct MemoryVerifier {
    pub codes: std::sync::Mutex<Vec<String>>,
    pub sent: std::sync::Mutex<Vec<(String, OneTimeCode)>>,
    pending: std::sync::Mutex<std::collections::HashMap<String, Verification>>,
    /// The service's clock (Unix seconds), set by the test.
    pub now: std::sync::atomic::AtomicI64,
}

impl PhoneVerifier for MemoryVerifier {
    async fn start(&self, phone: &str) -> Result<(), VerifyError> {
        if !phone.starts_with('+') || phone.len() < 8 {
            return Err(VerifyError::InvalidNumber);
        }
        let now = self.now.load(std::sync::atomic::Ordering::Relaxed);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let code = match pending.get_mut(phone).filter(|v| !v.expired(now)) {
            Some(v) => v.resend()?.clone(),
            None => {
                let next = self
                    .codes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop()
                    .unwrap_or_else(|| "123456".into());
                let code = OneTimeCode::parse(&next).ok_or(VerifyError::Unavailable(
                    "the test's code is not 4 to 10 digits".into(),
                ))?;
                pending.insert(phone.to_string(), Verification::new(code.clone(), now));
                code
            }
        };
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((phone.to_string(), code));
        Ok(())
    }

    async fn check(&self, phone: &str, code: &OneTimeCode) -> Result<CheckOutcome, VerifyError> {
        let now = self.now.load(std::sync::atomic::Ordering::Relaxed);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let v = pending.get_mut(phone).ok_or(VerifyError::NoPending)?;
        let outcome = v.check(code, now)?;
        if outcome == CheckOutcome::Approved {
            pending.remove(phone);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
#[path = "phone_verify_tests.rs"]
mod tests;
