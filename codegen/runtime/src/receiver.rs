//! The bot side's receiver: serves the webhook and callback paths, authenticates each delivery,
//! reads its body, answers at once, and hands the typed notifications to the handler on tasks, in
//! the order of each call.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tokio_util::task::TaskTracker;

use super::auth::{GraphClaims, InboundAuth};
use super::calls::{CallQueues, Job};
pub use super::decision::DECISION_WINDOW;
use super::decision::{Decision, Fallback};
pub use super::duplicates::{
    DeliveryId, DeliveryStore, MESSAGE_ID_HEADER, MemoryDeliveryStore, StoreFuture,
};
use super::http::{GraphError, method_not_allowed, read_json_bytes, status_code, unknown_route};
use super::notifications::{Incoming, call_of, is_legacy, notifications_of};

/// The receiver's default limit on a delivery's body: 4 MiB. Deliveries are larger than the
/// requests the Graph side serves: a batch of notifications, or the roster of a large meeting.
pub const DELIVERY_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Which kind of URL a notification was posted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryRoute {
    /// The bot's calling webhook, configured at registration.
    Webhook,
    /// A per-call callback URL the bot named in a request, such as reject's `callbackUri`.
    Callback,
}

/// How one accepted notification arrived: the request that carried it, when, and for an incoming
/// call, the deadline to answer or reject it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The kind of URL it was posted to.
    pub route: DeliveryRoute,
    /// The request path.
    pub path: String,
    /// What the token established; `None` when authentication is disabled.
    pub claims: Option<GraphClaims>,
    /// The request headers (such as `X-Microsoft-Skype-Chain-ID`).
    pub headers: HeaderMap,
    received_at: Instant,
    deadline: Instant,
    call_id: Option<String>,
    incoming_call: Option<Arc<Decision>>,
}

impl Delivery {
    /// A delivery received now on `route` at `path`, without claims, headers or call, for tests
    /// of a handler; the receiver makes the deliveries its handler is given.
    pub fn new(route: DeliveryRoute, path: impl Into<String>) -> Self {
        let received_at = Instant::now();
        Self {
            route,
            path: path.into(),
            claims: None,
            headers: HeaderMap::new(),
            received_at,
            deadline: received_at + DECISION_WINDOW,
            call_id: None,
            incoming_call: None,
        }
    }

    /// When the receiver received the request.
    pub fn received_at(&self) -> Instant {
        self.received_at
    }

    /// By when an incoming call must be answered or rejected: the receiver's decision window (by
    /// default [`DECISION_WINDOW`], 15 seconds) after [`Self::received_at`].
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How long is left until [`Self::deadline`]; zero once it has passed.
    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The tenant the notification comes from: the `tid` of its verified token, so a multi-tenant
    /// bot answers each call with a token for that tenant (`Client::for_tenant`). `None` when
    /// authentication is disabled: nothing is verified then, and a bot that must still pick a
    /// tenant reads the call's own `tenantId` from the notification, unverified.
    pub fn tenant_id(&self) -> Option<&str> {
        self.claims.as_ref().map(|claims| claims.tenant_id.as_str())
    }

    /// The id of the call the notification is about, from its `resourceUrl`
    /// (`/communications/calls/{id}...` or `/app/calls/{id}...`).
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// Whether the notification is an incoming call, to be answered or rejected by
    /// [`Self::deadline`].
    pub fn is_incoming_call(&self) -> bool {
        self.incoming_call.is_some()
    }

    /// Claims the decision on the incoming call for the handler, before it answers or rejects the
    /// call, so that the receiver's fallback (`Receiver::fallback_decision`) does not run. `false`
    /// if the fallback already took the decision: the handler should then leave the call alone.
    /// `true` for a notification that is no incoming call.
    pub fn mark_decided(&self) -> bool {
        self.incoming_call
            .as_ref()
            .is_none_or(|decision| decision.claim())
    }
}

/// What a redirect hook ([`Receiver::redirect_with`]) sees of a delivery: it is authenticated and
/// its body read, and nothing else has happened.
#[derive(Debug)]
#[non_exhaustive]
pub struct DeliveryRequest<'a> {
    /// The kind of URL it was posted to.
    pub route: DeliveryRoute,
    /// The request path.
    pub path: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// What the token established; `None` when authentication is disabled.
    pub claims: Option<&'a GraphClaims>,
    /// The body, as it came.
    pub body: &'a [u8],
}

