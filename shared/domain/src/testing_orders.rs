//! In-memory stand-ins for the order store and the payment provider, for the domain's tests.
//!
//! [`MemoryOrders`] keeps the rules of `chatdrop-store`'s DynamoDB orders: a reservation takes
//! stock and limit units all or nothing, each transition is conditional on the state it
//! leaves, a late payment is a sale only while the stock is still there, and events and
//! notices are recorded once. It has no shards and no retries: one lock is one transaction.

use crate::channel::ConversationId;
use crate::drops::{Drop, DropStatus};
use crate::money::Currency;
use crate::orders::{Order, OrderStatus};
use crate::payment::{
    CheckoutRequest, CheckoutSession, ExpireOutcome, PaymentError, PaymentGateway,
};
use crate::ports::{OrderStore, PaidOutcome, PortError, ReserveError};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

/// One SKU's counters, as the store keeps them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stock {
    pub available: u32,
    pub reserved: u32,
    pub sold: u32,
}

/// A limit counter's key: customer record, drop, and the SKU (`None` drop-wide).
type LimitKey = (String, String, Option<String>);

#[derive(Default)]
pub struct OrdersState {
    pub drops: Vec<Drop>,
    pub stock: HashMap<(String, String), Stock>,
    pub limits: HashMap<LimitKey, u32>,
    /// Conversation-only customer → the phone record it was linked to.
    pub links: HashMap<String, String>,
    pub orders: HashMap<String, Order>,
    pub tokens: HashMap<String, String>,
    /// (expires_at, order id) of every live reservation.
    pub reservations: BTreeSet<(i64, String)>,
    pub events: HashSet<String>,
    pub notices: HashSet<(String, String)>,
    /// The waitlists, their held units and audit log (`crate::testing_waitlist`).
    pub waitlist: crate::testing_waitlist::WaitlistState,
    /// Draw entries and records (shared handle: `DrawStore` below delegates to it).
    pub draws: crate::draw_memory::MemoryDraws,
    /// What each person paid in total, per currency (`crate::vip`), counted by `mark_paid`.
    pub lifetime: HashMap<(String, Currency), i64>,
}

impl OrdersState {
    /// Adds a sale to its person's lifetime total, as the store's `mark_paid` does in the
    /// same transaction.
    fn count_paid(&mut self, order: &Order) {
        *self
            .lifetime
            .entry((order.customer.clone(), order.currency))
            .or_default() += order.total;
    }

    /// A SKU's stock in a drop, as every stock move reads and writes it.
    fn shelf(&mut self, drop: &str, sku: &str) -> &mut Stock {
        self.stock
            .entry((drop.to_string(), sku.to_string()))
            .or_default()
    }

    fn current_customer(&self, customer: &str) -> String {
        self.links
            .get(customer)
            .cloned()
            .unwrap_or_else(|| customer.to_string())
    }

    /// Creates the order and takes its units, all or nothing; `held` names the SKU whose unit
    /// comes from the waitlist's hold instead of open stock (the one-tap checkout of an offer).
    pub(crate) fn reserve(
        &mut self,
        order: &Order,
        held: Option<(&str, &str)>,
    ) -> Result<(), ReserveError> {
        let state = self;
        if state.orders.contains_key(&order.id) {
            return Err(ReserveError::AlreadyExists);
        }
        for t in &order.stock {
            let from_hold = held == Some((t.drop.as_str(), t.sku.as_str()));
            let available = state
                .stock
                .get(&(t.drop.clone(), t.sku.clone()))
                .map_or(0, |s| s.available);
            // Open stock of a SKU with a line is for the line (the store's gate), and a held
            // unit is one.
            let open = if from_hold {
                u32::from(state.waitlist.held(&t.drop, &t.sku) >= t.quantity && t.quantity == 1)
            } else if state.waitlist.waiting(&t.drop, &t.sku) > 0 {
                0
            } else {
                available
            };
            if open < t.quantity {
                return Err(ReserveError::SoldOut {
                    drop: t.drop.clone(),
                    sku: t.sku.clone(),
                });
            }
        }
        // As the store does: the order's own customer record, no link resolved.
        for l in &order.limits {
            let counted = state
                .limits
                .get(&(order.customer.clone(), l.drop.clone(), l.sku.clone()))
                .copied()
                .unwrap_or(0);
            if i64::from(counted) > i64::from(l.limit) - i64::from(l.quantity) {
                return Err(ReserveError::OverLimit {
                    drop: l.drop.clone(),
                    sku: l.sku.clone(),
                    limit: l.limit,
                });
            }
        }
        for t in &order.stock {
            if held == Some((t.drop.as_str(), t.sku.as_str())) {
                state.waitlist.take_held(&t.drop, &t.sku);
                state.shelf(&t.drop, &t.sku).reserved += t.quantity;
                continue;
            }
            let s = state.shelf(&t.drop, &t.sku);
            s.available -= t.quantity;
            s.reserved += t.quantity;
        }
        for l in &order.limits {
            *state
                .limits
                .entry((order.customer.clone(), l.drop.clone(), l.sku.clone()))
                .or_default() += l.quantity;
        }
        state
            .tokens
            .insert(order.pay_token.clone(), order.id.clone());
        state
            .reservations
            .insert((order.expires_at, order.id.clone()));
        state.orders.insert(order.id.clone(), order.clone());
        Ok(())
    }

