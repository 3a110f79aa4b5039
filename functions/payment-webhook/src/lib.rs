//! The `payment-webhook` function: the payment side's HTTP routes.
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/stripe` | Stripe events: signature verified on the raw body first (400 and nothing else if it fails), then each event applied once |
//! | `GET /p/{token}` | the pay link: 303 to the Stripe page while the reservation holds; a clear page once it lapsed (expiring it on access) or was paid |
//! | `GET /qr/{token}.png` | the pay link's QR code, rendered on request (nothing stored: the token is the only secret and the image is derived from it) |
//! | `GET /paid`, `GET /cancelled` | where Stripe sends the customer back: "return to the chat" |
//!
//! Every page's words come from the messages module ([`chatdrop_domain::i18n`], the `…Page…`
//! messages), in chatdrop's shipped wording (the pages do not load the catalog, so a retailer's
//! message files do not reach them), in one language:
//!
//! - a pay link about an order: the order's (the chat's) language;
//! - `/paid` and `/cancelled`: the `lang=` our checkout put in the return URLs
//!   ([`checkout::return_url`]), read only to pick one of the languages we ship;
//! - otherwise (an unknown or failing pay link, a return URL without `lang=`): the browser's
//!   `Accept-Language`, matched against the languages we ship, else the deployment's default.

use chatdrop_config::{Config, SecretSource, Secrets, secret_names};
use chatdrop_domain::checkout::{self, CheckoutSettings};
use chatdrop_domain::clock::Clock;
use chatdrop_domain::handoff::{AlertKind, HandoffNotice, HandoffReason, HandoffStore, alert_once};
use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_domain::order_events::{self, PaymentEvent};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::pay_link::{self, PayLinkVisit};
use chatdrop_domain::payment::PaidSession;
use chatdrop_domain::ports::{CatalogSource, OrderStore};
use chatdrop_domain::process::ProcessError;
use chatdrop_domain::vip;
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_payments::webhook::{self, EventKind, StripeEvent};
use chatdrop_queue::SqsQueues;
use chatdrop_queue::alerts::SnsAlerts;
use chatdrop_store::DynamoStore;
use lambda_http::{Body, Error, Request, Response, http::StatusCode};
use std::sync::Arc;
use tracing::Instrument;

pub struct PaymentWebhook {
    store: DynamoStore,
    queues: SqsQueues,
    gateway: StripeGateway,
    webhook_secret: String,
    settings: CheckoutSettings,
    /// What time it is: Stripe's signature tolerance and a pay link's expiry count from it.
    clock: Arc<dyn Clock>,
    /// Where agents are told that a paid order needs a person.
    alerts: SnsAlerts,
}

impl PaymentWebhook {
    pub async fn new(
        config: &Config,
        secrets: &impl SecretSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, Error> {
        let (secrets, ids) = Secrets::load_with_id_key(
            secrets,
            &[
                secret_names::STRIPE_SECRET_KEY,
                secret_names::STRIPE_WEBHOOK_SECRET,
            ],
        )
        .await?;
        Ok(PaymentWebhook {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table),
            queues: SqsQueues::new(aws_sdk_sqs::Client::new(aws), config.queues.clone()),
            gateway: StripeGateway::new(
                secrets.get(secret_names::STRIPE_SECRET_KEY).expose(),
                config.payments.stripe_api_base.as_deref(),
            )?,
            webhook_secret: secrets
                .get(secret_names::STRIPE_WEBHOOK_SECRET)
                .expose()
                .to_string(),
            settings: config.checkout_settings(ids),
            clock: chatdrop_domain::clock::system(),
            alerts: SnsAlerts::new(
                aws_sdk_sns::Client::new(aws),
                config.handoff.agent_topic_arn.clone(),
            ),
        })
    }

    /// The function with another clock, for tests of signature age and link expiry.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::from_env()?;
        let aws = chatdrop_config::aws::sdk_config().await;
        PaymentWebhook::new(&config, &chatdrop_config::secret_source(&aws), &aws).await
    }
}

fn respond(status: StatusCode, content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(body)
        .expect("static response parts are valid")
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    respond(status, "text/plain; charset=utf-8", Body::Text(body.into()))
}

/// The pages a person who followed a link from the chat may see.
#[derive(Clone, Copy, Debug)]
enum Page<'a> {
    Paid,
    Cancelled,
    /// The order's number.
    AlreadyPaid(&'a str),
    /// The order's number.
    Lapsed(&'a str),
    UnknownLink,
    PayLinkFailed,
}

impl<'a> Page<'a> {
    fn status(self) -> StatusCode {
        match self {
            Page::Paid | Page::Cancelled | Page::AlreadyPaid(_) => StatusCode::OK,
            Page::Lapsed(_) => StatusCode::GONE,
            Page::UnknownLink => StatusCode::NOT_FOUND,
            Page::PayLinkFailed => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(self) -> Msg<'a> {
        match self {
            Page::Paid => Msg::PaidPageTitle,
            Page::Cancelled => Msg::CancelledPageTitle,
            Page::AlreadyPaid(_) => Msg::AlreadyPaidPageTitle,
            Page::Lapsed(_) => Msg::LapsedPageTitle,
            Page::UnknownLink => Msg::UnknownLinkPageTitle,
            Page::PayLinkFailed => Msg::PayLinkFailedPageTitle,
        }
    }

    fn text(self) -> Msg<'a> {
        match self {
            Page::Paid => Msg::PaidPageText,
            Page::Cancelled => Msg::CancelledPageText,
            Page::AlreadyPaid(number) => Msg::AlreadyPaidPageText(number),
            Page::Lapsed(number) => Msg::LapsedPageText(number),
            Page::UnknownLink => Msg::UnknownLinkPageText,
            Page::PayLinkFailed => Msg::PayLinkFailedPageText,
        }
    }
}

/// A small page for a person who followed a link from the chat, in `lang`.
fn page(page: Page, lang: Lang) -> Response<Body> {
    let title = escape(&page.title().text(lang));
    let text = escape(&page.text().text(lang));
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em\"><h1>{title}</h1><p>{text}</p></body></html>",
        lang = lang.code(),
    );
    respond(page.status(), "text/html; charset=utf-8", Body::Text(html))
}

/// `text` as HTML element content or a quoted attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The language of a page that knows no order: the browser's preference among the languages
/// we ship (every `Accept-Language` header, read as one list), else the deployment's default.
fn browser_lang(request: &Request, default: Lang) -> Lang {
    let accepted = request
        .headers()
        .get_all("accept-language")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    Lang::from_accept_language(&accepted).unwrap_or(default)
}

/// The language of a return page (`/paid`, `/cancelled`): the first `lang=` of the URL when it
/// names a language we ship (our checkout puts the order's there, see
/// [`checkout::return_url`]; anyone can type another, which at most changes the words), else
/// the browser's.
fn return_lang(request: &Request, default: Lang) -> Lang {
    let from_url = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == checkout::RETURN_LANG_PARAM)
            .and_then(|(_, value)| Lang::from_locale(&value))
    });
    from_url.unwrap_or_else(|| browser_lang(request, default))
}

pub async fn handle(app: &PaymentWebhook, request: Request) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_string();
    if let Some(rest) = path
        .rsplit("/webhooks/")
        .next()
        .filter(|_| path.contains("/webhooks/"))
        && rest.trim_end_matches('/') == "stripe"
    {
        return Ok(stripe_event(app, request).await);
    }
    if let Some(token) = path.split("/p/").nth(1) {
        let fallback = browser_lang(&request, app.settings.default_lang);
        return Ok(pay_link(app, token.trim_end_matches('/'), fallback).await);
    }
    if let Some(file) = path.split("/qr/").nth(1) {
        return Ok(qr(app, file).await);
    }
    let returned = match path.rsplit('/').next() {
        Some("paid") => Page::Paid,
        Some("cancelled") => Page::Cancelled,
        _ => return Ok(text(StatusCode::NOT_FOUND, "not found")),
    };
    Ok(page(
        returned,
        return_lang(&request, app.settings.default_lang),
    ))
}

async fn stripe_event(app: &PaymentWebhook, request: Request) -> Response<Body> {
    let signature = request
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: &[u8] = request.body().as_ref();
    if let Err(e) = webhook::verify(
        signature.as_deref(),
        body,
        &app.webhook_secret,
        app.clock.now(),
    ) {
        tracing::warn!(reason = %e, "Stripe webhook refused");
        // Stripe's convention: 400 for a delivery we will not accept.
        return text(StatusCode::BAD_REQUEST, "invalid signature");
    }
    let event = match webhook::parse_event(body) {
        Ok(event) => event,
        Err(e) => {
            // serde_json's message quotes the value it could not read: log where, not what.
            tracing::error!(
                error = %chatdrop_telemetry::redact::json_error(&e),
                "authentic Stripe event we cannot read; acknowledged"
            );
            return text(StatusCode::OK, "ignored");
        }
    };
    // `.instrument`, never a guard across an `.await` (see `chatdrop_telemetry`).
    let span = tracing::info_span!("stripe_event", event = %event.id);
    apply_event(app, &event).instrument(span).await
}

/// Applies one authentic Stripe event, inside its span.
async fn apply_event(app: &PaymentWebhook, event: &StripeEvent) -> Response<Body> {
    let domain_event = match &event.kind {
        EventKind::SessionCompleted {
            session_id,
            order_id: Some(order_id),
            paid: true,
            amount_total,
            currency,
        }
        | EventKind::AsyncPaymentSucceeded {
            session_id,
            order_id: Some(order_id),
            amount_total,
            currency,
        } => PaymentEvent::Paid {
            order_id: order_id.clone(),
            // Compared with the order before it counts: the reference alone proves nothing.
            paid: PaidSession {
                session_id: session_id.clone(),
                amount_total: *amount_total,
                currency: currency.clone(),
            },
        },
        // The customer chose a method that settles later: held to its deadline, counted from
        // the event's creation (the same on every redelivery).
        EventKind::SessionCompleted {
            session_id,
            order_id: Some(order_id),
            paid: false,
            ..
        } => PaymentEvent::AwaitingPayment {
            order_id: order_id.clone(),
            session_id: session_id.clone(),
            chosen_at: if event.created > 0 {
                event.created
            } else {
                app.clock.now()
            },
        },
        EventKind::AsyncPaymentFailed {
            order_id: Some(order_id),
            ..
        } => PaymentEvent::PaymentFailed {
            order_id: order_id.clone(),
        },
        EventKind::SessionExpired {
            order_id: Some(order_id),
            ..
        } => PaymentEvent::Lapsed {
            order_id: order_id.clone(),
        },
        // Not ours (no order reference) or not acted on.
        other => {
            tracing::info!(kind = ?other, "Stripe event acknowledged without action");
            return text(StatusCode::OK, "ignored");
        }
    };
    match order_events::apply_payment_event(
        &event.id,
        &domain_event,
        &app.store,
        &app.gateway,
        &app.queues,
    )
    .await
    {
        Ok(status) => {
            tracing::info!(
                order_status = status.map(|s| s.as_str()),
                "Stripe event applied"
            );
            if status == Some(OrderStatus::PaidNeedsAttention)
                && let Err(e) = hand_over_for_attention(app, &domain_event).await
            {
                // The order is safe and on the attention list; only the handoff is missing.
                tracing::error!(error = %e, "could not hand the conversation to a person");
            }
            if status == Some(OrderStatus::Paid)
                && let Err(e) = hand_over_a_vip(app, &domain_event).await
            {
                // The sale and its confirmation stand; Stripe retries, and the check is
                // idempotent (`vip` notice), so the VIP is handed over on the retry.
                tracing::error!(error = %e, "could not check for a VIP; Stripe will retry");
                return text(StatusCode::INTERNAL_SERVER_ERROR, "retry");
            }
            text(StatusCode::OK, "ok")
        }
        Err(e) => {
            // Stripe retries a non-2xx delivery; every step is idempotent.
            tracing::error!(error = %e, "Stripe event failed; Stripe will retry");
            text(StatusCode::INTERNAL_SERVER_ERROR, "retry")
        }
    }
}

/// A paid order that needs a person (another page, amount or currency; a late payment whose
/// stock was resold) hands its conversation over and alerts the agents. Opening is
/// conditional (a chat a person has already stays theirs), and the alert is claimed once; a
/// crash between the two leaves a waiting handoff that the sweep escalates after its delay.
async fn hand_over_for_attention(
    app: &PaymentWebhook,
    event: &PaymentEvent,
) -> Result<(), chatdrop_domain::ports::PortError> {
    let PaymentEvent::Paid { order_id, .. } = event else {
        return Ok(());
    };
    let Some(order) = OrderStore::order(&app.store, order_id).await? else {
        return Ok(());
    };
    let now = app.clock.now();
    let reason = HandoffReason::NeedsAttention;
    if app
        .store
        .open_handoff(&order.conversation, reason, order.lang, now)
        .await?
    {
        let notice = HandoffNotice { reason, since: now };
        alert_once(
            &app.store,
            &app.alerts,
            AlertKind::New,
            &order.conversation,
            notice,
            order.lang,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A paid order whose person's lifetime paid is now above the retailer's threshold hands the
/// conversation to a person (`chatdrop_domain::vip`): the customer is thanked and told when
/// to expect an answer, and notify alerts the agents from the bundle.
async fn hand_over_a_vip(
    app: &PaymentWebhook,
    event: &PaymentEvent,
) -> Result<(), chatdrop_domain::ports::PortError> {
    let PaymentEvent::Paid { order_id, .. } = event else {
        return Ok(());
    };
    let catalog = CatalogSource::catalog(&app.store).await?;
    if !catalog.support.has_vips() {
        return Ok(());
    }
    let Some(order) = OrderStore::order(&app.store, order_id).await? else {
        return Ok(());
    };
    vip::after_payment(
        &order,
        &catalog,
        &app.store,
        &app.store,
        &app.store,
        &app.queues,
        app.clock.now(),
    )
    .await?;
    Ok(())
}

/// A pay link: `fallback` is the language of the pages that know no order.
async fn pay_link(app: &PaymentWebhook, token: &str, fallback: Lang) -> Response<Body> {
    let visit = pay_link::visit_pay_link(
        token,
        app.clock.now(),
        &app.store,
        &app.gateway,
        &app.queues,
    )
    .await;
    pay_link_response(visit, fallback)
}

fn pay_link_response(visit: Result<PayLinkVisit, ProcessError>, fallback: Lang) -> Response<Body> {
    match visit {
        Ok(PayLinkVisit::Redirect(url)) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("location", url)
            .header("cache-control", "no-store")
            .body(Body::Empty)
            .expect("static response parts are valid"),
        Ok(PayLinkVisit::AlreadyPaid { number, lang }) => page(Page::AlreadyPaid(&number), lang),
        Ok(PayLinkVisit::Lapsed { number, lang }) => page(Page::Lapsed(&number), lang),
        Ok(PayLinkVisit::NotFound) => page(Page::UnknownLink, fallback),
        Err(e) => {
            tracing::error!(error = %e, "pay link failed");
            page(Page::PayLinkFailed, fallback)
        }
    }
}

async fn qr(app: &PaymentWebhook, file: &str) -> Response<Body> {
    let Some(token) = file.strip_suffix(".png") else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    match pay_link::order_by_pay_token(token, &app.store).await {
        Ok(Some(_)) => match chatdrop_payments::qr::qr_png(&app.settings.pay_link(token)) {
            Ok(png) => respond(StatusCode::OK, "image/png", Body::Binary(png)),
            Err(e) => {
                tracing::error!(error = %e, "QR rendering failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, "try again")
            }
        },
        Ok(None) => text(StatusCode::NOT_FOUND, "not found"),
        Err(e) => {
            tracing::error!(error = %e, "QR lookup failed");
            text(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_config::QueueUrls;
    use chatdrop_domain::ids::IdKey;
    use chatdrop_domain::ports::PortError;

    const NUMBER: &str = "3F2A9C01";
    const PAGES: [Page<'static>; 6] = [
        Page::Paid,
        Page::Cancelled,
        Page::AlreadyPaid(NUMBER),
        Page::Lapsed(NUMBER),
        Page::UnknownLink,
        Page::PayLinkFailed,
    ];

    /// The function with clients that are never called: the routes tested here make no call.
    fn webhook(default_lang: Lang) -> PaymentWebhook {
        let aws = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let queue = || "http://127.0.0.1:9/queue".to_string();
        PaymentWebhook {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), "chatdrop"),
            queues: SqsQueues::new(
                aws_sdk_sqs::Client::new(&aws),
                QueueUrls {
                    catalog: queue(),
                    cart: queue(),
                    payment: queue(),
                    outbound: queue(),
                },
            ),
            gateway: StripeGateway::new("sk_test_unused", Some("http://127.0.0.1:9")).unwrap(),
            webhook_secret: "whsec_unused".into(),
            settings: CheckoutSettings {
                hold_minutes: 10,
                public_base_url: "https://shop.example".into(),
                success_url: "https://shop.example/paid".into(),
                cancel_url: "https://shop.example/cancelled".into(),
                default_lang,
                ids: IdKey::new(b"payment-webhook unit tests"),
            },
            clock: chatdrop_domain::clock::ManualClock::at(1_767_225_600),
            alerts: SnsAlerts::new(aws_sdk_sns::Client::new(&aws), None),
        }
    }

    async fn get(app: &PaymentWebhook, uri: &str, accept_language: Option<&str>) -> Response<Body> {
        let mut request = lambda_http::http::Request::builder().uri(uri);
        if let Some(accepted) = accept_language {
            request = request.header("accept-language", accepted);
        }
        handle(app, request.body(Body::Empty).unwrap())
            .await
            .unwrap()
    }

    fn html(response: &Response<Body>) -> &str {
        match response.body() {
            Body::Text(html) => html,
            other => panic!("not a page: {other:?}"),
        }
    }

    /// The language a page declares, from `<html lang="…">`.
    fn lang_of(response: &Response<Body>) -> Lang {
        let html = html(response);
        let code = html
            .split("<html lang=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("<html lang> is set");
        Lang::SHIPPED
            .into_iter()
            .find(|l| l.code() == code)
            .expect("a shipped language")
    }

    /// What a reader sees: the text outside the tags.
    fn visible(html: &str) -> String {
        let mut in_tag = false;
        html.chars()
            .filter(|&c| match c {
                '<' => {
                    in_tag = true;
                    false
                }
                '>' => {
                    in_tag = false;
                    false
                }
                _ => !in_tag,
            })
            .collect()
    }

    #[test]
    fn every_page_says_only_what_the_messages_module_says() {
        for lang in Lang::SHIPPED {
            for p in PAGES {
                let response = page(p, lang);
                assert_eq!(lang_of(&response), lang);
                let title = escape(&p.title().text(lang));
                let text = escape(&p.text().text(lang));
                assert!(!title.is_empty() && !text.is_empty(), "{p:?} in {lang:?}");
                // `<title>` and `<h1>` hold the title, `<p>` the sentence; nothing else shows.
                assert_eq!(visible(html(&response)), format!("{title}{title}{text}"));
            }
        }
    }

    #[test]
    fn every_page_is_translated() {
        for lang in Lang::SHIPPED.into_iter().filter(|l| *l != Lang::EN) {
            // A locale whose translator has not delivered yet reads English, on purpose.
            if !chatdrop_domain::messages::Messages::is_shipped(lang) {
                eprintln!("skipping {lang}: no shared/domain/locales/{lang}.ftl yet");
                continue;
            }
            for p in PAGES {
                assert_ne!(
                    p.title().text(lang),
                    p.title().text(Lang::EN),
                    "{lang} {p:?}"
                );
                assert_ne!(p.text().text(lang), p.text().text(Lang::EN), "{lang} {p:?}");
            }
        }
        let lapsed = visible(html(&page(Page::Lapsed(NUMBER), Lang::JA)));
        assert!(
            lapsed.starts_with("お取り置きの期限が切れました"),
            "{lapsed}"
        );
        assert!(lapsed.contains(NUMBER), "{lapsed}");
    }

    #[test]
    fn statuses_are_those_the_routes_always_had() {
        let statuses: Vec<u16> = PAGES.iter().map(|p| p.status().as_u16()).collect();
        assert_eq!(statuses, [200, 200, 200, 410, 404, 503]);
        for p in PAGES {
            let response = page(p, Lang::JA);
            assert_eq!(response.status(), p.status());
            assert_eq!(
                response.headers()["content-type"],
                "text/html; charset=utf-8"
            );
        }
    }

    #[test]
    fn interpolated_values_are_escaped() {
        let response = page(Page::AlreadyPaid("<b>\"A&B'</b>"), Lang::EN);
        let html = html(&response);
        assert!(
            html.contains("&lt;b&gt;&quot;A&amp;B&#39;&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
    }

    #[tokio::test]
    async fn return_pages_speak_the_language_in_their_url_else_the_browsers() {
        let app = webhook(Lang::EN);
        // Our checkout's `lang=` wins over the browser's preference.
        let paid = get(&app, "/paid?lang=ja", Some("en-US,en;q=0.9")).await;
        assert_eq!(paid.status(), StatusCode::OK);
        assert_eq!(html(&paid), html(&page(Page::Paid, Lang::JA)));
        let cancelled = get(&app, "/cancelled?session=x&lang=ja", None).await;
        assert_eq!(html(&cancelled), html(&page(Page::Cancelled, Lang::JA)));
        // A value we do not ship is ignored: the browser's preference decides.
        let typed = get(
            &app,
            "/paid?lang=%3Cscript%3E",
            Some("fr, ja-JP;q=0.8, en;q=0.5"),
        )
        .await;
        assert_eq!(html(&typed), html(&page(Page::Paid, Lang::JA)));
        let unknown = get(&app, "/cancelled?lang=fr", Some("en;q=0.2, ja;q=0.1")).await;
        assert_eq!(lang_of(&unknown), Lang::EN);
        // Neither: the deployment's default.
        assert_eq!(lang_of(&get(&app, "/paid", Some("fr-FR")).await), Lang::EN);
        let japanese_shop = webhook(Lang::JA);
        assert_eq!(lang_of(&get(&japanese_shop, "/paid", None).await), Lang::JA);
        assert_eq!(
            lang_of(&get(&japanese_shop, "/cancelled", Some("*")).await),
            Lang::JA
        );
        // Other paths stay what they were.
        let other = get(&app, "/elsewhere?lang=ja", None).await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        assert_eq!(html(&other), "not found");
    }

    #[tokio::test]
    async fn an_unknown_pay_link_speaks_the_browsers_language() {
        let app = webhook(Lang::EN);
        // Not a pay token's shape: answered without a read.
        let response = get(&app, "/p/not-a-token", Some("ja-JP,ja;q=0.9,en;q=0.8")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(html(&response), html(&page(Page::UnknownLink, Lang::JA)));
        let response = get(&app, "/p/not-a-token?lang=ja", Some("de")).await;
        assert_eq!(html(&response), html(&page(Page::UnknownLink, Lang::EN)));
    }

    #[test]
    fn a_pay_link_about_an_order_speaks_the_orders_language() {
        let number = NUMBER.to_string();
        let paid = pay_link_response(
            Ok(PayLinkVisit::AlreadyPaid {
                number: number.clone(),
                lang: Lang::JA,
            }),
            Lang::EN,
        );
        assert_eq!(paid.status(), StatusCode::OK);
        assert_eq!(
            html(&paid),
            html(&page(Page::AlreadyPaid(NUMBER), Lang::JA))
        );
        let lapsed = pay_link_response(
            Ok(PayLinkVisit::Lapsed {
                number,
                lang: Lang::JA,
            }),
            Lang::EN,
        );
        assert_eq!(lapsed.status(), StatusCode::GONE);
        assert_eq!(html(&lapsed), html(&page(Page::Lapsed(NUMBER), Lang::JA)));
        // No order at hand: the browser's language, as the caller worked it out.
        let failed = pay_link_response(Err(PortError::new("order", "down").into()), Lang::JA);
        assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(html(&failed), html(&page(Page::PayLinkFailed, Lang::JA)));
        let redirect = pay_link_response(
            Ok(PayLinkVisit::Redirect("https://pay.example/c".into())),
            Lang::JA,
        );
        assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect.headers()["location"], "https://pay.example/c");
    }
}
