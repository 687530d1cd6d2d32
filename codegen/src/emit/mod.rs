//! The emitters: each turns the model into one file of the generated crate. They read only the
//! model and the settings, never the OpenAPI document.

mod client;
mod client_calls;
mod krate;
mod params;
mod responses;
mod runtime;
mod schemas;
mod server;
mod status;
mod types;
mod webhooks;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Api;
use crate::{FileContents, GeneratedCrate, GeneratedFile, Result, RuntimeLink, Settings};

/// Every file of the crate generated from `api`, sorted by path.
pub(crate) fn generate(api: &Api, settings: &Settings) -> Result<GeneratedCrate> {
    let rust = |path: &str, tokens: TokenStream| GeneratedFile {
        path: path.to_owned(),
        contents: FileContents::Rust(tokens),
    };
    let mut files = vec![
        GeneratedFile {
            path: "Cargo.toml".to_owned(),
            contents: FileContents::Toml(krate::manifest(api, settings)?),
        },
        rust("src/lib.rs", krate::lib_rs(api, settings)),
        rust("src/types.rs", types::emit(api)),
        rust("src/client.rs", client::emit(api)?),
        rust("src/schemas.rs", schemas::emit(api)),
        rust("src/server.rs", server::emit(api)),
        rust("src/webhooks.rs", webhooks::emit(api, settings)),
    ];
    if settings.runtime == RuntimeLink::Vendored {
        files.extend(runtime::vendored_files());
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(GeneratedCrate {
        files,
        warnings: api.warnings.clone(),
    })
}

/// `#[doc]` attributes for `text`, one per line, so that formatting never turns a line into a
/// Markdown code block.
pub(crate) fn doc_attr(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        let line = format!(" {}", line.trim_end());
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}
