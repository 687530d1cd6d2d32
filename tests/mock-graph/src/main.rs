//! `mock-graph`: a local simulator of Microsoft Graph's calls API.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use mock_graph::{Config, Faults, MAX_FAULT_DELAY, MockGraph, RetryAfterForm, Throttle};

/// A local simulator of Microsoft Graph's calls API: place calls with `POST /_sim/calls`, watch
/// them with `GET /_sim/calls/{id}`; bots reject them at `/communications/calls/{id}/reject`.
/// SIGTERM or SIGINT stops it gracefully.
#[derive(Debug, Parser)]
#[command(name = "mock-graph", version)]
struct Flags {
    /// The address to listen on, such as 127.0.0.1:8000.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The bot's application id: the audience of notification tokens.
    #[arg(long, value_name = "ID", default_value = mock_graph::DEFAULT_APP_ID)]
    app_id: String,
    /// How long an incoming call rings before it times out, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    ring_timeout: u64,
    /// Allow http callback URLs on loopback hosts (local development only).
    #[arg(long)]
    allow_http_callbacks: bool,
    /// Send each call's first notification in the legacy format; a bot answering 204 No Content
    /// gets it again in the Graph protocol.
    #[arg(long)]
    legacy_first_notification: bool,
    /// Fault: send every Nth delivery twice, under the same message id (0: never).
    #[arg(long, value_name = "N", default_value_t = 0)]
    duplicate_every: u32,
    /// Fault: hold back every Nth delivery and send it after the call's next notification (0: never).
    #[arg(long, value_name = "N", default_value_t = 0)]
    reorder_every: u32,
    /// Fault: the longest a held-back delivery waits for the call's next notification, in
    /// milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = fault_wait())]
    reorder_hold_ms: u64,
    /// Fault: an extra wait before every delivery, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = fault_wait())]
    delay_ms: u64,
    /// Fault: up to this much more extra wait before every delivery, at random, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = fault_wait())]
    delay_jitter_ms: u64,
    /// Throttling: answer reject with this status, 429 or 503.
    #[arg(long, value_name = "STATUS", default_value_t = 429)]
    throttle_status: u16,
    /// Throttling: refuse the next N reject requests (0: none).
    #[arg(long, value_name = "N", default_value_t = 0)]
    throttle_count: u32,
    /// Throttling: then refuse this fraction of reject requests, at random (0 to 1).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    throttle_fraction: f64,
    /// Throttling: the Retry-After of a refusal, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    throttle_retry_after: u64,
    /// Throttling: write Retry-After as an HTTP date rather than seconds.
    #[arg(long)]
    throttle_retry_after_date: bool,
    /// On SIGTERM or SIGINT, how long to wait for requests and deliveries under way, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    shutdown_grace: u64,
    /// How long a terminated call stays visible at /_sim/calls/{id} before it is freed, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    retention: u64,
    /// The bearer token reject requires (default: any non-empty token).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MOCK_GRAPH_ACCESS_TOKEN",
        hide_env_values = true
    )]
    access_token: Option<String>,
}

/// The milliseconds a fault may wait: up to [`MAX_FAULT_DELAY`].
fn fault_wait() -> clap::builder::RangedU64ValueParser {
    let most = u64::try_from(MAX_FAULT_DELAY.as_millis()).unwrap_or(u64::MAX);
    clap::value_parser!(u64).range(0..=most)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let flags = Flags::parse();
    let config = Config {
        app_id: flags.app_id,
        ring_timeout: Duration::from_secs(flags.ring_timeout),
        allow_http_callbacks: flags.allow_http_callbacks,
        legacy_first_notification: flags.legacy_first_notification,
        faults: Faults {
            duplicate_every: flags.duplicate_every,
            reorder_every: flags.reorder_every,
            hold: Duration::from_millis(flags.reorder_hold_ms),
            delay: Duration::from_millis(flags.delay_ms),
            jitter: Duration::from_millis(flags.delay_jitter_ms),
        },
        throttle: Throttle {
            status: flags.throttle_status,
            count: flags.throttle_count,
            fraction: flags.throttle_fraction,
            retry_after: Some(flags.throttle_retry_after),
            retry_after_form: if flags.throttle_retry_after_date {
                RetryAfterForm::Date
            } else {
                RetryAfterForm::Seconds
            },
        },
        shutdown_grace: Duration::from_secs(flags.shutdown_grace),
        retention: Duration::from_secs(flags.retention),
        access_token: flags.access_token,
        ..Config::default()
    };
    let stop = stop_signal()?;
    let running = MockGraph::start(config, flags.listen).await?;
    println!("mock Graph listening on {}", running.base_url);
    stop.await;
    tracing::info!("stopping: no new connections; finishing the requests and deliveries under way");
    let abandoned = running.shutdown().await;
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            "gave up on the deliveries still under way after the grace period"
        );
    } else {
        tracing::info!("stopped");
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed before it returns, so a signal
/// that comes early is not lost.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
