//! `mock-graph-load`: the load driver of `cargo xtask load`. It places calls on a running simulator
//! as fast as it can, each with a bot's webhook as its `callbackUri`, waits until the simulator
//! counts every one rejected (or the timeout passes), and prints one JSON object: how long placing
//! and rejecting took, rejects per second, and the time from placement to reject (p50, p99, max) as
//! the simulator measured it (`/_sim/stats`; the percentiles count every reject since the simulator
//! started, so run one burst per simulator to read them for that burst). It talks to loopback addresses only, and places at most `--calls`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

/// Places calls on a simulator and reports how fast a bot rejects them.
#[derive(Debug, Parser)]
#[command(name = "mock-graph-load")]
struct Flags {
    /// The simulator's base URL (a loopback address).
    #[arg(long, value_name = "URL")]
    graph: String,
    /// The bot's webhook, the `callbackUri` of every call (a loopback address).
    #[arg(long, value_name = "URL")]
    webhook: String,
    /// How many calls to place.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    calls: usize,
    /// How many placements are in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    concurrency: usize,
    /// The longest the run may take, placing and waiting for rejects, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    timeout: u64,
    /// Then wait (within another timeout) until the simulator has freed every call.
    #[arg(long)]
    wait_release: bool,
}

/// Whether `url` is `http` on a loopback host.
fn loopback(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|url| {
        let host = url.host_str().unwrap_or_default();
        let ip = host.trim_start_matches('[').trim_end_matches(']');
        url.scheme() == "http"
            && (host == "localhost"
                || ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()))
    })
}

async fn stats(http: &reqwest::Client, graph: &str) -> anyhow::Result<Value> {
    Ok(http
        .get(format!("{graph}/_sim/stats"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = Flags::parse();
    anyhow::ensure!(
        loopback(&flags.graph) && loopback(&flags.webhook),
        "the simulator and the webhook must be http on a loopback address"
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let graph = flags.graph.trim_end_matches('/').to_owned();
    // The simulator counts since it started; this run counts from here.
    let rejected_before = stats(&http, &graph).await?["rejected"]
        .as_u64()
        .unwrap_or(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(flags.timeout);

    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let body = json!({ "callbackUri": flags.webhook }).to_string();
    let mut placing = tokio::task::JoinSet::new();
    for _ in 0..flags.concurrency.clamp(1, 1024) {
        let (http, next, failed) = (http.clone(), next.clone(), failed.clone());
        let (url, body, calls) = (format!("{graph}/_sim/calls"), body.clone(), flags.calls);
        placing.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < calls && Instant::now() < deadline {
                let placed = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                if !placed.is_ok_and(|response| response.status() == 201) {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    placing.join_all().await;
    let placed_in = started.elapsed();
    let failed = failed.load(Ordering::Relaxed);
    let placed = next.load(Ordering::Relaxed).min(flags.calls) - failed;

    let mut last = stats(&http, &graph).await?;
    let rejected_now = |stats: &Value| {
        stats["rejected"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(rejected_before)
    };
    while rejected_now(&last) < placed as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        last = stats(&http, &graph).await?;
    }
    let rejected_in = started.elapsed();
    let rejected = rejected_now(&last);
    let after = &last["rejectedAfterMs"];

    let mut released_in = None;
    if flags.wait_release {
        let release_deadline = Instant::now() + Duration::from_secs(flags.timeout);
        while Instant::now() < release_deadline {
            if stats(&http, &graph).await?["held"].as_u64() == Some(0) {
                released_in = Some(started.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let report = json!({
        "calls": flags.calls,
        "placed": placed,
        "placeFailures": failed,
        "placedInSecs": placed_in.as_secs_f64(),
        "rejected": rejected,
        "rejectedInSecs": rejected_in.as_secs_f64(),
        "rejectsPerSec": rejected as f64 / rejected_in.as_secs_f64(),
        "p50Ms": after["p50"],
        "p99Ms": after["p99"],
        "maxMs": after["max"],
        "releasedInSecs": released_in,
    });
    println!("{report}");
    Ok(())
}
