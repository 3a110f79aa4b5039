//! A campaign's fan-out on the local stack: `cargo run --release -p xtask --bin campaignload --
//! [--recipients N]`.
//!
//! Starts moto, the fake platforms and the local stack with notify consuming, seeds `N`
//! conversations opted in to announcements, spread over WhatsApp (Brazilian numbers),
//! Telegram, LINE and SMS (UK numbers). One in ten opts out after the start, and the Telegram
//! users never wrote to the bot. It then starts a campaign and fans it out at 12:00 UTC (inside
//! everyone's allowed hours) at the registry's pace per platform, as the sweep does, until no
//! target is pending. Last it waits for notify to drain the outbound queue.
//!
//! With `--kill-after-secs S` the run is a crash test: S seconds into the fan-out, the fan-out
//! task is aborted wherever it is (between a claim and its queueing, inside a transaction's
//! retry, anywhere), the stack (notify's pollers) is stopped, and a new stack is started on
//! the same moto, finding the table and the queues as the old one left them; the fan-out then
//! runs again from scratch until nothing is pending, as the next sweep would.
//!
//! Reported: time to fan out, queued sends a second (against the sum of the platforms' paces),
//! targets suppressed by reason, the time until the fakes saw every send, and duplicates: a
//! customer the fakes saw more than one announcement for. Fails if there is any duplicate or
//! anyone queued never got theirs.

use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{self, CampaignStore, Pace, Ports};
use chatdrop_domain::campaign_pace::per_second;
use chatdrop_domain::campaign_rules::CampaignLimits;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::{self, ConsentChange, ConsentSource, Scope, Wish};
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use clap::Parser;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use xtask::Error;
use xtask::dev;
use xtask::moto::Moto;
use xtask::stack::{Consumers, LocalStack, StackOptions};

#[derive(Parser)]
#[command(about = "A drop announcement fanned out to N opted-in customers")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    recipients: usize,
    /// Abort the fan-out and restart the stack this many seconds in.
    #[arg(long)]
    kill_after_secs: Option<u64>,
    /// SMS segments a second (a long code sends 1; a short code or a pool of numbers more), for
    /// the fan-out's pace and notify's.
    #[arg(long, default_value_t = 1)]
    sms_per_second: u32,
}

const CHANNELS: [Channel; 4] = [
    Channel::Whatsapp,
    Channel::Telegram,
    Channel::Line,
    Channel::Sms,
];

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("campaignload: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("campaignload: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let moto = Moto::start()?;
    let (fakes_url, _fakes) = xtask::fakes::spawn("127.0.0.1:0").await?;
    let options = || {
        let mut options = StackOptions::new(&moto.endpoint, "", &fakes_url);
        options.consumers = Consumers::NotifyOnly;
        options.env.push((
            "CHATDROP_SEND_RATES".into(),
            format!("sms={}", args.sms_per_second),
        ));
        options
    };
    let stack = LocalStack::start(options()).await?;
    let result = load(&args, stack, || LocalStack::start(options())).await;
    drop(moto);
    result
}

/// Fans the campaign out until nothing is pending, one sweep-sized run after another;
/// returns how many sends it queued.
async fn fan_out_all(
    store: DynamoStore,
    queues: SqsQueues,
    campaign: Campaign,
    now: i64,
    sms_per_second: u32,
) -> Result<usize, Error> {
    let clock = Instant::now();
    let mut pace = Pace::new(0).with_rate(Channel::Sms, sms_per_second, 0);
    let mut queued = 0;
    loop {
        let ports = Ports {
            store: &store,
            audience: &store,
            dispatch: &queues,
        };
        let r = campaign_fanout::fan_out(
            &campaign,
            ports,
            &mut pace,
            now,
            5_000,
            || clock.elapsed().as_millis() as i64,
            |ms| async move {
                tokio::time::sleep(Duration::from_millis(ms.max(1) as u64)).await;
                true
            },
        )
        .await?;
        queued += r.sent + r.requeued;
        if !store.any_pending(&campaign.id).await? {
            return Ok(queued);
        }
    }
}

fn customer(channel: Channel, i: usize) -> String {
    match channel {
        Channel::Whatsapp => format!("55119{i:08}"),
        Channel::Telegram => format!("{}", 8_000_000_000u64 + i as u64),
        Channel::Line => format!("U{i:032x}"),
        _ => format!("+4477009{i:05}"),
    }
}

fn change(wish: Wish, at: i64, event: String) -> ConsentChange {
    ConsentChange {
        wish,
        scope: Scope::Announcements,
        at,
        source: ConsentSource::Import {
            source: "campaignload".into(),
        },
        event,
    }
}

