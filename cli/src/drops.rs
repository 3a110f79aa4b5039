//! `chatdrop drop …`: limited drops from the command line: create one (its SKUs, window,
//! limits and optional draw), open and close it, list drops and read one's live stock and
//! revenue. The draw's own commands are in [`crate::draw`]; this module parses their arguments
//! and hands over.

use crate::orders::money;
use crate::queues::outbound_only;
use crate::{Fallible, draw};
use chatdrop_config::QueueUrls;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::OrderStore;
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum DropAction {
    /// Create a drop (scheduled; `open` starts selling from its start time).
    Create {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Unix seconds, `now`, or `+30m` / `+2h` from now.
        #[arg(long, default_value = "now")]
        starts_at: String,
        #[arg(long)]
        ends_at: Option<String>,
        /// Units one customer may hold across the drop.
        #[arg(long)]
        limit: Option<u32>,
        /// `SKU=STOCK`, `SKU=STOCK:LIMIT`, and `@SHARDS` after either to spread a hot SKU's
        /// stock over that many items (e.g. `drop-bag=5000:2@16`); a SKU is a product id or
        /// `product.group.option`.
        #[arg(long = "sku", required = true)]
        skus: Vec<String>,
        /// Days a customer may take to pay by a method that settles later (a Konbini voucher,
        /// Pix; 1 to 60), the units held that long; without it such methods are not offered.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=60))]
        delayed_payment_days: Option<u32>,
        /// Sell by a verifiable draw: entries from the start until this time (same forms as
        /// `--starts-at`), then as many winners as the first SKU's stock.
        #[arg(long)]
        draw_closes_at: Option<String>,
        /// Minutes a draw winner's reservation holds.
        #[arg(long, default_value_t = 60, requires = "draw_closes_at")]
        pay_within_minutes: u32,
        /// One person, one limit (and one draw entry): a chat whose platform vouches for no
        /// phone proves one by a code texted to it before it reserves or enters.
        #[arg(long)]
        verified_phone: bool,
    },
    /// Commit a draw before entries close: a secret seed's hash and the drand round to use.
    DrawCommit {
        id: String,
        /// The drand chain: `quicknet` (a round every 3 s) or `mainnet` (every 30 s).
        #[arg(long, default_value = "quicknet")]
        chain: String,
        /// Seconds after the close the round must come: time to publish the list's hash.
        #[arg(long, default_value_t = 60)]
        margin_seconds: i64,
    },
    /// After entries close: freeze the list, then (once the round is out) draw and tell
    /// everyone. Safe to run again: the same winners, nobody told twice.
    DrawRun {
        id: String,
        #[arg(
            long,
            env = "CHATDROP_DRAND_URL",
            default_value = "https://api.drand.sh"
        )]
        beacon_url: String,
        #[arg(long, env = "CHATDROP_PAYMENT_QUEUE_URL")]
        payment_queue_url: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
    },
    /// Print what a draw publishes (record and entry list) as JSON.
    DrawPublish {
        id: String,
    },
    /// Recompute a draw's winners from its published values and say whether they match.
    VerifyDraw {
        /// The drop, read from the table.
        id: Option<String>,
        /// A file `draw-publish` wrote, checked offline.
        #[arg(long)]
        published: Option<PathBuf>,
    },
    Open {
        id: String,
    },
    Close {
        id: String,
    },
    /// Live state: stock available, reserved and sold per SKU, and revenue.
    Status {
        id: String,
    },
    List,
}

/// A time from the command line, as Unix seconds: `now`; `+30m`, `+2h`, `+1d`, `+1h30m` from
/// now; Unix seconds; or an instant with its offset or zone, read by jiff
/// (`2026-12-01T10:00Z`, `2026-12-01T19:00+09:00`, `2026-12-01T19:00[Asia/Tokyo]`), so an
/// operator can give a drop's start in the market's own wall-clock time.
fn parse_time(value: &str) -> Fallible<i64> {
    parse_time_at(value, SystemClock.now())
}

