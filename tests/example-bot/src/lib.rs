//! A calling bot built on the generated crate `msgraph-calls`, as a downstream user writes one: it
//! receives call notifications through the generated receiver (tokens checked against Graph's
//! keys), and rejects every incoming call through the generated client. It serves with the
//! runtime's `serve`, so a shutdown answers the requests in flight and handles every notification
//! it acknowledged before it ends.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::runtime::resource::ResourcePath;
use msgraph_calls::runtime::serve::{self, Shutdown, TaskTracker};
use msgraph_calls::types::{
    CommsNotification, CommsNotificationResourceData, RejectReason, RejectRequestBody,
};
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use msgraph_calls::{Client, Cloud, TokenProvider};

/// The path of the bot's calling webhook.
pub const WEBHOOK_PATH: &str = "/api/calls";

/// How long a shutdown waits for requests in flight and for the handling of acknowledged
/// notifications, unless configured: 20 seconds.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// How the bot runs.
#[derive(Clone, Debug)]
pub struct BotConfig {
    /// The base URL of Microsoft Graph (or of a simulator).
    pub graph_url: String,
    /// The bot's application id: the audience its notification tokens must carry.
    pub app_id: String,
    /// Where Graph's signing keys are: a JWKS URL (or OpenID configuration URL), or a file.
    pub jwks: String,
    /// The reason every call is rejected with.
    pub reason: RejectReason,
    /// A per-call callback URL to send with every reject; its path is served too.
    pub callback_uri: Option<String>,
    /// A file that gets each accepted notification, one JSON object per line.
    pub record: Option<PathBuf>,
    /// Where the bot's tokens for Graph come from.
    pub credential: GraphCredential,
    /// The cloud the bot runs in: the issuers of its notification tokens, and the scope of its
    /// tokens for Graph.
    pub cloud: Cloud,
    /// How long a shutdown waits for requests in flight and for the handling of acknowledged
    /// notifications (see [`DEFAULT_SHUTDOWN_GRACE`]).
    pub shutdown_grace: Duration,
    /// A wait at the start of handling every incoming call, before the reject: a slow handler,
    /// for soak runs. Zero normally.
    pub handling_delay: Duration,
}

/// Where the bot's tokens for Graph come from.
#[derive(Clone)]
pub enum GraphCredential {
    /// The same bearer token for every call, whatever its tenant.
    Token(String),
    /// A provider asked for a token for the tenant of each call (such as
    /// `runtime::azure::client_secret`).
    Provider(Arc<dyn TokenProvider>),
}

impl std::fmt::Debug for GraphCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(redacted)"),
            Self::Provider(_) => f.write_str("Provider"),
        }
    }
}

/// A shared provider, as the client builder takes one.
struct Shared(Arc<dyn TokenProvider>);

impl TokenProvider for Shared {
    fn token(
        &self,
        request: msgraph_calls::TokenRequest,
    ) -> msgraph_calls::runtime::client::TokenFuture<'_> {
        self.0.token(request)
    }
}

/// A bot serving on a local port. Dropping it stops it at once; [`RunningBot::shutdown`] stops it
/// gracefully.
pub struct RunningBot {
    /// `http://ADDR`.
    pub base_url: String,
    /// The address it listens on.
    pub address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<Shutdown>,
    record: Option<Arc<Mutex<std::fs::File>>>,
}

impl RunningBot {
    /// The URL of the calling webhook.
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url)
    }

    /// Stops accepting connections, answers the requests in flight, handles every notification
    /// already acknowledged, all within the shutdown grace period, then writes the record file
    /// through to disk. Says how the shutdown ended.
    pub async fn shutdown(mut self) -> anyhow::Result<Shutdown> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let ended = (&mut self.server)
            .await
            .map_err(|err| anyhow::anyhow!("the bot's server task failed: {err}"))?;
        if let Some(record) = &self.record {
            record
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .sync_all()
                .map_err(|err| anyhow::anyhow!("cannot write the record file to disk: {err}"))?;
        }
        Ok(ended)
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct RejectingBot {
    client: Client,
    reason: RejectReason,
    callback_uri: Option<String>,
    record: Option<Arc<Mutex<std::fs::File>>>,
    handling_delay: Duration,
}

/// The tenant a notification comes from: the verified `tid` of its token, else (authentication
/// off) the call's own `tenantId`.
fn tenant_id<'a>(delivery: &'a Delivery, notification: &'a CommsNotification) -> Option<&'a str> {
    delivery.tenant_id().or(match &notification.resource_data {
        Some(CommsNotificationResourceData::Call(call)) => call.tenant_id.as_deref(),
        _ => None,
    })
}

/// The call id a notification is about, from `resourceUrl`, or the call's `@odata.id` or `id`.
fn call_id(notification: &CommsNotification) -> Option<String> {
    if let Some(path) = notification.resource_path() {
        return Some(path.call_id().to_owned());
    }
    let Some(CommsNotificationResourceData::Call(call)) = &notification.resource_data else {
        return None;
    };
    call.additional_properties
        .get("@odata.id")
        .and_then(|v| v.as_str())
        .and_then(ResourcePath::parse)
        .map(|path| path.call_id().to_owned())
        .or_else(|| call.id.clone())
}

