//! [`PaymentGateway`] on Stripe Checkout, with async-stripe.
//!
//! - **Create**: a hosted page in `payment` mode with inline prices (`price_data`: lowercase
//!   currency, amounts in Stripe's units as [`crate::stripe_amounts`] converts and checks them
//!   before anything is sent, the product name and its customization as the description), the
//!   order id as `client_reference_id` and `metadata[order_id]`, the order's payment methods
//!   ([`PaymentOffer`]: the market's, those that settle later only where the reservation may
//!   wait for them; cards when none, and Apple Pay and Google Pay ride on `card`) as
//!   `allowed_payment_method_types[]`, since API version 2026-09-30.endive (the one
//!   async-stripe 1.0.0-rc.10 sends) removed `payment_method_types` from create, with the
//!   options each method needs ([`payment_method_options`]: WeChat Pay's `client=web`,
//!   Konbini's `expires_after_days`, Pix's `expires_after_seconds`), shipping address
//!   collection for physical goods, and the idempotency key `checkout-{order id}`, so a
//!   retried checkout replays the first session instead of making a second one. A method
//!   Stripe does not take in the order's currency is refused here, before any request
//!   ([`check_currency`]; `docs/payment-methods.md`).
//! - **Expiry**: Stripe accepts `expires_at` only 30 minutes to 24 hours after creation, and our
//!   reservations are shorter, so the caller expires the session itself when the reservation
//!   lapses; Stripe's own expiry is the safety net. The value sent is a function of the request
//!   only, `request.expires_at` + 30 min + [`EXPIRY_MARGIN_SECS`]: Stripe refuses a key reused
//!   with different parameters, so a value computed from the clock would turn a retried create
//!   (the case idempotency keys exist for) into an error. It satisfies Stripe's minimum for any
//!   creation time up to the reservation's end; creating a page for a reservation that already
//!   lapsed is refused by Stripe, as it should be.
//! - **Expire**: `POST /v1/checkout/sessions/{id}/expire`. Stripe answers 400 for a session that
//!   is not open ("Only Checkout Sessions with a status in ["open"] can be expired. This
//!   Checkout Session has a status of `complete`.", with no error code), so on a 4xx the session
//!   is retrieved and its status decides: `expired` → [`ExpireOutcome::Expired`], `complete` →
//!   [`ExpireOutcome::AlreadyComplete`].
//! - **Refund**: the session's PaymentIntent, refunded in full with the key `refund-{session id}`.
//!
//! Errors: 409 (a concurrent request with the same key), 429 and 5xx, transport failures,
//! timeouts and unreadable responses are [`PaymentError::Unavailable`]; any other 4xx is
//! [`PaymentError::Refused`]. Requests are sent once (no hidden retries); the caller retries,
//! and the idempotency keys make that safe.

use crate::stripe_amounts::stripe_line_amounts;
use ::stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use chatdrop_domain::payment::{
    CheckoutRequest, CheckoutSession, ExpireOutcome, PaymentError, PaymentGateway,
};
use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer, check_currency};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionAllowedPaymentMethodTypes,
    CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentMethodOptions, CreateCheckoutSessionPaymentMethodOptionsKonbini,
    CreateCheckoutSessionPaymentMethodOptionsPix,
    CreateCheckoutSessionPaymentMethodOptionsWechatPay,
    CreateCheckoutSessionPaymentMethodOptionsWechatPayClient,
    CreateCheckoutSessionShippingAddressCollection,
    CreateCheckoutSessionShippingAddressCollectionAllowedCountries, ExpireCheckoutSession,
    ProductData, RetrieveCheckoutSession,
};
use stripe_core::refund::CreateRefund;
use stripe_shared::{CheckoutSessionMode, CheckoutSessionStatus};

/// Stripe's minimum lifetime of a Checkout Session.
pub const STRIPE_MIN_EXPIRY_SECS: i64 = 30 * 60;
/// Added to the minimum so clock skew and request latency never push `expires_at` below it.
pub const EXPIRY_MARGIN_SECS: i64 = 60;
/// Per-attempt timeout of a Stripe request; a Lambda must not hang on a stalled connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Countries a shipping address may be in, unless [`StripeGateway::with_shipping_countries`]
/// says otherwise: the US and Canada, the UK, the EU and EFTA states where parcel carriers
/// serve everyone, Australia, New Zealand, Japan, Singapore and Hong Kong.
pub const DEFAULT_SHIPPING_COUNTRIES: &[&str] = &[
    "US", "CA", "GB", "IE", "FR", "DE", "ES", "IT", "PT", "NL", "BE", "LU", "AT", "DK", "SE", "FI",
    "PL", "CZ", "NO", "CH", "AU", "NZ", "JP", "SG", "HK",
];

