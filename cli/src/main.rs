//! `chatdrop`: the retailer's and operator's command line, on the same store code as the
//! functions.
//!
//! AWS credentials, region and endpoint come from the SDK's usual environment and profile
//! settings, so the same commands work on the local stack (`AWS_ENDPOINT_URL`) and on AWS. The
//! table is `--table` / `CHATDROP_TABLE`; commands that message customers need the outbound
//! queue (`CHATDROP_OUTBOUND_QUEUE_URL`); refunds need the Stripe key
//! (`CHATDROP_STRIPE_SECRET_KEY`, and `CHATDROP_STRIPE_API_BASE` for a fake); commands that
//! name customers need the identifier key (`CHATDROP_ID_KEY`, or `CHATDROP_SECRET_ID`).

mod agent;
mod campaign;
mod campaign_report;
mod customer;
mod draw;
mod messages;

use chatdrop_config::QueueUrls;
use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
use chatdrop_domain::money::Money;
use chatdrop_domain::order_events;
use chatdrop_domain::orders::{Order, OrderStatus};
use chatdrop_domain::ports::OrderStore;
use chatdrop_ops::{export, refund};
use chatdrop_payments::stripe::StripeGateway;
use chatdrop_queue::SqsQueues;
use chatdrop_store::DynamoStore;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "chatdrop", about = "Operate a chatdrop deployment")]
struct Cli {
    /// The DynamoDB table.
    #[arg(
        long,
        env = "CHATDROP_TABLE",
        global = true,
        default_value = "chatdrop"
    )]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The product catalog.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// Limited drops: stock, windows, limits.
    Drop {
        #[command(subcommand)]
        action: DropAction,
    },
    /// Orders: list, export, ship, refund.
    Orders {
        #[command(subcommand)]
        action: OrdersAction,
    },
    /// Dead-letter queues.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Messages the platforms' rules kept back (outside a customer-service window, opted out).
    Held {
        #[command(subcommand)]
        action: HeldAction,
    },
    /// What chatdrop holds about a customer, and erasing it (access and erasure requests).
    Customer {
        #[command(subcommand)]
        action: CustomerAction,
    },
    /// What a conversation was sent, with each message's delivery status.
    Thread {
        /// whatsapp, telegram, messenger, line, wechat or sms.
        channel: String,
        /// The platform's id for the customer (wa_id, chat id, PSID, user id, OpenID, phone).
        customer: String,
    },
    /// Console users (the agents' Cognito user pool).
    Agent {
        #[command(subcommand)]
        action: agent::AgentAction,
    },
    /// Drop announcements to opted-in customers: create, preview, start, pause, status.
    Campaign {
        #[command(subcommand)]
        action: campaign::CampaignAction,
    },
}

#[derive(Subcommand)]
enum CustomerAction {
    /// Print the session, the consent history and the orders as JSON.
    Export {
        /// whatsapp, telegram, messenger, line, wechat, sms or viber.
        channel: String,
        /// The platform's id for the customer.
        customer: String,
    },
    /// Erase the session and consent items, pseudonymize the orders (amounts stay for the
    /// books); safe to repeat.
    Forget {
        /// whatsapp, telegram, messenger, line, wechat, sms or viber.
        channel: String,
        /// The platform's id for the customer.
        customer: String,
    },
}

#[derive(Subcommand)]
enum HeldAction {
    /// Every held message, oldest first.
    List,
    /// Queue a held message again; the sending rules are applied afresh (it is held again if
    /// they still forbid it).
    Send {
        id: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
    },
    /// Drop a held message for good.
    Discard { id: String },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Validate a seed file (TOML) and its `messages/<tag>.ftl` files without touching any
    /// table.
    Check { file: PathBuf },
    /// Validate a seed file and its message files, and replace the stored catalog with them.
    Load {
        file: PathBuf,
        /// A VIP threshold over the seed's `[support]`: lifetime paid, in minor units, above
        /// which a customer's payment hands the chat to a person. `25000` is in the catalog's
        /// currency; `THB=2430000` in another market's. Repeat for several currencies; `0`
        /// turns one off.
        #[arg(long = "vip-threshold", value_name = "[CURRENCY=]MINOR_UNITS")]
        vip_thresholds: Vec<String>,
    },
}

