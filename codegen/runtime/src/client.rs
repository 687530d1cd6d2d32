//! How a generated client is built and authenticated: a builder with the spec's default base
//! URL, a bearer token from a static string or an async provider, and a request hook that sends
//! exactly the documented headers.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::Error;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};

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

/// The state the generated `Client` carries: how it authenticates.
#[derive(Clone, Default)]
pub struct ClientState {
    token: TokenSource,
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
            .finish()
    }
}

impl ClientState {
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

    /// Uses a configured `reqwest::Client` (timeouts, proxies, TLS roots).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client.
    pub fn build(self) -> C {
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

    /// The client for `base_url` (without a trailing `/`), sending requests through `http`.
    fn from_parts(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;
}

/// Prepares a request before it is sent, as the generated client's request hook: it carries
/// exactly the documented headers (the base URL names the version, and every response the API
/// documents is JSON or empty) and the bearer token.
#[doc(hidden)]
pub async fn prepare_request<E>(
    state: &ClientState,
    request: &mut reqwest::Request,
) -> Result<(), Error<E>> {
    request.headers_mut().remove("api-version");
    request.headers_mut().remove(ACCEPT);
    if let Some(authorization) = state.authorization().await.map_err(Error::Custom)? {
        request.headers_mut().insert(AUTHORIZATION, authorization);
    }
    Ok(())
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
