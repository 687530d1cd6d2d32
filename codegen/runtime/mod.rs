//! Hand-written support that the generated code calls: open enums, object keys, the client's
//! construction and authentication and, with the `server` feature, the server stubs' request
//! handling and the authentication of notifications; with the `mock` feature, token signing. This is the only place such code lives; the
//! generated modules reach it as `crate::runtime`.

mod client;
mod derived;
#[cfg(feature = "server")]
mod inbound_auth;
mod key;
mod open_enum;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "mock")]
mod signing;

pub use client::{ClientBuilder, ClientState, TokenError, TokenProvider};
#[cfg(feature = "server")]
pub use inbound_auth::{GRAPH_ISSUERS, GraphClaims, InboundAuth, JwtSettings, KeySource};
pub use derived::reinterpret;
pub use key::Key;
pub use open_enum::{OpenEnum, deserialize_open_enum};
#[cfg(feature = "mock")]
pub use signing::SigningKey;
#[cfg(feature = "server")]
pub use server::{
    Authenticator, BearerToken, Checks, ClientErrorStatus, DEFAULT_BODY_LIMIT, Delivery, DeliveryRoute, GraphError, RequireBearer, ServerErrorStatus,
    Validate, bad_path, bearer_token, check_enum, check_string, is_http_loopback, json_response, method_not_allowed, read_json,
    unknown_route,
};
