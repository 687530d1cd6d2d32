//! Authentication of the notifications Microsoft Graph posts to a bot, as Graph signs them: an
//! RS256 JWT in `Authorization: Bearer`, checked against a JWKS (from a URL or a file, cached and
//! refreshed, refreshed once more for an unknown `kid`), its lifetime with a clock skew of 5 minutes
//! (as Microsoft's own validation allows), its issuer, its audience (the bot's application id) and
//! its tenant claim `tid`. Tokens that mark header parameters as critical (`crit`) are refused:
//! this validator understands no extension.
//!
//! The key cache is read without locks on the request path (`ArcSwap`); only a refresh takes a lock.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::http::{HeaderMap, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::http::{GraphError, bearer_token, is_http_loopback};

/// The largest key document (JWKS or OpenID configuration) read from a URL: 1 MiB. A larger one
/// fails the fetch, and the keys already known are kept.
pub const MAX_KEY_DOCUMENT_SIZE: usize = 1024 * 1024;

/// The issuers Graph signs notifications as.
pub const GRAPH_ISSUERS: &[&str] = &[
    "https://graph.microsoft.com",
    "https://api.botframework.com",
];

/// Where the signing keys come from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A JWKS document, or an OpenID configuration whose `jwks_uri` names one, fetched over `https`
    /// (`http` only on loopback hosts, for local development), with a 10-second timeout, following
    /// no redirects, and read up to [`MAX_KEY_DOCUMENT_SIZE`].
    Url(String),
    /// A JWKS document in a file, read again at every refresh.
    File(PathBuf),
    /// A JWKS document given inline.
    Jwks(String),
}

impl KeySource {
    /// `Url` for an `http://` or `https://` location, `File` otherwise.
    pub fn parse(location: &str) -> Self {
        if location.starts_with("http://") || location.starts_with("https://") {
            Self::Url(location.to_owned())
        } else {
            Self::File(PathBuf::from(location))
        }
    }
}

/// How notification tokens are validated.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    app_id: String,
    issuers: Vec<String>,
    keys: KeySource,
    leeway: Duration,
    refresh_every: Duration,
    unknown_kid_refresh_gap: Duration,
    http: reqwest::Client,
}

impl JwtSettings {
    /// Tokens for the bot `app_id`, signed by keys from `keys`, issued by Graph.
    pub fn new(app_id: impl Into<String>, keys: KeySource) -> Self {
        Self {
            app_id: app_id.into(),
            issuers: GRAPH_ISSUERS.iter().map(|s| (*s).to_owned()).collect(),
            keys,
            leeway: Duration::from_secs(5 * 60),
            refresh_every: Duration::from_secs(2 * 60 * 60),
            unknown_kid_refresh_gap: Duration::from_secs(10),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// Tokens for the bot `app_id` as Graph signs them in `cloud`: its notification issuers, and
    /// keys from its key location (see `cloud::Cloud`).
    pub fn for_cloud(app_id: impl Into<String>, cloud: super::cloud::Cloud) -> Self {
        Self::new(
            app_id,
            KeySource::Url(cloud.notification_keys_url().to_owned()),
        )
        .with_issuers(cloud.notification_issuers().iter().copied())
    }

    /// The accepted issuers (by default [`GRAPH_ISSUERS`]).
    pub fn with_issuers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, issuers: I) -> Self {
        self.issuers = issuers.into_iter().map(Into::into).collect();
        self
    }

    /// The clock skew allowed on `exp` and `nbf` (by default 5 minutes, as Microsoft's own token
    /// validation allows).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long fetched keys are used before they are fetched again (by default 2 hours).
    pub fn with_refresh_interval(mut self, every: Duration) -> Self {
        self.refresh_every = every;
        self
    }

    /// The shortest time between two fetches caused by unknown `kid`s (by default 10 seconds), so
    /// that tokens naming random keys cannot make the bot hammer the key endpoint.
    pub fn with_unknown_kid_refresh_gap(mut self, gap: Duration) -> Self {
        self.unknown_kid_refresh_gap = gap;
        self
    }

    /// The HTTP client that fetches keys from a URL. Give it no redirect policy
    /// (`reqwest::redirect::Policy::none()`): an answer from another URL than the one asked for
    /// fails the fetch, but only after the client has followed the redirect.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
}

/// What a valid notification token says.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphClaims {
    /// The tenant (`tid`).
    pub tenant_id: String,
    /// The issuer (`iss`).
    pub issuer: String,
    /// Every claim of the token.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// The authentication of incoming notifications.
#[derive(Clone)]
pub struct InboundAuth {
    validator: Option<Arc<JwtValidator>>,
}

impl std::fmt::Debug for InboundAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.validator {
            Some(v) => f
                .debug_struct("InboundAuth")
                .field("settings", &v.settings)
                .finish(),
            None => f.write_str("InboundAuth(DISABLED)"),
        }
    }
}

