//! Authentication of the notifications Microsoft Graph posts to a bot, as Graph signs them: an
//! RS256 JWT in `Authorization: Bearer`, checked against a JWKS (from a URL or a file, cached and
//! refreshed, refreshed once more for an unknown `kid`), its lifetime with a clock skew of 5 minutes
//! (as Microsoft's own validation allows), its issuer, its audience (the bot's application id) and
//! its tenant claim `tid`. Tokens that mark header parameters as critical (`crit`) are refused:
//! this validator understands no extension.
//!
//! The key cache is read without locks on the request path (`ArcSwap`); only a refresh takes a lock.
//! Each key is parsed once, when its key set is read, and a token's header and claims are decoded
//! once each.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};

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

/// A published key as tokens are checked against it: parsed once, when its key set is read.
enum VerifyingKey {
    /// An RSA key, ready to check RS256 signatures.
    Rsa(ParsedPublicKey),
    /// RSA components the crypto library refuses (such as a modulus with a leading zero): no
    /// signature matches it.
    UnusableRsa,
    /// A key of another family (elliptic curve, Edwards curve, a shared secret), which cannot check
    /// an RS256 signature.
    OtherFamily,
}

impl VerifyingKey {
    fn of(key: &DecodingKey) -> Self {
        match key.kind() {
            DecodingKeyKind::RsaModulusExponent { n, e } => RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .map_or(Self::UnusableRsa, Self::Rsa),
            DecodingKeyKind::SecretOrDer(_) => Self::OtherFamily,
        }
    }
}

/// Checks the signature of `token` (whose header is known to be well formed, naming RS256) against
/// `key`, then decodes its claims, with the errors `jsonwebtoken::decode` gives for each step.
fn verify(
    token: &str,
    key: &VerifyingKey,
) -> Result<serde_json::Map<String, serde_json::Value>, jsonwebtoken::errors::Error> {
    use jsonwebtoken::errors::ErrorKind;
    let rsa = match key {
        VerifyingKey::Rsa(rsa) => Some(rsa),
        VerifyingKey::UnusableRsa => None,
        VerifyingKey::OtherFamily => return Err(ErrorKind::InvalidKeyFormat.into()),
    };
    let (message, signature) = token.rsplit_once('.').ok_or(ErrorKind::InvalidToken)?;
    let (_, payload) = message.rsplit_once('.').ok_or(ErrorKind::InvalidToken)?;
    let signature = URL_SAFE_NO_PAD.decode(signature)?;
    if rsa.is_none_or(|rsa| rsa.verify_sig(message.as_bytes(), &signature).is_err()) {
        return Err(ErrorKind::InvalidSignature.into());
    }
    let payload = URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice(&payload)?)
}

/// A registered claim as `jsonwebtoken` reads it for validation.
enum Claim<T> {
    Absent,
    Malformed,
    Present(T),
}

/// A time claim (`exp`, `nbf`): a number of seconds, an integer or a finite non-negative number
/// (rounded); absent when missing or `null`.
fn time_claim(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> Claim<u64> {
    match claims.get(name) {
        None | Some(serde_json::Value::Null) => Claim::Absent,
        Some(serde_json::Value::Number(number)) => match (number.as_u64(), number.as_f64()) {
            (Some(seconds), _) => Claim::Present(seconds),
            (None, Some(seconds))
                if number.is_f64()
                    && seconds.is_finite()
                    && seconds >= 0.0
                    && seconds < u64::MAX as f64 =>
            {
                Claim::Present(seconds.round() as u64)
            }
            _ => Claim::Malformed,
        },
        Some(_) => Claim::Malformed,
    }
}

/// Whether a string claim (`iss`, `aud`) is present: a string or an array of strings.
fn has_string_claim(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> bool {
    match claims.get(name) {
        Some(serde_json::Value::String(_)) => true,
        Some(serde_json::Value::Array(items)) => items.iter().all(serde_json::Value::is_string),
        _ => false,
    }
}

/// The checks of `jsonwebtoken`'s validation for RS256 with `exp`, `iss` and `aud` required and
/// `nbf` validated: required claims, then the lifetime within `leeway` seconds of now.
fn check_registered_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
    leeway: u64,
) -> Result<(), GraphError> {
    let missing =
        |claim: &str| GraphError::unauthorized(format!("the token has no `{claim}` claim"));
    let Claim::Present(expires) = time_claim(claims, "exp") else {
        return Err(missing("exp"));
    };
    for claim in ["iss", "aud"] {
        if !has_string_claim(claims, claim) {
            return Err(missing(claim));
        }
    }
    let not_before = time_claim(claims, "nbf");
    if let Claim::Malformed = not_before {
        return Err(GraphError::unauthorized(
            "the token is not valid: Invalid format for claim: nbf",
        ));
    }
    let now = jsonwebtoken::get_current_timestamp();
    if expires < now.saturating_sub(leeway) {
        return Err(GraphError::unauthorized("the token has expired"));
    }
    if let Claim::Present(not_before) = not_before
        && not_before > now.saturating_add(leeway)
    {
        return Err(GraphError::unauthorized(
            "the token is not valid yet (`nbf`)",
        ));
    }
    Ok(())
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<VerifyingKey>>,
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
    /// Validates `token` as `jsonwebtoken::decode` with RS256, `exp` and `nbf` (with the leeway),
    /// and the required `exp`, `iss` and `aud` would, then checks the issuer, audience and tenant.
    /// The header is decoded once, the key was parsed when the key set was read, and the claims are
    /// decoded once, into the map the claims are returned in.
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
        let claims = verify(token, &key).map_err(|err| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match err.kind() {
                ErrorKind::InvalidSignature => {
                    "the token's signature does not match the signing key".to_owned()
                }
                _ => format!("the token is not valid: {err}"),
            };
            GraphError::unauthorized(why)
        })?;
        check_registered_claims(&claims, self.settings.leeway.as_secs())?;
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
    async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, GraphError> {
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

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
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
                Some((kid, Arc::new(VerifyingKey::of(&key))))
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
