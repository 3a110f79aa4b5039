//! The Checkout Session create form, written as Stripe's API reference shows it: form-encoded
//! with bracketed keys (`line_items[0][price_data][currency]=usd`,
//! <https://docs.stripe.com/api/checkout/sessions/create>).
//!
//! async-stripe wrote this form from its generated types until they turned out to be the
//! largest part of three Lambda bootstraps (README "Performance"): chatdrop sends one request
//! shape with a dozen fields, so the fields are written here, in the order async-stripe
//! 1.0.0-rc.10 serialized them (its struct order), with the same values.

use chatdrop_domain::payment_method::{PaymentMethod, PaymentOffer};

/// `payment_method_options`: what the offered methods need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentMethodOptions {
    pub konbini: Option<KonbiniOptions>,
    pub pix: Option<PixOptions>,
    pub wechat_pay: Option<WechatPayOptions>,
}

/// `payment_method_options[konbini]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KonbiniOptions {
    pub expires_after_days: Option<u32>,
}

/// `payment_method_options[pix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixOptions {
    pub expires_after_seconds: Option<i64>,
}

/// `payment_method_options[wechat_pay]`: `client` is `web`, `ios` or `android`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPayOptions {
    pub client: &'static str,
}

/// `allowed_payment_method_types[]`: the offer's methods by Stripe's names, in its order.
pub fn allowed_payment_method_types(offer: &PaymentOffer) -> Vec<&'static str> {
    offer.methods().iter().map(|m| m.stripe_name()).collect()
}

/// `payment_method_options`: what the offered methods need, `None` when none needs anything.
///
/// - WeChat Pay: `client=web`, the client Checkout's hosted page pays from (Stripe requires a
///   client for WeChat Pay; `ios` and `android` are for apps with their own app id);
/// - Konbini: `expires_after_days`, the voucher's deadline the reservation is held to;
/// - Pix: `expires_after_seconds`, the same for its QR code.
pub fn payment_method_options(offer: &PaymentOffer) -> Option<PaymentMethodOptions> {
    let options = PaymentMethodOptions {
        konbini: offer
            .konbini_expires_after_days()
            .map(|days| KonbiniOptions {
                expires_after_days: Some(days),
            }),
        pix: offer.pix_expires_after_seconds().map(|seconds| PixOptions {
            expires_after_seconds: Some(seconds),
        }),
        wechat_pay: offer
            .has(PaymentMethod::WechatPay)
            .then_some(WechatPayOptions { client: "web" }),
    };
    (options != PaymentMethodOptions::default()).then_some(options)
}

/// One line item: inline price data in Stripe's units.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub name: String,
    pub description: Option<String>,
    pub unit_amount: i64,
    pub quantity: u32,
}

/// Every field chatdrop sends to `POST /v1/checkout/sessions`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSession {
    pub allowed_payment_method_types: Vec<&'static str>,
    pub cancel_url: String,
    pub client_reference_id: String,
    /// Lowercase ISO 4217 code.
    pub currency: String,
    pub expires_at: i64,
    pub line_items: Vec<LineItem>,
    pub order_id: String,
    pub payment_method_options: Option<PaymentMethodOptions>,
    /// `shipping_address_collection[allowed_countries][]`, when an address is collected.
    pub shipping_countries: Option<Vec<String>>,
    pub success_url: String,
}

impl CreateSession {
    /// The form body: `application/x-www-form-urlencoded`, the same bytes for the same
    /// session (a retry under the same idempotency key must send the same parameters).
    pub fn form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (i, method) in self.allowed_payment_method_types.iter().enumerate() {
            form.append_pair(&format!("allowed_payment_method_types[{i}]"), method);
        }
        form.append_pair("cancel_url", &self.cancel_url);
        form.append_pair("client_reference_id", &self.client_reference_id);
        form.append_pair("expires_at", &self.expires_at.to_string());
        for (i, item) in self.line_items.iter().enumerate() {
            let key = |field: &str| format!("line_items[{i}][{field}]");
            form.append_pair(&key("price_data][currency"), &self.currency);
            if let Some(description) = &item.description {
                form.append_pair(&key("price_data][product_data][description"), description);
            }
            form.append_pair(&key("price_data][product_data][name"), &item.name);
            form.append_pair(
                &key("price_data][unit_amount"),
                &item.unit_amount.to_string(),
            );
            form.append_pair(&key("quantity"), &item.quantity.to_string());
        }
        form.append_pair("metadata[order_id]", &self.order_id);
        form.append_pair("mode", "payment");
        if let Some(options) = &self.payment_method_options {
            if let Some(days) = options.konbini.as_ref().and_then(|k| k.expires_after_days) {
                form.append_pair(
                    "payment_method_options[konbini][expires_after_days]",
                    &days.to_string(),
                );
            }
            if let Some(seconds) = options.pix.as_ref().and_then(|p| p.expires_after_seconds) {
                form.append_pair(
                    "payment_method_options[pix][expires_after_seconds]",
                    &seconds.to_string(),
                );
            }
            if let Some(wechat) = &options.wechat_pay {
                form.append_pair("payment_method_options[wechat_pay][client]", wechat.client);
            }
        }
        if let Some(countries) = &self.shipping_countries {
            for (i, country) in countries.iter().enumerate() {
                form.append_pair(
                    &format!("shipping_address_collection[allowed_countries][{i}]"),
                    country,
                );
            }
        }
        form.append_pair("success_url", &self.success_url);
        form.finish()
    }
}
