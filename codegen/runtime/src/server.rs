//! The Graph side's support: authenticators, the checks a request body must pass before a service
//! sees it, and the status types that keep a service from answering with an undocumented status: one
//! per range (`1XX` to `5XX`) and [`DefaultStatus`] for `default`.

use std::future::Future;

use axum::http::{HeaderMap, StatusCode};

pub use super::http::is_http_loopback;
use super::http::{GraphError, bearer_token};

/// Establishes who sent a request before any operation sees it.
pub trait Authenticator: Send + Sync + 'static {
    /// What the authenticator established, handed to the service.
    type Identity: Send + 'static;

    /// Checks the request's headers; an error is answered as it is, and the service is not called.
    fn authenticate(
        &self,
        headers: &HeaderMap,
    ) -> impl Future<Output = Result<Self::Identity, GraphError>> + Send;
}

/// The bearer token of a request, as [`RequireBearer`] found it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(pub String);

impl BearerToken {
    /// The token of `Authorization: Bearer <token>`; `401` if it is missing or empty.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, GraphError> {
        bearer_token(headers).map(|token| Self(token.to_owned()))
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(redacted)")
    }
}

/// The default authenticator: requires `Authorization: Bearer <token>` with a non-empty token and
/// checks nothing else. Deployments that validate tokens implement [`Authenticator`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireBearer;

impl Authenticator for RequireBearer {
    type Identity = BearerToken;

    async fn authenticate(&self, headers: &HeaderMap) -> Result<BearerToken, GraphError> {
        BearerToken::from_headers(headers)
    }
}

/// Checks a parsed request body against the constraints of the API description.
#[doc(hidden)]
pub trait Validate {
    /// `Err` with a message naming the property and what is wrong.
    fn validate(&self, checks: &Checks) -> Result<(), String>;
}

/// How strictly [`Validate`] applies the description's constraints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// Accept `http://` URLs on a loopback host (`127.0.0.1`, `[::1]`, `localhost`) where the
    /// description asks for `https://`. For local development only.
    pub allow_http_loopback: bool,
}

/// A string schema's `pattern`, compiled on first use. JSON Schema patterns are searched for
/// anywhere in the value, as [`regex::Regex::is_match`] does; the generator only emits patterns the
/// `regex` crate accepts.
#[doc(hidden)]
pub struct Pattern {
    source: &'static str,
    compiled: std::sync::OnceLock<Result<regex::Regex, String>>,
}

impl Pattern {
    /// The pattern `source`, not yet compiled.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// The pattern as written in the description.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `value` matches; an error if the pattern does not compile (the generator checks
    /// that it does, so only a runtime older or newer than the generator's could see one).
    pub fn is_match(&self, value: &str) -> Result<bool, String> {
        match self
            .compiled
            .get_or_init(|| regex::Regex::new(self.source).map_err(|err| err.to_string()))
        {
            Ok(regex) => Ok(regex.is_match(value)),
            Err(err) => Err(format!(
                "the description's pattern `{}` cannot be checked: {err}",
                self.source
            )),
        }
    }
}

/// Checks a string against the constraints the description gives it: its `pattern`, and for
/// `format: uri`, that it is an absolute URI as RFC 3986 defines one (ASCII only; other
/// characters percent-encoded). With [`Checks::allow_http_loopback`], an `http://`
/// URL on a loopback host passes a pattern that its `https://` form passes.
#[doc(hidden)]
pub fn check_string(
    checks: &Checks,
    wire_name: &str,
    value: &str,
    pattern: Option<&Pattern>,
    uri: bool,
) -> Result<(), String> {
    if let Some(pattern) = pattern {
        let matches = pattern.is_match(value)?
            || (checks.allow_http_loopback
                && is_http_loopback(value)
                && pattern.is_match(&as_https(value))?);
        if !matches {
            return Err(format!(
                "`{wire_name}` must match the pattern `{}`; got `{value}`",
                pattern.source()
            ));
        }
    }
    if uri && fluent_uri::Uri::parse(value).is_err() {
        return Err(format!(
            "`{wire_name}` must be an absolute URI (RFC 3986); got `{value}`"
        ));
    }
    Ok(())
}

