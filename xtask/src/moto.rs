//! moto's server, installed into a project venv and started on loopback.
//!
//! The venv lives under `~/.cache/chatdrop/` keyed by a hash of the pinned requirements, so a
//! new pin gets a new venv and CI reuses a warm one. The server runs `moto/serve_moto.py`,
//! which serializes DynamoDB requests: moto applies a conditional write without a lock, and
//! chatdrop's contention guarantees must be measured against an atomic store, as DynamoDB is.

use crate::Error;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const REQUIREMENTS: &str = include_str!("../moto/requirements.txt");
const SERVER: &str = include_str!("../moto/serve_moto.py");

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache").join("chatdrop")
}

/// Creates the venv and installs the pinned requirements, once per pin set.
pub fn ensure_venv() -> Result<PathBuf, Error> {
    let hash = hex::encode(&Sha256::digest(REQUIREMENTS.as_bytes())[..6]);
    let venv = cache_dir().join(format!("moto-venv-{hash}"));
    let python = venv.join("bin").join("python");
    let stamp = venv.join(".installed");
    if stamp.exists() {
        return Ok(python);
    }
    std::fs::create_dir_all(cache_dir())?;
    eprintln!(
        "xtask: installing moto into {} (first run only)",
        venv.display()
    );
    let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&interpreter).args(["-m", "venv"]).arg(&venv))?;
    let requirements = venv.join("requirements.txt");
    std::fs::write(&requirements, REQUIREMENTS)?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements))?;
    std::fs::write(&stamp, "ok")?;
    Ok(python)
}

fn run(command: &mut Command) -> Result<(), Error> {
    let status = command.status()?;
    if !status.success() {
        return Err(format!("command failed ({status}): {command:?}").into());
    }
    Ok(())
}

/// A running moto server; killed when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free loopback port and waits for its ready line.
    pub fn start() -> Result<Moto, Error> {
        let python = ensure_venv()?;
        let script = cache_dir().join("serve_moto.py");
        // Several motos may start at once (the test workers): a running start must never read
        // a half-written script, so it is replaced whole, and only when it changed.
        if std::fs::read_to_string(&script).ok().as_deref() != Some(SERVER) {
            let partial = script.with_extension(format!("py.{}", std::process::id()));
            std::fs::write(&partial, SERVER)?;
            std::fs::rename(&partial, &script)?;
        }
        let port = free_port()?;
        let mut child = Command::new(python)
            .arg(&script)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("moto has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if !line.starts_with("moto ready") {
            let _ = child.kill();
            return Err(format!("moto did not start: {line:?}").into());
        }
        Ok(Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The environment the AWS SDK reads to reach this moto, for child processes.
    pub fn sdk_env(&self) -> Vec<(&'static str, String)> {
        sdk_env(&self.endpoint)
    }
}

pub fn sdk_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ]
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The repository root (for scripts that need paths), from this crate's manifest directory.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository root")
}

/// Makes the next `requests` DynamoDB requests on `table` answer HTTP 500 `InternalServerError`
/// (`serve_moto.py`'s fault switch); `0` disarms it. Scoped to one table so that tests sharing
/// this moto keep a healthy store. The SDK retries a 500 a few times before it reports an
/// error, so one failed store call consumes several of these.
pub async fn fail_dynamodb(endpoint: &str, table: &str, requests: u32) -> Result<(), Error> {
    crate::local_http::client()
        .post(format!("{endpoint}/_chatdrop/faults"))
        .json(&serde_json::json!({"dynamodb_failures": requests, "match": table}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// How many injected DynamoDB failures moto has answered on `table` so far.
pub async fn dynamodb_failures_answered(endpoint: &str, table: &str) -> Result<u64, Error> {
    let state: serde_json::Value = crate::local_http::client()
        .get(format!("{endpoint}/_chatdrop/faults"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(state[table]["answered"].as_u64().unwrap_or(0))
}