/// A redirect hook: where to send a delivery instead, if anywhere.
type Redirect = dyn Fn(&DeliveryRequest<'_>) -> Option<Uri> + Send + Sync;

/// A generated handler trait, seen from the receiver: the body it takes, how that body holds its
/// notifications, and how one notification is handed to the trait.
pub trait Dispatch: Send + Sync + 'static {
    /// The implementation of the generated handler trait.
    type Handler;
    /// The body of a delivery.
    type Body: DeserializeOwned + Send + 'static;
    /// One notification of a body.
    type Notification: DeserializeOwned + Send + 'static;
    /// The status a delivery is answered with once it is accepted: a success status.
    const STATUS: u16;
    /// The path served when none was configured.
    const DEFAULT_PATH: &'static str;

    /// Wraps the handler.
    fn new(handler: Self::Handler) -> Self;

    /// The notifications of a body, in the order they came.
    fn notifications(body: Self::Body) -> Vec<Self::Notification>;

    /// Where a notification's resource is (its `resourceUrl`), if it says.
    fn resource_url(notification: &Self::Notification) -> Option<&str>;

    /// Whether a notification is an incoming call, which the bot must answer or reject within the
    /// decision window. None is, unless the generated code says.
    fn incoming_call(notification: &Self::Notification) -> bool {
        let _ = notification;
        false
    }

    /// Hands one notification to the handler.
    fn dispatch(
        &self,
        delivery: &Delivery,
        notification: Self::Notification,
    ) -> impl Future<Output = ()> + Send;

    /// Hands the handler a notification that is JSON but does not fit the types, as it came, with
    /// why it does not fit.
    fn dispatch_unreadable(
        &self,
        delivery: &Delivery,
        notification: serde_json::Value,
        problem: String,
    ) -> impl Future<Output = ()> + Send;
}

/// The default limit on the notifications a receiver has accepted but not yet handled: 10 000.
pub const DEFAULT_QUEUE_LIMIT: usize = 10_000;

/// Receives deliveries for a handler: checks the token ([`InboundAuth`]; `401`/`403`), the content
/// type (`415`), the size (`413`) and the body (`400`), answers, then hands the notifications to the
/// handler on tasks of their own, so a slow handler never holds the sender's request open.
///
/// The notifications of one call reach the handler one at a time, in the order they were received;
/// those of different calls run in parallel, so a slow handler of one call never delays another.
/// The call is the `{id}` of the notification's `resourceUrl` (`/communications/calls/{id}...` or
/// `/app/calls/{id}...`); a notification without one runs on its own. Every task runs on a
/// [`TaskTracker`] (see [`Receiver::task_tracker`]), so a server can wait for them when it shuts
/// down.
///
/// A delivery the sender sends again is answered as the first was, and the handler sees it once
/// (see [`DeliveryStore`]). A first notification in the legacy format is answered `204 No Content`,
/// as Teams asks, and the handler is told nothing; a hook may send deliveries to another deployment
/// ([`Receiver::redirect_with`]).
///
/// A delivery tells the handler how long it has left to answer or reject an incoming call
/// ([`Delivery::time_left`]), and [`Receiver::fallback_decision`] decides the calls it leaves
/// undecided.
///
/// Each generated handler trait has an alias of this type, such as `CommsNotificationsReceiver`.
pub struct Receiver<D> {
    dispatch: Arc<D>,
    auth: InboundAuth,
    webhook_paths: Vec<String>,
    callback_paths: Vec<String>,
    body_limit: usize,
    queue_limit: usize,
    tracker: TaskTracker,
    store: Arc<dyn DeliveryStore>,
    decision_window: Duration,
    fallback: Option<Fallback>,
    redirect: Option<Arc<Redirect>>,
}

impl<D: Dispatch> Receiver<D> {
    /// A receiver for `handler`, authenticating deliveries with `auth`. Until paths are added, it
    /// serves the webhook at the path the generator was configured with (by default `/api/calls`).
    pub fn new(handler: D::Handler, auth: InboundAuth) -> Self {
        Self {
            dispatch: Arc::new(D::new(handler)),
            auth,
            webhook_paths: Vec::new(),
            callback_paths: Vec::new(),
            body_limit: DELIVERY_BODY_LIMIT,
            queue_limit: DEFAULT_QUEUE_LIMIT,
            tracker: TaskTracker::new(),
            store: Arc::new(MemoryDeliveryStore::default()),
            decision_window: DECISION_WINDOW,
            fallback: None,
            redirect: None,
        }
    }

