//! A local simulator of Microsoft Graph's calls API for bot developers without access to the
//! service: it places incoming calls, delivers `commsNotifications` signed as Graph signs them, and
//! answers reject as `call-reject` documents (ring window, `Call not found`, answered calls).
//!
//! Deliveries look like Graph's: its headers, one message id per delivery through its retries,
//! redirects followed only to allowed targets, and optionally the legacy first notification. On
//! request it sends what else reaches a calling bot (roster updates, operation results, any raw
//! notification) and injects faults (duplicates, out-of-order and delayed deliveries). It can
//! throttle reject (`429` or `503` with `Retry-After`, see [`Throttle`]). Terminated calls are freed
//! after a retention period.
//!
//! Start it in-process with [`MockGraph::start`] on an ephemeral port, or run the `mock-graph`
//! binary; [`RunningMockGraph::shutdown`] stops it gracefully. It is built only on the public API of
//! the generated crate `msgraph-calls`.

mod control;
mod delivery;
mod service;
mod state;
mod stats;
mod throttle;
mod tokens;
mod triggers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use msgraph_calls::runtime::mock::SigningKey;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use state::{CallState, DeliveryRecord, Protocol};
pub use throttle::{RetryAfterForm, Throttle};
pub use tokens::RENEWAL_MARGIN;

/// The bot's application id when none is given: the target application of the documented incoming
/// call.
pub const DEFAULT_APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";

/// The path prefixes Microsoft Graph serves its versions under; the Graph API is served under each
/// of them as well as at the root.
pub const VERSION_PREFIXES: [&str; 2] = ["/beta", "/v1.0"];

/// The tenant notifications are sent for when no other is given.
pub const DEFAULT_TENANT_ID: &str = "aa67bd4c-8475-432d-bd41-39f255720e0a";

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// The bot's application id: the audience of every notification token.
    pub app_id: String,
    /// The tenant notifications are sent for, unless a placed call names another.
    pub tenant_id: String,
    /// How long an incoming call rings before it times out (15 s in the service).
    pub ring_timeout: Duration,
    /// Accept `http://` callback URLs on loopback hosts. For local development only.
    pub allow_http_callbacks: bool,
    /// How many times a failed delivery is tried in all.
    pub delivery_attempts: u32,
    /// The wait before the first retry; it doubles with every retry.
    pub retry_backoff: Duration,
    /// How long one delivery attempt may take.
    pub delivery_timeout: Duration,
    /// Send the first notification of every call in the legacy format of the calling platform
    /// (`resource`, `subscriptionId`, `subscriptionExpirationDateTime`, no `resourceUrl`); a bot that
    /// answers it with `204 No Content` gets it again in the Graph protocol, as a new delivery.
    pub legacy_first_notification: bool,
    /// Faults injected into deliveries, to test a bot's tolerance. None by default.
    pub faults: Faults,
    /// Reject requests answered `429` or `503`, to test a bot's retries. None by default.
    pub throttle: Throttle,
    /// How long [`RunningMockGraph::shutdown`] waits for requests and deliveries under way.
    pub shutdown_grace: Duration,
    /// How long a terminated call is kept (for `GET /_sim/calls/{id}`) before it is freed; a call
    /// with deliveries still under way is kept until they finish.
    pub retention: Duration,
    /// The bearer token reject requires, as Graph requires a valid access token; with `None`, any
    /// non-empty bearer token is accepted.
    pub access_token: Option<String>,
    /// How long a notification token is valid (1 hour, as Entra ID's app tokens by default). A
    /// tenant's token is reused by every delivery until [`RENEWAL_MARGIN`] before it expires; with a
    /// lifetime no longer than that margin, every attempt gets a new one.
    pub token_lifetime: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.to_owned(),
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            ring_timeout: Duration::from_secs(15),
            allow_http_callbacks: false,
            delivery_attempts: 4,
            retry_backoff: Duration::from_millis(200),
            delivery_timeout: Duration::from_secs(5),
            legacy_first_notification: false,
            faults: Faults::default(),
            throttle: Throttle::default(),
            shutdown_grace: Duration::from_secs(10),
            retention: Duration::from_secs(300),
            access_token: None,
            token_lifetime: Duration::from_secs(60 * 60),
        }
    }
}

/// The longest delay or hold a fault may add to a delivery.
pub const MAX_FAULT_DELAY: Duration = Duration::from_secs(60);

