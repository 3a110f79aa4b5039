//! One function process served event after event, as a Lambda instance serves them.
//!
//! [`crate::runtime_api`] plays the Runtime API; this is the other half a bench needs: a process
//! started under it (any executable: a Rust `bootstrap`, or `node` with a runtime loop), which
//! waits for the process's first `GET /next` (the end of its init phase), then hands it one
//! event at a time and waits for its answer and its next `/next`, as Lambda does. Around that it
//! reads what the kernel knows of the process: the peak resident set ([`peak_rss`]) and the CPU
//! time of all its threads ([`LambdaProcess::cpu_time`], from `/proc/<pid>/task/*/schedstat`,
//! in nanoseconds, so a few microseconds per event are not lost to 10 ms clock ticks).
//!
//! `memload` drives the hot-path functions with it; `nodepeer` drives ingress and its Node.js
//! peer with the same events.

use crate::Error;
use crate::runtime_api::{Api, Report, peak_rss, serve};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// A process running under its own fake Runtime API, past its init phase.
pub struct LambdaProcess {
    api: Api,
    reports: mpsc::UnboundedReceiver<Report>,
    child: Child,
    pid: u32,
    /// From `exec` to the first `GET /next`.
    pub init: Duration,
    /// `VmHWM` at the first `/next`.
    pub rss_at_init: Option<u64>,
    /// How long one event may take before the process counts as stuck.
    timeout: Duration,
}

impl LambdaProcess {
    /// A new Runtime API for one process: its receiver and the `host:port` to give the process
    /// as `AWS_LAMBDA_RUNTIME_API`.
    pub async fn runtime_api() -> Result<(Api, mpsc::UnboundedReceiver<Report>, String), Error> {
        let (api, reports) = Api::new();
        let address = serve(api.clone()).await?;
        Ok((api, reports, address))
    }

    /// Spawns `command` (its environment already pointing at `api`'s address) and waits for
    /// its first `/next`; `timeout` bounds that wait and every event after it.
    pub async fn start(
        api: Api,
        reports: mpsc::UnboundedReceiver<Report>,
        mut command: Command,
        timeout: Duration,
    ) -> Result<LambdaProcess, Error> {
        command.kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn()?;
        let pid = child.id().ok_or("the process has no pid")?;
        let mut process = LambdaProcess {
            api,
            reports,
            child,
            pid,
            init: Duration::ZERO,
            rss_at_init: None,
            timeout,
        };
        match process.report().await? {
            Report::Next(at) => process.init = at - started,
            other => return Err(format!("at init: {}", other.describe()).into()),
        }
        process.rss_at_init = peak_rss(pid);
        Ok(process)
    }

    async fn report(&mut self) -> Result<Report, Error> {
        tokio::select! {
            report = self.reports.recv() => report.ok_or_else(|| "the Runtime API stopped".into()),
            status = self.child.wait() => Err(format!("the process exited ({})", status?).into()),
            () = tokio::time::sleep(self.timeout) => Err("no answer in time".into()),
        }
    }

    /// Serves one event; returns the function's answer (`Err` text for an invocation error).
    pub async fn invoke(&mut self, event: String) -> Result<Result<String, String>, Error> {
        self.api.push(event);
        let answer = match self.report().await? {
            Report::Response(body) => Ok(body),
            Report::InvocationError(body) => Err(body),
            other => return Err(format!("during an event: {}", other.describe()).into()),
        };
        match self.report().await? {
            Report::Next(_) => Ok(answer),
            other => Err(format!("after an event: {}", other.describe()).into()),
        }
    }

    /// The process's peak resident set so far.
    pub fn peak_rss(&self) -> Option<u64> {
        peak_rss(self.pid)
    }

    /// CPU time all the process's threads have run so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()?;
        let mut nanos: u64 = 0;
        for task in tasks.flatten() {
            let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            nanos += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(Duration::from_nanos(nanos))
    }

    /// Stops the process.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}
