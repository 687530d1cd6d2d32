//! The crate around the generated modules: its `Cargo.toml` and its `lib.rs`. The dependencies and
//! features come from the runtime's own manifest, so the two never disagree.

use proc_macro2::TokenStream;
use quote::quote;
use toml_edit::{DocumentMut, Item, Table, Value};

use super::runtime::{RUNTIME_MANIFEST, RUNTIME_PACKAGE};
use crate::model::Api;
use crate::{Error, Result, RuntimeLink, Settings};

/// The runtime's dependencies that generated code names itself, and the features that need them.
/// Everything else generated code uses goes through the runtime.
const DIRECT_DEPENDENCIES: &[(&str, &[&str])] = &[
    ("axum", &["webhooks", "graph-server"]),
    ("progenitor-client", &["client"]),
    ("reqwest", &["client"]),
    ("serde", &[]),
    ("serde_json", &[]),
];

/// Emits `Cargo.toml`, without its header line.
pub(crate) fn manifest(api: &Api, settings: &Settings) -> Result<String> {
    let runtime: DocumentMut = RUNTIME_MANIFEST.parse().map_err(|err| Error::Runtime {
        message: format!("the runtime's Cargo.toml does not parse: {err}"),
    })?;
    let runtime_table = |name: &str| {
        runtime
            .get(name)
            .and_then(Item::as_table)
            .cloned()
            .ok_or_else(|| Error::Runtime {
                message: format!("the runtime's Cargo.toml has no [{name}] table"),
            })
    };
    let runtime_dependencies = runtime_table("dependencies")?;
    let runtime_features = runtime_table("features")?;
    let (dependencies, features) = match &settings.runtime {
        RuntimeLink::Vendored => (runtime_dependencies, runtime_features),
        RuntimeLink::Shared { path } => {
            shared_runtime(path, &runtime_dependencies, &runtime_features)?
        }
    };

    let mut manifest = DocumentMut::new();
    let mut package = Table::new();
    package["name"] = toml_edit::value(&settings.crate_name);
    package["version"] = toml_edit::value("0.1.0");
    package["edition"] = toml_edit::value("2024");
    package["rust-version"] = toml_edit::value("1.88");
    package["license"] = toml_edit::value("MIT");
    package["description"] =
        toml_edit::value(format!("Typed client and server stubs for {}", api.title));
    package["keywords"] = toml_edit::value(Value::Array(settings.keywords.iter().collect()));
    package["categories"] = toml_edit::value(Value::Array(
        ["api-bindings", "web-programming::http-client"]
            .into_iter()
            .collect(),
    ));
    manifest["package"] = Item::Table(package);
    manifest["dependencies"] = Item::Table(dependencies);
    manifest["features"] = Item::Table(features);
    let mut text = manifest.to_string();
    if settings.standalone {
        text.push_str("\n# Generated outside the repository's workspace: this crate is its own workspace.\n[workspace]\n");
    }
    Ok(text)
}

/// The dependencies and features of a crate that depends on the runtime crate at `path`: the
/// runtime, plus the few crates generated code names itself; each feature turns on the runtime's.
fn shared_runtime(
    path: &str,
    runtime_dependencies: &Table,
    runtime_features: &Table,
) -> Result<(Table, Table)> {
    let mut dependencies = Table::new();
    let mut link = toml_edit::InlineTable::new();
    link.insert("path", path.into());
    link.insert("default-features", false.into());
    dependencies[RUNTIME_PACKAGE] = toml_edit::value(link);
    for (name, features) in DIRECT_DEPENDENCIES {
        let mut spec = runtime_dependencies
            .get(name)
            .and_then(Item::as_value)
            .cloned()
            .ok_or_else(|| Error::Runtime {
                message: format!("the runtime's Cargo.toml has no dependency `{name}`"),
            })?;
        if let (true, Some(table)) = (features.is_empty(), spec.as_inline_table_mut()) {
            table.remove("optional");
        }
        spec.decor_mut().clear();
        dependencies[*name] = toml_edit::value(spec);
    }
    let mut features = Table::new();
    for (feature, enables) in runtime_features.iter() {
        let mut list = toml_edit::Array::new();
        if feature == "default" {
            let defaults = enables
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str());
            list.extend(defaults);
        } else {
            // A feature that turns on another of the runtime's turns on the crate's too.
            let implied = enables
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .filter(|name| runtime_features.contains_key(name));
            list.extend(implied);
            list.push(format!("{RUNTIME_PACKAGE}/{feature}"));
            for (name, used_by) in DIRECT_DEPENDENCIES {
                if used_by.contains(&feature) {
                    list.push(format!("dep:{name}"));
                }
            }
        }
        features[feature] = toml_edit::value(list);
        // Each feature keeps the comment that explains it.
        let comment = runtime_features
            .key(feature)
            .map(|key| key.leaf_decor().clone());
        if let (Some(comment), Some(mut key)) = (comment, features.key_mut(feature)) {
            *key.leaf_decor_mut() = comment;
        }
    }
    Ok((dependencies, features))
}

