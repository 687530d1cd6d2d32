//! `cargo xtask schemathesis`: schemathesis, installed from the Python package index into a virtual
//! environment under `target/hardening/`, run with every check it has against both servers built
//! from the spec:
//! - the simulator's reject endpoints, described by `spec/graph-calls.yaml` as it is and reached
//!   under its server's path (`/beta`), with a placed call per path so that cases get past the
//!   lookup;
//! - the example bot's calling webhook, described by a document derived from the spec (the webhook
//!   as a path), with a notification token the simulator hands out.
//!
//! Any failure schemathesis reports fails the command; its reports go to `target/hardening/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::{build_release, get_json, post_json, start_bot, start_simulator, work_dir};
use crate::project_root;

/// The schemathesis release the tool installs.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The access token the simulator requires, and the bot sends, in this run.
const ACCESS_TOKEN: &str = "xtask-schemathesis";

/// The checks left out against the bot: it acknowledges every authenticated JSON delivery, even
/// one that does not fit the schema, and hands it to its handler as unreadable, because Graph
/// retries and then drops a refused delivery and nothing it sends may be lost.
const BOT_EXCLUDED_CHECKS: &str = "negative_data_rejection";

/// The path of the bot's calling webhook.
const WEBHOOK_PATH: &str = "/api/calls";

/// A schemathesis run against both servers.
#[derive(Clone, Debug)]
pub struct Schemathesis {
    /// The most cases schemathesis generates per operation and phase.
    pub max_examples: u32,
    /// The seed, to repeat a run.
    pub seed: Option<u64>,
}

impl Schemathesis {
    /// Installs schemathesis if needed, builds and starts the servers, and runs it against each.
    pub fn run(&self) -> anyhow::Result<()> {
        let st = install()?;
        let release = build_release(&["mock-graph", "example-bot"])?;
        let spec = project_root().join("spec").join("graph-calls.yaml");
        let graph = start_simulator(
            "mock-graph",
            &release,
            &["--ring-timeout", "3600", "--access-token", ACCESS_TOKEN],
        )?;
        // One call per path, so that each operation's cases get past the lookup until one of them
        // rejects its call.
        let mut calls = Vec::new();
        for path in operation_paths(&read_spec(&spec)?) {
            let placed = post_json(
                &format!("{}/_sim/calls", graph.url),
                &json!({ "callbackUri": "http://127.0.0.1:9/api/calls" }),
            )?;
            let id = placed["id"]
                .as_str()
                .context("the simulator names the call")?
                .to_owned();
            calls.push((path, id));
        }
        let graph_config = config_file("graph", &calls)?;
        let graph_failed = !self.st(
            &st,
            &Target {
                what: "the simulator's reject",
                spec: &spec,
                config: &graph_config,
                url: &format!("{}{}", graph.url, server_path(&spec)?),
                authorization: &format!("Bearer {ACCESS_TOKEN}"),
                excluded_checks: None,
            },
        )?;

        let token = get_json(&format!("{}/_sim/token", graph.url))?;
        let token = token["token"]
            .as_str()
            .context("the simulator hands out a token")?;
        let bot = start_bot("example-bot", &release, &graph, ACCESS_TOKEN, &[])?;
        let bot_base = bot
            .url
            .strip_suffix(WEBHOOK_PATH)
            .with_context(|| format!("the bot's webhook {} ends with {WEBHOOK_PATH}", bot.url))?;
        let receiver_spec = work_dir().join("receiver-openapi.json");
        std::fs::write(
            &receiver_spec,
            serde_json::to_string_pretty(&receiver_document(&read_spec(&spec)?)?)?,
        )?;
        let bot_config = config_file("bot", &[])?;
        let bot_failed = !self.st(
            &st,
            &Target {
                what: "the bot's calling webhook",
                spec: &receiver_spec,
                config: &bot_config,
                url: bot_base,
                authorization: &format!("Bearer {token}"),
                excluded_checks: Some(BOT_EXCLUDED_CHECKS),
            },
        )?;

        match (graph_failed, bot_failed) {
            (false, false) => Ok(()),
            (true, false) => bail!("schemathesis found failures in the simulator's reject"),
            (false, true) => bail!("schemathesis found failures in the bot's calling webhook"),
            (true, true) => bail!("schemathesis found failures in both servers"),
        }
    }