/// `http://rest` as `https://rest`.
fn as_https(http_url: &str) -> String {
    let rest = http_url.get("http://".len()..).unwrap_or_default();
    format!("https://{rest}")
}

/// Checks that an open enum value is a member the description names.
#[doc(hidden)]
pub fn check_enum<E: super::OpenEnum + std::fmt::Display>(
    wire_name: &str,
    value: &E,
    members: &[&str],
) -> Result<(), String> {
    if value.is_known() {
        Ok(())
    } else {
        Err(format!(
            "`{wire_name}` is `{value}`, which is not one of {}",
            members.join(", ")
        ))
    }
}

macro_rules! status_class {
    ($name:ident, $range:expr, $what:literal) => {
        #[doc = concat!("A status of the ", $what, " class; other statuses cannot be made.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(StatusCode);

        impl $name {
            #[doc = concat!("The status, if `code` is in the ", $what, " class.")]
            pub fn new(code: u16) -> Option<Self> {
                if $range.contains(&code) {
                    StatusCode::from_u16(code).ok().map(Self)
                } else {
                    None
                }
            }

            /// The status.
            pub fn status(self) -> StatusCode {
                self.0
            }
        }
    };
}

status_class!(InformationalStatus, 100..=199u16, "`1XX`");
status_class!(SuccessStatus, 200..=299u16, "`2XX`");
status_class!(RedirectionStatus, 300..=399u16, "`3XX`");
status_class!(ClientErrorStatus, 400..=499u16, "`4XX`");
status_class!(ServerErrorStatus, 500..=599u16, "`5XX`");

/// The statuses an operation documents other than by `default`. Implemented by generated response
/// enums, so that [`DefaultStatus`] refuses them.
pub trait Documented {
    /// Whether `code` is documented as a code or a range of its own.
    fn documents(code: u16) -> bool;
}

/// A status for a `default` response of the operation whose response enum is `R`: any status from
/// `100` to `599` that the operation does not document otherwise; other statuses cannot be made.
pub struct DefaultStatus<R>(StatusCode, std::marker::PhantomData<fn() -> R>);

impl<R: Documented> DefaultStatus<R> {
    /// The status, if `code` is from `100` to `599` and not documented otherwise.
    pub fn new(code: u16) -> Option<Self> {
        if (100..=599).contains(&code) && !R::documents(code) {
            StatusCode::from_u16(code)
                .ok()
                .map(|status| Self(status, std::marker::PhantomData))
        } else {
            None
        }
    }
}

impl<R> DefaultStatus<R> {
    /// The status.
    pub fn status(self) -> StatusCode {
        self.0
    }
}

impl<R> Clone for DefaultStatus<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for DefaultStatus<R> {}

impl<R> PartialEq for DefaultStatus<R> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<R> Eq for DefaultStatus<R> {}

impl<R> std::fmt::Debug for DefaultStatus<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DefaultStatus").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents `202`, `404` and `5XX` besides `default`, as a generated response enum would.
    struct Reject;

    impl Documented for Reject {
        fn documents(code: u16) -> bool {
            matches!(code, 202 | 404 | 500..=599)
        }
    }

    #[test]
    fn a_default_status_is_any_status_not_documented_otherwise() {
        for code in [100, 200, 204, 301, 400, 403, 499] {
            let status = DefaultStatus::<Reject>::new(code).map(DefaultStatus::status);
            assert_eq!(status.map(|s| s.as_u16()), Some(code), "{code}");
        }
        for code in [0, 99, 202, 404, 500, 503, 599, 600, 1000] {
            assert!(DefaultStatus::<Reject>::new(code).is_none(), "{code}");
        }
    }

    #[test]
    fn a_range_status_is_one_of_its_class() {
        for code in [200, 204, 299] {
            assert!(SuccessStatus::new(code).is_some(), "{code}");
        }
        for code in [199, 300, 404, 500] {
            assert!(SuccessStatus::new(code).is_none(), "{code}");
        }
        assert!(InformationalStatus::new(103).is_some());
        assert!(InformationalStatus::new(200).is_none());
        assert!(RedirectionStatus::new(307).is_some());
        assert!(RedirectionStatus::new(299).is_none());
    }
}
