//! The end-to-end harness: a whole local stack per test, driven over HTTP.
//!
//! Each test gets its own fake platforms and its own table and queues (name prefix) on the moto
//! that `cargo xtask test` started, so tests run in parallel without seeing each other. A test
//! posts signed webhooks to the stack's listener, exactly as the platforms would, and reads what
//! the fake platforms received.

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::clock::{Clock, SystemClock};
use serde_json::Value;
use std::time::Duration;
pub use xtask::customer::{Customer, Platform, Webhook};
pub use xtask::fakes::OutboxEntry;
pub use xtask::stack::Consumers;
use xtask::stack::{LocalStack, StackOptions};

pub struct Harness {
    pub stack: LocalStack,
    http: reqwest::Client,
    /// The client of [`Harness::get_raw`], which does not follow redirects.
    raw: reqwest::Client,
}

impl Harness {
    /// Starts fakes and a stack with the sample catalog loaded.
    pub async fn start(test: &str) -> Harness {
        Harness::start_with(test, true).await
    }

    /// A stack without its queue consumers, for tests that call the logic directly.
    pub async fn start_without_consumers(test: &str) -> Harness {
        Harness::start_with(test, false).await
    }

    /// A stack whose functions get `env` on top of the local stack's own environment.
    pub async fn start_with_env(test: &str, env: &[(&str, &str)]) -> Harness {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Harness::start_configured(test, true, env).await
    }

    async fn start_with(test: &str, consumers: bool) -> Harness {
        Harness::start_configured(test, consumers, Vec::new()).await
    }

    async fn start_configured(test: &str, consumers: bool, env: Vec<(String, String)>) -> Harness {
        let consumers = if consumers {
            Consumers::All
        } else {
            Consumers::None
        };
        Harness::start_consuming(test, consumers, env).await
    }

    /// A stack running only `consumers` (a test that runs a queue's poller itself starts the
    /// rest with [`Consumers::NotifyOnly`]).
    pub async fn start_consuming(
        test: &str,
        consumers: Consumers,
        env: Vec<(String, String)>,
    ) -> Harness {
        let catalog: Catalog = toml::from_str(include_str!("../cli/catalogs/sample.toml")).unwrap();
        Harness::start_selling(test, consumers, env, &catalog).await
    }

    /// A stack selling `catalog` instead of the sample (see [`maison_catalog`]).
    pub async fn start_with_catalog(test: &str, catalog: &Catalog) -> Harness {
        Harness::start_selling(test, Consumers::All, Vec::new(), catalog).await
    }