    /// `reserved` → `to`, giving back the stock and limit units; `false` if not reserved.
    fn release(
        &mut self,
        order: &Order,
        to: OrderStatus,
        note: Option<&str>,
    ) -> Result<bool, PortError> {
        let Some(stored) = self.orders.get(&order.id) else {
            return Ok(false);
        };
        if stored.status != OrderStatus::Reserved {
            return Ok(false);
        }
        let customer = self.current_customer(&order.customer);
        for l in &order.limits {
            let held = self
                .limits
                .get(&(customer.clone(), l.drop.clone(), l.sku.clone()))
                .copied()
                .unwrap_or(0);
            if held < l.quantity {
                return Err(PortError::new("release", "limit units went missing"));
            }
        }
        for l in &order.limits {
            *self
                .limits
                .entry((customer.clone(), l.drop.clone(), l.sku.clone()))
                .or_default() -= l.quantity;
        }
        for t in &order.stock {
            let s = self.shelf(&t.drop, &t.sku);
            s.available += t.quantity;
            s.reserved = s.reserved.saturating_sub(t.quantity);
        }
        let stored = self.orders.get_mut(&order.id).expect("read above");
        stored.status = to;
        if let Some(note) = note {
            stored.attention.push(note.to_string());
        }
        self.reservations
            .remove(&(order.expires_at, order.id.clone()));
        Ok(true)
    }
}

#[derive(Default)]
pub struct MemoryOrders {
    pub state: Mutex<OrdersState>,
    /// When set, the next `release` finds its order already moved to this status, as when the
    /// sweep or a payment wins the race between a reader's `order` and its `release`.
    pub moved_before_release: Mutex<Option<OrderStatus>>,
}

impl MemoryOrders {
    /// A store selling `drops`, each SKU with its full stock.
    pub fn with_drops(drops: Vec<Drop>) -> Self {
        let mut state = OrdersState::default();
        for d in &drops {
            for s in &d.skus {
                state.stock.insert(
                    (d.id.clone(), s.sku.clone()),
                    Stock {
                        available: s.stock,
                        ..Stock::default()
                    },
                );
            }
        }
        state.drops = drops;
        MemoryOrders {
            state: Mutex::new(state),
            moved_before_release: Mutex::new(None),
        }
    }

    pub fn stock(&self, drop: &str, sku: &str) -> Stock {
        self.state
            .lock()
            .unwrap()
            .stock
            .get(&(drop.to_string(), sku.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// Units a customer record holds against a limit.
    pub fn units(&self, customer: &str, drop: &str, sku: Option<&str>) -> u32 {
        self.state
            .lock()
            .unwrap()
            .limits
            .get(&(customer.into(), drop.into(), sku.map(str::to_string)))
            .copied()
            .unwrap_or(0)
    }

    pub fn stored(&self, id: &str) -> Option<Order> {
        self.state.lock().unwrap().orders.get(id).cloned()
    }

    /// Takes units off the shelf, as other customers' purchases would.
    pub fn sell_elsewhere(&self, drop: &str, sku: &str, quantity: u32) {
        let mut state = self.state.lock().unwrap();
        let s = state
            .stock
            .entry((drop.to_string(), sku.to_string()))
            .or_default();
        s.available -= quantity;
        s.sold += quantity;
    }
}

impl crate::vip::LifetimePaid for MemoryOrders {
    async fn lifetime_paid(&self, customer: &str, currency: Currency) -> Result<i64, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .lifetime
            .get(&(customer.to_string(), currency))
            .copied()
            .unwrap_or(0))
    }
}

impl crate::pay_link::PayLinkOpens for MemoryOrders {
    async fn note_opened(&self, order: &str, at: i64) -> Result<bool, PortError> {
        let mut state = self.state.lock().unwrap();
        match state.orders.get_mut(order) {
            Some(o) if o.opened_at.is_none() => {
                o.opened_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl OrderStore for MemoryOrders {
    async fn drops(&self) -> Result<Vec<Drop>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .drops
            .iter()
            .filter(|d| d.status != DropStatus::Closed)
            .cloned()
            .collect())
    }

    async fn reserve(&self, order: &Order) -> Result<(), ReserveError> {
        self.state.lock().unwrap().reserve(order, None)
    }

    async fn order(&self, id: &str) -> Result<Option<Order>, PortError> {
        Ok(self.stored(id))
    }

    async fn order_by_token(&self, token: &str) -> Result<Option<Order>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .tokens
            .get(token)
            .and_then(|id| state.orders.get(id))
            .cloned())
    }

