//! A platform's long rate limit against a backlog of replies: the scenario the `ratelimit`
//! bench runs for minutes and `tests/stalls.rs` for seconds.
//!
//! Telegram's fake answers every call with 429 and a `retry_after` for the storm's length
//! (`POST /_control/storm`), while reply bundles for several conversations wait on the
//! outbound queue. notify must get every reply through once the storm ends, once each and in
//! order within each conversation, and dead-letter none: SQS counts every receive towards the
//! queue's `maxReceiveCount`, so each one a bundle spends on "slow down" brings it closer to the
//! dead-letter queue. [`Plan::max_receive_count`] lowers the outbound queue's count for a
//! short run, so that receiving a bundle once per advised delay would dead-letter it.

use crate::Error;
use crate::stack::LocalStack;
use aws_sdk_sqs::types::QueueAttributeName;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::i18n::Lang;
use chatdrop_domain::ports::Dispatch;
use chatdrop_domain::reply::{Reply, ReplyBundle};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How long the platform refuses, in seconds.
    pub storm_seconds: u64,
    /// The advised delay it sends with each refusal, in seconds.
    pub retry_after: u64,
    /// Conversations with replies waiting, and bundles per conversation.
    pub conversations: usize,
    pub bundles_each: usize,
    /// Replies per bundle.
    pub replies_each: usize,
    /// Sets the outbound queue's `maxReceiveCount` for the run (the provisioned one if `None`).
    pub max_receive_count: Option<u32>,
    /// The first Telegram chat id (the others follow), so runs on one stack do not mix.
    pub first_chat: i64,
    /// How long to wait for the last reply after the storm.
    pub drain_timeout: Duration,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub bundles: usize,
    pub replies_expected: usize,
    /// Replies the platform accepted (each counted once per request).
    pub delivered: usize,
    pub duplicates: usize,
    pub missing: usize,
    /// Conversations whose replies arrived in another order than queued.
    pub out_of_order: usize,
    /// Messages on the outbound dead-letter queue at the end.
    pub dead_lettered: usize,
    /// Calls the platform refused during the storm.
    pub refused: u64,
    /// From the first bundle queued to the last reply.
    pub elapsed: Duration,
    /// From the end of the storm to the last reply.
    pub drained_after_storm: Duration,
    pub max_receive_count: u32,
}

impl Outcome {
    pub fn clean(&self) -> bool {
        self.dead_lettered == 0
            && self.duplicates == 0
            && self.missing == 0
            && self.out_of_order == 0
            && self.delivered == self.replies_expected
    }

    pub fn summary(&self) -> String {
        format!(
            "{} bundles ({} replies) behind a storm, maxReceiveCount {}: {} delivered, {} duplicates, {} missing, {} conversations out of order, {} dead-lettered; {} calls refused; all through {:.1} s after the first bundle, {:.1} s after the storm",
            self.bundles,
            self.replies_expected,
            self.max_receive_count,
            self.delivered,
            self.duplicates,
            self.missing,
            self.out_of_order,
            self.dead_lettered,
            self.refused,
            self.elapsed.as_secs_f64(),
            self.drained_after_storm.as_secs_f64()
        )
    }
}

fn reply_text(conversation: usize, bundle: usize, reply: usize) -> String {
    format!("c{conversation} b{bundle} r{reply}")
}