    async fn start_selling(
        test: &str,
        consumers: Consumers,
        env: Vec<(String, String)>,
        catalog: &Catalog,
    ) -> Harness {
        // `RUST_LOG=info cargo xtask test …` shows every function's JSON logs.
        if std::env::var_os("RUST_LOG").is_some() {
            chatdrop_telemetry::init();
        }
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
            panic!("AWS_ENDPOINT_URL is not set: run the tests through `cargo xtask test`, which starts moto")
        });
        let (fakes_url, _server) = xtask::fakes::spawn("127.0.0.1:0")
            .await
            .expect("fakes start");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let prefix = format!("{test}-{}-{nanos}-", std::process::id());
        let mut options = StackOptions::new(&endpoint, &prefix, &fakes_url);
        options.consumers = consumers;
        options.env = env;
        let stack = LocalStack::start(options)
            .await
            .expect("local stack starts");
        stack.load_catalog(catalog).await.expect("catalog loads");
        Harness {
            stack,
            http: xtask::local_http::client(),
            raw: xtask::local_http::no_redirects(),
        }
    }

    pub fn whatsapp(&self, wa_id: &str) -> Customer {
        Customer::whatsapp(&self.stack.url, wa_id, "Ana")
    }

    pub fn telegram(&self, chat_id: i64, language: Option<&str>) -> Customer {
        Customer::telegram(&self.stack.url, chat_id, "Ken", language)
    }

    /// A customer on any platform, known there by `id`.
    pub fn customer_on(&self, platform: Platform, id: &str) -> Customer {
        match platform {
            Platform::Whatsapp => self.whatsapp(id),
            Platform::Telegram => self.telegram(id.parse().expect("a numeric chat id"), None),
            other => Customer::on(other, &self.stack.url, id, "Mei"),
        }
    }

    /// Picks the choice whose title contains `title` (ignoring case) from the last of
    /// `replies` that offers one, as the customer would: a tap where the platform has buttons,
    /// its number typed where it has not.
    pub async fn choose(
        &self,
        customer: &Customer,
        replies: &[OutboxEntry],
        title: &str,
    ) -> Vec<OutboxEntry> {
        let Some(webhook) = customer.choice_webhook(replies, title) else {
            let seen: Vec<_> = replies.iter().map(xtask::transcript::choices).collect();
            panic!("no choice titled like `{title}` in {seen:#?}\n{replies:#?}");
        };
        self.exchange(customer, &webhook).await
    }

    /// Posts `webhook` as `customer`, expects 200, and returns the requests that answered it.
    pub async fn exchange(&self, customer: &Customer, webhook: &Webhook) -> Vec<OutboxEntry> {
        let before = self.stack.last_seq().await.unwrap();
        assert_eq!(
            customer.post(webhook).await.unwrap(),
            200,
            "webhook accepted"
        );
        self.stack
            .replies_after(&customer.id, before)
            .await
            .expect("a reply arrives")
    }

    pub async fn say(&self, customer: &Customer, text: &str) -> Vec<OutboxEntry> {
        self.exchange(customer, &customer.text_webhook(text)).await
    }

    pub async fn tap(&self, customer: &Customer, payload: &str) -> Vec<OutboxEntry> {
        self.exchange(customer, &customer.tap_webhook(payload, "tap"))
            .await
    }

    /// Posts raw bytes with headers to a path of the listener; returns status and body.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, String) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.stack.url))
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.stack.url))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Asserts that nothing is sent to `recipient` after `after`: once the stack is idle
    /// (`LocalStack::idle`: everything sent to it handled, so nothing more can come of it), or
    /// after 2.5 s if it never is (a delayed retry), long enough for a message to cross
    /// ingress, a conversation function and notify on the local stack.
    pub async fn assert_silence(&self, recipient: &str, after: usize) {
        let give_up = tokio::time::Instant::now() + Duration::from_millis(2500);
        while tokio::time::Instant::now() < give_up && !self.stack.idle().await.unwrap() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let sent: Vec<OutboxEntry> = self
            .stack
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.seq > after && e.recipient == recipient)
            .collect();
        assert!(sent.is_empty(), "expected no reply, got {sent:#?}");
    }
}

