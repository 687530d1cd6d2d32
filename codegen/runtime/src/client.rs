//! How a generated client is built and authenticated: a builder with the spec's default base
//! URL, a bearer token from a static string or an async provider, a retry policy and per-call
//! options (deadline, `client-request-id`), and the request hooks: one that sends exactly the
//! documented headers with the correlation ids, one that sends with retries (`retry`).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use progenitor_client::Error;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};

use super::retry::RetryPolicy;

/// A failure to obtain a bearer token.
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// Supplies bearer tokens, for example from a cache refreshed through the OAuth client-credentials
/// flow. Called before every request.
pub trait TokenProvider: Send + Sync {
    /// The current access token, without the `Bearer ` prefix.
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<String, TokenError>> + Send + '_>>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<String, TokenError>> + Send + 'static,
{
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<String, TokenError>> + Send + '_>> {
        Box::pin(self())
    }
}

/// Where the client's bearer token comes from.
#[derive(Clone, Default)]
enum TokenSource {
    /// Requests carry no `Authorization` header.
    #[default]
    None,
    /// The same token on every request.
    Static(Arc<str>),
    /// A fresh token from a provider on every request.
    Provider(Arc<dyn TokenProvider>),
}

/// Settings of the calls made through one client value: set per call with the generated
/// client's `with_deadline` and `with_client_request_id`, which return a copy of the client.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    deadline: Option<Instant>,
    client_request_id: Option<Arc<str>>,
}

impl CallOptions {
    /// No attempt starts, and no retry waits, past this instant; each attempt's timeout ends at it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets the deadline.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    /// The `client-request-id` sent instead of a fresh UUID.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// Sends `id` as the `client-request-id` (on every retry too).
    pub fn set_client_request_id(&mut self, id: impl Into<Arc<str>>) {
        self.client_request_id = Some(id.into());
    }
}

/// The `User-Agent` of a client made without a builder: this crate's name and version.
const DEFAULT_USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// The state the generated `Client` carries: how it authenticates, retries and identifies
/// itself, and the options of its calls.
#[derive(Clone)]
pub struct ClientState {
    token: TokenSource,
    retry: RetryPolicy,
    user_agent: &'static str,
    options: CallOptions,
}

impl Default for ClientState {
    fn default() -> Self {
        Self {
            token: TokenSource::None,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT,
            options: CallOptions::default(),
        }
    }
}

impl std::fmt::Debug for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = match &self.token {
            TokenSource::None => "none",
            TokenSource::Static(_) => "static (redacted)",
            TokenSource::Provider(_) => "provider",
        };
        f.debug_struct("ClientState")
            .field("token", &token)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("options", &self.options)
            .finish()
    }
}

impl ClientState {
    /// The options of the calls made with this state.
    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// The options, to change for the calls of one copy of a client.
    pub fn options_mut(&mut self) -> &mut CallOptions {
        &mut self.options
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    async fn authorization(&self) -> Result<Option<HeaderValue>, String> {
        let token = match &self.token {
            TokenSource::None => return Ok(None),
            TokenSource::Static(token) => token.to_string(),
            TokenSource::Provider(provider) => provider
                .token()
                .await
                .map_err(|err| format!("the token provider failed: {err}"))?,
        };
        let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            "the bearer token contains characters not allowed in a header".to_owned()
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }
}

/// Builds a generated client: `Client::builder().bearer_token(token).build()`.
pub struct ClientBuilder<C> {
    base_url: Option<String>,
    state: ClientState,
    http: Option<reqwest::Client>,
    client: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("state", &self.state)
            .field("http", &self.http)
            .finish()
    }
}

impl<C: GeneratedClient> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            base_url: None,
            state: ClientState::default(),
            http: None,
            client: PhantomData,
        }
    }
}

impl<C: GeneratedClient> ClientBuilder<C> {
    /// A builder for a client of the API at the description's first server URL.
    pub fn new() -> Self {
        Self::default()
    }