/// The Stripe payment provider.
#[derive(Clone)]
pub struct StripeGateway {
    client: ::stripe::Client,
    shipping_countries: Vec<String>,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("shipping_countries", &self.shipping_countries)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// A gateway with the secret API key (`sk_…`; surrounding whitespace is ignored). `api_base`
    /// points it elsewhere than `https://api.stripe.com/` (the local fake Stripe, a test
    /// server); requests go to `{api_base}/v1/…`.
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, PaymentError> {
        let mut builder = ::stripe::ClientBuilder::new(secret_key.trim())
            .request_strategy(RequestStrategy::Once)
            .timeout(REQUEST_TIMEOUT);
        if let Some(base) = api_base {
            // async-stripe appends `v1/…` to the base as written.
            let base = if base.ends_with('/') {
                base.to_owned()
            } else {
                format!("{base}/")
            };
            builder = builder.url(base);
        }
        let client = builder
            .build()
            .map_err(|e| PaymentError::Refused(format!("invalid Stripe configuration: {e}")))?;
        Ok(StripeGateway {
            client,
            shipping_countries: DEFAULT_SHIPPING_COUNTRIES
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        })
    }

    /// Replaces the countries a shipping address may be in (ISO 3166-1 alpha-2 codes).
    pub fn with_shipping_countries<I, S>(mut self, countries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shipping_countries = countries
            .into_iter()
            .map(|c| c.into().to_ascii_uppercase())
            .collect();
        self
    }

    /// The create call for `request`, or [`PaymentError::Refused`] before any call when Stripe
    /// could not take its amounts (see [`crate::stripe_amounts`]).
    fn create_request(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CreateCheckoutSession, PaymentError> {
        let unit_amounts = stripe_line_amounts(
            request.currency,
            request.lines.iter().map(|l| (l.unit_amount, l.quantity)),
        )
        .map_err(|e| PaymentError::Refused(e.to_string()))?;
        let currency =
            stripe_types::Currency::from_str(&request.currency.code().to_ascii_lowercase())
                .unwrap_or_else(|never| match never {});
        let line_items: Vec<CreateCheckoutSessionLineItems> = request
            .lines
            .iter()
            .zip(unit_amounts)
            .map(|(line, unit_amount)| {
                let mut product = ProductData::new(line.name.clone());
                product.description = line
                    .description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned);
                let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
                price.product_data = Some(product);
                price.unit_amount = Some(unit_amount);
                let mut item = CreateCheckoutSessionLineItems::new();
                item.price_data = Some(price);
                item.quantity = Some(u64::from(line.quantity));
                item
            })
            .collect();
        let metadata = HashMap::from([("order_id".to_owned(), request.order_id.clone())]);
        let mut create = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(line_items)
            .client_reference_id(request.order_id.clone())
            .metadata(metadata)
            .expires_at(stripe_expires_at(request.expires_at))
            .success_url(request.success_url.clone())
            .cancel_url(request.cancel_url.clone())
            .allowed_payment_method_types(allowed_payment_method_types(&request.payment_offer));
        if let Some(options) = payment_method_options(&request.payment_offer) {
            create = create.payment_method_options(options);
        }
        if request.collect_shipping {
            let countries = self
                .shipping_countries
                .iter()
                .map(|c| {
                    CreateCheckoutSessionShippingAddressCollectionAllowedCountries::from_str(c)
                        .unwrap_or_else(|never| match never {})
                })
                .collect::<Vec<_>>();
            create = create.shipping_address_collection(
                CreateCheckoutSessionShippingAddressCollection::new(countries),
            );
        }
        Ok(create)
    }

    async fn session_status(&self, session_id: &str) -> Result<SessionState, PaymentError> {
        let session = RetrieveCheckoutSession::new(session_id)
            .send(&self.client)
            .await
            .map_err(map_error)?;
        Ok(SessionState {
            status: session.status,
            payment_intent: session.payment_intent.map(|pi| pi.id().to_string()),
        })
    }
}

struct SessionState {
    status: Option<CheckoutSessionStatus>,
    payment_intent: Option<String>,
}

/// `allowed_payment_method_types[]`: the offer's methods by Stripe's names, in its order.
pub fn allowed_payment_method_types(
    offer: &PaymentOffer,
) -> Vec<CreateCheckoutSessionAllowedPaymentMethodTypes> {
    offer
        .methods()
        .iter()
        .map(|m| {
            CreateCheckoutSessionAllowedPaymentMethodTypes::from_str(m.stripe_name())
                .unwrap_or_else(|never| match never {})
        })
        .collect()
}

/// `payment_method_options`: what the offered methods need, `None` when none needs anything.
///
/// - WeChat Pay: `client=web`, the client Checkout's hosted page pays from (Stripe requires a
///   client for WeChat Pay; `ios` and `android` are for apps with their own app id);
/// - Konbini: `expires_after_days`, the voucher's deadline the reservation is held to;
/// - Pix: `expires_after_seconds`, the same for its QR code.
pub fn payment_method_options(
    offer: &PaymentOffer,
) -> Option<CreateCheckoutSessionPaymentMethodOptions> {
    let mut options = CreateCheckoutSessionPaymentMethodOptions::new();
    let mut any = false;
    if offer.has(PaymentMethod::WechatPay) {
        options.wechat_pay = Some(CreateCheckoutSessionPaymentMethodOptionsWechatPay::new(
            CreateCheckoutSessionPaymentMethodOptionsWechatPayClient::Web,
        ));
        any = true;
    }
    if let Some(days) = offer.konbini_expires_after_days() {
        let mut konbini = CreateCheckoutSessionPaymentMethodOptionsKonbini::new();
        konbini.expires_after_days = Some(days);
        options.konbini = Some(konbini);
        any = true;
    }
    if let Some(seconds) = offer.pix_expires_after_seconds() {
        let mut pix = CreateCheckoutSessionPaymentMethodOptionsPix::new();
        pix.expires_after_seconds = Some(seconds);
        options.pix = Some(pix);
        any = true;
    }
    any.then_some(options)
}

