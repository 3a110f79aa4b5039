//! The waitlist on DynamoDB (moto): the gate keeps a returned unit from open checkout while
//! anyone waits, offers go in the order of arrival one unit each, a pass or a lapsed hold moves
//! the unit on, the one-tap checkout takes the held unit only while held, and the audit log
//! has every step. Run through `cargo xtask test -p chatdrop-store --test waitlist`.

mod common;

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::money::Currency;
use chatdrop_domain::orders::{Order, OrderLine, OrderStatus, StockTake};
use chatdrop_domain::ports::{OrderStore, ReserveError};
use chatdrop_domain::waitlist::{
    AcceptError, AuditEvent, EntryStatus, JoinRequest, Joined, WaitlistStore,
};
use chatdrop_store::DynamoStore;

const NOW: i64 = 1_900_000_000;
const DROP: &str = "spring";
const SKU: &str = "drop-bag";

fn spring(stock: u32) -> Drop {
    Drop {
        id: DROP.into(),
        name: "Spring".into(),
        starts_at: NOW - 3600,
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

fn chat(n: u32) -> ConversationId {
    ConversationId::new(Channel::Telegram, format!("{}", 7000 + n))
}

fn order(id: &str, n: u32) -> Order {
    Order {
        id: id.into(),
        conversation: chat(n),
        lang: Lang::EN,
        customer: format!("conv:{n}"),
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
        created_at: NOW,
        expires_at: NOW + 600,
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
        payment_offer: Default::default(),
        market_zone: None,
        opened_at: None,
    }
}

fn join(n: u32, now: i64) -> JoinRequest {
    JoinRequest {
        drop: DROP.into(),
        sku: SKU.into(),
        conversation: chat(n),
        lang: Lang::JA,
        product: SKU.into(),
        selections: Vec::new(),
        item: "バッグ".into(),
        now,
    }
}

async fn counters(store: &DynamoStore) -> (i64, i64, i64) {
    let stock = store.drop_stock(DROP).await.expect("stock");
    let (_, available, reserved, sold) = stock.into_iter().find(|s| s.0 == SKU).expect("sku");
    (available, reserved, sold)
}

#[tokio::test]
async fn a_returned_unit_is_offered_down_the_line_and_never_to_open_sale() {
    let store = common::fresh_store("waitlist_line").await;
    store.create_drop(&spring(1)).await.expect("drop");
    let a = order("o-a", 1);
    store.reserve(&a).await.expect("A reserves the last unit");
    // B and C meet sold out and join, B first; a second join keeps B's place.
    let b = store.join(&join(2, NOW)).await.expect("join");
    let c = store.join(&join(3, NOW + 1)).await.expect("join");
    assert!(matches!(&b, Joined::New(e) if e.seq == 1), "{b:?}");
    assert!(matches!(&c, Joined::New(e) if e.seq == 2), "{c:?}");
    let again = store.join(&join(2, NOW + 2)).await.expect("join");
    assert!(
        matches!(&again, Joined::Already(e) if e.seq == 1),
        "{again:?}"
    );
    // A's reservation lapses: the unit is available, but gated.
    assert!(
        store
            .release(&a, OrderStatus::Expired)
            .await
            .expect("release")
    );
    assert_eq!(counters(&store).await, (1, 0, 0));
    let d = order("o-d", 4);
    assert!(matches!(
        store.reserve(&d).await,
        Err(ReserveError::SoldOut { .. })
    ));
    // The offer: B first, one unit, held.
    let offered = store
        .offer_next(DROP, SKU, NOW + 60, NOW + 660)
        .await
        .expect("offer")
        .expect("B offered");
    assert_eq!((offered.seq, offered.conversation.clone()), (1, chat(2)));
    assert_eq!(offered.lang, Lang::JA);
    assert!(
        store
            .offer_next(DROP, SKU, NOW + 60, NOW + 660)
            .await
            .expect("offer")
            .is_none(),
        "one unit, one offer"
    );
    assert_eq!(counters(&store).await, (0, 0, 0), "the unit is held");
    assert_eq!(store.offers(10).await.expect("offers").len(), 1);
    // B passes: C is next.
    assert!(
        store
            .give_back(&offered, EntryStatus::Passed, NOW + 90)
            .await
            .expect("pass")
    );
    assert!(
        !store
            .give_back(&offered, EntryStatus::Passed, NOW + 91)
            .await
            .expect("pass twice"),
        "a second tap moves nothing"
    );
    let to_c = store
        .offer_next(DROP, SKU, NOW + 120, NOW + 720)
        .await
        .expect("offer")
        .expect("C offered");
    assert_eq!(to_c.seq, 2);
    // B cannot take C's unit; C takes it after the hold would have ended: refused; in time: ok.
    let late = order("o-c-late", 3);
    assert!(matches!(
        store.accept(&to_c, &late, NOW + 720).await,
        Err(AcceptError::OfferGone)
    ));
    let wrong = order("o-b", 2);
    assert!(matches!(
        store.accept(&to_c, &wrong, NOW + 130).await,
        Err(AcceptError::OfferGone)
    ));
    let mine = order("o-c", 3);
    store
        .accept(&to_c, &mine, NOW + 130)
        .await
        .expect("C takes it");
    assert_eq!(counters(&store).await, (0, 1, 0));
    assert!(store.offers(10).await.expect("offers").is_empty());
    assert_eq!(
        store
            .order("o-c")
            .await
            .expect("read")
            .expect("order")
            .status,
        OrderStatus::Reserved
    );
    let events: Vec<(u64, AuditEvent)> = store
        .audit(DROP)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| (r.seq, r.event))
        .collect();
    assert_eq!(
        events,
        [
            (1, AuditEvent::Joined),
            (2, AuditEvent::Joined),
            (1, AuditEvent::Offered),
            (1, AuditEvent::Passed),
            (2, AuditEvent::Offered),
            (2, AuditEvent::Accepted)
        ]
    );
    assert_eq!(
        store.lines().await.expect("lines"),
        [(DROP.into(), SKU.into())]
    );
}

#[tokio::test]
async fn a_lapsed_hold_with_nobody_behind_goes_back_on_open_sale() {
    let store = common::fresh_store("waitlist_lapse").await;
    store.create_drop(&spring(1)).await.expect("drop");
    let a = order("o-a", 1);
    store.reserve(&a).await.expect("reserve");
    store.join(&join(2, NOW)).await.expect("join");
    store
        .release(&a, OrderStatus::Cancelled)
        .await
        .expect("release");
    let offered = store
        .offer_next(DROP, SKU, NOW, NOW + 600)
        .await
        .expect("offer")
        .expect("offered");
    assert!(!offered.told);
    store.mark_told(&offered).await.expect("told");
    assert!(store.offers(5).await.expect("offers")[0].told);
    assert!(
        store
            .give_back(&offered, EntryStatus::Lapsed, NOW + 600)
            .await
            .expect("lapse")
    );
    assert_eq!(counters(&store).await, (1, 0, 0));
    let e = order("o-e", 5);
    store
        .reserve(&e)
        .await
        .expect("open sale again: nobody waits");
    // The customer whose hold lapsed may join again, at the back.
    let rejoined = store.join(&join(2, NOW + 700)).await.expect("join");
    assert!(
        matches!(&rejoined, Joined::New(e) if e.seq == 2),
        "{rejoined:?}"
    );
}

#[tokio::test]
async fn a_reminder_is_kept_once_per_chat_and_claimed_once() {
    use chatdrop_domain::reminders::{Reminder, ReminderStore};
    let store = common::fresh_store("reminders").await;
    let reminder = |n: u32| Reminder {
        drop: DROP.into(),
        conversation: chat(n),
        lang: Lang::JA,
        zone: "Asia/Tokyo".into(),
        created_at: NOW,
        told: false,
    };
    assert!(store.remind(&reminder(1)).await.expect("remind"));
    assert!(
        !store.remind(&reminder(1)).await.expect("again"),
        "one per chat"
    );
    assert!(store.remind(&reminder(2)).await.expect("remind"));
    let untold = store.untold(DROP, 10).await.expect("untold");
    assert_eq!(untold.len(), 2);
    assert_eq!(
        untold.iter().find(|r| r.conversation == chat(1)),
        Some(&reminder(1))
    );
    assert!(store.claim(&reminder(1)).await.expect("claim"));
    assert!(
        !store.claim(&reminder(1)).await.expect("claim twice"),
        "claimed once"
    );
    assert_eq!(store.untold(DROP, 10).await.expect("untold").len(), 1);
    store.unclaim(&reminder(1)).await.expect("unclaim");
    assert_eq!(
        store.untold(DROP, 1).await.expect("untold").len(),
        1,
        "a page"
    );
    assert_eq!(store.untold(DROP, 10).await.expect("untold").len(), 2);
}
