//! Property 1: garbage is refused, never a panic. Arbitrary bytes as the body and arbitrary
//! header, query and URL values: `receive` returns an error, and never `Malformed`, since the
//! parser must not run on a request nobody authenticated.

use super::strategies::{Garbage, garbage};
use super::*;
use proptest::prelude::*;

/// Checks property 1 on one webhook.
pub fn garbage_is_refused(webhook: &dyn Webhook, g: &Garbage) -> Result<(), TestCaseError> {
    let pairs: Vec<(&str, &[u8])> = g.headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let result = receive(
        webhook,
        &g.method,
        &headers(&pairs),
        g.query.as_deref(),
        &g.url,
        &g.body,
    );
    prop_assert!(
        matches!(&result, Err(e) if !matches!(e, WebhookError::Malformed(_))),
        "an unsigned request must be refused before the parser: {result:?}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_refuses_garbage(g in garbage()) {
        garbage_is_refused(&whatsapp(), &g)?;
    }

    #[test]
    fn telegram_refuses_garbage(g in garbage()) {
        garbage_is_refused(&telegram(), &g)?;
    }

    #[test]
    fn messenger_refuses_garbage(g in garbage()) {
        garbage_is_refused(&messenger(), &g)?;
    }

    #[test]
    fn line_refuses_garbage(g in garbage()) {
        garbage_is_refused(&line(), &g)?;
    }

    #[test]
    fn viber_refuses_garbage(g in garbage()) {
        garbage_is_refused(&viber(), &g)?;
    }

    #[test]
    fn wechat_refuses_garbage(g in garbage()) {
        garbage_is_refused(&wechat(), &g)?;
    }

    #[test]
    fn sms_refuses_garbage(g in garbage()) {
        garbage_is_refused(&sms(), &g)?;
    }
}
