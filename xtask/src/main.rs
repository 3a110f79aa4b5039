//! `cargo xtask <task>`: the developer tasks. See the README for what each one does.

use chatdrop_domain::clock::{Clock, SystemClock};
use clap::{Parser, Subcommand};

mod demo_draw;
mod demo_markets;
mod demo_reach;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use xtask::customer::Customer;
use xtask::moto::{self, Moto};
use xtask::stack::{LocalStack, StackOptions};
use xtask::{Error, transcript};

#[derive(Parser)]
#[command(about = "chatdrop developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Start the local stack, play a scripted customer on each channel, print the transcript.
    Demo,
    /// Check formatting and lints, then run every test against a fresh local moto
    /// (extra arguments go to `cargo test`; `-p NAME` runs only that package's tests).
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run the whole stack in one process until Ctrl-C (address from CHATDROP_HTTP_ADDR).
    Serve,
    /// Run only the fake platform APIs (the stack starts them as a separate process).
    Fakes {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: String,
    },
    /// Only the CDK app's offline checks, the last step of `test` (Lambda builds of every
    /// function, the stack's tests, synth with cdk-nag, cfn-lint).
    Infra,
    /// Print the channel registry as JSON (`--write`: into infra/lib/channels.generated.json,
    /// which the CDK app reads).
    Channels {
        #[arg(long)]
        write: bool,
    },
}

