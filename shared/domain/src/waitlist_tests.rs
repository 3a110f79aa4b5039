//! The waitlist's rules under random interleavings (proptest), against the in-memory store:
//! open checkouts, joins, releases (lapse or cancel), payments, stock added by ops, takes,
//! passes and sweeps (which lapse holds and offer returned units), each one transaction.
//!
//! After every step: stock is conserved (`available + held + reserved + sold = total`), each
//! held unit belongs to exactly one offered entry, the gate count is the number waiting,
//! nobody waits behind someone who was offered a unit, and the audit log has one `offered`
//! record per entry that was ever offered.

use super::*;
use crate::channel::Channel;
use crate::drops::{DropSku, DropStatus};
use crate::money::Currency;
use crate::orders::{Order, OrderLine, OrderStatus, StockTake};
use crate::payment_method::PaymentOffer;
use crate::ports::OrderStore;
use crate::testing::Memory;
use crate::testing_orders::MemoryOrders;
use proptest::prelude::*;
use std::collections::BTreeSet;

const DROP: &str = "spring";
const SKU: &str = "drop-bag";
const T0: i64 = 1_767_225_600;
const CUSTOMERS: u8 = 6;

fn spring(stock: u32) -> Drop {
    Drop {
        id: DROP.into(),
        name: "Spring drop".into(),
        starts_at: T0 - 3600,
        ends_at: None,
        per_customer_limit: None,
        skus: vec![DropSku {
            sku: SKU.into(),
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

fn chat(customer: u8) -> ConversationId {
    ConversationId::new(Channel::Telegram, format!("{}", 1000 + u32::from(customer)))
}

fn order(id: &str, customer: u8, now: i64) -> Order {
    Order {
        id: id.into(),
        conversation: chat(customer),
        lang: Lang::EN,
        customer: format!("conv:{customer}"),
        lines: vec![OrderLine {
            product: SKU.into(),
            name: "Bag".into(),
            item: "Bag".into(),
            selections: Vec::new(),
            unit_price: 100,
            quantity: 1,
        }],
        currency: Currency::USD,
        total: 100,
        status: OrderStatus::Reserved,
        created_at: now,
        expires_at: now + 600,
        pay_token: format!("tok-{id}"),
        stock: vec![StockTake {
            drop: DROP.into(),
            sku: SKU.into(),
            quantity: 1,
        }],
        limits: Vec::new(),
        checkout_session: None,
        checkout_url: None,
        tracking: None,
        attention: Vec::new(),
        payment_offer: PaymentOffer::default(),
        market_zone: None,
        opened_at: None,
    }
}

fn join_request(customer: u8, now: i64) -> JoinRequest {
    JoinRequest {
        drop: DROP.into(),
        sku: SKU.into(),
        conversation: chat(customer),
        lang: Lang::EN,
        product: SKU.into(),
        selections: Vec::new(),
        item: "Bag".into(),
        now,
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// An open checkout of one unit (refused while anyone waits, or when none is available).
    Buy(u8),
    Join(u8),
    /// The n-th open reservation ends (lapsed or cancelled): its unit comes back.
    Release(usize),
    /// The n-th open reservation is paid.
    Pay(usize),
    /// Ops add units (`chatdrop drop` stock).
    AddStock(u32),
    Take(u8),
    Pass(u8),
    /// Time passes (seconds), then the sweep runs.
    Sweep(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..CUSTOMERS).prop_map(Step::Buy),
        3 => (0..CUSTOMERS).prop_map(Step::Join),
        2 => (0usize..8).prop_map(Step::Release),
        1 => (0usize..8).prop_map(Step::Pay),
        1 => (1u32..3).prop_map(Step::AddStock),
        3 => (0..CUSTOMERS).prop_map(Step::Take),
        2 => (0..CUSTOMERS).prop_map(Step::Pass),
        3 => (0i64..900).prop_map(Step::Sweep),
    ]
}

struct World {
    orders: MemoryOrders,
    mem: Memory,
    drops: Vec<Drop>,
    total: u32,
    now: i64,
    next_order: usize,
    settings: WaitlistSettings,
}

impl World {
    fn new(stock: u32) -> World {
        let drops = vec![spring(stock)];
        World {
            orders: MemoryOrders::with_drops(drops.clone()),
            mem: Memory::default(),
            drops,
            total: stock,
            now: T0,
            next_order: 0,
            settings: WaitlistSettings::default(),
        }
    }

    fn open_reservations(&self) -> Vec<Order> {
        let state = self.orders.state.lock().unwrap();
        let mut open: Vec<Order> = state
            .orders
            .values()
            .filter(|o| o.status == OrderStatus::Reserved)
            .cloned()
            .collect();
        open.sort_by(|a, b| a.id.cmp(&b.id));
        open
    }

    fn new_order(&mut self, customer: u8) -> Order {
        self.next_order += 1;
        order(&format!("o{:04}", self.next_order), customer, self.now)
    }

    async fn apply(&mut self, step: &Step) {
        match step {
            Step::Buy(c) => {
                let waiting = self
                    .orders
                    .state
                    .lock()
                    .unwrap()
                    .waitlist
                    .waiting(DROP, SKU);
                let o = self.new_order(*c);
                let bought = self.orders.reserve(&o).await.is_ok();
                assert!(
                    !(bought && waiting > 0),
                    "open checkout took a unit while {waiting} waited"
                );
            }
            Step::Join(c) => {
                self.orders.join(&join_request(*c, self.now)).await.unwrap();
            }
            Step::Release(n) => {
                let open = self.open_reservations();
                if let Some(o) = open.get(n % open.len().max(1)) {
                    let to = if n % 2 == 0 {
                        OrderStatus::Expired
                    } else {
                        OrderStatus::Cancelled
                    };
                    assert!(self.orders.release(o, to).await.unwrap());
                }
            }
            Step::Pay(n) => {
                let open = self.open_reservations();
                if let Some(o) = open.get(n % open.len().max(1)) {
                    self.orders.mark_paid(o).await.unwrap();
                }
            }
            Step::AddStock(k) => {
                let mut state = self.orders.state.lock().unwrap();
                state
                    .stock
                    .entry((DROP.into(), SKU.into()))
                    .or_default()
                    .available += k;
                self.total += k;
            }
            Step::Take(c) => {
                let entry = self.orders.entry_of(DROP, SKU, &chat(*c)).await.unwrap();
                if let Some(entry) = entry {
                    let o = self.new_order(*c);
                    let result = self.orders.accept(&entry, &o, self.now).await;
                    let was_open = entry.status == EntryStatus::Offered
                        && entry.hold_until.is_some_and(|end| self.now < end);
                    assert_eq!(result.is_ok(), was_open, "{result:?} for {entry:?}");
                }
            }
            Step::Pass(c) => {
                let entry = self.orders.entry_of(DROP, SKU, &chat(*c)).await.unwrap();
                if let Some(entry) = entry {
                    let moved = self
                        .orders
                        .give_back(&entry, EntryStatus::Passed, self.now)
                        .await
                        .unwrap();
                    assert_eq!(moved, entry.status == EntryStatus::Offered);
                }
            }
            Step::Sweep(seconds) => {
                self.now += seconds;
                sweep_waitlist(
                    self.now,
                    &self.drops,
                    &self.orders,
                    &self.mem,
                    self.settings,
                )
                .await
                .unwrap();
            }
        }
    }

    fn check(&self) {
        let state = self.orders.state.lock().unwrap();
        let stock = state
            .stock
            .get(&(DROP.into(), SKU.into()))
            .copied()
            .unwrap_or_default();
        let line = state.waitlist.lines.get(&(DROP.into(), SKU.into()));
        let held = line.map_or(0, |l| l.held);
        assert_eq!(
            stock.available + held + stock.reserved + stock.sold,
            self.total,
            "stock not conserved: {stock:?}, held {held}"
        );
        let reserved = state
            .orders
            .values()
            .filter(|o| o.status == OrderStatus::Reserved)
            .count();
        assert_eq!(stock.reserved as usize, reserved);
        let Some(line) = line else { return };
        let offered: Vec<&WaitlistEntry> = line
            .entries
            .values()
            .filter(|e| e.status == EntryStatus::Offered)
            .collect();
        assert_eq!(
            held as usize,
            offered.len(),
            "a held unit without its one offer"
        );
        let waiting: Vec<u64> = line
            .entries
            .values()
            .filter(|e| e.status == EntryStatus::Waiting)
            .map(|e| e.seq)
            .collect();
        assert_eq!(
            line.waiting as usize,
            waiting.len(),
            "the gate count drifted"
        );
        // Nobody skipped: everyone who got an offer joined after everyone still waiting.
        let reached = line
            .entries
            .values()
            .filter(|e| e.status != EntryStatus::Waiting)
            .map(|e| e.seq)
            .max();
        if let (Some(first_waiting), Some(reached)) = (waiting.first(), reached) {
            assert!(
                reached < *first_waiting,
                "entry {reached} was offered before {first_waiting}, still waiting"
            );
        }
        // Every offer is in the audit log, once; offers in order of arrival.
        let offers: Vec<u64> = state
            .waitlist
            .audit
            .iter()
            .filter(|r| r.event == AuditEvent::Offered)
            .map(|r| r.seq)
            .collect();
        let distinct: BTreeSet<u64> = offers.iter().copied().collect();
        assert_eq!(distinct.len(), offers.len(), "an entry offered twice");
        assert!(
            offers.windows(2).all(|w| w[0] < w[1]),
            "offers out of order: {offers:?}"
        );
        let ever_offered = line
            .entries
            .values()
            .filter(|e| !matches!(e.status, EntryStatus::Waiting))
            .count();
        assert_eq!(offers.len(), ever_offered);
    }
}

fn run(stock: u32, steps: &[Step]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut world = World::new(stock);
        for s in steps {
            world.apply(s).await;
            world.check();
        }
        // Once the line is swept, no unit sits in `available` while someone waits.
        world.apply(&Step::Sweep(0)).await;
        world.check();
        let state = world.orders.state.lock().unwrap();
        let available = state
            .stock
            .get(&(DROP.into(), SKU.into()))
            .map_or(0, |s| s.available);
        let waiting = state.waitlist.waiting(DROP, SKU);
        assert!(
            available == 0 || waiting == 0,
            "{available} idle while {waiting} wait"
        );
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_unit_is_held_twice_nobody_is_skipped_and_stock_is_conserved(
        stock in 0u32..4,
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        run(stock, &steps);
    }
}

/// The story the issue tells, step by step: stock 1, A reserves, B meets sold out and joins,
/// A's reservation lapses, B is offered the unit (told once), C cannot buy it meanwhile, B passes,
/// C (who joined later) is offered it, and C's hold lapses with nobody left: open sale again.
#[tokio::test]
async fn a_returned_unit_goes_down_the_line_then_back_on_sale() {
    let mut w = World::new(1);
    w.apply(&Step::Buy(0)).await;
    let o = w.new_order(1);
    assert!(w.orders.reserve(&o).await.is_err(), "sold out");
    w.apply(&Step::Join(1)).await;
    w.apply(&Step::Join(2)).await;
    let a = w.open_reservations().remove(0);
    w.orders.release(&a, OrderStatus::Expired).await.unwrap();
    // Released, gated: nobody can check it out in the open.
    let o = w.new_order(3);
    assert!(w.orders.reserve(&o).await.is_err());
    w.apply(&Step::Sweep(60)).await;
    let b = w
        .orders
        .entry_of(DROP, SKU, &chat(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.status, EntryStatus::Offered);
    assert_eq!(b.hold_until, Some(w.now + DEFAULT_HOLD_MINUTES * 60));
    let told = w.mem.replies.lock().unwrap().clone();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].conversation, chat(1));
    let Reply::Choices { body, choices, .. } = &told[0].replies[0] else {
        panic!("{told:?}")
    };
    assert!(
        body.contains("Bag") && body.contains("10 minutes"),
        "{body}"
    );
    assert_eq!(choices[0].id, "p:wt:spring:0");
    assert_eq!(choices[1].id, "p:wn:spring:0");
    // A second sweep tells nobody again and offers nothing more.
    w.apply(&Step::Sweep(30)).await;
    assert_eq!(w.mem.replies.lock().unwrap().len(), 1);
    w.apply(&Step::Pass(1)).await;
    w.apply(&Step::Sweep(0)).await;
    let c = w
        .orders
        .entry_of(DROP, SKU, &chat(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, EntryStatus::Offered);
    // C lets the hold lapse: nobody left in line, so the unit is on open sale.
    w.apply(&Step::Sweep(DEFAULT_HOLD_MINUTES * 60)).await;
    let c = w
        .orders
        .entry_of(DROP, SKU, &chat(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, EntryStatus::Lapsed);
    let o = w.new_order(3);
    assert!(w.orders.reserve(&o).await.is_ok());
    let events: Vec<(u64, AuditEvent)> = w
        .orders
        .audit(DROP)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.seq, r.event))
        .collect();
    use AuditEvent::*;
    assert_eq!(
        events,
        [
            (1, Joined),
            (2, Joined),
            (1, Offered),
            (1, Passed),
            (2, Offered),
            (2, Lapsed)
        ]
    );
}

#[tokio::test]
async fn the_one_tap_checkout_takes_the_held_unit_and_only_while_held() {
    let mut w = World::new(0);
    w.apply(&Step::Join(1)).await;
    w.apply(&Step::AddStock(1)).await;
    w.apply(&Step::Sweep(0)).await;
    let b = w
        .orders
        .entry_of(DROP, SKU, &chat(1))
        .await
        .unwrap()
        .unwrap();
    // Another chat cannot take B's unit with B's entry.
    let stranger = w.new_order(4);
    assert!(matches!(
        w.orders.accept(&b, &stranger, w.now).await,
        Err(AcceptError::OfferGone)
    ));
    let mine = w.new_order(1);
    w.orders.accept(&b, &mine, w.now).await.unwrap();
    assert_eq!(w.orders.stock(DROP, SKU).reserved, 1);
    // A double tap finds the offer taken.
    let again = w.new_order(1);
    assert!(matches!(
        w.orders.accept(&b, &again, w.now).await,
        Err(AcceptError::OfferGone)
    ));
    w.check();
}

#[test]
fn sold_out_offers_the_waitlist_only_where_a_line_can_be_kept() {
    let d = spring(1);
    let Reply::Choices { choices, .. } = sold_out_reply(Some(&d), SKU, "Bag", Lang::EN.into())
    else {
        panic!("no button")
    };
    assert_eq!(choices[0].id, "p:wj:spring:0");
    assert_eq!(choices[0].title, "Join the waitlist");
    let mut sharded = spring(8);
    sharded.skus[0].shards = Some(4);
    assert!(matches!(
        sold_out_reply(Some(&sharded), SKU, "Bag", Lang::EN.into()),
        Reply::Text { .. }
    ));
    assert!(matches!(
        sold_out_reply(None, SKU, "Bag", Lang::EN.into()),
        Reply::Text { .. }
    ));
}