impl RejectingBot {
    fn accept(&self, change: &str, notification: &CommsNotification) {
        tracing::info!(
            call_id = call_id(notification).as_deref().unwrap_or("?"),
            change,
            "notification"
        );
        self.record(notification);
    }

    /// Appends `notification` to the record, as one line of JSON.
    fn record(&self, notification: &impl serde::Serialize) {
        let Some(record) = &self.record else { return };
        match serde_json::to_string(notification) {
            Ok(line) => {
                let mut file = record.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(err) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                    tracing::error!(error = %err, "cannot record a notification");
                }
            }
            Err(err) => tracing::error!(error = %err, "cannot serialize a notification"),
        }
    }
}

impl CommsNotificationsHandler for RejectingBot {
    async fn created(&self, delivery: &Delivery, notification: CommsNotification) {
        self.accept("created", &notification);
        // A roster or an operation that appeared is no incoming call.
        if let Some(resource) = &notification.resource_data
            && !matches!(resource, CommsNotificationResourceData::Call(_))
        {
            return;
        }
        let Some(id) = call_id(&notification) else {
            tracing::warn!("an incoming call without an id; cannot reject it");
            return;
        };
        if !self.handling_delay.is_zero() {
            tokio::time::sleep(self.handling_delay).await;
        }
        if delivery.is_incoming_call() && !delivery.mark_decided() {
            tracing::warn!(call_id = %id, "decided already, past the deadline's margin");
            return;
        }
        let body = RejectRequestBody {
            reason: Some(self.reason.clone()),
            callback_uri: self.callback_uri.clone(),
            ..Default::default()
        };
        // A token for the tenant the call came from: one bot serves many tenants.
        let client = match tenant_id(delivery, &notification) {
            Some(tenant) => self.client.for_tenant(tenant),
            None => self.client.clone(),
        };
        // Within the call's window: no retry is started that could not end before it.
        let client = client.with_deadline(delivery.deadline());
        match client.reject(&id, &body).await {
            Ok(response) => {
                tracing::info!(call_id = %id, reason = %self.reason, status = response.status().as_u16(), "rejected")
            }
            Err(err) if err.may_have_succeeded() => {
                tracing::info!(call_id = %id, error = %err, "rejected (a retry found the call gone)")
            }
            Err(err) => tracing::warn!(
                call_id = %id,
                client_request_id = err.client_request_id(),
                request_id = err.request_id(),
                deadline_exceeded = err.is_deadline_exceeded(),
                error = %err,
                "reject failed"
            ),
        }
    }

    async fn updated(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.accept("updated", &notification);
    }

    async fn deleted(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.accept("deleted", &notification);
    }

    async fn other_change(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.accept("other", &notification);
    }

    async fn unreadable_notification(
        &self,
        _delivery: &Delivery,
        notification: serde_json::Value,
        problem: String,
    ) {
        tracing::warn!(%problem, "a notification that does not fit the types; recorded as it came");
        self.record(&notification);
    }
}

/// Starts the bot on `address` (port 0 for an ephemeral one).
pub async fn start(config: BotConfig, address: SocketAddr) -> anyhow::Result<RunningBot> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {address}: {err}"))?;
    serve(config, listener).await
}

/// Starts the bot on a bound listener (so a caller can know the port before it builds a callback
/// URL).
pub async fn serve(
    config: BotConfig,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<RunningBot> {
    let builder = Client::builder()
        .base_url(&config.graph_url)
        .cloud(config.cloud);
    let client = match &config.credential {
        GraphCredential::Token(token) => builder.bearer_token(token.clone()),
        GraphCredential::Provider(provider) => builder.token_provider(Shared(provider.clone())),
    }
    .build();
    let record = match &config.record {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| {
                    anyhow::anyhow!("cannot open the record file {}: {err}", path.display())
                })?,
        ))),
        None => None,
    };
    let auth = InboundAuth::jwt(
        JwtSettings::new(config.app_id.clone(), KeySource::parse(&config.jwks))
            .with_issuers(config.cloud.notification_issuers().iter().copied()),
    );
    let bot = RejectingBot {
        client,
        reason: config.reason.clone(),
        callback_uri: config.callback_uri.clone(),
        record: record.clone(),
        handling_delay: config.handling_delay,
    };
    let tracker = TaskTracker::new();
    let mut receiver = CommsNotificationsReceiver::new(bot, auth)
        .webhook_path(WEBHOOK_PATH)
        .task_tracker(tracker.clone());
    if let Some(callback) = &config.callback_uri {
        let path = url::Url::parse(callback)
            .map_err(|err| anyhow::anyhow!("--callback-uri is not a URL: {err}"))?
            .path()
            .to_owned();
        if path != WEBHOOK_PATH {
            receiver = receiver.callback_path(path);
        }
    }
    let address = listener.local_addr()?;
    let router = receiver.into_router();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        serve::Builder::new()
            .grace_period(config.shutdown_grace)
            .task_tracker(tracker)
            .serve(listener, router, async move {
                let _ = stopped.await;
            }),
    );
    tracing::info!(%address, "bot listening");
    Ok(RunningBot {
        base_url: format!("http://{address}"),
        address,
        stop: Some(stop),
        server,
        record,
    })
}