    /// Runs schemathesis once against `target`; whether it found nothing.
    fn st(&self, st: &Path, target: &Target<'_>) -> anyhow::Result<bool> {
        let Target {
            what,
            spec,
            config,
            url,
            authorization,
            excluded_checks,
        } = target;
        eprintln!("schemathesis: {what} at {url}");
        let mut command = Command::new(st);
        command
            .current_dir(work_dir())
            .arg("--config-file")
            .arg(config)
            .arg("run")
            .arg(spec)
            .args(["--url", url])
            .args(["--header", &format!("Authorization: {authorization}")])
            .args(["--checks", "all"])
            .args(["--max-examples", &self.max_examples.to_string()])
            .args(["--report", "junit"])
            .arg("--report-dir")
            .arg(work_dir().join("reports").join(what.replace(' ', "-")));
        if let Some(excluded) = excluded_checks {
            command.args(["--exclude-checks", excluded]);
        }
        if let Some(seed) = self.seed {
            command.args(["--seed", &seed.to_string()]);
        }
        let status = command
            .status()
            .with_context(|| format!("cannot run {}", st.display()))?;
        Ok(status.success())
    }
}

/// One server schemathesis runs against.
struct Target<'a> {
    /// What it is, for messages and the report's directory.
    what: &'a str,
    /// The OpenAPI document describing it.
    spec: &'a Path,
    /// The `schemathesis.toml` of the run.
    config: &'a Path,
    /// Its base URL.
    url: &'a str,
    /// The `Authorization` header of every request.
    authorization: &'a str,
    /// Checks left out, comma-separated.
    excluded_checks: Option<&'a str>,
}

/// The `st` executable of schemathesis [`SCHEMATHESIS_VERSION`], installed into
/// `target/hardening/venv` unless it is there already.
fn install() -> anyhow::Result<PathBuf> {
    let venv = work_dir().join("venv");
    let st = venv.join("bin").join("st");
    let installed = Command::new(&st)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(SCHEMATHESIS_VERSION));
    if installed {
        return Ok(st);
    }
    std::fs::create_dir_all(work_dir())?;
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .context("cannot create a Python virtual environment (is python3 with venv installed?)")?;
    run(Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")))
    .context("cannot install schemathesis from the Python package index")?;
    Ok(st)
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status()?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// A `schemathesis.toml`, written under `target/hardening/`, that gives each path in `calls` its
/// `call-id`.
fn config_file(name: &str, calls: &[(String, String)]) -> anyhow::Result<PathBuf> {
    let mut text = String::new();
    for (path, id) in calls {
        text.push_str(&format!(
            "[[operations]]\ninclude-path = {}\nparameters = {{ \"call-id\" = {} }}\n\n",
            json!(path),
            json!(id)
        ));
    }
    let path = work_dir().join(format!("schemathesis-{name}.toml"));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The paths of the spec that take a `{call-id}`.
fn operation_paths(spec: &Value) -> Vec<String> {
    spec["paths"]
        .as_object()
        .map(|paths| {
            paths
                .keys()
                .filter(|path| path.contains("{call-id}"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn read_spec(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_saphyr::from_str(&text).with_context(|| format!("{} is not YAML", path.display()))
}

/// The path of the spec's first server, such as `/beta`.
fn server_path(spec: &Path) -> anyhow::Result<String> {
    let spec = read_spec(spec)?;
    let url = spec
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .context("the spec names no server (#/servers/0/url)")?;
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    Ok(path.trim_end_matches('/').to_owned())
}

/// An OpenAPI document of the bot's receiver: the spec's calling webhook (`x-webhooks`) as the
/// operation of `POST /api/calls`, with the spec's components. Examples given by `externalValue`
/// are left out (they name files next to the spec).
pub fn receiver_document(spec: &Value) -> anyhow::Result<Value> {
    let mut operation = spec
        .pointer("/x-webhooks/callingWebhook/post")
        .cloned()
        .context("the spec has no calling webhook (#/x-webhooks/callingWebhook/post)")?;
    if let Some(media) = operation.pointer_mut("/requestBody/content/application~1json")
        && let Some(media) = media.as_object_mut()
    {
        media.remove("examples");
    }
    Ok(json!({
        "openapi": spec["openapi"],
        "info": {
            "title": "The example bot's calling webhook",
            "version": spec["info"]["version"],
        },
        "servers": [{ "url": "http://127.0.0.1" }],
        "paths": { WEBHOOK_PATH: { "post": operation } },
        "components": spec["components"],
    }))
}
