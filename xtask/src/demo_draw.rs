//! The demo's fourth act (part of the `cargo xtask` binary, not of the `xtask` library): a hyped
//! drop sold by a fair, verifiable draw, where first come would only reward the fastest thumbs
//! and crash under the rush.
//!
//! The retailer opens a drop of two Drop Bags with a draw (`Drop.draw`, see
//! `chatdrop_domain::draw` for what is published and `draw_flow` for the chat and the run) and
//! commits to it before entries close: the SHA-256 of a secret seed and a drand round. Four
//! customers (WhatsApp, Telegram, LINE, Messenger) customize a bag and check out; the checkout
//! answers with the draw's rules and "Enter the draw" instead of reserving, each taps it and is
//! told their entry id, and one taps again and is told they are already in. Then the run, as
//! `chatdrop drop draw-run` does it (`draw_flow::run`, on a clock stepped past the close as act 1
//! stepped the sweep): the list is frozen and hashed, the round verified against the chain's
//! key, two winners drawn; each winner's chat gets a reservation and a pay link (the payment
//! function reserves on the real clock, so the 30 minutes count from the demo's now), the others
//! "not drawn this time" and the waitlist, which one of them joins. One winner pays on the fake
//! Stripe and is confirmed.
//! A second run (as after a crash) draws the same winners and sends nothing. Last, what
//! `chatdrop drop verify-draw` does: the winners recomputed from the published values alone
//! (`draw_flow::published_list`, `draw::verify`).
//!
//! There is no network here, so the round is drand quicknet's round 123, a real public round
//! recorded with its signature (`chatdrop_domain::beacon::recorded`), and the record is committed
//! to it directly (`DrawStore::commit_draw`, as `tests/draw.rs` does). In production
//! `chatdrop drop draw-commit` picks the first round after the close (`draw_flow::commit`) and
//! `draw-run` fetches it from a relay. Round 123 was emitted in 2023, before these entries, so
//! the verification rightly warns that the list was frozen after the round: the one thing the
//! recorded round cannot show.
//!
//! The act runs on a stack of its own (name prefix `draw-`, the sample catalog), as act 2 does:
//! act 1's table already sells Drop Bags in other drops.

use crate::{Step, catalog_file, play, show_replies};
use chatdrop_domain::beacon::{BeaconChain, recorded};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::draw::{self, DrawRecord, DrawSpec};
use chatdrop_domain::draw_flow::{self, DrawStore, RunReport};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::i18n::Msg;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::OrderStore;
use chatdrop_store::DynamoStore;
use xtask::Error;
use xtask::customer::{Customer, Platform};
use xtask::stack::{LocalStack, StackOptions};

const DROP: &str = "collab";
/// Units, and so winners.
const UNITS: u32 = 2;

/// Starts the draw stack on `aws_endpoint` with the fake platforms at `fakes_url`, plays the
/// draw, and stops it.
pub async fn run(aws_endpoint: &str, fakes_url: &str) -> Result<(), Error> {
    let stack = LocalStack::start(StackOptions::new(aws_endpoint, "draw-", fakes_url)).await?;
    let result = draw_act(&stack).await;
    stack.stop().await;
    result
}

