//! `cargo xtask soak --minutes M`: the simulator and the example bot, built in release and served on
//! 127.0.0.1, under a steady mix for M minutes: calls placed at a steady rate, with the simulator
//! sending some deliveries twice, holding some back behind the next, delaying all by a random
//! wait, and throttling a fraction of rejects, while the bot's handler waits before each reject.
//!
//! Then it checks that every call ended as expected (rejected by the bot within its ring window,
//! every delivery acknowledged), that nothing acknowledged was lost (every acknowledged delivery is
//! in the bot's record, written as it handled them), and that the memory of each process, once the
//! simulator has released the last calls, is within [`MEMORY_FACTOR`] of its memory after warm-up.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::{Server, build_release, get_json, post_json, start_bot, start_simulator, work_dir};

/// How long the simulator keeps a terminated call: checks read calls before that.
const RETENTION: Duration = Duration::from_secs(60);

/// How old a call is when it is checked: past its 15-second ring window and the bot's retries.
const CHECK_AGE: Duration = Duration::from_secs(25);

/// The most the memory at the end may be, as a multiple of the memory after warm-up.
pub const MEMORY_FACTOR: f64 = 1.5;

/// A soak run.
#[derive(Clone, Debug)]
pub struct Soak {
    /// How long calls are placed.
    pub minutes: u64,
    /// Calls placed per second.
    pub rate: u32,
}

/// What one call looked like when it was checked.
struct Checked {
    /// `(changeType, message id)` of every acknowledged delivery.
    acknowledged: Vec<(String, String)>,
}

impl Soak {
    /// Runs the soak and its checks; prints the figures.
    pub fn run(&self) -> anyhow::Result<()> {
        if self.minutes == 0 || self.rate == 0 {
            bail!("--minutes and --rate must be at least 1");
        }
        let release = build_release(&["mock-graph", "example-bot"])?;
        std::fs::create_dir_all(work_dir())?;
        let record = work_dir().join("soak-record.jsonl");
        let _ = std::fs::remove_file(&record);
        let graph = start_simulator(
            "soak-mock-graph",
            &release,
            &[
                "--duplicate-every",
                "5",
                "--reorder-every",
                "7",
                "--reorder-hold-ms",
                "500",
                "--delay-jitter-ms",
                "100",
                "--throttle-fraction",
                "0.1",
                "--throttle-retry-after",
                "1",
                "--retention",
                &RETENTION.as_secs().to_string(),
            ],
        )?;
        let bot = start_bot(
            "soak-example-bot",
            &release,
            &graph,
            "xtask-soak",
            &[
                "--record",
                &record.to_string_lossy(),
                "--handling-delay-ms",
                "200",
            ],
        )?;

        let started = Instant::now();
        let duration = Duration::from_secs(self.minutes * 60);
        // Warm: the simulator holds a retention period's worth of terminated calls, as it will
        // until the end; a run too short for that takes half its time.
        let steady = RETENTION + CHECK_AGE;
        let warm_up = if duration >= steady * 2 {
            steady
        } else {
            duration / 2
        };
        let interval = Duration::from_secs_f64(1.0 / f64::from(self.rate));
        let mut placed: Vec<(String, Instant)> = Vec::new();
        let mut next_check = 0;
        let mut checked: BTreeMap<String, Checked> = BTreeMap::new();
        let mut failures: Vec<String> = Vec::new();
        let mut warm_memory = None;
        let mut peak = (0u64, 0u64);
        let mut next_place = Instant::now();
        let mut next_report = Instant::now() + Duration::from_secs(30);
        while started.elapsed() < duration {
            let now = Instant::now();
            if now >= next_place {
                let answer = post_json(
                    &format!("{}/_sim/calls", graph.url),
                    &json!({ "callbackUri": bot.url }),
                )?;
                let id = answer["id"]
                    .as_str()
                    .context("the simulator names the call")?;
                placed.push((id.to_owned(), now));
                next_place += interval;
            }
            while next_check < placed.len() && placed[next_check].1.elapsed() >= CHECK_AGE {
                let id = &placed[next_check].0;
                match check_call(&graph.url, id) {
                    Ok(call) => {
                        checked.insert(id.clone(), call);
                    }
                    Err(problem) => failures.push(format!("call {id}: {problem}")),
                }
                next_check += 1;
            }
            let memory = (rss_kb(graph.pid()), rss_kb(bot.pid()));
            peak = (peak.0.max(memory.0), peak.1.max(memory.1));
            if warm_memory.is_none() && started.elapsed() >= warm_up {
                warm_memory = Some(memory);
            }
            if now >= next_report {
                eprintln!(
                    "soak: {:>4} s, {} calls placed, {} checked, {} failures, memory {} KB / {} KB",
                    started.elapsed().as_secs(),
                    placed.len(),
                    checked.len(),
                    failures.len(),
                    memory.0,
                    memory.1
                );
                next_report += Duration::from_secs(30);
            }
            std::thread::sleep(
                next_place
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(50)),
            );
        }
        // The last calls: past their ring window, then checked.
        while next_check < placed.len() {
            let (id, at) = &placed[next_check];
            std::thread::sleep(CHECK_AGE.saturating_sub(at.elapsed()));
            match check_call(&graph.url, id) {
                Ok(call) => {
                    checked.insert(id.clone(), call);
                }
                Err(problem) => failures.push(format!("call {id}: {problem}")),
            }
            next_check += 1;
        }
        // The simulator releases terminated calls after the retention period.
        std::thread::sleep(RETENTION + Duration::from_secs(10));
        let end_memory = (rss_kb(graph.pid()), rss_kb(bot.pid()));