/// Faults the simulator injects into its deliveries, as real traffic has them. Deliveries are
/// counted across all calls (a legacy notification's resend and a duplicate do not count), and a
/// fault that applies to "every Nth" delivery applies to the Nth, the 2Nth, and so on.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Every Nth delivery is sent twice, under the same message id, the second right after the
    /// first; 0 for never.
    pub duplicate_every: u32,
    /// Every Nth delivery is held back and sent after the call's next notification, or after
    /// `hold` if none comes by then; 0 for never. A call holds back one delivery at a time.
    pub reorder_every: u32,
    /// The longest a held-back delivery waits for the call's next notification (at most
    /// [`MAX_FAULT_DELAY`]).
    pub hold: Duration,
    /// An extra wait before every delivery (at most [`MAX_FAULT_DELAY`]); a call's later
    /// notifications wait behind it.
    pub delay: Duration,
    /// Up to this much more extra wait, at random (at most [`MAX_FAULT_DELAY`]).
    pub jitter: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            duplicate_every: 0,
            reorder_every: 0,
            hold: Duration::from_secs(2),
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
        }
    }
}

impl Faults {
    /// Refuses waits beyond [`MAX_FAULT_DELAY`].
    fn check(&self) -> anyhow::Result<()> {
        for (name, wait) in [
            ("hold", self.hold),
            ("delay", self.delay),
            ("jitter", self.jitter),
        ] {
            anyhow::ensure!(
                wait <= MAX_FAULT_DELAY,
                "the fault {name} of {wait:?} is longer than {MAX_FAULT_DELAY:?}"
            );
        }
        Ok(())
    }
}

/// The simulator's shared state.
pub(crate) struct Sim {
    pub(crate) config: Config,
    pub(crate) key: SigningKey,
    /// The tokens deliveries carry, one per tenant while it lasts.
    pub(crate) tokens: tokens::Tokens,
    pub(crate) calls: state::Calls,
    /// Calls placed and rejected since the start, for load runs.
    pub(crate) stats: stats::Stats,
    pub(crate) http: reqwest::Client,
    /// The `subscriptionId` of legacy notifications: the bot's calling registration.
    pub(crate) subscription_id: String,
    /// How many deliveries were queued, for the faults.
    pub(crate) queued: AtomicU64,
    /// Bounds the delivery attempts under way (`delivery::MAX_ATTEMPTS_IN_FLIGHT`).
    pub(crate) attempts_in_flight: tokio::sync::Semaphore,
    /// The tasks that send deliveries, or hold them back.
    pub(crate) tasks: TaskTracker,
    /// Cancelled when the simulator shuts down.
    pub(crate) stopping: CancellationToken,
    /// Reject answered `429` or `503`.
    pub(crate) throttling: throttle::Throttling,
}

impl Sim {
    /// The token for a delivery to the bot in `tenant_id`.
    pub(crate) fn token(&self, tenant_id: &str) -> Result<String, String> {
        self.tokens.get(
            &self.key,
            &self.config.app_id,
            tenant_id,
            self.config.token_lifetime,
        )
    }

    /// Frees the terminated call `id` once the retention period has passed and nothing is left to
    /// send for it. The wait does not keep a stopped simulator alive.
    pub(crate) fn free_later(self: &Arc<Self>, id: String) {
        let sim = Arc::downgrade(self);
        let retention = self.config.retention;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(retention).await;
                let Some(sim) = sim.upgrade() else {
                    return;
                };
                let sending = sim.calls.with(|calls| match calls.get(&id) {
                    Some(call) if call.state == CallState::Terminated => {
                        if !call.queue.idle() {
                            return true;
                        }
                        calls.remove(&id);
                        // After a burst, the table gives back what it no longer needs.
                        if calls.capacity() > 64 && calls.len() < calls.capacity() / 4 {
                            calls.shrink_to_fit();
                        }
                        tracing::debug!(call_id = %id, "terminated call freed");
                        false
                    }
                    _ => false,
                });
                if !sending {
                    return;
                }
            }
        });
    }
}

/// A simulator, ready to be served.
#[derive(Clone)]
pub struct MockGraph {
    sim: Arc<Sim>,
}

