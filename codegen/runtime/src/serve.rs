//! Serving a router on a real network, and stopping cleanly: HTTP/1.1 connections that send no
//! complete request head in time, or sit idle, are closed; the number of open connections is bounded;
//! and on shutdown the server stops accepting, lets requests in flight finish, then waits for the
//! background work of a [`TaskTracker`] (such as the receiver's handler tasks), all within a grace
//! period.
//!
//! Build a [`Builder`], give the same [`TaskTracker`] to it and to the receiver
//! (`Receiver::task_tracker`), and serve until [`shutdown_signal`] (SIGTERM or SIGINT); the
//! [`Shutdown`] it returns says whether everything finished within the grace period.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
pub use tokio_util::task::TaskTracker;

/// How long a connection may take to send a complete request head: from when it is accepted, or
/// from its first byte after an idle spell. 10 seconds.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a keep-alive connection may stay open with no request in flight. 60 seconds.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many connections may be open at once. 1,024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The largest request head (request line and headers) accepted, in bytes; over it, `431`. 64 KiB.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 64 * 1024;

/// How long a shutdown waits for requests in flight and background work. 20 seconds.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(20);

/// How long the accept loop waits after an error that is not about one connection (such as too many
/// open files) before it accepts again.
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

/// How a server ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Shutdown {
    /// Every request in flight was answered and every tracked task finished.
    Complete,
    /// The grace period ran out. The `connections` still open were closed; the `tasks` still
    /// running are left to the runtime, which cancels them when it shuts down.
    GraceExpired {
        /// Connections still serving a request when the grace period ran out.
        connections: usize,
        /// Tracked tasks still running when the grace period ran out.
        tasks: usize,
    },
}

/// Serves an [`axum::Router`] over HTTP/1.1 with timeouts, a connection bound and graceful shutdown.
///
/// - A connection that sends no complete request head within the header timeout is closed, whether
///   it sends nothing or one byte at a time; so is a keep-alive connection with no request in flight
///   for the idle timeout. While a request is in flight neither applies (request bodies have their
///   own deadline, [`BODY_READ_TIMEOUT`](super::BODY_READ_TIMEOUT)).
/// - At most `max_connections` connections are open at once. Over the bound, new connections wait
///   in the listener's backlog (the operating system's queue of connections not yet accepted) until
///   one closes; once the backlog is full, the operating system refuses them.
/// - Request heads over `max_header_size` bytes are answered `431`.
/// - When the shutdown future completes, the listener is closed, idle connections are closed, each
///   request in flight is answered and its connection closed, and then the tasks of the
///   [`TaskTracker`] are awaited; all of it within the grace period.
#[derive(Clone, Debug)]
pub struct Builder {
    limits: Limits,
    max_connections: usize,
    grace_period: Duration,
    tracker: TaskTracker,
}

/// What each connection is held to.
#[derive(Clone, Copy, Debug)]
struct Limits {
    header_timeout: Duration,
    idle_timeout: Duration,
    max_header_size: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            limits: Limits {
                header_timeout: DEFAULT_HEADER_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_header_size: DEFAULT_MAX_HEADER_SIZE,
            },
            max_connections: DEFAULT_MAX_CONNECTIONS,
            grace_period: DEFAULT_GRACE_PERIOD,
            tracker: TaskTracker::new(),
        }
    }
}

