//! The hosted payment page, reduced to what a demo needs: the order, a button per allowed
//! method, and the voucher page of a method that settles later.

use super::protocol::parse_form;
use super::state::Fake;
use super::transitions::{complete_session, settle_session};
use super::webhooks::deliver;
use crate::fake_stripe_methods as methods;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chatdrop_domain::clock::{Clock, SystemClock};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn amount(minor: i64, currency: &str) -> String {
    // Zero-decimal currencies Stripe lists that chatdrop may meet.
    let zero_decimal = matches!(currency, "jpy" | "krw" | "vnd" | "clp" | "isk" | "ugx");
    if zero_decimal {
        format!("{minor} {}", currency.to_uppercase())
    } else {
        format!(
            "{}.{:02} {}",
            minor / 100,
            (minor % 100).abs(),
            currency.to_uppercase()
        )
    }
}

/// The hosted payment page, reduced to what a demo needs.
pub(super) async fn page(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let session = {
        let records = fake.records.lock().expect("records lock");
        records.sessions.iter().find(|s| s.id == id).cloned()
    };
    let Some(s) = session else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>No such checkout session</h1>"),
        )
            .into_response();
    };
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Stripe Checkout</title></head><body>",
    );
    html.push_str("<h1>Fake Stripe Checkout</h1><p>Test mode: no money moves.</p><ul>");
    for line in &s.line_items {
        html.push_str(&format!(
            "<li>{} × {}{} — {}</li>",
            line.quantity,
            escape(&line.name),
            line.description
                .as_deref()
                .map(|d| format!(" ({})", escape(d)))
                .unwrap_or_default(),
            amount(line.unit_amount * line.quantity, &s.currency)
        ));
    }
    html.push_str(&format!(
        "</ul><p><strong>Total {}</strong></p>",
        amount(s.amount_total, &s.currency)
    ));
    if s.status == "open" && s.expires_at > SystemClock.now() {
        html.push_str(&methods::method_buttons(&s));
        if let Some(cancel) = &s.cancel_url {
            html.push_str(&format!("<p><a href=\"{}\">Cancel</a></p>", escape(cancel)));
        }
    } else {
        html.push_str(&format!(
            "<p>This checkout session is no longer available (status: {}).</p>",
            escape(&s.status)
        ));
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}

pub(super) async fn page_pay(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let method = form
        .iter()
        .find(|(k, _)| k == "method")
        .map(|(_, v)| v.as_str());
    match complete_session(&fake, &id, method, false) {
        Ok((session, event)) => {
            deliver(&fake, event).await;
            if session["payment_status"] == "unpaid" {
                let records = fake.records.lock().expect("records lock");
                if let Some(s) = records.sessions.iter().find(|s| s.id == id) {
                    return Html(methods::voucher_page(s)).into_response();
                }
            }
            match session["success_url"].as_str() {
                Some(url) => {
                    Redirect::to(&url.replace("{CHECKOUT_SESSION_ID}", &id)).into_response()
                }
                None => Html("<h1>Paid</h1><p>You can close this page.</p>").into_response(),
            }
        }
        Err(failure) => failure.into_response(),
    }
}

/// The voucher page's buttons: the delayed payment's outcome, delivered before the answer.
pub(super) async fn page_settle(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let succeeded = form.iter().any(|(k, v)| k == "outcome" && v == "succeeded");
    match settle_session(&fake, &id, succeeded) {
        Ok((_, event)) => {
            deliver(&fake, event).await;
            let said = if succeeded {
                "Paid at the store. The confirmation arrives in the chat."
            } else {
                "The voucher lapsed unpaid."
            };
            Html(format!("<h1>{said}</h1><p>You can close this page.</p>")).into_response()
        }
        Err(failure) => failure.into_response(),
    }
}
