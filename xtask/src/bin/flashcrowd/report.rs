//! The figures as a markdown table (written next to the plot), and the process's peak RSS.

use serde_json::Value;

/// This process's peak resident set (`VmHWM`), in MiB: an upper bound for any one function
/// under this load, since the stack runs all of them here beside the bench's own buyers.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub(crate) fn markdown(f: &Value) -> String {
    let row = |what: &str, value: String| format!("| {what} | {value} |\n");
    let mut out =
        String::from("| flash crowd (moto, loopback, this machine) | figure |\n|---|---|\n");
    out += &row(
        "buyers / units / in flight",
        format!(
            "{} / {} / {}{}",
            f["buyers"],
            f["stock"],
            f["in_flight"],
            f["shards"]
                .as_u64()
                .map(|n| format!(" ({n} shards)"))
                .unwrap_or_default()
        ),
    );
    out += &row(
        "answered (pay links + sold out)",
        format!(
            "{} ({} + {})",
            f["answered"], f["pay_links"], f["sold_out_answers"]
        ),
    );
    out += &row(
        "sold / oversold",
        format!("{} / {}", f["sold"], f["oversold"]),
    );
    out += &row(
        "reservations/s",
        format!(
            "{:.0} ({:.0}% of the raw ceiling)",
            f["reservations_per_second"].as_f64().unwrap_or(0.0),
            100.0
                * f["reservations_fraction_of_ceiling"]
                    .as_f64()
                    .unwrap_or(0.0)
        ),
    );
    out += &row(
        "checkouts answered/s",
        format!("{:.0}", f["checkouts_per_second"].as_f64().unwrap_or(0.0)),
    );
    out += &row(
        "raw ceiling (bare conditional UpdateItem)",
        format!(
            "{:.0} ops/s",
            f["raw_ceiling_ops_per_second"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "checkout latency p50 / p99",
        format!(
            "{} ms / {} ms",
            f["checkout_latency_ms"]["p50"], f["checkout_latency_ms"]["p99"]
        ),
    );
    out += &row(
        "every buyer answered after (checkout's answer / in the chat)",
        format!(
            "{:.1} s / {:.1} s",
            f["all_answered_seconds"].as_f64().unwrap_or(0.0),
            f["in_chat"]["all_answered_seconds"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "answer in the chat p50 / p99 (fake WhatsApp at N msg/s)",
        format!(
            "{:.2} s / {:.2} s ({} msg/s; {} messages, {} sent twice)",
            f["in_chat"]["p50_seconds"].as_f64().unwrap_or(0.0),
            f["in_chat"]["p99_seconds"].as_f64().unwrap_or(0.0),
            f["whatsapp_messages_per_second"],
            f["in_chat"]["messages"],
            f["in_chat"]["sent_twice"]
        ),
    );
    out += &row(
        "peak RSS, bench + whole stack in one process (upper bound per function)",
        format!(
            "{:.1} MiB",
            f["peak_rss_mib_bench_and_stack"].as_f64().unwrap_or(0.0)
        ),
    );
    out += &row(
        "DynamoDB calls per sale / per sold-out answer",
        format!(
            "{:.1} / {:.1}",
            f["dynamodb_calls"]["per_sale_mean"].as_f64().unwrap_or(0.0),
            f["dynamodb_calls"]["per_sold_out_mean"]
                .as_f64()
                .unwrap_or(0.0)
        ),
    );
    out += &row(
        "AWS write units per sale / per sold-out answer",
        format!(
            "{} / {}",
            f["aws_write_units"]["one_sale"], f["aws_write_units"]["one_sold_out"]
        ),
    );
    out += &row(
        "naive read-then-write baseline: oversold",
        format!(
            "{} ({} told yes)",
            f["naive"]["oversold"], f["naive"]["told_yes"]
        ),
    );
    if f["shard_spread"].is_object() {
        out += &row(
            "reservations per shard, first half of the sales: min / mean / max",
            format!(
                "{} / {:.1} / {}",
                f["shard_spread"]["min"],
                f["shard_spread"]["mean"].as_f64().unwrap_or(0.0),
                f["shard_spread"]["max"]
            ),
        );
        out += &row(
            "busiest shard at 10,000 reservations/s (model from this spread)",
            format!(
                "{:.0} WCU/s of 1,000; {} shards needed at this spread",
                f["shard_spread"]["busiest_wcu_per_second_at_10000"]
                    .as_f64()
                    .unwrap_or(0.0),
                f["shard_spread"]["shards_needed_at_this_spread"]
            ),
        );
    }
    out += &format!("\nCommand: `{}`\n", f["command"].as_str().unwrap_or(""));
    out
}
