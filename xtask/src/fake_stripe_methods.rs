//! The fake Stripe's payment methods: what a Checkout Session create may ask for, checked as
//! Stripe checks it, and the buttons and voucher page its payment page shows.
//!
//! A create's `allowed_payment_method_types[]` and `payment_method_options[…][…]` are recorded
//! on the session (`FakeSession::allowed_payment_method_types`, `payment_method_options`) so
//! the end-to-end tests can assert what chatdrop sent. Refused, with a 400 in Stripe's shape:
//!
//! - a type the fake does not know (it knows chatdrop's [`PaymentMethod`]s);
//! - a method in a currency Stripe does not present it in (the facts on [`PaymentMethod`],
//!   `docs/payment-methods.md`);
//! - `wechat_pay` without `payment_method_options[wechat_pay][client]` (`web`, or `ios` /
//!   `android` with an `app_id`), as Stripe requires for WeChat Pay;
//! - Konbini's `expires_after_days` outside 1..=60, Pix's `expires_after_seconds` outside
//!   10..=1,209,600.
//!
//! Paying with a method that settles later (Konbini, Pix) completes the session `unpaid` and
//! shows a voucher page whose buttons settle it (`async_payment_succeeded` / `…_failed`), the
//! two outcomes Stripe reports days later.

use crate::fake_stripe::FakeSession;
use chatdrop_domain::payment_method::{KONBINI_DAYS, PIX_SECONDS, PaymentFlow, PaymentMethod};
use std::collections::BTreeMap;

/// Options per method, as sent: `payment_method_options[konbini][expires_after_days]=3` is
/// `{"konbini": {"expires_after_days": "3"}}`.
pub type MethodOptions = BTreeMap<String, BTreeMap<String, String>>;

/// The `payment_method_options[…][…]` fields of a create form.
pub fn parse_options(form: &[(String, String)]) -> MethodOptions {
    let mut options = MethodOptions::new();
    for (key, value) in form {
        let Some(rest) = key.strip_prefix("payment_method_options[") else {
            continue;
        };
        let Some((method, field)) = rest.split_once("][") else {
            continue;
        };
        let field = field.trim_end_matches(']');
        options
            .entry(method.to_owned())
            .or_default()
            .insert(field.to_owned(), value.clone());
    }
    options
}

/// The options as the session object shows them: numbers as JSON numbers, as Stripe's
/// `payment_method_options` do (async-stripe reads `expires_after_days` as an integer).
pub fn options_json(options: &MethodOptions) -> serde_json::Value {
    let value = |v: &String| match v.parse::<i64>() {
        Ok(n) => serde_json::json!(n),
        Err(_) => serde_json::json!(v),
    };
    serde_json::Value::Object(
        options
            .iter()
            .map(|(method, fields)| {
                let fields = fields
                    .iter()
                    .map(|(k, v)| (k.clone(), value(v)))
                    .collect::<serde_json::Map<_, _>>();
                (method.clone(), serde_json::Value::Object(fields))
            })
            .collect(),
    )
}

fn option<'o>(options: &'o MethodOptions, method: &str, field: &str) -> Option<&'o str> {
    options
        .get(method)
        .and_then(|o| o.get(field))
        .map(String::as_str)
}

/// Checks the methods and their options as Stripe would for a session in `currency`
/// (lowercase ISO code); the error is Stripe's message.
pub fn check(allowed: &[String], options: &MethodOptions, currency: &str) -> Result<(), String> {
    for name in allowed {
        let method = PaymentMethod::from_stripe_name(name).ok_or_else(|| {
            format!("The fake Stripe does not implement payment method type `{name}`.")
        })?;
        if !method.accepts_code(currency) {
            let accepted = method
                .currencies()
                .unwrap_or_default()
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(format!(
                "The currency provided ({currency}) is invalid for payment method type {name}, which supports: {accepted}."
            ));
        }
    }
    let listed = |m: PaymentMethod| allowed.iter().any(|a| a == m.stripe_name());
    if listed(PaymentMethod::WechatPay) {
        match option(options, "wechat_pay", "client") {
            Some("web") => {}
            Some("ios" | "android") if option(options, "wechat_pay", "app_id").is_some() => {}
            Some(client @ ("ios" | "android")) => {
                return Err(format!(
                    "payment_method_options[wechat_pay][app_id] is required when client is {client}."
                ));
            }
            Some(other) => {
                return Err(format!(
                    "Invalid payment_method_options[wechat_pay][client]: must be one of web, ios, or android (got {other})."
                ));
            }
            None => {
                return Err(
                    "Missing required param: payment_method_options[wechat_pay][client].".into(),
                );
            }
        }
    }
    if let Some(days) = option(options, "konbini", "expires_after_days") {
        let days: u32 = days
            .parse()
            .map_err(|_| format!("Invalid integer: {days}"))?;
        if !KONBINI_DAYS.contains(&days) {
            return Err(
                "payment_method_options[konbini][expires_after_days] must be between 1 and 60."
                    .into(),
            );
        }
    }
    if let Some(seconds) = option(options, "pix", "expires_after_seconds") {
        let seconds: i64 = seconds
            .parse()
            .map_err(|_| format!("Invalid integer: {seconds}"))?;
        if !PIX_SECONDS.contains(&seconds) {
            return Err(
                "payment_method_options[pix][expires_after_seconds] must be between 10 and 1209600."
                    .into(),
            );
        }
    }
    Ok(())
}

