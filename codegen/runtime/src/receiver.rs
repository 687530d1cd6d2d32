//! The bot side's receiver: serves the webhook and callback paths, authenticates each delivery,
//! reads its body, answers at once, and hands the typed notifications to the handler on a task.

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize as _;
use serde::de::DeserializeOwned;

use super::auth::{GraphClaims, InboundAuth};
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

/// Authenticates and parses one delivery, answers, then dispatches its notifications, in order,
/// on a spawned task.
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
    let bytes = match read_json_bytes(&parts.headers, body, receiver.body_limit).await {
        Ok(bytes) => bytes,
        Err(err) => return err.into_response(),
    };
    let notifications = match notifications_of::<D>(&bytes) {
        Ok(notifications) => notifications,
        Err(err) => return err.into_response(),
    };
    let delivery = Delivery {
        route,
        path: parts.uri.path().to_owned(),
        claims,
        headers: parts.headers,
    };
    let dispatch = receiver.dispatch.clone();
    tokio::spawn(async move {
        for notification in notifications {
            match notification {
                Incoming::Typed(notification) => dispatch.dispatch(&delivery, notification).await,
                Incoming::Unreadable(value, problem) => {
                    dispatch
                        .dispatch_unreadable(&delivery, value, problem)
                        .await
                }
            }
        }
    });
    status.into_response()
}
