//! The bot side's receiver: serves the webhook and callback paths, authenticates each delivery,
//! reads its body, answers at once, and hands the typed notifications to the handler on tasks, in
//! the order of each call.

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use tokio_util::task::TaskTracker;

use super::auth::{GraphClaims, InboundAuth};
use super::calls::{CallQueues, Job, call_id};
pub use super::duplicates::{
    DeliveryId, DeliveryStore, MESSAGE_ID_HEADER, MemoryDeliveryStore, StoreFuture,
};
use super::http::{
    GraphError, json_error, method_not_allowed, read_json_bytes, status_code, unknown_route,
};

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

/// How one accepted notification request arrived.
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
}

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

/// One notification of an accepted delivery.
enum Incoming<N> {
    /// It fits the types.
    Typed(N),
    /// It is JSON that does not fit the types: the value as it came, and why.
    Unreadable(serde_json::Value, String),
}

/// The notifications of a body. A body that parses into the types is the fast path; a body that is
/// JSON of another shape is read notification by notification, so that one notification that does
/// not fit never costs the others, and nothing authenticated is refused for its shape. Only a body
/// that is not JSON is refused (`400`).
fn notifications_of<D: Dispatch>(
    bytes: &[u8],
) -> Result<Vec<Incoming<D::Notification>>, GraphError> {
    let shape_error = match serde_json::from_slice::<D::Body>(bytes) {
        Ok(body) => {
            return Ok(D::notifications(body)
                .into_iter()
                .map(Incoming::Typed)
                .collect());
        }
        Err(err) if err.is_data() => err,
        Err(err) => return Err(json_error(&err)),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| json_error(&err))?;
    let items = match value {
        serde_json::Value::Object(mut body) => match body.remove("value") {
            Some(serde_json::Value::Array(items)) => items,
            Some(serde_json::Value::Null) | None => Vec::new(),
            Some(other) => {
                body.insert("value".to_owned(), other);
                let problem = format!("the body does not fit the types: {shape_error}");
                return Ok(vec![Incoming::Unreadable(
                    serde_json::Value::Object(body),
                    problem,
                )]);
            }
        },
        other => {
            let problem = format!("the body does not fit the types: {shape_error}");
            return Ok(vec![Incoming::Unreadable(other, problem)]);
        }
    };
    Ok(items
        .into_iter()
        .map(|item| match D::Notification::deserialize(&item) {
            Ok(notification) => Incoming::Typed(notification),
            Err(err) => Incoming::Unreadable(item, err.to_string()),
        })
        .collect())
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
/// `/app/calls/{id}...`); a notification without one runs on its own. A delivery the sender sends
/// again is answered as the first was, and the handler sees it once (see [`DeliveryStore`]). Every
/// task runs on a
/// [`TaskTracker`] (see [`Receiver::task_tracker`]), so a server can wait for them when it shuts
/// down.
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

    /// Spawns every task of the receiver (the handler's, and the workers that keep each call's
    /// notifications in order) on `tracker`, so that a server shutting down can close it and wait
    /// for them. Without it, the receiver uses a tracker of its own.
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

/// The call a notification is about, from its `resourceUrl`.
fn call_of<D: Dispatch>(notification: &Incoming<D::Notification>) -> Option<String> {
    let resource_url = match notification {
        Incoming::Typed(notification) => D::resource_url(notification),
        Incoming::Unreadable(value, _) => value.get("resourceUrl").and_then(|url| url.as_str()),
    };
    resource_url.and_then(call_id).map(str::to_owned)
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
    let delivery = Arc::new(Delivery {
        route,
        path: parts.uri.path().to_owned(),
        claims,
        headers: parts.headers,
    });
    for (notification, slot) in notifications.into_iter().zip(slots) {
        let call = call_of::<D>(&notification);
        let dispatch = receiver.dispatch.clone();
        let delivery = delivery.clone();
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
