//! What one sale costs in DynamoDB, as a checked invariant: every request the payment
//! function's checkout sends is counted by an SDK interceptor on the store's client, and the
//! write units are worked out from the items as DynamoDB stores them (1 per KB per item, twice
//! that in a transaction; `chatdrop_store::capacity`), the way `flashcrowd` reports them.
//!
//! A sale: one read for the marker, the session and the open drops (`BatchGetItem`, the drops
//! by key while the function's list of them is current: `shared/store/src/orders/drop_list.rs`),
//! one transaction for the stock, the limit, the order, its index entries, the session and the
//! marker, and the page's address on the order (`UpdateItem`). A sold-out answer, once the SKU
//! is flagged: the same one read and the conversation's commit, no reservation transaction.
//! `cargo xtask test -p chatdrop-e2e --test sale_calls -- --nocapture` prints the items.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::orders::OrderStatus;
use chatdrop_domain::payment::{
    CheckoutRequest, CheckoutSession, ExpireOutcome, PaymentError, PaymentGateway,
};
use chatdrop_domain::ports::OrderStore;
use chatdrop_domain::process::Handled;
use chatdrop_domain::reply::ReplyBundle;
use chatdrop_e2e::{Harness, bag_drop};
use chatdrop_store::DynamoStore;
use std::sync::Mutex;
use xtask::crowd::{self, Captured, got_pay_link, plain_bag};
use xtask::dev::id_key;
use xtask::dynamo_calls::{Call, RecordCalls, ops, write_units};

/// The most calls and write units a sale may cost (README, Performance).
const SALE_CALLS: usize = 3;
const SALE_WCU: u64 = 15;
/// A sold-out answer: reads, and writes (the conversation's commit, with the marker: no
/// `done` write after it, as after a sale).
const SOLD_OUT_READS: usize = 1;
const SOLD_OUT_WRITES: usize = 1;

/// Write units of `calls` on AWS, read back through a client that records nothing.
async fn units(h: &Harness, calls: &[Call]) -> (u64, Vec<String>) {
    let plain = aws_sdk_dynamodb::Client::new(&h.stack.aws);
    write_units(&plain, &h.stack.provisioned.table, calls)
        .await
        .unwrap()
}

async fn checkout(
    store: &DynamoStore,
    h: &Harness,
    captured: &Captured,
    buyer: &ConversationId,
    n: usize,
) -> ReplyBundle {
    let gateway = h.stack.gateway().unwrap();
    let settings = h.stack.config.checkout_settings(xtask::dev::id_key());
    let ports = PaymentPorts {
        sessions: store,
        catalogs: store,
        orders: store,
        gateway: &gateway,
        dispatch: captured,
    };
    let message = crowd::checkout_message(buyer, n, SystemClock.now());
    checkout::handle(&message, &ports, &settings, SystemClock.now())
        .await
        .unwrap();
    captured.0.lock().unwrap().last().cloned().unwrap()
}

#[tokio::test]
async fn a_sale_and_a_sold_out_answer_cost_what_the_readme_says() {
    let h = Harness::start_without_consumers("salecalls").await;
    h.stack
        .open_drop(&bag_drop("calls", 2, Some(1)))
        .await
        .unwrap();
    let recorder = RecordCalls::default();
    let requests = recorder.unscoped.clone();
    let store = DynamoStore::new(
        recorder.client(&h.stack.aws),
        h.stack.provisioned.table.clone(),
    );
    let captured = Captured::default();
    let buyers: Vec<ConversationId> = (0..4)
        .map(|i| ConversationId::new(Channel::Whatsapp, format!("55117{i:08}")))
        .collect();
    for buyer in &buyers {
        crowd::seed_cart(&store, buyer, "drop-bag", plain_bag(), None)
            .await
            .unwrap();
    }

    // The first sale warms the function (the catalog, cached 30 s, and the stock layout).
    assert!(got_pay_link(
        &checkout(&store, &h, &captured, &buyers[0], 0).await
    ));
    requests.take();

    let answer = checkout(&store, &h, &captured, &buyers[1], 1).await;
    assert!(got_pay_link(&answer), "the second unit sells");
    let sale = requests.take();
    let (sale_wcu, lines) = units(&h, &sale).await;
    let sale_ops = ops(&sale);
    eprintln!("a sale: {} calls {sale_ops:?}, {sale_wcu} WCU", sale.len());
    for l in &lines {
        eprintln!("  {l}");
    }
    assert_eq!(
        sale_ops,
        ["BatchGetItem", "TransactWriteItems", "UpdateItem"]
    );
    assert!(sale.len() <= SALE_CALLS);
    assert!(sale_wcu <= SALE_WCU, "{sale_wcu} WCU");

    // The first buyer after the last unit is refused by the stock guard and flags the SKU.
    let refused = checkout(&store, &h, &captured, &buyers[2], 2).await;
    assert!(!got_pay_link(&refused));
    requests.take();

    let answer = checkout(&store, &h, &captured, &buyers[3], 3).await;
    assert!(!got_pay_link(&answer), "sold out");
    let sold_out = requests.take();
    let (sold_out_wcu, lines) = units(&h, &sold_out).await;
    let sold_out_ops = ops(&sold_out);
    eprintln!(
        "a sold-out answer: {} calls {sold_out_ops:?}, {sold_out_wcu} WCU",
        sold_out.len()
    );
    for l in &lines {
        eprintln!("  {l}");
    }
    let reads = sold_out_ops
        .iter()
        .filter(|op| matches!(**op, "BatchGetItem" | "Query" | "GetItem"))
        .count();
    assert_eq!(reads, SOLD_OUT_READS, "{sold_out_ops:?}");
    assert_eq!(sold_out.len() - reads, SOLD_OUT_WRITES, "{sold_out_ops:?}");
    // The stock decision itself took no call: no transaction touched the stock.
    assert!(
        sold_out
            .iter()
            .all(|c| c.writes().iter().all(|w| !w.pk.starts_with("DROP#"))),
        "no write on the stock"
    );
    h.stack.stop().await;
}

