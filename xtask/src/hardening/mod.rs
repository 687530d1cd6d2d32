//! The hardening tools: fuzzing (`fuzz`), schemathesis against both servers (`schemathesis`), a
//! bounded soak of the simulator and the example bot (`soak`), and what they share:
//! release builds of the simulator and the example bot, started as child processes on 127.0.0.1
//! and stopped when dropped.

pub mod fuzz;
pub mod schemathesis;
pub mod soak;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::project_root;

/// How long a started server may take to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the hardening tools keep what they make: `target/hardening/`.
pub fn work_dir() -> PathBuf {
    project_root().join("target").join("hardening")
}

/// Builds the release binaries of `packages` and returns the directory they are in.
pub fn build_release(packages: &[&str]) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(project_root())
        .args(["build", "--release"]);
    for package in packages {
        command.args(["-p", package]);
    }
    let status = command.status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }
    Ok(project_root().join("target").join("release"))
}

/// The bot the simulator signs notification tokens for, in every hardening run.
pub const APP_ID: &str = "5c1f5d37-2a3e-4c63-9a1e-7d0d3a0f0b11";

/// Starts the simulator's release binary (in `release`) on 127.0.0.1 for [`APP_ID`], allowing
/// `http` callbacks on loopback, with `extra` flags.
pub fn start_simulator(name: &str, release: &Path, extra: &[&str]) -> anyhow::Result<Server> {
    let mut args = strings(&[
        "--listen",
        "127.0.0.1:0",
        "--app-id",
        APP_ID,
        "--allow-http-callbacks",
    ]);
    args.extend(strings(extra));
    Server::start(
        name,
        &release.join("mock-graph"),
        &args,
        &[],
        "mock Graph listening on ",
    )
}

/// Starts the example bot's release binary on 127.0.0.1 for [`APP_ID`], trusting the keys of the
/// simulator `graph` and rejecting there with `access_token`, with `extra` flags.
pub fn start_bot(
    name: &str,
    release: &Path,
    graph: &Server,
    access_token: &str,
    extra: &[&str],
) -> anyhow::Result<Server> {
    let mut args = strings(&[
        "--listen",
        "127.0.0.1:0",
        "--app-id",
        APP_ID,
        "--graph-url",
        &graph.url,
        "--jwks",
        &format!("{}/_sim/jwks", graph.url),
    ]);
    args.extend(strings(extra));
    Server::start(
        name,
        &release.join("example-bot"),
        &args,
        &[("GRAPH_TOKEN", access_token)],
        "bot listening on ",
    )
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// A server run as a child process; killed when dropped.
pub struct Server {
    child: Child,
    /// The URL it printed as its address, such as `http://127.0.0.1:41234`.
    pub url: String,
    name: String,
}

impl Server {
    /// Starts `program` with `args` and `env`, and waits for the line on its standard output that
    /// starts with `announcement` and ends with its URL (`mock Graph listening on http://...`).
    /// Its log goes to `target/hardening/{name}.log`.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, &str)],
        announcement: &str,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(work_dir())?;
        let log = std::fs::File::create(work_dir().join(format!("{name}.log")))?;
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = child.stdout.take().context("the child's standard output")?;
        let (sender, receiver) = mpsc::channel();
        let prefix = announcement.to_owned();
        std::thread::spawn(move || {
            let mut announced = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !announced && let Some(url) = line.strip_prefix(&prefix) {
                    announced = true;
                    let _ = sender.send(url.trim().to_owned());
                }
            }
        });
        let mut server = Self {
            child,
            url: String::new(),
            name: name.to_owned(),
        };
        server.url = receiver.recv_timeout(START_TIMEOUT).with_context(|| {
            format!(
                "{name} did not say where it listens within {START_TIMEOUT:?}; see {}",
                work_dir().join(format!("{name}.log")).display()
            )
        })?;
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its name, as given to [`Server::start`].
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `GET` of JSON from a server on 127.0.0.1.
pub fn get_json(url: &str) -> anyhow::Result<serde_json::Value> {
    let text = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?
        .body_mut()
        .read_to_string()?;
    serde_json::from_str(&text).with_context(|| format!("GET {url} answered no JSON"))
}

/// A `POST` of JSON to a server on 127.0.0.1, returning its JSON answer.
pub fn post_json(url: &str, body: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let text = ureq::post(url)
        .header("content-type", "application/json")
        .send(body.to_string())
        .with_context(|| format!("POST {url}"))?
        .body_mut()
        .read_to_string()?;
    serde_json::from_str(&text).with_context(|| format!("POST {url} answered no JSON"))
}