impl InboundAuth {
    /// Validates every notification's token as Graph signs it.
    pub fn jwt(settings: JwtSettings) -> Self {
        let validator = JwtValidator {
            settings,
            cache: ArcSwap::from_pointee(KeyCache::default()),
            refresh: tokio::sync::Mutex::new(()),
        };
        Self {
            validator: Some(Arc::new(validator)),
        }
    }

    /// Accepts every notification without checking anything. For local development only: anyone
    /// who can reach the bot can then post it notifications.
    pub fn insecure_disabled_for_local_development_only() -> Self {
        tracing::warn!(
            "notification authentication is DISABLED; never run this way outside local development"
        );
        Self { validator: None }
    }

    /// Checks a request's token. `None` when authentication is disabled.
    pub async fn check(&self, headers: &HeaderMap) -> Result<Option<GraphClaims>, GraphError> {
        match &self.validator {
            None => Ok(None),
            Some(validator) => validator.validate(bearer_token(headers)?).await.map(Some),
        }
    }
}

#[cfg(feature = "graph-server")]
impl super::server::Authenticator for InboundAuth {
    type Identity = Option<GraphClaims>;

    async fn authenticate(&self, headers: &HeaderMap) -> Result<Self::Identity, GraphError> {
        self.check(headers).await
    }
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// When a fetch was last tried, successful or not.
    attempted_at: Option<Instant>,
    /// Why the last fetch failed, if it did.
    last_error: Option<String>,
}

struct JwtValidator {
    settings: JwtSettings,
    cache: ArcSwap<KeyCache>,
    refresh: tokio::sync::Mutex<()>,
}