/// The stack's fake Stripe, failing its first page with the error given.
struct FailFirst<G> {
    inner: G,
    first: Mutex<Option<PaymentError>>,
}

impl<G: PaymentGateway> PaymentGateway for FailFirst<G> {
    async fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentError> {
        let failure = self.first.lock().unwrap().take();
        match failure {
            Some(e) => Err(e),
            None => self.inner.create_checkout(request).await,
        }
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<ExpireOutcome, PaymentError> {
        self.inner.expire_checkout(session_id).await
    }

    async fn refund(&self, session_id: &str) -> Result<String, PaymentError> {
        self.inner.refund(session_id).await
    }
}

/// A sale is committed with its reservation before Stripe is asked: when the page fails, the
/// redelivery (pending marker) opens it and sends the pay link; when Stripe refuses it, the
/// order is released and the customer told, and a redelivery sends nothing more.
#[tokio::test]
async fn a_committed_sale_whose_page_failed_is_finished_by_the_redelivery() {
    let h = Harness::start_without_consumers("salepage").await;
    h.stack
        .open_drop(&bag_drop("page", 5, Some(1)))
        .await
        .unwrap();
    let store = h.stack.store();
    let settings = h.stack.config.checkout_settings(id_key());
    let captured = Captured::default();
    let now = SystemClock.now();
    for (n, failure) in [
        PaymentError::Unavailable("timeout".into()),
        PaymentError::Refused("bad".into()),
    ]
    .into_iter()
    .enumerate()
    {
        let buyer = ConversationId::new(Channel::Whatsapp, format!("55116{n:08}"));
        crowd::seed_cart(&store, &buyer, "drop-bag", plain_bag(), None)
            .await
            .unwrap();
        let unavailable = matches!(failure, PaymentError::Unavailable(_));
        let gateway = FailFirst {
            inner: h.stack.gateway().unwrap(),
            first: Mutex::new(Some(failure)),
        };
        let ports = PaymentPorts {
            sessions: &store,
            catalogs: &store,
            orders: &store,
            gateway: &gateway,
            dispatch: &captured,
        };
        let message = crowd::checkout_message(&buyer, 100 + n, now);
        let order_id = settings.ids.order_id(&message.dedup_identity());
        let first = checkout::handle(&message, &ports, &settings, now).await;
        let order = store.order(&order_id).await.unwrap().expect("reserved");
        if unavailable {
            assert!(first.is_err(), "the queue retries");
            assert_eq!(order.status, OrderStatus::Reserved);
            assert_eq!(order.checkout_session, None);
            let again = checkout::handle(&message, &ports, &settings, now).await;
            assert_eq!(again.unwrap(), Handled::Replied);
            let order = store.order(&order_id).await.unwrap().unwrap();
            assert!(order.checkout_session.is_some(), "the page, opened now");
            assert!(got_pay_link(captured.0.lock().unwrap().last().unwrap()));
        } else {
            assert_eq!(first.unwrap(), Handled::Replied);
            assert_eq!(order.status, OrderStatus::Cancelled, "released");
            assert!(!got_pay_link(captured.0.lock().unwrap().last().unwrap()));
        }
        // Answered and closed: a later delivery sends nothing.
        let sent = captured.0.lock().unwrap().len();
        let late = checkout::handle(&message, &ports, &settings, now).await;
        // Marked done by the redelivery that finished the sale, or with the refusal.
        assert_eq!(late.unwrap(), Handled::Duplicate);
        assert_eq!(captured.0.lock().unwrap().len(), sent);
    }
    let stock = store.drop_stock("page").await.unwrap();
    assert_eq!(
        stock,
        [("drop-bag".to_string(), 4, 1, 0)],
        "one reserved, one returned"
    );
    h.stack.stop().await;
}