fn main() -> ExitCode {
    forget_cargo_run_variables();
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Test { args } => test(args),
        Task::Channels { write } => channels(write),
        Task::Infra => infra(),
        task => tokio::runtime::Runtime::new()
            .map_err(Error::from)
            .and_then(|rt| rt.block_on(run_async(task))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Drops what `cargo run` told this binary about its own package (`CARGO_PKG_NAME=xtask`,
/// `CARGO_MANIFEST_DIR`, …) from the environment, before any thread starts.
///
/// `cargo xtask` is `cargo run -p xtask`, and every cargo this binary runs (clippy, the test
/// build, the Lambda builds) inherited those variables. Build scripts that watch them saw a
/// changed environment between a shell's `cargo` and ours: ring's (through `cc`) watches
/// `CARGO_PKG_NAME` and `CARGO_MANIFEST_DIR`, so each `cargo xtask test` rebuilt ring and
/// everything above it (rustls, the AWS SDK, every chatdrop crate) twice, once when `cargo run`
/// built xtask and once for the tests, about five minutes each on two cores. Cargo records the
/// watched values in the build script's fingerprint (`target/debug/.fingerprint/ring-*/
/// run-build-script-build-script-build.json` showed `CARGO_PKG_NAME: xtask`).
fn forget_cargo_run_variables() {
    let set_by_cargo_run = |name: &str| {
        name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(
                name,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
            )
    };
    let names: Vec<std::ffi::OsString> = std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_str().is_some_and(set_by_cargo_run))
        .collect();
    for name in names {
        // SAFETY: called first thing in `main`, before this process starts any thread, so no
        // other thread can read the environment meanwhile.
        unsafe { std::env::remove_var(name) };
    }
}

async fn run_async(task: Task) -> Result<ExitCode, Error> {
    match task {
        Task::Demo => demo().await,
        Task::Serve => serve().await,
        Task::Fakes { addr } => {
            let (url, server) = xtask::fakes::spawn(&addr).await?;
            println!("fakes ready on {url}");
            let _ = server.await;
            Ok(ExitCode::SUCCESS)
        }
        Task::Test { .. } | Task::Channels { .. } | Task::Infra => {
            unreachable!("handled without a runtime")
        }
    }
}

/// The CDK app's offline checks alone (`xtask::infra`).
fn infra() -> Result<ExitCode, Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Ok(if xtask::infra::check(&cargo, moto::repo_root())? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints the channel registry, or writes it where the CDK app reads it.
fn channels(write: bool) -> Result<ExitCode, Error> {
    let text = xtask::channels::registry_text();
    if write {
        let path = xtask::channels::generated_path(moto::repo_root());
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The whole check: formatting, lints and `cargo deny` (unless narrowed to a package), then
/// every test binary on parallel workers, each with its own local moto (stopped afterwards;
/// `xtask/src/test_runner.rs`), with the CDK app's offline checks running beside them.
fn test(args: Vec<String>) -> Result<ExitCode, Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = moto::repo_root();
    // `cargo xtask test -p chatdrop-store` narrows the run to tests of that package.
    let narrowed = args
        .iter()
        .any(|a| a == "-p" || a == "--package" || a.starts_with("--package="));
    if !narrowed {
        let steps: [&[&str]; 2] = [
            &["fmt", "--all", "--", "--check"],
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ];
        for step in steps {
            eprintln!("xtask: cargo {}", step.join(" "));
            if !Command::new(&cargo)
                .current_dir(root)
                .args(step)
                .status()?
                .success()
            {
                return Ok(ExitCode::FAILURE);
            }
        }
        // Dependencies' licenses, duplicate and wildcard bans, and sources (`deny.toml`).
        // Advisories need the RustSec database from the network, which CI does not have.
        let tools = xtask::infra::ensure_tools()?;
        eprintln!("xtask: cargo deny check bans licenses sources");
        if !Command::new(tools.join("cargo-deny"))
            .current_dir(root)
            .args([
                "--log-level",
                "error",
                "check",
                "bans",
                "licenses",
                "sources",
            ])
            .status()?
            .success()
        {
            return Ok(ExitCode::FAILURE);
        }
    }
    // `tests/stalls.rs` runs notify's real bootstrap; `cargo test` holds the build lock while
    // tests run, so a test cannot build it itself.
    if !narrowed || args.iter().any(|a| a.contains("chatdrop-e2e")) {
        let built = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "-p", "notify", "--bin", "notify"])
            .status()?;
        if !built.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    // Test binaries side by side, each worker with its own moto (xtask/src/test_runner.rs).
    let (mut cargo_args, binary_args) = match args.iter().position(|a| a == "--") {
        Some(at) => (args[..at].to_vec(), args[at + 1..].to_vec()),
        None => (args.clone(), Vec::new()),
    };
    if !narrowed {
        cargo_args.insert(0, "--workspace".into());
    }
    // Doc tests run where `cargo test` would run them: not when one target was picked.
    let one_target = cargo_args.iter().any(|a| {
        [
            "--test",
            "--lib",
            "--bin",
            "--bench",
            "--tests",
            "--bins",
            "--example",
        ]
        .iter()
        .any(|t| a == t || a.starts_with(&format!("{t}=")))
    });
    // The CDK app, offline, beside the test jobs: Lambda builds of every function, stack tests,
    // synth with cdk-nag, cfn-lint (xtask/src/infra.rs).
    let infra: Option<xtask::test_runner::Alongside<'_>> = (!narrowed).then(|| {
        Box::new(|| xtask::infra::check(&cargo, root)) as xtask::test_runner::Alongside<'_>
    });
    let (tests_ok, infra_ok) =
        xtask::test_runner::run(&cargo, root, &cargo_args, &binary_args, !one_target, infra)?;
    if !tests_ok || !infra_ok {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The fakes in their own process, so they outlive a restart of the stack.
struct FakesProcess {
    child: Child,
    url: String,
}

impl FakesProcess {
    fn start() -> Result<Self, Error> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["fakes", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("fakes have no stdout")?).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("fakes ready on ")
            .ok_or_else(|| format!("fakes did not start: {line:?}"))?
            .to_string();
        Ok(FakesProcess { child, url })
    }
}

impl Drop for FakesProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_stack(http_addr: &str) -> Result<(Moto, FakesProcess, LocalStack), Error> {
    if std::env::var_os("RUST_LOG").is_some() {
        chatdrop_telemetry::init();
    }
    let moto = Moto::start()?;
    let fakes = FakesProcess::start()?;
    let mut options = StackOptions::new(&moto.endpoint, "", &fakes.url);
    options.http_addr = http_addr.into();
    let stack = LocalStack::start(options).await?;
    let catalog = catalog_file("sample.toml")?;
    stack.load_catalog(&catalog).await?;
    Ok((moto, fakes, stack))
}

/// A catalog of `cli/catalogs/`.
fn catalog_file(name: &str) -> Result<chatdrop_domain::catalog::Catalog, Error> {
    let path = moto::repo_root().join("cli/catalogs").join(name);
    Ok(toml::from_str(&std::fs::read_to_string(path)?)?)
}

async fn serve() -> Result<ExitCode, Error> {
    let addr = std::env::var("CHATDROP_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let (moto, fakes, stack) = start_stack(&addr).await?;
    println!(
        "chatdrop ready on {url}: webhooks {url}/webhooks/whatsapp {url}/webhooks/telegram, outbox {url}/_local/outbox, console {url}/console/ (fakes {fakes}, moto {moto})",
        url = stack.url,
        fakes = fakes.url,
        moto = moto.endpoint
    );
    println!(
        "first console user: AWS_ENDPOINT_URL={moto} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test cargo run -q -p chatdrop-cli -- agent create --pool {pool} --retailer {retailer} --email you@example.com --role manager --password 'Console-1!'",
        moto = moto.endpoint,
        pool = stack.provisioned.console.user_pool_id,
        retailer = xtask::dev::RETAILER,
    );
    tokio::signal::ctrl_c().await?;
    stack.stop().await;
    drop(fakes);
    drop(moto);
    Ok(ExitCode::SUCCESS)
}

/// One step of a scripted customer.
enum Step<'a> {
    Say(&'a str),
    Tap(&'a str, &'a str),
    /// Pick the choice titled like this from the last replies: a tap, or its number typed.
    Choose(&'a str),
}

async fn play(stack: &LocalStack, customer: &Customer, steps: &[Step<'_>]) -> Result<(), Error> {
    println!("\n=== {} on {:?} ===", customer.name, customer.platform);
    let mut last = Vec::new();
    for step in steps {
        let before = stack.last_seq().await?;
        let status = match step {
            Step::Say(text) => {
                println!("\n{}: {text}", customer.name);
                customer.say(text).await?
            }
            Step::Tap(payload, title) => {
                println!("\n{}: (taps “{title}”)", customer.name);
                customer.tap(payload, title).await?
            }
            Step::Choose(title) => {
                let webhook = customer
                    .choice_webhook(&last, title)
                    .ok_or_else(|| format!("no choice like “{title}” was offered"))?;
                match webhook.path.as_str() {
                    "/webhooks/whatsapp"
                    | "/webhooks/telegram"
                    | "/webhooks/messenger"
                    | "/webhooks/line"
                    | "/webhooks/viber" => println!("\n{}: (taps “{title}”)", customer.name),
                    _ => println!("\n{}: (types the number of “{title}”)", customer.name),
                }
                customer.post(&webhook).await?
            }
        };
        if status != 200 {
            return Err(format!("webhook answered {status}").into());
        }
        last = stack.replies_after(&customer.id, before).await?;
        for entry in &last {
            if let Some(lines) = transcript::render(entry) {
                for line in lines.lines() {
                    println!("  shop │ {line}");
                }
            }
        }
    }
    Ok(())
}

/// Prints what the fake platforms sent `customer` after `before`, and returns it.
async fn show_replies(
    stack: &LocalStack,
    customer: &Customer,
    before: usize,
) -> Result<Vec<xtask::fakes::OutboxEntry>, Error> {
    let replies = stack.replies_after(&customer.id, before).await?;
    for entry in &replies {
        if let Some(lines) = transcript::render(entry) {
            for line in lines.lines() {
                println!("  shop │ {line}");
            }
        }
    }
    Ok(replies)
}

/// The pay link's token from the last checkout reply sent to `customer`.
async fn last_pay_token(stack: &LocalStack, customer: &Customer) -> Result<String, Error> {
    let outbox = stack.outbox().await?;
    outbox
        .iter()
        .rev()
        .filter(|e| e.recipient == customer.id)
        .find_map(|e| {
            let b = &e.body;
            b["image"]["link"]
                .as_str()
                .or(b["photo"].as_str())
                .and_then(|u| u.rsplit("/qr/").next())
                .and_then(|f| f.strip_suffix(".png"))
                .map(String::from)
        })
        .ok_or_else(|| "no checkout reply found".into())
}

async fn demo() -> Result<ExitCode, Error> {
    let (moto, fakes, stack) = start_stack("127.0.0.1:0").await?;
    println!(
        "chatdrop demo: local stack on {} (moto {}, fake platforms {}, fake Stripe {})",
        stack.url,
        moto.endpoint,
        fakes.url,
        stack.stripe.base_url()
    );
    let result = run_drop(&stack).await;
    stack.stop().await;
    // Act 2 on a stack of its own (see `demo_markets`), once act 1's has stopped polling.
    let result = match result {
        Ok(()) => demo_markets::run(&moto.endpoint, &fakes.url).await,
        Err(e) => Err(e),
    };
    // Act 4, a drop sold by draw, on a stack of its own too (see `demo_draw`).
    let result = match result {
        Ok(()) => demo_draw::run(&moto.endpoint, &fakes.url).await,
        Err(e) => Err(e),
    };
    drop(fakes);
    drop(moto);
    result?;
    println!(
        "\ndemo finished: one drop on WhatsApp and Telegram, one on Messenger, LINE, WeChat, SMS \
         and Viber, the next drop announced to the tagged customers who opted in, one limited \
         edition sold in yuan, baht, reais and won, and a hyped drop sold by a verifiable draw on \
         WhatsApp, Telegram, LINE and Messenger, its winners recomputed from what it published."
    );
    Ok(ExitCode::SUCCESS)
}

/// A whole limited drop: two units, three customers.
async fn run_drop(stack: &LocalStack) -> Result<(), Error> {
    use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
    let launch = Drop {
        id: "launch".into(),
        name: "Drop Bag launch".into(),
        starts_at: SystemClock.now() - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "drop-bag".into(),
            stock: 2,
            per_customer_limit: None,
            shards: None,
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&launch).await?;
    println!(
        "
The “{}” drop is open: 2 Drop Bags, 1 per customer.",
        launch.name
    );

    let ana = Customer::whatsapp(&stack.url, "5511987654321", "Ana");
    play(
        stack,
        &ana,
        &[
            Step::Say("hi"),
            Step::Tap("c:c:bags", "Drop bags"),
            Step::Tap("c:p:drop-bag", "Drop Bag"),
            Step::Tap("k:a:drop-bag", "Customize & add"),
            Step::Tap("k:o:drop-bag:colour:red", "Signal red"),
            Step::Tap("k:o:drop-bag:strap:leather", "Leather strap"),
            Step::Tap("k:o:drop-bag:charm:gold", "Gold charm"),
            Step::Say("ANA"),
            Step::Say("sticker"),
            Step::Tap("k:a:sticker-pack", "Add to cart"),
            Step::Tap("k:v", "View cart"),
            Step::Tap("p:c", "Checkout"),
        ],
    )
    .await?;
    let token = last_pay_token(stack, &ana).await?;
    let png = reqwest::get(format!("{}/qr/{token}.png", stack.url))
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let qr_path = std::env::temp_dir().join(format!("chatdrop-demo-qr-{token}.png"));
    std::fs::write(&qr_path, &png)?;
    println!(
        "
(the QR code Ana received is written to {})",
        qr_path.display()
    );

    let ken = Customer::telegram(&stack.url, 7001234567, "Ken", Some("ja"));
    play(
        stack,
        &ken,
        &[
            Step::Say("/start"),
            Step::Tap("c:c:bags", "ドロップバッグ"),
            Step::Tap("c:p:drop-bag", "ドロップバッグ"),
            Step::Tap("k:a:drop-bag", "カスタマイズして追加"),
            Step::Tap("k:o:drop-bag:colour:sand", "サンド"),
            Step::Tap("k:o:drop-bag:strap:chain", "チェーンストラップ"),
            Step::Tap("k:o:drop-bag:strap:canvas", "キャンバスストラップ"),
            Step::Tap("k:s:drop-bag:charm", "スキップ"),
            Step::Say("KEN"),
            Step::Tap("p:c", "購入手続きへ"),
        ],
    )
    .await?;

    let mia = Customer::whatsapp(&stack.url, "447700900123", "Mia");
    play(
        stack,
        &mia,
        &[
            Step::Tap("k:a:drop-bag", "Customize & add"),
            Step::Tap("k:o:drop-bag:colour:black", "Black"),
            Step::Tap("k:o:drop-bag:strap:canvas", "Canvas strap"),
            Step::Tap("k:s:drop-bag:charm", "Skip"),
            Step::Tap("k:s:drop-bag:engraving", "Skip"),
            Step::Tap("p:c", "Checkout"),
            Step::Tap("p:wj:launch:0", "Join the waitlist"),
        ],
    )
    .await?;

    println!(
        "
=== Ana pays on the Stripe page ==="
    );
    let before = stack.last_seq().await?;
    let sessions = stack.stripe.sessions().await?;
    let store = stack.store();
    let order = chatdrop_domain::ports::OrderStore::order_by_token(&store, &token)
        .await?
        .ok_or("Ana's order is missing")?;
    let session = sessions
        .iter()
        .find(|s| s.client_reference_id.as_deref() == Some(order.id.as_str()))
        .ok_or("Ana's Stripe session is missing")?;
    stack.stripe.pay(&session.id).await?;
    show_replies(stack, &ana, before).await?;

    println!(
        "
=== Ken's 10-minute reservation lapses (the sweep runs as if 11 minutes passed) ==="
    );
    let before = stack.last_seq().await?;
    let later = SystemClock.now() + 11 * 60;
    stack.sweep_at(later).await?;
    show_replies(stack, &ken, before).await?;

    // The sweep function's next step: the returned unit is held for the first in line.
    println!(
        "
=== The bag came back: the waitlist holds it for Mia, first in line ==="
    );
    // On the real clock (the stack's own sweep, every 2 s, may have made the offer already;
    // it is made once either way): the reservation lapsed on the stepped clock, but the hold
    // starts now.
    let drops = chatdrop_domain::ports::OrderStore::drops(&store).await?;
    chatdrop_domain::waitlist::sweep_waitlist(
        SystemClock.now(),
        &drops,
        &store,
        &stack.queues(),
        chatdrop_domain::waitlist::WaitlistSettings::default(),
    )
    .await?;
    // notify delivers the offer from the queue: wait for it to reach her chat.
    for _ in 0..100 {
        if !stack.replies_after(&mia.id, before).await?.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    show_replies(stack, &mia, before).await?;
    play(stack, &mia, &[Step::Tap("p:wt:launch:0", "Check out now")]).await?;
    let token = last_pay_token(stack, &mia).await?;
    let order = chatdrop_domain::ports::OrderStore::order_by_token(&store, &token)
        .await?
        .ok_or("Mia's order is missing")?;
    let session = order
        .checkout_session
        .ok_or("Mia's Stripe page is missing")?;
    println!("\n=== Mia pays on the Stripe page ===");
    let before = stack.last_seq().await?;
    stack.stripe.pay(&session).await?;
    show_replies(stack, &mia, before).await?;

    let stock = store.drop_stock("launch").await?;
    for (sku, available, reserved, sold) in stock {
        println!(
            "
drop status: {sku}: {available} available, {reserved} reserved, {sold} sold"
        );
    }
    println!(
        "Ana paid and got her confirmation; Mia met sold out and joined the waitlist; Ken's lapsed \
         reservation came back and was held for Mia, who took it in one tap and paid."
    );
    other_channels(stack).await?;
    demo_reach::run(stack, &ana, &ken, &mia).await?;
    Ok(())
}

/// The same shop on the other five chat apps: each customer buys a Canvas Tote in their own
/// app's forms (buttons where it has them, numbers typed where it has not) and pays.
async fn other_channels(stack: &LocalStack) -> Result<(), Error> {
    use chatdrop_domain::drops::{Drop, DropSku, DropStatus};
    use xtask::customer::Platform;
    let totes = Drop {
        id: "totes".into(),
        name: "Canvas Tote restock".into(),
        starts_at: SystemClock.now() - 60,
        ends_at: None,
        per_customer_limit: Some(1),
        skus: vec![DropSku {
            sku: "canvas-tote".into(),
            stock: 10,
            per_customer_limit: None,
            shards: Some(2),
        }],
        status: DropStatus::Open,
        delayed_payment_days: None,
        verified_phone: false,
        draw: None,
    };
    stack.open_drop(&totes).await?;
    println!(
        "\n\nThe “{}” drop is open: 10 Canvas Totes over 2 stock shards, 1 per customer.",
        totes.name
    );
    let customers = [
        Customer::on(Platform::Messenger, &stack.url, "6543210987654321", "Lucía"),
        Customer::on(
            Platform::Line,
            &stack.url,
            "Uaaaabbbbccccddddeeeeffff00001111",
            "Yuki",
        ),
        Customer::on(
            Platform::Wechat,
            &stack.url,
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "Wei",
        ),
        Customer::on(Platform::Sms, &stack.url, "+15551234567", "Sam"),
        Customer::on(
            Platform::Viber,
            &stack.url,
            "0lenaDemoViber0000000A==",
            "Olena",
        ),
    ];
    for customer in &customers {
        play(
            stack,
            customer,
            &[
                Step::Say("hi"),
                Step::Choose("Drop bags"),
                Step::Choose("Canvas Tote"),
                Step::Choose("Add to cart"),
                Step::Choose("View cart"),
                Step::Choose("Checkout"),
            ],
        )
        .await?;
        let sessions = stack.stripe.sessions().await?;
        let session = sessions.last().ok_or("no Stripe session")?;
        println!("\n=== {} pays on the Stripe page ===", customer.name);
        let before = stack.last_seq().await?;
        stack.stripe.pay(&session.id).await?;
        show_replies(stack, customer, before).await?;
    }
    for (sku, available, reserved, sold) in stack.store().drop_stock("totes").await? {
        println!("\ndrop status: {sku}: {available} available, {reserved} reserved, {sold} sold");
    }
    Ok(())
}
