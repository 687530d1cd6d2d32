//! `mock-graph`: a local simulator of Microsoft Graph's calls API.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use mock_graph::{Config, MockGraph};

/// A local simulator of Microsoft Graph's calls API: place calls with `POST /_sim/calls`, watch
/// them with `GET /_sim/calls/{id}`; bots reject them at `/communications/calls/{id}/reject`.
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
    /// How long a terminated call stays visible at /_sim/calls/{id} before it is freed, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    retention: u64,
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
        retention: Duration::from_secs(flags.retention),
        ..Config::default()
    };
    let running = MockGraph::start(config, flags.listen).await?;
    println!("mock Graph listening on {}", running.base_url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
