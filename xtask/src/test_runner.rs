//! Runs the workspace's test binaries side by side, each worker against its own moto.
//!
//! `cargo test` runs one test binary after another. Most of chatdrop's test time is the
//! end-to-end files (`tests/*.rs`), and most of *their* time is waiting: for a queue poll, for a
//! sweep on the real clock, for a reply that must not come (`assert_silence`), for moto, which
//! serializes DynamoDB requests (`moto/serve_moto.py`). A two-core machine sits mostly idle
//! through that. So the test step builds every test binary once (`cargo test --no-run`), then
//! runs them from a queue, longest first (the times of the previous run, kept in the target
//! directory), on [`jobs`] workers. Each worker starts its own moto, so one file's DynamoDB
//! traffic never queues behind another's, and the binaries' own test threads are left as
//! `cargo test` would set them.
//!
//! Nothing is skipped: every binary cargo built runs, and the doc tests run as one more job
//! (`cargo test --doc`). Each binary's output is printed whole when it ends, with its time, so
//! a failure reads as it would under `cargo test`; a table of all the times closes the run.

use crate::Error;
use crate::moto::Moto;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One thing to run: a test binary with the directory cargo runs it in, or the doc tests.
#[derive(Debug, Clone)]
enum Job {
    Binary {
        name: String,
        executable: PathBuf,
        package_dir: PathBuf,
    },
    /// `cargo test --doc` with the run's package selection.
    DocTests(Vec<String>),
}

impl Job {
    fn name(&self) -> &str {
        match self {
            Job::Binary { name, .. } => name,
            Job::DocTests(_) => "doc tests",
        }
    }
}

/// How a job ended.
struct Ran {
    name: String,
    took: Duration,
    passed: bool,
}

/// Workers: `CHATDROP_TEST_JOBS`, else one per core. More would fill the waits better, but the
/// end-to-end files give each reply 20 s and each test file runs two tests at once already: on
/// two cores with three workers and the CDK checks beside them, replies missed that bound.
pub fn jobs() -> usize {
    std::env::var("CHATDROP_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// A check that runs on its own thread beside the test jobs once the test binaries are built
/// (the CDK app's: mostly Node and Python, while the jobs mostly wait).
pub type Alongside<'a> = Box<dyn FnOnce() -> Result<bool, Error> + Send + 'a>;

/// Builds the test binaries `cargo_args` select (as `cargo test` would take them) and runs
/// them on [`jobs`] workers, with `alongside` beside them; `binary_args` (what followed `--`)
/// go to every binary. Returns whether every job passed, and whether `alongside` did.
pub fn run(
    cargo: &str,
    root: &Path,
    cargo_args: &[String],
    binary_args: &[String],
    doc_tests: bool,
    alongside: Option<Alongside<'_>>,
) -> Result<(bool, bool), Error> {
    let mut jobs_to_run = build(cargo, root, cargo_args)?;
    if doc_tests {
        jobs_to_run.push(Job::DocTests(cargo_args.to_vec()));
    }
    let times_file = target_dir(root).join("test-times.json");
    let previous: HashMap<String, f64> = std::fs::read(&times_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    // Longest first, so the last job to start is a short one.
    jobs_to_run.sort_by(|a, b| {
        let t = |j: &Job| previous.get(j.name()).copied().unwrap_or(f64::MAX);
        t(b).total_cmp(&t(a))
    });
    let workers = jobs().min(jobs_to_run.len()).max(1);
    eprintln!(
        "xtask: {} test jobs on {workers} workers, each with its own moto",
        jobs_to_run.len()
    );
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs_to_run)));
    let results = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    // One after another: the first start may install moto's venv, which must not race.
    let motos = (0..workers)
        .map(|_| Moto::start())
        .collect::<Result<Vec<_>, _>>()?;
    let alongside_ok = std::thread::scope(|scope| -> Result<bool, Error> {
        let beside = alongside.map(|check| {
            scope.spawn(|| {
                yield_to_the_tests();
                check()
            })
        });
        let mut handles = Vec::new();
        for moto in motos {
            let queue = queue.clone();
            let results = results.clone();
            handles.push(scope.spawn(move || -> Result<(), Error> {
                loop {
                    let Some(job) = queue.lock().expect("queue lock").pop_front() else {
                        return Ok(());
                    };
                    let ran = run_job(cargo, root, &job, binary_args, &moto)?;
                    results.lock().expect("results lock").push(ran);
                }
            }));
        }
        for handle in handles {
            handle.join().map_err(|_| "a test worker panicked")??;
        }
        match beside {
            Some(handle) => handle
                .join()
                .map_err(|_| "the check beside the tests panicked")?,
            None => Ok(true),
        }
    })?;
    let mut results = std::mem::take(&mut *results.lock().expect("results lock"));
    results.sort_by_key(|r| std::cmp::Reverse(r.took));
    eprintln!(
        "\nxtask: test jobs by time (wall {:.0} s on {workers} workers):",
        started.elapsed().as_secs_f64()
    );
    let mut times = previous;
    for r in &results {
        eprintln!(
            "  {:>7.1} s  {}  {}",
            r.took.as_secs_f64(),
            if r.passed { "ok  " } else { "FAIL" },
            r.name
        );
        times.insert(r.name.clone(), r.took.as_secs_f64());
    }
    let _ = std::fs::write(&times_file, serde_json::to_vec_pretty(&times)?);
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.name.as_str())
        .collect();
    if !failed.is_empty() {
        eprintln!("xtask: failed: {}", failed.join(", "));
    }
    Ok((failed.is_empty(), alongside_ok))
}

