//! `cargo xtask <task>`: the developer tasks. See the README for what each one does.

use clap::{Parser, Subcommand};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Test { args } => test(args),
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
        Task::Test { .. } => unreachable!("handled without a runtime"),
    }
}

/// The whole check: formatting and lints (unless narrowed to a package), then every test
/// against a fresh local moto, which is stopped afterwards.
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
    }
    let moto = Moto::start()?;
    eprintln!("xtask: moto on {}", moto.endpoint);
    let scope: &[&str] = if narrowed { &[] } else { &["--workspace"] };
    let status = Command::new(&cargo)
        .current_dir(root)
        .arg("test")
        .args(scope)
        .args(args)
        .envs(moto.sdk_env())
        .status()?;
    drop(moto);
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
    let catalog = sample_catalog()?;
    stack.load_catalog(&catalog).await?;
    Ok((moto, fakes, stack))
}

fn sample_catalog() -> Result<chatdrop_domain::catalog::Catalog, Error> {
    let path = moto::repo_root().join("cli/catalogs/sample.toml");
    Ok(toml::from_str(&std::fs::read_to_string(path)?)?)
}

async fn serve() -> Result<ExitCode, Error> {
    let addr = std::env::var("CHATDROP_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let (moto, fakes, stack) = start_stack(&addr).await?;
    println!(
        "chatdrop ready on {url}: webhooks {url}/webhooks/whatsapp {url}/webhooks/telegram, outbox {url}/_local/outbox (fakes {fakes}, moto {moto})",
        url = stack.url,
        fakes = fakes.url,
        moto = moto.endpoint
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
}

async fn play(stack: &LocalStack, customer: &Customer, steps: &[Step<'_>]) -> Result<(), Error> {
    println!("\n=== {} on {:?} ===", customer.name, customer.platform);
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
        };
        if status != 200 {
            return Err(format!("webhook answered {status}").into());
        }
        for entry in stack.replies_after(&customer.id, before).await? {
            if let Some(lines) = transcript::render(&entry) {
                for line in lines.lines() {
                    println!("  shop │ {line}");
                }
            }
        }
    }
    Ok(())
}

async fn demo() -> Result<ExitCode, Error> {
    let (moto, fakes, stack) = start_stack("127.0.0.1:0").await?;
    println!(
        "chatdrop demo: local stack on {} (moto {}, fake platforms {})",
        stack.url, moto.endpoint, fakes.url
    );
    let ana = Customer::whatsapp(&stack.url, "5511987654321", "Ana");
    let result = play(
        &stack,
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
        ],
    )
    .await;
    let ken = Customer::telegram(&stack.url, 7001234567, "Ken", Some("ja"));
    let result = match result {
        Ok(()) => {
            play(
                &stack,
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
                    Step::Say("cap"),
                    Step::Tap("k:a:logo-cap", "カスタマイズして追加"),
                    Step::Tap("k:o:logo-cap:colour:white", "ホワイト"),
                    Step::Tap("k:v", "カートを見る"),
                ],
            )
            .await
        }
        Err(e) => Err(e),
    };
    stack.stop().await;
    drop(fakes);
    drop(moto);
    result?;
    println!(
        "\ndemo finished: both customers have a customized bag and a second product in their carts."
    );
    Ok(ExitCode::SUCCESS)
}
