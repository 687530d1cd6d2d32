//! The bot side's receiver: serves the webhook and callback paths, authenticates each delivery,
//! reads its body, answers at once, and hands the typed notifications to the handler on a task.

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tokio_util::task::TaskTracker;

use super::auth::{GraphClaims, InboundAuth};
use super::http::{DEFAULT_BODY_LIMIT, method_not_allowed, read_json, status_code, unknown_route};

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

/// A generated handler trait, seen from the receiver: the body it takes and how a delivery is
/// handed to it.
pub trait Dispatch: Send + Sync + 'static {
    /// The implementation of the generated handler trait.
    type Handler;
    /// The body of a delivery.
    type Body: DeserializeOwned + Send + 'static;
    /// The status a delivery is answered with once it is accepted: a success status.
    const STATUS: u16;
    /// The path served when none was configured.
    const DEFAULT_PATH: &'static str;

    /// Wraps the handler.
    fn new(handler: Self::Handler) -> Self;

    /// Hands one accepted delivery to the handler.
    fn dispatch(&self, delivery: Delivery, body: Self::Body) -> impl Future<Output = ()> + Send;
}

/// Receives deliveries for a handler: checks the token ([`InboundAuth`]; `401`/`403`), the content
/// type (`415`), the size (`413`) and the body (`400`), answers, then calls the handler on a spawned
/// task, so a slow handler never holds the sender's request open.
///
/// Each generated handler trait has an alias of this type, such as `CommsNotificationsReceiver`.
pub struct Receiver<D> {
    dispatch: Arc<D>,
    auth: InboundAuth,
    webhook_paths: Vec<String>,
    callback_paths: Vec<String>,
    body_limit: usize,
    tracker: Option<TaskTracker>,
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
            body_limit: DEFAULT_BODY_LIMIT,
            tracker: None,
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

    /// The largest body accepted, in bytes (by default 64 KiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Spawns the handler's tasks on `tracker` instead of on the runtime directly, so that a graceful
    /// shutdown can wait for every accepted delivery to be handled (see `serve`).
    pub fn task_tracker(mut self, tracker: TaskTracker) -> Self {
        self.tracker = Some(tracker);
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
        let shared = Arc::new(self);
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

/// Authenticates and parses one delivery, answers, then dispatches on a spawned task.
async fn receive<D: Dispatch>(
    receiver: Arc<Receiver<D>>,
    route: DeliveryRoute,
    status: StatusCode,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let claims = match receiver.auth.check(&parts.headers).await {
        Ok(claims) => claims,
        Err(err) => return err.into_response(),
    };
    let payload: D::Body = match read_json(&parts.headers, body, receiver.body_limit).await {
        Ok(payload) => payload,
        Err(err) => return err.into_response(),
    };
    let delivery = Delivery {
        route,
        path: parts.uri.path().to_owned(),
        claims,
        headers: parts.headers,
    };
    let dispatch = receiver.dispatch.clone();
    let handle = async move {
        dispatch.dispatch(delivery, payload).await;
    };
    match &receiver.tracker {
        Some(tracker) => drop(tracker.spawn(handle)),
        None => drop(tokio::spawn(handle)),
    }
    status.into_response()
}