impl JwtValidator {
    async fn validate(&self, token: &str) -> Result<GraphClaims, GraphError> {
        let header = jsonwebtoken::decode_header(token).map_err(|err| {
            GraphError::unauthorized(format!("the bearer token is not a well-formed JWT: {err}"))
        })?;
        if let Some(critical) = &header.crit {
            return Err(GraphError::unauthorized(format!(
                "the token header marks [{}] as critical (`crit`); notification tokens carry no critical extensions",
                critical.join(", ")
            )));
        }
        if header.alg != Algorithm::RS256 {
            return Err(GraphError::unauthorized(format!(
                "the token is signed with {:?}; notification tokens must be signed with RS256",
                header.alg
            )));
        }
        let kid = header.kid.ok_or_else(|| {
            GraphError::unauthorized("the token header names no signing key (`kid`)")
        })?;
        let key = self.key(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = self.settings.leeway.as_secs();
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &key,
            &validation,
        )
        .map_err(|err| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match err.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".to_owned(),
                ErrorKind::InvalidSignature => {
                    "the token's signature does not match the signing key".to_owned()
                }
                ErrorKind::MissingRequiredClaim(claim) => {
                    format!("the token has no `{claim}` claim")
                }
                _ => format!("the token is not valid: {err}"),
            };
            GraphError::unauthorized(why)
        })?;
        let claims = data.claims;
        let issuer = claims
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        if !self.settings.issuers.contains(&issuer) {
            return Err(GraphError::forbidden(format!(
                "the token was issued by `{issuer}`, not by {}",
                self.settings.issuers.join(" or ")
            )));
        }
        let audience_matches = match claims.get("aud") {
            Some(serde_json::Value::String(aud)) => *aud == self.settings.app_id,
            Some(serde_json::Value::Array(auds)) => auds
                .iter()
                .any(|a| a.as_str() == Some(&self.settings.app_id)),
            _ => false,
        };
        if !audience_matches {
            return Err(GraphError::forbidden(format!(
                "the token is for another audience; this bot accepts tokens for its application id `{}`",
                self.settings.app_id
            )));
        }
        let tenant_id = claims
            .get("tid")
            .and_then(|v| v.as_str())
            .filter(|tid| !tid.trim().is_empty())
            .ok_or_else(|| {
                GraphError::forbidden("the token has no tenant claim `tid`, or a blank one")
            })?
            .to_owned();
        Ok(GraphClaims {
            tenant_id,
            issuer,
            claims,
        })
    }

    /// The key for `kid`: from the cache while it is fresh; otherwise, or for an unknown `kid`, after
    /// one refresh. Fetches, successful or not, are at least the unknown-`kid` gap apart, so tokens
    /// naming random keys cannot make the bot hammer a key endpoint, working or failing.
    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, GraphError> {
        let fresh = |cache: &KeyCache| {
            cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.settings.refresh_every)
        };
        let cache = self.cache.load();
        if fresh(&cache)
            && let Some(key) = cache.keys.get(kid)
        {
            return Ok(key.clone());
        }
        let _refreshing = self.refresh.lock().await;
        let cache = self.cache.load_full();
        let known = cache.keys.get(kid).cloned();
        if let Some(key) = &known
            && fresh(&cache)
        {
            return Ok(key.clone());
        }
        let attempted_recently = cache
            .attempted_at
            .is_some_and(|at| at.elapsed() < self.settings.unknown_kid_refresh_gap);
        if attempted_recently {
            return match (known, &cache.last_error) {
                (Some(key), _) => Ok(key),
                (None, Some(err)) if cache.keys.is_empty() => Err(keys_unavailable(err)),
                (None, _) => Err(unknown_key(kid)),
            };
        }
        match self.fetch().await {
            Ok(keys) => {
                let found = keys.get(kid).cloned();
                let now = Some(Instant::now());
                self.cache.store(Arc::new(KeyCache {
                    keys,
                    fetched_at: now,
                    attempted_at: now,
                    last_error: None,
                }));
                found.ok_or_else(|| unknown_key(kid))
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot refresh the notification signing keys");
                self.cache.store(Arc::new(KeyCache {
                    keys: cache.keys.clone(),
                    fetched_at: cache.fetched_at,
                    attempted_at: Some(Instant::now()),
                    last_error: Some(err.clone()),
                }));
                known.ok_or_else(|| {
                    if cache.keys.is_empty() {
                        keys_unavailable(&err)
                    } else {
                        unknown_key(kid)
                    }
                })
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
        let text = match &self.settings.keys {
            KeySource::Jwks(text) => text.clone(),
            KeySource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?,
            KeySource::Url(url) => {
                check_key_url(url)?;
                let document = self.get_json(url).await?;
                match document.get("jwks_uri").and_then(|v| v.as_str()) {
                    Some(jwks_uri) => {
                        check_key_url(jwks_uri)?;
                        self.get_json(jwks_uri).await?.to_string()
                    }
                    None => document.to_string(),
                }
            }
        };
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&text)
            .map_err(|err| format!("the key set is not a JWKS document: {err}"))?;
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, Arc::new(key)))
            })
            .collect();
        Ok(keys)
    }

    /// Fetches a JSON document from `url` without following redirects, reading at most
    /// [`MAX_KEY_DOCUMENT_SIZE`] bytes of it.
    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        let mut response = self
            .settings
            .http
            .get(url)
            .send()
            .await
            .map_err(|err| format!("cannot fetch {url}: {err}"))?;
        let status = response.status();
        if status.is_redirection() {
            let target = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("nowhere");
            return Err(format!(
                "{url} answered {status}, redirecting to `{target}`; keys are fetched without following redirects, so configure the final URL"
            ));
        }
        if url::Url::parse(url).is_ok_and(|asked| *response.url() != asked) {
            return Err(format!(
                "{url} was redirected to {}; keys are fetched without following redirects, so configure the final URL",
                response.url()
            ));
        }
        if !status.is_success() {
            return Err(format!("cannot fetch {url}: it answered {status}"));
        }
        let too_large = || {
            format!(
                "the key document at {url} is larger than {} KiB",
                MAX_KEY_DOCUMENT_SIZE / 1024
            )
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_KEY_DOCUMENT_SIZE as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| format!("cannot read the answer of {url}: {err}"))?
        {
            if body.len().saturating_add(chunk.len()) > MAX_KEY_DOCUMENT_SIZE {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|err| format!("{url} did not answer JSON: {err}"))
    }
}

fn keys_unavailable(err: &str) -> GraphError {
    GraphError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "SigningKeysUnavailable",
        format!("the signing keys could not be loaded: {err}"),
    )
}

/// Keys must come over `https`; `http` is accepted only on loopback hosts, for local development.
fn check_key_url(url: &str) -> Result<(), String> {
    if url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        || is_http_loopback(url)
    {
        Ok(())
    } else {
        Err(format!(
            "the key URL `{url}` must be https (http is accepted only on loopback hosts)"
        ))
    }
}

fn unknown_key(kid: &str) -> GraphError {
    GraphError::unauthorized(format!(
        "the token is signed by an unknown key (`kid` `{kid}`)"
    ))
}
