//! A calling bot built on the generated crate `msgraph-calls`, as a downstream user writes one: it
//! receives call notifications through the generated receiver (tokens checked against Graph's
//! keys), and rejects every incoming call through the generated client.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use msgraph_calls::Client;
use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::runtime::resource::ResourcePath;
use msgraph_calls::types::{
    CommsNotification, CommsNotificationResourceData, RejectReason, RejectRequestBody,
};
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};

/// The path of the bot's calling webhook.
pub const WEBHOOK_PATH: &str = "/api/calls";

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
    /// The bearer token for Graph.
    pub token: String,
}

/// A bot serving on a local port.
pub struct RunningBot {
    /// `http://ADDR`.
    pub base_url: String,
    /// The address it listens on.
    pub address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl RunningBot {
    /// The URL of the calling webhook.
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url)
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
    record: Option<Mutex<std::fs::File>>,
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
    async fn created(&self, _delivery: &Delivery, notification: CommsNotification) {
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
        let body = RejectRequestBody {
            reason: Some(self.reason.clone()),
            callback_uri: self.callback_uri.clone(),
            ..Default::default()
        };
        match self.client.reject(&id, &body).await {
            Ok(response) => {
                tracing::info!(call_id = %id, reason = %self.reason, status = response.status().as_u16(), "rejected")
            }
            Err(err) => tracing::warn!(call_id = %id, error = %err, "reject failed"),
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
    let client = Client::builder()
        .base_url(&config.graph_url)
        .bearer_token(config.token.clone())
        .build();
    let record = match &config.record {
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| {
                    anyhow::anyhow!("cannot open the record file {}: {err}", path.display())
                })?,
        )),
        None => None,
    };
    let auth = InboundAuth::jwt(JwtSettings::new(
        config.app_id.clone(),
        KeySource::parse(&config.jwks),
    ));
    let bot = RejectingBot {
        client,
        reason: config.reason.clone(),
        callback_uri: config.callback_uri.clone(),
        record,
    };
    let mut receiver = CommsNotificationsReceiver::new(bot, auth).webhook_path(WEBHOOK_PATH);
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
    let server = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "the bot stopped serving");
        }
    });
    tracing::info!(%address, "bot listening");
    Ok(RunningBot {
        base_url: format!("http://{address}"),
        address,
        server,
    })
}
