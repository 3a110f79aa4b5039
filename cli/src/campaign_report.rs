//! `chatdrop campaign status <id>` and `chatdrop campaign report <id> --svg out.svg`: what a
//! campaign did per channel, from targeted to paid, as a table and as a plot.
//!
//! The columns, left to right, narrow like a funnel: *targeted* (opted-in conversations in the
//! segment), *queued* by the fan-out (the rest were suppressed, with a reason, or are waiting
//! for their morning or a platform's back-off), *sent* (the platform accepted it), *delivered*
//! and *read* (where the platform reports them: WhatsApp, Messenger, Viber, SMS delivered;
//! LINE and Telegram never do), *reserved*, *pay link opened* and *paid* (orders for the drop
//! within 7 days of the send: `chatdrop_domain::campaign_outcome::ATTRIBUTION_SECS`). Then the
//! reasons: quiet hours deferrals, suppressions, back-offs and refusals by the platform's error
//! code.

use crate::Fallible;
use chatdrop_domain::campaign_fanout::ChannelReport;
use chatdrop_domain::campaign_rules::Suppression;
use chatdrop_domain::channel::Channel;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The funnel's stages, as the table and the plot name them.
const STAGES: [&str; 8] = [
    "targeted",
    "queued",
    "sent",
    "delivered",
    "read",
    "reserved",
    "pay link opened",
    "paid",
];

fn stages(row: &ChannelReport) -> [u64; 8] {
    [
        row.targeted,
        row.queued,
        row.sent,
        row.delivered,
        row.read,
        row.reserved,
        row.opened,
        row.paid,
    ]
}

/// The column of targets not yet queued nor suppressed.
const WAITING: &str = "waiting (night, budget, pace, back-off)";

/// Targets still pending: neither queued nor suppressed. They wait for their morning, for
/// the channel's budget to have room (`CHATDROP_CAMPAIGN_BUDGETS`), for the pace of a later
/// run, or for a platform's back-off to end.
fn waiting(row: &ChannelReport) -> u64 {
    let suppressed: u64 = row.suppressed.values().sum();
    row.targeted.saturating_sub(row.queued + suppressed)
}

/// One row per channel: the funnel, what still waits, then deferrals and every reason seen.
pub fn status_table(report: &BTreeMap<Channel, ChannelReport>) -> String {
    let suppressed: Vec<Suppression> = Suppression::ALL
        .into_iter()
        .filter(|s| report.values().any(|r| r.suppressed.contains_key(s)))
        .collect();
    let codes = |pick: fn(&ChannelReport) -> &BTreeMap<String, u64>| -> BTreeSet<String> {
        report
            .values()
            .flat_map(|r| pick(r).keys().cloned())
            .collect()
    };
    let backed_off = codes(|r| &r.backed_off);
    let refused = codes(|r| &r.refused);
    let mut out = format!(
        "channel\t{}\t{WAITING}\tdeferred (quiet hours)",
        STAGES.join("\t")
    );
    for s in &suppressed {
        out.push_str(&format!("\tsuppressed: {}", s.code()));
    }
    for code in &backed_off {
        out.push_str(&format!("\tplatform refused ({code}), backed off"));
    }
    for code in &refused {
        out.push_str(&format!("\tplatform refused ({code})"));
    }
    for (channel, row) in report {
        out.push_str(&format!("\n{channel}"));
        for n in stages(row) {
            out.push_str(&format!("\t{n}"));
        }
        out.push_str(&format!("\t{}\t{}", waiting(row), row.deferred));
        for s in &suppressed {
            out.push_str(&format!(
                "\t{}",
                row.suppressed.get(s).copied().unwrap_or(0)
            ));
        }
        for code in &backed_off {
            out.push_str(&format!(
                "\t{}",
                row.backed_off.get(code).copied().unwrap_or(0)
            ));
        }
        for code in &refused {
            out.push_str(&format!(
                "\t{}",
                row.refused.get(code).copied().unwrap_or(0)
            ));
        }
    }
    out
}

/// The funnel as grouped bars, one colour per channel, written to `path` as SVG.
pub fn svg(path: &Path, title: &str, report: &BTreeMap<Channel, ChannelReport>) -> Fallible<()> {
    use plotters::prelude::*;
    let fail = |e: &dyn std::fmt::Display| format!("cannot plot to {}: {e}", path.display());
    let top = report.values().flat_map(stages).max().unwrap_or(0).max(1) as f64;
    let channels: Vec<(&Channel, &ChannelReport)> = report.iter().collect();
    let width = 0.8 / channels.len().max(1) as f64;
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..STAGES.len() as f64, 0.0..top * 1.1)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(STAGES.len() * 2 + 1)
        .x_label_formatter(&|x| {
            // Labels at the middle of each stage's group only.
            let i = (x - 0.5).round();
            if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                STAGES.get(i as usize).copied().unwrap_or("").to_string()
            } else {
                String::new()
            }
        })
        .y_desc("customers")
        .draw()
        .map_err(|e| fail(&e))?;
    for (k, (channel, row)) in channels.iter().enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let bars = stages(row).into_iter().enumerate().map(move |(i, n)| {
            let x0 = i as f64 + 0.1 + k as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], colour.filled())
        });
        chart
            .draw_series(bars)
            .map_err(|e| fail(&e))?
            .label(channel.to_string())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> BTreeMap<Channel, ChannelReport> {
        let mut wa = ChannelReport {
            targeted: 4,
            queued: 2,
            sent: 2,
            delivered: 2,
            read: 1,
            reserved: 1,
            opened: 1,
            paid: 1,
            ..ChannelReport::default()
        };
        wa.backed_off.insert("131049".into(), 1);
        wa.suppressed.insert(Suppression::OptedOut, 1);
        let line = ChannelReport {
            targeted: 3,
            queued: 3,
            sent: 3,
            ..ChannelReport::default()
        };
        BTreeMap::from([(Channel::Whatsapp, wa), (Channel::Line, line)])
    }

    #[test]
    fn the_table_names_every_stage_and_reason_seen() {
        let t = status_table(&report());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "channel\ttargeted\tqueued\tsent\tdelivered\tread\treserved\tpay link opened\tpaid\twaiting (night, budget, pace, back-off)\tdeferred (quiet hours)\tsuppressed: opted_out\tplatform refused (131049), backed off"
        );
        assert!(
            // One waits: the one WhatsApp backed off from (targeted 4, queued 2, suppressed 1).
            lines.contains(&"whatsapp\t4\t2\t2\t2\t1\t1\t1\t1\t1\t0\t1\t1"),
            "{t}"
        );
        assert!(
            lines.contains(&"line\t3\t3\t3\t0\t0\t0\t0\t0\t0\t0\t0\t0"),
            "{t}"
        );
    }

    #[test]
    fn the_plot_is_an_svg_with_a_bar_per_channel_and_stage() {
        let path = std::env::temp_dir().join(format!("campaign-{}.svg", std::process::id()));
        svg(&path, "spring", &report()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(80)]);
        assert!(text.contains("whatsapp") && text.contains("paid"));
        // 8 bars for each of the two channels, and one legend swatch each.
        assert!(text.matches("<rect").count() >= 18, "{text}");
        let _ = std::fs::remove_file(&path);
    }
}