/// Whether paying with `name` leaves the session `unpaid` until an async event.
pub fn settles_later(name: &str) -> bool {
    PaymentMethod::from_stripe_name(name).is_some_and(PaymentMethod::settles_later)
}

/// What the payment page calls a method.
pub fn label(name: &str) -> String {
    let title = match name {
        "card" => "Card (test card 4242; Apple Pay / Google Pay)",
        "wechat_pay" => "WeChat Pay",
        "alipay" => "Alipay",
        "kakao_pay" => "Kakao Pay",
        "naver_pay" => "Naver Pay",
        "payco" => "PAYCO",
        "samsung_pay" => "Samsung Pay",
        "kr_card" => "Korean card",
        "paynow" => "PayNow",
        "promptpay" => "PromptPay",
        "grabpay" => "GrabPay",
        "pix" => "Pix",
        "konbini" => "Konbini",
        other => other,
    };
    let how = match PaymentMethod::from_stripe_name(name).map(PaymentMethod::flow) {
        Some(PaymentFlow::QrCode) => " — scan a QR code",
        Some(PaymentFlow::Redirect) => " — approve in the app",
        Some(PaymentFlow::Voucher) => " — voucher, pay at a store later",
        Some(PaymentFlow::CardForm) | None => "",
    };
    let later = if settles_later(name) {
        " (settles later)"
    } else {
        ""
    };
    format!("{title}{how}{later}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The payment page's form: one button per method the session allows.
pub fn method_buttons(session: &FakeSession) -> String {
    let mut html = format!(
        "<form method=\"post\" action=\"/pay/{}\"><p>Pay with:</p>",
        escape(&session.id)
    );
    for name in &session.allowed_payment_method_types {
        html.push_str(&format!(
            "<p><button type=\"submit\" name=\"method\" value=\"{}\">{}</button></p>",
            escape(name),
            escape(&label(name))
        ));
    }
    html.push_str("</form>");
    html
}

/// What the customer sees after choosing a method that settles later: the voucher, and the
/// two outcomes Stripe would report later, as buttons.
pub fn voucher_page(session: &FakeSession) -> String {
    let method = session.paid_with.as_deref().unwrap_or("konbini");
    let deadline = match method {
        "konbini" => option(
            &session.payment_method_options,
            "konbini",
            "expires_after_days",
        )
        .map(|d| format!("within {d} days (23:59 JST on the last day)")),
        "pix" => option(
            &session.payment_method_options,
            "pix",
            "expires_after_seconds",
        )
        .map(|s| format!("within {s} seconds")),
        _ => None,
    }
    .unwrap_or_else(|| "by the deadline Stripe sets".into());
    let id = escape(&session.id);
    let back = session
        .success_url
        .as_deref()
        .map(|url| {
            format!(
                "<p><a href=\"{}\">Back to the shop</a></p>",
                escape(&url.replace("{CHECKOUT_SESSION_ID}", &session.id))
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Stripe voucher</title></head><body>\
         <h1>{}</h1><p>Test mode: pay {deadline}. The payment is pending until then.</p>\
         <form method=\"post\" action=\"/pay/{id}/settle\">\
         <button type=\"submit\" name=\"outcome\" value=\"succeeded\">Pay now (async_payment_succeeded)</button> \
         <button type=\"submit\" name=\"outcome\" value=\"failed\">Let it lapse (async_payment_failed)</button>\
         </form>{back}</body></html>",
        escape(&label(method))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn options_are_read_per_method() {
        let options = parse_options(&form(&[
            ("payment_method_options[konbini][expires_after_days]", "3"),
            ("payment_method_options[wechat_pay][client]", "web"),
            ("mode", "payment"),
        ]));
        assert_eq!(option(&options, "konbini", "expires_after_days"), Some("3"));
        assert_eq!(option(&options, "wechat_pay", "client"), Some("web"));
        assert_eq!(options.len(), 2);
    }

    #[test]
    fn stripe_refuses_what_a_method_cannot_do() {
        let web = parse_options(&form(&[(
            "payment_method_options[wechat_pay][client]",
            "web",
        )]));
        assert_eq!(check(&names(&["card", "wechat_pay"]), &web, "cny"), Ok(()));
        let err = check(&names(&["wechat_pay"]), &MethodOptions::new(), "cny").unwrap_err();
        assert!(err.contains("[wechat_pay][client]"), "{err}");
        let err = check(&names(&["konbini"]), &MethodOptions::new(), "usd").unwrap_err();
        assert!(err.contains("(usd)") && err.contains("jpy"), "{err}");
        let err = check(&names(&["ideal"]), &MethodOptions::new(), "eur").unwrap_err();
        assert!(err.contains("ideal"), "{err}");
        let long = parse_options(&form(&[(
            "payment_method_options[konbini][expires_after_days]",
            "61",
        )]));
        assert!(check(&names(&["konbini"]), &long, "jpy").is_err());
        let pix = parse_options(&form(&[(
            "payment_method_options[pix][expires_after_seconds]",
            "86400",
        )]));
        assert_eq!(check(&names(&["pix"]), &pix, "brl"), Ok(()));
    }

    #[test]
    fn the_page_names_each_method_and_how_it_pays() {
        assert!(label("konbini").contains("settles later"));
        assert!(label("promptpay").contains("QR"));
        assert!(!label("card").contains("later"));
        assert!(settles_later("pix") && !settles_later("wechat_pay"));
    }
}