/// The `expires_at` sent to Stripe for a reservation ending at `reservation_expires_at`: see the
/// module documentation.
pub fn stripe_expires_at(reservation_expires_at: i64) -> i64 {
    reservation_expires_at + STRIPE_MIN_EXPIRY_SECS + EXPIRY_MARGIN_SECS
}

/// The idempotency key of an order's checkout session.
pub fn checkout_idempotency_key(order_id: &str) -> String {
    format!("checkout-{order_id}")
}

/// The idempotency key of a session's refund.
pub fn refund_idempotency_key(session_id: &str) -> String {
    format!("refund-{session_id}")
}

fn idempotent(key: String) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(&key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::Refused(format!("idempotency key: {e}")))
}

/// Whether a Stripe error status is worth retrying.
fn transient(status: u16) -> bool {
    matches!(status, 409 | 429) || status >= 500
}

fn describe(error: &::stripe::ApiErrors) -> String {
    let mut text = error.type_.as_str().to_owned();
    if let Some(code) = &error.code {
        text.push_str(&format!(" ({})", code.as_str()));
    }
    if let Some(message) = &error.message {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}

/// Maps an async-stripe error to the port's error.
pub fn map_error(error: StripeError) -> PaymentError {
    match error {
        StripeError::Stripe(api, status) => {
            let text = format!("{status} {}", describe(&api));
            if transient(status) {
                PaymentError::Unavailable(text)
            } else {
                PaymentError::Refused(text)
            }
        }
        // Also what a non-2xx answer without a Stripe error body (a proxy's 502 page) becomes.
        StripeError::JSONDeserialize(m) => {
            PaymentError::Unavailable(format!("unreadable Stripe response: {m}"))
        }
        StripeError::ClientError(m) => PaymentError::Unavailable(m),
        StripeError::Timeout => PaymentError::Unavailable("timeout".into()),
        StripeError::ConfigError(m) => PaymentError::Refused(m),
    }
}

impl PaymentGateway for StripeGateway {
    async fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentError> {
        // Stripe would refuse it too, but only after a request: refused here, with the reason.
        if let Err(why) = check_currency(request.payment_offer.methods(), request.currency.code()) {
            tracing::error!(order = %request.order_id, reason = %why, "checkout refused before calling Stripe");
            return Err(PaymentError::Refused(why.to_string()));
        }
        let strategy = idempotent(checkout_idempotency_key(&request.order_id))?;
        let session = self
            .create_request(request)?
            .customize()
            .request_strategy(strategy)
            .send(&self.client)
            .await
            .map_err(map_error)?;
        let url = session.url.ok_or_else(|| {
            PaymentError::Refused(format!("checkout session {} has no URL", session.id))
        })?;
        tracing::info!(session = %session.id, expires_at = session.expires_at, "checkout session created");
        Ok(CheckoutSession {
            id: session.id.to_string(),
            url,
            expires_at: session.expires_at,
        })
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<ExpireOutcome, PaymentError> {
        match ExpireCheckoutSession::new(session_id)
            .send(&self.client)
            .await
        {
            Ok(session) => Ok(match session.status {
                Some(CheckoutSessionStatus::Complete) => ExpireOutcome::AlreadyComplete,
                _ => ExpireOutcome::Expired,
            }),
            Err(StripeError::Stripe(api, status)) if !transient(status) => {
                // Not open any more, or refused for another reason: the session says which.
                match self.session_status(session_id).await?.status {
                    Some(CheckoutSessionStatus::Expired) => Ok(ExpireOutcome::Expired),
                    Some(CheckoutSessionStatus::Complete) => Ok(ExpireOutcome::AlreadyComplete),
                    _ => Err(PaymentError::Refused(format!(
                        "{status} {}",
                        describe(&api)
                    ))),
                }
            }
            Err(other) => Err(map_error(other)),
        }
    }

    async fn refund(&self, session_id: &str) -> Result<String, PaymentError> {
        let state = self.session_status(session_id).await?;
        let payment_intent = state.payment_intent.ok_or_else(|| {
            PaymentError::Refused(format!("checkout session {session_id} has no payment"))
        })?;
        let refund = CreateRefund::new()
            .payment_intent(payment_intent)
            .customize()
            .request_strategy(idempotent(refund_idempotency_key(session_id))?)
            .send(&self.client)
            .await
            .map_err(map_error)?;
        Ok(refund.id.to_string())
    }
}