async fn load<F, R>(args: &Args, stack: LocalStack, restart: R) -> Result<(), Error>
where
    R: FnOnce() -> F,
    F: std::future::Future<Output = Result<LocalStack, Error>>,
{
    let mut stack = stack;
    let store = stack.store();
    let queues = stack.queues();
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let now = today.div_euclid(86_400) * 86_400 + 12 * 3600;
    let people: Vec<ConversationId> = (0..args.recipients)
        .map(|i| ConversationId::new(CHANNELS[i % 4], customer(CHANNELS[i % 4], i / 4)))
        .collect();
    eprintln!("campaignload: seeding {} opted-in customers…", people.len());
    let seeded = Instant::now();
    for (i, c) in people.iter().enumerate() {
        consent::record(
            &store,
            c,
            None,
            &change(Wish::OptIn, now - 86_400, format!("in{i}")),
        )
        .await?;
    }
    eprintln!(
        "campaignload: seeded in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let text = "Spring drop opens at 10:00";
    let campaign = Campaign {
        id: "load".into(),
        drop: "spring".into(),
        segment: Segment::default(),
        messages: BTreeMap::from([
            (
                Channel::Whatsapp,
                ChannelMessage::WhatsappTemplate {
                    name: dev::WHATSAPP_MARKETING_TEMPLATE.into(),
                    language: "en_US".into(),
                    params: vec![text.into()],
                },
            ),
            (
                Channel::Telegram,
                ChannelMessage::Text { body: text.into() },
            ),
            (
                Channel::Line,
                ChannelMessage::LineMulticast { body: text.into() },
            ),
            (
                Channel::Sms,
                ChannelMessage::Sms {
                    body: text.into(),
                    sender: "+15005550006".into(),
                    registration: "CM00000000000000000000000000000000".into(),
                },
            ),
        ]),
        limits: CampaignLimits::default(),
        status: CampaignStatus::Draft,
        created_at: now,
    };
    store.create(&campaign).await?;
    let started = Instant::now();
    let targeted = campaign_fanout::start("load", &store, &store, now).await?;
    let snapshot = started.elapsed();
    // One in ten opts out after the start.
    for (i, c) in people.iter().enumerate().filter(|(i, _)| i % 10 == 9) {
        consent::record(
            &store,
            c,
            None,
            &change(Wish::OptOut, now - 60, format!("out{i}")),
        )
        .await?;
    }
    let campaign = store.campaign("load").await?.ok_or("no campaign")?;
    let fan = Instant::now();
    let mut task = tokio::spawn(fan_out_all(
        stack.store(),
        queues,
        campaign.clone(),
        now,
        args.sms_per_second,
    ));
    let mut killed = None;
    if let Some(secs) = args.kill_after_secs {
        tokio::select! {
            done = &mut task => return finish_early(done),
            () = tokio::time::sleep(Duration::from_secs(secs)) => {}
        }
        task.abort();
        let _ = (&mut task).await;
        let before: u64 = store.report("load").await?.values().map(|r| r.queued).sum();
        eprintln!("campaignload: killed the fan-out and the stack {secs} s in ({before} queued)");
        stack.stop().await;
        stack = restart().await?;
        killed = Some((secs, before));
        task = tokio::spawn(fan_out_all(
            stack.store(),
            stack.queues(),
            campaign,
            now,
            args.sms_per_second,
        ));
    }
    task.await.map_err(|e| e.to_string())??;
    let fan_out = fan.elapsed();
    let report = store.report("load").await?;
    // What was handed to notify, counted once per customer whichever run queued it.
    let queued = report.values().map(|r| r.queued).sum::<u64>() as usize;

    // Wait for notify to send everything queued.
    let expected = queued;
    let drain = Instant::now();
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for e in stack.outbox().await? {
            let body = e.body.to_string();
            if body.contains(text) {
                *counts.entry(e.recipient).or_default() += 1;
            }
        }
        if counts.len() >= expected || drain.elapsed() > Duration::from_secs(1800) {
            break counts;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let delivered = drain.elapsed();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let pace_sum: u32 = CHANNELS.iter().map(|c| per_second(*c)).sum();
    println!("recipients            {}", args.recipients);
    println!(
        "targeted              {targeted} (snapshot {:.1} s)",
        snapshot.as_secs_f64()
    );
    println!(
        "fan-out               {:.1} s, {queued} queued, {:.0} sends/s (platform paces sum to {pace_sum}/s)",
        fan_out.as_secs_f64(),
        queued as f64 / fan_out.as_secs_f64().max(0.001)
    );
    for (channel, row) in &report {
        let suppressed: Vec<String> = row
            .suppressed
            .iter()
            .map(|(s, n)| format!("{}={n}", s.code()))
            .collect();
        println!(
            "  {channel:<10} targeted {} queued {} suppressed [{}]",
            row.targeted,
            row.queued,
            suppressed.join(", ")
        );
    }
    println!(
        "delivered to fakes    {} customers, {:.1} s after the fan-out",
        counts.len(),
        delivered.as_secs_f64()
    );
    if let Some((secs, before)) = killed {
        println!(
            "killed                at {secs} s ({before} queued), stack restarted, fan-out rerun"
        );
    }
    println!("duplicates            {duplicates}");
    if duplicates > 0 {
        return Err(format!("{duplicates} duplicate announcements").into());
    }
    if counts.len() < expected {
        return Err(format!(
            "only {} of {expected} sends reached the fakes",
            counts.len()
        )
        .into());
    }
    stack.stop().await;
    Ok(())
}

/// The fan-out ended before the kill was due: nothing was killed, which makes the run no crash
/// test; say so rather than report it as one.
fn finish_early(done: Result<Result<usize, Error>, tokio::task::JoinError>) -> Result<(), Error> {
    done.map_err(|e| e.to_string())??;
    Err(
        "the fan-out finished before --kill-after-secs: nothing was killed; use a shorter time"
            .into(),
    )
}