    /// Serves the bot's calling webhook at `path` (such as `/api/calls`).
    pub fn webhook_path(mut self, path: impl Into<String>) -> Self {
        self.webhook_paths.push(path.into());
        self
    }

    /// Serves a per-call callback URL at `path` (the path of a `callbackUri` the bot sends).
    pub fn callback_path(mut self, path: impl Into<String>) -> Self {
        self.callback_paths.push(path.into());
        self
    }

    /// The largest body accepted, in bytes (by default [`DELIVERY_BODY_LIMIT`], 4 MiB); a larger one
    /// is answered `413` with a Graph-style error body.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The most notifications accepted but not yet handled (by default [`DEFAULT_QUEUE_LIMIT`]). A
    /// delivery that would take them over it is answered `503` with `Retry-After`, and none of its
    /// notifications is accepted.
    pub fn queue_limit(mut self, notifications: usize) -> Self {
        self.queue_limit = notifications;
        self
    }

    /// Where the deliveries already accepted are remembered, so that one sent again reaches the
    /// handler once (by default a [`MemoryDeliveryStore`] of this receiver's own). Receivers of
    /// several instances of a bot share deliveries sent again to another instance only through a
    /// store they share.
    pub fn delivery_store(mut self, store: impl DeliveryStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// How long after receipt an incoming call may be answered or rejected (by default
    /// [`DECISION_WINDOW`], Graph's 15 seconds; at most a day): what [`Delivery::deadline`] counts.
    pub fn decision_window(mut self, window: Duration) -> Self {
        self.decision_window = window.min(Duration::from_secs(24 * 60 * 60));
        self
    }

    /// Decides the incoming calls the handler leaves undecided: if the handler has not called
    /// [`Delivery::mark_decided`] by `margin` before the deadline, the receiver calls `decide`
    /// with the call's id, once, on a task of its own (such as one that rejects the call through
    /// the generated client). It runs even when the handler is still busy, or queued behind the
    /// call's earlier notifications; a notification without a call id has no fallback.
    pub fn fallback_decision<F, Fut>(mut self, margin: Duration, decide: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.fallback = Some(Fallback {
            margin,
            decide: Arc::new(move |call| Box::pin(decide(call))),
        });
        self
    }

    /// Sends deliveries to another deployment, for region affinity: `hook` sees each delivery once
    /// it is authenticated and its body read, before anything else, and a delivery for which it
    /// names a URL is answered `307 Temporary Redirect` with that `Location` (the sender posts it
    /// there, body and all) and not handled here.
    pub fn redirect_with<F>(mut self, hook: F) -> Self
    where
        F: Fn(&DeliveryRequest<'_>) -> Option<Uri> + Send + Sync + 'static,
    {
        self.redirect = Some(Arc::new(hook));
        self
    }

    /// Spawns every task of the receiver (the handler's, the workers that keep each call's
    /// notifications in order, and the fallback decisions) on `tracker`, so that a server shutting
    /// down can close it and wait for them. Without it, the receiver uses a tracker of its own.
    pub fn task_tracker(mut self, tracker: TaskTracker) -> Self {
        self.tracker = tracker;
        self
    }

    /// The routes, with Graph-style answers for unknown paths and methods.
    pub fn into_router(mut self) -> axum::Router {
        if self.webhook_paths.is_empty() && self.callback_paths.is_empty() {
            self.webhook_paths.push(D::DEFAULT_PATH.to_owned());
        }
        let routes: Vec<(String, DeliveryRoute)> = self
            .webhook_paths
            .iter()
            .map(|path| (path.clone(), DeliveryRoute::Webhook))
            .chain(
                self.callback_paths
                    .iter()
                    .map(|path| (path.clone(), DeliveryRoute::Callback)),
            )
            .collect();
        let status = status_code(D::STATUS);
        let queues = CallQueues::new(self.queue_limit, self.tracker.clone());
        let shared = Arc::new(Shared {
            receiver: self,
            queues,
        });
        let mut router = axum::Router::new();
        for (path, route) in routes {
            let shared = shared.clone();
            router = router.route(
                &path,
                axum::routing::post(move |request: axum::extract::Request| {
                    receive(shared.clone(), route, status, request)
                }),
            );
        }
        router
            .fallback(unknown_route)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::extract::DefaultBodyLimit::disable())
    }
}

/// A receiver serving its routes, and the queues of its calls.
struct Shared<D> {
    receiver: Receiver<D>,
    queues: Arc<CallQueues>,
}

/// `307 Temporary Redirect` to `location`.
fn redirect_to(location: &Uri) -> Response {
    match HeaderValue::try_from(location.to_string()) {
        Ok(value) => (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, value)]).into_response(),
        Err(err) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("the redirect location cannot be sent as a header: {err}"),
        )
        .into_response(),
    }
}

