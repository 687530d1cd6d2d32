//! `example-bot`: a calling bot that rejects every incoming call.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use clap::{Parser, ValueEnum};
use example_bot::{BotConfig, DEFAULT_SHUTDOWN_GRACE, GraphCredential, start};
use msgraph_calls::runtime::azure;
use msgraph_calls::runtime::serve::{Shutdown, shutdown_signal};
use msgraph_calls::types::RejectReason;
use msgraph_calls::{Cloud, GraphVersion};

/// A calling bot that rejects every incoming call, through Microsoft Graph or a simulator.
#[derive(Debug, Parser)]
#[command(name = "example-bot", version)]
struct Flags {
    /// The address to listen on; the calling webhook is `/api/calls`.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The cloud the bot runs in: `global`, `us-gov-l4`, `us-gov-l5-dod` or `china`. It gives the
    /// defaults of --graph-url and --jwks, the token scope and authority, and the accepted issuers
    /// of notification tokens.
    #[arg(long, default_value_t = Cloud::Global)]
    cloud: Cloud,
    /// The base URL of Microsoft Graph (default: the cloud's, in beta), or of a simulator.
    #[arg(long, value_name = "URL")]
    graph_url: Option<String>,
    /// The bot's application (client) id: the audience of notification tokens, and the client id
    /// of its credential.
    #[arg(long, visible_alias = "client-id", value_name = "ID")]
    app_id: String,
    /// Graph's signing keys: a JWKS (or OpenID configuration) URL, or a JWKS file (default: the
    /// cloud's).
    #[arg(long, value_name = "URL|FILE")]
    jwks: Option<String>,
    /// The reason calls are rejected with.
    #[arg(long, value_enum, default_value_t = Reason::Busy)]
    reason: Reason,
    /// A callback URL sent with every reject, for later notifications of that call.
    #[arg(long, value_name = "URL")]
    callback_uri: Option<String>,
    /// Append each accepted notification to FILE, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// A static bearer token for Graph, for every tenant (default: the GRAPH_TOKEN environment
    /// variable). Without it, the bot gets tokens from a credential (see --tenant).
    #[arg(long, env = "GRAPH_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The bot's home tenant: with the client secret in AZURE_CLIENT_SECRET, tokens come from the
    /// app's client secret, for the tenant of each call (this one when a call names none).
    #[arg(long, value_name = "TENANT_ID")]
    tenant: Option<String>,
    /// Tokens from the host's managed identity (the user-assigned one with this client id, if
    /// given), in its own tenant.
    #[arg(long, value_name = "CLIENT_ID", num_args = 0..=1, default_missing_value = "")]
    managed_identity: Option<String>,
    /// Tokens from workload identity federation (AZURE_CLIENT_ID, AZURE_TENANT_ID and
    /// AZURE_FEDERATED_TOKEN_FILE), for the tenant of each call.
    #[arg(long)]
    workload_identity: bool,
    /// Tokens from the account signed in to the Azure CLI, for local runs.
    #[arg(long)]
    azure_cli: bool,
    /// On SIGTERM or SIGINT, how long to wait for requests in flight and for the handling of
    /// notifications already acknowledged.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE.as_secs())]
    shutdown_grace: u64,
    /// Wait this long at the start of handling every incoming call, before the reject: a slow
    /// handler, for soak runs.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    handling_delay_ms: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Reason {
    Busy,
    None,
    Forbidden,
}

/// Where the bot's tokens come from: exactly one of the static token and the credentials.
fn credential(flags: &Flags) -> anyhow::Result<GraphCredential> {
    let chosen = [
        flags.token.is_some(),
        flags.tenant.is_some(),
        flags.managed_identity.is_some(),
        flags.workload_identity,
        flags.azure_cli,
    ];
    match chosen.iter().filter(|chosen| **chosen).count() {
        0 => anyhow::bail!(
            "no credential: set GRAPH_TOKEN (or --token), or give --tenant with AZURE_CLIENT_SECRET, --managed-identity, --workload-identity or --azure-cli"
        ),
        1 => {}
        _ => anyhow::bail!(
            "more than one credential: give only one of GRAPH_TOKEN (--token), --tenant, --managed-identity, --workload-identity and --azure-cli"
        ),
    }
    let provider = if let Some(token) = &flags.token {
        return Ok(GraphCredential::Token(token.clone()));
    } else if let Some(tenant) = &flags.tenant {
        let secret = std::env::var("AZURE_CLIENT_SECRET").map_err(|_| {
            anyhow::anyhow!("--tenant needs the app's client secret in AZURE_CLIENT_SECRET")
        })?;
        azure::client_secret(flags.cloud, tenant, &flags.app_id, secret)
    } else if let Some(client_id) = &flags.managed_identity {
        let client_id = (!client_id.is_empty()).then(|| client_id.clone());
        azure::managed_identity(client_id)?
    } else if flags.workload_identity {
        azure::workload_identity(flags.cloud)
    } else {
        azure::azure_cli()
    };
    Ok(GraphCredential::Provider(Arc::new(provider)))
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
    let credential = credential(&flags)?;
    let cloud = flags.cloud;
    let config = BotConfig {
        graph_url: flags
            .graph_url
            .unwrap_or_else(|| cloud.graph_url(GraphVersion::Beta)),
        app_id: flags.app_id,
        jwks: flags
            .jwks
            .unwrap_or_else(|| cloud.notification_keys_url().to_owned()),
        reason,
        callback_uri: flags.callback_uri,
        record: flags.record,
        credential,
        cloud,
        shutdown_grace: Duration::from_secs(flags.shutdown_grace),
        handling_delay: Duration::from_millis(flags.handling_delay_ms),
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