async fn draw_act(stack: &LocalStack) -> Result<(), Error> {
    stack.load_catalog(&catalog_file("sample.toml")?).await?;
    let store = stack.store();
    let now = SystemClock.now();
    let close = now + 3600;
    let collab = Drop {
        id: DROP.into(),
        name: "Drop Bag collab".into(),
        starts_at: now - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: UNITS,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: Some(DrawSpec {
            entries_close_at: close,
            pay_within_minutes: 30,
            verified_phone: false,
        }),
    };
    stack.open_drop(&collab).await?;
    println!(
        "\n\n=== Act 4: a hyped drop sold by a fair, verifiable draw ===\n\
         The “{}” drop is open on its own stack (table and queues `draw-…`): {UNITS} bags for \
         whoever the draw picks, entries close in an hour, winners have 30 minutes to pay.",
        collab.name
    );
    let record = commit(&store, &collab, now).await?;

    let customers = [
        Customer::whatsapp(&stack.url, "447700900456", "Zoe"),
        Customer::telegram(&stack.url, 7009876543, "Tomás", None),
        Customer::on(
            Platform::Line,
            &stack.url,
            "Umei00001111222233334444555566667",
            "Mei",
        ),
        Customer::on(Platform::Messenger, &stack.url, "7654321098765432", "Omar"),
    ];
    for (customer, (colour, title)) in customers.iter().zip([
        ("black", "Black"),
        ("sand", "Sand"),
        ("red", "Signal red"),
        ("black", "Black"),
    ]) {
        let colour_tap = format!("k:o:drop-bag:colour:{colour}");
        play(
            stack,
            customer,
            &[
                Step::Tap("k:a:drop-bag", "Customize & add"),
                Step::Tap(&colour_tap, title),
                Step::Tap("k:o:drop-bag:strap:canvas", "Canvas strap"),
                Step::Tap("k:s:drop-bag:charm", "Skip"),
                Step::Tap("k:s:drop-bag:engraving", "Skip"),
                Step::Tap("p:c", "Checkout"),
                Step::Choose("Enter the draw"),
            ],
        )
        .await?;
    }
    let keen = &customers[1];
    let before = stack.last_seq().await?;
    let enter_again = format!("p:de:{DROP}");
    play(stack, keen, &[Step::Tap(&enter_again, "Enter the draw")]).await?;
    let entries = store.entries(DROP).await?;
    let again = all_text(stack, keen, before).await?;
    let lang = entry_of(&entries, keen)?.lang;
    if !again.contains(&Msg::DrawAlreadyEntered(&collab.name).text(lang))
        || entries.len() != customers.len()
    {
        return Err(format!(
            "a second entry: {} entries for {} people, {} was told: {again}",
            entries.len(),
            customers.len(),
            keen.name
        )
        .into());
    }
    println!("\n(entries: {}, one per person)", entries.len());

    // The run after the close: the clock is stepped an hour on; the entries were made before.
    println!(
        "\n=== Entries close; the draw runs ===\n(run as if the clock read just after the close; \
         the payment function reserves on the real clock, so the winners' 30 minutes count from \
         now)\n$ chatdrop drop draw-run {DROP}"
    );
    let before = stack.last_seq().await?;
    let queues = stack.queues();
    let beacon = recorded::beacon();
    let report = draw_flow::run(&store, &beacon, &queues, &collab, close + 5).await?;
    let RunReport::Drawn {
        record: drawn,
        won,
        lost,
        failed,
    } = report
    else {
        return Err(format!("the recorded round should be out: {report:?}").into());
    };
    println!(
        "  list frozen: {} entries, hash {}\n  drand round {} verified against the quicknet key; \
         winners drawn: {}\n  told now: {won} winners, {lost} others, {failed} not queued",
        drawn.entries,
        drawn.list_hash.as_deref().unwrap_or(""),
        drawn.round,
        named(&drawn.winners, &entries, &customers),
    );
    let units = UNITS as usize;
    if drawn.winners.len() != units || won != units || lost != customers.len() - units || failed > 0
    {
        return Err(format!("{UNITS} units drew {drawn:?}; told {won} won, {lost} lost").into());
    }

    let mut paying = None;
    let mut waitlisted = false;
    for customer in &customers {
        let entry = entry_of(&entries, customer)?;
        println!("\n=== {}'s chat after the draw ===", customer.name);
        let told = show_replies(stack, customer, before).await?;
        let sent: String = told.iter().map(|e| e.body.to_string()).collect();
        if drawn.winners.contains(&entry.entry) {
            let order = reserved_order(&store, entry).await?;
            if !sent.contains(&order.pay_token) {
                return Err(format!("winner {} got no pay link: {sent}", customer.name).into());
            }
            // The first winner pays in the act; the other's reservation holds for 30 minutes.
            if paying.is_none() {
                paying = Some((customer, order));
            }
        } else {
            let shown: Vec<String> = told.iter().map(xtask::transcript::shown_text).collect();
            let join = format!("p:wj:{DROP}:0");
            let offered = told
                .iter()
                .flat_map(xtask::transcript::choices)
                .any(|(_, payload)| payload.as_deref() == Some(join.as_str()));
            if !offered
                || !shown
                    .concat()
                    .contains(&Msg::DrawLost(&collab.name).text(entry.lang))
            {
                return Err(format!(
                    "{} was not told they lost, with the waitlist: {shown:?}",
                    customer.name
                )
                .into());
            }
            // One of them takes the offer: a unit a winner leaves unpaid is offered in line.
            if !waitlisted {
                play(stack, customer, &[Step::Tap(&join, "Join the waitlist")]).await?;
                waitlisted = true;
            }
        }
    }

    let (winner, order) = paying.ok_or("no winner to pay")?;
    let session = order
        .checkout_session
        .clone()
        .ok_or("the winner's Stripe page is missing")?;
    println!("\n=== {} pays on the Stripe page ===", winner.name);
    let before = stack.last_seq().await?;
    stack.stripe.pay(&session).await?;
    show_replies(stack, winner, before).await?;
    let paid = store.order(&order.id).await?.map(|o| o.status);
    if paid != Some(OrderStatus::Paid) {
        return Err(format!("{}'s order is {paid:?} after paying", winner.name).into());
    }

    second_run(stack, &store, &collab, &customers, &drawn, close).await?;
    verify(&store, &collab, &record, &drawn).await?;
    for (sku, available, reserved, sold) in store.drop_stock(DROP).await? {
        println!("\ndrop status: {sku}: {available} available, {reserved} reserved, {sold} sold");
    }
    Ok(())
}