/// The answer to a delivery that would take the notifications not yet handled over the limit.
fn too_busy(limit: usize) -> Response {
    let mut response = GraphError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        format!(
            "the receiver holds {limit} notifications not yet handled, its limit; send the delivery again later"
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Authenticates and parses one delivery, answers, then queues its notifications (unless the
/// delivery was accepted before), each behind those of its call received before it.
async fn receive<D: Dispatch>(
    shared: Arc<Shared<D>>,
    route: DeliveryRoute,
    status: StatusCode,
    request: axum::extract::Request,
) -> Response {
    let received_at = Instant::now();
    let receiver = &shared.receiver;
    let (parts, body) = request.into_parts();
    let claims = match receiver.auth.check(&parts.headers).await {
        Ok(claims) => claims,
        Err(err) => return err.into_response(),
    };
    let bytes = match read_json_bytes(&parts.headers, body, receiver.body_limit).await {
        Ok(bytes) => bytes,
        Err(err) => return err.into_response(),
    };
    if let Some(hook) = &receiver.redirect {
        let request = DeliveryRequest {
            route,
            path: parts.uri.path(),
            headers: &parts.headers,
            claims: claims.as_ref(),
            body: &bytes,
        };
        if let Some(location) = hook(&request) {
            return redirect_to(&location);
        }
    }
    if is_legacy(&bytes) {
        tracing::debug!("a notification in the legacy format; answered 204 to have it in Graph's");
        return StatusCode::NO_CONTENT.into_response();
    }
    let notifications = match notifications_of::<D>(&bytes) {
        Ok(notifications) => notifications,
        Err(err) => return err.into_response(),
    };
    let Some(slots) = shared.queues.reserve(notifications.len()) else {
        return too_busy(receiver.queue_limit);
    };
    if !notifications.is_empty() {
        let id = DeliveryId::of(&parts.headers, &bytes);
        if !receiver.store.insert(&id).await {
            tracing::debug!(delivery = %id.to_key(), "a delivery sent again, handled before");
            return status.into_response();
        }
    }
    let mut request = Some(Delivery {
        route,
        path: parts.uri.path().to_owned(),
        claims,
        headers: parts.headers,
        received_at,
        deadline: received_at + receiver.decision_window,
        call_id: None,
        incoming_call: None,
    });
    let mut notifications = notifications.into_iter().zip(slots).peekable();
    while let Some((notification, slot)) = notifications.next() {
        // Each notification gets a copy of the request's delivery; the last gets the delivery
        // itself (most deliveries carry one notification), so its headers and claims are not copied.
        let last = notifications.peek().is_none();
        let Some(mut delivery) = (if last {
            request.take()
        } else {
            request.clone()
        }) else {
            break;
        };
        let call = call_of::<D>(&notification);
        let incoming = matches!(&notification, Incoming::Typed(n) if D::incoming_call(n));
        delivery.call_id.clone_from(&call);
        if incoming {
            let decision = Arc::new(Decision::default());
            if let (Some(fallback), Some(call)) = (&receiver.fallback, &call) {
                let tracker = shared.queues.tracker();
                fallback.watch(tracker, decision.clone(), call.clone(), delivery.deadline);
            }
            delivery.incoming_call = Some(decision);
        }
        let dispatch = receiver.dispatch.clone();
        let job: Job = Box::pin(async move {
            let _slot = slot;
            match notification {
                Incoming::Typed(notification) => dispatch.dispatch(&delivery, notification).await,
                Incoming::Unreadable(value, problem) => {
                    dispatch
                        .dispatch_unreadable(&delivery, value, problem)
                        .await
                }
            }
        });
        shared.queues.push(call.as_deref(), job);
    }
    status.into_response()
}
