//! Ingress under load: `cargo run --release -p xtask --bin ingressload -- [--webhooks M]
//! [--in-flight K] [--customers C]`.
//!
//! Starts moto and the local stack (queue consumers off, so every accepted message stays on its
//! queue to be counted), pre-signs `M` distinct WhatsApp text webhooks, each with its own
//! `wamid`, signed with the development app secret exactly as Meta signs
//! (`X-Hub-Signature-256`, see `xtask/src/platform/whatsapp.rs`), and posts them to the stack's listener
//! on loopback, `K` in flight, with one pooled HTTP client. A tenth of them are posted a second
//! time later in the run, as a platform redelivers a webhook it did not see answered: the catalog
//! queue is FIFO with the message's platform id as its deduplication key, so a redelivery must
//! not add a message.
//!
//! Everything is signed before the clock starts, so the figures are the stack's: signature
//! check, parsing, one `SendMessageBatch` to moto's SQS per webhook, and the 200. Then the
//! catalog queue is drained (receive and delete until it answers empty twice) and every
//! message's `event_id` is matched against the webhooks that were accepted: each must appear
//! exactly once, and nothing else may.
//!
//! Prints requests/s and p50/p99 latency and fails if a webhook was refused or the queue does
//! not hold exactly one message per accepted webhook.

use clap::Parser;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use xtask::Error;
use xtask::customer::{Customer, Webhook};
use xtask::moto::Moto;
use xtask::percentile::nearest_rank;
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "Signed WhatsApp webhooks against the local stack's listener")]
struct Args {
    /// Distinct webhooks (each its own wamid); a tenth of them are posted twice on top.
    #[arg(long, default_value_t = 5_000)]
    webhooks: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    /// Distinct senders the webhooks come from (each a message group of the FIFO queue).
    #[arg(long, default_value_t = 1_000)]
    customers: usize,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ingressload: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ingressload: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    if args.webhooks == 0 || args.in_flight == 0 || args.customers == 0 {
        return Err("--webhooks, --in-flight and --customers must be at least 1".into());
    }
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
    options.consumers = Consumers::None;
    let stack = LocalStack::start(options).await?;
    let result = load(&args, &stack).await;
    stack.stop().await;
    drop(moto);
    result
}

/// The wamid a webhook carries (its only message's `id`).
fn wamid(webhook: &Webhook) -> Result<String, Error> {
    let body: serde_json::Value = serde_json::from_slice(&webhook.body)?;
    body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| "a webhook without a message id".into())
}

async fn load(args: &Args, stack: &LocalStack) -> Result<(), Error> {
    let customers: Vec<Customer> = (0..args.customers)
        .map(|i| Customer::whatsapp(&stack.url, &format!("4479{i:08}"), "Load"))
        .collect();
    let webhooks: Vec<Arc<Webhook>> = (0..args.webhooks)
        .map(|i| Arc::new(customers[i % customers.len()].text_webhook(&format!("hi #{i}"))))
        .collect();
    let ids: Vec<String> = webhooks
        .iter()
        .map(|w| wamid(w))
        .collect::<Result<_, _>>()?;
    // Every tenth webhook again, a little later than its first post (so some are still in
    // flight, some long answered).
    let mut order: Vec<usize> = (0..webhooks.len()).collect();
    let duplicates: Vec<usize> = (0..webhooks.len()).step_by(10).collect();
    for (k, &i) in duplicates.iter().enumerate().rev() {
        let at = (i + 1 + (k % 7) * 40).min(order.len());
        order.insert(at, i);
    }
    println!(
        "ingressload: {} requests ({} distinct webhooks from {} senders + {} posted twice), {} in flight, stack {}",
        order.len(),
        webhooks.len(),
        customers.len(),
        duplicates.len(),
        args.in_flight,
        stack.url
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.in_flight)
        .build()?;
    let gate = Arc::new(Semaphore::new(args.in_flight));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(order.len());
    for &i in &order {
        let (http, webhook, gate) = (http.clone(), webhooks[i].clone(), gate.clone());
        let url = format!("{}{}", stack.url, webhook.path);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            let begun = Instant::now();
            let mut request = http.post(url).body(webhook.body.clone());
            for (name, value) in &webhook.headers {
                request = request.header(*name, value);
            }
            let status = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            (i, status, begun.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    let mut accepted = vec![false; webhooks.len()];
    for task in tasks {
        let (i, status, latency) = task.await?;
        latencies.push(latency);
        *statuses.entry(status).or_default() += 1;
        if status == 200 {
            accepted[i] = true;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "requests: {} in {:.2} s = {rate:.0} requests/s; latency p50 {:.2} ms p99 {:.2} ms max {:.2} ms; statuses {statuses:?}",
        latencies.len(),
        elapsed.as_secs_f64(),
        ms(nearest_rank(&latencies, 0.50)),
        ms(nearest_rank(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );

    // The catalog queue: one message per accepted webhook, duplicates dropped.
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let queue = &stack.provisioned.queues.catalog;
    let approximate = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await?
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(0);
    let draining = Instant::now();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut empty_answers = 0;
    while empty_answers < 2 {
        let out = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty_answers += 1;
            continue;
        }
        empty_answers = 0;
        let mut entries = Vec::new();
        for (k, m) in messages.iter().enumerate() {
            let body: serde_json::Value = serde_json::from_str(m.body().unwrap_or("{}"))?;
            let id = body["event_id"].as_str().unwrap_or("?").to_string();
            *seen.entry(id).or_default() += 1;
            if let Some(handle) = m.receipt_handle() {
                entries.push(
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(k.to_string())
                        .receipt_handle(handle)
                        .build()?,
                );
            }
        }
        sqs.delete_message_batch()
            .queue_url(queue)
            .set_entries(Some(entries))
            .send()
            .await?;
    }
    let accepted_count = accepted.iter().filter(|a| **a).count();
    let queued: usize = seen.values().sum();
    let missing = ids
        .iter()
        .zip(&accepted)
        .filter(|(id, ok)| **ok && !seen.contains_key(*id))
        .count();
    let twice = seen.values().filter(|n| **n > 1).count();
    let known: std::collections::HashSet<&String> = ids.iter().collect();
    let strangers = seen.keys().filter(|id| !known.contains(id)).count();
    println!(
        "catalog queue: ApproximateNumberOfMessages {approximate}; drained {queued} messages in {:.1} s for {accepted_count} accepted webhooks ({} posts): {missing} missing, {twice} queued more than once, {strangers} unknown",
        draining.elapsed().as_secs_f64(),
        order.len(),
    );
    if accepted_count != webhooks.len() {
        return Err(format!(
            "{} of {} webhooks were not accepted: {statuses:?}",
            webhooks.len() - accepted_count,
            webhooks.len()
        )
        .into());
    }
    if queued != accepted_count || missing > 0 || twice > 0 || strangers > 0 {
        return Err(format!(
            "the queue holds {queued} messages for {accepted_count} accepted webhooks"
        )
        .into());
    }
    println!(
        "every accepted webhook became exactly one queue message; the {} redeliveries added none",
        duplicates.len()
    );
    Ok(())
}