/// What `chatdrop drop draw-commit` publishes before entries close, committed to the recorded
/// round (module doc): the seed is secret until the draw, only its hash is published.
async fn commit(store: &DynamoStore, drop: &Drop, now: i64) -> Result<DrawRecord, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no OS randomness: {e}"))?;
    let chain = BeaconChain::quicknet();
    let record = DrawRecord {
        drop: drop.id.clone(),
        commitment: draw::commitment(&seed),
        round: 123,
        units: drop.skus.first().map_or(0, |s| s.stock),
        chain: Some(chain.clone()),
        committed_at: now,
        ..DrawRecord::default()
    };
    if !store.commit_draw(&record, &hex::encode(seed)).await? {
        return Err(format!("drop {} already has a committed draw", drop.id).into());
    }
    println!(
        "\n$ chatdrop drop draw-commit {}   # published before entries close\n  \
         seed commitment (SHA-256) {}\n  drand quicknet round {} (a recorded public round: no \
         network here; in production draw-commit picks the first round after the close)",
        drop.id, record.commitment, record.round
    );
    Ok(record)
}

/// Run again, as after a crash: the same winners, nobody told twice, no new order.
async fn second_run(
    stack: &LocalStack,
    store: &DynamoStore,
    drop: &Drop,
    customers: &[Customer],
    drawn: &DrawRecord,
    close: i64,
) -> Result<(), Error> {
    println!("\n=== The run again, as after a crash ===\n$ chatdrop drop draw-run {DROP}");
    let orders = store.all_orders().await?.len();
    let quiet = stack.last_seq().await?;
    let report = draw_flow::run(
        store,
        &recorded::beacon(),
        &stack.queues(),
        drop,
        close + 60,
    )
    .await?;
    let RunReport::Drawn {
        record, won, lost, ..
    } = report
    else {
        return Err(format!("the second run did not find the draw done: {report:?}").into());
    };
    // Whatever the run queued would be handled by now once the queues are empty.
    for _ in 0..50 {
        if stack.idle().await? {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let outbox = stack.outbox().await?;
    let sent = outbox
        .iter()
        .filter(|e| e.seq > quiet && customers.iter().any(|c| c.id == e.recipient))
        .count();
    let orders_now = store.all_orders().await?.len();
    println!(
        "  the same {} winners; told now: {won} winners, {lost} others; messages sent: {sent}; \
         orders: {orders_now}",
        record.winners.len()
    );
    if record.winners != drawn.winners || (won, lost, sent) != (0, 0, 0) || orders_now != orders {
        return Err(format!(
            "the second run changed something: winners {:?}, told {won}+{lost}, sent {sent}, \
             orders {orders} → {orders_now}",
            record.winners
        )
        .into());
    }
    Ok(())
}

/// What `chatdrop drop verify-draw` does with the published record and entry list: recompute
/// the winners, with nothing but the published values.
async fn verify(
    store: &DynamoStore,
    drop: &Drop,
    committed: &DrawRecord,
    drawn: &DrawRecord,
) -> Result<(), Error> {
    println!("\n=== Anyone checks the draw ===\n$ chatdrop drop verify-draw {DROP}");
    let record = store
        .draw_record(DROP)
        .await?
        .ok_or("the draw's record is missing")?;
    let spec = drop.draw.as_ref().ok_or("not a draw")?;
    let list = draw_flow::published_list(store, spec, DROP).await?;
    let check = draw::verify(&record, list)?;
    println!(
        "  seed {} matches its commitment {}, the entry list ({} entries) its hash, drand round \
         {} verifies against the chain's key\n  recomputed winners: {}",
        record.seed.as_deref().unwrap_or(""),
        committed.commitment,
        record.entries,
        record.round,
        check.winners.join(", ")
    );
    // The published winners, the ones the run told, recomputed; and the commitment is the one
    // published before entries closed.
    if !check.matches || check.winners != drawn.winners || record.commitment != committed.commitment
    {
        return Err(format!(
            "MISMATCH: published winners were {}",
            record.winners.join(", ")
        )
        .into());
    }
    println!("  MATCH: the published winners are the draw's");
    if !check.frozen_in_time {
        println!(
            "  warning: the entry list was frozen after the round was emitted (round {} is from \
             2023, recorded; draw-commit's round would come after the close)",
            record.round
        );
    }
    Ok(())
}

/// The customer's entry (their chat is the entry's conversation).
fn entry_of<'e>(
    entries: &'e [draw_flow::DrawEntry],
    customer: &Customer,
) -> Result<&'e draw_flow::DrawEntry, Error> {
    entries
        .iter()
        .find(|e| e.conversation.customer == customer.id)
        .ok_or_else(|| format!("{} has no entry", customer.name).into())
}

