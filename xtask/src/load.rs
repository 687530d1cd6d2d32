//! `cargo xtask load`: a burst of calls through the simulator and the example bot, built in release,
//! on 127.0.0.1. It starts `mock-graph` and `example-bot` (logging warnings only), runs the load
//! driver (`mock-graph-load`, which places the calls and waits for their rejects), and reports
//! rejects per second, the time from placement to reject (p50, p99), and each process's resident
//! memory: at start, its peak (`VmHWM` in `/proc/<pid>/status`), the peak per call, and, after the
//! simulator's retention period, what it holds once every call is freed. Bounded: at most `calls`
//! calls, every wait has a timeout, and the processes are killed when it ends, however it ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// The decision window of an incoming call: every call must be rejected within it.
pub const RING_WINDOW: Duration = Duration::from_secs(15);

/// The bot the simulator addresses its tokens to (the simulator's default application id).
const APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";

/// What a load run does.
#[derive(Clone, Debug)]
pub struct Load {
    /// How many calls to place.
    pub calls: usize,
    /// How many placements are in flight at once.
    pub concurrency: usize,
    /// The longest the driver may take to place the calls and see them rejected, and then again
    /// to see them freed.
    pub timeout: Duration,
    /// How long the simulator keeps a terminated call.
    pub retention: Duration,
    /// Build the binaries first (`cargo build --release`).
    pub build: bool,
}

/// A child process, killed when dropped.
struct Process {
    name: &'static str,
    child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Starts `program` with `args` and reads the URL it prints on its first line of stdout
    /// (`... listening on URL`), within 30 seconds.
    fn start(name: &'static str, program: &Path, args: &[&str]) -> anyhow::Result<(Self, String)> {
        let mut child = Command::new(program)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let process = Self { name, child };
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .with_context(|| format!("{name} did not say where it listens"))?;
        let url = line
            .rsplit(' ')
            .next()
            .filter(|url| url.starts_with("http://127.0.0.1:"))
            .with_context(|| format!("{name} printed `{line}`, not its loopback URL"))?
            .to_owned();
        Ok((process, url))
    }

    /// A memory figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
    fn memory_kib(&self, field: &str) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path} of {}", self.name))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in {path}"))
    }
}

/// The resident memory of one process over a run, in KiB.
#[derive(Debug)]
struct Memory {
    start: u64,
    peak: u64,
    end: u64,
}

impl Load {
    /// Runs the load and writes the report to `out`. Fails if not every call was rejected within
    /// the ring window.
    pub fn run(&self, out: &mut impl std::io::Write) -> anyhow::Result<()> {
        let root = crate::project_root();
        if self.build {
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(&root)
                .args([
                    "build",
                    "--release",
                    "-p",
                    "mock-graph",
                    "-p",
                    "example-bot",
                ])
                .args(["--bin", "mock-graph", "--bin", "mock-graph-load"])
                .args(["--bin", "example-bot"])
                .status()
                .context("cannot run cargo build")?;
            anyhow::ensure!(status.success(), "cargo build --release failed");
        }
        let bin = release_dir(&root);
        let retention = self.retention.as_secs().max(1).to_string();
        let (graph, graph_url) = Process::start(
            "mock-graph",
            &bin.join("mock-graph"),
            &[
                "--listen",
                "127.0.0.1:0",
                "--allow-http-callbacks",
                "--app-id",
                APP_ID,
                "--retention",
                &retention,
                "--shutdown-grace",
                "1",
            ],
        )?;
        let jwks = format!("{graph_url}/_sim/jwks");
        let (bot, webhook) = Process::start(
            "example-bot",
            &bin.join("example-bot"),
            &[
                "--listen",
                "127.0.0.1:0",
                "--graph-url",
                &graph_url,
                "--app-id",
                APP_ID,
                "--jwks",
                &jwks,
                "--token",
                "load-test-token",
                "--shutdown-grace",
                "1",
            ],
        )?;
        let starts = [graph.memory_kib("VmRSS")?, bot.memory_kib("VmRSS")?];

        let driver = Command::new(bin.join("mock-graph-load"))
            .args(["--graph", &graph_url, "--webhook", &webhook])
            .args(["--calls", &self.calls.to_string()])
            .args(["--concurrency", &self.concurrency.to_string()])
            .args(["--timeout", &self.timeout.as_secs().max(1).to_string()])
            .arg("--wait-release")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start mock-graph-load")?;
        let driver = Process {
            name: "mock-graph-load",
            child: driver,
        };
        // The driver's two waits, and a margin for placing and its own start.
        let report = wait_for_output(driver, self.timeout * 2 + Duration::from_secs(30))?;
        let report: Value = serde_json::from_str(report.trim())
            .with_context(|| format!("the driver printed `{report}`, not its JSON report"))?;
        let memory = [(&graph, starts[0]), (&bot, starts[1])].map(
            |(process, start)| -> anyhow::Result<Memory> {
                Ok(Memory {
                    start,
                    peak: process.memory_kib("VmHWM")?,
                    end: process.memory_kib("VmRSS")?,
                })
            },
        );
        let [graph_memory, bot_memory] = memory;
        let (graph_memory, bot_memory) = (graph_memory?, bot_memory?);
        drop((graph, bot));
        self.write_report(out, &report, &graph_memory, &bot_memory)
    }