fn parse_time_at(value: &str, now: i64) -> Fallible<i64> {
    if value == "now" {
        return Ok(now);
    }
    if let Some(rest) = value.strip_prefix('+') {
        // jiff's friendly durations; days count as 24 hours, as they do for a start time.
        let span: jiff::Span = rest
            .parse()
            .map_err(|e| format!("bad offset `{value}`: {e}"))?;
        let seconds = span
            .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .map_err(|e| format!("bad offset `{value}`: {e}"))?
            .as_secs();
        return Ok(now + seconds);
    }
    if let Ok(unix) = value.parse::<i64>() {
        return Ok(unix);
    }
    value
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .or_else(|_| {
            value
                .parse::<jiff::ZonedDateTime>()
                .map(|z| z.timestamp().as_second())
        })
        .map_err(|e| {
            format!(
                "`{value}` is not `now`, `+30m`, unix seconds or a time like \
                 2026-12-01T19:00+09:00 / 2026-12-01T19:00[Asia/Tokyo]: {e}"
            )
        })
}

fn parse_sku(spec: &str) -> Fallible<DropSku> {
    let (sku, rest) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}`: expected SKU=STOCK[:LIMIT][@SHARDS]"))?;
    let (rest, shards) = match rest.split_once('@') {
        Some((r, n)) => (
            r,
            Some(
                n.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=chatdrop_domain::drops::MAX_STOCK_SHARDS).contains(n))
                    .ok_or_else(|| format!("`{spec}`: bad shard count"))?,
            ),
        ),
        None => (rest, None),
    };
    let (stock, limit) = match rest.split_once(':') {
        Some((s, l)) => (s, Some(l)),
        None => (rest, None),
    };
    Ok(DropSku {
        sku: sku.to_string(),
        stock: stock.parse().map_err(|_| format!("`{spec}`: bad stock"))?,
        per_customer_limit: limit
            .map(|l| l.parse().map_err(|_| format!("`{spec}`: bad limit")))
            .transpose()?,
        shards,
    })
}

/// Runs one `drop` command.
pub async fn run(
    store: &DynamoStore,
    aws: &aws_config::SdkConfig,
    action: DropAction,
) -> Fallible<String> {
    let err = |e: chatdrop_domain::ports::PortError| e.to_string();
    match action {
        DropAction::Create {
            id,
            name,
            starts_at,
            ends_at,
            limit,
            skus,
            delayed_payment_days,
            draw_closes_at,
            pay_within_minutes,
            verified_phone,
        } => {
            let skus = skus
                .iter()
                .map(|s| parse_sku(s))
                .collect::<Fallible<Vec<_>>>()?;
            one_sku_per_draw(&skus, draw_closes_at.is_some())?;
            // A SKU sells in one drop at a time, or a checkout could not tell which stock.
            for other in store.drops().await.map_err(err)? {
                if let Some(s) = skus.iter().find(|s| other.sku(&s.sku).is_some()) {
                    return Err(format!(
                        "{} is already in drop {} (close it first)",
                        s.sku, other.id
                    ));
                }
            }
            let drop = Drop {
                id: id.clone(),
                name,
                starts_at: parse_time(&starts_at)?,
                ends_at: ends_at.as_deref().map(parse_time).transpose()?,
                per_customer_limit: limit,
                skus,
                status: DropStatus::Scheduled,
                delayed_payment_days,
                verified_phone,
                draw: draw_closes_at.as_deref().map(parse_time).transpose()?.map(
                    |entries_close_at| chatdrop_domain::draw::DrawSpec {
                        entries_close_at,
                        pay_within_minutes,
                        verified_phone,
                    },
                ),
            };
            store.create_drop(&drop).await.map_err(err)?;
            Ok(format!(
                "created drop {id} (scheduled; `chatdrop drop open {id}` to sell)"
            ))
        }
        DropAction::DrawCommit {
            id,
            chain,
            margin_seconds,
        } => draw::commit(store, &id, &chain, margin_seconds, SystemClock.now()).await,
        DropAction::DrawRun {
            id,
            beacon_url,
            payment_queue_url,
            outbound_queue_url,
        } => {
            let queues = SqsQueues::new(
                aws_sdk_sqs::Client::new(aws),
                QueueUrls {
                    payment: payment_queue_url,
                    ..outbound_only(outbound_queue_url)
                },
            );
            let beacon = draw::HttpBeacon::new(&beacon_url)?;
            draw::run(store, &beacon, &queues, &id, SystemClock.now()).await
        }
        DropAction::DrawPublish { id } => draw::publish(store, &id).await,
        DropAction::VerifyDraw { id, published } => {
            match draw::verify(store, id.as_deref(), published.as_deref()).await? {
                (true, out) => Ok(out),
                (false, out) => Err(out),
            }
        }
        DropAction::Open { id } => {
            store
                .set_drop_status(&id, DropStatus::Open)
                .await
                .map_err(err)?;
            Ok(format!("drop {id} is open"))
        }
        DropAction::Close { id } => {
            store
                .set_drop_status(&id, DropStatus::Closed)
                .await
                .map_err(err)?;
            Ok(format!("drop {id} is closed"))
        }
        DropAction::List => {
            let mut out = String::from("id\tstatus\tstarts_at\tname");
            for d in store.all_drops().await.map_err(err)? {
                out.push_str(&format!(
                    "\n{}\t{:?}\t{}\t{}",
                    d.id, d.status, d.starts_at, d.name
                ));
            }
            Ok(out)
        }
        DropAction::Status { id } => {
            let stock = store.drop_stock(&id).await.map_err(err)?;
            let mut out = format!("drop {id}\nsku\tavailable\treserved\tsold");
            for (sku, available, reserved, sold) in &stock {
                out.push_str(&format!("\n{sku}\t{available}\t{reserved}\t{sold}"));
            }
            eprint!("reading orders for revenue…");
            let orders = store.all_orders().await.map_err(err)?;
            eprintln!(" {} orders", orders.len());
            let paid: Vec<&Order> = orders
                .iter()
                .filter(|o| {
                    matches!(o.status, OrderStatus::Paid | OrderStatus::Shipped)
                        && o.stock.iter().any(|t| t.drop == id)
                })
                .collect();
            let revenue: i64 = paid.iter().map(|o| o.total).sum();
            if let Some(first) = paid.first() {
                out.push_str(&format!(
                    "\npaid orders: {}, revenue {}",
                    paid.len(),
                    money(first, revenue)
                ));
            } else {
                out.push_str("\npaid orders: 0");
            }
            Ok(out)
        }
    }
}

/// A draw is drawn for one SKU's units (`chatdrop_domain::draw_flow` counts the first SKU's
/// stock and reserves it for the winners): a drop of several SKUs sold by draw would leave the
/// others unsold, so it is refused with what to do instead.
fn one_sku_per_draw(skus: &[DropSku], draw: bool) -> Fallible<()> {
    if draw && skus.len() > 1 {
        return Err(format!(
            "a draw sells one SKU, and this drop has {}: create one drop per SKU (size), each \
             with its own draw",
            skus.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{one_sku_per_draw, parse_sku, parse_time_at};

    #[test]
    fn a_draw_takes_one_sku() {
        let one = vec![parse_sku("drop-bag=10").unwrap()];
        let two = vec![
            parse_sku("drop-bag=10").unwrap(),
            parse_sku("drop-tee=5").unwrap(),
        ];
        assert!(one_sku_per_draw(&one, true).is_ok());
        assert!(
            one_sku_per_draw(&two, false).is_ok(),
            "first come sells any number"
        );
        let e = one_sku_per_draw(&two, true).unwrap_err();
        assert!(e.contains("one drop per SKU"), "{e}");
    }

    #[test]
    fn times_are_read_in_every_form_an_operator_writes() {
        // 2026-12-01T10:00:00Z; Tokyo is UTC+9 with no DST (tz database `asia`).
        let t = 1_796_119_200;
        let now = t - 3600;
        assert_eq!(parse_time_at("now", now), Ok(now));
        assert_eq!(parse_time_at("+1h", now), Ok(t));
        assert_eq!(parse_time_at("+30m", now), Ok(now + 1800));
        assert_eq!(parse_time_at("+1d", now), Ok(now + 86_400));
        assert_eq!(parse_time_at("+1h30m", now), Ok(now + 5400));
        assert_eq!(parse_time_at("1796119200", now), Ok(t));
        assert_eq!(parse_time_at("2026-12-01T10:00Z", now), Ok(t));
        assert_eq!(parse_time_at("2026-12-01T19:00+09:00", now), Ok(t));
        assert_eq!(parse_time_at("2026-12-01T19:00[Asia/Tokyo]", now), Ok(t));
        assert!(parse_time_at("tomorrow", now).is_err());
        assert!(parse_time_at("+soon", now).is_err());
    }
}
