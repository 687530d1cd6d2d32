//! Tokens that expire, cached per tenant and scope: [`CachedTokenProvider`] asks a credential for
//! a token once, uses it until shortly before it expires, and refreshes it once for however many
//! requests want it at the same time (single flight). A failure is a [`CredentialError`] that names
//! the credential, the tenant and the reason; the requests that waited for that fetch share it, and
//! none of them is sent.
//!
//! With the feature `azure-identity`, the Azure SDK's credentials plug in (`azure` beside this).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::client::{TokenError, TokenFuture, TokenProvider, TokenRequest};

/// How long before it expires a cached token is refreshed, unless configured: 5 minutes, or half
/// the token's lifetime when that is shorter.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// An access token and when it expires, as a credential gives it.
#[derive(Clone)]
pub struct ExpiringToken {
    /// The access token, without the `Bearer ` prefix.
    pub secret: String,
    /// When it expires.
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for ExpiringToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpiringToken")
            .field("secret", &"(redacted)")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A credential gave no token: which credential, for which tenant and scope, and why (the
/// credential's own error is the [`std::error::Error::source`]).
#[derive(Clone, Debug)]
pub struct CredentialError {
    credential: Arc<str>,
    request: TokenRequest,
    source: Arc<TokenError>,
}

impl CredentialError {
    /// The error of `credential` asked for `request`.
    pub fn new(credential: impl Into<Arc<str>>, request: TokenRequest, source: TokenError) -> Self {
        Self {
            credential: credential.into(),
            request,
            source: Arc::new(source),
        }
    }

    /// The name of the credential that failed, such as `ClientSecretCredential`.
    pub fn credential(&self) -> &str {
        &self.credential
    }

    /// The tenant the token was asked for, if the request named one.
    pub fn tenant_id(&self) -> Option<&str> {
        self.request.tenant_id()
    }

    /// The scope the token was asked for.
    pub fn scope(&self) -> &str {
        self.request.scope()
    }

    /// Why: the credential's own error.
    pub fn reason(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &**self.source
    }
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the credential {} gave no token", self.credential)?;
        if let Some(tenant) = self.tenant_id() {
            write!(f, " for tenant {tenant}")?;
        }
        write!(f, " (scope {}): {}", self.scope(), self.source)?;
        let mut cause = self.source.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&**self.source)
    }
}

/// What a [`CachedTokenProvider`] fetches with.
type Fetch = dyn Fn(TokenRequest) -> Pin<Box<dyn Future<Output = Result<ExpiringToken, TokenError>> + Send>>
    + Send
    + Sync;

/// A token in the cache.
#[derive(Clone)]
struct Cached {
    secret: String,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The cache of one tenant and scope.
#[derive(Default)]
struct Slot {
    cached: Mutex<Option<Cached>>,
    /// Held by the one fetch under way; holds the failure of the last fetch, if it failed, for the
    /// requests that waited for it.
    fetching: tokio::sync::Mutex<Option<CredentialError>>,
    /// How many fetches have ended.
    fetches: AtomicU64,
}

impl Slot {
    fn cached(&self) -> Option<Cached> {
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// A [`TokenProvider`] that caches a credential's tokens per tenant and scope until shortly before
/// they expire ([`REFRESH_MARGIN`]) and fetches at most once at a time for each: concurrent
/// requests wait for the one fetch and share its token or its failure. While a token is being
/// refreshed ahead of its expiry, other requests go on using it.
pub struct CachedTokenProvider {
    name: Arc<str>,
    fetch: Box<Fetch>,
    margin: Duration,
    slots: Mutex<HashMap<TokenRequest, Arc<Slot>>>,
}

impl std::fmt::Debug for CachedTokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTokenProvider")
            .field("credential", &self.name)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl CachedTokenProvider {
    /// Caches the tokens `fetch` gives; `credential` names it in errors.
    pub fn new<F, Fut>(credential: impl Into<Arc<str>>, fetch: F) -> Self
    where
        F: Fn(TokenRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ExpiringToken, TokenError>> + Send + 'static,
    {
        Self {
            name: credential.into(),
            fetch: Box::new(move |request| Box::pin(fetch(request))),
            margin: REFRESH_MARGIN,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// How long before expiry a token is refreshed (by default [`REFRESH_MARGIN`]).
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The name of the credential.
    pub fn credential(&self) -> &str {
        &self.name
    }

    fn slot(&self, request: &TokenRequest) -> Arc<Slot> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots.entry(request.clone()).or_default().clone()
    }

    /// A token for `request`: the cached one while it is fresh, else one fetched (once for every
    /// request that wants it meanwhile).
    pub async fn get(&self, request: TokenRequest) -> Result<String, CredentialError> {
        let slot = self.slot(&request);
        let seen = slot.fetches.load(Ordering::Acquire);
        if let Some(cached) = slot.cached() {
            let now = Instant::now();
            if now < cached.refresh_at {
                return Ok(cached.secret);
            }
            if now < cached.expires_at {
                // Still valid: refresh it unless another request already is, and keep using it
                // if the refresh fails.
                return match slot.fetching.try_lock() {
                    Ok(mut guard) => Ok(self
                        .fetch_into(&slot, &mut guard, request)
                        .await
                        .unwrap_or(cached.secret)),
                    Err(_) => Ok(cached.secret),
                };
            }
        }
        let mut guard = slot.fetching.lock().await;
        if slot.fetches.load(Ordering::Acquire) != seen {
            // A fetch ended while this request waited: share its outcome.
            if let Some(failure) = guard.as_ref() {
                return Err(failure.clone());
            }
            if let Some(cached) = slot.cached()
                && Instant::now() < cached.expires_at
            {
                return Ok(cached.secret);
            }
        }
        self.fetch_into(&slot, &mut guard, request).await
    }

    /// Fetches a token into `slot`, whose fetch lock `failure` is.
    async fn fetch_into(
        &self,
        slot: &Slot,
        failure: &mut Option<CredentialError>,
        request: TokenRequest,
    ) -> Result<String, CredentialError> {
        let fetched = (self.fetch)(request.clone()).await;
        let outcome = match fetched {
            Ok(token) => {
                let now = Instant::now();
                let lifetime = token
                    .expires_at
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO);
                let expires_at = now + lifetime;
                let refresh_at = expires_at - self.margin.min(lifetime / 2);
                *slot
                    .cached
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Cached {
                    secret: token.secret.clone(),
                    refresh_at,
                    expires_at,
                });
                *failure = None;
                Ok(token.secret)
            }
            Err(err) => {
                let err = CredentialError::new(self.name.clone(), request, err);
                *failure = Some(err.clone());
                Err(err)
            }
        };
        slot.fetches.fetch_add(1, Ordering::Release);
        outcome
    }
}

impl TokenProvider for CachedTokenProvider {
    fn token(&self, request: TokenRequest) -> TokenFuture<'_> {
        Box::pin(async move { self.get(request).await.map_err(TokenError::from) })
    }
}
