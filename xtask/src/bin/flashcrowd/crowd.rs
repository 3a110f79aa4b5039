//! The measurement, step by step: the reference runs, the drop and the carts, the crowd, who
//! heard what and when (at the checkout and in the chat), what a checkout costs, the shards'
//! spread, the payments, and the figures and the plot.

use crate::buyers::{Answer, Answers, Outcome, bounded, buyer, ms, unix_millis};
use crate::chat::chat_answers;
use crate::plot::draw;
use crate::reference::{naive, raw_ceiling};
use crate::report::{markdown, peak_rss_mib};
use crate::shards::{PARTITION_WCU, ShardSpread, TARGET_RATE};
use crate::{Args, DROP_ID, SKU};
use chatdrop_domain::checkout::{self, PaymentPorts};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_store::DynamoStore;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xtask::Error;
use xtask::dynamo_calls::{CallLog, RecordCalls, describe_counts, op_counts, write_units};
use xtask::moto::{self, Moto};
use xtask::percentile::nearest_rank;
use xtask::stack::LocalStack;

pub(crate) async fn crowd(args: &Args, moto: &Moto, stack: &LocalStack) -> Result<(), Error> {
    let catalog_path = moto::repo_root().join("cli/catalogs/sample.toml");
    let catalog = toml::from_str(&std::fs::read_to_string(catalog_path)?)?;
    stack.load_catalog(&catalog).await?;
    let table = stack.provisioned.table.clone();
    let plain = aws_sdk_dynamodb::Client::new(&stack.aws);
    let counter = RecordCalls::default();
    let counted = counter.client(&stack.aws);
    let (buyers, stock, in_flight) = (args.buyers, args.stock, args.in_flight);
    println!(
        "flashcrowd: {buyers} buyers, {stock} units{}, {in_flight} checkouts in flight (moto {}, stack {})",
        args.shards
            .map(|n| format!(" over {n} shards"))
            .unwrap_or_default(),
        moto.endpoint,
        stack.url
    );

    // (a) The raw ceiling, and (c) the naive baseline, on items of their own.
    let (ceiling, ceiling_ok) = raw_ceiling(&plain, &table, buyers, in_flight).await?;
    println!(
        "raw ceiling: {buyers} conditional UpdateItems ({ceiling_ok} succeeded) at {ceiling:.0} ops/s"
    );
    let (naive_yes, naive_left, naive_secs) =
        naive(&plain, &table, buyers, stock, in_flight).await?;
    let naive_oversold = naive_yes.saturating_sub(stock as usize);
    println!(
        "naive read-then-write: {naive_yes} buyers told yes for {stock} units: oversold {naive_oversold} (counter ends at {naive_left}), {:.1} s",
        naive_secs
    );

    // The drop, and every buyer's cart.
    let drop = Drop {
        id: DROP_ID.into(),
        name: "Flash drop".into(),
        starts_at: SystemClock.now() - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: SKU.into(),
            stock,
            per_customer_limit: None,
            shards: args.shards,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&drop).await?;
    let seeding = Instant::now();
    let seed_store = Arc::new(stack.store());
    let seeded = bounded(buyers, in_flight, |n| {
        let store = seed_store.clone();
        async move {
            // What the cart function leaves behind after "Add to cart".
            xtask::crowd::seed_cart(
                store.as_ref(),
                &buyer(n),
                SKU,
                xtask::crowd::plain_bag(),
                None,
            )
            .await
            .map_err(|e| e.to_string())
        }
    })
    .await;
    if let Some(Err(e)) = seeded.into_iter().find(Result::is_err) {
        return Err(format!("seeding carts: {e}").into());
    }
    println!(
        "seeded {buyers} carts in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // The crowd.
    let store = Arc::new(DynamoStore::new(counted, &table));
    let gateway = Arc::new(stack.gateway()?);
    let answers = Arc::new(Answers {
        given: Mutex::default(),
        outbound: stack.queues(),
    });
    let settings = Arc::new(stack.config.checkout_settings(xtask::dev::id_key()));
    let started = Instant::now();
    let started_ms = unix_millis();
    let outcomes = bounded(buyers, in_flight, |n| {
        let (store, gateway, answers, settings) = (
            store.clone(),
            gateway.clone(),
            answers.clone(),
            settings.clone(),
        );
        let message = xtask::crowd::checkout_message(&buyer(n), n, SystemClock.now());
        async move {
            let trace = CallLog::default();
            let begun = Instant::now();
            let mut errors = 0;
            let work = async {
                let ports = PaymentPorts {
                    sessions: store.as_ref(),
                    catalogs: store.as_ref(),
                    orders: store.as_ref(),
                    gateway: gateway.as_ref(),
                    dispatch: answers.as_ref(),
                };
                // A failed handler is retried by the queue in production; here, at once.
                for _ in 0..5 {
                    match checkout::handle(&message, &ports, &settings, SystemClock.now()).await {
                        Ok(_) => return true,
                        Err(_) => errors += 1,
                    }
                }
                false
            };
            let done = trace.scope(work).await;
            let service = begun.elapsed();
            let calls = trace.take();
            (
                done,
                Outcome {
                    service,
                    errors,
                    calls,
                },
            )
        }
    })
    .await;
    let crowd_secs = started.elapsed().as_secs_f64();
    let failed = outcomes.iter().filter(|(done, _)| !done).count();
    if failed > 0 {
        return Err(format!("{failed} checkouts kept failing").into());
    }

    // Who heard what, when.
    let answered = std::mem::take(&mut *answers.given.lock().unwrap_or_else(|e| e.into_inner()));
    let mut first: Vec<(Duration, Answer)> = Vec::with_capacity(buyers);
    let mut unanswered = 0;
    let mut answer_of = vec![Answer::Other; buyers];
    for (n, slot) in answer_of.iter_mut().enumerate() {
        match answered.get(&buyer(n).customer).and_then(|a| a.first()) {
            Some((at, answer)) => {
                first.push((at.duration_since(started), *answer));
                *slot = *answer;
            }
            None => unanswered += 1,
        }
    }
    let repeated: usize = answered.values().map(|a| a.len().saturating_sub(1)).sum();
    let links = first.iter().filter(|(_, a)| *a == Answer::PayLink).count();
    let sold_out = first.iter().filter(|(_, a)| *a == Answer::SoldOut).count();
    let other = first.iter().filter(|(_, a)| *a == Answer::Other).count();
    let mut waits: Vec<Duration> = first.iter().map(|(t, _)| *t).collect();
    waits.sort();
    let all_answered = waits.last().copied().unwrap_or_default();
    let mut reserved_at: Vec<Duration> = first
        .iter()
        .filter(|(_, a)| *a == Answer::PayLink)
        .map(|(t, _)| *t)
        .collect();
    reserved_at.sort();
    let last_reservation = reserved_at.last().copied().unwrap_or_default();
    let mut service: Vec<Duration> = outcomes.iter().map(|(_, o)| o.service).collect();
    service.sort();
    let errors: u32 = outcomes.iter().map(|(_, o)| o.errors).sum();
    let reservations_per_s = links as f64 / last_reservation.as_secs_f64().max(1e-9);
    let checkouts_per_s = buyers as f64 / all_answered.as_secs_f64().max(1e-9);

    let stock_now = stack.store().drop_stock(DROP_ID).await?;
    let (_, available, reserved, sold_units) = stock_now
        .first()
        .cloned()
        .ok_or("the drop has no stock counter")?;
    let oversold_counter = (reserved + sold_units - i64::from(stock)).max(0);
    let oversold_links = links.saturating_sub(stock as usize);
    println!(
        "crowd: {buyers} buyers answered in {:.2} s ({checkouts_per_s:.0} checkouts/s): {links} pay links, {sold_out} sold out, {other} other, {unanswered} unanswered; stock {available} available / {reserved} reserved / {sold_units} sold; oversold {oversold_links}",
        all_answered.as_secs_f64()
    );
    println!(
        "  reservations: {links} in {:.2} s = {reservations_per_s:.0} reservations/s = {:.1}% of the raw ceiling; checkouts {:.1}% of it",
        last_reservation.as_secs_f64(),
        100.0 * reservations_per_s / ceiling,
        100.0 * checkouts_per_s / ceiling
    );
    println!(
        "  checkout latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms; time to answer (from the crowd's start) p50 {:.2} s p99 {:.2} s; {errors} handler errors retried, {repeated} repeated answers",
        ms(nearest_rank(&service, 0.50)),
        ms(nearest_rank(&service, 0.99)),
        ms(service.last().copied().unwrap_or_default()),
        nearest_rank(&waits, 0.50).as_secs_f64(),
        nearest_rank(&waits, 0.99).as_secs_f64(),
    );

    // The same answers in the chat, as notify delivered them to the fake WhatsApp.
    let chat = chat_answers(
        &stack.fakes_url,
        buyers,
        started_ms,
        Duration::from_secs(args.chat_timeout_seconds),
    )
    .await?;
    let chat_all = chat.first.last().copied().unwrap_or_default();
    println!(
        "  in the chat: {} of {buyers} buyers had their answer after {:.2} s (p50 {:.2} s, p99 {:.2} s); {} messages accepted by the fake WhatsApp at {} a second, {} sent twice",
        chat.first.len(),
        chat_all.as_secs_f64(),
        nearest_rank(&chat.first, 0.50).as_secs_f64(),
        nearest_rank(&chat.first, 0.99).as_secs_f64(),
        chat.messages,
        args.whatsapp_mps,
        chat.duplicates,
    );

    // (b) What one checkout costs in DynamoDB calls and write units.
    let sold_calls: Vec<&Outcome> = outcomes
        .iter()
        .zip(&answer_of)
        .filter(|(_, a)| **a == Answer::PayLink)
        .map(|((_, o), _)| o)
        .collect();
    let refused_calls: Vec<&Outcome> = outcomes
        .iter()
        .zip(&answer_of)
        .filter(|(_, a)| **a == Answer::SoldOut)
        .map(|((_, o), _)| o)
        .collect();
    let mean_calls = |set: &[&Outcome]| {
        set.iter().map(|o| o.calls.len()).sum::<usize>() as f64 / set.len().max(1) as f64
    };
    let total_calls: usize = outcomes.iter().map(|(_, o)| o.calls.len()).sum();
    let sample_sold = sold_calls
        .first()
        .map(|o| o.calls.clone())
        .unwrap_or_default();
    let sample_refused = refused_calls
        .last()
        .map(|o| o.calls.clone())
        .unwrap_or_default();
    let (sold_wcu, sold_lines) = write_units(&plain, &table, &sample_sold)
        .await
        .map_err(Error::from)?;
    let (refused_wcu, refused_lines) = write_units(&plain, &table, &sample_refused)
        .await
        .map_err(Error::from)?;
    println!(
        "  DynamoDB calls (interceptor, per attempt): {total_calls} for {buyers} checkouts; a sale {:.2} on average ({}), a sold-out answer {:.2} ({})",
        mean_calls(&sold_calls),
        describe_counts(&op_counts(&sample_sold)),
        mean_calls(&refused_calls),
        describe_counts(&op_counts(&sample_refused)),
    );
    println!("  write units of one sale on AWS: {sold_wcu} WCU");
    for line in &sold_lines {
        println!("    {line}");
    }
    println!("  write units of one sold-out answer on AWS: {refused_wcu} WCU");
    for line in &refused_lines {
        println!("    {line}");
    }
    let unattributed = counter.unscoped.len();

    // (d) With shards: how evenly the reservations spread, and what that means on AWS.
    // Only the first half of the sales by time: later, shards run out and the spread is their
    // stock's, not the random choice's.
    let mut timed_sales: Vec<(Duration, &Outcome)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(n, (_, outcome))| {
            let (at, answer) = answered.get(&buyer(n).customer)?.first()?;
            (*answer == Answer::PayLink).then(|| (at.duration_since(started), outcome))
        })
        .collect();
    timed_sales.sort_by_key(|(at, _)| *at);
    let early_sales: Vec<&Outcome> = timed_sales
        .iter()
        .take(timed_sales.len() / 2)
        .map(|(_, outcome)| *outcome)
        .collect();
    let spread = args
        .shards
        .map(|shards| ShardSpread::of(&early_sales, shards));
    if let Some(spread) = &spread {
        println!(
            "  shards (first half of the sales): reservations per shard min {} / mean {:.1} / max {}; at {TARGET_RATE} reservations/s the busiest shard would take {:.0} WCU/s of a partition's {PARTITION_WCU} ({} shards needed at this spread)",
            spread.min,
            spread.mean,
            spread.max,
            spread.busiest_wcu_at(TARGET_RATE),
            spread.needed_for(TARGET_RATE),
        );
    }

    // Every reserved buyer pays; the drop ends sold.
    let paying = Instant::now();
    let sessions = stack.stripe.sessions().await?;
    let paid_count = Arc::new(AtomicUsize::new(0));
    let sold_times = bounded(sessions.len(), in_flight, |i| {
        let (stripe, id, paid_count) = (
            stack.stripe.clone(),
            sessions[i].id.clone(),
            paid_count.clone(),
        );
        async move {
            let paid = stripe.pay(&id).await.ok()?;
            paid.delivery.succeeded().then(|| {
                paid_count.fetch_add(1, Ordering::Relaxed);
                started.elapsed()
            })
        }
    })
    .await;
    let pay_secs = paying.elapsed().as_secs_f64();
    let mut sold_at: Vec<Duration> = sold_times.into_iter().flatten().collect();
    sold_at.sort();
    let final_stock = stack.store().drop_stock(DROP_ID).await?;
    let (_, f_available, f_reserved, f_sold) = final_stock
        .first()
        .cloned()
        .ok_or("the drop has no stock counter")?;
    let oversold = oversold_links.max(oversold_counter as usize);
    println!(
        "payments: {} of {} sessions paid in {pay_secs:.1} s; stock {f_available} available / {f_reserved} reserved / {f_sold} sold; oversold {oversold}",
        paid_count.load(Ordering::Relaxed),
        sessions.len()
    );

    // The plot and the figures.
    let plot = args
        .plot
        .clone()
        .unwrap_or_else(|| moto::repo_root().join("target/flashcrowd.svg"));
    if let Some(dir) = plot.parent() {
        std::fs::create_dir_all(dir)?;
    }
    draw(&plot, &reserved_at, &sold_at, &chat.first, stock, buyers)?;
    let figures = json!({
        "command": format!("cargo run --release -p xtask --bin flashcrowd -- --buyers {buyers} --stock {stock} --in-flight {in_flight} --whatsapp-mps {} --notify-pollers {}{}", args.whatsapp_mps, args.notify_pollers, args.shards.map(|n| format!(" --shards {n}")).unwrap_or_default()),
        "buyers": buyers,
        "stock": stock,
        "shards": args.shards,
        "in_flight": in_flight,
        "answered": buyers - unanswered,
        "pay_links": links,
        "sold_out_answers": sold_out,
        "other_answers": other,
        "sold": f_sold,
        "oversold": oversold,
        "crowd_seconds": crowd_secs,
        "all_answered_seconds": all_answered.as_secs_f64(),
        "last_reservation_seconds": last_reservation.as_secs_f64(),
        "reservations_per_second": reservations_per_s,
        "checkouts_per_second": checkouts_per_s,
        "checkout_latency_ms": {"p50": ms(nearest_rank(&service, 0.5)), "p99": ms(nearest_rank(&service, 0.99)), "max": ms(service.last().copied().unwrap_or_default())},
        "answer_time_s": {"p50": nearest_rank(&waits, 0.5).as_secs_f64(), "p99": nearest_rank(&waits, 0.99).as_secs_f64()},
        "whatsapp_messages_per_second": args.whatsapp_mps,
        "in_chat": {
            "answered": chat.first.len(),
            "all_answered_seconds": chat_all.as_secs_f64(),
            "p50_seconds": nearest_rank(&chat.first, 0.5).as_secs_f64(),
            "p99_seconds": nearest_rank(&chat.first, 0.99).as_secs_f64(),
            "messages": chat.messages,
            "sent_twice": chat.duplicates,
        },
        "handler_errors_retried": errors,
        "raw_ceiling_ops_per_second": ceiling,
        "reservations_fraction_of_ceiling": reservations_per_s / ceiling,
        "checkouts_fraction_of_ceiling": checkouts_per_s / ceiling,
        "dynamodb_calls": {
            "total": total_calls,
            "per_sale_mean": mean_calls(&sold_calls),
            "per_sold_out_mean": mean_calls(&refused_calls),
            "one_sale": op_counts(&sample_sold),
            "one_sold_out": op_counts(&sample_refused),
            "unattributed": unattributed,
        },
        "aws_write_units": {"one_sale": sold_wcu, "one_sold_out": refused_wcu, "one_sale_items": sold_lines, "one_sold_out_items": refused_lines},
        "naive": {"told_yes": naive_yes, "oversold": naive_oversold, "counter_left": naive_left},
        "payments_seconds": pay_secs,
        "shard_spread": spread.as_ref().map(|s| json!({
            "min": s.min, "mean": s.mean, "max": s.max,
            "busiest_wcu_per_second_at_10000": s.busiest_wcu_at(TARGET_RATE),
            "shards_needed_at_this_spread": s.needed_for(TARGET_RATE),
        })),
        "peak_rss_mib_bench_and_stack": peak_rss_mib(),
        "plot": plot.display().to_string(),
    });
    let json_path = plot.with_extension("json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&figures)?)?;
    let md_path = plot.with_extension("md");
    std::fs::write(&md_path, markdown(&figures))?;
    println!(
        "peak RSS of this process (the bench's buyers and the whole stack, every function in one process): {:.1} MiB",
        peak_rss_mib().unwrap_or(0.0)
    );
    println!(
        "wrote {}, {} and {}",
        plot.display(),
        json_path.display(),
        md_path.display()
    );

    if unanswered > 0 || other > 0 {
        return Err(format!("{unanswered} buyers unanswered, {other} odd answers").into());
    }
    if chat.first.len() < buyers {
        return Err(format!(
            "{} of {buyers} buyers had no answer in the chat after {} s",
            buyers - chat.first.len(),
            args.chat_timeout_seconds
        )
        .into());
    }
    if links != stock as usize || f_sold != i64::from(stock) || oversold > 0 {
        return Err(format!(
            "the drop sold {f_sold} of {stock} ({links} pay links, oversold {oversold})"
        )
        .into());
    }
    Ok(())
}
