//! The crate around the generated modules: its `Cargo.toml` and its `lib.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::Settings;
use crate::model::Api;

/// The dependencies of every generated crate, in `Cargo.toml` syntax. The runtime and the generated
/// modules use nothing else.
const DEPENDENCIES: &[(&str, &str)] = &[
    ("arc-swap", "{ version = \"1\", optional = true }"),
    ("aws-lc-rs", "{ version = \"1\", optional = true }"),
    ("axum", "{ version = \"0.8\", optional = true }"),
    ("base64", "{ version = \"0.22\", optional = true }"),
    ("http-body-util", "{ version = \"0.1\", optional = true }"),
    (
        "jsonwebtoken",
        "{ version = \"11\", default-features = false, features = [\"aws_lc_rs\", \"use_pem\"], optional = true }",
    ),
    ("progenitor-client", "\"0.15.1\""),
    (
        "reqwest",
        "{ version = \"0.13\", default-features = false, features = [\"json\", \"rustls\"] }",
    ),
    ("serde", "{ version = \"1\", features = [\"derive\"] }"),
    ("serde_json", "\"1\""),
    (
        "time",
        "{ version = \"0.3\", features = [\"formatting\"], optional = true }",
    ),
    (
        "tokio",
        "{ version = \"1\", features = [\"fs\", \"rt\", \"sync\", \"time\"], optional = true }",
    ),
    ("tracing", "{ version = \"0.1\", optional = true }"),
    ("url", "{ version = \"2\", optional = true }"),
    (
        "uuid",
        "{ version = \"1\", features = [\"v4\"], optional = true }",
    ),
];

/// The features of every generated crate.
const FEATURES: &[(&str, &str)] = &[
    ("default", "[\"server\"]"),
    (
        "server",
        "[\"dep:arc-swap\", \"dep:axum\", \"dep:http-body-util\", \"dep:jsonwebtoken\", \"dep:time\", \"dep:tokio\", \"dep:tracing\", \"dep:url\", \"dep:uuid\"]",
    ),
    ("mock", "[\"server\", \"dep:aws-lc-rs\", \"dep:base64\"]"),
];

/// Emits `Cargo.toml`, without its header line.
pub(crate) fn manifest(api: &Api, settings: &Settings) -> String {
    let mut out = String::new();
    out.push_str("[package]\n");
    out.push_str(&format!("name = \"{}\"\n", settings.crate_name));
    out.push_str("version = \"0.1.0\"\n");
    out.push_str("edition = \"2024\"\n");
    out.push_str("rust-version = \"1.88\"\n");
    out.push_str("license = \"MIT\"\n");
    let description = format!("Typed client and server stubs for {}", api.title);
    out.push_str(&format!("description = {}\n", toml_string(&description)));
    out.push_str("keywords = [\"microsoft-graph\", \"teams\", \"calling-bot\", \"openapi\"]\n");
    out.push_str("categories = [\"api-bindings\", \"web-programming::http-client\"]\n");
    out.push_str("\n[dependencies]\n");
    for (name, spec) in DEPENDENCIES {
        out.push_str(&format!("{name} = {spec}\n"));
    }
    out.push_str("\n[features]\n");
    out.push_str(
        "# `server`: the server stubs (Graph side and bot side) and notification authentication.\n",
    );
    out.push_str(
        "# `mock`: signing notification tokens as Graph does, for simulators and tests.\n",
    );
    for (name, spec) in FEATURES {
        out.push_str(&format!("{name} = {spec}\n"));
    }
    if settings.standalone {
        out.push_str("\n# Generated outside the repository's workspace: this crate is its own workspace.\n[workspace]\n");
    }
    out
}

fn toml_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// Emits `src/lib.rs`.
pub(crate) fn lib_rs(api: &Api) -> TokenStream {
    let mut doc = format!("{}\n", api.title);
    if let Some(description) = &api.description {
        doc.push_str(&format!("\n{description}\n"));
    }
    doc.push_str(&format!(
        "\nGenerated from the OpenAPI description (version `{}`). `types` holds the types shared by \
         everything generated; [`Client`] calls the API; `runtime` is the hand-written support the \
         generated code calls.\n",
        api.version
    ));
    let doc_lines = doc.lines().map(|line| {
        let line = format!(" {line}");
        quote!(#![doc = #line])
    });
    let base_url = &api.default_base_url;
    let version = &api.version;
    quote! {
        #(#doc_lines)*
        #![forbid(unsafe_code)]
        #![warn(missing_docs)]

        mod client;
        pub mod runtime;
        #[cfg(feature = "server")]
        pub mod server;
        pub mod types;
        #[cfg(feature = "server")]
        pub mod webhooks;

        pub use client::Client;
        pub use progenitor_client::{Error, ResponseValue};
        pub use runtime::{ClientBuilder, TokenError, TokenProvider};

        /// The base URL of the API: the first server the spec lists.
        pub const DEFAULT_BASE_URL: &str = #base_url;

        /// The version of the API description this crate was generated from.
        pub const API_VERSION: &str = #version;
    }
}