async fn redrive_policy(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<serde_json::Value, Error> {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    let policy = attrs
        .get(&QueueAttributeName::RedrivePolicy)
        .ok_or("the outbound queue has no redrive policy")?;
    Ok(serde_json::from_str(policy)?)
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<usize, Error> {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    Ok(attrs.values().filter_map(|v| v.parse::<usize>().ok()).sum())
}

/// Runs `plan` on `stack`, whose notify must be polling the outbound queue.
pub async fn run(stack: &LocalStack, plan: &Plan) -> Result<Outcome, Error> {
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let outbound = &stack.provisioned.queues.outbound;
    let dead_letters = &stack.provisioned.dead_letters["outbound"];
    let mut policy = redrive_policy(&sqs, outbound).await?;
    if let Some(count) = plan.max_receive_count {
        policy["maxReceiveCount"] = count.into();
        sqs.set_queue_attributes()
            .queue_url(outbound)
            .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
            .send()
            .await?;
    }
    let max_receive_count = policy["maxReceiveCount"]
        .as_u64()
        .or_else(|| policy["maxReceiveCount"].as_str()?.parse().ok())
        .unwrap_or(0) as u32;

    let http = crate::local_http::client();
    http.post(format!("{}/_control/storm", stack.fakes_url))
        .json(&serde_json::json!({
            "channel": "telegram",
            "seconds": plan.storm_seconds,
            "retry_after": plan.retry_after,
        }))
        .send()
        .await?
        .error_for_status()?;
    let storm_ends = Instant::now() + Duration::from_secs(plan.storm_seconds);
    let started = Instant::now();

    // Bundle by bundle, each conversation's in order (one FIFO group per conversation).
    let queues = stack.queues();
    let chat = |c: usize| (plan.first_chat + c as i64).to_string();
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for b in 0..plan.bundles_each {
        for c in 0..plan.conversations {
            let replies: Vec<Reply> = (0..plan.replies_each)
                .map(|r| Reply::Text {
                    body: reply_text(c, b, r),
                })
                .collect();
            expected
                .entry(chat(c))
                .or_default()
                .extend((0..plan.replies_each).map(|r| reply_text(c, b, r)));
            let bundle = ReplyBundle {
                id: format!("storm-{}-{c}-{b}", plan.first_chat),
                conversation: ConversationId::new(Channel::Telegram, chat(c)),
                lang: Lang::EN,
                ack: None,
                reply_token: None,
                update: None,
                announcement: None,
                handoff: None,
                take_back: false,
                origin: Default::default(),
                replies,
            };
            queues.reply(&bundle).await?;
        }
    }
    let bundles = plan.conversations * plan.bundles_each;
    let replies_expected = bundles * plan.replies_each;

    // Wait for every reply (or the timeout), then a little more for duplicates.
    let deadline = storm_ends + plan.drain_timeout;
    let mut last_reply = Instant::now();
    let mut seen = 0;
    let received = loop {
        let outbox = crate::stack::fetch_outbox(&http, &stack.fakes_url).await?;
        let mine: Vec<_> = outbox
            .into_iter()
            .filter(|e| e.method == "sendMessage" && expected.contains_key(&e.recipient))
            .collect();
        if mine.len() != seen {
            seen = mine.len();
            last_reply = Instant::now();
        }
        if mine.len() >= replies_expected && last_reply.elapsed() > Duration::from_secs(2) {
            break mine;
        }
        if Instant::now() > deadline {
            break mine;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let mut got: HashMap<String, Vec<String>> = HashMap::new();
    for e in &received {
        got.entry(e.recipient.clone())
            .or_default()
            .push(e.body["text"].as_str().unwrap_or_default().to_string());
    }
    let (mut duplicates, mut missing, mut out_of_order) = (0, 0, 0);
    for (chat, want) in &expected {
        let have = got.get(chat).cloned().unwrap_or_default();
        let mut counts: HashMap<&String, i64> = HashMap::new();
        for t in &have {
            *counts.entry(t).or_default() += 1;
        }
        for t in want {
            *counts.entry(t).or_default() -= 1;
        }
        duplicates += counts.values().filter(|c| **c > 0).sum::<i64>() as usize;
        missing += (-counts.values().filter(|c| **c < 0).sum::<i64>()) as usize;
        let mut firsts = Vec::new();
        for t in &have {
            if !firsts.contains(t) {
                firsts.push(t.clone());
            }
        }
        let in_order: Vec<&String> = want.iter().filter(|t| firsts.contains(t)).collect();
        if firsts.iter().collect::<Vec<_>>() != in_order {
            out_of_order += 1;
        }
    }
    let refused: HashMap<String, u64> = http
        .get(format!("{}/_control/refused", stack.fakes_url))
        .send()
        .await?
        .json()
        .await?;
    Ok(Outcome {
        bundles,
        replies_expected,
        delivered: received.len(),
        duplicates,
        missing,
        out_of_order,
        dead_lettered: depth(&sqs, dead_letters).await?,
        refused: refused.get("telegram").copied().unwrap_or(0),
        elapsed: last_reply.duration_since(started),
        drained_after_storm: last_reply.saturating_duration_since(storm_ends),
        max_receive_count,
    })
}
