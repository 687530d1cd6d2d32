//! How a generated client is built and authenticated: a builder with the spec's default base
//! URL (or a cloud and a Graph version), a bearer token from a static string or an async provider
//! asked for the request's tenant, a retry policy and per-call options (deadline,
//! `client-request-id`), and the request hooks: one that sends exactly the documented headers with
//! the correlation ids, one that sends with retries (`retry`).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use progenitor_client::Error;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};

use super::cloud::{Cloud, GraphVersion};
use super::retry::RetryPolicy;

/// A failure to obtain a bearer token.
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`TokenProvider`] returns: the access token, without the `Bearer ` prefix.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<String, TokenError>> + Send + 'a>>;

/// What a request asks a [`TokenProvider`] for: a token for `scope` (by default
/// `https://graph.microsoft.com/.default`, or the chosen cloud's Graph host), in the tenant the
/// request names (see `Client::for_tenant`), if it names one. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    tenant_id: Option<Arc<str>>,
    scope: Arc<str>,
}

impl TokenRequest {
    /// A request for a token for `scope`, in `tenant_id` if given.
    pub fn new(scope: impl Into<Arc<str>>, tenant_id: Option<Arc<str>>) -> Self {
        Self {
            tenant_id,
            scope: scope.into(),
        }
    }

    /// The tenant (directory) id the token is for; `None` when the request names none and the
    /// provider's own tenant applies.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// The scope the token is for, such as `https://graph.microsoft.com/.default`.
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

/// Supplies bearer tokens for a tenant, for example from a cache refreshed through the OAuth
/// client-credentials flow (`credential::CachedTokenProvider`). Called before every request.
///
/// A closure taking a [`TokenRequest`] is a provider:
/// `|request: TokenRequest| async move { Ok::<_, TokenError>(token_for(request.tenant_id())) }`.
pub trait TokenProvider: Send + Sync {
    /// The current access token for `request`, without the `Bearer ` prefix.
    fn token(&self, request: TokenRequest) -> TokenFuture<'_>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn(TokenRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<String, TokenError>> + Send + 'static,
{
    fn token(&self, request: TokenRequest) -> TokenFuture<'_> {
        Box::pin(self(request))
    }
}

/// Where the client's bearer token comes from.
#[derive(Clone, Default)]
enum TokenSource {
    /// Requests carry no `Authorization` header.
    #[default]
    None,
    /// The same token on every request, whatever its tenant.
    Static(Arc<str>),
    /// A token from a provider on every request, for the request's tenant.
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

/// The state the generated `Client` carries: how it authenticates and for which tenant, how it
/// retries and identifies itself, and the options of its calls.
#[derive(Clone)]
pub struct ClientState {
    token: TokenSource,
    tenant_id: Option<Arc<str>>,
    scope: Arc<str>,
    retry: RetryPolicy,
    user_agent: &'static str,
    options: CallOptions,
}

impl Default for ClientState {
    fn default() -> Self {
        Self {
            token: TokenSource::None,
            tenant_id: None,
            scope: Arc::from(Cloud::Global.graph_scope()),
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
            .field("tenant_id", &self.tenant_id)
            .field("scope", &self.scope)
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

    /// The same state, with requests for `tenant_id`: what `Client::for_tenant` carries.
    pub fn for_tenant(&self, tenant_id: impl Into<Arc<str>>) -> Self {
        Self {
            tenant_id: Some(tenant_id.into()),
            ..self.clone()
        }
    }

    /// The tenant requests are for, if the client names one.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// The scope tokens are asked for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// What the token provider is asked for.
    pub fn token_request(&self) -> TokenRequest {
        TokenRequest::new(self.scope.clone(), self.tenant_id.clone())
    }

    async fn authorization(&self) -> Result<Option<HeaderValue>, String> {
        let token = match &self.token {
            TokenSource::None => return Ok(None),
            TokenSource::Static(token) => token.to_string(),
            TokenSource::Provider(provider) => {
                provider.token(self.token_request()).await.map_err(|err| {
                    let tenant = self.tenant_id().unwrap_or("(the provider's own)");
                    let message =
                        format!("no token for tenant {tenant}, so the request was not sent: {err}");
                    // The call's error carries the provider's own, typed.
                    if let Some(record) = super::call::current() {
                        record.no_token(err);
                    }
                    message
                })?
            }
        };
        if token.trim().is_empty() {
            return Err("the bearer token is empty, so the request was not sent".to_owned());
        }
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
    cloud: Option<Cloud>,
    version: Option<GraphVersion>,
    scope: Option<String>,
    state: ClientState,
    http: Option<reqwest::Client>,
    client: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("cloud", &self.cloud)
            .field("version", &self.version)
            .field("scope", &self.scope)
            .field("state", &self.state)
            .field("http", &self.http)
            .finish()
    }
}

impl<C: GeneratedClient> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            base_url: None,
            cloud: None,
            version: None,
            scope: None,
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

    /// The base URL requests go to; by default the description's first server URL, or the
    /// chosen [`Self::cloud`] and [`Self::version`]. A custom URL takes precedence over both; its
    /// token scope is the cloud's unless [`Self::scope`] says otherwise.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The cloud Graph runs in: its Graph host for the base URL, and its token scope (by default
    /// the global service).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = Some(cloud);
        self
    }

    /// The Graph version requests go to (`v1.0` or `beta`); by default the version of the
    /// description's first server URL.
    pub fn version(mut self, version: GraphVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// The scope tokens are asked for; by default the cloud's `{graph host}/.default`.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The tenant every request is for unless `Client::for_tenant` names another; by default
    /// none, and the token provider's own tenant applies.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.state.tenant_id = Some(Arc::from(tenant_id.into()));
        self
    }

    /// Sends `Authorization: Bearer {token}` with every request, whatever its tenant.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.state.token = TokenSource::Static(Arc::from(token.into()));
        self
    }

    /// Asks `provider` for a token for the request's tenant before every request. A request whose
    /// provider fails is not sent; the error says why.
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
        let cloud = self.cloud.unwrap_or_default();
        let base_url = match (self.base_url, self.cloud, self.version) {
            (Some(url), ..) => url,
            (None, None, None) => C::DEFAULT_BASE_URL.to_owned(),
            (None, ..) => {
                let version = self
                    .version
                    .unwrap_or_else(|| version_of(C::DEFAULT_BASE_URL));
                cloud.graph_url(version)
            }
        };
        let scope = self.scope.unwrap_or_else(|| cloud.graph_scope());
        self.state.scope = Arc::from(scope);
        C::from_parts(
            base_url.trim_end_matches('/'),
            self.http.unwrap_or_default(),
            self.state,
        )
    }
}

/// The Graph version a base URL names by its last segment: `v1.0`, else `beta`.
fn version_of(base_url: &str) -> GraphVersion {
    match base_url.trim_end_matches('/').rsplit('/').next() {
        Some("v1.0") => GraphVersion::V1,
        _ => GraphVersion::Beta,
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
