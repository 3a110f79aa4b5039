//! `chatdrop campaign …`: announce a drop to the customers who asked for announcements.
//!
//! ```text
//! chatdrop campaign create --file spring.toml   # a draft: segment + a message per channel
//! chatdrop campaign preview spring-bag          # who it would reach now, and what the rules do
//! chatdrop campaign start spring-bag            # snapshot the audience; the sweep fans out
//! chatdrop campaign pause spring-bag            # stop between two sends; start resumes
//! chatdrop campaign status [spring-bag]         # per channel: targeted … paid, reasons
//! chatdrop campaign report spring-bag --svg spring.svg   # the same, plotted
//! ```
//!
//! The file is the domain's `Campaign` in TOML without its status and creation time; see
//! `cli/campaigns/spring.toml`. The rules (consent, caps, quiet hours, each platform's form)
//! are `chatdrop_domain::campaign_rules`; the fan-out runs in the sweep, every minute.

use crate::{Fallible, campaign_report};
use chatdrop_domain::campaign::{Campaign, CampaignStatus, ChannelMessage, Segment};
use chatdrop_domain::campaign_fanout::{self, CampaignStore, ChannelReport};
use chatdrop_domain::campaign_outcome;
use chatdrop_domain::campaign_rules::{CampaignLimits, Suppression};
use chatdrop_domain::channel::Channel;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::ports::OrderStore;
use chatdrop_store::DynamoStore;
use clap::Subcommand;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CampaignAction {
    /// Create a draft campaign from a TOML file.
    Create {
        #[arg(long)]
        file: PathBuf,
    },
    /// Who a campaign would reach now, per channel, and what the rules would do.
    Preview { id: String },
    /// Start a draft (snapshot its audience) or resume a paused campaign.
    Start { id: String },
    /// Pause a running campaign; `start` resumes it.
    Pause { id: String },
    /// The report per channel; every campaign without an id.
    Status { id: Option<String> },
    /// The report per channel, plotted as an SVG (`--svg out.svg`).
    Report {
        id: String,
        #[arg(long)]
        svg: PathBuf,
    },
}

/// A campaign as a retailer writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    id: String,
    drop: String,
    #[serde(default)]
    segment: Segment,
    messages: BTreeMap<Channel, ChannelMessage>,
    #[serde(default)]
    limits: Option<CampaignLimits>,
}

/// Reads and validates a campaign file as a draft created at `now`.
pub fn read(file: &Path, now: i64) -> Fallible<Campaign> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut f: CampaignFile =
        toml::from_str(&text).map_err(|e| format!("{} is not a campaign: {e}", file.display()))?;
    // The segment's tags compare with the customers' as `chatdrop customer tag` stored them.
    let tags: Result<std::collections::BTreeSet<String>, _> = f
        .segment
        .tags
        .iter()
        .map(|t| chatdrop_domain::customer_tags::normalize(t))
        .collect();
    f.segment.tags = tags
        .map_err(|e| format!("{}: segment tags: {e}", file.display()))?
        .into_iter()
        .collect();
    let campaign = Campaign {
        id: f.id,
        drop: f.drop,
        segment: f.segment,
        messages: f.messages,
        limits: f.limits.unwrap_or_default(),
        status: CampaignStatus::Draft,
        created_at: now,
    };
    campaign.validate().map_err(|e| e.to_string())?;
    Ok(campaign)
}