    /// The base URL requests go to; by default the description's first server URL.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sends `Authorization: Bearer {token}` with every request.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.state.token = TokenSource::Static(Arc::from(token.into()));
        self
    }

    /// Asks `provider` for a token before every request.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.state.token = TokenSource::Provider(Arc::new(provider));
        self
    }

    /// Retries as `policy` says; by default three retries (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.state.retry = policy;
        self
    }

    /// At most `retries` retries after the first attempt (3 by default; 0 sends every request
    /// once).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.state.retry = self.state.retry.max_retries(retries);
        self
    }

    /// Uses a configured `reqwest::Client` (timeouts, proxies, TLS roots).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client.
    pub fn build(mut self) -> C {
        self.state.user_agent = C::USER_AGENT;
        let base_url = self.base_url.as_deref().unwrap_or(C::DEFAULT_BASE_URL);
        C::from_parts(
            base_url.trim_end_matches('/'),
            self.http.unwrap_or_default(),
            self.state,
        )
    }
}

/// A client written by the generator: how [`ClientBuilder`] makes one.
pub trait GeneratedClient: Sized {
    /// The base URL of the API: the description's first server URL.
    const DEFAULT_BASE_URL: &'static str;

    /// The `User-Agent` requests carry: the generated crate's name and version.
    const USER_AGENT: &'static str;

    /// The client for `base_url` (without a trailing `/`), sending requests through `http`.
    fn from_parts(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;
}

/// Prepares a request before it is sent, as the generated client's request hook: it carries
/// exactly the documented headers (the base URL names the version, and every response the API
/// documents is JSON or empty), the bearer token, the call's `client-request-id` and the
/// `User-Agent` (unless the request names one; it takes the place of a `reqwest::Client`'s
/// default).
#[doc(hidden)]
pub async fn prepare_request<E>(
    state: &ClientState,
    request: &mut reqwest::Request,
) -> Result<(), Error<E>> {
    let headers = request.headers_mut();
    headers.remove("api-version");
    headers.remove(ACCEPT);
    let record = super::call::current();
    // An operation with a `client-request-id` header parameter sends the caller's value.
    if let Some(own) = headers.get("client-request-id") {
        if let (Some(record), Ok(own)) = (&record, own.to_str()) {
            record.sent_own_id(own);
        }
    } else {
        let id = match &record {
            Some(record) => HeaderValue::try_from(record.client_request_id()),
            None => match state.options.client_request_id() {
                Some(id) => HeaderValue::try_from(id),
                None => HeaderValue::try_from(uuid::Uuid::new_v4().to_string()),
            },
        }
        .map_err(|_| {
            Error::Custom("the client-request-id is not a valid header value".to_owned())
        })?;
        headers.insert("client-request-id", id);
    }
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(state.user_agent));
    }
    if let Some(authorization) = state.authorization().await.map_err(Error::Custom)? {
        request.headers_mut().insert(AUTHORIZATION, authorization);
    }
    Ok(())
}

/// Sends a prepared request, as the generated client's `exec` hook: with the retries the client's
/// policy allows and the call's deadline leaves time for.
#[doc(hidden)]
pub async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
    operation_id: &str,
) -> reqwest::Result<reqwest::Response> {
    let record = super::call::current();
    tracing::Span::current().record("method", request.method().as_str());
    super::retry::send(
        http,
        &state.retry,
        state.options.deadline,
        record.as_deref(),
        request,
        operation_id,
    )
    .await
}

/// Rewrites the query string of a request as the API's parameters are written (see `query`):
/// names and values percent-encoded, and the items of each parameter in `comma_lists` sent as one
/// comma-separated value (`$select=id,state`) rather than as repeated keys.
#[doc(hidden)]
pub fn encode_query(request: &mut reqwest::Request, comma_lists: &[&str]) {
    let Some(form) = request.url().query() else {
        return;
    };
    let query = super::query::rewrite(form, comma_lists);
    let query = (!query.is_empty()).then_some(query);
    request.url_mut().set_query(query.as_deref());
}
