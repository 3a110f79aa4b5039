//! Runs the CDK app's offline checks (`xtask::infra::check`) on their own:
//! `CARGO_TARGET_DIR=$HOME/.cache/chatdrop/target cargo run -p xtask --example infra_check`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match xtask::infra::check(&cargo, xtask::moto::repo_root()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask infra: {e}");
            ExitCode::FAILURE
        }
    }
}