    fn write_report(
        &self,
        out: &mut impl std::io::Write,
        report: &Value,
        graph: &Memory,
        bot: &Memory,
    ) -> anyhow::Result<()> {
        let number = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
        let count = |key: &str| report[key].as_u64().unwrap_or(0);
        let (placed, rejected) = (count("placed"), count("rejected"));
        let max_ms = number("maxMs");
        let all_in_window = rejected == self.calls as u64
            && placed == self.calls as u64
            && max_ms <= RING_WINDOW.as_secs_f64() * 1000.0;
        let calls = self.calls.max(1) as f64;
        writeln!(
            out,
            "calls: {} placed in {:.2} s ({} placements failed), concurrency {}",
            placed,
            number("placedInSecs"),
            count("placeFailures"),
            self.concurrency
        )?;
        writeln!(
            out,
            "rejected: {rejected} in {:.2} s from the first placement: {:.0} rejects/s",
            number("rejectedInSecs"),
            number("rejectsPerSec")
        )?;
        writeln!(
            out,
            "placement to reject: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            number("p50Ms"),
            number("p99Ms"),
            max_ms
        )?;
        for (name, memory) in [("mock-graph", graph), ("example-bot", bot)] {
            writeln!(
                out,
                "{name}: RSS {:.1} MiB at start, peak (VmHWM) {:.1} MiB, {:.1} KiB per call over the start; {:.1} MiB after release",
                memory.start as f64 / 1024.0,
                memory.peak as f64 / 1024.0,
                memory.peak.saturating_sub(memory.start) as f64 / calls,
                memory.end as f64 / 1024.0,
            )?;
        }
        match report["releasedInSecs"].as_f64() {
            Some(secs) => writeln!(
                out,
                "every call freed {secs:.1} s after the first placement (retention {} s)",
                self.retention.as_secs()
            )?,
            None => writeln!(out, "not every call was freed within the timeout")?,
        }
        if !all_in_window {
            bail!(
                "not every call was rejected within the {} s ring window ({rejected} of {} rejected, the slowest after {max_ms:.0} ms)",
                RING_WINDOW.as_secs(),
                self.calls
            );
        }
        writeln!(
            out,
            "ok: all {} calls rejected within the {} s ring window",
            self.calls,
            RING_WINDOW.as_secs()
        )?;
        Ok(())
    }
}

/// Where `cargo build --release` puts the binaries.
fn release_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_relative() {
                root.join(dir)
            } else {
                dir
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("release")
}

/// The stdout of `process` once it exits successfully, or an error if it fails or is still running
/// after `timeout` (it is then killed).
fn wait_for_output(mut process: Process, timeout: Duration) -> anyhow::Result<String> {
    let stdout = process.child.stdout.take().context("no stdout")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.child.try_wait()? {
            anyhow::ensure!(status.success(), "{} failed: {status}", process.name);
            break;
        }
        if Instant::now() >= deadline {
            bail!("{} still running after {timeout:?}; killed", process.name);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("cannot read the output of {}", process.name))?
        .context("cannot read the driver's output")
}