pub async fn run(store: &DynamoStore, action: CampaignAction) -> Fallible<String> {
    let now = SystemClock.now();
    let err = |e: chatdrop_domain::ports::PortError| e.to_string();
    match action {
        CampaignAction::Create { file } => {
            let campaign = read(&file, now)?;
            let drops = store.drops().await.map_err(err)?;
            if !drops.iter().any(|d| d.id == campaign.drop) {
                return Err(format!("no drop `{}`", campaign.drop));
            }
            if !store.create(&campaign).await.map_err(err)? {
                return Err(format!("a campaign `{}` exists already", campaign.id));
            }
            Ok(format!(
                "created campaign {} (draft); `chatdrop campaign preview {}` shows its reach",
                campaign.id, campaign.id
            ))
        }
        CampaignAction::Preview { id } => {
            let campaign = load(store, &id).await?;
            let recipients = campaign_fanout::audience(&campaign, store)
                .await
                .map_err(err)?;
            let report = campaign_fanout::preview(&campaign, &recipients, now);
            Ok(table(&report, "would send now"))
        }
        CampaignAction::Start { id } => {
            let added = campaign_fanout::start(&id, store, store, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "campaign {id} running: {added} customers targeted; the sweep sends what is due every minute"
            ))
        }
        CampaignAction::Pause { id } => {
            if store
                .set_status(&id, &[CampaignStatus::Running], CampaignStatus::Paused)
                .await
                .map_err(err)?
            {
                Ok(format!("campaign {id} paused"))
            } else {
                Err(format!("campaign {id} is not running"))
            }
        }
        CampaignAction::Status { id: Some(id) } => {
            let campaign = load(store, &id).await?;
            let report = campaign_outcome::report_with_orders(store, store, &id, &campaign.drop)
                .await
                .map_err(err)?;
            Ok(format!(
                "campaign {id} ({}), drop {}\n{}",
                campaign.status.as_str(),
                campaign.drop,
                campaign_report::status_table(&report)
            ))
        }
        CampaignAction::Report { id, svg } => {
            let campaign = load(store, &id).await?;
            let report = campaign_outcome::report_with_orders(store, store, &id, &campaign.drop)
                .await
                .map_err(err)?;
            let title = format!("campaign {id}: drop {}", campaign.drop);
            campaign_report::svg(&svg, &title, &report)?;
            Ok(format!(
                "{}\nplotted to {}",
                campaign_report::status_table(&report),
                svg.display()
            ))
        }
        CampaignAction::Status { id: None } => {
            let mut out = String::from("campaign\tdrop\tstatus\ttargeted\tqueued");
            for c in store.list().await.map_err(err)? {
                let report = store.report(&c.id).await.map_err(err)?;
                let targeted: u64 = report.values().map(|r| r.targeted).sum();
                let sent: u64 = report.values().map(|r| r.queued).sum();
                out.push_str(&format!(
                    "\n{}\t{}\t{}\t{targeted}\t{sent}",
                    c.id,
                    c.drop,
                    c.status.as_str()
                ));
            }
            Ok(out)
        }
    }
}

async fn load(store: &DynamoStore, id: &str) -> Fallible<Campaign> {
    store
        .campaign(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no campaign `{id}`"))
}

/// One row per channel: targeted, `sent_label`, deferred, then each suppression reason seen.
pub fn table(report: &BTreeMap<Channel, ChannelReport>, sent_label: &str) -> String {
    let reasons: Vec<Suppression> = Suppression::ALL
        .into_iter()
        .filter(|s| report.values().any(|r| r.suppressed.contains_key(s)))
        .collect();
    let mut out = format!("channel\ttargeted\t{sent_label}\tdeferred (quiet hours)");
    for r in &reasons {
        out.push_str(&format!("\tsuppressed: {}", r.code()));
    }
    for (channel, row) in report {
        out.push_str(&format!(
            "\n{channel}\t{}\t{}\t{}",
            row.targeted, row.queued, row.deferred
        ));
        for r in &reasons {
            out.push_str(&format!(
                "\t{}",
                row.suppressed.get(r).copied().unwrap_or(0)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_campaign_reads() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns/spring.toml");
        let c = read(&file, 0).unwrap();
        assert_eq!(c.id, "spring-bag");
        assert_eq!(c.limits, CampaignLimits::default());
        assert!(matches!(
            c.messages[&Channel::Whatsapp],
            ChannelMessage::WhatsappTemplate { .. }
        ));
        assert_eq!(c.messages.len(), 7);
    }

    #[test]
    fn a_text_on_whatsapp_is_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("campaign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.toml");
        std::fs::write(
            &file,
            "id = \"x\"\ndrop = \"d\"\n[messages.whatsapp]\nform = \"text\"\nbody = \"hi\"\n",
        )
        .unwrap();
        let e = read(&file, 0).unwrap_err();
        assert!(e.contains("approved marketing template"), "{e}");
    }
}
