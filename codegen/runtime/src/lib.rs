//! The support code that generated Microsoft Graph calls crates are built on: open enums, the
//! serde of open structs and resource unions, what open structs keep that they do not name
//! ([`AdditionalProperties`]), where a notification's resource is (`resource`), the
//! client builder and its token provider, the bot's notification receiver and its token validation,
//! the Graph side's request checks, and Graph-style errors.
//!
//! Pick what you need with features: `client` (the client builder, its token provider and the
//! token cache in `credential`), `azure-identity` (the Azure SDK's credentials, in `azure`),
//! `webhooks` (the bot's receiver and `auth`), `graph-server` (the Graph side's server stubs), `mock` (signing
//! notification tokens, for simulators and tests) and `schemars` (JSON Schemas of the types).
//! Both server sides get `serve`: serving with timeouts, a connection bound and graceful shutdown.
//! `cloud` always names the clouds Graph runs in, with their URLs, token scopes and issuers.
//!
//! This crate is used in two ways: as a dependency of generated crates, which then share its types,
//! or vendored into a generated crate as its `runtime` module. Its code therefore names its own
//! items with relative paths only. [`__private`] is what generated code calls; it is not part of the
//! public API.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "webhooks")]
pub mod auth;
#[cfg(feature = "azure-identity")]
pub mod azure;
#[cfg(feature = "client")]
pub mod call;
#[cfg(feature = "webhooks")]
mod calls;
#[cfg(feature = "client")]
pub mod client;
pub mod cloud;
#[cfg(feature = "client")]
pub mod credential;
#[cfg(feature = "webhooks")]
mod decision;
mod derived;
#[cfg(feature = "webhooks")]
mod duplicates;
#[cfg(any(feature = "webhooks", feature = "graph-server"))]
mod http;
mod key;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(feature = "webhooks")]
mod notifications;
mod open_enum;
mod open_resource;
mod open_struct;
#[cfg(feature = "graph-server")]
mod params;
mod properties;
// The client writes query strings and the Graph side reads them; with one of them alone, half is
// unused.
#[cfg_attr(
    not(all(feature = "client", feature = "graph-server")),
    allow(dead_code)
)]
mod query;
#[cfg(feature = "webhooks")]
pub mod receiver;
pub mod resource;
#[cfg(feature = "client")]
pub mod retry;
#[cfg(feature = "schemars")]
mod schema;
#[cfg(any(feature = "webhooks", feature = "graph-server"))]
pub mod serve;
#[cfg(feature = "graph-server")]
pub mod server;

#[cfg(any(feature = "webhooks", feature = "graph-server"))]
pub use http::{BODY_READ_TIMEOUT, DEFAULT_BODY_LIMIT, GraphError, GraphJson};
pub use open_enum::OpenEnum;
pub use properties::AdditionalProperties;
/// The `schemars` crate the types' JSON Schemas are built with: `schemars::Schema` and
/// `schemars::generate::SchemaSettings` are the types of generated `schemas::json_schemas`.
#[cfg(feature = "schemars")]
pub use schemars;

/// What generated code calls. Not part of the public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "client")]
    pub use super::call::run as run_call;
    #[cfg(feature = "client")]
    pub use super::client::{GeneratedClient, encode_query, execute, prepare_request};
    pub use super::derived::reinterpret;
    #[cfg(any(feature = "webhooks", feature = "graph-server"))]
    pub use super::http::{
        bad_path, bearer_token, bytes_response, json_response, method_not_allowed, read_bytes,
        read_json, status_code, text_response, unknown_route,
    };
    pub use super::key::Key;
    pub use super::open_enum::{OpenEnum, deserialize_open_enum};
    pub use super::open_resource::{
        Pending, Resource, ResourceSeed, finish_resource, path_matches,
    };
    #[cfg(feature = "graph-server")]
    pub use super::params::{FromParam, Params, check_range, required};
    pub use super::properties::{AdditionalProperties, keep_property};
    #[cfg(feature = "webhooks")]
    pub use super::receiver::Dispatch;
    #[cfg(feature = "schemars")]
    pub use super::schema::{ObjectSchema, UnionSchema, enum_schema, root_schema};
    #[cfg(feature = "graph-server")]
    pub use super::server::{Pattern, Validate, check_enum, check_string};
    // Exported macros live at the root of whichever crate compiles this file: this one, or a
    // generated crate that vendors it.
    #[cfg(feature = "schemars")]
    pub use crate::type_schema;
    pub use crate::{open_enum, open_resource, open_struct};
    #[cfg(feature = "schemars")]
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