/// A simulator serving on a local port.
pub struct RunningMockGraph {
    /// `http://ADDR`, the base URL of both the Graph API and the control API.
    pub base_url: String,
    /// The address it listens on.
    pub address: SocketAddr,
    /// The simulator.
    pub graph: MockGraph,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningMockGraph {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

impl RunningMockGraph {
    /// Shuts down gracefully: stops accepting connections, answers the requests under way, and
    /// finishes the deliveries already queued (retries and held-back ones included, the latter sent
    /// at once), all within [`Config::shutdown_grace`]. Returns how many delivery tasks were still
    /// running when the grace period ran out, or 0.
    pub async fn shutdown(mut self) -> usize {
        let sim = &self.graph.sim;
        let deadline = tokio::time::Instant::now() + sim.config.shutdown_grace;
        sim.stopping.cancel();
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout_at(deadline, &mut server)
                .await
                .is_err()
        {
            tracing::warn!("requests still under way after the grace period");
            server.abort();
        }
        sim.tasks.close();
        match tokio::time::timeout_at(deadline, sim.tasks.wait()).await {
            Ok(()) => 0,
            Err(_) => sim.tasks.len(),
        }
    }
}

impl MockGraph {
    /// A simulator with a freshly generated signing key.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        config.faults.check()?;
        config.throttle.check().map_err(anyhow::Error::msg)?;
        let throttling = throttle::Throttling::new(config.throttle.clone());
        let key = SigningKey::generate(format!("mock-graph-{}", uuid::Uuid::new_v4()))
            .map_err(anyhow::Error::msg)?;
        let http = reqwest::Client::builder()
            .timeout(config.delivery_timeout)
            .redirect(delivery::redirect_policy(config.allow_http_callbacks))
            .build()?;
        Ok(Self {
            sim: Arc::new(Sim {
                config,
                key,
                tokens: tokens::Tokens::default(),
                calls: state::Calls::default(),
                stats: stats::Stats::default(),
                http,
                subscription_id: uuid::Uuid::new_v4().to_string(),
                queued: AtomicU64::new(0),
                attempts_in_flight: tokio::sync::Semaphore::new(delivery::MAX_ATTEMPTS_IN_FLIGHT),
                tasks: TaskTracker::new(),
                stopping: CancellationToken::new(),
                throttling,
            }),
        })
    }

    /// The routes: the Graph API (`/communications/calls/{id}/reject`, `/app/calls/{id}/reject`),
    /// throttled as configured, at the root and under Graph's version prefixes ([`VERSION_PREFIXES`])
    /// so that a base URL taken from the description's server works; and the control API under
    /// `/_sim`.
    pub fn router(&self) -> axum::Router {
        let throttled =
            axum::middleware::from_fn_with_state(self.sim.clone(), throttle::middleware);
        let graph = service::router(self.sim.clone()).layer(throttled);
        let routes = control::router(self.sim.clone())
            .merge(triggers::router(self.sim.clone()))
            .merge(throttle::router(self.sim.clone()))
            .merge(graph.clone());
        VERSION_PREFIXES
            .iter()
            .fold(routes, |routes, prefix| routes.nest(prefix, graph.clone()))
    }

    /// How many calls the simulator holds: every call placed, less the terminated ones freed.
    pub fn calls_held(&self) -> usize {
        self.sim.calls.with(|calls| calls.len())
    }

    /// The public keys notifications are signed with, as a JWKS document.
    pub fn jwks(&self) -> serde_json::Value {
        SigningKey::jwks([&self.sim.key])
    }

    /// Serves on `address` (port 0 for an ephemeral one).
    pub async fn start(config: Config, address: SocketAddr) -> anyhow::Result<RunningMockGraph> {
        let graph = Self::new(config)?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {address}: {err}"))?;
        let address = listener.local_addr()?;
        let router = graph.router();
        let stopping = graph.sim.stopping.clone().cancelled_owned();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, router).with_graceful_shutdown(stopping);
            if let Err(err) = serving.await {
                tracing::error!(error = %err, "the simulator stopped serving");
            }
        });
        tracing::info!(%address, "mock Graph listening");
        Ok(RunningMockGraph {
            base_url: format!("http://{address}"),
            address,
            graph,
            server: Some(server),
        })
    }

    /// Serves on an ephemeral port of 127.0.0.1.
    pub async fn start_local(config: Config) -> anyhow::Result<RunningMockGraph> {
        Self::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }
}
