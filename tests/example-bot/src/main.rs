//! `example-bot`: a calling bot that rejects every incoming call.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use example_bot::{BotConfig, DEFAULT_SHUTDOWN_GRACE, start};
use msgraph_calls::runtime::serve::{Shutdown, shutdown_signal};
use msgraph_calls::types::RejectReason;

/// A calling bot that rejects every incoming call, through Microsoft Graph or a simulator.
#[derive(Debug, Parser)]
#[command(name = "example-bot", version)]
struct Flags {
    /// The address to listen on; the calling webhook is `/api/calls`.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The base URL of Microsoft Graph, such as https://graph.microsoft.com/beta.
    #[arg(long, value_name = "URL")]
    graph_url: String,
    /// The bot's application id.
    #[arg(long, value_name = "ID")]
    app_id: String,
    /// Graph's signing keys: a JWKS (or OpenID configuration) URL, or a JWKS file.
    #[arg(long, value_name = "URL|FILE")]
    jwks: String,
    /// The reason calls are rejected with.
    #[arg(long, value_enum, default_value_t = Reason::Busy)]
    reason: Reason,
    /// A callback URL sent with every reject, for later notifications of that call.
    #[arg(long, value_name = "URL")]
    callback_uri: Option<String>,
    /// Append each accepted notification to FILE, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// The bearer token for Graph (default: the GRAPH_TOKEN environment variable).
    #[arg(long, env = "GRAPH_TOKEN", hide_env_values = true)]
    token: String,
    /// On SIGTERM or SIGINT, how long to wait for requests in flight and for the handling of
    /// notifications already acknowledged.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE.as_secs())]
    shutdown_grace: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Reason {
    Busy,
    None,
    Forbidden,
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
    let reason = match flags.reason {
        Reason::Busy => RejectReason::Busy,
        Reason::None => RejectReason::None,
        Reason::Forbidden => RejectReason::Forbidden,
    };
    let config = BotConfig {
        graph_url: flags.graph_url,
        app_id: flags.app_id,
        jwks: flags.jwks,
        reason,
        callback_uri: flags.callback_uri,
        record: flags.record,
        token: flags.token,
        shutdown_grace: Duration::from_secs(flags.shutdown_grace),
    };
    // Installed before the bot listens, so that no signal finds the process without its handler.
    let signal = shutdown_signal()?;
    let running = start(config, flags.listen).await?;
    println!("bot listening on {}", running.webhook_url());
    signal.await;
    match running.shutdown().await? {
        Shutdown::Complete => {
            tracing::info!("stopped: every acknowledged notification was handled");
            Ok(())
        }
        Shutdown::GraceExpired { connections, tasks } => anyhow::bail!(
            "the shutdown grace period of {} s ran out with {tasks} notifications still being handled and {connections} connections open",
            flags.shutdown_grace
        ),
    }
}