/// Emits `src/lib.rs`. Every module emitted here is `#[rustfmt::skip]`: `cargo xtask codegen`
/// formats them, so `cargo fmt` formats only this file, which is written in the order and layout
/// rustfmt keeps (modules, then `use`s sorted as rustfmt sorts them). The vendored runtime is not
/// skipped: it is formatted in its own crate, and any attribute on its `mod` would make its
/// `#[macro_export]` macros macro-expanded ones, which generated code may not name by path.
pub(crate) fn lib_rs(api: &Api, settings: &Settings) -> TokenStream {
    let mut doc = format!("{}\n", api.title);
    if let Some(description) = &api.description {
        doc.push_str(&format!("\n{description}\n"));
    }
    doc.push_str(&format!(
        "\nGenerated from the OpenAPI description (version `{}`). `types` holds the types shared by \
         everything generated; `Client` calls the API (feature `client`); `webhooks` receives the \
         notifications the API posts (feature `webhooks`); `server` serves the API's operations \
         (feature `graph-server`); `schemas` gives every type a JSON Schema (feature `schemars`); \
         `runtime` is the hand-written support the generated code calls.\n",
        api.version
    ));
    let doc_lines = doc.lines().map(|line| {
        let line = format!(" {}", line.trim_end());
        quote!(#![doc = #line])
    });
    // The runtime is a vendored module, with its private facade re-exported, or a dependency.
    let (runtime_mod, private_use, runtime_use) = match &settings.runtime {
        RuntimeLink::Vendored => (
            quote! {
                /// The hand-written support the generated code calls: a verbatim copy of the
                /// `msgraph-calls-runtime` crate.
                pub mod runtime;
            },
            quote! {
                #[doc(hidden)]
                pub use runtime::__private;
            },
            quote!(),
        ),
        RuntimeLink::Shared { .. } => {
            let krate = quote::format_ident!("{}", RUNTIME_PACKAGE.replace('-', "_"));
            (quote!(), quote!(), quote!(pub use ::#krate as runtime;))
        }
    };
    let base_url = &api.default_base_url;
    let version = &api.version;
    quote! {
        #(#doc_lines)*
        #![forbid(unsafe_code)]
        #![warn(missing_docs)]

        #[cfg(feature = "client")]
        #[rustfmt::skip]
        mod client;
        #runtime_mod
        #[cfg(feature = "schemars")]
        #[rustfmt::skip]
        pub mod schemas;
        #[cfg(feature = "graph-server")]
        #[rustfmt::skip]
        pub mod server;
        #[rustfmt::skip]
        pub mod types;
        #[cfg(feature = "webhooks")]
        #[rustfmt::skip]
        pub mod webhooks;

        #runtime_use
        #[cfg(feature = "client")]
        pub use client::Client;
        #[cfg(feature = "client")]
        pub use progenitor_client::{Error as AttemptError, ResponseValue};
        #private_use
        #[cfg(feature = "client")]
        pub use runtime::call::{Error, ErrorKind};
        #[cfg(feature = "client")]
        pub use runtime::client::{TokenError, TokenProvider, TokenRequest};
        pub use runtime::cloud::{Cloud, GraphVersion};
        #[cfg(feature = "client")]
        pub use runtime::retry::RetryPolicy;

        /// Builds a [`Client`]: `Client::builder().bearer_token(token).build()`.
        #[cfg(feature = "client")]
        pub type ClientBuilder = runtime::client::ClientBuilder<Client>;

        /// The base URL of the API: the first server the spec lists.
        pub const DEFAULT_BASE_URL: &str = #base_url;

        /// The version of the API description this crate was generated from.
        pub const API_VERSION: &str = #version;
    }
}
