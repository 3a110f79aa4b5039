//! The answers as the buyers saw them: read back from the fake WhatsApp's outbox, where notify
//! delivered them at the pace the platform allows.

use crate::buyers::buyer;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use xtask::Error;

/// The answers as they reached the chat.
pub(crate) struct ChatAnswers {
    /// Per buyer answered, the time of their first message from the crowd's start, sorted.
    pub(crate) first: Vec<Duration>,
    /// Messages the fake WhatsApp accepted for the buyers.
    pub(crate) messages: usize,
    /// Messages with the same recipient and body as an earlier one.
    pub(crate) duplicates: usize,
}

/// Reads the fake WhatsApp's outbox until every buyer has a message or `timeout` passes.
pub(crate) async fn chat_answers(
    fakes_url: &str,
    buyers: usize,
    started_ms: u64,
    timeout: Duration,
) -> Result<ChatAnswers, Error> {
    let http = reqwest::Client::new();
    let wanted: std::collections::HashSet<String> =
        (0..buyers).map(|n| buyer(n).customer).collect();
    let deadline = Instant::now() + timeout;
    loop {
        let outbox: Vec<xtask::fakes::OutboxEntry> = http
            .get(format!("{fakes_url}/outbox"))
            .send()
            .await?
            .json()
            .await?;
        let mut first: HashMap<&str, u64> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let (mut messages, mut duplicates) = (0, 0);
        for entry in outbox
            .iter()
            .filter(|e| e.channel == "whatsapp" && wanted.contains(&e.recipient))
        {
            messages += 1;
            if !seen.insert((entry.recipient.as_str(), entry.body.to_string())) {
                duplicates += 1;
            }
            first.entry(entry.recipient.as_str()).or_insert(entry.at_ms);
        }
        if first.len() == buyers || Instant::now() >= deadline {
            let mut times: Vec<Duration> = first
                .values()
                .map(|at| Duration::from_millis(at.saturating_sub(started_ms)))
                .collect();
            times.sort();
            return Ok(ChatAnswers {
                first: times,
                messages,
                duplicates,
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
