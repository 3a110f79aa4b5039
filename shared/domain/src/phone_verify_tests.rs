use super::*;
use std::sync::atomic::Ordering;

fn code(s: &str) -> OneTimeCode {
    OneTimeCode::parse(s).unwrap()
}

#[test]
fn a_code_is_digits_and_never_printed() {
    assert_eq!(OneTimeCode::parse("123 456"), Some(code("123456")));
    assert_eq!(OneTimeCode::parse("123-456").unwrap().expose(), "123456");
    assert_eq!(OneTimeCode::parse("12a456"), None);
    assert_eq!(OneTimeCode::parse("123"), None);
    assert_eq!(OneTimeCode::parse("12345678901"), None);
    let shown = format!("{:?} {:?}", code("987654"), Some(code("987654")));
    assert!(!shown.contains("987654"), "{shown}");
}

#[test]
fn five_checks_then_refused_and_a_code_expires_after_ten_minutes() {
    let mut v = Verification::new(code("424242"), 1_000);
    for _ in 0..4 {
        assert_eq!(v.check(&code("000000"), 1_001), Ok(CheckOutcome::Wrong));
    }
    assert_eq!(v.check(&code("424242"), 1_002), Ok(CheckOutcome::Approved));
    assert_eq!(
        v.check(&code("424242"), 1_003),
        Err(VerifyError::TooManyChecks),
        "the sixth check is refused even with the right code"
    );
    let mut late = Verification::new(code("424242"), 1_000);
    assert_eq!(
        late.check(&code("424242"), 1_000 + CODE_TTL_SECONDS),
        Err(VerifyError::NoPending)
    );
    let mut resent = Verification::new(code("424242"), 1_000);
    for _ in 1..MAX_SENDS {
        assert_eq!(resent.resend(), Ok(&code("424242")));
    }
    assert_eq!(resent.resend(), Err(VerifyError::TooManySends));
}

#[tokio::test]
async fn the_memory_verifier_texts_one_code_per_window_and_approves_it_once() {
    let v = MemoryVerifier::default();
    v.codes.lock().unwrap().push("314159".into());
    v.now.store(5_000, Ordering::Relaxed);
    assert_eq!(v.start("12").await, Err(VerifyError::InvalidNumber));
    v.start("+818012345678").await.unwrap();
    v.start("+818012345678").await.unwrap();
    let sent = v.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].1, sent[1].1, "a second start texts the same code");
    assert_eq!(
        v.check("+818012345678", &code("271828")).await,
        Ok(CheckOutcome::Wrong)
    );
    assert_eq!(
        v.check("+818012345678", &code("314159")).await,
        Ok(CheckOutcome::Approved)
    );
    assert_eq!(
        v.check("+818012345678", &code("314159")).await,
        Err(VerifyError::NoPending),
        "approved: nothing pending any more"
    );
    // A fresh start after expiry draws a new code.
    v.codes.lock().unwrap().push("161803".into());
    v.start("+818012345678").await.unwrap();
    v.now.store(5_000 + CODE_TTL_SECONDS + 1, Ordering::Relaxed);
    assert_eq!(
        v.check("+818012345678", &code("161803")).await,
        Err(VerifyError::NoPending)
    );
}