        // The bot writes its record as it handles; stop it gracefully so that it finishes.
        stop_gracefully(&bot)?;
        drop(bot);
        let recorded = recorded_deliveries(&std::fs::read_to_string(&record)?);
        for (id, call) in &checked {
            for (change, message_id) in &call.acknowledged {
                if !recorded.contains(&(id.clone(), change.clone())) {
                    failures.push(format!(
                        "call {id}: the acknowledged `{change}` delivery {message_id} is not in the bot's record"
                    ));
                }
            }
        }
        let warm = warm_memory.unwrap_or(end_memory);
        let mut report = std::fs::File::create(work_dir().join("soak-report.txt"))?;
        let lines = [
            format!(
                "minutes: {}, calls placed: {}, checked: {}, failures: {}",
                self.minutes,
                placed.len(),
                checked.len(),
                failures.len()
            ),
            format!(
                "mock-graph memory (RSS): after warm-up {} KB, peak {} KB, at the end {} KB",
                warm.0, peak.0, end_memory.0
            ),
            format!(
                "example-bot memory (RSS): after warm-up {} KB, peak {} KB, at the end {} KB",
                warm.1, peak.1, end_memory.1
            ),
        ];
        for line in &lines {
            println!("{line}");
            writeln!(report, "{line}")?;
        }
        for (name, warm, end) in [
            ("mock-graph", warm.0, end_memory.0),
            ("example-bot", warm.1, end_memory.1),
        ] {
            if end as f64 > warm as f64 * MEMORY_FACTOR {
                failures.push(format!(
                    "{name} holds {end} KB at the end, more than {MEMORY_FACTOR} times the {warm} KB after warm-up"
                ));
            }
        }
        if !failures.is_empty() {
            for failure in failures.iter().take(20) {
                eprintln!("soak: {failure}");
            }
            bail!("the soak found {} failures", failures.len());
        }
        Ok(())
    }
}

/// Checks that the call was rejected by the bot and that every delivery of it was acknowledged;
/// returns its acknowledged deliveries.
fn check_call(graph_url: &str, id: &str) -> Result<Checked, String> {
    let call = get_json(&format!("{graph_url}/_sim/calls/{id}")).map_err(|err| err.to_string())?;
    if call["state"] != "terminated" || call["rejectReason"] != "busy" {
        return Err(format!(
            "ended as {} (reason {}), not rejected with busy",
            call["state"], call["rejectReason"]
        ));
    }
    let deliveries = call["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut acknowledged = Vec::new();
    let mut changes = BTreeSet::new();
    for delivery in &deliveries {
        let change = delivery["changeType"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let message_id = delivery["messageId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if delivery["status"] != 202 {
            return Err(format!(
                "the `{change}` delivery {message_id} ended with {} ({})",
                delivery["status"], delivery["error"]
            ));
        }
        changes.insert(change.clone());
        acknowledged.push((change, message_id));
    }
    if !(changes.contains("created") && changes.contains("deleted")) {
        return Err(format!(
            "deliveries {changes:?}, not `created` and `deleted`"
        ));
    }
    Ok(Checked { acknowledged })
}

/// `(call id, changeType)` of every notification in the bot's record.
fn recorded_deliveries(record: &str) -> BTreeSet<(String, String)> {
    record
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|notification| {
            let change = notification["changeType"].as_str()?.to_owned();
            let url = notification["resourceUrl"].as_str()?;
            let id = url.rsplit('/').next()?.to_owned();
            Some((id, change))
        })
        .collect()
}

/// The resident memory of a process, in KB (`VmRSS` of `/proc/<pid>/status`); 0 where unknown.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Sends SIGTERM and waits up to 30 seconds for the process to end.
fn stop_gracefully(server: &Server) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .context("cannot run kill")?;
    if !status.success() {
        bail!("cannot signal {}", server.name());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !std::path::Path::new(&format!("/proc/{}", server.pid())).exists()
            || std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
                .is_ok_and(|status| status.contains("State:\tZ"))
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!(
        "{} did not stop within 30 seconds of SIGTERM",
        server.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_gives_each_notifications_call_and_change() {
        let record = concat!(
            r#"{"changeType":"created","resourceUrl":"/communications/calls/a1"}"#,
            "\n",
            r#"{"changeType":"deleted","resourceUrl":"/communications/calls/a1"}"#,
            "\nnot json\n",
        );
        let recorded = recorded_deliveries(record);
        assert_eq!(
            recorded,
            BTreeSet::from([
                ("a1".to_owned(), "created".to_owned()),
                ("a1".to_owned(), "deleted".to_owned()),
            ])
        );
    }
}