impl Builder {
    /// A server with the defaults: header timeout 10 s, idle timeout 60 s, 1,024 connections,
    /// request heads up to 64 KiB, grace period 20 s, and a tracker of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a connection may take to send a complete request head (by default 10 seconds).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// How long a keep-alive connection may stay open with no request in flight (by default 60
    /// seconds).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// How many connections may be open at once (by default 1,024; at least 1).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// The largest request head accepted, in bytes (by default 64 KiB); larger ones get `431`.
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.limits.max_header_size = bytes;
        self
    }

    /// How long a shutdown waits for requests in flight and tracked tasks (by default 20 seconds).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
        self
    }

    /// The tracker whose tasks a shutdown waits for, such as the one given to the receiver's
    /// `task_tracker`. The server closes it when it shuts down.
    pub fn task_tracker(mut self, tracker: TaskTracker) -> Self {
        self.tracker = tracker;
        self
    }

    /// Serves `router` on `listener` until `shutdown` completes, then shuts down gracefully and
    /// says how that ended.
    pub async fn serve<F>(
        self,
        listener: TcpListener,
        router: axum::Router,
        shutdown: F,
    ) -> Shutdown
    where
        F: Future<Output = ()> + Send,
    {
        let permits = Arc::new(Semaphore::new(
            self.max_connections.clamp(1, Semaphore::MAX_PERMITS),
        ));
        let connections = TaskTracker::new();
        let stop = Stop::default();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                biased;
                () = shutdown.as_mut() => break,
                permit = permits.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else { break };
            let stream = tokio::select! {
                biased;
                () = shutdown.as_mut() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) if is_connection_error(&err) => continue,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot accept connections; trying again in a second");
                        tokio::select! {
                            biased;
                            () = shutdown.as_mut() => break,
                            () = tokio::time::sleep(ACCEPT_RETRY) => continue,
                        }
                    }
                },
            };
            // Answers are small; send them without waiting to fill a segment.
            let _ = stream.set_nodelay(true);
            connections.spawn(connection(
                stream,
                router.clone(),
                self.limits,
                stop.clone(),
                permit,
            ));
        }
        drop(listener);
        tracing::info!(
            connections = connections.len(),
            tasks = self.tracker.len(),
            "shutting down: no new connections; finishing requests in flight and background work"
        );
        let deadline = Instant::now() + self.grace_period;
        stop.drain.cancel();
        connections.close();
        let connections_done = tokio::time::timeout_at(deadline, connections.wait())
            .await
            .is_ok();
        self.tracker.close();
        let tasks_done = tokio::time::timeout_at(deadline, self.tracker.wait())
            .await
            .is_ok();
        if connections_done && tasks_done {
            Shutdown::Complete
        } else {
            let ended = Shutdown::GraceExpired {
                connections: connections.len(),
                tasks: self.tracker.len(),
            };
            stop.abort.cancel();
            ended
        }
    }
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C; only Ctrl-C where there are no Unix
/// signals). The handlers are installed when this is called, so a signal that arrives before the
/// future is first awaited is not lost; from then on these signals no longer end the process at
/// once. Call it within a Tokio runtime.
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// Whether an accept error concerns only the connection being accepted.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// What the accept loop tells the connections when it shuts down.
#[derive(Clone, Default)]
struct Stop {
    /// Finish the request in flight, if any, then close.
    drain: CancellationToken,
    /// Close now: the grace period ran out.
    abort: CancellationToken,
}

/// Serves one connection, closing it when a timeout of its current phase runs out.
async fn connection(
    stream: TcpStream,
    router: axum::Router,
    limits: Limits,
    stop: Stop,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let routes = TowerToHyperService::new(router);
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let guard = InFlight::start(requests.clone());
        let response = hyper::service::Service::call(&routes, request);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody {
                body,
                _in_flight: guard,
            }))
        }
    });
    // hyper's own header timer also runs while a keep-alive connection waits idle, so it cannot give
    // the two phases different timeouts; the loop below times both.
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(None)
        .max_header_size(limits.max_header_size);
    let mut conn = std::pin::pin!(http.serve_connection(io, service));
    let mut draining = false;
    loop {
        let deadline = activity.deadline(&limits);
        let changed = activity.changed.notified();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "a connection ended with an error");
                }
                return;
            }
            () = sleep_until(deadline) => {
                if activity.deadline(&limits).is_some_and(|at| at <= Instant::now()) {
                    tracing::debug!("closing a connection that sent no request in time");
                    return;
                }
            }
            () = changed => {}
            () = stop.drain.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = stop.abort.cancelled() => return,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between requests.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for a request head since `since`: the connection was accepted then, or sent its first
    /// byte after an idle spell then.
    Head { since: Instant },
    /// This many requests are in flight.
    Busy(usize),
    /// No request in flight since `since`, and no byte since.
    Idle { since: Instant },
}

/// A connection's phase, updated by its reads and its requests, watched by its task.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Head {
                since: Instant::now(),
            }),
            changed: Notify::new(),
        }
    }

    fn update(&self, next: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = next(*phase);
        drop(phase);
        self.changed.notify_one();
    }

    /// Bytes arrived: after an idle spell, they begin a request head.
    fn read(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::Head {
                since: Instant::now(),
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// When the connection is to be closed, unless its phase changes first.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match *self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Head { since } => Some(since + limits.header_timeout),
            Phase::Busy(_) => None,
            Phase::Idle { since } => Some(since + limits.idle_timeout),
        }
    }
}

/// One request in flight, from its complete head until its response body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.update(|phase| match phase {
            Phase::Busy(n) => Phase::Busy(n.saturating_add(1)),
            Phase::Head { .. } | Phase::Idle { .. } => Phase::Busy(1),
        });
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|phase| match phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle {
                since: Instant::now(),
            },
        });
    }
}

/// A response body that keeps its request in flight until it is written or dropped.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A TCP stream that reports its reads to the connection's [`Activity`].
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