/// The text a WhatsApp or Telegram request shows the customer (body text of any kind).
pub fn shown_text(entry: &OutboxEntry) -> String {
    let b = &entry.body;
    [
        &b["text"]["body"],
        &b["interactive"]["body"]["text"],
        &b["text"],
        &b["caption"],
        &b["image"]["caption"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join("\n")
}

/// Every text of a set of requests, joined.
pub fn all_text(entries: &[OutboxEntry]) -> String {
    entries
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Button ids of a WhatsApp interactive message or a Telegram inline keyboard.
pub fn button_ids(entry: &OutboxEntry) -> Vec<String> {
    let b = &entry.body;
    let mut ids = Vec::new();
    for button in b["interactive"]["action"]["buttons"]
        .as_array()
        .into_iter()
        .flatten()
    {
        ids.extend(button["reply"]["id"].as_str().map(String::from));
    }
    for section in b["interactive"]["action"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for row in section["rows"].as_array().into_iter().flatten() {
            ids.extend(row["id"].as_str().map(String::from));
        }
    }
    for row in b["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for button in row.as_array().into_iter().flatten() {
            ids.extend(button["callback_data"].as_str().map(String::from));
        }
    }
    ids
}

pub fn json(entry: &OutboxEntry) -> &Value {
    &entry.body
}

/// A drop of the sample's Drop Bag: `stock` units, `limit` per customer, open since an hour.
pub fn bag_drop(id: &str, stock: u32, limit: Option<u32>) -> chatdrop_domain::drops::Drop {
    use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
    let now = SystemClock.now();
    Drop {
        id: id.into(),
        name: "Winter drop".into(),
        starts_at: now - 3600,
        ends_at: None,
        per_customer_limit: limit,
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    }
}

/// The benchmark catalog of issue 14 (`cli/catalogs/maison.toml`): one limited-edition bag
/// and a scarf, sold in China (CNY, WeChat), Thailand (THB, LINE), Brazil (BRL, WhatsApp) and
/// the US.
pub fn maison_catalog() -> Catalog {
    toml::from_str(include_str!("../cli/catalogs/maison.toml")).expect("maison.toml is a catalog")
}

/// A drop of maison's Atelier Bag: `stock` units, one per customer, open since an hour; a
/// method that settles later (Pix) may take `pay_within_days`.
pub fn atelier_drop(
    id: &str,
    stock: u32,
    pay_within_days: Option<u32>,
) -> chatdrop_domain::drops::Drop {
    let mut drop = bag_drop(id, stock, Some(1));
    drop.name = "Atelier Bag, Limited Edition".into();
    drop.skus[0].sku = "atelier-bag".into();
    drop.delayed_payment_days = pay_within_days;
    drop
}

impl Harness {
    /// Walks `customer` through customizing a Drop Bag (black, canvas, no charm, no engraving)
    /// into the cart.
    pub async fn add_plain_bag(&self, customer: &Customer) {
        self.tap(customer, "k:a:drop-bag").await;
        self.tap(customer, "k:o:drop-bag:colour:black").await;
        self.tap(customer, "k:o:drop-bag:strap:canvas").await;
        self.tap(customer, "k:s:drop-bag:charm").await;
        let replies = self.tap(customer, "k:s:drop-bag:engraving").await;
        assert!(
            all_text(&replies).contains("Drop Bag (Black, Canvas strap)"),
            "{}",
            all_text(&replies)
        );
    }

    /// A GET that does not follow redirects: status, `location`, body bytes.
    pub async fn get_raw(&self, url: &str) -> (u16, Option<String>, Vec<u8>) {
        let response = self.raw.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, location, response.bytes().await.unwrap().to_vec())
    }
}

impl Harness {
    /// Moves the customer's last message `hours` into the past, as if they had gone quiet:
    /// the customer-service windows count from it.
    pub async fn went_quiet(
        &self,
        conversation: &chatdrop_domain::channel::ConversationId,
        hours: i64,
    ) {
        let store = self.stack.store();
        store
            .client()
            .update_item()
            .table_name(store.table())
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("CONV#{}", conversation.key())),
            )
            .key(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S("SESSION".into()),
            )
            .update_expression("SET last_heard_at = last_heard_at - :d")
            .expression_attribute_values(
                ":d",
                aws_sdk_dynamodb::types::AttributeValue::N((hours * 3600).to_string()),
            )
            .send()
            .await
            .expect("session moved back in time");
    }

    /// Ships a paid order and tells the customer, as `chatdrop orders ship` does.
    pub async fn ship(&self, order_id: &str, tracking: &str) {
        let store = self.stack.store();
        assert!(
            store.mark_shipped(order_id, tracking).await.unwrap(),
            "order was paid"
        );
        let order = chatdrop_domain::ports::OrderStore::order(&store, order_id)
            .await
            .unwrap()
            .unwrap();
        chatdrop_domain::order_events::tell_customer(&order, &store, &self.stack.queues())
            .await
            .unwrap();
    }

    /// Sends a held bundle again, as `chatdrop held send` does.
    pub async fn send_held(&self, bundle_id: &str) {
        let requeued = self
            .stack
            .store()
            .requeue_held(bundle_id, &self.stack.queues())
            .await
            .unwrap();
        assert!(requeued.is_some(), "{bundle_id} was held");
    }

    /// Makes a fake platform answer its next call with `status` and `body` (and `Retry-After`).
    pub async fn inject_fault(
        &self,
        channel: &str,
        status: u16,
        body: Value,
        retry_after: Option<u64>,
    ) {
        let fault = xtask::fakes::Fault {
            channel: channel.into(),
            status,
            body,
            retry_after,
        };
        let response = self
            .http
            .post(format!("{}/_control/faults", self.stack.fakes_url))
            .json(&vec![fault])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}

/// Polls `check` until it yields a value (for up to 15 s).
pub async fn eventually<T, F, Fut>(check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..60 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("condition not reached within 15 s");
}
