//! The runtime crate under `codegen/runtime/`, embedded so that a generated crate can vendor it:
//! its sources become the crate's `runtime` module byte for byte, and its manifest gives the
//! generated crate its dependencies and features.

use crate::{FileContents, GeneratedFile};

/// The package name of the runtime crate.
pub(crate) const RUNTIME_PACKAGE: &str = "msgraph-calls-runtime";

/// The runtime's `Cargo.toml`.
pub(crate) const RUNTIME_MANIFEST: &str = include_str!("../../runtime/Cargo.toml");

/// Embeds `codegen/runtime/src/{name}`.
macro_rules! runtime_source {
    ($name:literal) => {
        (
            $name,
            concat!("codegen/runtime/src/", $name),
            include_str!(concat!("../../runtime/src/", $name)),
        )
    };
}

/// `(file name, path of the original, text)` of every source file of the runtime.
pub(crate) const RUNTIME_SOURCES: &[(&str, &str, &str)] = &[
    runtime_source!("auth.rs"),
    runtime_source!("azure.rs"),
    runtime_source!("call.rs"),
    runtime_source!("calls.rs"),
    runtime_source!("client.rs"),
    runtime_source!("cloud.rs"),
    runtime_source!("credential.rs"),
    runtime_source!("decision.rs"),
    runtime_source!("derived.rs"),
    runtime_source!("duplicates.rs"),
    runtime_source!("http.rs"),
    runtime_source!("key.rs"),
    runtime_source!("lib.rs"),
    runtime_source!("mock.rs"),
    runtime_source!("notifications.rs"),
    runtime_source!("open_enum.rs"),
    runtime_source!("open_resource.rs"),
    runtime_source!("open_struct.rs"),
    runtime_source!("params.rs"),
    runtime_source!("properties.rs"),
    runtime_source!("query.rs"),
    runtime_source!("receiver.rs"),
    runtime_source!("resource.rs"),
    runtime_source!("retry.rs"),
    runtime_source!("schema.rs"),
    runtime_source!("serve.rs"),
    runtime_source!("server.rs"),
];

/// The runtime's sources as files of a crate that vendors it: `lib.rs` becomes
/// `src/runtime/mod.rs`, every other file `src/runtime/{name}`.
pub(crate) fn vendored_files() -> impl Iterator<Item = GeneratedFile> {
    RUNTIME_SOURCES.iter().map(|&(name, source, text)| {
        let name = if name == "lib.rs" { "mod.rs" } else { name };
        GeneratedFile {
            path: format!("src/runtime/{name}"),
            contents: FileContents::RustVerbatim { source, text },
        }
    })
}

#[cfg(test)]
mod tests {
    /// Every source file of the runtime is embedded, so a vendored runtime is complete.
    #[test]
    fn every_runtime_source_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("the runtime's sources")
            .map(|entry| {
                entry
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = super::RUNTIME_SOURCES
            .iter()
            .map(|(name, ..)| *name)
            .collect();
        assert_eq!(
            embedded, on_disk,
            "list every file of codegen/runtime/src in RUNTIME_SOURCES"
        );
    }
}