    async fn orders_of(&self, conversation: &ConversationId) -> Result<Vec<Order>, PortError> {
        let state = self.state.lock().unwrap();
        let mut orders: Vec<Order> = state
            .orders
            .values()
            .filter(|o| &o.conversation == conversation)
            .cloned()
            .collect();
        orders.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        orders.truncate(10);
        Ok(orders)
    }

    async fn set_checkout(
        &self,
        order_id: &str,
        session_id: &str,
        url: &str,
    ) -> Result<(), PortError> {
        let mut state = self.state.lock().unwrap();
        match state.orders.get_mut(order_id) {
            Some(o) if o.status == OrderStatus::Reserved => {
                o.checkout_session = Some(session_id.to_string());
                o.checkout_url = Some(url.to_string());
                Ok(())
            }
            _ => Err(PortError::new(
                "set checkout",
                "the order is no longer reserved",
            )),
        }
    }

    async fn release(&self, order: &Order, to: OrderStatus) -> Result<bool, PortError> {
        let mut state = self.state.lock().unwrap();
        if let Some(moved) = self.moved_before_release.lock().unwrap().take()
            && let Some(stored) = state.orders.get_mut(&order.id)
        {
            stored.status = moved;
        }
        state.release(order, to, None)
    }

    async fn hold_until(&self, order: &Order, until: i64) -> Result<bool, PortError> {
        let mut state = self.state.lock().unwrap();
        let Some(stored) = state.orders.get_mut(&order.id) else {
            return Ok(false);
        };
        if stored.status != OrderStatus::Reserved || stored.expires_at >= until {
            return Ok(false);
        }
        let before = std::mem::replace(&mut stored.expires_at, until);
        state.reservations.remove(&(before, order.id.clone()));
        state.reservations.insert((until, order.id.clone()));
        Ok(true)
    }

    async fn mark_paid(&self, order: &Order) -> Result<PaidOutcome, PortError> {
        let mut state = self.state.lock().unwrap();
        let Some(current) = state.orders.get(&order.id).map(|o| o.status) else {
            return Err(PortError::new("mark paid", "order vanished"));
        };
        if current == OrderStatus::Reserved {
            for t in &order.stock {
                let s = state.shelf(&t.drop, &t.sku);
                s.reserved = s.reserved.saturating_sub(t.quantity);
                s.sold += t.quantity;
            }
            state
                .reservations
                .remove(&(order.expires_at, order.id.clone()));
            state.orders.get_mut(&order.id).expect("read above").status = OrderStatus::Paid;
            state.count_paid(order);
            return Ok(PaidOutcome::Paid);
        }
        if !current.released() {
            return Ok(PaidOutcome::Unchanged);
        }
        // Paid after the reservation lapsed: a sale only if every unit is still there.
        let there = order.stock.iter().all(|t| {
            state
                .stock
                .get(&(t.drop.clone(), t.sku.clone()))
                .is_some_and(|s| s.available >= t.quantity)
        });
        if !there {
            state.orders.get_mut(&order.id).expect("read above").status =
                OrderStatus::PaidNeedsAttention;
            return Ok(PaidOutcome::NeedsAttention);
        }
        let customer = state.current_customer(&order.customer);
        for t in &order.stock {
            let s = state.shelf(&t.drop, &t.sku);
            s.available -= t.quantity;
            s.sold += t.quantity;
        }
        for l in &order.limits {
            *state
                .limits
                .entry((customer.clone(), l.drop.clone(), l.sku.clone()))
                .or_default() += l.quantity;
        }
        state.orders.get_mut(&order.id).expect("read above").status = OrderStatus::Paid;
        state.count_paid(order);
        Ok(PaidOutcome::PaidAfterLapse)
    }