/// Applies `--vip-threshold` values to a catalog's `[support]` (README, "Handoff to a person").
fn set_vip_thresholds(catalog: &mut Catalog, specs: &[String]) -> Fallible<()> {
    use chatdrop_domain::money::Currency;
    for spec in specs {
        let (currency, amount) = match spec.split_once('=') {
            Some((c, a)) => (Currency::parse(c).map_err(|e| e.to_string())?, a),
            None => (catalog.currency, spec.as_str()),
        };
        let amount: i64 = amount.trim().parse().map_err(|_| {
            format!("--vip-threshold {spec}: write minor units, like 25000 or THB=2430000")
        })?;
        let support = &mut catalog.support;
        let value = (amount != 0).then_some(amount);
        if currency == catalog.currency {
            support.vip_threshold = value;
            support.vip_thresholds.remove(&currency);
        } else {
            match value {
                Some(v) => support.vip_thresholds.insert(currency, v),
                None => support.vip_thresholds.remove(&currency),
            };
        }
    }
    catalog.validate().map_err(|e| e.to_string())
}

#[derive(Subcommand)]
enum DropAction {
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

#[derive(Subcommand)]
enum OrdersAction {
    /// Every order, oldest first.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// All orders as CSV, to a file or `-` for standard output; cells a spreadsheet would run
    /// as formulas (`=`, `+`, `-`, `@`, tab, CR first) start with `'`.
    Export {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Mark a paid order shipped and tell the customer in their chat.
    Ship {
        id: String,
        #[arg(long)]
        tracking: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
    },
    /// Refund a paid, shipped or paid_needs_attention order in full through Stripe (idempotent)
    /// and tell the customer; any other order is refused before Stripe is asked.
    Refund {
        id: String,
        #[arg(long, env = "CHATDROP_OUTBOUND_QUEUE_URL")]
        outbound_queue_url: String,
        #[arg(long, env = "CHATDROP_STRIPE_SECRET_KEY", hide_env_values = true)]
        stripe_secret_key: String,
        #[arg(long, env = "CHATDROP_STRIPE_API_BASE")]
        stripe_api_base: Option<String>,
    },
    /// Payments to look at: orders paid after their stock was resold, or by a payment that
    /// does not match them (another Stripe page, amount or currency), with why.
    Attention,
}

#[derive(Subcommand)]
enum DlqAction {
    /// Move every message of a dead-letter queue back to its source queue, in order.
    Redrive {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

type Fallible<T> = Result<T, String>;

/// Reads a seed file and the message files of its `messages/` folder, and validates both;
/// every problem of the message files is listed, one per line, with its file and line.
fn read_catalog(file: &Path) -> Fallible<Catalog> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut catalog: Catalog =
        toml::from_str(&text).map_err(|e| format!("{} is not a catalog: {e}", file.display()))?;
    let folder = messages::folder(file);
    let files = messages::read(&folder).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        lines.join("\n")
    })?;
    if !files.is_empty() && !catalog.messages.is_empty() {
        return Err(format!(
            "{} has [messages] and {} exists: keep the message files in one place",
            file.display(),
            folder.display()
        ));
    }
    catalog.messages.extend(files);
    catalog.validate().map_err(|e| {
        format!(
            "{} is invalid: {}",
            file.display(),
            messages::explain(&e, &folder)
        )
    })?;
    Ok(catalog)
}

/// ", 2 message files (en, ja)" when the catalog has any, so `check` says what it read.
fn message_files(catalog: &Catalog) -> String {
    if catalog.messages.is_empty() {
        return String::new();
    }
    let tags: Vec<&str> = catalog.messages.keys().map(|l| l.code()).collect();
    let noun = if tags.len() == 1 { "file" } else { "files" };
    format!(", {} message {noun} ({})", tags.len(), tags.join(", "))
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

fn money(order: &Order, minor: i64) -> String {
    Money::new(minor, order.currency).format(order.lang, false)
}

/// Reads the order as it is now and sends the customer the message its state owes them.
async fn tell_customer(
    store: &DynamoStore,
    aws: &aws_config::SdkConfig,
    id: &str,
    outbound_queue_url: String,
) -> Fallible<Order> {
    let order = store
        .order(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("order vanished")?;
    let queues = SqsQueues::new(
        aws_sdk_sqs::Client::new(aws),
        outbound_only(outbound_queue_url),
    );
    order_events::tell_customer(&order, store, &queues)
        .await
        .map_err(|e| e.to_string())?;
    Ok(order)
}

fn outbound_only(url: String) -> QueueUrls {
    QueueUrls {
        catalog: String::new(),
        cart: String::new(),
        payment: String::new(),
        outbound: url,
    }
}

async fn run(cli: Cli) -> Fallible<String> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    // Customers are named by keyed pseudonyms (the export, held messages, queue group ids):
    // `CHATDROP_ID_KEY`, or the deployment's secret when `CHATDROP_SECRET_ID` is set. Commands
    // that name nobody run without it; the others stop saying which secret to set.
    match chatdrop_config::Secrets::load_with_id_key(&chatdrop_config::secret_source(&aws), &[])
        .await
    {
        Ok(_) | Err(chatdrop_config::ConfigError::MissingSecret(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), &cli.table);
    let err = |e: chatdrop_domain::ports::PortError| e.to_string();
    match cli.command {
        Command::Catalog { action } => match action {
            CatalogAction::Check { file } => {
                let c = read_catalog(&file)?;
                Ok(format!(
                    "{}: {} categories, {} products{}, valid",
                    file.display(),
                    c.categories.len(),
                    c.products.len(),
                    message_files(&c)
                ))
            }
            CatalogAction::Load {
                file,
                vip_thresholds,
            } => {
                let mut c = read_catalog(&file)?;
                set_vip_thresholds(&mut c, &vip_thresholds)?;
                let writes = store
                    .replace_catalog(&c)
                    .await
                    .map_err(|e| format!("loading into {} failed: {e}", cli.table))?;
                Ok(format!(
                    "loaded {} products in {} categories{} into {} ({writes} writes)",
                    c.products.len(),
                    c.categories.len(),
                    message_files(&c),
                    cli.table
                ))
            }
        },
        Command::Drop { action } => match action {
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
            } => draw::commit(&store, &id, &chain, margin_seconds, SystemClock.now()).await,
            DropAction::DrawRun {
                id,
                beacon_url,
                payment_queue_url,
                outbound_queue_url,
            } => {
                let queues = SqsQueues::new(
                    aws_sdk_sqs::Client::new(&aws),
                    QueueUrls {
                        payment: payment_queue_url,
                        ..outbound_only(outbound_queue_url)
                    },
                );
                let beacon = draw::HttpBeacon::new(&beacon_url)?;
                draw::run(&store, &beacon, &queues, &id, SystemClock.now()).await
            }
            DropAction::DrawPublish { id } => draw::publish(&store, &id).await,
            DropAction::VerifyDraw { id, published } => {
                match draw::verify(&store, id.as_deref(), published.as_deref()).await? {
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
        },
        Command::Orders { action } => match action {
            OrdersAction::List { status } => {
                let wanted = status
                    .as_deref()
                    .map(|s| OrderStatus::parse(s).ok_or_else(|| format!("unknown status `{s}`")))
                    .transpose()?;
                let mut out =
                    String::from("order\tnumber\tstatus\ttotal\tchannel\tunits\tattention");
                for o in store.all_orders().await.map_err(err)? {
                    if wanted.is_some_and(|w| w != o.status) {
                        continue;
                    }
                    out.push_str(&format!(
                        "\n{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        o.id,
                        o.number(),
                        o.status.as_str(),
                        money(&o, o.total),
                        o.conversation.channel,
                        o.units(),
                        o.attention.len()
                    ));
                }
                Ok(out)
            }
            OrdersAction::Export { file } => {
                let orders = store.all_orders().await.map_err(err)?;
                if file == "-" {
                    export::write_orders(&orders, std::io::stdout().lock())
                        .map_err(|e| e.to_string())?;
                    Ok(String::new())
                } else {
                    let out = std::fs::File::create(&file)
                        .map_err(|e| format!("cannot write {file}: {e}"))?;
                    export::write_orders(&orders, std::io::BufWriter::new(out))
                        .map_err(|e| format!("cannot write {file}: {e}"))?;
                    Ok(format!("wrote {} orders to {file}", orders.len()))
                }
            }
            OrdersAction::Ship {
                id,
                tracking,
                outbound_queue_url,
            } => {
                if !store.mark_shipped(&id, &tracking).await.map_err(err)? {
                    return Err(format!("order {id} is not paid (or does not exist)"));
                }
                let order = tell_customer(&store, &aws, &id, outbound_queue_url).await?;
                Ok(format!(
                    "order {} shipped; the customer is told",
                    order.number()
                ))
            }
            OrdersAction::Refund {
                id,
                outbound_queue_url,
                stripe_secret_key,
                stripe_api_base,
            } => {
                let gateway = StripeGateway::new(&stripe_secret_key, stripe_api_base.as_deref())
                    .map_err(|e| e.to_string())?;
                let (_, refund) = refund::refund(&store, &gateway, &id)
                    .await
                    .map_err(|e| e.to_string())?;
                let order = tell_customer(&store, &aws, &id, outbound_queue_url).await?;
                Ok(format!("order {} refunded ({refund})", order.number()))
            }
            OrdersAction::Attention => {
                let mut out = String::from("order\tnumber\tstatus\ttotal\tchannel\twhy");
                for o in store.all_orders().await.map_err(err)? {
                    if o.status == OrderStatus::PaidNeedsAttention || !o.attention.is_empty() {
                        let why = if o.attention.is_empty() {
                            "paid after its reservation lapsed and the stock was resold".into()
                        } else {
                            o.attention.join(" | ")
                        };
                        out.push_str(&format!(
                            "\n{}\t{}\t{}\t{}\t{}\t{why}",
                            o.id,
                            o.number(),
                            o.status.as_str(),
                            money(&o, o.total),
                            o.conversation.channel
                        ));
                    }
                }
                Ok(out)
            }
        },
        Command::Dlq { action } => match action {
            DlqAction::Redrive { from, to } => redrive(&aws, &from, &to).await,
        },
        Command::Held { action } => match action {
            HeldAction::List => {
                let mut out = String::from("id\tchannel\tcustomer\theld_at\treason\tfirst reply");
                for h in store.held().await.map_err(err)? {
                    let first = h
                        .bundle
                        .replies
                        .first()
                        .map(chatdrop_domain::delivery::summary)
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "\n{}\t{}\t{}\t{}\t{}\t{}",
                        h.bundle.id,
                        h.bundle.conversation.channel,
                        h.bundle.conversation.hashed(),
                        h.held_at,
                        h.reason,
                        first
                    ));
                }
                Ok(out)
            }
            HeldAction::Send {
                id,
                outbound_queue_url,
            } => {
                let queues = SqsQueues::new(
                    aws_sdk_sqs::Client::new(&aws),
                    outbound_only(outbound_queue_url),
                );
                match store.requeue_held(&id, &queues).await.map_err(err)? {
                    Some(new_id) => Ok(format!("queued {id} again as {new_id}")),
                    None => Err(format!("no held message {id}")),
                }
            }
            HeldAction::Discard { id } => {
                if store.release_held(&id).await.map_err(err)? {
                    Ok(format!("discarded {id}"))
                } else {
                    Err(format!("no held message {id}"))
                }
            }
        },
        Command::Customer { action } => match action {
            CustomerAction::Export { channel, customer } => {
                customer::export(&store, &customer::conversation(&channel, customer)?).await
            }
            CustomerAction::Forget { channel, customer } => {
                customer::forget(&store, &customer::conversation(&channel, customer)?).await
            }
        },
        Command::Thread { channel, customer } => {
            let channel = chatdrop_domain::channel::Channel::parse(&channel)
                .ok_or_else(|| format!("unknown channel `{channel}`"))?;
            let conversation = chatdrop_domain::channel::ConversationId::new(channel, customer);
            let mut out = String::from("at\tstatus\tplatform id\tmessage");
            for m in store.thread(&conversation).await.map_err(err)? {
                out.push_str(&format!(
                    "\n{}\t{}\t{}\t{}",
                    m.at, m.status, m.platform_id, m.summary
                ));
            }
            Ok(out)
        }
        Command::Campaign { action } => campaign::run(&store, action).await,
        Command::Agent { action } => agent::run(&aws, action).await,
    }
}

/// Moves a dead-letter queue's messages back to their source queue (see
/// [`chatdrop_queue::redrive`]).
async fn redrive(aws: &aws_config::SdkConfig, from: &str, to: &str) -> Fallible<String> {
    let moved = chatdrop_queue::redrive(&aws_sdk_sqs::Client::new(aws), from, to, |moved| {
        if moved % 50 == 0 {
            eprintln!("redrive: {moved} moved…");
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(format!("moved {moved} messages from the dead-letter queue"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chatdrop: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_time_at, read_catalog, set_vip_thresholds};

    /// `catalog load --vip-threshold`: the catalog's currency bare, others by code; 0 turns one
    /// off; nonsense and negative amounts are refused with what to write.
    #[test]
    fn vip_thresholds_are_set_per_currency_from_the_command_line() {
        use chatdrop_domain::money::Currency;
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogs/sample.toml");
        let mut c = read_catalog(&sample).unwrap();
        let specs = ["25000".to_string(), "thb=2430000".to_string()];
        set_vip_thresholds(&mut c, &specs).unwrap();
        assert_eq!(c.support.vip_threshold, Some(25_000));
        assert_eq!(c.support.vip_thresholds[&Currency::THB], 2_430_000);
        set_vip_thresholds(&mut c, &["USD=0".into(), "THB=0".into()]).unwrap();
        assert!(!c.support.has_vips());
        for bad in ["lots", "THB=", "XYZ=5", "-5"] {
            let err = set_vip_thresholds(&mut c, &[bad.to_string()]).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(
            set_vip_thresholds(&mut c, &["-5".into()])
                .unwrap_err()
                .contains("positive amount")
        );
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

    /// `catalog check` on the benchmark catalog, and on a copy whose scarf has no Brazilian
    /// price: refused, naming the product and the market, before any table is touched.
    #[test]
    fn catalog_check_refuses_a_price_missing_in_one_market() {
        let maison = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogs/maison.toml");
        let catalog = read_catalog(&maison).expect("maison.toml is valid");
        assert_eq!(catalog.markets.len(), 5);

        let text = std::fs::read_to_string(&maison).unwrap();
        let scarf = "prices = { th = 1650000, br = 260000, us = 48000, kr = 690000 }";
        assert!(text.contains(scarf), "the scarf's price list moved");
        let folder =
            std::env::temp_dir().join(format!("chatdrop-cli-check-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let broken = folder.join("maison.toml");
        std::fs::write(
            &broken,
            text.replace(scarf, "prices = { th = 1650000, us = 48000, kr = 690000 }"),
        )
        .unwrap();
        let refused = read_catalog(&broken);
        std::fs::remove_dir_all(&folder).unwrap();
        assert_eq!(
            refused.unwrap_err(),
            format!(
                "{} is invalid: product `silk-scarf` has no price in market `br`",
                broken.display()
            )
        );
    }
}