/// Lowers the calling thread's scheduling priority (nice 10), and with it that of every process
/// it starts, which inherit it. The check beside the tests is mostly compiling (the Lambda
/// builds, the CDK app's TypeScript), the tests mostly wait on replies within 20 s bounds and a
/// few are CPU-bound load tests on moto: at equal priority the builds took half the CPU from
/// them (measured: `contention` 119 s alone, 154 s beside a 220 s Lambda build). Idle CPU still
/// goes to the check; only contended CPU goes to the tests first. Best effort: a system that
/// refuses it runs the check at normal priority.
fn yield_to_the_tests() {
    // SAFETY: `gettid` and `setpriority` take no pointers; on Linux `setpriority` with
    // PRIO_PROCESS and a thread id sets that one thread's nice value.
    let refused =
        unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10) };
    if refused != 0 {
        eprintln!("xtask: could not lower the priority of the check beside the tests");
    }
}

/// `cargo test --no-run`, reading the built test executables from cargo's JSON messages.
fn build(cargo: &str, root: &Path, cargo_args: &[String]) -> Result<Vec<Job>, Error> {
    let mut child = Command::new(cargo)
        .current_dir(root)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(cargo_args)
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("cargo has no stdout")?;
    let mut jobs = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let Some(executable) = message["executable"].as_str() else {
            continue;
        };
        let manifest = message["manifest_path"].as_str().unwrap_or_default();
        let package_dir = Path::new(manifest)
            .parent()
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
        let package = package_dir
            .strip_prefix(root)
            .unwrap_or(&package_dir)
            .display()
            .to_string();
        let target = message["target"]["name"].as_str().unwrap_or("?");
        let kind = message["target"]["kind"][0].as_str().unwrap_or("?");
        jobs.push(Job::Binary {
            name: format!("{package} {kind} {target}"),
            executable: executable.into(),
            package_dir,
        });
    }
    if !child.wait()?.success() {
        return Err("cargo test --no-run failed".into());
    }
    Ok(jobs)
}

fn run_job(
    cargo: &str,
    root: &Path,
    job: &Job,
    binary_args: &[String],
    moto: &Moto,
) -> Result<Ran, Error> {
    let started = Instant::now();
    let mut command = match job {
        Job::Binary {
            executable,
            package_dir,
            ..
        } => {
            // As `cargo test` runs it: in its package's directory, with that directory named.
            let mut c = Command::new(executable);
            c.current_dir(package_dir)
                .env("CARGO_MANIFEST_DIR", package_dir)
                .args(binary_args);
            c
        }
        Job::DocTests(cargo_args) => {
            let mut c = Command::new(cargo);
            c.current_dir(root)
                .args(["test", "--doc"])
                .args(cargo_args)
                .args(["--"])
                .args(binary_args);
            c
        }
    };
    let output = command.envs(moto.sdk_env()).output()?;
    let took = started.elapsed();
    eprintln!(
        "\nxtask: ── {} ({:.1} s) ──\n{}{}",
        job.name(),
        took.as_secs_f64(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(Ran {
        name: job.name().to_string(),
        took,
        passed: output.status.success(),
    })
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else the workspace's `target/`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