    async fn hold_for_attention(
        &self,
        order: &Order,
        reason: &str,
    ) -> Result<PaidOutcome, PortError> {
        let mut state = self.state.lock().unwrap();
        if state.release(order, OrderStatus::PaidNeedsAttention, Some(reason))? {
            return Ok(PaidOutcome::NeedsAttention);
        }
        let Some(stored) = state.orders.get_mut(&order.id) else {
            return Ok(PaidOutcome::Unchanged);
        };
        if stored.status.released() {
            stored.status = OrderStatus::PaidNeedsAttention;
            stored.attention.push(reason.to_string());
            return Ok(PaidOutcome::NeedsAttention);
        }
        if !stored.attention.iter().any(|a| a == reason) {
            stored.attention.push(reason.to_string());
        }
        Ok(PaidOutcome::Unchanged)
    }

    async fn lapsed_reservations(&self, now: i64, limit: usize) -> Result<Vec<String>, PortError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .reservations
            .iter()
            .take_while(|(expires_at, _)| *expires_at < now)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect())
    }

    async fn link_customer(&self, from: &str, to: &str) -> Result<(), PortError> {
        if from == to {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap();
        state.links.insert(from.to_string(), to.to_string());
        let moving: Vec<(LimitKey, u32)> = state
            .limits
            .iter()
            .filter(|((customer, ..), units)| customer == from && **units > 0)
            .map(|(k, u)| (k.clone(), *u))
            .collect();
        for ((_, drop, sku), units) in moving {
            state
                .limits
                .insert((from.to_string(), drop.clone(), sku.clone()), 0);
            *state.limits.entry((to.to_string(), drop, sku)).or_default() += units;
        }
        Ok(())
    }

    async fn event_seen(&self, event_id: &str) -> Result<bool, PortError> {
        Ok(self.state.lock().unwrap().events.contains(event_id))
    }

    async fn record_event(&self, event_id: &str) -> Result<(), PortError> {
        self.state
            .lock()
            .unwrap()
            .events
            .insert(event_id.to_string());
        Ok(())
    }

    async fn notice_sent(&self, order_id: &str, kind: &str) -> Result<bool, PortError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .notices
            .contains(&(order_id.to_string(), kind.to_string())))
    }

    async fn record_notice(&self, order_id: &str, kind: &str) -> Result<(), PortError> {
        self.state
            .lock()
            .unwrap()
            .notices
            .insert((order_id.to_string(), kind.to_string()));
        Ok(())
    }
}

/// The payment provider: pages per order id (idempotent), with what was asked of it.
#[derive(Default)]
pub struct MemoryGateway {
    /// Every create request, repeats included.
    pub requests: Mutex<Vec<CheckoutRequest>>,
    /// Order id → its page.
    pub sessions: Mutex<HashMap<String, CheckoutSession>>,
    pub expired: Mutex<Vec<String>>,
    pub refunded: Mutex<Vec<String>>,
    /// Pages the customer has paid: expiring them answers `AlreadyComplete`.
    pub complete: Mutex<HashSet<String>>,
    /// Fail the next call with this error, as an outage or a refusal would.
    pub fail_next: Mutex<Option<PaymentError>>,
}

impl MemoryGateway {
    fn failure(&self) -> Result<(), PaymentError> {
        match self.fail_next.lock().unwrap().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn session_of(&self, order_id: &str) -> Option<CheckoutSession> {
        self.sessions.lock().unwrap().get(order_id).cloned()
    }
}

impl PaymentGateway for MemoryGateway {
    async fn create_checkout(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentError> {
        self.failure()?;
        self.requests.lock().unwrap().push(request.clone());
        Ok(self
            .sessions
            .lock()
            .unwrap()
            .entry(request.order_id.clone())
            .or_insert_with(|| CheckoutSession {
                id: format!("cs_test_{}", request.order_id),
                url: format!("https://pay.example/c/{}", request.order_id),
                expires_at: request.expires_at,
            })
            .clone())
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<ExpireOutcome, PaymentError> {
        self.failure()?;
        if self.complete.lock().unwrap().contains(session_id) {
            return Ok(ExpireOutcome::AlreadyComplete);
        }
        self.expired.lock().unwrap().push(session_id.to_string());
        Ok(ExpireOutcome::Expired)
    }

    async fn refund(&self, session_id: &str) -> Result<String, PaymentError> {
        self.failure()?;
        let mut refunded = self.refunded.lock().unwrap();
        if !refunded.iter().any(|s| s == session_id) {
            refunded.push(session_id.to_string());
        }
        Ok(format!("re_{session_id}"))
    }
}