/// Entry ids as the customers were told them, with who holds each.
fn named(ids: &[String], entries: &[draw_flow::DrawEntry], customers: &[Customer]) -> String {
    let name = |id: &String| {
        let chat = entries.iter().find(|e| &e.entry == id)?;
        customers
            .iter()
            .find(|c| c.id == chat.conversation.customer)
    };
    ids.iter()
        .map(|id| {
            let shown = id.rsplit(':').next().unwrap_or(id);
            match name(id) {
                Some(customer) => format!("{shown} ({})", customer.name),
                None => shown.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The winner's reservation, made by the payment function from the draw's hand-off.
async fn reserved_order(store: &DynamoStore, entry: &draw_flow::DrawEntry) -> Result<Order, Error> {
    store
        .orders_of(&entry.conversation)
        .await?
        .into_iter()
        .find(|o| o.status == OrderStatus::Reserved)
        .ok_or_else(|| format!("no reservation for the winner {}", entry.entry).into())
}

/// Everything the customer was shown after `before`, as text.
async fn all_text(stack: &LocalStack, customer: &Customer, before: usize) -> Result<String, Error> {
    Ok(stack
        .outbox()
        .await?
        .iter()
        .filter(|e| e.seq > before && e.recipient == customer.id)
        .map(xtask::transcript::shown_text)
        .collect::<Vec<_>>()
        .join("\n"))
}
